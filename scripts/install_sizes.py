"""Installed size of colorkit's core install and of each extra, measured in fresh venvs.

Usage: python scripts/install_sizes.py dist/colorkit_course-0.1.0-py3-none-any.whl
[--extras video notebooks scale dahl] [--work /tmp/colorkit-sizes] [--json sizes.json]

Each row is ``pip install "<wheel>[extra]"`` into a new virtual environment (``python -m venv``,
pip's cache makes the repeats fast); its size is everything under the venv's site-packages
(``du``-style, bytes of regular files), and its count the installed distributions. An extra's
"adds" column is its size minus the core's. Prints the Markdown table README.md carries.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def _tree_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def measure(wheel: Path, extra: str | None, work: Path) -> dict:
    """Install ``wheel[extra]`` into a fresh venv under ``work``; its size and distributions."""
    venv = work / (extra or "core")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    python = venv / "bin" / "python"
    requirement = f"{wheel.resolve()}[{extra}]" if extra else str(wheel.resolve())
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
        check=True,
    )
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    listing = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = sorted(item["name"].lower() for item in json.loads(listing))
    return {"extra": extra or "core", "bytes": _tree_bytes(site), "distributions": names}


def table(rows: list[dict]) -> str:
    """The Markdown table: install, size, what it adds to the core, distributions."""
    core = next(row for row in rows if row["extra"] == "core")
    lines = [
        "| install | installed size | adds to the core | distributions |",
        "|---|---|---|---|",
    ]
    for row in rows:
        name = "`colorkit-course`" if row["extra"] == "core" else f"`[{row['extra']}]`"
        adds = "" if row is core else f"+{(row['bytes'] - core['bytes']) / 1e6:,.0f} MB"
        lines.append(
            f"| {name} | {row['bytes'] / 1e6:,.0f} MB | {adds} | {len(row['distributions'])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--extras", nargs="*", default=["video", "notebooks", "scale", "dahl"])
    parser.add_argument("--work", type=Path, default=None, help="venvs folder (default: a temp)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="colorkit-sizes-"))
    rows = [measure(args.wheel, None, work)]
    for extra in args.extras:
        rows.append(measure(args.wheel, extra, work))
        print(f"measured [{extra}]", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
