"""DESIGN.md's layers: a part of the package imports only from its own layer or below.

A part is a top-level module (``errors``, ``ingest``) or a subpackage (``vocab``, ``read``);
every module inside a subpackage belongs to its part. Between parts of one layer, and
between the modules of one subpackage, imports must not form a cycle. Every part must be
placed, and every module must say in its docstring what it owns.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bakhong"

LAYERS = {
    0: {"errors", "config", "contract"},
    1: {"vocab"},
    2: {"read", "survey"},
    3: {"checks", "indicators", "synth"},
    4: {"views", "ingest"},
    5: {"batch", "deliver"},
    6: {"cli", "__main__"},
}
LAYER_OF = {part: layer for layer, parts in LAYERS.items() for part in parts}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The absolute names of the bakhong modules (or their attributes) a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] != "bakhong":
                continue
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "bakhong")
    return found


def _part(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def _files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or
                  p.parent != PACKAGE)


def _graph(nodes_of) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in _files():
        source = nodes_of(_module_name(path))
        targets = {nodes_of(name) for name in _imports(path)}
        graph.setdefault(source, set()).update(t for t in targets if t and t != source)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if state.get(node) == 1:
            return [*trail, node]
        if state.get(node) == 2:
            return None
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, [*trail, node])
            if found:
                return found
        state[node] = 2
        return None

    for node in sorted(graph):
        found = visit(node, [])
        if found:
            return found
    return None


def test_every_part_has_a_layer():
    parts = {_part(_module_name(p)) for p in _files()}
    assert parts - set(LAYER_OF) == set()


def test_no_part_imports_from_a_higher_layer():
    wrong = []
    for path in _files():
        module = _module_name(path)
        layer = LAYER_OF[_part(module)]
        for name in sorted(_imports(path)):
            target = _part(name)
            if target in LAYER_OF and LAYER_OF[target] > layer:
                wrong.append(f"{module} (layer {layer}) imports {name} "
                             f"(layer {LAYER_OF[target]})")
    assert wrong == []


def test_no_import_cycle_between_parts():
    assert _cycle(_graph(_part)) is None


def test_no_import_cycle_inside_a_subpackage():
    modules = {_module_name(p) for p in _files()}

    def node(name: str) -> str:
        # "bakhong.read.grid.read_grids" is the module bakhong.read.grid
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        return name

    graph = _graph(node)
    # a subpackage's __init__ is its public face: it imports its modules, they never import it
    inner = {m: {t for t in targets if t.startswith(m.rsplit(".", 1)[0] + ".")}
             for m, targets in graph.items() if m.count(".") >= 2}
    assert _cycle(inner) is None


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_every_module_is_small_and_says_what_it_owns(path: Path):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{path.name} has no docstring"
    assert len(source.splitlines()) <= MAX_MODULE_LINES
    long = [f"{n.name}: {n.end_lineno - n.lineno + 1} lines" for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def test_the_checker_sees_a_violation(tmp_path):
    # the test would be worthless if _imports missed relative imports
    probe = PACKAGE / "read" / "_probe_layers.py"
    probe.write_text("from ..cli import main\nfrom .. import views\nimport bakhong.batch\n"
                     "from .grid import read_grids\n")
    try:
        assert _imports(probe) == {"bakhong.cli.main", "bakhong.views", "bakhong.batch",
                                   "bakhong.read.grid.read_grids"}
        assert [_part(n) for n in sorted(_imports(probe))] == ["batch", "cli", "read", "views"]
    finally:
        probe.unlink()
