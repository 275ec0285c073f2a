"""Every fenced bash and python example of README.md runs, as written, in a temporary folder.

The folder holds what the examples name (``photo.jpg``, ``gray_photos/``, ``archive/``,
``family.avi``, ``hints.json``, ``model.keras``, a data root with a small ``bsds500``), made
from the sample photos that ship in ``colorkit/samples``. The blocks run in README order in
that one folder, so a later example may use what an earlier one made (the training run).

Only these departures from the text, each listed in :data:`TINY` or :data:`MAKE` with its
reason, are allowed:

- ``TINY``: a long run (training, a 4-process cluster) with a tiny setting.
- ``MAKE``: ``make`` targets are checked with ``make -n`` in the checkout (they set up a
  virtual environment and run for minutes); the targets exist and their recipes expand.
- a block right after ``<!-- readme-test: skip (reason) -->`` needs what CI does not have
  (several hosts, SLURM, the package on PyPI): it is compiled (python) or parsed
  (``bash -n``), not run, and the list of such blocks is pinned below so a new one is a
  conscious choice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
SAMPLES = sorted((REPO_ROOT / "colorkit" / "samples" / "clothing").glob("*.jpg"))

#: Long runs with a tiny setting: (text in the README, what the test runs instead, why).
TINY = [
    (
        "--epochs 5 --run-dir runs/mine",
        "--epochs 1 --image-size 32 --max-images 4 --batch-size 2 --preview-images 1"
        " --run-dir runs/mine",
        "training 5 epochs on BSDS500 takes minutes; one tiny epoch exercises the same path",
    ),
    ("--scheduler local:4", "--scheduler local:1", "4 TensorFlow workers on 2 cores"),
]
#: ``make`` lines: checked with ``make -n`` in the checkout.
MAKE = re.compile(r"^make (\w[\w-]*)")
SKIPPED = [
    "not on PyPI yet: tests/test_wheel.py installs the built wheel",
    "a cluster of several hosts",
    "a SLURM cluster",
    "two hosts",
]

_FENCE = re.compile(
    r"(?:<!-- readme-test: skip \((?P<skip>.*?)\) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```",
    re.S,
)


def readme_blocks() -> list[tuple[str, str, str | None]]:
    """``(language, code, skip reason)`` of every fenced bash and python block, in order."""
    return [
        (match["lang"], match["code"], match["skip"])
        for match in _FENCE.finditer(README.read_text())
        if match["lang"] in ("bash", "python")
    ]


def test_readme_has_examples_and_only_the_pinned_skips():
    blocks = readme_blocks()
    assert len(blocks) >= 8
    assert [skip for _, _, skip in blocks if skip] == SKIPPED
    text = README.read_text()
    for original, _, _ in TINY:
        assert original in text, f"TINY entry no longer in README.md: {original!r}"


def _photo(source: Path, path: Path, size=(160, 120)) -> None:
    with Image.open(source) as image:
        image.convert("RGB").resize(size).save(path, quality=90)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A folder with every file the examples name, and the environment they run in."""
    folder = tmp_path_factory.mktemp("readme")
    _photo(SAMPLES[0], folder / "photo.jpg")
    for name in ("gray_photos", "archive"):
        (folder / name).mkdir()
        for source in SAMPLES[:2]:
            _photo(source, folder / name / source.name, size=(96, 72))
    (folder / "hints.json").write_text(json.dumps([{"x": 120, "y": 40, "color": "#d02020"}]))
    shutil.copy(REPO_ROOT / "colorkit" / "weights" / "colorizer.keras", folder / "model.keras")
    frames = [
        np.asarray(Image.open(SAMPLES[0]).convert("RGB").resize((64, 48)), np.uint8)
        for _ in range(4)
    ]
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, numpy as np; from colorkit import video; "
            "video.write_video(sys.argv[1], np.load(sys.argv[2]), fps=8)",
            str(folder / "family.avi"),
            str(_save_array(folder / "frames.npy", np.stack(frames))),
        ],
        check=True,
        env=_environment(folder),
        capture_output=True,
    )
    (folder / "frames.npy").unlink()
    root = folder / "colorkit-data"  # the documented data root, here through $COLORKIT_DATA
    for split, sources in (("train", SAMPLES[:4]), ("val", SAMPLES[4:5]), ("test", SAMPLES[5:])):
        (root / "bsds500" / split).mkdir(parents=True)
        for source in sources:
            _photo(source, root / "bsds500" / split / source.name, size=(72, 48))
    bin_folder = folder / ".bin"  # `colorkit` on PATH: this checkout's, as `pip install` makes it
    bin_folder.mkdir()
    shim = bin_folder / "colorkit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m colorkit "$@"\n')
    shim.chmod(0o755)
    environment = _environment(folder)
    environment["COLORKIT_DATA"] = str(root)
    environment["PATH"] = f"{bin_folder}{os.pathsep}{environment['PATH']}"
    return folder, environment


def _save_array(path: Path, array: np.ndarray) -> Path:
    np.save(path, array)
    return path


def _environment(folder: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(REPO_ROOT)
    environment["HOME"] = str(folder)  # nothing in the user's ~/.cache
    environment.setdefault("MPLBACKEND", "agg")
    return environment


def _as_run(code: str) -> str:
    for original, tiny, _ in TINY:
        code = code.replace(original, tiny)
    return code


@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~3 min on an idle 2-core machine; each command imports TensorFlow
def test_every_readme_example_runs(workspace):
    folder, environment = workspace
    for language, code, skip in readme_blocks():
        if skip:
            if language == "python":
                compile(code, "README.md", "exec")
            else:
                subprocess.run(["bash", "-n", "-c", code], check=True)
            continue
        lines = [line for line in code.splitlines() if line.strip()]
        if language == "bash" and all(MAKE.match(line) for line in lines):
            targets = [MAKE.match(line)[1] for line in lines]
            result = subprocess.run(
                ["make", "-n", *targets], cwd=REPO_ROOT, capture_output=True, text=True
            )
            assert result.returncode == 0, f"make -n {targets}: {result.stderr}"
            continue
        command = (
            ["bash", "-e", "-o", "pipefail", "-c", _as_run(code)]
            if language == "bash"
            else [sys.executable, "-c", _as_run(code)]
        )
        for attempt in ("first run", "second run"):  # a re-run works too (a notebook user)
            result = subprocess.run(
                command,
                cwd=folder,
                env=environment,
                capture_output=True,
                text=True,
                timeout=1200,
            )
            assert result.returncode == 0, (
                f"README {language} example failed on its {attempt}:\n{code}\n"
                f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
            )
            if language == "bash":
                break  # commands skip what exists; the Python snippet is the one re-run
    assert (folder / "colored.png").is_file() and (folder / "runs" / "mine").is_dir()
    assert len(list((folder / "colorized").iterdir())) == 2
