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
