"""Measure a hint model as Zhang, Zhu et al. (2017) do: metrics against the number of hints.

On BSDS500 test (200 photos, long side 256) it computes PSNR and AuC (plain and rebalanced,
per-photo mean and pooled over all pixels) with 0, 1, 2, 5, 10, 20 and 50 random ground-truth
hints (uniform positions, true ab averaged over a 5x5 patch), how far a single hint reaches,
and writes, in ``--output-dir`` (default ``docs/figures``):

- ``hints_curve.json``: the numbers (and the issue's acceptance checks);
- ``hints_curve.png``: PSNR and AuC against the number of hints;
- ``hints_examples.png``: a few photos with 0, 3 and 10 hints (hints drawn as squares);
- ``hints_local.png``: one photo with one red hint, flooding (the hinted prediction everywhere,
  as before hints were kept local) and local (``colorkit.hints.localize``).

Locality (``hint_curves.hint_locality``): one hint of a color far from the prediction at a
random pixel; the median share of pixels whose ab moves by more than 10 and the median share
of that change inside the hinted pixel's region, before (``local_hints=False``) and after. On
BSDS500 test the regions are a Felzenszwalb segmentation of the true color photo (the dataset
copy has no human ``groundTruth`` segmentations); on ``--clothing`` garment photos (from the
shared data folder's ``clothing/``) the region is the garment (``hint_curves.garment_region``)
and the hint falls on it. The clothing photos also get the 10-hint PSNR gain.

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

from colorkit import atomic, data, evaluation, hint_curves, hints, infer, models, pretrained, viz

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
    parser.add_argument("--clothing", type=int, default=50, help="garment photos (0: none)")
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

    locality = _locality(model, truths, args.long_side, without)
    clothing = None
    if args.clothing:
        clothing = _clothing(model, args.clothing, args.long_side, args.seed)

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
        "locality": locality,
        "clothing": clothing,
        "acceptance": {
            "psnr_gain_10_hints_db": psnr_gain,
            "psnr_gain_10_hints_at_least_3_db": None if psnr_gain is None else psnr_gain >= 3.0,
            **_locality_acceptance("bsds500_test", locality["local"]),
            **(
                {}
                if clothing is None
                else {
                    **_locality_acceptance("clothing", clothing["locality"]["local"]),
                    "clothing_psnr_gain_10_hints_db": clothing["psnr_gain_10_hints_db"],
                    "clothing_psnr_gain_10_hints_at_least_3_db": clothing["psnr_gain_10_hints_db"]
                    >= 3.0,
                }
            ),
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
    viz.save_figure(_red_hint_figure(model, args.long_side), output / "hints_local.png")
    print(f"wrote {output / 'hints_curve.json'} and figures ({result['seconds']} s)")
    return 0


def _summary(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("per_photo", "hints", "predictions")}


def _locality(model, truths, long_side, without, regions=None, where=None) -> dict:
    """One off-truth hint per photo, flooding (before) and local (after)."""
    out = {}
    for name, local in (("flooding", False), ("local", True)):
        result = hint_curves.hint_locality(
            model,
            truths,
            regions=regions,
            where=where,
            size=long_side,
            local_hints=local,
            without=without,
        )
        out[name] = _summary(result)
        print(
            f"one off-truth hint, {name}: {result['changed_share']:.1%} of the pixels change, "
            f"{result['inside_share']:.1%} of them inside the region (medians)",
            flush=True,
        )
    return out


def _locality_acceptance(name: str, local: dict) -> dict:
    return {
        f"{name}_changed_share": local["changed_share"],
        f"{name}_inside_share": local["inside_share"],
        f"{name}_changed_at_most_15_percent": local["changed_share"] <= 0.15,
        f"{name}_inside_at_least_80_percent": local["inside_share"] >= 0.80,
    }


def _clothing_paths(count: int) -> list[str]:
    folder = data.dataset_root("bsds500").parent / "clothing"
    paths = sorted(data.list_images(folder))
    step = max(1, len(paths) // count)
    return paths[::step][:count]


def _clothing(model, count, long_side, seed) -> dict:
    """Garment photos: locality with the hint on the garment, and the 10-hint PSNR gain."""
    paths = _clothing_paths(count)
    truths = evaluation.load_long_side(paths, long_side)
    garments = [hint_curves.garment_region(truth) for truth in truths]
    without = hint_curves.colorize_without_hints(model, truths, size=long_side)
    print(f"clothing: {len(truths)} garment photos", flush=True)
    locality = _locality(
        model,
        truths,
        long_side,
        without,
        regions=[garment.astype(np.int32) for garment in garments],
        where=garments,
    )
    curve = hint_curves.hint_curve(
        model, truths, [0, 10], size=long_side, seed=seed, without=without
    )
    gain = curve["scores"][10]["psnr"] - curve["scores"][0]["psnr"]
    print(f"clothing: 10 true hints raise PSNR by {gain:.2f} dB", flush=True)
    return {
        "photos": len(truths),
        "paths": [str(Path(path).relative_to(Path(path).parents[1])) for path in paths],
        "garment": "the Felzenszwalb region (hint_curves.photo_regions) holding the center",
        "locality": locality,
        "scores": {str(k): v for k, v in curve["scores"].items()},
        "psnr_gain_10_hints_db": gain,
        "garment_share_median": float(np.median([garment.mean() for garment in garments])),
    }


def _red_hint_figure(model, long_side):
    """A shipped garment photo with one red hint at its center: flooding, then local."""
    path = sorted(data.list_images(REPO_ROOT / "colorkit" / "samples" / "clothing"))[0]
    photo = evaluation.load_long_side([path], long_side)[0]
    height, width = photo.shape[:2]
    hint = hints.Hint.from_color(height // 2, width // 2, "#d02020")
    shown = hint_curves.one_hint_before_after(model, photo, hint, size=long_side)
    changed = {
        key: hint_curves.changed_area(shown["automatic"], shown[key]).mean()
        for key in ("flooding", "local")
    }
    row = {
        "gray input": np.repeat(infer.luminance(photo, "lab"), 3, axis=-1),
        "no hints": shown["automatic"],
        f"one red hint, before ({changed['flooding']:.0%} changed)": viz.draw_hints(
            shown["flooding"], [hint], size=5
        ),
        f"after: kept local ({changed['local']:.0%} changed)": viz.draw_hints(
            shown["local"], [hint], size=5
        ),
    }
    return viz.hint_examples([row], list(row), image_size=3.0)


if __name__ == "__main__":
    sys.exit(main())
