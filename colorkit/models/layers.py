"""Custom Keras layers shared by the colorkit model families.

Every layer is registered with ``keras.saving.register_keras_serializable(package="colorkit")``
and implements ``get_config()``, so a saved ``.keras`` model loads back in a fresh process.
All math goes through ``keras.ops``: the layers run on the TensorFlow, JAX and PyTorch backends.

Layers:
    ``ImageSizeCheck``: identity that raises ``ValueError`` when the spatial size of its input is
        not divisible by the model's stride (checked whenever the size is known statically).
    ``VGGPreprocess``: gray ``Y`` in [0, 1] -> the 3-channel, mean-subtracted input VGG16 expects.
    ``AnnealedMeanDecode``: bin probabilities -> model-scale ab by the annealed mean, with a
        temperature held in a non-trainable variable that can be changed after building.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from colorkit import _checks, color, color_ops

#: ImageNet channel means in BGR order, as ``keras.applications.vgg16.preprocess_input`` uses
#: ("caffe" mode: RGB -> BGR, 0..255, minus these means, no scaling).
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)


def check_image_size(height, width, stride: int, name: str = "input") -> None:
    """Raise ``ValueError`` unless known spatial sizes are positive multiples of ``stride``.

    Args:
        height: Image height (int) or ``None`` when unknown (not checked).
        width: Image width (int) or ``None`` when unknown (not checked).
        stride: The model's total downsampling factor (positive int).
        name: Name used in the error message.

    Raises:
        ValueError: If a known size is not a positive multiple of ``stride``.

    Example:
        >>> check_image_size(64, 96, stride=32)
        >>> check_image_size(None, 40, stride=8)
        >>> check_image_size(60, 64, stride=8)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Invalid input size: ... stride 8. Received: input spatial size=(60, 64)
    """
    for size in (height, width):
        if size is not None and (int(size) <= 0 or int(size) % stride):
            raise ValueError(
                "Invalid input size: height and width must be positive multiples of the "
                f"model's stride {stride}. Received: {name} spatial size=({height}, {width})"
            )


@keras.saving.register_keras_serializable(package="colorkit")
class ImageSizeCheck(keras.layers.Layer):
    """Identity layer that validates the spatial size of an NHWC batch.

    The check runs whenever height and width are known in Python (eager calls, ``fit`` and
    ``predict`` on fixed-size arrays, JAX). With fully dynamic graph shapes it is skipped.

    Args:
        stride: Required divisor of height and width (positive int).
        **kwargs: Standard layer arguments (``name``...).

    Example:
        >>> import numpy as np
        >>> layer = ImageSizeCheck(stride=4)
        >>> tuple(layer(np.zeros((1, 8, 12, 1), "float32")).shape)
        (1, 8, 12, 1)
    """

    def __init__(self, stride: int, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stride, bool) or not isinstance(stride, int | np.integer) or stride < 1:
            raise ValueError(f"stride must be a positive int. Received: stride={stride!r}")
        self.stride = int(stride)

    def _check(self, shape) -> None:
        if len(shape) != 4:
            raise ValueError(
                f"Invalid input rank: expected 4 (N, H, W, C). Received: input.shape={shape}"
            )
        check_image_size(shape[1], shape[2], self.stride)

    def build(self, input_shape):
        self._check(tuple(input_shape))
        super().build(input_shape)

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stride": self.stride}


@keras.saving.register_keras_serializable(package="colorkit")
class VGGPreprocess(keras.layers.Layer):
    """Gray luminance -> VGG16 input: replicate to 3 channels, scale to 0..255, subtract means.

    Matches ``keras.applications.vgg16.preprocess_input`` ("caffe" mode) applied to a gray RGB
    image: channels are BGR ordered, 0..255, minus the ImageNet means ``IMAGENET_MEAN_BGR``.

    Input: float32 ``(B, H, W, 1)``, luminance in [0, 1]. Output: float32 ``(B, H, W, 3)``, about
    -124..152.

    Example:
        >>> import numpy as np
        >>> out = VGGPreprocess()(np.ones((1, 2, 2, 1), "float32"))
        >>> [round(float(value), 3) for value in np.asarray(out)[0, 0, 0]]
        [151.061, 138.221, 131.32]
    """

    def call(self, inputs):
        gray = ops.concatenate([inputs, inputs, inputs], axis=-1) * 255.0
        mean = ops.convert_to_tensor(np.asarray(IMAGENET_MEAN_BGR, "float32"), dtype=gray.dtype)
        return gray - mean

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], 3)


def _default_bins() -> np.ndarray:
    return np.asarray(color.ab_bins(), dtype="float32")


@keras.saving.register_keras_serializable(package="colorkit")
class AnnealedMeanDecode(keras.layers.Layer):
    """Decode bin probabilities to model-scale ab by the annealed mean (Zhang et al. 2016).

    ``f_T(z) = exp(log z / T) / sum exp(log z / T)``, then ab = sum_q f_T(z)_q * bin_q / AB_SCALE.
    ``T -> 0`` approaches the mode (vivid, can be patchy), ``T = 1`` is the mean (desaturated).
    The temperature lives in a non-trainable variable: ``set_temperature`` changes the output of
    an already built (and compiled, or traced) model without rebuilding it.

    Args:
        temperature: Initial temperature, > 0 (default 0.38, the paper's choice).
        bins: Optional ``(Q, 2)`` bin centres in Lab units; default ``colorkit.color.ab_bins()``.
        **kwargs: Standard layer arguments.

    Input: float32 ``(B, h, w, Q)`` probabilities (sum to 1 on the last axis).
    Output: float32 ``(B, h, w, 2)`` ab in model scale (Lab ab / AB_SCALE, about [-1, 1]).

    Raises:
        ValueError: If the temperature is not > 0, or ``bins`` is not ``(Q, 2)``, or the input
            does not have Q channels.
    """

    def __init__(self, temperature: float = color.DEFAULT_TEMPERATURE, bins=None, **kwargs):
        super().__init__(**kwargs)
        self._initial_temperature = _checks.check_temperature(temperature)
        bins_array = _default_bins() if bins is None else np.asarray(bins, dtype="float32")
        if bins_array.ndim != 2 or bins_array.shape[-1] != 2 or len(bins_array) < 1:
            raise ValueError(
                f"bins must have shape (Q, 2). Received: bins.shape={bins_array.shape}"
            )
        self._bins_given = bins is not None
        self.bins = bins_array
        self.temperature = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(self._initial_temperature),
            trainable=False,
            name="temperature",
        )

    def set_temperature(self, temperature: float) -> None:
        """Set the annealing temperature (> 0) used by subsequent calls and predictions."""
        self.temperature.assign(_checks.check_temperature(temperature))

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is not None and channels != len(self.bins):
            raise ValueError(
                f"AnnealedMeanDecode expects {len(self.bins)} channels (one per bin). "
                f"Received: input_shape={tuple(input_shape)}"
            )
        super().build(input_shape)

    def call(self, inputs):
        # The temperature is a tensor (a variable read inside the traced graph), so changing it
        # needs no retrace; color_ops returns Lab units, divided here to model scale.
        temperature = ops.cast(self.temperature, inputs.dtype)
        ab = color_ops.annealed_mean(inputs, temperature, bins=self.bins)
        return ab / color.AB_SCALE

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], 2)

    def get_config(self):
        config = {
            **super().get_config(),
            "temperature": float(keras.ops.convert_to_numpy(self.temperature)),
        }
        config["bins"] = self.bins.tolist() if self._bins_given else None
        return config


# --------------------------------------------------------------------------------------------
# Builder helpers shared by unet.py, dahl.py and zhang.py (functions, not layers).
# --------------------------------------------------------------------------------------------


def validate_input_shape(input_shape, stride: int, channels: int = 1) -> tuple:
    """Check a builder's ``input_shape`` ``(H, W, channels)``; H, W are None or multiples of stride.

    Example:
        >>> validate_input_shape((None, None, 1), stride=32)
        (None, None, 1)
        >>> validate_input_shape((64, 64, 3), stride=4)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: input_shape must be (H, W, 1) ... Received: input_shape=(64, 64, 3)
    """
    shape = tuple(input_shape) if isinstance(input_shape, list | tuple) else None
    if (
        shape is None
        or len(shape) != 3
        or shape[2] != channels
        or any(s is not None and (isinstance(s, bool) or not isinstance(s, int)) for s in shape)
    ):
        raise ValueError(
            f"input_shape must be (H, W, {channels}) with H, W None or positive ints. "
            f"Received: input_shape={input_shape}"
        )
    check_image_size(shape[0], shape[1], stride, name="input_shape")
    return shape


def scaled_filters(filters: int, width: float, minimum: int = 4) -> int:
    """Channel count ``filters * width`` rounded to a multiple of 4 (at least ``minimum``).

    Example:
        >>> scaled_filters(64, 0.25), scaled_filters(512, 0.125), scaled_filters(64, 0.01)
        (16, 64, 4)
    """
    return max(minimum, int(round(filters * width / 4.0)) * 4)


def conv_bn_relu(
    x,
    filters: int,
    name: str,
    kernel_size: int = 3,
    strides: int = 1,
    dilation_rate: int = 1,
    batch_norm: bool = True,
):
    """``Conv2D`` (same padding, no bias when followed by BN) -> ``BatchNormalization`` -> ReLU.

    Layers are named ``{name}_conv``, ``{name}_bn``, ``{name}_relu``.
    """
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        dilation_rate=dilation_rate,
        use_bias=not batch_norm,
        name=f"{name}_conv",
    )(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def iter_layers(model):
    """Yield the layers of ``model``, recursing into nested models (depth first)."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from iter_layers(layer)
