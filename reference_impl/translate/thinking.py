"""``reasoning_effort`` / ``thinking_budget`` -> Gemini ``generationConfig.thinkingConfig``.

Pure. Sources: docs/gemini-wire.md A1 (``thinkingBudget`` 0 = off, -1 = dynamic; Gemini 3
``thinkingLevel`` MINIMAL|LOW|MEDIUM|HIGH; budget and level together are a 400) and B5
(Google's compat layer: low/medium/high = 1K/8K/24K on 2.5, ``none`` disables);
docs/breakages.md C2 (gemini-2.5-pro cannot go to 0, its floor is 128; Gemini 3 Pro
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

Profiles may replace the table with a document's own (:class:`Rules`): antigravity2api
(antigravity2api) maps low/medium/high to budgets 1024/16000/32000 on every thinking
model, accepts ``thinking_budget`` 0 or 1024-32000 and defaults it to 1024.

``includeThoughts`` is true whenever thinking is not switched off, so thoughts reach the
client as ``reasoning_content`` (C1). With neither field set, thinking-capable models
(2.5 and later) get ``{"includeThoughts": true}`` only, so the model's default depth
stays and thoughts are visible. Models without thinking (1.5, 2.0) never get a
``thinkingConfig`` from ``reasoning_effort``; ids without a version (``gemini-flash-latest``)
are treated like 2.5.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import RequestError

__all__ = ["EFFORTS", "Rules", "model_version", "thinking_config", "thinks"]

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
"""Accepted ``reasoning_effort`` values (``xhigh`` is treated as ``high``)."""

_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576, "xhigh": 24576}
_PRO_FLOOR = 128
_VERSION_RE = re.compile(r"gemini-(\d+)(?:\.(\d+))?")


_VERSIONS: dict[str, tuple[int, int]] = {}
"""Versions already read (a proxy sees a handful of model ids; at most 1024 kept)."""


def model_version(model: str) -> tuple[int, int]:
    """``(major, minor)`` of a ``gemini-X.Y-...`` model id; ``(0, 0)`` when not one."""
    version = _VERSIONS.get(model)
    if version is None:
        m = _VERSION_RE.search(model)
        version = (int(m.group(1)), int(m.group(2) or 0)) if m else (0, 0)
        if len(_VERSIONS) < 1024:
            _VERSIONS[model] = version
    return version


@dataclass(frozen=True, slots=True)
class Rules:
    """A document's own thinking rules. ``efforts``: ``reasoning_effort`` -> budget
    (tokens; other efforts keep the Gemini mapping). ``budget_range``: the allowed
    ``thinking_budget`` besides 0. ``default_budget``: sent to thinking models when the
    request names neither field."""

    efforts: Mapping[str, int] | None = None
    budget_range: tuple[int, int] | None = None
    default_budget: int | None = None


_THINKING_NAMES = ("thinking", "-high", "-low", "-medium")


def thinks(model: str) -> bool:
    """Whether ``model`` thinks: Gemini 2.5 and later, ids without a version, and antigravity2api's
    non-Gemini thinking models (``claude-*-thinking``, ``gemini-3-pro-high``...)."""
    version = model_version(model)
    if version == (0, 0):
        return model.startswith("gemini") or any(n in model for n in _THINKING_NAMES)
    return version >= (2, 5)


def _level(effort: str, version: tuple[int, int], pro: bool) -> str:
    if effort in ("none", "minimal"):
        return "LOW" if pro else "MINIMAL"
    if effort == "low":
        return "LOW"
    if effort == "medium":
        return "HIGH" if pro and version == (3, 0) else "MEDIUM"
    return "HIGH"


def thinking_config(
    model: str, effort: str | None, budget: int | None, rules: Rules | None = None
) -> dict[str, Any] | None:
    """The ``thinkingConfig`` for ``model`` (without ``models/``), or ``None`` to omit it.

    ``effort``: ``reasoning_effort`` (see :data:`EFFORTS`; anything else is a 400 naming
    ``reasoning_effort``). ``budget``: an explicit ``thinking_budget`` in tokens (-1 =
    dynamic), which wins over ``effort``. ``rules``: a document's own mapping. Never
    returns both a budget and a level.
    """
    if effort is not None and effort not in EFFORTS:
        raise RequestError(
            f"reasoning_effort must be one of {', '.join(EFFORTS)}; got {effort!r}",
            param="reasoning_effort",
        )
    version = model_version(model)
    pro = "-pro" in model
    if rules is not None:
        if budget is not None and rules.budget_range is not None and budget != 0:
            lo, hi = rules.budget_range
            if not lo <= budget <= hi:
                raise RequestError(
                    f"thinking_budget must be 0 or between {lo} and {hi}; got {budget}",
                    param="thinking_budget",
                )
        if budget is None and effort is not None and rules.efforts and effort in rules.efforts:
            if not thinks(model):
                return None
            budget = rules.efforts[effort]
        if budget is None and effort is None and rules.default_budget is not None:
            if not thinks(model):
                return None
            budget = rules.default_budget
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
