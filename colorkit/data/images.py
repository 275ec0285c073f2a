"""Photo files: reading and decoding, tar archive members, fixed-size crops, writing.

This module is the uint8 <-> float32 boundary of colorkit: everything it returns is gamma-encoded
sRGB ``float32`` in ``[0, 1]`` (``(H, W, 3)`` or ``(N, H, W, 3)``), except :func:`preload_crops`,
which keeps decoded crops as ``uint8`` to save memory, and the ``uint8`` helpers the pipelines
share (:func:`load_rgb8`, :func:`to_uint8_array`, :func:`fixed_crop`).

An uncompressed ``.tar`` archive is read member by member without extracting it. A member is
named ``"path/to/archive.tar::member/name.jpg"``; ``"archive.tar::prefix/"`` selects the members
under a prefix. The archive's index is built once per process (about a second for 50,000
members) and members are read on demand with one ``seek`` each.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import math
import numbers
import os
import tarfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from tqdm.auto import tqdm

from colorkit import _checks, atomic, color

__all__ = [
    "ARCHIVE_SEPARATOR",
    "CROPS",
    "GRAYSCALE_TOLERANCE",
    "IMAGE_EXTENSIONS",
    "SPACES",
    "ImageReadError",
    "file_sha256",
    "is_grayscale",
    "load_images",
    "preload_crops",
    "read_image",
    "save_image",
]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
"""File name endings (lower case) that :func:`list_images` treats as images."""


ARCHIVE_SEPARATOR = "::"
"""Separates an archive's path from a member's name: ``"train.tar::train/cat/0001.jpg"``."""


GRAYSCALE_TOLERANCE = 0.01
"""Default mean chroma (max - min over RGB, in [0, 1]) at or below which a photo is grayscale."""

_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")


_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")


#: Peak memory per pixel of colorizing one photo (``colorkit colorize``: decoding, the
#: full-resolution Lab composition, encoding the PNG), above the fixed cost of the process
#: (about 1 GiB: Python, TensorFlow, the model). Measured with ``benchmarks/bench_memory.py``:
#: 84 MiB per megapixel (88 bytes per pixel) for a 24-megapixel JPEG.
PEAK_BYTES_PER_PIXEL = 88
#: Memory one photo may take by default, above the fixed cost (:data:`MAX_IMAGE_PIXELS`).
PHOTO_MEMORY_BYTES = 4_400_000_000
#: Largest photo (width x height, in pixels) that :func:`read_image` decodes by default:
#: ``PHOTO_MEMORY_BYTES // PEAK_BYTES_PER_PIXEL`` = 50 megapixels, which colorize in about
#: 4.4 GB plus the fixed cost. Larger files are refused from their header, before decoding
#: (``read_image(..., max_pixels=...)``, ``colorkit colorize --max-pixels``).
MAX_IMAGE_PIXELS = PHOTO_MEMORY_BYTES // PEAK_BYTES_PER_PIXEL


class ImageReadError(ValueError):
    """A file exists but cannot be decoded as an image (corrupt, truncated or not an image)."""


def progress_bar(iterable: Iterable, total: int, description: str, progress: bool):
    """Wraps ``iterable`` in a tqdm bar, shown only when asked and stderr is a terminal
    (tqdm's ``disable=None``)."""
    disable = None if progress else True
    return tqdm(iterable, total=total, desc=description, disable=disable, leave=False)


# ----------------------------------------------------------------------------------------------
# Archives
# ----------------------------------------------------------------------------------------------


_TAR_INDEXES: dict[tuple[str, int, int], dict[str, tuple[int, int]]] = {}


_TAR_LOCK = threading.Lock()


def split_reference(path: str) -> tuple[str, str | None]:
    """Splits ``"archive.tar::member"`` into ``("archive.tar", "member")``."""
    archive, separator, member = path.partition(ARCHIVE_SEPARATOR)
    if not separator:
        return path, None
    return archive, member


def tar_index(archive: str) -> dict[str, tuple[int, int]]:
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


def read_bytes(path: str) -> bytes:
    """The raw bytes of a file or of an archive member reference."""
    archive, member = split_reference(path)
    if member is None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Image file not found: {path!r}")
        with open(path, "rb") as file:
            return file.read()
    index = tar_index(archive)
    if member not in index:
        raise FileNotFoundError(f"Member {member!r} not found in archive {archive!r}")
    offset, size = index[member]
    with open(archive, "rb") as file:
        file.seek(offset)
        return file.read(size)


def is_archive(path: str) -> bool:
    return path.lower().endswith(".tar") and os.path.isfile(path)


def has_image_extension(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


# ----------------------------------------------------------------------------------------------
# Decoding
# ----------------------------------------------------------------------------------------------


def open_image(
    path: str,
    draft_size: int | None = None,
    sizes: list | None = None,
    max_pixels: int | None = None,
) -> Image.Image | np.ndarray:
    """Decodes ``path`` into an 8-bit RGB PIL image, or a float32 array for 16-bit images.

    Applies the EXIF orientation, composites transparency on white and replicates grayscale.
    With ``draft_size``, JPEGs are decoded at a reduced scale whose short side is still at least
    ``draft_size`` (DCT scaling: several times faster for large photos). With ``sizes``, the
    full-resolution upright ``(height, width)`` is appended to it. A file with more than
    ``max_pixels`` pixels (default :data:`MAX_IMAGE_PIXELS`) is refused from its header, before
    decoding.
    """
    max_pixels = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    archive, member = split_reference(path)
    if member is None and not os.path.isfile(path):
        if os.path.isdir(path):
            raise ImageReadError(f"Cannot read {path!r} as an image: it is a directory")
        raise FileNotFoundError(f"Image file not found: {path!r}")
    source = io.BytesIO(read_bytes(path)) if member is not None else path
    try:
        with Image.open(source) as image:
            if image.width * image.height > max_pixels:
                raise ImageReadError(
                    f"it has {image.width}x{image.height} = {image.width * image.height:,} "
                    f"pixels, above the limit of {max_pixels:,} (raise it with max_pixels= or "
                    "--max-pixels if you have the memory)"
                )
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
        if np.isnan(values).any():
            raise ImageReadError(
                f"floating-point pixel values contain NaN ({int(np.isnan(values).sum())} "
                "pixels); expected numbers in [0, 1]"
            )
        if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise ImageReadError(
                "floating-point pixel values outside [0, 1] "
                f"(min {values.min()}, max {values.max()}); expected numbers in [0, 1]"
            )
        return np.repeat(values[..., None], 3, axis=-1)
    raise ImageReadError(f"unsupported image mode {mode!r}")


def to_uint8(image: Image.Image | np.ndarray) -> Image.Image:
    if isinstance(image, np.ndarray):
        return Image.fromarray(np.round(image * 255.0).astype(np.uint8), mode="RGB")
    return image


def resize_short_side(image: Image.Image, short_side: int) -> Image.Image:
    width, height = image.size
    scale = short_side / min(width, height)
    size = (max(short_side, round(width * scale)), max(short_side, round(height * scale)))
    if size == (width, height):
        return image
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


def load_rgb8(path: str, short_side: int | None = None) -> np.ndarray:
    """uint8 (H, W, 3); with ``short_side``, resized (bicubic) so its short side is that size."""
    image = to_uint8(open_image(path, draft_size=short_side))
    if short_side is not None:
        image = resize_short_side(image, short_side)
    return np.asarray(image, dtype=np.uint8)


def to_uint8_array(path: str, short_side: int) -> np.ndarray:
    """uint8 (H, W, 3) whose short side is at least ``short_side`` (JPEG draft decoding)."""
    return np.asarray(to_uint8(open_image(path, draft_size=short_side)), dtype=np.uint8)


def read_image(path: str | os.PathLike, max_pixels: int | None = None) -> np.ndarray:
    """Reads a photo as gamma-encoded sRGB.

    Handles the EXIF orientation, palette images, transparency (LA, RGBA, palette with
    transparency; composited on white), 16-bit images (mode ``I;16`` or ``I``, scaled by 65535),
    CMYK and grayscale (replicated to three channels). Multi-frame files give their first frame.

    Args:
        path: a file path, or ``"archive.tar::member/name.jpg"`` for a member of an uncompressed
            tar archive.
        max_pixels: refuse files with more pixels than this, from the header, before decoding
            (default :data:`MAX_IMAGE_PIXELS`, 50 megapixels).

    Returns:
        float32 array of shape ``(H, W, 3)`` in ``[0, 1]``, upright.

    Raises:
        FileNotFoundError: the file (or archive, or archive member) does not exist.
        ImageReadError: the file cannot be decoded (corrupt, truncated, not an image); the
            message names the file and the cause (a photo above ``max_pixels`` gives its size
            and the limit). A subclass of ``ValueError``.
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
    if max_pixels is not None:
        max_pixels = _checks.check_int("max_pixels", max_pixels)
    image = open_image(os.fspath(path), max_pixels=max_pixels)
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
# Fixed-size crops in NumPy
# ----------------------------------------------------------------------------------------------


SPACES = ("lab", "yuv")
CROPS = ("center", "random", "resize")


def crop_offsets(
    height: int, width: int, size: int, rng: np.random.Generator | None
) -> tuple[int, int]:
    if rng is None:
        return (height - size) // 2, (width - size) // 2
    return int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1))


def fixed_crop(path: str, size: int, crop: str, rng: np.random.Generator | None) -> np.ndarray:
    if crop == "resize":
        image = to_uint8(open_image(path, draft_size=size))
        image = image.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
        return np.asarray(image, dtype=np.uint8)
    image = load_rgb8(path, short_side=size)
    top, left = crop_offsets(*image.shape[:2], size, rng if crop == "random" else None)
    return image[top : top + size, left : left + size]


def _map_threads(function, items: Sequence, description: str, progress: bool) -> list:
    workers = min(4, os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [function(item) for item in progress_bar(items, len(items), description, progress)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(progress_bar(pool.map(function, items), len(items), description, progress))


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
    paths = _checks.check_paths("paths", paths)
    size = _checks.check_int("size", size)
    crop = _checks.check_choice("crop", crop, CROPS)
    seeds = np.random.SeedSequence(seed).spawn(len(paths))

    def load(index: int) -> np.ndarray:
        rng = np.random.default_rng(seeds[index]) if crop == "random" else None
        return fixed_crop(paths[index], size, crop, rng)

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
    paths = _checks.check_paths("paths", paths)
    size = _checks.check_int("size", size)
    if not isinstance(scale, numbers.Real) or not 1.0 <= scale < 16 or not math.isfinite(scale):
        raise ValueError(f"scale must be a number in [1, 16). Received: scale={scale!r}")
    padded = math.ceil(size * float(scale) - 1e-9)

    def load(path: str) -> np.ndarray:
        return fixed_crop(path, padded, "center", None)

    return np.stack(_map_threads(load, paths, "decoding images", progress))


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def save_image(image: np.ndarray, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write an RGB image to a PNG/JPEG/TIFF/WebP/BMP file atomically (the uint8 boundary).

    The file is written to a temporary name in the same folder, then renamed, so a killed
    process never leaves a half-written image. An existing file is never replaced unless
    ``overwrite=True``, so a user's photo cannot be overwritten by accident: not even one that
    another process writes at the same moment (``colorkit.atomic.publish``).

    Args:
        image: float ``(H, W, 3)`` RGB or ``(H, W)`` gray in [0, 1].
        path: Output path; the format follows the extension.
        overwrite: Replace an existing file.

    Returns:
        The written ``Path``.

    Raises:
        ValueError: For a wrong shape, values outside [0, 1], NaN, or an unknown extension.
        FileExistsError: If ``path`` exists (or appears while writing) and ``overwrite`` is
            False.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> save_image(np.zeros((4, 4, 3), np.float32), os.path.join(folder, "a.png")).name
        'a.png'
    """
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
    with atomic.atomic_path(path, overwrite=overwrite) as temporary:
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
