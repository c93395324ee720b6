"""The reference proxy end to end, over HTTP, against the project's mock upstream.

The mock (``mockserver``, served in process by ``tests/mock_upstream.py``) speaks
Google's exact bytes (wire-formats.md A2, A3, A5): ``data: {...}\\r\\n\\r\\n`` framing,
cumulative ``usageMetadata``, ``finishReason`` on the last chunk only, thought parts,
whole ``functionCall`` parts with their ``thoughtSignature``, and ``google.rpc.Status``
error bodies (429 with ``RetryInfo``). Behaviour is picked by the ``[[mock:...]]``
directive of ``spec.scenarios`` in the last user message. Its journal
(``GET /_mock/requests``) shows what the proxy *sent upstream* and a summary of what the
mock answered, and :func:`tests.mock_upstream.replay` gives the mock's exact reply, so
tests compare the proxy's output with it.

Clients: ``httpx`` for the raw wire, and the official ``openai`` client for what real
users see (B2, B3). Servers run on free 127.0.0.1 ports (``tests/servers.py``); nothing
sleeps to synchronise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from aiohttp import web
from openai.types.chat import (
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageFunctionToolCallParam,
    ChatCompletionMessageToolCallUnion,
)

from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app
from reference_impl.settings import Settings
from spec.sse import decode
from tests.mock_upstream import clear, fingerprint, generate_calls, mock_upstream, queue, replay
from tests.servers import serve

UPSTREAM_KEY = "upstream-secret"
CLIENT_KEY = "client-key"

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    with mock_upstream(MockSettings(api_keys=frozenset({UPSTREAM_KEY}))) as url:
        yield url


@pytest.fixture(autouse=True)
def _clear(mock: str) -> None:
    clear(mock)


def _settings(mock: str, **kw: Any) -> Settings:
    return Settings(
        upstream_url=f"{mock}/v1beta",
        upstream_key=UPSTREAM_KEY,
        api_keys=frozenset({CLIENT_KEY}),
        **kw,
    )


@pytest.fixture(scope="module")
def proxy(mock: str) -> Iterator[str]:
    with serve(lambda: create_app(_settings(mock))) as url:
        yield url


@pytest.fixture
def http(proxy: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=proxy, headers={"Authorization": f"Bearer {CLIENT_KEY}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def client(proxy: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{proxy}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=30) as c:
        yield c


def chat(directive: str = "", **kw: Any) -> dict[str, Any]:
    text = f"Hi there [[mock:{directive}]]" if directive else "Hi there"
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": text}], **kw}


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather for a city",
            "parameters": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "type": "object",
                "properties": {"city": {"type": ["string", "null"]}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    },
]


def frames(raw: bytes) -> list[str]:
    """The proxy's stream as events, asserting the framing rules (A4, sse-framing.md)."""
    assert raw.endswith(b"\n\n")
    for line in raw.split(b"\n"):
        assert not line or line.startswith((b"data: ", b":")), line
    return [e.data for e in decode([raw])]


def chunks(raw: bytes) -> list[dict[str, Any]]:
    data = frames(raw)
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def last_upstream(mock: str) -> dict[str, Any]:
    """The last model call the proxy sent the mock (journal entry)."""
    return generate_calls(mock)[-1]


def answer(mock: str) -> dict[str, Any]:
    """The mock's summary of its reply to the last model call (``text``, ``thoughts``,
    ``function_calls``, ``error``...)."""
    summary: dict[str, Any] = last_upstream(mock)["response"]
    return summary


def gemini(mock: str) -> dict[str, Any]:
    """The mock's exact unary reply to the last model call."""
    reply: dict[str, Any] = replay(mock, last_upstream(mock), UPSTREAM_KEY)
    return reply


def function_call(
    call: ChatCompletionMessageToolCallUnion,
) -> ChatCompletionMessageFunctionToolCall:
    """A tool call of the proxy's answer: a function call (the only kind it sends)."""
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    return call


# --------------------------------------------------------------------------- basics


def test_health_needs_no_key(proxy: str) -> None:
    r = httpx.get(f"{proxy}/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["timestamp"].endswith("Z")  # 004 'GET /health' shape in openai-core
    assert r.headers["x-request-id"]


def test_unary_text(http: httpx.Client, mock: str) -> None:
    r = http.post("/v1/chat/completions", json=chat(temperature=0.2, max_completion_tokens=900))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["object"] == "chat.completion"
    reply = gemini(mock)
    assert body["id"] == f"chatcmpl-{reply['responseId']}"
    assert body["model"] == "gemini-2.5-flash"
    [choice] = body["choices"]
    # the reference asks gemini-2.5 for includeThoughts, and the mock (like Gemini) then
    # shows its thoughts: they arrive apart, in reasoning_content
    said = answer(mock)
    assert choice["message"] == {
        "role": "assistant",
        "content": said["text"],
        **({"reasoning_content": said["thoughts"]} if said.get("thoughts") else {}),
    }
    assert choice["message"]["content"]
    assert choice["finish_reason"] == "stop"
    usage = reply["usageMetadata"]
    assert body["usage"]["prompt_tokens"] == usage["promptTokenCount"]
    completion = usage["candidatesTokenCount"] + usage.get("thoughtsTokenCount", 0)
    assert body["usage"]["completion_tokens"] == completion
    assert body["usage"]["total_tokens"] == usage["totalTokenCount"]
    sent = last_upstream(mock)
    assert sent["path"] == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent["body"]["generationConfig"]["maxOutputTokens"] == 900
    assert sent["body"]["generationConfig"]["temperature"] == 0.2


def test_upstream_gets_exactly_one_credential_never_the_clients(
    http: httpx.Client, mock: str
) -> None:
    r = http.post("/v1/chat/completions", json=chat(), headers={"x-api-key": CLIENT_KEY})
    assert r.status_code == 200
    sent = last_upstream(mock)
    assert sent["credentials"] == [
        {"where": "header:x-goog-api-key", "sha256": fingerprint(UPSTREAM_KEY)}
    ]
    headers = sent["headers"]  # lower-case names, secret values redacted
    assert "authorization" not in headers
    assert "x-api-key" not in headers
    assert CLIENT_KEY not in json.dumps(sent)


def test_openai_client_unary(client: openai.OpenAI, mock: str) -> None:
    completion = client.chat.completions.create(
        model="models/gemini-2.5-flash",
        messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        store=False,
        metadata={"a": "b"},
        user="u",
        parallel_tool_calls=True,
        seed=3,
        frequency_penalty=0.5,
        presence_penalty=0,
        logprobs=False,
        service_tier="auto",
    )
    assert completion.choices[0].message.content == answer(mock)["text"]
    assert completion.usage is not None
    assert completion.usage.completion_tokens_details is not None


# --------------------------------------------------------------------------- streaming


def test_stream_frames_roles_and_done(http: httpx.Client, mock: str) -> None:
    r = http.post("/v1/chat/completions", json=chat("chunks=4", stream=True))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-accel-buffering"] == "no"
    got = chunks(r.content)
    assert got[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert {(c["id"], c["created"], c["model"], c["object"]) for c in got} == {
        (got[0]["id"], got[0]["created"], "gemini-2.5-flash", "chat.completion.chunk")
    }
    deltas = [c["choices"][0]["delta"] for c in got[1:-1]]
    pieces = [d["content"] for d in deltas if "content" in d]
    thoughts = [d["reasoning_content"] for d in deltas if "reasoning_content" in d]
    assert len(pieces) == 4  # one delta per upstream chunk
    assert "".join(pieces) == answer(mock)["text"]
    assert "".join(thoughts) == answer(mock).get("thoughts", "")  # includeThoughts, as Gemini
    finishing = [c for c in got if c["choices"][0]["finish_reason"] is not None]
    assert len(finishing) == 1
    assert finishing[0] is got[-1]
    assert got[-1]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert all("usage" not in c for c in got)


def test_stream_usage_chunk_only_when_asked(http: httpx.Client, mock: str) -> None:
    r = http.post(
        "/v1/chat/completions", json=chat(stream=True, stream_options={"include_usage": True})
    )
    got = chunks(r.content)
    assert got[-1]["choices"] == []
    usage = gemini(mock)["usageMetadata"]  # the stream's last usageMetadata is the total
    assert got[-1]["usage"]["prompt_tokens"] == usage["promptTokenCount"]
    completion = usage["candidatesTokenCount"] + usage.get("thoughtsTokenCount", 0)
    assert got[-1]["usage"]["completion_tokens"] == completion
    assert got[-1]["usage"]["total_tokens"] == usage["totalTokenCount"]
    assert all(c["choices"] for c in got[:-1])


@pytest.mark.parametrize("shape", ["split=1", "coalesce=1", "framing=lf"])
def test_stream_output_does_not_depend_on_upstream_framing(
    http: httpx.Client, mock: str, shape: str
) -> None:
    plain = chunks(http.post("/v1/chat/completions", json=chat(stream=True)).content)
    queue(mock, shape)  # queued, so both prompts (and so the mock's answers) are the same
    odd = chunks(http.post("/v1/chat/completions", json=chat(stream=True)).content)
    assert [e["scenario"] for e in generate_calls(mock)] == ["text", "text"]
    assert len(plain) > 3
    strip = [{**c, "id": "", "created": 0} for c in plain]
    assert [{**c, "id": "", "created": 0} for c in odd] == strip


def test_stream_thoughts_go_to_reasoning_content(http: httpx.Client, mock: str) -> None:
    r = http.post(
        "/v1/chat/completions", json=chat("scenario=thoughts", stream=True, reasoning_effort="low")
    )
    got = chunks(r.content)
    deltas = [c["choices"][0]["delta"] for c in got]
    reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    content = "".join(d.get("content", "") for d in deltas)
    sent = answer(mock)
    assert reasoning == sent["thoughts"]
    assert reasoning
    assert reasoning not in content
    assert content == sent["text"]
    assert last_upstream(mock)["body"]["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 1024,
        "includeThoughts": True,
    }


def test_unary_thoughts(client: openai.OpenAI, mock: str) -> None:
    c = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "[[mock:scenario=thoughts]]"}],
    )
    msg = c.choices[0].message
    sent = answer(mock)
    assert msg.content == sent["text"]
    assert msg.reasoning_content == sent["thoughts"]  # type: ignore[attr-defined]
    assert sent["thoughts"]
    assert c.usage is not None
    assert c.usage.completion_tokens_details is not None
    thoughts = gemini(mock)["usageMetadata"]["thoughtsTokenCount"]
    assert c.usage.completion_tokens_details.reasoning_tokens == thoughts > 0


def test_stream_tool_calls_with_the_openai_stream_helper(client: openai.OpenAI, mock: str) -> None:
    with client.chat.completions.stream(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "weather? [[mock:scenario=parallel_tool_calls]]"}],
        tools=TOOLS,  # type: ignore[arg-type]
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None
    sent = answer(mock)["function_calls"]  # the first tool twice, then the second
    assert [c.function.name for c in calls] == ["get_weather", "get_weather", "get_time"]
    assert [c.function.name for c in calls] == [f["name"] for f in sent]
    assert [json.loads(c.function.arguments) for c in calls] == [f["args"] for f in sent]
    ids = [c.id for c in calls]
    assert all(i.startswith("call_") for i in ids)
    assert len(set(ids)) == 3


def test_stream_tool_call_deltas_carry_index_and_id_once(http: httpx.Client, mock: str) -> None:
    directive = "scenario=parallel_tool_calls signature=1"
    r = http.post("/v1/chat/completions", json=chat(directive, stream=True, tools=TOOLS))
    deltas = [
        tc for c in chunks(r.content) for tc in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert [d["index"] for d in deltas] == [0, 1, 2]
    assert all(d["type"] == "function" and d["id"] for d in deltas)
    parts = gemini(mock)["candidates"][0]["content"]["parts"]
    signature = next(p["thoughtSignature"] for p in parts if "functionCall" in p)
    assert deltas[0]["extra_content"]["google"]["thought_signature"] == signature
    assert all("extra_content" not in d for d in deltas[1:])


def test_tool_round_trip_names_order_and_cached_signature(client: openai.OpenAI, mock: str) -> None:
    """B1 + B3: a client that drops ``extra_content`` and sends tool results reversed,
    without names, against a Gemini 3 model that insists on the signature."""
    first = client.chat.completions.create(
        model="gemini-3-pro-preview",
        tools=TOOLS,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "go [[mock:scenario=parallel_tool_calls]]"}],
    )
    calls = first.choices[0].message.tool_calls
    assert calls is not None
    parts = [p for p in gemini(mock)["candidates"][0]["content"]["parts"] if "functionCall" in p]
    assert [c.id for c in calls] == [p["functionCall"]["id"] for p in parts]  # Gemini 3's ids
    assert len(calls) == 3
    replay: list[ChatCompletionMessageFunctionToolCallParam] = [
        {
            "id": c.id,
            "type": "function",
            "function": {"name": c.function.name, "arguments": c.function.arguments},
        }
        for c in map(function_call, calls)
    ]
    second = client.chat.completions.create(
        model="gemini-3-pro-preview",
        tools=TOOLS,  # type: ignore[arg-type]
        messages=[
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": replay},
            {"role": "tool", "tool_call_id": calls[2].id, "content": "12:00"},
            {"role": "tool", "tool_call_id": calls[1].id, "content": '{"temp": 25}'},
            {"role": "tool", "tool_call_id": calls[0].id, "content": '{"temp": 20}'},
        ],
    )
    assert last_upstream(mock)["status"] == 200  # the mock checks Gemini 3's signature
    assert second.choices[0].message.content == answer(mock)["text"]
    contents = last_upstream(mock)["body"]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    model_parts = contents[1]["parts"]
    assert model_parts[0]["thoughtSignature"] == parts[0]["thoughtSignature"]
    assert [p["functionResponse"] for p in contents[2]["parts"]] == [
        {"name": "get_weather", "id": parts[0]["functionCall"]["id"], "response": {"temp": 20}},
        {"name": "get_weather", "id": parts[1]["functionCall"]["id"], "response": {"temp": 25}},
        {"name": "get_time", "id": parts[2]["functionCall"]["id"], "response": {"result": "12:00"}},
    ]


def test_tool_schema_is_sanitised_and_tool_choice_mapped(http: httpx.Client, mock: str) -> None:
    r = http.post(
        "/v1/chat/completions",
        json=chat(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "get_time"}}),
    )
    assert r.status_code == 200
    body = last_upstream(mock)["body"]
    decl = body["tools"][0]["functionDeclarations"][0]
    assert decl["parameters"] == {
        "type": "OBJECT",
        "properties": {"city": {"type": "STRING", "nullable": True}},
        "required": ["city"],
    }
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}
    }


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("scenario", "status", "exc"),
    [
        ("bad_request", 400, openai.BadRequestError),
        ("permission_denied", 403, openai.PermissionDeniedError),
        ("not_found", 404, openai.NotFoundError),
        ("internal", 500, openai.InternalServerError),
        ("unavailable", 503, openai.InternalServerError),
    ],
)
def test_upstream_error_status_is_preserved(
    client: openai.OpenAI,
    http: httpx.Client,
    mock: str,
    scenario: str,
    status: int,
    exc: type[openai.APIStatusError],
) -> None:
    for stream in (False, True):
        r = http.post("/v1/chat/completions", json=chat(f"scenario={scenario}", stream=stream))
        assert r.status_code == status
        assert r.headers["content-type"] == "application/json"
        err = r.json()["error"]
        assert set(err) == {"message", "type", "param", "code"}
        assert answer(mock)["error"]["code"] == status
        assert err["message"] == answer(mock)["error"]["message"]
    with pytest.raises(exc) as info:
        client.chat.completions.create(**chat(f"scenario={scenario}"))
    assert info.value.status_code == status
    assert answer(mock)["error"]["message"] in str(info.value)
    if scenario == "not_found":
        assert info.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("delay", "seconds", "ms"), [("17s", "17", "17000"), ("57.2s", "58", "57200")]
)
def test_rate_limit_keeps_429_and_retry_after(
    client: openai.OpenAI, delay: str, seconds: str, ms: str
) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(**chat(f"scenario=rate_limit retry_delay={delay}"))
    headers = info.value.response.headers
    assert headers["retry-after"] == seconds
    assert headers["retry-after-ms"] == ms
    assert "x-should-retry" not in headers
    assert "exceeded your current quota" in info.value.message


def test_rate_limit_before_the_stream_is_a_real_429(http: httpx.Client) -> None:
    r = http.post("/v1/chat/completions", json=chat("scenario=rate_limit", stream=True))
    assert r.status_code == 429
    assert r.headers["retry-after"] == "17"
    assert r.json()["error"]["code"] == "rate_limit_exceeded"


def test_daily_quota_says_do_not_retry(http: httpx.Client) -> None:
    r = http.post("/v1/chat/completions", json=chat("scenario=daily_quota"))
    assert r.status_code == 429
    assert r.headers["x-should-retry"] == "false"
    assert r.json()["error"]["code"] == "insufficient_quota"


@pytest.mark.parametrize("scenario", ["mid_stream_cut", "mid_stream_error"])
def test_mid_stream_failure_raises_in_the_openai_client(
    client: openai.OpenAI, http: httpx.Client, mock: str, scenario: str
) -> None:
    r = http.post(
        "/v1/chat/completions", json=chat(f"scenario={scenario} cut_after=2", stream=True)
    )
    assert r.status_code == 200
    data = frames(r.content)
    assert "[DONE]" not in data
    error = json.loads(data[-1])["error"]
    assert set(error) == {"message", "type", "param", "code"}  # as the HTTP envelope
    got = [json.loads(d)["choices"][0]["delta"] for d in data[:-1]]
    assert got[0] == {"role": "assistant", "content": ""}
    assert [set(d) for d in got[1:]] == [{"content"}, {"content"}]  # cut after 2 chunks
    sent = "".join(d["content"] for d in got[1:])
    assert sent == answer(mock)["text"]
    received: list[str] = []
    stream = client.chat.completions.create(**chat(f"scenario={scenario} cut_after=2"), stream=True)

    def consume() -> None:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")

    with pytest.raises(openai.APIError) as info:
        consume()
    assert type(info.value) is openai.APIError  # raised from the error event, not a status
    assert "".join(received) == sent


def test_bad_and_missing_client_key(proxy: str) -> None:
    with (
        openai.OpenAI(base_url=f"{proxy}/v1", api_key="wrong", max_retries=0) as bad,
        pytest.raises(openai.AuthenticationError) as info,
    ):
        bad.chat.completions.create(**chat())
    assert info.value.code == "invalid_api_key"
    r = httpx.post(f"{proxy}/v1/chat/completions", json=chat())
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[]", None),
        (b'{"model": "gemini-2.5-flash"}', "messages"),
        (b'{"model": "gemini-2.5-flash", "messages": []}', "messages"),
        (
            b'{"model": "gemini-2.5-flash", "messages": [{"role": "bot", "content": "x"}]}',
            "messages[0].role",
        ),
        (
            b'{"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": 3}]}',
            "messages[0].content",
        ),
        (
            b'{"model": "gemini-2.5-flash", "temperature": "hot", '
            b'"messages": [{"role": "user", "content": "x"}]}',
            "temperature",
        ),
    ],
)
def test_malformed_requests_are_400_naming_the_field(
    http: httpx.Client, body: bytes, param: str | None
) -> None:
    r = http.post(
        "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["error"]["param"] == param
    assert r.json()["error"]["type"] == "invalid_request_error"


def test_openai_client_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gemini-2.5-flash", messages=[])
    assert info.value.param == "messages"


def test_blocked_prompt_is_content_filter(http: httpx.Client) -> None:
    r = http.post("/v1/chat/completions", json=chat("scenario=prompt_blocked"))
    assert r.status_code == 200
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"
    got = chunks(
        http.post("/v1/chat/completions", json=chat("scenario=prompt_blocked", stream=True)).content
    )
    assert [c["choices"][0]["finish_reason"] for c in got] == [None, "content_filter"]


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        ("safety", "content_filter"),
        ("recitation", "content_filter"),
        ("max_tokens", "length"),
        ("malformed_function_call", "stop"),
    ],
)
def test_finish_reasons(http: httpx.Client, scenario: str, reason: str) -> None:
    r = http.post("/v1/chat/completions", json=chat(f"scenario={scenario}"))
    assert r.status_code == 200
    [choice] = r.json()["choices"]
    assert choice["finish_reason"] == reason
    got = chunks(
        http.post("/v1/chat/completions", json=chat(f"scenario={scenario}", stream=True)).content
    )
    assert got[-1]["choices"][0]["finish_reason"] == reason


def test_unreachable_upstream_is_502() -> None:
    with serve(web.Application) as dead:
        pass  # the port is free again once the server stops
    settings = Settings(upstream_url=f"{dead}/v1beta", upstream_key=UPSTREAM_KEY)
    with serve(lambda: create_app(settings)) as url:
        r = httpx.post(
            f"{url}/v1/chat/completions", json=chat(), headers={"Authorization": "Bearer anything"}
        )
        assert r.status_code == 502
        assert r.json()["error"]["type"] == "upstream_error"
        r = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 502


def test_wrong_upstream_key_is_502_not_401(mock: str) -> None:
    settings = Settings(upstream_url=f"{mock}/v1beta", upstream_key="wrong")
    with serve(lambda: create_app(settings)) as url:
        r = httpx.post(
            f"{url}/v1/chat/completions", json=chat(), headers={"Authorization": "Bearer anything"}
        )
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "upstream_auth_failed"
    assert last_upstream(mock)["status"] == 400  # API_KEY_INVALID, as Google answers


# --------------------------------------------------------------------------- keep-alive


def test_keepalive_comments_while_the_upstream_is_silent(mock: str) -> None:
    settings = _settings(mock, keepalive_s=0.02)
    with (
        serve(lambda: create_app(settings)) as url,
        httpx.Client(timeout=30) as h,
        h.stream(
            "POST",
            f"{url}/v1/chat/completions",
            json=chat("first_byte_ms=1500", stream=True),  # 75 keep-alive periods
            headers={"Authorization": f"Bearer {CLIENT_KEY}"},
        ) as r,
    ):
        assert r.status_code == 200
        raw = b""
        stream = r.iter_raw()
        while b": keep-alive\n\n" not in raw:
            raw += next(stream)
        raw += b"".join(stream)
    got = chunks(raw)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in got)
    assert text == answer(mock)["text"]


# --------------------------------------------------------------------------- models, CORS


def test_models_list(client: openai.OpenAI, http: httpx.Client, mock: str) -> None:
    catalogue = httpx.get(
        f"{mock}/v1beta/models", params={"pageSize": 1000}, headers={"x-goog-api-key": UPSTREAM_KEY}
    ).json()["models"]
    chat_models = [
        m["name"].removeprefix("models/")
        for m in catalogue
        if "generateContent" in m["supportedGenerationMethods"]
    ]
    assert "gemini-3-pro-preview" in chat_models
    assert len(chat_models) < len(catalogue)  # embedding models are left out
    r = http.get("/v1/models")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == chat_models
    assert all(
        m["object"] == "model" and m["owned_by"] == "google" and isinstance(m["created"], int)
        for m in body["data"]
    )
    assert [m.id for m in client.models.list()] == chat_models
    assert client.models.retrieve("gemini-2.5-flash").id == "gemini-2.5-flash"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_models_list_follows_next_page_token() -> None:
    # a minimal fake: the mock's catalogue fits in the one page of 1000 the proxy asks for
    pages = {
        "": {
            "models": [
                {
                    "name": "models/gemini-2.5-flash",
                    "supportedGenerationMethods": ["generateContent"],
                },
                {
                    "name": "models/gemini-embedding-001",
                    "supportedGenerationMethods": ["embedContent"],
                },
            ],
            "nextPageToken": "p2",
        },
        "p2": {
            "models": [
                {
                    "name": "models/gemini-3-pro-preview",
                    "supportedGenerationMethods": ["generateContent"],
                }
            ]
        },
    }

    async def models(request: web.Request) -> web.Response:
        return web.json_response(pages[request.query.get("pageToken", "")])

    def paging() -> web.Application:
        app = web.Application()
        app.router.add_get("/v1beta/models", models)
        return app

    with serve(paging) as fake, serve(lambda: create_app(_settings(fake))) as url:
        r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    assert r.status_code == 200
    assert [m["id"] for m in r.json()["data"]] == ["gemini-2.5-flash", "gemini-3-pro-preview"]


def test_cors_preflight_and_exposed_headers(proxy: str) -> None:
    asked = "authorization,content-type,x-stainless-os,x-stainless-timeout"
    r = httpx.options(
        f"{proxy}/v1/chat/completions",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-headers"] == asked
    assert "POST" in r.headers["access-control-allow-methods"]
    exposed = r.headers["access-control-expose-headers"].lower()
    assert {"retry-after", "retry-after-ms", "x-request-id"} <= {
        h.strip() for h in exposed.split(",")
    }


def test_unknown_routes_are_json(proxy: str) -> None:
    r = httpx.get(f"{proxy}/v1/nothing")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    r = httpx.get(f"{proxy}/v1/chat/completions")
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/json"


def test_deno_profile_serves_routes_without_v1(mock: str) -> None:
    settings = _settings(mock, profile="gemini-proxy-deno")
    with serve(lambda: create_app(settings)) as url:
        r = httpx.post(
            f"{url}/chat/completions",
            json=chat(),
            headers={"Authorization": f"Bearer {CLIENT_KEY}"},
        )
        assert r.status_code == 200
        assert httpx.post(f"{url}/v1/chat/completions", json=chat()).status_code == 404


# --------------------------------------------------------------------------- the CLI


@pytest.mark.slow
def test_module_prints_one_line_and_stops_on_sigterm(mock: str) -> None:
    env = {
        **os.environ,
        "GEMINI_BASE_URL": f"{mock}/v1beta",
        "GEMINI_API_KEY": UPSTREAM_KEY,
        "PROXY_API_KEYS": f"other,{CLIENT_KEY}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_impl", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("http://127.0.0.1:")
        assert line.endswith("\n")
        url = line.strip()
        r = httpx.post(
            f"{url}/v1/chat/completions",
            json=chat(),
            headers={"Authorization": f"Bearer {CLIENT_KEY}"},
            timeout=30,
        )
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert out == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
