"""The hint fine-tune on BSDS500 val: the first stage's best epoch vs each fine-tune epoch.

    python scripts/compare_hint_finetune.py [--work runs/recipe-default]

The default recipe's second stage (``colorkit.training.cached.FINETUNE_SETTINGS``) fine-tunes
the first stage's best epoch with spread blocks and more simulated hints. This script shows
what that bought, on the 100 BSDS500 val photos (long side 256): PSNR with 0 and with 10
random ground-truth hints (``colorkit.hint_curves.draw_photo_hints``, seed 0: uniform
positions, the truth's ab over a 5x5 patch) and, with 0 hints, the pooled rebalanced AuC and
false-color score. Every decoder is decoded alike (``--temperature``, ``--saturation``;
default the shipped default's stored settings), with the network's output alone (no hint
spreading, ``colorkit.hints.spread``: that step comes after the network and is measured by
``scripts/compare_hint_spread.py``). The JSON (default
``docs/figures/hint_finetune.json``) is what ``scripts/model_card.py`` renders.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import keras
import numpy as np

from colorkit import (
    atomic,
    color,
    evaluation,
    hint_curves,
    infer,
    metrics,
    models,
    pretrained,
)
from colorkit.models import guided
from colorkit.training import cached, run_folder

REPO_ROOT = Path(__file__).resolve().parents[1]
HINTS = 10


def measure(decoder_path: Path, truths, prior, drawn, temperature, saturation) -> dict:
    decoder = keras.saving.load_model(decoder_path, compile=False)
    model = guided.guided_zhang(decoder=decoder, temperature=temperature, saturation=saturation)
    row = {}
    for count in (0, HINTS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            predictions = infer.colorize(
                truths, model, size=256, hints=[h[:count] for h in drawn], spread_hints=False
            )
        row[f"psnr_{count}_hints"] = float(
            np.mean([metrics.psnr(p, t) for p, t in zip(predictions, truths, strict=True)])
        )
        if count == 0:
            row.update(metrics.pooled_scores(predictions, truths, prior))
    row["psnr_gain"] = row[f"psnr_{HINTS}_hints"] - row["psnr_0_hints"]
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "runs" / "recipe-default")
    parser.add_argument("--temperature", type=float, help="default: the shipped default's")
    parser.add_argument("--saturation", type=float, help="default: the shipped default's")
    parser.add_argument("--limit", type=int, help="first N val photos (default all)")
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "figures" / "hint_finetune.json"
    )
    args = parser.parse_args(argv)
    finetune = list(run_folder.epoch_checkpoints(args.work / "finetune").values())
    if not finetune:
        parser.error(f"no fine-tune epochs in {args.work / 'finetune'}: run the default recipe")
    base = cached.best_checkpoint(args.work / "run")
    spec = models.model_spec(pretrained.load_pretrained())
    temperature = args.temperature if args.temperature is not None else spec.temperature
    saturation = args.saturation if args.saturation is not None else spec.saturation
    val = evaluation.scoring_set(limit=args.limit)
    truths, prior = val.truths, val.prior
    drawn = hint_curves.draw_photo_hints(truths, HINTS, seed=0)
    rows = {}
    for label, path in [(f"first stage, {base.stem}", base)] + [
        (f"fine-tune, {path.stem}", path) for path in finetune
    ]:
        rows[label] = measure(path, truths, prior, drawn, temperature, saturation)
        print(f"{label}: {rows[label]}", flush=True)
    result = {
        "photos": len(truths),
        "hints": HINTS,
        "decoding": {"temperature": temperature, "saturation": saturation},
        "rows": rows,
    }
    atomic.write_json(args.output, result)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
