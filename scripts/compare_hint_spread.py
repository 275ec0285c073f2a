"""Hint spreading on BSDS500 val: the network's output alone vs spread along the photo's edges.

    python scripts/compare_hint_spread.py [--limit N] [--output docs/figures/hint_spread.json]

The hint model reads the hints as inputs; ``colorkit.hints.spread`` then blends each hint's
color into the prediction with a weight that falls with the geodesic distance to the hint
(Yatziv & Sapiro 2006). This script measures, on the 100 BSDS500 val photos (long side 256)
with the shipped hint model and its stored decoding, the PSNR with 0, 1 and 10 random
ground-truth hints (``colorkit.hint_curves.draw_photo_hints``, seed 0) for the network alone
and for spreading over a grid of reach (``scale``) and edge cost (``edge``). It chooses the
pair with the highest mean PSNR over 1 and 10 hints (a single click must not be spread worse
than many), checks that it is the one ``colorkit.hints`` ships (``SPREAD_SCALE``,
``SPREAD_EDGE``) and that spreading raises the PSNR at both counts, and writes the JSON that
``scripts/model_card.py`` renders. Test photos are never used to choose.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from colorkit import atomic, color, data, evaluation, hint_curves, hints, infer, metrics, pretrained

REPO_ROOT = Path(__file__).resolve().parents[1]
HINTS = 10
SCALES = (0.5, 1.0, 2.0)
EDGES = (0.0, 1.0, 3.0)


def mean_psnr(model, truths, drawn, count: int, spread: bool) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", color.GamutWarning)
        predictions = infer.colorize(
            truths, model, size=256, hints=[h[:count] for h in drawn], spread_hints=spread
        )
    return float(np.mean([metrics.psnr(p, t) for p, t in zip(predictions, truths, strict=True)]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="first N val photos (default all)")
    parser.add_argument(
        "--output", type=Path, default=REPO_ROOT / "docs" / "figures" / "hint_spread.json"
    )
    args = parser.parse_args(argv)
    started = time.time()
    model = pretrained.load_pretrained_hint_model()
    paths = [str(p) for p in data.dataset_paths(*evaluation.VAL_SOURCE)][: args.limit]
    truths = evaluation.load_long_side(paths, 256)
    drawn = hint_curves.draw_photo_hints(truths, HINTS, seed=0)
    no_hints = mean_psnr(model, truths, drawn, 0, spread=True)
    network = mean_psnr(model, truths, drawn, HINTS, spread=False)
    network_one = mean_psnr(model, truths, drawn, 1, spread=False)
    print(
        f"0 hints {no_hints:.3f} dB; network alone: 1 hint {network_one:.3f}, "
        f"{HINTS} hints {network:.3f} dB",
        flush=True,
    )
    shipped = (hints.SPREAD_SCALE, hints.SPREAD_EDGE)
    grid = []
    try:
        for scale, edge in itertools.product(SCALES, EDGES):
            hints.SPREAD_SCALE, hints.SPREAD_EDGE = scale, edge
            psnr = mean_psnr(model, truths, drawn, HINTS, spread=True)
            psnr_one = mean_psnr(model, truths, drawn, 1, spread=True)
            grid.append(
                {
                    "scale": scale,
                    "edge": edge,
                    "psnr": psnr,
                    "gain": psnr - no_hints,
                    "psnr_1_hint": psnr_one,
                    "gain_1_hint": psnr_one - no_hints,
                }
            )
            print(
                f"scale {scale} edge {edge}: 1 hint {psnr_one:.3f}, {HINTS} {psnr:.3f}", flush=True
            )
    finally:
        hints.SPREAD_SCALE, hints.SPREAD_EDGE = shipped
    best = max(grid, key=lambda row: row["psnr"] + row["psnr_1_hint"])
    chosen = {"scale": best["scale"], "edge": best["edge"]}
    result = {
        "dataset": "bsds500 val",
        "photos": len(truths),
        "hints": HINTS,
        "psnr_0_hints": no_hints,
        "psnr_network_alone": network,
        "gain_network_alone": network - no_hints,
        "gain_network_alone_1_hint": network_one - no_hints,
        "grid": grid,
        "chosen": chosen,
        "gain_chosen": best["gain"],
        "gain_chosen_1_hint": best["gain_1_hint"],
        "seconds": round(time.time() - started, 1),
    }
    atomic.write_json(args.output, result)
    print(f"wrote {args.output}")
    if best["psnr"] <= network or best["psnr_1_hint"] <= network_one:
        print("spreading does not raise the 1- and 10-hint PSNR on val", file=sys.stderr)
        return 1
    if (best["scale"], best["edge"]) != shipped:
        print(
            f"the best pair on val is scale={best['scale']}, edge={best['edge']}; "
            f"colorkit.hints ships SPREAD_SCALE={shipped[0]}, SPREAD_EDGE={shipped[1]}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
