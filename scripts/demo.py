"""The main job behind ``make demo``: colorize real sample photos and save the figures.

Usage: python scripts/demo.py [--output outputs] [--model NAME_OR_PATH] [--size 256]

Writes into the output folder:
- ``desaturation.png``: the sample photos desaturated four ways (Lab L, Rec. 601, Rec. 709, mean);
- ``lab_planes.png`` and ``yuv_planes.png``: one photo split into its color-space planes;
- ``ab_histogram.png``: where the colors of the sample photos live on the ab plane;
- ``colorized.png`` and ``colorized/``: gray | colorized | true for each sample photo with the
  pretrained model (when one ships with colorkit or ``--model`` names one), plus ``metrics.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="colorkit demo on the shipped sample photos")
    parser.add_argument("--output", default="outputs", help="folder for the figures")
    parser.add_argument("--model", default=None, help="model name or .keras path")
    parser.add_argument("--size", type=int, default=256, help="working size of the network")
    args = parser.parse_args(argv)

    from colorkit import color, data, viz

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    sample_paths = data.sample_paths()
    names = list(sample_paths)
    print(f"[demo] {len(names)} sample photos shipped with installed packages: {', '.join(names)}")
    square = data.load_images(list(sample_paths.values()), size=256, crop="center")

    figure = viz.desaturation_comparison(square[0])
    viz.save_figure(figure, output / "desaturation.png")
    viz.save_figure(viz.lab_planes(square[0]), output / "lab_planes.png")
    viz.save_figure(viz.yuv_planes(square[0]), output / "yuv_planes.png")
    viz.save_figure(viz.ab_histogram(square), output / "ab_histogram.png")
    print(f"[demo] color-space figures written to {output}/")

    model = None
    try:
        from colorkit import infer

        model = infer.load_model(args.model) if args.model else _pretrained()
    except (ImportError, FileNotFoundError, ValueError) as error:
        print(f"[demo] no colorization model available ({error}); skipping colorization")
    if model is not None:
        import warnings

        from colorkit import metrics

        # Clipping a few vivid predictions into sRGB is expected, and a gray image has no hue
        # to agree with (hue agreement is NaN by definition): the demo need not warn.
        warnings.simplefilter("ignore", color.GamutWarning)
        warnings.simplefilter("ignore", RuntimeWarning)

        colorized = [infer.colorize(image, model, size=args.size) for image in square]
        predicted = np.stack(colorized).astype(np.float32)
        gray = color.desaturate(square, method="lab")
        grid = viz.comparison_grid(
            {"gray input": gray, "colorkit": predicted, "true color": square}, row_titles=names
        )
        viz.save_figure(grid, output / "colorized.png")
        rows = {
            "gray input": metrics.evaluate_batch(gray, square),
            "colorkit": metrics.evaluate_batch(predicted, square),
            "true color": metrics.evaluate_batch(square, square),
        }
        table = metrics.metrics_table(rows)
        (output / "metrics.md").write_text(table, encoding="utf-8")
        print(table)
        full_dir = output / "colorized"
        full_dir.mkdir(exist_ok=True)
        for name, path in sample_paths.items():
            result = infer.colorize(data.read_image(path), model, size=args.size)
            data.save_image(result, full_dir / f"{name}.png", overwrite=True)
        print(f"[demo] full-resolution results in {full_dir}/")
    print(f"[demo] done in {time.perf_counter() - start:.1f} s; open {output}/ to see the figures")
    return 0


def _pretrained():
    from colorkit import pretrained

    return pretrained.load_pretrained()


if __name__ == "__main__":
    sys.exit(main())
