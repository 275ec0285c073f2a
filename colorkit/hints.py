"""User color hints (Zhang, Zhu et al. 2017): "this pixel is red", as data the network reads.

A :class:`Hint` is a point in the *input image's* pixel coordinates (row down, col right), a
color and a patch radius. Only the hint's chroma is used: its Lab ab; the photo keeps its own
luminance. :func:`rasterize` turns hints into the two maps a hint model takes at its working
size, :func:`parse_hints` reads the JSON form used by ``colorkit colorize --hints``::

    [{"x": 120, "y": 40, "color": "#d02020"}, {"x": 10, "y": 200, "color": "#2040c0", "radius": 4}]

(``x`` = column, ``y`` = row, pixels of the input photo; ``radius`` optional, default 2, i.e.
a 5x5 patch). :func:`ground_truth_hints` draws hints from a true color photo, as the papers
evaluate, and :func:`palette` reads the distinct likely colors (the modes of a predicted
distribution) off one pixel, as ideepcolor's interface does. :func:`spread` carries each
hint's color along the photo's own edges over the network's prediction (Yatziv & Sapiro 2006,
"Fast image and video colorization using chrominance blending": weights that fall with the
geodesic distance). :func:`localize` keeps a hint on its object: the network alone floods
(one hint of an unexpected color changes about half of a photo), so the hinted change is laid
over the colorization without hints through the hints' edge-aware :func:`influence`; zero
hints are exactly the automatic colorizer.

Example:
    >>> hint = Hint.from_color(row=1, col=2, rgb="#808080")
    >>> [abs(round(float(v), 3)) for v in hint.ab]
    [0.0, 0.0]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib.colors
import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph
from skimage import segmentation

from colorkit import _checks, color

#: Default patch radius in input pixels (a 5x5 patch, as the papers' evaluation).
DEFAULT_RADIUS = 2

#: :func:`spread`'s reach: the Gaussian width of a hint's share, in geodesic pixels, is this
#: times the working long side over the square root of the number of hints (that square root
#: is about the distance between neighbouring hints). Chosen on BSDS500 val by
#: ``scripts/compare_hint_spread.py`` (the largest of the values it tries).
SPREAD_SCALE = 2.0
#: :func:`spread`'s edge cost: a step between neighbouring pixels costs its length plus this
#: times their lightness difference in L units (0-100), so edges stop a hint. Chosen as above.
SPREAD_EDGE = 1.0
#: :func:`spread` blends the colors of several hints with weights ``d ** -BLEND_POWER``
#: (Yatziv & Sapiro's exponent).
BLEND_POWER = 4

#: :func:`influence`'s reach inside an object: the Gaussian width of a hint's share, in
#: geodesic pixels, is this times the working long side.
LOCAL_SCALE = 1.0
#: :func:`influence`'s edge cost: a step costs its length plus this times the change of the
#: guide (L in 0-100 units, and the automatic prediction's ab in Lab units times
#: ``LOCAL_AB_WEIGHT``), so edges stop a hint.
LOCAL_EDGE = 8.0
#: :func:`influence`: weight of the automatic prediction's chroma against the lightness.
LOCAL_AB_WEIGHT = 1.0
#: :func:`influence`'s falloff: ``exp(-(d / s)^LOCAL_POWER / 2)`` (2: a Gaussian).
LOCAL_POWER = 2.0
#: :func:`influence`'s segments of the gray image: Felzenszwalb & Huttenlocher's graph
#: segmentation with this scale, and regions of at least ``LOCAL_SEGMENT_MIN_SHARE`` of the
#: pixels. A hint reaches only the segments it touches.
LOCAL_SEGMENT_SCALE = 400.0
LOCAL_SEGMENT_MIN_SHARE = 0.005
#: :func:`influence`: Gaussian smoothing (pixels) of the lightness before its edges are read,
#: so that noise and fine texture do not count as edges.
LOCAL_SMOOTHING = 1.0

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


@dataclasses.dataclass(frozen=True)
class Hint:
    """One user hint.

    Attributes:
        row: Row in the input image's pixels (0 = top), a number >= 0.
        col: Column in the input image's pixels (0 = left), a number >= 0.
        ab: The hint's chroma, Lab (a, b) in Lab units (about -110..110).
        radius: Patch radius in input pixels (>= 0; 0 is a single pixel).
    """

    row: float
    col: float
    ab: tuple[float, float]
    radius: float = DEFAULT_RADIUS

    def __post_init__(self):
        for name in ("row", "col", "radius"):
            object.__setattr__(self, name, _checks.check_number(name, getattr(self, name), 0.0))
        ab = tuple(float(value) for value in np.asarray(self.ab, dtype=np.float64).reshape(-1))
        if len(ab) != 2 or not all(np.isfinite(ab)) or max(abs(v) for v in ab) > 128:
            raise ValueError(
                f"Invalid hint chroma: expected two finite Lab values (a, b) within +-128. "
                f"Received: ab={self.ab!r}"
            )
        object.__setattr__(self, "ab", ab)

    @classmethod
    def from_color(cls, row: float, col: float, rgb, radius: float = DEFAULT_RADIUS) -> Hint:
        """A hint from an RGB color: ``"#rrggbb"`` or three floats in [0, 1].

        Raises:
            ValueError: For a malformed color string or RGB values outside [0, 1].
        """
        lab = color.rgb_to_lab(parse_color(rgb).reshape(1, 1, 3))[0, 0]
        return cls(row, col, (float(lab[1]), float(lab[2])), radius)


def parse_color(value) -> np.ndarray:
    """``"#rrggbb"`` (or ``"rrggbb"``) or three floats in [0, 1] -> float32 RGB ``(3,)``.

    The hints file's format is exactly six hex digits (names such as ``"red"`` are refused, so a
    file means the same everywhere); matplotlib converts them.

    Example:
        >>> parse_color("#ff8000").tolist()
        [1.0, 0.501960813999176, 0.0]
    """
    if isinstance(value, str):
        match = _HEX.match(value.strip())
        if not match:
            raise ValueError(
                f"Invalid color: expected '#rrggbb' (six hex digits). Received: color={value!r}"
            )
        return np.asarray(matplotlib.colors.to_rgb("#" + match.group(1)), np.float32)
    rgb = np.asarray(value, dtype=np.float64).reshape(-1)
    if rgb.shape != (3,) or not np.all(np.isfinite(rgb)) or rgb.min() < 0 or rgb.max() > 1:
        raise ValueError(
            f"Invalid color: expected '#rrggbb' or three RGB floats in [0, 1]. Received: {value!r}"
        )
    return rgb.astype(np.float32)


def parse_hints(source, image_shape: tuple[int, int] | None = None) -> list[Hint]:
    """Reads hints from JSON (a path, a JSON string, or the parsed list).

    The JSON is a list of objects ``{"x": col, "y": row, "color": "#rrggbb"}`` with an optional
    ``"radius"``, in the input image's pixel coordinates.

    Args:
        source: Path to a ``.json`` file, a JSON text, or an already parsed list of dicts.
        image_shape: Optional ``(height, width)``: hints outside the image are refused.

    Returns:
        The hints, in file order.

    Raises:
        FileNotFoundError: For a missing file.
        ValueError: For invalid JSON, a document that is not a list (e.g. several images'
            hints keyed by file name), or a bad hint (the message names its index and field).

    Example:
        >>> parse_hints('[{"x": 3, "y": 1, "color": "#ff0000"}]')[0].col
        3.0
    """
    where = "hints"
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and not source.lstrip().startswith(("[", "{", '"'))
    ):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"Hints file not found: '{path}'")
        where = f"hints file '{path}'"
        source = path.read_text(encoding="utf-8", errors="replace")
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as error:
            raise ValueError(f"The {where} is not valid JSON: {error}") from None
        except RecursionError:  # json's parser recurses once per nesting level
            raise ValueError(
                f"The {where} is nested too deeply to be hints (a list of flat objects)"
            ) from None
    if isinstance(source, dict):
        raise ValueError(
            f"The {where} must be a JSON list of hints for one image, "
            '[{"x": col, "y": row, "color": "#rrggbb"}, ...]; it is an object (hints for '
            f"several images?). Received keys: {sorted(source)[:5]}"
        )
    if not isinstance(source, list):
        raise ValueError(
            f"The {where} must be a JSON list of hints. Received: {type(source).__name__}"
        )
    hints = []
    for index, item in enumerate(source):
        try:
            if not isinstance(item, dict):
                raise ValueError(f"expected an object, got {type(item).__name__}")
            missing = {"x", "y", "color"} - set(item)
            if missing:
                raise ValueError(f"missing {sorted(missing)}")
            unknown = set(item) - {"x", "y", "color", "radius"}
            if unknown:
                raise ValueError(f"unknown fields {sorted(unknown)}")
            for key in ("x", "y", "radius"):
                if key in item and (
                    isinstance(item[key], bool) or not isinstance(item[key], int | float)
                ):
                    raise ValueError(f"{key} must be a number, got {item[key]!r}")
            hint = Hint.from_color(
                item["y"], item["x"], item["color"], item.get("radius", DEFAULT_RADIUS)
            )
            if image_shape is not None:
                check_inside(hint, image_shape)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"Invalid hint #{index} in the {where}: {error}. Received: {item!r}"
            ) from None
        hints.append(hint)
    return hints


def check_inside(hint: Hint, image_shape: tuple[int, int]) -> None:
    """Raises ValueError if the hint's point lies outside an image of ``(height, width)``."""
    height, width = image_shape
    if not (hint.row < height and hint.col < width):
        raise ValueError(
            f"hint at x={hint.col:g}, y={hint.row:g} lies outside the image "
            f"(width {width}, height {height} pixels)"
        )


def hints_to_json(hints: Sequence[Hint]) -> list[dict]:
    """The JSON form of hints (``x``, ``y``, ``color`` as ``#rrggbb`` at mid gray, radius).

    The color written is the hint's chroma at L = 50 (only chroma matters).
    """
    out = []
    for hint in hints:
        rgb = _lab_to_rgb_quiet(np.array([[[50.0, *hint.ab]]], np.float32))[0, 0]
        text = "#" + "".join(f"{int(round(float(v) * 255)):02x}" for v in rgb)
        out.append({"x": hint.col, "y": hint.row, "color": text, "radius": hint.radius})
    return out


def _lab_to_rgb_quiet(lab: np.ndarray) -> np.ndarray:
    # A palette or a saved hint color may lie outside sRGB: clipping it is the intent here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        return color.lab_to_rgb(lab)


def rasterize(
    hints: Sequence[Hint],
    image_shape: tuple[int, int],
    working_shape: tuple[int, int],
    padded_shape: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Hint maps at a model's working size.

    A hint covers the pixels within ``radius`` (scaled to the working size, at least the
    nearest pixel) of its point, in a square patch.

    Args:
        hints: The hints, in ``image_shape`` pixel coordinates.
        image_shape: ``(height, width)`` of the input image the hints refer to.
        working_shape: ``(h, w)`` the image is resized to for the network.
        padded_shape: ``(H, W) >= (h, w)`` after padding to the model's stride (zeros
            beyond the image); default ``working_shape``.

    Returns:
        ``(hint_ab, hint_mask)``: float32 ``(H, W, 2)`` model-scale ab (ab / ``AB_SCALE``)
        and ``(H, W, 1)`` in {0, 1}. Later hints overwrite earlier ones where they overlap.

    Raises:
        ValueError: If a hint lies outside the image.

    Example:
        >>> ab, mask = rasterize([Hint(0, 0, (55.0, 0.0), radius=0)], (10, 10), (5, 5))
        >>> int(mask.sum()), round(float(ab[0, 0, 0]), 2)
        (1, 0.5)
    """
    height, width = image_shape
    work_h, work_w = working_shape
    pad_h, pad_w = padded_shape or working_shape
    hint_ab = np.zeros((pad_h, pad_w, 2), np.float32)
    mask = np.zeros((pad_h, pad_w, 1), np.float32)
    scale_r, scale_c = work_h / height, work_w / width
    for index, hint in enumerate(hints):
        try:
            check_inside(hint, image_shape)
        except ValueError as error:
            raise ValueError(f"hint #{index}: {error}") from None
        row = int(np.clip(np.floor((hint.row + 0.5) * scale_r), 0, work_h - 1))
        col = int(np.clip(np.floor((hint.col + 0.5) * scale_c), 0, work_w - 1))
        reach_r = int(np.floor(hint.radius * scale_r))
        reach_c = int(np.floor(hint.radius * scale_c))
        rows = slice(max(0, row - reach_r), min(work_h, row + reach_r + 1))
        cols = slice(max(0, col - reach_c), min(work_w, col + reach_c + 1))
        hint_ab[rows, cols] = np.asarray(hint.ab, np.float32) / np.float32(color.AB_SCALE)
        mask[rows, cols] = 1.0
    return hint_ab, mask


def ground_truth_hints(
    image: np.ndarray, count: int, rng: np.random.Generator, radius: int = DEFAULT_RADIUS
) -> list[Hint]:
    """Hints drawn from a true color photo, as the papers evaluate them.

    Points are uniform over the pixels; each hint's chroma is the true ab averaged over the
    ``(2 radius + 1)^2`` patch around it (clipped at the borders).

    Args:
        image: float32 RGB ``(H, W, 3)`` in [0, 1], the true photo.
        count: Number of hints (>= 0).
        rng: Random generator.
        radius: Patch radius in pixels (2 = a 5x5 patch).

    Returns:
        ``count`` hints in the image's pixel coordinates.
    """
    image = color.validate_rgb(image)
    count = _checks.check_int("count", count, minimum=0)
    height, width = image.shape[:2]
    ab = color.rgb_to_lab(image)[..., 1:]
    hints = []
    for _ in range(count):
        row, col = int(rng.integers(0, height)), int(rng.integers(0, width))
        patch = ab[max(0, row - radius) : row + radius + 1, max(0, col - radius) : col + radius + 1]
        mean = patch.reshape(-1, 2).mean(axis=0)
        hints.append(Hint(row, col, (float(mean[0]), float(mean[1])), radius))
    return hints


#: :func:`palette`: bins closer than this (Lab ab units) to a mode's bin join that mode (two
#: bin steps: the 313 bins are 10 apart).
PALETTE_MERGE = 25.0
#: :func:`palette`: modes holding less probability than this are not offered.
PALETTE_MIN_SHARE = 0.03

# Hue names by Lab hue angle (degrees, the start of each range), for readable swatch labels.
_HUE_NAMES = (
    (0.0, "pink"),
    (20.0, "red"),
    (55.0, "orange"),
    (75.0, "yellow"),
    (105.0, "yellow-green"),
    (125.0, "green"),
    (170.0, "teal"),
    (215.0, "cyan"),
    (250.0, "blue"),
    (295.0, "violet"),
    (325.0, "magenta"),
)


def color_name(lightness: float, a: float, b: float) -> str:
    """A plain English name of a Lab color: "gray", "dark red", "pale blue", "brown", ...

    Example:
        >>> color_name(50, 60, 40), color_name(30, 20, 30), color_name(90, 1, 2)
        ('red', 'brown', 'light gray')
    """
    chroma = float(np.hypot(a, b))
    hue = float(np.degrees(np.arctan2(b, a))) % 360.0
    if chroma < 8:
        name = "gray"
    else:
        name = [label for start, label in _HUE_NAMES if hue >= start][-1]
        if name in ("red", "orange", "yellow") and lightness < 45 and chroma < 45:
            return "brown"
        if chroma < 25:
            name = f"pale {name}"
    if lightness < 30:
        return f"dark {name}"
    if lightness > 80:
        return f"light {name}"
    return name


@dataclasses.dataclass(frozen=True)
class Swatch:
    """One suggested color: a mode of the predicted distribution at a pixel.

    Attributes:
        ab: The mode's chroma, Lab (a, b) (probability-weighted mean of its bins).
        rgb: float32 ``(3,)`` in [0, 1]: the color at the pixel's lightness (clipped to sRGB).
        probability: The probability mass of the mode's bins.
        hex: ``"#rrggbb"`` of ``rgb``.
        name: A plain name (:func:`color_name`).
    """

    ab: tuple[float, float]
    rgb: np.ndarray
    probability: float
    hex: str
    name: str

    @property
    def label(self) -> str:
        """What a swatch shows: name, hex and probability, e.g. ``"red #c03020 42%"``."""
        return f"{self.name} {self.hex} {self.probability:.0%}"


def palette(
    probabilities: np.ndarray,
    lightness: float,
    count: int = 5,
    merge_distance: float = PALETTE_MERGE,
    min_share: float = PALETTE_MIN_SHARE,
) -> list[Swatch]:
    """The distinct colors the network hesitates between at one pixel, most probable first.

    The modes of the predicted distribution: the most probable bin starts a mode and takes
    every remaining bin within ``merge_distance`` (so neighbouring bins of one hue count once,
    with their summed probability); the most probable remaining bin starts the next. A
    mode's color is its bins' probability-weighted mean ab, shown at the pixel's lightness.

    Args:
        probabilities: float ``(Q,)`` bin probabilities at the pixel (over ``color.ab_bins()``).
        lightness: The pixel's L in [0, 100].
        count: Largest number of swatches (>= 1).
        merge_distance: Bins closer than this (Lab ab units, >= 0) to a mode's first bin
            join it.
        min_share: Modes with less probability mass are left out (the first one never is).

    Returns:
        A list of :class:`Swatch`, by decreasing probability (at least one).

    Raises:
        ValueError: For a wrong shape or bad settings.

    Example:
        >>> p = np.zeros(color.NUM_BINS); bins = color.ab_bins()
        >>> red = np.flatnonzero(np.hypot(*(bins - (60, 40)).T) < 12)  # a few bins around red
        >>> p[red] = 0.6 / len(red); p[np.argmin(np.hypot(*(bins - (0, -50)).T))] = 0.4
        >>> [(s.name, round(s.probability, 1)) for s in palette(p, 50.0)]
        [('red', 0.6), ('blue', 0.4)]
    """
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    bins = color.ab_bins().astype(np.float64)
    if probabilities.shape != (len(bins),):
        raise ValueError(
            f"probabilities must have shape ({len(bins)},). "
            f"Received: probabilities.shape={probabilities.shape}"
        )
    count = _checks.check_int("count", count)
    merge_distance = _checks.check_number("merge_distance", merge_distance, 0.0)
    min_share = _checks.check_number("min_share", min_share, 0.0, 1.0)
    probabilities = np.clip(np.nan_to_num(probabilities), 0.0, None)
    remaining = np.ones(len(bins), bool)
    modes = []
    while remaining.any() and len(modes) < count:
        top = int(np.flatnonzero(remaining)[np.argmax(probabilities[remaining])])
        members = remaining & (np.hypot(*(bins - bins[top]).T) <= merge_distance)
        remaining &= ~members
        mass = float(probabilities[members].sum())
        if modes and mass < min_share:
            break
        weights = probabilities[members] / mass if mass > 0 else None
        modes.append((np.average(bins[members], axis=0, weights=weights), mass))
    lab = np.zeros((len(modes), 1, 3), np.float32)
    lab[:, 0, 0] = float(lightness)
    lab[:, 0, 1:] = [ab for ab, _ in modes]
    rgb = _lab_to_rgb_quiet(lab)[:, 0]
    swatches = []
    for index, (ab, mass) in enumerate(modes):
        text = "#" + "".join(f"{int(round(float(v) * 255)):02x}" for v in rgb[index])
        name = color_name(float(lightness), float(ab[0]), float(ab[1]))
        swatches.append(Swatch((float(ab[0]), float(ab[1])), rgb[index], mass, text, name))
    return sorted(swatches, key=lambda swatch: -swatch.probability)


def rescale(hints: Sequence[Hint], from_shape: tuple[int, int], to_shape: tuple[int, int]):
    """Hints moved from an image of ``from_shape`` to the same image resized to ``to_shape``.

    Pixel centers map to pixel centers, so rasterizing the rescaled hints at ``to_shape``
    covers the same pixels as rasterizing the originals from ``from_shape`` to ``to_shape``.

    Example:
        >>> [(h.row, h.col) for h in rescale([Hint(1, 3, (0.0, 0.0))], (4, 8), (8, 16))]
        [(2.5, 6.5)]
    """
    scale_r, scale_c = to_shape[0] / from_shape[0], to_shape[1] / from_shape[1]
    return [
        dataclasses.replace(
            hint,
            row=min(max(0.0, (hint.row + 0.5) * scale_r - 0.5), to_shape[0] - 1),
            col=min(max(0.0, (hint.col + 0.5) * scale_c - 0.5), to_shape[1] - 1),
            radius=hint.radius * min(scale_r, scale_c),
        )
        for hint in hints
    ]


class _LastResult:
    """Remembers a function's last result for arrays equal to the last ones (by content).

    An interactive explorer recomputes the picture after every click on the same photo: the
    pixel graph and the gray segmentation depend on the photo only, so they are built once.
    """

    def __init__(self, function):
        self.function = function
        self.key = None
        self.value = None

    def __call__(self, array: np.ndarray, *args):
        array = np.ascontiguousarray(array)
        digest = hashlib.blake2b(array.tobytes(), digest_size=16).hexdigest()
        key = (array.shape, str(array.dtype), digest, args)
        if key != self.key:
            self.value = self.function(array, *args)
            self.key = key
        return self.value


def _geodesic_graph(features: np.ndarray, edge: float):
    """The 8-neighbour pixel graph of a ``(H, W)`` L map (0-100) or ``(H, W, C)`` features:
    a step costs its length + edge * the features' Euclidean difference (|dL| for L)."""
    if features.ndim == 2:
        features = features[..., None]
    height, width = features.shape[:2]
    index = np.arange(height * width).reshape(height, width)
    rows, cols, costs = [], [], []
    steps = (
        ((slice(None), slice(0, -1)), (slice(None), slice(1, None)), 1.0),
        ((slice(0, -1), slice(None)), (slice(1, None), slice(None)), 1.0),
        ((slice(0, -1), slice(0, -1)), (slice(1, None), slice(1, None)), np.sqrt(2.0)),
        ((slice(0, -1), slice(1, None)), (slice(1, None), slice(0, -1)), np.sqrt(2.0)),
    )
    for first, second, length in steps:
        step = np.linalg.norm(features[first] - features[second], axis=-1)
        cost = (length + edge * step).ravel()
        rows += [index[first].ravel(), index[second].ravel()]
        cols += [index[second].ravel(), index[first].ravel()]
        costs += [cost, cost]
    size = height * width
    return sparse.csr_matrix(
        (np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size)
    )


def spread(
    chroma: np.ndarray,
    lightness: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    scale: float | None = None,
    edge: float | None = None,
    saturation: float = 1.0,
) -> np.ndarray:
    """Blend each hint's color into the prediction around it, along the photo's edges.

    For each hint (a connected patch of ``hint_mask``, color ``c_k``) and pixel, ``d_k`` is the
    geodesic distance to the patch: a step costs its length plus ``edge`` times the lightness
    difference in L units, so it is cheap inside an object and dear across its edges. The
    hints' colors are blended as Yatziv & Sapiro (2006) do, ``t = sum_k d_k^-4 c_k / sum_k
    d_k^-4`` (a pixel takes its nearest hint's color), and laid over the prediction with the
    share ``a = exp(-d^2 / (2 s^2))`` of the nearest hint's distance ``d``, where ``s = scale *
    max(H, W) / sqrt(K)`` for ``K`` hints (about the distance between neighbouring hints):
    ``(1 - a) * chroma + a * t``. Without hints it returns ``chroma``.
    The prediction is later scaled by the decoding's ``saturation`` (``colorkit.infer.
    compose``) but a hint's color is the user's: ``c_k`` is divided by ``saturation`` here so
    that it comes out as given (with ``saturation`` 0 the photo stays gray, hints unspread).

    Args:
        chroma: float32 ``(H, W, 2)`` model-scale ab (ab / ``color.AB_SCALE``), the prediction.
        lightness: float32 ``(H, W, 1)`` or ``(H, W)`` model-scale lightness in [0, 1].
        hint_ab: float32 ``(H, W, 2)`` model-scale ab of the hints (as :func:`rasterize`).
        hint_mask: float32 ``(H, W, 1)`` or ``(H, W)`` in {0, 1}.
        scale: Reach of a hint (> 0), see above; None: ``SPREAD_SCALE``.
        edge: Cost of a unit of lightness difference (>= 0), 0 ignores edges; None:
            ``SPREAD_EDGE``.
        saturation: The chroma multiplier applied after this step (>= 0).

    Returns:
        float32 ``(H, W, 2)`` model-scale ab.

    Raises:
        ValueError: For mismatched shapes or a bad ``scale`` / ``edge``.

    Example:
        >>> chroma = np.zeros((8, 8, 2), np.float32); light = np.full((8, 8, 1), 0.5, np.float32)
        >>> ab = np.zeros((8, 8, 2), np.float32); mask = np.zeros((8, 8, 1), np.float32)
        >>> ab[0, 0], mask[0, 0] = (0.4, 0.0), 1
        >>> out = spread(chroma, light, ab, mask)
        >>> [round(float(out[r, r, 0]), 2) for r in (0, 3, 7)]  # the hint's a, fading away
        [0.4, 0.39, 0.33]
    """
    scale = _checks.check_number(
        "scale", SPREAD_SCALE if scale is None else scale, 0.0, open_low=True
    )
    edge = _checks.check_number("edge", SPREAD_EDGE if edge is None else edge, 0.0)
    saturation = _checks.check_saturation(saturation)
    chroma = np.asarray(chroma, np.float32)
    hint_ab = np.asarray(hint_ab, np.float32)
    if chroma.ndim != 3 or chroma.shape[-1] != 2 or hint_ab.shape != chroma.shape:
        raise ValueError(
            "chroma and hint_ab must both have shape (H, W, 2). "
            f"Received: chroma.shape={chroma.shape}, hint_ab.shape={hint_ab.shape}"
        )
    height, width = chroma.shape[:2]
    planes = {"lightness": np.asarray(lightness, np.float32), "hint_mask": np.asarray(hint_mask)}
    for name, plane in planes.items():
        if plane.shape not in ((height, width), (height, width, 1)):
            raise ValueError(
                f"{name} must have shape (H, W) or (H, W, 1) with chroma's (H, W) = "
                f"{(height, width)}. Received: {name}.shape={plane.shape}"
            )
    lightness = planes["lightness"].reshape(height, width)
    mask = planes["hint_mask"].reshape(height, width) > 0.5
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count == 0 or saturation == 0:
        return chroma
    sigma = scale * max(height, width) / np.sqrt(count)
    graph = _cached_spread_graph(lightness * 100.0, edge)
    flat = labels.ravel()
    nearest = np.full(height * width, np.inf)
    total = np.zeros(height * width)
    blended = np.zeros((height * width, 2))
    for label in range(1, count + 1):
        sources = np.flatnonzero(flat == label)
        distance = csgraph.dijkstra(graph, indices=sources, min_only=True, limit=4 * sigma)
        nearest = np.minimum(nearest, distance)
        # Yatziv & Sapiro's blend: weights d^-4 (a pixel takes its nearest hint's color).
        weight = np.maximum(np.minimum(distance, 1e6), 1.0) ** -BLEND_POWER
        total += weight
        hint_color = hint_ab.reshape(-1, 2)[sources].mean(axis=0) / saturation
        blended += weight[:, None] * hint_color
    share = np.exp(-0.5 * (np.minimum(nearest, 8 * sigma) / sigma) ** 2)[:, None]
    target = blended / total[:, None]
    result = (1.0 - share) * chroma.reshape(-1, 2) + share * target
    return result.reshape(height, width, 2).astype(np.float32)


def _gray_segments(lightness: np.ndarray, scale: float, min_share: float) -> np.ndarray:
    """Felzenszwalb & Huttenlocher's segmentation of a ``(H, W)`` lightness in [0, 1]."""
    height, width = lightness.shape
    min_size = max(1, int(min_share * height * width))
    gray = np.repeat(lightness[..., None], 3, axis=-1)  # as an RGB photo: the gray input
    return segmentation.felzenszwalb(gray, scale=scale, sigma=0.8, min_size=min_size)


_cached_spread_graph = _LastResult(_geodesic_graph)
_cached_influence_graph = _LastResult(_geodesic_graph)
_cached_segments = _LastResult(_gray_segments)


def influence(
    lightness: np.ndarray,
    hint_mask: np.ndarray,
    guide_ab: np.ndarray | None = None,
    scale: float | None = None,
    edge: float | None = None,
    ab_weight: float | None = None,
) -> np.ndarray:
    """Where the hints may change the picture: 1 on a hint, falling to 0 across edges.

    Two edge-aware limits, multiplied. First, the segments of the gray image (Felzenszwalb &
    Huttenlocher's graph segmentation of the lightness, ``LOCAL_SEGMENT_SCALE``) that hold a
    hinted pixel: a hint does not leave them. Second, inside them, ``d`` is each pixel's
    geodesic distance to the nearest hinted pixel in a graph whose steps
    cost their length plus ``edge`` times the change of a guide: the lightness (L, 0-100,
    lightly smoothed) and, given ``guide_ab``, the automatic prediction's chroma (ab in Lab
    units, times ``ab_weight``: the network's own idea of where objects end, which also
    separates objects of equal lightness). Paths inside an object are cheap, a path across
    its edge is dear; that share is ``exp(-(d / s)^p / 2)`` with ``s = scale * max(H, W)``
    and ``p = LOCAL_POWER``. The product is
    smoothed by one pixel so that the change has no hard seam. The settings were chosen on
    BSDS500 val (30 photos, long side 256), never on test: see ``docs/MODEL_CARD.md``.

    Args:
        lightness: float32 ``(H, W, 1)`` or ``(H, W)`` model-scale lightness in [0, 1].
        hint_mask: float32 ``(H, W, 1)`` or ``(H, W)`` in {0, 1} (as :func:`rasterize`).
        guide_ab: None, or float32 ``(H, W, 2)`` model-scale ab (ab / ``color.AB_SCALE``) of
            the colorization without hints.
        scale: Reach inside an object, as a share of the long side (> 0); None: ``LOCAL_SCALE``.
        edge: Cost of a unit of guide difference (>= 0); None: ``LOCAL_EDGE``.
        ab_weight: Weight of the chroma guide against L (>= 0); None: ``LOCAL_AB_WEIGHT``.

    Returns:
        float32 ``(H, W)`` in [0, 1]; all zeros without hints.

    Raises:
        ValueError: For mismatched shapes or bad settings.

    Example:
        >>> light = np.full((20, 30, 1), 0.2, np.float32); light[:, 15:] = 0.8  # edge at col 15
        >>> mask = np.zeros((20, 30, 1), np.float32); mask[10, 4] = 1
        >>> share = influence(light, mask)
        >>> bool(share[:, :12].min() > 0.5), bool(share[:, 18:].max() < 0.01)
        (True, True)
    """
    scale = _checks.check_number(
        "scale", LOCAL_SCALE if scale is None else scale, 0.0, open_low=True
    )
    edge = _checks.check_number("edge", LOCAL_EDGE if edge is None else edge, 0.0)
    ab_weight = _checks.check_number(
        "ab_weight", LOCAL_AB_WEIGHT if ab_weight is None else ab_weight, 0.0
    )
    lightness = np.asarray(lightness, np.float32)
    height, width = lightness.shape[:2]
    if lightness.ndim == 3:
        if lightness.shape[-1] != 1:
            raise ValueError(
                f"lightness must have shape (H, W) or (H, W, 1). Received: {lightness.shape}"
            )
        lightness = lightness[..., 0]
    mask = np.asarray(hint_mask)
    if mask.shape not in ((height, width), (height, width, 1)):
        raise ValueError(
            f"hint_mask must have shape (H, W) or (H, W, 1) with lightness's (H, W) = "
            f"{(height, width)}. Received: hint_mask.shape={mask.shape}"
        )
    sources = np.flatnonzero(mask.reshape(height, width) > 0.5)
    if sources.size == 0:
        return np.zeros((height, width), np.float32)
    features = [ndimage.gaussian_filter(lightness * color.L_SCALE, LOCAL_SMOOTHING)[..., None]]
    if guide_ab is not None:
        guide_ab = np.asarray(guide_ab, np.float32)
        if guide_ab.shape != (height, width, 2):
            raise ValueError(
                f"guide_ab must have shape {(height, width, 2)}. Received: {guide_ab.shape}"
            )
        features.append(guide_ab * np.float32(color.AB_SCALE * ab_weight))
    graph = _cached_influence_graph(np.concatenate(features, axis=-1), edge)
    sigma = scale * max(height, width)
    distance = csgraph.dijkstra(graph, indices=sources, min_only=True, limit=4 * sigma)
    share = np.exp(-0.5 * (np.minimum(distance, 4 * sigma) / sigma) ** LOCAL_POWER)
    share[distance >= 4 * sigma] = 0.0
    labels = _cached_segments(lightness, LOCAL_SEGMENT_SCALE, LOCAL_SEGMENT_MIN_SHARE)
    inside = np.isin(labels.ravel(), np.unique(labels.ravel()[sources]))
    share = ndimage.gaussian_filter((share * inside).reshape(height, width), LOCAL_SMOOTHING)
    share.ravel()[sources] = 1.0
    return np.clip(share, 0.0, 1.0).astype(np.float32)


def localize(
    base: np.ndarray,
    hinted: np.ndarray,
    lightness: np.ndarray,
    hint_ab: np.ndarray,
    hint_mask: np.ndarray,
    saturation: float = 1.0,
    spread_hints: bool = True,
) -> np.ndarray:
    """Keep hints on their objects: the hinted change laid over the automatic colorization.

    The network floods: one hint of a color the network did not expect changes about half of
    the photo. This composes ``base + a * (h - base)``, where ``base`` is the colorization
    without hints, ``h`` the one with them (spread over the prediction, :func:`spread`,
    unless ``spread_hints`` is False) and ``a`` the hints' edge-aware :func:`influence`
    (guided by the lightness and by ``base``'s chroma). Without hints it returns ``base``
    unchanged, so zero hints are exactly the automatic colorizer.

    Args:
        base: float32 ``(H, W, 2)`` model-scale ab: the prediction without hints.
        hinted: float32 ``(H, W, 2)``: the network's prediction with the hints.
        lightness: float32 ``(H, W, 1)`` or ``(H, W)`` model-scale lightness in [0, 1].
        hint_ab: float32 ``(H, W, 2)`` model-scale ab of the hints (as :func:`rasterize`).
        hint_mask: float32 ``(H, W, 1)`` or ``(H, W)`` in {0, 1}.
        saturation: As :func:`spread`.
        spread_hints: Spread the hints' colors over ``hinted`` first.

    Returns:
        float32 ``(H, W, 2)`` model-scale ab.

    Raises:
        ValueError: For mismatched shapes.

    Example:
        >>> light = np.full((20, 30, 1), 0.2, np.float32); light[:, 15:] = 0.8
        >>> base = np.zeros((20, 30, 2), np.float32); flooded = np.full_like(base, 0.5)
        >>> ab = np.zeros((20, 30, 2), np.float32); mask = np.zeros((20, 30, 1), np.float32)
        >>> ab[10, 4], mask[10, 4] = (0.5, 0.5), 1
        >>> out = localize(base, flooded, light, ab, mask)  # the flood stays left of the edge
        >>> round(float(out[10, 4, 0]), 2), bool(out[:, 18:].max() < 0.01)
        (0.5, True)
    """
    base = np.asarray(base, np.float32)
    hinted = np.asarray(hinted, np.float32)
    if base.ndim != 3 or base.shape[-1] != 2 or hinted.shape != base.shape:
        raise ValueError(
            "base and hinted must both have shape (H, W, 2). "
            f"Received: base.shape={base.shape}, hinted.shape={hinted.shape}"
        )
    if not np.any(np.asarray(hint_mask) > 0.5):
        return base
    if spread_hints:
        hinted = spread(hinted, lightness, hint_ab, hint_mask, saturation=saturation)
    share = influence(lightness, hint_mask, guide_ab=base)[..., None]
    return (base + share * (hinted - base)).astype(np.float32)
