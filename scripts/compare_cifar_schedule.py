"""CIFAR-10 in the default recipe: mixed in, as decoder pre-training, or left out (measured).

    python scripts/compare_cifar_schedule.py [--work runs/recipe-default] [--steps 600]

Issue 11 asks whether CIFAR-10's upscaled photos serve better mixed into the decoder's
training data or as a pre-training stage. This script answers on one budget, with the default
recipe's own feature caches (``<work>/cache_train``, ``<work>/cache_val``, built by
``colorkit train --recipe default``): the rows of the training cache that come from CIFAR-10
and those that come from real photos (ImageNet-sample, BSDS500 train, clothing) are told apart
by the recipe's crop plan. Three arms, each a fresh ``guided_decoder`` with the same seed,
batch size 64, Adam with a cosine schedule from 2e-3 over the arm's ``--steps`` steps, the
recipe's rebalancing weights and simulated hints:

- ``mixed``: every step draws from all crops (the recipe's choice);
- ``pretrain``: the first half of the steps on CIFAR-10 crops only, the second on photo crops;
- ``photos only``: every step on photo crops (no CIFAR-10).

Each arm is measured by its validation loss (the BSDS500 val cache, no hints) and, on the 100
BSDS500 val photos (long side 256, no hints, T 0.38, saturation 1), by the pooled AuC,
rebalanced AuC and false-color score. The JSON (default ``docs/figures/cifar_schedule.json``)
is what ``scripts/model_card.py`` renders.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from colorkit import atomic, color, data, evaluation, features, infer, metrics
from colorkit.models import guided
from colorkit.training import cached

REPO_ROOT = Path(__file__).resolve().parents[1]
ARMS = ("mixed", "pretrain", "photos only")
BATCH = 64
LEARNING_RATE = 2e-3
SEED = 0
# The decoder this study ran with (MODEL_CARD.md quotes its JSON): width 128, every output
# cell scored; the recipe's own decoder has since become leaner and samples cells.
STUDY_DECODER = {"width": 128, "sample_stride": 1}


def row_batches(cache, rows: np.ndarray, steps: int, seed: int, config=None):
    """``steps`` training batches drawn (shuffled, reproducibly) from the given cache rows.

    ``config`` defaults to this study's decoder settings; the rows are permuted with
    ``(SEED, seed)`` and repeated until ``steps`` batches of ``BATCH`` are filled.
    """
    if config is None:
        config = cached.GuidedConfig(batch_size=BATCH, seed=SEED, **STUDY_DECODER)
    order = cached.repeated_order(rows, steps, BATCH, [SEED, seed])
    return cached.CachedBatches(cache, config, train=True, epoch=seed, order=order)


def cifar_rows(smoke: bool = False) -> np.ndarray:
    """Boolean mask over the recipe's training crops: True where the crop is CIFAR-10's."""
    sources, _ = cached.default_plan_sources(smoke)
    plan = features.crop_plan(sources, seed=0)
    cifar = {str(path) for path in data.dataset_paths("cifar10")}
    return np.array([str(item.path) in cifar for item in plan])


def run_arm(arm: str, train, is_cifar: np.ndarray, steps: int, prior) -> keras.Model:
    keras.utils.set_random_seed(SEED)
    decoder = guided.guided_decoder(width=STUDY_DECODER["width"])
    config = cached.GuidedConfig(learning_rate=LEARNING_RATE, lam=0.5, **STUDY_DECODER)
    weights = color.rebalancing_weights(prior, lam=config.lam)
    cached.compile_decoder(decoder, weights, config, steps)
    everything = np.arange(train.count)
    photos, cifar = everything[~is_cifar], everything[is_cifar]
    phases = {
        "mixed": [(everything, steps)],
        "pretrain": [(cifar, steps // 2), (photos, steps - steps // 2)],
        "photos only": [(photos, steps)],
    }[arm]
    for index, (rows, count) in enumerate(phases):
        decoder.fit(row_batches(train, rows, count, seed=index + 1), shuffle=False, verbose=2)
    return decoder


def evaluate(decoder, val_cache, truths, prior) -> dict:
    config = cached.GuidedConfig(batch_size=BATCH, **STUDY_DECODER)
    val_loss = float(
        decoder.evaluate(cached.CachedBatches(val_cache, config, train=False), verbose=0)
    )
    model = guided.guided_zhang(
        decoder=decoder, temperature=color.DEFAULT_TEMPERATURE, saturation=1.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        predictions = infer.colorize(truths, model, size=256)
    return {"val_loss": val_loss, **metrics.pooled_scores(predictions, truths, prior)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "runs" / "recipe-default")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--smoke", action="store_true", help="the smoke recipe's caches")
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "figures" / "cifar_schedule.json"
    )
    args = parser.parse_args(argv)
    for name in ("cache_train", "cache_val"):
        if not (args.work / name / "meta.json").is_file():
            parser.error(
                f"no feature cache in {args.work / name}: run `colorkit train --recipe default` "
                "first (it builds the caches), or pass --work"
            )
    train = features.FeatureCache(args.work / "cache_train", in_memory=True)
    val = features.FeatureCache(args.work / "cache_val", "resnet50_1by2", 128, in_memory=True)
    is_cifar = cifar_rows(args.smoke)
    if len(is_cifar) != train.count:
        parser.error(f"{args.work / 'cache_train'} was not built from the recipe's crop plan")
    prior = cached.cache_prior(train, seed=SEED)
    val = evaluation.scoring_set(limit=8 if args.smoke else None)
    truths, val_prior = val.truths, val.prior
    rows = {}
    for arm in ARMS:
        start = time.time()
        decoder = run_arm(arm, train, is_cifar, args.steps, prior)
        rows[arm] = {**evaluate(decoder, val, truths, val_prior), "seconds": time.time() - start}
        print(f"{arm}: {rows[arm]}", flush=True)
    result = {
        "steps": args.steps,
        "batch_size": BATCH,
        "train_crops": int(train.count),
        "cifar_crops": int(is_cifar.sum()),
        "val_crops": int(val.count),
        "val_photos": len(truths),
        "decoding": {"temperature": 0.38, "saturation": 1.0},
        "arms": rows,
        "command": " ".join(["scripts/compare_cifar_schedule.py", *(argv or sys.argv[1:])]),
    }
    atomic.write_json(args.output, result)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
