"""The product's import graph (built with grimp, as import-linter builds it): no import
cycle between any two modules of the product packages, and the checks and the probe data
do no I/O (they import no HTTP client, no session, nothing that starts a process).

A cycle counts whatever the imports are for, ``if TYPE_CHECKING:`` ones and imports
inside functions included: a circle of modules is one idea split over several files, and
the order they load in then depends on which one a caller happens to import first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from functools import cache

import grimp
import pytest

PACKAGES = ("spec", "mockserver", "reference_impl", "conformance", "reports")
"""The product packages (``[tool.importlinter] root_packages``)."""

TODO_EXCLUDED: dict[str, str] = {}
"""Packages whose cycles are known and being fixed, with why. Strict: a package listed
here that has no cycle any more fails the test, so the entry is removed with the fix."""

NO_IO = (
    "aiohttp",
    "httpx",
    "socket",
    "subprocess",
    "conformance.embedded",
    "conformance.http",
    "conformance.oracles_node",
    "conformance.probing",
    "conformance.runner",
    "conformance.session",
)
"""What a module that does no I/O never imports, directly or through other modules of
the product (``websockets`` too, which nothing imports yet)."""


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)


def _local(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def components(g: grimp.ImportGraph, modules: Iterable[str]) -> list[list[str]]:
    """The strongly connected components of ``modules`` with more than one module (or a
    module importing itself), each sorted; Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(_edges(g, root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(_edges(g, child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in _edges(g, node):
                    found.append(sorted(component))
    return found


def _edges(g: grimp.ImportGraph, module: str) -> set[str]:
    return {m for m in g.find_modules_directly_imported_by(module) if _local(m)}


def shortest_cycle(g: grimp.ImportGraph, start: str) -> list[str]:
    """The shortest import cycle through ``start``: ``[start, ..., start]``, or ``[]``
    (breadth-first)."""
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(_edges(g, node)):
            if child == start:
                path = [node]
                while (up := parent[path[-1]]) is not None:
                    path.append(up)
                return [*reversed(path), start]
            if child not in parent:
                parent[child] = node
                queue.append(child)
    return []


def cycles(g: grimp.ImportGraph, modules: Iterable[str]) -> list[list[str]]:
    """One shortest cycle per strongly connected component of ``modules`` (through its
    first module by name), components by name."""
    return [shortest_cycle(g, c[0]) for c in sorted(components(g, modules))]


def product_modules(g: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in g.modules if _local(m))


def _describe(g: grimp.ImportGraph, component: list[str]) -> str:
    cycle = " -> ".join(shortest_cycle(g, component[0]))
    return f"{cycle}  (the circle holds {len(component)}: {', '.join(component)})"


def test_no_import_cycle_in_the_product() -> None:
    g = graph()
    found = sorted(components(g, product_modules(g)))
    excused = {c[0].split(".")[0] for c in found if c[0].split(".")[0] in TODO_EXCLUDED}
    cured = sorted(set(TODO_EXCLUDED) - excused)
    assert not cured, f"no cycle left in {cured}: remove them from TODO_EXCLUDED"
    found = [c for c in found if c[0].split(".")[0] not in TODO_EXCLUDED]
    assert not found, "import cycles:\n" + "\n".join(_describe(g, c) for c in found)


def test_a_cycle_is_found_and_named() -> None:
    g = grimp.ImportGraph()
    for importer, imported in [
        ("conformance.a", "conformance.b"),
        ("conformance.b", "conformance.c"),
        ("conformance.c", "conformance.a"),
        ("conformance.c", "conformance.d"),
        ("conformance.d", "conformance.d"),
        ("conformance.e", "conformance.a"),
    ]:
        g.add_import(importer=importer, imported=imported)
    assert cycles(g, g.modules) == [
        ["conformance.a", "conformance.b", "conformance.c", "conformance.a"],
        ["conformance.d", "conformance.d"],
    ]


@pytest.mark.parametrize("source", ["conformance.checks", "conformance.probes"])
@pytest.mark.parametrize("forbidden", NO_IO)
def test_checks_and_probe_data_do_no_io(source: str, forbidden: str) -> None:
    g = graph()
    if forbidden not in g.modules:
        pytest.skip(f"nothing in the product imports {forbidden}")
    chains = g.find_shortest_chains(importer=source, imported=forbidden, as_packages=True)
    assert not chains, f"{source} imports {forbidden}: " + "; ".join(
        " -> ".join(chain) for chain in sorted(chains)
    )


def test_the_probe_data_imports_no_check() -> None:
    chains = graph().find_shortest_chains(
        importer="conformance.probes", imported="conformance.registry", as_packages=True
    )
    assert not chains, "; ".join(" -> ".join(c) for c in sorted(chains))
