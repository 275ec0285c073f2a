"""How the default colorizer's score grows with the number of distinct training photos (measured).

    python scripts/compare_data_amount.py --work runs/recipe-default-cifar50k [--steps 2000]

Every lever measured for issue 11 moved the pooled rebalanced AuC along one frontier with the
false-color score, by at most about +0.004 at equal false color. This script asks how much
more *data* would move it: nested subsets of the ``default-cifar50k`` recipe's training crops
(every crop of a photo is in or out together; a photo in one subset is in every larger one),
each training a fresh copy of the recipe's first-stage decoder (``guided_decoder`` width 64,
the loss on one cell per 4x4 block, rebalancing lambda 0.5, Adam from 2e-3 with cosine decay,
batch 64) for the same ``--steps`` steps on the cached features (fresh flips, sampling phases
and simulated hints every step). Each decoder is decoded like the shipped model (annealed mean,
T 1.0) over a grid of saturations on the 100 BSDS500 val photos (long side 256, no hints), and
its pooled rebalanced AuC and per-photo rebalanced AuC are read off at the shipped model's own
pooled false color on val (linear interpolation along the grid), so that every subset is
compared at equal false color. ``gain_per_doubling`` is the least-squares slope of that AuC
against log2(distinct photos). The JSON (default ``docs/figures/data_amount.json``) is what
``scripts/model_card.py`` renders.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import keras
import numpy as np

from colorkit import atomic, color, evaluation, features, infer, metrics
from colorkit.evaluation import decoding
from colorkit.models import guided
from colorkit.training import cached

REPO_ROOT = Path(__file__).resolve().parents[1]
FRACTIONS = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
SATURATIONS = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
TEMPERATURE = 1.0
LEARNING_RATE = 2e-3
BATCH = 64  # as compare_cifar_schedule.py
SEED = 0


def nested_subsets(paths, fractions, seed: int = SEED) -> list[np.ndarray]:
    """Row indices of nested subsets of a crop plan, drawn by photo.

    Each distinct photo gets one uniform random rank (seeded); the subset for fraction ``f``
    holds every crop whose photo ranks below ``f``, so larger fractions contain smaller ones.

    Args:
        paths: The photo path of each crop, in cache row order.
        fractions: Fractions in (0, 1].
        seed: Seed of the photos' ranks.

    Returns:
        One sorted int array of row indices per fraction.

    Raises:
        ValueError: If a fraction is outside (0, 1].
    """
    for fraction in fractions:
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"fractions must lie in (0, 1]. Received: fraction={fraction!r}")
    paths = np.asarray([str(p) for p in paths])
    unique, inverse = np.unique(paths, return_inverse=True)
    rank = np.random.default_rng(seed).random(len(unique))[inverse]
    return [np.flatnonzero(rank < fraction) for fraction in fractions]


def value_at(false_color, values, target: float) -> float:
    """``values`` linearly interpolated at ``target`` along increasing ``false_color``."""
    order = np.argsort(false_color)
    return float(np.interp(target, np.asarray(false_color)[order], np.asarray(values)[order]))


def gain_per_doubling(photos, values) -> float:
    """Least-squares slope of ``values`` against log2(``photos``)."""
    return float(np.polyfit(np.log2(np.asarray(photos, dtype=np.float64)), values, 1)[0])


class SubsetBatches(cached.CachedBatches):
    """``steps`` training batches drawn (shuffled, reproducibly) from ``rows`` of a cache, with
    fresh flips, sampling phases and hints every step."""

    def __init__(self, cache, config, rows: np.ndarray, steps: int):
        order = cached.repeated_order(rows, steps, BATCH, [SEED, len(rows)])
        super().__init__(cache, config, train=True, epoch=len(rows), order=order)

    def __getitem__(self, index: int):
        self.epoch = index  # seeds this step's flips, phases and hints
        return super().__getitem__(index)


def train_decoder(cache, rows: np.ndarray, steps: int, prior: np.ndarray) -> keras.Model:
    """A fresh first-stage decoder trained ``steps`` steps on ``rows`` of ``cache``."""
    config = cached.GuidedConfig(
        batch_size=BATCH, seed=SEED, width=64, sample_stride=4, learning_rate=LEARNING_RATE
    )
    keras.utils.set_random_seed(SEED)
    decoder = guided.guided_decoder(width=config.width)
    weights = color.rebalancing_weights(prior, lam=config.lam)
    cached.compile_decoder(decoder, weights, config, steps)
    trainer = cached.training_model(decoder, config)
    trainer.fit(SubsetBatches(cache, config, rows, steps), shuffle=False, verbose=0)
    return decoder


def frontier(model, truths, prior, saturations=SATURATIONS, temperature=TEMPERATURE) -> list:
    """Pooled scores, the false color's 99% bound and the per-photo rebalanced AuC of every
    saturation (no hints)."""
    lightness = [infer.luminance(t, "lab") for t in truths]
    rows = []
    for _, saturation, predicted in decoding.decoded_grid(
        model, lightness, (temperature,), saturations
    ):
        row = metrics.pooled_scores(predicted, truths, prior)
        row["false_color_bound"] = metrics.false_color_bound(
            predicted, truths, quantile=decoding.FALSE_COLOR_QUANTILE
        )
        per_photo = evaluation.evaluate_predictions(predicted, truths, prior)
        row["rebalanced_auc_ab_mean"] = per_photo["rebalanced_auc_ab"]
        row["saturation"] = saturation
        rows.append(row)
    return rows


def read_off(rows: list[dict], false_color: float) -> dict:
    fc = [row["false_color_score_pooled"] for row in rows]
    return {
        key: value_at(fc, [row[key] for row in rows], false_color)
        for key in ("rebalanced_auc_ab_pooled", "rebalanced_auc_ab_mean", "auc_ab_pooled")
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "runs" / "recipe-default-cifar50k")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    parser.add_argument(
        "--reference", type=Path, default=REPO_ROOT / "colorkit" / "weights" / "colorizer.keras"
    )
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "figures" / "data_amount.json"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be >= 1. Received: --steps {args.steps}")
    cache_dir = args.work / "cache_train"
    if not (cache_dir / "meta.json").is_file():
        parser.error(
            f"no feature cache in {cache_dir}: run `colorkit train --recipe default-cifar50k` "
            "first (it builds the cache), or pass --work"
        )
    if not args.reference.is_file():
        parser.error(f"no reference model at {args.reference}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sources, _ = cached.default_plan_sources(cifar_step=1)
    plan = features.crop_plan(sources, seed=0)
    cache = features.FeatureCache(cache_dir)
    if len(plan) != cache.count:
        parser.error(f"{cache_dir} was not built from the default-cifar50k recipe's crop plan")
    try:
        subsets = nested_subsets([item.path for item in plan], args.fractions)
    except ValueError as error:
        parser.error(str(error))
    photo_of = np.asarray([str(item.path) for item in plan])
    prior = cached.cache_prior(cache, seed=SEED)
    val = evaluation.scoring_set()
    truths, val_prior = val.truths, val.prior

    reference = infer.load_model(args.reference)
    settings = infer.recommended_settings(reference)
    ref_row = frontier(
        reference, truths, val_prior, (settings["saturation"],), settings["temperature"]
    )[0]
    target = ref_row["false_color_score_pooled"]
    print(f"reference {args.reference.name}: {ref_row}", flush=True)

    arms = []
    for fraction, rows in zip(args.fractions, subsets, strict=True):
        tick = time.time()
        decoder = train_decoder(cache, rows, args.steps, prior)
        seconds = time.time() - tick
        grid = frontier(cached.colorizer_from_decoder(decoder, False), truths, val_prior)
        arm = {
            "fraction": fraction,
            "crops": int(len(rows)),
            "photos": int(len(np.unique(photo_of[rows]))),
            "epochs": args.steps * BATCH / len(rows),
            "train_seconds": seconds,
            "at_reference_false_color": read_off(grid, target),
            "grid": grid,
        }
        arms.append(arm)
        print({k: v for k, v in arm.items() if k != "grid"}, flush=True)
    at = [arm["at_reference_false_color"] for arm in arms]
    photos = [arm["photos"] for arm in arms]
    result = {
        "steps": args.steps,
        "batch_size": BATCH,
        "temperature": TEMPERATURE,
        "val_photos": len(truths),
        "reference": {"file": args.reference.name, **settings, **ref_row},
        "false_color": target,
        "arms": arms,
        "gain_per_doubling": {
            key: gain_per_doubling(photos, [row[key] for row in at])
            for key in ("rebalanced_auc_ab_pooled", "rebalanced_auc_ab_mean")
        },
        "command": " ".join(["scripts/compare_data_amount.py", *(argv or sys.argv[1:])]),
    }
    atomic.write_json(args.output, result)
    print(f"wrote {args.output}: gain per doubling {result['gain_per_doubling']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
