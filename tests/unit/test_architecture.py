"""The layout rules of docs/ARCHITECTURE.md, checked on the source itself:
no import cycles (between files or packages), a lifecycle core that imports
no feature built on it, units of work opened only in ``services.py``, and
files a newcomer can read."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "omd_gov"
FEATURES_ON_AGREEMENTS = {
    "documents",
    "deadlines",
    "notifications",
    "signatures",
    "register",
    "web",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[str]:
    """Every omd_gov module a file imports, at any depth (lazy imports count)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("omd_gov"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("omd_gov"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield submodule if submodule in MODULES else str(node.module)


def _only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return len(body) == 1 and isinstance(body[0], ast.Expr)


def _graph(key: str) -> dict[str, set[str]]:
    """Edges between modules ("module") or between packages ("package"),
    leaving out package ``__init__`` files that only hold a docstring."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        for target in _imports(path):
            if target not in MODULES:
                raise AssertionError(f"{name} imports {target}, which does not exist")
            if _only_a_docstring(MODULES[target]):
                continue
            source, dest = (name, target) if key == "module" else (_package(name), _package(target))
            if source != dest:
                graph.setdefault(source, set()).add(dest)
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of nodes that reach one another, i.e. every import cycle."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups = {
        frozenset(other for other in reach if node in reach[other] and other in reach[node])
        for node in reach
        if node in reach[node]
    }
    return sorted(sorted(group) for group in groups)


@pytest.mark.parametrize("key", ["module", "package"])
def test_no_import_cycles(key: str) -> None:
    assert _cycles(_graph(key)) == []


def test_the_lifecycle_core_imports_no_feature_built_on_it() -> None:
    packages = _graph("package")
    assert packages.get("agreements", set()) & FEATURES_ON_AGREEMENTS == set()
    assert "agreements" not in packages.get("cooperations", set())


def _opens_a_unit_of_work(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "transaction":
                return True
    return False


def test_only_services_modules_open_a_unit_of_work() -> None:
    owners = {
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if path.name != "services.py" and _opens_a_unit_of_work(path)
    }
    assert owners == set()


def test_files_stay_readable() -> None:
    long_files = {
        str(path.relative_to(ROOT)): lines
        for path in MODULES.values()
        if (lines := len(path.read_text().splitlines())) > 300
    }
    assert long_files == {}
