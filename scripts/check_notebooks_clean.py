"""Fail when a committed notebook carries outputs or execution counts.

Usage: python scripts/check_notebooks_clean.py notebooks [more folders or files]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def dirty_cells(path: Path) -> list[int]:
    """Return the indices of code cells that have outputs or an execution count."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            dirty.append(index)
    return dirty


def main(argv: list[str]) -> int:
    paths: list[Path] = []
    for name in argv or ["notebooks"]:
        root = Path(name)
        if root.is_dir():
            paths.extend(
                sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            )
        elif root.is_file():
            paths.append(root)
    failed = False
    for path in paths:
        cells = dirty_cells(path)
        if cells:
            failed = True
            print(f"{path}: outputs committed in code cells {cells}; clear them before committing")
    print(f"checked {len(paths)} notebook(s): {'FAILED' if failed else 'all clean'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
