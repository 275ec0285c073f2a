"""Inference: colorize photographs of any size with a trained colorkit model.

The network runs at a small *working size* (long side ``size``, aspect kept, reflect-padded to a
multiple of the model's stride); its chroma is upsampled bilinearly to the input's full
resolution and merged with the input's own full-resolution luminance (Lab L, or Y for the YUV
models). The output therefore keeps every detail of the input: only the colors are predicted.

Public API:
    ``load_model(name_or_path)``: a ``.keras`` file (or, later, a pretrained model name).
    ``predict_chroma(model, lightness, temperature)``: the pure core, model-scale chroma.
    ``colorize(image, model, size, temperature, saturation, batch_size)``: RGB in, RGB out.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import warnings
import weakref
from pathlib import Path

import numpy as np
from PIL import Image

from colorkit import color

#: Tolerance on the [0, 1] range of float inputs (rounding in upstream conversions).
RANGE_TOLERANCE = 1e-4


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _register_custom_objects() -> None:
    """Import the modules whose Keras objects are registered (layers, losses)."""
    importlib.import_module("colorkit.models")
    if importlib.util.find_spec("colorkit.losses") is not None:
        importlib.import_module("colorkit.losses")


def load_model(name_or_path: str | os.PathLike):
    """Load a colorization model from a ``.keras`` file (or a pretrained name, when available).

    Args:
        name_or_path: Path to a ``.keras`` file saved by ``colorkit.train`` or ``model.save``.
            A bare name (no path separator, no ``.keras`` suffix, not an existing file) is
            looked up with ``colorkit.pretrained.load_pretrained(name)`` when that module exists.

    Returns:
        The ``keras.Model`` (not compiled: inference only).

    Raises:
        FileNotFoundError: If the file does not exist (the message names the path), or a name
            cannot be resolved.
        TypeError: If ``name_or_path`` is not a string or path.

    Example:
        >>> load_model("/nonexistent/model.keras")
        Traceback (most recent call last):
        ...
        FileNotFoundError: Model file not found: '/nonexistent/model.keras'
    """
    if not isinstance(name_or_path, str | os.PathLike):
        raise TypeError(
            "name_or_path must be a path to a .keras file or a model name. "
            f"Received: name_or_path={name_or_path!r}"
        )
    text = os.fspath(name_or_path)
    path = Path(text).expanduser()
    looks_like_path = (
        path.suffix in (".keras", ".h5")
        or os.sep in text
        or (os.altsep is not None and os.altsep in text)
        or path.exists()
    )
    if looks_like_path:
        if not path.is_file():
            raise FileNotFoundError(f"Model file not found: '{path}'")
        import keras

        _register_custom_objects()
        return keras.saving.load_model(path, compile=False)
    if importlib.util.find_spec("colorkit.pretrained") is not None:
        pretrained = importlib.import_module("colorkit.pretrained")
        return pretrained.load_pretrained(text)
    raise FileNotFoundError(
        f"Model file not found: '{path}' (and no pretrained model registry "
        "(colorkit.pretrained) is available to resolve it as a name)"
    )


# --------------------------------------------------------------------------------------------
# Model introspection
# --------------------------------------------------------------------------------------------


def _model_space(model) -> str:
    """Color space of a model's input and output: "lab" or "yuv"."""
    from colorkit import models

    try:
        family = models.model_family(model)
    except (ValueError, TypeError, KeyError):
        return "lab"
    return str(models.FAMILIES.get(family, {}).get("space", "lab"))


def model_stride(model) -> int:
    """Required divisor of a model's input height and width.

    Read from the model's ``ImageSizeCheck`` layer when it has one, else from
    ``colorkit.models.FAMILIES``, else 1.

    Args:
        model: A colorkit ``keras.Model``.

    Returns:
        Positive int.
    """
    from colorkit import models
    from colorkit.models import layers as ck_layers

    for layer in ck_layers.iter_layers(model):
        if isinstance(layer, ck_layers.ImageSizeCheck):
            return int(layer.stride)
    try:
        family = models.model_family(model)
        return int(models.FAMILIES[family].get("stride", 1))
    except (ValueError, TypeError, KeyError):
        return 1


#: Annealed-mean temperature of Zhang et al. 2016, used when a model recommends none.
DEFAULT_TEMPERATURE = 0.38
#: Working long side of the network in pixels, used when a model recommends none.
DEFAULT_SIZE = 256
#: Decoding settings recommended for particular model objects (set by colorkit.pretrained).
_RECOMMENDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def recommend_settings(model, **settings) -> None:
    """Attach recommended decoding settings (``size``, ``temperature``, ``saturation``).

    :func:`colorize` uses them when its ``size`` / ``temperature`` / ``saturation`` are None.
    ``colorkit.pretrained.load_pretrained`` records the settings chosen on validation photos.

    Raises:
        ValueError: For an unknown setting name.
    """
    unknown = sorted(set(settings) - {"size", "temperature", "saturation"})
    if unknown:
        raise ValueError(
            f"Unknown settings: expected size, temperature, saturation. Received: {unknown}"
        )
    _RECOMMENDED[model] = {
        key: int(value) if key == "size" else float(value) for key, value in settings.items()
    }


def recommended_settings(model) -> dict:
    """The decoding settings recommended for ``model`` ({} when none were recorded).

    Example:
        >>> from colorkit import models
        >>> recommended_settings(models.build_model("unet", base_filters=4, depth=1))
        {}
    """
    try:
        return dict(_RECOMMENDED.get(model, {}))
    except TypeError:  # an unhashable object
        return {}


def _set_decoder_temperature(model, temperature: float) -> None:
    """Set the temperature of any ``AnnealedMeanDecode`` layer (no rebuild)."""
    from colorkit.models import layers as ck_layers

    for layer in ck_layers.iter_layers(model):
        if isinstance(layer, ck_layers.AnnealedMeanDecode):
            layer.set_temperature(temperature)


# --------------------------------------------------------------------------------------------
# Core
# --------------------------------------------------------------------------------------------


def _validate_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, int | float | np.number):
        raise TypeError(f"temperature must be a number. Received: temperature={temperature!r}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be finite and > 0. Received: temperature={temperature}")
    return float(temperature)


def _resize_channels(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear (antialiased when shrinking) resize of a float32 (h, w, C) array."""
    if array.shape[:2] == (height, width):
        return array.astype(np.float32, copy=False)
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(array[..., c], dtype=np.float32), mode="F").resize(
                (width, height), Image.BILINEAR
            ),
            dtype=np.float32,
        )
        for c in range(array.shape[-1])
    ]
    return np.stack(channels, axis=-1)


def predict_chroma(
    model, lightness: np.ndarray, temperature: float = 0.38, batch_size: int = 8
) -> np.ndarray:
    """Run a model on model-scale lightness and return model-scale chroma at the same size.

    Classification models (output ``(B, h, w, Q)`` bin probabilities, the zhang family) are
    decoded by the annealed mean at ``temperature`` (in NumPy: nothing is rebuilt); models that
    contain an ``AnnealedMeanDecode`` layer get its temperature set. Chroma predicted at a lower
    resolution is upsampled bilinearly to ``(H, W)``.

    Args:
        model: A colorkit ``keras.Model``; H and W must suit it (multiples of its stride).
        lightness: float32 ``(N, H, W, 1)`` in [0, 1]: L / 100 for Lab models, Y for YUV models.
        temperature: Annealed-mean temperature > 0 (zhang models only; ignored otherwise).
        batch_size: Images per forward pass.

    Returns:
        float32 ``(N, H, W, 2)``: ab / AB_SCALE (about [-1, 1]) for Lab models, or the model
        scale UV in [0, 1] for YUV models.

    Raises:
        TypeError: If ``lightness`` is not a floating array.
        ValueError: If it is not ``(N, H, W, 1)``, has NaN, or leaves [0, 1].
    """
    import keras

    temperature = _validate_temperature(temperature)
    array = np.asarray(lightness)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"lightness must be a float array in [0, 1]. Received: lightness.dtype={array.dtype}"
        )
    if array.ndim != 4 or array.shape[-1] != 1:
        raise ValueError(
            "Invalid lightness shape: expected (N, H, W, 1). "
            f"Received: lightness.shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("lightness contains NaN or infinite values.")
    if array.size and (array.min() < -RANGE_TOLERANCE or array.max() > 1 + RANGE_TOLERANCE):
        raise ValueError(
            "lightness must be in [0, 1]. "
            f"Received: lightness range=[{array.min():.4g}, {array.max():.4g}]"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int. Received: batch_size={batch_size!r}")
    array = np.clip(array, 0.0, 1.0).astype(np.float32)
    _set_decoder_temperature(model, temperature)

    height, width = array.shape[1:3]
    results = []
    for start in range(0, len(array), batch_size):
        output = keras.ops.convert_to_numpy(
            model(array[start : start + batch_size], training=False)
        )
        output = np.asarray(output, dtype=np.float32)
        if output.shape[-1] != 2:
            # Bin probabilities: annealed mean in Lab units -> model scale.
            ab = color.annealed_mean(output, temperature=temperature)
            output = np.asarray(ab, dtype=np.float32) / color.AB_SCALE
        results.extend(_resize_channels(chroma, height, width) for chroma in output)
    if not results:
        return np.zeros((0, height, width, 2), np.float32)
    return np.stack(results).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _as_rgb(image, index: int | None = None) -> np.ndarray:
    """Validate one image and return float32 RGB (H, W, 3) in [0, 1]."""
    name = "image" if index is None else f"image[{index}]"
    if isinstance(image, str | os.PathLike):
        from colorkit import data

        return np.asarray(data.read_image(image), dtype=np.float32)
    if not isinstance(image, np.ndarray) and not hasattr(image, "__array__"):
        raise TypeError(
            f"{name} must be a NumPy array or an image path. Received: type={type(image).__name__}"
        )
    array = np.asarray(image)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{name} must be a float array in [0, 1] (uint8 exists only at file I/O: divide by "
            f"255 or use colorkit.data.read_image). Received: {name}.dtype={array.dtype}"
        )
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "Invalid image shape: expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) for one "
            f"image, or (N, H, W, C) for a batch. Received: {name}.shape={np.shape(image)}"
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"{name} is empty. Received: {name}.shape={array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    low, high = float(array.min()), float(array.max())
    if low < -RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise ValueError(
            f"{name} must be in [0, 1]. Received: {name} range=[{low:.4g}, {high:.4g}]"
        )
    array = np.clip(array, 0.0, 1.0).astype(np.float32)
    if array.shape[-1] == 1:
        return np.repeat(array, 3, axis=-1)
    if array.shape[-1] == 4:
        # Composite on white, as colorkit.data.read_image does for RGBA files.
        alpha = array[..., 3:4]
        return array[..., :3] * alpha + (1.0 - alpha)
    return array


def _normalize_inputs(image) -> tuple[list[np.ndarray], str]:
    """Return (list of RGB images, kind) with kind in "single", "batch", "list"."""
    if isinstance(image, list | tuple):
        if not image:
            raise ValueError("image is an empty list: nothing to colorize.")
        return [_as_rgb(item, index) for index, item in enumerate(image)], "list"
    if isinstance(image, str | os.PathLike):
        return [_as_rgb(image)], "single"
    array = np.asarray(image) if hasattr(image, "__array__") else image
    if isinstance(array, np.ndarray) and array.ndim == 4:
        if len(array) == 0:
            raise ValueError(f"image is an empty batch. Received: image.shape={array.shape}")
        return [_as_rgb(item, index) for index, item in enumerate(array)], "batch"
    if isinstance(array, np.ndarray) and array.ndim not in (2, 3):
        raise ValueError(
            "Invalid image rank: expected 2 (H, W), 3 (H, W, C) or 4 (N, H, W, C). "
            f"Received: image.shape={array.shape}"
        )
    return [_as_rgb(array)], "single"


def working_shape(height: int, width: int, size: int, stride: int) -> tuple[int, int]:
    """Network input size for an image: long side ``size`` (a multiple of ``stride``), aspect kept.

    The short side is scaled by the same factor and rounded (at least 1); the caller pads it
    to a multiple of ``stride``.

    Args:
        height: Image height in pixels.
        width: Image width in pixels.
        size: Requested long side (rounded to the nearest multiple of ``stride``, at least one).
        stride: The model's stride.

    Returns:
        ``(working_height, working_width)``.

    Example:
        >>> working_shape(321, 481, size=256, stride=32)
        (171, 256)
        >>> working_shape(1000, 500, size=110, stride=8)
        (112, 56)
    """
    long_side = max(stride, int(round(size / stride)) * stride)
    scale = long_side / max(height, width)
    if height >= width:
        return long_side, max(1, int(round(width * scale)))
    return max(1, int(round(height * scale))), long_side


def _pad_to(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Reflect-pad (edge-pad when too small to reflect) an (h, w, C) array to (height, width)."""
    pad_h, pad_w = height - array.shape[0], width - array.shape[1]
    if pad_h == 0 and pad_w == 0:
        return array
    reflectable = pad_h < array.shape[0] and pad_w < array.shape[1]
    mode = "reflect" if reflectable else "edge"
    return np.pad(array, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)


# --------------------------------------------------------------------------------------------
# Public
# --------------------------------------------------------------------------------------------


def colorize(
    image,
    model,
    size: int | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
    batch_size: int = 8,
):
    """Colorize images of any size and aspect, keeping their full-resolution luminance.

    Each image's luminance is resized to the working size (long side ``size`` rounded to the
    model's stride, aspect kept, reflect-padded to a multiple of the stride), the network
    predicts chroma there, the chroma is cropped, upsampled bilinearly to full resolution,
    scaled by ``saturation`` and merged with the original full-resolution L (Lab models) or Y
    (YUV models). Images with the same working size are batched together. Models with a
    fixed input size get the image fitted inside it (then padded).

    Color input is taken as its luminance (the colors are replaced); RGBA is composited on
    white first (the alpha channel is not carried to the output). Merged colors outside the
    sRGB gamut are clipped, with one ``colorkit.color.GamutWarning`` per call.

    Args:
        image: One image: float ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` in
            [0, 1], or an image file path; a batch ``(N, H, W, C)``; or a list of images of
            different sizes (arrays or paths).
        model: A colorkit ``keras.Model`` (or a path/name given to ``load_model``).
        size: Working long side in pixels (positive int; None: the model's recommended size,
            else 256).
        temperature: Annealed-mean temperature > 0 for zhang models (None: the model's
            recommended setting, see :func:`recommended_settings`, else 0.38 as in the paper;
            smaller is more vivid). Ignored by regression models.
        saturation: Chroma multiplier >= 0 (0 gives the gray image, 1 the prediction; None:
            the model's recommended setting, else 1).
        batch_size: Images per forward pass (positive int).

    Returns:
        float32 RGB in [0, 1] at each input's resolution: ``(H, W, 3)`` for one image,
        ``(N, H, W, 3)`` for a batch, a list of ``(H_i, W_i, 3)`` for a list.

    Raises:
        TypeError: For non-float arrays (e.g. uint8) or wrong argument types.
        ValueError: For a bad rank or channel count, NaN, values outside [0, 1], or bad
            ``size``/``temperature``/``saturation``.

    Example:
        >>> from colorkit import models
        >>> model = models.build_model("unet", base_filters=4, depth=1)
        >>> out = colorize(np.full((30, 50), 0.5, np.float32), model, size=32)
        >>> out.shape, out.dtype
        ((30, 50, 3), dtype('float32'))
    """
    if isinstance(model, str | os.PathLike):
        model = load_model(model)
    recommended = recommended_settings(model)
    if size is None:
        size = int(recommended.get("size", DEFAULT_SIZE))
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"size must be a positive int. Received: size={size!r}")
    if temperature is None:
        temperature = recommended.get("temperature", DEFAULT_TEMPERATURE)
    if saturation is None:
        saturation = recommended.get("saturation", 1.0)
    temperature = _validate_temperature(temperature)
    if (
        isinstance(saturation, bool)
        or not isinstance(saturation, int | float | np.number)
        or not np.isfinite(saturation)
        or saturation < 0
    ):
        raise ValueError(
            f"saturation must be a finite number >= 0. Received: saturation={saturation!r}"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int. Received: batch_size={batch_size!r}")

    images, kind = _normalize_inputs(image)
    space = _model_space(model)
    stride = model_stride(model)
    fixed = tuple(model.input_shape[1:3])
    fixed_shape = fixed if None not in fixed else None

    # Full-resolution luminance in model scale, and the working-size network inputs.
    full_luma, inputs, crops = [], [], []
    for rgb in images:
        if space == "yuv":
            luma = np.asarray(color.encode_yuv(rgb)[0], np.float32)
        else:
            luma = np.asarray(color.encode_lab(rgb)[0], np.float32)
        full_luma.append(luma)
        height, width = luma.shape[:2]
        if fixed_shape is not None:
            scale = min(fixed_shape[0] / height, fixed_shape[1] / width)
            work_h = max(1, min(fixed_shape[0], int(round(height * scale))))
            work_w = max(1, min(fixed_shape[1], int(round(width * scale))))
            canvas = fixed_shape
        else:
            work_h, work_w = working_shape(height, width, int(size), stride)
            canvas = (-(-work_h // stride) * stride, -(-work_w // stride) * stride)
        small = np.clip(_resize_channels(luma, work_h, work_w), 0.0, 1.0)
        inputs.append(_pad_to(small, *canvas))
        crops.append((work_h, work_w))

    # Batch the images that share a canvas shape.
    groups: dict[tuple[int, int], list[int]] = {}
    for index, array in enumerate(inputs):
        groups.setdefault(array.shape[:2], []).append(index)
    chroma_small: list[np.ndarray | None] = [None] * len(images)
    for indices in groups.values():
        batch = np.stack([inputs[i] for i in indices])
        predicted = predict_chroma(model, batch, temperature=temperature, batch_size=batch_size)
        for i, chroma in zip(indices, predicted, strict=True):
            work_h, work_w = crops[i]
            chroma_small[i] = chroma[:work_h, :work_w]

    outputs, clipped = [], 0
    for luma, chroma in zip(full_luma, chroma_small, strict=True):
        chroma = _resize_channels(chroma, *luma.shape[:2])
        # Merged colors can leave the sRGB gamut: decode_* clips them and warns; gather those
        # warnings into one per call.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", color.GamutWarning)
            if space == "yuv":
                chroma = np.clip((chroma - 0.5) * saturation + 0.5, 0.0, 1.0)
                rgb = color.decode_yuv(luma, chroma)
            else:
                rgb = color.decode_lab(luma, chroma * saturation)
        for record in caught:
            if issubclass(record.category, color.GamutWarning):
                clipped += 1
            else:
                warnings.warn_explicit(
                    record.message, record.category, record.filename, record.lineno
                )
        outputs.append(np.clip(np.asarray(rgb, np.float32), 0.0, 1.0))
    if clipped:
        warnings.warn(
            f"colorize: out-of-gamut colors were clipped to sRGB in {clipped} of "
            f"{len(outputs)} image(s) (luminance may differ slightly there; lower "
            "saturation to reduce it).",
            color.GamutWarning,
            stacklevel=2,
        )

    if kind == "single":
        return outputs[0]
    if kind == "batch":
        return np.stack(outputs)
    return outputs
