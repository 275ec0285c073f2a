"""Train the three model families on the same budget and compare them on BSDS500 val.

Usage: python scripts/compare_families.py [--runs runs] [--families unet dahl zhang]

Runs the ``compare-<family>`` recipes (resumable), evaluates each final model on BSDS500 val
(100 photos, long side 256) with the same metrics as the model card, and writes
``<runs>/compare/results.json`` and ``results.md``. The shipped model's family
(``colorkit.training.recipes.DEFAULT_FAMILY``) is chosen from this table: best
class-rebalanced AuC and colorfulness without losing plain AuC.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def paired_bootstrap(per_photo: dict) -> dict:
    """95% paired-bootstrap intervals of per-photo rebalanced AuC differences between families.

    Tells whether the families' rebalanced AuC differ beyond what 100 photos can resolve.

    Args:
        per_photo: family -> float array (N,) of per-photo rebalanced AuC on the same photos.
    """
    import numpy as np

    families = list(per_photo)
    rng = np.random.default_rng(0)
    intervals = {}
    for i, first in enumerate(families):
        for second in families[i + 1 :]:
            difference = per_photo[first] - per_photo[second]
            draws = rng.integers(0, len(difference), (2000, len(difference)))
            boots = difference[draws].mean(axis=1)
            low, high = np.percentile(boots, [2.5, 97.5])
            intervals[f"{first} - {second}"] = {
                "mean": float(difference.mean()),
                "low": float(low),
                "high": float(high),
            }
    return intervals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--families", nargs="*", default=["unet", "dahl", "zhang"])
    parser.add_argument("--evaluate-only", action="store_true")
    args = parser.parse_args(argv)

    import numpy as np

    from colorkit import evaluation, metrics
    from colorkit.training import recipes

    out = Path(args.runs) / "compare"
    out.mkdir(parents=True, exist_ok=True)
    val = evaluation.scoring_set()
    truths, prior = val.truths, val.prior
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name in ("gray", "truth"):
        if name not in results:
            predictions = evaluation.predict_for_evaluation(name, truths)
            results[name] = evaluation.evaluate_predictions(predictions, truths, prior)
    per_photo = {}
    for family in args.families:
        recipe = recipes.get_recipe(f"compare-{family}")
        root = Path(args.runs) / f"recipe-{recipe.name}"
        start = time.time()
        final = root / f"stage_{len(recipe.stages) - 1}" / "last.keras"
        if not args.evaluate_only:
            final = recipes.run_recipe(recipe, run_root=root)
        seconds = time.time() - start
        # Colorize once: the table's means and the bootstrap's per-photo values share it.
        predictions = evaluation.predict_for_evaluation(str(final), truths)
        row = evaluation.evaluate_predictions(predictions, truths, prior)
        row["train_seconds_this_call"] = round(seconds, 1)
        results[recipe.description] = row
        per_photo[family] = np.array(
            [
                metrics.rebalanced_auc_ab(p, t, prior=prior)
                for p, t in zip(predictions, truths, strict=True)
            ]
        )
        results_path.write_text(json.dumps(results, indent=2) + "\n")
        print(f"[compare] {family}: {row}", flush=True)
    results["paired_bootstrap"] = paired_bootstrap(per_photo)
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    table = metrics.metrics_table(
        {
            k: {m: v for m, v in r.items() if m != "train_seconds_this_call"}
            for k, r in results.items()
            if k != "paired_bootstrap"
        }
    )
    (out / "results.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
