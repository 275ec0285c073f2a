"""Pretrained colorizers that ship inside the package (no download, no GPU needed).

Two models are stored in ``colorkit/weights/``:

- ``"default"``: the colorizer chosen by measurement (see ``MODEL_CARD.md``) and trained with
  ``colorkit train --recipe default`` on the real photos of ImageNet-sample and BSDS500.
- ``"l2-baseline"``: the plain L2 U-Net trained on the same data and budget, kept so that the
  notebooks can show brown sludge next to the fix without training anything.

``weights/manifest.json`` names each model's file, family, training recipe and SHA-256, which
:func:`load_pretrained` verifies before loading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from colorkit import data, models
from colorkit.models import saving

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MANIFEST = WEIGHTS_DIR / "manifest.json"


def _manifest() -> dict:
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def available_pretrained() -> list[str]:
    """Names of the pretrained models listed in the package's weight manifest.

    Returns:
        Sorted list of names accepted by :func:`load_pretrained` (empty when no weights ship).

    Example:
        >>> isinstance(available_pretrained(), list)
        True
    """
    return sorted(_manifest())


def pretrained_info(name: str = "default") -> dict:
    """The manifest entry of one pretrained model (file, family, recipe, sha256, metrics).

    Args:
        name: A name from :func:`available_pretrained`.

    Returns:
        A dict copy of the manifest entry.

    Raises:
        ValueError: If ``name`` is not a known pretrained model.
    """
    manifest = _manifest()
    if name not in manifest:
        known = ", ".join(sorted(manifest)) or "none (the weights are not installed)"
        raise ValueError(
            f"Unknown pretrained model: expected one of {known}. Received: name={name!r}"
        )
    return dict(manifest[name])


def pretrained_path(name: str = "default") -> Path:
    """Path of a pretrained model's ``.keras`` file inside the package.

    Args:
        name: A name from :func:`available_pretrained`.

    Returns:
        The ``Path`` of the weights file.

    Raises:
        ValueError: If ``name`` is unknown.
        FileNotFoundError: If the file listed in the manifest is missing.
    """
    path = WEIGHTS_DIR / pretrained_info(name)["file"]
    if not path.is_file():
        raise FileNotFoundError(
            f"Pretrained weights file is missing: '{path}'. Reinstall colorkit, or retrain it "
            "with `colorkit train --recipe default`."
        )
    return path


def load_pretrained(name: str = "default", verify: bool = True):
    """Load a pretrained colorizer shipped with colorkit.

    The returned model takes model-scale lightness ``(N, H, W, 1)`` float32 in [0, 1] and is
    used through :func:`colorkit.infer.colorize`, which keeps the input's full-resolution
    luminance and accepts any image size.

    Args:
        name: "default" (the shipped colorizer) or "l2-baseline" (the L2 U-Net that shows
            brown sludge), or a path to a ``.keras`` file.
        verify: Check the file's SHA-256 against the manifest before loading.

    Returns:
        A ``keras.Model`` (not compiled; inference only). Its ``ModelSpec``
        (``colorkit.models.model_spec``) holds the recommended decoding settings (annealed-mean
        temperature, saturation, working size, chosen on validation photos), which
        ``colorkit.infer.colorize`` uses by default.

    Raises:
        ValueError: If ``name`` is unknown or the file fails its checksum.
        FileNotFoundError: If the weights file is missing.

    Example:
        >>> load_pretrained("no-such-model")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Unknown pretrained model: expected one of ...
    """
    if not isinstance(name, str | os.PathLike):
        raise TypeError(f"name must be a string. Received: name={name!r}")
    if isinstance(name, os.PathLike) or name.endswith(".keras"):
        return saving.load_file(name)
    info = pretrained_info(name)
    path = pretrained_path(name)
    digest = data.file_sha256(path) if verify and info.get("sha256") else None
    if digest is not None and digest != info["sha256"]:
        raise ValueError(
            f"Pretrained weights file '{path}' does not match its manifest checksum; the file "
            f"is corrupt or was replaced. Received: sha256={digest}"
        )
    # The decoding settings chosen on validation photos (see MODEL_CARD.md) are stored in the
    # file's ModelSpec; colorize() uses them unless given its own temperature / saturation.
    return saving.load_file(path)


def load_pretrained_hint_model(verify: bool = True):
    """The shipped colorizer that takes user hints (``colorkit colorize --hints`` uses it).

    One network serves both uses (Zhang, Zhu et al. 2017): with no hints it is an automatic
    colorizer. The shipped hint model is the ``"default"`` model when its ``ModelSpec`` has
    ``hint_inputs=True``, else the first other manifest entry marked ``"hint_inputs": true``.

    Args:
        verify: Check the file's SHA-256 against the manifest before loading.

    Returns:
        A ``keras.Model`` with inputs ``[lightness, hint_ab, hint_mask]`` (see
        ``colorkit.models.guided``), used through ``colorkit.infer.colorize(..., hints=...)``.

    Raises:
        ValueError: If no shipped model takes hints (e.g. before the hint model is shipped).
    """
    manifest = _manifest()
    if "default" in manifest:
        model = load_pretrained("default", verify=verify)
        if models.model_spec(model).hint_inputs:
            return model
    for name, info in sorted(manifest.items()):
        if name != "default" and info.get("hint_inputs"):
            model = load_pretrained(name, verify=verify)
            if models.model_spec(model).hint_inputs:
                return model
    raise ValueError(
        "No shipped colorizer takes hints: the 'default' model has no hint inputs and no other "
        f'entry of {MANIFEST.name} is marked "hint_inputs": true. Pass a hint model '
        "(e.g. --model path/to/guided.keras). Received: pretrained models "
        f"{sorted(manifest) or 'none'}"
    )
