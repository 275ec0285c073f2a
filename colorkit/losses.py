"""Colorization losses as registered Keras losses (``keras.ops`` only: any backend).

``y_true`` is always the model-scale chroma target at full resolution, float32 ``(B, H, W, 2)``:
ab / AB_SCALE for lab models, UV model scale for dahl. ``y_pred`` is the model output: chroma of
the same shape for regression losses, or ``(B, h, w, Q)`` bin probabilities for ``soft_ce``.

==============  ======================================================================
name            loss
==============  ======================================================================
``l2``          mean squared error per pixel (the "plain L2 baseline"; sepia-prone)
``l1``          mean absolute error
``huber``       Huber loss (L2 below ``delta``, L1 above)
``blurred_l2``  Dahl 2016: mean of L2 on the raw chroma and on 3 px and 5 px Gaussian blurs
``soft_ce``     Zhang 2016: cross-entropy against soft-encoded targets, class rebalanced
==============  ======================================================================

Each ``call`` returns a per-pixel loss map ``(B, H, W)`` (or ``(B, h, w)``); Keras averages it.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from colorkit import _checks, color, color_ops

_EPSILON = 1e-7


def _pixel_mean(values):
    return ops.mean(values, axis=-1)


def _check_same_shape(y_true, y_pred) -> None:
    if tuple(y_true.shape) != tuple(y_pred.shape) and None not in tuple(y_true.shape) + tuple(
        y_pred.shape
    ):
        raise ValueError(
            "y_true and y_pred must have the same shape (B, H, W, 2). "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )


@keras.saving.register_keras_serializable(package="colorkit")
class L2(keras.losses.Loss):
    """Mean squared error on model-scale chroma: ``mean_c (y_pred - y_true)**2`` per pixel.

    Example:
        >>> import numpy as np
        >>> float(L2()(np.zeros((1, 2, 2, 2), "float32"), np.full((1, 2, 2, 2), 0.5, "float32")))
        0.25
    """

    def __init__(self, name: str = "l2", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        _check_same_shape(y_true, y_pred)
        return _pixel_mean(ops.square(y_pred - ops.cast(y_true, y_pred.dtype)))


@keras.saving.register_keras_serializable(package="colorkit")
class L1(keras.losses.Loss):
    """Mean absolute error on model-scale chroma per pixel.

    Example:
        >>> import numpy as np
        >>> float(L1()(np.zeros((1, 2, 2, 2), "float32"), np.full((1, 2, 2, 2), -0.5, "float32")))
        0.5
    """

    def __init__(self, name: str = "l1", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        _check_same_shape(y_true, y_pred)
        return _pixel_mean(ops.abs(y_pred - ops.cast(y_true, y_pred.dtype)))


@keras.saving.register_keras_serializable(package="colorkit")
class Huber(keras.losses.Loss):
    """Huber loss per pixel: ``0.5 d**2`` for ``|d| <= delta``, else ``delta (|d| - 0.5 delta)``.

    Args:
        delta: Threshold between the quadratic and linear parts, > 0 (model-scale units;
            default 0.1, about 11 Lab ab units).

    Example:
        >>> import numpy as np
        >>> y_true = np.zeros((1, 1, 1, 2), "float32")
        >>> y_pred = np.array([[[[0.1, 1.0]]]], "float32")
        >>> round(float(Huber(delta=0.5)(y_true, y_pred)), 4)  # (0.005 + 0.375) / 2
        0.19
    """

    def __init__(self, delta: float = 0.1, name: str = "huber", **kwargs):
        super().__init__(name=name, **kwargs)
        self.delta = _checks.check_number("delta", delta, 0.0, open_low=True)

    def call(self, y_true, y_pred):
        _check_same_shape(y_true, y_pred)
        error = ops.abs(y_pred - ops.cast(y_true, y_pred.dtype))
        quadratic = ops.minimum(error, self.delta)
        return _pixel_mean(0.5 * ops.square(quadratic) + self.delta * (error - quadratic))

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


def gaussian_kernel(size: int, sigma: float | None = None) -> np.ndarray:
    """Normalized 2-D Gaussian kernel, float32 ``(size, size)`` summing to 1.

    Args:
        size: Odd kernel side in pixels (>= 1).
        sigma: Standard deviation in pixels; default OpenCV's rule for a kernel size,
            ``0.3 * ((size - 1) / 2 - 1) + 0.8`` (0.8 for 3 px, 1.1 for 5 px).

    Example:
        >>> kernel = gaussian_kernel(3)
        >>> kernel.shape, round(float(kernel.sum()), 6), bool(kernel[1, 1] == kernel.max())
        ((3, 3), 1.0, True)
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(f"size must be an odd positive int. Received: size={size!r}")
    if sigma is None:
        sigma = 0.3 * ((size - 1) / 2 - 1) + 0.8
    sigma = _checks.check_number("sigma", sigma, 0.0, open_low=True)
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    profile = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = np.outer(profile, profile)
    return (kernel / kernel.sum()).astype("float32")


@keras.saving.register_keras_serializable(package="colorkit")
class BlurredL2(keras.losses.Loss):
    """Dahl's blurred L2: mean of the L2 on the raw chroma and on Gaussian-blurred chroma.

    Blurring the difference is the same as differencing the blurs (blurring is linear). The
    blur is a depthwise convolution with a fixed Gaussian kernel and symmetric (mirror) padding,
    so a spatially constant error is unchanged by the blur, borders included.

    Args:
        kernel_sizes: Odd Gaussian kernel sizes in pixels (default (3, 5), as in Dahl 2016),
            sigma by OpenCV's rule (see ``gaussian_kernel``).

    Example:
        >>> import numpy as np
        >>> y_true = np.zeros((1, 8, 8, 2), "float32")
        >>> round(float(BlurredL2()(y_true, y_true + 0.5)), 6)  # constant error: same as L2
        0.25
    """

    def __init__(self, kernel_sizes=(3, 5), name: str = "blurred_l2", **kwargs):
        super().__init__(name=name, **kwargs)
        self.kernel_sizes = tuple(int(size) for size in kernel_sizes)
        self._kernels = [gaussian_kernel(size) for size in self.kernel_sizes]

    def call(self, y_true, y_pred):
        _check_same_shape(y_true, y_pred)
        difference = y_pred - ops.cast(y_true, y_pred.dtype)
        channels = difference.shape[-1]
        total = _pixel_mean(ops.square(difference))
        for size, kernel in zip(self.kernel_sizes, self._kernels, strict=True):
            pad = size // 2
            padded = ops.pad(difference, [[0, 0], [pad, pad], [pad, pad], [0, 0]], "symmetric")
            depthwise = np.repeat(kernel[:, :, None, None], channels, axis=2)
            blurred = ops.depthwise_conv(padded, ops.cast(depthwise, difference.dtype), 1, "valid")
            total = total + _pixel_mean(ops.square(blurred))
        return total / (1 + len(self.kernel_sizes))

    def get_config(self):
        return {**super().get_config(), "kernel_sizes": list(self.kernel_sizes)}


@keras.saving.register_keras_serializable(package="colorkit")
class SoftEncodedCrossEntropy(keras.losses.Loss):
    """Zhang et al.'s class-rebalanced multinomial cross-entropy over soft-encoded ab bins.

    ``y_true`` (full-resolution model-scale ab, ``(B, H, W, 2)``) is average-pooled to the
    prediction's resolution ``(h, w)`` (H/h must be an integer and the same as W/w), converted to
    Lab units (x AB_SCALE), soft-encoded on the ``neighbors`` nearest bins with a Gaussian of
    ``sigma`` (``color_ops.soft_encode``), and compared with the predicted probabilities
    ``y_pred`` ``(B, h, w, Q)``: ``-w(q*) sum_q z_q log p_q`` per pixel, where ``q*`` is the
    target's nearest bin and ``w`` the rebalancing weights (``color.rebalancing_weights``).

    Args:
        prior_weights: None (no rebalancing, all weights 1) or per-bin weights, array-like
            ``(Q,)`` >= 0; stored in the config as a list.
        neighbors: Number of nearest bins in the soft encoding (>= 1; default 5).
        sigma: Gaussian width of the soft encoding in Lab units (> 0; default 5.0).
        bins: Optional ``(Q, 2)`` bin centres in Lab units (default ``color.ab_bins()``).

    Raises:
        ValueError: For bad arguments, or at call time for a prediction whose channel count is
            not Q or whose resolution does not divide the target's.
    """

    def __init__(
        self,
        prior_weights=None,
        neighbors: int = 5,
        sigma: float = 5.0,
        bins=None,
        name: str = "soft_ce",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        bins_array = np.asarray(color.ab_bins() if bins is None else bins, dtype="float32")
        if bins_array.ndim != 2 or bins_array.shape[1] != 2:
            raise ValueError(
                f"bins must have shape (Q, 2). Received: bins.shape={bins_array.shape}"
            )
        if isinstance(neighbors, bool) or not isinstance(neighbors, int | np.integer):
            raise TypeError(f"neighbors must be an int. Received: neighbors={neighbors!r}")
        if not 1 <= neighbors <= len(bins_array):
            raise ValueError(
                f"neighbors must be in [1, {len(bins_array)}]. Received: neighbors={neighbors}"
            )
        sigma = _checks.check_number("sigma", sigma, 0.0, open_low=True)
        if prior_weights is not None:
            weights = np.asarray(prior_weights, dtype="float32")
            if (
                weights.shape != (len(bins_array),)
                or not np.all(np.isfinite(weights))
                or np.any(weights < 0)
            ):
                raise ValueError(
                    f"prior_weights must be finite, >= 0, shape ({len(bins_array)},). "
                    f"Received: prior_weights.shape={weights.shape}"
                )
            self.prior_weights = weights
        else:
            self.prior_weights = None
        self._bins_given = bins is not None
        self.bins = bins_array
        self.neighbors = int(neighbors)
        self.sigma = float(sigma)

    def call(self, y_true, y_pred):
        true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
        if len(true_shape) != 4 or len(pred_shape) != 4 or pred_shape[-1] != len(self.bins):
            raise ValueError(
                f"Expected y_true (B, H, W, 2) and y_pred (B, h, w, {len(self.bins)}). "
                f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
            )
        if None in true_shape[1:3] or None in pred_shape[1:3]:
            raise ValueError(
                "soft_ce needs static spatial sizes (fixed-size training images). "
                f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
            )
        factor = true_shape[1] // pred_shape[1]
        if factor < 1 or true_shape[1:3] != (pred_shape[1] * factor, pred_shape[2] * factor):
            raise ValueError(
                "y_pred's resolution must divide y_true's by the same integer factor. "
                f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
            )
        ab = ops.cast(y_true, y_pred.dtype)
        if factor > 1:
            ab = ops.average_pool(ab, pool_size=factor, strides=factor, padding="valid")
        # The soft target has `neighbors` nonzero entries: gather their log-probabilities
        # instead of multiplying a dense (..., Q) target (same value, a fraction of the work).
        index, target = color_ops.soft_encode_sparse(
            ab * color.AB_SCALE, self.bins, neighbors=self.neighbors, sigma=self.sigma
        )
        target = ops.stop_gradient(ops.cast(target, y_pred.dtype))
        # Gather first: the log of `neighbors` probabilities per pixel, not of all Q.
        gathered = ops.take_along_axis(y_pred, index, axis=-1)
        cross_entropy = -ops.sum(target * ops.log(ops.clip(gathered, _EPSILON, 1.0)), axis=-1)
        if self.prior_weights is None:
            return cross_entropy
        # The nearest bin carries the largest weight (top_k returns it first).
        weights = ops.take(
            ops.convert_to_tensor(self.prior_weights, dtype=y_pred.dtype), index[..., 0]
        )
        return weights * cross_entropy

    def get_config(self):
        return {
            **super().get_config(),
            "prior_weights": None if self.prior_weights is None else self.prior_weights.tolist(),
            "neighbors": self.neighbors,
            "sigma": self.sigma,
            "bins": self.bins.tolist() if self._bins_given else None,
        }


_LOSSES = {
    "l2": L2,
    "l1": L1,
    "huber": Huber,
    "blurred_l2": BlurredL2,
    "soft_ce": SoftEncodedCrossEntropy,
}


def available_losses() -> list[str]:
    """Names accepted by ``get_loss``.

    Example:
        >>> available_losses()
        ['blurred_l2', 'huber', 'l1', 'l2', 'soft_ce']
    """
    return sorted(_LOSSES)


def get_loss(name: str, **kwargs) -> keras.losses.Loss:
    """Instantiate a colorkit loss by name.

    Args:
        name: One of ``available_losses()``.
        **kwargs: Passed to the loss class (e.g. ``prior_weights`` for ``soft_ce``).

    Raises:
        ValueError: For an unknown name.

    Example:
        >>> get_loss("huber", delta=0.2).get_config()["delta"]
        0.2
    """
    if name not in _LOSSES:
        raise ValueError(
            f"Unknown loss: expected one of {available_losses()}. Received: name={name!r}"
        )
    return _LOSSES[name](**kwargs)
