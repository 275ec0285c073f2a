"""Train the default colorizer: the guided decoder on cached ResNet-50-1by2 features.

Builds (or resumes) the feature caches of the training and validation crops, then trains (or
resumes) the decoder; every stage is resumable, so a killed run continues where it stopped.

    python scripts/train_guided.py --work runs/guided          # the full recipe (~1.5 h, 2 cores)
    python scripts/train_guided.py --work /tmp/g --smoke        # a minute-long smoke version
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from colorkit import data, features
from colorkit import guided_training as gt


def plan_sources(smoke: bool):
    imagenet = data.scan_images(data.dataset_paths("imagenet-sample")).paths
    bsds_train = data.dataset_paths("bsds500", "train")
    clothing = data.list_images(data.dataset_root("bsds500").parent / "clothing")
    cifar = data.dataset_paths("cifar10")
    if smoke:
        return [(imagenet[:16], 2), (bsds_train[:8], 2), (clothing[:8], 1), (cifar[:32], 1)], [
            (data.dataset_paths("bsds500", "val")[:16], 1)
        ]
    train = [(imagenet, 6), (bsds_train, 8), (clothing, 3), (cifar[::3], 1)]
    val = [(data.dataset_paths("bsds500", "val"), 2)]
    return train, val


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="folder for caches and the run")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args(argv)
    work = Path(args.work)
    start = time.time()
    train_sources, val_sources = plan_sources(args.smoke)
    train_plan = features.crop_plan(train_sources, seed=0)
    val_plan = features.crop_plan(val_sources, seed=1)
    print(f"plan: {len(train_plan)} training crops, {len(val_plan)} validation crops", flush=True)
    features.build_feature_cache(work / "cache_val", val_plan)
    features.build_feature_cache(work / "cache_train", train_plan)
    cache_seconds = time.time() - start
    epochs = args.epochs or (2 if args.smoke else 16)
    config = gt.GuidedConfig(epochs=epochs, batch_size=16 if args.smoke else 64)
    gt.train_guided(work / "run", work / "cache_train", work / "cache_val", config)
    summary = {
        "train_crops": len(train_plan),
        "val_crops": len(val_plan),
        "cache_seconds": round(cache_seconds, 1),
        "total_seconds": round(time.time() - start, 1),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    (work / "summary.json").write_text(json.dumps(summary, indent=1))
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
