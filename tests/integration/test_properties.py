"""Property probes find, and shrink, a request that breaks a proxy; and the strategies
only draw valid OpenAI requests."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.runner import run_suite
from conformance.strategies import from_openai_core
from conformance.target import Target
from spec import component_schema
from spec.profiles import get_profile
from tests.servers import serve

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


def fragile_proxy() -> web.Application:
    """Answers well, except a 500 whenever the request carries ``stop`` or ``seed``."""

    async def chat(request: web.Request) -> web.Response:
        try:
            body: dict[str, Any] = await request.json()
        except json.JSONDecodeError:
            return web.json_response({"error": {"message": "bad json", "type": "x"}}, status=400)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return web.json_response({"error": {"message": "bad", "type": "x"}}, status=400)
        if "stop" in body or "seed" in body:
            return web.Response(status=500, text="Internal Server Error")
        return web.json_response(COMPLETION)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


def test_property_finds_and_shrinks_the_breaking_request() -> None:
    with serve(fragile_proxy) as url:
        target = Target(base_url=url, profile=get_profile("openai-core"), api_key="k")
        run = run_suite(target, select=["properties.chat"])
    (record,) = run.records
    assert record.outcome.value == "failed"
    assert "HTTP 500" in record.message
    body = record.evidence.request["body"] if record.evidence and record.evidence.request else {}
    # shrunk towards what the failure needs: one message and few other fields
    assert {"stop", "seed"} & set(body)
    assert len(body) <= 4
    assert len(body["messages"]) == 1


def test_property_passes_on_a_sound_proxy() -> None:
    def sound() -> web.Application:
        async def chat(request: web.Request) -> web.Response:
            return web.json_response(COMPLETION)

        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        return app

    with serve(sound) as url:
        target = Target(base_url=url, profile=get_profile("openai-core"), api_key="k")
        run = run_suite(target, select=["properties.chat"])
    assert [r.outcome.value for r in run.records] == ["passed"]


def test_negative_property_catches_a_500_on_a_body_that_is_not_an_object() -> None:
    """A proxy that indexes the body before validating it (LiteLLM 1.106.2 with ``[]``)
    fails properties.negative whatever the generated cases are: the non-object bodies
    are always sent first."""

    def indexing() -> web.Application:
        async def chat(request: web.Request) -> web.Response:
            body = await request.json()
            if not isinstance(body, dict):
                return web.Response(status=500, text="Internal Server Error")
            return web.json_response({"error": {"message": "bad", "type": "x"}}, status=400)

        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        return app

    with serve(indexing) as url:
        target = Target(base_url=url, profile=get_profile("openai-core"), api_key="k")
        run = run_suite(target, select=["properties.negative"])
    (record,) = run.records
    assert record.outcome.value == "failed"
    assert "after 1 invalid request, a minimal failing request" in record.message
    assert record.evidence is not None
    assert record.evidence.request is not None
    assert record.evidence.request["body"] == []


@settings(max_examples=200)
@given(body=st.booleans().flatmap(lambda s: from_openai_core("gemini-2.5-flash", stream=s)))
def test_strategy_draws_only_valid_requests(body: dict[str, Any]) -> None:
    jsonschema.validate(body, component_schema("openai-core", "ChatCompletionRequest"))
    assert body["messages"][-1]["role"] == "user"
    assert "[[mock:" not in json.dumps(body)
