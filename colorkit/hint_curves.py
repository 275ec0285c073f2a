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
- :func:`hint_locality`: whether one hint stays on its object. The hint is a *choice*, a
  color far from the prediction (:func:`off_truth_hint`), at a random point; the measure is
  the share of the photo whose ab moves by more than ``threshold`` and the share of those
  pixels inside the hinted pixel's own region (:func:`locality`). Regions are
  :func:`photo_regions` (BSDS500's human ``groundTruth`` segmentations are not in the
  dataset copy, so an edge-aware superpixel segmentation of the true color photo stands in)
  or, for garment photos, :func:`garment_region`.

``scripts/evaluate_hints.py`` runs both on BSDS500 test and writes
``docs/figures/hints_curve.json`` and its figures; notebook 10 shows them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from skimage import segmentation

from colorkit import _checks, color, evaluation, hints, infer, metrics

#: Hint counts of the paper's curve.
HINT_COUNTS = (0, 1, 2, 5, 10, 20, 50)
#: A pixel counts as reached by a hint when its predicted ab moves by more than this (Lab).
REACH_THRESHOLD = 10.0
#: :func:`photo_regions`: Felzenszwalb & Huttenlocher's graph segmentation of the true color
#: photo with this scale (larger: fewer, bigger regions), Gaussian presmoothing and smallest
#: region (a share of the photo's pixels). At long side 256 on BSDS500 val this gives a median
#: of about 16 regions per photo, the granularity of BSDS500's human segmentations.
REGION_SCALE = 400.0
REGION_SIGMA = 0.8
REGION_MIN_SHARE = 0.005
#: :func:`off_truth_hint`: the chroma (Lab units) of a hint of a color the network did not
#: predict; its hue is opposite the prediction's.
OFF_TRUTH_CHROMA = 60.0


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


def photo_regions(truth: np.ndarray) -> np.ndarray:
    """An edge-aware segmentation of a true color photo: the regions a hint should stay in.

    Felzenszwalb & Huttenlocher's graph segmentation (``skimage.segmentation.felzenszwalb``)
    with ``REGION_SCALE``, ``REGION_SIGMA`` and ``REGION_MIN_SHARE``: it stands in for
    BSDS500's human segmentations, which the dataset copy lacks.

    Args:
        truth: float32 RGB ``(H, W, 3)`` in [0, 1].

    Returns:
        int ``(H, W)`` region labels 0..R-1.

    Example:
        >>> photo = np.zeros((40, 60, 3), np.float32); photo[:, 30:] = (0.9, 0.2, 0.1)
        >>> labels = photo_regions(photo)
        >>> bool(labels[20, 5] != labels[20, 55]), bool(np.all(labels[:, :25] == labels[0, 0]))
        (True, True)
    """
    truth = color.validate_rgb(truth)
    min_size = max(1, int(REGION_MIN_SHARE * truth.shape[0] * truth.shape[1]))
    return segmentation.felzenszwalb(
        truth, scale=REGION_SCALE, sigma=REGION_SIGMA, min_size=min_size
    )


def garment_region(truth: np.ndarray) -> np.ndarray:
    """The garment of a garment photo: the :func:`photo_regions` region under the center.

    The clothing photos show one garment, centered, on a background; the region of the
    segmentation that holds the center pixel is taken as the garment. It is a stand-in (no
    hand-drawn masks exist): a garment split by a strong fold or a print is only its central
    part, which makes the locality measure stricter, not looser.

    Args:
        truth: float32 RGB ``(H, W, 3)`` in [0, 1].

    Returns:
        bool ``(H, W)``: True on the garment.
    """
    labels = photo_regions(truth)
    height, width = labels.shape
    return labels == labels[height // 2, width // 2]


def off_truth_hint(
    predicted: np.ndarray, row: int, col: int, radius: int = hints.DEFAULT_RADIUS
) -> hints.Hint:
    """A hint of a color far from the prediction: the user's choice, not the truth.

    The predicted ab is averaged over the hint's patch; the hint has chroma
    ``OFF_TRUTH_CHROMA`` and the opposite hue (red where the network predicts green; where the
    prediction is nearly gray, red).

    Args:
        predicted: float32 RGB ``(H, W, 3)`` in [0, 1], the colorization without hints.
        row: The hint's row.
        col: The hint's column.
        radius: Patch radius in pixels.

    Returns:
        A :class:`colorkit.hints.Hint` at (row, col).

    Example:
        >>> green = np.zeros((5, 5, 3), np.float32); green[..., 1] = 0.6
        >>> hint = off_truth_hint(green, 2, 2)
        >>> bool(hint.ab[0] > 30)  # green predicted: the hint is red-magenta (a > 0)
        True
    """
    ab = color.rgb_to_lab(color.validate_rgb(predicted))[..., 1:]
    patch = ab[max(0, row - radius) : row + radius + 1, max(0, col - radius) : col + radius + 1]
    mean = patch.reshape(-1, 2).mean(axis=0)
    angle = np.arctan2(mean[1], mean[0]) + np.pi if np.hypot(*mean) > 5 else 0.5
    chosen = OFF_TRUTH_CHROMA * np.array([np.cos(angle), np.sin(angle)])
    return hints.Hint(row, col, (float(chosen[0]), float(chosen[1])), radius)


def locality(
    before: np.ndarray, after: np.ndarray, region: np.ndarray, threshold: float = REACH_THRESHOLD
) -> dict:
    """Did a hint's change stay in its region?

    Args:
        before: float32 RGB ``(H, W, 3)`` in [0, 1]: the colorization without the hint.
        after: The same photo with the hint.
        region: bool ``(H, W)``: the hinted pixel's region.
        threshold: Lab ab change (> 0) that counts as changed.

    Returns:
        ``{"changed_share"}``: share of the photo whose ab moved by more than ``threshold``;
        ``"inside_share"``: share of those changed pixels inside ``region`` (1.0 when nothing
        changed); ``"region_changed_share"``: share of the region that changed (a hint that
        changes nothing is local too: this says whether it took).

    Example:
        >>> gray = np.full((2, 2, 3), 0.5, np.float32)
        >>> red = gray.copy(); red[0] = (0.8, 0.4, 0.4)
        >>> region = np.array([[True, False], [False, False]])
        >>> locality(gray, red, region)
        {'changed_share': 0.5, 'inside_share': 0.5, 'region_changed_share': 1.0}
    """
    changed = changed_area(before, after, threshold)
    region = np.asarray(region, bool)
    if region.shape != changed.shape:
        raise ValueError(
            f"region must have the photos' shape {changed.shape}. Received: {region.shape}"
        )
    count = int(changed.sum())
    return {
        "changed_share": float(changed.mean()),
        "inside_share": float((changed & region).sum() / count) if count else 1.0,
        "region_changed_share": float((changed & region).sum() / max(1, int(region.sum()))),
    }


def hint_locality(
    model,
    truths: Sequence[np.ndarray],
    regions: Sequence[np.ndarray] | None = None,
    where: Sequence[np.ndarray] | None = None,
    size: int = 256,
    temperature: float | None = None,
    seed: int = 2,
    threshold: float = REACH_THRESHOLD,
    spread_hints: bool = True,
    local_hints: bool = True,
    without: Sequence[np.ndarray] | None = None,
    keep: int = 0,
) -> dict:
    """One off-truth hint per photo: how much it changes, and how much of that in its region.

    Each photo gets one hint at a random pixel (of ``where``, if given) with a color far from
    the prediction there (:func:`off_truth_hint`); :func:`locality` compares the colorization
    with and without it inside the region of ``regions`` that holds the hinted pixel.

    Args:
        model: A hint ``keras.Model``.
        truths: True photos, float32 RGB ``(H_i, W_i, 3)`` in [0, 1].
        regions: Per photo, int region labels ``(H_i, W_i)``; None: :func:`photo_regions`.
        where: Per photo, bool ``(H_i, W_i)``: where the hint may fall (e.g. the garment);
            None: anywhere.
        size: Working long side of the network.
        temperature: Annealed-mean temperature (None: the model's recommendation).
        seed: Seed of the hint positions (photo ``i`` uses ``seed``, ``i``).
        threshold: Lab ab change that counts as changed.
        spread_hints: As ``infer.colorize``.
        local_hints: As ``infer.colorize`` (False: today's flooding, for comparison).
        without: The photos colorized with no hints, or None (colorized here).
        keep: Also return the first ``keep`` colorizations with the hint (figures).

    Returns:
        ``{"threshold", "changed_share", "inside_share", "region_changed_share"`` (medians
        over the photos), ``"per_photo"``, ``"hints"`` (one per photo), ``"predictions"``}.
    """
    if not truths:
        raise ValueError("truths is empty: give at least one photo.")
    if without is None:
        without = colorize_without_hints(model, truths, size, temperature)
    else:
        without = _check_without(without, truths)
    regions = [photo_regions(t) for t in truths] if regions is None else list(regions)
    chosen = []
    for index, (truth, before) in enumerate(zip(truths, without, strict=True)):
        rng = np.random.default_rng([seed, index])
        allowed = np.ones(truth.shape[:2], bool) if where is None else np.asarray(where[index])
        rows, cols = np.nonzero(allowed)
        pick = int(rng.integers(0, len(rows)))
        chosen.append([off_truth_hint(before, int(rows[pick]), int(cols[pick]))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        after = infer.colorize(
            list(truths),
            model,
            size=size,
            temperature=temperature,
            hints=chosen,
            spread_hints=spread_hints,
            local_hints=local_hints,
        )
    rows_out = []
    for before, hinted, labels, (hint,) in zip(without, after, regions, chosen, strict=True):
        region = labels == labels[int(hint.row), int(hint.col)]
        rows_out.append(locality(before, hinted, region, threshold))
    keys = ("changed_share", "inside_share", "region_changed_share")
    return {
        "threshold": float(threshold),
        **{key: float(np.median([row[key] for row in rows_out])) for key in keys},
        "per_photo": rows_out,
        "hints": [h[0] for h in chosen],
        "predictions": list(after[:keep]),
    }


def one_hint_before_after(
    model,
    photo: np.ndarray,
    hint: hints.Hint,
    size: int = 256,
    temperature: float | None = None,
) -> dict[str, np.ndarray]:
    """One photo with one hint, as the network floods it and as ``infer.colorize`` keeps it.

    Args:
        model: A hint ``keras.Model``.
        photo: float32 RGB ``(H, W, 3)`` in [0, 1].
        hint: The hint, in the photo's pixels.
        size: Working long side.
        temperature: Annealed-mean temperature (None: the model's recommendation).

    Returns:
        ``{"automatic": no hints, "flooding": the hint without localization (spread over the
        network's prediction, as colorkit did before hints were kept local), "local": the
        hint kept on its object}``, float32 RGB ``(H, W, 3)``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        return {
            "automatic": infer.colorize(photo, model, size=size, temperature=temperature),
            "flooding": infer.colorize(
                photo, model, size=size, temperature=temperature, hints=[hint], local_hints=False
            ),
            "local": infer.colorize(photo, model, size=size, temperature=temperature, hints=[hint]),
        }
