"""Train the three model families on the same budget and compare them on BSDS500 val.

Usage: python scripts/compare_families.py [--runs runs] [--families unet dahl zhang]

Runs the ``compare-<family>`` recipes (resumable), evaluates each final model on BSDS500 val
(100 photos, long side 256) with the same metrics as the model card, and writes
``<runs>/compare/results.json`` and ``results.md``. The shipped model's family
(``colorkit.recipes.DEFAULT_FAMILY``) is chosen from this table: best class-rebalanced AuC and
colorfulness without losing plain AuC.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--families", nargs="*", default=["unet", "dahl", "zhang"])
    parser.add_argument("--evaluate-only", action="store_true")
    args = parser.parse_args(argv)

    from colorkit import data, metrics, recipes

    out = Path(args.runs) / "compare"
    out.mkdir(parents=True, exist_ok=True)
    val_paths = [str(p) for p in data.dataset_paths(*recipes.VAL_SOURCE)]
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name in ("gray", "truth"):
        if name not in results:
            results[name] = recipes.evaluate_model(name, val_paths)
    for family in args.families:
        recipe = recipes.get_recipe(f"compare-{family}")
        root = Path(args.runs) / f"recipe-{recipe.name}"
        start = time.time()
        final = root / f"stage_{len(recipe.stages) - 1}" / "last.keras"
        if not args.evaluate_only:
            final = recipes.run_recipe(recipe, run_root=root)
        seconds = time.time() - start
        row = recipes.evaluate_model(str(final), val_paths)
        row["train_seconds_this_call"] = round(seconds, 1)
        results[recipe.description] = row
        results_path.write_text(json.dumps(results, indent=2) + "\n")
        print(f"[compare] {family}: {row}", flush=True)
    table = metrics.metrics_table(
        {
            k: {m: v for m, v in r.items() if m != "train_seconds_this_call"}
            for k, r in results.items()
        }
    )
    (out / "results.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
