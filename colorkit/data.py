"""Reading photos and feeding them to colorization models.

This module is the uint8 <-> float32 boundary of colorkit: everything it returns is gamma-encoded
sRGB ``float32`` in ``[0, 1]`` (``(H, W, 3)`` or ``(N, H, W, 3)``), or model-scale ``(L, chroma)``
pairs, except :func:`preload_crops`, which keeps decoded crops as ``uint8`` to save memory.

Sources of images:

- a folder (searched recursively), a single file, or a list of paths;
- an uncompressed ``.tar`` archive, read member by member without extracting it. A member is
  named ``"path/to/archive.tar::member/name.jpg"``; ``"archive.tar::prefix/"`` selects the
  members under a prefix. The archive's index is built once per process (about a second for
  50,000 members) and members are read on demand with one ``seek`` each;
- the named datasets of :data:`DATASETS` (``imagenet-sample``, ``bsds500``, ``cifar10`` and the
  ``samples`` shipped inside scikit-image, scikit-learn and matplotlib).

Pipelines: :func:`make_tf_dataset` (``tf.data``; TensorFlow is imported inside the function
only, so ``import colorkit.data`` stays cheap) and ``ColorPyDataset`` (a
``keras.utils.PyDataset`` built on NumPy and Pillow only, usable with any Keras backend), both
yielding ``(L (B, S, S, 1), chroma (B, S, S, 2))`` batches in model scale. On a small CPU,
decode once with :func:`preload_crops` and train from the in-memory ``uint8`` array.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import importlib.metadata
import io
import math
import numbers
import os
import pickle
import shutil
import statistics
import sys
import tarfile
import tempfile
import threading
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from colorkit import atomic

__all__ = [
    "ARCHIVE_SEPARATOR",
    "DATASETS",
    "IMAGE_EXTENSIONS",
    "ColorPyDataset",  # noqa: F822 (built lazily by __getattr__: imports keras)
    "DatasetCard",
    "DatasetInfo",
    "ImageReadError",
    "ScanReport",
    "available_datasets",
    "dataset_card",
    "dataset_paths",
    "dataset_root",
    "download_dataset",
    "is_grayscale",
    "list_images",
    "load_images",
    "load_samples",
    "make_tf_dataset",
    "preload_crops",
    "read_image",
    "resolve_source",
    "sample_paths",
    "scan_images",
    "split_paths",
]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
"""File name endings (lower case) that :func:`list_images` treats as images."""

ARCHIVE_SEPARATOR = "::"
"""Separates an archive's path from a member's name: ``"train.tar::train/cat/0001.jpg"``."""

SPACES = ("lab", "yuv")
CROPS = ("center", "random", "resize")
GRAYSCALE_TOLERANCE = 0.01
"""Default mean chroma (max - min over RGB, in [0, 1]) at or below which a photo is grayscale."""

_REPO_ROOT = Path(__file__).resolve().parents[1]
_ENV_DATA = "COLORKIT_DATA"
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")


class ImageReadError(ValueError):
    """A file exists but cannot be decoded as an image (corrupt, truncated or not an image)."""


# ----------------------------------------------------------------------------------------------
# Argument validation
# ----------------------------------------------------------------------------------------------


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer. Received: {name}={value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _check_choice(value: Any, choices: Sequence[str], name: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"Unknown {name}: expected one of {list(choices)}. Received: {name}={value!r}"
        )
    return value


def _check_scale_jitter(scale_jitter: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in scale_jitter)
    except (TypeError, ValueError):
        raise ValueError(
            f"scale_jitter must be a pair (low, high) with 1 <= low <= high. "
            f"Received: scale_jitter={scale_jitter!r}"
        ) from None
    if not (1.0 <= low <= high) or not math.isfinite(high):
        raise ValueError(
            f"scale_jitter must be a pair (low, high) with 1 <= low <= high. "
            f"Received: scale_jitter={scale_jitter!r}"
        )
    return low, high


def _as_path_list(paths: Any, name: str = "paths") -> list[str]:
    if isinstance(paths, str | os.PathLike):
        raise TypeError(
            f"{name} must be a sequence of paths, not a single path (wrap it in a list). "
            f"Received: {name}={paths!r}"
        )
    if not isinstance(paths, Iterable):
        raise TypeError(f"{name} must be a sequence of paths. Received: {name}={paths!r}")
    result = []
    for path in paths:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(
                f"{name} must hold str or os.PathLike items. Received: {name} item {path!r}"
            )
        result.append(os.fspath(path))
    if not result:
        raise ValueError(f"{name} is empty: expected at least one image path. Received: {name}=[]")
    return result


def _progress(iterable: Iterable, total: int, description: str, progress: bool):
    """Wraps ``iterable`` in a tqdm bar, shown only when asked and stderr is a terminal."""
    from tqdm.auto import tqdm

    disable = not progress or not getattr(sys.stderr, "isatty", lambda: False)()
    return tqdm(iterable, total=total, desc=description, disable=disable, leave=False)


# ----------------------------------------------------------------------------------------------
# Archives
# ----------------------------------------------------------------------------------------------

_TAR_INDEXES: dict[tuple[str, int, int], dict[str, tuple[int, int]]] = {}
_TAR_LOCK = threading.Lock()


def _split_reference(path: str) -> tuple[str, str | None]:
    """Splits ``"archive.tar::member"`` into ``("archive.tar", "member")``."""
    archive, separator, member = path.partition(ARCHIVE_SEPARATOR)
    if not separator:
        return path, None
    return archive, member


def _tar_index(archive: str) -> dict[str, tuple[int, int]]:
    """``{member name: (data offset, size)}`` of an uncompressed tar, cached per process."""
    if not os.path.isfile(archive):
        raise FileNotFoundError(f"Archive not found: {archive!r}")
    stat = os.stat(archive)
    key = (os.path.realpath(archive), stat.st_mtime_ns, stat.st_size)
    with _TAR_LOCK:
        index = _TAR_INDEXES.get(key)
        if index is not None:
            return index
        try:
            with tarfile.open(archive, mode="r:") as tar:
                index = {
                    member.name: (member.offset_data, member.size)
                    for member in tar
                    if member.isreg()
                }
        except tarfile.ReadError as error:
            raise ValueError(
                f"Cannot index {archive!r} as an uncompressed tar archive ({error}). Compressed "
                f"archives (.tar.gz, .tgz) cannot be read member by member: extract them first. "
                f"Received: archive={archive!r}"
            ) from error
        _TAR_INDEXES[key] = index
        return index


def _read_bytes(path: str) -> bytes:
    """The raw bytes of a file or of an archive member reference."""
    archive, member = _split_reference(path)
    if member is None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Image file not found: {path!r}")
        with open(path, "rb") as file:
            return file.read()
    index = _tar_index(archive)
    if member not in index:
        raise FileNotFoundError(f"Member {member!r} not found in archive {archive!r}")
    offset, size = index[member]
    with open(archive, "rb") as file:
        file.seek(offset)
        return file.read(size)


def _is_archive(path: str) -> bool:
    return path.lower().endswith(".tar") and os.path.isfile(path)


# ----------------------------------------------------------------------------------------------
# Decoding
# ----------------------------------------------------------------------------------------------


def _open_pil(
    path: str, draft_size: int | None = None, sizes: list | None = None
) -> Image.Image | np.ndarray:
    """Decodes ``path`` into an 8-bit RGB PIL image, or a float32 array for 16-bit images.

    Applies the EXIF orientation, composites transparency on white and replicates grayscale.
    With ``draft_size``, JPEGs are decoded at a reduced scale whose short side is still at least
    ``draft_size`` (DCT scaling: several times faster for large photos). With ``sizes``, the
    full-resolution upright ``(height, width)`` is appended to it.
    """
    archive, member = _split_reference(path)
    if member is None and not os.path.isfile(path):
        if os.path.isdir(path):
            raise ImageReadError(f"Cannot read {path!r} as an image: it is a directory")
        raise FileNotFoundError(f"Image file not found: {path!r}")
    source = io.BytesIO(_read_bytes(path)) if member is not None else path
    try:
        with Image.open(source) as image:
            if sizes is not None:
                width, height = image.size
                if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # rotated by 90 degrees
                    width, height = height, width
                sizes.append((height, width))
            if draft_size is not None and image.format == "JPEG":
                image.draft(image.mode, (draft_size, draft_size))
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            return _convert_mode(image)
    except MemoryError:
        raise
    except ImageReadError as error:
        raise ImageReadError(f"Cannot read {path!r} as an image: {error}") from error
    except Exception as error:  # Pillow raises many types for corrupt files; none is swallowed.
        cause = f"{type(error).__name__}: {error}"
        raise ImageReadError(f"Cannot read {path!r} as an image ({cause})") from error


def _convert_mode(image: Image.Image) -> Image.Image | np.ndarray:
    mode = image.mode
    if mode == "RGB":
        return image.copy()
    if mode in ("L", "CMYK", "YCbCr", "HSV"):
        return image.convert("RGB")
    if mode == "1":
        return image.convert("L").convert("RGB")
    if mode == "P" and "transparency" not in image.info:
        return image.convert("RGB")
    if mode in _ALPHA_MODES or mode == "P":
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode in _SIXTEEN_BIT_MODES:
        values = np.asarray(image).astype(np.float32)
        if values.min(initial=0.0) < 0 or values.max(initial=0.0) > 65535:
            raise ImageReadError(
                f"integer pixel values outside [0, 65535] (min {values.min()}, max {values.max()})"
            )
        values = values / np.float32(65535.0)
        return np.repeat(values[..., None], 3, axis=-1)
    if mode == "F":
        values = np.asarray(image, dtype=np.float32)
        if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise ImageReadError("floating-point pixel values outside [0, 1]")
        return np.repeat(values[..., None], 3, axis=-1)
    raise ImageReadError(f"unsupported image mode {mode!r}")


def _to_uint8(image: Image.Image | np.ndarray) -> Image.Image:
    if isinstance(image, np.ndarray):
        return Image.fromarray(np.round(image * 255.0).astype(np.uint8), mode="RGB")
    return image


def _resize_short_side(image: Image.Image, short_side: int) -> Image.Image:
    width, height = image.size
    scale = short_side / min(width, height)
    size = (max(short_side, round(width * scale)), max(short_side, round(height * scale)))
    if size == (width, height):
        return image
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def _load_rgb8(path: str, short_side: int | None = None) -> np.ndarray:
    """uint8 (H, W, 3); with ``short_side``, resized (bicubic) so its short side is that size."""
    image = _to_uint8(_open_pil(path, draft_size=short_side))
    if short_side is not None:
        image = _resize_short_side(image, short_side)
    return np.asarray(image, dtype=np.uint8)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Reads a photo as gamma-encoded sRGB.

    Handles the EXIF orientation, palette images, transparency (LA, RGBA, palette with
    transparency; composited on white), 16-bit images (mode ``I;16`` or ``I``, scaled by 65535),
    CMYK and grayscale (replicated to three channels). Multi-frame files give their first frame.

    Args:
        path: a file path, or ``"archive.tar::member/name.jpg"`` for a member of an uncompressed
            tar archive.

    Returns:
        float32 array of shape ``(H, W, 3)`` in ``[0, 1]``, upright.

    Raises:
        FileNotFoundError: the file (or archive, or archive member) does not exist.
        ImageReadError: the file cannot be decoded (corrupt, truncated, not an image); the
            message names the file and the cause. A subclass of ``ValueError``.
        TypeError: ``path`` is not a str or os.PathLike.

    Example:
        >>> import tempfile, os
        >>> from PIL import Image
        >>> folder = tempfile.mkdtemp()
        >>> Image.new("L", (4, 2), 255).save(os.path.join(folder, "white.png"))
        >>> image = read_image(os.path.join(folder, "white.png"))
        >>> image.shape, image.dtype, float(image.min())
        ((2, 4, 3), dtype('float32'), 1.0)
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike. Received: path={path!r}")
    image = _open_pil(os.fspath(path))
    if isinstance(image, np.ndarray):
        return np.ascontiguousarray(image, dtype=np.float32)
    return np.asarray(image, dtype=np.float32) / np.float32(255.0)


def is_grayscale(image: np.ndarray, tolerance: float = GRAYSCALE_TOLERANCE) -> bool:
    """Tells whether a photo is grayscale: its three channels are equal up to JPEG noise.

    The per-pixel chroma is ``max(R, G, B) - min(R, G, B)``. A photo is grayscale when its mean
    chroma is at most ``tolerance`` and 99 % of its pixels have a chroma of at most
    ``4 * tolerance`` (so a gray photo with a small colored object counts as color). The default
    (0.01, about 2.5 / 255) separates the grayscale ImageNet photos (mean chroma below 0.001)
    from the least colorful color ones (about 0.01 and up, with colored details).

    Args:
        image: ``(H, W, 3)`` RGB, float in ``[0, 1]`` or uint8.
        tolerance: float in ``[0, 1]``.

    Returns:
        bool.

    Raises:
        ValueError: wrong shape, values outside ``[0, 1]``, NaN, or a bad tolerance.
        TypeError: not a NumPy array of floats or uint8.

    Example:
        >>> import numpy as np
        >>> gray = np.full((8, 8, 3), 0.5, dtype=np.float32)
        >>> is_grayscale(gray)
        True
        >>> gray[..., 0] = 0.7  # a reddish tint
        >>> is_grayscale(gray)
        False
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a NumPy array. Received: image={type(image).__name__}")
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(
            f"Invalid image shape: expected (H, W, 3). Received: image.shape={image.shape}"
        )
    if not isinstance(tolerance, numbers.Real) or not 0 <= tolerance <= 1:
        raise ValueError(f"tolerance must be in [0, 1]. Received: tolerance={tolerance!r}")
    if image.dtype == np.uint8:
        image = image.astype(np.float32) / np.float32(255.0)
    elif np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all() or image.min() < -1e-6 or image.max() > 1 + 1e-6:
            raise ValueError(
                f"image values must be finite and in [0, 1]. Received: image range="
                f"[{image.min():.4g}, {image.max():.4g}]"
            )
    else:
        raise TypeError(f"image must be float or uint8. Received: image.dtype={image.dtype}")
    if image.size == 0:
        raise ValueError(f"image is empty. Received: image.shape={image.shape}")
    chroma = image.max(axis=-1) - image.min(axis=-1)
    if float(chroma.mean()) > tolerance:
        return False
    return bool(np.quantile(chroma, 0.99) <= 4 * tolerance)


# ----------------------------------------------------------------------------------------------
# Listing and scanning
# ----------------------------------------------------------------------------------------------


def _has_image_extension(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


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
        return _as_path_list(source, name="source")
    source = os.fspath(source)
    archive, prefix = _split_reference(source)
    if prefix is not None or _is_archive(source):
        names = sorted(
            name
            for name in _tar_index(archive)
            if name.startswith(prefix or "") and _has_image_extension(name)
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
            if not name.startswith(".") and _has_image_extension(name)
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
    image = _open_pil(path, draft_size=128, sizes=sizes)
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
    workers = _check_positive_int(workers, "num_workers")

    def inspect(path: str) -> tuple[str, Any, str | None]:
        try:
            size, gray = _inspect(path)
            return path, (size, gray), None
        except (ImageReadError, FileNotFoundError, ValueError) as error:
            return path, None, str(error)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = _progress(pool.map(inspect, paths), len(paths), "scanning images", progress)
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
    paths = _as_path_list(paths)
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
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
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
        sha256: expected SHA-256 of the download, or None when unpinned (a warning gives the
            digest that was downloaded).
        folder: the dataset's folder under the data root (``<root>/<folder>``).
        archive: an uncompressed tar inside ``folder`` holding the images, or None.
        splits: ``{split: sub-folder}`` (or ``{split: member prefix}`` for an archive); empty
            when the dataset has no splits.
        extractor: how :func:`download_dataset` unpacks the download (``"bsds500"``,
            ``"cifar10-python"``) or None.
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
        url=(
            "http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/BSR/BSR_bsds500.tgz"
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
        >>> available_datasets()
        ['bsds500', 'cifar10', 'imagenet-sample', 'samples']
    """
    return sorted(DATASETS)


def _dataset_info(name: Any) -> DatasetInfo:
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(
            f"Unknown dataset: expected one of {available_datasets()}. Received: name={name!r}"
        )
    return DATASETS[name]


def _data_root_candidates() -> list[Path]:
    candidates = []
    if os.environ.get(_ENV_DATA):
        candidates.append(Path(os.environ[_ENV_DATA]).expanduser())
    candidates += [_REPO_ROOT / "data", _REPO_ROOT.parent / "shared" / "data"]
    candidates.append(Path.cwd().parent / "shared" / "data")
    unique = []
    for candidate in candidates:
        if candidate not in unique:
            unique.append(candidate)
    return unique


def dataset_root(name: str) -> Path:
    """Finds a dataset's folder on disk.

    Looks for ``<data root>/<folder>`` in order under: ``$COLORKIT_DATA``, ``<repo>/data``,
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
    if info.url:
        how = (
            f"Download it with colorkit.data.download_dataset({name!r}, root) (from {info.url}) "
            f"and set {_ENV_DATA}=root, or pass root={_REPO_ROOT / 'data'}."
        )
    else:
        how = (
            f"{name!r} has no public download: copy the photos yourself to <root>/{info.folder}/ "
            f"and set {_ENV_DATA}=<root>."
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
    return list_images(folder / info.splits[split])


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
            paths = _as_path_list(source_or_name, name="source_or_name")
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


def _download(url: str, destination: Path, progress: bool) -> str:
    """Streams ``url`` to ``destination``; returns the SHA-256 hex digest."""
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in ("http", "https", "file"):
        raise ValueError(f"Unsupported URL scheme {scheme!r}. Received: url={url!r}")
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "colorkit"})
    with urllib.request.urlopen(request, timeout=60) as response, open(destination, "wb") as file:
        total = int(response.headers.get("Content-Length") or 0) or None
        chunks = iter(lambda: response.read(1 << 20), b"")
        for chunk in _progress(chunks, total and math.ceil(total / (1 << 20)), url, progress):
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
            if split not in ("train", "val", "test") or not _has_image_extension(file_name):
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


def download_dataset(
    name: str, root: str | os.PathLike | None = None, overwrite: bool = False, progress: bool = True
) -> Path:
    """Downloads a dataset from its public URL, verifies it and unpacks it under ``root``.

    Only ever called explicitly (never on import, never in tests). The download is streamed to
    ``<root>/.downloads/``, its SHA-256 checked against the registry (a mismatch deletes it and
    raises), then unpacked into ``<root>/<folder>`` (BSDS500: the ``train``, ``val`` and
    ``test`` photos of the Berkeley BSR tarball; CIFAR-10: the python pickles converted to
    ``train.tar`` of JPEGs). Afterwards set ``COLORKIT_DATA=root`` (or use ``<repo>/data``).

    Args:
        name: a registered dataset name with a public URL (``bsds500``, ``cifar10``).
        root: the data root; default ``<repo>/data``.
        overwrite: replace an existing copy; otherwise an existing copy is returned as is.
        progress: show a download progress bar (only when stderr is a terminal).

    Returns:
        Path of the dataset's folder.

    Raises:
        ValueError: unknown name, a dataset without a public download (``imagenet-sample``,
            ``samples``), or a SHA-256 mismatch.
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
    root = Path(root) if root is not None else _REPO_ROOT / "data"
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
    if info.sha256 is None:
        warnings.warn(
            f"{name}: no pinned SHA-256 in the registry; downloaded {info.url} with SHA-256 "
            f"{digest} (compare with a trusted source).",
            UserWarning,
            stacklevel=2,
        )
    elif digest != info.sha256.lower():
        partial.unlink(missing_ok=True)
        raise ValueError(
            f"SHA-256 mismatch for {info.url}: expected {info.sha256}, got {digest}. The download "
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


# ----------------------------------------------------------------------------------------------
# Fixed-size crops in NumPy
# ----------------------------------------------------------------------------------------------


def _crop_offsets(
    height: int, width: int, size: int, rng: np.random.Generator | None
) -> tuple[int, int]:
    if rng is None:
        return (height - size) // 2, (width - size) // 2
    return int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1))


def _fixed_crop(path: str, size: int, crop: str, rng: np.random.Generator | None) -> np.ndarray:
    if crop == "resize":
        image = _to_uint8(_open_pil(path, draft_size=size))
        image = image.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
        return np.asarray(image, dtype=np.uint8)
    image = _load_rgb8(path, short_side=size)
    top, left = _crop_offsets(*image.shape[:2], size, rng if crop == "random" else None)
    return image[top : top + size, left : left + size]


def _map_threads(function, items: Sequence, description: str, progress: bool) -> list:
    workers = min(4, os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [function(item) for item in _progress(items, len(items), description, progress)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(_progress(pool.map(function, items), len(items), description, progress))


def load_images(
    paths: Sequence[str | os.PathLike],
    size: int,
    crop: str = "center",
    seed: int | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Loads photos as a batch of square crops.

    Args:
        paths: a non-empty sequence of image paths (archive references allowed).
        size: side of the output in pixels, a positive int.
        crop: ``"center"`` (short side resized to ``size`` with bicubic antialiasing, then the
            central square), ``"random"`` (same, a random square), or ``"resize"`` (the whole
            image squeezed to ``size x size``, aspect ratio not kept).
        seed: seed of the random crops (``crop="random"``); None draws fresh entropy.
        progress: show a progress bar (only when stderr is a terminal).

    Returns:
        float32 array ``(N, size, size, 3)`` in ``[0, 1]``.

    Raises:
        TypeError, ValueError: bad arguments. FileNotFoundError, ImageReadError: bad files.
    """
    paths = _as_path_list(paths)
    size = _check_positive_int(size, "size")
    crop = _check_choice(crop, CROPS, "crop")
    seeds = np.random.SeedSequence(seed).spawn(len(paths))

    def load(index: int) -> np.ndarray:
        rng = np.random.default_rng(seeds[index]) if crop == "random" else None
        return _fixed_crop(paths[index], size, crop, rng)

    crops = _map_threads(load, range(len(paths)), "loading images", progress)
    return np.stack(crops).astype(np.float32) / np.float32(255.0)


def preload_crops(
    paths: Sequence[str | os.PathLike],
    size: int,
    scale: float = 1.25,
    progress: bool = True,
) -> np.ndarray:
    """Decodes photos once into an in-memory uint8 array for fast augmentation.

    Each photo's short side is resized (bicubic, antialiased) to ``ceil(size * scale)`` and its
    central square kept. :class:`ColorPyDataset` then samples random scales, crops and flips of
    ``size x size`` from it without decoding JPEGs again (decoding is the bottleneck of a small
    CPU: about 2 ms per ImageNet-sized JPEG versus microseconds per crop).

    Args:
        paths: a non-empty sequence of image paths (archive references allowed).
        size: the training crop size, a positive int.
        scale: float >= 1, the margin kept around the crop for scale and translation jitter
            (use the upper bound of ``scale_jitter``).
        progress: show a progress bar (only when stderr is a terminal).

    Returns:
        uint8 array ``(N, P, P, 3)`` with ``P = ceil(size * scale)``.

    Raises:
        TypeError, ValueError: bad arguments. FileNotFoundError, ImageReadError: bad files.
    """
    paths = _as_path_list(paths)
    size = _check_positive_int(size, "size")
    if not isinstance(scale, numbers.Real) or not 1.0 <= scale < 16 or not math.isfinite(scale):
        raise ValueError(f"scale must be a number in [1, 16). Received: scale={scale!r}")
    padded = math.ceil(size * float(scale) - 1e-9)

    def load(path: str) -> np.ndarray:
        return _fixed_crop(path, padded, "center", None)

    return np.stack(_map_threads(load, paths, "decoding images", progress))


def _encode(images: np.ndarray, space: str) -> tuple[np.ndarray, np.ndarray]:
    from colorkit import color

    if space == "lab":
        lightness, chroma = color.encode_lab(images)
    else:
        lightness, chroma = color.encode_yuv(images)
    return lightness.astype(np.float32), chroma.astype(np.float32)


def _augment_square(
    image: np.ndarray,
    size: int,
    scale_jitter: tuple[float, float],
    rng: np.random.Generator | None,
) -> np.ndarray:
    """A ``size`` crop of a uint8 (P, P, 3) square with scale jitter and a random flip."""
    padded = image.shape[0]
    if rng is None:
        crop = padded
    else:
        jitter = rng.uniform(*scale_jitter)
        crop = int(np.clip(round(padded * scale_jitter[0] / jitter), size, padded))
    top, left = _crop_offsets(padded, image.shape[1], crop, rng)
    patch = image[top : top + crop, left : left + crop]
    if crop != size:
        patch = np.asarray(
            Image.fromarray(patch).resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
        )
    if rng is not None and rng.random() < 0.5:
        patch = patch[:, ::-1]
    return patch


def _build_color_py_dataset():
    import keras

    class ColorPyDataset(keras.utils.PyDataset):
        """Batches of ``(L, chroma)`` in model scale, with NumPy and Pillow only (any backend).

        The same batches as :func:`make_tf_dataset`, without TensorFlow. The source is either a
        list of paths (decoded every epoch with :func:`read_image`'s decoder) or, much faster,
        the uint8 array of :func:`preload_crops`, from which random scales (``scale_jitter``),
        crops and flips are sampled. The order is a permutation drawn from ``seed + epoch``
        and the augmentation of batch ``i`` from ``(seed, epoch, i)``, so batches do not depend
        on the number of workers; :meth:`on_epoch_end` moves to the next epoch.

        Args:
            source: a sequence of image paths, or a uint8 array ``(N, P, P, 3)`` with
                ``P >= image_size`` (from :func:`preload_crops`).
            image_size: crop side S, a positive int.
            batch_size: a positive int.
            space: ``"lab"`` (L/100, ab/110) or ``"yuv"`` (Y, uv_model).
            augment: random scale, crop and flip; otherwise resize the short side (or the
                preloaded square) to S and take the central square.
            shuffle: reshuffle every epoch.
            seed: non-negative int.
            scale_jitter: ``(low, high)``, ``1 <= low <= high``: the short side is resized to
                ``S * U(low, high)`` before the random crop (preloaded arrays: limited by P).
            drop_remainder: drop the last incomplete batch.
            **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size`` of PyDataset.
                The Lab conversion costs several ms per 128 px image in NumPy: with
                ``workers=2`` batches are prepared in a thread while the model trains.

        Batches:
            ``(L float32 (B, S, S, 1) in [0, 1], chroma float32 (B, S, S, 2))``.
        """

        def __init__(
            self,
            source,
            image_size: int = 128,
            batch_size: int = 32,
            space: str = "lab",
            augment: bool = True,
            shuffle: bool = True,
            seed: int = 0,
            scale_jitter: tuple[float, float] = (1.0, 1.25),
            drop_remainder: bool = False,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.image_size = _check_positive_int(image_size, "image_size")
            self.batch_size = _check_positive_int(batch_size, "batch_size")
            self.space = _check_choice(space, SPACES, "space")
            self.scale_jitter = _check_scale_jitter(scale_jitter)
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
                raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
            self.seed = int(seed)
            self.augment = bool(augment)
            self.shuffle = bool(shuffle)
            self.drop_remainder = bool(drop_remainder)
            if isinstance(source, np.ndarray):
                if source.dtype != np.uint8 or source.ndim != 4 or source.shape[-1] != 3:
                    raise ValueError(
                        "source array must be uint8 (N, P, P, 3) from preload_crops. Received: "
                        f"source.dtype={source.dtype}, source.shape={source.shape}"
                    )
                if source.shape[1] != source.shape[2] or source.shape[1] < self.image_size:
                    raise ValueError(
                        f"source array crops must be square and at least image_size="
                        f"{self.image_size}. Received: source.shape={source.shape}"
                    )
                if len(source) == 0:
                    raise ValueError(f"source is empty. Received: source.shape={source.shape}")
                self.images, self.paths = source, None
            else:
                self.images, self.paths = None, _as_path_list(source, name="source")
            self.num_images = len(self.images) if self.images is not None else len(self.paths)
            if self.drop_remainder and self.num_images < self.batch_size:
                raise ValueError(
                    f"drop_remainder=True with fewer images ({self.num_images}) than "
                    f"batch_size. Received: batch_size={self.batch_size}"
                )
            self.epoch = 0
            self._order = self._permutation()

        def _permutation(self) -> np.ndarray:
            if not self.shuffle:
                return np.arange(self.num_images)
            return np.random.default_rng([self.seed, self.epoch]).permutation(self.num_images)

        def __len__(self) -> int:
            if self.drop_remainder:
                return self.num_images // self.batch_size
            return math.ceil(self.num_images / self.batch_size)

        def _crop(self, index: int, rng) -> np.ndarray:
            size = self.image_size
            if self.images is not None:
                return _augment_square(self.images[index], size, self.scale_jitter, rng)
            if rng is None:
                return _fixed_crop(self.paths[index], size, "center", None)
            short_side = math.ceil(size * rng.uniform(*self.scale_jitter) - 1e-9)
            image = _load_rgb8(self.paths[index], short_side=short_side)
            top, left = _crop_offsets(*image.shape[:2], size, rng)
            patch = image[top : top + size, left : left + size]
            return patch[:, ::-1] if rng.random() < 0.5 else patch

        def __getitem__(self, batch_index: int):
            if not 0 <= batch_index < len(self):
                raise IndexError(
                    f"batch_index out of range [0, {len(self)}). Received: "
                    f"batch_index={batch_index}"
                )
            start = batch_index * self.batch_size
            indices = self._order[start : start + self.batch_size]
            rng = (
                np.random.default_rng([self.seed, self.epoch, batch_index])
                if self.augment
                else None
            )
            crops = np.stack([self._crop(int(i), rng) for i in indices])
            return _encode(crops.astype(np.float32) / np.float32(255.0), self.space)

        def on_epoch_end(self) -> None:
            """Advances the epoch counter and reshuffles with ``seed + epoch``."""
            self.epoch += 1
            self._order = self._permutation()

    ColorPyDataset.__module__ = __name__
    ColorPyDataset.__qualname__ = "ColorPyDataset"
    return ColorPyDataset


_LAZY_CLASSES: dict[str, type] = {}


def __getattr__(name: str):
    # ColorPyDataset subclasses keras.utils.PyDataset; importing keras (and with it the
    # TensorFlow backend) is deferred until the class is first used.
    if name == "ColorPyDataset":
        if name not in _LAZY_CLASSES:
            _LAZY_CLASSES[name] = _build_color_py_dataset()
        return _LAZY_CLASSES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------------------------
# tf.data
# ----------------------------------------------------------------------------------------------


def _tf_decodable(path: str) -> bool:
    """Whether TensorFlow's decoders give the same image as :func:`read_image` (header only)."""
    if ARCHIVE_SEPARATOR in path or not path.lower().endswith((".jpg", ".jpeg", ".png")):
        return False
    try:
        with Image.open(path) as image:
            if image.format == "JPEG":
                return image.mode in ("RGB", "L") and image.getexif().get(0x0112, 1) == 1
            if image.format == "PNG":
                return image.mode in ("RGB", "L") or (
                    image.mode == "P" and "transparency" not in image.info
                )
    except MemoryError:
        raise
    except Exception as error:
        raise ImageReadError(f"Cannot read {path!r} as an image ({error})") from error
    return False


def make_tf_dataset(
    paths: Sequence[str | os.PathLike],
    image_size: int = 128,
    batch_size: int = 32,
    space: str = "lab",
    augment: bool = True,
    shuffle: bool = True,
    cache: bool | str | os.PathLike = False,
    seed: int = 0,
    repeat: bool = False,
    scale_jitter: tuple[float, float] = (1.0, 1.25),
    drop_remainder: bool = False,
    decoder: str = "auto",
):
    """A ``tf.data`` pipeline of ``(L, chroma)`` batches in model scale.

    Per image: read (``tf.io.read_file`` and TensorFlow's JPEG/PNG decoders, or
    :func:`read_image`'s decoder through ``tf.numpy_function`` for archive members and files
    TensorFlow would get wrong: EXIF-rotated, CMYK, transparent, 16-bit, other formats), then
    with ``augment`` resize the short side to ``S * U(scale_jitter)`` (bicubic, antialiased),
    take a random ``S x S`` crop and flip it left-right half of the time; without ``augment``
    resize the short side to S and take the central square. Batches are converted with
    :mod:`colorkit.color_ops` (with another Keras backend than TensorFlow, with
    :mod:`colorkit.color` through ``tf.numpy_function``). The order and the augmentation are
    determined by ``seed`` (and differ between epochs). TensorFlow is imported here only.

    Args:
        paths: a non-empty sequence of image paths (archive references allowed). Run
            :func:`scan_images` first: a corrupt file stops the pipeline with an error.
        image_size: crop side S, a positive int.
        batch_size: a positive int.
        space: ``"lab"`` (L/100, ab/110) or ``"yuv"`` (Y, uv_model).
        augment: random scale, crop and flip.
        shuffle: reshuffle every epoch (over the whole dataset).
        cache: False; True to keep the decoded, resized images in memory; or a file path for
            ``Dataset.cache(path)``. Cached images are resized to ``ceil(S * scale_jitter[1])``
            (short side) so augmentation still varies between epochs.
        seed: non-negative int.
        repeat: repeat forever (then ``steps_per_epoch`` is needed in ``fit``).
        scale_jitter: ``(low, high)`` with ``1 <= low <= high``.
        drop_remainder: drop the last incomplete batch.
        decoder: ``"auto"`` (read each file's header to choose), ``"tf"`` (TensorFlow for every
            ``.jpg``, ``.jpeg``, ``.png`` file: faster to set up, ignores EXIF orientation and
            alpha) or ``"pil"`` (always :func:`read_image`'s decoder).

    Returns:
        ``tf.data.Dataset`` of ``(L float32 (B, S, S, 1) in [0, 1], chroma float32
        (B, S, S, 2))``: ab/110 in about ``[-1, 1]`` for lab, uv_model in ``[0, 1]`` for yuv.

    Raises:
        TypeError, ValueError: bad arguments.
        FileNotFoundError: a path does not exist (checked up front).
    """
    paths = _as_path_list(paths)
    image_size = _check_positive_int(image_size, "image_size")
    batch_size = _check_positive_int(batch_size, "batch_size")
    space = _check_choice(space, SPACES, "space")
    decoder = _check_choice(decoder, ("auto", "tf", "pil"), "decoder")
    low, high = _check_scale_jitter(scale_jitter)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    if not isinstance(cache, bool | str | os.PathLike):
        raise TypeError(f"cache must be a bool or a file path. Received: cache={cache!r}")
    for path in paths:
        archive, member = _split_reference(path)
        if member is None and not os.path.isfile(path):
            raise FileNotFoundError(f"Image file not found: {path!r}")
        if member is not None and member not in _tar_index(archive):
            raise FileNotFoundError(f"Member {member!r} not found in archive {archive!r}")
    if decoder == "auto":
        use_tf = [_tf_decodable(path) for path in paths]
    elif decoder == "tf":
        use_tf = [
            ARCHIVE_SEPARATOR not in p and p.lower().endswith((".jpg", ".jpeg", ".png"))
            for p in paths
        ]
    else:
        use_tf = [False] * len(paths)

    import keras
    import tensorflow as tf

    from colorkit import color_ops

    size = image_size
    cached_side = math.ceil(size * high - 1e-9) if augment else size
    autotune = tf.data.AUTOTUNE

    def pil_decode(path: np.ndarray, short_side: np.ndarray) -> np.ndarray:
        return _to_uint8_array(path.decode(), int(short_side))

    def decode(path, use_tf_decoder, short_side):
        def with_tf():
            image = tf.io.decode_image(
                tf.io.read_file(path), channels=3, expand_animations=False, dtype=tf.uint8
            )
            return tf.ensure_shape(image, [None, None, 3])

        def with_pil():
            image = tf.numpy_function(pil_decode, [path, short_side], tf.uint8, stateful=False)
            return tf.ensure_shape(image, [None, None, 3])

        return tf.cond(use_tf_decoder, with_tf, with_pil)

    def resize_short_side(image, short_side):
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        scale = tf.cast(short_side, tf.float32) / tf.reduce_min(shape)
        new_shape = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), short_side)
        resized = tf.image.resize(
            tf.cast(image, tf.float32), new_shape, method="bicubic", antialias=True
        )
        return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)

    def center_crop(image):
        shape = tf.shape(image)
        top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
        return image[top : top + size, left : left + size]

    def load(path, use_tf_decoder):
        image = decode(path, use_tf_decoder, cached_side)
        if not augment:
            return center_crop(resize_short_side(image, size))
        # Cached images are stored small; otherwise random_crop resizes the full image once.
        return image if cache is False else resize_short_side(image, cached_side)

    def random_crop(image, seed_pair):
        seeds = tf.random.experimental.stateless_split(seed_pair, num=4)
        jitter = tf.random.stateless_uniform([], seeds[0], low, high)
        short_side = tf.cast(tf.math.ceil(size * jitter - 1e-6), tf.int32)
        image = resize_short_side(image, tf.maximum(short_side, size))
        shape = tf.shape(image)
        top = tf.random.stateless_uniform([], seeds[1], 0, shape[0] - size + 1, dtype=tf.int32)
        left = tf.random.stateless_uniform([], seeds[2], 0, shape[1] - size + 1, dtype=tf.int32)
        image = image[top : top + size, left : left + size]
        flip = tf.random.stateless_uniform([], seeds[3]) < 0.5
        return tf.cond(flip, lambda: tf.reverse(image, axis=[1]), lambda: image)

    def to_model_scale(images, check_size=True):
        images = tf.cast(images, tf.float32) / 255.0
        if keras.backend.backend() == "tensorflow":
            encode = color_ops.encode_lab if space == "lab" else color_ops.encode_yuv
            lightness, chroma = encode(images)
        else:
            lightness, chroma = tf.numpy_function(
                lambda x: _encode(x, space), [images], (tf.float32, tf.float32), stateful=False
            )
        lightness, chroma = tf.cast(lightness, tf.float32), tf.cast(chroma, tf.float32)
        if check_size:
            lightness = tf.ensure_shape(lightness, [None, size, size, 1])
            chroma = tf.ensure_shape(chroma, [None, size, size, 2])
        return lightness, chroma

    def encode_one(image):
        """uint8 (H, W, 3) -> float32 (H, W, 3) model-scale (lightness, chroma) stacked."""
        lightness, chroma = to_model_scale(image[None], check_size=False)
        return tf.concat([lightness[0], chroma[0]], axis=-1)

    def crop_encoded(encoded, seed_pair):
        """Random scale-jittered square crop + flip of a cached model-scale image (cheap)."""
        seeds = tf.random.experimental.stateless_split(seed_pair, num=4)
        shape = tf.shape(encoded)
        limit = tf.minimum(shape[0], shape[1])
        jitter = tf.random.stateless_uniform([], seeds[0], 1.0 / high, 1.0 / low)
        side = tf.clip_by_value(
            tf.cast(tf.round(tf.cast(limit, tf.float32) * jitter), tf.int32), size, limit
        )
        top = tf.random.stateless_uniform([], seeds[1], 0, shape[0] - side + 1, dtype=tf.int32)
        left = tf.random.stateless_uniform([], seeds[2], 0, shape[1] - side + 1, dtype=tf.int32)
        crop = encoded[top : top + side, left : left + side]
        crop = tf.image.resize(crop, [size, size], method="bilinear", antialias=True)
        flip = tf.random.stateless_uniform([], seeds[3]) < 0.5
        crop = tf.cond(flip, lambda: tf.reverse(crop, axis=[1]), lambda: crop)
        return tf.clip_by_value(crop[..., :1], 0.0, 1.0), crop[..., 1:]

    dataset = tf.data.Dataset.from_tensor_slices((paths, use_tf))
    if cache is not False and augment and keras.backend.backend() == "tensorflow":
        # Decode, resize and convert once; later epochs only crop, flip and batch, so the
        # pipeline costs the training step almost nothing on a 2-core machine.
        dataset = dataset.map(lambda p, t: encode_one(load(p, t)), num_parallel_calls=autotune)
        dataset = dataset.cache("" if cache is True else os.fspath(cache))
        if shuffle:
            dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
        if repeat:
            dataset = dataset.repeat()
        randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip(dataset, randoms)
        dataset = dataset.map(crop_encoded, num_parallel_calls=autotune)
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
        return dataset.prefetch(autotune)
    if cache is False:
        if shuffle:
            dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.map(load, num_parallel_calls=autotune)
    else:
        dataset = dataset.map(load, num_parallel_calls=autotune)
        dataset = dataset.cache("" if cache is True else os.fspath(cache))
        if shuffle:
            dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if augment:
        randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip(dataset, randoms)
        dataset = dataset.map(random_crop, num_parallel_calls=autotune)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.map(to_model_scale, num_parallel_calls=autotune)
    return dataset.prefetch(autotune)


def _to_uint8_array(path: str, short_side: int) -> np.ndarray:
    """uint8 (H, W, 3) whose short side is at least ``short_side`` (JPEG draft decoding)."""
    return np.asarray(_to_uint8(_open_pil(path, draft_size=short_side)), dtype=np.uint8)


def save_image(image: np.ndarray, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write an RGB image to a PNG/JPEG/TIFF/WebP/BMP file atomically (the uint8 boundary).

    The file is written to a temporary name in the same folder, then renamed, so a killed
    process never leaves a half-written image. An existing file is never replaced unless
    ``overwrite=True``, so a user's photo cannot be overwritten by accident.

    Args:
        image: float ``(H, W, 3)`` RGB or ``(H, W)`` gray in [0, 1].
        path: Output path; the format follows the extension.
        overwrite: Replace an existing file.

    Returns:
        The written ``Path``.

    Raises:
        ValueError: For a wrong shape, values outside [0, 1], NaN, or an unknown extension.
        FileExistsError: If ``path`` exists and ``overwrite`` is False.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> save_image(np.zeros((4, 4, 3), np.float32), os.path.join(folder, "a.png")).name
        'a.png'
    """
    from colorkit import color

    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    array = color.validate_rgb(array, name="image")
    if array.ndim != 3:
        raise ValueError(
            f"Invalid image rank: expected (H, W, 3) or (H, W). Received: image.shape={array.shape}"
        )
    path = Path(path)
    formats = {
        ".png": "PNG",
        ".jpg": "JPEG",
        ".jpeg": "JPEG",
        ".tif": "TIFF",
        ".tiff": "TIFF",
        ".webp": "WEBP",
        ".bmp": "BMP",
    }
    image_format = formats.get(path.suffix.lower())
    if image_format is None:
        raise ValueError(
            f"Unknown image extension: expected one of {sorted(formats)}. Received: path='{path}'"
        )
    if path.exists() and not overwrite:
        raise FileExistsError(f"Refusing to overwrite an existing file: '{path}'")
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    with atomic.atomic_path(path) as temporary:
        Image.fromarray(pixels, mode="RGB").save(temporary, format=image_format)
    return path


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks.

    Example:
        >>> import tempfile
        >>> handle, name = tempfile.mkstemp()
        >>> os.close(handle)
        >>> file_sha256(name)[:12]
        'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
