"""colorkit: learn, teach and use neural-net image colorization.

Importing colorkit has no side effects: no environment variables are set, no logging is
configured and nothing is downloaded. Submodules are imported lazily so that ``import
colorkit`` stays fast and NumPy-only code does not pull in TensorFlow.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "color",
    "color_ops",
    "data",
    "models",
    "losses",
    "metrics",
    "training",
    "evaluation",
    "infer",
    "viz",
    "widgets",
    "video",
    "pretrained",
    "cli",
)

__all__ = [*_SUBMODULES, "__version__", "load_pretrained"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"colorkit.{name}")
    if name == "load_pretrained":
        return importlib.import_module("colorkit.pretrained").load_pretrained
    raise AttributeError(f"module 'colorkit' has no attribute {name!r}")
