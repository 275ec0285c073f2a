"""Output-file policy shared by the CLI, the video writer and the library.

The promises (README, "What colorkit promises about your files"; tests/test_hostile_inputs.py):

- an existing file is never replaced unless the caller asks for it (``--overwrite`` on the
  command line, ``overwrite=True`` in the API); a skipped output is reported and counted, so
  re-running a folder continues where it stopped;
- a write that fails (read-only file system, no permission, disk full, a folder at the file's
  path) leaves no partial file and is reported in one line naming the path and the cause;
- temporary files a killed run left behind (``.<name>.<random>.tmp``) are removed on the next
  run (:func:`colorkit.atomic.remove_stale_temporaries`).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path

from colorkit import atomic

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "a folder exists at that path",
    errno.ENOTDIR: "a file exists where a folder is needed",
    errno.ENOENT: "the folder does not exist",
    errno.ENAMETOOLONG: "the name is too long",
}


def write_error_message(path: str | os.PathLike, error: OSError) -> str:
    """One line naming ``path`` and the cause of a failed write.

    Args:
        path: The output file that could not be written.
        error: The ``OSError`` raised while writing it.

    Returns:
        e.g. ``"cannot write 'out/a.png': the disk is full ([Errno 28] No space left on
        device)"``.

    Example:
        >>> write_error_message("out/a.png", OSError(28, "No space left on device"))
        "cannot write 'out/a.png': the disk is full ([Errno 28] No space left on device)"
    """
    cause = _CAUSES.get(error.errno)
    detail = f"[Errno {error.errno}] {error.strerror}" if error.errno else str(error)
    text = f"{cause} ({detail})" if cause else detail
    return f"cannot write '{os.fspath(path)}': {text}"


def check_writable_target(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Check an output file path before any work is spent on it.

    Args:
        path: The output file.
        overwrite: Whether an existing file may be replaced.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False (the message says to pass
            ``--overwrite`` / ``overwrite=True``).
        IsADirectoryError: a folder exists at ``path``.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder exists at that path", str(path))
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(
            f"Refusing to overwrite the existing file '{path}' (pass --overwrite, or "
            "overwrite=True in Python, to replace it)"
        )
    return path


def split_existing(
    jobs: Sequence[tuple[Path, Path]], overwrite: bool = False
) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path]]]:
    """Separate ``(input, output)`` jobs whose output already exists.

    Also removes stale temporary files a killed run left beside each output.

    Args:
        jobs: ``(input file, output file)`` pairs.
        overwrite: Keep every job (existing outputs will be replaced).

    Returns:
        ``(to_do, skipped)``: ``skipped`` holds the jobs whose output exists (empty with
        ``overwrite=True``).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.png").write_bytes(b"mine")
        >>> to_do, skipped = split_existing([(folder / "a.jpg", folder / "a.png")])
        >>> len(to_do), len(skipped)
        (0, 1)
    """
    to_do, skipped = [], []
    for source, target in jobs:
        atomic.remove_stale_temporaries(target)
        if os.path.lexists(target) and not overwrite:
            skipped.append((source, target))
        else:
            to_do.append((source, target))
    return to_do, skipped


def unreadable_entry_reason(path: str | os.PathLike) -> str | None:
    """Why a folder entry cannot be read as a file (a broken link, a link loop), or None.

    Links to files are followed (wherever they point); only entries that do not lead to a
    regular file get a reason, so a batch can skip and report them instead of aborting.

    Args:
        path: A path, possibly a symbolic link.

    Returns:
        None when ``path`` leads to a regular file, else a short reason.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
        >>> unreadable_entry_reason(folder / "loop.jpg")
        'symbolic link loop'
    """
    path = Path(path)
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
        if os.path.islink(path):
            return f"broken symbolic link (its target '{os.readlink(path)}' does not exist)"
        if error.errno == errno.ENOENT:
            return "no such file or folder"
        return f"cannot access it ({error.strerror})"
    if os.path.isdir(path):
        return "a folder"
    if not os.path.isfile(path):
        return "not a regular file"
    return None
