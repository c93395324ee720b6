"""The streaming translator (reference_impl.translate_response.StreamTranslator).

Gemini ``alt=sse`` events (wire-formats.md A3) in, ``chat.completion.chunk`` dicts out
(B1); the rules of client-breakages.md A1, A2, A5, A6, C1, D3, F6.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionChunk

from reference_impl.translate import (
    DONE,
    ProxyError,
    StreamTranslator,
    encode_chunk,
    encode_error,
)
from spec.sse import decode


def translator(include_usage: bool = False) -> StreamTranslator:
    counter = itertools.count()
    return StreamTranslator(
        model="gemini-2.5-flash",
        created=1700000000,
        include_usage=include_usage,
        new_id=lambda: f"call_{next(counter)}",
    )


def event(
    *parts: dict[str, Any],
    finish: str | None = None,
    index: int = 0,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"parts": list(parts), "role": "model"}, "index": index}
    if finish:
        cand["finishReason"] = finish
    out: dict[str, Any] = {
        "candidates": [cand],
        "modelVersion": "gemini-2.5-flash",
        "responseId": "yFWYabnBB8Wg1e8P3ZTdiAY",
    }
    if usage:
        out["usageMetadata"] = usage
    return out


def run(t: StreamTranslator, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = [c for e in events for c in t.feed(e)]
    return out + t.finish()


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


def test_recorded_single_chunk_answer() -> None:
    """The byte-exact A3 sample: one event with text, finishReason and usage."""
    sample = (
        b'data: {"candidates": [{"content": {"parts": [{"text": "Paris"}],"role": "model"},'
        b'"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 11,'
        b'"candidatesTokenCount": 1,"totalTokenCount": 45,"promptTokensDetails": [{"modality":'
        b' "TEXT","tokenCount": 11}],"thoughtsTokenCount": 33},"modelVersion": '
        b'"gemini-2.5-flash","responseId": "yFWYabnBB8Wg1e8P3ZTdiAY"}\r\n\r\n'
    )
    t = translator(include_usage=True)
    chunks = run(t, [json.loads(e.data) for e in decode([sample])])
    assert [c["choices"] for c in chunks] == [
        [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        [{"index": 0, "delta": {"content": "Paris"}, "logprobs": None, "finish_reason": None}],
        [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
        [],
    ]
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 11,
        "completion_tokens": 34,
        "total_tokens": 45,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 33},
    }
    assert {(c["id"], c["object"], c["created"], c["model"]) for c in chunks} == {
        (
            "chatcmpl-yFWYabnBB8Wg1e8P3ZTdiAY",
            "chat.completion.chunk",
            1700000000,
            "gemini-2.5-flash",
        )
    }
    for chunk in chunks:  # every chunk parses as the SDK's own type
        ChatCompletionChunk.model_validate(chunk)


def test_no_usage_chunk_unless_asked() -> None:
    """A5."""
    chunks = run(translator(), [event({"text": "a"}, finish="STOP", usage={"promptTokenCount": 1})])
    assert all(c["choices"] and "usage" not in c for c in chunks)


def test_thoughts_then_text() -> None:
    """C1: thought parts -> reasoning_content, text -> content."""
    chunks = run(
        translator(),
        [
            event({"text": "**Summing**", "thought": True}),
            event({"text": " more", "thought": True}),
            event({"text": "3"}, finish="STOP"),
        ],
    )
    assert deltas(chunks) == [
        {"role": "assistant", "content": ""},
        {"reasoning_content": "**Summing**"},
        {"reasoning_content": " more"},
        {"content": "3"},
        {},
    ]


def test_tool_calls_index_and_id_once() -> None:
    """A1: one delta per call, index 0,1,2, id/type/name only there; finish tool_calls (A2)."""
    t = translator()
    chunks = run(
        t,
        [
            event({"text": "thinking", "thought": True}),
            event({"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "SIG"}),
            event(
                {"functionCall": {"name": "f", "args": {"a": 2}}},
                {"functionCall": {"name": "g", "args": {}}},
            ),
            event({"text": ""}, finish="STOP"),
        ],
    )
    calls = [tc for d in deltas(chunks) for tc in d.get("tool_calls", [])]
    assert calls == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "f", "arguments": '{"a":1}'},
            "extra_content": {"google": {"thought_signature": "SIG"}},
            "index": 0,
        },
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "f", "arguments": '{"a":2}'},
            "index": 1,
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "g", "arguments": "{}"},
            "index": 2,
        },
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert t.signatures == [("call_0", "SIG")]


def test_gemini3_call_ids_are_kept() -> None:
    chunks = run(
        translator(),
        [event({"functionCall": {"name": "f", "args": {}, "id": "ab12cd34"}}, finish="STOP")],
    )
    assert deltas(chunks)[1]["tool_calls"][0]["id"] == "ab12cd34"


def test_n_choices_each_start_and_finish_once() -> None:
    chunks = run(
        translator(),
        [
            {
                "candidates": [
                    {"content": {"parts": [{"text": "a"}]}, "index": 0},
                    {"content": {"parts": [{"text": "b"}]}, "index": 1},
                ]
            },
            {"candidates": [{"finishReason": "STOP", "index": 1}]},
            {
                "candidates": [
                    {
                        "content": {"parts": [{"text": "c"}]},
                        "finishReason": "MAX_TOKENS",
                        "index": 0,
                    }
                ]
            },
        ],
    )
    by_index: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for c in chunks:
        by_index[c["choices"][0]["index"]].append(c["choices"][0])
    assert [ch["delta"] for ch in by_index[0]] == [
        {"role": "assistant", "content": ""},
        {"content": "a"},
        {"content": "c"},
        {},
    ]
    assert [ch["finish_reason"] for ch in by_index[0]][-1] == "length"
    assert [ch["finish_reason"] for ch in by_index[1]] == [None, None, "stop"]


def test_a_mid_stream_stop_does_not_end_the_answer() -> None:
    """Google streams a code-execution answer with ``finishReason: STOP`` on the code
    part and the answer's text after it (pydantic-ai's recording
    test_google_model_builtin_code_execution_stream, docs/gemini-wire.md A3): the text
    is relayed and the choice finishes once, at the end, with the last reason."""
    code = {"executableCode": {"language": "PYTHON", "code": "print(6 * 7)"}}
    ran = {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n"}}
    t = translator()
    early = t.feed(event(code, finish="STOP")) + t.feed(event(ran))
    assert all(c["choices"][0]["finish_reason"] is None for c in early)
    call = {"functionCall": {"name": "f", "args": {}}}
    chunks = early + run(
        t, [event({"text": "The result"}), event({"text": " is 42."}, call, finish="STOP")]
    )
    assert "".join(d.get("content") or "" for d in deltas(chunks)) == "The result is 42."
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "tool_calls"
    assert sum(1 for c in chunks if c["choices"][0]["finish_reason"]) == 1


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        ([{"promptFeedback": {"blockReason": "SAFETY"}}], "content_filter"),
        (
            [{"candidates": [{"finishReason": "RECITATION", "citationMetadata": {}}]}],
            "content_filter",
        ),
        ([event({"text": "cut"}, finish="MAX_TOKENS")], "length"),
        # Vertex AI's Model Armor block (pydantic-ai's recording of gemini-2.5-flash)
        (
            [{"candidates": [{"finishReason": "MODEL_ARMOR", "finishMessage": "..."}]}],
            "content_filter",
        ),
        ([{"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}]}], "stop"),
    ],
)
def test_blocked_or_empty_endings(events: list[dict[str, Any]], reason: str) -> None:
    """F6: one choice, a finishing chunk, never nothing."""
    chunks = run(translator(), events)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [
        c["choices"][0]["finish_reason"] for c in chunks if c["choices"][0]["finish_reason"]
    ] == [reason]


def test_upstream_error_event_raises() -> None:
    """D3: a mid-stream ``{"error": ...}`` event becomes a ProxyError."""
    t = translator()
    t.feed(event({"text": "a"}))
    with pytest.raises(ProxyError) as info:
        t.feed(
            {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
        )
    assert info.value.status == 503
    assert info.value.stream_event() == {
        "error": {
            "message": "The model is overloaded.",
            "type": "server_error",
            "param": None,
            "code": "unavailable",
        }
    }


@pytest.mark.parametrize(
    "events",
    [
        [],
        [event({"text": "a"})],
        [{"usageMetadata": {"promptTokenCount": 1}}, event({"text": "a"})],
    ],
)
def test_truncated_stream_raises_at_finish(events: list[dict[str, Any]]) -> None:
    """A3: no finishReason before the close is an error, not a silent end. (A stream of
    usage-only events and nothing else is an empty answer: test_reference_captures.)"""
    t = translator()
    for e in events:
        t.feed(e)
    with pytest.raises(ProxyError) as info:
        t.finish()
    assert info.value.code == "upstream_stream_truncated"


def test_frames() -> None:
    assert encode_chunk({"a": "é"}) == b'data: {"a":"\xc3\xa9"}\n\n'
    assert DONE == b"data: [DONE]\n\n"
    err = ProxyError(502, "gone", type="upstream_error", code="x")
    assert (
        encode_error(err)
        == b'data: {"error":{"message":"gone","type":"upstream_error","param":null,"code":"x"}}\n\n'
    )


# --------------------------------------------------------------------------- property

_part = st.one_of(
    st.builds(lambda t: {"text": t}, st.text(max_size=5)),
    st.builds(lambda t: {"text": t, "thought": True}, st.text(max_size=5)),
    # orjson parses integers outside 64 bits as floats: wider ints never reach the translator
    st.builds(
        lambda n, a: {"functionCall": {"name": n, "args": {"a": a}}},
        st.sampled_from(["f", "g"]),
        st.integers(-(2**63), 2**63 - 1),
    ),
)
_reason = st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "MALFORMED_FUNCTION_CALL", "OTHER"])


@given(st.lists(st.lists(_part, max_size=3), max_size=6), _reason, st.booleans())
def test_any_upstream_sequence_follows_the_chunk_rules(
    batches: list[list[dict[str, Any]]], reason: str, include_usage: bool
) -> None:
    events = [event(*b) for b in batches] + [event(finish=reason)]
    chunks = run(translator(include_usage), events)
    choice_chunks = [c for c in chunks if c["choices"]]
    ds = deltas(chunks)
    assert ds[0] == {"role": "assistant", "content": ""}
    assert all("role" not in d for d in ds[1:])
    finishing = [c for c in choice_chunks if c["choices"][0]["finish_reason"] is not None]
    assert finishing == [choice_chunks[-1]]
    calls = [tc for d in ds for tc in d.get("tool_calls", [])]
    assert [tc["index"] for tc in calls] == list(range(len(calls)))
    assert len({tc["id"] for tc in calls}) == len(calls)
    expected_calls = sum(1 for b in batches for p in b if "functionCall" in p)
    assert len(calls) == expected_calls
    final = finishing[0]["choices"][0]["finish_reason"]
    if calls and reason not in ("MAX_TOKENS", "SAFETY"):
        assert final == "tool_calls"
    text = "".join(p["text"] for b in batches for p in b if "text" in p and not p.get("thought"))
    assert "".join(d.get("content", "") for d in ds) == text
    assert (chunks[-1]["choices"] == []) is include_usage
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
