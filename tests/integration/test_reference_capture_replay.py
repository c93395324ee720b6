"""Real Gemini answers (spec/captures/) through the running reference proxy, read with
the official ``openai`` SDK (issue 13).

A tiny fake upstream on 127.0.0.1 answers with the capture named in the last user
message: its chunks as SSE for ``streamGenerateContent?alt=sse`` (or, prefixed
``array:``, as the JSON array a non-SSE stream answers), its unary answer (or its chunks
joined, for a stream-only capture) for ``generateContent``; on the Gemini API paths and
on Code Assist ``v1internal`` paths (each answer in ``{"response": ..., "traceId"}``).
The reference app runs unmodified in front of it; openai-python must get exactly what
the capture means (two ``getWeather`` calls with their arguments for Gemini 3.1's
streamed function-call arguments, an empty answer for a usage-only stream...), and the
streamed call's thoughtSignature must come back on the next turn through the
proxy's signature cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aiohttp import web
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from reference_impl.app import create_app
from reference_impl.settings import Settings
from spec.capture_format import BUNDLED, load_dir
from tests.servers import serve

CAPTURES = load_dir(BUNDLED)
CLIENT = "client-key"
MODEL = "gemini-3.1-pro-preview"
USAGE_ONLY: dict[str, Any] = {
    "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7, "trafficType": "ON_DEMAND"},
    "modelVersion": MODEL,
    "responseId": "usageOnly1",
}


def _chunks(name: str) -> list[dict[str, Any]]:
    if name == "usage-only":
        return [USAGE_ONLY]
    chunks = CAPTURES[name].chunks
    assert chunks is not None, name
    return list(chunks)


def _unary(name: str) -> object:
    """The capture's unary answer; for a stream-only capture, its chunks joined into one
    answer (each candidate's parts in order, the last finishReason and usage)."""
    if name != "usage-only" and CAPTURES[name].unary is not None:
        return CAPTURES[name].unary
    chunks = _chunks(name)
    parts = [
        p for c in chunks for cand in c.get("candidates", ()) for p in cand["content"]["parts"]
    ]
    joined: dict[str, Any] = {k: v for k, v in chunks[-1].items() if k != "candidates"}
    last = chunks[-1].get("candidates")
    if parts and last:
        joined["candidates"] = [
            {
                "content": {"role": "model", "parts": parts},
                "finishReason": last[0].get("finishReason"),
                "index": 0,
            }
        ]
    return joined


# Kept fake: the mock's capture replay is another part of issue 13; this test must not
# depend on it, and it also serves a non-SSE JSON array, which the mock never sends.
class Upstream:
    """Gemini API and Code Assist paths answering the capture the prompt names."""

    __test__ = False

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1beta/models/{call}", self.gemini)
        app.router.add_post("/v1internal:{method}", self.code_assist)
        app.router.add_post("/oauth2/token", self.token)
        return app

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "at-1", "expires_in": 3599})

    async def gemini(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["call"].partition(":")[2]
        return await self.answer(request, method, envelope=False)

    async def code_assist(self, request: web.Request) -> web.StreamResponse:
        return await self.answer(request, request.match_info["method"], envelope=True)

    async def answer(self, request: web.Request, method: str, envelope: bool) -> web.StreamResponse:
        body = json.loads(await request.read())
        self.bodies.append(body)
        gemini = body["request"] if envelope else body
        prompt = gemini["contents"][-1]["parts"][-1].get("text", "")
        form, _, name = prompt.rpartition(":")

        def wrap(answer: object) -> object:
            return {"response": answer, "traceId": "trace-1"} if envelope else answer

        if method == "generateContent":
            return web.json_response(wrap(_unary(name)))
        assert method == "streamGenerateContent"
        assert request.query.get("alt") == "sse"
        if form == "array":
            return web.json_response([wrap(c) for c in _chunks(name)])
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for chunk in _chunks(name):
            await resp.write(b"data: " + json.dumps(wrap(chunk)).encode() + b"\r\n\r\n")
        await resp.write_eof()
        return resp


@pytest.fixture(scope="module")
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture(scope="module")
def upstream_url(upstream: Upstream) -> Iterator[str]:
    with serve(upstream.app) as url:
        yield url


@pytest.fixture(scope="module", params=["gemini", "code-assist"])
def proxy(request: pytest.FixtureRequest, upstream_url: str) -> Iterator[str]:
    if request.param == "gemini":
        settings = Settings(
            upstream_url=f"{upstream_url}/v1beta",
            upstream_keys=("k-test",),
            api_keys=frozenset({CLIENT}),
        )
    else:
        settings = Settings(
            upstream_kind="code-assist",
            upstream_url=f"{upstream_url}/v1internal",
            oauth_refresh_tokens=("rt-test",),
            oauth_token_url=f"{upstream_url}/oauth2/token",
            code_assist_project="p-1",
            api_keys=frozenset({CLIENT}),
        )
    with serve(lambda: create_app(settings)) as url:
        yield url


@pytest.fixture
def client(proxy: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{proxy}/v1", api_key=CLIENT, max_retries=0) as c:
        yield c


def stream(client: openai.OpenAI, prompt: str) -> tuple[str, list[tuple[str, Any, str]], Any]:
    """(content, [(name, parsed arguments, id)], finish_reason) as openai-python
    streams them, plus the usage chunk; tool-call fragments joined by index."""
    content = ""
    calls: dict[int, dict[str, str]] = {}
    finish = None
    usage = None
    with client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        stream_options={"include_usage": True},
    ) as events:
        for chunk in events:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                assert choice.index == 0
                content += choice.delta.content or ""
                for tc in choice.delta.tool_calls or ():
                    call = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                    if tc.id:
                        assert not call["id"], "the id comes once per call"
                        call["id"] = tc.id
                    if tc.function and tc.function.name:
                        assert not call["name"], "the name comes once per call"
                        call["name"] = tc.function.name
                    if tc.function and tc.function.arguments:
                        call["arguments"] += tc.function.arguments
                if choice.finish_reason:
                    assert finish is None
                    finish = choice.finish_reason
    assert sorted(calls) == list(range(len(calls)))
    assert usage is not None, "include_usage asked for a usage chunk"
    parsed = [(c["name"], json.loads(c["arguments"]), c["id"]) for _, c in sorted(calls.items())]
    return (
        content,
        parsed,
        (finish, usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
    )


WEATHER = [("getWeather", {"location": "Boston"}), ("getWeather", {"location": "San Francisco"})]


@pytest.mark.parametrize("form", ["", "array:"])
def test_streamed_function_call_arguments(client: openai.OpenAI, form: str) -> None:
    content, calls, (finish, prompt, completion, total) = stream(
        client, f"{form}google-stream-tool-call-arguments"
    )
    assert content == ""
    assert [(n, a) for n, a, _ in calls] == WEATHER
    assert len({i for _, _, i in calls}) == 2
    assert (finish, prompt, completion, total) == ("tool_calls", 26, 23 + 132, 181)


def test_streamed_function_call_arguments_unary(client: openai.OpenAI) -> None:
    done = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "google-stream-tool-call-arguments"}],
    )
    [choice] = done.choices
    calls = []
    for c in choice.message.tool_calls or ():
        assert isinstance(c, ChatCompletionMessageFunctionToolCall)
        calls.append((c.function.name, json.loads(c.function.arguments)))
    assert calls == WEATHER
    assert choice.message.content is None
    assert choice.finish_reason == "tool_calls"
    assert done.usage is not None
    assert done.usage.completion_tokens_details is not None
    assert done.usage.completion_tokens_details.reasoning_tokens == 132


def test_the_streamed_calls_signature_returns_on_the_next_turn(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    """The client sends the calls back without extra_content (as plain clients do): the
    proxy's signature cache restores Gemini's thoughtSignature on the first call."""
    _, calls, _ = stream(client, "google-stream-tool-call-arguments")
    history: list[Any] = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                for n, a, i in calls
            ],
        },
        *({"role": "tool", "tool_call_id": i, "content": "sunny"} for _, _, i in calls),
        {"role": "user", "content": "google-text"},
    ]
    client.chat.completions.create(model=MODEL, messages=history)
    sent = upstream.bodies[-1]
    gemini = sent.get("request", sent)
    model_turn = next(c for c in gemini["contents"] if c["role"] == "model")
    signature = model_turn["parts"][0].get("thoughtSignature", "")
    assert signature.startswith("CiMBjz1rX25K")
    assert model_turn["parts"][0]["functionCall"]["args"] == {"location": "Boston"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "google-text",
            (
                'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y',
                [],
                ("stop", 9, 208, 217),
            ),
        ),
        (
            "google-reasoning",
            (
                'There are **3** "r"s in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.',
                [],
                ("stop", 9, 285, 294),
            ),
        ),
        ("usage-only", ("", [], ("stop", 7, 0, 7))),
    ],
)
def test_other_streams(client: openai.OpenAI, name: str, expected: Any) -> None:
    content, calls, finish = stream(client, name)
    assert (content, [(n, a) for n, a, _ in calls], finish) == expected


def test_tool_call_stream(client: openai.OpenAI) -> None:
    content, calls, finish = stream(client, "google-tool-call")
    assert (content, [(n, a) for n, a, _ in calls], finish) == (
        "",
        [("weather", {"location": "San Francisco"})],
        ("tool_calls", 29, 60, 89),
    )


def test_usage_only_stream_with_n_2(client: openai.OpenAI) -> None:
    """n=2 on a usage-only upstream: the first stream and its top-up each give an empty
    choice (indexes 0 and 1), each finished once with stop."""
    finishes: dict[int, list[str]] = {}
    contents: dict[int, str] = {}
    with client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "usage-only"}], stream=True, n=2
    ) as events:
        for chunk in events:
            for choice in chunk.choices:
                contents[choice.index] = contents.get(choice.index, "") + (
                    choice.delta.content or ""
                )
                if choice.finish_reason:
                    finishes.setdefault(choice.index, []).append(choice.finish_reason)
    assert finishes == {0: ["stop"], 1: ["stop"]}
    assert contents == {0: "", 1: ""}
