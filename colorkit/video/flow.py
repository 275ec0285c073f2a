"""Dense optical flow for video: Farneback flow on the luminance, warping, and the
forward-backward consistency that tells visible pixels from occluded ones."""

from __future__ import annotations

import numpy as np

from colorkit import _optional
from colorkit.video.files import gray_uint8

# The [video] extra: OpenCV (optical flow, resizing) and ffmpeg (reading, writing, audio).
cv2 = _optional.require("cv2", "video", "colorkit.video")

__all__ = [
    "DEFAULT_FLOW_WIDTH",
    "flow_and_confidence",
    "flow_consistency",
    "flow_gray",
    "optical_flow",
    "warp",
]


DEFAULT_FLOW_WIDTH = 192


def flow_gray(gray: np.ndarray, flow_width: int | None) -> tuple[np.ndarray, float]:
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
    source, target = gray_uint8(source), gray_uint8(target)
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


def flow_and_confidence(
    gray: np.ndarray, previous_gray: np.ndarray, flow_width: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution backward flow (t -> t-1) and forward-backward error (<= 1: visible)."""
    small, scale = flow_gray(gray, flow_width)
    small_previous, _ = flow_gray(previous_gray, flow_width)
    backward = optical_flow(small, small_previous)
    forward = optical_flow(small_previous, small)
    consistency = flow_consistency(backward, forward)
    if scale != 1.0:
        size = (gray.shape[1], gray.shape[0])
        backward = cv2.resize(backward, size, interpolation=cv2.INTER_LINEAR) * scale
        consistency = cv2.resize(consistency, size, interpolation=cv2.INTER_LINEAR)
    return backward, consistency
