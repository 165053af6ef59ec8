"""The layers point one way: models and rules, then services, then the pages, the admin, the CLI and the scheduler.

Read from the source with ``ast``, so an import inside a function counts as much as one at the top; only imports
under ``if TYPE_CHECKING:`` are left out, since they never run. A failure names the file and line of every import
that closes a cycle or climbs a layer, which is what the developer has to move.

The units are the subpackages (and top-level modules) of ``backoffice``; a part's own pages (``customers/web``,
``selfreg/web``, ``monitoring/web``) are units of their own, in the top layer with ``web``, ``admin``, ``cli`` and
the scheduler, with the app factory (``backoffice/app.py``), the one place that puts the pages together.
``backoffice/__init__.py`` is empty: importing any part must not load the web. ``signatures`` and ``workflows``
stand below the back office and never import it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The top layer: what a request, a command or a timer enters through. Nothing below may import it.
ENTRY = frozenset(
    {
        "backoffice.admin",
        "backoffice.app",
        "backoffice.cli",
        "backoffice.console",
        "backoffice.demo",
        "backoffice.scheduler",
        "backoffice.web",
        "backoffice.wsgi",
        "backoffice.customers.web",
        "backoffice.monitoring.web",
        "backoffice.selfreg.web",
        "backoffice.requests.web",
        "backoffice.meters.web",
    }
)

Edge = tuple[str, str, str]  # from unit, to unit, "file:line"


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


@cache
def imports(package: str) -> list[tuple[str, str, str]]:
    """(importing module, imported name, "file:line") for every import in the package, at any depth."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module, is_package = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_lines(tree)
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skipped:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [(module, name, f"{where}:{node.lineno}") for name in names]
    return found


def unit(module: str) -> str | None:
    """``backoffice.x`` for anything in ``backoffice/x``, ``backoffice.x.web`` for a part's pages; None for the
    package itself."""
    parts = module.split(".")
    if parts[0] != "backoffice" or len(parts) == 1:
        return None
    if len(parts) > 2 and parts[2] == "web":
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def _known_units() -> set[str]:
    return {u for module, _name, _where in imports("backoffice") if (u := unit(module))}


def edges() -> list[Edge]:
    known = _known_units()
    result = set()
    for module, name, where in imports("backoffice"):
        source, target = unit(module), unit(name)
        if source and target and source != target and target in known:
            result.add((source, target, where))
    return sorted(result)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_backoffice_subpackages_import_each_other_without_cycles() -> None:
    all_edges = edges()
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target, _where in all_edges:
        graph[source].add(target)
    report = []
    for component in cycles(graph):
        members = set(component)
        report.append("cycle between " + ", ".join(component) + ":")
        report += [f"  {where}: {s} imports {t}" for s, t, where in all_edges if s in members and t in members]
    assert not report, "\n".join(report)


def test_nothing_below_the_pages_imports_them() -> None:
    climbing = [
        f"{where}: {source} imports {target}"
        for source, target, where in edges()
        if target in ENTRY and source not in ENTRY
    ]
    assert not climbing, "\n".join(climbing)


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("workflows", ("backoffice", "signatures", "flask")), ("signatures", ("backoffice", "workflows", "flask"))],
)
def test_the_engine_and_the_verifier_know_nothing_of_the_back_office(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = [
        f"{where}: {module} imports {name}"
        for module, name, where in imports(package)
        if name.split(".")[0] in forbidden
    ]
    assert not wrong, "\n".join(wrong)


def test_the_verifiers_modules_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    where_of: dict[tuple[str, str], str] = {}
    modules = {module for module, _name, _where in imports("signatures")}
    for module, name, where in imports("signatures"):
        target = name if name in modules else name.rpartition(".")[0]
        if target in modules and target != module and not module.startswith(target + "."):
            graph[module].add(target)
            where_of[(module, target)] = where
    report = [
        "cycle: " + ", ".join(c) + "".join(f"\n  {w}" for (s, t), w in where_of.items() if s in c and t in c)
        for c in cycles(graph)
    ]
    assert not report, "\n".join(report)


def test_the_check_finds_a_cycle_and_names_the_imports() -> None:
    """The checker itself: a cycle through an import inside a function is found, a TYPE_CHECKING one is not."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n\ndef f():\n    import y\n")
    assert _type_checking_lines(tree) == {3}
