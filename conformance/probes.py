"""Probes: the requests the suite sends. Each probe runs once per run, however many checks
read its exchange, so traffic to a third-party target stays small and bounded.

A probe is a name, the mode it needs and a pure ``build(target, cid)`` that returns the
:class:`~conformance.exchange.Request`. In controlled mode the last user message carries
a mock directive (``spec.scenarios``) with a correlation id ``cid``, so the runner can
fetch what the proxy sent upstream from the mock's journal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spec.profiles import Auth
from spec.scenarios import Directive, Scenario

from .exchange import Request
from .registry import Mode
from .target import Target

__all__ = ["PROBES", "TOOLS", "Probe", "chat_request"]

BAD_KEY = "sk-conformance-invalid-key-0000"
UNKNOWN_MODEL = "conformance-no-such-model"

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Get the local time in a timezone.",
            "parameters": {
                "type": "object",
                "properties": {"timezone": {"type": "string"}},
                "required": ["timezone"],
            },
        },
    },
]
"""Two ordinary tools, as OpenAI clients declare them."""


@dataclass(frozen=True, slots=True)
class Probe:
    name: str
    description: str
    build: Callable[[Target, str], Request]
    mode: Mode = Mode.BLACK_BOX
    stream: bool = False


def _prompt(target: Target, text: str, directive: Directive | None, cid: str) -> str:
    if not target.controlled:
        return text
    d = directive or Directive()
    d = Directive(**{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "cid": cid})
    return f"{text} {d.tag()}"


def chat_request(
    target: Target,
    cid: str,
    text: str = "Say hello in three words.",
    *,
    directive: Directive | None = None,
    stream: bool = False,
    key: str | None = None,
    **fields: Any,
) -> Request:
    """A ``POST /chat/completions`` with one user message (plus ``fields``)."""
    body: dict[str, Any] = {
        "model": target.model,
        "messages": [{"role": "user", "content": _prompt(target, text, directive, cid)}],
    }
    if stream:
        body["stream"] = True
    elif target.profile.stream_default:
        body["stream"] = False  # the document defaults to streaming: say what we want
    body.update(fields)
    headers = {"Content-Type": "application/json", **target.auth_headers(key)}
    return Request(
        "POST",
        target.url("/chat/completions"),
        headers,
        json.dumps(body).encode(),
        body,
    )


def _models(target: Target, cid: str) -> Request:
    return Request("GET", target.url("/models"), target.auth_headers())


def _malformed(target: Target, cid: str) -> Request:
    raw = b'{"model": "' + target.model.encode() + b'", "messages": [{"role": "user", "con'
    headers = {"Content-Type": "application/json", **target.auth_headers()}
    return Request("POST", target.url("/chat/completions"), headers, raw, None)


def _unknown_model(target: Target, cid: str) -> Request:
    req = chat_request(target, cid)
    body = dict(req.json_body)
    body["model"] = UNKNOWN_MODEL
    return Request(req.method, req.url, req.headers, json.dumps(body).encode(), body)


def _bad_key(target: Target, cid: str) -> Request:
    return chat_request(target, cid, key=BAD_KEY)


_TOOL_PROMPT = "What is the weather in Paris and in Tokyo, and the time in Tokyo?"

PROBES: dict[str, Probe] = {
    p.name: p
    for p in (
        Probe("models", "GET /models", _models),
        Probe("chat", "non-streamed chat completion", lambda t, c: chat_request(t, c)),
        Probe(
            "chat_stream",
            "streamed chat completion, four content chunks upstream",
            lambda t, c: chat_request(t, c, directive=Directive(chunks=4), stream=True),
            stream=True,
        ),
        Probe(
            "chat_stream_usage",
            "streamed chat completion with stream_options.include_usage",
            lambda t, c: chat_request(t, c, stream=True, stream_options={"include_usage": True}),
            stream=True,
        ),
        Probe("bad_key", "chat completion with a wrong API key", _bad_key),
        Probe("unknown_model", "chat completion for a model that does not exist", _unknown_model),
        Probe("malformed_body", "chat completion with a truncated JSON body", _malformed),
        Probe(
            "rate_limit",
            "upstream answers 429 RESOURCE_EXHAUSTED with RetryInfo retryDelay 17s",
            lambda t, c: chat_request(
                t, c, directive=Directive(Scenario.RATE_LIMIT, retry_delay=17.0)
            ),
            mode=Mode.CONTROLLED,
        ),
        Probe(
            "rate_limit_stream",
            "streamed request; upstream answers 429 before the first chunk",
            lambda t, c: chat_request(
                t, c, directive=Directive(Scenario.RATE_LIMIT, retry_delay=17.0), stream=True
            ),
            mode=Mode.CONTROLLED,
            stream=True,
        ),
        Probe(
            "thoughts",
            "upstream streams thought parts (thought: true) before the answer",
            lambda t, c: chat_request(
                t,
                c,
                "Think step by step: what is 17 * 23?",
                directive=Directive(Scenario.THOUGHTS),
                reasoning_effort="high",
            ),
            mode=Mode.CONTROLLED,
        ),
        Probe(
            "thoughts_stream",
            "streamed; upstream sends thought parts before the answer",
            lambda t, c: chat_request(
                t,
                c,
                "Think step by step: what is 17 * 23?",
                directive=Directive(Scenario.THOUGHTS),
                reasoning_effort="high",
                stream=True,
            ),
            mode=Mode.CONTROLLED,
            stream=True,
        ),
        Probe(
            "tool_calls",
            "upstream answers with three parallel functionCall parts (same tool twice)",
            lambda t, c: chat_request(
                t,
                c,
                _TOOL_PROMPT,
                directive=Directive(Scenario.PARALLEL_TOOL_CALLS),
                tools=TOOLS,
                tool_choice="auto",
            ),
            mode=Mode.CONTROLLED,
        ),
        Probe(
            "tool_calls_stream",
            "streamed; upstream sends three parallel functionCall parts (same tool twice)",
            lambda t, c: chat_request(
                t,
                c,
                _TOOL_PROMPT,
                directive=Directive(Scenario.PARALLEL_TOOL_CALLS),
                tools=TOOLS,
                tool_choice="auto",
                stream=True,
            ),
            mode=Mode.CONTROLLED,
            stream=True,
        ),
        Probe(
            "stream_cut",
            "streamed; the upstream connection drops after two chunks (no finishReason)",
            lambda t, c: chat_request(
                t,
                c,
                directive=Directive(Scenario.MID_STREAM_CUT, chunks=4, cut_after=2),
                stream=True,
            ),
            mode=Mode.CONTROLLED,
            stream=True,
        ),
        Probe(
            "params",
            "system message, temperature, top_p, max_completion_tokens and stop",
            lambda t, c: _params(t, c),
            mode=Mode.CONTROLLED,
        ),
    )
}
"""Every probe by name."""

PARAMS: dict[str, Any] = {
    "temperature": 0.3,
    "top_p": 0.9,
    "max_completion_tokens": 77,
    "stop": ["END"],
}
SYSTEM_PROMPT = "You are a terse assistant. Answer in one line."


def _params(target: Target, cid: str) -> Request:
    req = chat_request(target, cid, **PARAMS)
    body = dict(req.json_body)
    body["messages"] = [{"role": "system", "content": SYSTEM_PROMPT}, *body["messages"]]
    return Request(req.method, req.url, req.headers, json.dumps(body).encode(), body)


def probe_applies(probe: Probe, target: Target) -> str | None:
    """``None`` when ``probe`` can run against ``target``, else the reason it cannot."""
    if probe.mode is Mode.CONTROLLED and not target.controlled:
        return "needs controlled mode (--mock-url): the upstream must be the mock"
    if probe.name == "bad_key" and target.profile.auth is Auth.NONE:
        return f"profile {target.profile.name} documents no client API key"
    return None
