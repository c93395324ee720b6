"""Bad cases for the controlled-mode catalogue: translation read from the journal,
upstream faults, tool round trips, reasoning effort, CORS and timing.

Each entry swaps one probe's exchange in ``tests.check_cases.good()`` for a precise
defect and names the check that must catch it (with a fragment of its message).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conformance.exchange import Exchange
from conformance.oracles_node import NodeOutcome
from conformance.registry import REGISTRY, CheckFailure
from tests.check_cases import (
    CALLS,
    SANITISED,
    TIME_CALL,
    TOOL_RESULT_CONTENTS,
    blocked_stream,
    blocked_unary,
    embedding_list,
    paced,
    thinking,
    tool_config,
    tool_deltas,
    tool_message,
    upstream_body,
    user_turn,
    with_client_body,
)
from tests.factories import (
    THOUGHTS,
    chunk,
    completion,
    error_exchange,
    journal,
    json_exchange,
    sse,
    stream_exchange,
    text_chunks,
)

_TEXT = text_chunks()


def _good_for(probes: tuple[str, ...]) -> list[tuple[str, Exchange]]:
    from tests.check_cases import good

    exchanges = good()
    return [(p, exchanges[p]) for p in probes]


def _cors(**headers: str) -> Exchange:
    base = {
        "access-control-allow-origin": "*",
        "access-control-allow-headers": "authorization, content-type, x-stainless-os, "
        "x-stainless-timeout",
    }
    base.update(headers)
    return Exchange(
        probe="cors_preflight",
        request=stream_exchange("cors_preflight", b"").request,
        status=204,
        headers=tuple(base.items()),
    )


def _schema_upstream(schema: object) -> tuple[dict[str, object], ...]:
    return journal(
        body=upstream_body(
            tools=[{"functionDeclarations": [{"name": "search_files", "parameters": schema}]}]
        )
    )


def _turn2(probe: str, status: int, body: bytes) -> Exchange:
    turn1 = json_exchange(probe, completion(tool_message(CALLS[:1]), finish="tool_calls"))
    return replace(json_exchange(probe, body, status=status), previous=(turn1,))


SIGNATURE_400 = (
    b'{"error": {"message": "Function call is missing a thought_signature in functionCall '
    b'parts.", "type": "invalid_request_error"}}'
)

BAD_MORE: list[tuple[str, Exchange, str]] = [
    # requests
    (
        "requests.openai_only_fields",
        error_exchange("kitchen_sink", 400, 'Unknown name "store"'),
        "HTTP 400",
    ),
    ("requests.content_part_arrays", error_exchange("content_parts", 422), "HTTP 422"),
    (
        "requests.content_part_arrays",
        json_exchange(
            "content_parts",
            completion(),
            upstream=journal(
                body=upstream_body(contents=[{"role": "user", "parts": [{"text": "x"}]}])
            ),
        ),
        "did not reach the upstream",
    ),
    # translation
    (
        "translate.response_json_schema",
        json_exchange("response_json_schema", completion(), upstream=journal(body=upstream_body())),
        "silently dropped",
    ),
    (
        "translate.response_json_schema",
        json_exchange(
            "response_json_schema",
            completion(),
            upstream=journal(
                body=upstream_body(
                    generationConfig={
                        "responseMimeType": "application/json",
                        "responseSchema": {"type": "object", "additionalProperties": False},
                    }
                )
            ),
        ),
        "additionalProperties",
    ),
    (
        "translate.response_json_object",
        json_exchange("response_json_object", completion(), upstream=journal(body=upstream_body())),
        "responseMimeType=None",
    ),
    (
        "translate.stop_capped",
        json_exchange(
            "stop_many",
            completion(),
            upstream=journal(
                body=upstream_body(generationConfig={"stopSequences": [f"S{i}" for i in range(6)]})
            ),
        ),
        "6 stopSequences",
    ),
    ("translate.stop_capped", error_exchange("stop_many", 502), "HTTP 502"),
    (
        "translate.image_data_url",
        json_exchange("image_data_url", completion(), upstream=journal(body=upstream_body())),
        "never reached",
    ),
    # reasoning effort
    (
        "reasoning.effort_none_disables_thinking",
        json_exchange("effort_none", completion(), upstream=thinking(includeThoughts=True)),
        "still thinks",
    ),
    (
        "reasoning.effort_scales",
        json_exchange("effort_low", completion(), upstream=thinking(thinkingBudget=30000)),
        "not below",
    ),
    (
        "reasoning.effort_scales",
        json_exchange("effort_low", completion(), upstream=journal(body=upstream_body())),
        "not mapped",
    ),
    (
        "reasoning.effort_gemini3",
        json_exchange(
            "effort_high_g3",
            completion(),
            upstream=thinking(thinkingLevel="HIGH", thinkingBudget=1),
        ),
        "both thinkingBudget and thinkingLevel",
    ),
    (
        "reasoning.effort_gemini3",
        json_exchange("effort_low_g3", completion(), upstream=thinking(thinkingLevel="HIGH")),
        "thinkingLevel 'HIGH'",
    ),
    (
        "reasoning.reasoning_tokens",
        json_exchange(
            "thoughts",
            completion({"role": "assistant", "content": "391", "reasoning_content": "t"}),
            upstream=journal(thoughts="thinking hard about it"),
        ),
        "reasoning_tokens=None",
    ),
    # tools
    (
        "tools.schema_sanitised",
        json_exchange(
            "tool_schema",
            completion(),
            upstream=_schema_upstream({**SANITISED, "additionalProperties": False}),
        ),
        "unknown keyword 'additionalProperties'",
    ),
    (
        "tools.schema_sanitised",
        json_exchange(
            "tool_schema",
            completion(),
            upstream=_schema_upstream(
                {"type": "object", "properties": {"path": {"type": ["string", "null"]}}}
            ),
        ),
        "type is an array",
    ),
    (
        "tools.schema_sanitised",
        json_exchange(
            "tool_schema",
            completion(),
            upstream=_schema_upstream(
                {"type": "object", "properties": {"path": {"type": "array"}}}
            ),
        ),
        "without items",
    ),
    ("tools.schema_sanitised", error_exchange("tool_schema", 502), "HTTP 502"),
    (
        "tools.result_mapping",
        json_exchange(
            "tool_result",
            completion(),
            upstream=journal(
                body=upstream_body(
                    contents=[
                        *TOOL_RESULT_CONTENTS[:2],
                        {
                            "role": "user",
                            "parts": [
                                {
                                    "functionResponse": {
                                        "name": "call_w1",
                                        "response": {"content": "sunny, 21 C"},
                                    }
                                },
                                {
                                    "functionResponse": {
                                        "name": "call_t1",
                                        "response": {"content": "10:00 JST"},
                                    }
                                },
                            ],
                        },
                    ]
                )
            ),
        ),
        "name 'call_w1'",
    ),
    (
        "tools.result_mapping",
        json_exchange(
            "tool_result",
            completion(),
            upstream=journal(body=upstream_body(contents=TOOL_RESULT_CONTENTS[:2])),
        ),
        "0 functionResponse parts",
    ),
    (
        "tools.tool_choice_required",
        json_exchange(
            "tool_choice_required",
            completion(tool_message(CALLS[:1]), finish="tool_calls"),
            upstream=tool_config("AUTO"),
        ),
        "mode AUTO",
    ),
    (
        "tools.tool_choice_none",
        json_exchange("tool_choice_none", completion(), upstream=tool_config("AUTO")),
        "may call them",
    ),
    (
        "tools.tool_choice_named",
        json_exchange(
            "tool_choice_named",
            completion(tool_message(TIME_CALL), finish="tool_calls"),
            upstream=tool_config("ANY"),
        ),
        "allowedFunctionNames None",
    ),
    (
        "tools.signature_round_trip",
        _turn2("signature_echo", 400, SIGNATURE_400),
        "thought signature was lost",
    ),
    (
        "tools.signature_without_client_echo",
        _turn2("signature_dropped", 502, SIGNATURE_400),
        "HTTP 502",
    ),
    (  # gemini-cli-openai: signatures kept in unary call ids, lost on the streamed path
        "tools.signature_stream_round_trip",
        _turn2("signature_stream", 500, b'{"error": "Stream request failed: 400"}'),
        "rebuilt from the streamed deltas) got HTTP 500",
    ),
    (
        "tools.ids_unique_across_answers",
        stream_exchange("tool_calls_stream", sse(*tool_deltas(prefix="call_u"))),
        "reuse tool-call ids",
    ),
    # errors
    ("errors.status_map.400", error_exchange("upstream_400", 500), "pointlessly"),
    ("errors.status_map.403", error_exchange("upstream_403", 502), "HTTP 502"),
    ("errors.status_map.404", error_exchange("upstream_404", 400), "expected 404"),
    ("errors.status_map.500", error_exchange("upstream_500", 400), "permanent"),
    (
        "errors.status_map.503",
        json_exchange("upstream_503", [{"error": {"message": "x"}}], status=503),
        "array",
    ),
    ("errors.daily_quota", error_exchange("daily_quota", 429), "x-should-retry"),
    (
        "errors.daily_quota",
        error_exchange("daily_quota", 429, headers=(("retry-after", "60"),)),
        "'60'",
    ),
    ("errors.daily_quota", error_exchange("daily_quota", 500), "HTTP 500"),
    # blocked candidates
    ("blocked.safety", error_exchange("safety", 500), "HTTP 500"),
    ("blocked.safety", blocked_unary("safety", "stop"), "'stop'"),
    (
        "blocked.prompt_blocked",
        json_exchange("prompt_blocked", completion(choices=[])),
        "one choice",
    ),
    ("blocked.max_tokens", blocked_unary("max_tokens", "stop"), "expected length"),
    ("blocked.recitation", error_exchange("recitation", 502), "HTTP 502"),
    ("blocked.malformed_call", error_exchange("malformed_call", 500), "HTTP 500"),
    ("blocked.safety.stream", blocked_stream("safety_stream", "stop"), "content_filter"),
    (
        "blocked.prompt_blocked.stream",
        stream_exchange("prompt_blocked_stream", sse(chunk({"role": "assistant"}))),
        "nothing",
    ),
    (
        "blocked.max_tokens.stream",
        stream_exchange(
            "max_tokens_stream", sse(chunk({"role": "assistant"}), chunk({}, "length"), done=False)
        ),
        "[DONE]",
    ),
    ("blocked.recitation.stream", blocked_stream("recitation_stream", "stop"), "content_filter"),
    (
        "blocked.malformed_call.stream",
        stream_exchange("malformed_call_stream", b"", status=500),
        "HTTP 500",
    ),
    # streams
    (
        "stream.upstream_error_event",
        stream_exchange("stream_error", sse(*_TEXT[:2], done=False)),
        'no `data: {"error": ...}`',
    ),
    (
        "stream.upstream_error_event",
        stream_exchange("stream_error", sse(*_TEXT[:2], {"error": {"code": 503}}, done=False)),
        "no error.message",
    ),
    (  # the failure told as the model's words (gemini-cli-openai: "Error: ..." then stop)
        "stream.upstream_error_event",
        stream_exchange(
            "stream_error",
            sse(*_TEXT[:2], chunk({"content": "Error: Stream request failed: 503"}), _TEXT[-1]),
            upstream=journal(text="Hello"),
        ),
        "it also wrote 'Error: Stream request failed: 503' into the answer",
    ),
    (
        "stream.upstream_framing",
        stream_exchange(
            "stream_split",
            sse(_TEXT[0], chunk({"content": "Hel\ufffdlo"}), _TEXT[-1]),
            upstream=journal(text="Hello there friend"),
        ),
        "the client received",
    ),
    (
        "stream.upstream_framing",
        stream_exchange(
            "stream_coalesced",
            sse(*_TEXT[:2], _TEXT[-1]),
            upstream=journal(text="Hello there friend"),
        ),
        "[stream_coalesced]",
    ),
    # an answer in several text parts: the first or the last part alone is a loss
    (
        "chat.text_parts_joined",
        json_exchange(
            "text_parts",
            completion({"role": "assistant", "content": "Hello"}),
            upstream=journal(text="Hello there friend"),
        ),
        "parts were lost",
    ),
    (
        "chat.text_parts_joined",
        json_exchange(
            "text_parts",
            completion({"role": "assistant", "content": " friend"}),
            upstream=journal(text="Hello there friend"),
        ),
        "parts were lost",
    ),
    (
        "chat.text_parts_joined",
        stream_exchange(
            "text_parts_stream",
            sse(_TEXT[0], _TEXT[1], _TEXT[-1]),
            upstream=journal(text="Hello there friend"),
        ),
        "[text_parts_stream]",
    ),
    ("stream.not_buffered", paced("stream_paced", gap_s=0.001), "buffers the stream"),
    (
        "stream.not_buffered",
        replace(
            paced("stream_paced"),
            headers=(("content-type", "text/event-stream"), ("content-encoding", "gzip")),
        ),
        "Content-Encoding: gzip",
    ),
    # embeddings
    (
        "embeddings.shape",
        json_exchange("embeddings", {"data": [[0.1]]}),
        "violates the OpenAI EmbeddingList",
    ),
    (
        "embeddings.shape",
        json_exchange(
            "embeddings_base64",
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": 1, "embedding": "AAAAPw=="},
                    {"object": "embedding", "index": 0, "embedding": "AAAAPw=="},
                ],
                "model": "m",
            },
        ),
        "[embeddings_base64]",
    ),
    (
        "embeddings.dimensions",
        json_exchange("embeddings", embedding_list([[0.5] * 768, [0.5] * 768])),
        "got vectors of 768",
    ),
    (
        "embeddings.base64",
        json_exchange("embeddings_base64", embedding_list([[0.5, 0.25], [0.5, 0.25]])),
        "not a base64 string",
    ),
    (
        "embeddings.base64",
        json_exchange("embeddings_base64", embedding_list(["AAAA", "AAAA"])),
        "3 bytes",
    ),
    (
        "clients.openai_python.stream_slow",
        stream_exchange("stream_slow", [b"event: ping\n\n", sse(*_TEXT)]),
        "JSONDecodeError",
    ),
    (
        "stream.no_empty_events",
        stream_exchange("stream_slow", [b"data: \n\n", sse(*_TEXT)]),
        "[stream_slow]",
    ),
    ("requests.n_choices", json_exchange("n_choices", completion()), "indexes [0]"),
    ("requests.n_choices", error_exchange("n_choices", 500), "HTTP 500"),
    (  # a stream to a request that did not ask for one
        "requests.n_choices",
        json_exchange(
            "n_choices", sse(*_TEXT), content_type="text/event-stream", upstream=journal()
        ),
        "body is not JSON",
    ),
    ("translate.image_http_url", error_exchange("image_http_url", 502), "HTTP 502"),
    (  # streamObject's request refused (any-llm's gateway 1.14)
        "translate.response_json_schema",
        error_exchange("response_json_schema_stream", 500),
        "(streamed) got HTTP 500",
    ),
    (
        "translate.image_http_url",
        json_exchange(
            "image_http_url",
            completion(),
            upstream=user_turn({"fileData": {"fileUri": "files/uploaded-elsewhere"}}),
        ),
        "as fileData 'files/uploaded-elsewhere'",
    ),
    (
        "translate.image_http_url",
        json_exchange("image_http_url", completion(), upstream=journal(body=upstream_body())),
        "never reached",
    ),
    (
        "clients.openai_python.parse",
        json_exchange(
            "response_json_schema",
            completion({"role": "assistant", "content": "Ada is 36."}),
        ),
        "cannot consume",
    ),
    (
        "reasoning.thoughts_then_tool_call",
        stream_exchange(
            "thoughts_tool_call_stream",
            sse(chunk({"role": "assistant", "reasoning_content": THOUGHTS}), chunk({}, "stop")),
            upstream=journal(thoughts=THOUGHTS, function_calls=CALLS[:1]),
        ),
        "no tool_calls",
    ),
    (
        "reasoning.thoughts_then_tool_call",
        stream_exchange(
            "thoughts_tool_call_stream",
            sse(chunk({"role": "assistant", "content": THOUGHTS}), *tool_deltas(CALLS[:1])[1:]),
            upstream=journal(thoughts=THOUGHTS, function_calls=CALLS[:1]),
        ),
        "appears in `content`",
    ),
    # the target's own documented rate limit
    ("contract.rate_limit", json_exchange("rate_limit_burst", completion()), "all served"),
    (
        "errors.own_rate_limit_retry_after",
        error_exchange("rate_limit_burst", 429),
        "no Retry-After",
    ),
    # properties
    *[
        (
            check_id,
            replace(
                error_exchange(probe, 500),
                prop_result={"examples": 7, "violation": "HTTP 500: a server error"},
            ),
            "requests, a minimal failing request: HTTP 500",
        )
        for check_id, probe in (
            ("properties.chat", "prop_chat"),
            ("properties.stream", "prop_stream"),
            ("properties.negative", "prop_negative"),
        )
    ],
    # openai-node replays
    (
        "clients.openai_node.chat_stream",
        replace(
            stream_exchange("chat_stream", sse(*_TEXT)),
            node=NodeOutcome(
                "openai-node 7", "SyntaxError: malformed server-sent event JSON.", "SyntaxError"
            ),
        ),
        "SyntaxError",
    ),
    (
        "clients.openai_node.models",
        replace(
            json_exchange("models", {"object": "list", "data": []}),
            node=NodeOutcome("openai-node 7", "TypeError: x", "TypeError"),
        ),
        "TypeError",
    ),
    # the profile's own document
    (
        "contract.responses",
        json_exchange("chat", {"id": "x", "object": "chat.completion"}),
        "breaks the openai-core document",
    ),
    (
        "contract.responses",
        stream_exchange("chat_stream", sse(*_TEXT[:-1], {"id": "x"})),
        "[chat_stream]",
    ),
    # http
    ("http.cors_preflight", replace(_cors(), status=405), "HTTP 405"),
    ("http.cors_preflight", _cors(**{"access-control-allow-headers": "*"}), "authorization"),
    ("http.cors_preflight", _cors(**{"access-control-allow-origin": "https://x"}), "Allow-Origin"),
]

_ROLE_EVERY_CHUNK = [
    chunk({"role": "assistant", **c["choices"][0]["delta"]}, c["choices"][0]["finish_reason"])
    for c in text_chunks()
]
BAD_MORE += [
    (
        "clients.openai_python.stream_helper_text",
        stream_exchange("chat_stream", sse(*_ROLE_EVERY_CHUNK)),
        "role is 'assistantassistant",
    )
]
_AI_SDK_BROKEN = NodeOutcome(
    "@ai-sdk/openai-compatible 3.0.97",
    "TypeValidationError: Type validation failed: choices: expected array",
    "TypeValidationError",
)
BAD_MORE += [
    (
        f"clients.ai_sdk.{probe}",
        replace(good_exchange, ai_sdk=_AI_SDK_BROKEN),
        "provider cannot consume",
    )
    for probe, good_exchange in _good_for(
        (
            *("chat", "chat_stream", "chat_stream_usage"),
            *("thoughts_stream", "tool_calls_stream", "stream_slow"),
        )
    )
]
_NODE_BROKEN = NodeOutcome("openai-node 7", "SyntaxError: bad", "SyntaxError")
BAD_MORE += [
    (f"clients.openai_node.{probe}", replace(good_exchange, node=_NODE_BROKEN), "cannot consume")
    for probe, good_exchange in _good_for(
        ("chat", "chat_stream_usage", "thoughts_stream", "tool_calls_stream", "stream_slow")
    )
]

# a standard request refused is a failure (issue 12 item 4); reasoning doors (item 6)
_LEAK = completion({"role": "assistant", "content": f"<think>{THOUGHTS}</think>391"})
BAD_MORE += [
    ("tools.tool_choice_required", error_exchange("tool_choice_required", 400), "HTTP 400"),
    ("errors.survives_key_faults", error_exchange("after_faults", 500), "after the fault probes"),
    (
        "http.body_framing",
        replace(
            json_exchange("chat", completion()),
            declared_length=len(json.dumps(completion())) + 100,
            received_bytes=len(json.dumps(completion())),
            framing="short",
        ),
        "declared",
    ),
    (
        "http.no_hang",
        replace(
            stream_exchange("stream_cut", sse(*text_chunks(), done=False), upstream=journal()),
            started_at=200.0,
            elapsed_s=9.0,
            hung_s=8.0,
        ),
        "the stream hung",
    ),
    (
        "tools.tool_choice_named",
        error_exchange("tool_choice_named", 422, upstream=journal(status=400)),
        "the upstream answered HTTP 400",
    ),
    ("tools.call_shape", error_exchange("tool_calls", 400), "got HTTP 400"),
    ("embeddings.base64", error_exchange("embeddings_base64", 400), "'float' got 200"),
    ("reasoning.doors", error_exchange("thoughts", 400), "plain OpenAI request"),
    (
        "reasoning.doors",
        json_exchange("thoughts_model_stream", completion(), status=500),
        "[thoughts_model_stream]",
    ),
    *[
        (
            f"reasoning.no_thoughts_in_content{suffix}",
            json_exchange(probe, _LEAK, upstream=journal(thoughts=THOUGHTS)),
            f"<think> tags: the thoughts leak into the answer (door: {door}",
        )
        for probe, suffix, door in (
            ("thoughts_google", ".extra_body", "extra_body.google.thinking_config"),
            ("thoughts_model", ".model", "a thinking model by name"),
        )
    ],
    *[
        (
            f"reasoning.no_thoughts_in_content{suffix}.stream",
            stream_exchange(
                probe,
                sse(*text_chunks(f"<think>{THOUGHTS}</think> 391")),
                upstream=journal(thoughts=THOUGHTS),
            ),
            "(door: ",
        )
        for probe, suffix in (
            ("thoughts_google_stream", ".extra_body"),
            ("thoughts_model_stream", ".model"),
        )
    ],
    *[
        (
            f"reasoning.reasoning_content{suffix}",
            json_exchange(
                probe,
                completion({"role": "assistant", "content": "391", "reasoning": THOUGHTS}),
                upstream=journal(thoughts=THOUGHTS),
            ),
            "it is in `reasoning`",
        )
        for probe, suffix in (("thoughts_google", ".extra_body"), ("thoughts_model", ".model"))
    ],
    *[
        (
            f"reasoning.reasoning_content{suffix}.stream",
            stream_exchange(
                probe,
                sse(
                    chunk({"role": "assistant", "content": ""}),
                    chunk({"reasoning": THOUGHTS}),
                    chunk({"content": "391"}),
                    chunk({}, "stop"),
                ),
                upstream=journal(thoughts=THOUGHTS),
            ),
            "it is in `reasoning`",
        )
        for probe, suffix in (
            ("thoughts_google_stream", ".extra_body"),
            ("thoughts_model_stream", ".model"),
        )
    ],
]


# the checks that were missing (issue 12): what reached the upstream against what the
# client sent, the same error on both paths, usage arithmetic, the upstream's model list
_HI = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
BAD_MORE += [
    (
        "chat.usage_arithmetic",
        json_exchange(
            "chat",
            completion(usage={"prompt_tokens": 3, "completion_tokens": 12, "total_tokens": 26}),
            upstream=journal(),
        ),
        "26",
    ),
    (
        "requests.no_invented_sampling",
        json_exchange(
            "chat",
            completion(),
            upstream=journal(
                body={**_HI, "generationConfig": {"temperature": 0.7, "topP": 0.9, "topK": 40}}
            ),
        ),
        "temperature",
    ),
    (
        "requests.no_invented_safety_settings",
        json_exchange(
            "chat",
            completion(),
            upstream=journal(
                body={
                    **_HI,
                    "safetySettings": [
                        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}
                    ],
                }
            ),
        ),
        "OFF",
    ),
    (
        "requests.no_injected_prompt",
        json_exchange(
            "chat",
            completion(),
            upstream=journal(
                body={**_HI, "systemInstruction": {"parts": [{"text": "You are Bob."}]}}
            ),
        ),
        "You are Bob.",
    ),
    (
        "requests.service_tier",
        with_client_body(
            json_exchange(
                "service_tier_auto",
                completion(),
                upstream=journal(body={**_HI, "serviceTier": "priority"}),
            ),
            service_tier="auto",
        ),
        "priority",
    ),
    (
        "models.upstream_listed",
        json_exchange(
            "models",
            {"object": "list", "data": [{"id": "gemini-9-ultra", "object": "model"}]},
        ),
        "gemini-9-ultra",
    ),
    (
        "errors.stream_envelope_consistent.429",
        json_exchange(
            "rate_limit_stream",
            {"error": {"message": "m", "type": "throttling_error", "param": None, "code": "429"}},
            status=429,
        ),
        "throttling_error",
    ),
    (
        "errors.stream_envelope_consistent.400",
        json_exchange(
            "upstream_400_stream",
            {"error": {"message": "m", "type": "bad_request", "param": None, "code": None}},
            status=400,
        ),
        "bad_request",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "exchange", "fragment"),
    BAD_MORE,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD_MORE)],
)
def test_check_fails_on_bad_exchange(check_id: str, exchange: Exchange, fragment: str) -> None:
    from tests.check_cases import good

    exchanges = good()
    exchanges[exchange.probe] = exchange
    with pytest.raises(CheckFailure) as info:
        REGISTRY[check_id].run(exchanges)
    shown = (f"[{info.value.probe}] " if info.value.probe else "") + info.value.message
    shown += " " + " ".join(info.value.clients.values())
    assert fragment in shown


def test_not_buffered_reports_timings_when_it_passes() -> None:
    from tests.check_cases import good

    note = REGISTRY["stream.not_buffered"].run(good())
    assert note is not None
    assert "first token" in note
    assert "gaps 150, 150 ms" in note


def test_openai_node_checks_skip_without_node() -> None:
    from conformance.registry import NotApplicable
    from tests.check_cases import good

    exchanges = good()
    exchanges["chat"] = replace(exchanges["chat"], node="node is not installed")
    with pytest.raises(NotApplicable, match="node is not installed"):
        REGISTRY["clients.openai_node.chat"].run(exchanges)


def test_contract_says_nothing_about_requests_with_undocumented_fields() -> None:
    from conformance.checks.contract import contract_problems
    from conformance.exchange import Request

    body = {"input": ["a"], "model": "gemini-embedding-001", "encoding_format": "base64"}
    answer = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": "AAAA"}],
        "model": "m",
    }
    x = replace(
        json_exchange("embeddings_base64", answer),
        request=Request("POST", "http://127.0.0.1:1/embeddings", {}, b"{}", body),
    )
    assert contract_problems("gemini-proxy-deno", x) is None
    documented = replace(x, request=replace(x.request, json_body={"input": ["a"]}))
    assert contract_problems("gemini-proxy-deno", documented)  # base64 breaks the document


def test_a_clean_refusal_to_fetch_a_private_image_url_is_not_a_failure() -> None:
    from conformance.registry import NotApplicable
    from tests.check_cases import good

    exchanges = good()
    exchanges["image_http_url"] = error_exchange("image_http_url", 400, "Unable to fetch image")
    with pytest.raises(NotApplicable, match="refused to fetch"):
        REGISTRY["translate.image_http_url"].run(exchanges)


def test_an_image_url_may_reach_gemini_as_the_url_or_as_url_safe_bytes() -> None:
    """Gemini fetches a public HTTP(S) URL given as fileData.fileUri itself
    (https://ai.google.dev/gemini-api/docs/file-input-methods), and reads bytes in
    URL-safe base64 as well as standard (google-genai sends URL-safe; any-llm's gateway
    went through it)."""
    import base64
    from dataclasses import replace as swap

    from conformance.exchange import Request
    from conformance.probes.params import IMAGE_PNG

    url = "http://127.0.0.1:1/_mock/image.png"
    body = {
        "model": "gemini-2.5-flash",
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}
        ],
    }
    x = json_exchange(
        "image_http_url", completion(), upstream=user_turn({"fileData": {"fileUri": url}})
    )
    x = swap(x, request=Request("POST", x.request.url, x.request.headers, b"{}", body))
    said = REGISTRY["translate.image_http_url"].run({"image_http_url": x})
    assert "fileData.fileUri" in str(said)
    url_safe = base64.urlsafe_b64encode(IMAGE_PNG).decode().rstrip("=")
    inline = {"inlineData": {"mimeType": "image/png", "data": url_safe}}
    for probe in ("image_data_url", "image_http_url"):
        got = json_exchange(probe, completion(), upstream=user_turn(inline))
        REGISTRY[f"translate.{probe}"].run({probe: got})


def test_an_effort_dropped_on_gemini3_fails() -> None:
    """GewoonJaap/gemini-cli-openai sent low and high alike, with no thinking config at
    all: each request alone breaks no rule, together they show the effort was dropped."""
    from tests.check_cases import good

    plain = journal(body=upstream_body())
    exchanges = good()
    for probe in ("effort_low_g3", "effort_high_g3"):
        exchanges[probe] = json_exchange(probe, completion(), upstream=plain)
    with pytest.raises(CheckFailure, match="the effort was dropped"):
        REGISTRY["reasoning.effort_gemini3"].run(exchanges)
    exchanges["effort_high_g3"] = good()["effort_high_g3"]  # one effort mapped: not dropped
    REGISTRY["reasoning.effort_gemini3"].run(exchanges)


def test_stream_history_rebuilds_the_assistant_turn_from_the_deltas() -> None:
    """What an agent loop sends back after a streamed tool call: id, name and the
    arguments joined, by index, with the text; nothing when the stream has no call."""
    from conformance.probes.tooling import stream_history

    message = stream_history(stream_exchange("signature_stream", sse(*tool_deltas())))
    assert message is not None
    assert [c["function"]["name"] for c in message["tool_calls"]] == [c["name"] for c in CALLS]
    assert [json.loads(c["function"]["arguments"]) for c in message["tool_calls"]] == [
        c["args"] for c in CALLS
    ]
    assert all(c["id"] for c in message["tool_calls"])
    assert stream_history(stream_exchange("chat_stream", sse(*_TEXT))) is None


def test_result_mapping_judges_the_names_even_when_the_upstream_refused() -> None:
    """On Gemini 3 the probe's hand-written history has no signatures; a proxy that adds
    none gets Google's 400. The names it sent are still the check's subject, and a 500
    with the right names says why the turn was refused."""
    from dataclasses import replace as swap

    from tests.check_cases import TOOL_RESULT_CONTENTS, good

    refused = journal(body=upstream_body(contents=TOOL_RESULT_CONTENTS), status=400)
    error = {"code": 400, "message": "Function call is missing a thought_signature in parts"}
    refused = ({**refused[0], "response": {"error": error}},)
    x = error_exchange("tool_result", 500, upstream=refused)
    with pytest.raises(CheckFailure, match="missing thought signature: on Gemini 3"):
        REGISTRY["tools.result_mapping"].run({**good(), "tool_result": x})
    wrong = [
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": i, "response": {"content": t}}}
                for i, t in (("call_w1", "sunny, 21 C"), ("call_t1", "10:00 JST"))
            ],
        }
    ]
    named = swap(x, upstream=({**refused[0], "body": upstream_body(contents=wrong)},))
    with pytest.raises(CheckFailure, match="name 'call_w1'"):
        REGISTRY["tools.result_mapping"].run({**good(), "tool_result": named})


def test_a_429_told_as_assistant_text_is_named() -> None:
    """gemini-cli-openai answers a streamed request whose upstream call got a 429 with a
    200 stream whose text is "Error: Stream request failed: 429", then stop."""
    from tests.check_cases import good

    entry = journal(status=429)[0]
    limited = ({**entry, "response": {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}},)
    said = chunk({"content": "Error: Stream request failed: 429"})
    x = stream_exchange("rate_limit_stream", sse(_TEXT[0], said, _TEXT[-1]), upstream=limited)
    with pytest.raises(CheckFailure) as info:
        REGISTRY["errors.rate_limit_stream_status"].run({**good(), "rate_limit_stream": x})
    assert "it also wrote 'Error: Stream request failed: 429' into the answer" in (
        info.value.message
    )
