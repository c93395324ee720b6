"""Reasoning: Gemini thought parts must reach clients as ``reasoning_content`` and never
leak into ``content`` (client-breakages.md C1; wire-formats.md B5)."""

from __future__ import annotations

import json
from typing import Any

from ..exchange import Exchange
from ..registry import CheckFailure, Mode, NotApplicable, Severity, check, excerpt
from ._common import chunks_of, json_object, require_success
from .upstream import normalise, upstream_answer

__all__ = ["answer_texts"]

_LEAK_SOURCE = (
    "client-breakages.md C1 (BerriAI/litellm#10227, openclaw#61350, lijunzh/koda#491); "
    "antigravity2api 'Chain of Thought Response Format'"
)


def answer_texts(x: Exchange) -> tuple[str, str, str]:
    """``(content, reasoning_content, reasoning)`` of the first choice, for a unary body
    or a stream (deltas concatenated). Missing fields give ``""``."""
    if x.content_type == "text/event-stream":
        parts: dict[str, list[str]] = {"content": [], "reasoning_content": [], "reasoning": []}
        for chunk in chunks_of(x):
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") if isinstance(choice, dict) else None
                if not isinstance(delta, dict) or choice.get("index", 0) != 0:
                    continue
                for key, bucket in parts.items():
                    if isinstance(delta.get(key), str):
                        bucket.append(delta[key])
        return tuple("".join(parts[k]) for k in ("content", "reasoning_content", "reasoning"))  # type: ignore[return-value]
    require_success(x)
    body = json_object(x)
    choices = body.get("choices")
    message: Any = choices[0].get("message") if isinstance(choices, list) and choices else {}
    message = message if isinstance(message, dict) else {}
    return tuple(  # type: ignore[return-value]
        message.get(k) if isinstance(message.get(k), str) else ""
        for k in ("content", "reasoning_content", "reasoning")
    )


def _thoughts(x: Exchange) -> str:
    thoughts = upstream_answer(x).get("thoughts")
    if not isinstance(thoughts, str) or not thoughts.strip():
        raise NotApplicable(
            "the upstream sent no thought text (the proxy did not ask for includeThoughts)"
        )
    return thoughts


def _fragments(thoughts: str) -> list[str]:
    """Pieces of the thought text long enough that finding one in ``content`` is a leak."""
    pieces = [normalise(p) for p in thoughts.replace("\n", ".").split(".")]
    return [p for p in pieces if len(p) >= 16] or [normalise(thoughts)]


def _check_no_leak(x: Exchange) -> None:
    require_success(x)
    thoughts = _thoughts(x)
    content, _, _ = answer_texts(x)
    flat = normalise(content)
    for tag in ("<thought>", "<think>", "<thinking>"):
        if tag in content:
            raise CheckFailure(
                f"content carries {tag} tags: the thoughts leak into the answer",
                excerpt=excerpt(content),
            )
    leaked = [f for f in _fragments(thoughts) if f in flat]
    if leaked:
        raise CheckFailure(
            "the upstream's thought text appears in `content`; clients show the model's "
            f"private reasoning as the answer (e.g. {leaked[0][:80]!r})",
            excerpt=excerpt(content),
        )


def _check_reasoning_content(x: Exchange) -> None:
    require_success(x)
    thoughts = normalise(_thoughts(x))
    _, reasoning_content, reasoning = answer_texts(x)
    if thoughts in normalise(reasoning_content):
        return
    also = (
        " (it is in `reasoning`, which OpenRouter-style clients read)"
        if thoughts in normalise(reasoning)
        else ""
    )
    raise CheckFailure(
        "the upstream's thoughts are not in `reasoning_content`" + also + "; Open WebUI, "
        "Cherry Studio, opencode and LibreChat read reasoning from there",
        excerpt=excerpt(json.dumps({"reasoning_content": reasoning_content[:300]})),
    )


for _probe, _label in (("thoughts", "unary"), ("thoughts_stream", "stream")):
    _suffix = "" if _probe == "thoughts" else ".stream"
    check(
        f"reasoning.no_thoughts_in_content{_suffix}",
        title=f"Thought parts never appear in `content` ({_label})",
        severity=Severity.CRITICAL,
        source=_LEAK_SOURCE,
        probes=(_probe,),
        mode=Mode.CONTROLLED,
        features=("chat",),
    )(_check_no_leak)
    check(
        f"reasoning.reasoning_content{_suffix}",
        title=f"Thought parts arrive in `reasoning_content` ({_label})",
        severity=Severity.MEDIUM,
        source="client-breakages.md C1; wire-formats.md B5 (DeepSeek format)",
        probes=(_probe,),
        mode=Mode.CONTROLLED,
        features=("chat", "reasoning"),
    )(_check_reasoning_content)
