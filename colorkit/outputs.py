"""Output-file policy shared by the CLI, the video writer and the library.

The promises (README, "What colorkit promises about your files"; tests/test_hostile_inputs.py):

- an existing file is never replaced unless the caller asks for it (``--overwrite`` on the
  command line, ``overwrite=True`` in the API); a skipped output is reported and counted, so
  re-running a folder continues where it stopped;
- a write that fails (read-only file system, no permission, disk full, a folder at the file's
  path) leaves no partial file and is reported in one line naming the path and the cause;
- an output path taken by a folder, or under a file, is reported before any work, never
  counted as done (:func:`split_existing`);
- an output's name is a function of its input's name only (:func:`output_name`), and two
  inputs whose outputs are equal up to letter case are refused, not renamed
  (:func:`case_collisions`);
- temporary files a killed run left behind (``.<name>.colorkit-<host>-<pid>-<random>.tmp``, and
  only those) are removed by the next run at once
  (:func:`colorkit.atomic.remove_stale_temporaries`).
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


#: The input extension whose photos keep their plain stem: ``x.jpg`` -> ``x.png``.
PLAIN_EXTENSION = ".jpg"


def output_name(path: str | os.PathLike) -> str:
    """The output file name of the photo at ``path``: a pure function of its name.

    ``x.jpg`` -> ``x.png``; any other extension is kept in the name, as written:
    ``x.JPG`` -> ``x_JPG.png``, ``x.png`` -> ``x_png.png``, ``x.jpeg`` -> ``x_jpeg.png``.
    So photos of one folder that share a stem get distinct outputs, and a photo's output
    never depends on which other files exist. (Names that differ only in case, like ``X.jpg``
    and ``x.jpg``, are told apart by :func:`case_collisions`.)

    Args:
        path: An input photo.

    Returns:
        The output's file name (no folder).

    Example:
        >>> [output_name(name) for name in ("x.jpg", "x.JPG", "x.png", "dir/y.tif")]
        ['x.png', 'x_JPG.png', 'x_png.png', 'y_tif.png']
    """
    path = Path(path)
    if path.suffix == PLAIN_EXTENSION or not path.suffix:
        return f"{path.stem}.png"
    return f"{path.stem}_{path.suffix[1:]}.png"


def case_collisions(jobs: Sequence[tuple[Path, Path]]) -> tuple[list, list[tuple[Path, str]]]:
    """Refuse jobs whose output equals an earlier job's output, up to letter case.

    On a case-insensitive file system (macOS, Windows, many USB disks) ``X.png`` and ``x.png``
    are one file; the later job (in the given order) is refused rather than renamed, so no
    output name ever depends on other files.

    Args:
        jobs: ``(input, output)`` pairs.

    Returns:
        ``(kept, refused)``: ``refused`` holds ``(input, reason)``.

    Example:
        >>> jobs = [(Path("a/x.jpg"), Path("o/x.png")), (Path("a/X.jpg"), Path("o/X.png"))]
        >>> kept, refused = case_collisions(jobs)
        >>> len(kept), refused[0][1][:60]
        (1, "its output 'o/X.png' is that of 'a/x.jpg' up to letter case ")
    """
    first: dict[str, Path] = {}
    kept, refused = [], []
    for source, target in jobs:
        key = os.path.normcase(os.fspath(target)).casefold()
        if key in first:
            refused.append(
                (
                    source,
                    f"its output '{target}' is that of '{first[key]}' up to letter case (one "
                    "file on a case-insensitive file system): rename one of them",
                )
            )
            continue
        first[key] = source
        kept.append((source, target))
    return kept, refused


def split_existing(
    jobs: Sequence[tuple[Path, Path]], overwrite: bool = False
) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path]], list[tuple[Path, str]]]:
    """Separate ``(input, output)`` jobs whose output already exists, or cannot be written.

    Also removes the temporary files killed runs left in the output folders
    (:func:`colorkit.atomic.remove_stale_temporaries`: colorkit's own, nothing else).

    Args:
        jobs: ``(input file, output file)`` pairs.
        overwrite: Keep every job whose output is a file (it will be replaced).

    Returns:
        ``(to_do, skipped, blocked)``: ``skipped`` holds the jobs whose output file exists
        (empty with ``overwrite=True``); ``blocked`` holds ``(input, reason)`` for the jobs
        whose output path is taken by a folder, or lies under a file (never written, with or
        without ``overwrite``).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.png").write_bytes(b"mine")
        >>> (folder / "b.png").mkdir()
        >>> jobs = [(folder / "a.jpg", folder / "a.png"), (folder / "b.jpg", folder / "b.png")]
        >>> to_do, skipped, blocked = split_existing(jobs)
        >>> len(to_do), len(skipped), blocked[0][1].endswith("a folder exists at that path")
        (0, 1, True)
    """
    to_do, skipped, blocked = [], [], []
    cleaned: set[Path] = set()
    for source, target in jobs:
        target = Path(target)
        if target.parent not in cleaned:
            atomic.remove_stale_temporaries(target.parent)
            cleaned.add(target.parent)
        problem = output_path_problem(target)
        if problem is not None:
            blocked.append((source, f"cannot write '{target}': {problem}"))
        elif os.path.lexists(target) and not overwrite:
            skipped.append((source, target))
        else:
            to_do.append((source, target))
    return to_do, skipped, blocked


def output_path_problem(path: str | os.PathLike) -> str | None:
    """Why nothing can ever be written at ``path`` (a folder there, a file above it), or None.

    Args:
        path: An output file.

    Returns:
        None when ``path`` is free or a file (which ``overwrite`` may replace); else a short
        reason naming the obstacle.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "notes.txt").write_text("mine")
        >>> output_path_problem(folder / "notes.txt" / "a.png")  # doctest: +ELLIPSIS
        "a file exists where a folder is needed ('...notes.txt')"
        >>> output_path_problem(folder / "free.png") is None
        True
    """
    path = Path(path)
    if path.is_dir():
        return _CAUSES[errno.EISDIR]
    for parent in path.parents:
        if os.path.lexists(parent):
            if not parent.is_dir():
                return f"{_CAUSES[errno.ENOTDIR]} ('{parent}')"
            return None
    return None


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
