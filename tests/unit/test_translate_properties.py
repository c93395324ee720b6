"""Property: any valid chat request translates, into contents that alternate sensibly.

Generated requests mix every role, string and part-array content, tool calls with their
results (in any order), and the sampling fields (wire-formats.md A1, B1). The translated
Gemini request must: have non-empty ``contents`` alternating ``user``/``model``; every
turn non-empty; ``functionCall`` only in model turns and ``functionResponse`` only in
user turns, named after the call they answer; and be JSON-serialisable.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reference_impl.translate import RequestError, translate_request

_text = st.text(max_size=6)
_content = st.one_of(
    st.none(),
    _text,
    st.lists(st.builds(lambda t: {"type": "text", "text": t}, _text), max_size=3),
)
_user_content = st.one_of(
    _content,
    st.lists(
        st.one_of(
            st.builds(lambda t: {"type": "text", "text": t}, _text),
            st.just({"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}),
            st.just({"type": "image_url", "image_url": "https://example.com/a.jpg"}),
        ),
        min_size=1,
        max_size=3,
    ),
)
_name = st.sampled_from(["get_weather", "get_time", "search"])


@st.composite
def _turn(draw: st.DrawFn, counter: list[int]) -> list[dict[str, Any]]:
    kind = draw(st.sampled_from(["system", "developer", "user", "assistant", "tools"]))
    if kind in ("system", "developer"):
        return [{"role": kind, "content": draw(_content)}]
    if kind == "user":
        return [{"role": "user", "content": draw(_user_content)}]
    if kind == "assistant":
        return [{"role": "assistant", "content": draw(_content)}]
    calls = []
    for _ in range(draw(st.integers(1, 3))):
        counter[0] += 1
        args = draw(st.dictionaries(st.text(max_size=3), st.integers(-9, 9), max_size=2))
        calls.append(
            {
                "id": f"call_{counter[0]}",
                "type": "function",
                "function": {"name": draw(_name), "arguments": json.dumps(args)},
            }
        )
    results = [
        {"role": "tool", "tool_call_id": c["id"], "content": draw(_content)}
        for c in draw(st.permutations(calls))
    ]
    return [{"role": "assistant", "content": draw(_content), "tool_calls": calls}, *results]


@st.composite
def chat_requests(draw: st.DrawFn) -> dict[str, Any]:
    counter = [0]
    messages = [m for turn in draw(st.lists(_turn(counter), min_size=1, max_size=6)) for m in turn]
    messages.append({"role": "user", "content": draw(st.text(min_size=1, max_size=6))})
    body: dict[str, Any] = {
        "model": draw(
            st.sampled_from(["gemini-2.5-flash", "models/gemini-2.5-pro", "gemini-3-pro-preview"])
        ),
        "messages": messages,
    }
    optional = {
        "temperature": st.floats(0, 2),
        "top_p": st.floats(0, 1),
        "n": st.integers(1, 4),
        "max_tokens": st.integers(1, 9999),
        "max_completion_tokens": st.integers(1, 9999),
        "stop": st.one_of(_text, st.lists(_text, max_size=7)),
        "seed": st.integers(0, 99),
        "stream": st.booleans(),
        "reasoning_effort": st.sampled_from(["none", "minimal", "low", "medium", "high"]),
        "store": st.booleans(),
        "user": _text,
        "parallel_tool_calls": st.booleans(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            body[key] = draw(strategy)
    return body


@given(chat_requests())
def test_valid_requests_translate_into_alternating_contents(body: dict[str, Any]) -> None:
    call = translate_request(body)
    contents = call.request["contents"]
    assert contents
    roles = [c["role"] for c in contents]
    assert set(roles) <= {"user", "model"}
    assert all(a != b for a, b in itertools.pairwise(roles))
    names = {
        c["id"]: c["function"]["name"] for m in body["messages"] for c in m.get("tool_calls", [])
    }
    for turn in contents:
        assert turn["parts"]
        for part in turn["parts"]:
            if "functionCall" in part:
                assert turn["role"] == "model"
            if "functionResponse" in part:
                assert turn["role"] == "user"
                fr = part["functionResponse"]
                assert fr["name"] == names[fr["id"]]
            assert part.get("text", "x") != ""
    config = call.request.get("generationConfig", {})
    assert len(config.get("stopSequences", [])) <= 5
    thinking = config.get("thinkingConfig", {})
    assert not ("thinkingBudget" in thinking and "thinkingLevel" in thinking)
    json.dumps(call.request)


_keys = st.sampled_from(
    [
        "model",
        "messages",
        "role",
        "content",
        "type",
        "text",
        "image_url",
        "url",
        "tool_calls",
        "id",
        "function",
        "name",
        "arguments",
        "tool_call_id",
        "tools",
        "parameters",
        "properties",
        "tool_choice",
        "stop",
        "n",
        "temperature",
        "max_tokens",
        "stream",
        "stream_options",
        "include_usage",
        "response_format",
        "json_schema",
        "schema",
        "reasoning_effort",
        "thinking_budget",
        "functions",
        "function_call",
        "extra_content",
        "input_audio",
        "file",
        "file_data",
        "allowed_tools",
        "mode",
    ]
)
_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.floats(allow_nan=False),
        st.sampled_from(
            [
                "user",
                "assistant",
                "tool",
                "system",
                "function",
                "text",
                "gemini-2.5-flash",
                "gemini-3-pro-preview",
                "{}",
                "[",
                "high",
                "required",
                "json_schema",
                "data:image/png;base64,AA",
                "c1",
            ]
        ),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=30,
)


@given(st.dictionaries(_keys, _values, max_size=8))
def test_any_json_body_translates_or_is_a_400(body: dict[str, Any]) -> None:
    """Never a 500: whatever the client sends, the result is a request or a RequestError."""
    body.setdefault("model", "gemini-2.5-flash")
    outcome: object
    try:
        outcome = translate_request(body).request
    except RequestError as err:
        outcome = err
    if isinstance(outcome, RequestError):
        assert outcome.status == 400
        assert outcome.message
    else:
        json.dumps(outcome)
