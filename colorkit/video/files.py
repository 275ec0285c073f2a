"""Video files: probing, reading frames as a stream, writing them with ffmpeg, muxing audio.

Frames are ``uint8 (H, W, 3)`` RGB (or float32 in [0, 1] on the way in); the whole video is
never held in memory.
"""

from __future__ import annotations

import dataclasses
import errno
import math
import os
import re
import subprocess
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from colorkit import _optional, atomic, outputs

# The [video] extra: OpenCV (optical flow, resizing) and ffmpeg (reading, writing, audio).
cv2 = _optional.require("cv2", "video", "colorkit.video")
imageio = _optional.require("imageio.v2", "video", "colorkit.video")
imageio_ffmpeg = _optional.require("imageio_ffmpeg", "video", "colorkit.video")

__all__ = [
    "VideoInfo",
    "check_input_file",
    "check_max_frames",
    "check_output_path",
    "checked_frame",
    "ffmpeg_exe",
    "frame_rgb",
    "gray_uint8",
    "mux_audio",
    "output_size",
    "probe_video",
    "read_frames",
    "read_uint8",
    "to_uint8",
    "write_video",
]


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


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def check_input_file(path: str | os.PathLike) -> str:
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
    path = check_input_file(path)
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:v:0"]
    if count_frames:
        command += ["-vf", "scale=16:16", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    else:
        command += ["-frames:v", "0", "-f", "null", "-"]
    completed = subprocess.run(command, capture_output=True, check=False)
    stderr = completed.stderr.decode("utf-8", errors="replace")
    video_line = re.search(r"Stream #0:\d+.*?: Video: (.*)", stderr)
    input_section = stderr.split("Output #0", 1)[0]
    if video_line is None and (
        "matches no streams" in stderr
        or "does not contain any stream" in stderr
        or re.search(r"Stream #0:\d+.*?: Audio:", input_section)
    ):
        raise ValueError(
            f"Cannot read video file {path!r}: no video stream (expected a file with a video "
            "track; this one has none, e.g. audio only)"
        )
    if video_line is None and "End of file" in stderr:
        raise ValueError(
            f"Cannot read video file {path!r}: no video stream (the file ends before any video "
            "frame: empty, 0 frames, or truncated)"
        )
    if completed.returncode != 0 or video_line is None:
        raise ValueError(
            f"Cannot read video file {path!r}: ffmpeg exit {completed.returncode}: "
            f"{_stderr_tail(stderr)}"
        )
    details = video_line.group(1)
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
        raise ValueError(
            f"Cannot read video file {path!r}: no video stream with frames (0 frames decoded)"
        )
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


def read_uint8(path: str, max_frames: int | None, max_width: int | None) -> Iterator[np.ndarray]:
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
    path = check_input_file(path)
    check_max_frames(max_frames)
    probe_video(path, count_frames=False)
    for frame in read_uint8(path, max_frames, max_width):
        yield frame.astype(np.float32) / 255.0


def check_max_frames(max_frames: int | None) -> None:
    if max_frames is not None and (not isinstance(max_frames, int | np.integer) or max_frames < 1):
        raise ValueError(f"Invalid max_frames: expected an integer >= 1. Received: {max_frames!r}")


def to_uint8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    return np.clip(np.rint(np.asarray(frame, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def checked_frame(frame: np.ndarray, index: int) -> np.ndarray:
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
    return to_uint8(frame)


#: Extensions :func:`write_video` accepts (containers ffmpeg writes video into).
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".m4v", ".webm")


def check_output_path(
    output: str | os.PathLike, inputs: Sequence[str] = (), overwrite: bool = True
) -> str:
    if not isinstance(output, str | os.PathLike):
        raise TypeError(f"Invalid output path type: expected str or PathLike. Received: {output!r}")
    output = os.fspath(output)
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Output folder not found: {folder!r} (for {output!r})")
    extension = os.path.splitext(output)[1].lower()
    if extension not in VIDEO_EXTENSIONS:
        raise ValueError(
            f"Invalid output path: expected a video file extension ({', '.join(VIDEO_EXTENSIONS)})"
            f". Received: {output!r}"
        )
    for source in inputs:
        if source is None:
            continue
        if os.path.realpath(output) == os.path.realpath(source) or (
            os.path.exists(output) and os.path.samefile(output, source)
        ):
            raise ValueError(f"Refusing to overwrite the input video: output={output!r}")
    outputs.check_writable_target(output, overwrite=overwrite)
    try:  # a read-only mount, named as such (access() would say only "no")
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), output)
    if not os.access(folder, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), output)
    return output


def _temporary_path(output: str) -> str:
    extension = os.path.splitext(output)[1]
    return os.fspath(atomic.create_temporary(os.path.abspath(output), suffix=extension))


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
    base = [ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-i", video_path, "-i", audio_source]
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
    overwrite: bool = False,
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
        overwrite: replace an existing ``output`` (otherwise ``FileExistsError``).

    Returns:
        The number of frames written.

    Raises:
        FileNotFoundError: the output folder (or ``audio_source``) does not exist.
        ValueError: bad fps, no frames, frames of odd or changing size, not a video extension,
            or ``output`` is ``audio_source``.
        FileExistsError: ``output`` exists and ``overwrite`` is False.
        OSError: the output cannot be written (no partial file is left).
    """
    if audio_source is not None:
        audio_source = check_input_file(audio_source)
    output = check_output_path(output, [audio_source] if audio_source else [], overwrite=overwrite)
    atomic.remove_stale_temporaries(os.path.dirname(os.path.abspath(output)))
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"Invalid fps: expected a positive number. Received: fps={fps!r}")
    extension = os.path.splitext(output)[1].lower()
    codec = "libx264" if extension in (".mp4", ".mov", ".mkv", ".avi", ".m4v") else None
    temporary = _temporary_path(output)
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
                writer.append_data(to_uint8(frame))
                count += 1
        finally:
            writer.close()
        if count == 0:
            raise ValueError(f"No frames to write to {output!r}")
        final = temporary
        if audio_source is not None:
            muxed = _temporary_path(output)
            if mux_audio(temporary, audio_source, muxed):
                final = muxed
        os.chmod(final, atomic.file_mode())  # created 0600
        atomic.publish(final, output, overwrite=overwrite)
    finally:
        for leftover in (temporary, muxed):
            if leftover is not None and os.path.exists(leftover):
                os.remove(leftover)
    return count


def frame_rgb(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    return frame.astype(np.float32) / 255.0 if frame.dtype == np.uint8 else frame.astype(np.float32)


def gray_uint8(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim == 2:
        return to_uint8(frame)
    if frame.ndim != 3 or frame.shape[-1] != 3:
        raise ValueError(
            "Invalid frame shape: expected (H, W, 3) or (H, W). "
            f"Received: frame.shape={frame.shape}"
        )
    return cv2.cvtColor(to_uint8(frame), cv2.COLOR_RGB2GRAY)
