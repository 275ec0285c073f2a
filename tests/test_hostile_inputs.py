"""Hostile inputs and faults against the CLI and the library (issue 12).

Each test builds its hostile file in a temporary folder, runs the command line and/or the
API on it, and asserts the exit code, a message that names the file and what was expected,
and that no existing file changed (SHA-256 before and after). These tests keep the README's
"What colorkit promises about your files" true.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from colorkit import atomic, cli, data, infer, models, outputs, video
from colorkit.video import files as video_files


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _digest(p) for p in folder.rglob("*") if p.is_file()}


def _photo(path: Path, size=(24, 16), value=None, mode="RGB") -> Path:
    rng = np.random.default_rng(len(str(path)))
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    if value is not None:
        pixels[:] = value
    image = Image.fromarray(pixels)
    (image.convert("L") if mode == "L" else image).save(path)
    return path


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    models.build_model("unet", base_filters=4, depth=1).save(path)
    return path


@pytest.fixture(scope="module")
def tiny_model(model_path):
    return infer.load_model(model_path)


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _colorize(*arguments, model_path) -> int:
    return cli.main(["colorize", *map(str, arguments), "--model", str(model_path), "--no-progress"])


# ------------------------------------------------------------------------------------------
# 1. No silent overwrite; normal permissions; re-runs continue
# ------------------------------------------------------------------------------------------


def test_existing_output_is_never_overwritten_without_the_flag(tmp_path, model_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.jpg", mode="L")
    other = _photo(photos / "a.png", value=200)  # a different photo the user keeps
    before = _digests(photos)
    assert _colorize(photos / "a.jpg", "-o", photos, model_path=model_path) == 0
    err = capsys.readouterr().err
    assert "skipped 1 existing output(s)" in err and "--overwrite" in err
    assert _digests(photos) == before
    assert _colorize(photos / "a.jpg", "-o", photos, "--overwrite", model_path=model_path) == 0
    assert _digest(other) != before["a.png"]
    assert other.stat().st_mode & 0o777 == atomic.file_mode()  # not mkstemp's 0600


def test_rerunning_a_folder_continues_where_it_stopped(tmp_path, model_path, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    for name in ("a", "b", "c"):
        _photo(photos / f"{name}.jpg", mode="L")
    out.mkdir()
    done = _photo(out / "a.png", value=10)  # the run was killed after a.png...
    stale = out / atomic.temporary_name(out / "b.png")  # ...while writing b.png
    stale = stale.with_name(stale.name.replace(f"-{os.getpid()}-", f"-{_dead_pid()}-"))
    stale.write_bytes(b"half an image")
    digest = _digest(done)
    assert _colorize(photos, "-o", out, model_path=model_path) == 0
    captured = capsys.readouterr()
    assert "skipped 1 existing output(s)" in captured.err and "wrote 2 image(s)" in captured.out
    assert _digest(done) == digest and not stale.exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]


def test_save_image_refuses_an_existing_file(tmp_path):
    target = _photo(tmp_path / "mine.png", value=7)
    digest = _digest(target)
    with pytest.raises(FileExistsError, match="mine.png"):
        data.save_image(np.zeros((2, 2, 3), np.float32), target)
    assert _digest(target) == digest


# ------------------------------------------------------------------------------------------
# 2. Bounded memory
# ------------------------------------------------------------------------------------------


def test_huge_image_is_refused_from_its_header(tmp_path, model_path, capsys):
    huge = tmp_path / "huge.png"
    Image.new("1", (9000, 9000)).save(huge)  # 81 Mpx, a few KB on disk
    start = time.perf_counter()
    with pytest.raises(data.ImageReadError, match=r"huge\.png.*9000x9000.*50,000,000"):
        data.read_image(huge)
    assert time.perf_counter() - start < 2.0  # the header only, not 81 M pixels
    assert _colorize(huge, "-o", tmp_path / "out", model_path=model_path) == 1
    assert "9000x9000" in capsys.readouterr().err
    small = _photo(tmp_path / "small.png", size=(20, 10))
    with pytest.raises(data.ImageReadError, match=r"20x10 = 200 pixels, above the limit of 100"):
        data.read_image(small, max_pixels=100)
    assert (
        _colorize(small, "-o", tmp_path / "o2", "--max-pixels", "100", model_path=model_path) == 1
    )


def test_huge_working_size_does_not_allocate(tmp_path, tiny_model, model_path):
    image = np.full((3, 3, 3), 0.5, np.float32)
    result = infer.colorize(image, tiny_model, size=100000)
    assert result.shape == (3, 3, 3)
    assert infer.bounded_size(50000, 3, 3) == infer.DEFAULT_SIZE
    assert infer.bounded_size(10**9, 10**5, 10) == infer.MAX_WORKING_SIZE
    photo = _photo(tmp_path / "tiny.png", size=(3, 3))
    assert _colorize(photo, "-o", tmp_path / "out", "--size", "50000", model_path=model_path) == 0


# ------------------------------------------------------------------------------------------
# 3. Symbolic links in an input folder
# ------------------------------------------------------------------------------------------


def test_symlinks_in_a_folder_never_abort_the_batch(tmp_path, model_path, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    _photo(photos / "good.jpg", mode="L")
    outside = _photo(tmp_path / "elsewhere.jpg", mode="L")
    (photos / "linked.jpg").symlink_to(outside)
    (photos / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    (photos / "loop.jpg").symlink_to(photos / "loop.jpg")
    assert _colorize(photos, "-o", out, model_path=model_path) == 1  # some inputs failed
    err = capsys.readouterr().err
    assert "dangling.jpg: broken symbolic link" in err and "gone.jpg" in err
    assert "loop.jpg: symbolic link loop" in err
    assert "Traceback" not in err and "subpath" not in err
    assert sorted(p.name for p in out.iterdir()) == ["good.png", "linked.png"]


# ------------------------------------------------------------------------------------------
# 4. Output-side errors: one line naming the path and the cause, no partial file
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_write_errors_are_one_line_and_leave_no_file(
    tmp_path, model_path, capsys, monkeypatch, code, cause
):
    photo = _photo(tmp_path / "a.jpg", mode="L")
    out = tmp_path / "out"

    def failing_save(self, fp, *args, **kwargs):
        Path(fp).write_bytes(b"partial")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(Image.Image, "save", failing_save)
    assert _colorize(photo, "-o", out, model_path=model_path) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if "cannot write" in line]
    assert len(lines) == 1 and str(out / "a.png") in lines[0] and cause in lines[0]
    assert not [p for p in out.rglob("*") if p.is_file()]  # no partial or temporary file


def test_a_folder_at_the_output_path(tmp_path, model_path, capsys):
    photo = _photo(tmp_path / "a.jpg", mode="L")
    (tmp_path / "out" / "a.png").mkdir(parents=True)
    assert _colorize(photo, "-o", tmp_path / "out", "--overwrite", model_path=model_path) == 1
    err = capsys.readouterr().err
    assert "a.png" in err and "Traceback" not in err
    assert (tmp_path / "out" / "a.png").is_dir()


def _clip(path: Path, frames: int = 6) -> Path:
    rng = np.random.default_rng(0)
    video.write_video(
        path, (rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(frames)), fps=5
    )
    return path


def test_colorize_video_refuses_overwrite_and_bad_outputs(tmp_path, capsys):
    clip = _clip(tmp_path / "in.mp4")
    assert clip.stat().st_mode & 0o777 == atomic.file_mode()  # not mkstemp's 0600
    other = _clip(tmp_path / "other.mp4", frames=4)
    digest = _digest(other)
    assert cli.main(["colorize-video", str(clip), str(other), "--no-progress"]) == 1
    assert "Refusing to overwrite the existing file" in capsys.readouterr().err
    assert _digest(other) == digest
    assert cli.main(["colorize-video", str(clip), str(tmp_path / "x.png"), "--no-progress"]) == 1
    assert "expected a video file extension" in capsys.readouterr().err
    nowhere = tmp_path / "nowhere" / "x.mp4"
    assert cli.main(["colorize-video", str(clip), str(nowhere), "--no-progress"]) == 1
    assert "Output folder not found" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "other.mp4"]


def test_video_problems_are_named(tmp_path, capsys):
    ffmpeg = video_files.ffmpeg_exe()
    audio = tmp_path / "audio.m4a"
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "anullsrc", "-t", "0.5", str(audio)],
        check=True,
    )
    with pytest.raises(ValueError, match=r"audio\.m4a.*no video stream"):
        video_files.probe_video(audio)
    code = cli.main(["colorize-video", str(audio), str(tmp_path / "o.mp4"), "--no-progress"])
    assert code == 1 and "no video stream" in capsys.readouterr().err
    empty = tmp_path / "zero.mkv"
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=16x16:r=5"]
        + ["-frames:v", "0", str(empty)],
        check=True,
    )
    with pytest.raises(ValueError, match=r"zero\.mkv.*no video stream"):
        video_files.probe_video(empty)


def test_same_failure_same_exit_code_for_colorize_and_colorize_video(tmp_path, model_path):
    missing = tmp_path / "missing"
    corrupt_image, corrupt_video = tmp_path / "bad.jpg", tmp_path / "bad.mp4"
    corrupt_image.write_bytes(b"not an image")
    corrupt_video.write_bytes(b"not a video")
    for image, clip in ((f"{missing}.jpg", f"{missing}.mp4"), (corrupt_image, corrupt_video)):
        image_code = _colorize(image, "-o", tmp_path / "out", model_path=model_path)
        video_code = cli.main(
            ["colorize-video", str(clip), str(tmp_path / "o.mp4"), "--model", str(model_path)]
        )
        assert image_code == video_code == cli.EXIT_FAILURE


def test_write_error_message_names_path_and_cause():
    message = outputs.write_error_message("out/a.png", OSError(errno.ENOSPC, "No space"))
    assert message == "cannot write 'out/a.png': the disk is full ([Errno 28] No space)"


# ------------------------------------------------------------------------------------------
# 7. Smaller ones
# ------------------------------------------------------------------------------------------


def test_color_input_is_mentioned_once(tmp_path, model_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.png")
    _photo(photos / "b.png")
    assert _colorize(photos, "-o", tmp_path / "out", model_path=model_path) == 0
    assert capsys.readouterr().err.count("input has color; using its luminance") == 1


def test_float_tiff_with_nan_says_nan(tmp_path):
    values = np.full((4, 4), 0.5, np.float32)
    values[1, 2] = np.nan
    path = tmp_path / "nan.tif"
    Image.fromarray(values, mode="F").save(path)
    with pytest.raises(data.ImageReadError, match=r"nan\.tif.*contain NaN \(1 pixels\)"):
        data.read_image(path)


def test_non_zip_keras_file_is_named_as_such(tmp_path, capsys):
    fake = tmp_path / "model.keras"
    fake.write_bytes(b"this is not a zip archive")
    with pytest.raises(ValueError, match=r"model\.keras' is not a Keras file"):
        infer.load_model(fake)
    photo = _photo(tmp_path / "a.jpg", mode="L")
    assert cli.main(["colorize", str(photo), "-o", str(tmp_path / "o"), "--model", str(fake)]) == 1
    err = capsys.readouterr().err
    assert "not a Keras file" in err and "File not found" not in err


def test_train_bad_image_size_is_clean_and_leaves_no_run(tmp_path, capsys, shared_data):
    photos = sorted((shared_data / "bsds500" / "val").glob("*.jpg"))[:4]
    run_dir = tmp_path / "run"
    arguments = ["train", "--data", *map(str, photos), "--image-size", "33", "--epochs", "1"]
    code = cli.main([*arguments, "--run-dir", str(run_dir), "--progress", "none"])
    err = capsys.readouterr().err
    assert code == 1 and "stride" in err and "\x1b[" not in err and "Arguments received" not in err
    assert not run_dir.exists()


# ------------------------------------------------------------------------------------------
# Property-based: read_image and colorize over shapes, dtypes and value ranges
# ------------------------------------------------------------------------------------------

_FAST = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


@_FAST
@given(
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    mode=st.sampled_from(["L", "RGB", "RGBA", "I;16", "P"]),
    seed=st.integers(0, 2**16),
)
def test_read_image_property(tmp_path_factory, height, width, mode, seed):
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
    else:
        pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
        image = Image.fromarray(pixels, "RGBA").convert(mode)
    path = tmp_path_factory.mktemp("prop") / "image.png"
    image.save(path)
    result = data.read_image(path)
    assert result.shape == (height, width, 3) and result.dtype == np.float32
    assert np.isfinite(result).all() and result.min() >= 0.0 and result.max() <= 1.0


@_FAST
@given(
    height=st.integers(1, 12),
    width=st.integers(1, 12),
    dtype=st.sampled_from([np.float32, np.float64, np.uint8]),
    size=st.integers(1, 10**6),
    seed=st.integers(0, 2**16),
)
def test_colorize_property(tiny_model, height, width, dtype, size, seed):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    else:
        image = rng.random((height, width, 3)).astype(dtype)
    try:
        result = infer.colorize(image, tiny_model, size=size)
    except (TypeError, ValueError) as error:  # refusing a dtype is fine; crashing is not
        assert "Received" in str(error)
        return
    assert result.shape == (height, width, 3) and result.dtype == np.float32
    assert np.isfinite(result).all() and result.min() >= 0.0 and result.max() <= 1.0


@_FAST
@given(value=st.sampled_from([np.nan, np.inf, -0.5, 1.5]))
def test_colorize_refuses_out_of_range_floats(tiny_model, value):
    image = np.full((4, 4, 3), 0.5, np.float32)
    image[0, 0, 0] = value
    with pytest.raises(ValueError):
        infer.colorize(image, tiny_model)


def test_truncated_video_reports_frames_read_and_declared(tmp_path, model_path, capsys):
    clip = tmp_path / "clip.mkv"  # Matroska declares its duration up front
    rng = np.random.default_rng(0)
    video.write_video(
        clip, (rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(40)), 10
    )
    payload = clip.read_bytes()
    clip.write_bytes(payload[: len(payload) // 2])
    output = tmp_path / "out.mp4"
    command = ["colorize-video", str(clip), str(output), "--model", str(model_path)]
    assert cli.main([*command, "--no-progress", "--method", "frame"]) == 0
    err = capsys.readouterr().err
    assert "clip.mkv" in err and re.search(r"read \d+ of 40 declared frames", err)
