"""Validation and test sets that look like the world: held-out photos of every collection.

The multi-source sets take, for each collection of :data:`MULTI_SOURCE`, its held-out ``val`` or
``test`` photos (BSDS500's own split folders; the snapshot collections' hashed splits, see
``colorkit.data.datasets.hashed_split``), optionally a fixed number per collection so that no
collection dominates. :func:`score_by_source` scores predictions per collection and pooled over
all of them, with the harm rate (photos made more than 3 dB worse than the gray input).

Example:
    >>> MULTI_SOURCE[0]
    'bsds500'
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from colorkit import _checks, data, metrics
from colorkit.evaluation import protocol

#: The collections of the multi-source validation and test sets.
MULTI_SOURCE = ("bsds500", "imagenette", "imagewoof", "caltech101", "intel-scenes", "utkface")
SPLITS = ("val", "test")


def _stable_order(paths: Sequence[str]) -> list[str]:
    return sorted(paths, key=lambda path: hashlib.sha256(path.encode()).hexdigest())


def source_photos(
    split: str, per_source: int | None = None, sources: Sequence[str] = MULTI_SOURCE
) -> dict[str, list[str]]:
    """The held-out photos of each collection.

    Args:
        split: ``"val"`` (tuning) or ``"test"`` (reporting only).
        per_source: At most this many photos per collection (a fixed pseudo-random subset,
            by a hash of each path), or None for all.
        sources: Collection names (registered datasets with a held-out split).

    Returns:
        ``{collection: sorted photo paths}``.

    Raises:
        ValueError: For an unknown split or a bad ``per_source``.
        FileNotFoundError: If a collection is not on disk.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}. Received: split={split!r}")
    if per_source is not None:
        per_source = _checks.check_int("per_source", per_source)
    result = {}
    for name in sources:
        paths = data.dataset_paths(name, split)
        if per_source is not None:
            paths = _stable_order(paths)[:per_source]
        result[name] = sorted(paths)
    return result


@dataclasses.dataclass
class SourceScores:
    """Scores of one colorizer on a multi-source set.

    Attributes:
        rows: ``{collection or "all": {metric: value}}``; metrics: ``photos``,
            ``auc_ab_pooled``, ``rebalanced_auc_ab_pooled``, ``false_color_score_pooled``,
            ``false_color_per_photo``, ``psnr``, ``psnr_gain``, ``harm_rate``,
            ``colorfulness_ratio``.
        gains: ``{path: PSNR gain over the gray input, dB}`` of every photo.
    """

    rows: dict[str, dict[str, float]]
    gains: dict[str, float]

    def worst(self, count: int = 12) -> list[str]:
        """The paths of the ``count`` photos with the lowest gain over gray, worst first."""
        return sorted(self.gains, key=self.gains.get)[:count]


def _row(predictions, truths, prior, gains) -> dict[str, float]:
    pooled = metrics.pooled_scores(predictions, truths, prior=prior)
    pairs = list(zip(predictions, truths, strict=True))
    per_photo_false = [metrics.false_color_score(p, t) for p, t in pairs]
    vivid = np.mean([metrics.colorfulness(p) for p in predictions])
    vivid_true = np.mean([metrics.colorfulness(t) for t in truths])
    psnr = [float(metrics.psnr(p, t)) for p, t in pairs]
    return {
        "photos": len(truths),
        **pooled,
        "false_color_per_photo": float(np.mean(per_photo_false)),
        "psnr": float(np.mean(psnr)),
        "psnr_gain": float(np.mean(gains)),
        "harm_rate": metrics.harm_rate(gains),
        "colorfulness_ratio": float(vivid / max(vivid_true, 1e-6)),
    }


def score_by_source(
    colorize: Callable[[list[np.ndarray]], list[np.ndarray]],
    photos: Mapping[str, Sequence[str]],
    long_side: int = 256,
    truths: Mapping[str, list[np.ndarray]] | None = None,
) -> SourceScores:
    """Colorizes every collection's photos and scores them per collection and pooled.

    The rebalanced AuC of every row uses one ab prior, that of all the set's true pixels, so
    the rows are comparable and "all" weighs every color bin of the whole set equally.

    Args:
        colorize: Takes a list of float32 RGB ``(H, W, 3)`` truths (only their lightness may
            be used) and returns the colorized images, same shapes.
        photos: ``{collection: paths}`` (:func:`source_photos`).
        long_side: Photos are scored at this long side.
        truths: Already loaded truths per collection (skips reading the photos again).

    Returns:
        A :class:`SourceScores`.

    Raises:
        ValueError: If there are no photos.
    """
    if not photos or not any(photos.values()):
        raise ValueError(f"No photos to score. Received: photos={dict(photos)!r}")
    loaded = dict(truths or {})
    for name, paths in photos.items():
        if name not in loaded:
            loaded[name] = protocol.load_long_side(paths, long_side)
    every_truth = [image for name in photos for image in loaded[name]]
    prior = protocol.pooled_prior(every_truth)
    predictions = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in photos:
            predictions[name] = colorize(loaded[name])
        gains = {
            name: metrics.psnr_gain_over_gray(predictions[name], loaded[name]) for name in photos
        }
        rows = {name: _row(predictions[name], loaded[name], prior, gains[name]) for name in photos}
        every_prediction = [image for name in photos for image in predictions[name]]
        every_gain = np.concatenate([gains[name] for name in photos])
        rows["all"] = _row(every_prediction, every_truth, prior, every_gain)
    every_path = [path for name in photos for path in photos[name]]
    return SourceScores(rows, dict(zip(every_path, map(float, every_gain), strict=True)))


#: The columns of :func:`markdown_table`: (row key, header, format).
TABLE_COLUMNS = (
    ("photos", "photos", "{:.0f}"),
    ("auc_ab_pooled", "AuC", "{:.3f}"),
    ("rebalanced_auc_ab_pooled", "rebal. AuC (pooled)", "{:.3f}"),
    ("psnr", "PSNR", "{:.2f}"),
    ("psnr_gain", "gain over gray (dB)", "{:+.2f}"),
    ("harm_rate", "harm (> 3 dB worse than gray)", "{:.1%}"),
    ("false_color_score_pooled", "false color (pooled)", "{:.3f}"),
    ("false_color_per_photo", "false color (per photo)", "{:.3f}"),
    ("colorfulness_ratio", "colorfulness / truth", "{:.2f}"),
)


def markdown_table(results: Mapping[str, Mapping[str, Mapping[str, float]]]) -> list[str]:
    """Markdown lines: one row per (collection, model) of several models' ``rows``.

    Args:
        results: ``{model label: SourceScores.rows}``; every model scored on the same photos.

    Returns:
        The table's lines, collections in the first model's order, "all" last.

    Example:
        >>> row = {key: 0.25 for key, _, _ in TABLE_COLUMNS}
        >>> markdown_table({"gray": {"all": row}})[2].split(" | ")[:3]
        ['| all', 'gray', '0']
    """
    headers = ["collection", "model", *(header for _, header, _ in TABLE_COLUMNS)]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    first = next(iter(results.values()))
    names = [name for name in first if name != "all"] + ["all"]
    for name in names:
        for label, rows in results.items():
            cells = [fmt.format(rows[name][key]) for key, _, fmt in TABLE_COLUMNS]
            lines.append("| " + " | ".join([name, label, *cells]) + " |")
    return lines
