"""Matplotlib figures for teaching colorization; every builder RETURNS a Figure.

Figures are made with :class:`matplotlib.figure.Figure` directly, never with ``pyplot``: no global
state, no ``plt.show()``, safe under the ``agg`` backend and in threads. In Jupyter a returned
figure displays itself; in scripts call :func:`save_figure`.

Images follow the colorkit convention: gamma-encoded sRGB, float32 in [0, 1], ``(H, W, 3)`` or
``(N, H, W, 3)``. Colors drawn on the ab plane are ``lab_to_rgb`` of a constant lightness; Lab
values outside the sRGB gamut are clipped for display on purpose (their ``color.GamutWarning``
is silenced only inside the display helpers).
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import collections, colors, patches, ticker
from matplotlib.figure import Figure

from colorkit import _checks, atomic, color, hints, metrics

__all__ = [
    "comparison_grid",
    "lab_planes",
    "yuv_planes",
    "ab_histogram",
    "ab_gamut",
    "hue_wheel",
    "error_map",
    "training_curves",
    "metric_curves",
    "desaturation_comparison",
    "save_figure",
]

_AB_LIMIT = 110.0  # half-width of the ab plane shown (sRGB a, b lie within about +-110)
_DISPLAY_LIGHTNESS = 65.0  # constant L* at which ab colors are shown
_DPI = 120
_METHOD_LABELS = {
    "lab": "CIE L*",
    "rec601": "Rec. 601 luma",
    "rec709": "Rec. 709 luma",
    "mean": "mean of R, G, B",
}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _bare(ax) -> None:
    """Removes ticks and frame from an image axes, keeping its labels."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _display_rgb(lab: np.ndarray) -> np.ndarray:
    """sRGB (float32 in [0, 1]) of Lab values, clipped to the gamut without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)  # clipping is the intent here
        rgb = color.lab_to_rgb(np.asarray(lab, dtype=np.float32))
    return np.clip(rgb, 0.0, 1.0)


def _display_yuv(yuv: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        rgb = color.yuv_to_rgb(np.asarray(yuv, dtype=np.float32))
    return np.clip(rgb, 0.0, 1.0)


def _single_image(image, name: str) -> np.ndarray:
    image = color.validate_rgb(image, name)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 3:
        raise ValueError(
            f"Invalid {name} rank: expected one image (H, W, 3). Received: {name}.shape="
            f"{image.shape}"
        )
    return image


def _axis_colormap(lab_axis: int, limit: float, lightness: float) -> colors.ListedColormap:
    """Colormap whose color at value v is Lab (lightness, v, 0) or (lightness, 0, v)."""
    lab = np.zeros((256, 3), dtype=np.float32)
    lab[:, 0] = lightness
    lab[:, lab_axis] = np.linspace(-limit, limit, 256)
    return colors.ListedColormap(_display_rgb(lab), name=f"lab_axis_{lab_axis}")


def _ab_plane(lightness: float, resolution: int = 256, limit: float = _AB_LIMIT):
    """RGB image (resolution, resolution, 3) of the ab plane; row 0 is b = -limit."""
    values = np.linspace(-limit, limit, resolution, dtype=np.float32)
    a, b = np.meshgrid(values, values)
    lab = np.stack([np.full_like(a, lightness), a, b], axis=-1)
    return _display_rgb(lab), a, b


def _setup_ab_axes(ax, limit: float = _AB_LIMIT) -> None:
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("a* (green \u2192 red)")
    ax.set_ylabel("b* (blue \u2192 yellow)")
    ax.axhline(0, color="0.4", linewidth=0.5, zorder=3)
    ax.axvline(0, color="0.4", linewidth=0.5, zorder=3)


def _grid_size(bins: np.ndarray) -> float:
    steps = np.diff(np.unique(bins[:, 0]))
    return float(steps.min()) if steps.size else float(color.GRID_SIZE)


# --------------------------------------------------------------------------------------------
# Image grids
# --------------------------------------------------------------------------------------------
def _column_batch(images, name: str) -> np.ndarray:
    array = np.asarray(images)
    if array.ndim == 3 and array.shape[-1] in (1, 3):
        array = array[np.newaxis]
    if array.ndim == 4 and array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    array = color.validate_rgb(array, name)
    if array.ndim != 4:
        raise ValueError(
            f"Invalid {name} rank: expected (N, H, W, 3), (N, H, W, 1) or (H, W, 3). "
            f"Received: {name}.shape={np.shape(images)}"
        )
    return array


def _format_metrics(values: Mapping[str, float]) -> str:
    items = []
    for key, value in values.items():
        text = f"{value:.3g}" if isinstance(value, int | float | np.number) else str(value)
        items.append(f"{key} {text}")
    lines = ["   ".join(items[i : i + 2]) for i in range(0, len(items), 2)]
    return "\n".join(lines)


def comparison_grid(
    columns: Mapping[str, np.ndarray],
    row_titles: Sequence[str] | None = None,
    metrics: Mapping[str, Sequence[Mapping[str, float]]] | None = None,
    image_size: float = 2.2,
) -> Figure:
    """A grid of images: one column per source (gray | predicted | true), one row per image.

    Args:
        columns: ``{title: images}``; each value float32 RGB in [0, 1], ``(N, H, W, 3)``,
            ``(N, H, W, 1)`` (gray, shown as gray) or a single ``(H, W, 3)``. All columns have
            the same N; sizes may differ.
        row_titles: Optional N labels shown left of each row.
        metrics: Optional ``{column title: [N dicts]}``; the ``i``-th dict (e.g.
            ``{"PSNR": 24.1, "AuC": 0.91}``) is printed under image ``i`` of that column.
        image_size: Width of one image in inches, > 0.

    Returns:
        A Figure with ``N * len(columns)`` axes.

    Raises:
        TypeError: if ``columns`` is not a mapping.
        ValueError: for no columns, invalid images, differing N, or ``row_titles`` /
            ``metrics`` that do not match.

    Example:
        >>> import numpy as np
        >>> images = np.zeros((2, 8, 8, 3), dtype=np.float32)
        >>> fig = comparison_grid({"gray": images, "true": images}, row_titles=["a", "b"])
        >>> len(fig.axes)
        4
    """
    if not isinstance(columns, Mapping):
        raise TypeError(f"columns must be a dict. Received: type(columns)={type(columns)}")
    if not columns:
        raise ValueError("columns must not be empty. Received: columns={}")
    image_size = _checks.check_number("image_size", image_size, 0.0, open_low=True)
    batches = {
        title: _column_batch(images, f"columns[{title!r}]") for title, images in columns.items()
    }
    counts = {title: len(batch) for title, batch in batches.items()}
    num_rows = next(iter(counts.values()))
    if any(count != num_rows for count in counts.values()):
        raise ValueError(f"All columns must hold the same number of images. Received: {counts}")
    if row_titles is not None and len(row_titles) != num_rows:
        raise ValueError(
            f"row_titles must have one label per row ({num_rows}). "
            f"Received: len(row_titles)={len(row_titles)}"
        )
    metrics = dict(metrics or {})
    for title, values in metrics.items():
        if title not in batches:
            raise ValueError(
                f"metrics names a column that does not exist. Received: metrics key {title!r}; "
                f"columns: {list(batches)}"
            )
        if len(values) != num_rows:
            raise ValueError(
                f"metrics[{title!r}] must have one dict per row ({num_rows}). "
                f"Received: len(metrics[{title!r}])={len(values)}"
            )
    first = next(iter(batches.values()))
    aspect = first.shape[1] / first.shape[2]
    text_height = 0.42 if metrics else 0.0
    fig = _figure(
        image_size * len(batches) + (0.35 if row_titles is not None else 0.0),
        num_rows * (image_size * aspect + text_height) + 0.35,
    )
    axes = fig.subplots(num_rows, len(batches), squeeze=False)
    for col, (title, batch) in enumerate(batches.items()):
        for row in range(num_rows):
            ax = axes[row, col]
            ax.imshow(batch[row], vmin=0.0, vmax=1.0)
            _bare(ax)
            if row == 0:
                ax.set_title(title, fontsize=11)
            if col == 0 and row_titles is not None:
                ax.set_ylabel(str(row_titles[row]), fontsize=10)
            if title in metrics:
                ax.set_xlabel(_format_metrics(metrics[title][row]), fontsize=8)
    return fig


def lab_planes(image, lightness: float = _DISPLAY_LIGHTNESS, image_size: float = 2.6) -> Figure:
    """An image and its CIE Lab planes: L* in gray, a* and b* drawn in their own colors.

    The a* plane is shown with a colormap whose color at value ``a`` is Lab
    ``(lightness, a, 0)`` (green to magenta-red), the b* plane with ``(lightness, 0, b)``
    (blue to yellow), both on a fixed +-110 scale, so a dull photo visibly hugs the neutral
    middle.

    Args:
        image: RGB, float32 in [0, 1], ``(H, W, 3)`` (or ``(1, H, W, 3)``).
        lightness: L* (0-100) at which the a* and b* colors are drawn.
        image_size: Width of one panel in inches, > 0.

    Returns:
        A Figure with 7 axes: RGB, L*, a*, b* panels and 3 colorbars.

    Raises:
        ValueError: for an invalid image or lightness outside [0, 100].

    Example:
        >>> import numpy as np
        >>> fig = lab_planes(np.full((8, 8, 3), 0.5, dtype=np.float32))
        >>> [ax.get_title() for ax in fig.axes[:2]]
        ['RGB image', 'L* (lightness)']
    """
    image = _single_image(image, "image")
    if not 0 <= lightness <= 100:
        raise ValueError(f"lightness must be in [0, 100]. Received: lightness={lightness!r}")
    image_size = _checks.check_number("image_size", image_size, 0.0, open_low=True)
    lab = color.rgb_to_lab(image)
    aspect = image.shape[0] / image.shape[1]
    fig = _figure(4 * image_size + 1.2, image_size * aspect + 0.7)
    axes = fig.subplots(1, 4)
    axes[0].imshow(image, vmin=0.0, vmax=1.0)
    axes[0].set_title("RGB image")
    planes = [
        ("L* (lightness)", lab[..., 0], "gray", 0.0, 100.0),
        ("a* (green \u2013 red)", lab[..., 1], _axis_colormap(1, _AB_LIMIT, lightness), -110, 110),
        (
            "b* (blue \u2013 yellow)",
            lab[..., 2],
            _axis_colormap(2, _AB_LIMIT, lightness),
            -110,
            110,
        ),
    ]
    for ax, (title, plane, cmap, low, high) in zip(axes[1:], planes, strict=True):
        shown = ax.imshow(plane, cmap=cmap, vmin=low, vmax=high)
        ax.set_title(title)
        fig.colorbar(shown, ax=ax, shrink=0.8, pad=0.02)
    for ax in axes:
        _bare(ax)
    return fig


def yuv_planes(image, image_size: float = 2.6) -> Figure:
    """An image and its YUV planes (Rec. 601): Y in gray, U and V drawn in their own colors.

    U is shown with the colors of YUV ``(0.5, u, 0)`` over ``[-U_MAX, U_MAX]`` and V with
    ``(0.5, 0, v)`` over ``[-V_MAX, V_MAX]``.

    Args:
        image: RGB, float32 in [0, 1], ``(H, W, 3)`` (or ``(1, H, W, 3)``).
        image_size: Width of one panel in inches, > 0.

    Returns:
        A Figure with 7 axes: RGB, Y, U, V panels and 3 colorbars.

    Raises:
        ValueError: for an invalid image.

    Example:
        >>> import numpy as np
        >>> fig = yuv_planes(np.full((8, 8, 3), 0.5, dtype=np.float32))
        >>> fig.axes[1].get_title()
        'Y (luma)'
    """
    image = _single_image(image, "image")
    image_size = _checks.check_number("image_size", image_size, 0.0, open_low=True)
    yuv = color.rgb_to_yuv(image)
    aspect = image.shape[0] / image.shape[1]
    fig = _figure(4 * image_size + 1.2, image_size * aspect + 0.7)
    axes = fig.subplots(1, 4)
    axes[0].imshow(image, vmin=0.0, vmax=1.0)
    axes[0].set_title("RGB image")
    planes = [("Y (luma)", 0, 1.0), ("U (blue \u2013 yellow)", 1, color.U_MAX)]
    planes.append(("V (red \u2013 cyan)", 2, color.V_MAX))
    for ax, (title, channel, limit) in zip(axes[1:], planes, strict=True):
        if channel == 0:
            cmap, low = "gray", 0.0
        else:
            yuv_ramp = np.zeros((256, 3), dtype=np.float32)
            yuv_ramp[:, 0] = 0.5
            yuv_ramp[:, channel] = np.linspace(-limit, limit, 256)
            cmap, low = colors.ListedColormap(_display_yuv(yuv_ramp)), -limit
        shown = ax.imshow(yuv[..., channel], cmap=cmap, vmin=low, vmax=limit)
        ax.set_title(title)
        fig.colorbar(shown, ax=ax, shrink=0.8, pad=0.02)
    for ax in axes:
        _bare(ax)
    return fig


def desaturation_comparison(
    image, methods: Sequence[str] = ("lab", "rec601", "rec709", "mean"), image_size: float = 2.4
) -> Figure:
    """The image and its grayscale versions by several methods, side by side.

    Each title names the method and its mean absolute difference from the first method, so the
    (small but real) disagreement between "grayscale" definitions is visible.

    Args:
        image: RGB, float32 in [0, 1], ``(H, W, 3)`` (or ``(1, H, W, 3)``).
        methods: Non-empty sequence of :func:`colorkit.color.desaturate` methods.
        image_size: Width of one panel in inches, > 0.

    Returns:
        A Figure with ``1 + len(methods)`` axes.

    Raises:
        TypeError: if ``methods`` is a string or holds non-strings.
        ValueError: for an invalid image, no methods or an unknown method.

    Example:
        >>> import numpy as np
        >>> fig = desaturation_comparison(np.full((8, 8, 3), 0.5, dtype=np.float32))
        >>> len(fig.axes)
        5
    """
    image = _single_image(image, "image")
    image_size = _checks.check_number("image_size", image_size, 0.0, open_low=True)
    if isinstance(methods, str) or not all(isinstance(method, str) for method in methods):
        raise TypeError(f"methods must be a sequence of strings. Received: methods={methods!r}")
    if len(methods) == 0:
        raise ValueError("methods must not be empty. Received: methods=()")
    grays = [color.desaturate(image, method=method) for method in methods]
    aspect = image.shape[0] / image.shape[1]
    fig = _figure((1 + len(methods)) * image_size, image_size * aspect + 0.6)
    axes = fig.subplots(1, 1 + len(methods))
    axes[0].imshow(image, vmin=0.0, vmax=1.0)
    axes[0].set_title("original", fontsize=10)
    for index, (ax, method, gray) in enumerate(zip(axes[1:], methods, grays, strict=True)):
        ax.imshow(gray, vmin=0.0, vmax=1.0)
        label = _METHOD_LABELS.get(method, method)
        if index == 0:
            ax.set_title(f"{method}: {label}", fontsize=10)
        else:
            difference = float(np.mean(np.abs(gray - grays[0])))
            ax.set_title(
                f"{method}: {label}\nmean |\u0394| vs {methods[0]} = {difference:.3f}", fontsize=10
            )
    for ax in axes:
        _bare(ax)
    return fig


def error_map(pred, true, vmax: float | None = None, image_size: float = 2.8) -> Figure:
    """Predicted image, ground truth and the per-pixel ab error heatmap with a colorbar.

    The error is ``||ab_pred - ab_true||`` in Lab units (lightness differences are ignored:
    colorization keeps L).

    Args:
        pred: Predicted RGB, float32 in [0, 1], ``(H, W, 3)`` (or ``(1, H, W, 3)``).
        true: Ground-truth RGB, same shape.
        vmax: Top of the color scale in Lab units (> 0); default the image's maximum error
            (at least 1). Fix it to compare several maps.
        image_size: Width of one panel in inches, > 0.

    Returns:
        A Figure with 4 axes: predicted, true, error map and its colorbar.

    Raises:
        ValueError: for invalid images, mismatched shapes or ``vmax <= 0``.

    Example:
        >>> import numpy as np
        >>> image = np.full((8, 8, 3), 0.5, dtype=np.float32)
        >>> fig = error_map(image, image)
        >>> fig.axes[2].get_title()
        'ab error (mean 0.0)'
    """
    pred = _single_image(pred, "pred")
    true = _single_image(true, "true")
    if pred.shape != true.shape:
        raise ValueError(
            f"pred and true must have the same shape. Received: pred.shape={pred.shape}, "
            f"true.shape={true.shape}"
        )
    image_size = _checks.check_number("image_size", image_size, 0.0, open_low=True)
    difference = color.rgb_to_lab(pred)[..., 1:] - color.rgb_to_lab(true)[..., 1:]
    error = np.hypot(difference[..., 0], difference[..., 1])
    vmax = (
        max(float(error.max()), 1.0)
        if vmax is None
        else _checks.check_number("vmax", vmax, 0.0, open_low=True)
    )
    aspect = pred.shape[0] / pred.shape[1]
    fig = _figure(3 * image_size + 0.8, image_size * aspect + 0.6)
    axes = fig.subplots(1, 3)
    axes[0].imshow(pred, vmin=0.0, vmax=1.0)
    axes[0].set_title("predicted")
    axes[1].imshow(true, vmin=0.0, vmax=1.0)
    axes[1].set_title("ground truth")
    shown = axes[2].imshow(error, cmap="magma", vmin=0.0, vmax=vmax)
    axes[2].set_title(f"ab error (mean {error.mean():.1f})")
    colorbar = fig.colorbar(shown, ax=axes[2], shrink=0.8, pad=0.02)
    colorbar.set_label("Lab units")
    for ax in axes:
        _bare(ax)
    return fig


# --------------------------------------------------------------------------------------------
# The ab plane
# --------------------------------------------------------------------------------------------
def _ab_values(images_or_ab) -> np.ndarray:
    array = np.asarray(images_or_ab)
    if array.ndim < 1 or array.shape[-1] not in (2, 3):
        raise ValueError(
            "images_or_ab must be RGB images (..., 3) in [0, 1] or ab values (..., 2) in Lab "
            f"units. Received: images_or_ab.shape={array.shape}"
        )
    if array.shape[-1] == 3:
        return color.rgb_to_lab(color.validate_rgb(array, "images_or_ab"))[..., 1:].reshape(-1, 2)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"ab values must be floats. Received: images_or_ab.dtype={array.dtype}")
    if not np.all(np.isfinite(array)):
        raise ValueError("ab values must be finite. Received: images_or_ab with nan or inf")
    return array.reshape(-1, 2)


def _gamut_outline(ax, bins: np.ndarray, grid: float, **style) -> None:
    """Draws the outline of the union of the bins' squares."""
    values = np.arange(-_AB_LIMIT - grid, _AB_LIMIT + grid + 1e-6, 1.0)
    a, b = np.meshgrid(values, values)
    inside = np.zeros(a.shape, dtype=bool)
    for center_a, center_b in bins:
        inside |= (np.abs(a - center_a) <= grid / 2) & (np.abs(b - center_b) <= grid / 2)
    ax.contour(a, b, inside.astype(float), levels=[0.5], **style)


def ab_histogram(
    images_or_ab,
    ax=None,
    bins: int = 110,
    log: bool = True,
    show_gamut: bool = True,
    lightness: float = _DISPLAY_LIGHTNESS,
) -> Figure:
    """2-D histogram of colors on the ab plane, over a faint background of the plane's colors.

    Args:
        images_or_ab: RGB float32 in [0, 1] with shape ``(..., 3)``, or ab values ``(..., 2)``
            in Lab units.
        ax: Optional Axes to draw into; by default a new Figure is made.
        bins: Histogram bins per axis over [-110, 110] (int >= 2).
        log: Logarithmic count scale (natural images are dominated by near-neutral pixels).
        show_gamut: Outline the quantized sRGB gamut of :func:`colorkit.color.ab_bins`.
        lightness: L* (0-100) of the background colors.

    Returns:
        The Figure (``ax.figure`` when ``ax`` is given): the histogram axes and its colorbar.

    Raises:
        TypeError: for non-float ab values.
        ValueError: for an invalid shape, image, ``bins`` or ``lightness``.

    Example:
        >>> import numpy as np
        >>> fig = ab_histogram(np.random.default_rng(0).random((8, 8, 3), dtype=np.float32))
        >>> len(fig.axes)
        2
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an int >= 2. Received: bins={bins!r}")
    if not 0 <= lightness <= 100:
        raise ValueError(f"lightness must be in [0, 100]. Received: lightness={lightness!r}")
    ab = _ab_values(images_or_ab)
    if ax is None:
        fig = _figure(5.6, 4.6)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    extent = (-_AB_LIMIT, _AB_LIMIT, -_AB_LIMIT, _AB_LIMIT)
    background, _, _ = _ab_plane(lightness)
    ax.imshow(background, origin="lower", extent=extent, alpha=0.35, zorder=0)
    counts, _, _ = np.histogram2d(
        ab[:, 0], ab[:, 1], bins=bins, range=[[-_AB_LIMIT, _AB_LIMIT], [-_AB_LIMIT, _AB_LIMIT]]
    )
    masked = np.ma.masked_equal(counts.T, 0)
    norm = colors.LogNorm(vmin=1, vmax=max(counts.max(), 2)) if log else None
    shown = ax.imshow(
        masked,
        origin="lower",
        extent=extent,
        cmap="viridis",
        norm=norm,
        zorder=1,
        interpolation="nearest",
    )
    if show_gamut:
        _gamut_outline(
            ax,
            np.asarray(color.ab_bins(), dtype=np.float64),
            float(color.GRID_SIZE),
            colors="0.15",
            linewidths=0.8,
            linestyles="--",
        )
        ax.plot([], [], color="0.15", linewidth=0.8, linestyle="--", label="quantized sRGB gamut")
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    _setup_ab_axes(ax)
    ax.set_title(f"ab histogram ({len(ab):,} pixels)")
    colorbar = fig.colorbar(shown, ax=ax, shrink=0.85, pad=0.02)
    colorbar.set_label("pixels" + (" (log scale)" if log else ""))
    return fig


def ab_gamut(
    probabilities=None,
    bins=None,
    ax=None,
    lightness: float = _DISPLAY_LIGHTNESS,
    temperature: float = color.DEFAULT_TEMPERATURE,
) -> Figure:
    """The quantized ab gamut (313 bins) in their colors, optionally one predicted distribution.

    Without ``probabilities`` every bin is a full square. With them (one pixel's softmax
    output) each square's area is proportional to its probability, faint full squares mark the
    gamut, and the distribution's mean (T = 1, the desaturating average) and annealed mean (T =
    ``temperature``, :func:`colorkit.color.annealed_mean`) are marked.

    Args:
        probabilities: Optional ``(Q,)`` non-negative probabilities (normalised here).
        bins: ``(Q, 2)`` bin centres in Lab units; default :func:`colorkit.color.ab_bins`.
        ax: Optional Axes to draw into; by default a new Figure is made.
        lightness: L* (0-100) at which the bins are colored.
        temperature: Annealed-mean temperature in (0, 1].

    Returns:
        The Figure (``ax.figure`` when ``ax`` is given), with one axes.

    Raises:
        ValueError: for bins not ``(Q, 2)``, probabilities not ``(Q,)`` / negative / all zero,
            or a temperature outside (0, 1].

    Example:
        >>> fig = ab_gamut()
        >>> fig.axes[0].get_title()
        '313 quantized ab bins'
    """
    bins = np.asarray(color.ab_bins() if bins is None else bins, dtype=np.float64)
    if bins.ndim != 2 or bins.shape[1] != 2 or len(bins) == 0:
        raise ValueError(f"bins must have shape (Q, 2). Received: bins.shape={bins.shape}")
    if not 0 < temperature <= 1:
        raise ValueError(f"temperature must be in (0, 1]. Received: temperature={temperature!r}")
    if probabilities is not None:
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if probabilities.shape != (len(bins),):
            raise ValueError(
                f"probabilities must have shape ({len(bins)},). "
                f"Received: probabilities.shape={probabilities.shape}"
            )
        if not np.all(np.isfinite(probabilities)) or np.any(probabilities < 0):
            raise ValueError("probabilities must be finite and >= 0. Received: negative or nan")
        if probabilities.sum() <= 0:
            raise ValueError("probabilities must not all be 0. Received: sum 0")
        probabilities = probabilities / probabilities.sum()
    if ax is None:
        fig = _figure(5.0, 4.8)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    grid = _grid_size(bins)
    lab = np.concatenate([np.full((len(bins), 1), lightness), bins], axis=1)
    bin_colors = _display_rgb(lab)
    if probabilities is None:
        sides = np.full(len(bins), grid)
        title = f"{len(bins)} quantized ab bins"
    else:
        gamut = [patches.Rectangle((a - grid / 2, b - grid / 2), grid, grid) for a, b in bins]
        ax.add_collection(
            collections.PatchCollection(gamut, facecolors=bin_colors, alpha=0.15, edgecolors="none")
        )
        sides = grid * np.sqrt(probabilities / probabilities.max())
        title = "predicted ab distribution"
    squares = [
        patches.Rectangle((a - side / 2, b - side / 2), side, side)
        for (a, b), side in zip(bins, sides, strict=True)
    ]
    ax.add_collection(
        collections.PatchCollection(
            squares, facecolors=bin_colors, edgecolors="0.3", linewidths=0.2, zorder=2
        )
    )
    if probabilities is not None:
        mean = probabilities @ bins
        annealed = np.asarray(
            color.annealed_mean(
                probabilities.astype(np.float32), temperature=temperature, bins=bins
            )
        ).reshape(2)
        mode = bins[np.argmax(probabilities)]
        ax.plot(
            *mean,
            "o",
            color="black",
            markerfacecolor="white",
            markersize=8,
            zorder=4,
            label="mean (T = 1)",
        )
        ax.plot(
            *annealed,
            "D",
            color="black",
            markersize=7,
            zorder=4,
            label=f"annealed mean (T = {temperature:g})",
        )
        ax.plot(*mode, "x", color="black", markersize=8, markeredgewidth=2, zorder=4, label="mode")
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    _setup_ab_axes(ax)
    ax.set_title(title)
    return fig


def hue_wheel(
    lightness: float = _DISPLAY_LIGHTNESS,
    max_chroma: float = 100.0,
    show_sepia_sector: bool = True,
    ax=None,
) -> Figure:
    """The ab plane as a hue wheel: hue angle ``atan2(b, a)`` around, chroma outwards.

    Hue angles are labelled every 30 degrees and chroma rings drawn every 25 Lab units. With
    ``show_sepia_sector`` the region :func:`colorkit.metrics.sepia_score` counts as sepia
    (``SEPIA_HUE_RANGE`` x ``SEPIA_CHROMA_RANGE``) is outlined.

    Args:
        lightness: L* (0-100) of the colors.
        max_chroma: Radius of the wheel in Lab units (> 0, at most 110).
        show_sepia_sector: Outline the sepia sector.
        ax: Optional Axes to draw into; by default a new Figure is made.

    Returns:
        The Figure (``ax.figure`` when ``ax`` is given), with one axes.

    Raises:
        ValueError: for lightness outside [0, 100] or max_chroma outside (0, 110].

    Example:
        >>> hue_wheel().axes[0].get_title()
        'Lab hue wheel (L* = 65)'
    """
    if not 0 <= lightness <= 100:
        raise ValueError(f"lightness must be in [0, 100]. Received: lightness={lightness!r}")
    if not 0 < max_chroma <= _AB_LIMIT:
        raise ValueError(f"max_chroma must be in (0, 110]. Received: max_chroma={max_chroma!r}")
    if ax is None:
        fig = _figure(5.0, 5.0)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    plane, a, b = _ab_plane(lightness, resolution=400, limit=max_chroma)
    rgba = np.concatenate([plane, (np.hypot(a, b) <= max_chroma)[..., None]], axis=-1)
    extent = (-max_chroma, max_chroma, -max_chroma, max_chroma)
    ax.imshow(rgba, origin="lower", extent=extent, zorder=0)
    for radius in np.arange(25.0, max_chroma + 1e-6, 25.0):
        ax.add_patch(
            patches.Circle(
                (0, 0), radius, fill=False, color="white", linewidth=0.6, alpha=0.8, zorder=1
            )
        )
    for angle in range(0, 360, 30):
        radians = math.radians(angle)
        x, y = math.cos(radians), math.sin(radians)
        ax.plot(
            [0, max_chroma * x],
            [0, max_chroma * y],
            color="white",
            linewidth=0.5,
            alpha=0.7,
            zorder=1,
        )
        ax.text(
            1.1 * max_chroma * x,
            1.1 * max_chroma * y,
            f"{angle}\u00b0",
            ha="center",
            va="center",
            fontsize=9,
        )
    if show_sepia_sector:
        (low_hue, high_hue), (low_chroma, high_chroma) = (
            metrics.SEPIA_HUE_RANGE,
            metrics.SEPIA_CHROMA_RANGE,
        )
        ax.add_patch(
            patches.Wedge(
                (0, 0),
                min(high_chroma, max_chroma),
                low_hue,
                high_hue,
                width=min(high_chroma, max_chroma) - low_chroma,
                fill=False,
                edgecolor="black",
                linewidth=1.5,
                linestyle="--",
                zorder=2,
                label="sepia sector",
            )
        )
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    limit = 1.22 * max_chroma
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("a*")
    ax.set_ylabel("b*")
    ax.set_title(f"Lab hue wheel (L* = {lightness:g})")
    return fig


# --------------------------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------------------------
def _read_history_csv(path: Path) -> dict[str, list[float]]:
    if not path.is_file():
        raise FileNotFoundError(f"History CSV not found: {path}")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        fields = reader.fieldnames or []
    history: dict[str, list[float]] = {field: [] for field in fields}
    for line, row in enumerate(rows, start=2):
        for field in fields:
            try:
                history[field].append(float(row[field]))
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"Non-numeric value in {path}, line {line}, column {field!r}: {row[field]!r}"
                ) from error
    return history


def _history_dict(history) -> dict[str, np.ndarray]:
    if isinstance(history, str | os.PathLike):
        history = _read_history_csv(Path(history))
    elif hasattr(history, "history") and isinstance(history.history, Mapping):
        history = history.history  # a keras.callbacks.History
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be a dict of lists, a keras History or a CSV path. "
            f"Received: type(history)={type(history)}"
        )
    result = {}
    for key, values in history.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(
                f"history[{key!r}] must be 1-D. Received: history[{key!r}].shape={values.shape}"
            )
        result[str(key)] = values
    lengths = {len(values) for values in result.values()}
    if not result or lengths == {0}:
        raise ValueError("history is empty. Received: no metric values")
    if len(lengths) != 1:
        raise ValueError(
            "All history entries must have the same length. Received: "
            f"{ {key: len(values) for key, values in result.items()} }"
        )
    return result


def training_curves(history, image_size: float = 3.6) -> Figure:
    """Training curves: one panel per metric, training and validation together.

    ``loss`` and ``val_loss`` share a panel, as do ``auc`` and ``val_auc``; a learning-rate
    column (``lr`` or ``learning_rate``) gets a log-scale panel. Epochs are numbered from 1
    (a CSVLogger ``epoch`` column, which counts from 0, is used and shifted).

    Args:
        history: ``{name: [value per epoch]}`` (``keras.callbacks.History.history``), a
            ``History`` object, or the path of a ``keras.callbacks.CSVLogger`` file.
        image_size: Width of one panel in inches, > 0.

    Returns:
        A Figure with one axes per metric (``val_`` entries do not add panels).

    Raises:
        FileNotFoundError: for a missing CSV file (the message names the path).
        TypeError: for an unsupported ``history`` type.
        ValueError: for an empty history, unequal lengths or non-numeric values.

    Example:
        >>> fig = training_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "mae": [3, 2]})
        >>> [ax.get_title() for ax in fig.axes]
        ['loss', 'mae']
    """
    image_size = _checks.check_number("image_size", image_size, 0.0, open_low=True)
    values = _history_dict(history)
    epoch = values.pop("epoch", None)
    if not values:
        raise ValueError("history holds no metrics besides 'epoch'. Received: only 'epoch'")
    length = len(next(iter(values.values())))
    epochs = epoch + 1 if epoch is not None else np.arange(1, length + 1)
    names: list[str] = []
    for key in values:
        name = key[4:] if key.startswith("val_") else key
        if name not in names:
            names.append(name)
    num_columns = min(3, len(names))
    num_rows = math.ceil(len(names) / num_columns)
    fig = _figure(num_columns * image_size, num_rows * image_size * 0.75)
    axes = fig.subplots(num_rows, num_columns, squeeze=False).ravel()
    for ax in axes[len(names) :]:
        fig.delaxes(ax)
    for ax, name in zip(axes, names, strict=False):
        if name in values:
            ax.plot(epochs, values[name], marker=".", label="training")
        if f"val_{name}" in values:
            ax.plot(epochs, values[f"val_{name}"], marker=".", label="validation")
        if name in ("lr", "learning_rate"):
            ax.set_yscale("log")
            ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if len(ax.get_lines()) > 1:
            ax.legend(fontsize=8)
    return fig


def metric_curves(
    curves: Mapping[str, tuple],
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    ax=None,
) -> Figure:
    """Several named curves on one axes, e.g. the ab-error CDFs behind the AuC of each model.

    Args:
        curves: ``{label: (x, y)}`` with 1-D x and y of equal length (>= 1), e.g.
            ``{"unet": metrics.ab_error_cdf(pred, true)}``.
        xlabel: x-axis label.
        ylabel: y-axis label.
        title: Optional title.
        ax: Optional Axes to draw into; by default a new Figure is made.

    Returns:
        The Figure (``ax.figure`` when ``ax`` is given), with one axes and a legend.

    Raises:
        TypeError: if ``curves`` is not a mapping.
        ValueError: for no curves or a curve that is not two equal-length 1-D arrays.

    Example:
        >>> fig = metric_curves({"a": ([0, 1], [0, 1])}, "threshold", "fraction", title="CDF")
        >>> fig.axes[0].get_title(), fig.axes[0].get_xlabel()
        ('CDF', 'threshold')
    """
    if not isinstance(curves, Mapping):
        raise TypeError(f"curves must be a dict. Received: type(curves)={type(curves)}")
    if not curves:
        raise ValueError("curves must not be empty. Received: curves={}")
    checked = {}
    for label, curve in curves.items():
        try:
            x, y = curve
        except (TypeError, ValueError) as error:
            raise ValueError(f"curves[{label!r}] must be a pair (x, y).") from error
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape or x.size == 0:
            raise ValueError(
                f"curves[{label!r}] must hold 1-D x and y of equal, non-zero length. "
                f"Received: x.shape={x.shape}, y.shape={y.shape}"
            )
        checked[label] = (x, y)
    if ax is None:
        fig = _figure(5.4, 3.8)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for label, (x, y) in checked.items():
        ax.plot(x, y, label=str(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return fig


# --------------------------------------------------------------------------------------------
# User hints
# --------------------------------------------------------------------------------------------
def hint_color(hint: hints.Hint, lightness: float = 60.0) -> np.ndarray:
    """A hint's chroma shown at a lightness: float32 RGB ``(3,)`` in [0, 1] (gamut-clipped).

    Example:
        >>> [round(float(v), 3) for v in hint_color(hints.Hint(0, 0, (0.0, 0.0)), 50.0)]
        [0.466, 0.466, 0.466]
    """
    lab = np.array([[[float(lightness), *hint.ab]]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)  # a swatch: clipping is the intent
        return color.lab_to_rgb(lab)[0, 0]


def draw_hints(image, hint_list, selected: int | None = None, size: int = 7) -> np.ndarray:
    """Hints drawn on a photo as ideepcolor does: small squares of their color, outlined.

    Each square is filled with the hint's chroma at the photo's lightness there, framed in
    white then black (visible on any color); the ``selected`` hint gets a thicker frame.

    Args:
        image: float32 RGB ``(H, W, 3)`` in [0, 1].
        hint_list: ``colorkit.hints.Hint`` in the image's pixel coordinates.
        selected: Index of the selected hint, or None.
        size: Side of a square in pixels (odd, >= 3).

    Returns:
        A new float32 RGB ``(H, W, 3)`` array.

    Example:
        >>> marked = draw_hints(np.zeros((9, 9, 3), np.float32), [hints.Hint(4, 4, (0.0, 0.0))])
        >>> marked[4, 4].tolist(), marked[0, 4].tolist()  # fill (gray at L = 0), white frame
        ([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    """
    image = color.validate_rgb(image)
    out = np.array(image, dtype=np.float32, copy=True)
    height, width = out.shape[:2]
    half = max(1, int(size) // 2)
    lightness = color.rgb_to_lab(image)[..., 0]
    for index, hint in enumerate(hint_list):
        row = int(np.clip(round(hint.row), 0, height - 1))
        col = int(np.clip(round(hint.col), 0, width - 1))
        frame = half + (2 if index == selected else 1)
        for reach, shade in ((frame + 1, 0.0), (frame, 1.0)):
            out[max(0, row - reach) : row + reach + 1, max(0, col - reach) : col + reach + 1] = (
                shade
            )
        fill = hint_color(hint, float(lightness[row, col]))
        out[max(0, row - half) : row + half + 1, max(0, col - half) : col + half + 1] = fill
    return out


def hint_curves(scores: Mapping, baseline: Mapping | None = None) -> Figure:
    """PSNR and AuC against the number of hints (``colorkit.hint_curves.hint_curve``'s scores).

    Args:
        scores: ``{count: {"psnr", "auc_ab", "rebalanced_auc_ab", ...}}`` (count as int or str).
        baseline: Optional ``{metric: value}`` of an automatic colorizer, drawn as dashed lines.

    Returns:
        A Figure with two axes: PSNR (dB), and AuC (plain and rebalanced), x = hints (symlog).

    Example:
        >>> fig = hint_curves({0: {"psnr": 22.0, "auc_ab": 0.9, "rebalanced_auc_ab": 0.8},
        ...                    10: {"psnr": 26.0, "auc_ab": 0.95, "rebalanced_auc_ab": 0.9}})
        >>> [ax.get_ylabel() for ax in fig.axes]
        ['PSNR (dB)', 'AuC']
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError(f"scores must be a non-empty dict of counts. Received: {scores!r}")
    counts = sorted(scores, key=lambda key: int(key))
    x = np.array([int(key) for key in counts], np.float64)
    fig = _figure(10.0, 3.8)
    ax_psnr, ax_auc = fig.subplots(1, 2)
    ax_psnr.plot(x, [scores[k]["psnr"] for k in counts], "o-", label="with hints")
    for key, label in (("auc_ab", "AuC"), ("rebalanced_auc_ab", "rebalanced AuC")):
        ax_auc.plot(x, [scores[k][key] for k in counts], "o-", label=label)
    for key, label, ax in (
        ("psnr", "automatic colorizer", ax_psnr),
        ("rebalanced_auc_ab", "automatic, rebalanced", ax_auc),
    ):
        if baseline and key in baseline:
            ax.axhline(baseline[key], linestyle="--", color="gray", label=label)
    for ax, label in ((ax_psnr, "PSNR (dB)"), (ax_auc, "AuC")):
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xticks(x)
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.set_xlabel("random ground-truth hints per photo")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def hint_examples(rows: Sequence[Mapping], columns: Sequence[str], image_size: float = 2.4):
    """A grid of photos colorized with different hint sets.

    Args:
        rows: One mapping per photo: ``{column title: float32 RGB (H, W, 3)}``.
        columns: Column titles, in order (each row has every one).
        image_size: Inches per panel.

    Returns:
        The Figure.
    """
    if not rows or not columns:
        raise ValueError("rows and columns must not be empty.")
    fig = _figure(image_size * len(columns), image_size * 0.75 * len(rows) + 0.4)
    axes = np.atleast_2d(fig.subplots(len(rows), len(columns), squeeze=False))
    for r, row in enumerate(rows):
        for c, title in enumerate(columns):
            axes[r, c].imshow(np.clip(row[title], 0.0, 1.0))
            _bare(axes[r, c])
            if r == 0:
                axes[r, c].set_title(title, fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------
def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = _DPI) -> Path:
    """Saves a figure atomically: a temporary file in the same folder, then ``os.replace``.

    A reader never sees a half-written file, and an existing file is replaced only once the new
    one is complete. The format follows the suffix (``.png``, ``.pdf``, ``.svg``, ...).

    Args:
        fig: The Figure to save.
        path: Destination path; its folder must exist.
        dpi: Resolution in dots per inch (> 0), default 120.

    Returns:
        The destination as a ``Path``.

    Raises:
        TypeError: if ``fig`` is not a Figure.
        FileNotFoundError: if the destination folder does not exist (names the path).
        ValueError: for an unsupported suffix or ``dpi <= 0``.

    Example:
        >>> import tempfile, pathlib
        >>> folder = tempfile.mkdtemp()
        >>> saved = save_figure(hue_wheel(), pathlib.Path(folder) / "wheel.png")
        >>> saved.stat().st_size > 0
        True
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure. Received: type(fig)={type(fig)}")
    dpi = _checks.check_number("dpi", dpi, 0.0, open_low=True)
    path = Path(path)
    file_format = path.suffix[1:].lower()
    supported = fig.canvas.get_supported_filetypes()
    if file_format not in supported:
        raise ValueError(
            f"Unsupported figure format {path.suffix!r}; use one of "
            f"{sorted(supported)}. Received: path={str(path)!r}"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Folder does not exist: {path.parent} (saving {path})")
    with atomic.atomic_path(path) as temporary:
        fig.savefig(temporary, format=file_format, dpi=dpi)
    return path
