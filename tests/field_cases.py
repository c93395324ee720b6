"""Good exchanges for the field-mode probes (:mod:`conformance.probes.field`): what a
correct proxy passes along from a real model, built on each probe's own request; the
field check tests break one property at a time.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from conformance.exchange import Exchange, Request
from conformance.oracles_node import NodeOutcome
from conformance.probes import PROBES
from conformance.probes.field import answer_calls
from conformance.runner import NODE_CALL_TURNS, NODE_REPLAYS
from conformance.target import Target
from spec.profiles import get_profile
from tests.factories import chunk, completion, sse

__all__ = [
    "AI_SDK_OK",
    "FIELD_TARGET",
    "NODE_OK",
    "answer",
    "field_good",
    "list_stream",
    "think_completion",
    "tool_completion",
    "tool_stream",
    "with_node",
    "with_result_turn",
]

FIELD_TARGET = Target("http://127.0.0.1:1", get_profile("openai-core"), api_key="sk-test")
"""A black-box target (no mock): the probes' requests carry no directive."""

USAGE = {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20}
THOUGHT_USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 48,
    "total_tokens": 60,
    "completion_tokens_details": {"reasoning_tokens": 40},
}
REAL_THOUGHTS = "**Breaking down the multiplication** 17 * 20 = 340 and 17 * 3 = 51."


def answer(
    probe: str,
    body: Any,
    *,
    status: int = 200,
    times: list[float] | None = None,
    request: Request | None = None,
) -> Exchange:
    """The exchange of ``probe`` (its own request, black-box) answered with ``body``: a
    JSON value, or SSE bytes (a stream; ``times`` the arrival time of each event, in
    seconds, default 50 ms apart)."""
    req = request or PROBES[probe].build(FIELD_TARGET, "cid")
    if isinstance(body, bytes):
        events = [e + b"\n\n" for e in body.split(b"\n\n") if e]
        at = times or [0.05 * i for i in range(len(events))]
        chunks = tuple(zip(at, events, strict=False))
        kind = "text/event-stream"
    else:
        chunks = ((0.001, json.dumps(body).encode()),)
        kind = "application/json"
    return Exchange(probe, req, status, (("content-type", kind),), chunks)


def tool_stream(calls: list[tuple[str, dict[str, Any]]], *, finish: str = "tool_calls") -> bytes:
    """A conformant streamed answer with ``calls`` (name, args): per call a first delta
    with index, id, type and name, then the arguments in two pieces; one finish."""
    events: list[Any] = [chunk({"role": "assistant", "content": None})]
    for i, (name, args) in enumerate(calls):
        text = json.dumps(args)
        events.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": f"call_{i}",
                            "type": "function",
                            "function": {"name": name, "arguments": text[:4]},
                        }
                    ]
                }
            )
        )
        events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": text[4:]}}]}))
    events.append(chunk({}, finish))
    events.append(chunk(choices=[], usage=USAGE))
    return sse(*events)


def tool_completion(calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return completion(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for i, (name, args) in enumerate(calls)
            ],
        },
        finish="tool_calls",
        usage=USAGE,
    )


def with_result_turn(first: Exchange, second_body: Any) -> Exchange:
    """``first`` followed by the tool-result turn the probe builds from it, answered with
    ``second_body`` (the probe's exchange is the second turn, as the session records it)."""
    then = PROBES[first.probe].then
    assert then is not None
    follow = then(FIELD_TARGET, "cid", first)
    assert follow is not None
    second = answer(first.probe, second_body, request=follow)
    return replace(second, previous=(first,))


def text_stream(text: str, pieces: int = 4, **delta: Any) -> bytes:
    size = max(1, len(text) // pieces)
    parts = [text[i : i + size] for i in range(0, len(text), size)]
    return sse(
        chunk({"role": "assistant", "content": "", **delta}),
        *[chunk({"content": p}) for p in parts],
        chunk({}, "stop"),
        chunk(choices=[], usage=THOUGHT_USAGE),
    )


def think_completion(content: str = "17 * 23 = 391.", **message: Any) -> dict[str, Any]:
    return completion(
        {"role": "assistant", "content": content, "reasoning_content": REAL_THOUGHTS, **message},
        usage=THOUGHT_USAGE,
    )


def think_stream(content: str = "17 * 23 = 391.") -> bytes:
    return sse(
        chunk({"role": "assistant", "reasoning_content": REAL_THOUGHTS[:30]}),
        chunk({"reasoning_content": REAL_THOUGHTS[30:]}),
        chunk({"content": content}),
        chunk({}, "stop"),
        chunk(choices=[], usage=THOUGHT_USAGE),
    )


LIST = "\n".join(f"{i}. Fruit number {i}" for i in range(1, 41))


def list_stream(text: str = LIST, pieces: int = 8) -> bytes:
    return sse(
        chunk({"role": "assistant", "content": ""}),
        *[
            chunk({"content": text[k * len(text) // pieces : (k + 1) * len(text) // pieces]})
            for k in range(pieces)
        ],
        chunk({}, "stop"),
        chunk(choices=[], usage=USAGE),
    )


NODE_OK = NodeOutcome("openai-node 5", None, None, 3)
"""openai-node consumed the answer (what ``conformance.runner.attach_node`` attaches)."""
AI_SDK_OK = NodeOutcome("@ai-sdk/openai-compatible 3.0.97", None, None, 6)
"""The AI SDK's provider consumed it too (``with_node`` sets the ``calls`` it assembled
from the answer)."""


def with_node(
    x: Exchange, outcome: NodeOutcome | str = NODE_OK, ai_sdk: NodeOutcome | str = AI_SDK_OK
) -> Exchange:
    """``x`` with openai-node's ``outcome`` and the AI SDK's attached where the runner
    attaches them: on the exchange (:data:`conformance.runner.NODE_REPLAYS`) and on its
    call turn (:data:`conformance.runner.NODE_CALL_TURNS`, when a tool-result turn
    followed)."""

    def read(y: Exchange) -> NodeOutcome | str:  # the AI SDK assembles the calls it gets
        return replace(ai_sdk, calls=len(answer_calls(y))) if ai_sdk == AI_SDK_OK else ai_sdk

    x = replace(x, node=outcome, ai_sdk=read(x))
    if x.probe in NODE_CALL_TURNS and x.previous:
        *earlier, turn = x.previous
        x = replace(x, previous=(*earlier, replace(turn, node=outcome, ai_sdk=read(turn))))
    return x


def field_good() -> dict[str, Exchange]:
    """One conformant exchange per field probe, with openai-node's replays attached."""
    return {name: with_node(x) if name in NODE_REPLAYS else x for name, x in _field_good().items()}


def _field_good() -> dict[str, Exchange]:
    named = answer("field_tool_named", tool_completion([("get_weather", {"location": "Paris"})]))
    required = answer(
        "field_tool_required_stream", tool_stream([("get_time", {"timezone": "Asia/Tokyo"})])
    )
    gemini3 = tool_completion([("get_weather", {"location": "Paris"})])
    gemini3["choices"][0]["message"]["tool_calls"][0]["extra_content"] = {
        "google": {"thought_signature": "c2lnbmF0dXJl"}
    }
    return {
        "field_tool_gemini3": with_result_turn(
            answer("field_tool_gemini3", gemini3),
            completion({"role": "assistant", "content": "It is 18 C and cloudy."}),
        ),
        "field_tool_named": with_result_turn(
            named, completion({"role": "assistant", "content": "It is 18 C and cloudy."})
        ),
        "field_tool_required_stream": with_result_turn(
            required, text_stream("It is 10:00 in Tokyo.")
        ),
        "field_developer_role": answer(
            "field_developer_role", completion({"role": "assistant", "content": "**ZEBRA-42**"})
        ),
        "field_tool_no_args": answer(
            "field_tool_no_args", tool_completion([("get_current_time", {})])
        ),
        "field_tool_no_args_stream": answer(
            "field_tool_no_args_stream", tool_stream([("get_current_time", {})])
        ),
        "field_parallel_stream": answer(
            "field_parallel_stream",
            tool_stream(
                [("get_weather", {"location": "Paris"}), ("get_weather", {"location": "Tokyo"})]
            ),
        ),
        "field_think_effort": answer("field_think_effort", think_completion()),
        "field_think_effort_stream": answer("field_think_effort_stream", think_stream()),
        "field_think_google_stream": answer("field_think_google_stream", think_stream()),
        "field_think_model": answer("field_think_model", think_completion()),
        "field_structured": answer(
            "field_structured",
            completion(
                {
                    "role": "assistant",
                    "content": json.dumps(
                        {"city": "Tokyo", "country": "Japan", "population": 14000000}
                    ),
                },
                usage=USAGE,
            ),
        ),
        "field_n": answer(
            "field_n",
            completion(
                choices=[
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": colour},
                        "finish_reason": "stop",
                    }
                    for i, colour in enumerate(("Red", "Blue"))
                ],
                usage=USAGE,
            ),
        ),
        "field_stop": answer(
            "field_stop",
            completion({"role": "assistant", "content": "1, 2, 3, 4, "}, usage=USAGE),
        ),
        "field_length": answer(
            "field_length",
            completion(
                {"role": "assistant", "content": "The old keeper"},
                finish="length",
                usage={"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
            ),
        ),
        "field_length_max_tokens": answer(
            "field_length_max_tokens",
            completion(
                {"role": "assistant", "content": "The old keeper"},
                finish="length",
                usage={"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
            ),
        ),
        "field_image": answer(
            "field_image", completion({"role": "assistant", "content": "Red."}, usage=USAGE)
        ),
        "field_long_stream": answer("field_long_stream", list_stream()),
    }
