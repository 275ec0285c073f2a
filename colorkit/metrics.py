"""Metrics for judging colorizations: pixel fidelity, color accuracy and failure modes.

All NumPy metrics take gamma-encoded sRGB images, float32 in [0, 1], shape ``(H, W, 3)`` (one
image) or ``(N, H, W, 3)`` (a batch); ``pred`` and ``true`` must have the same shape. Color
metrics work in CIE Lab (D65) via :func:`colorkit.color.rgb_to_lab`, so ab distances are in Lab
units (sRGB spans about +-110).

Groups:

- Fidelity: :func:`psnr`, :func:`ssim` (per image).
- Color accuracy: :func:`auc_ab`, :func:`rebalanced_auc_ab`, :func:`ab_error_cdf`,
  :func:`chroma_ratio`, :func:`hue_agreement` (pooled over all pixels of the batch).
- Vividness: :func:`colorfulness` (Hasler and Suesstrunk 2003, per image).
- Failure modes taught in the course: :func:`sludge_score` (colors collapsed towards one
  average color) and :func:`sepia_score` (everything tinted orange-brown).
- Reporting: :func:`evaluate_batch`, :func:`metrics_table`.
- Keras metrics for training on model-scale ab (``ab / AB_SCALE``): ``ABError`` and
  ``ChromaPSNR``. They are created on first access (``colorkit.metrics.ABError``), so importing
  this module does not import Keras or TensorFlow; accessing either name registers both with
  ``@keras.saving.register_keras_serializable(package="colorkit")``.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping

import numpy as np
from scipy import spatial
from skimage import metrics as skimage_metrics

from colorkit import _checks, color

__all__ = [
    "AUC_THRESHOLDS",
    "SEPIA_HUE_RANGE",
    "SEPIA_CHROMA_RANGE",
    "SLUDGE_REFERENCE_SPREAD",
    "psnr",
    "ssim",
    "colorfulness",
    "ab_error_cdf",
    "auc_ab",
    "rebalanced_auc_ab",
    "auc_ab_by_bin",
    "chroma_ratio",
    "hue_agreement",
    "ab_spread",
    "sludge_score",
    "sepia_score",
    "false_color_score",
    "false_color_bound",
    "FALSE_COLOR_LIMITS",
    "evaluate_batch",
    "pooled_scores",
    "psnr_gain_over_gray",
    "harm_rate",
    "HARM_THRESHOLD_DB",
    "metrics_table",
    "distribution_entropy",
    "count_modes",
]  # plus ABError and ChromaPSNR, created lazily by __getattr__

#: Default thresholds (Lab units) of the ab-error CDF: 0, 1, ..., 150 (Zhang et al. 2016).
AUC_THRESHOLDS = np.arange(0.0, 151.0, 1.0)
#: Lab hue angles (degrees, ``atan2(b, a)``) of the orange-brown "sepia" sector, inclusive.
SEPIA_HUE_RANGE = (40.0, 90.0)
#: Chroma window (Lab units, inclusive) of a desaturated sepia tint: chromatic but not vivid.
SEPIA_CHROMA_RANGE = (5.0, 40.0)
#: (neutral, false) chroma limits of the false-color score, Lab units: a pixel whose true chroma
#: is below the first is near-neutral; painting it above the second is a false color.
FALSE_COLOR_LIMITS = (10.0, 25.0)
#: Default reference ab spread (Lab units) of :func:`sludge_score` when no truth is given:
#: about the pooled spread of a varied set of natural photos.
SLUDGE_REFERENCE_SPREAD = 20.0
#: A colorization "harms" a photo when its PSNR is this many dB below the gray input's.
HARM_THRESHOLD_DB = 3.0

_GRAY_CHROMA = 0.01  # mean chroma (Lab units) below which a truth counts as gray
_SSIM_SIGMA = 1.5
_SSIM_TRUNCATE = 3.5  # radius int(3.5 * 1.5 + 0.5) = 5: the 11-tap window of Wang et al. 2004
_SSIM_RADIUS = int(_SSIM_TRUNCATE * _SSIM_SIGMA + 0.5)


# --------------------------------------------------------------------------------------------
# Validation and conversion helpers
# --------------------------------------------------------------------------------------------
def _as_batch(image, name: str) -> tuple[np.ndarray, bool]:
    """Validates an RGB image or batch; returns ``((N, H, W, 3) float32, was_single)``."""
    image = color.validate_rgb(image, name)
    if image.ndim not in (3, 4):
        raise ValueError(
            f"Invalid {name} rank: expected 3 (H, W, 3) or 4 (N, H, W, 3). "
            f"Received: {name}.shape={image.shape}"
        )
    if image.ndim == 3:
        return image[np.newaxis], True
    return image, False


def _as_pair(pred, true) -> tuple[np.ndarray, np.ndarray, bool]:
    pred_batch, single = _as_batch(pred, "pred")
    true_batch, _ = _as_batch(true, "true")
    if pred_batch.shape != true_batch.shape:
        raise ValueError(
            "pred and true must have the same shape. "
            f"Received: pred.shape={np.shape(pred)}, true.shape={np.shape(true)}"
        )
    return pred_batch, true_batch, single


def _ab(image_batch: np.ndarray) -> np.ndarray:
    """Lab ab channels (float64, Lab units) of a validated RGB batch."""
    return color.rgb_to_lab(image_batch)[..., 1:].astype(np.float64)


def _per_image(values: np.ndarray, single: bool):
    return float(values[0]) if single else values


def _check_thresholds(thresholds) -> np.ndarray:
    if thresholds is None:
        return AUC_THRESHOLDS.copy()
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if (
        thresholds.ndim != 1
        or thresholds.size < 2
        or not np.all(np.isfinite(thresholds))
        or thresholds[0] < 0
        or np.any(np.diff(thresholds) <= 0)
    ):
        raise ValueError(
            "thresholds must be a 1-D, strictly increasing sequence of at least 2 finite values "
            f">= 0. Received: thresholds={thresholds!r}"
        )
    return thresholds


def _chroma_hue(ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chroma (Lab units) and hue angle (degrees in [0, 360)) of ab values."""
    chroma = np.hypot(ab[..., 0], ab[..., 1])
    hue = np.degrees(np.arctan2(ab[..., 1], ab[..., 0])) % 360.0
    return chroma, hue


# --------------------------------------------------------------------------------------------
# Fidelity
# --------------------------------------------------------------------------------------------
def psnr(pred, true, data_range: float = 1.0):
    """Peak signal-to-noise ratio per image, over all three RGB channels
    (``skimage.metrics.peak_signal_noise_ratio`` per image, with colorkit's checks).

    ``PSNR = 10 log10(data_range**2 / MSE)`` with the MSE over H, W and the 3 channels; an exact
    match gives ``inf``.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        data_range: Peak-to-peak range of the signal, > 0.

    Returns:
        ``float`` (dB) for one image, or a float64 ``(N,)`` array for a batch.

    Raises:
        ValueError: for invalid images, mismatched shapes or ``data_range <= 0``.

    Example:
        >>> import numpy as np
        >>> true = np.full((4, 4, 3), 0.5, dtype=np.float32)
        >>> round(psnr(true + np.float32(0.1), true), 2)
        20.0
    """
    if not (isinstance(data_range, int | float) and data_range > 0):
        raise ValueError(f"data_range must be a number > 0. Received: data_range={data_range!r}")
    pred_batch, true_batch, single = _as_pair(pred, true)
    with np.errstate(divide="ignore"):  # an exact match: inf, as documented
        values = [
            skimage_metrics.peak_signal_noise_ratio(
                t.astype(np.float64), p.astype(np.float64), data_range=data_range
            )
            for p, t in zip(pred_batch, true_batch, strict=True)
        ]
    return _per_image(np.asarray(values, np.float64), single)


def ssim(pred, true):
    """Structural similarity (Gaussian window) per image, averaged over the RGB channels.

    ``skimage.metrics.structural_similarity(pred, true, gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1)`` per image: an 11-tap
    Gaussian window (sigma 1.5, reflect padding), ``K1 = 0.01``, ``K2 = 0.03``, and the mean of
    the SSIM map with a 5-pixel border cropped.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``, H, W >= 11.
        true: Ground-truth RGB, same shape as ``pred``.

    Returns:
        ``float`` in [-1, 1] for one image (1 for identical images), or a float64 ``(N,)`` array.

    Raises:
        ValueError: for invalid images, mismatched shapes or images smaller than 11 x 11.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).random((16, 16, 3), dtype=np.float32)
        >>> round(ssim(image, image), 6)
        1.0
    """
    pred_batch, true_batch, single = _as_pair(pred, true)
    window = 2 * _SSIM_RADIUS + 1
    if min(pred_batch.shape[1:3]) < window:
        raise ValueError(
            f"ssim needs images of at least {window} x {window} pixels. "
            f"Received: pred.shape={np.shape(pred)}"
        )
    values = [
        skimage_metrics.structural_similarity(
            p.astype(np.float64),
            t.astype(np.float64),
            gaussian_weights=True,
            sigma=_SSIM_SIGMA,
            use_sample_covariance=False,
            data_range=1.0,
            channel_axis=-1,
        )
        for p, t in zip(pred_batch, true_batch, strict=True)
    ]
    return _per_image(np.asarray(values, np.float64), single)


def colorfulness(image):
    """Colorfulness M of Hasler and Suesstrunk (2003), per image.

    On the 0-255 scale, ``rg = R - G`` and ``yb = (R + G) / 2 - B`` over the pixels of an image;
    ``M = sqrt(sd_rg**2 + sd_yb**2) + 0.3 * sqrt(mu_rg**2 + mu_yb**2)`` with population standard
    deviations. Gray images score 0; the paper calls M about 33 "moderately", 59 "quite" and 82
    "highly" colorful.

    Args:
        image: RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.

    Returns:
        ``float`` >= 0 for one image, or a float64 ``(N,)`` array for a batch.

    Raises:
        ValueError: for an invalid image.

    Example:
        >>> import numpy as np
        >>> red = np.zeros((2, 2, 3), dtype=np.float32)
        >>> red[..., 0] = 1.0
        >>> round(colorfulness(red), 2)  # 0.3 * sqrt(255**2 + 127.5**2)
        85.53
    """
    batch, single = _as_batch(image, "image")
    rgb = batch.astype(np.float64) * 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = (red - green).reshape(len(rgb), -1)
    yb = (0.5 * (red + green) - blue).reshape(len(rgb), -1)
    values = np.hypot(rg.std(axis=1), yb.std(axis=1)) + 0.3 * np.hypot(
        rg.mean(axis=1), yb.mean(axis=1)
    )
    return _per_image(values, single)


# --------------------------------------------------------------------------------------------
# Color accuracy
# --------------------------------------------------------------------------------------------
def _nearest_bins(ab: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Index of the nearest bin centre for each ab value ``(P, 2)``."""
    _, index = spatial.cKDTree(bins).query(ab)
    return index


def _check_bins(bins) -> np.ndarray:
    if bins is None:
        return np.asarray(color.ab_bins(), dtype=np.float64)
    bins = np.asarray(bins, dtype=np.float64)
    if bins.ndim != 2 or bins.shape[1] != 2 or len(bins) == 0:
        raise ValueError(f"bins must have shape (Q, 2). Received: bins.shape={bins.shape}")
    return bins


def _rebalancing_pixel_weights(true_ab: np.ndarray, prior, bins) -> np.ndarray:
    """Per-pixel weights ``1 / prior[bin of the true color]``, normalised to sum to 1."""
    bins = _check_bins(bins)
    index = _nearest_bins(true_ab.reshape(-1, 2), bins)
    if prior is None:
        prior = np.bincount(index, minlength=len(bins)) / index.size
    else:
        prior = np.asarray(prior, dtype=np.float64)
        if prior.shape != (len(bins),) or np.any(prior < 0) or not np.all(np.isfinite(prior)):
            raise ValueError(
                f"prior must be a finite, non-negative array of shape ({len(bins)},). "
                f"Received: prior.shape={prior.shape}"
            )
    pixel_prior = prior[index]
    if np.any(pixel_prior <= 0):
        empty = np.unique(index[pixel_prior <= 0])
        raise ValueError(
            "prior is zero for bins that contain true pixels, so their weight 1 / prior is "
            f"infinite. Received: prior[{empty.tolist()[:10]}]=0"
        )
    weights = 1.0 / pixel_prior
    return weights / weights.sum()


def _cdf(errors: np.ndarray, thresholds: np.ndarray, weights=None) -> np.ndarray:
    """(Weighted) fraction of errors ``<= t`` for each threshold."""
    errors = errors.reshape(-1)
    order = np.argsort(errors)
    sorted_errors = errors[order]
    if weights is None:
        cumulative = np.arange(1, errors.size + 1) / errors.size
    else:
        cumulative = np.cumsum(weights.reshape(-1)[order])
        cumulative = cumulative / cumulative[-1]
    count = np.searchsorted(sorted_errors, thresholds, side="right")
    return np.where(count > 0, cumulative[np.maximum(count - 1, 0)], 0.0)


def _area(thresholds: np.ndarray, cdf: np.ndarray) -> float:
    return float(np.trapezoid(cdf, thresholds) / (thresholds[-1] - thresholds[0]))


def _ab_error_cdf_from_ab(pred_ab, true_ab, thresholds, rebalanced, prior, bins):
    errors = np.hypot(*(pred_ab - true_ab).reshape(-1, 2).T)
    weights = _rebalancing_pixel_weights(true_ab, prior, bins) if rebalanced else None
    return _cdf(errors, thresholds, weights)


def ab_error_cdf(pred, true, thresholds=None, rebalanced: bool = False, prior=None, bins=None):
    """Cumulative distribution of the per-pixel ab error, for plotting AuC curves.

    The ab error of a pixel is the Euclidean distance ``||ab_pred - ab_true||`` in Lab units;
    ``cdf[i]`` is the fraction of all pixels of the batch with error ``<= thresholds[i]``. With
    ``rebalanced=True`` each pixel is weighted as in :func:`rebalanced_auc_ab`.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        thresholds: Increasing thresholds >= 0 in Lab units; default 0, 1, ..., 150.
        rebalanced: Weight pixels by the inverse prior of their true color's bin.
        prior: ``(Q,)`` bin probabilities for ``rebalanced``; None estimates them from ``true``.
        bins: ``(Q, 2)`` bin centres (Lab units); default :func:`colorkit.color.ab_bins`.

    Returns:
        ``(thresholds, cdf)``: two float64 ``(T,)`` arrays, cdf non-decreasing in [0, 1].

    Raises:
        ValueError: for invalid images, shapes, thresholds, prior or bins.

    Example:
        >>> import numpy as np
        >>> image = np.full((2, 2, 3), 0.5, dtype=np.float32)
        >>> thresholds, cdf = ab_error_cdf(image, image, thresholds=[0, 10])
        >>> cdf.tolist()
        [1.0, 1.0]
    """
    thresholds = _check_thresholds(thresholds)
    pred_batch, true_batch, _ = _as_pair(pred, true)
    cdf = _ab_error_cdf_from_ab(
        _ab(pred_batch), _ab(true_batch), thresholds, rebalanced, prior, bins
    )
    return thresholds, cdf


def auc_ab(pred, true, thresholds=None) -> float:
    """Raw accuracy AuC of Zhang et al. (2016): area under the ab-error CDF, normalised.

    For thresholds ``t`` from 0 to 150 (Lab units), the fraction of the batch's pixels whose
    Euclidean ab error is ``<= t``; the trapezoidal area under that curve divided by the
    threshold span, so a perfect prediction scores 1 and every pixel off by more than 150 scores
    0. Pixels are pooled over the batch; for equal-sized images this equals the mean of the
    per-image AuCs.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        thresholds: Increasing thresholds >= 0 in Lab units; default 0, 1, ..., 150.

    Returns:
        ``float`` in [0, 1].

    Raises:
        ValueError: for invalid images, mismatched shapes or invalid thresholds.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
        >>> auc_ab(image, image)
        1.0
    """
    thresholds, cdf = ab_error_cdf(pred, true, thresholds)
    return _area(thresholds, cdf)


def rebalanced_auc_ab(pred, true, prior=None, bins=None, thresholds=None) -> float:
    """Class-rebalanced AuC (Zhang et al. 2016): :func:`auc_ab` with every color bin equal.

    Each pixel is assigned the nearest of the ``Q`` ab bins of its *true* color and weighted by
    ``1 / prior[bin]``; the CDF is the weighted fraction of pixels with error ``<= t``. With the
    prior estimated from ``true`` (the default), every occupied bin contributes the same total
    weight, so rare saturated colors count as much as common grays and browns.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        prior: ``(Q,)`` non-negative bin probabilities (e.g. :func:`colorkit.color.ab_prior` of
            a training set); None estimates the empirical distribution of ``true``'s bins. It
            must be > 0 for every bin that holds a true pixel.
        bins: ``(Q, 2)`` bin centres in Lab units; default :func:`colorkit.color.ab_bins`.
        thresholds: Increasing thresholds >= 0 in Lab units; default 0, 1, ..., 150.

    Returns:
        ``float`` in [0, 1].

    Raises:
        ValueError: for invalid images, shapes, thresholds, bins, or a prior that is zero where
            true pixels fall.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
        >>> rebalanced_auc_ab(image, image)
        1.0
    """
    thresholds, cdf = ab_error_cdf(pred, true, thresholds, rebalanced=True, prior=prior, bins=bins)
    return _area(thresholds, cdf)


def auc_ab_by_bin(pred, true, bins=None, thresholds=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`auc_ab` of each true color bin's pixels: where a rebalanced AuC is won or lost.

    Every pixel is assigned the nearest of the ``Q`` ab bins of its *true* color; a bin's AuC
    is :func:`auc_ab` over that bin's pixels alone. With the prior estimated from ``true`` (the
    default of :func:`rebalanced_auc_ab`), each occupied bin carries the same total weight, so
    the rebalanced AuC equals the plain mean of these AuCs over the occupied bins: a bin of
    five saturated purple pixels counts as much as one of a million grays.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        bins: ``(Q, 2)`` bin centres in Lab units; default :func:`colorkit.color.ab_bins`.
        thresholds: Increasing thresholds >= 0 in Lab units; default 0, 1, ..., 150.

    Returns:
        ``(auc, counts)``: float64 ``(Q,)`` AuCs in [0, 1] (NaN for bins no true pixel falls
        in) and int64 ``(Q,)`` pixel counts per bin.

    Raises:
        ValueError: for invalid images, mismatched shapes, thresholds or bins.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
        >>> auc, counts = auc_ab_by_bin(image, image)
        >>> float(np.nanmin(auc)), int(counts.sum())
        (1.0, 64)
    """
    thresholds = _check_thresholds(thresholds)
    bins = _check_bins(bins)
    pred_batch, true_batch, _ = _as_pair(pred, true)
    true_ab = _ab(true_batch).reshape(-1, 2)
    errors = np.hypot(*(_ab(pred_batch).reshape(-1, 2) - true_ab).T)
    # A pixel's share of the trapezoidal area: it is counted from the first threshold >= its
    # error on (half of the interval before it, all of those after), so the area is linear in
    # the pixels and a bin's AuC is the mean of its pixels' shares.
    steps = np.diff(thresholds)
    after = np.concatenate([np.cumsum(steps[::-1])[::-1], [0.0]])
    share = after + np.concatenate([[0.0], steps / 2.0])
    first = np.searchsorted(thresholds, errors, side="left")
    pixel_area = np.where(first < len(thresholds), share[np.minimum(first, len(share) - 1)], 0.0)
    pixel_area /= thresholds[-1] - thresholds[0]
    index = _nearest_bins(true_ab, bins)
    counts = np.bincount(index, minlength=len(bins))
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins are NaN, as documented
        auc = np.bincount(index, weights=pixel_area, minlength=len(bins)) / counts
    return auc, counts


def _chroma_ratio_from_ab(pred_ab, true_ab) -> float:
    true_mean = float(np.hypot(true_ab[..., 0], true_ab[..., 1]).mean())
    if true_mean < _GRAY_CHROMA:
        warnings.warn(
            "chroma_ratio is undefined for gray ground truth (mean chroma 0); returning nan.",
            RuntimeWarning,
            stacklevel=3,
        )
        return math.nan
    return float(np.hypot(pred_ab[..., 0], pred_ab[..., 1]).mean()) / true_mean


def chroma_ratio(pred, true) -> float:
    """Mean predicted chroma over mean true chroma, pooled over all pixels of the batch.

    Chroma is ``sqrt(a**2 + b**2)`` in Lab units. 1 means as vivid as the truth; the
    desaturated "sludge" of an L2-trained model gives well below 1.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.

    Returns:
        ``float`` >= 0; nan (with a ``RuntimeWarning``) when ``true`` is gray (mean chroma
        below 0.01).

    Raises:
        ValueError: for invalid images or mismatched shapes.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
        >>> round(chroma_ratio(image, image), 6)
        1.0
    """
    pred_batch, true_batch, _ = _as_pair(pred, true)
    return _chroma_ratio_from_ab(_ab(pred_batch), _ab(true_batch))


def _hue_agreement_from_ab(pred_ab, true_ab, min_chroma) -> float:
    pred_chroma = np.hypot(pred_ab[..., 0], pred_ab[..., 1])
    true_chroma = np.hypot(true_ab[..., 0], true_ab[..., 1])
    both = (pred_chroma >= min_chroma) & (true_chroma >= min_chroma) & (pred_chroma > 0)
    both &= true_chroma > 0
    if not np.any(both):
        warnings.warn(
            f"hue_agreement is undefined: no pixel has chroma >= {min_chroma} in both pred and "
            "true; returning nan.",
            RuntimeWarning,
            stacklevel=3,
        )
        return math.nan
    dot = np.sum(pred_ab[both] * true_ab[both], axis=-1)
    return float(np.mean(dot / (pred_chroma[both] * true_chroma[both])))


def hue_agreement(pred, true, min_chroma: float = 5.0) -> float:
    """Mean cosine of the hue-angle difference over pixels that are chromatic in both images.

    With hue ``h = atan2(b, a)`` and chroma ``C = sqrt(a**2 + b**2)`` (Lab), the pixels where
    ``C_pred >= min_chroma`` and ``C_true >= min_chroma`` are kept and
    ``mean(cos(h_pred - h_true)) = mean(ab_pred . ab_true / (C_pred C_true))`` is returned:
    1 is the right hue everywhere, 0 is uncorrelated (or 90 degrees off), -1 the opposite hue.
    Pixels are pooled over the batch.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        min_chroma: Chroma (Lab units, >= 0) below which a pixel's hue is ignored as noise.

    Returns:
        ``float`` in [-1, 1]; nan (with a ``RuntimeWarning``) when no pixel qualifies.

    Raises:
        ValueError: for invalid images, mismatched shapes or ``min_chroma < 0``.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((2, 2, 3), dtype=np.float32)
        >>> image[..., 0] = 1.0  # red
        >>> round(hue_agreement(image, image), 6)
        1.0
    """
    min_chroma = _checks.check_number("min_chroma", min_chroma, 0.0)
    pred_batch, true_batch, _ = _as_pair(pred, true)
    return _hue_agreement_from_ab(_ab(pred_batch), _ab(true_batch), min_chroma)


# --------------------------------------------------------------------------------------------
# Failure modes
# --------------------------------------------------------------------------------------------
def _spread(ab: np.ndarray) -> float:
    flat = ab.reshape(-1, 2)
    return float(np.sqrt(np.mean(np.sum((flat - flat.mean(axis=0)) ** 2, axis=1))))


def ab_spread(image) -> float:
    """RMS distance (Lab units) of the ab values from their mean, pooled over images and pixels.

    ``sqrt(mean_pixels ||ab - mean(ab)||**2)``: the total standard deviation of the colors of a
    batch around its single average color. 0 for a constant color (or gray) batch.

    Args:
        image: RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.

    Returns:
        ``float`` >= 0 (Lab units).

    Raises:
        ValueError: for an invalid image.

    Example:
        >>> import numpy as np
        >>> ab_spread(np.full((4, 4, 3), 0.3, dtype=np.float32))
        0.0
    """
    batch, _ = _as_batch(image, "image")
    return _spread(_ab(batch))


def _sludge_from_ab(pred_ab, true_ab, reference_spread) -> float:
    if reference_spread is None:
        reference_spread = SLUDGE_REFERENCE_SPREAD if true_ab is None else _spread(true_ab)
    if reference_spread <= 0:
        # A colorless reference: any prediction keeps "all" of its (zero) variety.
        return 0.0
    return float(1.0 - np.clip(_spread(pred_ab) / reference_spread, 0.0, 1.0))


def sludge_score(pred, true=None, reference_spread: float | None = None) -> float:
    """How far predicted colors have collapsed towards one average ("sludge") color.

    ``sludge = 1 - clip(ab_spread(pred) / reference, 0, 1)``, where :func:`ab_spread` is the RMS
    distance of the predicted ab values from their single mean color, pooled over all images and
    pixels, and ``reference`` is, in order of precedence: ``reference_spread``, the spread of
    ``true`` (so sludge is the fraction of the truth's color variety that was lost, and the
    truth scores 0), or :data:`SLUDGE_REFERENCE_SPREAD` (20 Lab units). A constant (e.g. brown)
    prediction scores 1; a prediction at least as varied as the reference scores 0. It measures
    collapse, not dullness: pair it with :func:`chroma_ratio`. If the reference spread is 0 the
    score is 0.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Optional ground truth, same shape as ``pred``.
        reference_spread: Optional reference spread (Lab units, >= 0); overrides ``true``.

    Returns:
        ``float`` in [0, 1].

    Raises:
        ValueError: for invalid images, mismatched shapes or a negative ``reference_spread``.

    Example:
        >>> import numpy as np
        >>> brown = np.zeros((4, 4, 3), dtype=np.float32) + np.array([0.5, 0.35, 0.2], "float32")
        >>> sludge_score(brown)
        1.0
    """
    if reference_spread is not None:
        reference_spread = _checks.check_number("reference_spread", reference_spread, 0.0)
    if true is None:
        pred_batch, _ = _as_batch(pred, "pred")
        true_ab = None
    else:
        pred_batch, true_batch, _ = _as_pair(pred, true)
        true_ab = _ab(true_batch)
    return _sludge_from_ab(_ab(pred_batch), true_ab, reference_spread)


def _sepia_fraction(ab, hue_range, chroma_range) -> float:
    chroma, hue = _chroma_hue(ab)
    chromatic = chroma >= chroma_range[0]
    if not np.any(chromatic):
        return 0.0
    sepia = chromatic & (chroma <= chroma_range[1]) & (hue >= hue_range[0]) & (hue <= hue_range[1])
    return float(sepia.sum() / chromatic.sum())


def _sepia_from_ab(pred_ab, true_ab, hue_range, chroma_range) -> float:
    excess = _sepia_fraction(pred_ab, hue_range, chroma_range) - _sepia_fraction(
        true_ab, hue_range, chroma_range
    )
    return float(np.clip(excess, 0.0, 1.0))


def sepia_score(
    pred,
    true,
    hue_range: tuple[float, float] = SEPIA_HUE_RANGE,
    chroma_range: tuple[float, float] = SEPIA_CHROMA_RANGE,
) -> float:
    """Excess of orange-brown ("sepia") tint in the prediction over the truth.

    A pixel is *chromatic* when its Lab chroma ``C >= chroma_range[0]`` (default 5) and *sepia*
    when it is chromatic, ``C <= chroma_range[1]`` (default 40: a desaturated tint, not a vivid
    orange) and its hue ``h = atan2(b, a)`` lies in ``hue_range`` (default 40 to 90 degrees:
    orange-red to orange-yellow, where browns, sepia and skin tones sit). With
    ``f(x) = #sepia / #chromatic`` pixels pooled over the batch (0 if none is chromatic),
    ``sepia_score = clip(f(pred) - f(true), 0, 1)``. A sepia-toned prediction of a blue/green
    scene scores near 1; the truth scored against itself scores 0.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        hue_range: ``(low, high)`` hue angles in degrees, ``0 <= low < high <= 360``.
        chroma_range: ``(chromatic, desaturated)`` chroma limits, ``0 <= chromatic < desaturated``.

    Returns:
        ``float`` in [0, 1].

    Raises:
        ValueError: for invalid images, mismatched shapes or invalid ranges.

    Example:
        >>> import numpy as np
        >>> sepia = np.zeros((4, 4, 3), dtype=np.float32) + np.array([0.6, 0.45, 0.3], "float32")
        >>> blue = np.zeros((4, 4, 3), dtype=np.float32) + np.array([0.2, 0.3, 0.7], "float32")
        >>> sepia_score(sepia, blue), sepia_score(blue, blue)
        (1.0, 0.0)
    """
    hue_range, chroma_range = _check_sepia_ranges(hue_range, chroma_range)
    pred_batch, true_batch, _ = _as_pair(pred, true)
    return _sepia_from_ab(_ab(pred_batch), _ab(true_batch), hue_range, chroma_range)


def _false_color_counts(pred_ab, true_ab, limits=FALSE_COLOR_LIMITS) -> tuple[int, int]:
    """``(painted, neutral)``: near-neutral true pixels painted a clear color, and all of them."""
    neutral = np.hypot(true_ab[..., 0], true_ab[..., 1]) < limits[0]
    painted = np.hypot(pred_ab[..., 0], pred_ab[..., 1]) > limits[1]
    return int(np.count_nonzero(painted & neutral)), int(np.count_nonzero(neutral))


def _false_color_from_ab(pred_ab, true_ab, limits=FALSE_COLOR_LIMITS) -> float:
    painted, neutral = _false_color_counts(pred_ab, true_ab, limits)
    return painted / neutral if neutral else 0.0


def false_color_score(pred, true, limits: tuple[float, float] = FALSE_COLOR_LIMITS) -> float:
    """Share of near-neutral true pixels painted a clear color ("blotches").

    The failure opposite to sludge: an over-confident colorizer paints red or blue blotches on
    things that are gray (an elephant, a statue, snow, a road). Pooled over the batch, of the
    pixels whose *true* Lab chroma is below ``limits[0]`` (default 10), the fraction whose
    predicted chroma is above ``limits[1]`` (default 25). 0 when no true pixel is near-neutral.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        limits: ``(neutral, false)`` chroma limits in Lab units, ``0 < neutral <= false``.

    Returns:
        ``float`` in [0, 1]; the truth against itself scores 0, a gray prediction 0.

    Raises:
        ValueError: for invalid images, mismatched shapes or limits.

    Example:
        >>> import numpy as np
        >>> gray = np.full((4, 4, 3), 0.5, np.float32)
        >>> red = np.zeros((4, 4, 3), np.float32) + np.array([0.8, 0.2, 0.2], "float32")
        >>> false_color_score(red, gray), false_color_score(gray, gray)
        (1.0, 0.0)
    """
    if (
        not isinstance(limits, tuple | list)
        or len(limits) != 2
        or not 0 < float(limits[0]) <= float(limits[1])
    ):
        raise ValueError(
            f"limits must be (neutral, false) with 0 < neutral <= false. Received: {limits=}"
        )
    pred_batch, true_batch, _ = _as_pair(pred, true)
    return _false_color_from_ab(_ab(pred_batch), _ab(true_batch), tuple(map(float, limits)))


def false_color_bound(
    predictions, truths, quantile: float = 0.95, resamples: int = 2000, seed: int = 0
) -> float:
    """How high the pooled false-color score could be on another set of photos like these.

    The pooled score (:func:`false_color_score` over every pixel of the set) depends much on
    which photos hold the near-neutral pixels. This resamples the photos with replacement
    (bootstrap) and returns the ``quantile`` of the resampled pooled scores: a setting chosen
    on validation photos with this bound under a goal meets the goal on a new photo set with
    about that confidence.

    Args:
        predictions: Sequence of predicted RGB float32 ``(H_i, W_i, 3)`` in [0, 1].
        truths: Sequence of ground-truth RGB, the same shapes as ``predictions``.
        quantile: In [0, 1].
        resamples: Number of bootstrap resamples (int >= 1).
        seed: Seed of the resampling.

    Returns:
        ``float`` in [0, 1]; 0 when no true pixel is near-neutral.

    Raises:
        ValueError: For no photos, mismatched counts or shapes, or bad arguments.

    Example:
        >>> import numpy as np
        >>> gray = np.full((4, 4, 3), 0.5, np.float32)
        >>> red = np.zeros((4, 4, 3), np.float32) + np.array([0.8, 0.2, 0.2], "float32")
        >>> pooled = false_color_score(np.stack([red, gray]), np.stack([gray, gray]))
        >>> pooled, false_color_bound([red, gray], [gray, gray]) > pooled
        (0.5, True)
    """
    quantile = _checks.check_number("quantile", quantile, 0.0, 1.0)
    resamples = _checks.check_int("resamples", resamples)
    if len(predictions) != len(truths) or not len(truths):
        raise ValueError(
            "predictions and truths must be non-empty sequences of the same length. "
            f"Received: {len(predictions)} predictions, {len(truths)} truths"
        )
    counts = np.zeros((len(truths), 2))  # per photo: (painted, neutral)
    for index, (pred, true) in enumerate(zip(predictions, truths, strict=True)):
        pred_batch, true_batch, _ = _as_pair(pred, true)
        counts[index] = _false_color_counts(_ab(pred_batch), _ab(true_batch))
    painted, neutral = counts.T
    picks = np.random.default_rng(seed).integers(0, len(truths), (resamples, len(truths)))
    totals = neutral[picks].sum(axis=1)
    scores = np.divide(
        painted[picks].sum(axis=1), totals, out=np.zeros(resamples), where=totals > 0
    )
    return float(np.quantile(scores, quantile))


def _check_sepia_ranges(hue_range, chroma_range):
    try:
        low_hue, high_hue = (float(v) for v in hue_range)
        low_chroma, high_chroma = (float(v) for v in chroma_range)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "hue_range and chroma_range must be pairs of numbers. "
            f"Received: hue_range={hue_range!r}, chroma_range={chroma_range!r}"
        ) from error
    if not 0 <= low_hue < high_hue <= 360:
        raise ValueError(
            f"hue_range must satisfy 0 <= low < high <= 360. Received: hue_range={hue_range!r}"
        )
    if not 0 <= low_chroma < high_chroma:
        raise ValueError(
            "chroma_range must satisfy 0 <= chromatic < desaturated. "
            f"Received: chroma_range={chroma_range!r}"
        )
    return (low_hue, high_hue), (low_chroma, high_chroma)


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def evaluate_batch(pred, true, prior=None) -> dict[str, float]:
    """All metrics of a batch, as plain floats (per-image metrics are averaged).

    Keys: ``psnr`` (mean of finite per-image values; inf only if every image is exact),
    ``ssim``, ``colorfulness`` (of ``pred``), ``colorfulness_true``, ``auc_ab``,
    ``rebalanced_auc_ab`` (with ``prior``, or the prior of ``true``), ``chroma_ratio``,
    ``hue_agreement``, ``sludge_score`` (relative to ``true``), ``sepia_score``. Lab is computed
    once. ``ssim`` is nan for images smaller than 11 x 11; ``chroma_ratio`` and
    ``hue_agreement`` can be nan (with a warning) for gray truth.

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` or ``(N, H, W, 3)``.
        true: Ground-truth RGB, same shape as ``pred``.
        prior: Optional ``(Q,)`` bin prior for ``rebalanced_auc_ab``.

    Returns:
        ``dict[str, float]``.

    Raises:
        ValueError: for invalid images, mismatched shapes or an invalid prior.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).random((1, 12, 12, 3), dtype=np.float32)
        >>> scores = evaluate_batch(image, image)
        >>> scores["auc_ab"], scores["sludge_score"], scores["sepia_score"]
        (1.0, 0.0, 0.0)
    """
    pred_batch, true_batch, _ = _as_pair(pred, true)
    pred_ab, true_ab = _ab(pred_batch), _ab(true_batch)
    thresholds = AUC_THRESHOLDS
    psnr_values = np.asarray(psnr(pred_batch, true_batch))
    finite = psnr_values[np.isfinite(psnr_values)]
    small = min(pred_batch.shape[1:3]) < 2 * _SSIM_RADIUS + 1
    return {
        "psnr": float(finite.mean()) if finite.size else math.inf,
        "ssim": math.nan if small else float(np.mean(ssim(pred_batch, true_batch))),
        "colorfulness": float(np.mean(colorfulness(pred_batch))),
        "colorfulness_true": float(np.mean(colorfulness(true_batch))),
        "auc_ab": _area(
            thresholds, _ab_error_cdf_from_ab(pred_ab, true_ab, thresholds, False, None, None)
        ),
        "rebalanced_auc_ab": _area(
            thresholds, _ab_error_cdf_from_ab(pred_ab, true_ab, thresholds, True, prior, None)
        ),
        "chroma_ratio": _chroma_ratio_from_ab(pred_ab, true_ab),
        "hue_agreement": _hue_agreement_from_ab(pred_ab, true_ab, 5.0),
        "sludge_score": _sludge_from_ab(pred_ab, true_ab, None),
        "sepia_score": _sepia_from_ab(pred_ab, true_ab, SEPIA_HUE_RANGE, SEPIA_CHROMA_RANGE),
        "false_color_score": _false_color_from_ab(pred_ab, true_ab),
    }


def pooled_scores(predictions, truths, prior=None) -> dict:
    """AuC, rebalanced AuC and false-color score pooled over all pixels of a set of photos.

    Zhang et al. (2016) report the rebalanced AuC over the pixels of the whole test set, so a
    photo counts by its size and every color bin of the set counts equally; a per-photo mean
    (``evaluate_batch`` per photo, then averaged) weighs each photo's rare colors instead.

    Args:
        predictions: List of float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        truths: List of the true images, same shapes.
        prior: Optional ``(Q,)`` ab prior (default: that of all true pixels).

    Returns:
        ``{"auc_ab_pooled", "rebalanced_auc_ab_pooled", "false_color_score_pooled"}``.

    Raises:
        ValueError: For empty or mismatched lists, or invalid images.

    Example:
        >>> import numpy as np
        >>> image = np.random.default_rng(0).random((6, 5, 3), dtype=np.float32)
        >>> pooled_scores([image], [image])["rebalanced_auc_ab_pooled"]
        1.0
    """
    if len(predictions) != len(truths) or not truths:
        raise ValueError(
            "predictions and truths must be non-empty lists of the same length. "
            f"Received: len(predictions)={len(predictions)}, len(truths)={len(truths)}"
        )
    for predicted, truth in zip(predictions, truths, strict=True):
        _as_pair(predicted, truth)
    pred = np.concatenate([np.asarray(p, np.float32).reshape(-1, 1, 3) for p in predictions])
    true = np.concatenate([np.asarray(t, np.float32).reshape(-1, 1, 3) for t in truths])
    return {
        "auc_ab_pooled": auc_ab(pred, true),
        "rebalanced_auc_ab_pooled": rebalanced_auc_ab(pred, true, prior=prior),
        "false_color_score_pooled": false_color_score(pred, true),
    }


def psnr_gain_over_gray(predictions, truths) -> np.ndarray:
    """Per photo, the PSNR of a colorization minus the PSNR of its gray input (dB).

    The gray input is the truth's Lab lightness with a = b = 0 (``color.desaturate(truth,
    "lab")``), what a colorizer is given; a negative gain means the colors made the photo
    further from the truth than leaving it gray.

    Args:
        predictions: List of float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        truths: List of the true images, same shapes.

    Returns:
        float64 ``(N,)`` gains in dB (inf where the prediction is exact and gray is not).

    Raises:
        ValueError: For empty or mismatched lists, or invalid images.

    Example:
        >>> import numpy as np
        >>> truth = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
        >>> gray = color.desaturate(truth, method="lab")
        >>> psnr_gain_over_gray([gray], [truth]).tolist()
        [0.0]
    """
    if len(predictions) != len(truths) or not truths:
        raise ValueError(
            "predictions and truths must be non-empty lists of the same length. "
            f"Received: len(predictions)={len(predictions)}, len(truths)={len(truths)}"
        )
    gains = []
    for predicted, truth in zip(predictions, truths, strict=True):
        gray = color.desaturate(np.asarray(truth, np.float32), method="lab")
        gains.append(float(psnr(predicted, truth)) - float(psnr(gray, truth)))
    return np.asarray(gains, np.float64)


def harm_rate(gains, threshold_db: float = HARM_THRESHOLD_DB) -> float:
    """Share of photos a colorization made more than ``threshold_db`` worse than gray.

    Args:
        gains: Per-photo PSNR gains over the gray input (:func:`psnr_gain_over_gray`), dB.
        threshold_db: Harm threshold in dB, >= 0.

    Returns:
        The share in [0, 1].

    Raises:
        ValueError: For an empty or non-finite-threshold input.

    Example:
        >>> harm_rate([1.0, -0.5, -3.5, -4.0])
        0.5
    """
    threshold_db = _checks.check_number("threshold_db", threshold_db, low=0.0)
    gains = np.asarray(gains, np.float64).reshape(-1)
    if not gains.size or np.isnan(gains).any():
        raise ValueError(
            f"gains must be a non-empty sequence of numbers. Received: gains.shape={gains.shape}"
        )
    return float(np.mean(gains < -threshold_db))


def metrics_table(rows: Mapping[str, Mapping[str, object]], precision: int = 3) -> str:
    """A Markdown table with one row per model (or method) and one column per metric.

    Columns are the union of the metric names, in order of first appearance; a missing value is
    left blank; floats are printed with ``precision`` decimals.

    Args:
        rows: ``{row_name: {metric_name: value}}``, e.g. ``{"unet": evaluate_batch(p, t)}``.
        precision: Decimals for floats, >= 0.

    Returns:
        ``str``: a GitHub-flavoured Markdown table ending in a newline.

    Raises:
        TypeError: if ``rows`` or one of its values is not a mapping.
        ValueError: if ``rows`` is empty or ``precision < 0``.

    Example:
        >>> print(metrics_table({"unet": {"psnr": 24.51234, "auc_ab": 0.9}}), end="")
        | model | psnr | auc_ab |
        |---|---|---|
        | unet | 24.512 | 0.900 |
    """
    if not isinstance(rows, Mapping):
        raise TypeError(f"rows must be a dict of dicts. Received: type(rows)={type(rows)}")
    if not rows:
        raise ValueError("rows must not be empty. Received: rows={}")
    precision = _checks.check_int("precision", precision, minimum=0)
    columns: list[str] = []
    for name, row in rows.items():
        if not isinstance(row, Mapping):
            raise TypeError(
                f"Each row must be a dict of metrics. Received: type(rows[{name!r}])={type(row)}"
            )
        columns.extend(key for key in row if key not in columns)

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float | np.floating):
            return f"{value:.{precision}f}"
        return str(value).replace("|", "\\|")

    lines = [
        "| model | " + " | ".join(columns) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for name, row in rows.items():
        cells = [cell(row.get(column)) for column in columns]
        lines.append(f"| {cell(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Keras metrics (created lazily so that importing this module does not import Keras)
# --------------------------------------------------------------------------------------------
@functools.cache
def _keras_metrics() -> dict[str, type]:
    import keras  # lazy: keras takes seconds to import; the NumPy metrics (and viz) skip it
    from keras import ops  # (same reason)

    def ab_error(y_true, y_pred, ab_scale):
        diff = (ops.convert_to_tensor(y_pred) - ops.cast(y_true, y_pred.dtype)) * ab_scale
        return ops.sqrt(ops.sum(ops.square(diff), axis=-1) + 1e-12)

    def chroma_psnr(y_true, y_pred, data_range):
        diff = ops.convert_to_tensor(y_pred) - ops.cast(y_true, y_pred.dtype)
        axes = tuple(range(1, len(diff.shape)))
        mse = ops.maximum(ops.mean(ops.square(diff), axis=axes), 1e-10)
        return 10.0 * ops.log10(data_range**2 / mse)

    @keras.saving.register_keras_serializable(package="colorkit")
    class ABError(keras.metrics.MeanMetricWrapper):
        """Mean per-pixel Euclidean ab error in Lab units, from model-scale ab tensors.

        ``y_true`` and ``y_pred`` are ``(B, H, W, 2)`` ab / ``ab_scale`` (the ``unet`` output);
        the error ``||y_pred - y_true|| * ab_scale`` is averaged over pixels and batches.
        """

        def __init__(self, name="ab_error", dtype=None, ab_scale=float(color.AB_SCALE)):
            super().__init__(fn=ab_error, name=name, dtype=dtype, ab_scale=float(ab_scale))
            self.ab_scale = float(ab_scale)

        def get_config(self):
            return {"name": self.name, "dtype": self.dtype, "ab_scale": self.ab_scale}

    @keras.saving.register_keras_serializable(package="colorkit")
    class ChromaPSNR(keras.metrics.MeanMetricWrapper):
        """PSNR (dB) of the chroma channels only, per sample, averaged over batches.

        ``10 log10(data_range**2 / MSE)`` over all non-batch axes; ``data_range`` is 2 for
        model-scale ab in [-1, 1] (default) and 1 for model-scale uv in [0, 1]. The MSE is
        floored at 1e-10 (100 dB cap plus the range term) so an exact match stays finite.
        """

        def __init__(self, name="chroma_psnr", dtype=None, data_range=2.0):
            super().__init__(fn=chroma_psnr, name=name, dtype=dtype, data_range=float(data_range))
            self.data_range = float(data_range)

        def get_config(self):
            return {"name": self.name, "dtype": self.dtype, "data_range": self.data_range}

    return {"ABError": ABError, "ChromaPSNR": ChromaPSNR}


def __getattr__(name: str):
    if name in ("ABError", "ChromaPSNR"):
        return _keras_metrics()[name]
    raise AttributeError(f"module 'colorkit.metrics' has no attribute {name!r}")


# --------------------------------------------------------------------------------------------
# Predicted color distributions (classification models): how unsure is the network?
# --------------------------------------------------------------------------------------------
def _as_distributions(probabilities, bins) -> tuple[np.ndarray, np.ndarray]:
    bins = color.ab_bins() if bins is None else np.asarray(bins, dtype=np.float64)
    array = np.asarray(probabilities)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"Invalid probabilities dtype: expected floats. Received: dtype={array.dtype}"
        )
    if array.ndim < 1 or array.shape[-1] != len(bins):
        raise ValueError(
            f"Invalid probabilities shape: expected (..., {len(bins)}). "
            f"Received: probabilities.shape={array.shape}"
        )
    if array.size and (not np.all(np.isfinite(array)) or array.min() < 0):
        raise ValueError("Invalid probabilities values: expected finite values >= 0.")
    total = array.sum(axis=-1, keepdims=True, dtype=np.float64)
    if np.any(total <= 0):
        raise ValueError("Invalid probabilities values: every row needs a positive entry.")
    return array / total, bins


def distribution_entropy(probabilities, bins=None) -> np.ndarray:
    """Shannon entropy in bits of each predicted ab distribution (rows are renormalised).

    0 bits: the network is sure of one bin; ``log2(Q)`` (8.3 bits for 313 bins): it has no
    idea. An entropy of ``k`` bits is as unsure as a uniform choice among ``2**k`` bins.

    Args:
        probabilities: float array ``(..., Q)`` of non-negative bin probabilities.
        bins: optional ``(Q, 2)`` bin centres (only their number is used here).

    Returns:
        float64 array ``(...)`` in ``[0, log2(Q)]``.

    Raises:
        TypeError: for a non-float array.
        ValueError: for a wrong last axis, negative or non-finite values, or an all-zero row.

    Example:
        >>> sure = np.zeros(color.NUM_BINS)
        >>> sure[0] = 1.0
        >>> float(distribution_entropy(sure)), round(float(distribution_entropy(sure + 1.0)), 2)
        (0.0, 8.29)
    """
    normalised, _ = _as_distributions(probabilities, bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(normalised > 0, normalised * np.log2(normalised), 0.0)
    return np.maximum(-terms.sum(axis=-1), 0.0)


@functools.lru_cache(maxsize=4)
def _bin_neighbors(bins_key: bytes, count: int) -> np.ndarray:
    bins = np.frombuffer(bins_key, dtype=np.float64).reshape(count, 2)
    step = np.min(spatial.distance.pdist(bins)) if count > 1 else 1.0
    offset = np.abs(bins[:, None, :] - bins[None, :, :])
    neighbors = np.all(offset <= step * 1.01, axis=-1)
    np.fill_diagonal(neighbors, False)
    return neighbors


def count_modes(probabilities, bins=None, min_share: float = 0.1) -> np.ndarray:
    """Number of peaks of each predicted ab distribution on the grid of bins.

    A peak is a bin at least as probable as each of its (up to 8) grid neighbours and holding
    at least ``min_share`` of the row's largest probability, so that tiny ripples do not count.
    Two clear modes mean "this or that color": the case a regression model averages into sludge.

    Args:
        probabilities: float array ``(..., Q)`` of non-negative bin probabilities.
        bins: optional ``(Q, 2)`` bin centres on a square grid; defaults to ``color.ab_bins()``.
        min_share: a peak's probability relative to the row's maximum, in (0, 1].

    Returns:
        int array ``(...)``, >= 1.

    Raises:
        TypeError: for a non-float array.
        ValueError: for a wrong last axis, invalid values or ``min_share`` outside (0, 1].

    Example:
        >>> two = np.zeros(color.NUM_BINS)
        >>> two[[0, 200]] = 0.5, 0.4  # two bins far apart on the ab plane
        >>> int(count_modes(two)), int(count_modes(two, min_share=0.9))
        (2, 1)
    """
    min_share = _checks.check_number("min_share", min_share, 0.0, 1.0, open_low=True)
    normalised, bins = _as_distributions(probabilities, bins)
    neighbors = _bin_neighbors(np.ascontiguousarray(bins, np.float64).tobytes(), len(bins))
    flat = normalised.reshape(-1, len(bins))
    peaks = np.ones(flat.shape, dtype=bool)
    for index in range(len(bins)):  # a bin is a peak if no neighbour beats it
        around = np.flatnonzero(neighbors[index])
        if around.size:
            peaks[:, index] = flat[:, index] >= flat[:, around].max(axis=1)
    peaks &= flat >= float(min_share) * flat.max(axis=1, keepdims=True)
    return peaks.sum(axis=1).reshape(normalised.shape[:-1])
