"""Shared helpers for colorkit's benchmarks: timing, machine info and result rows.

Each benchmark module exposes ``run(quick: bool) -> list[dict]``; every row is a dict with the
keys ``section``, ``name``, ``value``, ``unit`` and optionally ``baseline``, ``ratio``, ``goal``,
``met`` and ``note``. ``benchmarks/run.py`` runs each module in a fresh subprocess (so peak
memory and environment flags such as ``TF_ENABLE_ONEDNN_OPTS`` are isolated) and writes the table.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("COLORKIT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def time_call(function: Callable[[], object], repeats: int = 5, warmup: int = 1) -> dict:
    """Time ``function`` after ``warmup`` calls; return min and median seconds."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return {"min": min(times), "median": statistics.median(times), "times": times}


def row(section: str, name: str, value: float, unit: str, **extra) -> dict:
    """Build one result row (see the module docstring for the keys)."""
    result = {"section": section, "name": name, "value": float(value), "unit": unit}
    result.update(extra)
    return result


def peak_rss_gib() -> float:
    """Peak resident memory of this process in GiB (Linux ru_maxrss is in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def machine_info() -> dict:
    """Describe the machine and the software versions used for the run."""
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset)"),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for module in ("numpy", "keras", "tensorflow", "skimage"):
        try:
            info[module] = __import__(module).__version__
        except Exception as error:  # noqa: BLE001 - a missing package is reported, not fatal
            info[module] = f"unavailable ({type(error).__name__})"
    return info


def emit(rows: list[dict]) -> None:
    """Print rows as one JSON line prefixed for the runner to find."""
    print("BENCH_JSON " + json.dumps(rows), flush=True)
