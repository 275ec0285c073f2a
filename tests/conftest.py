"""Shared pytest fixtures for colorkit's tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "agg")

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Debian's chromium (``make browser-deps``) and the flags it needs here as root, offline.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHARED_DATA = Path(os.environ.get("COLORKIT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips the test with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-photo data not found at {SHARED_DATA} (set COLORKIT_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture()
def random_rgb(rng) -> np.ndarray:
    """A small random float32 RGB batch (2, 16, 16, 3) in [0, 1]."""
    return rng.random((2, 16, 16, 3), dtype=np.float32)


@pytest.fixture(scope="session")
def photo_paths(tmp_path_factory):
    """Six small random photos (PNG) with some real chroma, for feature caches."""
    from colorkit import data

    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    paths = []
    for index in range(6):
        image = rng.random((48 + 8 * index, 64, 3)).astype("float32")
        image[..., 0] = np.linspace(0, 1, 64)  # some real chroma
        path = folder / f"photo_{index}.png"
        data.save_image(image, path)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="session")
def random_encoder():
    """The ResNet-50-1by2 encoder with random weights (no download)."""
    from colorkit.models import encoders

    return encoders.resnet50_1by2(weights=None)


def _build_cache(folder, paths, encoder, crop_size=64, views=2, **kwargs):
    from colorkit import features

    plan = features.crop_plan([(paths, views)], seed=0)
    return features.build_feature_cache(
        folder,
        plan,
        crop_size=crop_size,
        batch_size=4,
        progress=False,
        encoder_model=encoder,
        **kwargs,
    )


@pytest.fixture()
def build_cache():
    """``build_cache(folder, paths, encoder, crop_size=64, views=2, **kwargs)``: a small
    feature cache of ``views`` crops per photo (``colorkit.features``), its folder returned."""
    return _build_cache
