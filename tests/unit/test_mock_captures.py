"""The pure capture forms (spec/capture_format.py: stream_form, unary_form, assemble_parts,
parse_json_path) and the mock's serialised replies (mockserver/captures.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver import captures as mock_captures
from mockserver import codeassist
from mockserver.captures import Captures
from spec.capture_format import (
    BUNDLED,
    Capture,
    CaptureError,
    assemble_parts,
    load_dir,
    parse_json_path,
    stream_form,
    unary_form,
)
from spec.scenarios import Directive

CORPUS = load_dir(BUNDLED)


def _chunks(*chunks: dict[str, Any]) -> Capture:
    return Capture(name="hand", chunks=tuple(chunks))


def _streamed(name: str) -> Capture:
    """The bundled capture ``name`` with its chunks only (no ``.json`` answer)."""
    return Capture(name=name, chunks=CORPUS[name].chunks)


def _parts_chunk(*parts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    candidate.update(extra)
    return {"candidates": [candidate]}


# -- the bundled corpus --------------------------------------------------------------------


def test_streamed_arguments_assemble_into_two_calls() -> None:
    capture = CORPUS["google-stream-tool-call-arguments"]
    unary = unary_form(capture)
    (candidate,) = unary["candidates"]
    parts = candidate["content"]["parts"]
    assert [p["functionCall"] for p in parts] == [
        {"name": "getWeather", "args": {"location": "Boston"}},
        {"name": "getWeather", "args": {"location": "San Francisco"}},
    ]
    first_signature = capture.chunks[0]["candidates"][0]["content"]["parts"][0]  # type: ignore[index]
    assert parts[0]["thoughtSignature"] == first_signature["thoughtSignature"]
    assert "thoughtSignature" not in parts[1]
    assert candidate["finishReason"] == "STOP"
    assert unary["usageMetadata"] == capture.chunks[-1]["usageMetadata"]  # type: ignore[index]
    assert unary["usageMetadata"]["thoughtsTokenCount"] == 132
    assert unary["modelVersion"] == "gemini-3.1-pro-preview"
    assert unary["responseId"] == "dqHOab6xGLzWodAPkPuViA4"
    assert unary["createTime"] == "2026-04-02T17:03:50.399550Z"
    assert "partialArgs" not in json.dumps(unary)
    assert "willContinue" not in json.dumps(unary)


def test_streamed_text_reads_like_the_unary_answer() -> None:
    """The signature of the last empty text part lands on the merged text, as in the
    corpus's own unary answer (google-text.json has one signed text part)."""
    streamed = unary_form(_streamed("google-text"))
    real = CORPUS["google-text"].unary
    assert real is not None
    (part,) = streamed["candidates"][0]["content"]["parts"]
    assert part["text"] == 'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y'
    assert part["thoughtSignature"].startswith("EqsFCqgF")
    # same shape as Google's own unary answer: the same keys at every level
    assert list(streamed) == list(real)
    assert list(streamed["candidates"][0]) == list(real["candidates"][0])
    assert list(part) == list(real["candidates"][0]["content"]["parts"][0])


def test_a_call_then_an_empty_text_part_is_one_call() -> None:
    streamed = unary_form(_streamed("google-tool-call"))
    parts = streamed["candidates"][0]["content"]["parts"]
    assert len(parts) == 1
    assert parts[0]["functionCall"] == {"name": "weather", "args": {"location": "San Francisco"}}
    assert streamed["candidates"][0]["finishReason"] == "STOP"


def test_unary_only_capture_streams_as_one_chunk() -> None:
    capture = CORPUS["google-reasoning-gemini3"]
    assert capture.chunks is None
    assert stream_form(capture) == (capture.unary,)
    assert unary_form(capture) is capture.unary


def test_chunks_capture_streams_its_chunks() -> None:
    capture = CORPUS["google-reasoning"]
    assert stream_form(capture) == capture.chunks
    # a capture with both files: the unary form is its .json, not the assembled chunks
    assert unary_form(capture) is capture.unary


def test_error_capture_forms_are_its_error_body() -> None:
    capture = CORPUS["google-429-retry-info"]
    assert capture.is_error
    assert unary_form(capture) == capture.error
    assert stream_form(capture) == (capture.error,)


def test_forms_leave_the_capture_unchanged() -> None:
    capture = CORPUS["google-stream-tool-call-arguments"]
    before = json.dumps(capture.chunks)
    unary_form(capture)
    unary_form(capture)
    assert json.dumps(capture.chunks) == before


# -- hand-made edge cases ------------------------------------------------------------------


def test_thought_and_answer_text_merge_separately() -> None:
    capture = _chunks(
        _parts_chunk({"text": "Think", "thought": True}),
        _parts_chunk({"text": "ing.", "thought": True}),
        _parts_chunk({"text": "Ans"}),
        _parts_chunk({"text": "wer"}, finishReason="STOP"),
    )
    parts = unary_form(capture)["candidates"][0]["content"]["parts"]
    assert parts == [{"text": "Thinking.", "thought": True}, {"text": "Answer"}]


def test_two_signed_text_parts_stay_apart() -> None:
    parts = assemble_parts(
        [{"text": "a", "thoughtSignature": "s1"}, {"text": "b", "thoughtSignature": "s2"}]
    )
    assert parts == [
        {"text": "a", "thoughtSignature": "s1"},
        {"text": "b", "thoughtSignature": "s2"},
    ]


def test_signature_part_after_a_call_is_kept() -> None:
    parts = assemble_parts(
        [{"functionCall": {"name": "f"}}, {"text": "", "thoughtSignature": "sig"}]
    )
    assert parts == [{"functionCall": {"name": "f"}}, {"text": "", "thoughtSignature": "sig"}]


def test_nested_paths_arrays_and_scalar_kinds() -> None:
    parts = assemble_parts(
        [
            {"functionCall": {"name": "book", "willContinue": True}, "thoughtSignature": "s"},
            {
                "functionCall": {
                    "partialArgs": [
                        {"jsonPath": "$.trip.city", "stringValue": "Par", "willContinue": True},
                        {"jsonPath": "$.trip.city", "stringValue": "is"},
                        {"jsonPath": "$.nights", "numberValue": 3},
                        {"jsonPath": "$.refundable", "boolValue": False},
                        {"jsonPath": "$.note", "nullValue": "NULL_VALUE"},
                    ],
                    "willContinue": True,
                }
            },
            {
                "functionCall": {
                    "partialArgs": [
                        {"jsonPath": "$.guests[1]", "stringValue": "Bob"},
                        {"jsonPath": "$.guests[0]", "stringValue": "Al", "willContinue": True},
                        {"jsonPath": "$.guests[0]", "stringValue": "ice"},
                        {"jsonPath": "$['odd key']", "stringValue": "x"},
                    ],
                    "willContinue": True,
                }
            },
            {"functionCall": {}},
        ]
    )
    assert parts == [
        {
            "functionCall": {
                "name": "book",
                "args": {
                    "trip": {"city": "Paris"},
                    "nights": 3,
                    "refundable": False,
                    "note": None,
                    "guests": ["Alice", "Bob"],
                    "odd key": "x",
                },
            },
            "thoughtSignature": "s",
        }
    ]


def test_a_string_without_willcontinue_replaces() -> None:
    """Only a continued path appends; a new item for a finished path sets the value."""
    parts = assemble_parts(
        [
            {"functionCall": {"name": "f", "willContinue": True}},
            {"functionCall": {"partialArgs": [{"jsonPath": "$.a", "stringValue": "one"}]}},
        ]
    )
    assert parts == [{"functionCall": {"name": "f", "args": {"a": "one"}}}]
    parts = assemble_parts(
        [
            {"functionCall": {"name": "f", "willContinue": True}},
            {
                "functionCall": {
                    "partialArgs": [
                        {"jsonPath": "$.a", "stringValue": "one"},
                        {"jsonPath": "$.a", "stringValue": "two"},
                    ],
                    "willContinue": True,
                }
            },
            {"functionCall": {}},
        ]
    )
    assert parts == [{"functionCall": {"name": "f", "args": {"a": "two"}}}]


def test_call_without_args_and_stray_closer() -> None:
    parts = assemble_parts(
        [
            {"functionCall": {}},
            {"functionCall": {"name": "now", "id": "c1"}},
            {"functionCall": {"name": "later", "willContinue": True}},
            {"functionCall": {}},
        ]
    )
    assert parts == [
        {"functionCall": {"id": "c1", "name": "now"}},
        {"functionCall": {"name": "later"}},
    ]


def test_a_stream_cut_inside_a_call_keeps_what_it_said() -> None:
    parts = assemble_parts(
        [
            {"functionCall": {"name": "f", "willContinue": True}},
            {
                "functionCall": {
                    "partialArgs": [{"jsonPath": "$.q", "stringValue": "x", "willContinue": True}],
                    "willContinue": True,
                }
            },
        ]
    )
    assert parts == [{"functionCall": {"name": "f", "args": {"q": "x"}}}]


def test_usage_only_chunk_and_candidate_fields() -> None:
    capture = _chunks(
        {
            "candidates": [{"content": {"parts": [{"text": "Hi"}], "role": "model"}, "index": 0}],
            "modelVersion": "m",
            "responseId": "r",
        },
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": "!"}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                    "citationMetadata": {"citationSources": [{"uri": "u1"}]},
                }
            ],
            "usageMetadata": {"promptTokenCount": 1},
        },
        {
            "candidates": [
                {
                    "index": 0,
                    "citationMetadata": {"citationSources": [{"uri": "u2"}]},
                }
            ]
        },
        {"usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 2, "totalTokenCount": 3}},
    )
    unary = unary_form(capture)
    assert list(unary) == ["candidates", "modelVersion", "responseId", "usageMetadata"]
    (candidate,) = unary["candidates"]
    assert list(candidate) == ["content", "finishReason", "index", "citationMetadata"]
    assert candidate["content"]["parts"] == [{"text": "Hi!"}]
    assert candidate["citationMetadata"] == {"citationSources": [{"uri": "u1"}, {"uri": "u2"}]}
    assert unary["usageMetadata"]["totalTokenCount"] == 3


def test_several_candidates_by_index() -> None:
    capture = _chunks(
        {
            "candidates": [
                {"content": {"parts": [{"text": "a"}]}, "index": 0},
                {"content": {"parts": [{"text": "b"}]}, "index": 1},
            ]
        },
        {
            "candidates": [
                {"content": {"parts": [{"text": "B"}]}, "index": 1, "finishReason": "STOP"}
            ]
        },
        {
            "candidates": [
                {"content": {"parts": [{"text": "A"}]}, "index": 0, "finishReason": "STOP"}
            ]
        },
    )
    texts = [c["content"]["parts"][0]["text"] for c in unary_form(capture)["candidates"]]
    assert texts == ["aA", "bB"]


def test_content_with_only_empty_parts_has_no_parts() -> None:
    capture = _chunks(_parts_chunk({"text": ""}, finishReason="MAX_TOKENS"))
    (candidate,) = unary_form(capture)["candidates"]
    assert candidate["content"] == {"role": "model"}
    assert candidate["finishReason"] == "MAX_TOKENS"


def test_prompt_block_has_no_candidates() -> None:
    block = {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 4}}
    assert unary_form(_chunks(block)) == block


def test_a_stream_that_failed_is_its_error() -> None:
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    assert unary_form(_chunks(_parts_chunk({"text": "a"}), error)) == error


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("$.location", ("location",)),
        ("$.a.b", ("a", "b")),
        ("$.items[0]", ("items", 0)),
        ("$.a[2].b", ("a", 2, "b")),
        ("$['a b']", ("a b",)),
        ('$["q\\"x"]', ('q"x',)),
    ],
)
def test_parse_json_path(path: str, segments: tuple[str | int, ...]) -> None:
    assert parse_json_path(path) == segments


@pytest.mark.parametrize("path", ["location", "$", "$.*", "$..a", "$.a[-1]", "$.a[0:2]", "$[?@.a]"])
def test_parse_json_path_rejects(path: str) -> None:
    with pytest.raises(CaptureError, match="jsonPath"):
        parse_json_path(path)


def test_bad_path_in_a_capture_names_it() -> None:
    capture = _chunks(
        _parts_chunk(
            {
                "functionCall": {
                    "name": "f",
                    "partialArgs": [{"jsonPath": "$..x", "stringValue": "1"}],
                }
            }
        )
    )
    with pytest.raises(CaptureError, match=r"\$\.\.x"):
        unary_form(capture)


# -- the mock's prepared replies (mockserver/captures.py) ----------------------------------


def _store() -> Captures:
    slow = Capture(
        name="slow",
        chunks=(
            {"candidates": [{"content": {"parts": [{"text": "a"}]}}]},
            {"candidates": [{"content": {"parts": [{"text": "b"}]}, "finishReason": "STOP"}]},
        ),
        chunk_ms=(5.0, 20.0),
        headers=(("X-Kept", "1"), ("Content-Length", "99"), ("Transfer-Encoding", "chunked")),
    )
    return Captures({**CORPUS, "slow": slow})


STORE = _store()


def test_summary_of_streamed_arguments() -> None:
    summary = mock_captures.summary(unary_form(CORPUS["google-stream-tool-call-arguments"]))
    assert summary["function_calls"] == [
        {"name": "getWeather", "args": {"location": "Boston"}},
        {"name": "getWeather", "args": {"location": "San Francisco"}},
    ]
    assert (summary["text"], summary["finish_reason"], summary["candidates"]) == ("", "STOP", 1)


def test_summary_of_thoughts_text_and_errors() -> None:
    unary = {
        "candidates": [
            {
                "content": {"parts": [{"text": "hm", "thought": True}, {"text": "yes"}]},
                "finishReason": "STOP",
            },
            {"content": {"parts": [{"text": "no"}]}, "finishReason": "MAX_TOKENS"},
        ]
    }
    summary = mock_captures.summary(unary)
    assert (summary["text"], summary["thoughts"]) == ("yes", "hm")
    assert summary["texts"] == ["yes", "no"]
    assert summary["finish_reasons"] == ["STOP", "MAX_TOKENS"]
    blocked = mock_captures.summary({"promptFeedback": {"blockReason": "SAFETY"}})
    assert (blocked["candidates"], blocked["block_reason"]) == (0, "SAFETY")
    error = mock_captures.summary(CORPUS["google-429-retry-info"].error or {})
    assert error["error"] == {
        "code": 429,
        "status": "RESOURCE_EXHAUSTED",
        "message": "You exceeded your current quota, please check your plan.",
    }


def test_unknown_capture_reply_names_the_known() -> None:
    reply = STORE.reply(Directive(capture="nope"), stream=False, sse=False)
    assert reply.status == 400
    message = json.loads(reply.body)["error"]["message"]
    assert "'nope'" in message
    assert all(name in message for name in STORE.names())


def test_sse_reply_is_paced_by_the_capture() -> None:
    reply = STORE.reply(Directive(capture="slow"), stream=True, sse=True)
    assert reply.writes is not None
    assert [w.delay_ms for w in reply.writes] == [5, 20]
    assert reply.body == b""
    headers = dict(reply.headers)
    assert headers["X-Kept"] == "1"
    assert "Content-Length" not in headers
    assert "Transfer-Encoding" not in headers
    assert headers["Content-Type"] == "text/event-stream"
    uniform = STORE.reply(Directive(capture="slow", chunk_ms=7), stream=True, sse=True)
    assert [w.delay_ms for w in uniform.writes or ()] == [0, 7]
    unary = STORE.reply(Directive(capture="slow"), stream=False, sse=False)
    assert unary.first_byte_ms == 25
    assert json.loads(unary.body)["candidates"][0]["content"]["parts"] == [{"text": "ab"}]


def test_code_assist_reply_wraps_without_changing() -> None:
    capture = CORPUS["google-stream-tool-call-arguments"]
    reply = STORE.reply(
        Directive(capture=capture.name),
        stream=True,
        sse=False,
        codeassist=True,
        streamed_args=True,  # the request asked for streamFunctionCallArguments
    )
    elements = json.loads(b"".join(w.data for w in reply.writes or ()))
    assert [e["response"] for e in elements] == list(capture.chunks or ())
    assert {e["traceId"] for e in elements} == {codeassist.trace_id("dqHOab6xGLzWodAPkPuViA4")}


def _calls(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        part
        for chunk in chunks
        for candidate in chunk.get("candidates") or ()
        for part in (candidate.get("content") or {}).get("parts") or ()
        if "functionCall" in part
    ]


@pytest.mark.parametrize("codeassist", [False, True])
def test_streamed_call_arguments_reach_only_a_request_that_asked(codeassist: bool) -> None:
    """Google streams function-call arguments on Vertex AI only, to a request with
    streamFunctionCallArguments ("not supported in Gemini API"): any other request gets
    each call whole, in the chunk where it closed, with its signature and id."""
    capture = CORPUS["google-stream-no-args-tool-call"]
    reply = STORE.reply(
        Directive(capture=capture.name), stream=True, sse=False, codeassist=codeassist
    )
    elements = json.loads(b"".join(w.data for w in reply.writes or ()))
    chunks = [e["response"] for e in elements] if codeassist else elements
    calls = _calls(chunks)
    assert [c["functionCall"] for c in calls] == [
        {"name": "read_theme"},
        {"name": "read_screen", "args": {"id": "A"}},
        {"name": "read_screen", "args": {"id": "B"}},
        {"name": "read_screen", "args": {"id": "C"}},
    ]
    assert "thoughtSignature" in calls[0]
    assert len(chunks) < len(capture.chunks or ())  # chunks that only continued a call
    whole = unary_form(capture)["candidates"][0]["content"]["parts"]
    assert [p for p in whole if "functionCall" in p] == calls
    assert sum(w.delay_ms for w in reply.writes or ()) == round(sum(capture.chunk_ms))


def test_error_reply_keeps_status_on_streams() -> None:
    for stream, sse in ((False, False), (True, True), (True, False)):
        reply = STORE.reply(Directive(capture="google-429-retry-info"), stream=stream, sse=sse)
        assert reply.status == 429
        assert reply.writes is None
        assert json.loads(reply.body) == CORPUS["google-429-retry-info"].error


def test_an_event_stream_type_of_a_recorded_error_stays_with_the_sse_call() -> None:
    """crewAI's cassettes record Google's 400 for a bad key on an alt=sse call with
    Content-Type: text/event-stream; replayed to a unary call it is JSON, as Google
    answers one (other recorded headers, and other error types, are kept)."""
    body = {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}
    recorded = (("Content-Type", "text/event-stream"), ("Vary", "Origin"))
    html = (("Content-Type", "text/html; charset=UTF-8"),)
    store = Captures(
        {
            "sse-400": Capture(name="sse-400", error=body, status=400, headers=recorded),
            "html-502": Capture(name="html-502", error=body, status=502, headers=html),
        }
    )

    def content_types(name: str, stream: bool, sse: bool) -> list[tuple[str, str]]:
        reply = store.reply(Directive(capture=name), stream=stream, sse=sse)
        assert reply.status in (400, 502)
        return [(k, v) for k, v in reply.headers if k.lower() in ("content-type", "vary")]

    assert content_types("sse-400", True, True) == list(recorded)
    for stream, sse in ((False, False), (True, False)):
        assert content_types("sse-400", stream, sse) == [
            ("Content-Type", "application/json; charset=UTF-8"),
            ("Vary", "Origin"),
        ]
        assert content_types("html-502", stream, sse) == list(html)
