"""Benchmark: peak memory of ``colorkit colorize`` on big photos (bounded by photo size).

Rows (each run is a fresh ``python -m colorkit colorize`` process; its peak RSS is read with
``os.wait4``, so nothing else in this process is counted):

- peak RSS colorizing one 24-megapixel photo (6000 x 4000 JPEG made by upscaling a real sample
  photo in a temporary folder), and the peak per megapixel above the peak of a tiny photo
  (the fixed cost: Python, TensorFlow, the model);
- peak RSS colorizing 12 such photos, and its ratio to the one-photo peak. Goal <= 1.5x: the
  read-ahead, the batches and the writes waiting are bounded by decoded pixels
  (``colorkit.scale.MEMORY_BUDGET_PIXELS``), not by photo counts.

``--quick`` uses 6-megapixel photos (3000 x 2000). Uses the shipped pretrained model.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import REPO_ROOT, emit, row

SECTION = "memory"


def _big_photos(folder: Path, count: int, size: tuple[int, int]) -> Path:
    """``count`` distinct JPEGs of ``size`` (width, height) upscaled from a real sample photo."""
    from PIL import Image

    from colorkit import data

    folder.mkdir(parents=True)
    sample = data.sample_paths()["chelsea"]
    with Image.open(sample) as image:
        big = image.convert("L").resize(size, Image.BICUBIC)
    pixels = np.asarray(big)
    for index in range(count):  # distinct files (a shifted copy each), same size
        shifted = np.roll(pixels, index * 7, axis=1)
        Image.fromarray(shifted).save(folder / f"p{index:02d}.jpg", quality=90)
    return folder


def peak_rss_of_colorize(photos: Path, out: Path) -> tuple[float, float]:
    """Run ``colorkit colorize photos -o out`` in a fresh process -> (peak RSS GiB, seconds)."""
    command = [sys.executable, "-m", "colorkit", "colorize", str(photos), "-o", str(out)]
    command += ["--no-progress"]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"colorize failed ({process.returncode}): {stderr[-2000:]}")
    return usage.ru_maxrss / 1024**2, seconds


def run(quick: bool = False) -> list[dict]:
    size = (3000, 2000) if quick else (6000, 4000)
    megapixels = size[0] * size[1] / 1e6
    root = Path(tempfile.mkdtemp(prefix="colorkit-bench-memory-"))
    rows = []
    try:
        tiny = _big_photos(root / "tiny", 1, (64, 48))
        one = _big_photos(root / "one", 1, size)
        many = _big_photos(root / "many", 12, size)
        base, _ = peak_rss_of_colorize(tiny, root / "out_tiny")
        single, single_seconds = peak_rss_of_colorize(one, root / "out_one")
        twelve, twelve_seconds = peak_rss_of_colorize(many, root / "out_many")
        per_megapixel = (single - base) * 1024 / megapixels
        name = f"{megapixels:.0f} MP"
        rows.append(row(SECTION, "peak RSS, one tiny photo (fixed cost)", base, "GiB"))
        rows.append(
            row(
                SECTION,
                f"peak RSS, one {name} photo",
                single,
                "GiB",
                note=f"{single_seconds:.0f} s",
            )
        )
        rows.append(
            row(SECTION, "peak RSS per megapixel (above the fixed cost)", per_megapixel, "MiB/MP")
        )
        rows.append(
            row(
                SECTION,
                f"peak RSS, 12 photos of {name}",
                twelve,
                "GiB",
                baseline=single,
                ratio=twelve / single,
                goal="<= 1.5x one photo",
                met=twelve / single <= 1.5,
                note=f"{twelve_seconds:.0f} s",
            )
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    emit(run(arguments.quick))
