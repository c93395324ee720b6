"""``reasoning_effort`` / ``thinking_budget`` -> ``thinkingConfig`` (client-breakages.md C2)."""

from __future__ import annotations

from typing import Any

import pytest

from reference_impl.translate import RequestError
from reference_impl.translate.thinking import EFFORTS, model_version, thinking_config


def budget(value: int, include: bool = True) -> dict[str, Any]:
    return {"thinkingBudget": value, "includeThoughts": include}


def level(value: str, include: bool = True) -> dict[str, Any]:
    return {"thinkingLevel": value, "includeThoughts": include}


@pytest.mark.parametrize(
    ("model", "effort", "expected"),
    [
        ("gemini-2.5-flash", "none", budget(0, include=False)),
        ("gemini-2.5-flash", "minimal", budget(512)),
        ("gemini-2.5-flash", "low", budget(1024)),
        ("gemini-2.5-flash", "medium", budget(8192)),
        ("gemini-2.5-flash", "high", budget(24576)),
        ("gemini-2.5-flash-lite", "low", budget(1024)),
        ("gemini-2.5-pro", "none", budget(128, include=False)),  # pro cannot go to 0
        ("gemini-2.5-pro", "high", budget(24576)),
        ("gemini-flash-latest", "low", budget(1024)),
        ("gemini-3-flash-preview", "none", level("MINIMAL", include=False)),
        ("gemini-3-flash-preview", "minimal", level("MINIMAL")),
        ("gemini-3-flash-preview", "medium", level("MEDIUM")),
        ("gemini-3-pro-preview", "none", level("LOW", include=False)),
        ("gemini-3-pro-preview", "minimal", level("LOW")),
        ("gemini-3-pro-preview", "low", level("LOW")),
        ("gemini-3-pro-preview", "medium", level("HIGH")),  # 3.0 Pro: LOW and HIGH only
        ("gemini-3.1-pro-preview", "medium", level("MEDIUM")),
        ("gemini-3.1-pro-preview", "minimal", level("LOW")),
        ("gemini-3.5-flash", "xhigh", level("HIGH")),
        ("gemini-2.0-flash", "high", None),
        ("gemini-1.5-pro", "none", None),
    ],
)
def test_reasoning_effort(model: str, effort: str, expected: dict[str, Any] | None) -> None:
    assert thinking_config(model, effort, None) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gemini-2.5-flash", {"includeThoughts": True}),
        ("gemini-3-pro-preview", {"includeThoughts": True}),
        ("gemini-2.0-flash", None),
        ("gemma-3-27b-it", None),
    ],
)
def test_default_shows_thoughts_on_thinking_models(
    model: str, expected: dict[str, Any] | None
) -> None:
    assert thinking_config(model, None, None) == expected


def test_explicit_budget_wins_and_never_mixes_with_a_level() -> None:
    assert thinking_config("gemini-3-pro-preview", "high", 2048) == budget(2048)
    assert thinking_config("gemini-2.5-flash", None, -1) == budget(-1)
    assert thinking_config("gemini-2.5-flash", "high", 0) == budget(0, include=False)
    for model in ("gemini-2.5-flash", "gemini-3-flash-preview", "gemini-3-pro-preview"):
        for effort in EFFORTS:
            out = thinking_config(model, effort, None) or {}
            assert not ("thinkingBudget" in out and "thinkingLevel" in out)


def test_unknown_effort_is_a_400() -> None:
    with pytest.raises(RequestError) as info:
        thinking_config("gemini-2.5-flash", "max", None)
    assert info.value.param == "reasoning_effort"


def test_model_version() -> None:
    assert model_version("gemini-2.5-flash") == (2, 5)
    assert model_version("gemini-3-pro-preview") == (3, 0)
    assert model_version("models/gemini-3.1-pro") == (3, 1)
    assert model_version("learnlm-2.0") == (0, 0)
