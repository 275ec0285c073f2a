"""Per-epoch previews of the default recipe's real run, for notebook 07's epoch replay.

    python scripts/make_epoch_replay.py --checkpoints runs/recipe-default/all_ckpts \\
        --log runs/recipe-default/run/log.csv

Each per-epoch decoder checkpoint is joined with the frozen encoder and colorizes the same
BSDS500 val photos (no hints, the paper's decoding T = 0.38, saturation 1, long side 160 px);
the results are written as ``colorkit/samples/epoch_replay/epoch_NNN.png`` (the photos side by
side) with ``truth.png``, ``gray.png`` and ``log.json`` (training and validation loss per epoch,
from the run's ``log.csv``), a few hundred kB in all.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from colorkit import color, data, evaluation, infer, metrics
from colorkit.models import guided

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "colorkit" / "samples" / "epoch_replay"


def strip(images: list[np.ndarray]) -> np.ndarray:
    height = min(image.shape[0] for image in images)
    return np.concatenate([image[:height] for image in images], axis=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--count", type=int, default=4)
    args = parser.parse_args(argv)
    import keras

    # The most colorful of the first 40 val photos: a replay should show color arriving.
    paths = [str(p) for p in data.dataset_paths("bsds500", "val")][:40]
    candidates = evaluation.load_long_side(paths, 160)
    order = np.argsort([-metrics.colorfulness(image) for image in candidates])[: args.count]
    chosen = [paths[i] for i in sorted(order)]
    truths = [candidates[i] for i in sorted(order)]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.png"):
        old.unlink()
    data.save_image(strip(truths), OUTPUT / "truth.png", overwrite=True)
    data.save_image(
        strip([color.desaturate(t, method="lab") for t in truths]),
        OUTPUT / "gray.png",
        overwrite=True,
    )
    checkpoints = sorted(args.checkpoints.glob("epoch_*.keras"))
    for checkpoint in checkpoints:
        decoder = keras.saving.load_model(checkpoint, compile=False)
        model = guided.guided_zhang(
            decoder=decoder, temperature=color.DEFAULT_TEMPERATURE, saturation=1.0, working_size=160
        )
        colorized = infer.colorize_report(list(truths), model).images
        data.save_image(strip(colorized), OUTPUT / f"{checkpoint.stem}.png", overwrite=True)
        print(f"{checkpoint.stem}: done", flush=True)
    with open(args.log, newline="") as handle:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    log = {
        "photos": [Path(p).name for p in chosen],
        # log.csv counts epochs from 0 (Keras); checkpoints and this replay from 1.
        "epochs": [int(row["epoch"]) + 1 for row in rows],
        "loss": [row["loss"] for row in rows],
        "val_loss": [row["val_loss"] for row in rows],
        "decoding": {"temperature": 0.38, "saturation": 1.0, "long_side": 160},
        "recipe": "default",
    }
    (OUTPUT / "log.json").write_text(json.dumps(log, indent=1) + "\n")
    print(f"wrote {len(checkpoints)} epochs to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
