"""Colorize real video files frame by frame, with temporal consistency.

A video is read and written as a *stream* of frames (generators; the whole video is never held in
memory). Every output frame keeps the luminance (Lab ``L``) of its input frame at full resolution;
only the chroma (Lab ``ab``) comes from the colorizer, then goes through one of three methods:

- ``"frame"``: each frame is colorized on its own (flickers where the model hesitates).
- ``"smooth"``: an exponential moving average of the predicted chroma over time, reset at scene
  cuts so that a cut does not smear the colors of one shot into the next.
- ``"flow"``: the previous *output* chroma is carried along dense optical flow (Farneback, on the
  luminance at reduced resolution) and blended with the new prediction. A per-pixel confidence
  (forward-backward flow consistency times the luminance warping error) decides how much of the
  propagated chroma to keep; occluded pixels fall back to the new prediction. Reset at cuts.

The colorizer is any callable ``frames (N, H, W, 3) float32 RGB in [0, 1] -> chroma`` that
returns ``ab`` in Lab units ``(N, h, w, 2)`` or an RGB result ``(N, h, w, 3)`` in [0, 1] (any
``h, w``; it is resized to the frame). ``model_colorizer`` wraps a Keras model as a
``ModelColorizer``, which hands ``TemporalColorizer`` the model's chroma straight from the
``colorkit.infer`` stages (in the model's own color space), and ``make_flickering_colorizer``
is a model-free stand-in that flickers on purpose (for tests, benchmarks and teaching).

Each frame is composed once, by ``colorkit.infer.compose`` (its full-resolution luminance plus
the temporally blended chroma), which also counts the pixels clipped into the sRGB gamut. Audio is
carried from the source with a second ffmpeg call (``-map 0:v -map 1:a? -c copy``). Temporal
consistency is measured with the Color Distribution Consistency (CDC) of the NTIRE 2023 video
colorization challenge and a flow-warping error.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence

import cv2
import imageio.v2 as imageio
import imageio_ffmpeg
import keras
import numpy as np
from tqdm.auto import tqdm

from colorkit import _checks, color, infer, models

METHODS = ("frame", "smooth", "flow")
CDC_GAPS = (1, 2, 4)
DEFAULT_TEMPORAL_WEIGHT = 0.8
#: Default weight of the flow method: motion-compensated, occlusion-aware propagation can keep
#: more history than a static average without smearing (measured on vtest.avi and tree.avi).
DEFAULT_FLOW_WEIGHT = 0.9
DEFAULT_CUT_THRESHOLD = 0.3
DEFAULT_FLOW_WIDTH = 192

Colorizer = Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------------------------
# Reading and writing
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What ``probe_video`` learns about a video file.

    Attributes:
        path: the file, as given.
        fps: frames per second of the video stream (float, > 0).
        num_frames: frames that ``read_frames`` yields (decoded at constant frame rate); an
            estimate ``round(duration * fps)`` when probed with ``count_frames=False``.
        width: frame width in pixels.
        height: frame height in pixels.
        has_audio: whether the file holds at least one audio stream.
        codec: the video codec's ffmpeg name (``"h264"``, ``"cinepak"``...).
        duration: seconds, as the container states it (0.0 when unknown).
        exact_count: whether ``num_frames`` was counted by decoding.
    """

    path: str
    fps: float
    num_frames: int
    width: int
    height: int
    has_audio: bool
    codec: str
    duration: float
    exact_count: bool = True

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return (self.width, self.height)


def _ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def _check_input_file(path: str | os.PathLike) -> str:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"Invalid video path type: expected str or PathLike. Received: {path!r}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Video file not found: {path!r}")
    if not os.path.isfile(path):
        raise ValueError(f"Not a video file (a directory or special file): {path!r}")
    return path


def _stderr_tail(text: str, lines: int = 3) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


def probe_video(path: str | os.PathLike, count_frames: bool = True) -> VideoInfo:
    """Read a video file's stream information (and count its frames).

    Args:
        path: a video file readable by ffmpeg.
        count_frames: decode the whole video stream (at 16x16 gray, fast) to count the frames
            exactly as ``read_frames`` yields them. Otherwise estimate ``round(duration * fps)``.

    Returns:
        A ``VideoInfo``.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: ffmpeg cannot read it as a video (corrupt, not a video, no video stream).
    """
    path = _check_input_file(path)
    command = [_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:v:0"]
    if count_frames:
        command += ["-vf", "scale=16:16", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    else:
        command += ["-frames:v", "0", "-f", "null", "-"]
    completed = subprocess.run(command, capture_output=True, check=False)
    stderr = completed.stderr.decode("utf-8", errors="replace")
    video_line = re.search(r"Stream #0:\d+.*?: Video: (.*)", stderr)
    if completed.returncode != 0 or video_line is None:
        raise ValueError(
            f"Cannot read video file {path!r}: ffmpeg exit {completed.returncode}: "
            f"{_stderr_tail(stderr)}"
        )
    details = video_line.group(1)
    input_section = stderr.split("Output #0", 1)[0]
    codec = details.split()[0].rstrip(",")
    size = re.search(r"(?:^|[ ,])(\d{2,5})x(\d{2,5})(?:[ ,\[]|$)", details)
    fps_match = re.search(r"([\d.]+)(k?) fps", details) or re.search(r"([\d.]+)(k?) tbr", details)
    if size is None or fps_match is None:
        raise ValueError(f"Cannot read video file {path!r}: no frame size or rate in {details!r}")
    fps = float(fps_match.group(1)) * (1000.0 if fps_match.group(2) else 1.0)
    duration_match = re.search(r"Duration: (\d+):(\d+):([\d.]+)", input_section)
    duration = 0.0
    if duration_match:
        hours, minutes, seconds = duration_match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if count_frames:
        num_frames = len(completed.stdout) // 256
    else:
        num_frames = int(round(duration * fps))
    if count_frames and num_frames == 0:
        raise ValueError(f"Cannot read video file {path!r}: no decodable frame")
    return VideoInfo(
        path=path,
        fps=fps,
        num_frames=num_frames,
        width=int(size.group(1)),
        height=int(size.group(2)),
        has_audio=re.search(r"Stream #0:\d+.*?: Audio:", input_section) is not None,
        codec=codec,
        duration=duration,
        exact_count=count_frames,
    )


def output_size(width: int, height: int, max_width: int | None = None) -> tuple[int, int]:
    """Frame size after the optional downscale: even sides (H.264 4:2:0 needs them).

    Args:
        width: source width in pixels (>= 2).
        height: source height in pixels (>= 2).
        max_width: largest output width; ``None`` keeps the source width.

    Returns:
        ``(width, height)``, both even, the aspect ratio kept to the nearest even pixel.

    Example:
        >>> output_size(768, 576, max_width=384)
        (384, 288)
        >>> output_size(321, 241)
        (320, 240)
    """
    if width < 2 or height < 2:
        raise ValueError(f"Invalid frame size: expected sides >= 2. Received: {width}x{height}")
    if max_width is not None and max_width < 2:
        raise ValueError(f"Invalid max_width: expected an integer >= 2. Received: {max_width}")
    if max_width is None or width <= max_width:
        return (width // 2 * 2, height // 2 * 2)
    new_width = max_width // 2 * 2
    new_height = max(2, int(round(height * new_width / width / 2)) * 2)
    return (new_width, new_height)


def _read_uint8(path: str, max_frames: int | None, max_width: int | None) -> Iterator[np.ndarray]:
    """Yield uint8 (H, W, 3) RGB frames, resized to ``output_size``."""
    try:
        reader = imageio.get_reader(path, format="FFMPEG")
    except (OSError, RuntimeError) as error:
        raise ValueError(f"Cannot read video file {path!r}: {error}") from error
    try:
        iterator = iter(reader)
        count = 0
        while max_frames is None or count < max_frames:
            try:
                frame = next(iterator)
            except StopIteration:
                break
            except (OSError, RuntimeError, IndexError) as error:
                raise ValueError(f"Cannot decode frame {count} of {path!r}: {error}") from error
            frame = np.asarray(frame)
            if frame.ndim == 2:
                frame = np.repeat(frame[..., None], 3, axis=-1)
            frame = frame[..., :3]
            height, width = frame.shape[:2]
            target = output_size(width, height, max_width)
            if target != (width, height):
                if target[0] <= width - 2:
                    frame = cv2.resize(frame, target, interpolation=cv2.INTER_AREA)
                else:  # an odd side only: crop the last row or column
                    frame = frame[: target[1], : target[0]]
            yield np.ascontiguousarray(frame)
            count += 1
    finally:
        reader.close()


def read_frames(
    path: str | os.PathLike, max_frames: int | None = None, max_width: int | None = None
) -> Iterator[np.ndarray]:
    """Stream the frames of a video file.

    Args:
        path: a video file readable by ffmpeg.
        max_frames: stop after this many frames (``None``: all).
        max_width: downscale (area interpolation) so that the width is at most this; sides are
            made even (see ``output_size``).

    Yields:
        float32 (H, W, 3) RGB frames in [0, 1], one at a time.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a readable video, or ``max_frames`` < 1.
    """
    path = _check_input_file(path)
    _check_max_frames(max_frames)
    probe_video(path, count_frames=False)
    for frame in _read_uint8(path, max_frames, max_width):
        yield frame.astype(np.float32) / 255.0


def _check_max_frames(max_frames: int | None) -> None:
    if max_frames is not None and (not isinstance(max_frames, int | np.integer) or max_frames < 1):
        raise ValueError(f"Invalid max_frames: expected an integer >= 1. Received: {max_frames!r}")


def _to_uint8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    return np.clip(np.rint(np.asarray(frame, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def _checked_frame(frame: np.ndarray, index: int) -> np.ndarray:
    """Validate one (H, W, 3) frame (uint8, or float in [0, 1]) and return it as uint8."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[-1] != 3:
        raise ValueError(
            f"Invalid frame shape: expected (H, W, 3). Received: frame {index} shape={frame.shape}"
        )
    if frame.dtype == np.uint8:
        return frame
    if not np.issubdtype(frame.dtype, np.floating):
        raise TypeError(
            f"Invalid frame dtype: expected uint8 or float in [0, 1]. Received: {frame.dtype}"
        )
    low, high = float(frame.min()), float(frame.max())
    if not (low >= -1e-4 and high <= 1 + 1e-4):  # also rejects NaN
        raise ValueError(
            f"Frame {index} is outside [0, 1]. Received: range=[{low:.4g}, {high:.4g}]"
        )
    return _to_uint8(frame)


def _check_output_path(output: str | os.PathLike, inputs: Sequence[str] = ()) -> str:
    if not isinstance(output, str | os.PathLike):
        raise TypeError(f"Invalid output path type: expected str or PathLike. Received: {output!r}")
    output = os.fspath(output)
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Output folder not found: {folder!r} (for {output!r})")
    if not os.path.splitext(output)[1]:
        raise ValueError(
            f"Invalid output path: expected a file extension (.mp4). Received: {output!r}"
        )
    for source in inputs:
        if source is None:
            continue
        if os.path.realpath(output) == os.path.realpath(source) or (
            os.path.exists(output) and os.path.samefile(output, source)
        ):
            raise ValueError(f"Refusing to overwrite the input video: output={output!r}")
    return output


def _temporary_path(output: str, tag: str) -> str:
    folder = os.path.dirname(os.path.abspath(output))
    stem, extension = os.path.splitext(os.path.basename(output))
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}.{tag}.", suffix=extension, dir=folder)
    os.close(handle)
    return temporary


def mux_audio(video_path: str, audio_source: str, output: str) -> bool:
    """Copy the audio of ``audio_source`` into ``video_path``, written to ``output``.

    Runs ``ffmpeg -i video -i source -map 0:v -map 1:a? -c copy -shortest output``; if the
    container refuses the audio codec, retries with AAC audio. ``output`` is overwritten.

    Args:
        video_path: a video file (its video stream is copied).
        audio_source: a file whose audio streams, if any, are copied.
        output: the file to write (must differ from both inputs).

    Returns:
        Whether ``audio_source`` had audio (and the output now has it).

    Raises:
        ValueError: ffmpeg failed on both attempts.
    """
    if not probe_video(audio_source, count_frames=False).has_audio:
        return False
    base = [_ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-i", video_path, "-i", audio_source]
    base += ["-map", "0:v", "-map", "1:a?"]
    attempts = [["-c", "copy"], ["-c:v", "copy", "-c:a", "aac"]]
    stderr = ""
    for codec_args in attempts:
        completed = subprocess.run(
            base + codec_args + ["-shortest", output], capture_output=True, check=False
        )
        if completed.returncode == 0:
            return True
        stderr = completed.stderr.decode("utf-8", errors="replace")
    raise ValueError(f"Cannot carry the audio of {audio_source!r} into {output!r}: {stderr[-400:]}")


def write_video(
    output: str | os.PathLike,
    frames: Iterable[np.ndarray],
    fps: float,
    audio_source: str | os.PathLike | None = None,
    quality: float = 8.0,
) -> int:
    """Write frames to a video file atomically, optionally with another file's audio.

    Frames are encoded with ffmpeg (``libx264``, yuv420p for ``.mp4/.mov/.mkv/.avi``; the
    container's default codec otherwise) into a temporary file in the output's folder, which
    replaces ``output`` only once complete. On any error the temporary files are removed.

    Args:
        output: destination path with a video extension; its folder must exist.
        frames: iterable of (H, W, 3) RGB frames, float32 in [0, 1] or uint8, all the same even
            size; consumed lazily.
        fps: frames per second (> 0).
        audio_source: a file whose audio track, if any, is copied into the output.
        quality: imageio's quality from 0 (worst) to 10 (best).

    Returns:
        The number of frames written.

    Raises:
        FileNotFoundError: the output folder (or ``audio_source``) does not exist.
        ValueError: bad fps, no frames, frames of odd or changing size, or
            ``output`` is ``audio_source``.
    """
    if audio_source is not None:
        audio_source = _check_input_file(audio_source)
    output = _check_output_path(output, [audio_source] if audio_source else [])
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"Invalid fps: expected a positive number. Received: fps={fps!r}")
    extension = os.path.splitext(output)[1].lower()
    codec = "libx264" if extension in (".mp4", ".mov", ".mkv", ".avi", ".m4v") else None
    temporary = _temporary_path(output, "video")
    muxed = None
    count = 0
    try:
        writer = imageio.get_writer(
            temporary,
            format="FFMPEG",
            fps=float(fps),
            codec=codec,
            quality=quality,
            pixelformat="yuv420p",
            macro_block_size=1,
            ffmpeg_log_level="error",
        )
        try:
            shape = None
            for frame in frames:
                frame = np.asarray(frame)
                if frame.ndim != 3 or frame.shape[-1] != 3:
                    raise ValueError(
                        "Invalid frame shape: expected (H, W, 3). "
                        f"Received: frame.shape={frame.shape}"
                    )
                if shape is None:
                    shape = frame.shape
                    if shape[0] % 2 or shape[1] % 2:
                        raise ValueError(
                            "Invalid frame size: expected even height and width (yuv420p). "
                            f"Received: frame.shape={shape}"
                        )
                elif frame.shape != shape:
                    raise ValueError(
                        f"Frame {count} changed size: expected {shape}. Received: {frame.shape}"
                    )
                writer.append_data(_to_uint8(frame))
                count += 1
        finally:
            writer.close()
        if count == 0:
            raise ValueError(f"No frames to write to {output!r}")
        final = temporary
        if audio_source is not None:
            muxed = _temporary_path(output, "audio")
            if mux_audio(temporary, audio_source, muxed):
                final = muxed
        os.replace(final, output)
    finally:
        for leftover in (temporary, muxed):
            if leftover is not None and os.path.exists(leftover):
                os.remove(leftover)
    return count


# --------------------------------------------------------------------------------------------
# Scene cuts
# --------------------------------------------------------------------------------------------


def _gray_uint8(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim == 2:
        return _to_uint8(frame)
    if frame.ndim != 3 or frame.shape[-1] != 3:
        raise ValueError(
            "Invalid frame shape: expected (H, W, 3) or (H, W). "
            f"Received: frame.shape={frame.shape}"
        )
    return cv2.cvtColor(_to_uint8(frame), cv2.COLOR_RGB2GRAY)


def luminance_histogram(frame: np.ndarray, bins: int = 32) -> np.ndarray:
    """Normalised histogram of a frame's luminance (Rec. 601 gray).

    Args:
        frame: (H, W, 3) RGB or (H, W) gray, float32 in [0, 1] or uint8.
        bins: number of equal bins over [0, 256) gray levels.

    Returns:
        float64 (bins,), sums to 1.

    Example:
        >>> luminance_histogram(np.zeros((4, 4, 3), np.float32), bins=4).tolist()
        [1.0, 0.0, 0.0, 0.0]
    """
    gray = _gray_uint8(frame)
    histogram = cv2.calcHist([gray], [0], None, [bins], [0, 256]).ravel().astype(np.float64)
    return histogram / histogram.sum()


class SceneCutDetector:
    """Streaming scene-cut detector on luminance histograms.

    The distance between consecutive frames is the total variation ``0.5 * sum |h_t - h_{t-1}|``
    of their normalised luminance histograms (0: same histogram, 1: disjoint). A frame starts a
    new scene when the distance exceeds ``threshold`` and at least ``min_scene_length`` frames
    have passed since the previous cut. On OpenCV's sample footage the distance within a shot
    stays below 0.09 (32 bins), and a cut between the two clips measures 0.44.

    Args:
        threshold: total-variation distance in (0, 1].
        bins: histogram bins.
        min_scene_length: frames after a cut during which no new cut is reported.

    Example:
        >>> detector = SceneCutDetector(threshold=0.5)
        >>> dark, bright = np.zeros((8, 8, 3)), np.ones((8, 8, 3))
        >>> [detector.update(frame) for frame in (dark, dark, bright, bright)]
        [False, False, True, False]
    """

    def __init__(
        self, threshold: float = DEFAULT_CUT_THRESHOLD, bins: int = 32, min_scene_length: int = 1
    ) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"Invalid threshold: expected in (0, 1]. Received: {threshold!r}")
        if bins < 2:
            raise ValueError(f"Invalid bins: expected >= 2. Received: bins={bins!r}")
        if min_scene_length < 1:
            raise ValueError(
                f"Invalid min_scene_length: expected >= 1. Received: {min_scene_length}"
            )
        self.threshold = float(threshold)
        self.bins = int(bins)
        self.min_scene_length = int(min_scene_length)
        self.reset()

    def reset(self) -> None:
        """Forget the previous frame."""
        self._previous: np.ndarray | None = None
        self._since_cut = 0
        self.distances: list[float] = []

    def update_histogram(self, histogram: np.ndarray) -> bool:
        """Feed the next frame's normalised histogram; return whether it starts a new scene."""
        histogram = np.asarray(histogram, dtype=np.float64)
        cut = False
        if self._previous is not None:
            if histogram.shape != self._previous.shape:
                raise ValueError(
                    f"Histogram shape changed: expected {self._previous.shape}. "
                    f"Received: {histogram.shape}"
                )
            distance = 0.5 * float(np.abs(histogram - self._previous).sum())
            self.distances.append(distance)
            self._since_cut += 1
            if distance > self.threshold and self._since_cut >= self.min_scene_length:
                cut = True
                self._since_cut = 0
        self._previous = histogram
        return cut

    def update(self, frame: np.ndarray) -> bool:
        """Feed the next frame ((H, W, 3) or (H, W)); return whether it starts a new scene."""
        return self.update_histogram(luminance_histogram(frame, self.bins))


def detect_scene_cuts(
    frames: Iterable[np.ndarray] | None = None,
    *,
    histograms: np.ndarray | Iterable[np.ndarray] | None = None,
    threshold: float = DEFAULT_CUT_THRESHOLD,
    bins: int = 32,
    min_scene_length: int = 1,
) -> list[int]:
    """Indices of the frames that start a new scene (histogram difference; see SceneCutDetector).

    Args:
        frames: iterable of (H, W, 3) RGB or (H, W) gray frames (float32 in [0, 1] or uint8),
            consumed lazily. Give either ``frames`` or ``histograms``.
        histograms: (N, bins) normalised luminance histograms (see ``luminance_histogram``).
        threshold: total-variation distance in (0, 1] above which a frame starts a scene.
        bins: histogram bins used for ``frames``.
        min_scene_length: frames after a cut during which no new cut is reported.

    Returns:
        Sorted frame indices (the first frame, index 0, is never reported).

    Example:
        >>> histograms = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
        >>> detect_scene_cuts(histograms=histograms, threshold=0.5)
        [2]
    """
    if (frames is None) == (histograms is None):
        raise ValueError("Expected exactly one of frames or histograms. Received both or neither")
    detector = SceneCutDetector(threshold, bins, min_scene_length)
    if histograms is not None:
        return [i for i, h in enumerate(histograms) if detector.update_histogram(h)]
    return [i for i, frame in enumerate(frames) if detector.update(frame)]


# --------------------------------------------------------------------------------------------
# Optical flow
# --------------------------------------------------------------------------------------------


def _flow_gray(gray: np.ndarray, flow_width: int | None) -> tuple[np.ndarray, float]:
    """Downscale a uint8 gray frame for flow; return it and the scale (full / small)."""
    height, width = gray.shape
    if flow_width is None or width <= flow_width:
        return gray, 1.0
    small_height = max(8, int(round(height * flow_width / width)))
    small = cv2.resize(gray, (flow_width, small_height), interpolation=cv2.INTER_AREA)
    return small, width / flow_width


def optical_flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Dense Farneback optical flow from ``source`` to ``target`` (same-size gray frames).

    Args:
        source: (H, W) gray uint8, or float in [0, 1].
        target: (H, W) gray, same size and type.

    Returns:
        float32 (H, W, 2): ``(dx, dy)`` in pixels such that ``source[y, x]`` moves to
        ``target[y + dy, x + dx]``.

    Example:
        >>> optical_flow(np.zeros((16, 16)), np.zeros((16, 16))).shape
        (16, 16, 2)
    """
    source, target = _gray_uint8(source), _gray_uint8(target)
    if source.shape != target.shape:
        raise ValueError(
            f"Frames differ in size: source.shape={source.shape}, target.shape={target.shape}"
        )
    return cv2.calcOpticalFlowFarneback(source, target, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Backward-warp ``image`` with ``flow``: ``out[y, x] = image[y + dy, x + dx]`` (bilinear).

    Args:
        image: (H, W) or (H, W, C) float32.
        flow: float32 (H, W, 2) in pixels, e.g. ``optical_flow(target, source)`` to bring the
            source frame onto the target frame.

    Returns:
        float32 array shaped like ``image`` (borders replicated).

    Example:
        >>> image = np.arange(9, dtype=np.float32).reshape(3, 3)
        >>> warp(image, np.zeros((3, 3, 2), np.float32)).tolist() == image.tolist()
        True
    """
    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    map_x = grid_x + flow[..., 0]
    map_y = grid_y + flow[..., 1]
    return cv2.remap(
        np.asarray(image, dtype=np.float32),
        map_x,
        map_y,
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )


def flow_consistency(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Forward-backward flow consistency error (Sundaram et al. 2010), relative to its tolerance.

    For a pixel ``x`` of frame ``t`` with ``backward = flow(t -> t-1)`` and
    ``forward = flow(t-1 -> t)``, the round trip ``b(x) + f(x + b(x))`` is near zero where the
    pixel is visible in both frames. Returns ``|b + f_w|^2 / (0.01 (|b|^2 + |f_w|^2) + 0.5)``:
    values above 1 mark occluded (or badly matched) pixels.

    Args:
        backward: float32 (H, W, 2) flow from frame t to frame t-1.
        forward: float32 (H, W, 2) flow from frame t-1 to frame t.

    Returns:
        float32 (H, W), >= 0.

    Example:
        >>> zero = np.zeros((4, 4, 2), np.float32)
        >>> float(flow_consistency(zero, zero).max())
        0.0
    """
    forward_warped = warp(forward, backward)
    error = np.square(backward + forward_warped).sum(-1)
    tolerance = 0.01 * (np.square(backward).sum(-1) + np.square(forward_warped).sum(-1)) + 0.5
    return (error / tolerance).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def color_histograms(frame: np.ndarray) -> np.ndarray:
    """Per-channel 256-bin color histograms of one frame, each normalised to sum to 1.

    The frame is quantised to uint8 (``round(x * 255)``) first, as when it is saved.

    Args:
        frame: (H, W, 3) RGB, float32 in [0, 1] or uint8.

    Returns:
        float64 (3, 256): rows R, G, B.

    Example:
        >>> color_histograms(np.ones((2, 2, 3), np.float32))[:, 255].tolist()
        [1.0, 1.0, 1.0]
    """
    frame = _to_uint8(np.asarray(frame))
    if frame.ndim != 3 or frame.shape[-1] != 3:
        raise ValueError(f"Invalid frame shape: expected (H, W, 3). Received: {frame.shape}")
    histograms = np.stack(
        [cv2.calcHist([frame], [channel], None, [256], [0, 256]).ravel() for channel in range(3)]
    ).astype(np.float64)
    return histograms / (frame.shape[0] * frame.shape[1])


def js_divergence(p: np.ndarray, q: np.ndarray) -> float | np.ndarray:
    """Jensen-Shannon divergence (natural log) between distributions along the last axis.

    ``JS(p, q) = 0.5 KL(p || m) + 0.5 KL(q || m)`` with ``m = (p + q) / 2`` and
    ``KL(p || m) = sum_i p_i ln(p_i / m_i)`` (terms with ``p_i = 0`` are 0). Inputs are
    normalised to sum to 1 first (as ``scipy.stats.entropy`` does). Range [0, ln 2].

    Args:
        p: (..., K) non-negative weights, not all zero.
        q: (..., K) non-negative weights, same shape.

    Returns:
        float for 1-D inputs, else float64 array of shape ``p.shape[:-1]``.

    Example:
        >>> round(js_divergence([1, 0], [0, 1]), 6)  # ln 2
        0.693147
        >>> round(js_divergence([1, 0], [0.5, 0.5]), 6)
        0.215762
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or p.ndim == 0:
        raise ValueError(f"Invalid shapes: expected equal (..., K). Received: {p.shape}, {q.shape}")
    if (p < 0).any() or (q < 0).any():
        raise ValueError("Invalid distributions: expected non-negative weights")
    p_sum, q_sum = p.sum(-1, keepdims=True), q.sum(-1, keepdims=True)
    if (p_sum == 0).any() or (q_sum == 0).any():
        raise ValueError("Invalid distributions: expected weights that do not all vanish")
    p, q = p / p_sum, q / q_sum
    m = 0.5 * (p + q)

    def kl(x: np.ndarray) -> np.ndarray:
        safe = np.where(x > 0, x, 1.0)
        return np.where(x > 0, x * np.log(safe / np.where(m > 0, m, 1.0)), 0.0).sum(-1)

    result = 0.5 * kl(p) + 0.5 * kl(q)
    return float(result) if result.ndim == 0 else result


def _histogram_stack(frames_or_histograms) -> np.ndarray:
    if isinstance(frames_or_histograms, np.ndarray) and frames_or_histograms.ndim == 3:
        if frames_or_histograms.shape[1:] == (3, 256):
            return frames_or_histograms.astype(np.float64)
    histograms = [color_histograms(frame) for frame in frames_or_histograms]
    if not histograms:
        return np.zeros((0, 3, 256))
    return np.stack(histograms)


def color_distribution_consistency(
    frames: Iterable[np.ndarray] | np.ndarray, gaps: Sequence[int] = CDC_GAPS
) -> float:
    """Color Distribution Consistency (CDC) of NTIRE 2023 video colorization; lower is steadier.

    With ``h_c(t)`` the 256-bin histogram of channel ``c`` (R, G, B) of frame ``t`` normalised
    by the pixel count, ``N`` frames and ``G`` the gaps (1, 2, 4):

        CDC = 1/3 sum_c  1/|G| sum_{g in G}  1/(N-g) sum_{t=1}^{N-g}  JS(h_c(t), h_c(t+g))

    with ``JS`` the natural-log Jensen-Shannon divergence (``js_divergence``), as in the
    challenge's evaluation script (equal weights 1/3 for the gaps). Range [0, ln 2]; identical
    frames give 0. A single shot is assumed: split the video at scene cuts before measuring.

    Args:
        frames: iterable of (H, W, 3) RGB frames (float32 in [0, 1] or uint8; floats are
            quantised to uint8), or a precomputed (N, 3, 256) stack of ``color_histograms``.
        gaps: frame gaps; at least ``max(gaps) + 1`` frames are needed.

    Returns:
        The CDC, a float.

    Example:
        >>> frames = np.zeros((5, 4, 4, 3), np.float32)
        >>> color_distribution_consistency(frames)
        0.0
        >>> frames[1::2] = 1.0  # alternate black and white: JS = ln 2 on odd gaps only
        >>> round(color_distribution_consistency(frames), 6)  # ln 2 / 3
        0.231049
    """
    gaps = tuple(int(gap) for gap in gaps)
    if not gaps or min(gaps) < 1:
        raise ValueError(f"Invalid gaps: expected positive integers. Received: gaps={gaps}")
    histograms = _histogram_stack(frames)
    if len(histograms) < max(gaps) + 1:
        raise ValueError(
            f"Too few frames for CDC: expected at least {max(gaps) + 1}. "
            f"Received: {len(histograms)} frames"
        )
    per_gap = [js_divergence(histograms[:-gap], histograms[gap:]).mean() for gap in gaps]
    return float(np.mean(per_gap))


def _frame_lab(frame: np.ndarray) -> np.ndarray:
    rgb = np.asarray(frame, dtype=np.float32)
    if np.asarray(frame).dtype == np.uint8:
        rgb = rgb / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)


def flow_warping_error(
    frames: Iterable[np.ndarray],
    reference: Iterable[np.ndarray] | None = None,
    space: str = "ab",
    flow_width: int | None = None,
) -> float:
    """Mean flow-warping error between consecutive frames over non-occluded pixels.

    For each ``t``, the flow ``t+1 -> t`` and ``t -> t+1`` is computed on the luminance of the
    *reference* frames (the original video; ``frames`` themselves when ``None``), frame ``t`` is
    warped onto ``t+1``, and the absolute difference is averaged over the pixels that pass the
    forward-backward check (``flow_consistency <= 1``) and over the channels:
    ``ab`` (Lab units, chroma only) or ``rgb`` (in [0, 1]). Returns the mean over all pairs.

    Args:
        frames: iterable of (H, W, 3) RGB frames, float32 in [0, 1] or uint8.
        reference: iterable of frames of the same size whose luminance gives the motion.
        space: ``"ab"`` or ``"rgb"``.
        flow_width: compute the flow at this width (then upsample) for speed; ``None``: full.

    Returns:
        The warping error, a float (0 for a still video).

    Example:
        >>> flow_warping_error(np.full((3, 8, 8, 3), 0.5, np.float32))
        0.0
    """
    if space not in ("ab", "rgb"):
        raise ValueError(f"Invalid space: expected 'ab' or 'rgb'. Received: space={space!r}")
    frames_iter = iter(frames)
    reference_iter = iter(reference) if reference is not None else None
    errors = []
    previous_values = previous_gray = None
    count = 0
    for index, frame in enumerate(frames_iter):
        count += 1
        frame = np.asarray(frame)
        guide = frame
        if reference_iter is not None:
            guide = next(reference_iter, None)
            if guide is None:
                raise ValueError(f"reference has fewer frames than frames ({index})")
            if np.shape(guide)[:2] != frame.shape[:2]:
                raise ValueError(
                    f"reference frame {index} has size {np.shape(guide)[:2]}, expected "
                    f"{frame.shape[:2]}"
                )
        values = _frame_lab(frame)[..., 1:] if space == "ab" else _frame_rgb(frame)
        gray = _gray_uint8(guide)
        if previous_values is not None:
            backward, confidence = _flow_and_confidence(gray, previous_gray, flow_width)
            visible = confidence <= 1.0
            if visible.any():
                warped = warp(previous_values, backward)
                errors.append(float(np.abs(warped - values).mean(-1)[visible].mean()))
        previous_values, previous_gray = values, gray
    if count < 2:
        raise ValueError(
            f"Too few frames for a warping error: expected at least 2. Received: {count}"
        )
    return float(np.mean(errors)) if errors else 0.0


def _frame_rgb(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    return frame.astype(np.float32) / 255.0 if frame.dtype == np.uint8 else frame.astype(np.float32)


def _flow_and_confidence(
    gray: np.ndarray, previous_gray: np.ndarray, flow_width: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution backward flow (t -> t-1) and forward-backward error (<= 1: visible)."""
    small, scale = _flow_gray(gray, flow_width)
    small_previous, _ = _flow_gray(previous_gray, flow_width)
    backward = optical_flow(small, small_previous)
    forward = optical_flow(small_previous, small)
    consistency = flow_consistency(backward, forward)
    if scale != 1.0:
        size = (gray.shape[1], gray.shape[0])
        backward = cv2.resize(backward, size, interpolation=cv2.INTER_LINEAR) * scale
        consistency = cv2.resize(consistency, size, interpolation=cv2.INTER_LINEAR)
    return backward, consistency


# --------------------------------------------------------------------------------------------
# Colorizers
# --------------------------------------------------------------------------------------------


def make_flickering_colorizer(amplitude: float = 10.0, seed: int = 0) -> Colorizer:
    """A deterministic, model-free colorizer that flickers like an unstable model.

    Chroma is a smooth function of the luminance (``a = 20 sin(2 pi L / 60)``,
    ``b = 20 cos(2 pi L / 60) + 10``, Lab units) plus, for every frame, a random global offset
    of standard deviation ``amplitude`` on a and b and a weaker 8x8 blocky noise. The random
    stream advances once per frame, so a fresh colorizer gives the same output for the same
    call sequence. Use it to test or teach temporal methods without a trained model.

    Args:
        amplitude: standard deviation of the per-frame offset, Lab units (>= 0).
        seed: seed of the random stream.

    Returns:
        A callable ``frames (N, H, W, 3) float32 in [0, 1] -> ab (N, H, W, 2) float32``.

    Example:
        >>> colorizer = make_flickering_colorizer(seed=0)
        >>> ab = colorizer(np.full((2, 8, 8, 3), 0.5, np.float32))
        >>> ab.shape, ab.dtype, bool(np.abs(ab[0] - ab[1]).max() > 0)
        ((2, 8, 8, 2), dtype('float32'), True)
    """
    if amplitude < 0:
        raise ValueError(f"Invalid amplitude: expected >= 0. Received: amplitude={amplitude!r}")
    rng = np.random.default_rng(seed)

    def colorizer(frames: np.ndarray) -> np.ndarray:
        frames = _validate_batch(frames)
        outputs = []
        for frame in frames:
            lightness = cv2.cvtColor(frame, cv2.COLOR_RGB2Lab)[..., 0]
            phase = 2 * np.pi * lightness / 60.0
            ab = np.stack([20 * np.sin(phase), 20 * np.cos(phase) + 10], axis=-1)
            offset = rng.normal(0.0, amplitude, size=2)
            blocks = rng.normal(0.0, amplitude / 3, size=(8, 8, 2)).astype(np.float32)
            height, width = frame.shape[:2]
            noise = cv2.resize(blocks, (width, height), interpolation=cv2.INTER_LINEAR)
            outputs.append((ab + offset + noise).astype(np.float32))
        return np.stack(outputs)

    return colorizer


def _validate_batch(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(
            f"Invalid frame batch: expected (N, H, W, 3). Received: frames.shape={frames.shape}"
        )
    return frames.astype(np.float32, copy=False)


class ModelColorizer:
    """A colorization model as a video colorizer, through the ``colorkit.infer`` stages.

    ``TemporalColorizer`` asks it for model-scale chroma (:meth:`chroma`), blends that chroma
    over time and composes each frame once (``colorkit.infer.compose``). Called on frames it
    returns RGB like ``colorkit.infer.colorize`` (for use as a plain colorizer callable).

    Args:
        model: A colorkit ``keras.Model``, or a name or path for ``colorkit.infer.load_model``.
        size: Working size (None: the model's recommendation, see ``colorkit.infer``).
        temperature: Annealed-mean temperature (None: the model's recommendation).
        saturation: Chroma multiplier (None: the model's recommendation, else 1).

    Raises:
        TypeError: If ``model`` is neither a ``keras.Model`` nor a name or path.
        ValueError: If the model carries no ``ModelSpec``.
    """

    def __init__(self, model, size=None, temperature=None, saturation=None):
        if isinstance(model, str | os.PathLike):
            model = infer.load_model(os.fspath(model))
        if not isinstance(model, keras.Model):
            raise TypeError(
                "Invalid model: expected a keras.Model, a model name or a path. "
                f"Received: {type(model).__name__}"
            )
        self.model = model
        self.spec = models.model_spec(model)
        settings = infer.recommended_settings(model)
        self.size = settings.get("size", infer.DEFAULT_SIZE) if size is None else size
        self.temperature = settings.get("temperature", infer.DEFAULT_TEMPERATURE)
        if temperature is not None:
            self.temperature = _checks.check_temperature(temperature)
        self.saturation = settings.get("saturation", 1.0) if saturation is None else saturation
        self.saturation = _checks.check_saturation(self.saturation)
        self.clipped_frames = 0

    @property
    def space(self) -> str:
        """The model's color space, "lab" or "yuv"."""
        return self.spec.space

    def chroma(self, lightness: np.ndarray) -> np.ndarray:
        """Model-scale chroma ``(N, H, W, 2)`` for model-scale lightness ``(N, H, W, 1)``."""
        return np.stack(infer.full_chroma(self.model, list(lightness), self.size, self.temperature))

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        frames = _validate_batch(frames)
        lightness = infer.luminance(frames, self.space)
        chroma = self.chroma(lightness)
        composed = [
            infer.compose(luma, item, self.space, self.saturation)
            for luma, item in zip(lightness, chroma, strict=True)
        ]
        self.clipped_frames += sum(1 for item in composed if item.clipped_pixels)
        return np.stack([item.rgb for item in composed])


def model_colorizer(
    model,
    size: int | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
) -> ModelColorizer:
    """A ``ModelColorizer`` for ``model`` (see its docstring; the arguments are the same)."""
    return ModelColorizer(model, size, temperature, saturation)


# --------------------------------------------------------------------------------------------
# Temporal colorization of a frame stream
# --------------------------------------------------------------------------------------------


class TemporalColorizer:
    """Colorize a stream of frames with one of ``METHODS``, keeping each frame's luminance.

    Args:
        colorizer: ``frames (N, H, W, 3) float32 -> ab (N, h, w, 2)`` in Lab units or
            ``RGB (N, h, w, 3)`` in [0, 1]; resized (bilinear) to the frame size when needed.
        method: ``"frame"``, ``"smooth"`` or ``"flow"``.
        temporal_weight: in [0, 1). ``smooth``: EMA weight of the previous output chroma;
            ``flow``: weight of the propagated chroma where the flow is fully trusted. None
            (default): ``DEFAULT_FLOW_WEIGHT`` for flow, ``DEFAULT_TEMPORAL_WEIGHT`` otherwise.
        cut_threshold: scene-cut threshold (``SceneCutDetector``); the temporal state resets
            at a cut. ``None`` disables detection.
        flow_width: width at which the flow is computed (then upsampled), for speed.
        batch_size: frames per colorizer call.
        saturation: multiplier applied to the chroma (1.0: unchanged).

    Attributes (after ``process``): ``num_frames``, ``scene_cuts`` (indices starting a new
    scene, 0 excluded), ``clipped_pixels`` and ``clipped_frames`` (gamut clipping, counted by
    ``colorkit.infer.compose``),
    ``seconds`` (wall time inside ``process``), ``histograms`` and ``reference_histograms``
    (``color_histograms`` of every output and input frame, when ``measure``).
    """

    def __init__(
        self,
        colorizer: Colorizer,
        method: str = "frame",
        temporal_weight: float | None = None,
        cut_threshold: float | None = DEFAULT_CUT_THRESHOLD,
        flow_width: int | None = DEFAULT_FLOW_WIDTH,
        batch_size: int = 4,
        saturation: float | None = None,
        measure: bool = True,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"Unknown method: expected one of {METHODS}. Received: {method!r}")
        if not callable(colorizer):
            raise TypeError(f"Invalid colorizer: expected a callable. Received: {colorizer!r}")
        if temporal_weight is None:
            temporal_weight = DEFAULT_FLOW_WEIGHT if method == "flow" else DEFAULT_TEMPORAL_WEIGHT
        if not 0 <= temporal_weight < 1:
            raise ValueError(
                f"Invalid temporal_weight: expected [0, 1). Received: {temporal_weight}"
            )
        if batch_size < 1:
            raise ValueError(f"Invalid batch_size: expected >= 1. Received: {batch_size}")
        if saturation is None:
            saturation = colorizer.saturation if isinstance(colorizer, ModelColorizer) else 1.0
        saturation = _checks.check_saturation(saturation)
        self.colorizer = colorizer
        self.space = colorizer.space if isinstance(colorizer, ModelColorizer) else "lab"
        self.method = method
        self.temporal_weight = float(temporal_weight)
        self.cut_threshold = cut_threshold
        self.flow_width = flow_width
        self.batch_size = int(batch_size)
        self.saturation = float(saturation)
        self.measure = measure
        self._reset_stats()

    def _reset_stats(self) -> None:
        self.num_frames = 0
        self.scene_cuts: list[int] = []
        self.clipped_pixels = 0
        self.clipped_frames = 0
        self.seconds = 0.0
        self.histograms: list[np.ndarray] = []
        self.reference_histograms: list[np.ndarray] = []

    def _predict(self, frames: np.ndarray, lightness: np.ndarray) -> np.ndarray:
        """Model-scale chroma ``(N, H, W, 2)`` in ``self.space`` for float32 frames."""
        if isinstance(self.colorizer, ModelColorizer):
            return self.colorizer.chroma(lightness)
        prediction = np.asarray(self.colorizer(frames))
        if (
            prediction.ndim != 4
            or prediction.shape[0] != len(frames)
            or prediction.shape[-1] not in (2, 3)
        ):
            raise ValueError(
                f"Invalid colorizer output: expected (N, h, w, 2) ab or (N, h, w, 3) RGB with "
                f"N={len(frames)}. Received: shape={prediction.shape}"
            )
        prediction = prediction.astype(np.float32, copy=False)
        height, width = frames.shape[1:3]
        chroma = []
        for item in prediction:
            if item.shape[-1] == 3:
                item = cv2.cvtColor(np.clip(item, 0.0, 1.0), cv2.COLOR_RGB2Lab)[..., 1:]
            if item.shape[:2] != (height, width):
                item = cv2.resize(item, (width, height), interpolation=cv2.INTER_LINEAR)
            chroma.append(item / np.float32(color.AB_SCALE))
        return np.stack(chroma)

    def process(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Colorize ``frames`` lazily.

        Args:
            frames: iterable of (H, W, 3) RGB frames (float32 in [0, 1] or uint8), all the same
                size; color or gray (only their luminance is used).

        Yields:
            uint8 (H, W, 3) RGB output frames, in order.
        """
        self._reset_stats()
        detector = SceneCutDetector(self.cut_threshold) if self.cut_threshold else None
        state: dict = {}
        batch: list[np.ndarray] = []
        iterator = iter(frames)
        start = time.perf_counter()
        exhausted = False
        shape = None
        while not exhausted:
            batch.clear()
            for frame in iterator:
                frame = _checked_frame(frame, self.num_frames + len(batch))
                if shape is None:
                    shape = frame.shape
                elif frame.shape != shape:
                    raise ValueError(
                        f"Frame {self.num_frames + len(batch)} changed size: expected {shape}. "
                        f"Received: {frame.shape}"
                    )
                batch.append(frame)
                if len(batch) == self.batch_size:
                    break
            else:
                exhausted = True
            if not batch:
                break
            frames_float = np.stack(batch).astype(np.float32) / np.float32(255.0)
            lightness = infer.luminance(frames_float, self.space)
            predictions = self._predict(frames_float, lightness)
            for frame, luma, predicted in zip(batch, lightness, predictions, strict=True):
                index = self.num_frames
                gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
                cut = detector.update(gray) if detector is not None else False
                if cut:
                    self.scene_cuts.append(index)
                chroma = self._temporal(state, predicted, gray, reset=cut or index == 0)
                composed = infer.compose(luma, chroma, self.space, self.saturation)
                self.clipped_pixels += composed.clipped_pixels
                self.clipped_frames += bool(composed.clipped_pixels)
                output = _to_uint8(composed.rgb)
                if self.measure:
                    self.histograms.append(color_histograms(output))
                    self.reference_histograms.append(color_histograms(frame))
                self.num_frames += 1
                self.seconds = time.perf_counter() - start
                yield output
                start = time.perf_counter() - self.seconds  # do not count the consumer's time

    def _temporal(self, state: dict, ab: np.ndarray, gray: np.ndarray, reset: bool) -> np.ndarray:
        if self.method == "frame":
            return ab
        if reset or "ab" not in state:
            output = ab
        elif self.method == "smooth":
            weight = self.temporal_weight
            output = weight * state["ab"] + (1.0 - weight) * ab
        else:
            output = self._propagate(state, ab, gray)
        state["ab"] = output
        state["gray"] = gray
        return output

    def _propagate(self, state: dict, ab: np.ndarray, gray: np.ndarray) -> np.ndarray:
        """Blend the flow-warped previous output chroma with the new prediction."""
        small, scale = _flow_gray(gray, self.flow_width)
        small_previous, _ = _flow_gray(state["gray"], self.flow_width)
        backward = optical_flow(small, small_previous)
        forward = optical_flow(small_previous, small)
        consistency = flow_consistency(backward, forward)
        warped_gray = warp(small_previous.astype(np.float32), backward)
        luminance_error = np.abs(warped_gray - small.astype(np.float32)) / 255.0 * 100.0
        confidence = np.exp(-consistency) * np.exp(-np.square(luminance_error / 10.0))
        if scale != 1.0:
            size = (gray.shape[1], gray.shape[0])
            backward = cv2.resize(backward, size, interpolation=cv2.INTER_LINEAR) * scale
            confidence = cv2.resize(confidence, size, interpolation=cv2.INTER_LINEAR)
        alpha = (self.temporal_weight * confidence)[..., None]
        propagated = warp(state["ab"], backward)
        return alpha * propagated + (1.0 - alpha) * ab


# --------------------------------------------------------------------------------------------
# Whole files
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class VideoReport:
    """What ``colorize_video`` did.

    Attributes:
        input: source path. output: written path. method: ``"frame"|"smooth"|"flow"``.
        num_frames: frames written. width, height: output frame size.
        fps: frame rate of the output (the source's).
        seconds: wall time of decoding, colorizing and encoding.
        frames_per_second: ``num_frames / seconds`` achieved.
        scene_cuts: indices of frames that start a new scene.
        has_audio: whether the audio track was carried over.
        cdc, reference_cdc: ``color_distribution_consistency`` of the output frames (before
            encoding) and of the input frames (the floor for a color source), over the whole
            video (scene cuts included); ``None`` when not measured or fewer than 5 frames.
        clipped_pixels: pixels whose composed color left the sRGB gamut and was clipped
            (``colorkit.infer.compose``'s count).
        model_clipped_frames: frames with at least one clipped pixel.
    """

    input: str
    output: str
    method: str
    num_frames: int
    width: int
    height: int
    fps: float
    seconds: float
    frames_per_second: float
    scene_cuts: list[int]
    has_audio: bool
    cdc: float | None = None
    reference_cdc: float | None = None
    clipped_pixels: int = 0
    model_clipped_frames: int = 0

    def summary(self) -> str:
        """One line for logs and the command line."""
        text = (
            f"{self.output}: {self.num_frames} frames {self.width}x{self.height} at {self.fps:g} "
            f"fps, method={self.method}, {self.frames_per_second:.2f} frames/s "
            f"({self.seconds:.1f} s), scene cuts {self.scene_cuts or 'none'}, "
            f"audio {'carried' if self.has_audio else 'none'}"
        )
        if self.cdc is not None:
            text += f", CDC {self.cdc:.4f} (input {self.reference_cdc:.4f})"
        return text


def colorize_video(
    path: str | os.PathLike,
    output: str | os.PathLike,
    model_or_colorizer,
    method: str = "frame",
    size: int | None = None,
    temperature: float | None = None,
    saturation: float | None = None,
    max_frames: int | None = None,
    max_width: int | None = None,
    temporal_weight: float | None = None,
    cut_threshold: float | None = DEFAULT_CUT_THRESHOLD,
    flow_width: int | None = DEFAULT_FLOW_WIDTH,
    batch_size: int = 4,
    keep_audio: bool = True,
    progress: bool = True,
    measure: bool = True,
    quality: float = 8.0,
) -> VideoReport:
    """Colorize a video file into a new file, streaming frames, keeping fps and audio.

    Args:
        path: the source video (color or gray; only its luminance is used).
        output: the destination file (e.g. ``.mp4``); written atomically, never ``path`` itself.
        model_or_colorizer: a ``keras.Model``, a model name or path (``colorkit.infer``), or a
            colorizer callable (see the module docstring).
        method: ``"frame"``, ``"smooth"`` or ``"flow"`` (see ``TemporalColorizer``).
        size: model inference size; models only (``colorkit.infer``'s default when ``None``).
        temperature: annealed-mean temperature; models only.
        saturation: chroma multiplier (>= 0; None: the model's recommendation, else 1).
        max_frames: colorize only the first frames.
        max_width: downscale frames to at most this width (e.g. 384) before colorizing.
        temporal_weight: strength of the temporal methods, in [0, 1) (None: the method's
            default, ``DEFAULT_FLOW_WEIGHT`` or ``DEFAULT_TEMPORAL_WEIGHT``).
        cut_threshold: scene-cut threshold in (0, 1]; ``None`` disables cut detection.
        flow_width: width at which ``flow`` computes optical flow.
        batch_size: frames per colorizer call.
        keep_audio: carry the source's audio track (if any) over.
        progress: show a tqdm progress bar on stderr.
        measure: compute the CDC of the output and of the input.
        quality: encoder quality, 0 to 10.

    Returns:
        A ``VideoReport``.

    Raises:
        FileNotFoundError: ``path`` or the output folder does not exist.
        ValueError: unreadable or corrupt video, unknown method, ``output`` is ``path``, or
            ``size``/``temperature`` given with a colorizer callable.
        TypeError: ``model_or_colorizer`` is neither a model, a name or path, nor a callable.
    """
    path = _check_input_file(path)
    output = _check_output_path(output, [path])
    if method not in METHODS:
        raise ValueError(f"Unknown method: expected one of {METHODS}. Received: method={method!r}")
    _check_max_frames(max_frames)
    info = probe_video(path, count_frames=max_frames is None)
    if isinstance(model_or_colorizer, keras.Model | str | os.PathLike):
        colorizer = model_colorizer(model_or_colorizer, size, temperature)
    elif callable(model_or_colorizer):
        if size is not None or temperature is not None:
            raise ValueError(
                "size and temperature apply to models only; a colorizer callable was given. "
                f"Received: size={size!r}, temperature={temperature!r}"
            )
        colorizer = model_or_colorizer
    else:
        raise TypeError(
            "Invalid model_or_colorizer: expected a keras.Model, a model name or path, or a "
            f"callable. Received: {type(model_or_colorizer).__name__}"
        )
    engine = TemporalColorizer(
        colorizer,
        method=method,
        temporal_weight=temporal_weight,
        cut_threshold=cut_threshold,
        flow_width=flow_width,
        batch_size=batch_size,
        saturation=saturation,
        measure=measure,
    )
    width, height = output_size(info.width, info.height, max_width)
    total = info.num_frames
    if max_frames is not None:
        total = min(max_frames, info.num_frames) if info.num_frames else max_frames
    start = time.perf_counter()
    with tqdm(total=total, unit="frame", disable=not progress, desc=f"colorize ({method})") as bar:

        def frames_with_progress() -> Iterator[np.ndarray]:
            for frame in engine.process(_read_uint8(path, max_frames, max_width)):
                yield frame
                bar.update(1)

        written = write_video(
            output,
            frames_with_progress(),
            info.fps,
            audio_source=path if keep_audio and info.has_audio else None,
            quality=quality,
        )
    seconds = time.perf_counter() - start
    cdc = reference_cdc = None
    if measure and written > max(CDC_GAPS):
        cdc = color_distribution_consistency(np.stack(engine.histograms))
        reference_cdc = color_distribution_consistency(np.stack(engine.reference_histograms))
    if engine.clipped_pixels:
        warnings.warn(
            f"Out-of-gamut colors were clipped to sRGB: {engine.clipped_pixels} pixels in "
            f"{engine.clipped_frames} of {written} frames of {output!r}",
            stacklevel=2,
        )
    return VideoReport(
        input=path,
        output=output,
        method=method,
        num_frames=written,
        width=width,
        height=height,
        fps=info.fps,
        seconds=seconds,
        frames_per_second=written / seconds if seconds > 0 else float("inf"),
        scene_cuts=list(engine.scene_cuts),
        has_audio=keep_audio and info.has_audio,
        cdc=cdc,
        reference_cdc=reference_cdc,
        clipped_pixels=engine.clipped_pixels,
        model_clipped_frames=engine.clipped_frames,
    )
