"""Measure a hint model as Zhang, Zhu et al. (2017) do: metrics against the number of hints.

On BSDS500 test (200 photos, long side 256) it computes PSNR and AuC (plain and rebalanced,
per-photo mean and pooled over all pixels) with 0, 1, 2, 5, 10, 20 and 50 random ground-truth
hints (uniform positions, true ab averaged over a 5x5 patch), how far a single hint reaches,
and writes, in ``--output-dir`` (default ``docs/figures``):

- ``hints_curve.json``: the numbers (and the issue's acceptance checks);
- ``hints_curve.png``: PSNR and AuC against the number of hints;
- ``hints_examples.png``: a few photos with 0, 3 and 10 hints (hints drawn as squares).

Usage::

    python scripts/evaluate_hints.py                       # the shipped hint model
    python scripts/evaluate_hints.py --model runs/guided/guided.keras --limit 20 \\
        --output-dir /tmp/hints
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from colorkit import atomic, data, evaluation, hint_curves, infer, models, pretrained, viz

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_COUNTS = (0, 3, 10)


def _load(name: str | None):
    if name is None:
        return pretrained.load_pretrained_hint_model()
    return infer.load_model(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file or pretrained name (default: shipped)")
    parser.add_argument("--limit", type=int, help="use the first N test photos")
    parser.add_argument("--long-side", type=int, default=256)
    parser.add_argument("--counts", default=",".join(map(str, hint_curves.HINT_COUNTS)))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=3, help="photos in the example figure")
    parser.add_argument("--output-dir", default=str(REPO_ROOT / "docs" / "figures"))
    args = parser.parse_args(argv)

    started = time.time()
    model = _load(args.model)
    spec = models.model_spec(model)
    if not spec.hint_inputs:
        parser.error(f"the model {args.model!r} takes no hints (ModelSpec.hint_inputs is False)")
    paths = data.dataset_paths("bsds500", "test")
    if args.limit:
        paths = paths[: args.limit]
    truths = evaluation.load_long_side(paths, args.long_side)
    counts = sorted({int(value) for value in args.counts.split(",")} | set(EXAMPLE_COUNTS))
    print(f"{len(truths)} photos, long side {args.long_side}, hint counts {counts}", flush=True)

    # The photos colorized with no hints, once: the curve's 0 and both reach measurements.
    without = hint_curves.colorize_without_hints(model, truths, size=args.long_side)
    curve = hint_curves.hint_curve(
        model,
        truths,
        counts,
        size=args.long_side,
        seed=args.seed,
        keep=args.examples,
        without=without,
    )
    for count in counts:
        row = curve["scores"][count]
        print(f"{count:3d} hints: " + ", ".join(f"{k} {v:.4f}" for k, v in row.items()), flush=True)
    reach = hint_curves.hint_reach(
        model, truths, size=args.long_side, seed=args.seed + 1, without=without
    )
    print(
        f"one hint reaches {reach['area_fraction']:.2%} of a photo (median; "
        f"{reach['area_pixels']:.0f} px, 90% within {reach['radius_90']:.0f} px)"
    )
    # What the network does on its own, before colorkit.hints.spread: 10 hints and reach (with
    # no hints there is nothing to spread, so the 0-hint scores are the curve's own; counts
    # always hold 0 and 10, EXAMPLE_COUNTS).
    alone = hint_curves.hint_curve(
        model, truths, [10], size=args.long_side, seed=args.seed, spread_hints=False
    )
    alone_reach = hint_curves.hint_reach(
        model, truths, size=args.long_side, seed=args.seed + 1, spread_hints=False, without=without
    )
    network_alone = {
        "scores": {"0": curve["scores"][0], "10": alone["scores"][10]},
        "single_hint_reach": {k: v for k, v in alone_reach.items() if k != "per_photo"},
    }
    print(f"network alone: {network_alone}", flush=True)

    scores = {str(count): curve["scores"][count] for count in counts}
    psnr_gain = scores["10"]["psnr"] - scores["0"]["psnr"] if "10" in scores else None
    result = {
        "model": args.model or "shipped hint model",
        "model_spec": spec.to_dict(),
        "dataset": "bsds500 test",
        "photos": len(truths),
        "limit": args.limit,
        "long_side": args.long_side,
        "seed": args.seed,
        "hints": "uniform pixel positions; color = true ab averaged over a 5x5 patch; the k-hint "
        "set of a photo is the first k of one draw",
        "scores": scores,
        "single_hint_reach": {k: v for k, v in reach.items() if k != "per_photo"},
        "spread": "hints are network inputs, then spread along the photo's edges over its "
        "prediction (colorkit.hints.spread); network_alone skips that step",
        "network_alone": network_alone,
        "acceptance": {
            "psnr_gain_10_hints_db": psnr_gain,
            "psnr_gain_10_hints_at_least_3_db": None if psnr_gain is None else psnr_gain >= 3.0,
        },
        "seconds": round(time.time() - started, 1),
    }
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    atomic.write_json(output / "hints_curve.json", result, indent=2)
    viz.save_figure(viz.hint_curves(scores), output / "hints_curve.png")

    rows = []
    for index in range(min(args.examples, len(truths))):
        row = {"gray input": np.repeat(infer.luminance(truths[index], "lab"), 3, axis=-1)}
        for count in EXAMPLE_COUNTS:
            shown = curve["hints"][index][:count]
            title = f"{count} hint{'s' if count != 1 else ''}"
            row[title] = viz.draw_hints(curve["predictions"][count][index], shown, size=5)
        row["truth"] = truths[index]
        rows.append(row)
    if rows:
        viz.save_figure(viz.hint_examples(rows, list(rows[0])), output / "hints_examples.png")
    print(f"wrote {output / 'hints_curve.json'} and figures ({result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
