"""Copy trained recipe runs into the package as the shipped pretrained models.

Usage: python scripts/export_pretrained.py [--runs runs]

Exports (inference only, no optimizer state) the final model of
``runs/recipe-<DEFAULT_FAMILY>`` as ``colorkit/weights/colorizer.keras`` and of
``runs/recipe-compare-unet`` as ``colorkit/weights/l2_baseline.keras``, writes
``colorkit/weights/manifest.json`` (file, family, recipe, parameters, SHA-256, training wall
time and hardware), and copies the family comparison (``runs/compare/results.json``) to
``colorkit/weights/comparison.json`` so that ``make model-card`` needs no run folders.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = REPO_ROOT / "colorkit" / "weights"
MAX_BYTES = 20 * 1024 * 1024


def _run_facts(root: Path) -> dict:
    facts: dict = {}
    timing = root / "timing.json"
    if timing.is_file():
        facts.update(json.loads(timing.read_text()))
    seconds = 0.0
    for stage in sorted(root.glob("stage_*")):
        log = stage / "log.csv"
        environment = stage / "environment.json"
        if environment.is_file():
            facts["environment"] = json.loads(environment.read_text())
        if log.is_file():
            lines = log.read_text().strip().splitlines()
            facts[f"{stage.name}_epochs"] = len(lines) - 1
    if seconds:
        facts["seconds"] = seconds
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=str(REPO_ROOT / "runs"))
    args = parser.parse_args(argv)

    from colorkit import infer, models, recipes

    runs = Path(args.runs)
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    manifest = {}
    shipped = {
        "default": (recipes.DEFAULT_FAMILY, "colorizer.keras"),
        "l2-baseline": ("compare-unet", "l2_baseline.keras"),
    }
    for name, (recipe_name, filename) in shipped.items():
        recipe = recipes.get_recipe(recipe_name)
        root = runs / f"recipe-{recipe_name}"
        final = root / f"stage_{len(recipe.stages) - 1}" / "last.keras"
        if not final.is_file():
            raise FileNotFoundError(f"No finished run for recipe {recipe_name!r}: '{final}'")
        destination = recipes.export_model(final, WEIGHTS / filename)
        size = destination.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(f"{destination} is {size / 2**20:.1f} MB, over the 20 MB limit")
        model = infer.load_model(destination)
        manifest[name] = {
            "file": filename,
            "family": models.model_family(model),
            "recipe": recipes.get_recipe(name).to_dict(),
            "trained_as": recipe_name,
            "parameters": int(model.count_params()),
            "gflops_256": round(models.count_flops(model, 256) / 1e9, 3),
            "bytes": size,
            "sha256": recipes.sha256(destination),
            "training": _run_facts(root),
            "hardware": f"{platform.processor() or platform.machine()}, CPU only",
        }
        print(f"[export] {name}: {destination} ({size / 2**20:.1f} MB)")
    (WEIGHTS / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    comparison = runs / "compare" / "results.json"
    if comparison.is_file():
        shutil.copyfile(comparison, WEIGHTS / "comparison.json")
    print(f"[export] wrote {WEIGHTS / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
