"""The default-sampled recipe against the shipped default, on BSDS500 val.

    python scripts/compare_sampled_recipe.py --run runs/recipe-default-sampled

The ``default-sampled`` recipe (``colorkit.recipes``) trains a leaner decoder whose loss scores
one output cell per 4x4 block, so that a step on cached features costs a fraction of the
default's (``make bench``). This script decodes the last epoch of its last stage and the
shipped default alike over a grid of temperatures and saturations (no hints, 100 val photos,
long side 256) and reports, for each, the pooled rebalanced AuC and false color and the false
color's 99% bootstrap bound; and the best pooled rebalanced AuC among the settings whose bound
is within the export's goal (``scripts/export_guided.py``); ``--also`` adds other runs of the
same design. JSON: ``--output`` (default ``docs/figures/sampled_recipe.json``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_guided import (  # noqa: E402
    FALSE_COLOR_GOAL,
    FALSE_COLOR_QUANTILE,
    build_shipped,
    decoded_grid,
)

from colorkit import atomic, data, infer, metrics, pretrained, recipes  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPERATURES = (0.7, 1.0)
SATURATIONS = (0.65, 0.7, 0.75, 0.8)


def frontier(model, truths, prior) -> dict:
    """Pooled scores of every grid setting and the best one within the false-color goal."""
    lightness = [infer.luminance(t, "lab") for t in truths]
    trials = []
    for temperature, saturation, predicted in decoded_grid(
        model, lightness, TEMPERATURES, SATURATIONS
    ):
        row = metrics.pooled_scores(predicted, truths, prior)
        row["false_color_bound"] = metrics.false_color_bound(
            predicted, truths, quantile=FALSE_COLOR_QUANTILE
        )
        row.update(temperature=temperature, saturation=saturation)
        trials.append(row)
        print({k: round(v, 4) for k, v in row.items()}, flush=True)
    within = [row for row in trials if row["false_color_bound"] <= FALSE_COLOR_GOAL]
    best = max(within, key=lambda row: row["rebalanced_auc_ab_pooled"]) if within else None
    return {"trials": trials, "best_within_goal": best}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a default-sampled recipe run")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="LABEL=RUN",
        help="another run of the recipe's design to decode alike (e.g. other stage settings)",
    )
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "figures" / "sampled_recipe.json"
    )
    args = parser.parse_args(argv)
    runs = {"default-sampled": args.run}
    for item in args.also:
        label, _, folder = item.partition("=")
        if not label or not folder:
            parser.error(f"--also takes LABEL=RUN. Received: --also {item!r}")
        runs[label] = Path(folder)
    last = {}
    for label, run in runs.items():
        checkpoints = sorted((run / "last_stage").glob("epoch_*.keras"))
        if not checkpoints:
            parser.error(
                f"no epochs in {run / 'last_stage'}: run colorkit train --recipe default-sampled"
            )
        last[label] = checkpoints[-1]
    paths = [str(p) for p in data.dataset_paths(*recipes.VAL_SOURCE)]
    truths = recipes.load_long_side(paths, 256)
    prior = recipes.pooled_prior(truths)
    result = {"photos": len(truths), "false_color_goal": FALSE_COLOR_GOAL, "models": {}}
    result["models"]["default (shipped)"] = frontier(pretrained.load_pretrained(), truths, prior)
    for label, checkpoint in last.items():
        name = f"{label}, {checkpoint.parent.name}/{checkpoint.name}"
        result["models"][name] = frontier(build_shipped(checkpoint), truths, prior)
    best = [entry["best_within_goal"] for entry in result["models"].values()][:2]
    if None not in best:
        result["difference"] = (
            best[1]["rebalanced_auc_ab_pooled"] - best[0]["rebalanced_auc_ab_pooled"]
        )
        print(f"best within the goal: sampled - shipped = {result['difference']:+.4f}")
    atomic.write_json(args.output, result)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
