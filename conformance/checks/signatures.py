"""Multi-turn tool calling: Gemini 3 thought signatures must survive the round trip, and
tool-call ids must not repeat across answers (docs/breakages.md B1, B4)."""

from __future__ import annotations

from typing import Any

from ..exchange import Exchange
from ..registry import CheckFailure, Mode, NotApplicable, Severity, check, excerpt
from ._common import json_object, require_response
from .tools import collect_stream_calls
from .upstream import confirm_upstream_success

__all__ = ["B1"]

B1 = (
    "https://ai.google.dev/gemini-api/docs/thought-signatures; "
    "https://github.com/langgenius/dify-official-plugins/issues/2088; "
    "https://github.com/snailyp/gemini-balance/issues/391; "
    "https://github.com/OpenHands/software-agent-sdk/issues/1500"
)


def _second_turn_ok(x: Exchange, how: str) -> None:
    if not x.previous:
        body = x.request.json_body
        model = body.get("model") if isinstance(body, dict) else None
        raise NotApplicable(f"turn 1 on {model} brought no tool call to answer")
    status = require_response(x)
    if status == 200:
        # controlled mode: a 200 counts only when the upstream answered turn 2 with a
        # success and the client got its text (not an error dressed as a success)
        confirm_upstream_success(x)
        return
    hint = " (the thought signature was lost)" if b"thought_signature" in x.body else ""
    raise CheckFailure(
        f"turn 2 (tool results, assistant turn {how}) got HTTP {status}{hint}; every "
        "agent loop on Gemini 3 stops here",
        excerpt=excerpt(x.body),
    )


@check(
    "tools.signature_round_trip",
    title="Gemini 3: a tool call answered with the assistant turn sent back as received works",
    severity=Severity.HIGH,
    source=B1,
    probes=("signature_echo",),
    mode=Mode.CONTROLLED,
    features=("tools",),
)
def signature_round_trip(x: Exchange) -> None:
    _second_turn_ok(x, "sent back as received")


@check(
    "tools.signature_without_client_echo",
    title="Gemini 3: a plain client that drops vendor fields can still answer a tool call",
    severity=Severity.HIGH,
    source=B1,
    probes=("signature_dropped",),
    mode=Mode.CONTROLLED,
    features=("tools",),
)
def signature_without_client_echo(x: Exchange) -> None:
    _second_turn_ok(x, "stripped to plain OpenAI fields")


@check(
    "tools.signature_stream_round_trip",
    title="Gemini 3: a streamed tool call answered with the assistant turn rebuilt from the "
    "deltas works",
    severity=Severity.HIGH,
    source=B1,
    probes=("signature_stream",),
    mode=Mode.CONTROLLED,
    features=("tools", "stream"),
)
def signature_stream_round_trip(x: Exchange) -> None:
    """Agent loops stream, and rebuild the assistant turn from the deltas (id, name,
    arguments): a proxy that keeps the signature for unary answers (in the call id, or a
    cache) but loses it on the streamed path breaks every streaming agent's second turn."""
    _second_turn_ok(x, "rebuilt from the streamed deltas")


def _unary_ids(x: Exchange) -> list[str]:
    body = json_object(x)
    message: Any = (body.get("choices") or [{}])[0].get("message") or {}
    calls = message.get("tool_calls") or []
    return [str(c["id"]) for c in calls if isinstance(c, dict) and c.get("id")]


@check(
    "tools.ids_unique_across_answers",
    title="Tool-call ids do not repeat across answers (no call_0 reset per turn)",
    severity=Severity.HIGH,
    source=(
        "https://github.com/langchain-ai/langchainjs/issues/10170; "
        "https://github.com/camel-ai/camel/issues/3027; "
        "https://github.com/danny-avila/LibreChat/issues/8490"
    ),
    probes=("tool_calls", "tool_calls_stream"),
    mode=Mode.CONTROLLED,
    features=("tools", "stream"),
)
def ids_unique_across_answers(unary: Exchange, stream: Exchange) -> None:
    if unary.status != 200 or stream.status != 200:
        raise NotApplicable("a tool-call probe did not answer 200")
    first = [i for i in _unary_ids(unary) if i]
    second = [c["id"] for c in collect_stream_calls(stream).values() if c.get("id")]
    if not first or not second:
        raise NotApplicable("a tool-call probe brought no tool call ids")
    shared = sorted(set(first) & set(second))
    if shared:
        raise CheckFailure(
            f"two different answers reuse tool-call ids {shared}; in one conversation "
            "clients then pair results with the wrong call or skip tools",
        )
