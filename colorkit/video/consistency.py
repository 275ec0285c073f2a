"""Temporal consistency metrics of a colorized video: the Color Distribution Consistency (CDC)
of the NTIRE 2023 video colorization challenge, and a flow-warping error."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from colorkit import _optional
from colorkit.video.files import frame_rgb, gray_uint8, to_uint8
from colorkit.video.flow import flow_and_confidence, warp

# The [video] extra: OpenCV (optical flow, resizing) and ffmpeg (reading, writing, audio).
cv2 = _optional.require("cv2", "video", "colorkit.video")

__all__ = [
    "CDC_GAPS",
    "color_distribution_consistency",
    "color_histograms",
    "flow_warping_error",
    "js_divergence",
]


CDC_GAPS = (1, 2, 4)


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
    frame = to_uint8(np.asarray(frame))
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
        values = _frame_lab(frame)[..., 1:] if space == "ab" else frame_rgb(frame)
        gray = gray_uint8(guide)
        if previous_values is not None:
            backward, confidence = flow_and_confidence(gray, previous_gray, flow_width)
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
