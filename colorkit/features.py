"""Cached encoder features: compute a frozen encoder once per crop, train the decoder many times.

With the encoder frozen, its features of a crop never change, so the expensive part of every
training step (the encoder's forward pass) can be done once. ``build_feature_cache`` draws a
deterministic plan of crops from photo lists (random-resized square crops, several per photo),
runs the encoder on them in batches and stores, per crop:

- the encoder taps the decoder uses (``stage2``, ``stage3``, ``stage4``), float16;
- the 1/4-resolution lightness ``L / 100`` and ab target ``ab / 110`` (4x4 average), float16.

Each array is one ``.npy`` file of shape ``(N, ...)`` in the cache folder, next to ``meta.json``
(encoder, crop size, the plan's digest) and ``progress.json`` (crops done, build seconds). The
arrays are written in place batch by batch and ``progress.json`` is replaced atomically after
each flush, so a killed build resumes where it stopped; a cache built for another encoder, crop
size or plan is refused with a message naming the difference. ``FeatureCache`` reads rows with plain
file reads (not memory maps), so a training run's memory stays bounded by its batch.

Example:
    >>> plan = crop_plan([("a.jpg", 2)], seed=0)
    >>> [(item.path, item.view) for item in plan]
    [('a.jpg', 0), ('a.jpg', 1)]
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from colorkit import atomic, color, data
from colorkit.models import encoders, guided

#: Arrays of a cache: name -> (shape per crop given the crop size s, dtype).
FORMAT_VERSION = 1


def _array_shapes(crop_size: int) -> dict[str, tuple[int, ...]]:
    quarter = crop_size // guided.OUTPUT_STRIDE
    shapes = {
        name: (crop_size // stride, crop_size // stride, channels)
        for name, stride, channels in guided.DECODER_TAPS
    }
    shapes["lightness"] = (quarter, quarter, 1)
    shapes["ab"] = (quarter, quarter, 2)
    return shapes


@dataclasses.dataclass(frozen=True)
class CropItem:
    """One planned crop: a photo, which view of it, and the view's random numbers.

    Attributes:
        path: Photo path (archive references allowed).
        view: Index of the view of this photo (0-based).
        scale: Side of the square crop as a fraction of the photo's short side, in (0, 1].
        top: Vertical position of the crop in [0, 1] (0 top, 1 bottom of the free range).
        left: Horizontal position in [0, 1].
    """

    path: str
    view: int
    scale: float = 1.0
    top: float = 0.5
    left: float = 0.5


def crop_plan(
    sources: Sequence[tuple[Sequence[str] | str, int]],
    seed: int = 0,
    min_scale: float = 0.4,
) -> list[CropItem]:
    """Deterministic list of crops: ``views`` random-resized square crops per photo.

    Args:
        sources: ``(paths, views)`` pairs: a list of photo paths (or one path) and how many
            crops to take of each (>= 1). View 0 of each photo is the central crop of the whole
            short side; the others have random scale in ``[min_scale, 1]`` and position.
        seed: Seed of the random crops.
        min_scale: Smallest crop side as a fraction of the short side, in (0, 1].

    Returns:
        The plan, in source order (shuffling is the trainer's job).

    Raises:
        ValueError: For bad views, seed or scale.
    """
    if not 0 < min_scale <= 1:
        raise ValueError(f"min_scale must be in (0, 1]. Received: min_scale={min_scale}")
    rng = np.random.default_rng(seed)
    plan = []
    for paths, views in sources:
        if isinstance(views, bool) or not isinstance(views, int) or views < 1:
            raise ValueError(f"views must be an int >= 1. Received: views={views!r}")
        for path in [paths] if isinstance(paths, str | os.PathLike) else paths:
            for view in range(views):
                if view == 0:
                    plan.append(CropItem(os.fspath(path), 0))
                    continue
                scale, top, left = rng.uniform(min_scale, 1.0), rng.random(), rng.random()
                plan.append(CropItem(os.fspath(path), view, float(scale), float(top), float(left)))
    return plan


@dataclasses.dataclass(frozen=True)
class BalancedRows:
    """Which cache rows an epoch trains on: a fixed quota of each source, drawn afresh.

    A plan built from several sources holds each source's crops as one block of rows
    (:func:`crop_plan` keeps source order). Every epoch takes ``min(quota, rows of the
    source)`` rows of each block, drawn without replacement from ``(seed, epoch)``, and
    shuffles them together: a large source (23,000 faces) gives an epoch no more than
    ``quota`` crops, a different subset each epoch, and a small one all of its crops.

    Attributes:
        sizes: Rows of each source's block, in plan order (each >= 1).
        quota: Most rows of one source per epoch (>= 1).
        seed: Seed of the draws.

    Example:
        >>> rows = BalancedRows((5, 100), quota=10)
        >>> len(rows)
        15
        >>> sorted(rows.epoch(0).tolist())[:5]
        [0, 1, 2, 3, 4]
    """

    sizes: tuple[int, ...]
    quota: int
    seed: int = 0

    def __post_init__(self):
        if not self.sizes or any(
            isinstance(size, bool) or not isinstance(size, int) or size < 1 for size in self.sizes
        ):
            raise ValueError(f"sizes must be ints >= 1. Received: sizes={self.sizes!r}")
        if isinstance(self.quota, bool) or not isinstance(self.quota, int) or self.quota < 1:
            raise ValueError(f"quota must be an int >= 1. Received: quota={self.quota!r}")

    def __len__(self) -> int:
        return sum(min(size, self.quota) for size in self.sizes)

    @property
    def count(self) -> int:
        """Rows of the whole cache."""
        return sum(self.sizes)

    def epoch(self, epoch: int) -> np.ndarray:
        """The epoch's rows (int64), shuffled; they depend only on ``(seed, epoch)``."""
        rng = np.random.default_rng([self.seed, epoch, 1])
        starts = np.cumsum((0, *self.sizes[:-1]))
        chosen = [
            start + (rng.permutation(size)[: self.quota] if size > self.quota else np.arange(size))
            for start, size in zip(starts, self.sizes, strict=True)
        ]
        return rng.permutation(np.concatenate(chosen)).astype(np.int64)

    def to_dict(self) -> dict:
        return {"sizes": list(self.sizes), "quota": self.quota, "seed": self.seed}


def source_sizes(sources: Sequence[tuple[Sequence[str] | str, int]]) -> tuple[int, ...]:
    """Rows of each source's block in a plan built from ``sources`` (photos x views)."""
    return tuple(
        (1 if isinstance(paths, str | os.PathLike) else len(paths)) * views
        for paths, views in sources
    )


def plan_digest(plan: Sequence[CropItem]) -> str:
    """SHA-256 of a plan (paths, views and crop numbers), to recognise its cache."""
    digest = hashlib.sha256()
    for item in plan:
        digest.update(
            f"{item.path}|{item.view}|{item.scale:.6f}|{item.top:.6f}|{item.left:.6f}\n".encode()
        )
    return digest.hexdigest()


def load_crop(item: CropItem, crop_size: int) -> np.ndarray:
    """Reads a planned crop: float32 ``(crop_size, crop_size, 3)`` sRGB in [0, 1].

    Photos smaller than the crop (e.g. CIFAR-10's 32 px) are upscaled bicubically.
    """
    image = Image.fromarray(np.round(data.read_image(item.path) * 255).astype(np.uint8))
    width, height = image.size
    side = max(1, int(round(min(width, height) * item.scale)))
    top = int(round((height - side) * item.top))
    left = int(round((width - side) * item.left))
    image = image.crop((left, top, left + side, top + side))
    image = image.resize((crop_size, crop_size), Image.Resampling.BICUBIC, reducing_gap=3.0)
    return np.asarray(image, dtype=np.float32) / 255.0


def _quarter(array: np.ndarray) -> np.ndarray:
    n, h, w, c = array.shape
    return array.reshape(n, h // 4, 4, w // 4, 4, c).mean(axis=(2, 4))


class FeatureCacheMismatch(ValueError):
    """A cache folder holds features of another encoder, crop size or plan."""


def build_feature_cache(
    cache_dir: str | os.PathLike,
    plan: Sequence[CropItem],
    encoder: str = "resnet50_1by2",
    crop_size: int = 128,
    batch_size: int = 32,
    progress: bool = True,
    encoder_model=None,
) -> Path:
    """Computes (or resumes computing) the encoder features of every crop of a plan.

    Args:
        cache_dir: Folder of the cache (created if missing).
        plan: Crops from :func:`crop_plan`.
        encoder: Encoder name (``colorkit.models.encoders.ENCODERS``); its trained weights.
        crop_size: Side of the crops in pixels, a multiple of 32.
        batch_size: Crops per encoder call.
        progress: Show a progress bar.
        encoder_model: An already built encoder (tests pass a random one); default builds the
            trained encoder.

    Returns:
        The cache folder.

    Raises:
        FeatureCacheMismatch: If the folder holds a cache of another encoder, crop size or plan.
        ValueError: For an empty plan or a crop size that is not a multiple of 32.
    """
    if not plan:
        raise ValueError("The crop plan is empty. Received: len(plan)=0")
    if isinstance(crop_size, bool) or not isinstance(crop_size, int) or crop_size % 32:
        raise ValueError(f"crop_size must be a multiple of 32. Received: crop_size={crop_size!r}")
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": FORMAT_VERSION,
        "encoder": encoder,
        "crop_size": crop_size,
        "count": len(plan),
        "plan_sha256": plan_digest(plan),
        "arrays": {name: list(shape) for name, shape in _array_shapes(crop_size).items()},
    }
    meta_path = cache_dir / "meta.json"
    if meta_path.exists():
        _check_meta(json.loads(meta_path.read_text()), meta, cache_dir)
    arrays = {}
    for name, shape in _array_shapes(crop_size).items():
        path = cache_dir / f"{name}.npy"
        mode = "r+" if path.exists() and meta_path.exists() else "w+"
        arrays[name] = np.lib.format.open_memmap(
            path, mode=mode, dtype=np.float16, shape=(len(plan), *shape)
        )
    if not meta_path.exists():
        atomic.write_json(meta_path, meta)
    progress_path = cache_dir / "progress.json"
    recorded = json.loads(progress_path.read_text()) if progress_path.exists() else {}
    done = recorded.get("done", 0)
    if done >= len(plan):
        return cache_dir
    # Build time summed over every process that worked on the cache (a resumed build counts
    # the killed process's time up to its last flush).
    seconds_before = recorded.get("seconds", 0.0 if done == 0 else None)
    started = time.perf_counter()
    model = encoder_model or encoders.build_encoder(encoder, weights="trained", space="lab")
    tap_index = {
        name: index for index, (name, _, _) in enumerate(encoders.ENCODERS[encoder]["taps"])
    }
    bar = tqdm(total=len(plan), initial=done, desc="encoder features", disable=not progress)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        starts = range(done, len(plan), batch_size)
        batches = (plan[start : start + batch_size] for start in starts)
        loaded = (
            pool.submit(lambda items: np.stack([load_crop(i, crop_size) for i in items]), items)
            for items in batches
        )
        pending = [next(loaded, None)]
        for start in starts:
            pending.append(next(loaded, None))
            images = pending.pop(0).result()
            lab = color.rgb_to_lab(images)
            lightness = (lab[..., :1] / color.L_SCALE).astype(np.float32)
            taps = model.predict_on_batch(lightness)
            stop = start + len(images)
            for name, _, _ in guided.DECODER_TAPS:
                arrays[name][start:stop] = np.asarray(taps[tap_index[name]], np.float16)
            arrays["lightness"][start:stop] = _quarter(lightness).astype(np.float16)
            arrays["ab"][start:stop] = _quarter(lab[..., 1:] / color.AB_SCALE).astype(np.float16)
            for array in arrays.values():
                array.flush()
            seconds = None
            if seconds_before is not None:
                seconds = round(seconds_before + time.perf_counter() - started, 3)
            atomic.write_json(progress_path, {"done": stop, "seconds": seconds})
            bar.update(len(images))
    bar.close()
    return cache_dir


def build_seconds(cache_dir: str | os.PathLike) -> float | None:
    """Seconds spent building a cache, summed over the processes that built it.

    Returns:
        The recorded seconds, or None when the cache is missing or incomplete, or was started
        before build times were recorded.
    """
    progress_path = Path(cache_dir) / "progress.json"
    meta_path = Path(cache_dir) / "meta.json"
    if not progress_path.exists() or not meta_path.exists():
        return None
    recorded = json.loads(progress_path.read_text())
    if recorded.get("done", 0) < json.loads(meta_path.read_text())["count"]:
        return None
    return recorded.get("seconds")


def _check_meta(found: dict, expected: dict, cache_dir: Path) -> None:
    for key in ("format", "encoder", "crop_size", "count", "plan_sha256"):
        if found.get(key) != expected[key]:
            raise FeatureCacheMismatch(
                f"The feature cache in '{cache_dir}' was built for another {key}: expected "
                f"{expected[key]!r}, found {found.get(key)!r}. Use another folder or delete it. "
                f"Received: cache_dir='{cache_dir}'"
            )


class FeatureCache:
    """Reads a complete feature cache, from RAM or row by row from disk.

    Args:
        cache_dir: A folder written by :func:`build_feature_cache`.
        encoder: Expected encoder name (None accepts any).
        crop_size: Expected crop size (None accepts any).
        in_memory: Read every array into RAM once (sequential reads, float16: about 235 kB per
            128 px crop). Training draws random rows, and random reads of a multi-GB file are
            disk-bound, so training uses this; ``False`` reads rows
            on demand with plain file reads (bounded memory, slow for random access).

    Attributes:
        meta: The cache's ``meta.json``.
        count: Number of crops.

    Raises:
        FileNotFoundError: If the folder is not a cache.
        FeatureCacheMismatch: For another encoder or crop size than expected.
        ValueError: If the cache is incomplete (its build was interrupted: run it again).
    """

    def __init__(
        self,
        cache_dir,
        encoder: str | None = None,
        crop_size: int | None = None,
        in_memory: bool = False,
    ):
        self.cache_dir = Path(cache_dir)
        meta_path = self.cache_dir / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"Not a feature cache (no meta.json): '{self.cache_dir}'")
        self.meta = json.loads(meta_path.read_text())
        for key, value in (("encoder", encoder), ("crop_size", crop_size)):
            if value is not None and self.meta[key] != value:
                raise FeatureCacheMismatch(
                    f"The feature cache in '{self.cache_dir}' was built for {key}="
                    f"{self.meta[key]!r}, not {value!r}. Received: {key}={value!r}"
                )
        self.count = int(self.meta["count"])
        progress_path = self.cache_dir / "progress.json"
        done = json.loads(progress_path.read_text())["done"] if progress_path.exists() else 0
        if done < self.count:
            raise ValueError(
                f"The feature cache in '{self.cache_dir}' is incomplete ({done} of {self.count} "
                "crops): run its build again to resume it."
            )
        self._files = {}
        self._arrays = {}
        for name, shape in self.meta["arrays"].items():
            path = self.cache_dir / f"{name}.npy"
            offset = np.load(path, mmap_mode="r").offset
            row = int(np.prod(shape))
            if in_memory:
                array = np.fromfile(path, np.float16, count=self.count * row, offset=offset)
                self._arrays[name] = array.reshape(self.count, *shape)
            else:
                self._files[name] = (open(path, "rb"), offset, row, tuple(shape))  # noqa: SIM115

    def read(self, indices: Sequence[int], dtype="float32") -> dict[str, np.ndarray]:
        """Rows ``indices`` of every array, ``(len(indices), ...)``.

        Args:
            indices: Row numbers in ``[0, count)``.
            dtype: ``"float32"`` (default) or ``"float16"`` (as stored: no conversion, which
                costs NumPy more than a training step; a model casts it on the fly).
        """
        out = {name: array[np.asarray(indices)] for name, array in self._arrays.items()}
        for name, (handle, offset, row, shape) in self._files.items():
            batch = np.empty((len(indices), row), np.float16)
            for position, index in enumerate(indices):
                # A positional read: no shared file offset, so threads that prepare batches
                # at the same time (CachedBatches' workers) cannot read each other's rows.
                start = offset + int(index) * row * 2
                if os.preadv(handle.fileno(), [batch[position]], start) != row * 2:
                    raise ValueError(
                        f"The feature cache file '{handle.name}' is shorter than its meta.json "
                        f"says. Received: row={int(index)}"
                    )
            out[name] = batch.reshape(len(indices), *shape)
        return {name: array.astype(dtype, copy=False) for name, array in out.items()}

    def close(self) -> None:
        for handle, *_ in self._files.values():
            handle.close()
        self._arrays.clear()
