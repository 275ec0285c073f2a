"""Benchmark: seconds to colorize one photo with the default model on this CPU.

One 512 x 512 and one 2048 x 1536 photo (a real photo from ``../shared/data`` resized, or a
sample photo), working size 256, full-resolution luminance merged back. Uses the shipped
pretrained model when it is installed (else the default U-Net architecture at random init,
which costs the same). Goals: under 0.5 s and under 2 s. Also the FLOPs per image of each
family's default at 256 px.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import emit, row, time_call

SECTION = "infer"


def _photo(height: int, width: int) -> np.ndarray:
    from PIL import Image

    from colorkit import data

    path = next(iter(data.sample_paths().values()))
    image = data.read_image(path)
    pil = Image.fromarray(np.round(image * 255).astype(np.uint8)).resize((width, height))
    return np.asarray(pil, np.float32) / 255.0


def run(quick: bool = False) -> list[dict]:
    import warnings

    from colorkit import color, infer, models

    try:
        from colorkit import pretrained

        model = pretrained.load_pretrained("default")
        which = "shipped pretrained model"
    except (ValueError, FileNotFoundError):
        model = models.build_model("unet")
        which = "default unet, random init (no pretrained weights installed)"
    rows = []
    for (height, width), goal in (((512, 512), 0.5), ((1536, 2048), 2.0)):
        image = _photo(height, width)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", color.GamutWarning)
            seconds = time_call(
                lambda image=image: infer.colorize(image, model, size=256),
                repeats=3 if quick else 5,
            )["min"]
        rows.append(
            row(
                SECTION,
                f"colorize {width}x{height} (size 256)",
                seconds,
                "s",
                goal=f"< {goal} s",
                met=seconds < goal,
                note=which,
            )
        )
    for family in models.PHOTO_TRAINED:
        flops = models.count_flops(models.build_model(family), 256)
        rows.append(
            row(SECTION, f"{family} default forward cost at 256 px", flops / 1e9, "GFLOP/img")
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
