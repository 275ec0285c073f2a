"""Regression: the shipped models colorize the demo photos to the same pixels as colorkit 0.1.

The reference (``tests/golden/colorized.npz``) was computed from the code *before* the issue-10
refactor (one colorize core): for each shipped model and each demo photo
(``colorkit.data.sample_paths()``), the 12 x 12 grid of block means of the colorized RGB image
and its per-channel mean and standard deviation. Regenerate only on purpose, with
``COLORKIT_WRITE_GOLDEN=1 python -m pytest tests/test_golden.py``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from colorkit import color, data, infer, pretrained

GOLDEN = Path(__file__).resolve().parent / "golden" / "colorized.npz"
GRID = 12
#: Tolerance on block means and channel statistics of RGB in [0, 1] (float round-off only).
ATOL = 5e-4


def fingerprint(image: np.ndarray) -> np.ndarray:
    """(GRID * GRID * 3 + 6,) float32: block means, then per-channel mean and std."""
    height, width = image.shape[:2]
    rows = np.linspace(0, height, GRID + 1).astype(int)
    cols = np.linspace(0, width, GRID + 1).astype(int)
    blocks = [
        image[rows[i] : rows[i + 1], cols[j] : cols[j + 1]].mean(axis=(0, 1))
        for i in range(GRID)
        for j in range(GRID)
    ]
    stats = [image.mean(axis=(0, 1)), image.std(axis=(0, 1))]
    return np.concatenate([np.ravel(blocks), *stats]).astype(np.float32)


def compute() -> dict[str, np.ndarray]:
    result = {}
    for model_name in pretrained.available_pretrained():
        model = pretrained.load_pretrained(model_name)
        for photo, path in data.sample_paths().items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", color.GamutWarning)
                rgb = infer.colorize(path, model)
            result[f"{model_name}/{photo}"] = fingerprint(np.asarray(rgb, np.float32))
    return result


@pytest.mark.slow
def test_shipped_models_colorize_demo_photos_as_before():
    current = compute()
    if os.environ.get("COLORKIT_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        np.savez_compressed(GOLDEN, **current)
    reference = dict(np.load(GOLDEN))
    shared = sorted(set(reference) & set(current))
    assert len(shared) >= len(reference) // 2, (sorted(reference), sorted(current))
    for key in shared:
        np.testing.assert_allclose(current[key], reference[key], atol=ATOL, err_msg=key)
