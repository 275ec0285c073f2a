"""Score colorizers on the multi-source validation or test set, per collection.

    python scripts/evaluate_sources.py --split val --per-source 100 --output /tmp/val.json
    python scripts/evaluate_sources.py --split test --per-source 100 \\
        --model default=default --model real=runs/real/colorizer_real.keras \\
        --output docs/figures/multi_source.json --markdown docs/multi_source.md \\
        --worst-figure docs/figures/worst_photos.png

Every model (and the gray input) is scored on the same photos: per collection and pooled
("all"), the AuC and rebalanced AuC (pooled), PSNR and its gain over the gray input, the harm
rate (photos made more than 3 dB worse than gray), false color (pooled and per photo) and
colorfulness against the truth's. The JSON holds the rows and every photo's gain over gray; the
figure shows the first model's 12 worst photos, each as the first model, the last model, truth.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from colorkit import atomic, color, infer, viz
from colorkit.evaluation import protocol, sources


def _colorizer(model):
    def colorize(truths):
        if model == "gray":
            return [color.desaturate(truth, method="lab") for truth in truths]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            return infer.colorize(truths, model, size=256)

    return colorize


def _worst_figure(models, scores, path: Path, count: int = 12) -> None:
    labels = list(models)
    worst = scores[labels[0]].worst(count)
    rows = []
    for photo in worst:
        truth = protocol.load_long_side([photo])[0]
        first = _colorizer(models[labels[0]])([truth])[0]
        last = _colorizer(models[labels[-1]])([truth])[0]
        rows.append([first, last, truth])
    titles = [
        f"{labels[0]} ({scores[labels[0]].gains[p]:+.1f} dB) | {labels[-1]} "
        f"({scores[labels[-1]].gains[p]:+.1f} dB) | truth: {Path(p).parent.name}/{Path(p).name}"
        for p in worst
    ]
    figure = Figure(figsize=(15, 2.2 * len(rows) / 2 + 0.5))
    for index, (row, title) in enumerate(zip(_padded(rows), titles, strict=True)):
        ax = figure.add_subplot(-(-len(rows) // 2), 2, index + 1)
        ax.imshow(np.concatenate(row, axis=1))
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    figure.tight_layout()
    viz.save_figure(figure, path)


def _padded(rows):
    side = 160
    out = []
    for row in rows:
        cells = []
        for image in row:
            canvas = np.ones((side, side, 3), np.float32)
            scale = side / max(image.shape[:2])
            h, w = (max(1, round(s * scale)) for s in image.shape[:2])
            small = infer.resize_channels(image, h, w)
            canvas[:h, :w] = np.clip(small, 0, 1)
            cells.append(canvas)
        out.append(cells)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        action="append",
        metavar="LABEL=MODEL",
        help="a label and a pretrained name or .keras file (repeat; default: default=default)",
    )
    parser.add_argument("--split", choices=sources.SPLITS, default="val")
    parser.add_argument("--per-source", type=int, default=None)
    parser.add_argument("--output", required=True, help="JSON file to write")
    parser.add_argument("--markdown", help="also write the table as a markdown file")
    parser.add_argument("--worst-figure", help="also draw the first model's 12 worst photos")
    args = parser.parse_args(argv)
    models, names = {"gray": "gray"}, {"gray": "gray"}
    for item in args.model or ["default=default"]:
        label, _, name = item.partition("=")
        names[label] = name or label
        models[label] = infer.load_model(names[label])
    photos = sources.source_photos(args.split, args.per_source)
    truths = {name: protocol.load_long_side(paths) for name, paths in photos.items()}
    scores = {}
    for label, model in models.items():
        tick = time.time()
        scores[label] = sources.score_by_source(_colorizer(model), photos, truths=truths)
        print(f"{label}: {time.time() - tick:.0f} s", flush=True)
    lines = sources.markdown_table({label: result.rows for label, result in scores.items()})
    print("\n".join(lines))
    atomic.write_json(
        args.output,
        {
            "split": args.split,
            "per_source": args.per_source,
            "models": names,
            "rows": {label: result.rows for label, result in scores.items()},
            "gains": {label: result.gains for label, result in scores.items()},
        },
    )
    if args.markdown:
        with atomic.atomic_path(args.markdown) as temporary:
            temporary.write_text("\n".join(lines) + "\n")
    if args.worst_figure:
        colorizers = {label: model for label, model in models.items() if label != "gray"}
        _worst_figure(colorizers, scores, Path(args.worst_figure))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
