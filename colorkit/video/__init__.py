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

The package by job: :mod:`~colorkit.video.files` (probing, reading and writing frames, audio),
:mod:`~colorkit.video.flow` (optical flow, warping, flow consistency),
:mod:`~colorkit.video.temporal` (colorizers, scene cuts, :class:`TemporalColorizer`),
:mod:`~colorkit.video.consistency` (CDC and flow-warping error) and
:mod:`~colorkit.video.colorizing` (:func:`colorize_video`, :class:`VideoReport`). Every public
name is re-exported here (``colorkit.video.colorize_video`` and so on).
"""

from __future__ import annotations

from colorkit.video.colorizing import (
    VideoReport,
    colorize_video,
)
from colorkit.video.consistency import (
    CDC_GAPS,
    color_distribution_consistency,
    color_histograms,
    flow_warping_error,
    js_divergence,
)
from colorkit.video.files import (
    VideoInfo,
    mux_audio,
    output_size,
    probe_video,
    read_frames,
    write_video,
)
from colorkit.video.flow import (
    DEFAULT_FLOW_WIDTH,
    flow_consistency,
    optical_flow,
    warp,
)
from colorkit.video.temporal import (
    DEFAULT_CUT_THRESHOLD,
    DEFAULT_FLOW_WEIGHT,
    DEFAULT_TEMPORAL_WEIGHT,
    METHODS,
    Colorizer,
    ModelColorizer,
    SceneCutDetector,
    TemporalColorizer,
    detect_scene_cuts,
    luminance_histogram,
    make_flickering_colorizer,
    model_colorizer,
)

__all__ = [
    "CDC_GAPS",
    "Colorizer",
    "DEFAULT_CUT_THRESHOLD",
    "DEFAULT_FLOW_WEIGHT",
    "DEFAULT_FLOW_WIDTH",
    "DEFAULT_TEMPORAL_WEIGHT",
    "METHODS",
    "ModelColorizer",
    "SceneCutDetector",
    "TemporalColorizer",
    "VideoInfo",
    "VideoReport",
    "color_distribution_consistency",
    "color_histograms",
    "colorize_video",
    "detect_scene_cuts",
    "flow_consistency",
    "flow_warping_error",
    "js_divergence",
    "luminance_histogram",
    "make_flickering_colorizer",
    "model_colorizer",
    "mux_audio",
    "optical_flow",
    "output_size",
    "probe_video",
    "read_frames",
    "warp",
    "write_video",
]
