"""DESIGN.md's layers: a module imports only from its own layer or below, never above.

Within a layer, imports must not form a cycle. Every module of the package must be placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bakhong"

LAYERS = {
    0: {"errors", "config"},
    1: {"parse", "catalog", "units", "findings"},
    2: {"load", "checks", "indicators", "ingest", "template", "synth", "annotate", "survey",
        "survey_synth",
        "narrative"},
    3: {"charts", "tables"},
    4: {"report", "batch", "deliver", "explore"},
    5: {"cli", "__main__"},
}
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("bakhong."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("bakhong."))
    return found


def _modules() -> dict[str, set[str]]:
    return {p.stem: _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def test_every_module_has_a_layer():
    assert set(_modules()) - set(LAYER_OF) == set()


def test_no_module_imports_from_a_higher_layer():
    wrong = [
        f"{module} (layer {LAYER_OF[module]}) imports {name} (layer {LAYER_OF[name]})"
        for module, names in _modules().items()
        for name in names
        if name in LAYER_OF and LAYER_OF[name] > LAYER_OF[module]
    ]
    assert wrong == []


def test_no_import_cycle():
    graph = {m: {n for n in names if n in LAYER_OF} for m, names in _modules().items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " -> ".join([*trail, node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in graph.get(node, ()):
            visit(nxt, [*trail, node])
        state[node] = 2

    for module in graph:
        visit(module, [])


def test_the_checker_sees_a_violation(tmp_path):
    # the test would be worthless if _imports missed relative imports
    probe = tmp_path / "probe.py"
    probe.write_text("from .cli import main\nfrom . import report\nimport bakhong.batch\n")
    assert _imports(probe) == {"cli", "report", "batch"}
