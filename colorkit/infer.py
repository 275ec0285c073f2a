"""Inference: colorize photographs of any size with a trained colorkit model.

Colorizing is one chain of small stages, which ``colorize``, the widgets, the video module and
the command line all call (none of them re-derives a formula):

1. :func:`run_model`: model-scale lightness ``(N, H, W, 1)`` -> the network's raw output
   (bin probabilities or chroma), at the network's resolution;
2. :func:`decode_chroma`: raw output -> model-scale chroma ``(..., 2)`` (annealed mean at a
   temperature for distribution models; regression output as it is);
3. :func:`resize_channels`: chroma upsampled bilinearly to the full resolution;
4. :func:`compose`: full-resolution lightness + chroma -> RGB, with ``saturation`` and
   ``blend``; returns a :class:`Composed` holding the image and the count of pixels clipped
   into the sRGB gamut (a value, never a warning text to parse).

What a model is (color space, stride, output kind, recommended settings) is read from the
``ModelSpec`` stored in it (``colorkit.models.model_spec``), never guessed from its name.

Public API:
    ``load_model(name_or_path)``: a ``.keras`` file or a pretrained model name.
    ``colorize(image, model, size, temperature, saturation, batch_size, hints)``: RGB in,
        RGB out (``hints``: user color hints for a hint model, ``colorkit.hints.Hint``).
    ``colorize_report(...)``: the same, returning a :class:`Colorized` (images + clip counts).
    ``predict_chroma(model, lightness, temperature)``: stages 1-3 on a batch.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from colorkit import _checks, color, data, hints, models, pretrained
from colorkit.models import saving

#: Tolerance on the [0, 1] range of float inputs (rounding in upstream conversions).
RANGE_TOLERANCE = 1e-4
#: Working long side of the network in pixels, used when a model recommends none.
DEFAULT_SIZE = 256
#: Largest working long side in pixels: a larger ``size`` is lowered to it (a 4096 px canvas
#: already needs several GB of activations for the U-Net).
MAX_WORKING_SIZE = 4096


def bounded_size(size: int, height: int, width: int) -> int:
    """The working long side actually used for an ``(height, width)`` image.

    ``size`` is lowered to the larger of the image's long side and :data:`DEFAULT_SIZE` (a
    small photo is not blown up beyond the network's usual size), and to
    :data:`MAX_WORKING_SIZE`, so memory is bounded by the image and a fixed maximum whatever
    ``size`` is asked for.

    Example:
        >>> bounded_size(50000, 3, 3), bounded_size(512, 1000, 800), bounded_size(10**6, 9000, 10)
        (256, 512, 4096)
    """
    return max(1, min(int(size), max(height, width, DEFAULT_SIZE), MAX_WORKING_SIZE))


# --------------------------------------------------------------------------------------------
# Loading and model facts
# --------------------------------------------------------------------------------------------


def load_model(name_or_path: str | os.PathLike):
    """Load a colorization model from a ``.keras`` file or by pretrained name.

    Args:
        name_or_path: Path to a ``.keras`` file saved by ``colorkit.training`` or ``model.save``.
            A bare name (no path separator, no ``.keras`` suffix, not an existing file) is
            looked up with ``colorkit.pretrained.load_pretrained(name)``.

    Returns:
        The ``keras.Model`` (not compiled: inference only).

    Raises:
        FileNotFoundError: If the file does not exist (the message names the path).
        ValueError: If a bare name is not a pretrained model.
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
        return saving.load_file(path)
    return pretrained.load_pretrained(text)


def model_stride(model) -> int:
    """Required divisor of a model's input height and width (from its ``ModelSpec``).

    Raises:
        ValueError: If the model carries no ``ModelSpec``.
    """
    return models.model_spec(model).stride


def recommend_settings(model, **settings) -> None:
    """Store recommended decoding settings (``size``, ``temperature``, ``saturation``).

    They are written into the model's ``ModelSpec`` (so they are saved with it);
    :func:`colorize` uses them when its ``size`` / ``temperature`` / ``saturation`` are None.

    Raises:
        ValueError: For an unknown setting name, a bad value, or a model without a spec.
    """
    unknown = sorted(set(settings) - {"size", "temperature", "saturation"})
    if unknown:
        raise ValueError(
            f"Unknown settings: expected size, temperature, saturation. Received: {unknown}"
        )
    changes = {("working_size" if key == "size" else key): value for key, value in settings.items()}
    spec = models.model_spec(model).replace(**changes)
    updated = models.attach_spec(model, spec)
    if updated is not model:
        raise ValueError(
            "recommend_settings needs a model whose output carries its ModelSpec (a colorkit "
            f"builder's model). Received: model.name={model.name!r}"
        )


def recommended_settings(model) -> dict:
    """The decoding settings recommended in ``model``'s ``ModelSpec`` ({} when none).

    Example:
        >>> recommended_settings(models.build_model("unet", base_filters=4, depth=1))
        {}
    """
    spec = models.model_spec(model)
    values = {"size": spec.working_size, "temperature": spec.temperature}
    values["saturation"] = spec.saturation
    return {key: value for key, value in values.items() if value is not None}


# --------------------------------------------------------------------------------------------
# The stages
# --------------------------------------------------------------------------------------------


def resize_channels(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear (antialiased when shrinking) resize of a float32 ``(h, w, C)`` array.

    Example:
        >>> resize_channels(np.ones((2, 2, 2), np.float32), 4, 6).shape
        (4, 6, 2)
    """
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


def _check_lightness(lightness) -> np.ndarray:
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
    return np.clip(array, 0.0, 1.0).astype(np.float32)


def luminance(image: np.ndarray, space: str) -> np.ndarray:
    """Full-resolution model-scale lightness of RGB: L / 100 ("lab") or Y ("yuv").

    Args:
        image: float32 RGB ``(..., 3)`` in [0, 1].
        space: "lab" or "yuv" (``ModelSpec.space``).

    Returns:
        float32 ``(..., 1)`` in [0, 1].
    """
    encode = color.encode_yuv if space == "yuv" else color.encode_lab
    return np.asarray(encode(image)[0], np.float32)


def run_model(model, lightness: np.ndarray, hints=None, batch_size: int = 8) -> np.ndarray:
    """Stage 1: the network's raw output for model-scale lightness.

    Models whose ``ModelSpec.hint_inputs`` is True take ``[lightness, hint_ab, hint_mask]``;
    without ``hints`` they get zeros (no hint anywhere).

    Args:
        model: A colorkit ``keras.Model`` (H and W must suit its stride).
        lightness: float32 ``(N, H, W, 1)`` in [0, 1].
        hints: None, or ``(hint_ab (N, H, W, 2), hint_mask (N, H, W, 1))`` for hint models.
        batch_size: Images per forward pass (positive int).

    Returns:
        float32 ``(N, h, w, C)``: bin probabilities (``C = num_bins``) or model-scale chroma
        (``C = 2``), at the network's output resolution.

    Raises:
        TypeError: If ``lightness`` is not a floating array.
        ValueError: If it is not ``(N, H, W, 1)`` in [0, 1], or hints are given to a model
            without hint inputs.
    """
    spec = models.model_spec(model)
    array = _check_lightness(lightness)
    batch_size = _checks.check_int("batch_size", batch_size)
    if spec.hint_inputs:
        if hints is None:
            hints = (
                np.zeros(array.shape[:3] + (2,), np.float32),
                np.zeros(array.shape[:3] + (1,), np.float32),
            )
        inputs = [array, *(np.asarray(h, np.float32) for h in hints)]
    elif hints is not None:
        raise ValueError(
            f"Model {model.name!r} takes no hints (its ModelSpec.hint_inputs is False)"
        )
    else:
        inputs = [array]
    outputs = []
    for start in range(0, len(array), batch_size):
        batch = [item[start : start + batch_size] for item in inputs]
        output = model(batch[0] if len(batch) == 1 else batch, training=False)
        outputs.append(np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float32))
    if not outputs:
        return np.zeros((0,) + array.shape[1:3] + (2,), np.float32)
    return np.concatenate(outputs)


def decode_chroma(output: np.ndarray, temperature: float = color.DEFAULT_TEMPERATURE) -> np.ndarray:
    """Stage 2: model-scale chroma from a raw output (annealed mean for bin probabilities).

    Args:
        output: float32 ``(..., 2)`` model-scale chroma (returned as is) or ``(..., Q)`` bin
            probabilities over ``color.ab_bins()`` (decoded at ``temperature``).
        temperature: Annealed-mean temperature > 0 (probabilities only).

    Returns:
        float32 ``(..., 2)``: ab / ``color.AB_SCALE`` for Lab models, model-scale UV for YUV.

    Example:
        >>> probabilities = np.zeros((1, 1, color.NUM_BINS), np.float32)
        >>> probabilities[..., [120, 121]] = 0.4, 0.6  # bins (0, 0) and (0, 10)
        >>> round(float(decode_chroma(probabilities, 1.0)[0, 0, 1] * color.AB_SCALE), 3)
        6.0
    """
    temperature = _checks.check_temperature(temperature)
    output = np.asarray(output, dtype=np.float32)
    if output.shape[-1] == 2:
        return output
    ab = color.annealed_mean(output, temperature=temperature)
    return np.asarray(ab, dtype=np.float32) / np.float32(color.AB_SCALE)


@dataclasses.dataclass(frozen=True)
class Composed:
    """Stage 4's result: ``rgb`` float32 ``(..., 3)`` in [0, 1] and ``clipped_pixels`` (int),
    the number of pixels whose merged color left the sRGB gamut and was clipped."""

    rgb: np.ndarray
    clipped_pixels: int


def compose(
    lightness: np.ndarray,
    chroma: np.ndarray,
    space: str = "lab",
    saturation: float = 1.0,
    blend: float = 1.0,
) -> Composed:
    """Stage 4: merge full-resolution lightness and chroma into RGB.

    ``saturation`` scales the chroma (0 gives the gray image); ``blend`` then cross-fades in
    RGB between the gray image (0) and the colorization (1).

    Args:
        lightness: float32 ``(..., 1)`` in [0, 1]: L / 100 ("lab") or Y ("yuv").
        chroma: float32 ``(..., 2)``: ab / ``color.AB_SCALE`` ("lab") or model-scale UV ("yuv").
        space: "lab" or "yuv".
        saturation: Chroma multiplier >= 0.
        blend: Weight of the colorization in [0, 1].

    Returns:
        A :class:`Composed` (RGB and the count of gamut-clipped pixels; no warning).

    Raises:
        ValueError: For mismatched shapes, an unknown space, or values out of range.

    Example:
        >>> out = compose(np.full((2, 2, 1), 0.5, np.float32), np.zeros((2, 2, 2), np.float32))
        >>> out.rgb.shape, out.clipped_pixels
        ((2, 2, 3), 0)
    """
    _checks.check_choice("space", space, ("lab", "yuv"))
    saturation = _checks.check_saturation(saturation)
    blend = _checks.check_number("blend", blend, 0.0, 1.0)
    lightness = np.asarray(lightness, dtype=np.float32)
    chroma = np.asarray(chroma, dtype=np.float32)
    if lightness.shape[-1:] != (1,) or chroma.shape != lightness.shape[:-1] + (2,):
        raise ValueError(
            "Invalid shapes: expected lightness (..., 1) and chroma (..., 2) of the same size. "
            f"Received: lightness.shape={lightness.shape}, chroma.shape={chroma.shape}"
        )
    if space == "yuv":
        scaled = np.clip((chroma - 0.5) * np.float32(saturation) + 0.5, 0.0, 1.0)
        rgb, clipped = color.decode_yuv(lightness, scaled, return_clipped=True)
        gray = None if blend == 1.0 else color.decode_yuv(lightness, np.full_like(chroma, 0.5))
    else:
        rgb, clipped = color.decode_lab(lightness, chroma * saturation, return_clipped=True)
        gray = None if blend == 1.0 else color.decode_lab(lightness, np.zeros_like(chroma))
    if gray is not None:
        rgb = np.float32(blend) * rgb + np.float32(1.0 - blend) * gray
    return Composed(np.clip(np.asarray(rgb, np.float32), 0.0, 1.0), int(clipped))


def predict_chroma(
    model,
    lightness: np.ndarray,
    temperature: float = color.DEFAULT_TEMPERATURE,
    batch_size: int = 8,
    hints=None,
) -> np.ndarray:
    """Stages 1-3 on a batch: model-scale chroma at the lightness's own size.

    Args:
        model: A colorkit ``keras.Model``; H and W must suit it (multiples of its stride).
        lightness: float32 ``(N, H, W, 1)`` in [0, 1]: L / 100 for Lab models, Y for YUV models.
        temperature: Annealed-mean temperature > 0 (distribution models only).
        batch_size: Images per forward pass.
        hints: None, or the hint maps ``(hint_ab (N, H, W, 2), hint_mask (N, H, W, 1))`` of a
            hint model (see :func:`run_model` and ``colorkit.hints.rasterize``).

    Returns:
        float32 ``(N, H, W, 2)``: ab / AB_SCALE (about [-1, 1]) for Lab models, or the model
        scale UV in [0, 1] for YUV models.

    Raises:
        TypeError: If ``lightness`` is not a floating array.
        ValueError: If it is not ``(N, H, W, 1)``, has NaN, or leaves [0, 1], or hints are
            given to a model without hint inputs.
    """
    temperature = _checks.check_temperature(temperature)
    _set_decoder_temperature(model, temperature)
    output = run_model(model, lightness, hints=hints, batch_size=batch_size)
    height, width = np.shape(lightness)[1:3]
    chroma = decode_chroma(output, temperature)
    if not len(chroma):
        return np.zeros((0, height, width, 2), np.float32)
    return np.stack([resize_channels(item, height, width) for item in chroma])


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _as_rgb(image, index: int | None = None) -> np.ndarray:
    """Validate one image and return float32 RGB (H, W, 3) in [0, 1]."""
    name = "image" if index is None else f"image[{index}]"
    if isinstance(image, str | os.PathLike):
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


def _hint_list(items, name: str) -> list:
    if not isinstance(items, list | tuple):
        raise TypeError(
            f"{name} must be a list of colorkit.hints.Hint. Received: type={type(items).__name__}"
        )
    for position, item in enumerate(items):
        if not isinstance(item, hints.Hint):
            raise TypeError(
                f"{name}[{position}] must be a colorkit.hints.Hint (see Hint.from_color). "
                f"Received: type={type(item).__name__}"
            )
    return list(items)


def _normalize_hints(value, kind: str, count: int, model_name: str, hint_inputs: bool):
    """``colorize``'s ``hints`` -> None or one list of Hint (or None) per image."""
    if value is None:
        return None
    if not hint_inputs:
        raise ValueError(
            f"Model {model_name!r} takes no hints (its ModelSpec.hint_inputs is False): use a "
            "hint model, e.g. colorkit.pretrained.load_pretrained_hint_model(). "
            f"Received: {len(value) if hasattr(value, '__len__') else value!r} hint(s)"
        )
    if kind == "single":
        return [_hint_list(value, "hints")]
    if not isinstance(value, list | tuple) or len(value) != count:
        raise ValueError(
            f"For {count} images, hints must be a list of {count} entries (a list of Hint, or "
            f"None, per image). Received: {type(value).__name__} of length "
            f"{len(value) if hasattr(value, '__len__') else '?'}"
        )
    return [
        None if item is None else _hint_list(item, f"hints[{index}]")
        for index, item in enumerate(value)
    ]


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


@dataclasses.dataclass(frozen=True)
class WorkingInput:
    """One image prepared for the network (what :func:`working_input` returns).

    Attributes:
        lightness: float32 ``(H_c, W_c, 1)`` in [0, 1]: the lightness resized to the working
            size and reflect-padded to the stride canvas.
        shape: ``(h, w)``, the working size inside the canvas (top-left corner).
    """

    lightness: np.ndarray
    shape: tuple[int, int]


def working_input(lightness: np.ndarray, size: int, model) -> WorkingInput:
    """Resize one full-resolution lightness to the model's working size and pad it.

    The long side becomes ``size`` (bounded by :func:`bounded_size`) rounded to the model's
    stride (aspect kept) and the result
    is reflect-padded to a multiple of the stride; a model with a fixed input size gets the
    image fitted inside that size.

    Args:
        lightness: float32 ``(H, W, 1)`` model-scale lightness in [0, 1].
        size: Working long side in pixels.
        model: A colorkit ``keras.Model`` (its ``ModelSpec`` gives the stride).

    Returns:
        A :class:`WorkingInput`.
    """
    stride = models.model_spec(model).stride
    fixed = tuple(model.input_shape[1:3]) if len(model.inputs) == 1 else (None, None)
    height, width = lightness.shape[:2]
    if None not in fixed:
        scale = min(fixed[0] / height, fixed[1] / width)
        work_h = max(1, min(fixed[0], int(round(height * scale))))
        work_w = max(1, min(fixed[1], int(round(width * scale))))
        canvas = fixed
    else:
        work_h, work_w = working_shape(height, width, bounded_size(size, height, width), stride)
        canvas = (-(-work_h // stride) * stride, -(-work_w // stride) * stride)
    small = np.clip(resize_channels(lightness, work_h, work_w), 0.0, 1.0)
    return WorkingInput(_pad_to(small, *canvas), (work_h, work_w))


def hint_maps(
    image_hints, image_shape: tuple[int, int], prepared: WorkingInput
) -> tuple[np.ndarray, np.ndarray]:
    """One image's hints rasterized on its working canvas (``colorkit.hints.rasterize``).

    Args:
        image_hints: Sequence of ``colorkit.hints.Hint`` in the full image's pixels (or None).
        image_shape: ``(H, W)`` of the full image.
        prepared: The image's :class:`WorkingInput`.

    Returns:
        ``(hint_ab (H_c, W_c, 2), hint_mask (H_c, W_c, 1))`` float32, zero in the padding.

    Raises:
        ValueError: If a hint lies outside the image.
    """
    return hints.rasterize(
        list(image_hints or ()), image_shape, prepared.shape, prepared.lightness.shape[:2]
    )


def _crop_to_full(
    chroma: np.ndarray,
    prepared: WorkingInput,
    shape,
    maps=None,
    saturation: float = 1.0,
    base: np.ndarray | None = None,
    spread_hints: bool = True,
) -> np.ndarray:
    """Canvas-size chroma -> the working crop -> bilinear upsampling to ``shape``.

    With hint ``maps``, the hints are spread over the crop (``colorkit.hints.spread``) unless
    ``spread_hints`` is False, and, given ``base`` (the canvas chroma without hints), the
    hinted change is kept on the hints' objects (``colorkit.hints.localize``)."""
    work_h, work_w = prepared.shape
    chroma = chroma[:work_h, :work_w]
    if maps is not None and (spread_hints or base is not None):
        hint_ab, hint_mask = (part[:work_h, :work_w] for part in maps)
        light = prepared.lightness[:work_h, :work_w]
        if base is not None:
            chroma = hints.localize(
                base[:work_h, :work_w], chroma, light, hint_ab, hint_mask, saturation, spread_hints
            )
        else:
            chroma = hints.spread(chroma, light, hint_ab, hint_mask, saturation=saturation)
    return resize_channels(chroma, int(shape[0]), int(shape[1]))


def full_chroma(
    model,
    lightness: list[np.ndarray],
    size: int = DEFAULT_SIZE,
    temperature: float = color.DEFAULT_TEMPERATURE,
    batch_size: int = 8,
    hints=None,
    spread_hints: bool = True,
    saturation: float = 1.0,
    local_hints: bool = True,
) -> list[np.ndarray]:
    """Stages 1-3 for full-resolution images: model-scale chroma at each image's own size.

    Each lightness is resized to the working size (:func:`working_input`: long side ``size``
    rounded to the model's stride, aspect kept, reflect-padded to a multiple of the stride;
    fitted inside a fixed input size), images with the same working size are batched, and the
    predicted chroma is cropped and upsampled bilinearly back to full resolution. A hint
    model gets each image's hints rasterized on its canvas (:func:`hint_maps`; zeros where
    there are none), and the hints' colors are then spread along the photo's edges over the
    prediction at the working size (``colorkit.hints.spread``) unless ``spread_hints`` is False,
    and the change they make is kept on their own objects (``colorkit.hints.localize``: the
    network also runs without the hints, and the difference is laid over that through the
    hints' edge-aware influence) unless ``local_hints`` is False.

    Args:
        model: A colorkit ``keras.Model``.
        lightness: List of float32 ``(H_i, W_i, 1)`` model-scale lightness in [0, 1].
        size: Working long side in pixels.
        temperature: Annealed-mean temperature > 0 (distribution models).
        batch_size: Images per forward pass.
        hints: None, or one entry per image: None or a sequence of ``colorkit.hints.Hint`` in
            that image's pixel coordinates. Only for models with hint inputs.
        spread_hints: Spread the hints' colors over the prediction (False: the network's
            output alone, e.g. to measure what the network itself does with hints).
        saturation: The chroma multiplier :func:`compose` will apply (the spread hints'
            colors are pre-divided by it, so they come out as the user gave them).
        local_hints: Keep each hint's change on its object (False: the hinted prediction
            everywhere, as the network floods it).

    Returns:
        List of float32 ``(H_i, W_i, 2)`` model-scale chroma.

    Raises:
        ValueError: If hints are given to a model without hint inputs, their count differs
            from the images', or a hint lies outside its image.
    """
    spec = models.model_spec(model)
    if hints is not None:
        if not spec.hint_inputs:
            raise ValueError(
                f"Model {model.name!r} takes no hints (its ModelSpec.hint_inputs is False); "
                "use a hint model, e.g. colorkit.pretrained.load_pretrained_hint_model()"
            )
        if len(hints) != len(lightness):
            raise ValueError(
                "hints must hold one entry (a list of Hint, or None) per image. "
                f"Received: {len(hints)} entries for {len(lightness)} images"
            )
    prepared = [working_input(luma, size, model) for luma in lightness]
    maps = None
    if hints is not None:
        maps = []
        for index, (item, luma, ready) in enumerate(zip(hints, lightness, prepared, strict=True)):
            try:
                maps.append(hint_maps(item, luma.shape[:2], ready))
            except ValueError as error:
                where = "" if len(lightness) == 1 else f" of image {index}"
                raise ValueError(f"Invalid hints{where}: {error}") from None

    # Batch the images that share a canvas shape.
    groups: dict[tuple[int, int], list[int]] = {}
    for index, ready in enumerate(prepared):
        groups.setdefault(ready.lightness.shape[:2], []).append(index)
    result: list[np.ndarray] = [np.empty(0, np.float32)] * len(prepared)
    for indices in groups.values():
        batch = np.stack([prepared[i].lightness for i in indices])
        batch_hints = None
        if maps is not None:
            batch_hints = tuple(np.stack([maps[i][part] for i in indices]) for part in (0, 1))
        predicted = predict_chroma(
            model, batch, temperature=temperature, batch_size=batch_size, hints=batch_hints
        )
        bases = [None] * len(indices)
        if local_hints and maps is not None and any(maps[i][1].any() for i in indices):
            bases = predict_chroma(model, batch, temperature=temperature, batch_size=batch_size)
        for i, chroma, base in zip(indices, predicted, bases, strict=True):
            result[i] = _crop_to_full(
                chroma,
                prepared[i],
                lightness[i].shape[:2],
                None if maps is None else maps[i],
                saturation,
                base,
                spread_hints,
            )
    return result


@dataclasses.dataclass(frozen=True)
class WorkingOutput:
    """What :func:`working_output` returns for one image.

    Attributes:
        output: float32 ``(h, w, C)``: the network's raw output on the working canvas (bin
            probabilities for distribution models), e.g. for a palette of likely colors.
        chroma: float32 ``(H, W, 2)`` model-scale chroma at the image's own size.
        prepared: The :class:`WorkingInput` the network saw.
    """

    output: np.ndarray
    chroma: np.ndarray
    prepared: WorkingInput


def working_output(
    model,
    lightness: np.ndarray,
    size: int = DEFAULT_SIZE,
    temperature: float = color.DEFAULT_TEMPERATURE,
    hints=None,
    prepared: WorkingInput | None = None,
    spread_hints: bool = True,
    saturation: float = 1.0,
    local_hints: bool = True,
    base_output: np.ndarray | None = None,
) -> WorkingOutput:
    """:func:`full_chroma` for one image, keeping the raw output (interactive tools).

    Args:
        model: A colorkit ``keras.Model``.
        lightness: float32 ``(H, W, 1)`` model-scale lightness in [0, 1].
        size: Working long side in pixels.
        temperature: Annealed-mean temperature > 0 (distribution models).
        hints: None or a sequence of ``colorkit.hints.Hint`` in the image's pixels (hint
            models only).
        prepared: The image's :class:`WorkingInput` when already computed (saves a resize).
        spread_hints: As :func:`full_chroma`.
        saturation: As :func:`full_chroma`.
        local_hints: As :func:`full_chroma`.
        base_output: The network's raw output for this canvas without hints, when already
            computed (an interactive tool keeps it: the hints change, the photo does not);
            None: computed here when ``local_hints`` needs it.

    Returns:
        A :class:`WorkingOutput`.

    Raises:
        ValueError: As :func:`full_chroma`.
    """
    temperature = _checks.check_temperature(temperature)
    spec = models.model_spec(model)
    if hints is not None and not spec.hint_inputs:
        raise ValueError(
            f"Model {model.name!r} takes no hints (its ModelSpec.hint_inputs is False); "
            "use a hint model, e.g. colorkit.pretrained.load_pretrained_hint_model()"
        )
    prepared = prepared or working_input(lightness, size, model)
    maps = None
    if hints is not None:
        maps = hint_maps(hints, lightness.shape[:2], prepared)
    _set_decoder_temperature(model, temperature)
    batch_maps = None if maps is None else tuple(part[None] for part in maps)
    output = run_model(model, prepared.lightness[None], hints=batch_maps)[0]
    canvas_shape = prepared.lightness.shape[:2]
    canvas = resize_channels(decode_chroma(output, temperature), *canvas_shape)
    base = None
    if local_hints and maps is not None and maps[1].any():
        if base_output is None:
            base_output = run_model(model, prepared.lightness[None])[0]
        base = resize_channels(decode_chroma(base_output, temperature), *canvas_shape)
    chroma = _crop_to_full(
        canvas, prepared, lightness.shape[:2], maps, saturation, base, spread_hints
    )
    return WorkingOutput(output, chroma, prepared)


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
    hints=None,
    spread_hints: bool = True,
    local_hints: bool = True,
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
        hints: User color hints (``colorkit.hints.Hint``, in the input image's pixels) for a
            model with hint inputs (``ModelSpec.hint_inputs``): a list of hints for one
            image; for a batch or a list of images, a list with one entry per image (a list
            of hints, or None). Only the hints' chroma is used: the photo keeps its own
            full-resolution luminance. None (default): no hints (a hint model then colorizes
            on its own). The hints are the network's inputs, their colors are then spread
            along the photo's edges over its prediction (``colorkit.hints.spread``), and the
            change is kept on the hinted objects (``colorkit.hints.localize``).
        spread_hints: False skips the spreading.
        local_hints: False lets the hinted prediction change the whole photo (the network
            alone floods it); True (default) keeps each hint's change on its object. With
            both False, the network's output alone.

    Returns:
        float32 RGB in [0, 1] at each input's resolution: ``(H, W, 3)`` for one image,
        ``(N, H, W, 3)`` for a batch, a list of ``(H_i, W_i, 3)`` for a list.

    Raises:
        TypeError: For non-float arrays (e.g. uint8) or wrong argument types.
        ValueError: For a bad rank or channel count, NaN, values outside [0, 1], bad
            ``size``/``temperature``/``saturation``, hints given to a model without hint
            inputs, or a hint outside its image (the message names it).

    Example:
        >>> from colorkit import models
        >>> model = models.build_model("unet", base_filters=4, depth=1)
        >>> out = colorize(np.full((30, 50), 0.5, np.float32), model, size=32)
        >>> out.shape, out.dtype
        ((30, 50, 3), dtype('float32'))
    """
    result = colorize_report(
        image, model, size, temperature, saturation, batch_size, hints, spread_hints, local_hints
    )
    if result.clipped_images:
        warnings.warn(
            f"colorize: out-of-gamut colors were clipped to sRGB in {result.clipped_images} of "
            f"{len(result.clipped_pixels)} image(s) (luminance may differ slightly there; lower "
            "saturation to reduce it).",
            color.GamutWarning,
            stacklevel=2,
        )
    return result.images


@dataclasses.dataclass(frozen=True)
class Colorized:
    """What :func:`colorize_report` returns.

    Attributes:
        images: As :func:`colorize` returns them: ``(H, W, 3)``, ``(N, H, W, 3)`` or a list.
        clipped_pixels: Per image, the number of pixels clipped into the sRGB gamut.
    """

    images: object
    clipped_pixels: list[int]

    @property
    def clipped_images(self) -> int:
        """How many images had at least one clipped pixel."""
        return sum(1 for count in self.clipped_pixels if count)


def _set_decoder_temperature(model, temperature: float) -> None:
    """Set the temperature of any ``AnnealedMeanDecode`` layer (decoder models; no rebuild)."""
    for layer in models.layers.iter_layers(model):
        if isinstance(layer, models.AnnealedMeanDecode):
            layer.set_temperature(temperature)


def colorize_report(
    image,
    model,
    size: int | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
    batch_size: int = 8,
    hints=None,
    spread_hints: bool = True,
    local_hints: bool = True,
) -> Colorized:
    """:func:`colorize`, returning the images with their gamut-clip counts (no warning).

    Same arguments, defaults and errors as :func:`colorize`.

    Returns:
        A :class:`Colorized`.
    """
    if isinstance(model, str | os.PathLike):
        model = load_model(model)
    spec = models.model_spec(model)
    size = spec.working_size or DEFAULT_SIZE if size is None else size
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"size must be a positive int. Received: size={size!r}")
    if temperature is None:
        temperature = spec.temperature or color.DEFAULT_TEMPERATURE
    if saturation is None:
        saturation = 1.0 if spec.saturation is None else spec.saturation
    temperature = _checks.check_temperature(temperature)
    saturation = _checks.check_saturation(saturation)
    batch_size = _checks.check_int("batch_size", batch_size)

    images, kind = _normalize_inputs(image)
    per_image = _normalize_hints(hints, kind, len(images), model.name, spec.hint_inputs)
    full_luma = [luminance(rgb, spec.space) for rgb in images]
    chroma = full_chroma(
        model,
        full_luma,
        size,
        temperature,
        batch_size,
        hints=per_image,
        spread_hints=spread_hints,
        saturation=saturation,
        local_hints=local_hints,
    )
    outputs, clipped = [], []
    for luma, item in zip(full_luma, chroma, strict=True):
        composed = compose(luma, item, spec.space, saturation)
        outputs.append(composed.rgb)
        clipped.append(composed.clipped_pixels)
    if kind == "single":
        return Colorized(outputs[0], clipped)
    if kind == "batch":
        return Colorized(np.stack(outputs), clipped)
    return Colorized(outputs, clipped)
