"""Run every course notebook in full mode (``SMOKE = False``) and record how long each took.

``make notebooks-full`` runs this script. Each ``notebooks/NN_*.ipynb`` is executed with
papermill (parameters ``SMOKE = False``, working directory ``notebooks/``) into ``--output``
(default ``build/notebooks-full/``, git-ignored). A notebook's claim cells ``assert`` their
measured directions in full mode, so a failing claim fails the run.

Two records of the run are written:

- ``<output>/timings.json``: per notebook the seconds, the status and the error if any, plus the
  machine (CPU count, processor) and the date;
- ``course/notebook_timings.md``: the same as a Markdown table, which the instructor guide
  (``course/README.md``) links and the book includes. Commit it after a run on the classroom's
  reference machine: no timing in the guide is typed by hand.

``make book`` then builds from ``<output>`` (``scripts/build_book.py`` uses the full-run outputs
when every notebook is there).

Usage::

    python scripts/run_notebooks_full.py                   # all notebooks
    python scripts/run_notebooks_full.py --notebooks 05 06 # some (the table keeps the others)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "notebooks-full"
TIMINGS_MD = REPO_ROOT / "course" / "notebook_timings.md"
EXECUTION_TIMEOUT_S = 3600  # one cell; full mode trains for minutes, not hours


def notebook_sources(selection: list[str] | None = None) -> list[Path]:
    """``notebooks/NN_*.ipynb``, optionally only those whose number or stem is in selection."""
    notebooks = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if selection:
        notebooks = [p for p in notebooks if p.name[:2] in selection or p.stem in selection]
    return notebooks


def run_one(source: Path, target: Path) -> dict:
    """Executes one notebook in full mode; returns {"seconds", "status", "error"}."""
    import papermill

    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters={"SMOKE": False},
            cwd=str(NOTEBOOK_DIR),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=EXECUTION_TIMEOUT_S,
        )
    except Exception as error:  # papermill raises its own execution errors, among others
        message = f"{type(error).__name__}: {str(error).strip().splitlines()[-1][:300]}"
        return {
            "seconds": round(time.perf_counter() - start, 1),
            "status": "failed",
            "error": message,
        }
    return {"seconds": round(time.perf_counter() - start, 1), "status": "passed", "error": None}


def machine() -> dict:
    """Where the timings were measured."""
    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def format_markdown(report: dict) -> str:
    """The timings table that the guide links (``course/notebook_timings.md``)."""
    lines = [
        "# Notebook run times in full mode",
        "",
        "Written by `make notebooks-full` (`scripts/run_notebooks_full.py`); do not edit by hand.",
        "Every notebook ran with `SMOKE = False` and the shipped pretrained models, its claim",
        "cells asserting their measured directions.",
        "",
        f"Measured on {report['date']}: {report['machine']['cpus']} CPU(s), "
        f"{report['machine']['processor']}, Python {report['machine']['python']}.",
        "",
        "| notebook | full mode (CPU) | status |",
        "|---|---|---|",
    ]
    for name, entry in sorted(report["notebooks"].items()):
        minutes, seconds = divmod(round(entry["seconds"]), 60)
        status = entry["status"] if not entry["error"] else f"{entry['status']}: {entry['error']}"
        lines.append(f"| {name} | {minutes} min {seconds:02d} s | {status} |")
    total = sum(entry["seconds"] for entry in report["notebooks"].values())
    lines += ["", f"Total: {total / 60:.1f} minutes."]
    return "\n".join(lines) + "\n"


def run(output: Path, selection: list[str] | None, keep_going: bool) -> dict:
    """Runs the notebooks, merges the results into ``timings.json``; returns the report."""
    output.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "agg")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    record = output / "timings.json"
    previous = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    results = dict(previous.get("notebooks", {}))
    for source in notebook_sources(selection):
        entry = run_one(source, output / source.name)
        results[source.stem] = entry
        print(
            f"{source.stem}: {entry['status']} in {entry['seconds']:.0f} s"
            + (f" ({entry['error']})" if entry["error"] else ""),
            flush=True,
        )
        if entry["status"] != "passed" and not keep_going:
            break
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "notebooks": results,
    }
    record.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="executed notebooks")
    parser.add_argument("--notebooks", nargs="+", help="numbers or stems, e.g. 05 06")
    parser.add_argument("--keep-going", action="store_true", help="run the rest after a failure")
    parser.add_argument(
        "--timings-md", type=Path, default=TIMINGS_MD, help="Markdown table for the guide"
    )
    arguments = parser.parse_args(argv)
    report = run(arguments.output.resolve(), arguments.notebooks, arguments.keep_going)
    arguments.timings_md.write_text(format_markdown(report), encoding="utf-8")
    print(f"timings: {arguments.output / 'timings.json'}, {arguments.timings_md}")
    failed = [name for name, entry in report["notebooks"].items() if entry["status"] != "passed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
