"""spec.wire and spec.mock_admin: every typed model is used by the code that builds or
reads the bodies it describes (or by another model), so none describes nothing."""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path
from types import ModuleType

import pytest

from spec import mock_admin, wire

ROOT = Path(__file__).resolve().parents[2]
USERS = ("mockserver", "conformance", "reference_impl", "reports")


def _typed_dicts(module: ModuleType) -> dict[str, type]:
    return {
        name: obj for name in module.__all__ if typing.is_typeddict(obj := getattr(module, name))
    }


def _imported(module: ModuleType) -> set[str]:
    """The names product code imports from ``module`` (``from spec.wire import X``)."""
    names: set[str] = set()
    for top in USERS:
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == module.__name__:
                    names |= {alias.name for alias in node.names}
    return names


def _referenced_by_models(module: ModuleType) -> set[str]:
    names: set[str] = set()
    for model in _typed_dicts(module).values():
        for hint in typing.get_type_hints(model).values():
            names |= set(re.findall(r"\w+", repr(hint)))
    return names


@pytest.mark.parametrize("module", [wire, mock_admin], ids=lambda m: m.__name__)
def test_every_model_is_used(module: ModuleType) -> None:
    used = _imported(module) | _referenced_by_models(module)
    assert [name for name in _typed_dicts(module) if name not in used] == []
