"""Loading a saved colorkit model file (the registered layers and losses come with the import)."""

from __future__ import annotations

import os
from pathlib import Path

import keras

# Registers colorkit's Keras losses, so that a model saved compiled with one loads back.
from colorkit import losses  # noqa: F401
from colorkit.models import layers, spec  # noqa: F401  (registered layers)


def load_file(path: str | os.PathLike, compile: bool = False) -> keras.Model:
    """Load a ``.keras`` file saved by colorkit (not compiled unless ``compile``).

    Args:
        path: Path of the ``.keras`` file.
        compile: Restore the optimizer and loss too (to resume training).

    Returns:
        The ``keras.Model``.

    Raises:
        FileNotFoundError: If the file does not exist (the message names the path).

    Example:
        >>> load_file("/nonexistent/model.keras")
        Traceback (most recent call last):
        ...
        FileNotFoundError: Model file not found: '/nonexistent/model.keras'
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: '{path}'")
    return keras.saving.load_model(path, compile=compile)
