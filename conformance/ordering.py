"""Putting a registry in a declared module order, whatever order the modules happened to
be imported in (the probe registry and the check registry both use it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["arrange"]

T = TypeVar("T")


def arrange(
    table: dict[str, T], modules: Sequence[str], module_of: Callable[[T], str], what: str
) -> None:
    """Reorder ``table`` in place: the entries of ``modules[0]`` first, and so on, each
    module's entries in their present order. Raises ``LookupError`` naming every entry
    (``what``: "probe", "check") whose module is not in ``modules``."""
    rank = {module: i for i, module in enumerate(modules)}
    stray = [f"{key} ({module_of(v)})" for key, v in table.items() if module_of(v) not in rank]
    if stray:
        raise LookupError(f"{what}s of modules missing from the declared order: {', '.join(stray)}")
    ordered = sorted(table.items(), key=lambda item: rank[module_of(item[1])])  # stable
    table.clear()
    table.update(ordered)
