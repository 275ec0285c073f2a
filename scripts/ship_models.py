"""Ship the trained models into ``colorkit/weights/`` and rewrite ``manifest.json``.

    python scripts/ship_models.py --guided-run runs/recipe-default --dahl-run runs/recipe-dahl-hed
    python scripts/ship_models.py --guided-run runs/recipe-default   # the default only

- ``default``: the guided colorizer (trained encoder + hint decoder) exported by
  ``colorkit.training.recipes.export_guided`` (decoding chosen on BSDS500 val) from the
  recipe's last stage that exists: ``<guided-run>/last_stage``, ``finetune`` or ``run``;
- ``dahl``: Dahl's residual decoder on HED's trained VGG16, from ``<dahl-run>/stage_0/last.keras``
  (exported without its optimizer state);
- ``zhang-scratch``: colorkit 0.1's default, the Zhang classifier trained from random weights
  (kept as the "before" of the course: the same file, renamed);
- ``l2-baseline``: unchanged.

Frozen trained encoders are not stored: ``FrozenEncoder`` rebuilds them from their installed
packages when a model is loaded, so every file holds only what was trained.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from colorkit import atomic, data, infer, models
from colorkit.models import encoders, guided
from colorkit.training import cached, recipes, run_folder

WEIGHTS = Path(__file__).resolve().parents[1] / "colorkit" / "weights"
MAX_BYTES = 20 * 1024 * 1024


def _entry(path: Path, family: str, recipe_name: str, training: dict, decode: dict) -> dict:
    model = infer.load_model(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path} is {size / 2**20:.1f} MB, over the 20 MB limit")
    return {
        "file": path.name,
        "family": family,
        "recipe": recipes.get_recipe(recipe_name).to_dict(),
        "trained_as": recipe_name,
        "parameters": int(model.count_params()),
        "bytes": size,
        "sha256": data.file_sha256(path),
        "training": training,
        "hardware": f"{run_folder.cpu_model()}, {os.cpu_count()} cores, CPU only",
        "decode": decode,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guided-run", type=Path, required=True)
    parser.add_argument("--dahl-run", type=Path, help="Dahl's run (default: keep dahl.keras)")
    args = parser.parse_args(argv)
    manifest = json.loads((WEIGHTS / "manifest.json").read_text())

    if manifest["default"]["family"] == "zhang":  # 0.1's default becomes zhang-scratch
        old = manifest.pop("default")
        shutil.move(WEIGHTS / old["file"], WEIGHTS / "zhang_scratch.keras")
        old.update(file="zhang_scratch.keras", trained_as="zhang-scratch")
        old["recipe"] = recipes.get_recipe("zhang-scratch").to_dict()
        manifest["zhang-scratch"] = old

    run = args.guided_run / "run"
    checkpoint = None
    for stage in reversed(cached.LATER_STAGES):  # the last one that ran: its last epoch
        if (args.guided_run / stage).is_dir():
            run = args.guided_run / stage
            break
    else:  # only the first stage: its best epoch on val
        checkpoint = cached.best_checkpoint(run)
    recipes.export_guided(run, WEIGHTS / "colorizer.keras", checkpoint=checkpoint)
    trials = json.loads((WEIGHTS / "guided_decoding_trials.json").read_text())
    summary = json.loads((args.guided_run / "summary.json").read_text())
    encoder = encoders.ENCODERS["resnet50_1by2"]
    manifest["default"] = _entry(
        WEIGHTS / "colorizer.keras",
        "guided",
        "default",
        {
            **summary,
            "checkpoint": trials["checkpoint"],
            "encoder": f"{encoder['package']}=={encoder['version']} ({encoder['licence']})",
        },
        {
            "size": guided.WORKING_SIZE,
            "temperature": trials["chosen"]["temperature"],
            "saturation": trials["chosen"]["saturation"],
        },
    )

    if args.dahl_run is None:
        atomic.write_json(WEIGHTS / "manifest.json", manifest, indent=2)
        print(f"wrote {WEIGHTS / 'manifest.json'} (default only)")
        return 0
    dahl_path = recipes.export_model(
        args.dahl_run / "stage_0" / "last.keras", WEIGHTS / "dahl.keras"
    )
    epochs = len((args.dahl_run / "stage_0" / "log.csv").read_text().strip().splitlines()) - 1
    timing = json.loads((args.dahl_run / "timing.json").read_text())
    model = infer.load_model(dahl_path)
    infer.recommend_settings(model, size=256)
    model.save(dahl_path)
    manifest["dahl"] = _entry(
        dahl_path, "dahl", "dahl-hed", {"epochs": epochs, **timing}, {"size": 256}
    )
    print(models.model_spec(infer.load_model(WEIGHTS / "colorizer.keras")))
    atomic.write_json(WEIGHTS / "manifest.json", manifest, indent=2)
    print(f"wrote {WEIGHTS / 'manifest.json'}: {sorted(manifest)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
