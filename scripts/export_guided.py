"""Export the trained guided decoder as the shipped default colorizer (decoding chosen on val).

    python scripts/export_guided.py --run runs/recipe-default/run \
        [--stage runs/recipe-default/last_stage] [--output PATH.keras]

``colorkit train --recipe default --export PATH.keras`` does the same at the end of the
recipe; this entry point exports a run that has already trained:

1. The decoder, the last epoch of the recipe's last stage (``--stage``: ``finetune/`` or
   ``last_stage/``; the recipe's design, not chosen on val) or else the first stage's epoch
   with the best validation loss, is joined with the frozen trained encoder
   (``colorkit.training.cached.colorizer_from_run``; what the checkpoint holds is read from
   its run's ``config.json``).
2. Decoding settings (annealed-mean temperature, saturation) are chosen on BSDS500 val by the
   export rule of ``colorkit.evaluation.decoding``; every trial is written to
   ``colorkit/weights/guided_decoding_trials.json``.
3. The settings are stored in the model's ``ModelSpec`` and the model is saved atomically
   (``colorkit.training.recipes.export_guided``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from colorkit.training import cached, recipes

WEIGHTS = Path(__file__).resolve().parents[1] / "colorkit" / "weights"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, type=Path, help="the recipe's first stage")
    parser.add_argument(
        "--stage", type=Path, help="the recipe's last stage's run folder (its last epoch)"
    )
    parser.add_argument("--output", type=Path, default=WEIGHTS / "colorizer.keras")
    args = parser.parse_args(argv)
    if args.stage is not None:
        run, checkpoint = args.stage, cached.last_checkpoint(args.stage)
    else:
        run, checkpoint = args.run, cached.best_checkpoint(args.run)
    recipes.export_guided(run, args.output, checkpoint=checkpoint)
    print(f"wrote {args.output} ({args.output.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
