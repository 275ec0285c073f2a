"""Reading photos and feeding them to colorization models.

The package in four modules, from the file up:

- :mod:`~colorkit.data.images`: reading and decoding (EXIF, palette, alpha, 16-bit, tar archive
  members), fixed-size crops, writing: the uint8 <-> float32 boundary of colorkit.
- :mod:`~colorkit.data.datasets`: listing and scanning sources, :func:`resolve_source` (the one
  place a dataset name, folder, archive or file list becomes photo paths), splits, the dataset
  registry, downloads, dataset cards and the sample photos of installed packages.
- :mod:`~colorkit.data.numpy_pipeline`: ``ColorPyDataset``, a ``keras.utils.PyDataset`` of
  ``(L, chroma)`` batches built with NumPy and Pillow only (any Keras backend).
- :mod:`~colorkit.data.tf_pipeline`: ``make_tf_dataset``, the same batches with ``tf.data``,
  as decode / augment / encode stages.

Both pipelines yield ``(L (B, S, S, 1), chroma (B, S, S, 2))`` batches in model scale. On a
small CPU, decode once with :func:`preload_crops` and train from the in-memory ``uint8`` array.
Every public name is re-exported here (``colorkit.data.read_image`` and so on).
"""

from __future__ import annotations

import importlib

from colorkit.data.datasets import (
    DATASETS,
    DatasetCard,
    DatasetInfo,
    ScanReport,
    available_datasets,
    dataset_card,
    dataset_paths,
    dataset_root,
    default_data_root,
    download_dataset,
    list_images,
    load_samples,
    resolve_source,
    sample_paths,
    scan_images,
    split_paths,
)
from colorkit.data.images import (
    ARCHIVE_SEPARATOR,
    CROPS,
    GRAYSCALE_TOLERANCE,
    IMAGE_EXTENSIONS,
    MAX_IMAGE_PIXELS,
    PEAK_BYTES_PER_PIXEL,
    PHOTO_MEMORY_BYTES,
    SPACES,
    ImageReadError,
    file_sha256,
    is_grayscale,
    load_images,
    preload_crops,
    read_image,
    save_image,
)

__all__ = [
    "ARCHIVE_SEPARATOR",
    "CROPS",
    "DATASETS",
    "GRAYSCALE_TOLERANCE",
    "IMAGE_EXTENSIONS",
    "SPACES",
    "ColorPyDataset",  # noqa: F822 (from numpy_pipeline, loaded by __getattr__)
    "DatasetCard",
    "DatasetInfo",
    "ImageReadError",
    "MAX_IMAGE_PIXELS",
    "PEAK_BYTES_PER_PIXEL",
    "PHOTO_MEMORY_BYTES",
    "ScanReport",
    "available_datasets",
    "dataset_card",
    "dataset_paths",
    "dataset_root",
    "default_data_root",
    "download_dataset",
    "file_sha256",
    "is_grayscale",
    "list_images",
    "load_images",
    "load_samples",
    "make_tf_dataset",  # noqa: F822 (from tf_pipeline, loaded by __getattr__)
    "preload_crops",
    "read_image",
    "resolve_source",
    "sample_paths",
    "save_image",
    "scan_images",
    "split_paths",
]

#: Names whose module imports keras (numpy_pipeline) or TensorFlow (tf_pipeline).
_PIPELINE_NAMES = {
    "ColorPyDataset": "numpy_pipeline",
    "make_tf_dataset": "tf_pipeline",
}


def __getattr__(name: str):
    # Lazy on purpose: keras and TensorFlow take seconds to import, and ``import colorkit.data``
    # stays NumPy + Pillow only (tests/test_data.py checks it).
    if name in _PIPELINE_NAMES:
        return getattr(importlib.import_module(f"colorkit.data.{_PIPELINE_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
