"""mockserver.codeassist: v1internal envelopes (Code Assist and Antigravity), accounts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mockserver.codeassist import (
    available_models,
    count_tokens,
    load_code_assist,
    onboard_user,
    parse_envelope,
    project_for,
    trace_id,
    wrap,
)
from mockserver.errors import GoogleError
from mockserver.responses import generate
from spec.scenarios import Directive
from spec.sse import decode

INNER = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "session_id": "s-1"}


def envelope(**extra: Any) -> dict[str, Any]:
    return {"model": "gemini-2.5-pro", "project": "p-1", "user_prompt_id": "u#1",
            "request": INNER, **extra}  # fmt: skip


def test_code_assist_and_antigravity_envelopes() -> None:
    plain = parse_envelope(envelope())
    assert (plain.model.id, plain.variant, plain.project, plain.session_id) == (
        "gemini-2.5-pro", "code_assist", "p-1", "s-1")  # fmt: skip
    ag = parse_envelope(
        {"project": "p", "model": "claude-sonnet-4-5-thinking", "userAgent": "antigravity",
         "requestId": "agent-1", "requestType": "agent",
         "request": {"contents": INNER["contents"], "sessionId": "s-2"}}
    )  # fmt: skip
    assert (ag.model.id, ag.variant, ag.session_id) == (
        "claude-sonnet-4-5-thinking", "antigravity", "s-2")  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (envelope(extra=1), 400, 'Unknown name "extra": Cannot find field.'),
        (envelope(request={**INNER, "stream": True}), 400, "Unknown name \"stream\" at 'request'"),
        (envelope(request="x"), 400, "Invalid value at 'request'"),
        (envelope(request=None), 400, "request is not specified"),
        (  # the envelope and its request are one message: every problem in one answer
            envelope(extra=1, request={**INNER, "stream": True}),
            400,
            "Unknown name \"stream\" at 'request': Cannot find field.\n"
            'Invalid JSON payload received. Unknown name "extra": Cannot find field.',
        ),
        ({"request": INNER}, 400, "model is not specified"),
        (envelope(model="gemini-pro"), 404, "not found for API version v1internal"),
        (envelope(request={"contents": []}), 400, "contents is not specified"),
    ],
)
def test_bad_envelopes(body: dict[str, Any], status: int, needle: str) -> None:
    with pytest.raises(GoogleError) as info:
        parse_envelope(body)
    assert info.value.status == status
    assert needle in info.value.message


def test_responses_are_wrapped_with_one_trace_id_per_stream() -> None:
    parsed = parse_envelope(envelope())
    unary = json.loads(generate(parsed.model, parsed.request, Directive(), 0, stream=False,
                                wrap=wrap).body)  # fmt: skip
    assert set(unary) == {"response", "traceId"}
    # the Vertex AI form (mockserver.codeassist docstring): createTime, trafficType, no
    # serviceTier, and the responseId recorded Code Assist answers carry
    inner = unary["response"]
    assert list(inner) == ["candidates", "usageMetadata", "modelVersion", "createTime",
                           "responseId"]  # fmt: skip
    assert re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", inner["createTime"])
    usage = inner["usageMetadata"]
    assert usage["trafficType"] == "PROVISIONED_THROUGHPUT"
    assert list(usage).index("trafficType") == list(usage).index("totalTokenCount") + 1
    assert "serviceTier" not in usage
    assert usage["thoughtsTokenCount"] > 0  # gemini-2.5-pro always thinks
    assert unary["response"]["candidates"][0]["finishReason"] == "STOP"
    reply = generate(parsed.model, parsed.request, Directive(chunks=3), 0, stream=True, wrap=wrap)
    assert reply.writes is not None
    raw = b"".join(w.data for w in reply.writes)
    assert raw.endswith(b"}\r\n\r\n")
    events = [json.loads(e.data) for e in decode([raw])]
    assert len(events) == 3
    assert {e["traceId"] for e in events} == {unary["traceId"]}
    assert {e["response"]["createTime"] for e in events} == {inner["createTime"]}
    assert all(e["response"]["usageMetadata"]["trafficType"] for e in events)
    assert len(unary["traceId"]) == 16
    assert trace_id("a") != trace_id("b")


def test_count_tokens_and_accounts() -> None:
    assert json.loads(
        count_tokens({"request": {"model": "models/x", "contents": INNER["contents"]}})
    ) == {"totalTokens": 1}
    before = json.loads(load_code_assist({"metadata": {}}, "sub", None))
    assert "currentTier" not in before
    assert before["allowedTiers"][0]["id"] == "free-tier"
    assert before["allowedTiers"][0]["isDefault"] is True
    project, operation = onboard_user({"tierId": "free-tier", "metadata": {}}, "sub")
    assert project == project_for("sub")
    body = json.loads(operation)
    assert body["done"] is True
    assert body["response"]["cloudaicompanionProject"] == {"id": project, "name": project}
    after = json.loads(load_code_assist({"metadata": {}}, "sub", project))
    assert after["currentTier"]["id"] == "free-tier"
    assert after["cloudaicompanionProject"] == project
    with pytest.raises(GoogleError, match="needs a project"):
        onboard_user({"tierId": "standard-tier"}, "sub")
    with pytest.raises(GoogleError, match="unknown tier"):
        onboard_user({"tierId": "gold"}, "sub")
    models = json.loads(available_models())["models"]
    assert models["claude-sonnet-4-5-thinking"]["quotaInfo"] == {"remainingFraction": 1}
    assert "gemini-2.5-flash-preview-tts" not in models
