"""Color science in NumPy: sRGB, CIE XYZ, CIE Lab, YUV, gray, and Zhang et al.'s ab bins.

All conventions follow ``docs/ARCHITECTURE.md``:

* RGB is gamma-encoded sRGB (IEC 61966-2-1), D65 white, 2 degree observer, float32 in [0, 1],
  channels last: ``(..., 3)``, e.g. ``(H, W, 3)`` or ``(N, H, W, 3)``.
* CIE XYZ is relative to Y = 1 for the white point (D65 white is ``D65_WHITE``).
* CIE Lab has L in [0, 100] and a, b within about +-110 for sRGB colors.
* YUV is Rec. 601 analog YUV (as used by Dahl): Y in [0, 1], U in [-U_MAX, U_MAX],
  V in [-V_MAX, V_MAX].

Every public function validates its input (``ValueError`` for wrong shape, dtype, range or
value; ``TypeError`` for something that is not numeric) and returns float32. Results that fall
outside the sRGB gamut are clipped to [0, 1] and reported with a :class:`GamutWarning`.

The RGB <-> XYZ matrix is derived from the sRGB primaries' chromaticities and the D65 white
``(0.95047, 1.0, 1.08883)``, as Bruce Lindbloom does; white therefore maps to Lab (100, 0, 0)
exactly and every gray has a = b = 0. scikit-image uses a slightly different matrix whose rows do
not sum to its own white point, so its a and b differ from ours by up to about 5e-3 (L by up to
about 1.5e-3); both are far below one just-noticeable difference (about 1 Lab unit).

This module imports NumPy only (no TensorFlow, no Keras); ``colorkit.color_ops`` implements the
same conversions on ``keras.ops`` tensors using the constants defined here.
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Iterable

import numpy as np

from colorkit import _checks

__all__ = [
    "AB_SCALE",
    "CIE_EPSILON",
    "CIE_KAPPA",
    "D65_WHITE",
    "GRID_SIZE",
    "GamutWarning",
    "L_SCALE",
    "MODE_TEMPERATURE",
    "NUM_BINS",
    "REC601_LUMA",
    "REC709_LUMA",
    "RGB_FROM_XYZ",
    "RGB_FROM_YUV",
    "U_MAX",
    "UV_MAX",
    "V_MAX",
    "XYZ_FROM_RGB",
    "YUV_FROM_RGB",
    "ab_bins",
    "ab_prior",
    "annealed_mean",
    "decode_lab",
    "decode_yuv",
    "desaturate",
    "encode_lab",
    "encode_yuv",
    "lab_to_rgb",
    "lab_to_xyz",
    "luminance",
    "rebalancing_weights",
    "rgb_to_lab",
    "rgb_to_xyz",
    "rgb_to_yuv",
    "soft_encode",
    "validate_lab",
    "validate_rgb",
    "xyz_to_lab",
    "xyz_to_rgb",
    "yuv_to_rgb",
]

# --------------------------------------------------------------------------------------------
# Constants (the only place in colorkit where these numbers live)
# --------------------------------------------------------------------------------------------

#: Model-scale lightness: ``L_model = L / L_SCALE`` in [0, 1].
L_SCALE = 100.0
#: Model-scale chroma: ``ab_model = ab / AB_SCALE``, about [-1, 1] for sRGB colors.
AB_SCALE = 110.0
#: Rec. 601 analog YUV chroma ranges: U in [-U_MAX, U_MAX], V in [-V_MAX, V_MAX].
U_MAX = 0.436
V_MAX = 0.615
#: ``[U_MAX, V_MAX]`` as a float32 array (for model-scale UV).
UV_MAX = np.array([U_MAX, V_MAX], dtype=np.float32)
#: Spacing of Zhang et al.'s quantized ab grid, in Lab units.
GRID_SIZE = 10
#: Number of in-gamut ab bins for ``GRID_SIZE`` (``len(ab_bins())``; tested).
NUM_BINS = 313
#: Below this temperature ``annealed_mean`` returns the mode (argmax) directly.
#: Annealed-mean temperature of Zhang et al. 2016 (the paper's choice): the default of every
#: decoding that takes a temperature (a model's saved setting, when it has one, comes first).
DEFAULT_TEMPERATURE = 0.38
MODE_TEMPERATURE = 1e-3

#: D65 reference white in XYZ (2 degree observer), Y normalised to 1.
D65_WHITE = np.array([0.95047, 1.0, 1.08883], dtype=np.float64)
#: CIE constants of the Lab transfer function: epsilon = (6/29)^3, kappa = (29/3)^3.
CIE_EPSILON = 216.0 / 24389.0
CIE_KAPPA = 24389.0 / 27.0
#: sRGB (IEC 61966-2-1) transfer-function constants.
SRGB_ENCODED_THRESHOLD = 0.04045
SRGB_LINEAR_THRESHOLD = 0.0031308
SRGB_SLOPE = 12.92
SRGB_OFFSET = 0.055
SRGB_GAMMA = 2.4

#: Luma weights (R, G, B) on gamma-encoded values.
REC601_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)
REC709_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float64)

_SRGB_PRIMARIES_XY = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]], dtype=np.float64)


def _rgb_to_xyz_matrix(primaries_xy: np.ndarray, white_xyz: np.ndarray) -> np.ndarray:
    """Linear-RGB -> XYZ matrix from primary chromaticities and the white point (Lindbloom)."""
    x, y = primaries_xy[:, 0], primaries_xy[:, 1]
    primaries_xyz = np.stack([x / y, np.ones(3), (1.0 - x - y) / y])  # columns: R, G, B
    scale = np.linalg.solve(primaries_xyz, white_xyz)
    return primaries_xyz * scale


def _yuv_matrix(luma: np.ndarray, u_max: float, v_max: float) -> np.ndarray:
    """Analog YUV matrix: Y = luma . rgb, U ~ (B - Y), V ~ (R - Y), scaled to +-u_max, +-v_max."""
    blue = np.array([0.0, 0.0, 1.0])
    red = np.array([1.0, 0.0, 0.0])
    return np.stack(
        [
            luma,
            u_max / (1.0 - luma[2]) * (blue - luma),
            v_max / (1.0 - luma[0]) * (red - luma),
        ]
    )


#: Linear sRGB -> XYZ (D65) and its inverse, float64 (3, 3). Use as ``xyz = rgb @ M.T``.
XYZ_FROM_RGB = _rgb_to_xyz_matrix(_SRGB_PRIMARIES_XY, D65_WHITE)
RGB_FROM_XYZ = np.linalg.inv(XYZ_FROM_RGB)
#: Gamma-encoded RGB -> Rec. 601 analog YUV and its inverse, float64 (3, 3).
YUV_FROM_RGB = _yuv_matrix(REC601_LUMA, U_MAX, V_MAX)
RGB_FROM_YUV = np.linalg.inv(YUV_FROM_RGB)

for _constant in (D65_WHITE, REC601_LUMA, REC709_LUMA, XYZ_FROM_RGB, RGB_FROM_XYZ, UV_MAX):
    _constant.flags.writeable = False
for _constant in (YUV_FROM_RGB, RGB_FROM_YUV):
    _constant.flags.writeable = False
del _constant

_RANGE_TOLERANCE = 1e-6  # RGB / model-scale values this far outside [0, 1] are clipped silently
_L_TOLERANCE = 1e-3  # Lab L this far outside [0, 100] is clipped silently (float32 round-off)
_GAMUT_TOLERANCE = 1e-4  # linear or encoded RGB this far outside [0, 1] is not reported
_CHUNK_ROWS = 16384  # pixels per chunk in the nearest-bin search (16384 x 313 float32 = 20 MB)
_METHODS = ("lab", "rec601", "rec709", "mean")


class GamutWarning(UserWarning):
    """Some converted pixels fell outside the sRGB gamut and were clipped to [0, 1]."""


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _as_float_array(value, name: str, channels: int | None, description: str) -> np.ndarray:
    """Converts to a float32 array with ``channels`` last; checks dtype, shape and finiteness."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested lists and the like
        raise TypeError(
            f"Invalid {name} type: expected a float array of shape {description}. "
            f"Received: type({name})={type(value).__name__} ({error})"
        ) from error
    kind = array.dtype.kind
    if kind in "biu":
        scale = "65535" if array.dtype.itemsize >= 2 and kind == "u" else "255"
        raise ValueError(
            f"Invalid {name} dtype: expected floating point values, not {array.dtype}. Convert "
            f"integer images at the file boundary, e.g. `{name}.astype(np.float32) / {scale}` "
            f"(colorkit.data.read_image does this). Received: {name}.dtype={array.dtype}"
        )
    if kind != "f":
        raise TypeError(
            f"Invalid {name} type: expected a float array of shape {description}. "
            f"Received: {name}.dtype={array.dtype} (type {type(value).__name__})"
        )
    if channels is not None:
        if array.ndim == 0:
            raise ValueError(
                f"Invalid {name} rank: expected an array of shape {description}. "
                f"Received: {name}.shape={array.shape}"
            )
        if array.shape[-1] != channels:
            hint = ""
            if channels == 3 and array.ndim == 2:
                hint = (
                    " A 2-D array looks like a grayscale image; stack it to RGB with "
                    f"`np.repeat({name}[..., None], 3, axis=-1)`."
                )
            raise ValueError(
                f"Invalid {name} shape: expected {channels} channels last, {description}.{hint} "
                f"Received: {name}.shape={array.shape}"
            )
    array = array.astype(np.float32, copy=False)
    if array.size:
        low, high = float(array.min()), float(array.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            count = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise ValueError(
                f"Invalid {name} values: expected finite floats. "
                f"Received: {name} with {count} NaN or infinite entries"
            )
    return array


def _check_range(array: np.ndarray, name: str, low: float, high: float, tolerance: float):
    """Raises if ``array`` leaves [low, high] by more than ``tolerance``; clips small excursions."""
    if not array.size:
        return array
    minimum, maximum = float(array.min()), float(array.max())
    if minimum < low - tolerance or maximum > high + tolerance:
        raise ValueError(
            f"Invalid {name} values: expected floats in [{low:g}, {high:g}]. "
            f"Received: {name} with min={minimum:.6g}, max={maximum:.6g}"
        )
    if minimum < low or maximum > high:
        array = np.clip(array, low, high)
    return array


def validate_rgb(image, name: str = "image") -> np.ndarray:
    """Checks an RGB image (batch) and returns it as float32 in [0, 1].

    Args:
        image: array-like of shape ``(..., 3)``, e.g. ``(H, W, 3)`` or ``(N, H, W, 3)``, float,
            gamma-encoded sRGB in [0, 1].
        name: the argument's name, used in error messages.

    Returns:
        float32 array of the same shape in [0, 1] (the input itself when it is already a
        valid float32 array; values within 1e-6 outside [0, 1] are clipped in a copy).

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: for a wrong rank or channel count, an integer dtype (uint8 and uint16
            images must be scaled to [0, 1] first), NaN or infinite values, or values outside
            [0, 1].

    Example:
        >>> validate_rgb(np.ones((2, 2, 3))).dtype
        dtype('float32')
        >>> validate_rgb(np.zeros((32, 32)))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Invalid image shape: ... Received: image.shape=(32, 32)
    """
    array = _as_float_array(image, name, 3, "(..., 3) such as (H, W, 3) or (N, H, W, 3)")
    return _check_range(array, name, 0.0, 1.0, _RANGE_TOLERANCE)


def validate_lab(lab, name: str = "lab") -> np.ndarray:
    """Checks a CIE Lab image (batch) and returns it as float32.

    Args:
        lab: array-like of shape ``(..., 3)``, float, L in [0, 100], a and b finite (about
            +-110 for sRGB colors; larger values are allowed and end up out of gamut).
        name: the argument's name, used in error messages.

    Returns:
        float32 array of the same shape (L within 1e-3 outside [0, 100] is clipped in a copy).

    Raises:
        TypeError: if ``lab`` is not numeric.
        ValueError: for a wrong shape, an integer dtype (e.g. OpenCV's 8-bit Lab), NaN or
            infinite values, or L outside [0, 100].

    Example:
        >>> validate_lab([[50.0, 10.0, -10.0]]).shape
        (1, 3)
    """
    array = _as_float_array(lab, name, 3, "(..., 3) with channels (L, a, b)")
    if array.size:
        lightness = array[..., 0]
        low, high = float(lightness.min()), float(lightness.max())
        if low < -_L_TOLERANCE or high > L_SCALE + _L_TOLERANCE:
            raise ValueError(
                f"Invalid {name} values: expected L (channel 0) in [0, 100]. Received: {name} "
                f"with L min={low:.6g}, max={high:.6g} (model-scale L must be multiplied by "
                "L_SCALE first, or use decode_lab)"
            )
        if low < 0.0 or high > L_SCALE:
            array = array.copy()
            np.clip(array[..., 0], 0.0, L_SCALE, out=array[..., 0])
    return array


def _validate_xyz(xyz, name: str = "xyz") -> np.ndarray:
    return _as_float_array(xyz, name, 3, "(..., 3) with channels (X, Y, Z)")


def _validate_ab(ab, name: str = "ab") -> np.ndarray:
    return _as_float_array(ab, name, 2, "(..., 2) with channels (a, b) in Lab units")


def _validate_method(method) -> str:
    if method not in _METHODS:
        raise ValueError(f"Invalid method: expected one of {_METHODS}. Received: method={method!r}")
    return method


def _resolve_bins(bins) -> np.ndarray:
    if bins is None:
        return ab_bins()
    array = _as_float_array(bins, "bins", 2, "(Q, 2) with bin centres (a, b) in Lab units")
    if array.ndim != 2 or array.shape[0] < 1:
        raise ValueError(
            f"Invalid bins shape: expected (Q, 2) with Q >= 1. Received: bins.shape={array.shape}"
        )
    return array


# --------------------------------------------------------------------------------------------
# Conversion cores (no validation; dtype-generic so that ab_bins can work in float64)
# --------------------------------------------------------------------------------------------


def _apply_matrix(values: np.ndarray, matrix: np.ndarray, out=None) -> np.ndarray:
    """``values @ matrix.T`` over the last axis (optionally into ``out``).

    Large inputs are multiplied in chunks of ``_MATMUL_CHUNK`` rows: a tall-skinny (N, 3) GEMM
    makes OpenBLAS start all its threads, which is 10-40x slower than one thread per chunk when
    another process (a training run, the test suite) keeps the other cores busy.
    """
    flat = values.reshape(-1, 3)
    transposed = np.ascontiguousarray(matrix.T, dtype=values.dtype)
    result = np.empty_like(flat) if out is None else out.reshape(-1, 3)
    for start in range(0, flat.shape[0], _MATMUL_CHUNK):
        stop = start + _MATMUL_CHUNK
        np.matmul(flat[start:stop], transposed, out=result[start:stop])
    return result.reshape(values.shape)


_MATMUL_CHUNK = 16384


# Big arrays are allocated fresh (mmap) by the C library, so every temporary costs page faults:
# the cores below write piecewise results with ufunc ``where=`` masks into as few buffers as
# possible (the ``np.where`` idiom without its extra output array). ``out`` must not alias the
# input; ``overwrite=True`` lets a core reuse an input that the caller no longer needs.


def _srgb_to_linear(rgb: np.ndarray, out=None) -> np.ndarray:
    scalar = rgb.dtype.type  # constants in the array's dtype: float32 stays float32
    out = np.add(rgb, scalar(SRGB_OFFSET), out=np.empty_like(rgb) if out is None else out)
    out /= scalar(1.0 + SRGB_OFFSET)  # a division keeps white exactly 1
    np.power(out, scalar(SRGB_GAMMA), out=out)
    low = rgb <= scalar(SRGB_ENCODED_THRESHOLD)
    np.multiply(rgb, scalar(1.0 / SRGB_SLOPE), out=out, where=low)
    return out


def _linear_to_srgb(linear: np.ndarray, out=None) -> np.ndarray:
    """Gamma-encodes linear values that are already in [0, 1]."""
    scalar = linear.dtype.type
    out = np.empty_like(linear) if out is None else out
    np.power(linear, scalar(1.0 / SRGB_GAMMA), out=out)
    out *= scalar(1.0 + SRGB_OFFSET)
    out -= scalar(SRGB_OFFSET)
    low = linear <= scalar(SRGB_LINEAR_THRESHOLD)
    np.multiply(linear, scalar(SRGB_SLOPE), out=out, where=low)
    return out


# f = (f(X/Xw), f(Y/Yw), f(Z/Zw)) -> Lab is linear: Lab = f @ _LAB_FROM_F.T + (-16, 0, 0).
_LAB_FROM_F = np.array([[0.0, 116.0, 0.0], [500.0, -500.0, 0.0], [0.0, 200.0, -200.0]])
# ... and its inverse: f = Lab @ _F_FROM_LAB.T + 16 / 116.
_F_FROM_LAB = np.array(
    [[1 / 116.0, 1 / 500.0, 0.0], [1 / 116.0, 0.0, 0.0], [1 / 116.0, 0.0, -1 / 200.0]]
)


def _rgb_to_xyz(rgb: np.ndarray) -> np.ndarray:
    return _apply_matrix(_srgb_to_linear(rgb), XYZ_FROM_RGB)


def _xyz_to_lab(xyz: np.ndarray, overwrite: bool = False) -> np.ndarray:
    scalar = xyz.dtype.type
    ratio = np.multiply(xyz, (1.0 / D65_WHITE).astype(xyz.dtype), out=xyz if overwrite else None)
    f = np.cbrt(ratio)
    low = ratio <= scalar(CIE_EPSILON)
    np.multiply(ratio, scalar(CIE_KAPPA / 116.0), out=f, where=low)
    np.add(f, scalar(16.0 / 116.0), out=f, where=low)
    lab = _apply_matrix(f, _LAB_FROM_F, out=ratio)
    lab[..., 0] -= scalar(16.0)
    return lab


def _lab_to_xyz(lab: np.ndarray) -> np.ndarray:
    scalar = lab.dtype.type
    f = _apply_matrix(lab, _F_FROM_LAB)
    f += scalar(16.0 / 116.0)
    xyz = np.multiply(f, f)
    xyz *= f
    low = f <= scalar(6.0 / 29.0)  # f^3 <= CIE_EPSILON
    np.multiply(f, scalar(116.0 / CIE_KAPPA), out=xyz, where=low)
    np.subtract(xyz, scalar(16.0 / CIE_KAPPA), out=xyz, where=low)
    xyz *= D65_WHITE.astype(lab.dtype)
    return xyz


def _clip_to_gamut(values: np.ndarray, caller: str | None) -> tuple[np.ndarray, int]:
    """Clips RGB values to [0, 1] in place; returns them and the count of pixels beyond tolerance.

    With a ``caller`` name a nonzero count is also reported as a :class:`GamutWarning`.
    """
    count = 0
    if values.size:
        low, high = float(values.min()), float(values.max())
        if low < -_GAMUT_TOLERANCE or high > 1.0 + _GAMUT_TOLERANCE:
            outside = (values < -_GAMUT_TOLERANCE) | (values > 1.0 + _GAMUT_TOLERANCE)
            count = int(np.count_nonzero(outside.any(axis=-1)))
            total = values.size // values.shape[-1]
            if caller is not None:
                warnings.warn(
                    f"{caller}: {count} of {total} pixels were outside the sRGB gamut and were "
                    "clipped to [0, 1].",
                    GamutWarning,
                    stacklevel=4,
                )
    return np.clip(values, 0.0, 1.0, out=values), count


def _xyz_to_rgb(
    xyz: np.ndarray, caller: str | None, overwrite: bool = False
) -> tuple[np.ndarray, int]:
    linear, count = _clip_to_gamut(_apply_matrix(xyz, RGB_FROM_XYZ), caller)
    return _linear_to_srgb(linear, out=xyz if overwrite else None), count


def _yuv_to_rgb(yuv: np.ndarray, caller: str | None) -> tuple[np.ndarray, int]:
    return _clip_to_gamut(_apply_matrix(yuv, RGB_FROM_YUV), caller)


# --------------------------------------------------------------------------------------------
# Public conversions
# --------------------------------------------------------------------------------------------


def rgb_to_xyz(image) -> np.ndarray:
    """Converts gamma-encoded sRGB to CIE XYZ (D65, Y of white = 1).

    Args:
        image: float array ``(..., 3)``, sRGB in [0, 1].

    Returns:
        float32 array ``(..., 3)``: X in [0, 0.9505], Y in [0, 1], Z in [0, 1.0888].

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: if ``image`` fails :func:`validate_rgb`.

    Example:
        >>> np.round(rgb_to_xyz([1.0, 1.0, 1.0]), 4)
        array([0.9505, 1.    , 1.0888], dtype=float32)
    """
    return _rgb_to_xyz(validate_rgb(image))


def xyz_to_rgb(xyz) -> np.ndarray:
    """Converts CIE XYZ (D65) to gamma-encoded sRGB, clipping out-of-gamut values.

    Args:
        xyz: float array ``(..., 3)``, finite (Y of white = 1).

    Returns:
        float32 array ``(..., 3)`` in [0, 1].

    Raises:
        TypeError: if ``xyz`` is not numeric.
        ValueError: for a wrong shape, an integer dtype, or NaN / infinite values.

    Warns:
        GamutWarning: with the number of pixels that were clipped into the sRGB gamut.

    Example:
        >>> np.round(xyz_to_rgb(D65_WHITE), 4)
        array([1., 1., 1.], dtype=float32)
    """
    return _xyz_to_rgb(_validate_xyz(xyz), "xyz_to_rgb")[0]


def xyz_to_lab(xyz) -> np.ndarray:
    """Converts CIE XYZ (D65) to CIE Lab.

    Args:
        xyz: float array ``(..., 3)``, finite (Y of white = 1).

    Returns:
        float32 array ``(..., 3)``: L in [0, 100] for Y in [0, 1], a and b in Lab units.

    Raises:
        TypeError: if ``xyz`` is not numeric.
        ValueError: for a wrong shape, an integer dtype, or NaN / infinite values.

    Example:
        >>> np.round(xyz_to_lab(D65_WHITE), 3) + 0.0
        array([100.,   0.,   0.], dtype=float32)
    """
    return _xyz_to_lab(_validate_xyz(xyz))


def lab_to_xyz(lab) -> np.ndarray:
    """Converts CIE Lab to CIE XYZ (D65, Y of white = 1).

    Args:
        lab: float array ``(..., 3)``, L in [0, 100], a and b finite.

    Returns:
        float32 array ``(..., 3)``.

    Raises:
        TypeError: if ``lab`` is not numeric.
        ValueError: if ``lab`` fails :func:`validate_lab`.

    Example:
        >>> np.round(lab_to_xyz([100.0, 0.0, 0.0]), 4)
        array([0.9505, 1.    , 1.0888], dtype=float32)
    """
    return _lab_to_xyz(validate_lab(lab))


def rgb_to_lab(image) -> np.ndarray:
    """Converts gamma-encoded sRGB to CIE Lab (D65, 2 degree observer).

    ``rgb_to_lab(x) == xyz_to_lab(rgb_to_xyz(x))``. Agrees with Bruce Lindbloom's reference
    values to 1e-3 and with ``skimage.color.rgb2lab`` to about 5e-3 (see the module docstring).

    Args:
        image: float array ``(..., 3)``, sRGB in [0, 1], e.g. ``(H, W, 3)`` or ``(N, H, W, 3)``.

    Returns:
        float32 array ``(..., 3)``: L in [0, 100], a in about [-86, 98], b in about [-108, 95].

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: if ``image`` fails :func:`validate_rgb`.

    Example:
        >>> np.round(rgb_to_lab([1.0, 0.0, 0.0]), 2)
        array([53.24, 80.09, 67.2 ], dtype=float32)
    """
    return _xyz_to_lab(_rgb_to_xyz(validate_rgb(image)), overwrite=True)


def lab_to_rgb(lab) -> np.ndarray:
    """Converts CIE Lab to gamma-encoded sRGB, clipping out-of-gamut colors.

    ``lab_to_rgb(x) == xyz_to_rgb(lab_to_xyz(x))``.

    Args:
        lab: float array ``(..., 3)``, L in [0, 100], a and b finite.

    Returns:
        float32 array ``(..., 3)`` in [0, 1].

    Raises:
        TypeError: if ``lab`` is not numeric.
        ValueError: if ``lab`` fails :func:`validate_lab`.

    Warns:
        GamutWarning: with the number of pixels that were clipped into the sRGB gamut.

    Example:
        >>> np.round(lab_to_rgb([53.2408, 80.0925, 67.2032]), 3) + 0.0
        array([1., 0., 0.], dtype=float32)
    """
    return _xyz_to_rgb(_lab_to_xyz(validate_lab(lab)), "lab_to_rgb", overwrite=True)[0]


def rgb_to_yuv(image) -> np.ndarray:
    """Converts gamma-encoded sRGB to Rec. 601 analog YUV (Dahl's color space).

    ``Y = 0.299 R + 0.587 G + 0.114 B``, ``U = U_MAX (B - Y) / (1 - 0.114)``,
    ``V = V_MAX (R - Y) / (1 - 0.299)``.

    Args:
        image: float array ``(..., 3)``, sRGB in [0, 1].

    Returns:
        float32 array ``(..., 3)``: Y in [0, 1], U in [-U_MAX, U_MAX], V in [-V_MAX, V_MAX].

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: if ``image`` fails :func:`validate_rgb`.

    Example:
        >>> np.round(rgb_to_yuv([0.0, 0.0, 1.0]), 3)
        array([ 0.114,  0.436, -0.1  ], dtype=float32)
    """
    return _apply_matrix(validate_rgb(image), YUV_FROM_RGB)


def yuv_to_rgb(yuv) -> np.ndarray:
    """Converts Rec. 601 analog YUV to gamma-encoded sRGB, clipping out-of-gamut colors.

    Args:
        yuv: float array ``(..., 3)``: Y in [0, 1], U and V finite (in gamut when
            ``|U| <= U_MAX`` and ``|V| <= V_MAX`` and the resulting RGB is in [0, 1]).

    Returns:
        float32 array ``(..., 3)`` in [0, 1].

    Raises:
        TypeError: if ``yuv`` is not numeric.
        ValueError: for a wrong shape, an integer dtype, NaN / infinite values, or Y outside
            [0, 1].

    Warns:
        GamutWarning: with the number of pixels that were clipped into the sRGB gamut.

    Example:
        >>> np.round(yuv_to_rgb([0.114, 0.436, -0.1]), 3) + 0.0
        array([0., 0., 1.], dtype=float32)
    """
    array = _as_float_array(yuv, "yuv", 3, "(..., 3) with channels (Y, U, V)")
    _check_range(array[..., 0], "yuv[..., 0] (Y)", 0.0, 1.0, _RANGE_TOLERANCE)
    return _yuv_to_rgb(array, "yuv_to_rgb")[0]


# --------------------------------------------------------------------------------------------
# Gray
# --------------------------------------------------------------------------------------------


def luminance(image, method: str = "lab") -> np.ndarray:
    """Computes a one-channel brightness of an RGB image.

    Methods:

    * ``"lab"``: CIE lightness ``L / L_SCALE`` (the model-scale L of :func:`encode_lab`).
    * ``"rec601"``: luma ``0.299 R + 0.587 G + 0.114 B`` on gamma-encoded values (the Y of
      :func:`rgb_to_yuv`, Dahl's input).
    * ``"rec709"``: luma ``0.2126 R + 0.7152 G + 0.0722 B`` on gamma-encoded values.
    * ``"mean"``: ``(R + G + B) / 3``.

    Args:
        image: float array ``(..., 3)``, sRGB in [0, 1].
        method: one of ``"lab"``, ``"rec601"``, ``"rec709"``, ``"mean"``.

    Returns:
        float32 array ``(...)`` (the channel axis removed) in [0, 1].

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: if ``image`` fails :func:`validate_rgb` or ``method`` is unknown.

    Example:
        >>> np.round(luminance([0.0, 1.0, 0.0], method="rec601"), 3)
        np.float32(0.587)
    """
    method = _validate_method(method)
    rgb = validate_rgb(image)
    if method == "lab":
        result = _xyz_to_lab(_rgb_to_xyz(rgb), overwrite=True)[..., 0] / L_SCALE
    elif method == "mean":
        result = rgb.mean(axis=-1, dtype=np.float32)
    else:
        weights = REC601_LUMA if method == "rec601" else REC709_LUMA
        result = rgb @ weights.astype(np.float32)
    return np.clip(result, 0.0, 1.0).astype(np.float32, copy=False)


def desaturate(image, method: str = "lab") -> np.ndarray:
    """Turns an RGB image gray (R = G = B), keeping a brightness measure.

    With ``method="lab"`` the result has the same CIE lightness L as the input and a = b = 0
    (the gray a Lab colorization model sees); it is computed directly as the gamma-encoded
    relative luminance Y, which is what setting a = b = 0 in Lab gives. The other methods
    replicate :func:`luminance` over the three channels.

    Args:
        image: float array ``(..., 3)``, sRGB in [0, 1].
        method: one of ``"lab"``, ``"rec601"``, ``"rec709"``, ``"mean"``.

    Returns:
        float32 array ``(..., 3)`` in [0, 1] with three equal channels.

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: if ``image`` fails :func:`validate_rgb` or ``method`` is unknown.

    Example:
        >>> np.round(desaturate([1.0, 0.0, 0.0]), 2)
        array([0.5, 0.5, 0.5], dtype=float32)
    """
    method = _validate_method(method)
    if method == "lab":
        rgb = validate_rgb(image)
        relative_luminance = _srgb_to_linear(rgb) @ XYZ_FROM_RGB[1].astype(np.float32)
        gray = _linear_to_srgb(np.clip(relative_luminance, 0.0, 1.0))
    else:
        gray = luminance(image, method)
    return np.repeat(gray[..., None], 3, axis=-1)


# --------------------------------------------------------------------------------------------
# Model scale
# --------------------------------------------------------------------------------------------


def encode_lab(image) -> tuple[np.ndarray, np.ndarray]:
    """Converts RGB to the model-scale Lab pair ``(L / L_SCALE, ab / AB_SCALE)``.

    Args:
        image: float array ``(..., 3)``, sRGB in [0, 1].

    Returns:
        ``(lightness, ab)``: float32 ``(..., 1)`` in [0, 1] and float32 ``(..., 2)`` in about
        [-1, 1].

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: if ``image`` fails :func:`validate_rgb`.

    Example:
        >>> lightness, ab = encode_lab(np.ones((4, 4, 3)))
        >>> lightness.shape, ab.shape, float(lightness.max())
        ((4, 4, 1), (4, 4, 2), 1.0)
    """
    lab = rgb_to_lab(image)
    return lab[..., :1] / np.float32(L_SCALE), lab[..., 1:] / np.float32(AB_SCALE)


def _split_pair(first, second, first_name, second_name, first_channels, second_channels):
    first = _as_float_array(
        first, first_name, first_channels, f"(..., {first_channels}) in model scale"
    )
    second = _as_float_array(
        second, second_name, second_channels, f"(..., {second_channels}) in model scale"
    )
    if first.shape[:-1] != second.shape[:-1]:
        raise ValueError(
            f"Invalid {first_name} / {second_name} shapes: expected the same leading shape. "
            f"Received: {first_name}.shape={first.shape}, {second_name}.shape={second.shape}"
        )
    return first, second


def decode_lab(lightness, ab, *, return_clipped: bool = False):
    """Converts a model-scale Lab pair back to RGB (inverse of :func:`encode_lab`).

    Args:
        lightness: float array ``(..., 1)``, ``L / L_SCALE`` in [0, 1].
        ab: float array ``(..., 2)``, ``ab / AB_SCALE`` (about [-1, 1]; finite).
        return_clipped: If True, return ``(rgb, clipped_pixels)`` and do not warn.

    Returns:
        float32 array ``(..., 3)``, sRGB in [0, 1] (with ``return_clipped``: and the int count
        of pixels clipped into the sRGB gamut).

    Raises:
        TypeError: if an input is not numeric.
        ValueError: for wrong shapes, integer dtypes, NaN / infinite values, or lightness
            outside [0, 1].

    Warns:
        GamutWarning: with the number of pixels that were clipped into the sRGB gamut.

    Example:
        >>> np.round(decode_lab(np.full((1, 1), 0.5), np.zeros((1, 2))), 3)
        array([[0.466, 0.466, 0.466]], dtype=float32)
    """
    lightness, ab = _split_pair(lightness, ab, "lightness", "ab", 1, 2)
    lightness = _check_range(lightness, "lightness", 0.0, 1.0, _RANGE_TOLERANCE)
    lab = np.concatenate([lightness * np.float32(L_SCALE), ab * np.float32(AB_SCALE)], axis=-1)
    rgb, clipped = _xyz_to_rgb(
        _lab_to_xyz(lab), None if return_clipped else "decode_lab", overwrite=True
    )
    return (rgb, clipped) if return_clipped else rgb


def encode_yuv(image) -> tuple[np.ndarray, np.ndarray]:
    """Converts RGB to Dahl's model-scale pair ``(Y, (uv / [U_MAX, V_MAX] + 1) / 2)``.

    Args:
        image: float array ``(..., 3)``, sRGB in [0, 1].

    Returns:
        ``(y, uv)``: float32 ``(..., 1)`` in [0, 1] and float32 ``(..., 2)`` in [0, 1]
        (0.5 is gray; a sigmoid output).

    Raises:
        TypeError: if ``image`` is not numeric.
        ValueError: if ``image`` fails :func:`validate_rgb`.

    Example:
        >>> y, uv = encode_yuv(np.full((1, 3), 0.5))
        >>> np.round(y, 3), np.round(uv, 3)
        (array([[0.5]], dtype=float32), array([[0.5, 0.5]], dtype=float32))
    """
    yuv = rgb_to_yuv(image)
    uv = (yuv[..., 1:] / UV_MAX + 1.0) / 2.0
    return np.ascontiguousarray(yuv[..., :1]), uv


def decode_yuv(y, uv, *, return_clipped: bool = False):
    """Converts Dahl's model-scale pair back to RGB (inverse of :func:`encode_yuv`).

    Args:
        y: float array ``(..., 1)``, luma in [0, 1].
        uv: float array ``(..., 2)``, model-scale chroma in [0, 1].
        return_clipped: If True, return ``(rgb, clipped_pixels)`` and do not warn.

    Returns:
        float32 array ``(..., 3)``, sRGB in [0, 1] (with ``return_clipped``: and the int count
        of pixels clipped into the sRGB gamut).

    Raises:
        TypeError: if an input is not numeric.
        ValueError: for wrong shapes, integer dtypes, NaN / infinite values, or values
            outside [0, 1].

    Warns:
        GamutWarning: with the number of pixels that were clipped into the sRGB gamut.

    Example:
        >>> np.round(decode_yuv(np.full((1, 1), 0.25), np.full((1, 2), 0.5)), 3)
        array([[0.25, 0.25, 0.25]], dtype=float32)
    """
    y, uv = _split_pair(y, uv, "y", "uv", 1, 2)
    y = _check_range(y, "y", 0.0, 1.0, _RANGE_TOLERANCE)
    uv = _check_range(uv, "uv", 0.0, 1.0, _RANGE_TOLERANCE)
    yuv = np.concatenate([y, (uv * 2.0 - 1.0) * UV_MAX], axis=-1)
    rgb, clipped = _yuv_to_rgb(yuv, None if return_clipped else "decode_yuv")
    return (rgb, clipped) if return_clipped else rgb


# --------------------------------------------------------------------------------------------
# Zhang et al.: quantized ab gamut, soft encoding, annealed mean, class rebalancing
# --------------------------------------------------------------------------------------------


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Vertices (counter-clockwise) of the 2-D convex hull (Andrew's monotone chain)."""
    points = np.unique(points, axis=0)  # sorted by x, then y

    def half(sequence):
        chain: list[np.ndarray] = []
        for point in sequence:
            while len(chain) >= 2:
                (ax, ay), (bx, by) = chain[-2], chain[-1]
                if (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax) > 0:
                    break
                chain.pop()
            chain.append(point)
        return chain

    lower, upper = half(points), half(points[::-1])
    return np.array(lower[:-1] + upper[:-1])


def _srgb_cube_surface(samples: int) -> np.ndarray:
    """``6 * samples**2`` RGB points on the surface of the unit cube (float64)."""
    grid = np.linspace(0.0, 1.0, samples)
    u, v = (axis.ravel() for axis in np.meshgrid(grid, grid, indexing="ij"))
    faces = []
    for axis in range(3):
        for value in (0.0, 1.0):
            columns = [u, v]
            columns.insert(axis, np.full_like(u, value))
            faces.append(np.stack(columns, axis=-1))
    return np.concatenate(faces)


@functools.lru_cache(maxsize=8)
def _ab_bins_cached(grid_size: float) -> np.ndarray:
    ab = _xyz_to_lab(_rgb_to_xyz(_srgb_cube_surface(65)), overwrite=True)[:, 1:]
    hull = _convex_hull(ab)
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64) * grid_size
    dilated = _convex_hull((hull[:, None, :] + corners[None]).reshape(-1, 2))
    first = np.floor(dilated.min(axis=0) / grid_size).astype(int)
    last = np.ceil(dilated.max(axis=0) / grid_size).astype(int)
    a_centres = np.arange(first[0], last[0] + 1) * grid_size
    b_centres = np.arange(first[1], last[1] + 1) * grid_size
    centres = np.stack(np.meshgrid(a_centres, b_centres, indexing="ij"), -1).reshape(-1, 2)
    # Inside a counter-clockwise convex polygon: left of (or on) every edge.
    edges = np.roll(dilated, -1, axis=0) - dilated
    offsets = centres[:, None, :] - dilated[None]
    cross = edges[None, :, 0] * offsets[..., 1] - edges[None, :, 1] * offsets[..., 0]
    inside = (cross >= -1e-9 * grid_size**2).all(axis=1)
    bins = centres[inside].astype(np.float32)  # already in (a, b) lexicographic order
    bins.flags.writeable = False
    return bins


def ab_bins(grid_size: float = GRID_SIZE) -> np.ndarray:
    """Centres of the quantized, in-gamut ab bins of Zhang et al. (2016), in Lab units.

    Derivation (computed here, no data files): bin centres lie on the grid
    ``a, b in grid_size * Z``. A centre is kept when it lies within Chebyshev (L-infinity)
    distance ``grid_size`` of the convex hull of the sRGB gamut projected on the ab plane;
    equivalently, when the closed square ``[a +- grid_size] x [b +- grid_size]`` (the support
    of the bilinear "tent" that spreads an ab value over its four surrounding grid points)
    touches that hull. The hull is computed with :func:`rgb_to_lab`'s formulas (D65, float64)
    from 6 * 65**2 points on the surface of the RGB cube (the hull's vertices lie on the cube's
    edges, so the result does not change with denser sampling); the dilated hull is the hull of
    its vertices shifted by the four corners ``(+-grid_size, +-grid_size)``.

    For ``grid_size=10`` this gives exactly 313 bins, and the set is identical to the 313-bin
    gamut distributed with Zhang et al.'s code (``pts_in_hull.npy``), in the same order (by a,
    then b). The count is robust: any dilation between 9.75 and 10 gives the same 313. Simpler
    rules give fewer bins: keeping the grid cells actually hit by sRGB colors gives 262
    (``round(ab / 10)``) or 265-268 (``floor``, depending on sampling density); keeping every
    corner of a hit ``floor`` cell gives 309 (it misses (40, 90), (100, -90), (100, -10) and
    (100, 0), which lie in the hull's concave gaps of the true gamut).

    Args:
        grid_size: spacing of the grid in Lab units, a number in [1, 100].

    Returns:
        float32 array ``(Q, 2)`` of bin centres ``(a, b)``, sorted by a then b; ``Q == NUM_BINS
        == 313`` for the default grid. The array is cached and read-only (copy it to modify).

    Raises:
        TypeError: if ``grid_size`` is not a real number.
        ValueError: if ``grid_size`` is outside [1, 100].

    Example:
        >>> bins = ab_bins()
        >>> bins.shape, bins.dtype, bins[0].tolist(), bins[-1].tolist()
        ((313, 2), dtype('float32'), [-90.0, 50.0], [100.0, 0.0])
    """
    return _ab_bins_cached(_checks.check_number("grid_size", grid_size, 1.0, 100.0))


def _nearest_bins(points: np.ndarray, bins: np.ndarray, neighbors: int):
    """Indices ``(N, k)`` of the k nearest bins and their squared distances, for one chunk."""
    # |p - b|^2 = |p|^2 - 2 p.b + |b|^2; |p|^2 does not change the ranking.
    scores = points @ np.ascontiguousarray(bins.T * points.dtype.type(-2.0))
    scores += np.einsum("ij,ij->i", bins, bins)[None, :]
    if neighbors == len(bins):
        index = np.broadcast_to(np.arange(len(bins)), scores.shape)
    elif neighbors <= 8:
        # A few argmin passes are several times faster than np.argpartition here.
        rows = np.arange(len(points))
        index = np.empty((len(points), neighbors), dtype=np.intp)
        for column in range(neighbors):
            index[:, column] = scores.argmin(axis=1)
            scores[rows, index[:, column]] = np.inf
    else:
        index = np.argpartition(scores, neighbors - 1, axis=1)[:, :neighbors]
    difference = points[:, None, :] - bins[index]
    return index, np.einsum("ijk,ijk->ij", difference, difference)


def soft_encode(ab, neighbors: int = 5, sigma: float = 5.0, bins=None) -> np.ndarray:
    """Soft-encodes ab values over the quantized gamut (Zhang et al., section 3.1).

    Each ab value gets Gaussian weights ``exp(-d^2 / (2 sigma^2))`` on its ``neighbors``
    nearest bin centres (``d`` in Lab units), normalised to sum to 1; all other bins get 0. The
    nearest-neighbour search runs in chunks of 16384 values, so memory stays at the output's
    size plus about 20 MB.

    Args:
        ab: float array ``(..., 2)``, (a, b) in Lab units.
        neighbors: number of nearest bins to spread over, an int in [1, Q].
        sigma: Gaussian width in Lab units, > 0.
        bins: ``(Q, 2)`` bin centres; defaults to :func:`ab_bins`.

    Returns:
        float32 array ``(..., Q)`` whose rows sum to 1, with ``neighbors`` non-zero entries.

    Raises:
        TypeError: if ``ab`` is not numeric or ``neighbors`` / ``sigma`` have a wrong type.
        ValueError: for a wrong shape, an integer dtype, NaN / infinite values, or an
            out-of-range ``neighbors`` or ``sigma``.

    Example:
        >>> encoded = soft_encode(np.zeros((4, 4, 2)))
        >>> encoded.shape, round(float(encoded.max()), 3), int(np.count_nonzero(encoded[0, 0]))
        ((4, 4, 313), 0.649, 5)
    """
    ab = _validate_ab(ab)
    bins = _resolve_bins(bins)
    num_bins = len(bins)
    if isinstance(neighbors, bool) or not isinstance(neighbors, numbers.Integral):
        raise TypeError(f"Invalid neighbors type: expected an int. Received: {neighbors=}")
    if not 1 <= neighbors <= num_bins:
        raise ValueError(
            f"Invalid neighbors: expected an int in [1, {num_bins}]. Received: {neighbors=}"
        )
    sigma = _checks.check_number("sigma", sigma, 0.0, open_low=True)
    points = ab.reshape(-1, 2)
    encoded = np.zeros((len(points), num_bins), dtype=np.float32)
    for start in range(0, len(points), _CHUNK_ROWS):
        chunk = points[start : start + _CHUNK_ROWS]
        index, distance = _nearest_bins(chunk, bins, int(neighbors))
        # Shift by the nearest distance so that far-out-of-gamut values do not underflow to 0/0.
        weights = np.exp(-(distance - distance.min(axis=1, keepdims=True)) / (2.0 * sigma**2))
        weights /= weights.sum(axis=1, keepdims=True)
        rows = np.arange(start, start + len(chunk))[:, None]
        encoded[rows, index] = weights
    return encoded.reshape(ab.shape[:-1] + (num_bins,))


def annealed_mean(probabilities, temperature: float = DEFAULT_TEMPERATURE, bins=None) -> np.ndarray:
    """Turns per-pixel bin probabilities into ab values (Zhang et al., section 3.3).

    Computes ``softmax(log(p) / T) @ bins``, in log space so that small temperatures do not
    overflow: ``T = 1`` is the mean of the distribution, ``T -> 0`` its mode. Below
    ``MODE_TEMPERATURE`` (1e-3) the mode (first argmax) is returned directly. Rows need not be
    normalised.

    Args:
        probabilities: float array ``(..., Q)``, non-negative, each row with a positive entry.
        temperature: ``T > 0``; Zhang et al. use 0.38.
        bins: ``(Q, 2)`` bin centres; defaults to :func:`ab_bins`.

    Returns:
        float32 array ``(..., 2)``, (a, b) in Lab units.

    Raises:
        TypeError: if ``probabilities`` is not numeric or ``temperature`` is not a number.
        ValueError: for a wrong shape, an integer dtype, NaN / infinite / negative values, an
            all-zero row, or ``temperature <= 0``.

    Example:
        >>> probabilities = np.zeros((1, NUM_BINS))
        >>> probabilities[0, [120, 121]] = 0.4, 0.6
        >>> ab_bins()[120:122].tolist()
        [[0.0, 0.0], [0.0, 10.0]]
        >>> np.round(annealed_mean(probabilities, temperature=1.0), 3)
        array([[0., 6.]], dtype=float32)
        >>> np.round(annealed_mean(probabilities, temperature=0.01), 3)
        array([[ 0., 10.]], dtype=float32)
    """
    bins = _resolve_bins(bins)
    num_bins = len(bins)
    probabilities = _as_float_array(
        probabilities, "probabilities", num_bins, f"(..., {num_bins}) (one entry per bin)"
    )
    temperature = _checks.check_temperature(temperature)
    flat = probabilities.reshape(-1, num_bins)
    if flat.size:
        if float(flat.min()) < 0.0:
            raise ValueError(
                "Invalid probabilities values: expected non-negative values. "
                f"Received: probabilities with min={float(flat.min()):.6g}"
            )
        empty = int(np.count_nonzero(flat.max(axis=1) <= 0.0))
        if empty:
            raise ValueError(
                "Invalid probabilities values: expected every row to have a positive entry. "
                f"Received: {empty} all-zero rows"
            )
    if temperature < MODE_TEMPERATURE:
        result = bins[flat.argmax(axis=1)]
    else:
        with np.errstate(divide="ignore"):
            logits = np.log(flat)
        logits *= np.float32(1.0 / temperature)
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        result = logits @ bins
    return result.reshape(probabilities.shape[:-1] + (2,)).astype(np.float32, copy=False)


def _iter_batches(images_or_ab):
    if isinstance(images_or_ab, np.ndarray):
        yield images_or_ab
        return
    if isinstance(images_or_ab, str | bytes) or not isinstance(images_or_ab, Iterable):
        raise TypeError(
            "Invalid images_or_ab type: expected an array (..., 3) RGB or (..., 2) ab, or an "
            f"iterable of such arrays. Received: type={type(images_or_ab).__name__}"
        )
    yield from images_or_ab


def ab_prior(images_or_ab, bins=None) -> np.ndarray:
    """Estimates the empirical distribution of quantized ab values (Zhang et al.'s prior).

    Every pixel is assigned to its nearest bin (hard quantization) and the counts are
    normalised.

    Args:
        images_or_ab: an RGB array ``(..., 3)`` in [0, 1], an ab array ``(..., 2)`` in Lab
            units, or an iterable (list, generator) of such arrays, possibly of different
            sizes (the last dimension picks RGB or ab for each item).
        bins: ``(Q, 2)`` bin centres; defaults to :func:`ab_bins`.

    Returns:
        float32 array ``(Q,)``, non-negative, summing to 1.

    Raises:
        TypeError: for something that is not an array or an iterable of arrays.
        ValueError: for an item that is not valid RGB or ab, or when there are no pixels.

    Example:
        >>> prior = ab_prior(np.full((2, 8, 8, 3), 0.5))  # gray: everything in bin (0, 0)
        >>> float(prior.sum()), ab_bins()[prior.argmax()].tolist()
        (1.0, [0.0, 0.0])
    """
    bins = _resolve_bins(bins)
    counts = np.zeros(len(bins), dtype=np.int64)
    for number, item in enumerate(_iter_batches(images_or_ab)):
        name = f"images_or_ab[{number}]"
        array = np.asarray(item) if not isinstance(item, np.ndarray) else item
        if array.ndim and array.shape[-1] == 2:
            ab = _validate_ab(array, name).reshape(-1, 2)
        else:
            ab = _xyz_to_lab(_rgb_to_xyz(validate_rgb(array, name)), overwrite=True)[
                ..., 1:
            ].reshape(-1, 2)
        for start in range(0, len(ab), _CHUNK_ROWS):
            index, _ = _nearest_bins(ab[start : start + _CHUNK_ROWS], bins, 1)
            counts += np.bincount(index[:, 0], minlength=len(bins))
    total = int(counts.sum())
    if total == 0:
        raise ValueError("Invalid images_or_ab: expected at least one pixel. Received: 0 pixels")
    return (counts / total).astype(np.float32)


def rebalancing_weights(prior, lam: float = 0.5, sigma: float = 5.0, bins=None) -> np.ndarray:
    """Class-rebalancing weights for the bins (Zhang et al., equation 4).

    The prior is smoothed over the bins with a Gaussian of width ``sigma`` (Lab units; a
    kernel-weighted average ``sum_j K_ij p_j / sum_j K_ij``, renormalised, so a uniform prior
    stays uniform; ``sigma=0`` skips smoothing), mixed with the uniform distribution and
    inverted: ``w ~ 1 / ((1 - lam) * p_smooth + lam / Q)``, normalised so that
    ``sum(prior * w) == 1``.

    Args:
        prior: float array ``(Q,)``, non-negative, summing to 1 (within 1e-3; it is
            renormalised), e.g. from :func:`ab_prior`.
        lam: weight of the uniform distribution, in [0, 1] (Zhang et al.: 0.5).
        sigma: smoothing width in Lab units, >= 0 (Zhang et al.: 5).
        bins: ``(Q, 2)`` bin centres; defaults to :func:`ab_bins`.

    Returns:
        float32 array ``(Q,)`` of positive weights with ``sum(prior * w) == 1``.

    Raises:
        TypeError: if ``prior`` is not numeric or ``lam`` / ``sigma`` are not numbers.
        ValueError: for a wrong shape, NaN / infinite / negative values, a prior that does not
            sum to 1, ``lam`` or ``sigma`` out of range, or infinite weights (``lam=0`` with
            empty bins).

    Example:
        >>> weights = rebalancing_weights(np.full(NUM_BINS, 1.0 / NUM_BINS))
        >>> weights.shape, bool(np.allclose(weights, 1.0))
        ((313,), True)
    """
    bins = _resolve_bins(bins)
    num_bins = len(bins)
    prior = _as_float_array(prior, "prior", num_bins, f"({num_bins},) (one entry per bin)")
    if prior.ndim != 1:
        raise ValueError(
            f"Invalid prior shape: expected ({num_bins},). Received: prior.shape={prior.shape}"
        )
    lam = _checks.check_number("lam", lam, 0.0, 1.0)
    sigma = _checks.check_number("sigma", sigma, 0.0)
    prior = prior.astype(np.float64)
    total = float(prior.sum())
    if float(prior.min()) < 0.0 or abs(total - 1.0) > 1e-3:
        raise ValueError(
            "Invalid prior values: expected a probability distribution (non-negative, summing "
            f"to 1; divide counts by their sum). Received: prior with min={prior.min():.6g}, "
            f"sum={total:.6g}"
        )
    prior = prior / total
    smooth = prior
    if sigma > 0.0:
        bins64 = bins.astype(np.float64)
        squared = ((bins64[:, None, :] - bins64[None, :, :]) ** 2).sum(axis=-1)
        kernel = np.exp(-squared / (2.0 * sigma**2))
        smooth = (kernel @ prior) / kernel.sum(axis=1)
        smooth /= smooth.sum()
    mixture = (1.0 - lam) * smooth + lam / num_bins
    # A zero mixture or a weight beyond float32 is the error below, not a NumPy warning.
    with np.errstate(divide="ignore", over="ignore"):
        weights = 1.0 / mixture
        finite = np.all(np.isfinite(weights.astype(np.float32)))
    if not finite:
        raise ValueError(
            "Invalid lam: the weights are infinite for bins with zero (smoothed) prior. "
            f"Use lam > 0 or sigma > 0. Received: lam={lam!r}, sigma={sigma!r}"
        )
    weights /= float((prior * weights).sum())
    weights = weights.astype(np.float32)
    return weights
