"""A small U-Net that regresses ab (model scale) from lightness: the plain L2 baseline.

By default (``low_resolution=True``) the network spends its FLOPs at low resolution, which is
what makes it trainable on a laptop CPU: a strided stem (two 3x3 stride-2 convolutions) takes the
input to 1/4 resolution, the U-Net works at 1/4 .. 1/32, ab is predicted at 1/4 and upsampled
bilinearly x4 to full resolution inside the model. Chroma at 1/4 resolution looks sharp because
the full-resolution lightness carries the detail (the same reason JPEG subsamples chroma).

``low_resolution=False`` gives the classic full-resolution U-Net (Ronneberger et al. 2015) with
``depth`` levels of ``base_filters * 2**i`` channels: with the defaults 32/64/128/256, about
1.93M parameters and 4.6 GFLOP per 128 px image (20 times the low-resolution default).
"""

from __future__ import annotations

import keras

from colorkit import _checks
from colorkit.models import layers as ck_layers
from colorkit.models import spec as ck_spec


def unet_stride(depth: int = 4, low_resolution: bool = True) -> int:
    """Total downsampling factor: inputs must have H and W divisible by it.

    Example:
        >>> unet_stride(4, True), unet_stride(4, False)
        (32, 8)
    """
    return (4 if low_resolution else 1) * 2 ** (depth - 1)


def unet(
    input_shape: tuple = (None, None, 1),
    base_filters: int = 32,
    depth: int = 4,
    low_resolution: bool = True,
    name: str = "colorkit_unet",
) -> keras.Model:
    """Build the U-Net colorizer.

    Args:
        input_shape: ``(H, W, 1)``; H and W are None (any size) or multiples of the stride
            ``unet_stride(depth, low_resolution)`` (32 for the defaults, 8 at full resolution).
        base_filters: Channels at the first U-Net level; level i has ``base_filters * 2**i``.
        depth: Number of U-Net levels (resolutions), 1..6.
        low_resolution: If True (default) a strided stem goes to 1/4 resolution and ab is
            upsampled x4 at the end; if False, the classic full-resolution U-Net.
        name: Model name; keep the ``colorkit_unet`` prefix so ``model_family`` recognizes it.

    Returns:
        A Functional ``keras.Model``: input float32 ``(B, H, W, 1)`` lightness L/100 in [0, 1];
        output float32 ``(B, H, W, 2)`` ab / AB_SCALE in [-1, 1] (tanh).

    Raises:
        ValueError: For a non-positive ``base_filters``, ``depth`` outside 1..6, or an
            ``input_shape`` that is not ``(H, W, 1)`` with H, W multiples of the stride.
        TypeError: For arguments of the wrong type.

    Example:
        >>> model = unet(input_shape=(32, 32, 1), base_filters=8, depth=2)
        >>> model.name, tuple(model.output.shape)
        ('colorkit_unet', (None, 32, 32, 2))
    """
    base_filters = _checks.check_int("base_filters", base_filters)
    depth = _checks.check_int("depth", depth, maximum=6)
    if not isinstance(low_resolution, bool):
        raise TypeError(
            f"low_resolution must be a bool. Received: low_resolution={low_resolution!r}"
        )
    stride = unet_stride(depth, low_resolution)
    input_shape = ck_layers.validate_input_shape(input_shape, stride)

    inputs = keras.Input(shape=input_shape, name="lightness")
    x = ck_layers.ImageSizeCheck(stride, name="size_check")(inputs)
    if low_resolution:
        x = ck_layers.conv_bn_relu(x, max(8, base_filters // 2), "stem1", strides=2)
        x = ck_layers.conv_bn_relu(x, base_filters, "stem2", strides=2)

    skips = []
    for level in range(depth):
        filters = base_filters * 2**level
        if level > 0:
            x = keras.layers.MaxPooling2D(2, name=f"encoder_level{level}_pool")(x)
        x = ck_layers.conv_bn_relu(x, filters, f"encoder_level{level}_1")
        x = ck_layers.conv_bn_relu(x, filters, f"encoder_level{level}_2")
        skips.append(x)

    for level in reversed(range(depth - 1)):
        filters = base_filters * 2**level
        x = keras.layers.Conv2DTranspose(
            filters, 2, strides=2, padding="same", name=f"decoder_up{level}_transpose"
        )(x)
        x = keras.layers.Concatenate(name=f"decoder_up{level}_concat")([x, skips[level]])
        x = ck_layers.conv_bn_relu(x, filters, f"decoder_up{level}_1")
        x = ck_layers.conv_bn_relu(x, filters, f"decoder_up{level}_2")

    x = keras.layers.Conv2D(2, 1, name="output_conv")(x)
    if low_resolution:
        x = keras.layers.Activation("tanh", name="ab_quarter")(x)
        outputs = keras.layers.UpSampling2D(4, interpolation="bilinear", name="ab")(x)
    else:
        outputs = keras.layers.Activation("tanh", name="ab")(x)
    spec = ck_spec.ModelSpec("unet", "lab", stride, "regression", None, None, None, None)
    return ck_spec.attach_spec(keras.Model(inputs, outputs, name=name), spec)
