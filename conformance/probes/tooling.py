"""Tool-calling probes: parallel calls, schema sanitising, tool results, ``tool_choice``
and the Gemini 3 thought-signature round trip (docs/breakages.md A1, B1-B5)."""

from __future__ import annotations

import json
from typing import Any

from spec.scenarios import Directive, Scenario

from ..exchange import Exchange, Request
from ..modes import Mode
from ..target import Target
from .base import TOOLS, Probe, chat, chat_request, registrar, unary_and_streamed, with_body
from .basic import GEMINI3_FALLBACK, controlled_gemini3_model, no_controlled_gemini3

__all__ = [
    "MESSY_SCHEMA",
    "NO_ARGS_TOOL",
    "TOOL_CHOICES",
    "TOOL_RESULTS",
    "plain_history",
    "results_turn",
    "stream_history",
]

probe = registrar(__name__)

TOOL_PROMPT = "What is the weather in Paris and in Tokyo, and the time in Tokyo?"

_TOOLS_FEATURES = frozenset({"tools"})

unary_and_streamed(
    probe,
    "tool_calls",
    "upstream answers with three parallel functionCall parts (same tool twice), streamed "
    "one per chunk as Gemini 3 sends them (Gemini 2.x sends them in one chunk: the "
    "captures.mirascope-parallel-tool-calls-stream.0 check reads that framing)",
    TOOL_PROMPT,
    directive=Directive(Scenario.PARALLEL_TOOL_CALLS, apart=True),
    tools=TOOLS,
    tool_choice="auto",
    features=_TOOLS_FEATURES,
)

MESSY_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "path": {"type": "string", "description": "Directory to search"},
        "mode": {"const": "recursive"},
        "depth": {"type": ["integer", "null"], "exclusiveMinimum": 0},
        "tags": {"type": "array"},
        "filters": {
            "type": "array",
            "items": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {"glob": {"type": "string"}},
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "meta": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z]+$"},
            "additionalProperties": {"type": "string"},
        },
    },
    "required": ["path"],
}
"""A tool schema as MCP servers and zod emit them: every keyword Gemini's ``parameters``
rejects (docs/breakages.md B2)."""

probe(
    Probe(
        "tool_schema",
        "a tool whose JSON Schema uses $schema, additionalProperties, const, type arrays, "
        "propertyNames, exclusiveMinimum and an array without items",
        chat(
            "Find the markdown files under docs.",
            tools=[
                {
                    "type": "function",
                    "function": {
                        "name": "search_files",
                        "description": "Search files by pattern.",
                        "parameters": MESSY_SCHEMA,
                    },
                }
            ],
        ),
        mode=Mode.CONTROLLED,
        features=_TOOLS_FEATURES,
    )
)

TOOL_RESULTS = {"call_w1": ("get_weather", "sunny, 21 C"), "call_t1": ("get_time", "10:00 JST")}
"""tool_call_id -> (function name, tool message content) for ``tool_result``."""


def _tool_result(target: Target, cid: str) -> Request:
    request = chat_request(target, cid, TOOL_PROMPT, directive=Directive(), tools=TOOLS)
    user = request.json_body["messages"][0]
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_w1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": json.dumps({"location": "Paris"})},
            },
            {
                "id": "call_t1",
                "type": "function",
                "function": {
                    "name": "get_time",
                    "arguments": json.dumps({"timezone": "Asia/Tokyo"}),
                },
            },
        ],
    }
    # Results in reverse order, with only tool_call_id (no name), as most clients send them.
    tools = [
        {"role": "tool", "tool_call_id": call_id, "content": TOOL_RESULTS[call_id][1]}
        for call_id in ("call_t1", "call_w1")
    ]
    return with_body(request, messages=[user, assistant, *tools])


probe(
    Probe(
        "tool_result",
        "two tool results (only tool_call_id, reverse order) after a two-call assistant turn",
        _tool_result,
        mode=Mode.CONTROLLED,
        features=_TOOLS_FEATURES,
    )
)

TOOL_CHOICES: dict[str, tuple[Any, Scenario]] = {
    "tool_choice_required": ("required", Scenario.TOOL_CALL),
    "tool_choice_none": ("none", Scenario.TEXT),
    "tool_choice_named": (
        {"type": "function", "function": {"name": "get_time"}},
        Scenario.TOOL_CALL,
    ),
}
"""probe -> (tool_choice, mock scenario) (docs/breakages.md B5)."""

for _name, (_choice, _scenario) in TOOL_CHOICES.items():
    probe(
        Probe(
            _name,
            f"tool_choice={json.dumps(_choice)}",
            chat(TOOL_PROMPT, directive=Directive(_scenario), tools=TOOLS, tool_choice=_choice),
            mode=Mode.CONTROLLED,
            features=_TOOLS_FEATURES,
        )
    )


def plain_history(message: dict[str, Any]) -> dict[str, Any]:
    """The assistant message a plain OpenAI client sends back: role, content and
    ``tool_calls`` with only id/type/function (every vendor extension dropped)."""
    return {
        "role": "assistant",
        "content": message.get("content"),
        "tool_calls": [
            {
                "id": call.get("id"),
                "type": "function",
                "function": {
                    "name": (call.get("function") or {}).get("name"),
                    "arguments": (call.get("function") or {}).get("arguments"),
                },
            }
            for call in message.get("tool_calls") or []
            if isinstance(call, dict)
        ],
    }


def results_turn(echo: bool) -> Any:
    """The ``then`` of a tool-call probe: the first request's messages, the assistant
    message (``echo``: as received, every vendor field kept, as openai-python sends back
    ``choices[0].message``; else :func:`plain_history`) and one ``tool`` result per call.
    ``None`` when the first answer is not a 200 with calls."""

    def then(target: Target, cid: str, first: Exchange) -> Request | None:
        try:
            message = first.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        if first.status != 200 or not isinstance(calls, list) or not calls:
            return None
        history = message if echo else plain_history(message)
        results = [
            {"role": "tool", "tool_call_id": call.get("id"), "content": '{"ok": true}'}
            for call in calls
            if isinstance(call, dict)
        ]
        body = first.request.json_body
        return with_body(first.request, messages=[*body["messages"], history, *results])

    return then


def stream_history(first: Exchange) -> dict[str, Any] | None:
    """The assistant message an agent loop rebuilds from a streamed answer: the text and
    each call's id, name and arguments, assembled by ``index`` as openai-python and the
    AI SDK do (``None`` when the stream carries no call)."""
    calls: dict[int, dict[str, Any]] = {}
    text: list[str] = []
    for chunk in first.sse.chunks:
        for choice in chunk.get("choices") or () if isinstance(chunk, dict) else ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                continue
            if isinstance(delta.get("content"), str):
                text.append(delta["content"])
            for entry in delta.get("tool_calls") or ():
                if not isinstance(entry, dict) or not isinstance(entry.get("index"), int):
                    continue
                call = calls.setdefault(entry["index"], {"id": None, "name": "", "arguments": ""})
                fn = entry.get("function")
                fn = fn if isinstance(fn, dict) else {}
                call["id"] = call["id"] or entry.get("id")
                call["name"] += fn.get("name") or ""
                call["arguments"] += fn.get("arguments") or ""
    if not calls:
        return None
    return {
        "role": "assistant",
        "content": "".join(text) or None,
        "tool_calls": [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for _, c in sorted(calls.items())
        ],
    }


def _streamed_results_turn(target: Target, cid: str, first: Exchange) -> Request | None:
    """The ``then`` of ``signature_stream``: the results turn after a streamed call, the
    assistant turn rebuilt from the deltas (:func:`stream_history`)."""
    history = stream_history(first) if first.status == 200 else None
    if history is None:
        return None
    results = [
        {"role": "tool", "tool_call_id": call["id"], "content": '{"ok": true}'}
        for call in history["tool_calls"]
    ]
    body = first.request.json_body
    return with_body(first.request, messages=[*body["messages"], history, *results])


def _on_gemini3(**fields: Any) -> Any:
    """A probe ``build`` naming the run's Gemini 3 model
    (:func:`basic.controlled_gemini3_model`)."""

    def build(target: Target, cid: str) -> Request:
        model = controlled_gemini3_model(target) or target.model
        return chat_request(target, cid, model=model, **fields)

    return build


_SIGNATURE_ASK: dict[str, Any] = {
    "text": "What is the weather in Paris?",
    "directive": Directive(Scenario.TOOL_CALL),
    "tools": TOOLS[:1],
}
for _name, _echo in (("signature_echo", True), ("signature_dropped", False)):
    probe(
        Probe(
            _name,
            "a Gemini 3 model (--model, else one GET /models lists, else "
            f"{GEMINI3_FALLBACK}): a tool call, then the "
            "results with the assistant turn "
            + ("sent back as received" if _echo else "stripped to plain OpenAI fields"),
            _on_gemini3(**_SIGNATURE_ASK),
            mode=Mode.CONTROLLED,
            then=results_turn(_echo),
            features=_TOOLS_FEATURES,
            requires=no_controlled_gemini3,
        )
    )
probe(
    Probe(
        "signature_stream",
        "a Gemini 3 model: a streamed tool call, then the results with the assistant turn "
        "rebuilt from the deltas (id, name, arguments), as agent loops do",
        _on_gemini3(**_SIGNATURE_ASK, stream=True),
        mode=Mode.CONTROLLED,
        stream=True,
        then=_streamed_results_turn,
        features=frozenset({"tools", "stream"}),
        requires=no_controlled_gemini3,
    )
)

probe(
    Probe(
        "thoughts_tool_call_stream",
        "streamed; reasoning_effort high: the upstream thinks, then calls a tool (no text)",
        chat(
            "What is the weather in Paris?",
            directive=Directive(Scenario.TOOL_CALL),
            tools=TOOLS[:1],
            reasoning_effort="high",
            stream=True,
        ),
        mode=Mode.CONTROLLED,
        stream=True,
        features=frozenset({"tools", "reasoning"}),
    )
)

NO_ARGS_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_current_time",
        "description": "Get the current time.",
        "parameters": {"type": "object", "properties": {}},
    },
}
"""A tool without parameters, declared as the SDKs do (an empty object schema). Gemini
calls it with a ``functionCall`` that has no ``args`` at all (docs/breakages.md B6)."""

unary_and_streamed(
    probe,
    "tool_call_no_args",
    "the upstream calls a tool without parameters: a functionCall with no args",
    "What time is it?",
    directive=Directive(Scenario.TOOL_CALL),
    tools=[NO_ARGS_TOOL],
    tool_choice="auto",
    features=_TOOLS_FEATURES,
)
