"""Good exchanges for every probe, and the builders the check tests share.

``good()`` holds one conformant exchange per probe (with the mock journal entries a
conformant proxy produces in controlled mode); the check tests swap one probe's exchange
for a precise defect.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import replace
from typing import Any

from conformance.exchange import Exchange, Request
from conformance.oracles_node import NodeOutcome
from conformance.probes import PROBES
from conformance.probes.documented import DOCUMENTED, DocumentedProbe
from conformance.probes.field import answer_calls
from conformance.probes.params import (
    CODENAME,
    DEVELOPER_PROMPT,
    DEVELOPER_QUESTION,
    IMAGE_PNG,
    LEGACY_MAX_TOKENS,
    PARAMS,
    SYSTEM_PROMPT,
    SYSTEM_PROMPTS,
)
from conformance.probes.samples import png
from conformance.runner import AI_SDK_REPLAYS, NODE_REPLAYS
from conformance.target import Target
from spec import operation, response_object
from spec.profiles import PROFILES
from tests.capture_cases import good_captures
from tests.factories import (
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
from tests.field_cases import AI_SDK_OK, field_good

USAGE = {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
FAILOVER = (
    {**journal()[0], "time": 100.0, "status": 429},
    {
        **journal()[0],
        "time": 100.2,
        "credentials": [{"where": "header:x-goog-api-key", "sha256": "0123456789ab"}],
    },
)
"""The journal of a proxy that answered a spent key's 429 from its second key."""
CALLS = [
    {"name": "get_weather", "args": {"location": "Paris"}},
    {"name": "get_weather", "args": {"location": "Tokyo"}},
    {"name": "get_time", "args": {"timezone": "Asia/Tokyo"}},
]


NO_ARGS_CALL: list[dict[str, Any]] = [{"name": "get_current_time", "args": {}}]
"""The call of a tool without parameters (the ``tool_call_no_args`` probes)."""


def tool_deltas(calls: list[dict[str, Any]] = CALLS, prefix: str = "call_") -> list[dict[str, Any]]:
    out = [chunk({"role": "assistant", "content": None})]
    for i, call in enumerate(calls):
        args = json.dumps(call["args"])
        out.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": f"{prefix}{i}",
                            "type": "function",
                            "function": {"name": call["name"], "arguments": args[:5]},
                        }
                    ]
                }
            )
        )
        out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[5:]}}]}))
    out.append(chunk({}, "tool_calls"))
    return out


def tool_message(calls: list[dict[str, Any]] = CALLS) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_u{i}",
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
            }
            for i, c in enumerate(calls)
        ],
    }


def thought_stream(content_extra: str = "", reasoning: bool = True) -> list[dict[str, Any]]:
    out = [chunk({"role": "assistant", "content": ""})]
    if reasoning:
        out.append(chunk({"reasoning_content": THOUGHTS}))
    out += [chunk({"content": content_extra + "391"}), chunk({}, "stop")]
    return out


MODELS: dict[str, Any] = {
    "object": "list",
    "data": [{"id": "gemini-2.5-flash", "object": "model", "created": 0, "owned_by": "google"}],
}
RETRY = (("retry-after", "17"),)
IMAGE_B64 = base64.b64encode(IMAGE_PNG).decode()
PNG_PART = {"inlineData": {"mimeType": "image/png", "data": IMAGE_B64}}
"""The part a conformant proxy sends for the probes' PNG (data URL or fetched URL)."""


def door_exchanges() -> dict[str, Exchange]:
    """The reasoning doors other than ``reasoning_effort`` (``conformance.probes.basic``
    ``DOORS``), each answered like ``thoughts``/``thoughts_stream``."""
    out: dict[str, Exchange] = {}
    for door in ("thoughts_google", "thoughts_model"):
        out[door] = json_exchange(
            door,
            completion({"role": "assistant", "content": "391", "reasoning_content": THOUGHTS}),
            upstream=journal(thoughts=THOUGHTS, text="391"),
        )
        out[f"{door}_stream"] = stream_exchange(
            f"{door}_stream", sse(*thought_stream()), upstream=journal(thoughts=THOUGHTS)
        )
    return out


def good() -> dict[str, Exchange]:
    return with_node(
        {
            "models": json_exchange("models", MODELS),
            "chat": json_exchange("chat", completion(), upstream=journal()),
            "chat_no_stream_field": json_exchange("chat_no_stream_field", completion()),
            "after_faults": json_exchange("after_faults", completion(), upstream=journal()),
            "chat_stream": stream_exchange("chat_stream", sse(*text_chunks()), upstream=journal()),
            "chat_stream_usage": stream_exchange(
                "chat_stream_usage", sse(*text_chunks(), chunk(choices=[], usage=USAGE))
            ),
            "bad_key": error_exchange("bad_key", 401),
            "unknown_model": error_exchange("unknown_model", 404),
            "malformed_body": error_exchange("malformed_body", 400),
            "rate_limit": error_exchange(
                "rate_limit", 429, headers=RETRY, upstream=journal(status=429)
            ),
            "rate_limit_stream": error_exchange("rate_limit_stream", 429, headers=RETRY),
            "thoughts": json_exchange(
                "thoughts",
                completion(
                    {"role": "assistant", "content": "391", "reasoning_content": THOUGHTS},
                    usage={
                        "prompt_tokens": 3,
                        "completion_tokens": 13,
                        "total_tokens": 16,
                        "completion_tokens_details": {"reasoning_tokens": 10},
                    },
                ),
                upstream=journal(thoughts=THOUGHTS, text="391"),
            ),
            "thoughts_stream": stream_exchange(
                "thoughts_stream", sse(*thought_stream()), upstream=journal(thoughts=THOUGHTS)
            ),
            **door_exchanges(),
            "tool_calls": json_exchange(
                "tool_calls",
                completion(tool_message(), finish="tool_calls"),
                upstream=journal(function_calls=CALLS),
            ),
            "tool_calls_stream": stream_exchange(
                "tool_calls_stream", sse(*tool_deltas()), upstream=journal(function_calls=CALLS)
            ),
            "tool_call_no_args": json_exchange(
                "tool_call_no_args",
                completion(tool_message(NO_ARGS_CALL), finish="tool_calls"),
                upstream=journal(function_calls=NO_ARGS_CALL),
            ),
            "tool_call_no_args_stream": stream_exchange(
                "tool_call_no_args_stream",
                sse(*tool_deltas(NO_ARGS_CALL)),
                upstream=journal(function_calls=NO_ARGS_CALL),
            ),
            "stream_cut": stream_exchange(
                "stream_cut",
                sse(
                    *text_chunks()[:2],
                    {"error": {"message": "upstream stream broke off", "type": "upstream_error"}},
                    done=False,
                ),
            ),
            "system_prompts": json_exchange(
                "system_prompts",
                completion(),
                upstream=journal(
                    body=params_body(
                        systemInstruction={"parts": [{"text": t} for t in SYSTEM_PROMPTS]}
                    )
                ),
            ),
            "system_prompt": with_client_body(
                json_exchange("system_prompt", completion(), upstream=journal(body=params_body())),
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": "Say hello in three words."},
                ],
            ),
            **{
                name: with_client_body(
                    json_exchange(name, completion(), upstream=journal(body=params_body())),
                    **fields,
                )
                for name, fields in (
                    ("sampling", {"temperature": PARAMS["temperature"], "top_p": PARAMS["top_p"]}),
                    ("max_completion_tokens", {"max_completion_tokens": 77}),
                    ("stop", {"stop": PARAMS["stop"]}),
                )
            },
            "developer_role": json_exchange(
                "developer_role",
                completion({"role": "assistant", "content": CODENAME}),
                upstream=journal(body=developer_body(), text=CODENAME),
            ),
            "service_tier_auto": with_client_body(
                json_exchange("service_tier_auto", completion(), upstream=journal()),
                service_tier="auto",
            ),
            "upstream_models": replace(
                json_exchange(
                    "upstream_models",
                    {"models": [{"name": f"models/{m['id']}"} for m in MODELS["data"]]},
                ),
                request=Request("GET", "http://127.0.0.1:2/_mock/models", {}),
            ),
            "key_rate_limit": json_exchange("key_rate_limit", completion(), upstream=FAILOVER),
            **more_good(),
            **field_good(),
            **documented_good(),
            **good_captures(),
        }
    )


_BINARY = {"image/png": png(), "audio/wav": b"RIFF\x24\x00\x00\x00WAVEfmt "}


def documented_answer(item: DocumentedProbe) -> tuple[int, str, bytes]:
    """``(status, media type, body)`` the document itself shows for ``item``'s request:
    its first success status, first media type and first example (JSON), or a real
    file of that media type."""
    ep = item.endpoint
    responses = operation(item.profile, ep.path, ep.method)["responses"]
    status = next(k for k in responses if k.startswith("2"))
    content = response_object(item.profile, ep.path, ep.method, status).get("content", {})
    media = next(iter(content), "application/json")
    holder = content.get(media, {})
    if media in _BINARY:
        return int(status), media, _BINARY[media]
    listed = holder.get("examples")
    value = next(iter(listed.values()))["value"] if listed else holder.get("example")
    raw = value.encode() if isinstance(value, str) else json.dumps(value).encode()
    return int(status), media, raw


def documented_exchange(
    item: DocumentedProbe,
    *,
    status: int | None = None,
    media: str | None = None,
    body: bytes | None = None,
) -> Exchange:
    """The exchange of a documented-endpoint probe, answered as the document shows
    (``status``, ``media`` and ``body`` override one part)."""
    target = Target("http://127.0.0.1:1", PROFILES[item.profile], api_key="sk-test")
    good_status, good_media, good_body = documented_answer(item)
    probe = PROBES[item.probe]
    request = probe.build(target, "cid")
    if probe.then is not None:  # the first turn answers as its own document shows
        producer = next(d for d in DOCUMENTED if d.endpoint.path in request.url)
        code, kind, raw = documented_answer(producer)
        first = Exchange(item.probe, request, code, (("content-type", kind),), ((0.001, raw),))
        request = probe.then(target, "cid", first) or request
    return Exchange(
        probe=item.probe,
        request=request,
        status=good_status if status is None else status,
        headers=(("content-type", good_media if media is None else media),),
        chunks=((0.001, good_body if body is None else body),),
        profile=item.profile,
    )


LIVE_FRAMES = (
    b'{"setupComplete": {}}\n'
    b'{"serverContent": {"modelTurn": {"role": "model", "parts": [{"text": "hi"}]}}}\n'
    b'{"serverContent": {"turnComplete": true}}\n'
    b'{"close": 1000, "reason": ""}\n'
)
"""A Live API turn that came back through a WebSocket passthrough."""


def websocket_exchange(
    item: DocumentedProbe,
    *,
    status: int | None = 101,
    body: bytes = LIVE_FRAMES,
    upstream: bool = True,
) -> Exchange:
    """The exchange of a documented WebSocket probe (controlled mode: the mock's
    journal shows the frames when ``upstream``)."""
    target = Target("http://127.0.0.1:1", PROFILES[item.profile], api_key="sk-test")
    entry = {
        "method": "WS",
        "path": "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent",
        "body": {"setup": {}},
        "status": 101,
    }
    return Exchange(
        probe=item.probe,
        request=PROBES[item.probe].build(target, "cid"),
        status=status,
        chunks=((0.001, body),),
        upstream=(entry,) if upstream else (),
        profile=item.profile,
    )


def documented_good() -> dict[str, Exchange]:
    return {
        item.probe: websocket_exchange(item) if item.websocket else documented_exchange(item)
        for item in DOCUMENTED
    }


def developer_body(**over: Any) -> dict[str, Any]:
    """What a conformant proxy sends upstream for the ``developer_role`` probe."""
    body: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": DEVELOPER_QUESTION}]}],
        "systemInstruction": {"parts": [{"text": DEVELOPER_PROMPT}]},
    }
    body.update(over)
    return body


def with_client_body(x: Exchange, **fields: Any) -> Exchange:
    """``x`` with ``fields`` set in the client's JSON request body."""
    body = {**x.request.json_body, **fields}
    request = Request(
        x.request.method, x.request.url, x.request.headers, json.dumps(body).encode(), body
    )
    return replace(x, request=request)


def with_node(exchanges: dict[str, Exchange]) -> dict[str, Exchange]:
    """``exchanges`` with an openai-node outcome (ok) on every replayed probe, and the AI
    SDK's (ok) on the probes it replays."""
    for name in NODE_REPLAYS:
        if name in exchanges:
            x = exchanges[name]
            ai_sdk = replace(AI_SDK_OK, calls=len(answer_calls(x)))
            exchanges[name] = replace(
                x,
                node=NodeOutcome("openai-node 7", None, None, 3),
                ai_sdk=ai_sdk if name in AI_SDK_REPLAYS else None,
            )
    return exchanges


def user_turn(*parts: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The journal of a generate call whose one content is a user turn of ``parts``."""
    return journal(body=upstream_body(contents=[{"role": "user", "parts": list(parts)}]))


def upstream_body(**fields: Any) -> dict[str, Any]:
    """A Gemini request body as a conformant proxy sends it (plus ``fields``)."""
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **fields}


def thinking(**config: Any) -> tuple[dict[str, Any], ...]:
    return journal(body=upstream_body(generationConfig={"thinkingConfig": config}))


SANITISED = {
    "type": "OBJECT",
    "properties": {
        "path": {"type": "STRING", "description": "Directory to search"},
        "mode": {"type": "STRING", "enum": ["recursive"]},
        "depth": {"type": "INTEGER", "nullable": True, "minimum": 1},
        "tags": {"type": "ARRAY", "items": {}},
    },
    "required": ["path"],
}

TOOL_RESULT_CONTENTS = [
    {"role": "user", "parts": [{"text": "weather?"}]},
    {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}},
            {"functionCall": {"name": "get_time", "args": {"timezone": "Asia/Tokyo"}}},
        ],
    },
    {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"content": "sunny, 21 C"}}},
            {"functionResponse": {"name": "get_time", "response": {"content": "10:00 JST"}}},
        ],
    },
]

TIME_CALL = [{"name": "get_time", "args": {"timezone": "Asia/Tokyo"}}]


def tool_config(mode: str, **extra: Any) -> tuple[dict[str, Any], ...]:
    config = {"functionCallingConfig": {"mode": mode, **extra}}
    return journal(
        text=None if mode == "NONE" else "",
        body=upstream_body(tools=[{"functionDeclarations": []}], toolConfig=config),
    )


def paced(probe: str, gap_s: float = 0.15) -> Exchange:
    """A stream whose events arrived ``gap_s`` seconds apart."""
    events = [sse(c, done=False) for c in text_chunks()] + [b"data: [DONE]\n\n"]
    return Exchange(
        probe=probe,
        request=stream_exchange(probe, b"").request,
        status=200,
        headers=(("content-type", "text/event-stream"),),
        chunks=tuple((0.01 + i * gap_s, e) for i, e in enumerate(events)),
    )


def blocked_unary(probe: str, finish: str) -> Exchange:
    return json_exchange(probe, completion({"role": "assistant", "content": ""}, finish=finish))


def blocked_stream(probe: str, finish: str) -> Exchange:
    return stream_exchange(
        probe, sse(chunk({"role": "assistant", "content": ""}), chunk({}, finish))
    )


def embedding_list(vectors: list[Any]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)
        ],
        "model": "gemini-embedding-001",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }


def more_good() -> dict[str, Exchange]:
    turn1 = json_exchange(
        "signature_echo",
        completion(tool_message(CALLS[:1]), finish="tool_calls"),
    )
    out: dict[str, Exchange] = {
        "cors_preflight": Exchange(
            probe="cors_preflight",
            request=stream_exchange("cors_preflight", b"").request,
            status=204,
            headers=(
                ("access-control-allow-origin", "*"),
                (
                    "access-control-allow-headers",
                    "authorization, content-type, x-stainless-os, x-stainless-timeout",
                ),
            ),
        ),
        "kitchen_sink": json_exchange("kitchen_sink", completion()),
        "max_tokens_legacy": json_exchange(
            "max_tokens_legacy",
            completion(),
            upstream=journal(
                body=upstream_body(generationConfig={"maxOutputTokens": LEGACY_MAX_TOKENS})
            ),
        ),
        "empty_assistant_turn": json_exchange(
            "empty_assistant_turn", completion(), upstream=journal()
        ),
        "content_parts": with_client_body(
            json_exchange(
                "content_parts",
                completion(),
                upstream=journal(
                    body=upstream_body(
                        systemInstruction={
                            "parts": [{"text": "You are a terse assistant. Answer in one line."}]
                        },
                        contents=[
                            {"role": "user", "parts": [{"text": "Hello there."}]},
                            {"role": "model", "parts": [{"text": "Hi. How can I help?"}]},
                            {"role": "user", "parts": [{"text": "Now answer in three words."}]},
                        ],
                    )
                ),
            ),
            messages=[
                {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
                {"role": "user", "content": [{"type": "text", "text": "Hello there."}]},
                {"role": "assistant", "content": [{"type": "text", "text": "Hi. How can I help?"}]},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "Now answer in three words."}],
                },
            ],
        ),
        "response_json_schema": json_exchange(
            "response_json_schema",
            completion({"role": "assistant", "content": '{"name": "Ada", "age": 36}'}),
            upstream=journal(
                body=upstream_body(
                    generationConfig={
                        "responseMimeType": "application/json",
                        "responseJsonSchema": {"type": "object"},
                    }
                )
            ),
        ),
        "response_json_object": json_exchange(
            "response_json_object",
            completion(),
            upstream=journal(
                body=upstream_body(generationConfig={"responseMimeType": "application/json"})
            ),
        ),
        "stop_many": json_exchange(
            "stop_many",
            completion(),
            upstream=journal(
                body=upstream_body(
                    generationConfig={"stopSequences": ["S1", "S2", "S3", "S4", "S5"]}
                )
            ),
        ),
        "effort_none": json_exchange(
            "effort_none", completion(), upstream=thinking(thinkingBudget=0)
        ),
        "effort_low": json_exchange(
            "effort_low", completion(), upstream=thinking(thinkingBudget=1024, includeThoughts=True)
        ),
        "effort_high": json_exchange(
            "effort_high",
            completion(),
            upstream=thinking(thinkingBudget=24576, includeThoughts=True),
        ),
        "effort_low_g3": json_exchange(
            "effort_low_g3", completion(), upstream=thinking(thinkingLevel="LOW")
        ),
        "effort_high_g3": json_exchange(
            "effort_high_g3", completion(), upstream=thinking(thinkingLevel="HIGH")
        ),
        "image_data_url": json_exchange(
            "image_data_url",
            completion(),
            upstream=user_turn({"text": "What is in this image?"}, PNG_PART),
        ),
        "tool_schema": json_exchange(
            "tool_schema",
            completion(),
            upstream=journal(
                body=upstream_body(
                    tools=[
                        {
                            "functionDeclarations": [
                                {"name": "search_files", "parameters": SANITISED}
                            ]
                        }
                    ]
                )
            ),
        ),
        "tool_result": json_exchange(
            "tool_result",
            completion(),
            upstream=journal(body=upstream_body(contents=TOOL_RESULT_CONTENTS)),
        ),
        "tool_choice_required": json_exchange(
            "tool_choice_required",
            completion(tool_message(CALLS[:1]), finish="tool_calls"),
            upstream=tool_config("ANY"),
        ),
        "tool_choice_none": json_exchange(
            "tool_choice_none", completion(), upstream=tool_config("NONE")
        ),
        "tool_choice_named": json_exchange(
            "tool_choice_named",
            completion(tool_message(TIME_CALL), finish="tool_calls"),
            upstream=tool_config("ANY", allowedFunctionNames=["get_time"]),
        ),
        "signature_echo": replace(json_exchange("signature_echo", completion()), previous=(turn1,)),
        "signature_dropped": replace(
            json_exchange("signature_dropped", completion()), previous=(turn1,)
        ),
        "signature_stream": replace(
            stream_exchange("signature_stream", sse(*text_chunks())), previous=(turn1,)
        ),
        "daily_quota": error_exchange("daily_quota", 429, headers=(("x-should-retry", "false"),)),
        "stream_error": stream_exchange(
            "stream_error",
            sse(
                *text_chunks()[:2],
                {"error": {"message": "The model is overloaded.", "type": "upstream_error"}},
                done=False,
            ),
        ),
        "text_parts": json_exchange(
            "text_parts", completion(), upstream=journal(text="Hello there friend")
        ),
        "text_parts_stream": stream_exchange(
            "text_parts_stream", sse(*text_chunks()), upstream=journal(text="Hello there friend")
        ),
        "stream_split": stream_exchange(
            "stream_split", sse(*text_chunks()), upstream=journal(text="Hello there friend")
        ),
        "stream_coalesced": stream_exchange(
            "stream_coalesced", sse(*text_chunks()), upstream=journal(text="Hello there friend")
        ),
        "stream_paced": paced("stream_paced"),
        "thoughts_tool_call_stream": stream_exchange(
            "thoughts_tool_call_stream",
            sse(
                chunk({"role": "assistant", "content": None}),
                chunk({"reasoning_content": THOUGHTS}),
                *tool_deltas(CALLS[:1])[1:],
            ),
            upstream=journal(thoughts=THOUGHTS, function_calls=CALLS[:1]),
        ),
        "n_choices": json_exchange(
            "n_choices",
            completion(
                choices=[
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": f"Cat {i}"},
                        "finish_reason": "stop",
                    }
                    for i in range(2)
                ]
            ),
        ),
        "image_http_url": json_exchange(
            "image_http_url",
            completion(),
            upstream=user_turn({"text": "Describe this picture."}, PNG_PART),
        ),
        "stream_slow": stream_exchange("stream_slow", [b": keep-alive\n\n", sse(*text_chunks())]),
        "rate_limit_burst": error_exchange(
            "rate_limit_burst", 429, "rate limited", headers=(("retry-after", "5"),)
        ),
        "embeddings": json_exchange("embeddings", embedding_list([[0.5] * 256, [0.25] * 256])),
        "embeddings_base64": json_exchange(
            "embeddings_base64",
            embedding_list([base64.b64encode(struct.pack("<3f", 0.5, -1.0, 0.0)).decode()] * 2),
        ),
        **{
            name: replace(
                json_exchange(name, completion()), prop_result={"examples": 30, "violation": None}
            )
            for name in ("prop_chat", "prop_stream", "prop_negative")
        },
    }
    for name, code in (
        ("upstream_400", 400),
        ("upstream_403", 403),
        ("upstream_404", 404),
        ("upstream_500", 500),
        ("upstream_503", 503),
    ):
        out[name] = error_exchange(name, code)
    out["upstream_400_stream"] = error_exchange("upstream_400_stream", 400)
    for name, finish in (
        ("safety", "content_filter"),
        ("prompt_blocked", "content_filter"),
        ("max_tokens", "length"),
        ("recitation", "content_filter"),
        ("malformed_call", "stop"),
    ):
        out[name] = blocked_unary(name, finish)
        out[f"{name}_stream"] = blocked_stream(f"{name}_stream", finish)
    return out
