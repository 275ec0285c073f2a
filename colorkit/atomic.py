"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A process killed mid-write leaves the previous file (or none) in place, never half a file; a
failed write removes its temporary file. Every module that writes user-visible files
(images, figures, checkpoints, run logs) goes through :func:`atomic_path`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Args:
        path: The final file. Its folder must exist.
        suffix: Suffix of the temporary name (some writers, e.g. Keras, insist on one).

    Yields:
        The temporary ``Path`` to write to (already created, empty, mode 0644 once replaced).

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
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
