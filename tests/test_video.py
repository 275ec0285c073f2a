"""Tests for colorkit.video: real video I/O, audio, scene cuts, temporal methods and metrics."""

from __future__ import annotations

import math
import os
import subprocess

import cv2
import numpy as np
import pytest

from colorkit import video

pytestmark = pytest.mark.filterwarnings("ignore:Out-of-gamut colors were clipped:UserWarning")

WIDTH = 160  # tree.avi (320x240) read at 160x120 keeps the tests fast


@pytest.fixture(scope="session")
def tree_path(shared_data) -> str:
    return str(shared_data / "video" / "tree.avi")


@pytest.fixture(scope="session")
def vtest_path(shared_data) -> str:
    return str(shared_data / "video" / "vtest.avi")


@pytest.fixture(scope="session")
def tree_frames(tree_path) -> np.ndarray:
    """The first 20 frames of tree.avi at 160x120, float32 in [0, 1]."""
    return np.stack(list(video.read_frames(tree_path, max_frames=20, max_width=WIDTH)))


@pytest.fixture()
def clip_with_audio(tmp_path) -> str:
    """A 1 s, 10 fps, 64x48 test-pattern clip with a 440 Hz sine audio track."""
    path = tmp_path / "sine.mp4"
    command = [video.files.ffmpeg_exe(), "-y", "-nostdin", "-v", "error"]
    command += ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
    command += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:duration=1"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    subprocess.run(command, check=True, capture_output=True)
    return str(path)


def zero_chroma(frames: np.ndarray) -> np.ndarray:
    return np.zeros(frames.shape[:3] + (2,), np.float32)


def lab(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        frames = frames.astype(np.float32) / 255.0
    return np.stack([cv2.cvtColor(frame, cv2.COLOR_RGB2Lab) for frame in frames])


# ------------------------------------------------------------------------------ reading, writing


def test_probe_tree(tree_path):
    info = video.probe_video(tree_path)
    assert (info.fps, info.num_frames, info.size) == (15.0, 449, (320, 240))
    assert info.codec == "cinepak" and not info.has_audio and info.exact_count
    assert info.duration == pytest.approx(29.6)


def test_read_frames_count_matches_probe(tree_path):
    frames = video.read_frames(tree_path, max_width=32)
    count = 0
    for frame in frames:
        assert frame.shape == (24, 32, 3) and frame.dtype == np.float32
        count += 1
    assert count == video.probe_video(tree_path).num_frames


def test_read_frames_is_lazy_and_resizes(vtest_path):
    frames = video.read_frames(vtest_path, max_frames=3, max_width=384)
    first = next(frames)
    assert first.shape == (288, 384, 3) and first.dtype == np.float32
    assert 0.0 <= first.min() and first.max() <= 1.0
    assert len(list(frames)) == 2


def test_write_video_roundtrip_keeps_fps_and_size(tmp_path, tree_frames):
    output = tmp_path / "out.mp4"
    written = video.write_video(output, iter(tree_frames[:6]), fps=12.5)
    info = video.probe_video(output)
    assert written == 6 and info.num_frames == 6
    assert info.fps == pytest.approx(12.5) and info.size == (WIDTH, 120)
    assert info.codec == "h264"
    back = np.stack(list(video.read_frames(output)))
    assert np.abs(back - tree_frames[:6]).mean() < 0.03  # lossy but close
    assert sorted(os.listdir(tmp_path)) == ["out.mp4"]  # no temporary left


def test_write_video_failure_leaves_no_file(tmp_path, tree_frames):
    def frames():
        yield tree_frames[0]
        yield tree_frames[0][:60]  # changes size

    output = tmp_path / "broken.mp4"
    with pytest.raises(ValueError, match="changed size"):
        video.write_video(output, frames(), fps=10)
    assert os.listdir(tmp_path) == []


def test_audio_is_carried_over(tmp_path, clip_with_audio):
    source = video.probe_video(clip_with_audio)
    assert source.has_audio and source.fps == 10.0 and source.num_frames == 10
    output = tmp_path / "colorized.mp4"
    report = video.colorize_video(
        clip_with_audio, output, video.make_flickering_colorizer(), progress=False
    )
    info = video.probe_video(output)
    assert report.has_audio and info.has_audio
    assert (info.num_frames, info.fps, info.size) == (10, 10.0, (64, 48))
    no_audio = tmp_path / "silent.mp4"
    video.colorize_video(clip_with_audio, no_audio, zero_chroma, keep_audio=False, progress=False)
    assert not video.probe_video(no_audio).has_audio


def test_gamut_clipping_is_reported(tmp_path, tree_path):
    def vivid(frames):
        return np.full(frames.shape[:3] + (2,), 100.0, np.float32)

    with pytest.warns(UserWarning, match=r"clipped to sRGB: \d+ pixels"):
        report = video.colorize_video(
            tree_path, tmp_path / "v.mp4", vivid, max_frames=2, max_width=64, progress=False
        )
    assert report.clipped_pixels > 0
    report = video.colorize_video(
        tree_path, tmp_path / "g.mp4", zero_chroma, max_frames=2, max_width=64, progress=False
    )
    assert report.clipped_pixels == 0


def test_output_keeps_input_luminance(tree_frames):
    engine = video.TemporalColorizer(video.make_flickering_colorizer(amplitude=3.0), "flow")
    outputs = np.stack(list(engine.process(tree_frames)))
    assert outputs.dtype == np.uint8 and outputs.shape == tree_frames.shape
    lightness_error = np.abs(lab(outputs)[..., 0] - lab(tree_frames)[..., 0])
    assert np.median(lightness_error) < 0.5  # uint8 rounding; gamut clipping only at extremes
    assert engine.num_frames == 20 and engine.scene_cuts == []


def test_opencv_lab_agrees_with_colorkit_color(rng):
    color = pytest.importorskip("colorkit.color")
    rgb = rng.random((16, 16, 3), dtype=np.float32)
    reference = np.asarray(color.rgb_to_lab(rgb))
    np.testing.assert_allclose(cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab), reference, atol=0.6)
    lab_image = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
    back = np.asarray(color.lab_to_rgb(lab_image))
    np.testing.assert_allclose(cv2.cvtColor(lab_image, cv2.COLOR_Lab2RGB), back, atol=1e-3)


# ------------------------------------------------------------------------------ scene cuts


@pytest.fixture(scope="session")
def cut_frames(vtest_path, tree_path) -> np.ndarray:
    """10 vtest frames then 10 tree frames, all 160x120: a hard cut at index 10."""
    first = list(video.read_frames(vtest_path, max_frames=10, max_width=WIDTH))
    second = list(video.read_frames(tree_path, max_frames=10, max_width=WIDTH))
    assert first[0].shape == second[0].shape == (120, WIDTH, 3)
    return np.stack(first + second)


def test_detect_scene_cuts_on_constructed_cut(cut_frames):
    assert video.detect_scene_cuts(iter(cut_frames)) == [10]
    histograms = np.stack([video.luminance_histogram(frame) for frame in cut_frames])
    assert video.detect_scene_cuts(histograms=histograms) == [10]
    assert video.detect_scene_cuts(iter(cut_frames[:10])) == []


def test_scene_cut_detector_validates():
    with pytest.raises(ValueError, match="threshold"):
        video.SceneCutDetector(threshold=0.0)
    with pytest.raises(ValueError, match="exactly one"):
        video.detect_scene_cuts()


def test_temporal_state_resets_at_cut(cut_frames):
    outputs = {}
    for method in video.METHODS:
        engine = video.TemporalColorizer(video.make_flickering_colorizer(seed=3), method)
        outputs[method] = np.stack(list(engine.process(cut_frames)))
        assert engine.scene_cuts == [10]
    for method in ("smooth", "flow"):
        assert np.array_equal(outputs[method][10], outputs["frame"][10])  # reset: no smear
        assert not np.array_equal(outputs[method][11], outputs["frame"][11])


def test_colorize_video_reports_cut(tmp_path, cut_frames):
    source = tmp_path / "cut.mp4"
    video.write_video(source, iter(cut_frames), fps=10)
    report = video.colorize_video(
        source, tmp_path / "out.mp4", video.make_flickering_colorizer(), "smooth", progress=False
    )
    assert report.scene_cuts == [10] and report.num_frames == 20


# ------------------------------------------------------------------------------ methods


def test_methods_on_real_clip(tmp_path, tree_path, tree_frames):
    reports = {}
    for method in video.METHODS:
        output = tmp_path / f"{method}.mp4"
        reports[method] = video.colorize_video(
            tree_path,
            output,
            video.make_flickering_colorizer(seed=1),
            method=method,
            max_frames=20,
            max_width=WIDTH,
            progress=False,
        )
        report = reports[method]
        assert report.num_frames == 20 and (report.width, report.height) == (WIDTH, 120)
        assert report.fps == 15.0 and report.frames_per_second > 0 and report.method == method
        info = video.probe_video(output)
        assert info.num_frames == 20 and info.fps == 15.0
    frame_cdc = reports["frame"].cdc
    assert reports["frame"].reference_cdc < frame_cdc  # the original video is steadier
    assert reports["smooth"].cdc < 0.6 * frame_cdc
    assert reports["flow"].cdc < 0.6 * frame_cdc
    # The written files rank the same way (H.264 4:2:0 smooths some of the chroma noise away).
    written = {
        method: video.color_distribution_consistency(video.read_frames(tmp_path / f"{method}.mp4"))
        for method in ("frame", "flow")
    }
    assert written["flow"] < 0.7 * written["frame"]
    # Luminance is the input's: a frame with zero chroma added is the input's gray.
    gray_output = tmp_path / "gray.mp4"
    video.colorize_video(tree_path, gray_output, zero_chroma, max_frames=5, max_width=WIDTH)
    gray = np.stack(list(video.read_frames(gray_output)))
    assert np.abs(lab(gray)[..., 0] - lab(tree_frames[:5])[..., 0]).mean() < 1.5


def test_flow_follows_motion():
    """A textured frame shifted by 3 px: flow propagates the chroma with the motion."""
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.random((64, 96)).astype(np.float32), (0, 0), 2.0)
    texture = (texture - texture.min()) / (texture.max() - texture.min())
    frames = [np.repeat(np.roll(texture, 3 * t, axis=1)[..., None], 3, -1) for t in range(4)]
    calls = []

    def colorizer(batch):
        calls.append(len(calls))
        a = np.full(batch.shape[:3], 20.0 if len(calls) == 1 else -20.0, np.float32)
        return np.stack([a, np.zeros_like(a)], -1)

    engine = video.TemporalColorizer(colorizer, "flow", temporal_weight=0.8, batch_size=1)
    outputs = list(engine.process(frames))
    a_channel = lab(np.stack(outputs))[..., 1]
    centre = a_channel[1, 16:-16, 16:-16]
    # frame 1 keeps most of frame 0's propagated +20 (visible pixels, confident flow).
    assert centre.mean() > 5.0
    smoothed = video.TemporalColorizer(colorizer, "frame", batch_size=1)
    calls.clear()
    assert lab(np.stack(list(smoothed.process(frames))))[1, ..., 1].mean() < -15


# ------------------------------------------------------------------------------ metrics


def test_js_divergence_known_values():
    assert video.js_divergence([0.2, 0.8], [0.2, 0.8]) == 0.0
    assert video.js_divergence([1, 0], [0, 1]) == pytest.approx(math.log(2))
    # m = (0.75, 0.25): 0.5 ln(1/0.75) + 0.5 (0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25))
    expected = 0.5 * math.log(4 / 3) + 0.5 * (0.5 * math.log(2 / 3) + 0.5 * math.log(2))
    assert video.js_divergence([1, 0], [0.5, 0.5]) == pytest.approx(expected)
    assert video.js_divergence([2, 0], [1, 1]) == pytest.approx(expected)  # normalised first
    with pytest.raises(ValueError, match="non-negative"):
        video.js_divergence([-1, 2], [1, 0])


def test_cdc_known_values():
    still = np.full((6, 4, 4, 3), 0.3, np.float32)
    assert video.color_distribution_consistency(still) == 0.0
    # Frames whose channel histograms are half at 0 and half at 255, or all at 0.
    half = np.zeros((4, 4, 3), np.float32)
    half[:2] = 1.0
    black = np.zeros((4, 4, 3), np.float32)
    frames = np.stack([black, half, black, half, black, half])
    # gap 1 and 4... gap 1: all pairs differ: JS([1, 0], [0.5, 0.5]); gap 2: 0; gap 4: 0.
    js = video.js_divergence([1, 0], [0.5, 0.5])
    assert video.color_distribution_consistency(frames) == pytest.approx(js / 3)
    assert video.color_distribution_consistency(frames, gaps=(1,)) == pytest.approx(js)
    histograms = np.stack([video.color_histograms(frame) for frame in frames])
    assert video.color_distribution_consistency(histograms) == pytest.approx(js / 3)
    with pytest.raises(ValueError, match="Too few frames"):
        video.color_distribution_consistency(frames[:4])


def test_flow_warping_error_values(tree_frames):
    still = np.repeat(tree_frames[:1], 3, axis=0)
    assert video.flow_warping_error(still) == pytest.approx(0.0, abs=0.01)
    assert video.flow_warping_error(still, space="rgb") == pytest.approx(0.0, abs=1e-4)
    # Same luminance, chroma flipping sign every frame: error ~ 2 |a|, over visible pixels.
    gray = lab(still)[..., 0]
    flipping = []
    for t, lightness in enumerate(gray):
        lab_frame = np.stack(
            [lightness, np.full_like(lightness, 5.0 * (-1) ** t), 0 * lightness], -1
        )
        flipping.append(cv2.cvtColor(lab_frame, cv2.COLOR_Lab2RGB))
    error = video.flow_warping_error(flipping, reference=still)
    assert 3.5 < error < 5.5  # mean over (a, b) of (10, 0), up to gamut clipping
    original = video.flow_warping_error(tree_frames[:6], flow_width=WIDTH)
    assert 0.0 < original < 3.0
    with pytest.raises(ValueError, match="at least 2"):
        video.flow_warping_error(still[:1])


def test_reports_measure_reference_floor(tmp_path, tree_path):
    report = video.colorize_video(
        tree_path, tmp_path / "o.mp4", zero_chroma, max_frames=8, max_width=64, progress=False
    )
    reference = video.color_distribution_consistency(
        video.read_frames(tree_path, max_frames=8, max_width=64)
    )
    assert report.reference_cdc == pytest.approx(reference)
    assert "frames/s" in report.summary()


# ------------------------------------------------------------------------------ bad inputs


def test_missing_file(tmp_path):
    missing = tmp_path / "missing.avi"
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        video.probe_video(missing)
    with pytest.raises(FileNotFoundError, match="missing.avi"):
        video.colorize_video(missing, tmp_path / "out.mp4", zero_chroma)


def test_text_file_named_avi(tmp_path):
    fake = tmp_path / "notes.avi"
    fake.write_text("not a video\n")
    with pytest.raises(ValueError, match="notes.avi"):
        video.probe_video(fake)
    with pytest.raises(ValueError, match="notes.avi"):
        next(video.read_frames(fake))
    with pytest.raises(ValueError, match="notes.avi"):
        video.colorize_video(fake, tmp_path / "out.mp4", zero_chroma, progress=False)
    assert sorted(os.listdir(tmp_path)) == ["notes.avi"]


def test_truncated_video(tmp_path, tree_path):
    broken = tmp_path / "broken.avi"
    broken.write_bytes(open(tree_path, "rb").read()[:2000])
    with pytest.raises(ValueError, match="broken.avi"):
        video.colorize_video(broken, tmp_path / "out.mp4", zero_chroma, progress=False)


def test_bad_arguments(tmp_path, tree_path):
    output = tmp_path / "out.mp4"
    with pytest.raises(ValueError, match="Unknown method"):
        video.colorize_video(tree_path, output, zero_chroma, method="optical")
    with pytest.raises(ValueError, match="Refusing to overwrite the input"):
        video.colorize_video(tree_path, tree_path, zero_chroma)
    with pytest.raises(ValueError, match="models only"):
        video.colorize_video(tree_path, output, zero_chroma, size=128)
    with pytest.raises(TypeError, match="model_or_colorizer"):
        video.colorize_video(tree_path, output, 42)
    with pytest.raises(FileNotFoundError, match="Output folder"):
        video.colorize_video(tree_path, tmp_path / "nowhere" / "out.mp4", zero_chroma)
    with pytest.raises(ValueError, match="max_frames"):
        video.colorize_video(tree_path, output, zero_chroma, max_frames=0)
    with pytest.raises(ValueError, match="Invalid colorizer output"):
        video.colorize_video(tree_path, output, lambda f: f[..., :1], max_frames=2, progress=False)
    assert not output.exists()


def test_keras_model_path(tmp_path, tree_path):
    models = pytest.importorskip("colorkit.models")
    pytest.importorskip("colorkit.infer")
    model = models.build_model("unet", base_filters=4, depth=1)
    colorizer = video.model_colorizer(model, size=32)
    rgb = colorizer(np.full((2, 24, 40, 3), 0.5, np.float32))
    assert rgb.shape == (2, 24, 40, 3) and rgb.dtype == np.float32
    report = video.colorize_video(
        tree_path, tmp_path / "m.mp4", model, "flow", size=32, max_frames=3, max_width=64
    )
    assert report.num_frames == 3 and video.probe_video(tmp_path / "m.mp4").num_frames == 3
    with pytest.raises(TypeError, match="Invalid model"):
        video.model_colorizer(3.5)


def test_temporal_colorizer_validates_frames():
    engine = video.TemporalColorizer(zero_chroma, "flow")
    with pytest.raises(ValueError, match="outside"):
        list(engine.process([np.full((8, 8, 3), 1.5, np.float32)]))
    with pytest.raises(ValueError, match="changed size"):
        list(engine.process([np.zeros((8, 8, 3)), np.zeros((6, 8, 3))]))
    with pytest.raises(ValueError, match="Unknown method"):
        video.TemporalColorizer(zero_chroma, "median")
    with pytest.raises(ValueError, match="temporal_weight"):
        video.TemporalColorizer(zero_chroma, "smooth", temporal_weight=1.0)
