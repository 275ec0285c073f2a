"""``colorize_video``: a video file in, a colorized video file out (reading, temporal
blending, composing, writing, audio), with a :class:`VideoReport`."""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Iterator

import keras
import numpy as np
from tqdm.auto import tqdm

from colorkit.video.consistency import CDC_GAPS, color_distribution_consistency
from colorkit.video.files import (
    check_input_file,
    check_max_frames,
    check_output_path,
    output_size,
    probe_video,
    read_uint8,
    write_video,
)
from colorkit.video.flow import DEFAULT_FLOW_WIDTH
from colorkit.video.temporal import (
    DEFAULT_CUT_THRESHOLD,
    METHODS,
    TemporalColorizer,
    model_colorizer,
)

__all__ = [
    "VideoReport",
    "colorize_video",
]


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
        declared_frames: frames the file's header declares (duration x fps), when more than
            were read (a truncated file); ``None`` otherwise.
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
    declared_frames: int | None = None

    def summary(self) -> str:
        """One line for logs and the command line."""
        text = (
            f"{self.output}: {self.num_frames} frames {self.width}x{self.height} at {self.fps:g} "
            f"fps, method={self.method}, {self.frames_per_second:.2f} frames/s "
            f"({self.seconds:.1f} s), scene cuts {self.scene_cuts or 'none'}, "
            f"audio {'carried' if self.has_audio else 'none'}"
        )
        if self.declared_frames is not None:
            text += (
                f"; warning: read {self.num_frames} of {self.declared_frames} declared frames "
                "(the file may be truncated)"
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
    overwrite: bool = False,
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
        overwrite: replace an existing ``output`` (otherwise ``FileExistsError``, raised
            before any work).

    Returns:
        A ``VideoReport``.

    Raises:
        FileNotFoundError: ``path`` or the output folder does not exist.
        ValueError: unreadable or corrupt video, unknown method, ``output`` is ``path``, or
            ``size``/``temperature`` given with a colorizer callable.
        TypeError: ``model_or_colorizer`` is neither a model, a name or path, nor a callable.
    """
    path = check_input_file(path)
    output = check_output_path(output, [path], overwrite=overwrite)
    if method not in METHODS:
        raise ValueError(f"Unknown method: expected one of {METHODS}. Received: method={method!r}")
    check_max_frames(max_frames)
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
            for frame in engine.process(read_uint8(path, max_frames, max_width)):
                yield frame
                bar.update(1)

        written = write_video(
            output,
            frames_with_progress(),
            info.fps,
            audio_source=path if keep_audio and info.has_audio else None,
            quality=quality,
            overwrite=overwrite,
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
        declared_frames=_declared_if_short(info, written, max_frames),
    )


def _declared_if_short(info, written: int, max_frames: int | None) -> int | None:
    """The header's frame count (duration x fps) when clearly more frames were expected."""
    declared = int(round(info.duration * info.fps))
    if max_frames is not None:
        declared = min(declared, max_frames)
    return declared if declared > written + max(1, declared // 50) else None
