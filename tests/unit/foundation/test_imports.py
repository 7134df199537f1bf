"""The direction of imports (docs/architecture.md): no cycle between our modules, only the CLI
package imports click, `schemas` imports nothing of ours, the kernel never imports a tool."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
PACKAGES = ("diag", "probes", "lifecycle", "schemas", "exporters", "airgap")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """Every module of ours `path` imports, at any depth in the file (lazy imports count)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join([*pkg, base] if base else pkg)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    files = {
        _module(p): p
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if "payload" not in p.relative_to(ROOT).parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        deps = {d for d in _imports(path, name) if d in files and d != name}
        graph[name] = deps
    return graph


GRAPH = _graph()


def _is_cli(module: str) -> bool:
    return module == "diag.cli" or module.startswith("diag.cli.")


def test_no_import_cycle() -> None:
    """Tarjan-free: a depth-first search that reports the first cycle it closes."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(GRAPH[node]):
            # a package's __init__ importing its own submodules is how packages work
            if dep.startswith(node + "."):
                continue
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if not _is_cli(m)))
def test_only_the_cli_imports_click(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    tops = {d.split(".")[0] for d in _imports(path, module)}
    assert "click" not in tops, f"{module} imports click; only diag.cli may"


def test_schemas_import_nothing_of_ours() -> None:
    for module, deps in GRAPH.items():
        if module.startswith("schemas"):
            assert all(d.startswith("schemas") for d in deps), (module, deps)


def test_nothing_imports_the_cli() -> None:
    for module, deps in GRAPH.items():
        if not _is_cli(module):
            assert not any(_is_cli(d) for d in deps), (module, deps)
