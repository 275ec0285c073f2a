"""Start-up: the command line's first seconds against ``python -c "import tensorflow"``.

Every row is the wall time of a whole fresh process (as a user runs it), the median of a few
runs, with the bare TensorFlow import measured in the same run beside it: ``colorkit --help``
must not pay for TensorFlow (goal < 1 s), and one photo, cold (TensorFlow, Keras, the shipped
model's load, colorizing and writing), should take < 8 s from a warm disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from benchmarks.common import REPO_ROOT, emit, row

SECTION = "startup"
SAMPLE = sorted((REPO_ROOT / "colorkit" / "samples" / "clothing").glob("*.jpg"))[0]


def wall_seconds(command: list[str], cwd: Path, repeats: int) -> float:
    """Median wall time of ``command`` in fresh processes (one untimed run warms the disk)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_CPP_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    times = []
    for run in range(repeats + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
        if run:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool) -> list[dict]:
    repeats = 1 if quick else 3
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with Image.open(SAMPLE) as image:  # a gray photo of ordinary size (the sample's)
            image.convert("L").save(folder / "photo.jpg", quality=92)
        baseline = wall_seconds([sys.executable, "-c", "import tensorflow"], folder, repeats)
        rows.append(row(SECTION, 'python -c "import tensorflow"', baseline, "s", note="baseline"))
        cases = [
            ("colorkit --help", ["--help"], 1.0),
            ("colorkit --version", ["--version"], 1.0),
            (
                "colorkit colorize photo.jpg, cold (one photo, model load included)",
                ["colorize", "photo.jpg", "-o", "out", "--overwrite", "--no-progress"],
                8.0,
            ),
        ]
        for name, arguments, goal in cases:
            seconds = wall_seconds([sys.executable, "-m", "colorkit", *arguments], folder, repeats)
            rows.append(
                row(
                    SECTION,
                    name,
                    seconds,
                    "s",
                    baseline=baseline,
                    ratio=seconds / baseline,
                    goal=f"< {goal:g} s",
                    met=seconds < goal,
                    note=f"median of {repeats} fresh processes; ratio: against import tensorflow",
                )
            )
        shutil.rmtree(folder / "out", ignore_errors=True)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    emit(run(parser.parse_args().quick))
