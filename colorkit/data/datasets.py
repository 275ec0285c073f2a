"""Where photos come from: listing and scanning sources, splits, the dataset registry.

Sources of images: a folder (searched recursively), a single file, a list of paths, an
uncompressed ``.tar`` archive (see :mod:`colorkit.data.images`), or the named datasets of
:data:`DATASETS` (``imagenet-sample``, ``bsds500``, ``cifar10`` and the ``samples`` shipped inside
scikit-image, scikit-learn and matplotlib). :func:`resolve_source` is the one place a source
becomes photo paths; :func:`download_dataset` is only ever called explicitly.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import importlib.metadata
import io
import math
import os
import pickle
import re
import shutil
import statistics
import tarfile
import tempfile
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from colorkit import _checks
from colorkit.data.images import (
    ARCHIVE_SEPARATOR,
    IMAGE_EXTENSIONS,
    ImageReadError,
    has_image_extension,
    is_archive,
    is_grayscale,
    load_images,
    open_image,
    progress_bar,
    read_image,
    split_reference,
    tar_index,
)

__all__ = [
    "DATASETS",
    "DatasetCard",
    "DatasetInfo",
    "ScanReport",
    "available_datasets",
    "dataset_card",
    "dataset_paths",
    "dataset_root",
    "download_dataset",
    "list_images",
    "load_samples",
    "resolve_source",
    "sample_paths",
    "scan_images",
    "split_paths",
]

_REPO_ROOT = Path(__file__).resolve().parents[2]


_ENV_DATA = "COLORKIT_DATA"


# ----------------------------------------------------------------------------------------------
# Listing and scanning
# ----------------------------------------------------------------------------------------------


def list_images(source: Any, recursive: bool = True) -> list[str]:
    """Lists the image files of a folder, a file, a list of paths or a tar archive.

    Args:
        source: a folder (searched recursively by default; hidden files and folders skipped), an
            image file, an uncompressed ``.tar`` archive (optionally ``"archive.tar::prefix/"``
            to keep members under a prefix), or a sequence of paths (returned as given).
        recursive: search sub-folders of a folder.

    Returns:
        Sorted list of str paths (archive members as ``"archive.tar::member"``) whose names end
        with one of :data:`IMAGE_EXTENSIONS` (case-insensitive).

    Raises:
        FileNotFoundError: the folder, file or archive does not exist.
        ValueError: no image file was found (the message names the source).
        TypeError: ``source`` is of a wrong type.
    """
    if not isinstance(source, str | os.PathLike):
        return _checks.check_paths("source", source)
    source = os.fspath(source)
    archive, prefix = split_reference(source)
    if prefix is not None or is_archive(source):
        names = sorted(
            name
            for name in tar_index(archive)
            if name.startswith(prefix or "") and has_image_extension(name)
        )
        if not names:
            raise ValueError(
                f"No image files ({', '.join(IMAGE_EXTENSIONS)}) found in archive {archive!r}"
                + (f" under prefix {prefix!r}" if prefix else "")
                + f". Received: source={source!r}"
            )
        return [f"{archive}{ARCHIVE_SEPARATOR}{name}" for name in names]
    if os.path.isfile(source):
        return [source]
    if not os.path.isdir(source):
        raise FileNotFoundError(f"Image source not found (no such file or folder): {source!r}")
    paths = []
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".")) if recursive else []
        paths.extend(
            os.path.join(folder, name)
            for name in files
            if not name.startswith(".") and has_image_extension(name)
        )
    if not paths:
        raise ValueError(
            f"No image files ({', '.join(IMAGE_EXTENSIONS)}) found in folder {source!r}"
            f"{' or its sub-folders' if recursive else ''}. Received: source={source!r}"
        )
    return sorted(paths)


@dataclasses.dataclass
class ScanReport:
    """What :func:`scan_images` found.

    Attributes:
        source: the scanned source, as text.
        paths: usable color images (and grayscale ones when they were not skipped).
        skipped: ``(path, reason)`` for files that could not be read.
        grayscale: paths of grayscale photos (excluded from ``paths`` when skipped).
        sizes: ``{path: (height, width)}`` of every decoded image (empty when not checked).
        checked: whether files were decoded (``check=True``) or only listed.
        grayscale_skipped: whether grayscale photos were left out of ``paths``.
    """

    source: str
    paths: list[str] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    grayscale: list[str] = dataclasses.field(default_factory=list)
    sizes: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)
    checked: bool = True
    grayscale_skipped: bool = True

    @property
    def num_files(self) -> int:
        """Number of image files listed (usable, grayscale and skipped together)."""
        gray_outside = len(self.grayscale) if self.grayscale_skipped else 0
        return len(self.paths) + len(self.skipped) + gray_outside

    def summary(self) -> str:
        """A short human-readable account, naming the first few skipped files."""
        if not self.checked:
            return (
                f"{self.source}: {len(self.paths)} image files listed "
                f"(not decoded: corrupt and grayscale files were not checked)"
            )
        gray_action = "skipped" if self.grayscale_skipped else "kept"
        lines = [
            f"{self.source}: {self.num_files} image files, {len(self.paths)} usable, "
            f"{len(self.grayscale)} grayscale ({gray_action}), {len(self.skipped)} unreadable"
        ]
        lines += [f"  unreadable: {path}: {reason}" for path, reason in self.skipped[:5]]
        if len(self.skipped) > 5:
            lines.append(f"  ... and {len(self.skipped) - 5} more unreadable files")
        lines += [f"  grayscale: {path}" for path in self.grayscale[:5]]
        if len(self.grayscale) > 5:
            lines.append(f"  ... and {len(self.grayscale) - 5} more grayscale photos")
        return "\n".join(lines)


def _inspect(path: str) -> tuple[tuple[int, int], bool]:
    """(height, width) and grayscale flag, decoding JPEGs at a reduced scale for speed."""
    sizes: list[tuple[int, int]] = []
    image = open_image(path, draft_size=128, sizes=sizes)
    array = image if isinstance(image, np.ndarray) else np.asarray(image)
    return sizes[0], is_grayscale(array)


def scan_images(
    source: Any,
    skip_grayscale: bool = True,
    check: bool = True,
    progress: bool = True,
    num_workers: int | None = None,
) -> ScanReport:
    """Lists a source's images and sorts out the unusable ones, reporting every file it drops.

    With ``check=True`` every file is decoded (JPEGs at a reduced scale, which still detects
    truncation): corrupt or non-image files go to ``.skipped`` with the reason, and grayscale
    photos (:func:`is_grayscale`) to ``.grayscale``. A ``UserWarning`` names unreadable files.
    With ``check=False`` the files are only listed (cheap: 50,000 archive members in about a
    second).

    Args:
        source: anything :func:`list_images` accepts.
        skip_grayscale: leave grayscale photos out of ``.paths`` (they stay in ``.grayscale``).
        check: decode every file; otherwise only list.
        progress: show a tqdm progress bar (only when stderr is a terminal).
        num_workers: decoding threads (default: up to 4, limited by the CPU count).

    Returns:
        A :class:`ScanReport`.

    Raises:
        FileNotFoundError: the source does not exist.
        ValueError: the source holds no image files, or no usable color image.
    """
    paths = list_images(source)
    label = source if isinstance(source, str | os.PathLike) else f"{len(paths)} listed paths"
    report = ScanReport(
        source=os.fspath(label) if isinstance(label, os.PathLike) else str(label),
        checked=bool(check),
        grayscale_skipped=bool(skip_grayscale),
    )
    if not check:
        report.paths = paths
        return report
    workers = num_workers if num_workers is not None else min(4, os.cpu_count() or 1)
    workers = _checks.check_int("num_workers", workers)

    def inspect(path: str) -> tuple[str, Any, str | None]:
        try:
            size, gray = _inspect(path)
            return path, (size, gray), None
        except (ImageReadError, FileNotFoundError, ValueError) as error:
            return path, None, str(error)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = progress_bar(pool.map(inspect, paths), len(paths), "scanning images", progress)
        for path, info, reason in results:
            if info is None:
                report.skipped.append((path, reason))
                continue
            size, gray = info
            report.sizes[path] = size
            if gray:
                report.grayscale.append(path)
                if skip_grayscale:
                    continue
            report.paths.append(path)
    if report.skipped:
        warnings.warn(
            f"Skipped {len(report.skipped)} unreadable file(s) in {report.source}, e.g. "
            f"{report.skipped[0][1]}",
            UserWarning,
            stacklevel=2,
        )
    if not report.paths:
        raise ValueError(
            f"No usable color image in {report.source}: {len(report.grayscale)} grayscale, "
            f"{len(report.skipped)} unreadable of {len(paths)} image files.\n{report.summary()}"
        )
    return report


def split_paths(
    paths: Sequence[str | os.PathLike],
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> tuple[list[str], ...]:
    """Splits paths into disjoint subsets, deterministically.

    The paths are de-duplicated and sorted, then permuted with ``numpy.random.default_rng(seed)``,
    so the same seed gives the same split whatever the input order. Split ``i`` gets
    ``round(cumsum(fractions)[i] * n) - round(cumsum(fractions)[i - 1] * n)`` paths.

    Args:
        paths: a non-empty sequence of paths.
        fractions: non-negative fractions summing to 1, one per subset.
        seed: non-negative integer seed.

    Returns:
        A tuple of lists of str, one per fraction (e.g. ``(train, val, test)``).

    Raises:
        ValueError: empty ``paths``, or bad fractions or seed.
        TypeError: ``paths`` is a single path or holds non-paths.

    Example:
        >>> train, val, test = split_paths([f"{i}.jpg" for i in range(10)], seed=0)
        >>> len(train), len(val), len(test)
        (8, 1, 1)
        >>> split_paths([f"{i}.jpg" for i in reversed(range(10))], seed=0)[1] == val
        True
    """
    paths = _checks.check_paths("paths", paths)
    try:
        fractions = [float(f) for f in fractions]
    except (TypeError, ValueError):
        raise ValueError(
            f"fractions must be a sequence of numbers. Received: fractions={fractions!r}"
        ) from None
    if (
        not fractions
        or any(not math.isfinite(f) or f < 0 for f in fractions)
        or abs(sum(fractions) - 1.0) > 1e-6
    ):
        raise ValueError(
            f"fractions must be non-negative and sum to 1. Received: fractions={fractions!r}"
        )
    seed = _checks.check_seed(seed)
    unique = sorted(set(paths))
    if len(unique) < len(paths):
        warnings.warn(
            f"split_paths: dropped {len(paths) - len(unique)} duplicate path(s)",
            UserWarning,
            stacklevel=2,
        )
    order = np.random.default_rng(int(seed)).permutation(len(unique))
    shuffled = [unique[i] for i in order]
    bounds = [0] + [round(c * len(unique)) for c in np.cumsum(fractions)]
    bounds[-1] = len(unique)
    return tuple(shuffled[start:stop] for start, stop in zip(bounds[:-1], bounds[1:], strict=True))


# ----------------------------------------------------------------------------------------------
# Dataset registry
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A named dataset: where it lives under the data root and where it comes from.

    Attributes:
        name: registry key, e.g. ``"bsds500"``.
        description: one line.
        licence: the licence as published.
        url: public download URL, or None when there is none.
        sha256: expected SHA-256 of the download, or None when not pinned yet: then
            :func:`download_dataset` refuses to download unless given a trusted
            ``sha256=`` (nothing unverified is ever unpacked).
        folder: the dataset's folder under the data root (``<root>/<folder>``).
        archive: an uncompressed tar inside ``folder`` holding the images, or None.
        splits: ``{split: sub-folder}`` (or ``{split: member prefix}`` for an archive); empty
            when the dataset has no splits.
        extractor: how :func:`download_dataset` unpacks the download (``"bsds500"``,
            ``"cifar10-python"``) or None.
        held_out: ``(val, test)`` fractions of a folder without split folders: each photo's
            split is decided by a hash of its path inside the folder
            (:func:`hashed_split`), so it never depends on which other photos exist.
    """

    name: str
    description: str
    licence: str
    url: str | None = None
    sha256: str | None = None
    folder: str = ""
    archive: str | None = None
    splits: Mapping[str, str] = dataclasses.field(default_factory=dict)
    extractor: str | None = None
    held_out: tuple[float, float] | None = None


DATASETS: dict[str, DatasetInfo] = {
    "imagenet-sample": DatasetInfo(
        name="imagenet-sample",
        description="800 ImageNet photos, one per class (68 to 2400 px); about 3 % grayscale",
        licence="ImageNet terms of access (non-commercial research and education)",
        folder="imagenet-sample",
    ),
    "bsds500": DatasetInfo(
        name="bsds500",
        description="Berkeley Segmentation Dataset 500: 200/100/200 photos, 481x321",
        licence="non-commercial research and education (as published by UC Berkeley)",
        # https (the EECS site serves it; the old http:// address redirected there). The
        # SHA-256 is not pinned: it could not be computed when this entry was written (no
        # network), so download_dataset("bsds500") needs sha256= from a trusted source.
        url=(
            "https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/BSR/"
            "BSR_bsds500.tgz"
        ),
        folder="bsds500",
        splits={"train": "train", "val": "val", "test": "test"},
        extractor="bsds500",
    ),
    "cifar10": DatasetInfo(
        name="cifar10",
        description="CIFAR-10 training split: 50,000 JPEG 32x32 in train.tar (train/<class>/)",
        licence="CIFAR-10 terms (free for research; cite Krizhevsky 2009)",
        url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        folder="cifar10",
        archive="train.tar",
        splits={"train": "train/"},
        extractor="cifar10-python",
    ),
    **{
        name: DatasetInfo(
            name=name,
            description=description,
            licence=licence,
            folder=name,
            splits={"train": "", "val": "", "test": ""},
            held_out=(0.025, 0.025),
        )
        for name, description, licence in (
            (
                "imagenette",
                "Imagenette: 13,394 ImageNet photos of 10 classes, 224x224 (GitHub snapshot)",
                "ImageNet terms of access (non-commercial research and education)",
            ),
            (
                "imagewoof",
                "Imagewoof: 12,954 ImageNet photos of 10 dog breeds, short side 320",
                "ImageNet terms of access (non-commercial research and education)",
            ),
            (
                "caltech101",
                "Caltech-101: about 8,700 photos of 101 object classes, about 300x200",
                "Caltech-101 terms (research)",
            ),
            (
                "intel-scenes",
                "Intel scenes: about 13,900 photos of 6 scene classes, 150x150",
                "Intel Image Classification terms (research)",
            ),
            (
                "utkface",
                "UTKFace: 23,708 aligned faces of all ages, 200x200",
                "UTKFace terms: non-commercial research only",
            ),
        )
    },
    "samples": DatasetInfo(
        name="samples",
        description="color photos shipped inside scikit-image, scikit-learn and matplotlib",
        licence="see each package (public domain, CC0 or CC-BY; scikit-image's data/README)",
    ),
}
"""The named datasets, by name. See :func:`dataset_paths` and :func:`download_dataset`."""


# (name, package, path inside the installed package)
_SAMPLES = (
    ("astronaut", "skimage", "data/astronaut.png"),
    ("chelsea", "skimage", "data/chelsea.png"),
    ("coffee", "skimage", "data/coffee.png"),
    ("rocket", "skimage", "data/rocket.jpg"),
    ("motorcycle_left", "skimage", "data/motorcycle_left.png"),
    ("hubble_deep_field", "skimage", "data/hubble_deep_field.jpg"),
    ("china", "sklearn", "datasets/images/china.jpg"),
    ("flower", "sklearn", "datasets/images/flower.jpg"),
    ("grace_hopper", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
)


def available_datasets() -> list[str]:
    """Names of the registered datasets.

    Returns:
        Sorted list of str.

    Example:
        >>> available_datasets()  # doctest: +NORMALIZE_WHITESPACE
        ['bsds500', 'caltech101', 'cifar10', 'imagenet-sample', 'imagenette', 'imagewoof',
         'intel-scenes', 'samples', 'utkface']
    """
    return sorted(DATASETS)


def _dataset_info(name: Any) -> DatasetInfo:
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(
            f"Unknown dataset: expected one of {available_datasets()}. Received: name={name!r}"
        )
    return DATASETS[name]


def default_data_root() -> Path:
    """The data root for named datasets: ``$COLORKIT_DATA``, else ``~/.cache/colorkit``.

    ``~/.cache`` is ``$XDG_CACHE_HOME`` where that is set. :func:`download_dataset` unpacks
    there by default, and :func:`dataset_root` looks there first, wherever colorkit is
    installed (a checkout's ``data/`` and ``../shared/data`` are looked in after it).

    Returns:
        The folder (it need not exist yet).

    Example:
        >>> root = default_data_root()  # e.g. /home/me/.cache/colorkit
        >>> root == Path(os.environ["COLORKIT_DATA"]) if "COLORKIT_DATA" in os.environ else (
        ...     root.name == "colorkit")
        True
    """
    if os.environ.get(_ENV_DATA):
        return Path(os.environ[_ENV_DATA]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "colorkit"


def _data_root_candidates() -> list[Path]:
    candidates = [default_data_root()]
    candidates += [_REPO_ROOT / "data", _REPO_ROOT.parent / "shared" / "data"]
    # Photo folders exported from git snapshots (scripts/export_snapshot.py) beside the checkout.
    candidates.append(_REPO_ROOT.parent / "photos")
    candidates.append(Path.cwd().parent / "shared" / "data")
    unique = []
    for candidate in candidates:
        if candidate not in unique:
            unique.append(candidate)
    return unique


def dataset_root(name: str) -> Path:
    """Finds a dataset's folder on disk.

    Looks for ``<data root>/<folder>`` in order under: :func:`default_data_root`
    (``$COLORKIT_DATA``, else ``~/.cache/colorkit``), then, in a checkout, ``<repo>/data``,
    ``<repo>/../shared/data`` and ``<cwd>/../shared/data`` (``<repo>`` is the folder holding the
    ``colorkit`` package). Nothing is downloaded.

    Args:
        name: a registered dataset name (not ``"samples"``, which lives in installed packages).

    Returns:
        Path of the dataset's folder (for ``cifar10`` the folder that holds ``train.tar``).

    Raises:
        ValueError: unknown name, or ``"samples"``.
        FileNotFoundError: not found; the message lists where it looked and how to get it.
    """
    info = _dataset_info(name)
    if name == "samples":
        raise ValueError(
            "Dataset 'samples' has no folder: its photos live inside installed packages; use "
            "sample_paths(). Received: name='samples'"
        )
    looked = []
    for root in _data_root_candidates():
        folder = root / info.folder
        target = folder / info.archive if info.archive else folder
        looked.append(str(target))
        if target.exists():
            return folder
    root = default_data_root()
    layout = "/".join(info.splits.values()) if info.splits else info.archive or "photos"
    if info.url and info.sha256:
        how = f"Download it with colorkit.data.download_dataset({name!r}) (into {root})."
    elif info.url:
        how = (
            f"Download {info.url}, unpack it, and put its photos in {root / info.folder}/ "
            f"({layout}), or set {_ENV_DATA} to a folder holding {info.folder}/ (no SHA-256 is "
            f"pinned for {name!r} yet, so download_dataset needs sha256= from a source you "
            "trust)."
        )
    else:
        how = (
            f"{name!r} has no public download: copy the photos yourself to "
            f"{root / info.folder}/, or set {_ENV_DATA} to a folder holding {info.folder}/."
        )
    raise FileNotFoundError(f"Dataset {name!r} not found. Looked in: {', '.join(looked)}. {how}")


def dataset_paths(name: str, split: str | None = None) -> list[str]:
    """Lists a registered dataset's image files (no decoding; see :func:`scan_images`).

    Args:
        name: a name from :func:`available_datasets`.
        split: one of the dataset's splits (``bsds500``: ``train``, ``val``, ``test``;
            ``cifar10``: ``train``), or None for all of it.

    Returns:
        Sorted list of str paths (``"train.tar::member"`` references for ``cifar10``).

    Raises:
        ValueError: unknown dataset or split.
        FileNotFoundError: the dataset is not on disk (see :func:`dataset_root`).
    """
    info = _dataset_info(name)
    if split is not None and split not in info.splits:
        raise ValueError(
            f"Unknown split for dataset {name!r}: expected one of {sorted(info.splits)} or None. "
            f"Received: split={split!r}"
        )
    if name == "samples":
        paths = list(sample_paths().values())
        if not paths:
            raise FileNotFoundError(
                "No sample photo found in the installed scikit-image, scikit-learn or matplotlib."
            )
        return paths
    folder = dataset_root(name)
    if info.archive:
        prefix = info.splits[split] if split else ""
        return list_images(f"{folder / info.archive}{ARCHIVE_SEPARATOR}{prefix}")
    if split is None:
        return list_images(folder)
    if info.held_out is not None:
        paths = list_images(folder)
        held_out = info.held_out
        return [p for p in paths if hashed_split(os.path.relpath(p, folder), held_out) == split]
    return list_images(folder / info.splits[split])


def hashed_split(name: str, held_out: Sequence[float] = (0.025, 0.025)) -> str:
    """The split of one photo, from a hash of its name: ``"train"``, ``"val"`` or ``"test"``.

    The first 8 bytes of the SHA-256 of the name, as a fraction of 2**64, fall in
    ``[0, val)`` (val), ``[val, val + test)`` (test) or above (train). A photo's split depends
    on its own name only, so adding photos to a folder never moves another photo between splits.

    Args:
        name: The photo's path relative to its collection's folder (``/`` separated).
        held_out: ``(val, test)`` fractions, each in [0, 1], summing to at most 1.

    Returns:
        The split's name.

    Raises:
        ValueError: For fractions out of range.

    Example:
        >>> [hashed_split(f"{i}.jpg", (0.5, 0.5)) for i in range(4)]
        ['val', 'val', 'test', 'test']
    """
    val, test = (float(value) for value in held_out)
    if not (0 <= val <= 1 and 0 <= test <= 1 and val + test <= 1):
        raise ValueError(
            f"held_out must be two fractions in [0, 1] summing to at most 1. "
            f"Received: held_out={held_out!r}"
        )
    digest = hashlib.sha256(name.replace(os.sep, "/").encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    if position < val:
        return "val"
    return "test" if position < val + test else "train"


def resolve_source(
    source: Any, split: str | None = None, check: bool = True, progress: bool = False
) -> ScanReport:
    """Turn a dataset source into photo paths: the one place that does it.

    Args:
        source: A registered dataset name (:data:`DATASETS`), a folder, a ``.tar`` archive, an
            image file, or a list of those paths.
        split: For a registered name: the split to use (None: the whole dataset).
        check: Decode every file (corrupt files and grayscale photos are left out and
            reported in ``.skipped`` / ``.grayscale``); False only lists the files.
        progress: Show a progress bar while decoding.

    Returns:
        The :class:`ScanReport` (``.paths`` are the usable photos).

    Raises:
        FileNotFoundError: If a path does not exist and is not a registered name.
        ValueError: For an empty source or no usable color image.
    """
    if isinstance(source, str) and source in DATASETS:
        source = [str(path) for path in dataset_paths(source, split=split)]
    else:
        for text in [source] if isinstance(source, str | os.PathLike) else list(source):
            if not os.path.exists(os.fspath(text).split("::")[0]):
                raise FileNotFoundError(
                    f"Dataset not found: '{text}' is neither an existing file or folder nor a "
                    f"registered dataset name ({sorted(DATASETS)})"
                )
    return scan_images(source, skip_grayscale=True, check=check, progress=progress)


#: The distribution that installs each package holding sample photos (all required deps).
_DISTRIBUTIONS = {"skimage": "scikit-image", "sklearn": "scikit-learn", "matplotlib": "matplotlib"}


def _package_dir(package: str) -> Path:
    """Folder of an installed package, located from its metadata (without importing it)."""
    return Path(importlib.metadata.distribution(_DISTRIBUTIONS[package]).locate_file(package))


def sample_paths() -> dict[str, str]:
    """The real color photos shipped inside installed packages (nothing is downloaded).

    scikit-image's ``astronaut``, ``chelsea``, ``coffee``, ``rocket``, ``motorcycle_left`` and
    ``hubble_deep_field``; scikit-learn's ``china`` and ``flower``; matplotlib's
    ``grace_hopper``. Files missing from the installed versions are left out. The packages are
    located without being imported.

    Returns:
        ``{name: file path}`` in the order above.
    """
    found = {}
    for name, package, relative in _SAMPLES:
        folder = _package_dir(package)
        if (folder / relative).is_file():
            found[name] = str(folder / relative)
    return found


def load_samples(size: int | None = None, crop: str = "center") -> dict[str, np.ndarray]:
    """Loads :func:`sample_paths` photos.

    Args:
        size: None for full resolution, or a positive int to get ``(size, size, 3)`` crops
            (see :func:`load_images`).
        crop: as in :func:`load_images`.

    Returns:
        ``{name: float32 (H, W, 3) in [0, 1]}``.
    """
    paths = sample_paths()
    if size is None:
        return {name: read_image(path) for name, path in paths.items()}
    images = load_images(list(paths.values()), size, crop=crop)
    return dict(zip(paths, images, strict=True))


@dataclasses.dataclass
class DatasetCard:
    """A dataset's vital statistics (see :func:`dataset_card`).

    Resolutions are ``(height, width)``, taken element-wise over heights and widths.
    """

    name: str
    source: str
    num_files: int
    num_images: int
    num_grayscale: int
    skipped: list[tuple[str, str]]
    min_resolution: tuple[int, int] | None
    median_resolution: tuple[int, int] | None
    max_resolution: tuple[int, int] | None
    description: str = ""
    licence: str = "unknown"
    url: str | None = None
    checked: bool = True

    def to_markdown(self) -> str:
        """A Markdown table of the card."""

        def resolution(value: tuple[int, int] | None) -> str:
            return "not measured" if value is None else f"{value[0]} x {value[1]}"

        rows = [
            ("source", f"`{self.source}`"),
            ("description", self.description or "-"),
            ("licence", self.licence),
            ("url", self.url or "none (no public download)"),
            ("image files", str(self.num_files)),
            ("usable color images", str(self.num_images)),
            ("grayscale", str(self.num_grayscale) if self.checked else "not checked"),
            ("unreadable", str(len(self.skipped)) if self.checked else "not checked"),
            ("min resolution (H x W)", resolution(self.min_resolution)),
            ("median resolution (H x W)", resolution(self.median_resolution)),
            ("max resolution (H x W)", resolution(self.max_resolution)),
        ]
        lines = [f"## Dataset card: {self.name}", "", "| field | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in rows]
        if self.skipped:
            lines += ["", "Unreadable files:", ""]
            lines += [f"- `{path}`: {reason}" for path, reason in self.skipped]
        return "\n".join(lines) + "\n"


def dataset_card(source_or_name: Any, check: bool = True, progress: bool = True) -> DatasetCard:
    """Describes a dataset: counts, resolutions, grayscale and unreadable files, licence.

    Args:
        source_or_name: a registered dataset name, or anything :func:`list_images` accepts.
        check: decode every file (needed for resolutions and the grayscale count).
        progress: show a progress bar while scanning.

    Returns:
        A :class:`DatasetCard`.

    Raises:
        FileNotFoundError, ValueError: as :func:`scan_images` and :func:`dataset_paths`.
    """
    if isinstance(source_or_name, str) and source_or_name in DATASETS:
        info = DATASETS[source_or_name]
        paths = dataset_paths(source_or_name)
        name = info.name
        source = str(dataset_root(name)) if name != "samples" else "installed packages"
    else:
        info = None
        if isinstance(source_or_name, str | os.PathLike):
            paths = name = source = os.fspath(source_or_name)
        else:
            paths = _checks.check_paths("source_or_name", source_or_name)
            name = source = f"{len(paths)} listed paths"
    report = scan_images(paths, skip_grayscale=True, check=check, progress=progress)
    sizes = list(report.sizes.values())
    if sizes:
        heights, widths = [h for h, _ in sizes], [w for _, w in sizes]
        low = (min(heights), min(widths))
        median = (int(statistics.median(heights)), int(statistics.median(widths)))
        high = (max(heights), max(widths))
    else:
        low = median = high = None
    return DatasetCard(
        name=name,
        source=source,
        num_files=report.num_files,
        num_images=len(report.paths),
        num_grayscale=len(report.grayscale),
        skipped=list(report.skipped),
        min_resolution=low,
        median_resolution=median,
        max_resolution=high,
        description=info.description if info else "",
        licence=info.licence if info else "unknown",
        url=info.url if info else None,
        checked=report.checked,
    )


# ----------------------------------------------------------------------------------------------
# Downloading (explicit calls only)
# ----------------------------------------------------------------------------------------------


# Hand-written rather than pooch.retrieve: pooch would be a dependency for this one function
# (two datasets, each downloaded once), and the refusal of an unpinned hash and the https-only
# rule are ours to state anyway.
def _download(url: str, destination: Path, progress: bool) -> str:
    """Streams ``url`` to ``destination``; returns the SHA-256 hex digest."""
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in ("https", "file"):
        raise ValueError(
            f"Unsupported URL scheme {scheme!r}: expected https (or file). Received: url={url!r}"
        )
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "colorkit"})
    with urllib.request.urlopen(request, timeout=60) as response, open(destination, "wb") as file:
        total = int(response.headers.get("Content-Length") or 0) or None
        chunks = iter(lambda: response.read(1 << 20), b"")
        for chunk in progress_bar(chunks, total and math.ceil(total / (1 << 20)), url, progress):
            digest.update(chunk)
            file.write(chunk)
    return digest.hexdigest()


def _extract_bsds500(archive: Path, destination: Path) -> None:
    """Copies ``*/BSDS500/data/images/<split>/*.jpg`` of the BSR tarball to ``<split>/``."""
    count = 0
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isreg() or parts[-5:-2] != ["BSDS500", "data", "images"]:
                continue
            split, file_name = parts[-2], parts[-1]
            if split not in ("train", "val", "test") or not has_image_extension(file_name):
                continue
            (destination / split).mkdir(parents=True, exist_ok=True)
            target = destination / split / file_name
            with tar.extractfile(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            count += 1
    if count == 0:
        raise ValueError(f"No BSDS500/data/images/<split>/*.jpg found in {archive}")


def _extract_cifar10(archive: Path, destination: Path) -> None:
    """Converts the CIFAR-10 python pickles to ``train.tar`` of ``train/<class>/<nnnn>.jpg``.

    JPEG quality 75 with 4:2:0 chroma, like the shared copy. The pickles are loaded only after
    the download's SHA-256 was verified (or from a file you provided).
    """
    with tarfile.open(archive) as tar:
        members = {Path(m.name).name: m for m in tar if m.isreg()}
        if "batches.meta" not in members:
            raise ValueError(f"{archive} is not the CIFAR-10 python archive (no batches.meta)")
        with tar.extractfile(members["batches.meta"]) as file:
            meta = pickle.load(file, encoding="bytes")
        classes = [label.decode() for label in meta[b"label_names"]]
        counts = dict.fromkeys(classes, 0)
        destination.mkdir(parents=True, exist_ok=True)
        with tarfile.open(destination / "train.tar", "w") as out:
            for batch in range(1, 6):
                with tar.extractfile(members[f"data_batch_{batch}"]) as file:
                    content = pickle.load(file, encoding="bytes")
                pixels = np.asarray(content[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
                for image, label in zip(pixels, content[b"labels"], strict=True):
                    name = classes[label]
                    buffer = io.BytesIO()
                    Image.fromarray(image.transpose(1, 2, 0)).save(
                        buffer, "JPEG", quality=75, subsampling=2
                    )
                    member = tarfile.TarInfo(f"train/{name}/{counts[name]:04d}.jpg")
                    member.size = buffer.tell()
                    buffer.seek(0)
                    out.addfile(member, buffer)
                    counts[name] += 1


_EXTRACTORS = {"bsds500": _extract_bsds500, "cifar10-python": _extract_cifar10}


def _expected_sha256(info: DatasetInfo, given: str | None) -> str:
    """The SHA-256 a download must have: the registry's pin, or ``given`` (checked first)."""
    if given is not None:
        if not isinstance(given, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", given):
            raise ValueError(f"sha256 must be 64 hex digits. Received: sha256={given!r}")
        given = given.lower()
        if info.sha256 is not None and given != info.sha256.lower():
            raise ValueError(
                f"sha256 differs from the registry's pin for {info.name!r} "
                f"({info.sha256}). Received: sha256={given!r}"
            )
        return given
    if info.sha256 is None:
        raise ValueError(
            f"Refusing to download {info.name!r}: the registry pins no SHA-256 for {info.url}, "
            "so the download could not be verified. Pass sha256='<64 hex digits>' from a "
            "source you trust, or download and unpack it yourself and put its photos in "
            f"{default_data_root() / info.folder}/ ({'/'.join((info.splits or {}).values())}). "
            f"Received: name={info.name!r}"
        )
    return info.sha256.lower()


def download_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    overwrite: bool = False,
    progress: bool = True,
    sha256: str | None = None,
) -> Path:
    """Downloads a dataset from its public URL, verifies it and unpacks it under ``root``.

    Only ever called explicitly (never on import, never in tests). The download is streamed to
    ``<root>/.downloads/``, its SHA-256 checked against the registry (a mismatch deletes it and
    raises; a dataset whose SHA-256 is not pinned is not downloaded at all unless ``sha256``
    gives one), then unpacked into ``<root>/<folder>`` (BSDS500: the ``train``, ``val`` and
    ``test`` photos of the Berkeley BSR tarball; CIFAR-10: the python pickles converted to
    ``train.tar`` of JPEGs). With the default ``root`` the name resolves everywhere at once;
    with another, set ``COLORKIT_DATA=root``.

    Args:
        name: a registered dataset name with a public URL (``bsds500``, ``cifar10``).
        root: the data root; default :func:`default_data_root` (``$COLORKIT_DATA``, else
            ``~/.cache/colorkit``), where :func:`dataset_root` finds it.
        overwrite: replace an existing copy; otherwise an existing copy is returned as is.
        progress: show a download progress bar (only when stderr is a terminal).
        sha256: the expected SHA-256 (64 hex digits) from a source you trust; required for a
            dataset the registry does not pin, and must equal the pin of one it does.

    Returns:
        Path of the dataset's folder.

    Raises:
        ValueError: unknown name, a dataset without a public download (``imagenet-sample``,
            ``samples``), no pinned SHA-256 and no ``sha256`` given, or a SHA-256 mismatch
            (the download is deleted, nothing is unpacked).
    """
    info = _dataset_info(name)
    if name == "samples":
        raise ValueError(
            "Dataset 'samples' needs no download: its photos ship inside scikit-image, "
            "scikit-learn and matplotlib (see sample_paths()). Received: name='samples'"
        )
    if info.url is None or info.extractor is None:
        raise ValueError(
            f"Dataset {name!r} has no public download: ImageNet photos may only be obtained from "
            f"image-net.org after accepting its terms. Put the photos in <root>/{info.folder}/ "
            f"yourself and set {_ENV_DATA}=<root>. Received: name={name!r}"
        )
    expected = _expected_sha256(info, sha256)
    root = Path(root) if root is not None else default_data_root()
    destination = root / info.folder
    if destination.exists() and any(destination.iterdir()) and not overwrite:
        return destination
    downloads = root / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    file_name = Path(urllib.parse.urlparse(info.url).path).name or f"{name}.download"
    archive = downloads / file_name
    partial = archive.with_name(archive.name + ".part")
    try:
        digest = _download(info.url, partial, progress)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if digest != expected:
        partial.unlink(missing_ok=True)
        raise ValueError(
            f"SHA-256 mismatch for {info.url}: expected {expected}, got {digest}. The download "
            f"was deleted."
        )
    partial.replace(archive)
    staging = Path(tempfile.mkdtemp(prefix=f".{info.folder}-", dir=root))
    try:
        _EXTRACTORS[info.extractor](archive, staging)
        if destination.exists():
            shutil.rmtree(destination)
        staging.replace(destination)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    archive.unlink()
    return destination
