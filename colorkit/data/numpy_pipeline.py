"""Training batches with NumPy and Pillow: :class:`ColorPyDataset`, a ``keras.utils.PyDataset``.

Usable with any Keras backend (no TensorFlow needed). This module imports keras, so
``colorkit.data`` loads it only when ``ColorPyDataset`` is first used.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from PIL import Image

from colorkit import _checks, color
from colorkit.data.images import SPACES, crop_offsets, fixed_crop, load_rgb8

__all__ = ["ColorPyDataset", "augment_square", "encode_batch"]


def encode_batch(images: np.ndarray, space: str) -> tuple[np.ndarray, np.ndarray]:
    """float32 RGB (N, S, S, 3) in [0, 1] -> model-scale (lightness, chroma), float32."""
    if space == "lab":
        lightness, chroma = color.encode_lab(images)
    else:
        lightness, chroma = color.encode_yuv(images)
    return lightness.astype(np.float32), chroma.astype(np.float32)


def augment_square(
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
    top, left = crop_offsets(padded, image.shape[1], crop, rng)
    patch = image[top : top + crop, left : left + crop]
    if crop != size:
        patch = np.asarray(
            Image.fromarray(patch).resize((size, size), Image.Resampling.BICUBIC, reducing_gap=3.0)
        )
    if rng is not None and rng.random() < 0.5:
        patch = patch[:, ::-1]
    return patch


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
        self.image_size = _checks.check_int("image_size", image_size)
        self.batch_size = _checks.check_int("batch_size", batch_size)
        self.space = _checks.check_choice("space", space, SPACES)
        self.scale_jitter = _checks.check_scale_jitter(scale_jitter)
        self.seed = _checks.check_seed(seed)
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
            self.images, self.paths = None, _checks.check_paths("source", source)
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
            return augment_square(self.images[index], size, self.scale_jitter, rng)
        if rng is None:
            return fixed_crop(self.paths[index], size, "center", None)
        short_side = math.ceil(size * rng.uniform(*self.scale_jitter) - 1e-9)
        image = load_rgb8(self.paths[index], short_side=short_side)
        top, left = crop_offsets(*image.shape[:2], size, rng)
        patch = image[top : top + size, left : left + size]
        return patch[:, ::-1] if rng.random() < 0.5 else patch

    def __getitem__(self, batch_index: int):
        if not 0 <= batch_index < len(self):
            raise IndexError(
                f"batch_index out of range [0, {len(self)}). Received: batch_index={batch_index}"
            )
        start = batch_index * self.batch_size
        indices = self._order[start : start + self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, batch_index]) if self.augment else None
        crops = np.stack([self._crop(int(i), rng) for i in indices])
        return encode_batch(crops.astype(np.float32) / np.float32(255.0), self.space)

    def set_epoch(self, epoch: int) -> None:
        """Go to ``epoch`` (its order and crops come from ``(seed, epoch)``), e.g. to resume."""
        self.epoch = _checks.check_int("epoch", epoch, minimum=0)
        self._order = self._permutation()

    def on_epoch_end(self) -> None:
        """Advances the epoch counter and reshuffles with ``seed + epoch``."""
        self.epoch += 1
        self._order = self._permutation()
