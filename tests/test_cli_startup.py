"""The command line's first seconds: fast paths without TensorFlow, quiet stderr, -q and -v."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image

from colorkit import cli, color

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT / "colorkit" / "samples" / "clothing"
HEAVY = ("tensorflow", "keras", "jax", "torch", "scipy")


def _environment(**extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TF_CPP_")}
    environment["PYTHONPATH"] = str(REPO_ROOT)  # this checkout's colorkit, wherever cwd is
    environment.update(extra)
    return environment


def _run(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "colorkit", *args],
        cwd=cwd,
        env=_environment(**extra),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "argv, code",
    [
        (["--help"], 0),
        (["--version"], 0),
        (["colorize", "--help"], 0),
        (["bogus"], 2),
        (["colorize"], 2),  # no INPUT, no --output
        (["colorize", "a.jpg", "-o", "out", "--size", "0"], 2),
        (["train", "--epochs", "-1"], 2),
        (["-q", "-v", "models"], 2),
    ],
)
def test_help_version_and_usage_errors_import_no_tensorflow(argv, code, tmp_path):
    # sys.modules in a fresh process, not a timing: the fast path is a fact, not a benchmark.
    probe = (
        "import json, sys\n"
        "from colorkit import cli\n"
        f"code = cli.main({argv!r})\n"
        f"print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    exit_code, loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert exit_code == code, result.stderr
    assert loaded == [], f"{argv} imported {loaded}"


def test_import_colorkit_stays_lazy(tmp_path):
    probe = (
        "import sys, colorkit\n"
        "print(colorkit.__version__, sorted(m for m in sys.modules if m.startswith('colorkit')),"
        f" [m for m in {HEAVY!r} + ('numpy',) if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("['colorkit'] []"), result.stdout


def test_disallowed_choices_checked_after_parsing_are_usage_errors(tmp_path, capsys):
    # --method and --distribute are checked against the library's own lists (read lazily).
    code = cli.main(["colorize-video", "in.avi", "out.mp4", "--method", "bogus"])
    assert code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err and "'flow'" in err
    code = cli.main(["train", "--distribute", "bogus", "--run-dir", str(tmp_path / "r")])
    assert code == cli.EXIT_USAGE
    assert "'multiworker'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Three small sample photos (faster than the full-size ones, same content)."""
    folder = tmp_path_factory.mktemp("photos")
    for path in sorted(SAMPLES.glob("*.jpg"))[:3]:
        with Image.open(path) as image:
            image.convert("RGB").resize((96, 128)).save(folder / path.name, quality=90)
    return folder


def _stderr_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.slow
def test_colorize_stderr_is_quiet_by_default_then_q_and_v(photos, tmp_path):
    # A real CLI run in a fresh process: TensorFlow is imported there, so its start-up lines
    # would be on this stderr if they were not kept off it.
    result = _run(["colorize", str(photos), "-o", str(tmp_path / "a"), "--no-progress"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = _stderr_lines(result)
    for marker in ("absl", "I0000", "oneDNN", "cuda", "tensorflow", "UserWarning", "warnings.warn"):
        assert not any(marker in line for line in lines), result.stderr
    assert all(line.startswith("colorkit colorize: ") for line in lines), result.stderr
    kinds = [line.split(":")[1].strip() for line in lines]
    assert len([line for line in lines if "out-of-gamut" in line]) <= 1, result.stderr
    assert len(kinds) == len(lines) <= 4, result.stderr
    assert "3 done" in result.stderr
    assert "wrote 3 image(s)" in result.stdout

    quiet = _run(["-q", "colorize", str(photos), "-o", str(tmp_path / "b")], tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.strip() == ""
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(
        p.with_suffix(".png").name for p in photos.iterdir()
    )

    verbose = _run(
        ["colorize", str(photos), "-o", str(tmp_path / "c"), "--no-progress", "-v"], tmp_path
    )
    assert verbose.returncode == 0, verbose.stderr
    assert len(_stderr_lines(verbose)) > len(lines), verbose.stderr


def test_warnings_are_summarised_once_per_kind_and_counted(capsys, monkeypatch):
    def command(args):
        for number in range(5):
            warnings.warn(f"{number * 10} pixels out of gamut", color.GamutWarning, stacklevel=1)
        for _ in range(2):
            warnings.warn("Cannot load ckpt-3.keras (bad zip); trying an earlier one", stacklevel=1)
        warnings.warn(
            "Image size (100000000 pixels) exceeds limit",
            Image.DecompressionBombWarning,
            stacklevel=1,
        )
        return 0

    monkeypatch.setitem(cli._COMMANDS, "models", command)
    assert cli.main(["models"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "colorkit models: note: out-of-gamut colors were clipped to sRGB in 5 result(s)",
        "colorkit models: warning: Cannot load ckpt-3.keras (bad zip); trying an earlier one "
        "(2 times)",
        "colorkit models: warning: 1 photo(s) above Pillow's decompression-bomb limit were "
        "decoded (they were within --max-pixels)",
    ]
    assert cli.main(["models", "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_one_gamut_warning_keeps_its_own_message(capsys, monkeypatch):
    def command(args):
        warnings.warn("clipped 12 pixels in 3 of 9 frames", color.GamutWarning, stacklevel=1)
        return 0

    monkeypatch.setitem(cli._COMMANDS, "models", command)
    assert cli.main(["models"]) == 0
    assert capsys.readouterr().err == "colorkit models: note: clipped 12 pixels in 3 of 9 frames\n"


def test_native_startup_lines_are_recognised():
    noise = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1796694265.024408   10185 port.cc:153] oneDNN custom operations are on.",
        "I0000 00:00:1796694265.024712   10185 cudart_stub.cc:31] Could not find cuda drivers",
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild",
    ]
    kept = ["E0000 00:00:1796694265.1 10185 foo.cc:1] a real error", "Traceback (most recent"]
    assert all(cli._NATIVE_STARTUP_LINE.match(line) for line in noise)
    assert not any(cli._NATIVE_STARTUP_LINE.match(line) for line in kept)
