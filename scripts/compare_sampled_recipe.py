"""Recipes decoded alike on BSDS500 val: the sampled loss against every cell, or more data.

    python scripts/compare_sampled_recipe.py \
        --model default-dense=old_colorizer.keras --model default=runs/recipe-default
    python scripts/compare_sampled_recipe.py --output docs/figures/cifar_amount.json \
        --model default=colorkit/weights/colorizer.keras \
        --model default-cifar50k=runs/recipe-default-cifar50k

The ``default`` recipe (``colorkit.training.recipes``) trains a lean decoder (width 64) whose
loss scores one output cell per 4x4 block, so that a step on cached features costs a fraction of
``default-dense``'s (width 128, every cell scored; ``make bench``); ``default-cifar50k`` is the
``default`` recipe on all 50k CIFAR-10 photos instead of every third. This script decodes each
``--model LABEL=PATH`` alike over a grid of temperatures and saturations (no hints, 100 val
photos, long side 256) and reports, for each, the pooled rebalanced AuC and false color and
the false color's 99% bootstrap bound; and the best pooled rebalanced AuC among the settings
whose bound is within the export's goal (``scripts/export_guided.py``). PATH is a recipe run
(the last epoch of its last stage, built as the export builds it) or a shipped ``.keras`` file
(e.g. an earlier release's ``colorkit/weights/colorizer.keras``, from the git history).
``difference``: the second model's best minus the first's. JSON: ``--output`` (default
``docs/figures/sampled_recipe.json``; the model card also reads ``cifar_amount.json``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from colorkit import atomic, evaluation, infer, metrics
from colorkit.evaluation import decoding
from colorkit.training import cached

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPERATURES = (0.7, 1.0)
SATURATIONS = (0.65, 0.7, 0.75, 0.8)


def frontier(model, truths, prior) -> dict:
    """Pooled scores of every grid setting and the best one within the false-color goal."""
    lightness = [infer.luminance(t, "lab") for t in truths]
    trials = []
    for temperature, saturation, predicted in decoding.decoded_grid(
        model, lightness, TEMPERATURES, SATURATIONS
    ):
        row = metrics.pooled_scores(predicted, truths, prior)
        row["false_color_bound"] = metrics.false_color_bound(
            predicted, truths, quantile=decoding.FALSE_COLOR_QUANTILE
        )
        row.update(temperature=temperature, saturation=saturation)
        trials.append(row)
        print({k: round(v, 4) for k, v in row.items()}, flush=True)
    within = [row for row in trials if row["false_color_bound"] <= decoding.FALSE_COLOR_GOAL]
    best = max(within, key=lambda row: row["rebalanced_auc_ab_pooled"]) if within else None
    return {"trials": trials, "best_within_goal": best}


def model_for(path: Path):
    """A shipped ``.keras`` file, or a recipe run's last epoch of its last stage, and a name."""
    if path.suffix == ".keras":
        if not path.is_file():
            raise FileNotFoundError(f"no model file at {path}")
        return infer.load_model(path), path.name
    if not (path / "last_stage" / "last.keras").is_file():
        raise FileNotFoundError(
            f"no epochs in {path / 'last_stage'}: run colorkit train --recipe default"
        )
    return cached.colorizer_from_run(path / "last_stage"), "last_stage/last.keras"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        metavar="LABEL=PATH",
        help="a recipe run folder or a shipped .keras file (give two or more, baseline first)",
    )
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "figures" / "sampled_recipe.json"
    )
    args = parser.parse_args(argv)
    chosen = {}
    for item in args.model:
        label, _, folder = item.partition("=")
        if not label or not folder:
            parser.error(f"--model takes LABEL=PATH. Received: --model {item!r}")
        chosen[label] = Path(folder)
    models = {}
    for label, path in chosen.items():
        try:
            model, name = model_for(path)
        except FileNotFoundError as error:
            parser.error(str(error))
        models[f"{label}, {name}"] = model
    val = evaluation.scoring_set()
    truths, prior = val.truths, val.prior
    result = {"photos": len(truths), "false_color_goal": decoding.FALSE_COLOR_GOAL, "models": {}}
    for name, model in models.items():
        result["models"][name] = frontier(model, truths, prior)
    best = [entry["best_within_goal"] for entry in result["models"].values()][:2]
    if len(best) == 2 and None not in best:
        result["difference"] = (
            best[1]["rebalanced_auc_ab_pooled"] - best[0]["rebalanced_auc_ab_pooled"]
        )
        names = list(result["models"])
        print(f"best within the goal: {names[1]} - {names[0]} = {result['difference']:+.4f}")
    atomic.write_json(args.output, result)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
