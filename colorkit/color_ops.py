"""The color conversions of :mod:`colorkit.color` on ``keras.ops`` tensors (any backend).

Use these inside models, losses and ``tf.data`` / ``tf.function`` graphs; use
:mod:`colorkit.color` (NumPy) everywhere else. The constants come from :mod:`colorkit.color`,
and the tests check that both modules agree (Lab within 1e-4).

Tensors may be symbolic, so there is no value validation here: static ranks, channel counts
and dtypes are checked where known (``ValueError``), and out-of-gamut results are clipped to
[0, 1] silently (the NumPy functions warn). Every function works inside
``tf.function(jit_compile=True)`` on the TensorFlow backend (tested): the piecewise functions use
``ops.where`` with clamped arguments, so no NaN appears in values or gradients.

Computations run in the input's floating dtype (float32 recommended; integer inputs raise).
"""

from __future__ import annotations

import functools
import numbers

import keras
import numpy as np
from keras import ops

from colorkit import color

__all__ = [
    "annealed_mean",
    "decode_lab",
    "decode_yuv",
    "encode_lab",
    "encode_yuv",
    "lab_to_rgb",
    "lab_to_xyz",
    "rgb_to_lab",
    "rgb_to_xyz",
    "rgb_to_yuv",
    "soft_encode",
    "xyz_to_lab",
    "xyz_to_rgb",
    "yuv_to_rgb",
]

_SRGB_ENCODED_HIGH_SCALE = 1.0 / (1.0 + color.SRGB_OFFSET)
_CUBE_ROOT_THRESHOLD = 6.0 / 29.0  # (6/29)^3 == color.CIE_EPSILON
_LOG_FLOOR = 1e-30  # probabilities are clamped here before the log


def _to_float_tensor(value, name: str, channels: int | None):
    """Converts to a tensor; checks the floating dtype and the static channel count."""
    tensor = ops.convert_to_tensor(value)
    dtype = keras.backend.standardize_dtype(tensor.dtype)
    if "float" not in dtype:
        raise ValueError(
            f"Invalid {name} dtype: expected a floating point tensor (cast uint8 images with "
            f"`ops.cast({name}, 'float32') / 255`). Received: {name}.dtype={dtype}"
        )
    if channels is not None:
        try:
            shape = tuple(tensor.shape)
        except (TypeError, ValueError):  # unknown rank (TensorFlow graphs)
            return tensor
        if len(shape) == 0:
            raise ValueError(
                f"Invalid {name} rank: expected a tensor of shape (..., {channels}). "
                f"Received: {name}.shape={shape}"
            )
        if shape[-1] is not None and shape[-1] != channels:
            raise ValueError(
                f"Invalid {name} shape: expected {channels} channels last, (..., {channels}). "
                f"Received: {name}.shape={shape}"
            )
    return tensor


def _constant(array, like):
    """A NumPy constant from colorkit.color as a tensor of ``like``'s dtype."""
    return ops.convert_to_tensor(np.asarray(array), dtype=like.dtype)


def _dot_last(values, matrix):
    """``values @ matrix`` over the last axis of ``values`` of any rank (dynamic shapes too)."""
    return ops.tensordot(values, matrix, axes=1)


def _apply_matrix(values, matrix):
    """``values @ matrix.T`` over the last axis."""
    return _dot_last(values, _constant(np.ascontiguousarray(np.asarray(matrix).T), values))


def _srgb_to_linear(rgb):
    threshold = color.SRGB_ENCODED_THRESHOLD
    high = (ops.maximum(rgb, threshold) + color.SRGB_OFFSET) * _SRGB_ENCODED_HIGH_SCALE
    return ops.where(rgb <= threshold, rgb / color.SRGB_SLOPE, ops.power(high, color.SRGB_GAMMA))


def _linear_to_srgb(linear):
    """Clips linear values to [0, 1] and gamma-encodes them."""
    linear = ops.clip(linear, 0.0, 1.0)
    threshold = color.SRGB_LINEAR_THRESHOLD
    high = ops.power(ops.maximum(linear, threshold), 1.0 / color.SRGB_GAMMA)
    high = high * (1.0 + color.SRGB_OFFSET) - color.SRGB_OFFSET
    return ops.where(linear <= threshold, linear * color.SRGB_SLOPE, high)


def _xyz_to_lab(xyz):
    ratio = xyz / _constant(color.D65_WHITE, xyz)
    cube_root = ops.power(ops.maximum(ratio, color.CIE_EPSILON), 1.0 / 3.0)
    f = ops.where(ratio > color.CIE_EPSILON, cube_root, (color.CIE_KAPPA * ratio + 16.0) / 116.0)
    fx, fy, fz = f[..., 0:1], f[..., 1:2], f[..., 2:3]
    return ops.concatenate([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def _lab_to_xyz(lab):
    lightness, a, b = lab[..., 0:1], lab[..., 1:2], lab[..., 2:3]
    fy = (lightness + 16.0) / 116.0
    f = ops.concatenate([fy + a / 500.0, fy, fy - b / 200.0], axis=-1)
    ratio = ops.where(f > _CUBE_ROOT_THRESHOLD, f * f * f, (116.0 * f - 16.0) / color.CIE_KAPPA)
    return ratio * _constant(color.D65_WHITE, lab)


def rgb_to_xyz(image):
    """Converts gamma-encoded sRGB to CIE XYZ (D65) on tensors.

    Args:
        image: float tensor ``(..., 3)``, sRGB in [0, 1].

    Returns:
        Tensor ``(..., 3)`` of the input's dtype (Y of white = 1).

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> np.round(ops.convert_to_numpy(rgb_to_xyz(np.ones((1, 3), "float32"))), 4)
        array([[0.9505, 1.    , 1.0888]], dtype=float32)
    """
    return _apply_matrix(_srgb_to_linear(_to_float_tensor(image, "image", 3)), color.XYZ_FROM_RGB)


def xyz_to_rgb(xyz):
    """Converts CIE XYZ (D65) to gamma-encoded sRGB on tensors (out-of-gamut values clipped).

    Args:
        xyz: float tensor ``(..., 3)``.

    Returns:
        Tensor ``(..., 3)`` in [0, 1], of the input's dtype.

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> xyz = color.D65_WHITE.astype("float32")[None]
        >>> np.round(ops.convert_to_numpy(xyz_to_rgb(xyz)), 4)
        array([[1., 1., 1.]], dtype=float32)
    """
    xyz = _to_float_tensor(xyz, "xyz", 3)
    return _linear_to_srgb(_apply_matrix(xyz, color.RGB_FROM_XYZ))


def xyz_to_lab(xyz):
    """Converts CIE XYZ (D65) to CIE Lab on tensors.

    Args:
        xyz: float tensor ``(..., 3)``.

    Returns:
        Tensor ``(..., 3)``: L in [0, 100] for Y in [0, 1], a and b in Lab units.

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> xyz = color.D65_WHITE.astype("float32")[None]
        >>> np.round(ops.convert_to_numpy(xyz_to_lab(xyz)), 3) + 0.0
        array([[100.,   0.,   0.]], dtype=float32)
    """
    return _xyz_to_lab(_to_float_tensor(xyz, "xyz", 3))


def lab_to_xyz(lab):
    """Converts CIE Lab to CIE XYZ (D65) on tensors.

    Args:
        lab: float tensor ``(..., 3)``, L in [0, 100].

    Returns:
        Tensor ``(..., 3)`` of the input's dtype.

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> lab = np.array([[100.0, 0.0, 0.0]], "float32")
        >>> np.round(ops.convert_to_numpy(lab_to_xyz(lab)), 4)
        array([[0.9505, 1.    , 1.0888]], dtype=float32)
    """
    return _lab_to_xyz(_to_float_tensor(lab, "lab", 3))


def rgb_to_lab(image):
    """Converts gamma-encoded sRGB to CIE Lab on tensors (as :func:`colorkit.color.rgb_to_lab`).

    Args:
        image: float tensor ``(..., 3)``, sRGB in [0, 1].

    Returns:
        Tensor ``(..., 3)``: L in [0, 100], a and b in Lab units.

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> red = np.array([[1.0, 0.0, 0.0]], "float32")
        >>> np.round(ops.convert_to_numpy(rgb_to_lab(red)), 2)
        array([[53.24, 80.09, 67.2 ]], dtype=float32)
    """
    return _xyz_to_lab(rgb_to_xyz(image))


def lab_to_rgb(lab):
    """Converts CIE Lab to gamma-encoded sRGB on tensors (out-of-gamut colors clipped).

    Args:
        lab: float tensor ``(..., 3)``, L in [0, 100].

    Returns:
        Tensor ``(..., 3)`` in [0, 1], of the input's dtype.

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> lab = np.array([[53.2408, 80.0925, 67.2032]], "float32")
        >>> np.round(ops.convert_to_numpy(lab_to_rgb(lab)), 3) + 0.0
        array([[1., 0., 0.]], dtype=float32)
    """
    return xyz_to_rgb(_lab_to_xyz(_to_float_tensor(lab, "lab", 3)))


def rgb_to_yuv(image):
    """Converts gamma-encoded sRGB to Rec. 601 analog YUV (Dahl) on tensors.

    Args:
        image: float tensor ``(..., 3)``, sRGB in [0, 1].

    Returns:
        Tensor ``(..., 3)``: Y in [0, 1], U in [-U_MAX, U_MAX], V in [-V_MAX, V_MAX].

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> blue = np.array([[0.0, 0.0, 1.0]], "float32")
        >>> np.round(ops.convert_to_numpy(rgb_to_yuv(blue)), 3)
        array([[ 0.114,  0.436, -0.1  ]], dtype=float32)
    """
    return _apply_matrix(_to_float_tensor(image, "image", 3), color.YUV_FROM_RGB)


def yuv_to_rgb(yuv):
    """Converts Rec. 601 analog YUV to gamma-encoded sRGB on tensors (clipped to [0, 1]).

    Args:
        yuv: float tensor ``(..., 3)``: Y in [0, 1], U and V in Dahl's ranges.

    Returns:
        Tensor ``(..., 3)`` in [0, 1], of the input's dtype.

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> yuv = np.array([[0.114, 0.436, -0.1]], "float32")
        >>> np.round(ops.convert_to_numpy(yuv_to_rgb(yuv)), 3) + 0.0
        array([[0., 0., 1.]], dtype=float32)
    """
    yuv = _to_float_tensor(yuv, "yuv", 3)
    return ops.clip(_apply_matrix(yuv, color.RGB_FROM_YUV), 0.0, 1.0)


def encode_lab(image):
    """Converts RGB to the model-scale pair ``(L / L_SCALE, ab / AB_SCALE)`` on tensors.

    Args:
        image: float tensor ``(..., 3)``, sRGB in [0, 1].

    Returns:
        ``(lightness, ab)``: tensors ``(..., 1)`` in [0, 1] and ``(..., 2)`` in about [-1, 1].

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> lightness, ab = encode_lab(np.ones((2, 4, 4, 3), "float32"))
        >>> tuple(lightness.shape), tuple(ab.shape)
        ((2, 4, 4, 1), (2, 4, 4, 2))
    """
    lab = rgb_to_lab(image)
    return lab[..., 0:1] / color.L_SCALE, lab[..., 1:3] / color.AB_SCALE


def decode_lab(lightness, ab):
    """Converts a model-scale Lab pair back to RGB on tensors (inverse of :func:`encode_lab`).

    Args:
        lightness: float tensor ``(..., 1)``, ``L / L_SCALE`` in [0, 1].
        ab: float tensor ``(..., 2)``, ``ab / AB_SCALE``.

    Returns:
        Tensor ``(..., 3)``, sRGB in [0, 1] (out-of-gamut colors clipped).

    Raises:
        ValueError: for statically wrong channel counts or ranks, or integer dtypes.

    Example:
        >>> rgb = decode_lab(np.full((1, 1), 0.5, "float32"), np.zeros((1, 2), "float32"))
        >>> np.round(ops.convert_to_numpy(rgb), 3)
        array([[0.466, 0.466, 0.466]], dtype=float32)
    """
    lightness = _to_float_tensor(lightness, "lightness", 1)
    ab = ops.cast(_to_float_tensor(ab, "ab", 2), lightness.dtype)
    lab = ops.concatenate([lightness * color.L_SCALE, ab * color.AB_SCALE], axis=-1)
    return xyz_to_rgb(_lab_to_xyz(lab))


def encode_yuv(image):
    """Converts RGB to Dahl's model-scale pair ``(Y, (uv / [U_MAX, V_MAX] + 1) / 2)``.

    Args:
        image: float tensor ``(..., 3)``, sRGB in [0, 1].

    Returns:
        ``(y, uv)``: tensors ``(..., 1)`` and ``(..., 2)``, both in [0, 1].

    Raises:
        ValueError: for a statically wrong channel count or rank, or an integer dtype.

    Example:
        >>> y, uv = encode_yuv(np.full((1, 3), 0.5, "float32"))
        >>> np.round(ops.convert_to_numpy(uv), 3)
        array([[0.5, 0.5]], dtype=float32)
    """
    yuv = rgb_to_yuv(image)
    return yuv[..., 0:1], (yuv[..., 1:3] / _constant(color.UV_MAX, yuv) + 1.0) / 2.0


def decode_yuv(y, uv):
    """Converts Dahl's model-scale pair back to RGB on tensors (inverse of :func:`encode_yuv`).

    Args:
        y: float tensor ``(..., 1)``, luma in [0, 1].
        uv: float tensor ``(..., 2)``, model-scale chroma in [0, 1].

    Returns:
        Tensor ``(..., 3)``, sRGB in [0, 1] (out-of-gamut colors clipped).

    Raises:
        ValueError: for statically wrong channel counts or ranks, or integer dtypes.

    Example:
        >>> rgb = decode_yuv(np.full((1, 1), 0.25, "float32"), np.full((1, 2), 0.5, "float32"))
        >>> np.round(ops.convert_to_numpy(rgb), 3)
        array([[0.25, 0.25, 0.25]], dtype=float32)
    """
    y = _to_float_tensor(y, "y", 1)
    uv = ops.cast(_to_float_tensor(uv, "uv", 2), y.dtype)
    yuv = ops.concatenate([y, (uv * 2.0 - 1.0) * _constant(color.UV_MAX, y)], axis=-1)
    return yuv_to_rgb(yuv)


def _bins_tensor(bins, like):
    array = _bins_array(bins)
    return _constant(array, like), array.shape[0]


def _bins_array(bins) -> np.ndarray:
    array = color.ab_bins() if bins is None else np.asarray(bins)
    if array.ndim != 2 or array.shape[-1] != 2:
        raise ValueError(
            f"Invalid bins shape: expected (Q, 2) (a static array). Received: bins.shape="
            f"{array.shape}"
        )
    return array


_GRID_TABLE_LIMIT = 1_000_000  # cells of the lookup table of a grid of bins


@functools.lru_cache(maxsize=8)
def _grid_layout(key: bytes, count: int):
    """``(step, origin, table)`` when the bins are distinct points of a square grid, else None.

    ``table[i, j]`` is the index of the bin at ``origin + step * (i, j)``, or -1. Only bins
    sorted by a then b qualify (like ``color.ab_bins()``): a window of grid cells read in row
    order then lists its bins in index order, so ties break as in the full search.
    """
    array = np.frombuffer(key, dtype=np.float64).reshape(count, 2)
    if count < 2 or not np.array_equal(np.lexsort((array[:, 1], array[:, 0])), np.arange(count)):
        return None
    gaps = np.concatenate([np.diff(np.unique(array[:, 0])), np.diff(np.unique(array[:, 1]))])
    if len(gaps) == 0:
        return None
    step = float(gaps.min())
    origin = array.min(axis=0)
    cells = (array - origin) / step
    rounded = np.rint(cells)
    if not np.allclose(cells, rounded, rtol=0.0, atol=1e-6):
        return None
    rounded = rounded.astype(np.int64)
    shape = tuple(int(n) for n in rounded.max(axis=0) + 1)
    if shape[0] * shape[1] > _GRID_TABLE_LIMIT:
        return None
    table = np.full(shape, -1, dtype=np.int32)
    table[rounded[:, 0], rounded[:, 1]] = np.arange(count, dtype=np.int32)
    if np.count_nonzero(table >= 0) != count:  # duplicate bins
        return None
    return step, origin, table


def _nearest_bins_everywhere(ab, bins_tensor, neighbors: int):
    """The ``neighbors`` nearest bins of each value by distances to all Q bins."""
    squared = (
        ops.sum(ab * ab, axis=-1, keepdims=True)
        - 2.0 * _dot_last(ab, ops.transpose(bins_tensor))
        + ops.sum(bins_tensor * bins_tensor, axis=-1)
    )
    negative, index = ops.top_k(-squared, k=neighbors)
    return negative, ops.cast(index, "int32")


def _nearest_bins_on_grid(ab, layout, neighbors: int, radius: int, everywhere):
    """The same search among the bins of a ``(2 radius + 1)^2`` window of grid cells.

    The window is centred on the grid point nearest each value (clamped to the grid). A bin
    outside it lies at least ``(radius + 1) * step`` minus the value's Chebyshev offset from
    the centre away, so when every value's ``neighbors``-th nearest window bin is closer than
    that, the window search is exact; otherwise the whole call falls back to ``everywhere``.
    """
    step, origin, table = layout
    padded = np.pad(table, radius, constant_values=-1)
    span = np.arange(-radius, radius + 1)
    offsets = np.stack(np.meshgrid(span, span, indexing="ij"), axis=-1).reshape(-1, 2)
    flat_offsets = offsets[:, 0] * padded.shape[1] + offsets[:, 1]
    scaled = (ab - _constant(origin, ab)) / step
    upper = _constant(np.array(table.shape, np.float64) - 1.0, ab)
    centre = ops.clip(ops.round(scaled), 0.0, upper)
    cell = ops.cast(centre, "int32") + radius
    flat_centre = cell[..., 0] * padded.shape[1] + cell[..., 1]
    candidates = ops.take(
        ops.convert_to_tensor(padded.reshape(-1)),
        flat_centre[..., None] + ops.convert_to_tensor(flat_offsets.astype(np.int32)),
    )
    positions = ops.expand_dims(centre, -2) + _constant(offsets.astype(np.float64), ab)
    difference = (ops.expand_dims(scaled, -2) - positions) * step
    squared = ops.sum(difference * difference, axis=-1)
    squared = ops.where(candidates >= 0, squared, ops.full_like(squared, np.inf))
    negative, position = ops.top_k(-squared, k=neighbors)
    index = ops.take_along_axis(candidates, ops.cast(position, "int32"), axis=-1)
    offset = ops.max(ops.abs(scaled - centre), axis=-1) * step
    reach = (radius + 1) * step - offset
    exact = ops.all(ops.sqrt(-negative[..., -1]) < reach)
    return ops.cond(exact, lambda: (negative, index), everywhere)


def soft_encode_sparse(ab, bins=None, neighbors: int = 5, sigma: float = 5.0):
    """The soft encoding as its nonzero entries: the nearest bins and their Gaussian weights.

    ``soft_encode(ab)[..., index[..., k]] == weights[..., k]``, and every other entry is 0. Losses
    use this form to gather ``neighbors`` log-probabilities instead of multiplying a dense
    ``(..., Q)`` target.

    Bins on a square grid sorted by a then b (Zhang's 313, ``color.ab_bins()``) are searched in
    a small window of grid cells around each value (25 candidates for 5 neighbours) instead of
    measuring the distance to every bin; when any value lies too far from the grid for the window
    to be sure (far out of gamut), the call measures every distance instead, so the result is
    the same either way (up to float rounding of near-equal distances).

    Args:
        ab: float tensor ``(..., 2)``, (a, b) in Lab units.
        bins: ``(Q, 2)`` NumPy array of bin centres (static); defaults to ``color.ab_bins()``.
        neighbors: number of nearest bins, an int in [1, Q].
        sigma: Gaussian width in Lab units, > 0.

    Returns:
        ``(index, weights)``: int32 ``(..., neighbors)`` bin indices, nearest first (ties: the
        lower index first), and float ``(..., neighbors)`` weights summing to 1.

    Raises:
        ValueError: for a statically wrong channel count, an integer dtype, or invalid
            ``bins``, ``neighbors`` or ``sigma``.

    Example:
        >>> index, weights = soft_encode_sparse(np.zeros((1, 2), "float32"), neighbors=1)
        >>> float(ops.convert_to_numpy(weights)[0, 0])
        1.0
    """
    ab = _to_float_tensor(ab, "ab", 2)
    array = _bins_array(bins)
    bins_tensor, num_bins = _bins_tensor(array, ab)
    if isinstance(neighbors, bool) or not isinstance(neighbors, numbers.Integral):
        raise ValueError(f"Invalid neighbors: expected an int. Received: {neighbors=}")
    if not 1 <= neighbors <= num_bins:
        raise ValueError(
            f"Invalid neighbors: expected an int in [1, {num_bins}]. Received: {neighbors=}"
        )
    if not isinstance(sigma, numbers.Real) or not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"Invalid sigma: expected a finite number > 0. Received: {sigma=}")
    neighbors = int(neighbors)

    def everywhere():
        return _nearest_bins_everywhere(ab, bins_tensor, neighbors)

    # The smallest window with at least 4 cells per neighbour; worth it while far below Q.
    radius = int(np.ceil((np.sqrt(4 * neighbors) - 1) / 2))
    as_float64 = np.ascontiguousarray(array, dtype=np.float64)
    layout = _grid_layout(as_float64.tobytes(), len(array))
    if layout is None or (2 * radius + 1) ** 2 * 4 > num_bins:
        negative, index = everywhere()
    else:
        negative, index = _nearest_bins_on_grid(ab, layout, neighbors, radius, everywhere)
    if neighbors == 1:  # the nearest bin takes it all
        return index, ops.ones_like(negative)
    # softmax(-d^2 / (2 sigma^2)) over the k neighbours == normalised Gaussian, without underflow.
    weights = ops.softmax(negative / (2.0 * float(sigma) ** 2), axis=-1)
    return index, weights


def soft_encode(ab, bins=None, neighbors: int = 5, sigma: float = 5.0):
    """Soft-encodes ab values over the quantized gamut on tensors (Zhang et al.).

    Same result as :func:`colorkit.color.soft_encode`: Gaussian weights
    ``exp(-d^2 / (2 sigma^2))`` on the ``neighbors`` nearest bins (found with ``ops.top_k`` on
    negative squared distances), normalised to sum to 1. Memory: a few ``(..., Q)`` tensors.

    Args:
        ab: float tensor ``(..., 2)``, (a, b) in Lab units (multiply model-scale ab by
            ``color.AB_SCALE`` first).
        bins: ``(Q, 2)`` NumPy array of bin centres (static); defaults to ``color.ab_bins()``.
        neighbors: number of nearest bins, an int in [1, Q].
        sigma: Gaussian width in Lab units, > 0.

    Returns:
        Tensor ``(..., Q)`` whose rows sum to 1.

    Raises:
        ValueError: for a statically wrong channel count, an integer dtype, or invalid
            ``bins``, ``neighbors`` or ``sigma``.

    Example:
        >>> encoded = soft_encode(np.zeros((2, 2), "float32"))
        >>> tuple(encoded.shape), np.round(ops.convert_to_numpy(ops.sum(encoded, -1)), 3)
        ((2, 313), array([1., 1.], dtype=float32))
    """
    ab = _to_float_tensor(ab, "ab", 2)
    _, num_bins = _bins_tensor(bins, ab)
    index, weights = soft_encode_sparse(ab, bins, neighbors, sigma)
    encoded = ops.zeros((*ops.shape(ab)[:-1], num_bins), dtype=ab.dtype)
    for column in range(int(neighbors)):
        one_hot = ops.one_hot(index[..., column], num_bins, dtype=ab.dtype)
        encoded = encoded + one_hot * weights[..., column : column + 1]
    return encoded


def annealed_mean(probabilities, temperature: float = color.DEFAULT_TEMPERATURE, bins=None):
    """Turns bin probabilities into ab values on tensors: ``softmax(log(p) / T) @ bins``.

    Same result as :func:`colorkit.color.annealed_mean` (log space; ``T = 1`` the mean,
    ``T -> 0`` the mode; for a Python ``temperature`` below ``color.MODE_TEMPERATURE`` the mode
    is returned directly). Probabilities are clamped at 1e-30 before the log.

    Args:
        probabilities: float tensor ``(..., Q)``, non-negative (rows need not sum to 1).
        temperature: a Python number > 0, or a scalar tensor (not validated).
        bins: ``(Q, 2)`` NumPy array of bin centres (static); defaults to ``color.ab_bins()``.

    Returns:
        Tensor ``(..., 2)``, (a, b) in Lab units.

    Raises:
        ValueError: for a statically wrong last dimension, an integer dtype, invalid ``bins``,
            or a Python ``temperature <= 0``.

    Example:
        >>> probabilities = np.zeros((1, color.NUM_BINS), "float32")
        >>> probabilities[0, [120, 121]] = 0.4, 0.6
        >>> np.round(ops.convert_to_numpy(annealed_mean(probabilities, 1.0)), 3)
        array([[0., 6.]], dtype=float32)
    """
    probabilities = ops.convert_to_tensor(probabilities)
    bins_tensor, num_bins = _bins_tensor(bins, probabilities)
    probabilities = _to_float_tensor(probabilities, "probabilities", num_bins)
    bins_tensor = ops.cast(bins_tensor, probabilities.dtype)
    if isinstance(temperature, numbers.Real):
        if isinstance(temperature, bool) or not np.isfinite(temperature) or temperature <= 0:
            raise ValueError(
                f"Invalid temperature: expected a finite number > 0. Received: {temperature=}"
            )
        if temperature < color.MODE_TEMPERATURE:
            mode = ops.one_hot(
                ops.argmax(probabilities, axis=-1), num_bins, dtype=probabilities.dtype
            )
            return _dot_last(mode, bins_tensor)
    logits = ops.log(ops.maximum(probabilities, _LOG_FLOOR)) / temperature
    return _dot_last(ops.softmax(logits, axis=-1), bins_tensor)
