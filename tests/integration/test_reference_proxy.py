"""The reference proxy end to end, over HTTP, against an inline fake Gemini upstream.

The fake speaks Google's exact bytes (wire-formats.md A2, A3, A5): ``data: {...}\\r\\n\\r\\n``
framing with ``": "`` spacing and no ``[DONE]``, cumulative ``usageMetadata``,
``finishReason`` on the last chunk only, thought parts ``"thought": true``, each
``functionCall`` whole in one chunk with its ``thoughtSignature``, pretty-printed unary
JSON, and ``google.rpc.Status`` error bodies (429 with ``RetryInfo``). Behaviour is picked
by the ``[[mock:...]]`` directive of ``spec.scenarios`` in the last user message. It
journals every request, so tests can check what the proxy *sent upstream*.

Clients: ``httpx`` for the raw wire, and the official ``openai`` client for what real
users see (B2, B3). Servers run on free 127.0.0.1 ports (``tests/servers.py``); nothing
sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from reference_impl.app import create_app
from reference_impl.settings import Settings
from spec.scenarios import Directive, Scenario, find_directive
from spec.sse import decode
from tests.servers import serve

UPSTREAM_KEY = "upstream-secret"
CLIENT_KEY = "client-key"
SIGNATURE = "CssBAb4+9vtA-fake-signature"

# --------------------------------------------------------------------------- the fake


def google_json(obj: Any, *, pretty: bool = False) -> bytes:
    """Google's JSON style: ``": "`` after keys, bare ``,``; ``<``/``>`` escaped (A3)."""
    text = json.dumps(obj, indent=2) if pretty else json.dumps(obj, separators=(",", ": "))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").encode()


def sse(obj: Any, newline: bytes = b"\r\n") -> bytes:
    return b"data: " + google_json(obj) + newline + newline


def rpc_error(code: int, status: str, message: str, details: list[Any] | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return google_json({"error": error}, pretty=True)


ERRORS: dict[Scenario, tuple[int, str, str]] = {
    Scenario.BAD_REQUEST: (400, "INVALID_ARGUMENT", "Invalid JSON payload received."),
    Scenario.PERMISSION_DENIED: (403, "PERMISSION_DENIED", "The caller does not have permission"),
    Scenario.NOT_FOUND: (
        404,
        "NOT_FOUND",
        "models/gemini-pro is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.",
    ),
    Scenario.INTERNAL: (500, "INTERNAL", "An internal error has occurred."),
    Scenario.UNAVAILABLE: (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
}


class FakeGemini:
    """A tiny Gemini v1beta: ``/v1beta/models``, ``:generateContent``,
    ``:streamGenerateContent?alt=sse``. ``journal`` holds every request received."""

    __test__ = False

    def __init__(self) -> None:
        self.journal: list[dict[str, Any]] = []
        self.issued: set[str] = set()
        self.gates: list[asyncio.Event] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    def release(self) -> None:
        """Let every request waiting on ``first_byte_ms`` go on (called from the test)."""
        assert self.loop is not None
        for gate in self.gates:
            self.loop.call_soon_threadsafe(gate.set)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1beta/models", self.models)
        app.router.add_post("/v1beta/models/{call}", self.generate)

        async def on_startup(_app: web.Application) -> None:
            self.loop = asyncio.get_running_loop()

        app.on_startup.append(on_startup)
        return app

    async def models(self, request: web.Request) -> web.Response:
        self.journal.append({"path": request.path_qs, "headers": dict(request.headers)})
        if request.query.get("pageToken") == "p2":
            page: dict[str, Any] = {
                "models": [
                    {
                        "name": "models/gemini-3-pro-preview",
                        "supportedGenerationMethods": ["generateContent"],
                    },
                ]
            }
        else:
            page = {
                "models": [
                    {
                        "name": "models/gemini-2.5-flash",
                        "version": "001",
                        "supportedGenerationMethods": ["generateContent", "countTokens"],
                        "thinking": True,
                    },
                    {
                        "name": "models/text-embedding-004",
                        "supportedGenerationMethods": ["embedContent"],
                    },
                ],
                "nextPageToken": "p2",
            }
        return web.Response(body=google_json(page, pretty=True), content_type="application/json")

    def _check_signatures(self, body: dict[str, Any]) -> bytes | None:
        for content in body.get("contents", []):
            calls = [p for p in content.get("parts", []) if "functionCall" in p]
            if calls and calls[0].get("thoughtSignature") not in self.issued:
                return rpc_error(
                    400,
                    "INVALID_ARGUMENT",
                    "Function call is missing a thought_signature in functionCall parts.",
                )
        return None

    async def generate(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["call"].partition(":")
        body = await request.json()
        self.journal.append(
            {
                "path": request.path_qs,
                "headers": dict(request.headers),
                "body": body,
                "model": model,
                "method": method,
            }
        )
        if request.headers.get("x-goog-api-key") != UPSTREAM_KEY:
            return web.Response(
                status=400,
                content_type="application/json",
                body=rpc_error(
                    400,
                    "INVALID_ARGUMENT",
                    "API key not valid. Please pass a valid API key.",
                    [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com",
                        }
                    ],
                ),
            )
        if not body.get("contents"):
            return web.Response(
                status=400,
                content_type="application/json",
                body=rpc_error(400, "INVALID_ARGUMENT", "contents is not specified"),
            )
        text = " ".join(
            p.get("text", "") for c in body["contents"] if c["role"] == "user" for p in c["parts"]
        )
        directive = find_directive(text) or Directive()
        if directive.first_byte_ms:
            gate = asyncio.Event()
            self.gates.append(gate)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gate.wait(), directive.first_byte_ms / 1000)
        error = self._error(directive)
        if error is None and model.startswith("gemini-3"):
            bad = self._check_signatures(body)
            if bad is not None:
                return web.Response(status=400, body=bad, content_type="application/json")
        if error is not None:
            status, payload, headers = error
            return web.Response(status=status, body=payload, headers=headers)
        events = self._events(directive, model, body)
        if method == "generateContent":
            return web.Response(
                body=google_json(_merge(events), pretty=True),
                headers={"Content-Type": "application/json; charset=UTF-8"},
            )
        return await self._stream(request, directive, events)

    def _error(self, d: Directive) -> tuple[int, bytes, dict[str, str]] | None:
        json_ct = {"Content-Type": "application/json; charset=UTF-8"}
        if d.scenario in ERRORS:
            code, status, message = ERRORS[d.scenario]
            return code, rpc_error(code, status, message), json_ct
        if d.scenario in (Scenario.RATE_LIMIT, Scenario.DAILY_QUOTA):
            daily = d.scenario is Scenario.DAILY_QUOTA
            quota = (
                "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
                if daily
                else ("GenerateContentInputTokensPerModelPerMinute-FreeTier")
            )
            details: list[Any] = [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/x",
                            "quotaId": quota,
                            "quotaValue": "250000",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [{"description": "Learn more", "url": "https://ai.google.dev"}],
                },
            ]
            if not daily:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{d.retry_delay:g}s",
                    }
                )
            message = "You exceeded your current quota, please check your plan and billing details."
            return 429, rpc_error(429, "RESOURCE_EXHAUSTED", message, details), json_ct
        return None

    def _events(self, d: Directive, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        meta = {"modelVersion": model, "responseId": "fakeResponse01"}
        usage = {
            "promptTokenCount": 11,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 11}],
        }
        parts: list[dict[str, Any]] = []
        finish = "STOP"
        if d.scenario is Scenario.THOUGHTS:
            parts += [
                {"text": "**Thinking**\n\n", "thought": True},
                {"text": "x \u003c 1 so", "thought": True},
            ]
        if d.scenario in (Scenario.TOOL_CALL, Scenario.PARALLEL_TOOL_CALLS):
            tools = body["tools"][0]["functionDeclarations"]
            names = [tools[0]["name"], tools[-1]["name"]]
            if d.scenario is Scenario.TOOL_CALL:
                names = names[:1]
            for i, name in enumerate(names):
                call: dict[str, Any] = {"name": name, "args": {"city": ["Paris", "Rome"][i % 2]}}
                if model.startswith("gemini-3"):
                    call["id"] = f"fc{i:06d}"
                part: dict[str, Any] = {"functionCall": call}
                if i == 0:
                    sig = f"{SIGNATURE}-{len(self.journal)}"
                    self.issued.add(sig)
                    part["thoughtSignature"] = sig
                parts.append(part)
        elif d.scenario in (Scenario.SAFETY, Scenario.RECITATION):
            finish = d.scenario.value.upper()
        elif d.scenario is Scenario.MALFORMED_FUNCTION_CALL:
            finish = "MALFORMED_FUNCTION_CALL"
        elif d.scenario is Scenario.PROMPT_BLOCKED:
            return [
                {
                    "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
                    "usageMetadata": {"promptTokenCount": 11, "totalTokenCount": 11},
                    **meta,
                }
            ]
        else:
            words = ["Hello", " from", " Gemini", " <3", "!"]
            parts += [{"text": words[i % len(words)]} for i in range(d.chunks)]
            if d.scenario is Scenario.MAX_TOKENS:
                finish = "MAX_TOKENS"
        events: list[dict[str, Any]] = []
        thoughts = candidates = 0
        for i, p in enumerate(parts):
            if p.get("thought"):
                thoughts += 7
            else:
                candidates += 3
            u = {
                **usage,
                "totalTokenCount": 11 + thoughts + candidates,
                "thoughtsTokenCount": thoughts,
            }
            if candidates:
                u["candidatesTokenCount"] = candidates
            cand: dict[str, Any] = {"content": {"parts": [p], "role": "model"}, "index": 0}
            if i == len(parts) - 1:
                cand["finishReason"] = finish
            events.append({"candidates": [cand], "usageMetadata": u, **meta})
        if not parts:
            events.append(
                {
                    "candidates": [{"finishReason": finish, "index": 0}],
                    "usageMetadata": {**usage, "totalTokenCount": 11},
                    **meta,
                }
            )
        return events

    async def _stream(
        self, request: web.Request, d: Directive, events: list[dict[str, Any]]
    ) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Content-Disposition": "attachment"}
        )
        await resp.prepare(request)
        newline = b"\r\n" if d.framing == "crlf" else b"\n"
        frames = [sse(e, newline) for e in events]
        if d.scenario in (Scenario.MID_STREAM_CUT, Scenario.MID_STREAM_ERROR):
            frames = frames[: d.cut_after]
        if d.scenario is Scenario.MID_STREAM_ERROR:
            frames.append(
                sse(
                    {
                        "error": {
                            "code": 503,
                            "message": "The model is overloaded.",
                            "status": "UNAVAILABLE",
                        }
                    },
                    newline,
                )
            )
        data = b"".join(frames)
        if d.coalesce:
            pieces = [data]
        elif d.split:
            pieces = [data[i : i + d.split] for i in range(0, len(data), d.split)]
        else:
            pieces = frames
        for piece in pieces:
            await resp.write(piece)
        if d.scenario is Scenario.MID_STREAM_CUT:
            assert request.transport is not None
            request.transport.abort()  # no terminating chunk: the body is cut
            return resp
        await resp.write_eof()
        return resp


def _merge(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The unary response equivalent to a list of stream events (A2)."""
    last = dict(events[-1])
    if "candidates" not in last:
        return last
    parts = [
        p
        for e in events
        for c in e.get("candidates", [])
        for p in c.get("content", {}).get("parts", [])
    ]
    cand = dict(last["candidates"][0])
    if parts:
        cand["content"] = {"parts": parts, "role": "model"}
    last["candidates"] = [cand]
    return last


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fake() -> FakeGemini:
    return FakeGemini()


@pytest.fixture(scope="module")
def fake_url(fake: FakeGemini) -> Iterator[str]:
    with serve(fake.app) as url:
        yield url


def _settings(fake_url: str, **kw: Any) -> Settings:
    return Settings(
        upstream_url=f"{fake_url}/v1beta",
        upstream_key=UPSTREAM_KEY,
        api_keys=frozenset({CLIENT_KEY}),
        **kw,
    )


@pytest.fixture(scope="module")
def proxy(fake_url: str) -> Iterator[str]:
    with serve(lambda: create_app(_settings(fake_url))) as url:
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


def last_upstream(fake: FakeGemini) -> dict[str, Any]:
    return fake.journal[-1]


# --------------------------------------------------------------------------- basics


def test_health_needs_no_key(proxy: str) -> None:
    r = httpx.get(f"{proxy}/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["timestamp"].endswith("Z")  # 004 'GET /health' shape in openai-core
    assert r.headers["x-request-id"]


def test_unary_text(http: httpx.Client, fake: FakeGemini) -> None:
    r = http.post("/v1/chat/completions", json=chat(temperature=0.2, max_completion_tokens=9))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["id"] == "chatcmpl-fakeResponse01"
    assert body["model"] == "gemini-2.5-flash"
    [choice] = body["choices"]
    assert choice["message"] == {"role": "assistant", "content": "Hello from Gemini"}
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["prompt_tokens"] == 11
    assert body["usage"]["completion_tokens"] == 9
    assert body["usage"]["total_tokens"] == 20
    sent = last_upstream(fake)
    assert sent["method"] == "generateContent"
    assert sent["body"]["generationConfig"]["maxOutputTokens"] == 9
    assert sent["body"]["generationConfig"]["temperature"] == 0.2


def test_upstream_gets_exactly_one_credential_never_the_clients(
    http: httpx.Client, fake: FakeGemini
) -> None:
    r = http.post("/v1/chat/completions", json=chat(), headers={"x-api-key": CLIENT_KEY})
    assert r.status_code == 200
    headers = {k.lower(): v for k, v in last_upstream(fake)["headers"].items()}
    assert headers["x-goog-api-key"] == UPSTREAM_KEY
    assert "authorization" not in headers
    assert "x-api-key" not in headers
    assert CLIENT_KEY not in json.dumps(headers)


def test_openai_client_unary(client: openai.OpenAI) -> None:
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
    assert completion.choices[0].message.content == "Hello from Gemini"
    assert completion.usage is not None
    assert completion.usage.completion_tokens_details is not None


# --------------------------------------------------------------------------- streaming


def test_stream_frames_roles_and_done(http: httpx.Client) -> None:
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
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in got)
    assert text == "Hello from Gemini <3"
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


def test_stream_usage_chunk_only_when_asked(http: httpx.Client) -> None:
    r = http.post(
        "/v1/chat/completions", json=chat(stream=True, stream_options={"include_usage": True})
    )
    got = chunks(r.content)
    assert got[-1]["choices"] == []
    assert got[-1]["usage"]["prompt_tokens"] == 11
    assert got[-1]["usage"]["completion_tokens"] == 9
    assert got[-1]["usage"]["total_tokens"] == 20
    assert all(c["choices"] for c in got[:-1])


@pytest.mark.parametrize("shape", ["split=1", "coalesce=1", "framing=lf"])
def test_stream_output_does_not_depend_on_upstream_framing(http: httpx.Client, shape: str) -> None:
    plain = chunks(http.post("/v1/chat/completions", json=chat(stream=True)).content)
    odd = chunks(http.post("/v1/chat/completions", json=chat(shape, stream=True)).content)
    strip = [{**c, "id": "", "created": 0} for c in plain]
    assert [{**c, "id": "", "created": 0} for c in odd] == strip


def test_stream_thoughts_go_to_reasoning_content(http: httpx.Client, fake: FakeGemini) -> None:
    r = http.post(
        "/v1/chat/completions", json=chat("scenario=thoughts", stream=True, reasoning_effort="low")
    )
    got = chunks(r.content)
    deltas = [c["choices"][0]["delta"] for c in got]
    reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    content = "".join(d.get("content", "") for d in deltas)
    assert reasoning == "**Thinking**\n\nx < 1 so"
    assert "Thinking" not in content
    assert content == "Hello from Gemini"
    assert last_upstream(fake)["body"]["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 1024,
        "includeThoughts": True,
    }


def test_unary_thoughts(client: openai.OpenAI) -> None:
    c = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "[[mock:scenario=thoughts]]"}],
    )
    msg = c.choices[0].message
    assert msg.content == "Hello from Gemini"
    assert msg.reasoning_content == "**Thinking**\n\nx < 1 so"  # type: ignore[attr-defined]
    assert c.usage is not None
    assert c.usage.completion_tokens_details is not None
    assert c.usage.completion_tokens_details.reasoning_tokens == 14


def test_stream_tool_calls_with_the_openai_stream_helper(client: openai.OpenAI) -> None:
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
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]  # type: ignore[union-attr]
    assert [json.loads(c.function.arguments) for c in calls] == [  # type: ignore[union-attr]
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    ids = [c.id for c in calls]
    assert all(i.startswith("call_") for i in ids)
    assert len(set(ids)) == 2


def test_stream_tool_call_deltas_carry_index_and_id_once(http: httpx.Client) -> None:
    r = http.post(
        "/v1/chat/completions", json=chat("scenario=parallel_tool_calls", stream=True, tools=TOOLS)
    )
    deltas = [
        tc for c in chunks(r.content) for tc in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert [d["index"] for d in deltas] == [0, 1]
    assert all(d["type"] == "function" and d["id"] for d in deltas)
    assert deltas[0]["extra_content"]["google"]["thought_signature"].startswith(SIGNATURE)
    assert "extra_content" not in deltas[1]


def test_tool_round_trip_names_order_and_cached_signature(
    client: openai.OpenAI, fake: FakeGemini
) -> None:
    """B1 + B3: a client that drops ``extra_content`` and sends tool results reversed,
    without names, against a Gemini 3 model that insists on the signature."""
    first = client.chat.completions.create(
        model="gemini-3-pro-preview",
        tools=TOOLS,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "go [[mock:scenario=parallel_tool_calls]]"}],
    )
    calls = first.choices[0].message.tool_calls
    assert calls is not None
    assert [c.id for c in calls] == ["fc000000", "fc000001"]
    replay = [
        {
            "id": c.id,
            "type": "function",
            "function": {"name": c.function.name, "arguments": c.function.arguments},
        }  # type: ignore[union-attr]
        for c in calls
    ]
    second = client.chat.completions.create(
        model="gemini-3-pro-preview",
        tools=TOOLS,  # type: ignore[arg-type]
        messages=[
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": replay},  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": calls[1].id, "content": "12:00"},
            {"role": "tool", "tool_call_id": calls[0].id, "content": '{"temp": 20}'},
        ],
    )
    assert second.choices[0].message.content == "Hello from Gemini"
    contents = last_upstream(fake)["body"]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    model_parts = contents[1]["parts"]
    assert model_parts[0]["thoughtSignature"].startswith(SIGNATURE)
    assert [p["functionResponse"] for p in contents[2]["parts"]] == [
        {"name": "get_weather", "id": "fc000000", "response": {"temp": 20}},
        {"name": "get_time", "id": "fc000001", "response": {"result": "12:00"}},
    ]


def test_tool_schema_is_sanitised_and_tool_choice_mapped(
    http: httpx.Client, fake: FakeGemini
) -> None:
    r = http.post(
        "/v1/chat/completions",
        json=chat(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "get_time"}}),
    )
    assert r.status_code == 200
    body = last_upstream(fake)["body"]
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
        assert err["message"] == ERRORS[Scenario(scenario)][2]
    with pytest.raises(exc) as info:
        client.chat.completions.create(**chat(f"scenario={scenario}"))
    assert info.value.status_code == status
    assert ERRORS[Scenario(scenario)][2] in str(info.value)
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
    client: openai.OpenAI, http: httpx.Client, scenario: str
) -> None:
    r = http.post(
        "/v1/chat/completions", json=chat(f"scenario={scenario} cut_after=2", stream=True)
    )
    assert r.status_code == 200
    data = frames(r.content)
    assert "[DONE]" not in data
    error = json.loads(data[-1])["error"]
    assert set(error) == {"message", "type", "code"}
    assert [json.loads(d)["choices"][0]["delta"] for d in data[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "Hello"},
        {"content": " from"},
    ]
    received: list[str] = []
    stream = client.chat.completions.create(**chat(f"scenario={scenario} cut_after=2"), stream=True)

    def consume() -> None:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")

    with pytest.raises(openai.APIError) as info:
        consume()
    assert type(info.value) is openai.APIError  # raised from the error event, not a status
    assert "".join(received) == "Hello from"


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
    assert info.value.param == "messages"  # type: ignore[attr-defined]


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


def test_wrong_upstream_key_is_502_not_401(fake_url: str) -> None:
    settings = Settings(upstream_url=f"{fake_url}/v1beta", upstream_key="wrong")
    with serve(lambda: create_app(settings)) as url:
        r = httpx.post(
            f"{url}/v1/chat/completions", json=chat(), headers={"Authorization": "Bearer anything"}
        )
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "upstream_auth_failed"


# --------------------------------------------------------------------------- keep-alive


def test_keepalive_comments_while_the_upstream_is_silent(fake: FakeGemini, fake_url: str) -> None:
    settings = _settings(fake_url, keepalive_s=0.02)
    with (
        serve(lambda: create_app(settings)) as url,
        httpx.Client(timeout=30) as h,
        h.stream(
            "POST",
            f"{url}/v1/chat/completions",
            json=chat("first_byte_ms=20000", stream=True),
            headers={"Authorization": f"Bearer {CLIENT_KEY}"},
        ) as r,
    ):
        assert r.status_code == 200
        raw = b""
        stream = r.iter_raw()
        while b": keep-alive\n\n" not in raw:
            raw += next(stream)
        fake.release()
        raw += b"".join(stream)
    got = chunks(raw)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in got) == "Hello from Gemini"


# --------------------------------------------------------------------------- models, CORS


def test_models_list(client: openai.OpenAI, http: httpx.Client) -> None:
    r = http.get("/v1/models")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["gemini-2.5-flash", "gemini-3-pro-preview"]
    assert all(
        m["object"] == "model" and m["owned_by"] == "google" and isinstance(m["created"], int)
        for m in body["data"]
    )
    assert [m.id for m in client.models.list()] == ["gemini-2.5-flash", "gemini-3-pro-preview"]
    assert client.models.retrieve("gemini-2.5-flash").id == "gemini-2.5-flash"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


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


def test_deno_profile_serves_routes_without_v1(fake_url: str) -> None:
    settings = _settings(fake_url, profile="gemini-proxy-deno")
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
def test_module_prints_one_line_and_stops_on_sigterm(fake_url: str) -> None:
    env = {
        **os.environ,
        "GEMINI_BASE_URL": f"{fake_url}/v1beta",
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
