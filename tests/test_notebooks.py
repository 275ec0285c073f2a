"""Execute every course notebook in smoke mode (papermill injects ``SMOKE = True``).

Each notebook in ``notebooks/`` has a cell tagged ``parameters`` that defines ``SMOKE = False``
plus its sizes; smoke mode must finish in about a minute or two on a 2-core CPU. Executed copies
(with outputs) are kept in ``test-artifacts/notebooks/`` for inspection; the committed notebooks
stay output-free (``scripts/check_notebooks_clean.py`` checks that in ``make test``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def _has_parameters_cell(path: Path) -> bool:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return any(
        "parameters" in cell.get("metadata", {}).get("tags", []) for cell in notebook["cells"]
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_has_structure(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    markdown = [
        s for s, c in zip(sources, notebook["cells"], strict=True) if c["cell_type"] == "markdown"
    ]
    assert _has_parameters_cell(path), f"{path.name} needs a cell tagged 'parameters'"
    assert any("SMOKE" in s for s in sources), f"{path.name} needs a SMOKE parameter"
    header = markdown[0].lower()
    for word in ("learn", "need", "cpu", "gpu"):
        assert word in header, f"{path.name}: header should say what you'll {word}..."
    assert any("summary" in s.lower() for s in markdown[-3:]), f"{path.name} lacks a Summary"
    assert any("exercise" in s.lower() for s in markdown[-3:]), f"{path.name} lacks Exercises"


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_smoke_mode(path):
    papermill = pytest.importorskip("papermill")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "agg")
    papermill.execute_notebook(
        str(path),
        str(ARTIFACTS / path.name),
        parameters={"SMOKE": True},
        cwd=str(NOTEBOOK_DIR),
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=600,
    )
