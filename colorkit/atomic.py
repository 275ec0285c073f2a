"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A process killed mid-write leaves the previous file (or none) in place, never half a file; a
failed write removes its temporary file. Every module that writes user-visible files
(images, figures, checkpoints, run logs, videos) goes through :func:`atomic_path`.

Temporary files are named ``.<name>.<random><suffix>`` beside the target (hidden, so folder
listings skip them); :func:`remove_stale_temporaries` deletes those a killed run left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

#: Temporary files older than this (seconds) are stale: no live write takes that long to
#: start renaming, so :func:`remove_stale_temporaries` may delete them.
STALE_SECONDS = 3600.0


def file_mode() -> int:
    """The mode a new file gets from ``open()``: ``0o666`` minus the process umask.

    Example:
        >>> file_mode() & 0o600
        384
    """
    try:  # Linux: read it without changing it (os.umask is process-wide, racy in threads)
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Args:
        path: The final file. Its folder must exist.
        suffix: Suffix of the temporary name (some writers, e.g. Keras, insist on one).

    Yields:
        The temporary ``Path`` to write to (already created, empty). Once it replaces ``path``
        it has the mode of a normally created file (0644 under the usual umask 022), not the
        0600 of ``tempfile.mkstemp``.

    Example:
        >>> folder = tempfile.mkdtemp()
        >>> with atomic_path(os.path.join(folder, "a.txt")) as temporary:
        ...     _ = temporary.write_text("done")
        >>> sorted(os.listdir(folder))
        ['a.txt']
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, file_mode())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json(path: str | os.PathLike, payload, indent: int = 1) -> Path:
    """Write ``payload`` as JSON (UTF-8, ending with a newline) atomically to ``path``.

    Example:
        >>> path = write_json(os.path.join(tempfile.mkdtemp(), "a.json"), {"done": 3})
        >>> json.loads(path.read_text()), path.read_text().endswith("}" + chr(10))
        ({'done': 3}, True)
    """
    with atomic_path(path, suffix=".json") as temporary:
        temporary.write_text(json.dumps(payload, indent=indent) + "\n", encoding="utf-8")
    return Path(path)


def remove_stale_temporaries(path: str | os.PathLike, max_age: float = STALE_SECONDS) -> list[Path]:
    """Delete temporary files of :func:`atomic_path` for ``path`` left by a killed run.

    Only hidden files named ``.<name>.<anything>`` beside ``path`` and older than ``max_age``
    seconds are removed (a younger one may belong to a write in progress).

    Args:
        path: The final file whose leftovers to remove (it need not exist).
        max_age: Minimum age in seconds (0: all of them).

    Returns:
        The removed paths.

    Example:
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / ".a.png.x1y2.tmp").write_bytes(b"half")
        >>> [p.name for p in remove_stale_temporaries(folder / "a.png", max_age=0)]
        ['.a.png.x1y2.tmp']
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.")
    stem_pattern = re.compile(rf"^\.{re.escape(path.stem)}\.(video|audio)\.")  # video writer
    now = time.time()
    removed = []
    for entry in path.parent.iterdir():
        if not (pattern.match(entry.name) or stem_pattern.match(entry.name)):
            continue
        try:
            if entry.is_symlink() or not entry.is_file():
                continue
            if now - entry.stat().st_mtime < max_age:
                continue
            entry.unlink()
        except OSError:
            continue  # another process removed it, or it is not ours to remove
        removed.append(entry)
    return removed
