"""Benchmark: the HintExplorer's round trip, from a click to the new picture, at 256 px.

A click (``HintExplorer.click``: suggested colors at the pixel (the distribution's modes), a
new hint, one network pass with the hints (the pass without hints is kept from the first
picture), decoding, spreading, keeping the change local (``colorkit.hints.localize``: a gray
segmentation and a geodesic distance), composing, hint markers, PNG) and a color change of
the selected hint; every click adds a hint, so later clicks carry more of them. On a
481 x 321 photo at working size 256. Uses the shipped hint model when one is installed (else
the guided model with its trained encoder and a random decoder of the same width, which costs
the same). Goal: under 1 s per round trip (issue 13).
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import emit, row, time_call

SECTION = "hints"
GOAL_S = 1.0


def _model():
    from colorkit import pretrained
    from colorkit.models import guided

    try:
        return pretrained.load_pretrained_hint_model(), "shipped hint model"
    except (ValueError, FileNotFoundError):
        model = guided.guided_zhang()
        return model, "guided model, trained encoder + random decoder (no hint model shipped)"


def _photo() -> np.ndarray:
    from PIL import Image

    from colorkit import data

    image = data.read_image(next(iter(data.sample_paths().values())))
    pil = Image.fromarray(np.round(image * 255).astype(np.uint8)).resize((481, 321))
    return np.asarray(pil, np.float32) / 255.0


def run(quick: bool = False) -> list[dict]:
    from colorkit import widgets

    model, which = _model()
    explorer = widgets.HintExplorer(_photo(), model, size=256)
    rng = np.random.default_rng(0)
    height, width = explorer.view.shape[:2]

    def click():
        explorer.controls["tool"].value = "place"
        explorer.click(int(rng.integers(0, height)), int(rng.integers(0, width)))

    colors = iter(["#d02020", "#2040c0", "#20a040"] * 20)

    def recolor():
        explorer.controls["color"].value = next(colors)

    repeats = 3 if quick else 8
    rows = []
    for name, action in (("click to new picture", click), ("pick a color to new picture", recolor)):
        seconds = time_call(action, repeats=repeats)
        rows.append(
            row(
                SECTION,
                f"HintExplorer: {name} (256 px, {width}x{height} view)",
                seconds["median"],
                "s",
                goal=f"< {GOAL_S} s",
                met=seconds["median"] < GOAL_S,
                note=f"{which}; min {seconds['min']:.3f} s",
            )
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
