"""Run colorkit's benchmarks and write a markdown table of results.

Usage: python benchmarks/run.py [--output benchmarks/results.md] [--quick] [--only SECTION ...]
                                [--baseline GIT_REF]

With ``--baseline REF`` the inference and video sections also run on the code of ``REF`` (an
export of its ``colorkit/`` and ``benchmarks/``, in a temporary folder) in the same run, and a
"vs REF" section gives the ratio of every shared row (new / previous; for seconds below 1 is
faster, for frames/s above 1 is faster).

Each section runs in a fresh subprocess (``python -m benchmarks.<module>``) so that peak memory
and environment flags are measured in isolation. Ratios are always against a baseline measured
in the same run, on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO_ROOT, machine_info  # noqa: E402

SECTIONS = [
    ("bench_startup", "Start-up: colorkit --help and one photo vs import tensorflow", {}),
    ("bench_color", "Color conversion", {}),
    ("bench_data", "Data pipeline", {}),
    ("bench_train", "Training speed", {}),
    ("bench_train", "Training speed (oneDNN on)", {"TF_ENABLE_ONEDNN_OPTS": "1"}),
    ("bench_infer", "Inference and efficiency", {}),
    ("bench_guided", "Default colorizer: cached-feature vs end-to-end training", {}),
    ("bench_hints", "User hints (HintExplorer round trip)", {}),
    ("bench_video", "Video", {}),
    ("bench_scale", "Many photos: batched, Dask", {}),
    ("bench_memory", "Memory: big photos", {}),
]


BASELINE_SECTIONS = ("bench_infer", "bench_video")


def export_ref(ref: str, folder: Path) -> Path:
    """Write ``ref``'s colorkit/ and benchmarks/ into ``folder`` (git archive); return it."""
    archive = subprocess.run(
        ["git", "archive", ref, "colorkit", "benchmarks"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def baseline_ratios(results: list, baseline: list, ref: str) -> list:
    """Rows "new / previous" for every row name measured on both sides."""
    new = {r["name"]: r for _, _, rows, _ in results for r in rows}
    out = []
    for r in (r for _, _, rows, _ in baseline for r in rows):
        current = new.get(r["name"])
        if current is None or not r["value"] or r["unit"] not in ("s", "frames/s"):
            continue
        ratio = current["value"] / r["value"]
        out.append(
            {
                "section": "baseline",
                "name": r["name"],
                "value": current["value"],
                "unit": r["unit"],
                "baseline": r["value"],
                "ratio": ratio,
                "note": f"previous implementation ({ref}) measured in this run",
            }
        )
    return [(f"Against the previous implementation ({ref}, same run)", {}, out, "")] if out else []


def run_section(
    module: str, env_extra: dict, quick: bool, timeout: float, root: Path = REPO_ROOT
) -> tuple[list, str]:
    """Run one benchmark module in a subprocess and return its rows and any error text."""
    path = root / "benchmarks" / f"{module}.py"
    if not path.exists():
        return [], f"{module}.py not present"
    env = dict(os.environ)
    if root != REPO_ROOT:
        env["PYTHONPATH"] = str(root)
        env.setdefault("COLORKIT_SHARED_DATA", str(REPO_ROOT.parent / "shared" / "data"))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("MPLBACKEND", "agg")
    env.update(env_extra)
    command = [sys.executable, "-m", f"benchmarks.{module}"] + (["--quick"] if quick else [])
    try:
        completed = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout:.0f} s"
    rows = []
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            rows.extend(json.loads(line[len("BENCH_JSON ") :]))
    error = ""
    if completed.returncode != 0:
        error = f"exit {completed.returncode}: " + completed.stderr.strip()[-800:]
    return rows, error


def cross_section_ratios(results: list) -> list:
    """Ratios between sections measured in this run: pipeline vs the models' training speed.

    The data pipeline must feed at least 10x the training throughput of the default models
    (the shipped colorizer's family, zhang, and the CPU teaching default, unet) at 128 px.
    """
    rows = {r["name"]: r for _, _, section_rows, _ in results for r in section_rows}
    pipelines = [name for name in rows if name.startswith("tf.data")]
    trained = [
        name
        for name in rows
        if name.endswith("128px: colorkit.train") and name.split()[0] in ("zhang", "unet")
    ]
    out = []
    for pipeline in pipelines:
        for model in trained:
            ratio = rows[pipeline]["value"] / rows[model]["value"]
            out.append(
                {
                    "section": "ratios",
                    "name": f"{pipeline} / {model.split(':')[0]} training",
                    "value": ratio,
                    "unit": "x",
                    "goal": ">= 10x",
                    "met": ratio >= 10,
                    "note": f"{rows[pipeline]['value']:.0f} vs {rows[model]['value']:.0f} img/s",
                }
            )
    return [("Pipeline vs training (same run)", {}, out, "")] if out else []


def format_value(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 100000:
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return f"{value:.3e}"


def to_markdown(results: list[tuple[str, dict, list, str]], info: dict, seconds: float) -> str:
    lines = ["# colorkit benchmark results", ""]
    lines.append(f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in {seconds:.0f} s.")
    lines.append("")
    lines.append("| machine | |")
    lines.append("|---|---|")
    for key, value in info.items():
        lines.append(f"| {key} | {value} |")
    lines.append("")
    for title, env_extra, rows, error in results:
        lines.append(f"## {title}")
        if env_extra:
            lines.append("")
            lines.append("Environment: " + ", ".join(f"`{k}={v}`" for k, v in env_extra.items()))
        lines.append("")
        if error:
            lines.append(f"Section error: {error}")
            lines.append("")
        if not rows:
            continue
        lines.append("| benchmark | value | unit | baseline | ratio | goal | met | note |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for r in rows:
            baseline = format_value(r["baseline"]) if "baseline" in r else ""
            ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
            met = {True: "yes", False: "**no**"}.get(r.get("met"), "")
            lines.append(
                f"| {r['name']} | {format_value(r['value'])} | {r['unit']} | {baseline} | "
                f"{ratio} | {r.get('goal', '')} | {met} | {r.get('note', '')} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="benchmarks/results.md")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", nargs="*", help="module names to run (e.g. bench_color)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per section")
    parser.add_argument("--baseline", help="git ref whose infer/video benchmarks run alongside")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    info = machine_info()
    results = []
    for module, title, env_extra in SECTIONS:
        if args.only and module not in args.only:
            continue
        print(f"[bench] {title} ({module}) ...", flush=True)
        rows, error = run_section(module, env_extra, args.quick, args.timeout)
        for r in rows:
            ratio = f"  ratio {r['ratio']:.2f}x" if "ratio" in r else ""
            print(f"  {r['name']}: {format_value(r['value'])} {r['unit']}{ratio}", flush=True)
        if error:
            print(f"  error: {error}", flush=True)
        results.append((title, env_extra, rows, error))
    if args.baseline:
        with tempfile.TemporaryDirectory() as folder:
            root = export_ref(args.baseline, Path(folder))
            baseline = []
            for module, title, env_extra in SECTIONS:
                if module not in BASELINE_SECTIONS or (args.only and module not in args.only):
                    continue
                print(f"[bench] {title} ({module}) at {args.baseline} ...", flush=True)
                rows, error = run_section(module, env_extra, args.quick, args.timeout, root)
                baseline.append((f"{title} ({args.baseline})", env_extra, rows, error))
        comparison = baseline_ratios(results, baseline, args.baseline)
        for _, _, rows, _ in comparison:
            for r in rows:
                print(f"  {r['name']}: {r['ratio']:.2f}x of {args.baseline}", flush=True)
        results.extend(comparison)
    results.extend(cross_section_ratios(results))
    markdown = to_markdown(results, info, time.perf_counter() - start)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_suffix(output.suffix + ".tmp")
    temporary.write_text(markdown, encoding="utf-8")
    os.replace(temporary, output)
    print(f"[bench] wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
