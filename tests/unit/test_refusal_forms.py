"""Refusals in every form a proxy answers them, each judged once, by the check that owns
the request (found running the suite against lm-proxy 3.3.2, a FastAPI proxy that
streams a refusal as a 200 with an error event, and whose one refused field used to
fail five translation checks sharing one request)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from conformance.checks._refusals import require_accepted, stream_refusal
from conformance.exchange import Exchange
from conformance.registry import REGISTRY, CheckFailure, NotApplicable
from tests.check_cases import good
from tests.factories import (
    chunk,
    completion,
    error_exchange,
    journal,
    json_exchange,
    sse,
    stream_exchange,
    text_chunks,
)

MOCK_CID = {"x-mock-cid": "abc.probe"}
"""A correlation id header: the journal then speaks for the request (controlled mode)."""


def _journaled(x: Exchange) -> Exchange:
    request = replace(x.request, headers={**x.request.headers, **MOCK_CID})
    return replace(x, request=request)


def _error_only_stream(probe: str, upstream: tuple[dict[str, Any], ...] = ()) -> Exchange:
    """lm-proxy's answer to a request its Gemini SDK call refused: a role chunk, an error
    event, then a finish chunk, all in a 200 stream."""
    body = sse(
        chunk({"role": "assistant"}),
        {
            "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
            "error": {"message": "reasoning_effort: Extra inputs are not permitted"},
        },
        chunk({}, "error"),
    )
    return _journaled(stream_exchange(probe, body, upstream=upstream))


def _run(check_id: str, **swap: Exchange) -> str | None:
    exchanges = good()
    exchanges.update(swap)
    return REGISTRY[check_id].run(exchanges)


# -- a refusal in stream form ---------------------------------------------------------------


def test_a_200_stream_holding_only_an_error_event_is_a_refusal() -> None:
    x = _error_only_stream("thoughts_stream")
    assert stream_refusal(x) == {"message": "reasoning_effort: Extra inputs are not permitted"}
    with pytest.raises(CheckFailure) as failure:
        require_accepted(x, "a streamed request with reasoning_effort")
    message = failure.value.message
    assert "got HTTP 200 with a stream that holds only an error event" in message
    assert "reasoning_effort: Extra inputs are not permitted" in message
    assert "the upstream was never called: the proxy refused the request itself" in message


def test_a_stream_that_answered_then_broke_off_is_not_a_refusal() -> None:
    body = sse(*text_chunks()[:2], {"error": {"message": "upstream broke off"}}, done=False)
    x = stream_exchange("chat_stream", body)
    assert stream_refusal(x) is None
    assert require_accepted(x, "a plain stream") == 200


def test_a_stream_without_an_error_event_is_not_a_refusal() -> None:
    assert stream_refusal(stream_exchange("chat_stream", sse(*text_chunks()))) is None


def test_reasoning_doors_fails_a_standard_door_refused_in_stream_form() -> None:
    with pytest.raises(CheckFailure) as failure:
        _run("reasoning.doors", thoughts_stream=_error_only_stream("thoughts_stream"))
    assert failure.value.message.startswith("[thoughts_stream] asking for reasoning")
    assert "holds only an error event" in failure.value.message


def test_a_success_never_sent_upstream_says_the_stream_held_only_an_error() -> None:
    x = _error_only_stream("thoughts_stream", upstream=())
    x = replace(x, upstream_keys=frozenset({"k"}))
    with pytest.raises(CheckFailure) as failure:
        _run("reasoning.reasoning_content.stream", thoughts_stream=x)
    assert "HTTP 200 holding only an error event" in failure.value.message


# -- a stream whose request asks for more than a stream --------------------------------------


def test_a_refused_tool_stream_is_judged_by_the_tool_checks_not_the_stream_framing() -> None:
    refused = error_exchange("tool_calls_stream", 422, "tool_choice: extra fields not permitted")
    assert _run("stream.content_type", tool_calls_stream=refused) is None
    with pytest.raises(CheckFailure) as failure:
        _run("tools.stream_index", tool_calls_stream=refused)
    assert "got HTTP 422" in failure.value.message


def test_a_refused_plain_stream_still_fails_the_framing_check() -> None:
    with pytest.raises(CheckFailure) as failure:
        _run("stream.content_type", chat_stream=error_exchange("chat_stream", 422))
    assert "stream=true got HTTP 422, expected 200" in failure.value.message


# -- one request per generation field ---------------------------------------------------------


def test_a_refused_field_fails_its_own_check_and_no_other() -> None:
    refused = _journaled(error_exchange("max_completion_tokens", 502, "upstream_error"))
    with pytest.raises(CheckFailure) as failure:
        _run("translate.max_completion_tokens", max_completion_tokens=refused)
    assert "max_completion_tokens 77 got HTTP 502" in failure.value.message
    assert "the proxy refused the request itself" in failure.value.message
    for other in ("translate.sampling", "translate.stop", "translate.system_instruction"):
        _run(other, max_completion_tokens=refused)


def test_a_refused_system_message_fails_system_instruction_with_its_status() -> None:
    refused = _journaled(error_exchange("system_prompt", 400, "role 'system' not supported"))
    with pytest.raises(CheckFailure) as failure:
        _run("translate.system_instruction", system_prompt=refused)
    assert "a request with a system message got HTTP 400" in failure.value.message


def test_credentials_are_not_judged_on_a_request_that_never_reached_the_upstream() -> None:
    refused = _journaled(error_exchange("system_prompt", 502, "upstream_error"))
    with pytest.raises(NotApplicable, match="never reached the upstream"):
        REGISTRY["translate.client_credential_not_forwarded"].func(refused)


def test_credentials_are_still_judged_when_the_upstream_was_called() -> None:
    leaked = json_exchange(
        "system_prompt",
        completion(),
        upstream=journal(
            credentials=[
                {"where": "header:x-goog-api-key", "sha256": "aaaaaaaaaaaa"},
                {"where": "header:authorization", "sha256": "bbbbbbbbbbbb"},
            ]
        ),
    )
    with pytest.raises(CheckFailure, match="2 credentials"):
        REGISTRY["translate.client_credential_not_forwarded"].func(leaked)


# -- the fields a pydantic validation error names --------------------------------------------

LM_PROXY_ERROR = (
    "{'message': \"3 validation errors for GenerateContentConfig\\ntools.type\\n  Extra "
    "inputs are not permitted [type=extra_forbidden, input_value='function', "
    "input_type=str]\\n    For further information visit https://errors.pydantic.dev/2.12/"
    "v/extra_forbidden\\nreasoning_effort\\n  Extra inputs are not permitted "
    "[type=extra_forbidden, input_value='high', input_type=str]\", 'type': 'ValidationError'}"
)
"""lm-proxy 3.3.2's error event for a streamed request with tools and reasoning_effort:
the google-genai SDK's pydantic error, its str() inside another's repr (``\\n`` written
out)."""


def _sent(x: Exchange, **fields: Any) -> Exchange:
    body = {**(x.request.json_body or {}), **fields}
    raw = json.dumps(body).encode()
    return replace(x, request=replace(x.request, body=raw, json_body=body))


def test_a_pydantic_error_in_a_stream_refusal_names_the_refused_fields() -> None:
    from conformance.checks._refusals import refused_fields
    from conformance.checks.causes import refused_fields as cause

    stream = sse(
        chunk({"role": "assistant"}),
        {"choices": [], "error": {"message": LM_PROXY_ERROR, "type": "dict"}},
    )
    x = _sent(
        _journaled(stream_exchange("thoughts_tool_call_stream", stream)),
        tools=[{"type": "function", "function": {"name": "get_weather"}}],
        reasoning_effort="high",
        temperature=0.2,
    )
    assert refused_fields(x) == ["reasoning_effort", "tools"]
    with pytest.raises(CheckFailure) as failure:
        require_accepted(x, "a streamed request with tools and reasoning_effort 'high'")
    assert "refusing `reasoning_effort`, `tools`" in failure.value.message
    assert failure.value.cause == cause(["reasoning_effort", "tools"])


def test_a_pydantic_error_names_only_refused_fields_the_request_sent() -> None:
    from conformance.checks._refusals import refused_fields

    message = (
        "2 validation errors for ChatRequest\nseed\n  Extra inputs are not permitted "
        "[type=extra_forbidden]\nmodel_name\n  Field required [type=missing]"
    )
    x = _sent(error_exchange("kitchen_sink", 422, message), seed=7, user="u", model_name="m")
    assert refused_fields(x) == ["seed"]  # model_name: missing, not refused; user: unnamed
