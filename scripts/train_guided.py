"""Train the default colorizer: its recipe's three stages on cached encoder features.

A thin entry point over ``colorkit train --recipe default`` (``colorkit.training.recipes``):
the feature caches, the decoder, the hint fine-tune and the encoder's last stage, each
resumable, so a killed run continues where it stopped.

    python scripts/train_guided.py --work runs/recipe-default   # the full recipe (MODEL_CARD.md)
    python scripts/train_guided.py --work /tmp/g --smoke        # the smoke version, a few photos
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from colorkit.training import recipes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="folder for caches and the run")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--export", help="also ship the colorizer to this .keras file")
    args = parser.parse_args(argv)
    name = "default-smoke" if args.smoke else "default"
    recipes.run_recipe(name, run_root=args.work, export=args.export)
    print(json.loads((Path(args.work) / "summary.json").read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
