"""Train the default colorizer: the guided decoder on cached ResNet-50-1by2 features.

Builds (or resumes) the feature caches of the training and validation crops, then trains (or
resumes) the decoder; every stage is resumable, so a killed run continues where it stopped.

    python scripts/train_guided.py --work runs/guided    # the full recipe (see MODEL_CARD.md)
    python scripts/train_guided.py --work /tmp/g --smoke  # a smoke version on a few photos
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from colorkit.training import cached as gt


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="folder for caches and the run")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.smoke else 10)
    config = gt.GuidedConfig(epochs=epochs, batch_size=16 if args.smoke else 64)
    gt.run_guided_recipe(args.work, config, smoke=args.smoke)
    print(json.loads((Path(args.work) / "summary.json").read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
