"""Photo folders from git repository snapshots: the public collections of real photos.

Several public collections of real photographs live in git repositories (Imagenette, Imagewoof,
Caltech-101, Intel scenes, UTKFace: see ``docs/MODEL_CARD.md``). :func:`export_snapshot` reads a
bare git directory with ``git ls-tree`` and ``git cat-file --batch`` (no checkout), and writes
each distinct photo blob, byte for byte, into a folder outside the project. Every exported file
is decoded once: unreadable blobs, grayscale photos (:func:`~colorkit.data.images.is_grayscale`),
photos smaller than ``min_side`` and later versions of an exported path are left out and
counted. A ``SOURCE.json`` manifest next
to the photos records the repository, the commits, and each photo's source path and blob, so a
model card can say exactly where every training photo came from.

Example:
    >>> sorted(SNAPSHOT_SOURCES)[:2]
    ['caltech101', 'imagenette']
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from colorkit import atomic
from colorkit.data.images import has_image_extension, is_grayscale

MANIFEST = "SOURCE.json"


@dataclasses.dataclass(frozen=True)
class SnapshotSource:
    """Where one collection's photos are in its repository.

    Attributes:
        repository: GitHub ``owner/name``.
        prefixes: Paths (folders) inside the repository whose images are exported.
        exclude: Path fragments whose images are left out (e.g. Caltech-101's background class).
        commits: A ``first..last`` range whose commits' trees are all read (blobs that only
            live in the history), or None for the snapshot's HEAD.
        min_side: Photos whose short side is smaller are left out (lower-resolution copies).
        terms: The collection's original terms of use, for the model card.
    """

    repository: str
    prefixes: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    commits: str | None = None
    min_side: int = 96
    terms: str = ""


#: The collections the multi-source recipe trains on (names are the photo folders' names).
SNAPSHOT_SOURCES = {
    "imagenette": SnapshotSource(
        "thunderInfy/imagenette", ("train/", "val/"), terms="ImageNet terms (research)"
    ),
    "imagewoof": SnapshotSource(
        "q878787/imagewoof2-320", ("train/", "val/"), terms="ImageNet terms (research)"
    ),
    "caltech101": SnapshotSource(
        "rubenIng93/Homework2-Caltech101",
        ("101_ObjectCategories/",),
        exclude=("BACKGROUND_Google",),
        terms="Caltech-101 terms (research)",
    ),
    "intel-scenes": SnapshotSource(
        "afroozsheikh/Intel-Image-Classifier",
        ("train/", "test/"),
        commits="5b571f44..b48be1d6",
        min_side=150,
        terms="Intel Image Classification data terms (research)",
    ),
    "utkface": SnapshotSource(
        "xerow03/UTKFace", ("data/",), terms="UTKFace: non-commercial research only"
    ),
}


def _git(git_dir: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise ValueError(
            f"git {' '.join(args)} failed in {str(git_dir)!r}: {result.stderr.strip()}. "
            f"Received: git_dir={str(git_dir)!r}"
        )
    return result.stdout


def _commits(git_dir: Path, commits: str | None) -> list[str]:
    if commits is None:
        return [_git(git_dir, "rev-parse", "HEAD").strip()]
    first, _, last = commits.partition("..")
    if not first or not last:
        raise ValueError(f"commits must be 'first..last'. Received: commits={commits!r}")
    # The range includes its first commit (rev-list A..B leaves A out; A may be a root).
    start = _git(git_dir, "rev-parse", "--verify", f"{first}^{{commit}}").strip()
    return [start, *_git(git_dir, "rev-list", "--reverse", f"{first}..{last}").split()]


def list_snapshot_blobs(
    git_dir: str | os.PathLike,
    prefixes: Sequence[str],
    exclude: Sequence[str] = (),
    commits: str | None = None,
) -> list[tuple[str, str, str]]:
    """The distinct image blobs under some folders of one or several commits.

    Args:
        git_dir: A git directory (bare, or a ``.git`` folder).
        prefixes: Folders inside the repository (e.g. ``("train/", "val/")``).
        exclude: Path fragments to leave out.
        commits: ``"first..last"`` (inclusive) or None for HEAD.

    Returns:
        ``(commit, path, blob sha)`` per distinct blob, the first commit that holds it, sorted
        by path, then by commit from the oldest.

    Raises:
        ValueError: If git fails or ``commits`` is malformed.
    """
    git_dir = Path(git_dir)
    seen: dict[str, tuple[str, str, str]] = {}
    order = {}
    for index, commit in enumerate(_commits(git_dir, commits)):
        order[commit] = index
        for line in _git(git_dir, "ls-tree", "-r", commit, "--", *prefixes).splitlines():
            meta, _, path = line.partition("\t")
            _, kind, sha = meta.split()
            if kind != "blob" or not has_image_extension(path):
                continue
            if any(part in path for part in exclude) or sha in seen:
                continue
            seen[sha] = (commit, path, sha)
    return sorted(seen.values(), key=lambda item: (item[1], order[item[0]]))


def _read_blobs(git_dir: Path, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Streams blob contents with one ``git cat-file --batch`` process."""
    process = subprocess.Popen(
        ["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        for sha in shas:
            process.stdin.write(f"{sha}\n".encode())
            process.stdin.flush()
            header = process.stdout.readline().split()
            if len(header) != 3:
                raise ValueError(f"git cat-file did not find blob {sha}. Received: sha={sha!r}")
            content = process.stdout.read(int(header[2]))
            process.stdout.read(1)  # the newline after each object
            yield sha, content
    finally:
        process.stdin.close()
        process.wait()


def _check_photo(content: bytes, min_side: int) -> str | None:
    """Why a blob is not a usable color photo, or None when it is."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            short_side = min(image.size)
            image.draft("RGB", (128, 128))  # a reduced decode still detects truncation
            array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        return f"unreadable ({type(error).__name__}: {error})"
    if short_side < min_side:
        return f"smaller than {min_side} px ({short_side} px short side)"
    if is_grayscale(array):
        return "grayscale"
    return None


def _output_name(path: str, sha: str, taken: set[str]) -> str:
    name = path
    if name.lower() in taken:
        stem, dot, extension = path.rpartition(".")
        name = f"{stem}.{sha[:10]}{dot}{extension}"
    taken.add(name.lower())
    return name


def export_snapshot(
    git_dir: str | os.PathLike,
    destination: str | os.PathLike,
    source: SnapshotSource,
    progress: bool = True,
) -> dict:
    """Writes one collection's distinct color photos from a git snapshot into a folder.

    Resumable: photos already in the folder with the right size are not written again, and the
    manifest is written last (atomically), so a folder with a manifest is complete.

    Args:
        git_dir: The snapshot's git directory.
        destination: The photo folder (created; keep it outside the project).
        source: Which paths and commits to read (:data:`SNAPSHOT_SOURCES`).
        progress: Show a progress bar.

    Returns:
        The manifest: ``repository``, ``commits``, ``photos`` (``name``, ``path``, ``commit``,
        ``blob``), ``skipped`` (``path``, ``blob``, ``reason``) and counts.

    Raises:
        ValueError: If git fails or no photo is usable.
    """
    git_dir, destination = Path(git_dir), Path(destination)
    blobs = list_snapshot_blobs(git_dir, source.prefixes, source.exclude, source.commits)
    if not blobs:
        raise ValueError(
            f"No image blobs under {list(source.prefixes)} in {str(git_dir)!r}. "
            f"Received: source={source!r}"
        )
    destination.mkdir(parents=True, exist_ok=True)
    photos, skipped, taken, exported = [], [], set(), set()
    by_sha = {sha: (commit, path) for commit, path, sha in blobs}
    stream = _read_blobs(git_dir, [sha for _, _, sha in blobs])
    bar = tqdm(stream, total=len(blobs), desc=source.repository, disable=not progress)
    for sha, content in bar:
        commit, path = by_sha[sha]
        # Several versions of one path (re-encoded in a later commit) are one photo: the
        # first usable version is kept, so no photo lands in two splits under two names.
        reason = "another version of an exported path" if path in exported else None
        reason = reason or _check_photo(content, source.min_side)
        if reason is not None:
            skipped.append({"path": path, "blob": sha, "reason": reason})
            if not reason.startswith("smaller"):  # a later, larger version may still do
                exported.add(path)
            continue
        exported.add(path)
        name = _output_name(path, sha, taken)
        target = destination / name
        if not (target.exists() and target.stat().st_size == len(content)):
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic.atomic_path(target) as temporary:
                temporary.write_bytes(content)
        photos.append({"name": name, "path": path, "commit": commit, "blob": sha})
    if not photos:
        raise ValueError(f"No usable color photo in {source.repository}: {len(skipped)} skipped")
    manifest = {
        "repository": source.repository,
        "commits": sorted({photo["commit"] for photo in photos}),
        "prefixes": list(source.prefixes),
        "terms": source.terms,
        "num_photos": len(photos),
        "num_skipped": len(skipped),
        "skipped_reasons": _count_reasons(skipped),
        "photos": photos,
        "skipped": skipped,
    }
    atomic.write_json(destination / MANIFEST, manifest)
    return manifest


def _count_reasons(skipped: Sequence[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in skipped:
        key = item["reason"].split(" (")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts
