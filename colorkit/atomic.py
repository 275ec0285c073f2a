"""Atomic file writes: a temporary file in the target's folder, then a rename or a link.

A process killed mid-write leaves the previous file (or none) in place, never half a file; a
failed write removes its temporary file. Every module that writes user-visible files
(images, figures, checkpoints, run logs, videos) goes through :func:`atomic_path` (or, for
writers that need the file name first, :func:`create_temporary` and :func:`publish`).

Temporary files have one unmistakable form (:data:`TEMPORARY_NAME`)::

    .<name>.colorkit-<host>-<pid>-<random><suffix>   (.a.png.colorkit-3f9a1c-4242-9e1b77c0.tmp)

hidden, so folder listings skip them; ``<name>`` is the target's name, cut to
:data:`MAX_NAME_BYTES` bytes plus a hash when longer (a 255-byte target name still fits the
255-byte limit of file names); ``<host>`` is a hash of the machine's name and ``<pid>`` the
writing process. :func:`remove_stale_temporaries` removes only files of that form, and only
those whose process is gone (on this machine: at once; written from another machine sharing the
folder: after :data:`STALE_SECONDS` without a change). A user's own hidden files
(``.a.png.retouched``) are never touched.

Without ``overwrite`` a finished file is published with ``os.link`` (which fails if the name
exists, atomically), then the temporary name is removed: of two processes writing one path,
exactly one wins and the other gets ``FileExistsError``; nothing is replaced. Where hard links
are not supported, ``renameat2(RENAME_NOREPLACE)`` does the same; where neither is, the name is
reserved with ``O_CREAT | O_EXCL`` and the file renamed onto that reservation.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import hashlib
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

#: A temporary file written from another machine (a shared folder) is stale after this many
#: seconds without a change: its process cannot be checked from here.
STALE_SECONDS = 3600.0
#: Longest target name (UTF-8 bytes) kept whole in a temporary name; longer ones are cut and
#: hashed, so a temporary name stays under about 110 bytes.
MAX_NAME_BYTES = 64
#: The form of every temporary file colorkit writes (see the module docstring).
TEMPORARY_NAME = re.compile(
    r"^\.(?P<name>.+)\.colorkit-(?P<host>[0-9a-f]{6})-(?P<pid>[0-9]{1,10})-"
    r"(?P<random>[0-9a-f]{8})(?P<suffix>\.[0-9A-Za-z]{1,12})$",
    re.DOTALL,
)
#: Errors of ``os.link`` that mean "this file system has no hard links", not "the name exists".
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


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


@functools.cache
def _host_tag() -> str:
    """Six hex digits naming this machine in temporary names."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


def _short_name(name: str) -> str:
    """``name``, or its first bytes plus a hash when it is over :data:`MAX_NAME_BYTES` bytes."""
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) <= MAX_NAME_BYTES:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:8]
    head = encoded[: MAX_NAME_BYTES - 10].decode("utf-8", "ignore")
    return f"{head}~{digest}"


def temporary_name(path: str | os.PathLike, suffix: str = ".tmp") -> str:
    """A fresh temporary file name for ``path`` (the name only, see :data:`TEMPORARY_NAME`).

    Args:
        path: The final file.
        suffix: The temporary name's suffix, a dot and 1 to 12 letters or digits.

    Returns:
        ``.<name>.colorkit-<host>-<pid>-<random><suffix>``.

    Raises:
        ValueError: For a ``suffix`` of another form.

    Example:
        >>> name = temporary_name("out/a.png")
        >>> name.startswith(".a.png.colorkit-"), name.endswith(".tmp")
        (True, True)
        >>> match = TEMPORARY_NAME.match(name)
        >>> match["name"], int(match["pid"]) == os.getpid()
        ('a.png', True)
        >>> len(temporary_name("x" * 251 + ".jpg")) < 120
        True
    """
    if not re.fullmatch(r"\.[0-9A-Za-z]{1,12}", suffix):
        raise ValueError(
            "Invalid temporary suffix: expected a dot and 1 to 12 letters or digits. "
            f"Received: suffix={suffix!r}"
        )
    name = _short_name(Path(path).name)
    return f".{name}.colorkit-{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def create_temporary(path: str | os.PathLike, suffix: str = ".tmp") -> Path:
    """Create an empty temporary file (mode 0600) beside ``path`` and return its path.

    Args:
        path: The final file. Its folder must exist.
        suffix: Suffix of the temporary name (some writers, e.g. Keras or ffmpeg, need one).

    Returns:
        The temporary ``Path`` (see :func:`temporary_name`).

    Raises:
        OSError: The folder is not writable (read-only, no permission, missing...).
    """
    path = Path(path)
    while True:
        temporary = path.parent / temporary_name(path, suffix)
        try:
            handle = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # the same 32 random bits in this process: draw again
            continue
        os.close(handle)
        return temporary


def _renameat2_noreplace(source: Path, target: Path) -> None:
    """``renameat2(source, target, RENAME_NOREPLACE)`` (Linux); OSError(ENOSYS) elsewhere."""
    try:
        library = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except (OSError, TypeError):  # no C library to load by that name (Windows)
        library = None
    function = getattr(library, "renameat2", None)
    if function is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(target))
    at_current_folder, rename_noreplace = -100, 1
    result = function(
        at_current_folder,
        os.fsencode(source),
        at_current_folder,
        os.fsencode(target),
        rename_noreplace,
    )
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(target))


def _exists_error(target: Path) -> FileExistsError:
    return FileExistsError(
        errno.EEXIST,
        "Refusing to overwrite a file that exists (it appeared while this one was written; "
        "pass --overwrite, or overwrite=True in Python, to replace it)",
        str(target),
    )


def publish(temporary: str | os.PathLike, path: str | os.PathLike, overwrite: bool) -> Path:
    """Give the finished ``temporary`` file its final name ``path``, atomically.

    Args:
        temporary: A finished file in ``path``'s folder (its name is gone afterwards).
        path: The final name.
        overwrite: Replace a file at ``path`` (``os.replace``). Otherwise an existing ``path``
            is never replaced, even one that another process creates at the same moment.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False (``temporary`` is left for
            the caller to remove).
        OSError: The rename or link failed (read-only, a folder at ``path``...).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> first, second = create_temporary(folder / "a"), create_temporary(folder / "a")
        >>> _ = first.write_text("first"), second.write_text("second")
        >>> publish(first, folder / "a", overwrite=False).read_text()
        'first'
        >>> publish(second, folder / "a", overwrite=False)
        Traceback (most recent call last):
        ...
        FileExistsError: [Errno 17] Refusing to overwrite a file that exists ...
    """
    temporary, path = Path(temporary), Path(path)
    if overwrite:
        os.replace(temporary, path)
        return path
    try:
        os.link(temporary, path, follow_symlinks=False)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
    else:
        os.unlink(temporary)
        return path
    try:  # no hard links on this file system
        _renameat2_noreplace(temporary, path)
        return path
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as error:
        if error.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    try:  # neither: reserve the name, then rename onto the reservation
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise _exists_error(path) from None
    try:
        os.replace(temporary, path)
    except BaseException:
        path.unlink(missing_ok=True)  # our empty reservation, nobody else's file
        raise
    return path


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, suffix: str = ".tmp", overwrite: bool = True
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it becomes ``path``.

    Args:
        path: The final file. Its folder must exist.
        suffix: Suffix of the temporary name (some writers, e.g. Keras, insist on one).
        overwrite: Replace an existing ``path`` (the default, for files colorkit owns: run
            logs, checkpoints). With False an existing ``path`` is never replaced, even one
            another process creates meanwhile: ``FileExistsError`` (see :func:`publish`).

    Yields:
        The temporary ``Path`` to write to (already created, empty). Once it becomes ``path``
        it has the mode of a normally created file (0644 under the usual umask 022), not 0600.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False; nothing is left behind.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with atomic_path(os.path.join(folder, "a.txt")) as temporary:
        ...     _ = temporary.write_text("done")
        >>> sorted(os.listdir(folder))
        ['a.txt']
    """
    path = Path(path)
    temporary = create_temporary(path, suffix)
    try:
        yield temporary
        os.chmod(temporary, file_mode())
        publish(temporary, path, overwrite)
    finally:
        temporary.unlink(missing_ok=True)


def write_json(path: str | os.PathLike, payload, indent: int = 1) -> Path:
    """Write ``payload`` as JSON (UTF-8, ending with a newline) atomically to ``path``.

    Example:
        >>> import tempfile
        >>> path = write_json(os.path.join(tempfile.mkdtemp(), "a.json"), {"done": 3})
        >>> json.loads(path.read_text()), path.read_text().endswith("}" + chr(10))
        ({'done': 3}, True)
    """
    with atomic_path(path, suffix=".json") as temporary:
        temporary.write_text(json.dumps(payload, indent=indent) + "\n", encoding="utf-8")
    return Path(path)


def _process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch; Linux ``/proc``), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith(b"btime"))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _writer_alive(pid: int, modified: float) -> bool:
    """Whether process ``pid`` of this machine may still be writing a file last changed at
    ``modified``. A process that started after that is another one with a reused pid (in a
    container, a new run often gets the very pid of the killed one: this process's own pid is
    checked the same way)."""
    if pid != os.getpid():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # alive, another user's
    started = _process_start_time(pid)
    return started is None or started <= modified + 1.0


def is_abandoned(entry: str | os.PathLike, now: float | None = None) -> bool:
    """Whether ``entry`` is a colorkit temporary file whose writer is gone.

    Args:
        entry: A folder entry.
        now: The current time (default ``time.time()``).

    Returns:
        True only for a regular file (not a link) named as :data:`TEMPORARY_NAME` whose process
        is not running (written on this machine) or that has not changed for
        :data:`STALE_SECONDS` (written on another machine).
    """
    entry = Path(entry)
    match = TEMPORARY_NAME.match(entry.name)
    if match is None:
        return False
    try:
        status = os.lstat(entry)
    except OSError:
        return False
    if not os.path.isfile(entry) or os.path.islink(entry):
        return False
    if match["host"] == _host_tag():
        return not _writer_alive(int(match["pid"]), status.st_mtime)
    now = time.time() if now is None else now
    return now - status.st_mtime >= STALE_SECONDS


def temporary_stem(path: str | os.PathLike) -> str:
    """The ``<name>`` part of ``path``'s temporary names (cut and hashed past 64 bytes).

    Example:
        >>> temporary_stem("out/a.png")
        'a.png'
    """
    return _short_name(Path(path).name)


def busy_names(folder: str | os.PathLike) -> dict[str, int]:
    """Targets that other running processes of this machine are writing (or have claimed)
    in ``folder``: ``{temporary_stem: smallest pid}``, from their temporary files.

    Temporaries of this process, of processes that are gone, and of other machines (whose
    processes cannot be checked from here) are left out.

    Example:
        >>> import tempfile
        >>> busy_names(tempfile.mkdtemp())
        {}
    """
    folder = Path(folder)
    try:
        entries = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return {}
    busy: dict[str, int] = {}
    for name in entries:
        match = TEMPORARY_NAME.match(name)
        if match is None or match["host"] != _host_tag():
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or is_abandoned(folder / name):
            continue
        busy[match["name"]] = min(pid, busy.get(match["name"], pid))
    return busy


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that killed colorkit runs left in ``folder``.

    Only files named as :data:`TEMPORARY_NAME` whose writer is gone are removed
    (:func:`is_abandoned`); every other file, hidden or not, is left alone.

    Args:
        folder: The folder to clean (it need not exist).

    Returns:
        The removed paths.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / ".a.png.colorkit-000000-1-0123abcd.tmp").write_bytes(b"half")
        >>> _ = (folder / ".a.png.retouched").write_bytes(b"mine")
        >>> import time; old = time.time() - 2 * STALE_SECONDS
        >>> os.utime(folder / ".a.png.colorkit-000000-1-0123abcd.tmp", (old, old))
        >>> [p.name for p in remove_stale_temporaries(folder)]
        ['.a.png.colorkit-000000-1-0123abcd.tmp']
        >>> sorted(p.name for p in folder.iterdir())
        ['.a.png.retouched']
    """
    folder = Path(folder)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    now = time.time()
    removed = []
    for entry in entries:
        path = folder / entry.name
        if not is_abandoned(path, now):
            continue
        try:
            path.unlink()
        except OSError:
            continue  # another run removed it first, or the folder is read-only
        removed.append(path)
    return removed
