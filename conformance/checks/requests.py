"""Requests real clients send must be accepted: OpenAI-only fields and content-part
arrays (client-breakages.md F1, F3)."""

from __future__ import annotations

import json

from ..exchange import Exchange
from ..probes.params import KITCHEN_SINK, SYSTEM_PROMPT
from ..registry import CheckFailure, Severity, check, excerpt
from ._common import require_response
from .upstream import normalise, request_body

__all__: list[str] = []


@check(
    "requests.openai_only_fields",
    title="OpenAI-only fields (store, metadata, user, parallel_tool_calls, ...) are tolerated",
    severity=Severity.HIGH,
    source=(
        "client-breakages.md F1 (ed-donner/agents#45, jackmpcollins/magentic#382, "
        "MinLL/SkyrimNet-GamePlugin#77)"
    ),
    probes=("kitchen_sink",),
    features=("chat",),
)
def openai_only_fields(x: Exchange) -> None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(
            f"a request with {', '.join(sorted(KITCHEN_SINK))} got HTTP {status}; the OpenAI "
            "Agents SDK, magentic and others send these by default",
            excerpt=excerpt(x.body),
        )


@check(
    "requests.content_part_arrays",
    title="Message content given as an array of text parts is accepted for every role",
    severity=Severity.HIGH,
    source="client-breakages.md F3 (tashfeenahmed/freellmapi#75: opencode, continue.dev)",
    probes=("content_parts",),
    features=("chat",),
)
def content_part_arrays(x: Exchange) -> str | None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(
            f"system/user/assistant messages with content arrays got HTTP {status}",
            excerpt=excerpt(x.body),
        )
    if not x.upstream:
        return None
    body = request_body(x)
    sent = normalise(json.dumps(body, ensure_ascii=False))
    for text in ("Hello there.", "Hi. How can I help?", SYSTEM_PROMPT):
        if normalise(text) not in sent:
            raise CheckFailure(
                f"the text part {text!r} did not reach the upstream",
                excerpt=excerpt(json.dumps(body)[:800]),
            )
    return None
