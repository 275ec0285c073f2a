"""How much user hints help, measured as Zhang, Zhu et al. (2017) do.

Two measurements of a hint model (``ModelSpec.hint_inputs``) on true color photos:

- :func:`hint_curve`: PSNR and AuC (plain and class-rebalanced; per-photo mean as
  ``colorkit.evaluation.evaluate_predictions`` and pooled over all pixels as
  ``colorkit.metrics.pooled_scores``) against the number of random ground-truth hints
  (``colorkit.hints.ground_truth_hints``: uniform pixel positions, the true ab averaged over a
  5x5 patch). Each photo's hints are drawn once, and ``k`` hints are the first ``k`` of them,
  so the curve follows one user adding clicks rather than independent draws per count.
- :func:`hint_reach`: how far a single hint reaches: the area where the predicted ab changes
  by more than ``threshold`` Lab units when one hint is added, and how far from the hint
  those pixels lie.

``scripts/evaluate_hints.py`` runs both on BSDS500 test and writes
``docs/figures/hints_curve.json`` and its figures; notebook 10 shows them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from colorkit import _checks, color, evaluation, hints, infer, metrics

#: Hint counts of the paper's curve.
HINT_COUNTS = (0, 1, 2, 5, 10, 20, 50)
#: A pixel counts as reached by a hint when its predicted ab moves by more than this (Lab).
REACH_THRESHOLD = 10.0


def draw_photo_hints(
    truths: Sequence[np.ndarray], count: int, seed: int = 0, radius: int = hints.DEFAULT_RADIUS
) -> list[list[hints.Hint]]:
    """``count`` ground-truth hints per photo, reproducible (photo ``i`` uses ``seed``, ``i``).

    Returns:
        One list of hints per photo; the first ``k`` of them are the photo's ``k``-hint set.
    """
    count = _checks.check_int("count", count, minimum=0)
    return [
        hints.ground_truth_hints(truth, count, np.random.default_rng([seed, index]), radius)
        for index, truth in enumerate(truths)
    ]


def _colorize(
    model, truths, photo_hints, size: int, temperature, spread_hints: bool = True
) -> list[np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)  # part of what is measured
        return infer.colorize(
            list(truths),
            model,
            size=size,
            temperature=temperature,
            hints=photo_hints,
            spread_hints=spread_hints,
        )


def colorize_without_hints(
    model, truths: Sequence[np.ndarray], size: int = 256, temperature: float | None = None
) -> list[np.ndarray]:
    """The photos colorized with no hints: what :func:`hint_curve` and :func:`hint_reach` compare.

    Both colorize it themselves when not given; a caller that runs both (or runs them with and
    without spreading: with no hints there is nothing to spread) passes this as ``without``
    so that the photos are colorized once.

    Args:
        model: A hint ``keras.Model``.
        truths: True photos, float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        size: Working long side of the network.
        temperature: Annealed-mean temperature (None: the model's recommendation).

    Returns:
        float32 RGB ``(H_i, W_i, 3)`` in [0, 1], one per photo.
    """
    return _colorize(model, truths, [[] for _ in truths], size, temperature)


def _check_without(without, truths) -> list[np.ndarray]:
    without = list(without)
    if len(without) != len(truths):
        raise ValueError(
            "without must hold one colorized photo per truth. "
            f"Received: len(without)={len(without)}, len(truths)={len(truths)}"
        )
    for index, (photo, truth) in enumerate(zip(without, truths, strict=True)):
        if np.shape(photo) != np.shape(truth):
            raise ValueError(
                f"without[{index}] must have its truth's shape {np.shape(truth)}. "
                f"Received: without[{index}].shape={np.shape(photo)}"
            )
    return without


def hint_curve(
    model,
    truths: Sequence[np.ndarray],
    counts: Sequence[int] = HINT_COUNTS,
    size: int = 256,
    temperature: float | None = None,
    seed: int = 0,
    prior=None,
    keep: int = 0,
    spread_hints: bool = True,
    without: Sequence[np.ndarray] | None = None,
) -> dict:
    """Metrics against the number of random ground-truth hints.

    Args:
        model: A hint ``keras.Model`` (``ModelSpec.hint_inputs``).
        truths: True photos, float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        counts: Hint counts (ints >= 0).
        size: Working long side of the network.
        temperature: Annealed-mean temperature (None: the model's recommendation).
        seed: Seed of the hint positions.
        prior: ``(Q,)`` ab prior of the rebalanced AuC (default: that of ``truths``).
        keep: Also return the predictions of the first ``keep`` photos (for figures).
        spread_hints: Spread the hints over the prediction (``colorkit.hints.spread``, as
            ``infer.colorize`` does); False measures the network's output alone.
        without: The photos colorized with no hints at the same ``size`` and ``temperature``
            (:func:`colorize_without_hints`), used for the count 0; None: colorized here.

    Returns:
        ``{"counts": [...], "scores": {count: {metric: value}}, "predictions": {count: [...]},
        "hints": [...]}``: per count the per-photo means ``psnr, auc_ab, rebalanced_auc_ab``
        and the pooled ``auc_ab_pooled, rebalanced_auc_ab_pooled``; the hints of every photo
        (the largest count's draw).
    """
    counts = [_checks.check_int("count", count, minimum=0) for count in counts]
    if not truths:
        raise ValueError("truths is empty: give at least one photo.")
    without = None if without is None else _check_without(without, truths)
    prior = evaluation.pooled_prior(truths) if prior is None else prior
    drawn = draw_photo_hints(truths, max(counts, default=0), seed)
    scores, kept = {}, {}
    for count in counts:
        photo_hints = [h[:count] for h in drawn]
        if count == 0 and without is not None:
            predictions = without
        else:
            predictions = _colorize(model, truths, photo_hints, size, temperature, spread_hints)
        means = evaluation.evaluate_predictions(predictions, truths, prior=prior)
        pooled = metrics.pooled_scores(predictions, truths, prior=prior)
        scores[count] = {
            "psnr": means["psnr"],
            "auc_ab": means["auc_ab"],
            "rebalanced_auc_ab": means["rebalanced_auc_ab"],
            "auc_ab_pooled": pooled["auc_ab_pooled"],
            "rebalanced_auc_ab_pooled": pooled["rebalanced_auc_ab_pooled"],
        }
        kept[count] = predictions[:keep]
    return {"counts": counts, "scores": scores, "predictions": kept, "hints": drawn}


def changed_area(before: np.ndarray, after: np.ndarray, threshold: float = REACH_THRESHOLD):
    """Pixels whose ab moved by more than ``threshold`` Lab units between two colorizations.

    Args:
        before: float32 RGB ``(H, W, 3)`` in [0, 1].
        after: The same photo colorized differently.
        threshold: Lab ab distance (> 0).

    Returns:
        bool ``(H, W)``.

    Example:
        >>> gray = np.full((2, 2, 3), 0.5, np.float32)
        >>> red = gray.copy(); red[0, 0] = (0.8, 0.4, 0.4)
        >>> changed_area(gray, red).tolist()
        [[True, False], [False, False]]
    """
    threshold = _checks.check_number("threshold", threshold, 0.0)
    ab_before = color.rgb_to_lab(color.validate_rgb(before))[..., 1:]
    ab_after = color.rgb_to_lab(color.validate_rgb(after))[..., 1:]
    return np.linalg.norm(ab_after - ab_before, axis=-1) > threshold


def hint_reach(
    model,
    truths: Sequence[np.ndarray],
    size: int = 256,
    temperature: float | None = None,
    seed: int = 1,
    threshold: float = REACH_THRESHOLD,
    spread_hints: bool = True,
    without: Sequence[np.ndarray] | None = None,
) -> dict:
    """How far one random ground-truth hint reaches, per photo and as medians.

    Args:
        model: A hint ``keras.Model``.
        truths: True photos, float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        size: Working long side of the network.
        temperature: Annealed-mean temperature (None: the model's recommendation).
        seed: Seed of the hint positions.
        threshold: Lab ab change that counts as reached.
        spread_hints: As :func:`hint_curve`.
        without: As :func:`hint_curve`: the photos colorized with no hints, or None.

    Returns:
        ``{"threshold", "area_fraction", "area_pixels", "radius_90" (90th percentile of the
        reached pixels' distance to the hint, pixels), "per_photo": [...]}``, the first three
        as medians over the photos.
    """
    drawn = draw_photo_hints(truths, 1, seed)
    if without is None:
        without = colorize_without_hints(model, truths, size, temperature)
    else:
        without = _check_without(without, truths)
    with_one = _colorize(model, truths, drawn, size, temperature, spread_hints)
    rows = []
    for truth, before, after, (hint,) in zip(truths, without, with_one, drawn, strict=True):
        changed = changed_area(before, after, threshold)
        rows_idx, cols_idx = np.nonzero(changed)
        distance = np.hypot(rows_idx - hint.row, cols_idx - hint.col)
        rows.append(
            {
                "area_fraction": float(changed.mean()),
                "area_pixels": int(changed.sum()),
                "radius_90": float(np.percentile(distance, 90)) if distance.size else 0.0,
                "shape": list(truth.shape[:2]),
            }
        )
    return {
        "threshold": float(threshold),
        **{
            key: float(np.median([row[key] for row in rows]))
            for key in ("area_fraction", "area_pixels", "radius_90")
        },
        "per_photo": rows,
    }
