"""The joins between colorkit's modules: no import circle, no defensive guards, one CLI.

The import graph is read from the source (every ``import`` statement, at the top of a file or
inside a function), so a circle that only shows up at run time is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import colorkit

PACKAGE_ROOT = Path(colorkit.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """``{module: {colorkit modules it imports}}`` (parent packages of outside importers too)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if not target.startswith("colorkit"):
                    continue
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target == name or name.startswith(target + "."):
                    continue  # itself, or its own package (whose __init__ is already running)
                # Importing colorkit.a.b runs colorkit.a's __init__ first, unless the importer
                # is itself inside colorkit.a (then that __init__ is already running).
                parent = target.rpartition(".")[0]
                if parent not in ("", "colorkit") and not name.startswith(parent):
                    graph[name].add(parent)
                graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_detects_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_among_colorkit_modules():
    graph = import_graph()
    assert "colorkit.pretrained" in graph["colorkit.infer"]  # the graph is really read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_no_find_spec_guards_in_colorkit():
    offenders = [
        str(path.relative_to(PACKAGE_ROOT))
        for path in PACKAGE_ROOT.rglob("*.py")
        if "find_spec" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_one_command_line_module():
    """Only cli.py builds an argument parser; widgets and video have no decoding of their own."""
    for path in PACKAGE_ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "cli.py":
            assert "ArgumentParser(" not in text, path
    interfaces = [PACKAGE_ROOT / "widgets.py", *sorted((PACKAGE_ROOT / "video").glob("*.py"))]
    assert len(interfaces) > 2  # the video package is really read
    for path in interfaces:
        text = path.read_text(encoding="utf-8")
        for formula in ("annealed_mean(", "decode_lab(", "decode_yuv(", "COLOR_Lab2RGB"):
            assert formula not in text, (path.name, formula)


def test_builder_functions_do_not_hide_their_modules():
    from colorkit import models

    for family in models.PHOTO_TRAINED:
        assert callable(getattr(models, family))
        assert not (PACKAGE_ROOT / "models" / f"{family}.py").exists(), family
    # The guided family's module is named for what it holds; its builder is guided_zhang.
    assert models.guided.guided_zhang in models._BUILDERS.values()


def _colorkit_module_aliases(tree: ast.Module) -> dict[str, str]:
    """``{local name: colorkit module}`` bound by the file's import statements."""
    modules = _modules()
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("colorkit"):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if target in modules:
                    aliases[alias.asname or alias.name] = target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("colorkit") and alias.asname:
                    aliases[alias.asname] = alias.name
    return aliases


def test_no_private_name_used_across_modules():
    """A helper another module needs is public in the module that owns it."""
    offenders = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = _colorkit_module_aliases(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("colorkit"):
                for alias in node.names:
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private and f"{node.module}.{alias.name}" not in _modules():
                        offenders.append(f"{name}: from {node.module} import {alias.name}")
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and f"{aliases[node.value.id]}.{node.attr}" not in _modules()
            ):
                offenders.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert offenders == []


def test_imports_inside_functions_say_why():
    """Imports sit at the top of a file; a lazy one (a heavy or optional module) has a comment."""
    offenders = []
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    # The comment may stand on the line, on a line of the same import block or
                    # just above the block.
                    first = inner.lineno - 1
                    while lines[first - 1].strip().startswith(("import ", "from ")):
                        first -= 1
                    block = lines[first - 1 : inner.lineno]
                    if not any("#" in line for line in block):
                        offenders.append(f"{name}:{inner.lineno}: {lines[inner.lineno - 1]}")
    assert offenders == []
