"""The trained-encoder colorizer with user hints: a frozen ImageNet encoder + a light decoder.

Zhang, Isola & Efros (2016) predict a distribution over the 313 quantized ab bins at 1/4
resolution; Zhang, Zhu et al. (2017) add user hints, a sparse ab map and a binary mask, and
train with *simulated* hints so that zero hints is an automatic colorizer. This family follows
both, on top of a trained, frozen encoder (``colorkit.models.encoders``):

- encoder taps ``stage2, stage3, stage4`` (strides 8, 16, 32) of the ResNet-50-1by2;
- a top-down decoder: at each scale a 1x1 projection of the tap is added to the upsampled
  coarser result, the hints (pooled to that scale by ``HintPool``) are concatenated, and a 3x3
  (separable below stride 8) convolution mixes them; at stride 4 the 1/4-resolution lightness
  joins for edges, and a 1x1 convolution + softmax gives the 313-bin distribution.

The decoder is its own ``keras.Model`` (``guided_decoder``) so that it trains on cached encoder
features (``colorkit.features``) at hundreds of crops per second; ``guided_zhang`` joins encoder
and decoder into the full colorizer:

inputs ``lightness (B, H, W, 1)`` in [0, 1] (L / 100), ``hint_ab (B, H, W, 2)`` model-scale ab
(ab / 110, zero where there is no hint) and ``hint_mask (B, H, W, 1)`` in {0, 1}, pooled to the
decoder's 1/4-resolution cells by ``HintPool``; output ``(B, H/4, W/4, 313)`` probabilities
(softmax). H and W must be multiples of 32.

Example:
    >>> decoder = guided_decoder()
    >>> [tensor.shape[-1] for tensor in decoder.inputs]
    [256, 512, 1024, 1, 2, 1]
    >>> tuple(decoder.output.shape)
    (None, None, None, 313)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from colorkit import color
from colorkit._checks import check_int
from colorkit.models import encoders, spec

#: Encoder taps the decoder uses, coarse to fine after reversal: (name, stride, channels).
DECODER_TAPS = (("stage2", 8, 256), ("stage3", 16, 512), ("stage4", 32, 1024))

#: Input stride of the full model (the encoder's deepest tap).
STRIDE = 32
#: Output stride (the distribution is predicted at 1/4 resolution).
OUTPUT_STRIDE = 4
#: The shipped decoder's width (channels at strides 32 and 16; the ``default`` recipe's).
DEFAULT_WIDTH = 64
#: Recommended working long side of the guided colorizer in pixels (its ``ModelSpec``).
WORKING_SIZE = 256


def _shrink(size: int | None, factor: int) -> int | None:
    """A static spatial size divided by ``factor`` (``None`` stays unknown)."""
    return None if size is None else size // factor


@keras.saving.register_keras_serializable(package="colorkit")
class HintPool(keras.layers.Layer):
    """Full-resolution hints -> the decoder's 1/``factor``-resolution hint cells.

    A cell is hinted when any of its pixels is (max-pooled mask), and carries the mean ab of its
    hinted pixels (not diluted by the unhinted ones), so a one-pixel click and a painted patch
    both reach the decoder as the color the user chose.

    Inputs: ``[hint_ab (B, H, W, 2), hint_mask (B, H, W, 1)]``. Outputs: ``[hint_ab (B, H/f,
    W/f, 2), hint_mask (B, H/f, W/f, 1)]`` float32.

    Example:
        >>> import numpy as np
        >>> ab = np.zeros((1, 4, 4, 2), "float32"); mask = np.zeros((1, 4, 4, 1), "float32")
        >>> ab[0, 1, 2] = 0.5; mask[0, 1, 2] = 1
        >>> pooled_ab, pooled_mask = HintPool(4)([ab, mask])
        >>> float(pooled_ab[0, 0, 0, 0]), float(pooled_mask[0, 0, 0, 0])
        (0.5, 1.0)
    """

    def __init__(self, factor: int = OUTPUT_STRIDE, **kwargs):
        super().__init__(**kwargs)
        self.factor = check_int("factor", factor)

    def call(self, inputs):
        hint_ab, hint_mask = inputs
        size = self.factor
        total = ops.average_pool(hint_ab * hint_mask, size, strides=size, padding="valid")
        share = ops.average_pool(hint_mask, size, strides=size, padding="valid")
        mask = ops.cast(share > 0, hint_ab.dtype)
        return [total / ops.maximum(share, 1e-6) * mask, mask]

    def compute_output_shape(self, input_shape):
        (batch, height, width, _), _ = input_shape
        height, width = _shrink(height, self.factor), _shrink(width, self.factor)
        return [(batch, height, width, 2), (batch, height, width, 1)]

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _pooled_hints(hint_ab, hint_mask, factor: int, name: str):
    """The hints at a coarser scale, as ``HintPool`` makes them: a coarse cell holding any hint
    carries the mean ab of its hints at full strength (average pooling would dilute one hint
    by ``factor ** 2`` and keep it from spreading beyond its own neighbourhood)."""
    if factor > 1:
        hint_ab, hint_mask = HintPool(factor, name=f"{name}_hint_pool")([hint_ab, hint_mask])
    return layers.Concatenate(name=f"{name}_hints")([hint_ab, hint_mask])


def _spread_block(x, stride: int, dilation: int):
    """``x + conv3x3(x)`` with the convolution initialised to zero (an identity at first)."""
    update = layers.Conv2D(
        x.shape[-1],
        3,
        padding="same",
        dilation_rate=dilation,
        kernel_initializer="zeros",
        name=f"dec{stride}_spread",
    )(x)
    return layers.Add(name=f"dec{stride}_spread_add")([x, update])


@keras.saving.register_keras_serializable(package="colorkit")
class PixelSample(keras.layers.Layer):
    """One cell of every ``stride`` x ``stride`` block of a feature map, at a per-image phase.

    Training only: the loss of the 313-bin output is computed on these cells instead of every
    cell (as Larsson et al. 2016 train on a sparse sample of hypercolumns), which makes the
    output layer, softmax and loss ``stride**2`` times cheaper; a random phase per image and
    step lets every cell take its turn. Output cell ``(i, j)`` of image ``b`` is input cell
    ``(i * stride + phase[b, 0], j * stride + phase[b, 1])`` (``sample_cells`` does the same to
    the targets in NumPy).

    Inputs: ``[x (B, h, w, C), phase (B, 2)]`` with h and w multiples of ``stride`` and integer
    phases in ``[0, stride)``. Output: ``(B, h / stride, w / stride, C)``, the dtype of x.

    Example:
        >>> import numpy as np
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> out = PixelSample(2)([x, np.array([[1, 0]], "int32")])
        >>> np.asarray(out)[0, :, :, 0].tolist()
        [[4.0, 6.0], [12.0, 14.0]]
    """

    def __init__(self, stride: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.stride = check_int("stride", stride)

    def call(self, inputs):
        x, phase = inputs
        size = self.stride
        if size == 1:
            return x
        _, height, width, channels = ops.shape(x)
        # Select the phase's row, then its column, by one-hot weights: no gather, so the
        # backward pass is elementwise too.
        blocks = ops.reshape(x, (-1, height // size, size, width // size, size, channels))
        phase = ops.cast(phase, "int32")
        rows = ops.one_hot(phase[:, 0], size, dtype=x.dtype)
        cols = ops.one_hot(phase[:, 1], size, dtype=x.dtype)
        picked = ops.sum(blocks * rows[:, None, :, None, None, None], axis=2)
        return ops.sum(picked * cols[:, None, None, :, None], axis=3)

    def compute_output_shape(self, input_shape):
        (batch, height, width, channels), _ = input_shape
        return (batch, _shrink(height, self.stride), _shrink(width, self.stride), channels)

    def get_config(self):
        return {**super().get_config(), "stride": self.stride}


def sample_cells(array: np.ndarray, phase: np.ndarray, stride: int) -> np.ndarray:
    """NumPy twin of ``PixelSample`` for the targets: ``array[b, i * stride + phase[b, 0],
    j * stride + phase[b, 1]]``.

    Args:
        array: ``(B, h, w, C)``, h and w multiples of ``stride``.
        phase: int ``(B, 2)`` in ``[0, stride)``.
        stride: Sampling stride (>= 1).

    Returns:
        ``(B, h / stride, w / stride, C)``, the dtype of ``array``.

    Raises:
        ValueError: For shapes that do not fit or phases out of range.
    """
    array, phase = np.asarray(array), np.asarray(phase)
    if array.ndim != 4 or array.shape[1] % stride or array.shape[2] % stride:
        raise ValueError(
            f"array must be (B, h, w, C) with h and w multiples of stride={stride}. "
            f"Received: array.shape={array.shape}"
        )
    if phase.shape != (len(array), 2) or np.any(phase < 0) or np.any(phase >= stride):
        raise ValueError(
            f"phase must be ({len(array)}, 2) integers in [0, {stride}). "
            f"Received: phase.shape={phase.shape}"
        )
    rows = phase[:, 0, None, None] + stride * np.arange(array.shape[1] // stride)[None, :, None]
    cols = phase[:, 1, None, None] + stride * np.arange(array.shape[2] // stride)[None, None, :]
    return array[np.arange(len(array))[:, None, None], rows, cols]


def sampled_trainer(model: keras.Model, stride: int) -> keras.Model:
    """A training model that computes the 313-bin output only at ``PixelSample``'s cells.

    It shares every weight with ``model`` (training it trains ``model``, which stays the
    model that is saved, exported and run): the decoder's layers up to its last convolution
    run at full 1/4 resolution, then one cell per ``stride`` x ``stride`` block, at the phase
    given per image, goes through the logits layer and the softmax.

    Args:
        model: A ``guided_decoder``, or a ``decoder_with_last_stage`` model.
        stride: Sampling stride (>= 1; 1 gives every cell).

    Returns:
        A ``keras.Model`` named ``<model.name>_sampled`` with ``model``'s inputs plus ``phase``
        (B, 2) int32, and output float32 probabilities ``(B, h4 / stride, w4 / stride, 313)``.

    Raises:
        ValueError: For a model without a guided decoder.
    """
    names = {layer.name for layer in model.layers}
    decoder = model.get_layer("guided_decoder") if "guided_decoder" in names else model
    if "dec4_conv" not in {layer.name for layer in decoder.layers}:
        raise ValueError(
            "sampled_trainer needs a guided_decoder or a decoder_with_last_stage model. "
            f"Received: model.name={model.name!r}"
        )
    body = keras.Model(decoder.inputs, decoder.get_layer("dec4_conv").output, name="dec_body")
    inputs = [keras.Input(tensor.shape[1:], name=tensor.name) for tensor in model.inputs]
    phase = keras.Input((2,), dtype="int32", name="phase")
    if decoder is model:
        taps = inputs
    else:  # decoder_with_last_stage: stage2, stage3, then stage4 from the trained block
        stage2, stage3, *rest = inputs
        taps = [stage2, stage3, model.get_layer("stage4_block")(stage3), *rest]
    cells = PixelSample(stride, name="pixel_sample")([body(taps), phase])
    logits = decoder.get_layer("dec4_logits")(cells)
    probabilities = layers.Softmax(name="probabilities", dtype="float32")(logits)
    return keras.Model([*inputs, phase], probabilities, name=f"{model.name}_sampled")


def guided_decoder(
    width: int = DEFAULT_WIDTH, num_bins: int | None = None, spread: bool = False
) -> keras.Model:
    """The decoder alone: cached encoder taps + 1/4-res lightness + hints -> bin probabilities.

    Args:
        width: Channels at strides 32 and 16 (3/4 of it at stride 8, half at stride 4); >= 8.
        num_bins: Output bins (default ``color.NUM_BINS`` = 313).
        spread: Add one residual 3x3 convolution after the hints at strides 32 and 16
            (dilation 2 at 16), initialised to zero: the decoder then computes exactly what
            the one without them does, and fine-tuning can widen how far a hint reaches (the
            hint model is fine-tuned from the default's decoder this way).

    Returns:
        A ``keras.Model`` named ``guided_decoder`` with inputs ``stage2 (B, h8, w8, 256)``,
        ``stage3 (B, h8/2, w8/2, 512)``, ``stage4 (B, h8/4, w8/4, 1024)``, ``lightness_quarter
        (B, 2*h8, 2*w8, 1)`` in [0, 1], ``hint_ab (B, 2*h8, 2*w8, 2)`` and ``hint_mask (B, 2*h8,
        2*w8, 1)``, and output float32 probabilities ``(B, 2*h8, 2*w8, num_bins)``.

    Raises:
        ValueError: For a width below 8 or a bad number of bins.
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 8:
        raise ValueError(f"width must be an int >= 8. Received: width={width!r}")
    num_bins = color.NUM_BINS if num_bins is None else num_bins
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 2:
        raise ValueError(f"num_bins must be an int >= 2. Received: num_bins={num_bins!r}")
    tap_inputs = [
        keras.Input((None, None, channels), name=name) for name, _, channels in DECODER_TAPS
    ]
    lightness = keras.Input((None, None, 1), name="lightness_quarter")
    hint_ab = keras.Input((None, None, 2), name="hint_ab")
    hint_mask = keras.Input((None, None, 1), name="hint_mask")

    stage2, stage3, stage4 = tap_inputs
    widths = {32: width, 16: width, 8: (3 * width) // 4, 4: width // 2}
    # Stride 32: project the deepest tap, add the hints, mix.
    x = layers.Conv2D(widths[32], 1, activation="relu", name="dec32_project")(stage4)
    x = layers.Concatenate(name="dec32_concat")([x, _pooled_hints(hint_ab, hint_mask, 8, "dec32")])
    x = layers.Conv2D(widths[32], 3, padding="same", activation="relu", name="dec32_conv")(x)
    if spread:
        x = _spread_block(x, 32, dilation=1)
    # Stride 16 and 8: upsample, add the projected tap, add the hints, mix.
    for stride, tap, separable in ((16, stage3, False), (8, stage2, True)):
        x = layers.UpSampling2D(2, interpolation="bilinear", name=f"dec{stride}_up")(x)
        if x.shape[-1] != widths[stride]:
            x = layers.Conv2D(widths[stride], 1, name=f"dec{stride}_narrow")(x)
        projected = layers.Conv2D(widths[stride], 1, name=f"dec{stride}_project")(tap)
        x = layers.Add(name=f"dec{stride}_add")([x, projected])
        x = layers.ReLU(name=f"dec{stride}_relu")(x)
        x = layers.Concatenate(name=f"dec{stride}_concat")(
            [x, _pooled_hints(hint_ab, hint_mask, stride // OUTPUT_STRIDE, f"dec{stride}")]
        )
        conv = layers.SeparableConv2D if separable else layers.Conv2D
        x = conv(widths[stride], 3, padding="same", activation="relu", name=f"dec{stride}_conv")(x)
        if spread and stride == 16:
            x = _spread_block(x, 16, dilation=2)
    # Stride 4: upsample, join lightness edges and the full-resolution hints, predict the bins.
    x = layers.Conv2D(widths[4], 1, activation="relu", name="dec4_narrow")(x)
    x = layers.UpSampling2D(2, interpolation="bilinear", name="dec4_up")(x)
    edges = layers.Conv2D(8, 3, padding="same", activation="relu", name="dec4_lightness")(lightness)
    x = layers.Concatenate(name="dec4_concat")(
        [x, edges, _pooled_hints(hint_ab, hint_mask, 1, "dec4")]
    )
    x = layers.SeparableConv2D(widths[4], 3, padding="same", activation="relu", name="dec4_conv")(x)
    logits = layers.Conv2D(num_bins, 1, name="dec4_logits")(x)
    probabilities = layers.Softmax(name="probabilities", dtype="float32")(logits)
    return keras.Model(
        [*tap_inputs, lightness, hint_ab, hint_mask], probabilities, name="guided_decoder"
    )


def guided_spec(
    temperature: float | None = None,
    saturation: float | None = None,
    working_size: int | None = WORKING_SIZE,
) -> spec.ModelSpec:
    """The ``ModelSpec`` of a ``guided_zhang`` colorizer with these decoding settings.

    Example:
        >>> guided_spec(0.7, 0.75).family, guided_spec().hint_inputs
        ('guided', True)
    """
    return spec.ModelSpec(
        family="guided",
        space="lab",
        stride=STRIDE,
        output="distribution",
        num_bins=color.NUM_BINS,
        temperature=temperature,
        saturation=saturation,
        working_size=working_size,
        hint_inputs=True,
    )


def guided_zhang(
    encoder: str = "resnet50_1by2",
    weights: str | None = "trained",
    width: int = DEFAULT_WIDTH,
    decoder: keras.Model | None = None,
    last_stage: keras.Model | None = None,
    sample_stride: int | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
    working_size: int | None = WORKING_SIZE,
) -> keras.Model:
    """The full hint-conditioned colorizer: frozen encoder + ``guided_decoder``, its
    ``ModelSpec`` attached (family ``"guided"``, with the decoding settings given).

    Args:
        encoder: Encoder name (``"resnet50_1by2"``; its taps must include ``DECODER_TAPS``).
        weights: Encoder weights: ``"trained"`` (from the installed package) or None (random).
        width: Decoder width (ignored when ``decoder`` is given).
        decoder: An existing (trained) decoder to reuse, e.g. one trained on cached features.
        last_stage: A model ``stage3 (B, h, w, 512) -> stage4 (B, h/2, w/2, 1024)`` that
            replaces the encoder's own last stage (e.g. one fine-tuned on cached features,
            ``scripts/compare_encoder_finetune.py``); None keeps the encoder's.
        sample_stride: None for the colorizer; an int builds the model for training end to
            end with the recipe's sampled loss (``sampled_trainer``): a fourth input ``phase``
            (B, 2) int32 and the output at one cell per ``sample_stride`` x ``sample_stride``
            block (``benchmarks/bench_guided.py`` times it); such a training model carries
            no ``ModelSpec`` (it is not a colorizer).
        temperature: Recommended annealed-mean temperature stored in the spec (None: the
            library default).
        saturation: Recommended chroma multiplier stored in the spec (None: 1).
        working_size: Recommended working long side in pixels stored in the spec.

    Returns:
        A ``keras.Model`` named ``colorkit_guided`` with inputs ``lightness (B, H, W, 1)``,
        ``hint_ab (B, H, W, 2)``, ``hint_mask (B, H, W, 1)`` and output float32
        probabilities ``(B, H/4, W/4, 313)``; H and W multiples of 32. The encoder is frozen;
        a trained one is a ``FrozenEncoder`` layer, rebuilt from its package when the model
        is loaded, so a saved model file holds only what was trained: the decoder's weights,
        and ``last_stage``'s when given.

    Raises:
        ValueError: For an encoder without the decoder's taps.
    """
    if encoder != "resnet50_1by2":
        raise ValueError(
            f"guided_zhang needs the ResNet taps {[n for n, _, _ in DECODER_TAPS]}. "
            f"Received: encoder={encoder!r}"
        )
    if weights == "trained":
        backbone = encoders.FrozenEncoder(encoder, space="lab", name="encoder")
    else:
        backbone = encoders.build_encoder(encoder, weights=None, space="lab")
        backbone.trainable = False
    decoder = guided_decoder(width=width) if decoder is None else decoder
    lightness = keras.Input((None, None, 1), name="lightness")
    hint_ab = keras.Input((None, None, 2), name="hint_ab")
    hint_mask = keras.Input((None, None, 1), name="hint_mask")
    _, stage2, stage3, stage4 = backbone(lightness)
    if last_stage is not None:
        stage4 = last_stage(stage3)
    quarter = layers.AveragePooling2D(OUTPUT_STRIDE, name="lightness_quarter")(lightness)
    cell_ab, cell_mask = HintPool(OUTPUT_STRIDE, name="hint_pool")([hint_ab, hint_mask])
    decoder_inputs = [stage2, stage3, stage4, quarter, cell_ab, cell_mask]
    if sample_stride is None:
        probabilities = decoder(decoder_inputs)
        model = keras.Model([lightness, hint_ab, hint_mask], probabilities, name="colorkit_guided")
        return spec.attach_spec(model, guided_spec(temperature, saturation, working_size))
    phase = keras.Input((2,), dtype="int32", name="phase")
    probabilities = sampled_trainer(decoder, sample_stride)([*decoder_inputs, phase])
    return keras.Model(
        [lightness, hint_ab, hint_mask, phase], probabilities, name="colorkit_guided_sampled"
    )


def decoder_with_last_stage(decoder: keras.Model, block: keras.Model) -> keras.Model:
    """The decoder behind a trainable encoder last stage, for training on cached features.

    Args:
        decoder: A ``guided_decoder``.
        block: The encoder's last stage (``encoders.last_stage()``), ``stage3 -> stage4``.

    Returns:
        A ``keras.Model`` named ``guided_decoder_last_stage`` with the decoder's inputs less
        ``stage4`` (``stage2``, ``stage3``, ``lightness_quarter``, ``hint_ab``, ``hint_mask``)
        and its output, float32 probabilities ``(B, 2*h8, 2*w8, 313)``; ``stage4`` is computed
        from ``stage3`` by ``block``. Its layers ``guided_decoder`` and ``stage4_block`` go into
        ``guided_zhang(decoder=..., last_stage=...)``.
    """
    stage2 = keras.Input((None, None, DECODER_TAPS[0][2]), name="stage2")
    stage3 = keras.Input((None, None, DECODER_TAPS[1][2]), name="stage3")
    lightness = keras.Input((None, None, 1), name="lightness_quarter")
    hint_ab = keras.Input((None, None, 2), name="hint_ab")
    hint_mask = keras.Input((None, None, 1), name="hint_mask")
    probabilities = decoder([stage2, stage3, block(stage3), lightness, hint_ab, hint_mask])
    return keras.Model(
        [stage2, stage3, lightness, hint_ab, hint_mask],
        probabilities,
        name="guided_decoder_last_stage",
    )


@keras.saving.register_keras_serializable(package="colorkit")
class HintSpread(keras.layers.Layer):
    """Each hint's color spread over a square around it, as a distribution over the ab bins.

    No learning: at every cell the ab is the mean of the hinted cells within ``reach`` cells
    (box window), and the output is a narrow Gaussian (``sigma`` in Lab units) around it over
    the quantized gamut; cells no hint reaches get gray. It is the baseline a learned hint
    model must beat (does the color stop at the object's edge?), and a fast stand-in hint
    model for interface tests.

    Inputs: ``[hint_ab (B, h, w, 2), hint_mask (B, h, w, 1)]`` at the output resolution.
    Output: ``(B, h, w, Q)`` float32 probabilities over ``color.ab_bins()``.
    """

    def __init__(self, reach: int = 8, sigma: float = 5.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(reach, bool) or not isinstance(reach, int) or reach < 0:
            raise ValueError(f"reach must be an int >= 0. Received: reach={reach!r}")
        if not float(sigma) > 0:
            raise ValueError(f"sigma must be > 0. Received: sigma={sigma!r}")
        self.reach, self.sigma = reach, float(sigma)
        bins = color.ab_bins().astype(np.float32)
        self._kernel = (bins.T * np.float32(color.AB_SCALE) / np.float32(self.sigma**2)).astype(
            np.float32
        )
        self._bias = (-(bins**2).sum(axis=1) / np.float32(2 * self.sigma**2)).astype(np.float32)

    def call(self, inputs):
        hint_ab, hint_mask = inputs
        window = 2 * self.reach + 1
        total = ops.average_pool(hint_ab * hint_mask, window, strides=1, padding="same")
        share = ops.average_pool(hint_mask, window, strides=1, padding="same")
        ab = total / ops.maximum(share, 1e-6) * ops.cast(share > 0, hint_ab.dtype)
        logits = ops.matmul(ab, ops.convert_to_tensor(self._kernel)) + self._bias
        return ops.softmax(logits, axis=-1)

    def compute_output_shape(self, input_shape):
        (batch, height, width, _), _ = input_shape
        return (batch, height, width, color.NUM_BINS)

    def get_config(self):
        return {**super().get_config(), "reach": self.reach, "sigma": self.sigma}


def hint_spreader(reach: int = 8, sigma: float = 5.0) -> keras.Model:
    """A hint model without learning: hints spread over squares (see :class:`HintSpread`).

    Same inputs and output as :func:`guided_zhang` (stride 4 instead of 32, so any size that
    is a multiple of 4), with its ``ModelSpec`` attached (family ``"hint_spreader"``,
    ``hint_inputs=True``). With no hints it predicts gray everywhere.

    Args:
        reach: Half-width of the square a hint covers, in output cells (1 cell = 4 pixels).
        sigma: Width of the predicted distribution around the spread color, Lab units.

    Returns:
        A ``keras.Model`` named ``colorkit_hint_spreader``.

    Example:
        >>> model = hint_spreader(reach=1)
        >>> [tuple(t.shape[1:]) for t in model.inputs]
        [(None, None, 1), (None, None, 2), (None, None, 1)]
    """
    lightness = keras.Input((None, None, 1), name="lightness")
    hint_ab = keras.Input((None, None, 2), name="hint_ab")
    hint_mask = keras.Input((None, None, 1), name="hint_mask")
    cell_ab, cell_mask = HintPool(OUTPUT_STRIDE, name="hint_pool")([hint_ab, hint_mask])
    probabilities = HintSpread(reach, sigma, name="probabilities")([cell_ab, cell_mask])
    model = keras.Model(
        [lightness, hint_ab, hint_mask], probabilities, name="colorkit_hint_spreader"
    )
    model_spec = spec.ModelSpec(
        "hint_spreader",
        "lab",
        OUTPUT_STRIDE,
        "distribution",
        color.NUM_BINS,
        color.DEFAULT_TEMPERATURE,
        1.0,
        256,
        hint_inputs=True,
    )
    return spec.attach_spec(model, model_spec)
