"""Score a colorizer on the multi-source validation or test set, per collection.

    python scripts/evaluate_sources.py --split val --per-source 100 --output /tmp/val.json
    python scripts/evaluate_sources.py --model path/to/model.keras --split test

Writes a JSON with one row per collection and "all" (pooled AuC and rebalanced AuC, false
color pooled and per photo, PSNR, gain over gray, harm rate, colorfulness against the truth's)
and every photo's PSNR gain over its gray input; prints the table and the 12 worst photos.
"""

from __future__ import annotations

import argparse
import warnings

from colorkit import atomic, color, infer, metrics
from colorkit.evaluation import sources


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a pretrained name or a .keras file")
    parser.add_argument("--split", choices=sources.SPLITS, default="val")
    parser.add_argument("--per-source", type=int, default=None)
    parser.add_argument("--output", required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    model = infer.load_model(args.model)

    def colorize(truths):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            return infer.colorize(truths, model, size=256)

    photos = sources.source_photos(args.split, args.per_source)
    scores = sources.score_by_source(colorize, photos)
    print(metrics.metrics_table(scores.rows))
    for path in scores.worst(12):
        print(f"{scores.gains[path]:+.2f} dB  {path}")
    atomic.write_json(
        args.output,
        {"model": args.model, "split": args.split, "rows": scores.rows, "gains": scores.gains},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
