"""Video colorization: frames per second and temporal consistency of each method.

Runs ``colorkit.video.colorize_video`` on OpenCV's ``vtest.avi`` (768x576 at 10 fps) read at
384 px wide, end to end (decode, colorize, temporal method, encode to H.264), for the three
methods ``frame``, ``smooth`` and ``flow``, and reports:

- frames per second of each method, and the cost of ``flow`` relative to ``frame``;
- the Color Distribution Consistency (CDC, NTIRE 2023; lower is steadier) of each method's
  output next to the original color video's (the floor), and the flow-warping error in ab.

Colorizers: the deterministic flickering stand-in (``video.make_flickering_colorizer``) always;
the real default model (``colorkit.models.build_model("unet")`` through ``colorkit.infer``)
when those modules import, with the pretrained weights when ``colorkit.pretrained`` exists
(random-init weights otherwise: fine for speed, but an untrained model's near-constant chroma
makes its CDC ratio meaningless, and the row notes say so).

Usage: python -m benchmarks.bench_video [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import SHARED_DATA, emit, row  # noqa: E402
from colorkit import video  # noqa: E402

SECTION = "video"
WIDTH = 384
WARP_FRAMES = 40  # frames used for the (slower) flow-warping error


def _model_colorizer() -> tuple[object, str]:
    """The shipped default model as a colorizer, and a description."""
    from colorkit import pretrained

    return video.model_colorizer(pretrained.load_pretrained()), "pretrained default model"


def _run_methods(
    source: str, colorizer_factory, max_frames: int, folder: str, repeats: int
) -> dict:
    """colorize_video for each method, interleaved ``repeats`` times after a warm-up.

    Returns ``{method: (report, output path)}`` keeping each method's fastest run (the machine
    is shared, so the best of interleaved runs is the least disturbed estimate).
    """
    results: dict = {}
    warm_up = os.path.join(folder, "warm_up.mp4")
    video.colorize_video(
        source,
        warm_up,
        colorizer_factory(),
        "flow",
        max_frames=4,
        max_width=WIDTH,
        progress=False,
        overwrite=True,  # called once per source video, in the same folder
    )
    for _ in range(repeats):
        for method in video.METHODS:
            output = os.path.join(folder, f"{method}.mp4")
            report = video.colorize_video(
                source,
                output,
                colorizer_factory(),
                method=method,
                max_frames=max_frames,
                max_width=WIDTH,
                progress=False,
                overwrite=True,  # each repeat (and source) rewrites its method's file
            )
            best = results.get(method)
            if best is None or report.frames_per_second > best[0].frames_per_second:
                results[method] = (report, output)
    return results


def _warp_error(path: str, source: str) -> float:
    frames = video.read_frames(path, max_frames=WARP_FRAMES, max_width=WIDTH)
    reference = video.read_frames(source, max_frames=WARP_FRAMES, max_width=WIDTH)
    return video.flow_warping_error(frames, reference=reference, space="ab")


def _rows_for(
    label: str, note: str, results: dict, source: str, cdc_meaningful: bool, repeats: int
) -> list:
    rows = []
    frame_report = results["frame"][0]
    for method in video.METHODS:
        report = results[method][0]
        extra = {}
        if method != "frame":
            seconds_ratio = frame_report.frames_per_second / report.frames_per_second
            extra = dict(baseline=frame_report.frames_per_second, ratio=1 / seconds_ratio)
        rows.append(
            row(
                SECTION,
                f"{method} speed ({label})",
                report.frames_per_second,
                "frames/s",
                note=f"{report.num_frames} frames {report.width}x{report.height}, "
                f"end to end, best of {repeats}; " + note,
                **extra,
            )
        )
    flow_cost = frame_report.frames_per_second / results["flow"][0].frames_per_second
    rows.append(
        row(
            SECTION,
            f"flow cost vs frame ({label})",
            flow_cost,
            "x time",
            goal="<= 2x",
            met=bool(flow_cost <= 2.0),
            note="seconds per frame of flow / of frame",
        )
    )
    rows.append(
        row(
            SECTION,
            f"original video CDC ({label} run)",
            frame_report.reference_cdc,
            "CDC",
            note="the floor: the source's own color flicker",
        )
    )
    for method in video.METHODS:
        report = results[method][0]
        ratio = report.cdc / frame_report.cdc if frame_report.cdc else float("nan")
        extra = dict(baseline=frame_report.cdc, ratio=ratio)
        if method == "flow" and cdc_meaningful:
            extra.update(goal="<= 0.5x frame", met=bool(ratio <= 0.5))
        cdc_note = "before encoding" + ("" if cdc_meaningful else "; ratio not meaningful: " + note)
        rows.append(
            row(SECTION, f"{method} CDC ({label})", report.cdc, "CDC", note=cdc_note, **extra)
        )
    rows.append(
        row(
            SECTION,
            f"original video warp error ({label} run)",
            _warp_error(source, source),
            "ab",
            note=f"first {WARP_FRAMES} frames, non-occluded pixels",
        )
    )
    for method in video.METHODS:
        rows.append(
            row(
                SECTION,
                f"{method} warp error ({label})",
                _warp_error(results[method][1], source),
                "ab",
                note=f"first {WARP_FRAMES} frames of the encoded output",
            )
        )
    return rows


def run(quick: bool = False) -> list[dict]:
    source = str(SHARED_DATA / "video" / "vtest.avi")
    if not os.path.isfile(source):
        return [row(SECTION, "vtest.avi missing", 0, "", note=f"not found: {source}")]
    max_frames = 60 if quick else 300
    repeats = 1 if quick else 2
    rows = []
    # The flickering stand-in pushes some dark pixels out of gamut; counted, not printed.
    warnings.filterwarnings("ignore", message="Out-of-gamut colors", category=UserWarning)
    with tempfile.TemporaryDirectory(prefix="bench_video_") as folder:
        start = time.perf_counter()
        results = _run_methods(source, video.make_flickering_colorizer, max_frames, folder, repeats)
        rows += _rows_for(
            "flicker stand-in",
            "deterministic flickering colorizer (no model)",
            results,
            source,
            cdc_meaningful=True,
            repeats=repeats,
        )
        colorizer, description = _model_colorizer()
        if colorizer is None:
            rows.append(row(SECTION, "model run skipped", 0, "", note=description))
        else:
            model_frames = 30 if quick else 150
            results = _run_methods(source, lambda: colorizer, model_frames, folder, repeats)
            rows += _rows_for(
                "model",
                description,
                results,
                source,
                cdc_meaningful=description.startswith("pretrained"),
                repeats=repeats,
            )
        rows.append(row(SECTION, "bench_video wall time", time.perf_counter() - start, "s"))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames")
    emit(run(quick=parser.parse_args().quick))
