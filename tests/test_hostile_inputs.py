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
import sys
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
    assert capsys.readouterr().err.count("had color; using their luminance") == 1


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


# ------------------------------------------------------------------------------------------
# Issue 30, item 1: only colorkit's own temporary files are ever removed; at once when the run
# that wrote them is gone; short temporary names
# ------------------------------------------------------------------------------------------


def _temporary_of(target: Path, pid: int, host: str | None = None, suffix: str = ".tmp") -> Path:
    """The name colorkit would give a temporary of ``target`` written by process ``pid``."""
    name = atomic.temporary_name(target, suffix).replace(f"-{os.getpid()}-", f"-{pid}-")
    if host is not None:
        match = atomic.TEMPORARY_NAME.match(name)
        name = name.replace(f"colorkit-{match['host']}-", f"colorkit-{host}-")
    return target.parent / name


def test_cleanup_removes_only_colorkit_temporaries_of_dead_runs(tmp_path, model_path, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    out.mkdir()
    _photo(photos / "a.jpg", mode="L")
    mine = {  # a user's own hidden files beside the outputs, some very much like temporaries
        ".100007.png.retouched": b"retouched",
        ".100039.png.txt": b"notes",
        ".a.png.x1y2.tmp": b"old-style name, but not colorkit's",
        ".a.png.colorkit-notes.tmp": b"close, but not the pattern",
    }
    for name, payload in mine.items():
        (out / name).write_bytes(payload)
        old = time.time() - 10 * atomic.STALE_SECONDS
        os.utime(out / name, (old, old))
    dead = _temporary_of(out / "a.png", _dead_pid())  # a killed run's: removed at once
    dead.write_bytes(b"half")
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        alive = _temporary_of(out / "b.png", sleeper.pid)  # a running writer's: kept
        alive.write_bytes(b"being written")
        remote_young = _temporary_of(out / "c.png", 1, host="ffffff")  # another machine's
        remote_young.write_bytes(b"young")
        remote_old = _temporary_of(out / "d.png", 1, host="fffffe")
        remote_old.write_bytes(b"old")
        old = time.time() - 2 * atomic.STALE_SECONDS
        os.utime(remote_old, (old, old))
        before = {name: _digest(out / name) for name in mine}
        assert _colorize(photos, "-o", out, model_path=model_path) == 0
        assert {name: _digest(out / name) for name in mine} == before
        assert not dead.exists() and not remote_old.exists()
        assert alive.exists() and remote_young.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert atomic.remove_stale_temporaries(out) == [alive]  # its writer is gone now
    assert (out / "a.png").is_file()


def test_a_killed_run_that_had_this_very_pid_is_recognised(tmp_path):
    # In a container each run often gets the same pid: the file older than this process is
    # a previous run's, the younger one may be another thread's write in progress.
    previous = tmp_path / atomic.temporary_name(tmp_path / "a.png")
    previous.write_bytes(b"half, from a killed run")
    started = atomic._process_start_time(os.getpid())
    assert started is not None and started <= time.time()
    os.utime(previous, (started - 10, started - 10))
    current = tmp_path / atomic.temporary_name(tmp_path / "b.png")
    current.write_bytes(b"being written by this process")
    assert atomic.remove_stale_temporaries(tmp_path) == [previous]
    assert current.exists()


def test_video_temporaries_of_a_killed_run_are_removed_at_once(tmp_path):
    target = tmp_path / "clip.mp4"
    dead_video = _temporary_of(target, _dead_pid(), suffix=".mp4")
    dead_video.write_bytes(b"half a video")
    user_file = tmp_path / ".clip.mp4.notes"
    user_file.write_bytes(b"mine")
    digest = _digest(user_file)
    _clip(target)
    assert not dead_video.exists() and _digest(user_file) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == [".clip.mp4.notes", "clip.mp4"]


def test_a_255_byte_input_name_works(tmp_path, model_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    photo = _photo(photos / ("x" * 251 + ".jpg"), mode="L")
    assert len(photo.name.encode()) == 255
    assert len(atomic.temporary_name(photo)) < 120
    assert _colorize(photo, "-o", tmp_path / "out", model_path=model_path) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["x" * 251 + ".png"]


# ------------------------------------------------------------------------------------------
# Item 2: writers never replace each other's files
# ------------------------------------------------------------------------------------------

_RACER = """
import sys, time
from colorkit import atomic
folder, tag, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
won = []
for index in range(100):
    slot = start + index * 0.02  # both writers start each path in the same 20 ms slot
    time.sleep(max(0.0, slot - time.time() - 0.005))
    while time.time() < slot:
        pass
    try:
        with atomic.atomic_path(f"{folder}/{index:03d}.png", overwrite=False) as temporary:
            temporary.write_bytes(tag.encode() * 65536)
    except FileExistsError:
        continue
    won.append(index)
print(" ".join(map(str, won)))
"""


def test_two_processes_racing_on_100_paths_one_winner_each(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    start = time.time() + 5.0  # both are ready to write by then
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(folder), tag, str(start)],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
            text=True,
        )
        for tag in ("A", "B")
    ]
    won = {}
    for tag, racer in zip(("A", "B"), racers, strict=True):
        out, _ = racer.communicate(timeout=120)
        assert racer.returncode == 0
        won[tag] = {int(index) for index in out.split()}
    assert won["A"].isdisjoint(won["B"]) and len(won["A"] | won["B"]) == 100
    for index in range(100):  # the winner's content, whole: nothing was replaced
        tag = "A" if index in won["A"] else "B"
        assert (folder / f"{index:03d}.png").read_bytes() == tag.encode() * 65536
    assert sorted(p.name for p in folder.iterdir()) == [f"{i:03d}.png" for i in range(100)]


@pytest.mark.parametrize("renameat2", [True, False])
def test_publish_without_links_still_never_replaces(tmp_path, monkeypatch, renameat2):
    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    def no_renameat2(source, target):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(os, "link", no_links)
    if not renameat2:  # the last resort: an O_EXCL reservation, then a rename onto it
        monkeypatch.setattr(atomic, "_renameat2_noreplace", no_renameat2)
    first = tmp_path / "a.png"
    with atomic.atomic_path(first, overwrite=False) as temporary:
        temporary.write_bytes(b"first")
    with pytest.raises(FileExistsError, match="a.png"):
        with atomic.atomic_path(first, overwrite=False) as temporary:
            temporary.write_bytes(b"second")
    assert first.read_bytes() == b"first" and sorted(os.listdir(tmp_path)) == ["a.png"]


def test_outputs_another_run_writes_meanwhile_are_skipped(tmp_path, tiny_model, monkeypatch):
    from colorkit import scale

    photos = [_photo(tmp_path / f"p{index}.jpg", mode="L") for index in range(3)]
    out = tmp_path / "out"
    out.mkdir()
    theirs = {1: b"written by the other run first", 2: b"written by the other run late"}
    real_read, real_save = scale._read, data.save_image

    def read_then_other_run_writes(path, max_pixels=None):
        if Path(path).name == "p0.jpg":  # while this run reads p0, the other one writes p1
            (out / "p1.png").write_bytes(theirs[1])
        return real_read(path, max_pixels)

    def other_run_wins_p2(image, path, overwrite=False):
        if Path(path).name == "p2.png":
            (out / "p2.png").write_bytes(theirs[2])
        return real_save(image, path, overwrite=overwrite)

    monkeypatch.setattr(scale, "_read", read_then_other_run_writes)
    monkeypatch.setattr(data, "save_image", other_run_wins_p2)
    summary = scale.colorize_many(photos, out, tiny_model, progress=False, memory_budget=1)
    assert (summary.done, summary.skipped, summary.failed) == (1, 2, [])
    assert (out / "p1.png").read_bytes() == theirs[1] and (out / "p2.png").read_bytes() == theirs[2]
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png", "p2.png"]


def test_a_photo_another_live_run_is_colorizing_is_left_to_it(tmp_path, tiny_model, monkeypatch):
    from colorkit import scale

    photos = [_photo(tmp_path / f"p{index}.jpg", mode="L") for index in range(3)]
    out = tmp_path / "out"
    out.mkdir()
    colorized = []
    real_chunk = scale._colorize_chunk

    def recording_chunk(images, *args, **kwargs):
        colorized.append(len(images))
        return real_chunk(images, *args, **kwargs)

    monkeypatch.setattr(scale, "_colorize_chunk", recording_chunk)
    other_run = subprocess.Popen(["sleep", "60"])
    try:  # the other run has claimed p1.png (its temporary file, its live pid)
        claim = _temporary_of(out / "p1.png", other_run.pid, suffix=".claim")
        claim.write_bytes(b"")
        summary = scale.colorize_many(photos, out, tiny_model, progress=False)
    finally:
        other_run.kill()
        other_run.wait()
    assert (summary.done, summary.skipped, summary.failed) == (2, 1, [])
    assert colorized == [2] and claim.exists()  # p1 was not colorized, its claim untouched
    assert sorted(p.name for p in out.iterdir()) == sorted([claim.name, "p0.png", "p2.png"])


@pytest.mark.slow
def test_two_colorize_runs_into_one_folder_share_the_work(tmp_path, model_path):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    for index in range(12):
        _photo(photos / f"p{index:02d}.jpg", size=(64, 48), mode="L")
    before = _digests(photos)
    command = [sys.executable, "-m", "colorkit", "colorize", str(photos), "-o", str(out)]
    command += ["--model", str(model_path), "--no-progress", "--batch-size", "1"]
    runs = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
            text=True,
        )
        for _ in range(2)
    ]
    done = 0
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-2000:]
        summary = re.search(r"(\d+) done, (\d+) skipped, (\d+) failed", err)
        assert summary and summary.group(3) == "0", err[-2000:]
        done += int(summary.group(1))
    assert done == 12  # each photo colorized once, by one of the two runs
    assert sorted(p.name for p in out.iterdir()) == [f"p{i:02d}.png" for i in range(12)]
    assert _digests(photos) == before


# ------------------------------------------------------------------------------------------
# Item 3: memory bounded by decoded pixels, not photo counts (the peak: benchmarks/bench_memory)
# ------------------------------------------------------------------------------------------


def test_chunks_and_read_ahead_are_bounded_by_pixels(tmp_path, tiny_model, monkeypatch):
    from colorkit import scale

    photos = [_photo(tmp_path / f"p{index:02d}.jpg", size=(40, 30)) for index in range(9)]
    photos.append(_photo(tmp_path / "p99.jpg", size=(80, 60)))  # larger than the budget
    budget = 2 * 40 * 30
    chunks, held, peak = [], [0], [0]
    real_read, real_chunk = scale._read, scale._colorize_chunk

    def counting_read(path, max_pixels=None):
        image = real_read(path, max_pixels)
        held[0] += image.shape[0] * image.shape[1]
        peak[0] = max(peak[0], held[0])
        return image

    def recording_chunk(images, *args, **kwargs):
        chunks.append(sum(image.shape[0] * image.shape[1] for image in images))
        held[0] -= chunks[-1]
        return real_chunk(images, *args, **kwargs)

    monkeypatch.setattr(scale, "_read", counting_read)
    monkeypatch.setattr(scale, "_colorize_chunk", recording_chunk)
    summary = scale.colorize_many(
        photos, tmp_path / "out", tiny_model, progress=False, memory_budget=budget
    )
    assert summary.done == 10 and not summary.failed
    assert max(chunks[:-1]) <= budget and chunks[-1] == 80 * 60  # the big one went alone
    # decoded and not yet colorized: one chunk plus the read-ahead, each within the budget
    assert peak[0] <= 2 * budget + 80 * 60


def test_default_max_pixels_follows_the_measured_peak_per_pixel(capsys):
    assert data.MAX_IMAGE_PIXELS == data.PHOTO_MEMORY_BYTES // data.PEAK_BYTES_PER_PIXEL
    assert cli.main(["colorize", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"default {data.MAX_IMAGE_PIXELS:,} pixels" in help_text
    assert f"{data.PEAK_BYTES_PER_PIXEL} bytes of memory per pixel" in help_text


def test_max_pixels_reaches_the_dask_path(tmp_path, model_path, monkeypatch):
    from colorkit import scale

    seen = {}

    def fake_archive(jobs, output_dir, model, **kwargs):
        seen.update(kwargs)
        return scale.Summary(done=len(jobs))

    monkeypatch.setattr(scale, "colorize_archive", fake_archive)
    photo = _photo(tmp_path / "a.jpg", mode="L")
    code = _colorize(
        photo,
        "-o",
        tmp_path / "out",
        "--scheduler",
        "local:1",
        "--max-pixels",
        "100",
        model_path=model_path,
    )
    assert code == 0 and seen["max_pixels"] == 100
    # and on a worker, colorize_many refuses the photo as one process does
    summary = scale._colorize_partition(
        [(str(photo), tmp_path / "out" / "a.png")], str(model_path), {"max_pixels": 100}, False
    )
    assert summary.done == 0 and "above the limit of 100" in summary.failed[0][1]


@pytest.mark.slow
def test_max_pixels_refuses_on_a_real_local_cluster(tmp_path, model_path, capsys):
    photo = _photo(tmp_path / "a.jpg", mode="L")  # 24 x 16 = 384 pixels
    arguments = [photo, "-o", tmp_path / "out", "--scheduler", "local:1", "--max-pixels", "100"]
    assert _colorize(*arguments, model_path=model_path) == 1
    err = capsys.readouterr().err
    assert "a.jpg" in err and "above the limit of 100" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


# ------------------------------------------------------------------------------------------
# Item 4: an output's name is a pure function of its input's name
# ------------------------------------------------------------------------------------------


def test_same_stem_photos_get_stable_distinct_outputs(tmp_path, model_path, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    _photo(photos / "x.jpg", mode="L", value=40)
    assert _colorize(photos, "-o", out, model_path=model_path) == 0
    first = _digest(out / "x.png")
    _photo(photos / "x.JPG", mode="L", value=90)  # a different photo, same stem
    _photo(photos / "x.png", mode="L", value=150)
    assert _colorize(photos, "-o", out, model_path=model_path) == 0
    assert sorted(p.name for p in out.iterdir()) == ["x.png", "x_JPG.png", "x_png.png"]
    assert _digest(out / "x.png") == first  # x.jpg's output neither moved nor was redone
    assert "skipped 1 existing output(s)" in capsys.readouterr().err
    assert len({_digest(p) for p in out.iterdir()}) == 3  # three photos, three results


def test_outputs_equal_up_to_case_are_refused_not_renamed(tmp_path, model_path, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    _photo(photos / "X.jpg", mode="L", value=40)
    _photo(photos / "x.jpg", mode="L", value=90)
    before = _digests(photos)
    assert _colorize(photos, "-o", out, model_path=model_path) == 1
    err = capsys.readouterr().err
    assert "x.jpg" in err and "up to letter case" in err and "rename one of them" in err
    assert [p.name for p in out.iterdir()] == ["X.png"]  # the first in sorted order
    assert _digests(photos) == before
    assert outputs.output_name("dir/x.jpeg") == "x_jpeg.png"


# ------------------------------------------------------------------------------------------
# Item 5: resume and options that were silently ignored
# ------------------------------------------------------------------------------------------


def test_resume_of_a_folder_that_holds_no_run_is_refused(tmp_path, capsys):
    runs = tmp_path / "runs"
    (runs / "unet").mkdir(parents=True)
    (runs / "unet" / "config.json").write_text("{}")
    before = _digests(runs)
    code = cli.main(["train", "--resume", "--run-dir", str(runs), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and f"'{runs}' holds no run" in err
    assert "config.json" in err and str(runs / "unet") in err
    assert _digests(runs) == before and sorted(p.name for p in runs.iterdir()) == ["unet"]


def test_truncated_config_json_on_resume_names_the_file(tmp_path, capsys):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text('{"model": "unet", "epo')
    code = cli.main(["train", "--resume", "--run-dir", str(run)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILURE and str(run / "config.json") in err and "truncated" in err


def _zip_without_config(path: Path, model_path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(model_path) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            if name != "config.json":
                target.writestr(name, source.read(name))
    return path


def test_a_keras_zip_without_config_json_is_one_line(tmp_path, model_path, capsys):
    fake = _zip_without_config(tmp_path / "model.keras", model_path)
    photo = _photo(tmp_path / "a.jpg", mode="L")
    code = cli.main(["colorize", str(photo), "-o", str(tmp_path / "o"), "--model", str(fake)])
    err = capsys.readouterr().err
    assert code == 1 and "model.keras' is not a Keras model file" in err and "config.json" in err
    assert "Traceback" not in err and "KeyError" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_resume_falls_back_from_a_checkpoint_without_config_json(tmp_path, capsys, shared_data):
    photos = sorted((shared_data / "bsds500" / "val").glob("*.jpg"))[:4]
    run = tmp_path / "run"
    arguments = ["train", "--data", *map(str, photos), "--image-size", "32", "--batch-size", "2"]
    arguments += ["--model-kwargs", '{"base_filters": 4, "depth": 1}', "--progress", "none"]
    assert cli.main([*arguments, "--epochs", "2", "--run-dir", str(run)]) == 0
    last = run / "checkpoints" / "epoch_002.keras"
    _zip_without_config(tmp_path / "broken.keras", last)
    os.replace(tmp_path / "broken.keras", last)
    capsys.readouterr()
    code = cli.main([*arguments, "--epochs", "3", "--run-dir", str(run), "--resume"])
    err = capsys.readouterr().err
    assert code == 0, err
    # The fallback is one plain line of the run's summary of notes (no raw UserWarning).
    assert re.search(r"epoch_002\.keras.*config\.json", err), err
    assert sorted(p.name for p in (run / "checkpoints").glob("epoch_*.keras"))[-1] == (
        "epoch_003.keras"
    )


def test_recipe_refuses_options_it_does_not_take(tmp_path, capsys):
    code = cli.main(
        [
            "train",
            "--recipe",
            "smoke",
            "--model",
            "zhang",
            "--epochs",
            "7",
            "--data",
            "tdata",
            "--run-dir",
            str(tmp_path / "r"),
        ]
    )
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and "--data, --epochs, --model" in err and "smoke" in err
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------------------------------
# Item 6: messages and exit codes
# ------------------------------------------------------------------------------------------


def test_hints_nested_100000_deep_is_a_usage_error(tmp_path, capsys):
    photo = _photo(tmp_path / "a.jpg", mode="L")
    deep = tmp_path / "hints.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code = cli.main(["colorize", str(photo), "-o", str(tmp_path / "o"), "--hints", str(deep)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and "hints.json" in err and "nested too deeply" in err
    assert "RecursionError" not in err and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("scheduler", "expected"),
    [
        ("foo", "Received: scheduler='foo'"),
        ("local:abc", "Received: scheduler='local:abc'"),
        ("local:0", "Received: scheduler='local:0'"),
    ],
)
def test_malformed_scheduler_is_a_usage_error(tmp_path, model_path, capsys, scheduler, expected):
    photo = _photo(tmp_path / "a.jpg", mode="L")
    code = _colorize(photo, "-o", tmp_path / "o", "--scheduler", scheduler, model_path=model_path)
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and expected in err and "{scheduler" not in err
    assert not (tmp_path / "o").exists()


def test_unreachable_scheduler_is_named(tmp_path, model_path, capsys, monkeypatch):
    import socket

    from colorkit import scale

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(scale, "CONNECT_TIMEOUT_SECONDS", 2.0)
    photo = _photo(tmp_path / "a.jpg", mode="L")
    address = f"tcp://127.0.0.1:{port}"
    code = _colorize(photo, "-o", tmp_path / "o", "--scheduler", address, model_path=model_path)
    err = capsys.readouterr().err
    assert code == cli.EXIT_FAILURE and "Cannot reach the Dask scheduler" in err
    assert address in err and "'?'" not in err


def test_a_folder_at_the_output_path_is_a_failure_without_overwrite(tmp_path, model_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "a.jpg", mode="L")
    _photo(photos / "b.jpg", mode="L")
    (tmp_path / "out" / "a.png").mkdir(parents=True)
    assert _colorize(photos, "-o", tmp_path / "out", model_path=model_path) == 1
    err = capsys.readouterr().err
    assert f"cannot write '{tmp_path / 'out' / 'a.png'}': a folder exists at that path" in err
    assert (tmp_path / "out" / "a.png").is_dir() and (tmp_path / "out" / "b.png").is_file()


@pytest.mark.parametrize("where", ["output", "parent"])
def test_a_file_as_output_is_refused_before_any_work(
    tmp_path, model_path, capsys, monkeypatch, where
):
    photo = _photo(tmp_path / "a.jpg", mode="L")
    user_file = tmp_path / "notes.txt"
    user_file.write_text("mine")
    digest = _digest(user_file)
    output = user_file if where == "output" else user_file / "out"

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the output was checked")

    monkeypatch.setattr(cli, "_resolve_model", no_model)
    assert _colorize(photo, "-o", output, model_path=model_path) == 1
    err = capsys.readouterr().err
    assert f"'{user_file}' is a file" in err and "--output" in err
    assert _digest(user_file) == digest


def test_a_model_of_another_architecture_is_named_once(tmp_path, capsys):
    import keras

    inputs = keras.Input((8, 8, 3))
    foreign = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Flatten()(inputs)))
    foreign.save(tmp_path / "classifier.keras")
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a", "b", "c"):
        _photo(photos / f"{name}.jpg", mode="L")
    model = str(tmp_path / "classifier.keras")
    code = cli.main(["colorize", str(photos), "-o", str(tmp_path / "o"), "--model", model])
    err = capsys.readouterr().err
    assert code == 1 and err.count("classifier.keras") == 1 and "cannot colorize" in err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_a_read_only_mount_for_a_video_names_the_path(tmp_path, capsys, monkeypatch):
    clip = _clip(tmp_path / "in.mp4")
    real_statvfs = os.statvfs

    class ReadOnly:
        def __init__(self, result):
            self._result = result

        def __getattr__(self, name):
            value = getattr(self._result, name)
            return value | os.ST_RDONLY if name == "f_flag" else value

    monkeypatch.setattr(os, "statvfs", lambda path: ReadOnly(real_statvfs(path)))
    target = tmp_path / "out.mp4"
    assert cli.main(["colorize-video", str(clip), str(target), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write '{target}': the file system is read-only" in err
    assert not target.exists()


def test_left_out_files_are_counted_and_named(tmp_path, model_path, capsys):
    photos = tmp_path / "photos"
    (photos / ".thumbnails").mkdir(parents=True)
    _photo(photos / "a.jpg", mode="L")
    _photo(photos / ".hidden.jpg", mode="L")
    Image.new("L", (4, 4)).save(photos / "anim.gif")
    (photos / ".thumbnails" / "t.jpg").write_bytes(b"")
    assert _colorize(photos, "-o", tmp_path / "out", model_path=model_path) == 0
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "left out" in line)
    assert "left out 3 item(s)" in line and ".hidden.jpg (hidden)" in line
    assert "anim.gif (not a photo type colorkit reads (.gif))" in line
    assert ".thumbnails (hidden folder)" in line
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.png"]


def test_every_promise_in_the_readme_names_tests_that_exist():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What colorkit promises about your files", 1)[1].split("\n## ", 1)[0]
    promises = section.split("\n- ")[1:]
    assert len(promises) >= 9
    defined = set()
    for test_file in (root / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", test_file.read_text(), re.MULTILINE))
    for promise in promises:
        named = re.findall(r"\b(test_\w+)\b", re.sub(r"tests/test_\w+\.py", "", promise))
        assert named, f"a promise without its test: {promise[:80]!r}"
        assert set(named) <= defined, sorted(set(named) - defined)
