"""Tests of the colorkit command line (main([...]) and one real ``python -m colorkit``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorkit import cli, data, metrics, models


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    models.build_model("unet", base_filters=4, depth=1).save(path)
    return path


@pytest.fixture()
def photo_folder(tmp_path, shared_data) -> Path:
    """A folder with two small real photos (one in a sub-folder) of different sizes."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    sources = sorted((shared_data / "bsds500" / "val").glob("*.jpg"))[:2]
    Image.open(sources[0]).resize((60, 40)).save(folder / "first.jpg")
    Image.open(sources[1]).resize((30, 45)).save(folder / "sub" / "second.png")
    return folder


def _png_stems(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder).with_suffix("")) for p in folder.rglob("*.png"))


def test_colorize_folder_recursive_same_stems_and_sizes(photo_folder, tmp_path, model_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        [
            "colorize",
            str(photo_folder),
            "--output",
            str(out),
            "--model",
            str(model_path),
            "--size",
            "32",
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert _png_stems(out) == ["first", "sub/second_png"]
    assert Image.open(out / "first.png").size == (60, 40)
    assert Image.open(out / "sub" / "second_png.png").size == (30, 45)
    assert not [p for p in out.rglob(".*")]  # no temporary files left


def test_corrupt_and_non_image_files_are_reported(photo_folder, tmp_path, model_path, capsys):
    (photo_folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    notes = photo_folder / "notes.txt"
    notes.write_text("not an image")
    out = tmp_path / "out"
    code = cli.main(
        [
            "colorize",
            str(photo_folder),
            str(notes),
            "--output",
            str(out),
            "--model",
            str(model_path),
            "--size",
            "32",
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.jpg" in err and "notes.txt" in err
    assert _png_stems(out) == ["first", "sub/second_png"]  # the good ones were still colorized


def test_empty_folder_fails(tmp_path, model_path, capsys):
    (tmp_path / "empty").mkdir()
    code = cli.main(
        [
            "colorize",
            str(tmp_path / "empty"),
            "--output",
            str(tmp_path / "out"),
            "--model",
            str(model_path),
            "--no-progress",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "no image files" in err and "nothing to colorize" in err


def test_missing_model_path_is_named(photo_folder, tmp_path, capsys):
    missing = tmp_path / "nope.keras"
    code = cli.main(
        [
            "colorize",
            str(photo_folder),
            "--output",
            str(tmp_path / "out"),
            "--model",
            str(missing),
            "--no-progress",
        ]
    )
    assert code == 1
    assert str(missing) in capsys.readouterr().err


def test_colorize_uses_the_shipped_model_by_default(photo_folder, tmp_path):
    out = tmp_path / "out"
    code = cli.main(["colorize", str(photo_folder), "--output", str(out), "--no-progress"])
    assert code == 0
    written = sorted(p.relative_to(out) for p in out.rglob("*.png"))
    assert len(written) == 2
    colored = data.read_image(out / written[0])
    assert metrics.colorfulness(colored) > 1.0  # the shipped colorizer adds color


def test_output_folder_equal_to_input_folder_is_refused(photo_folder, model_path, capsys):
    before = sorted(p.name for p in photo_folder.rglob("*"))
    code = cli.main(
        [
            "colorize",
            str(photo_folder),
            "--output",
            str(photo_folder),
            "--model",
            str(model_path),
            "--no-progress",
        ]
    )
    assert code == 2
    assert "input folder" in capsys.readouterr().err
    assert sorted(p.name for p in photo_folder.rglob("*")) == before
    # An output folder inside a (recursively scanned) input folder is refused as well.
    code = cli.main(
        [
            "colorize",
            str(photo_folder),
            "--output",
            str(photo_folder / "sub"),
            "--model",
            str(model_path),
            "--no-progress",
        ]
    )
    assert code == 2


def test_an_input_is_never_overwritten(photo_folder, model_path, capsys):
    target = photo_folder / "sub" / "second.png"
    original = target.read_bytes()
    twin = photo_folder / "sub" / "second.jpg"
    Image.open(target).convert("L").save(twin)
    # second.jpg's output in its own folder would be second.png, another input: refused,
    # reported, exit 1 (second.png itself gives second_png.png).
    code = cli.main(
        [
            "colorize",
            str(twin),
            str(target),
            "--output",
            str(target.parent),
            "--model",
            str(model_path),
            "--size",
            "32",
            "--no-progress",
        ]
    )
    assert code == 1
    assert "refusing to overwrite an input" in capsys.readouterr().err
    assert target.read_bytes() == original
    # first.jpg -> first.png next to it does not clash: allowed.
    code = cli.main(
        [
            "colorize",
            str(photo_folder / "first.jpg"),
            "--output",
            str(photo_folder),
            "--model",
            str(model_path),
            "--size",
            "32",
            "--no-progress",
        ]
    )
    assert code == 0 and (photo_folder / "first.png").is_file()


def test_same_stem_inputs_get_distinct_outputs(tmp_path):
    for name in ("a.jpg", "a.png"):
        (tmp_path / name).write_bytes(b"")
    jobs, problems = cli.plan_outputs(
        [str(tmp_path / "a.jpg"), str(tmp_path / "a.png")], tmp_path / "out"
    )
    assert problems == []
    assert [target.name for _, target in jobs] == ["a.png", "a_png.png"]


def test_evaluate_prints_table_with_gray_baseline(photo_folder, model_path, capsys):
    code = cli.main(
        [
            "evaluate",
            "--data",
            str(photo_folder),
            "--model",
            str(model_path),
            "--size",
            "32",
            "--limit",
            "2",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "| model |" in out and "gray baseline" in out and "| tiny |" in out
    assert "auc_ab" in out


def test_models_table(capsys):
    """Every registered family, and beside it the pretrained names ``--model`` takes."""
    from colorkit import models, pretrained

    assert cli.main(["models", "--image-size", "64"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines()[2:]}
    assert sorted(rows) == models.available_models()
    for name in pretrained.available_pretrained():
        family = pretrained.pretrained_info(name)["family"]
        assert name in rows[family].split("|")[-2], (name, family)


def test_train_via_main_and_resume(tmp_path, shared_data, capsys):
    paths = [str(p) for p in sorted((shared_data / "bsds500" / "train").glob("*.jpg"))[:6]]
    run_dir = tmp_path / "run"
    common = ["--run-dir", str(run_dir), "--progress", "none"]
    code = cli.main(
        [
            "train",
            "--model",
            "unet",
            "--model-kwargs",
            '{"base_filters": 4, "depth": 1}',
            "--data",
            *paths,
            "--epochs",
            "1",
            "--image-size",
            "32",
            "--batch-size",
            "4",
            "--preview-images",
            "1",
            *common,
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (run_dir / "checkpoints" / "epoch_001.keras").is_file()
    # Resume with only the run directory and a new epoch count: the rest comes from config.json.
    assert cli.main(["train", "--resume", "--epochs", "2", *common]) == 0
    assert (run_dir / "checkpoints" / "epoch_002.keras").is_file()
    # Starting over in a used run directory without --resume is refused.
    assert cli.main(["train", "--data", *paths, *common]) == 1
    assert "resume" in capsys.readouterr().err


def test_bad_arguments_give_usage_errors(tmp_path, capsys):
    assert cli.main([]) == 2
    assert cli.main(["colorize", "x.jpg"]) == 2  # --output missing
    assert cli.main(["colorize", "x.jpg", "--output", "o", "--size", "0"]) == 2
    assert cli.main(["train", "--resume"]) == 2
    assert cli.main(["train", "--recipe", "no-such-recipe", "--run-dir", str(tmp_path)]) == 2
    assert cli.main(["train", "--export", str(tmp_path / "m.keras")]) == 2  # needs --recipe
    assert "Unknown recipe" in capsys.readouterr().err


def test_python_dash_m_colorkit_subprocess(photo_folder, tmp_path, model_path):
    out = tmp_path / "out"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "colorkit",
            "colorize",
            str(photo_folder / "first.jpg"),
            "--output",
            str(out),
            "--model",
            str(model_path),
            "--size",
            "32",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    image = np.asarray(Image.open(out / "first.png"))
    assert image.shape == (40, 60, 3) and image.dtype == np.uint8
    # A failing invocation exits non-zero with a message on stderr.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "colorkit",
            "colorize",
            str(tmp_path / "missing.jpg"),
            "--output",
            str(out),
            "--model",
            str(model_path),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1 and "missing.jpg" in result.stderr


@pytest.mark.slow
def test_colorize_video_subcommand(shared_data, tmp_path, model_path, capsys):
    source = shared_data / "video" / "tree.avi"
    output = tmp_path / "tree_color.mp4"
    argv = ["colorize-video", str(source), str(output), "--model", str(model_path)]
    assert cli.main([*argv, "--max-frames", "6", "--width", "160", "--method", "flow"]) == 0
    assert output.is_file() and output.stat().st_size > 0
    assert "frames" in capsys.readouterr().out
    assert cli.main(["colorize-video", str(tmp_path / "missing.avi"), str(output)]) == 1
    assert "missing.avi" in capsys.readouterr().err
    assert cli.main(["colorize-video", str(source), str(source)]) == 1  # never the input


def test_exit_code_policy_is_the_same_for_every_subcommand(tmp_path):
    """0 success, 1 some inputs failed, 2 bad usage (cli's docstring)."""
    assert "0: success" in cli.__doc__ and "1: some inputs failed" in cli.__doc__
    assert "2: bad usage" in cli.__doc__
    video_args = ["colorize-video", "in.avi", "out.mp4"]
    assert cli.main([*video_args, "--saturation", "-1"]) == 2
    assert cli.main([*video_args, "--temporal-weight", "1.0"]) == 2
    assert cli.main([*video_args, "--size", "zero"]) == 2
    assert cli.main([*video_args, "--method", "median"]) == 2
    assert cli.main(["no-such-command"]) == 2
    missing = str(tmp_path / "missing.avi")
    assert cli.main(["colorize-video", missing, str(tmp_path / "o.mp4"), "--model", "x.keras"]) == 1
    assert cli.main(["colorize", missing, "--output", str(tmp_path / "out")]) == 1


# --------------------------------------------------------------------------------------------
# colorize --hints
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hint_model_path(tmp_path_factory) -> Path:
    from colorkit.models import guided

    path = tmp_path_factory.mktemp("hint_model") / "spreader.keras"
    guided.hint_spreader(reach=2).save(path)
    return path


@pytest.fixture()
def gray_photo(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 60, 3), 128, np.uint8)).save(path)
    return path


def _write_hints(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_colorize_with_hints_file(gray_photo, hint_model_path, tmp_path, capsys):
    hints_file = _write_hints(tmp_path / "hints.json", '[{"x": 30, "y": 20, "color": "#d02020"}]')
    out = tmp_path / "out"
    code = cli.main(
        ["colorize", str(gray_photo), "--hints", str(hints_file), "--output", str(out)]
        + ["--model", str(hint_model_path), "--no-progress"]
    )
    assert code == 0, capsys.readouterr().err
    result = data.read_image(out / "photo_png.png")
    assert result.shape == (40, 60, 3)
    red, green = result[20, 30, 0], result[20, 30, 1]
    assert red > green + 0.1  # the hint's chroma, the photo's luminance
    # The photo is flat: nothing stops the hint's color from spreading to the far corner
    # (colorkit.hints.spread), more weakly than at the click.
    corner = float(result[0, 0, 0]) - float(result[0, 0, 1])
    assert 0.02 < corner <= red - green + 0.02


@pytest.mark.parametrize(
    "document, message",
    [
        ('[{"x": 30, "y": 20, "color": "red"}]', "#0.*rrggbb"),
        (
            '[{"x": 1, "y": 1, "color": "#ff0000"}, {"x": 99, "y": 1, "color": "#ff0000"}]',
            "#1.*outside the image",
        ),
        ('{"photo.png": []}', "several images"),
        ('{"x": 1}', "JSON list"),
        ("[{", "not valid JSON"),
    ],
)
def test_bad_hints_files_are_usage_errors_naming_the_hint(
    gray_photo, hint_model_path, tmp_path, capsys, document, message
):
    hints_file = _write_hints(tmp_path / "hints.json", document)
    code = cli.main(
        ["colorize", str(gray_photo), "--hints", str(hints_file), "--output", str(tmp_path / "o")]
        + ["--model", str(hint_model_path), "--no-progress"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err


def test_hints_with_several_inputs_or_a_plain_model(
    gray_photo, hint_model_path, model_path, tmp_path, capsys
):
    hints_file = _write_hints(tmp_path / "hints.json", '[{"x": 3, "y": 2, "color": "#d02020"}]')
    out = ["--output", str(tmp_path / "o"), "--no-progress"]
    assert (
        cli.main(
            ["colorize", str(gray_photo), str(gray_photo), "--hints", str(hints_file)]
            + out
            + ["--model", str(hint_model_path)]
        )
        == 2
    )
    assert "exactly one input file" in capsys.readouterr().err
    assert cli.main(["colorize", str(tmp_path), "--hints", str(hints_file)] + out) == 2
    assert "exactly one input file" in capsys.readouterr().err
    assert (
        cli.main(
            ["colorize", str(gray_photo), "--hints", str(hints_file), "--model", str(model_path)]
            + out
        )
        == 2
    )
    assert "takes none" in capsys.readouterr().err
    missing = str(tmp_path / "missing.json")
    assert cli.main(["colorize", str(gray_photo), "--hints", missing] + out) == 1
    assert "missing.json" in capsys.readouterr().err


def test_hints_without_model_use_the_shipped_hint_model(
    gray_photo, hint_model_path, tmp_path, monkeypatch, capsys
):
    from colorkit import models as colorkit_models
    from colorkit import pretrained
    from colorkit.models import saving

    calls = []

    def shipped(verify=True):
        calls.append(verify)
        return saving.load_file(hint_model_path)

    monkeypatch.setattr(pretrained, "load_pretrained_hint_model", shipped)
    hints_file = _write_hints(tmp_path / "hints.json", '[{"x": 3, "y": 2, "color": "#d02020"}]')
    code = cli.main(
        [
            "colorize",
            str(gray_photo),
            "--hints",
            str(hints_file),
            "--output",
            str(tmp_path / "o"),
            "--no-progress",
        ]
    )
    assert code == 0 and calls, capsys.readouterr().err
    assert colorkit_models.model_spec(shipped()).hint_inputs
