"""Every check passes on a hand-built good exchange and fails on a hand-built bad one.

``GOOD`` holds one conformant exchange per probe; each entry of ``BAD`` swaps one probe's
exchange for a precise defect and names the check that must catch it (and a fragment of
its message). A test makes sure every registered check has at least one bad case.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from conformance.checks.translation import credential_fingerprint
from conformance.exchange import Exchange
from conformance.probes.params import DEVELOPER_PROMPT, DEVELOPER_QUESTION, SYSTEM_PROMPTS
from conformance.registry import REGISTRY, CheckFailure, Undecided
from tests.check_cases import (
    CALLS,
    FAILOVER,
    MODELS,
    NO_ARGS_CALL,
    RETRY,
    USAGE,
    developer_body,
    good,
    thought_stream,
    tool_deltas,
    tool_message,
)
from tests.factories import (
    CLIENT_KEY,
    THOUGHTS,
    chunk,
    completion,
    error_exchange,
    journal,
    json_exchange,
    params_body,
    sse,
    stream_exchange,
    text_chunks,
)


def test_every_check_passes_on_good_exchanges() -> None:
    exchanges = good()
    failures = {}
    for spec in REGISTRY.values():
        try:
            spec.run(exchanges)
        except CheckFailure as exc:
            failures[spec.id] = exc.message
    assert failures == {}


def bad_stream(probe: str, raw: bytes, **kw: Any) -> Exchange:
    return stream_exchange(probe, raw, **kw)


_BOM = "\ufeff".encode()
_TEXT = text_chunks()

BAD: list[tuple[str, Exchange, str]] = [
    # models
    ("models.list_shape", json_exchange("models", {"models": MODELS["data"]}), "violates"),
    ("models.list_shape", json_exchange("models", {"object": "list", "data": []}), "empty"),
    ("models.list_shape", error_exchange("models", 500), "HTTP 500"),
    (
        "models.ids_plain",
        json_exchange(
            "models", {"object": "list", "data": [{"id": "models/x", "object": "model"}]}
        ),
        "models/",
    ),
    ("clients.openai_python.models", json_exchange("models", {"models": []}), "model list"),
    # chat
    ("chat.completion_shape", json_exchange("chat", completion(choices=[])), "violates"),
    (
        "chat.completion_shape",
        json_exchange("chat", completion(), content_type="text/html"),
        "Content-Type",
    ),
    ("chat.completion_shape", error_exchange("chat", 500), "HTTP 200, got 500"),
    (
        "chat.content_present",
        json_exchange("chat", completion({"role": "assistant", "content": None})),
        "empty",
    ),
    (
        "chat.usage",
        json_exchange(
            "chat",
            completion(usage={"prompt_tokens": "3", "completion_tokens": 1, "total_tokens": 4}),
        ),
        "not all integers",
    ),
    ("chat.usage", json_exchange("chat", {**completion(), "usage": None}), "no `usage`"),
    (
        "clients.openai_python.completion",
        json_exchange("chat", b'{"id": "x", "choices": []}'),
        "choices[0]",
    ),
    (  # a document that streams by default: create() without stream=True gets the SSE text
        "clients.openai_python.create_default",
        json_exchange("chat_no_stream_field", sse(*_TEXT), content_type="text/event-stream"),
        "returns the raw body as a str",
    ),
    (
        "clients.openai_python.create_default",
        json_exchange("chat_no_stream_field", b'{"id": "x", "choices": []}'),
        "choices[0]",
    ),
    # stream framing
    (
        "stream.content_type",
        stream_exchange("chat_stream", sse(*_TEXT), content_type="application/json"),
        "Content-Type",
    ),
    (
        "stream.content_type",
        stream_exchange("tool_calls_stream", b"", status=500),
        "[tool_calls_stream]",
    ),
    (
        "stream.data_lines_only",
        bad_stream("chat_stream", b"event: message\n" + sse(*_TEXT)),
        "'event'",
    ),
    ("stream.no_empty_events", bad_stream("chat_stream", b"data:\n\n" + sse(*_TEXT)), "empty"),
    (
        "stream.no_empty_events",
        bad_stream("chat_stream", b"retry: 1000\n\n" + sse(*_TEXT)),
        "without data",
    ),
    (
        "stream.no_empty_events",
        bad_stream("chat_stream", b"id: 1\n" + sse(*_TEXT) + b": ping\n\n"),
        "`id:`",
    ),
    (
        "stream.no_empty_events",
        bad_stream("thoughts_stream", b"event: ping\n\n" + sse(*thought_stream())),
        "[thoughts_stream]",
    ),
    ("stream.no_bom", bad_stream("chat_stream", _BOM + sse(*_TEXT)), "U+FEFF"),
    (
        "stream.payloads_json",
        bad_stream("chat_stream", b"data: : ping\n\n" + sse(*_TEXT)),
        "not JSON",
    ),
    ("stream.payloads_json", bad_stream("chat_stream", sse("[1, 2]", *_TEXT)), "not an object"),
    (
        "stream.events_closed",
        bad_stream("chat_stream", sse(*_TEXT, done=False) + b'data: {"x": 1}\n'),
        "ends inside an event",
    ),
    (
        "stream.done_terminator",
        bad_stream("chat_stream", sse(*_TEXT, done=False)),
        "without `data: [DONE]`",
    ),
    (
        "stream.done_terminator",
        bad_stream("chat_stream", sse(*_TEXT) + sse(_TEXT[1], done=False)),
        "after [DONE]",
    ),
    (
        "stream.done_terminator",
        bad_stream("chat_stream", sse(*_TEXT, done=False) + b"data: [DONE] \n\n"),
        "exactly '[DONE]'",
    ),
    (
        "stream.done_terminator",
        bad_stream(
            "chat_stream", sse(*_TEXT[:2], done=False), transport_error="RemoteProtocolError"
        ),
        "broke off",
    ),
    (
        "stream.chunk_schema",
        bad_stream("chat_stream", sse(*_TEXT[:-1], {**_TEXT[-1], "object": "chat.completion"})),
        "violates",
    ),
    (
        "stream.chunk_schema",
        bad_stream("chat_stream", sse(_TEXT[0], chunk({"role": ""}), *_TEXT[1:])),
        "violates",
    ),
    ("stream.role_first", bad_stream("chat_stream", sse(*_TEXT[1:])), "role None"),
    (
        "stream.constant_identity",
        bad_stream("chat_stream", sse(_TEXT[0], {**_TEXT[1], "id": "chatcmpl-2"}, *_TEXT[2:])),
        "chunk 1 has id",
    ),
    (
        "stream.constant_created",
        bad_stream("chat_stream", sse(_TEXT[0], {**_TEXT[1], "created": 1}, *_TEXT[2:])),
        "chunk 1 has created=1",
    ),
    ("stream.finish_reason", bad_stream("chat_stream", sse(*_TEXT[:-1])), "0 non-null"),
    (
        "stream.finish_reason",
        bad_stream("chat_stream", sse(*_TEXT, chunk({}, "stop"))),
        "2 non-null",
    ),
    (
        "stream.finish_reason",
        bad_stream("chat_stream", sse(*_TEXT[:-1], chunk({}, "STOP"))),
        "not one of",
    ),
    (
        "stream.finish_reason",
        bad_stream("chat_stream", sse(*_TEXT, chunk({"content": "late"}))),
        "after its finish_reason",
    ),
    (
        "stream.finish_reason",
        bad_stream(
            "chat_stream",
            sse(*_TEXT[:-1], chunk(choices=[{"index": 0, "finish_reason": "stop"}])),
        ),
        "no `delta`",
    ),
    (
        "stream.no_usage_chunk_unasked",
        bad_stream("chat_stream", sse(*_TEXT, chunk(choices=[], usage=USAGE))),
        "no choices",
    ),
    ("stream.usage_chunk", bad_stream("chat_stream_usage", sse(*_TEXT)), "no chunk carries"),
    (
        "stream.usage_chunk",
        bad_stream("chat_stream_usage", sse(_TEXT[0], chunk(choices=[], usage=USAGE), *_TEXT[1:])),
        "the last chunk (5) has none",
    ),
    (
        # LiteLLM's and Google's endpoint's shape: the usage rides on the finish chunk
        "stream.usage_own_chunk",
        bad_stream("chat_stream_usage", sse(*_TEXT[:-1], {**_TEXT[-1], "usage": USAGE})),
        "still has choices",
    ),
    (
        "stream.usage_own_chunk",
        bad_stream(
            "chat_stream_usage",
            sse(_TEXT[0], chunk(choices=[]), *_TEXT[1:], chunk(choices=[], usage=USAGE)),
        ),
        "2 chunks have `choices: []`",
    ),
    (
        "stream.usage_chunk",
        bad_stream(
            "chat_stream_usage",
            sse(*_TEXT, {k: v for k, v in chunk(usage=USAGE).items() if k != "choices"}),
        ),
        "no `choices` key",
    ),
    (
        "stream.usage_chunk",
        bad_stream("chat_stream_usage", sse(*_TEXT, chunk(choices=[], usage={"total_tokens": 6}))),
        "integer",
    ),
    (
        # the running usage on every chunk, then the usage chunk too (Google's endpoint)
        "stream.usage_once",
        bad_stream(
            "chat_stream_usage",
            sse(*[{**c, "usage": USAGE} for c in _TEXT], chunk(choices=[], usage=USAGE)),
        ),
        "count the tokens",
    ),
    (
        "stream.usage_once",
        bad_stream("tool_calls_stream", sse(*[{**c, "usage": USAGE} for c in _TEXT])),
        "[tool_calls_stream]",
    ),
    (
        "stream.content_present",
        bad_stream("chat_stream", sse(chunk({"role": "assistant"}), chunk({}, "stop"))),
        "no chunk carries",
    ),
    (
        "stream.upstream_cut_surfaces",
        bad_stream("stream_cut", sse(*_TEXT[:2], chunk({}, "stop"))),
        "as if complete",
    ),
    (
        "stream.upstream_cut_surfaces",
        bad_stream("stream_cut", sse(*_TEXT[:2], done=False)),
        "quiet end",
    ),
    # client replays of streams
    (
        "clients.openai_python.chat_stream",
        bad_stream("chat_stream", b"event: ping\n\n" + sse(*_TEXT)),
        "JSONDecodeError",
    ),
    (
        "clients.openai_python.chat_stream_usage",
        bad_stream("chat_stream_usage", sse(_TEXT[0], {"error": {"message": "boom"}})),
        "APIError",
    ),
    (
        "clients.openai_python.thoughts_stream",
        bad_stream("thoughts_stream", b"data: : ping\n\n" + sse(*thought_stream())),
        "JSONDecodeError",
    ),
    (
        "clients.openai_python.tool_calls_stream",
        bad_stream("tool_calls_stream", b"data: \n\n" + sse(*tool_deltas())),
        "JSONDecodeError",
    ),
    (
        "clients.openai_python.stream_helper_tools",
        bad_stream(
            "tool_calls_stream",
            sse(
                *[
                    json.loads(
                        json.dumps(c).replace('"index": 1, ', "").replace('"index": 2, ', "")
                    )
                    for c in tool_deltas()
                ]
            ),
        ),
        "openai-python cannot consume",
    ),
    # errors
    ("errors.envelope.bad_key", json_exchange("bad_key", {"detail": "nope"}, status=401), "detail"),
    (
        "errors.envelope.unknown_model",
        json_exchange("unknown_model", [{"error": {"message": "x"}}], status=404),
        "array",
    ),
    (
        "errors.envelope.malformed_body",
        json_exchange("malformed_body", b"<html>500</html>", status=400, content_type="text/html"),
        "Content-Type",
    ),
    (
        "errors.envelope.rate_limit",
        json_exchange("rate_limit", {"error": {"message": "x"}}, status=429, headers=RETRY),
        "error.type",
    ),
    (
        "errors.envelope.rate_limit",
        json_exchange("rate_limit", {"error": {"type": "x"}}, status=429, headers=RETRY),
        "error.message",
    ),
    ("errors.bad_key_status", error_exchange("bad_key", 500), "HTTP 500"),
    ("errors.bad_key_status", json_exchange("bad_key", completion()), "HTTP 200"),
    ("errors.bad_key_status", error_exchange("bad_key", 400, "model is required"), "HTTP 400"),
    ("errors.unknown_model_status", error_exchange("unknown_model", 500), "HTTP 500"),
    ("errors.malformed_body_status", error_exchange("malformed_body", 502), "HTTP 502"),
    ("errors.rate_limit_status", error_exchange("rate_limit", 500, headers=RETRY), "HTTP 500"),
    ("errors.retry_after", error_exchange("rate_limit", 429), "no Retry-After"),
    (
        "errors.no_early_retry",
        error_exchange(
            "rate_limit",
            429,
            headers=RETRY,
            upstream=(
                {**journal()[0], "time": 100.0, "status": 429},
                {**journal()[0], "time": 101.5, "status": 429},
                {**journal()[0], "time": 104.0, "status": 429},
            ),
        ),
        "3 upstream requests with the same key within 4.0s",
    ),
    (
        "errors.key_failover",
        error_exchange("key_rate_limit", 429, headers=RETRY, upstream=FAILOVER),
        "the mock answered key #2 (HTTP 200), yet the client got HTTP 429",
    ),
    (
        "errors.retry_after",
        error_exchange("rate_limit", 429, headers=(("retry-after", "5"),)),
        "5s",
    ),
    (
        "errors.retry_after",
        error_exchange("rate_limit", 429, headers=(("retry-after-ms", "900"),)),
        "0.9s",
    ),
    (
        "errors.rate_limit_stream_status",
        bad_stream("rate_limit_stream", sse({"error": {"message": "quota"}})),
        "SSE stream",
    ),
    ("clients.openai_python.error_bad_key", error_exchange("bad_key", 400), "AuthenticationError"),
    (
        "clients.openai_python.error_unknown_model",
        json_exchange("unknown_model", completion()),
        "expected an error status",
    ),
    (
        "clients.openai_python.error_rate_limit",
        json_exchange("rate_limit", completion()),
        "HTTP 200",
    ),
    # reasoning
    (
        "reasoning.no_thoughts_in_content",
        json_exchange(
            "thoughts",
            completion({"role": "assistant", "content": THOUGHTS + "\n\n391"}),
            upstream=journal(thoughts=THOUGHTS),
        ),
        "appears in `content`",
    ),
    (
        "reasoning.no_thoughts_in_content",
        json_exchange(
            "thoughts",
            completion({"role": "assistant", "content": "<thought>hm</thought>391"}),
            upstream=journal(thoughts=THOUGHTS),
        ),
        "<thought>",
    ),
    (
        "reasoning.no_thoughts_in_content.stream",
        bad_stream(
            "thoughts_stream",
            sse(*thought_stream(content_extra=THOUGHTS, reasoning=False)),
            upstream=journal(thoughts=THOUGHTS),
        ),
        "appears in `content`",
    ),
    (
        "reasoning.reasoning_content",
        json_exchange(
            "thoughts",
            completion({"role": "assistant", "content": "391"}),
            upstream=journal(thoughts=THOUGHTS),
        ),
        "not in `reasoning_content`",
    ),
    (
        "reasoning.reasoning_content.stream",
        bad_stream(
            "thoughts_stream",
            sse(*thought_stream(reasoning=False)),
            upstream=journal(thoughts=THOUGHTS),
        ),
        "not in `reasoning_content`",
    ),
    # tools
    (
        "tools.stream_index",
        bad_stream(
            "tool_calls_stream",
            sse(*[json.loads(json.dumps(c).replace('"index": 0, ', "")) for c in tool_deltas()]),
            upstream=journal(function_calls=CALLS),
        ),
        "index None",
    ),
    (
        "tools.stream_index",
        bad_stream(
            "tool_calls_stream",
            sse(
                *[
                    json.loads(
                        json.dumps(c)
                        .replace('"index": 1,', '"index": 0,')
                        .replace('"index": 2,', '"index": 0,')
                    )
                    for c in tool_deltas()
                ]
            ),
            upstream=journal(function_calls=CALLS),
        ),
        "distinct",
    ),
    (
        "tools.stream_ids",
        bad_stream(
            "tool_calls_stream",
            sse(
                *[
                    json.loads(json.dumps(c).replace('"id": "call_1"', '"id": "call_0"'))
                    for c in tool_deltas()
                ]
            ),
        ),
        "ids repeat",
    ),
    (
        "tools.stream_ids",
        bad_stream(
            "tool_calls_stream",
            sse(
                *tool_deltas()[:-1],
                chunk(
                    {"tool_calls": [{"index": 0, "id": "call_0", "function": {"arguments": ""}}]}
                ),
                tool_deltas()[-1],
            ),
        ),
        "repeats the id",
    ),
    (
        "tools.stream_ids",
        bad_stream(
            "tool_calls_stream",
            sse(
                *[
                    json.loads(json.dumps(c).replace('"name": "get_time"', '"name": ""'))
                    for c in tool_deltas()
                ]
            ),
        ),
        "no function name",
    ),
    (
        "tools.stream_arguments",
        bad_stream(
            "tool_calls_stream",
            sse(*tool_deltas()[:2], *tool_deltas()[3:]),
        ),
        "do not parse",
    ),
    (
        "tools.stream_finish_reason",
        bad_stream("tool_calls_stream", sse(*tool_deltas()[:-1], chunk({}, "stop"))),
        "expected exactly ['tool_calls']",
    ),
    (
        "tools.stream_finish_reason",
        bad_stream(
            "tool_calls_stream",
            sse(chunk({"role": "assistant", "content": "ok"}), chunk({}, "stop")),
        ),
        "no delta.tool_calls",
    ),
    (
        "tools.call_shape",
        json_exchange(
            "tool_calls",
            completion(tool_message(), finish="stop"),
            upstream=journal(function_calls=CALLS),
        ),
        "expected 'tool_calls'",
    ),
    (
        "tools.call_shape",
        json_exchange(
            "tool_calls",
            completion(tool_message(CALLS[:1]), finish="tool_calls"),
            upstream=journal(function_calls=CALLS),
        ),
        "3 function calls",
    ),
    (
        "tools.call_shape",
        json_exchange(
            "tool_calls",
            completion(
                json.loads(json.dumps(tool_message()).replace('"{\\"timezone', '"{timezone')),
                finish="tool_calls",
            ),
        ),
        "not a JSON string",
    ),
    (
        "tools.call_without_args",
        json_exchange(
            "tool_call_no_args",
            completion(
                json.loads(json.dumps(tool_message(NO_ARGS_CALL)).replace('"{}"', '""')),
                finish="tool_calls",
            ),
            upstream=journal(function_calls=NO_ARGS_CALL),
        ),
        "arguments are '', not '{}'",
    ),
    (
        "tools.call_without_args",
        json_exchange(
            "tool_call_no_args",
            completion(
                json.loads(json.dumps(tool_message(NO_ARGS_CALL)).replace('"{}"', "null")),
                finish="tool_calls",
            ),
            upstream=journal(function_calls=NO_ARGS_CALL),
        ),
        "arguments are JSON null, not a string",  # Portkey's gateway 1.15.2
    ),
    (
        "tools.call_without_args",
        bad_stream(
            "tool_call_no_args_stream",
            sse(
                chunk({"role": "assistant", "content": None}),
                {"error": {"message": "litellm.APIConnectionError: 'args'", "type": None}},
                done=False,
            ),
            upstream=journal(function_calls=NO_ARGS_CALL),
        ),
        "stream that holds only an error event (\"litellm.APIConnectionError: 'args'\"); "
        "the upstream answered it with a success",
    ),
    (
        "tools.call_without_args",
        json_exchange(
            "tool_call_no_args",
            {"error": {"message": "Error converting to valid response block='args'"}},
            status=422,
            upstream=journal(function_calls=NO_ARGS_CALL),
        ),
        "got HTTP 422",
    ),
    (
        "tools.call_without_args",
        bad_stream(
            "tool_call_no_args_stream",
            sse(chunk({"role": "assistant", "content": "It is noon."}), chunk({}, "stop")),
            upstream=journal(function_calls=NO_ARGS_CALL),
        ),
        "the answer has no tool call",
    ),
    (
        "translate.developer_role",
        json_exchange(
            "developer_role",
            completion({"role": "assistant", "content": "I do not know."}),
            upstream=journal(body=developer_body(systemInstruction=None), text="I do not know."),
        ),
        "the developer message never reached Gemini",
    ),
    (
        "translate.developer_role",
        json_exchange(
            "developer_role",
            completion(),
            upstream=journal(
                body=developer_body(
                    systemInstruction=None,
                    contents=[
                        {"role": "model", "parts": [{"text": DEVELOPER_PROMPT}]},
                        {"role": "user", "parts": [{"text": DEVELOPER_QUESTION}]},
                    ],
                )
            ),
        ),
        "as a 'model' turn",
    ),
    (
        "translate.developer_role",
        json_exchange(
            "developer_role",
            {"error": {"message": "Please use a valid role: user, model.", "code": 400}},
            status=400,
            upstream=journal(body=developer_body(), status=400),
        ),
        "got HTTP 400",
    ),
    (
        "translate.max_tokens",
        json_exchange("max_tokens_legacy", completion(), upstream=journal()),
        "the client sent max_tokens=61, the upstream got maxOutputTokens=None",
    ),
    (
        "requests.empty_assistant_turn",
        json_exchange(
            "empty_assistant_turn",
            {
                "error": {
                    "message": "Unable to submit request because it has an empty text "
                    "parameter. Add a value to the parameter and try again.",
                    "type": "invalid_request_error",
                }
            },
            status=400,
            upstream=journal(status=400),
        ),
        "got HTTP 400",
    ),
    # translation
    (
        "translate.max_completion_tokens",
        json_exchange(
            "max_completion_tokens",
            completion(),
            upstream=journal(body=params_body(generationConfig={})),
        ),
        "maxOutputTokens=None",
    ),
    (
        "translate.sampling",
        json_exchange(
            "sampling",
            completion(),
            upstream=journal(body=params_body(generationConfig={"temperature": 0.3})),
        ),
        "topP=None",
    ),
    (
        "translate.stop",
        json_exchange(
            "stop", completion(), upstream=journal(body=params_body(generationConfig={}))
        ),
        "stopSequences=None",
    ),
    (  # each system message written over the last: only the last reaches Gemini
        "translate.every_system_message",
        json_exchange(
            "system_prompts",
            completion(),
            upstream=journal(
                body=params_body(systemInstruction={"parts": [{"text": SYSTEM_PROMPTS[-1]}]})
            ),
        ),
        "1 of 2 system messages never reached Gemini (first lost: 'You are a terse",
    ),
    (
        "translate.system_instruction",
        json_exchange(
            "system_prompt",
            completion(),
            upstream=journal(
                body={
                    "contents": [
                        {
                            "role": "user",
                            "parts": [{"text": "You are a terse assistant. Answer in one line."}],
                        }
                    ]
                }
            ),
        ),
        "conversation turn",
    ),
    (
        "translate.client_credential_not_forwarded",
        json_exchange(
            "system_prompt",
            completion(),
            upstream=journal(
                body=params_body(),
                credentials=[
                    {"where": "header:x-goog-api-key", "sha256": "aaaaaaaaaaaa"},
                    {"where": "query:key", "sha256": credential_fingerprint(CLIENT_KEY)},
                ],
            ),
        ),
        "forwarded upstream in query:key, beside the proxy's own credential",
    ),
    (
        "translate.client_credential_not_forwarded",
        json_exchange(
            "system_prompt",
            completion(),
            upstream=journal(
                body=params_body(),
                credentials=[
                    {"where": "header:x-goog-api-key", "sha256": "aaaaaaaaaaaa"},
                    {"where": "header:authorization", "sha256": "bbbbbbbbbbbb"},
                ],
            ),
        ),
        "2 credentials",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "exchange", "fragment"),
    BAD,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)],
)
def test_check_fails_on_bad_exchange(check_id: str, exchange: Exchange, fragment: str) -> None:
    exchanges = good()
    exchanges[exchange.probe] = exchange
    with pytest.raises(CheckFailure) as info:
        REGISTRY[check_id].run(exchanges)
    shown = (f"[{info.value.probe}] " if info.value.probe else "") + info.value.message
    shown += " " + " ".join(info.value.clients.values())
    assert fragment in shown


def test_every_check_has_a_failing_case() -> None:
    from tests.capture_cases import BAD_CAPTURES
    from tests.unit.test_checks_controlled import BAD_MORE
    from tests.unit.test_checks_documented import BAD_DOCUMENTED
    from tests.unit.test_field_checks import BAD_FIELD

    covered = {
        check_id for check_id, _, _ in [*BAD, *BAD_MORE, *BAD_DOCUMENTED, *BAD_FIELD, *BAD_CAPTURES]
    }
    assert sorted(set(REGISTRY) - covered) == []


def test_failover_to_another_key_is_not_an_early_retry() -> None:
    """errors.no_early_retry counts retries per key: a rotating proxy that answers a
    spent key's 429 from the next key is not flagged; one key sent twice is."""
    check = REGISTRY["errors.no_early_retry"]
    exchanges = good()
    exchanges["rate_limit"] = error_exchange("rate_limit", 429, headers=RETRY, upstream=FAILOVER)
    assert check.run(exchanges) is None


def test_key_failover_does_not_apply_to_a_single_key_proxy() -> None:
    from conformance.registry import NotApplicable

    exchanges = good()
    exchanges["key_rate_limit"] = error_exchange(
        "key_rate_limit", 429, headers=RETRY, upstream=({**journal()[0], "status": 429},)
    )
    with pytest.raises(NotApplicable, match="one upstream key"):
        REGISTRY["errors.key_failover"].run(exchanges)
    # several keys seen in the run do not make it a failure: the others may be cooling
    exchanges["key_rate_limit"] = replace(
        exchanges["key_rate_limit"], upstream_keys=frozenset({"aaaaaaaaaaaa", "bbbbbbbbbbbb"})
    )
    with pytest.raises(NotApplicable, match="used 2 keys during the run"):
        REGISTRY["errors.key_failover"].run(exchanges)


def test_upstream_keys_are_gathered_across_the_run() -> None:
    from conformance.runner import attach_upstream_keys

    exchanges = {"chat": good()["chat"], "key_rate_limit": good()["key_rate_limit"]}
    attach_upstream_keys(exchanges)
    keys = {c["sha256"] for e in FAILOVER for c in e["credentials"]}
    assert exchanges["chat"].upstream_keys == keys
    assert len(keys) == 2


# --- one defect, one finding: shared causes ------------------------------------------


def test_a_429_without_retry_after_is_one_cause_for_the_check_and_the_capture() -> None:
    """The scripted 429 and the recorded 429 capture see the same defect: both failures
    carry :data:`NO_RETRY_AFTER`, so the report shows one finding."""
    from conformance.checks.causes import NO_RETRY_AFTER
    from conformance.probes.captures import probe_names

    with pytest.raises(CheckFailure) as scripted:
        REGISTRY["errors.retry_after"].func(error_exchange("rate_limit", 429))
    assert scripted.value.cause == NO_RETRY_AFTER

    streamed, unary = probe_names("google-429-retry-info")
    capture = REGISTRY["captures.google-429-retry-info"].func
    with pytest.raises(CheckFailure) as recorded:
        capture(error_exchange(streamed, 429), error_exchange(unary, 429))
    assert "got no Retry-After or retry-after-ms header" in recorded.value.message
    assert recorded.value.cause == NO_RETRY_AFTER

    # another difference as well (a 500 for the 429): not only that defect, no cause
    with pytest.raises(CheckFailure) as other:
        capture(error_exchange(streamed, 500), error_exchange(unary, 429))
    assert other.value.cause is None

    retry = (("retry-after", "35"),)
    matched = capture(
        error_exchange(streamed, 429, headers=retry), error_exchange(unary, 429, headers=retry)
    )
    assert matched is not None
    assert "match" in matched


def test_a_bad_key_refused_by_google_and_relayed_as_400_passes() -> None:
    """A bring-your-own-key proxy relays Google's 400 API_KEY_INVALID, as Google's own
    OpenAI-compatible endpoint answers: the high status check passes and says so."""
    for message in ("API key not valid. Please pass a valid API key.", "reason API_KEY_INVALID"):
        note = REGISTRY["errors.bad_key_status"].func(error_exchange("bad_key", 400, message))
        assert "Google's own refusal of the key" in str(note)


def test_an_error_envelope_is_read_whatever_its_content_type() -> None:
    """Google answers a streamed call's bad key with Content-Type: text/event-stream
    (crewAI's recordings); a proxy that passes the type on with the JSON envelope breaks
    no SDK (they parse the error's text), so the envelope check reads the body. A body
    that is not JSON still fails, naming its type."""
    envelope = {"error": {"message": "API key not valid.", "type": "invalid_request_error"}}
    for kind in ("text/event-stream", "text/plain; charset=utf-8"):
        x = json_exchange("bad_key", envelope, status=400, content_type=kind)
        REGISTRY["errors.envelope.bad_key"].func(x)
    html = json_exchange("bad_key", b"<html>502</html>", status=400, content_type="text/html")
    with pytest.raises(CheckFailure, match=r"not JSON \(Content-Type 'text/html'\)"):
        REGISTRY["errors.envelope.bad_key"].func(html)


_BAD_KEY_CHECKS = (
    "errors.bad_key_status",
    "errors.envelope.bad_key",
    "clients.openai_python.error_bad_key",
)


def _relayed_bad_key(upstream_status: int) -> Exchange:
    """A 200 to the wrong key, whose upstream call carried that same key."""
    mine = [{"where": "header:x-goog-api-key", "sha256": credential_fingerprint(CLIENT_KEY)}]
    return json_exchange(
        "bad_key", completion(), upstream=journal(credentials=mine, status=upstream_status)
    )


@pytest.mark.parametrize("check_id", _BAD_KEY_CHECKS)
def test_a_key_the_mock_accepted_is_not_the_proxys_200(check_id: str) -> None:
    """A bring-your-own-key proxy passes the wrong key on; a mock started without
    --api-key accepts it: undecided, not failed (zuisong/gemini-openai-proxy, field
    report). The same 200 after the upstream refused the key is the proxy's."""
    with pytest.raises(Undecided, match="start the mock with --api-key"):
        REGISTRY[check_id].run({"bad_key": _relayed_bad_key(200)})
    with pytest.raises(CheckFailure):
        REGISTRY[check_id].run({"bad_key": _relayed_bad_key(400)})
    own_key = json_exchange("bad_key", completion(), upstream=journal())
    with pytest.raises(CheckFailure):
        REGISTRY[check_id].run({"bad_key": own_key})
