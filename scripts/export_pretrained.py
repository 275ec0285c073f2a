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
import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = REPO_ROOT / "colorkit" / "weights"
MAX_BYTES = 20 * 1024 * 1024


def _stage_wall_seconds(stage_dir: Path) -> float:
    """Wall time of one stage from its checkpoints' modification times (0 if unknown)."""
    times = sorted(p.stat().st_mtime for p in (stage_dir / "checkpoints").glob("epoch_*.keras"))
    if len(times) < 2:
        return 0.0
    return (times[-1] - times[0]) * len(times) / (len(times) - 1)


def _run_facts(roots: list[Path], num_stages: int) -> dict:
    """Epochs, wall time and environment of a recipe run (stages may come from seed runs)."""
    facts: dict = {"stages": []}
    total = 0.0
    for index in range(num_stages):
        # A stage copied from a comparison run has copy-time mtimes: take the slowest source.
        walls = [(_stage_wall_seconds(root / f"stage_{index}"), root) for root in roots]
        seconds, root = max(walls, key=lambda item: item[0])
        stage = root / f"stage_{index}"
        log = stage / "log.csv"
        epochs = len(log.read_text().strip().splitlines()) - 1 if log.is_file() else 0
        facts["stages"].append({"run": str(stage), "epochs": epochs, "seconds": round(seconds)})
        environment = stage / "environment.json"
        if environment.is_file():
            facts["environment"] = json.loads(environment.read_text())
        total += seconds
    facts["seconds"] = round(total)
    return facts


TEMPERATURES = (0.1, 0.2, 0.38, 0.6, 1.0)
SATURATIONS = (0.5, 0.6, 0.7, 0.85, 1.0)
SIZES = (128, 256)


def choose_decoding(
    model_path: Path,
    num_photos: int = 50,
    temperatures=TEMPERATURES,
    saturations=SATURATIONS,
    sizes=SIZES,
) -> tuple[dict, list]:
    """Pick the working size, annealed-mean temperature and saturation on BSDS500 val.

    Rule: among the settings whose plain AuC is at most 0.01 below the gray baseline's, whose
    PSNR is above gray's and whose colorfulness is at least half the truth's, take the best
    class-rebalanced AuC; if none qualifies, the best rebalanced AuC overall. Photos are
    evaluated at long side 256; the working size is the network's input long side.
    """
    import warnings

    from colorkit import color, data, evaluation, infer

    paths = [str(p) for p in data.dataset_paths(*evaluation.VAL_SOURCE)][:num_photos]
    truths = evaluation.load_long_side(paths, 256)
    gray = evaluation.evaluate_predictions([color.desaturate(t) for t in truths], truths)
    truth_colorfulness = evaluation.evaluate_predictions(truths, truths)["colorfulness"]
    model = infer.load_model(model_path)
    trials = []
    grid = [(z, t, s) for z in sizes for t in temperatures for s in saturations]
    for size, temperature, saturation in grid:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            predicted = infer.colorize(
                truths, model, size=size, temperature=temperature, saturation=saturation
            )
        row = evaluation.evaluate_predictions(predicted, truths)
        row.update(size=size, temperature=temperature, saturation=saturation)
        row["qualifies"] = bool(
            row["auc_ab"] >= gray["auc_ab"] - 0.01
            and row["psnr"] > gray["psnr"]
            and row["colorfulness"] >= 0.5 * truth_colorfulness
        )
        trials.append(row)
        print(
            f"[export] size={size} T={temperature} saturation={saturation}: rebalanced AuC "
            f"{row['rebalanced_auc_ab']:.4f}, AuC {row['auc_ab']:.4f}, PSNR {row['psnr']:.2f}"
            f"{' (qualifies)' if row['qualifies'] else ''}",
            flush=True,
        )
    pool = [t for t in trials if t["qualifies"]] or trials
    best = max(pool, key=lambda t: t["rebalanced_auc_ab"])
    decode = {key: best[key] for key in ("size", "temperature", "saturation")}
    if len(temperatures) == 1:
        del decode["temperature"]
    if len(saturations) == 1:
        del decode["saturation"]
    return decode, [dict(t, gray_psnr=gray["psnr"], gray_auc=gray["auc_ab"]) for t in trials]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default=str(REPO_ROOT / "runs"))
    args = parser.parse_args(argv)

    from colorkit import data, infer, models
    from colorkit.training import recipes, run_folder

    runs = Path(args.runs)
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    manifest = {}
    shipped = {
        "default": ("default", "colorizer.keras"),
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
            "sha256": data.file_sha256(destination),
            "training": _run_facts(
                [root] + ([runs / f"recipe-{recipes.DEFAULT_FAMILY}"] if name == "default" else []),
                len(recipe.stages),
            ),
            "hardware": f"{run_folder.cpu_model()}, {os.cpu_count()} cores, CPU only",
        }
        if models.model_family(model) == "zhang":
            decode, trials = choose_decoding(destination)
            (WEIGHTS / "decoding_trials.json").write_text(json.dumps(trials, indent=2) + "\n")
        else:
            # The plain baseline is not tuned: it works at the size it was trained at (larger
            # inputs put its 1/32-resolution bottleneck outside what training showed it).
            decode = {"size": recipe.stages[-1].image_size}
        # The chosen settings travel inside the model (its ModelSpec); the manifest records them.
        infer.recommend_settings(model, **decode)
        model.save(destination)
        manifest[name].update(
            decode=decode, bytes=destination.stat().st_size, sha256=data.file_sha256(destination)
        )
        print(f"[export] {name}: {destination} ({size / 2**20:.1f} MB)")
    (WEIGHTS / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    comparison = runs / "compare" / "results.json"
    if comparison.is_file():
        shutil.copyfile(comparison, WEIGHTS / "comparison.json")
    print(f"[export] wrote {WEIGHTS / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
