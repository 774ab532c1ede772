"""Imports go downward only (docs/architecture.md): the core (``stage.core``) ← ``tracking`` / ``renderer`` ← the app
(``stage.app``). Every import statement counts — at module top, inside functions and under ``TYPE_CHECKING`` — and
the module graph has no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("stage", "tracking", "renderer")


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module ``name`` refers to (a module, or the package holding an imported name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> dict[str, int]:
    """Every project module and every top-level third-party package ``module`` imports, with a line number."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out: dict[str, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for name in names:
            target = _resolve(name) or name.split(".")[0]
            if target != module:
                out.setdefault(target, node.lineno)
    return out


GRAPH = {m: _imports(m) for m in MODULES}


def _layer(module: str) -> str:
    if module.startswith("stage.app") or module == "stage.__main__":
        return "app"
    if module.startswith("stage"):
        return "core"
    return module.split(".")[0]


FORBIDDEN = {
    "core": {"tracking", "renderer", "app"},
    "tracking": {"renderer", "app"},
    "renderer": {"tracking", "app"},
    "app": set(),
}


def test_the_graph_sees_every_package() -> None:
    layers = {_layer(m) for m in MODULES}
    assert layers == {"core", "app", "tracking", "renderer"}
    assert sum(len(v) for v in GRAPH.values()) > 500


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_downward_only(module: str) -> None:
    layer = _layer(module)
    bad = [f"{MODULES[module].relative_to(REPO)}:{line}: {layer} imports {target} ({_layer(target)})"
           for target, line in GRAPH[module].items() if target in MODULES and _layer(target) in FORBIDDEN[layer]]
    assert not bad, "\n".join(bad)


def test_geometry_takes_plain_numbers() -> None:
    for module in (m for m in MODULES if m.startswith("stage.core.geometry")):
        deps = GRAPH[module]
        assert "pydantic" not in deps and not any(d.startswith("stage.core.config") for d in deps), module


def test_no_import_cycles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in (d for d in GRAPH[v] if d in MODULES):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in GRAPH[v]:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert not cycles, "import cycles: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_a_planted_upward_import_is_caught(tmp_path: Path) -> None:
    """The checker itself: an import hidden in a function of the core would be reported."""
    source = "def f():\n    from renderer.gl import create_context\n    return create_context\n"
    tree = ast.parse(source)
    found = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert found and _layer(_resolve(found[0].module) or "") == "renderer"
    assert "renderer" in FORBIDDEN[_layer("stage.core.live")]
