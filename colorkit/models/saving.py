"""Loading a saved colorkit model file (the registered layers and losses come with the import)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras

# Registers colorkit's Keras losses, so that a model saved compiled with one loads back.
from colorkit import losses  # noqa: F401
from colorkit.models import layers, spec  # noqa: F401  (registered layers)

#: Members every ``.keras`` archive holds (Keras 3 reads the model from its config.json).
KERAS_MEMBERS = ("config.json",)


def load_file(path: str | os.PathLike, compile: bool = False) -> keras.Model:
    """Load a ``.keras`` file saved by colorkit (not compiled unless ``compile``).

    Args:
        path: Path of the ``.keras`` file.
        compile: Restore the optimizer and loss too (to resume training).

    Returns:
        The ``keras.Model``.

    Raises:
        FileNotFoundError: If the file does not exist (the message names the path).
        ValueError: If the file is not a Keras file (not a zip archive: truncated, or another
            kind of file; a zip without ``config.json``) or a member is corrupt (fails its CRC
            check); the message names the path and the cause.

    Example:
        >>> load_file("/nonexistent/model.keras")
        Traceback (most recent call last):
        ...
        FileNotFoundError: Model file not found: '/nonexistent/model.keras'
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: '{path}'")
    check_keras_archive(path)
    return keras.saving.load_model(path, compile=compile)


def check_keras_archive(path: str | os.PathLike) -> None:
    """Raise ``ValueError`` (naming the file and the cause) unless ``path`` is a sound zip.

    A ``.keras`` file is a zip archive; Keras reports a truncated or foreign file as "File
    not found" and a corrupt member as ``BadZipFile``, which hides the real cause.
    """
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"'{path}' is not a Keras file: expected a .keras zip archive (it may be truncated, "
            "or another kind of file)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            bad_member = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(
            f"'{path}' is a corrupt Keras file ({type(error).__name__}: {error})"
        ) from error
    if bad_member is not None:
        raise ValueError(
            f"'{path}' is a corrupt Keras file: member {bad_member!r} fails its CRC-32 check"
        )
    missing = sorted(set(KERAS_MEMBERS) - names)
    if missing:
        raise ValueError(
            f"'{path}' is not a Keras model file: the zip archive lacks {', '.join(missing)} "
            "(a .keras file holds the model's config.json and its weights)"
        )
