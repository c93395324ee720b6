"""``reasoning_effort`` / ``thinking_budget`` -> Gemini ``generationConfig.thinkingConfig``.

Pure. Sources: wire-formats.md A1 (``thinkingBudget`` 0 = off, -1 = dynamic; Gemini 3
``thinkingLevel`` MINIMAL|LOW|MEDIUM|HIGH; budget and level together are a 400) and B5
(Google's compat layer: low/medium/high = 1K/8K/24K on 2.5, ``none`` disables);
client-breakages.md C2 (gemini-2.5-pro cannot go to 0, its floor is 128; Gemini 3 Pro
has no MINIMAL and 3.0 Pro no MEDIUM).

=================  ===========================  ==========================================
reasoning_effort   Gemini 2.5 ``thinkingBudget``  Gemini 3 ``thinkingLevel``
=================  ===========================  ==========================================
none               0 (Pro: 128)                 MINIMAL (Pro: LOW), thoughts not included
minimal            512                          MINIMAL (Pro: LOW)
low                1024                         LOW
medium             8192                         MEDIUM (3.0 Pro: HIGH)
high / xhigh       24576                        HIGH
=================  ===========================  ==========================================

``includeThoughts`` is true whenever thinking is not switched off, so thoughts reach the
client as ``reasoning_content`` (C1). With neither field set, thinking-capable models
(2.5 and later) get ``{"includeThoughts": true}`` only, so the model's default depth
stays and thoughts are visible. Models without thinking (1.5, 2.0) never get a
``thinkingConfig`` from ``reasoning_effort``; ids without a version (``gemini-flash-latest``)
are treated like 2.5.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import RequestError

__all__ = ["EFFORTS", "model_version", "thinking_config"]

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
"""Accepted ``reasoning_effort`` values (``xhigh`` is treated as ``high``)."""

_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576}
_PRO_FLOOR = 128
_VERSION_RE = re.compile(r"gemini-(\d+)(?:\.(\d+))?")


def model_version(model: str) -> tuple[int, int]:
    """``(major, minor)`` of a ``gemini-X.Y-...`` model id; ``(0, 0)`` when not one."""
    m = _VERSION_RE.search(model)
    if not m:
        return (0, 0)
    return (int(m.group(1)), int(m.group(2) or 0))


def _level(effort: str, version: tuple[int, int], pro: bool) -> str:
    if effort in ("none", "minimal"):
        return "LOW" if pro else "MINIMAL"
    if effort == "low":
        return "LOW"
    if effort == "medium":
        return "HIGH" if pro and version == (3, 0) else "MEDIUM"
    return "HIGH"


def thinking_config(model: str, effort: str | None, budget: int | None) -> dict[str, Any] | None:
    """The ``thinkingConfig`` for ``model`` (without ``models/``), or ``None`` to omit it.

    ``effort``: ``reasoning_effort`` (see :data:`EFFORTS`; anything else is a 400 naming
    ``reasoning_effort``). ``budget``: an explicit ``thinking_budget`` in tokens (-1 =
    dynamic), which wins over ``effort``. Never returns both a budget and a level.
    """
    if effort is not None and effort not in EFFORTS:
        raise RequestError(
            f"reasoning_effort must be one of {', '.join(EFFORTS)}; got {effort!r}",
            param="reasoning_effort",
        )
    version = model_version(model)
    pro = "-pro" in model
    if budget is not None:
        return {"thinkingBudget": budget, "includeThoughts": budget != 0}
    if effort is None:
        return {"includeThoughts": True} if version >= (2, 5) else None
    if version[0] >= 3:
        return {"thinkingLevel": _level(effort, version, pro), "includeThoughts": effort != "none"}
    if (0, 0) < version < (2, 5):
        return None  # a model without thinking (1.5, 2.0): a thinkingConfig would be a 400
    value = _BUDGETS[effort]
    if pro and value < _PRO_FLOOR:
        value = _PRO_FLOOR
    return {"thinkingBudget": value, "includeThoughts": effort != "none"}
