"""Training batches with ``tf.data``: :func:`make_tf_dataset` and its three stages.

Decode (:func:`decode_image`, :func:`load_image`), augment (:func:`random_crop`,
:func:`crop_encoded`) and encode (:func:`to_model_scale`, :func:`encode_image`) are plain
functions on tensors; :func:`make_tf_dataset` checks its arguments and chains them. This module
imports TensorFlow, so ``colorkit.data`` loads it only when ``make_tf_dataset`` is first used.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from colorkit import _checks, color_ops
from colorkit.data.images import (
    ARCHIVE_SEPARATOR,
    SPACES,
    ImageReadError,
    split_reference,
    tar_index,
    to_uint8_array,
)
from colorkit.data.numpy_pipeline import encode_batch

__all__ = [
    "crop_encoded",
    "decode_image",
    "encode_image",
    "load_image",
    "make_tf_dataset",
    "random_crop",
    "tf_decodable",
    "to_model_scale",
]


def tf_decodable(path: str) -> bool:
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


# ----------------------------------------------------------------------------------------------
# Decode: file -> uint8 (H, W, 3)
# ----------------------------------------------------------------------------------------------


def _pil_decode(path: np.ndarray, short_side: np.ndarray) -> np.ndarray:
    return to_uint8_array(path.decode(), int(short_side))


def decode_image(path, use_tf_decoder, short_side):
    """uint8 ``(H, W, 3)`` of one file: TensorFlow's decoder, or :func:`read_image`'s (PIL)."""

    def with_tf():
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=3, expand_animations=False, dtype=tf.uint8
        )
        return tf.ensure_shape(image, [None, None, 3])

    def with_pil():
        image = tf.numpy_function(_pil_decode, [path, short_side], tf.uint8, stateful=False)
        return tf.ensure_shape(image, [None, None, 3])

    return tf.cond(use_tf_decoder, with_tf, with_pil)


def resize_short_side(image, short_side):
    """uint8 image resized (bicubic, antialiased) so its short side is ``short_side``."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.cast(short_side, tf.float32) / tf.reduce_min(shape)
    new_shape = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), short_side)
    resized = tf.image.resize(
        tf.cast(image, tf.float32), new_shape, method="bicubic", antialias=True
    )
    return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)


def center_crop(image, size: int):
    """The central ``size x size`` square."""
    shape = tf.shape(image)
    top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
    return image[top : top + size, left : left + size]


def load_image(path, use_tf_decoder, size: int, cached_side: int, augment: bool, cached: bool):
    """Decode stage: without ``augment`` the central S square; with it the whole photo, resized
    to a short side of ``cached_side`` when it is cached (otherwise :func:`random_crop` resizes
    the full image once)."""
    image = decode_image(path, use_tf_decoder, cached_side)
    if not augment:
        return center_crop(resize_short_side(image, size), size)
    return resize_short_side(image, cached_side) if cached else image


# ----------------------------------------------------------------------------------------------
# Augment: random scale, crop and flip
# ----------------------------------------------------------------------------------------------


def random_crop(image, seed_pair, size: int, low: float, high: float):
    """uint8 photo -> a random ``size`` square at a scale in ``[low, high]``, flipped or not."""
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


def crop_encoded(encoded, seed_pair, size: int, low: float, high: float):
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


# ----------------------------------------------------------------------------------------------
# Encode: uint8 RGB -> model-scale (lightness, chroma)
# ----------------------------------------------------------------------------------------------


def to_model_scale(images, space: str, size: int | None = None):
    """uint8 ``(B, H, W, 3)`` -> float32 ``(L (B, H, W, 1), chroma (B, H, W, 2))``; with
    ``size``, the shapes are pinned to ``S x S``."""
    images = tf.cast(images, tf.float32) / 255.0
    if keras.backend.backend() == "tensorflow":
        encode = color_ops.encode_lab if space == "lab" else color_ops.encode_yuv
        lightness, chroma = encode(images)
    else:
        lightness, chroma = tf.numpy_function(
            lambda x: encode_batch(x, space), [images], (tf.float32, tf.float32), stateful=False
        )
    lightness, chroma = tf.cast(lightness, tf.float32), tf.cast(chroma, tf.float32)
    if size is not None:
        lightness = tf.ensure_shape(lightness, [None, size, size, 1])
        chroma = tf.ensure_shape(chroma, [None, size, size, 2])
    return lightness, chroma


def encode_image(image, space: str):
    """uint8 (H, W, 3) -> float32 (H, W, 3) model-scale (lightness, chroma) stacked."""
    lightness, chroma = to_model_scale(image[None], space)
    return tf.concat([lightness[0], chroma[0]], axis=-1)


# ----------------------------------------------------------------------------------------------
# The pipeline
# ----------------------------------------------------------------------------------------------


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
    determined by ``seed`` (and differ between epochs).

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
    paths = _checks.check_paths("paths", paths)
    image_size = _checks.check_int("image_size", image_size)
    batch_size = _checks.check_int("batch_size", batch_size)
    space = _checks.check_choice("space", space, SPACES)
    decoder = _checks.check_choice("decoder", decoder, ("auto", "tf", "pil"))
    low, high = _checks.check_scale_jitter(scale_jitter)
    seed = _checks.check_seed(seed)
    if not isinstance(cache, bool | str | os.PathLike):
        raise TypeError(f"cache must be a bool or a file path. Received: cache={cache!r}")
    for path in paths:
        archive, member = split_reference(path)
        if member is None and not os.path.isfile(path):
            raise FileNotFoundError(f"Image file not found: {path!r}")
        if member is not None and member not in tar_index(archive):
            raise FileNotFoundError(f"Member {member!r} not found in archive {archive!r}")
    if decoder == "auto":
        use_tf = [tf_decodable(path) for path in paths]
    elif decoder == "tf":
        use_tf = [
            ARCHIVE_SEPARATOR not in p and p.lower().endswith((".jpg", ".jpeg", ".png"))
            for p in paths
        ]
    else:
        use_tf = [False] * len(paths)

    size = image_size
    cached_side = math.ceil(size * high - 1e-9) if augment else size
    autotune = tf.data.AUTOTUNE

    def load(path, use_tf_decoder):
        return load_image(path, use_tf_decoder, size, cached_side, augment, cache is not False)

    def random_square(image, seed_pair):
        return random_crop(image, seed_pair, size, low, high)

    def random_encoded_square(encoded, seed_pair):
        return crop_encoded(encoded, seed_pair, size, low, high)

    def encode_batch_of_squares(images):
        return to_model_scale(images, space, size)

    dataset = tf.data.Dataset.from_tensor_slices((paths, use_tf))
    if cache is not False and augment and keras.backend.backend() == "tensorflow":
        # Decode, resize and convert once; later epochs only crop, flip and batch, so the
        # pipeline costs the training step almost nothing on a 2-core machine.
        dataset = dataset.map(
            lambda p, t: encode_image(load(p, t), space), num_parallel_calls=autotune
        )
        dataset = dataset.cache("" if cache is True else os.fspath(cache))
        if shuffle:
            dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
        if repeat:
            dataset = dataset.repeat()
        randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip(dataset, randoms)
        dataset = dataset.map(random_encoded_square, num_parallel_calls=autotune)
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
        dataset = dataset.map(random_square, num_parallel_calls=autotune)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    dataset = dataset.map(encode_batch_of_squares, num_parallel_calls=autotune)
    return dataset.prefetch(autotune)
