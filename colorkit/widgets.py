"""Interactive explorers for notebooks and Voila: ipywidgets controls wired to pure functions.

Every explorer is a small class with the same shape, so it can be driven without a browser::

    explorer = ColorizationExplorer(photos, {"zhang": model})
    explorer.controls["temperature"].value = 0.2   # a slider (ipywidgets), name -> widget
    explorer.result["metrics"]["colorfulness"]     # the latest computed data (a dict)
    explorer.figure                                # the latest matplotlib Figure
    explorer.widget                                # the container; display(explorer) shows it

Moving a control calls ``update()``, which recomputes ``result`` with the module-level pure
functions below (``fit_image``, ``model_output``, ``chroma_from_output``, ``compose``,
``pixel_distribution``; plus ``colorkit.color``, ``colorkit.metrics`` and ``colorkit.viz``), draws
``figure`` and shows it as a PNG in an ``ipywidgets.Image`` (which Voila and browsers render
without a live matplotlib backend). Sliders use ``continuous_update=False``: one update per
release, no debouncing needed. Invalid settings reached through a control (e.g. lambda = 0 with
empty bins) are shown in the explorer's status line and kept in ``explorer.error``; calling
``update()`` directly raises the ``ValueError``.

Explorers:
    ``ColorizationExplorer(images, models)``: photo (or your own upload), model, temperature,
        saturation and blend; gray | prediction | truth, ab histograms, metrics, and a pixel
        inspector showing a classification model's predicted distribution for one pixel.
    ``EpochExplorer(run_dir)``: replay a training run's per-epoch previews with the loss curve.
    ``ReplayExplorer()``: replay the shipped previews of the default recipe's real training run
        (``load_epoch_replay``, ``replay_summary``), the best epoch by validation loss marked.
    ``TemperatureExplorer(probabilities)``: the annealed mean of a distribution as T moves.
    ``RebalancingExplorer(prior)``: Zhang et al.'s class-rebalancing weights as lambda moves.
    ``HintExplorer(photo, hint_model)``: click to place color hints, see them spread (the
        picture is a PIL PNG on the click path, not a matplotlib figure: under a second).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path

import keras
import matplotlib.colors
import numpy as np
import PIL.Image
from matplotlib.figure import Figure

from colorkit import (
    _checks,
    _optional,
    atomic,
    color,
    data,
    hints,
    infer,
    metrics,
    models,
    training,
    viz,
)

# The [notebooks] extra (IPython comes with ipywidgets).
ipywidgets = _optional.require("ipywidgets", "notebooks", "colorkit.widgets")
ipyevents = _optional.require("ipyevents", "notebooks", "colorkit.widgets")
display = _optional.require("IPython.display", "notebooks", "colorkit.widgets").display

__all__ = [
    "ColorizationExplorer",
    "HintExplorer",
    "HintState",
    "EpochExplorer",
    "EpochReplay",
    "ReplayExplorer",
    "RebalancingExplorer",
    "TemperatureExplorer",
    "chroma_from_output",
    "compose",
    "decode_upload",
    "figure_to_png",
    "fit_image",
    "model_info",
    "model_output",
    "load_epoch_replay",
    "pixel_distribution",
    "replay_summary",
]

#: Metrics shown under the ColorizationExplorer's figure (keys of metrics.evaluate_batch).
SHOWN_METRICS = {
    "colorfulness": "colorfulness (prediction)",
    "colorfulness_true": "colorfulness (truth)",
    "psnr": "PSNR (dB)",
    "ssim": "SSIM",
    "auc_ab": "AuC (ab error < 0..150)",
    "rebalanced_auc_ab": "rebalanced AuC",
    "chroma_ratio": "chroma ratio (pred / true)",
}
_DPI = 80
_SLIDER_STYLE = {"description_width": "initial"}
_SLIDER_LAYOUT = {"width": "340px"}


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------
def _check_int(value, name: str, minimum: int = 1) -> int:
    return _checks.check_int(name, value, minimum)


def _check_number(value, name: str, low: float, high: float = math.inf) -> float:
    return _checks.check_number(name, value, low, high)


# --------------------------------------------------------------------------------------------
# Pure functions (what the controls call)
# --------------------------------------------------------------------------------------------
def figure_to_png(figure: Figure, dpi: int = _DPI) -> bytes:
    """Render a matplotlib Figure to PNG bytes (for an ``ipywidgets.Image``).

    Args:
        figure: The Figure.
        dpi: Dots per inch, a positive int.

    Returns:
        The PNG file as bytes.

    Raises:
        TypeError: If ``figure`` is not a Figure.

    Example:
        >>> from matplotlib.figure import Figure
        >>> figure_to_png(Figure(figsize=(1, 1)))[:4]
        b'\\x89PNG'
    """
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure. Received: type={type(figure)}")
    dpi = _check_int(dpi, "dpi")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08)
    return buffer.getvalue()


def fit_image(image, size: int, multiple: int = 1) -> np.ndarray:
    """Resize a photo to long side ``size`` (aspect kept), center-cropped to a multiple.

    The explorers work at one small size per photo, with H and W multiples of every model's
    stride, so that no padding is needed and pixels map one-to-one between panels.

    Args:
        image: float32 RGB ``(H, W, 3)`` in [0, 1].
        size: Long side in pixels after resizing (positive int).
        multiple: H and W are cropped (centered) down to a multiple of this (positive int).

    Returns:
        float32 ``(h, w, 3)`` in [0, 1] with ``max(h, w) <= size`` and ``h % multiple == 0``.

    Raises:
        ValueError: For an invalid image, a non-positive size, or an image too small for the
            multiple.

    Example:
        >>> fit_image(np.zeros((100, 200, 3), np.float32), size=64, multiple=8).shape
        (32, 64, 3)
    """
    image = color.validate_rgb(image)
    if image.ndim != 3:
        raise ValueError(
            f"Invalid image rank: expected 3 (H, W, C). Received: image.shape={image.shape}"
        )
    size = _check_int(size, "size")
    multiple = _check_int(multiple, "multiple")
    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    resized = np.clip(infer.resize_channels(image, new_h, new_w), 0.0, 1.0)
    crop_h, crop_w = new_h // multiple * multiple, new_w // multiple * multiple
    if crop_h == 0 or crop_w == 0:
        raise ValueError(
            f"Image too small: resized to {new_h} x {new_w}, below the models' stride "
            f"{multiple}. Received: image.shape={image.shape}, size={size}"
        )
    top, left = (new_h - crop_h) // 2, (new_w - crop_w) // 2
    return np.ascontiguousarray(resized[top : top + crop_h, left : left + crop_w], np.float32)


def decode_upload(content, name: str = "upload.png") -> np.ndarray:
    """Decode an uploaded image file (bytes) with ``colorkit.data.read_image``.

    The bytes go through a temporary file so that uploads get exactly the handling of files
    on disk (EXIF orientation, palettes, alpha on white, 16-bit, grayscale).

    Args:
        content: The file's bytes (``bytes``, ``bytearray`` or ``memoryview``, as given by
            ``ipywidgets.FileUpload``).
        name: The file name (its suffix is kept; only used for messages and the suffix).

    Returns:
        float32 ``(H, W, 3)`` in [0, 1].

    Raises:
        TypeError: If ``content`` is not bytes-like.
        ValueError: If it is empty or not a decodable image (``data.ImageReadError``).

    Example:
        >>> from PIL import Image
        >>> buffer = io.BytesIO()
        >>> Image.new("RGB", (3, 2), (255, 0, 0)).save(buffer, format="PNG")
        >>> decode_upload(buffer.getvalue(), "red.png")[0, 0].tolist()
        [1.0, 0.0, 0.0]
    """
    if not isinstance(content, bytes | bytearray | memoryview):
        raise TypeError(f"content must be bytes. Received: type={type(content).__name__}")
    payload = bytes(content)
    if not payload:
        raise ValueError(f"Uploaded file is empty. Received: name={name!r}")
    suffix = Path(str(name)).suffix.lower() or ".img"
    handle, temporary = tempfile.mkstemp(prefix="colorkit-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        try:
            return data.read_image(temporary)
        except data.ImageReadError as error:
            raise data.ImageReadError(
                f"Cannot decode the uploaded file {name!r}: {error}"
            ) from None
    finally:
        os.unlink(temporary)


def model_info(model) -> dict:
    """What the explorers need to know about a model, from its ``ModelSpec``.

    Args:
        model: A colorkit ``keras.Model`` (it carries a ``colorkit.models.ModelSpec``).

    Returns:
        ``dict(family=str, space="lab" | "yuv", bins=bool, stride=int,
        input_size=(H, W) | None)``. ``bins`` is True when the model (or a decoder wrapped
        around it) predicts bin probabilities: temperature and the pixel inspector apply.

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If it carries no ``ModelSpec``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model. Received: type={type(model).__name__}")
    spec = models.model_spec(model)
    fixed = tuple(model.input_shape[1:3]) if len(model.inputs) == 1 else (None, None)
    return {
        "family": spec.family,
        "space": spec.space,
        "bins": spec.output == "distribution" or _decoder_layer(model) is not None,
        "stride": spec.stride,
        "input_size": fixed if None not in fixed else None,
    }


def _decoder_layer(model):
    for layer in models.layers.iter_layers(model):
        if isinstance(layer, models.AnnealedMeanDecode):
            return layer
    return None


def _probability_model(model):
    """The model itself, or for a decoder the sub-model ending at its probabilities."""
    spec = models.model_spec(model)
    decoder = _decoder_layer(model)
    if spec.output == "distribution" or decoder is None:
        return model
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probabilities = keras.Model(inputs, decoder.input, name=f"{model.name}_probabilities")
    num_bins = int(decoder.input.shape[-1])
    return models.attach_spec(probabilities, spec.replace(output="distribution", num_bins=num_bins))


def model_output(model, lightness: np.ndarray) -> np.ndarray:
    """Run a model once on one image's model-scale lightness and return its raw output.

    For classification models (and decoders wrapping one) the output is the bin
    probabilities, so that the temperature can change later without running the model again
    (``colorkit.infer.run_model``).

    Args:
        model: A colorkit ``keras.Model`` (see :func:`model_info`).
        lightness: float32 ``(H, W, 1)`` in [0, 1]: L / 100 (Lab models) or Y (YUV models);
            H and W multiples of the model's stride (or any size for fixed-input models: the
            lightness is resized to the model's input).

    Returns:
        float32 ``(h, w, C)``: ``C == 2`` model-scale chroma, or ``C == color.NUM_BINS``
        probabilities (``h, w`` may be smaller than ``H, W``).

    Raises:
        ValueError: If ``lightness`` is not ``(H, W, 1)`` in [0, 1].
    """
    array = np.asarray(lightness, dtype=np.float32)
    if array.ndim != 3 or array.shape[-1] != 1:
        raise ValueError(
            f"Invalid lightness shape: expected (H, W, 1). Received: lightness.shape={array.shape}"
        )
    info = model_info(model)
    if info["input_size"] is not None:
        array = infer.resize_channels(array, *info["input_size"])
    return infer.run_model(_probability_model(model), array[None])[0]


def chroma_from_output(
    output: np.ndarray, temperature: float, shape: tuple[int, int]
) -> np.ndarray:
    """Model-scale chroma at full size from a raw model output (``colorkit.infer`` stages).

    Args:
        output: float32 ``(h, w, 2)`` chroma in model scale, or ``(h, w, Q)`` probabilities.
        temperature: Annealed-mean temperature > 0 (used for probabilities only).
        shape: ``(H, W)`` of the result (bilinear upsampling).

    Returns:
        float32 ``(H, W, 2)``: ab / ``color.AB_SCALE`` (or model-scale UV) as the model gave.

    Raises:
        ValueError: For a bad shape or temperature.
    """
    output = np.asarray(output, dtype=np.float32)
    if output.ndim != 3 or output.shape[-1] not in (2, color.NUM_BINS):
        raise ValueError(
            f"output must be (h, w, 2) or (h, w, {color.NUM_BINS}). Received: {output.shape}"
        )
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (H, W). Received: shape={shape!r}")
    chroma = infer.decode_chroma(output, temperature)
    return infer.resize_channels(chroma, int(shape[0]), int(shape[1]))


def compose(
    lightness: np.ndarray,
    chroma: np.ndarray,
    space: str = "lab",
    saturation: float = 1.0,
    blend: float = 1.0,
) -> np.ndarray:
    """RGB of ``colorkit.infer.compose`` (same arguments; the clip count is dropped).

    Returns:
        float32 RGB ``(H, W, 3)`` in [0, 1].

    Example:
        >>> gray = compose(np.full((2, 2, 1), 0.5, np.float32), np.full((2, 2, 2), 0.3, np.float32),
        ...                saturation=0.0)
        >>> bool(np.allclose(gray[..., 0], gray[..., 2], atol=1e-4))
        True
    """
    return infer.compose(lightness, chroma, space, saturation, blend).rgb


def _pixel_ab(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """ab in Lab units of one pixel's bin distribution (``colorkit.infer.decode_chroma``)."""
    return infer.decode_chroma(probabilities, temperature) * np.float32(color.AB_SCALE)


def pixel_distribution(output: np.ndarray, row: int, col: int, shape: tuple[int, int]):
    """The predicted bin distribution of the output cell covering an image pixel.

    Args:
        output: ``(h, w, Q)`` probabilities (a classification model's raw output).
        row: Pixel row in the ``(H, W)`` image, ``0 <= row < H``.
        col: Pixel column, ``0 <= col < W``.
        shape: ``(H, W)`` of the image the output was predicted for.

    Returns:
        float32 ``(Q,)`` (sums to about 1).

    Raises:
        ValueError: If the pixel is outside the image or ``output`` is not ``(h, w, Q)``.

    Example:
        >>> output = np.arange(2 * 2 * 3, dtype=np.float32).reshape(2, 2, 3)
        >>> pixel_distribution(output, 7, 0, (8, 8)).tolist()  # cell (1, 0) covers rows 4..7
        [6.0, 7.0, 8.0]
    """
    output = np.asarray(output, dtype=np.float32)
    if output.ndim != 3:
        raise ValueError(f"output must be (h, w, Q). Received: output.shape={output.shape}")
    height, width = int(shape[0]), int(shape[1])
    for value, name, limit in ((row, "row", height), (col, "col", width)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int. Received: {name}={value!r}")
        if not 0 <= value < limit:
            raise ValueError(f"{name} must be in [0, {limit - 1}]. Received: {name}={value}")
    cell_row = min(output.shape[0] - 1, int(row) * output.shape[0] // height)
    cell_col = min(output.shape[1] - 1, int(col) * output.shape[1] // width)
    return output[cell_row, cell_col].copy()


def _display_image(image: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)


def _metrics_html(values: Mapping[str, float], names: Mapping[str, str]) -> str:
    rows = []
    for key, label in names.items():
        if key in values:
            value = values[key]
            text = "n/a" if value is None or not math.isfinite(value) else f"{value:.3f}"
            rows.append(f"<tr><td>{label}</td><td style='text-align:right'>{text}</td></tr>")
    return "<table class='colorkit-metrics'>" + "".join(rows) + "</table>"


# --------------------------------------------------------------------------------------------
# The explorer base class: controls -> update() -> result, figure, PNG
# --------------------------------------------------------------------------------------------
class _Explorer:
    """Shared plumbing: controls, the rendered PNG, the status line, display hooks."""

    def __init__(self):
        self.controls: dict[str, ipywidgets.Widget] = {}
        self.result: dict = {}
        self.figure: Figure | None = None
        self.error: str | None = None
        self._held = 0
        self._image = ipywidgets.Image(format="png", layout={"max_width": "100%"})
        self._image.add_class("colorkit-figure")
        self._status = ipywidgets.HTML()
        self._status.add_class("colorkit-status")
        self.widget: ipywidgets.Box = ipywidgets.VBox()

    # -- wiring ---------------------------------------------------------------------------
    def _add(self, name: str, control: ipywidgets.Widget, observe: bool = True):
        control.add_class(f"colorkit-{name}")
        self.controls[name] = control
        if observe:
            control.observe(self._on_change, names="value")
        return control

    def _epoch_player(self, epoch: int, low: int, high: int, interval: int, name: str) -> None:
        """An epoch slider with a play button linked to it, above the picture and status."""
        slider = self._add("epoch", _slider(ipywidgets.IntSlider, epoch, low, high, 1, "epoch"))
        play = self._add(
            "play",
            ipywidgets.Play(value=epoch, min=low, max=high, step=1, interval=interval),
            observe=False,
        )
        ipywidgets.jslink((play, "value"), (slider, "value"))
        self.widget = ipywidgets.VBox([ipywidgets.HBox([play, slider]), self._image, self._status])
        self.widget.add_class(f"colorkit-{name}")

    @contextlib.contextmanager
    def hold(self):
        """Change several controls, then update once (``with explorer.hold(): ...``)."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
        if self._held == 0:
            self._on_change(None)

    def _on_change(self, change) -> None:
        if self._held:
            return
        try:
            self.update()
        except ValueError as error:
            # Shown to the user (status line) and kept in .error; update() itself raises.
            self.error = str(error)
            self._status.value = f"<span style='color:#b00020'>Error: {self.error}</span>"

    # -- the update cycle -----------------------------------------------------------------
    def _compute(self) -> dict:
        raise NotImplementedError

    def _draw(self, result: dict) -> Figure:
        raise NotImplementedError

    def _describe(self, result: dict) -> str:
        return ""

    def update(self) -> dict:
        """Recompute ``result`` from the controls, redraw ``figure`` and the PNG; return result.

        Raises:
            ValueError: If the current settings are invalid for the data.
        """
        start = time.perf_counter()
        result = self._compute()
        figure = self._draw(result)
        self._image.value = figure_to_png(figure)
        self.result, self.figure, self.error = result, figure, None
        seconds = time.perf_counter() - start
        self._status.value = f"{self._describe(result)} &middot; updated in {seconds:.2f} s"
        return result

    # -- display --------------------------------------------------------------------------
    def _ipython_display_(self):
        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _slider(kind, value, low, high, step, description, readout_format=None):
    options = dict(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=False,
        style=_SLIDER_STYLE,
        layout=_SLIDER_LAYOUT,
    )
    if readout_format:
        options["readout_format"] = readout_format
    return kind(**options)


# --------------------------------------------------------------------------------------------
# ColorizationExplorer
# --------------------------------------------------------------------------------------------
def _load_photos(images) -> dict[str, np.ndarray]:
    if isinstance(images, str | os.PathLike):
        images = [images]
    if isinstance(images, Mapping):
        items = list(images.items())
    elif isinstance(images, list | tuple):
        items = [
            (Path(os.fspath(p)).stem if isinstance(p, str | os.PathLike) else f"photo {i}", p)
            for i, p in enumerate(images)
        ]
    else:
        raise TypeError(
            "images must be a dict {name: RGB array or path} or a list of paths. "
            f"Received: type={type(images).__name__}"
        )
    if not items:
        raise ValueError("images is empty: give at least one photo.")
    photos = {}
    for name, item in items:
        if isinstance(item, str | os.PathLike):
            item = data.read_image(item)
        array = color.validate_rgb(item, f"images[{name!r}]")
        if array.ndim != 3:
            raise ValueError(
                "Invalid image rank: expected 3 (H, W, C). "
                f"Received: images[{name!r}].shape={array.shape}"
            )
        photos[str(name)] = array
    return photos


class ColorizationExplorer(_Explorer):
    """Pick a photo and a model; move temperature, saturation and blend; inspect a pixel.

    The figure shows gray (the network's input) | prediction | truth, the ab histograms of the
    prediction and the truth, and the pixel inspector: for a classification model (zhang, or a
    decoder around one) the predicted distribution over the 313 ab bins of the selected pixel
    (``viz.ab_gamut``), with its mean (T = 1), annealed mean (T) and mode. Metrics
    (``metrics.evaluate_batch``) are listed below the figure.

    Args:
        images: ``{name: float32 RGB (H, W, 3) in [0, 1] or image path}`` or a list of paths.
        models: ``{name: keras.Model}`` or one ``keras.Model``; any colorkit model (or one with
            a ``(B, H, W, 1)`` input and 2-channel or 313-bin output).
        size: Long side of the working images in pixels (photos are resized, then
            center-cropped to a multiple of every model's stride).
        temperature: Initial annealed-mean temperature in [0.01, 1] (classification models).
        saturation: Initial chroma multiplier in [0, 2].
        blend: Initial weight of the colorization against the gray image, in [0, 1].
        render: Draw the figure on creation (False leaves it to the first ``update()``).

    Attributes:
        controls: ``photo``, ``upload``, ``model``, ``temperature``, ``saturation``, ``blend``,
            ``row``, ``col`` (the pixel inspector).
        result: ``photo, model, family, uses_temperature, temperature, saturation, blend``,
            ``gray, prediction, truth`` (float32 (H, W, 3)), ``chroma`` (model scale),
            ``metrics`` (dict), ``pixel`` (row, col), ``pixel_rgb``, ``pixel_probabilities``
            ((Q,) or None), ``pixel_ab`` (annealed mean of the pixel, Lab units, or None),
            ``warnings`` (list of str, e.g. gamut clipping).

    Raises:
        TypeError: For images or models of the wrong type.
        ValueError: For no photos or models, invalid photos, or out-of-range settings.

    Example:
        >>> from colorkit import models
        >>> model = models.build_model("unet", base_filters=4, depth=1)
        >>> photos = {"gray square": np.full((40, 40, 3), 0.5, np.float32)}
        >>> explorer = ColorizationExplorer(photos, {"unet": model}, size=32, render=False)
        >>> explorer.controls["saturation"].value = 0.0
        >>> explorer.result["prediction"].shape
        (32, 32, 3)
    """

    def __init__(
        self,
        images,
        models,
        size: int = 256,
        temperature: float = color.DEFAULT_TEMPERATURE,
        saturation: float = 1.0,
        blend: float = 1.0,
        render: bool = True,
    ):
        super().__init__()
        self.size = _check_int(size, "size", minimum=8)
        temperature = _check_number(temperature, "temperature", 0.01, 1.0)
        saturation = _check_number(saturation, "saturation", 0.0, 2.0)
        blend = _check_number(blend, "blend", 0.0, 1.0)
        if isinstance(models, keras.Model):
            models = {models.name: models}
        if not isinstance(models, Mapping):
            raise TypeError(
                "models must be a dict {name: keras.Model} or a keras.Model. "
                f"Received: type={type(models).__name__}"
            )
        if not models:
            raise ValueError("models is empty: give at least one keras.Model.")
        self.models = {}
        self._info = {}
        for name, model in models.items():
            if not isinstance(model, keras.Model):
                raise TypeError(
                    f"models[{name!r}] must be a keras.Model. Received: type={type(model).__name__}"
                )
            self.models[str(name)] = model
            self._info[str(name)] = model_info(model)
        self.multiple = math.lcm(
            *(info["stride"] for info in self._info.values() if info["input_size"] is None), 1
        )
        self.photos = {
            name: fit_image(image, self.size, self.multiple)
            for name, image in _load_photos(images).items()
        }
        self._outputs: dict[tuple[str, str], np.ndarray] = {}
        self._encoded: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

        first_photo = next(iter(self.photos.values()))
        self._add("photo", ipywidgets.Dropdown(options=list(self.photos), description="photo"))
        upload = self._add(
            "upload",
            ipywidgets.FileUpload(accept="image/*", multiple=False, description="your photo"),
            observe=False,
        )
        upload.observe(self._on_upload, names="value")
        self._add("model", ipywidgets.Dropdown(options=list(self.models), description="model"))
        self._add(
            "temperature",
            _slider(ipywidgets.FloatSlider, temperature, 0.01, 1.0, 0.01, "temperature T", ".2f"),
        )
        self._add(
            "saturation",
            _slider(ipywidgets.FloatSlider, saturation, 0.0, 2.0, 0.05, "saturation", ".2f"),
        )
        self._add("blend", _slider(ipywidgets.FloatSlider, blend, 0.0, 1.0, 0.05, "blend", ".2f"))
        height, width = first_photo.shape[:2]
        self._add("row", _slider(ipywidgets.IntSlider, height // 2, 0, height - 1, 1, "pixel row"))
        self._add("col", _slider(ipywidgets.IntSlider, width // 2, 0, width - 1, 1, "pixel column"))
        self._metrics = ipywidgets.HTML()
        self._metrics.add_class("colorkit-metrics")
        c = self.controls
        self.widget = ipywidgets.VBox(
            [
                ipywidgets.HBox([c["photo"], c["upload"], c["model"]]),
                ipywidgets.HBox([c["temperature"], c["saturation"], c["blend"]]),
                ipywidgets.HBox([ipywidgets.HTML("<b>pixel inspector</b>"), c["row"], c["col"]]),
                self._image,
                ipywidgets.HBox([self._metrics, self._status]),
            ]
        )
        self.widget.add_class("colorkit-explorer")
        self._sync_controls()
        if render:
            self.update()

    # -- photos -----------------------------------------------------------------------------
    def add_photo(self, name: str, image) -> str:
        """Add a photo (fitted to the working size) and select it; returns its unique name.

        Raises:
            ValueError: For an invalid image.
        """
        fitted = fit_image(image, self.size, self.multiple)
        base, unique, number = str(name), str(name), 2
        while unique in self.photos:
            unique, number = f"{base} ({number})", number + 1
        self.photos[unique] = fitted
        with self.hold():
            self.controls["photo"].options = list(self.photos)
            self.controls["photo"].value = unique
        return unique

    def _on_upload(self, change) -> None:
        for item in change["new"] or ():
            try:
                image = decode_upload(item["content"], item.get("name", "upload"))
                self.add_photo(item.get("name", "upload"), image)
            except ValueError as error:
                self.error = str(error)
                self._status.value = f"<span style='color:#b00020'>Error: {self.error}</span>"

    # -- model handling ---------------------------------------------------------------------
    def _sync_controls(self) -> None:
        """Enable temperature only for classification models; fit the pixel sliders."""
        info = self._info[self.controls["model"].value]
        temperature = self.controls["temperature"]
        temperature.disabled = not info["bins"]
        temperature.tooltip = (
            "annealed-mean temperature (classification models only)"
            if info["bins"]
            else "no effect: this model regresses chroma directly"
        )
        height, width = self.photos[self.controls["photo"].value].shape[:2]
        for name, limit in (("row", height), ("col", width)):
            slider = self.controls[name]
            if slider.max != limit - 1:
                slider.value = min(slider.value, limit - 1)
                slider.max = limit - 1

    def _encode(self, photo: str, space: str):
        key = (photo, space)
        if key not in self._encoded:
            truth = self.photos[photo]
            encoded = color.encode_yuv(truth) if space == "yuv" else color.encode_lab(truth)
            self._encoded[key] = tuple(np.asarray(part, np.float32) for part in encoded)
        return self._encoded[key]

    def _output(self, photo: str, model_name: str) -> np.ndarray:
        key = (photo, model_name)
        if key not in self._outputs:
            lightness, _ = self._encode(photo, self._info[model_name]["space"])
            self._outputs[key] = model_output(self.models[model_name], lightness)
        return self._outputs[key]

    # -- the update cycle -------------------------------------------------------------------
    def _on_change(self, change) -> None:
        if (
            change is not None
            and getattr(change, "get", None)
            and change.get("owner")
            in (
                self.controls["photo"],
                self.controls["model"],
            )
        ):
            with self.hold():
                self._sync_controls()
            return
        super()._on_change(change)

    def _compute(self) -> dict:
        c = self.controls
        photo, model_name = c["photo"].value, c["model"].value
        info = self._info[model_name]
        temperature, saturation, blend = (
            c["temperature"].value,
            c["saturation"].value,
            c["blend"].value,
        )
        truth = self.photos[photo]
        shape = truth.shape[:2]
        lightness, _ = self._encode(photo, info["space"])
        output = self._output(photo, model_name)
        chroma = chroma_from_output(output, temperature, shape)
        row, col = int(c["row"].value), int(c["col"].value)
        gray = infer.compose(lightness, chroma, info["space"], saturation=0.0).rgb
        composed = infer.compose(lightness, chroma, info["space"], saturation, blend)
        prediction = composed.rgb
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scores = metrics.evaluate_batch(prediction, truth)
        probabilities = pixel_ab = None
        if output.shape[-1] == color.NUM_BINS:
            probabilities = pixel_distribution(output, row, col, shape)
            pixel_ab = _pixel_ab(probabilities, temperature)
        return {
            "photo": photo,
            "model": model_name,
            "family": info["family"],
            "uses_temperature": info["bins"],
            "temperature": float(temperature),
            "saturation": float(saturation),
            "blend": float(blend),
            "gray": gray,
            "prediction": prediction,
            "truth": truth,
            "chroma": chroma,
            "metrics": scores,
            "pixel": (row, col),
            "pixel_rgb": prediction[row, col].copy(),
            "pixel_probabilities": probabilities,
            "pixel_ab": pixel_ab,
            "clipped_pixels": composed.clipped_pixels,
            "warnings": sorted({str(w.message) for w in caught}),
        }

    def _draw(self, result: dict) -> Figure:
        figure = Figure(figsize=(12.6, 8.0), dpi=100, layout="constrained")
        top, bottom = figure.subfigures(2, 1)
        axes = np.stack([top.subplots(1, 3), bottom.subplots(1, 3)])
        titles = ("gray (input)", f"prediction ({result['model']})", "truth")
        for ax, key, title in zip(axes[0], ("gray", "prediction", "truth"), titles, strict=True):
            ax.imshow(_display_image(result[key]), vmin=0.0, vmax=1.0)
            ax.set_title(title)
            ax.set_xticks([])
            ax.set_yticks([])
        row, col = result["pixel"]
        axes[0, 1].plot(col, row, "+", color="white", markersize=14, markeredgewidth=2.5)
        axes[0, 1].plot(col, row, "+", color="black", markersize=11, markeredgewidth=1.2)
        viz.ab_histogram(result["prediction"], ax=axes[1, 0])
        axes[1, 0].set_title("ab histogram: prediction")
        viz.ab_histogram(result["truth"], ax=axes[1, 1])
        axes[1, 1].set_title("ab histogram: truth")
        if result["pixel_probabilities"] is not None:
            viz.ab_gamut(
                result["pixel_probabilities"], ax=axes[1, 2], temperature=result["temperature"]
            )
            axes[1, 2].set_title(f"pixel ({row}, {col}): predicted ab distribution")
        else:
            axes[1, 2].axis("off")
            axes[1, 2].text(
                0.5,
                0.5,
                f"pixel ({row}, {col})\n\nThis model regresses chroma directly:\n"
                "it predicts one color per pixel, not a distribution.\n"
                "Pick a classification (zhang) model\nto see the 313-bin distribution.",
                ha="center",
                va="center",
                fontsize=10,
                transform=axes[1, 2].transAxes,
            )
            swatch = np.broadcast_to(result["pixel_rgb"], (8, 8, 3))
            inset = axes[1, 2].inset_axes([0.4, 0.02, 0.2, 0.2])
            inset.imshow(swatch)
            inset.set_xticks([])
            inset.set_yticks([])
        self._metrics.value = _metrics_html(result["metrics"], SHOWN_METRICS)
        return figure

    def _describe(self, result: dict) -> str:
        parts = [f"{result['photo']} &middot; {result['model']}"]
        if result["uses_temperature"]:
            parts.append(f"T = {result['temperature']:.2f}")
        parts.append(f"saturation {result['saturation']:.2f}, blend {result['blend']:.2f}")
        text = " &middot; ".join(parts)
        if result["clipped_pixels"]:
            text += " &middot; <i>some colors left the sRGB gamut and were clipped</i>"
        return text

    # -- pixel inspector --------------------------------------------------------------------
    def inspect_pixel(self, row: int, col: int) -> dict:
        """Select a pixel (moves the row/column sliders) and return what the model predicts.

        Args:
            row: Pixel row in the working image, ``0 <= row < H``.
            col: Pixel column, ``0 <= col < W``.

        Returns:
            ``dict(row, col, rgb, probabilities, ab)``: the pixel's displayed color, and for a
            classification model its ``(Q,)`` distribution and annealed mean (Lab units),
            else None for both.

        Raises:
            TypeError: If ``row`` or ``col`` is not an int.
            ValueError: If the pixel is outside the current photo.
        """
        height, width = self.photos[self.controls["photo"].value].shape[:2]
        for value, name, limit in ((row, "row", height), (col, "col", width)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"{name} must be an int. Received: {name}={value!r}")
            if not 0 <= value < limit:
                raise ValueError(f"{name} must be in [0, {limit - 1}]. Received: {name}={value}")
        with self.hold():
            self.controls["row"].value = int(row)
            self.controls["col"].value = int(col)
        if self.error:
            raise ValueError(self.error)
        result = self.result
        return {
            "row": int(row),
            "col": int(col),
            "rgb": result["pixel_rgb"],
            "probabilities": result["pixel_probabilities"],
            "ab": result["pixel_ab"],
        }


# --------------------------------------------------------------------------------------------
# EpochExplorer
# --------------------------------------------------------------------------------------------
def _to_float(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / np.float32(255.0)
    return np.clip(images.astype(np.float32), 0.0, 1.0)


class EpochExplorer(_Explorer):
    """Replay a training run: an epoch slider over its per-epoch preview colorizations.

    Shows gray | colorized after the selected epoch | truth for the run's fixed validation
    photos (``previews/epoch_XXX.npy`` written by ``colorkit.training``), next to the loss curves
    with a marker at that epoch. Epoch 0 is the untrained model. A play button steps through
    the epochs.

    Args:
        run: A run folder (``colorkit.training.load_run``) or a ``training.Run``.
        epoch: Initial epoch (default: the last snapshot).
        max_rows: Show at most this many preview photos.
        render: Draw on creation.

    Attributes:
        controls: ``epoch`` (IntSlider) and ``play`` (ipywidgets.Play linked to it).
        result: ``epoch`` (requested), ``shown_epoch`` (the latest snapshot <= epoch),
            ``snapshot``, ``gray``, ``truth`` (float32 (N, S, S, 3)), ``loss``, ``val_loss``
            (nan before training), ``metrics`` (``evaluate_batch`` of snapshot vs truth).

    Raises:
        FileNotFoundError: If the run folder (or its config.json) does not exist.
        ValueError: If the run has no preview snapshots.
    """

    def __init__(self, run, epoch: int | None = None, max_rows: int = 4, render: bool = True):
        super().__init__()
        self.run = training.load_run(run) if isinstance(run, str | os.PathLike) else run
        self.epochs = list(self.run.snapshots())
        if not self.epochs:
            raise ValueError(
                f"The run has no preview snapshots (previews/epoch_XXX.npy). "
                f"Received: run_dir={str(self.run.run_dir)!r}"
            )
        self.max_rows = _check_int(max_rows, "max_rows")
        self._truth = _to_float(self.run.ground_truth())[: self.max_rows]
        self._gray = _to_float(self.run.gray())[: self.max_rows]
        self._cache: dict[int, np.ndarray] = {}
        low, high = self.epochs[0], self.epochs[-1]
        epoch = high if epoch is None else _check_int(epoch, "epoch", minimum=0)
        if not low <= epoch <= high:
            raise ValueError(f"epoch must be in [{low}, {high}]. Received: epoch={epoch}")
        self._epoch_player(epoch, low, high, interval=700, name="epoch-explorer")
        if render:
            self.update()

    def _snapshot(self, epoch: int) -> np.ndarray:
        if epoch not in self._cache:
            self._cache[epoch] = _to_float(self.run.snapshot(epoch))[: self.max_rows]
        return self._cache[epoch]

    def _history(self, name: str) -> np.ndarray:
        return np.asarray(self.run.history.get(name, []), dtype=np.float64)

    def _compute(self) -> dict:
        epoch = int(self.controls["epoch"].value)
        shown = max(e for e in self.epochs if e <= epoch) if epoch >= self.epochs[0] else epoch
        snapshot = self._snapshot(shown)
        values = {}
        for name in ("loss", "val_loss"):
            history = self._history(name)
            values[name] = float(history[shown - 1]) if 1 <= shown <= len(history) else math.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scores = metrics.evaluate_batch(snapshot, self._truth)
        return {
            "epoch": epoch,
            "shown_epoch": shown,
            "snapshot": snapshot,
            "gray": self._gray,
            "truth": self._truth,
            "metrics": scores,
            **values,
        }

    def _draw(self, result: dict) -> Figure:
        rows = len(result["snapshot"])
        figure = Figure(figsize=(10.5, max(2.6, 2.0 * rows + 0.4)), dpi=100, layout="constrained")
        left, right = figure.subfigures(1, 2, width_ratios=[3.0, 2.2])
        axes = left.subplots(rows, 3, squeeze=False)
        columns = (
            ("gray", "gray (input)"),
            ("snapshot", f"epoch {result['shown_epoch']}"),
            ("truth", "truth"),
        )
        for col, (key, title) in enumerate(columns):
            for row in range(rows):
                ax = axes[row, col]
                ax.imshow(result[key][row], vmin=0.0, vmax=1.0)
                ax.set_xticks([])
                ax.set_yticks([])
                if row == 0:
                    ax.set_title(title)
        ax = right.subplots()
        for name, style in (("loss", "o-"), ("val_loss", "s--")):
            history = self._history(name)
            if history.size:
                epochs = np.arange(1, len(history) + 1)
                ax.plot(epochs, history, style, markersize=4, label=name.replace("_", " "))
        ax.axvline(result["shown_epoch"], color="crimson", linewidth=1.5, label="shown epoch")
        for name in ("loss", "val_loss"):
            if math.isfinite(result[name]):
                ax.plot(result["shown_epoch"], result[name], "o", color="crimson", markersize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_xlim(min(self.epochs) - 0.5, max(self.epochs) + 0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_title("training curves")
        return figure

    def _describe(self, result: dict) -> str:
        text = f"epoch {result['shown_epoch']}"
        if math.isfinite(result["loss"]):
            text += f" &middot; loss {result['loss']:.4g}"
        if math.isfinite(result["val_loss"]):
            text += f" &middot; val loss {result['val_loss']:.4g}"
        scores = result["metrics"]
        text += f" &middot; colorfulness {scores['colorfulness']:.1f}"
        return text + f" &middot; AuC {scores['auc_ab']:.3f}"


# --------------------------------------------------------------------------------------------
# TemperatureExplorer and RebalancingExplorer (notebook 6)
# --------------------------------------------------------------------------------------------
class TemperatureExplorer(_Explorer):
    """Move the annealed-mean temperature of Zhang et al.'s decoding and watch the colors.

    With one distribution ``(Q,)`` the figure shows it on the ab gamut with its mean (T = 1),
    annealed mean and mode. With a map ``(h, w, Q)`` and the image's lightness it also shows
    the decoded image at that temperature (the gamut panel shows the pixel ``pixel``).

    Args:
        probabilities: float ``(Q,)`` or ``(h, w, Q)``, non-negative, with ``Q ==
            color.NUM_BINS``.
        lightness: For a map: L / 100, float32 ``(H, W)`` or ``(H, W, 1)`` in [0, 1].
        temperature: Initial temperature in [0.01, 1].
        pixel: ``(row, col)`` of the map whose distribution is drawn (default: the center).
        render: Draw on creation.

    Attributes:
        controls: ``temperature``.
        result: ``temperature``, ``ab`` (Lab units, the drawn distribution's annealed mean),
            ``chroma`` (its length), and for a map ``image`` (float32 (H, W, 3)) and
            ``colorfulness``.

    Raises:
        ValueError: For invalid probabilities, lightness or pixel.

    Example:
        >>> probabilities = np.zeros(color.NUM_BINS, np.float32)
        >>> probabilities[[120, 121]] = 0.4, 0.6
        >>> explorer = TemperatureExplorer(probabilities, render=False)
        >>> explorer.controls["temperature"].value = 1.0
        >>> [round(float(v), 3) for v in explorer.result["ab"]]
        [0.0, 6.0]
    """

    def __init__(
        self,
        probabilities,
        lightness=None,
        temperature: float = color.DEFAULT_TEMPERATURE,
        pixel: tuple[int, int] | None = None,
        render: bool = True,
    ):
        super().__init__()
        probabilities = np.asarray(probabilities, dtype=np.float32)
        if probabilities.ndim not in (1, 3) or probabilities.shape[-1] != color.NUM_BINS:
            raise ValueError(
                f"probabilities must be ({color.NUM_BINS},) or (h, w, {color.NUM_BINS}). "
                f"Received: probabilities.shape={probabilities.shape}"
            )
        _pixel_ab(probabilities, 1.0)  # validates values
        self.probabilities = probabilities
        self.lightness = None
        if probabilities.ndim == 3:
            if lightness is None:
                raise ValueError("lightness (H, W) is required with an (h, w, Q) probability map.")
            lightness = np.asarray(lightness, dtype=np.float32)
            if lightness.ndim == 2:
                lightness = lightness[..., None]
            if lightness.ndim != 3 or lightness.shape[-1] != 1:
                raise ValueError(
                    f"lightness must be (H, W) or (H, W, 1). Received: shape={lightness.shape}"
                )
            if lightness.min() < 0 or lightness.max() > 1 or not np.all(np.isfinite(lightness)):
                raise ValueError("lightness must be L / 100, finite and in [0, 1].")
            self.lightness = lightness
            height, width = probabilities.shape[:2]
            pixel = (height // 2, width // 2) if pixel is None else pixel
            self.pixel = (int(pixel[0]), int(pixel[1]))
            self._distribution = pixel_distribution(probabilities, *self.pixel, (height, width))
        else:
            self.pixel = None
            self._distribution = probabilities
        temperature = _check_number(temperature, "temperature", 0.01, 1.0)
        self._add(
            "temperature",
            _slider(ipywidgets.FloatSlider, temperature, 0.01, 1.0, 0.01, "temperature T", ".2f"),
        )
        self.widget = ipywidgets.VBox([self.controls["temperature"], self._image, self._status])
        if render:
            self.update()

    @classmethod
    def from_model(cls, model, image, size: int = 128, **kwargs) -> TemperatureExplorer:
        """Build from a classification model's prediction for one photo.

        Args:
            model: A zhang model (or decoder) from ``colorkit.models``.
            image: float32 RGB ``(H, W, 3)`` in [0, 1] (fitted to ``size``).
            size: Working long side in pixels.
            **kwargs: Passed to the constructor (``temperature``, ``pixel``, ``render``).

        Raises:
            ValueError: If the model does not predict bin probabilities.
        """
        info = model_info(model)
        if not info["bins"]:
            raise ValueError(
                "TemperatureExplorer needs a classification model (bin probabilities). "
                f"Received: model.name={model.name!r}"
            )
        fitted = fit_image(image, size, info["stride"])
        lightness, _ = color.encode_lab(fitted)
        return cls(model_output(model, lightness), lightness=lightness, **kwargs)

    def _compute(self) -> dict:
        temperature = float(self.controls["temperature"].value)
        ab = _pixel_ab(self._distribution, temperature)
        result = {"temperature": temperature, "ab": ab, "chroma": float(np.hypot(*ab))}
        if self.lightness is not None:
            chroma = chroma_from_output(self.probabilities, temperature, self.lightness.shape[:2])
            image = infer.compose(self.lightness, chroma).rgb
            result["image"] = image
            result["colorfulness"] = float(metrics.colorfulness(image))
        return result

    def _draw(self, result: dict) -> Figure:
        has_image = "image" in result
        figure = Figure(figsize=(9.6 if has_image else 5.0, 4.8), dpi=100, layout="constrained")
        axes = figure.subplots(1, 2 if has_image else 1, squeeze=False)[0]
        if has_image:
            axes[0].imshow(result["image"], vmin=0.0, vmax=1.0)
            axes[0].set_title(f"annealed mean, T = {result['temperature']:.2f}")
            axes[0].set_xticks([])
            axes[0].set_yticks([])
            scale = result["image"].shape[0] / self.probabilities.shape[0]
            row, col = self.pixel
            axes[0].plot((col + 0.5) * scale, (row + 0.5) * scale, "+", color="white", ms=14, mew=2)
        viz.ab_gamut(self._distribution, ax=axes[-1], temperature=result["temperature"])
        return figure

    def _describe(self, result: dict) -> str:
        text = (
            f"T = {result['temperature']:.2f} &middot; chroma of the pixel {result['chroma']:.1f}"
        )
        if "colorfulness" in result:
            text += f" &middot; colorfulness {result['colorfulness']:.1f}"
        return text


class RebalancingExplorer(_Explorer):
    """Move lambda of Zhang et al.'s class rebalancing and watch the per-bin weights change.

    ``w ~ 1 / ((1 - lambda) * smoothed prior + lambda / Q)`` (``color.rebalancing_weights``):
    lambda = 1 weighs every bin alike (the plain loss, dominated by the common grayish bins);
    lambda -> 0 weighs bins by their inverse frequency (rare, saturated colors count most; at 0
    bins never seen get infinite weight, which the status line reports).

    Args:
        prior: ``(Q,)`` prior (``color.ab_prior``), or RGB images / ab values to compute it from.
        lam: Initial lambda in [0, 1] (Zhang et al.: 0.5).
        sigma: Smoothing of the prior in Lab units (Zhang et al.: 5).
        render: Draw on creation.

    Attributes:
        controls: ``lam``.
        result: ``lam``, ``prior``, ``weights`` ((Q,) float32), ``min_weight``,
            ``max_weight``, ``weight_ratio`` (max / min), ``expected_weight``
            (``sum(prior * weights)``, 1 by construction).

    Raises:
        ValueError: For an invalid prior or lambda.

    Example:
        >>> prior = np.full(color.NUM_BINS, 1.0 / color.NUM_BINS, np.float32)
        >>> explorer = RebalancingExplorer(prior, render=False)
        >>> explorer.controls["lam"].value = 0.2
        >>> round(explorer.result["weight_ratio"], 3)
        1.0
    """

    def __init__(self, prior, lam: float = 0.5, sigma: float = 5.0, render: bool = True):
        super().__init__()
        array = np.asarray(prior)
        if array.ndim == 1 and array.shape[0] == color.NUM_BINS:
            color.rebalancing_weights(array, lam=1.0, sigma=0.0)  # validates the prior
            self.prior = array.astype(np.float32) / np.float32(array.sum())
        else:
            self.prior = color.ab_prior(prior)
        self.sigma = _check_number(sigma, "sigma", 0.0)
        lam = _check_number(lam, "lam", 0.0, 1.0)
        self._add("lam", _slider(ipywidgets.FloatSlider, lam, 0.0, 1.0, 0.05, "lambda", ".2f"))
        self.widget = ipywidgets.VBox([self.controls["lam"], self._image, self._status])
        if render:
            self.update()

    def _compute(self) -> dict:
        lam = float(self.controls["lam"].value)
        weights = color.rebalancing_weights(self.prior, lam=lam, sigma=self.sigma)
        return {
            "lam": lam,
            "prior": self.prior,
            "weights": weights,
            "min_weight": float(weights.min()),
            "max_weight": float(weights.max()),
            "weight_ratio": float(weights.max() / weights.min()),
            "expected_weight": float(np.sum(self.prior.astype(np.float64) * weights)),
        }

    def _draw(self, result: dict) -> Figure:
        figure = Figure(figsize=(14.0, 4.6), dpi=100, layout="constrained")
        axes = figure.subplots(1, 3)
        viz.ab_gamut(np.maximum(result["prior"], 0) + 1e-12, ax=axes[0])
        viz.ab_gamut(result["weights"], ax=axes[1])
        for ax, title in zip(
            axes[:2],
            (
                "prior: how often each bin occurs",
                f"rebalancing weights, lambda = {result['lam']:.2f}",
            ),
            strict=True,
        ):
            for line in list(ax.lines):
                line.remove()
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            ax.set_title(title + "\n(square area ~ value)")
        order = np.argsort(result["prior"])[::-1]
        ax = axes[2]
        ax.semilogy(result["prior"][order] + 1e-12, label="prior (sorted)")
        ax.semilogy(result["weights"][order], label="weight of that bin")
        ax.semilogy(
            result["prior"][order] * result["weights"][order] + 1e-12, label="prior x weight"
        )
        ax.set_xlabel("bins, most frequent first")
        ax.set_title("weights vs frequency")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        return figure

    def _describe(self, result: dict) -> str:
        return (
            f"lambda = {result['lam']:.2f} &middot; weights {result['min_weight']:.3g} .. "
            f"{result['max_weight']:.3g} (ratio {result['weight_ratio']:.3g})"
        )


# --------------------------------------------------------------------------------------------
# HintExplorer: user-guided colorization (Zhang, Zhu et al. 2017)
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class HintState:
    """The explorer's hints (a value: every edit returns a new state, so undo is a list).

    Attributes:
        hints: The hints, in the *input photo's* pixel coordinates.
        selected: Index of the selected hint (recolored by the picker, moved, removed), or None.
    """

    hints: tuple = ()
    selected: int | None = None


def nearest_hint(state: HintState, row: float, col: float, tolerance: float) -> int | None:
    """Index of the hint closest to (row, col) within ``tolerance`` pixels, or None.

    Example:
        >>> state = HintState((hints.Hint(10, 10, (0.0, 0.0)),))
        >>> nearest_hint(state, 12, 11, 4), nearest_hint(state, 30, 30, 4)
        (0, None)
    """
    best, best_distance = None, float(tolerance)
    for index, hint in enumerate(state.hints):
        distance = math.hypot(hint.row - row, hint.col - col)
        if distance <= best_distance:
            best, best_distance = index, distance
    return best


def place_hint(
    state: HintState, row: float, col: float, ab, radius: float, tolerance: float
) -> HintState:
    """A click in "place" mode: select the hint under the click, else add one there.

    Args:
        state: The current state.
        row: Clicked row (input photo pixels).
        col: Clicked column.
        ab: Chroma (Lab a, b) of a new hint.
        radius: Patch radius of a new hint (input pixels).
        tolerance: A click within this distance of a hint selects it.

    Returns:
        The new state (the new or clicked hint selected).

    Example:
        >>> state = place_hint(HintState(), 5, 6, (40.0, 20.0), 2, 3)
        >>> len(state.hints), state.selected, place_hint(state, 6, 6, (0, 0), 2, 3) == state
        (1, 0, True)
    """
    index = nearest_hint(state, row, col, tolerance)
    if index is not None:
        return dataclasses.replace(state, selected=index)
    new = hints.Hint(row, col, tuple(float(v) for v in ab), radius)
    return HintState(state.hints + (new,), len(state.hints))


def move_hint(state: HintState, row: float, col: float) -> HintState:
    """The selected hint moved to (row, col) (unchanged state when none is selected)."""
    if state.selected is None:
        return state
    items = list(state.hints)
    items[state.selected] = dataclasses.replace(items[state.selected], row=row, col=col)
    return HintState(tuple(items), state.selected)


def recolor_hint(state: HintState, ab) -> HintState:
    """The selected hint with a new chroma (unchanged state when none is selected)."""
    if state.selected is None:
        return state
    items = list(state.hints)
    ab = tuple(float(v) for v in ab)
    if items[state.selected].ab == ab:
        return state
    items[state.selected] = dataclasses.replace(items[state.selected], ab=ab)
    return HintState(tuple(items), state.selected)


def remove_hint(state: HintState) -> HintState:
    """The state without its selected hint (nothing selected afterwards)."""
    if state.selected is None:
        return state
    items = state.hints[: state.selected] + state.hints[state.selected + 1 :]
    return HintState(items, None)


def hint_picture(
    model,
    lightness: np.ndarray,
    state: HintState,
    image_shape: tuple[int, int],
    temperature: float,
    saturation: float,
    prepared=None,
    base_output: np.ndarray | None = None,
):
    """The explorer's picture: the photo colorized with the state's hints, at the view size.

    The ``colorkit.infer`` stages on the view (the photo resized so that its long side is the
    working size): hints rescaled from the input photo to the view
    (``colorkit.hints.rescale``), :func:`colorkit.infer.working_output` (network + decoding),
    :func:`colorkit.infer.compose` with the view's lightness.

    Args:
        model: A hint model.
        lightness: float32 ``(h, w, 1)`` L / 100 of the view.
        state: The hints (input photo coordinates).
        image_shape: ``(H, W)`` of the input photo.
        temperature: Annealed-mean temperature.
        saturation: Chroma multiplier.
        prepared: The view's ``infer.WorkingInput`` when already computed.
        base_output: The network's raw output for the view without hints, when already
            computed (the explorer keeps it: each hint's change is laid over it,
            ``colorkit.hints.localize``).

    Returns:
        ``(rgb (h, w, 3), infer.WorkingOutput)``.
    """
    view_hints = hints.rescale(state.hints, image_shape, lightness.shape[:2])
    size = max(lightness.shape[:2])
    result = infer.working_output(
        model,
        lightness,
        size,
        temperature,
        view_hints,
        prepared,
        saturation=saturation,
        base_output=base_output,
    )
    rgb = infer.compose(lightness, result.chroma, "lab", saturation).rgb
    return rgb, result


def png_bytes(image: np.ndarray) -> bytes:
    """float32 RGB ``(H, W, 3)`` in [0, 1] -> PNG bytes (fast, no matplotlib).

    Example:
        >>> png_bytes(np.zeros((2, 2, 3), np.float32))[:4]
        b'\\x89PNG'
    """
    buffer = io.BytesIO()
    pixels = np.round(np.clip(np.asarray(image, np.float32), 0.0, 1.0) * 255).astype(np.uint8)
    PIL.Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _hex(rgb) -> str:
    return matplotlib.colors.to_hex(np.clip(np.asarray(rgb, np.float64), 0, 1))


def swatch_button(rank: int, swatch: hints.Swatch) -> ipywidgets.Button:
    """A suggested color as a button: filled with the color, labelled "1. red #c03020 42%".

    The label is black on light colors and white on dark ones, so it stays readable.

    Example:
        >>> p = np.zeros(color.NUM_BINS); p[0] = 1.0
        >>> swatch_button(0, hints.palette(p, 50.0)[0]).description.startswith("1. ")
        True
    """
    lightness = float(color.rgb_to_lab(swatch.rgb.reshape(1, 1, 3))[0, 0, 0])
    button = ipywidgets.Button(
        description=f"{rank + 1}. {swatch.label}",
        tooltip=f"{swatch.name} {swatch.hex}: probability {swatch.probability:.0%} at this "
        "pixel (click to use it)",
        layout={"width": "200px", "height": "40px"},
    )
    button.style.button_color = swatch.hex
    button.style.text_color = "black" if lightness > 55 else "white"
    button.style.font_weight = "bold"
    button.add_class("colorkit-suggestion")
    return button


class HintExplorer(_Explorer):
    """Click on the photo to tell the network a color: user-guided colorization in Jupyter.

    As in ideepcolor (Zhang, Zhu et al. 2017): a click places a hint (a small patch of one
    chroma) with the color picker's color and selects it; a click on an existing hint selects
    it. The picker, or one of the *suggested colors* (the distinct colors the network
    hesitated between at that pixel before the click, the modes of its predicted distribution,
    ``colorkit.hints.palette``: swatches in their own color, labelled with a name, the hex
    code and the probability, most probable first), recolors the selected hint. A hint
    changes its own object only (``colorkit.hints.localize``). "move" mode moves the selected
    hint to the next click; remove, undo and reset do what they say. "save" writes the
    full-resolution result (``colorkit.infer.colorize`` with the hints) and the hints as JSON
    (the ``colorkit colorize --hints`` format) beside it, atomically; an existing file is only
    replaced with "overwrite" ticked.

    Why ipyevents: clicks are read by ``ipyevents.Event`` on a plain ``ipywidgets.Image``.
    ipyevents 2 is a small, maintained ipywidgets-8 extension whose front end ships as a
    prebuilt JupyterLab 4 extension that Voila loads too (tested in Chromium by
    ``tests/test_browser.py``), and it reports clicks in the image's own pixels (``dataX``,
    ``dataY``) whatever size the browser draws it at. ipycanvas would add a drawing canvas we
    do not need (the picture is re-rendered by the model anyway) and a second binary
    extension; bqplot brings a whole plotting stack for one image. The picture is a PNG made
    with PIL (no matplotlib on the click path), which keeps a round trip well under a second.

    Headless use (tests, scripts)::

        explorer = HintExplorer(photo, model)
        explorer.click(row, col)                      # view pixels, as the browser sends them
        explorer.controls["color"].value = "#d02020"  # recolors the selected hint
        explorer.result["picture"]                    # float32 (h, w, 3), the colorization

    Args:
        image: The photo: float32 RGB ``(H, W, 3)`` in [0, 1] or an image path.
        model: A hint model (``ModelSpec.hint_inputs``), e.g.
            ``colorkit.pretrained.load_pretrained_hint_model()``.
        size: Working long side in pixels (the view's long side).
        temperature: Annealed-mean temperature (None: the model's recommendation).
        saturation: Chroma multiplier (None: the model's recommendation).
        display_width: Width the picture is drawn at in the page (CSS pixels).
        save_path: Default path of the saved result (the hints go to the same stem + ``.json``).
        render: Compute the first picture on creation.

    Attributes:
        controls: ``tool`` ("place" | "move"), ``color`` (ColorPicker), ``suggestions`` (a box
            of buttons), ``remove``, ``undo``, ``reset``, ``save_path``, ``overwrite``, ``save``.
        state: The current :class:`HintState` (hints in the input photo's pixels).
        history: Earlier states (undo).
        result: ``picture`` (float32 (h, w, 3)), ``hints`` (list), ``selected``,
            ``suggestions`` (list of ``colorkit.hints.Swatch``), ``seconds``.

    Raises:
        TypeError: If ``model`` is not a keras.Model.
        ValueError: If it takes no hints, or for an invalid image or settings.
    """

    def __init__(
        self,
        image,
        model,
        size: int = 256,
        temperature: float | None = None,
        saturation: float | None = None,
        display_width: int = 512,
        save_path: str | os.PathLike = "colorized.png",
        render: bool = True,
    ):
        super().__init__()
        if not isinstance(model, keras.Model):
            raise TypeError(f"model must be a keras.Model. Received: type={type(model).__name__}")
        spec = models.model_spec(model)
        if not spec.hint_inputs:
            raise ValueError(
                f"HintExplorer needs a hint model (ModelSpec.hint_inputs); {model.name!r} takes "
                "none. Use colorkit.pretrained.load_pretrained_hint_model()."
            )
        self.model = model
        self.image = data.read_image(image) if isinstance(image, str | os.PathLike) else image
        self.image = color.validate_rgb(self.image)
        if self.image.ndim != 3:
            raise ValueError(
                "Invalid image rank: expected 3 (H, W, C). "
                f"Received: image.shape={self.image.shape}"
            )
        self.size = _check_int(size, "size", minimum=8)
        self.temperature = _checks.check_temperature(
            temperature
            if temperature is not None
            else spec.temperature or color.DEFAULT_TEMPERATURE
        )
        default_saturation = 1.0 if spec.saturation is None else spec.saturation
        self.saturation = _checks.check_saturation(
            default_saturation if saturation is None else saturation
        )
        self.view = fit_image(self.image, self.size)
        self.lightness = infer.luminance(self.view, "lab")
        self._prepared = infer.working_input(self.lightness, self.size, model)
        self.state = HintState()
        self.history: list[HintState] = []
        self._output: np.ndarray | None = None  # the last picture's raw output (suggestions)
        self._base_output: np.ndarray | None = None  # the raw output without hints (kept)

        self._image.layout = {"width": f"{_check_int(display_width, 'display_width')}px"}
        self._image.add_class("colorkit-hint-picture")
        self._events = ipyevents.Event(
            source=self._image, watched_events=["click"], prevent_default_action=True
        )
        self._events.on_dom_event(self._on_click)
        self._add(
            "tool",
            ipywidgets.ToggleButtons(options=["place", "move"], description="click to"),
            observe=False,
        )
        self._add("color", ipywidgets.ColorPicker(value="#d02020", description="hint color"))
        self._add("suggestions", ipywidgets.HBox(), observe=False)
        for name, description in (("remove", "remove hint"), ("undo", "undo"), ("reset", "reset")):
            button = self._add(name, ipywidgets.Button(description=description), observe=False)
            button.on_click(getattr(self, f"_on_{name}"))
        self._add("save_path", ipywidgets.Text(value=str(save_path), description="save as"), False)
        self._add("overwrite", ipywidgets.Checkbox(value=False, description="overwrite"), False)
        self._add("save", ipywidgets.Button(description="save", icon="save"), observe=False)
        self.controls["save"].on_click(self._on_save)
        c = self.controls
        self.widget = ipywidgets.VBox(
            [
                ipywidgets.HBox([c["tool"], c["color"]]),
                ipywidgets.HBox(
                    [ipywidgets.HTML("suggested colors<br>(click to use):"), c["suggestions"]]
                ),
                self._image,
                ipywidgets.HBox([c["remove"], c["undo"], c["reset"]]),
                ipywidgets.HBox([c["save_path"], c["overwrite"], c["save"]]),
                self._status,
            ]
        )
        self.widget.add_class("colorkit-hint-explorer")
        if render:
            self.update()

    # -- coordinates ----------------------------------------------------------------------
    def to_image(self, row: float, col: float) -> tuple[float, float]:
        """View pixel (as clicked) -> input photo pixel (centers map to centers)."""
        height, width = self.image.shape[:2]
        view_h, view_w = self.view.shape[:2]
        return (
            min(max(0.0, (row + 0.5) * height / view_h - 0.5), height - 1),
            min(max(0.0, (col + 0.5) * width / view_w - 0.5), width - 1),
        )

    def _tolerance(self) -> float:
        return 6.0 * max(self.image.shape[:2]) / max(self.view.shape[:2])

    # -- edits ----------------------------------------------------------------------------
    def _apply(self, new: HintState) -> None:
        if new == self.state:
            return
        self.history.append(self.state)
        self.state = new
        self._on_change(None)

    def click(self, row: float, col: float) -> dict:
        """A click on the picture at view pixel (row, col): place/select, or move.

        Returns:
            ``result`` after the update.

        Raises:
            ValueError: If the click is outside the view.
        """
        view_h, view_w = self.view.shape[:2]
        if not (0 <= row < view_h and 0 <= col < view_w):
            raise ValueError(
                f"Click outside the picture ({view_w} x {view_h}). Received: row={row}, col={col}"
            )
        image_row, image_col = self.to_image(row, col)
        self._suggest(int(row), int(col))
        if self.controls["tool"].value == "move":
            self._apply(move_hint(self.state, image_row, image_col))
        else:
            ab = hints.Hint.from_color(0, 0, self.controls["color"].value).ab
            new = place_hint(
                self.state, image_row, image_col, ab, hints.DEFAULT_RADIUS, self._tolerance()
            )
            if new.selected is not None and len(new.hints) == len(self.state.hints):
                self._select(new)
            else:
                self._apply(new)
        return self.result

    def _select(self, new: HintState) -> None:
        """Select an existing hint and show its color in the picker (no recolor)."""
        self.state = new
        chosen = new.hints[new.selected]
        with self.hold_color():
            self.controls["color"].value = hints.hints_to_json([chosen])[0]["color"]
        self._on_change(None)

    @contextlib.contextmanager
    def hold_color(self):
        """Set the picker without recoloring the selected hint."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def choose_suggestion(self, index: int) -> None:
        """Set the picker (and so the selected hint) to suggested color ``index``."""
        self.controls["color"].value = self.result["suggestions"][index].hex

    def _on_click(self, event: dict) -> None:
        if event.get("type") != "click" or "dataX" not in event:
            return
        try:
            self.click(float(event["dataY"]), float(event["dataX"]))
        except ValueError as error:
            self.error = str(error)
            self._status.value = f"<span style='color:#b00020'>Error: {self.error}</span>"

    def _on_change(self, change) -> None:
        if self._held:
            return
        if change is not None and change.get("owner") is self.controls["color"]:
            ab = hints.Hint.from_color(0, 0, change["new"]).ab
            new = recolor_hint(self.state, ab)
            if new != self.state:
                self.history.append(self.state)
                self.state = new
        super()._on_change(change)

    def _on_remove(self, _button=None) -> None:
        self._apply(remove_hint(self.state))

    def _on_undo(self, _button=None) -> None:
        if self.history:
            self.state = self.history.pop()
            self._on_change(None)

    def _on_reset(self, _button=None) -> None:
        self._apply(HintState())

    # -- suggestions ----------------------------------------------------------------------
    def _suggest(self, row: int, col: int) -> None:
        """Palette at a view pixel from the last picture's distribution (before this click)."""
        if self._output is None or self._output.shape[-1] != color.NUM_BINS:
            return
        canvas = self._prepared.lightness.shape[:2]
        probabilities = pixel_distribution(self._output, row, col, canvas)
        lightness = float(self.lightness[row, col, 0]) * color.L_SCALE
        palette = hints.palette(probabilities, lightness)
        buttons = [swatch_button(index, swatch) for index, swatch in enumerate(palette)]
        for index, button in enumerate(buttons):
            button.on_click(lambda _b, i=index: self.choose_suggestion(i))
        self.controls["suggestions"].children = buttons
        self.result = {**self.result, "suggestions": palette}

    # -- the update cycle ------------------------------------------------------------------
    def update(self) -> dict:
        """Recompute the picture from the hints (one network pass) and show it.

        Returns:
            ``result``.
        """
        start = time.perf_counter()
        if self._base_output is None:
            self._base_output = infer.working_output(
                self.model, self.lightness, self.size, self.temperature, None, self._prepared
            ).output
        picture, output = hint_picture(
            self.model,
            self.lightness,
            self.state,
            self.image.shape[:2],
            self.temperature,
            self.saturation,
            self._prepared,
            self._base_output,
        )
        self._output = output.output
        view_hints = hints.rescale(self.state.hints, self.image.shape[:2], self.view.shape[:2])
        marked = viz.draw_hints(picture, view_hints, self.state.selected, size=5)
        self._image.value = png_bytes(marked)
        seconds = time.perf_counter() - start
        self.result = {
            "picture": picture,
            "marked": marked,
            "hints": list(self.state.hints),
            "selected": self.state.selected,
            "suggestions": self.result.get("suggestions", []),
            "seconds": seconds,
        }
        self.error = None
        selected = "" if self.state.selected is None else f", #{self.state.selected} selected"
        self._status.value = (
            f"{len(self.state.hints)} hint(s){selected} &middot; updated in {seconds:.2f} s"
        )
        return self.result

    # -- saving ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike | None = None, overwrite: bool | None = None):
        """Write the full-resolution result and the hints JSON (same stem, ``.json``).

        Args:
            path: Image path (default: the ``save_path`` control).
            overwrite: Replace existing files (default: the ``overwrite`` control).

        Returns:
            ``(image_path, hints_path)``.

        Raises:
            FileExistsError: If either file exists and ``overwrite`` is False (nothing written).
            ValueError: For an unsupported image extension.
        """
        image_path = Path(self.controls["save_path"].value if path is None else path)
        overwrite = self.controls["overwrite"].value if overwrite is None else bool(overwrite)
        hints_path = image_path.with_suffix(".json")
        if not overwrite:
            for target in (image_path, hints_path):
                if target.exists():
                    raise FileExistsError(
                        f"'{target}' exists: tick 'overwrite' (or pass overwrite=True) to "
                        "replace it, or choose another name"
                    )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            full = infer.colorize(
                self.image,
                self.model,
                size=self.size,
                temperature=self.temperature,
                saturation=self.saturation,
                hints=list(self.state.hints),
            )
        image_path.parent.mkdir(parents=True, exist_ok=True)
        data.save_image(full, image_path, overwrite=overwrite)
        atomic.write_json(hints_path, hints.hints_to_json(self.state.hints))
        return image_path, hints_path

    def _on_save(self, _button=None) -> None:
        try:
            image_path, hints_path = self.save()
        except (FileExistsError, ValueError, OSError) as error:
            self.error = str(error)
            self._status.value = f"<span style='color:#b00020'>Error: {self.error}</span>"
            return
        self._status.value = f"saved {image_path} and {hints_path}"


# --------------------------------------------------------------------------------------------
# ReplayExplorer: the shipped previews of the default recipe's real training run (notebook 7)
# --------------------------------------------------------------------------------------------
#: Where ``scripts/make_epoch_replay.py`` writes the shipped replay.
SHIPPED_REPLAY = Path(__file__).resolve().parent / "samples" / "epoch_replay"


@dataclasses.dataclass(frozen=True)
class EpochReplay:
    """Per-epoch previews of a finished training run, as shipped in ``samples/epoch_replay``.

    Attributes:
        folder: The folder (``epoch_NNN.png``, ``truth.png``, ``gray.png``, ``log.json``).
        epochs: The epochs with a preview, from the file names (1 = after the first epoch).
        loss, val_loss: float64 arrays, one value per epoch in ``epochs`` (``log.json``).
        log: The whole ``log.json`` (photos, decoding settings of the previews, recipe).
    """

    folder: Path
    epochs: tuple[int, ...]
    loss: np.ndarray
    val_loss: np.ndarray
    log: dict

    def image(self, epoch: int) -> np.ndarray:
        """The preview strip after ``epoch`` (float32 RGB in [0, 1])."""
        if epoch not in self.epochs:
            raise ValueError(f"epoch must be one of {list(self.epochs)}. Received: {epoch}")
        return _read_strip(self.folder / f"epoch_{epoch:03d}.png")

    def truth(self) -> np.ndarray:
        return _read_strip(self.folder / "truth.png")

    def gray(self) -> np.ndarray:
        return _read_strip(self.folder / "gray.png")


def _read_strip(path: Path) -> np.ndarray:
    return _to_float(data.read_image(path))


def load_epoch_replay(folder: str | os.PathLike | None = None) -> EpochReplay:
    """Reads a replay folder (default: the one shipped with colorkit, ``SHIPPED_REPLAY``).

    Raises:
        FileNotFoundError: If the folder has no ``log.json`` or no ``epoch_NNN.png``.
        ValueError: If the losses in ``log.json`` do not give one value per preview epoch.
    """
    folder = Path(SHIPPED_REPLAY if folder is None else folder)
    log_path = folder / "log.json"
    if not log_path.is_file():
        raise FileNotFoundError(f"No epoch replay (log.json) in {str(folder)!r}")
    log = json.loads(log_path.read_text())
    epochs = tuple(sorted(int(p.stem.split("_")[1]) for p in folder.glob("epoch_[0-9]*.png")))
    if not epochs:
        raise FileNotFoundError(f"No epoch_NNN.png previews in {str(folder)!r}")
    loss = np.asarray(log.get("loss", []), dtype=np.float64)
    val_loss = np.asarray(log.get("val_loss", []), dtype=np.float64)
    if not len(loss) == len(val_loss) == len(epochs):
        raise ValueError(
            f"log.json has {len(loss)} loss and {len(val_loss)} val_loss values for "
            f"{len(epochs)} preview epochs in {str(folder)!r}"
        )
    return EpochReplay(folder, epochs, loss, val_loss, log)


def replay_summary(epochs, loss, val_loss) -> dict:
    """What a loss log says, computed (pure): the best epoch by validation loss and after it.

    Returns:
        ``best_epoch`` (lowest val_loss; the first on ties), ``best_val_loss``,
        ``last_epoch``, ``last_val_loss``, ``loss_falls`` (training loss lower at the last
        epoch than at the first), ``val_rises_after_best`` (val_loss at the last epoch above the
        best), ``epochs_after_best`` (how many epochs were trained past the best).
    """
    epochs = [int(e) for e in epochs]
    loss = np.asarray(loss, dtype=np.float64)
    val_loss = np.asarray(val_loss, dtype=np.float64)
    if not len(epochs) == len(loss) == len(val_loss) or not epochs:
        raise ValueError(
            f"epochs, loss and val_loss need the same non-zero length. Received: "
            f"{len(epochs)}, {len(loss)}, {len(val_loss)}"
        )
    best = int(np.nanargmin(val_loss))
    return {
        "best_epoch": epochs[best],
        "best_val_loss": float(val_loss[best]),
        "last_epoch": epochs[-1],
        "last_val_loss": float(val_loss[-1]),
        "loss_falls": bool(loss[-1] < loss[0]),
        "val_rises_after_best": bool(val_loss[-1] > val_loss[best]),
        "epochs_after_best": len(epochs) - 1 - best,
    }


class ReplayExplorer(_Explorer):
    """Replay a shipped training run (``EpochReplay``): an epoch slider over its previews.

    Shows, stacked, the gray input, the colorization after the selected epoch and the truth
    (each a strip of the run's validation photos), next to the training and validation loss
    with the selected epoch and the best epoch (lowest validation loss) marked.

    Args:
        replay: An ``EpochReplay``, or a folder for ``load_epoch_replay`` (None: the shipped one).
        epoch: Initial epoch (default: the best epoch by validation loss).
        render: Draw on creation.

    Attributes:
        controls: ``epoch`` (IntSlider) and ``play`` (ipywidgets.Play linked to it).
        result: ``epoch``, ``image``, ``gray``, ``truth`` (float32 strips), ``loss``,
            ``val_loss``, ``best_epoch``, ``is_best``, ``metrics`` (``evaluate_batch`` of the
            strip vs the truth).
        summary: ``replay_summary`` of the run.
    """

    def __init__(self, replay=None, epoch: int | None = None, render: bool = True):
        super().__init__()
        self.replay = replay if isinstance(replay, EpochReplay) else load_epoch_replay(replay)
        self.summary = replay_summary(self.replay.epochs, self.replay.loss, self.replay.val_loss)
        self._truth = self.replay.truth()
        self._gray = self.replay.gray()
        self._cache: dict[int, np.ndarray] = {}
        low, high = self.replay.epochs[0], self.replay.epochs[-1]
        epoch = self.summary["best_epoch"] if epoch is None else _check_int(epoch, "epoch", 0)
        if epoch not in self.replay.epochs:
            raise ValueError(f"epoch must be one of {list(self.replay.epochs)}. Received: {epoch}")
        self._epoch_player(epoch, low, high, interval=900, name="replay-explorer")
        if render:
            self.update()

    def _strip(self, epoch: int) -> np.ndarray:
        if epoch not in self._cache:
            self._cache[epoch] = self.replay.image(epoch)
        return self._cache[epoch]

    def _compute(self) -> dict:
        epoch = int(self.controls["epoch"].value)
        if epoch not in self.replay.epochs:
            raise ValueError(f"No preview for epoch {epoch}")
        index = self.replay.epochs.index(epoch)
        image = self._strip(epoch)
        height = min(len(image), len(self._truth))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scores = metrics.evaluate_batch(image[None, :height], self._truth[None, :height])
        return {
            "epoch": epoch,
            "image": image,
            "gray": self._gray,
            "truth": self._truth,
            "loss": float(self.replay.loss[index]),
            "val_loss": float(self.replay.val_loss[index]),
            "best_epoch": self.summary["best_epoch"],
            "is_best": epoch == self.summary["best_epoch"],
            "metrics": scores,
        }

    def _draw(self, result: dict) -> Figure:
        figure = Figure(figsize=(12.0, 4.6), dpi=100, layout="constrained")
        left, right = figure.subfigures(1, 2, width_ratios=[3.0, 1.6])
        axes = left.subplots(3, 1)
        best = " (best val loss)" if result["is_best"] else ""
        rows = (
            ("gray", "gray input"),
            ("image", f"after epoch {result['epoch']}{best}"),
            ("truth", "truth"),
        )
        for ax, (key, title) in zip(axes, rows, strict=True):
            ax.imshow(result[key], vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=10)
        ax = right.subplots()
        epochs = np.asarray(self.replay.epochs)
        ax.plot(epochs, self.replay.loss, "o-", markersize=4, label="training loss")
        ax.plot(epochs, self.replay.val_loss, "s--", markersize=4, label="validation loss")
        ax.axvline(result["best_epoch"], color="seagreen", linestyle=":", label="best val loss")
        ax.axvline(result["epoch"], color="crimson", linewidth=1.5, label="shown epoch")
        ax.plot(result["epoch"], result["val_loss"], "o", color="crimson", markersize=9)
        ax.plot(result["epoch"], result["loss"], "o", color="crimson", markersize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_xticks(epochs)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_title("training curves")
        return figure

    def _describe(self, result: dict) -> str:
        text = (
            f"epoch {result['epoch']} &middot; loss {result['loss']:.4g} &middot; "
            f"val loss {result['val_loss']:.4g}"
        )
        if result["is_best"]:
            text += " (best)"
        scores = result["metrics"]
        text += f" &middot; colorfulness {scores['colorfulness']:.1f}"
        return text + f" &middot; AuC {scores['auc_ab']:.3f}"
