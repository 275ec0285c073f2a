"""Zhang, Isola and Efros (ECCV 2016): colorization as classification over quantized ab.

The network is the paper's conv stack scaled by ``width``: blocks of 3x3 convolutions with
batch norm, downsampling to 1/8 (or 1/4), three dilated (dilation 2) blocks in the middle, a
transposed convolution back to 1/4, and a ``num_bins``-way softmax head at 1/4 resolution
(layer ``zhang_probabilities``, output ``(B, H/4, W/4, num_bins)``). The ECCV16 network
(``width=1``) costs 83.6 GFLOP per 256 px image; the CPU default ``width=0.125`` costs about
1/60 of that.

Decoding: ``zhang_decoder(model, temperature)`` appends an ``AnnealedMeanDecode`` layer and a
bilinear x4 upsampling, giving full-resolution ab in model scale. The temperature is a variable:
``set_temperature(decoder, t)`` changes predictions without rebuilding or recompiling.
"""

from __future__ import annotations

import keras

from colorkit import _checks, color
from colorkit.models import layers as ck_layers
from colorkit.models import spec as ck_spec

#: (paper channels, convolutions, stride of the last conv, dilation) of blocks 1..7.
_ENCODER_BLOCKS = (
    (64, 2, 2, 1),
    (128, 2, 2, 1),
    (256, 3, 2, 1),
    (512, 3, 1, 1),
    (512, 3, 1, 2),
    (512, 3, 1, 2),
    (512, 3, 1, 1),
)


def zhang_stride(middle_stride: int = 8) -> int:
    """Total downsampling factor: inputs must have H and W divisible by it.

    Example:
        >>> zhang_stride(8), zhang_stride(4)
        (8, 4)
    """
    return middle_stride


def zhang(
    input_shape: tuple = (None, None, 1),
    width: float = 0.125,
    num_bins: int = color.NUM_BINS,
    middle_stride: int = 8,
    name: str = "colorkit_zhang",
) -> keras.Model:
    """Build the Zhang et al. classifier over the quantized ab gamut.

    Args:
        input_shape: ``(H, W, 1)``; H and W None or multiples of ``middle_stride``.
        width: Channel multiplier on the paper's 64/128/256/512 (default 0.125: 8/16/32/64).
        num_bins: Number of ab classes (default ``colorkit.color.NUM_BINS`` = 313); must match
            the bins used by the loss and the decoder.
        middle_stride: Resolution of the middle (dilated) blocks: 8 as in the paper, or 4.
        name: Model name (keep the ``colorkit_zhang`` prefix).

    Returns:
        A Functional ``keras.Model``: input float32 ``(B, H, W, 1)`` lightness L/100 in [0, 1];
        output float32 ``(B, H/4, W/4, num_bins)`` probabilities (softmax, sum to 1).

    Raises:
        ValueError: For a bad ``width``, ``num_bins < 2``, ``middle_stride`` not 4 or 8, or a
            bad ``input_shape``.
        TypeError: For arguments of the wrong type.

    Example:
        >>> model = zhang(input_shape=(32, 32, 1), width=0.0625)
        >>> model.name, tuple(model.output.shape)
        ('colorkit_zhang', (None, 8, 8, 313))
    """
    width = _checks.check_number("width", width, 0.0, open_low=True)
    num_bins = _checks.check_int("num_bins", num_bins, minimum=2)
    middle_stride = _checks.check_int("middle_stride", middle_stride)
    if middle_stride not in (4, 8):
        raise ValueError(f"middle_stride must be 4 or 8. Received: middle_stride={middle_stride}")
    stride = zhang_stride(middle_stride)
    input_shape = ck_layers.validate_input_shape(input_shape, stride)

    inputs = keras.Input(shape=input_shape, name="lightness")
    x = ck_layers.ImageSizeCheck(stride, name="size_check")(inputs)
    for block, (channels, num_convs, block_stride, dilation) in enumerate(_ENCODER_BLOCKS, 1):
        if block == 3 and middle_stride == 4:
            block_stride = 1
        filters = ck_layers.scaled_filters(channels, width)
        for conv in range(1, num_convs + 1):
            x = keras.layers.Conv2D(
                filters,
                3,
                strides=block_stride if conv == num_convs else 1,
                dilation_rate=dilation,
                padding="same",
                activation="relu",
                name=f"block{block}_conv{conv}",
            )(x)
        x = keras.layers.BatchNormalization(name=f"block{block}_bn")(x)

    filters = ck_layers.scaled_filters(256, width)
    if middle_stride == 8:
        x = keras.layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", activation="relu", name="block8_conv1"
        )(x)
    else:
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name="block8_conv1")(
            x
        )
    for conv in (2, 3):
        x = keras.layers.Conv2D(
            filters, 3, padding="same", activation="relu", name=f"block8_conv{conv}"
        )(x)
    x = keras.layers.Conv2D(num_bins, 1, name="zhang_logits")(x)
    outputs = keras.layers.Softmax(axis=-1, name="zhang_probabilities")(x)
    spec = ck_spec.ModelSpec("zhang", "lab", stride, "distribution", num_bins, None, None, None)
    return ck_spec.attach_spec(keras.Model(inputs, outputs, name=name), spec)


def zhang_decoder(
    model: keras.Model,
    temperature: float = color.DEFAULT_TEMPERATURE,
    bins=None,
    name: str = "colorkit_zhang_decoder",
) -> keras.Model:
    """Wrap a Zhang classifier into a model that outputs full-resolution ab (model scale).

    The classifier's layers are reused (not copied): training the classifier changes the
    decoder's output too.

    Args:
        model: A model built by ``zhang`` (output ``(B, H/4, W/4, Q)`` probabilities).
        temperature: Annealed-mean temperature > 0 (0.38 as in the paper; see
            ``set_temperature`` to change it later).
        bins: Optional ``(Q, 2)`` bin centres in Lab units (default ``color.ab_bins()``).
        name: Model name.

    Returns:
        A Functional ``keras.Model``: input float32 ``(B, H, W, 1)`` L/100; output float32
        ``(B, H, W, 2)`` ab / AB_SCALE (bilinear x4 upsampling of the 1/4-resolution decode).

    Raises:
        TypeError: If ``model`` is not a ``keras.Model``.
        ValueError: If its output is not a 1/4-resolution probability map with Q channels, or
            it carries no ``ModelSpec`` (see ``colorkit.models.spec``).

    Example:
        >>> decoder = zhang_decoder(zhang(input_shape=(32, 32, 1), width=0.0625))
        >>> tuple(decoder.output.shape)
        (None, 32, 32, 2)
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model. Received: model={type(model).__name__}")
    if len(model.outputs) != 1 or len(model.outputs[0].shape) != 4:
        raise ValueError(
            "model must have one (B, h, w, Q) probability output. "
            f"Received: model.outputs={model.outputs}"
        )
    classifier = ck_spec.model_spec(model)
    probabilities = model.outputs[0]
    if isinstance(model.layers[-1], ck_spec.ModelSpecLayer):
        probabilities = model.layers[-1].input  # decode the classifier's own output
    decode = ck_layers.AnnealedMeanDecode(temperature, bins=bins, name="annealed_mean")
    ab = decode(probabilities)
    outputs = keras.layers.UpSampling2D(4, interpolation="bilinear", name="ab")(ab)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    spec = classifier.replace(output="regression", num_bins=None, temperature=None)
    return ck_spec.attach_spec(keras.Model(inputs, outputs, name=name), spec)


def set_temperature(model: keras.Model, temperature: float) -> int:
    """Set the temperature of every ``AnnealedMeanDecode`` layer in ``model``.

    Args:
        model: A model built by ``zhang_decoder`` (or any model holding such layers).
        temperature: New temperature > 0.

    Returns:
        The number of layers changed (at least 1).

    Raises:
        ValueError: If ``model`` has no ``AnnealedMeanDecode`` layer or the temperature <= 0.
    """
    decoders = [
        layer
        for layer in ck_layers.iter_layers(model)
        if isinstance(layer, ck_layers.AnnealedMeanDecode)
    ]
    if not decoders:
        raise ValueError(
            f"model has no AnnealedMeanDecode layer (build it with zhang_decoder). "
            f"Received: model.name={model.name!r}"
        )
    for layer in decoders:
        layer.set_temperature(temperature)
    return len(decoders)
