"""The layering of colorkit's rooms: which package or module may import which.

``ALLOWED`` is the design, written down: each top-level module or package of ``colorkit``
(a package counts as one room, whatever its files import among themselves) with the rooms it
may import. The test parses every import statement (top-level and inside functions) with
``ast`` and fails on an import the table does not allow, on a room the table does not list,
and on a table with a cycle, so that the rooms stay ordered from low (color science) to high
(command line). Scoring never imports training; scripts import the package, never each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = REPO_ROOT / "colorkit"

#: Room -> the rooms it may import (lowest rooms first).
ALLOWED: dict[str, set[str]] = {
    "_checks": set(),
    "_optional": set(),
    "atomic": set(),
    "color": {"_checks"},
    "color_ops": {"color"},
    "hints": {"_checks", "color"},
    "metrics": {"_checks", "color"},
    "outputs": {"atomic"},
    "losses": {"_checks", "color", "color_ops"},
    "data": {"_checks", "atomic", "color", "color_ops"},
    "models": {"_checks", "color", "color_ops", "losses"},
    "pretrained": {"data", "models"},
    "features": {"atomic", "color", "data", "models"},
    "infer": {"_checks", "color", "data", "hints", "models", "pretrained"},
    "viz": {"_checks", "atomic", "color", "hints", "metrics"},
    "evaluation": {"_checks", "color", "data", "infer", "metrics"},
    "hint_curves": {"_checks", "color", "evaluation", "hints", "infer", "metrics"},
    "scale": {"_checks", "_optional", "atomic", "color", "data", "infer", "outputs"},
    "video": {"_checks", "_optional", "atomic", "color", "infer", "models", "outputs"},
    "training": {
        "_checks",
        "atomic",
        "color",
        "data",
        "evaluation",
        "features",
        "infer",
        "losses",
        "models",
        "viz",
    },
    "widgets": {
        "_checks",
        "_optional",
        "atomic",
        "color",
        "data",
        "hints",
        "infer",
        "metrics",
        "models",
        "training",
        "viz",
    },
    "cli": {
        "color",
        "data",
        "hints",
        "infer",
        "metrics",
        "models",
        "outputs",
        "pretrained",
        "scale",
        "training",
        "video",
    },
    "__main__": {"cli"},
}

#: Rooms that score models: they never import training (a study imports both, not they).
SCORING = ("metrics", "evaluation", "hint_curves")


def _room(path: Path) -> str | None:
    """The room of a file of the package (None for ``colorkit/__init__.py`` itself)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return None if parts == ("__init__",) else parts[0]


def _imported_rooms(tree: ast.AST) -> set[str]:
    """The colorkit rooms a module imports (``__version__`` and the like are not rooms)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "colorkit":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("colorkit."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("colorkit."):
                    found.add(alias.name.split(".")[1])
    return {name for name in found if not name.startswith("__") or name == "__main__"}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        room = _room(path)
        if room is None:
            continue
        imported = _imported_rooms(ast.parse(path.read_text(encoding="utf-8")))
        graph.setdefault(room, set()).update(imported - {room})
    return graph


def test_every_room_is_placed_in_the_table():
    missing = sorted(set(_graph()) - set(ALLOWED))
    assert not missing, f"rooms missing from ALLOWED (place them in the layering): {missing}"


def test_imports_follow_the_table():
    wrong = {
        room: sorted(imported - ALLOWED.get(room, set()))
        for room, imported in _graph().items()
        if imported - ALLOWED.get(room, set())
    }
    assert not wrong, f"imports the layering does not allow: {wrong}"


def test_the_table_has_no_cycle():
    order, done = [], set()

    def visit(room: str, path: tuple[str, ...]) -> None:
        if room in path:
            pytest.fail(f"cycle in ALLOWED: {' -> '.join((*path, room))}")
        if room in done:
            return
        for lower in sorted(ALLOWED.get(room, set())):
            visit(lower, (*path, room))
        done.add(room)
        order.append(room)

    for room in sorted(ALLOWED):
        visit(room, ())
    assert len(order) == len(ALLOWED)


@pytest.mark.parametrize("room", SCORING)
def test_scoring_never_imports_training(room):
    assert "training" not in ALLOWED[room]
    assert "training" not in _graph().get(room, set())


def test_scripts_import_the_package_never_each_other():
    scripts = REPO_ROOT / "scripts"
    names = {path.stem for path in scripts.glob("*.py")}
    for path in sorted(scripts.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "sys.path.insert" not in text, path.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in names, (path.name, node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in names, (path.name, alias.name)
