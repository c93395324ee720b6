"""conformance.capture_expect: what each capture means on the OpenAI side. Exact values for
every bundled capture, and the edge cases of the mapping rules (docs/captures.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.capture_expect import (
    Answer,
    ErrorAnswer,
    ExpectationError,
    ToolCall,
    Usage,
    assemble_partial_args,
    expect,
    finish_reason_of,
    parse_json_path,
)
from conformance.exchange import Exchange
from spec.capture_format import BUNDLED, Capture, load_dir

CORPUS = load_dir(BUNDLED)
STRAWBERRY = 'There are **3** "r"s in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.'


def answer(name: str, form: str) -> Answer:
    got = getattr(expect(CORPUS[name]), form)
    assert isinstance(got, Answer)
    return got


def test_streamed_arguments_make_two_get_weather_calls() -> None:
    e = expect(CORPUS["google-stream-tool-call-arguments"])
    calls = (
        ToolCall("getWeather", {"location": "Boston"}),
        ToolCall("getWeather", {"location": "San Francisco"}),
    )
    for got in (e.stream, e.unary):
        assert isinstance(got, Answer)
        assert got.tool_calls == calls
        assert got.text == ""
        assert got.finish_reasons == ("tool_calls",)
        # the last chunk's counts; the earlier usageMetadata carry only trafficType
        assert got.usage == Usage(26, 23 + 132, (181,))
    assert e.tools == ("getWeather",)
    assert e.streamed_args
    assert e.model == "gemini-3.1-pro-preview"


def test_text_stream_and_unary_differ_as_recorded() -> None:
    stream, unary = answer("google-text", "stream"), answer("google-text", "unary")
    assert stream.text == 'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y'
    assert unary.text == (
        "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y."
    )
    assert stream.usage == Usage(9, 23 + 185, (217,))
    assert unary.usage == Usage(9, 28 + 244, (281,))
    assert stream.finish_reasons == unary.finish_reasons == ("stop",)
    assert stream.reasoning == unary.reasoning == ""  # signatures are not thoughts


def test_reasoning_captures_count_thoughts_in_completion_tokens() -> None:
    stream, unary = answer("google-reasoning", "stream"), answer("google-reasoning", "unary")
    assert stream.text == unary.text == STRAWBERRY
    assert stream.usage == Usage(9, 29 + 256, (294,))
    assert unary.usage == Usage(9, 29 + 282, (320,))
    only_unary = expect(CORPUS["google-reasoning-gemini3"])
    assert only_unary.stream == only_unary.unary  # streamed as its one answer
    assert answer("google-reasoning-gemini3", "unary").usage == Usage(9, 29 + 258, (296,))


@pytest.mark.parametrize(
    ("name", "usage"),
    [
        ("google-tool-call", (Usage(29, 15 + 45, (89,)), Usage(29, 15 + 893, (937,)))),
        ("google-tool-call-gemini3", (Usage(29, 15 + 1801, (1845,)),) * 2),
    ],
)
def test_tool_call_captures(name: str, usage: tuple[Usage, Usage]) -> None:
    e = expect(CORPUS[name])
    assert e.tools == ("weather",)
    assert not e.streamed_args
    for got, want in zip((e.stream, e.unary), usage, strict=True):
        assert isinstance(got, Answer)
        assert got.tool_calls == (ToolCall("weather", {"location": "San Francisco"}),)
        assert got.text == ""  # the streamed closing empty text part adds nothing
        assert got.finish_reasons == ("tool_calls",)
        assert got.usage == want


def test_the_429_capture_wants_a_429_with_retry_after_rounded_up() -> None:
    e = expect(CORPUS["google-429-retry-info"])
    assert (
        e.stream
        == e.unary
        == ErrorAnswer((429,), "RateLimitError", "RESOURCE_EXHAUSTED", "rate_limit_error", 35, 34.4)
    )


def test_every_bundled_capture_has_a_meaning() -> None:
    for capture in CORPUS.values():
        e = expect(capture)
        assert e.name == capture.name
        assert isinstance(e.stream, Answer | ErrorAnswer)


# --- edge cases ----------------------------------------------------------------------------


def chunk(*parts: dict[str, Any], finish: str | None = None, **top: Any) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        cand["finishReason"] = finish
    return {"candidates": [cand], **top}


def fc(**fields: Any) -> dict[str, Any]:
    return {"functionCall": fields}


def streamed(*chunks: dict[str, Any]) -> Answer:
    got = expect(Capture("edge", chunks=chunks)).stream
    assert isinstance(got, Answer)
    return got


def test_partial_args_nested_paths_typed_values_and_string_pieces() -> None:
    pieces: list[dict[str, Any]] = [
        {"jsonPath": "$.a.b", "stringValue": "he", "willContinue": True},
        {"jsonPath": "$.n", "numberValue": 3},
        {"jsonPath": "$.a.b", "stringValue": "llo"},
        {"jsonPath": "$.x[1]", "boolValue": False},
        {"jsonPath": "$.f", "numberValue": 1.5},
        {"jsonPath": "$['odd key']", "nullValue": "NULL_VALUE"},
        {"jsonPath": "$.a.b", "stringValue": "new"},  # not continued: a new value replaces
    ]
    assert assemble_partial_args(pieces) == {
        "a": {"b": "new"},
        "n": 3,
        "x": [None, False],
        "f": 1.5,
        "odd key": None,
    }


def test_partial_args_on_top_of_args() -> None:
    assert assemble_partial_args([{"jsonPath": "$.b", "stringValue": "x"}], {"a": 1}) == {
        "a": 1,
        "b": "x",
    }


@pytest.mark.parametrize("path", ["a", "$..a", "$.a[*]", "$[?@.a]", "$.a[0:2]"])
def test_json_paths_other_than_a_single_location_are_refused(path: str) -> None:
    with pytest.raises(ExpectationError, match="jsonPath"):
        parse_json_path(path)


def test_a_call_without_args_has_empty_arguments() -> None:
    got = streamed(chunk(fc(name="now"), finish="STOP"))
    assert got.tool_calls == (ToolCall("now", {}),)
    assert got.finish_reasons == ("tool_calls",)


def test_a_streamed_call_left_open_at_the_end_still_counts() -> None:
    got = streamed(
        chunk(fc(name="f", willContinue=True)),
        chunk(fc(partialArgs=[{"jsonPath": "$.q", "stringValue": "v"}], willContinue=True)),
    )
    assert got.tool_calls == (ToolCall("f", {"q": "v"}),)


def test_thought_parts_are_reasoning_not_content() -> None:
    got = streamed(
        chunk({"text": "hmm ", "thought": True}),
        chunk({"text": "thinking", "thought": True}, {"text": "Answer"}),
        chunk({"text": "", "thoughtSignature": "c2ln"}, finish="STOP"),
    )
    assert (got.text, got.reasoning) == ("Answer", "hmm thinking")


@pytest.mark.parametrize(
    ("google", "calls", "openai"),
    [
        ("STOP", False, ("stop",)),
        ("STOP", True, ("tool_calls",)),
        (None, False, ("stop",)),
        ("MAX_TOKENS", True, ("length",)),
        ("SAFETY", False, ("content_filter",)),
        ("RECITATION", False, ("content_filter",)),
        ("PROHIBITED_CONTENT", False, ("content_filter",)),
        ("BLOCKLIST", False, ("content_filter",)),
        ("SPII", False, ("content_filter",)),
        ("MALFORMED_FUNCTION_CALL", False, ("stop", "content_filter")),
        ("OTHER", False, ("stop", "content_filter")),
    ],
)
def test_finish_reasons(google: str | None, calls: bool, openai: tuple[str, ...]) -> None:
    assert finish_reason_of(google, calls) == openai


def test_a_prompt_block_is_content_filter_or_a_clean_refusal() -> None:
    got = streamed(
        {
            "promptFeedback": {"blockReason": "SAFETY"},
            "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
        }
    )
    assert got.finish_reasons == ("content_filter",)
    assert got.refusal_ok
    assert got.text == ""
    assert got.usage == Usage(7, 0, (7,))


def test_a_usage_only_chunk_gives_the_usage() -> None:
    got = streamed(
        chunk({"text": "Hi"}, finish="STOP"),
        {"usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 1, "totalTokenCount": 3}},
    )
    assert got.text == "Hi"
    assert got.usage == Usage(2, 1, (3,))


def test_an_inconsistent_total_accepts_either_sum() -> None:
    got = streamed(
        chunk(
            {"text": "x"},
            finish="STOP",
            usageMetadata={
                "promptTokenCount": 5,
                "candidatesTokenCount": 2,
                "toolUsePromptTokenCount": 4,
                "totalTokenCount": 11,
            },
        )
    )
    # the tool-use prompt tokens are input Google bills: prompt_tokens 5 or 5 + 4
    assert got.usage == Usage(5, 2, (11, 7), (5, 9))


def test_thoughts_counted_inside_the_candidates_accept_either_completion() -> None:
    """gemini-2.5-flash-preview-04-17 (pydantic-ai's cassette test_model_thinking_part):
    ``totalTokenCount`` 2320 = prompt 801 + candidates 1519, with 794 thoughts inside the
    1519 (3,180 characters of visible text). completion_tokens 1519 is right, and so is
    the usual candidates + thoughts."""
    from conformance.checks.captures import compare

    meta = {
        "promptTokenCount": 801,
        "candidatesTokenCount": 1519,
        "thoughtsTokenCount": 794,
        "totalTokenCount": 2320,
    }
    got = streamed(chunk({"text": "x"}, finish="STOP", usageMetadata=meta))
    assert got.usage == Usage(801, 1519, (2320, 3114), completions=(1519, 2313), thoughts=794)

    def diffs(completion: int, total: int) -> list[str]:
        usage = {"prompt_tokens": 801, "completion_tokens": completion, "total_tokens": total}
        seen: dict[str, Any] = {"content": "x", "reasoning": None, "tool_calls": []}
        seen |= {"finish_reason": "stop", "usage": usage}
        return compare(got, seen)

    assert diffs(1519, 2320) == []
    assert diffs(2313, 3114) == []
    assert diffs(725, 1526) == [
        "usage.completion_tokens: expected 1519 or 2313, got 725",
        "usage.total_tokens: expected 2320 or 3114, got 1526",
    ]
    # a total that counts the thoughts apart: candidates alone leave them out
    meta["totalTokenCount"] = 3114
    assert streamed(chunk({"text": "x"}, finish="STOP", usageMetadata=meta)).usage == Usage(
        801, 2313, (3114,)
    )


def test_no_counts_no_usage_expectation() -> None:
    got = streamed(chunk({"text": "x"}, finish="STOP", usageMetadata={"trafficType": "ON_DEMAND"}))
    assert got.usage is None


def test_only_candidate_zero_counts() -> None:
    two = {
        "candidates": [
            {"index": 1, "content": {"parts": [{"text": "other"}]}},
            {"index": 0, "content": {"parts": [{"text": "mine"}]}, "finishReason": "STOP"},
        ]
    }
    assert streamed(two).text == "mine"


@pytest.mark.parametrize(
    ("status", "grpc", "statuses", "exception"),
    [
        (400, "INVALID_ARGUMENT", (400,), "BadRequestError"),
        (403, "PERMISSION_DENIED", (403, 401), "PermissionDeniedError"),
        (404, "NOT_FOUND", (404,), "NotFoundError"),
        (503, "UNAVAILABLE", tuple(range(500, 600)), "InternalServerError"),
    ],
)
def test_error_statuses(status: int, grpc: str, statuses: tuple[int, ...], exception: str) -> None:
    body = {"error": {"code": status, "message": "m", "status": grpc}}
    got = expect(Capture("err", error=body, status=status)).unary
    assert isinstance(got, ErrorAnswer)
    assert (got.statuses, got.exception, got.retry_after_min_s) == (statuses, exception, None)


def _suspended(status: int, grpc: str, reason: str) -> dict[str, Any]:
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}
    return {"error": {"code": status, "message": "m", "status": grpc, "details": [info]}}


@pytest.mark.parametrize(
    ("status", "grpc", "reason"),
    [
        (403, "PERMISSION_DENIED", "CONSUMER_SUSPENDED"),
        (400, "INVALID_ARGUMENT", "API_KEY_INVALID"),
        (401, "UNAUTHENTICATED", "ACCESS_TOKEN_TYPE_UNSUPPORTED"),
    ],
)
def test_an_unusable_credential_may_be_the_clients_or_the_proxys(
    status: int, grpc: str, reason: str
) -> None:
    """Behind a proxy with its own keys the credential is the proxy's (a 5xx, the
    reference's 502); behind a pass-through one it is the client's (401 or 403)."""
    got = expect(Capture("err", error=_suspended(status, grpc, reason), status=status)).unary
    assert isinstance(got, ErrorAnswer)
    assert got.status == status
    assert {401, 403, 502, 503}.issubset(got.statuses)
    assert got.exception_for(502) == "InternalServerError"
    assert got.exception_for(401) == "AuthenticationError"
    assert got.exception_for(404) == got.exception  # not accepted: the canonical class


def test_a_plain_permission_error_is_no_5xx() -> None:
    body = {"error": {"code": 403, "message": "m", "status": "PERMISSION_DENIED"}}
    got = expect(Capture("err", error=body, status=403)).unary
    assert isinstance(got, ErrorAnswer)
    assert 502 not in got.statuses
    assert got.exception_for(401) == "AuthenticationError"


@pytest.mark.parametrize(("delay", "want"), [("34.4s", 35), ("17s", 17), ("0.2s", 1)])
def test_retry_delay_rounds_up(delay: str, want: int) -> None:
    body = {
        "error": {
            "code": 429,
            "status": "RESOURCE_EXHAUSTED",
            "message": "m",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}],
        }
    }
    got = expect(Capture("err", error=body, status=429)).stream
    assert isinstance(got, ErrorAnswer)
    assert got.retry_after_min_s == want


def test_an_unreadable_path_names_the_capture() -> None:
    bad = chunk(fc(name="f", partialArgs=[{"jsonPath": "$.a[*]", "stringValue": "x"}]))
    with pytest.raises(ExpectationError, match="capture 'edge'"):
        expect(Capture("edge", chunks=(bad,)))


# --- the differential comparison (conformance.checks.captures.compare) -----------------------


def got_like(expected: Answer, **changes: Any) -> dict[str, Any]:
    """What a faithful proxy's answer reads like to openai-python, with ``changes``."""
    u = expected.usage
    out: dict[str, Any] = {
        "content": expected.text,
        "reasoning": "",
        "tool_calls": [c.as_json() for c in expected.tool_calls],
        "finish_reason": expected.finish_reason,
        "usage": None
        if u is None
        else {
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "total_tokens": u.totals[0],
        },
    }
    out.update(changes)
    return out


def test_a_faithful_answer_has_no_difference() -> None:
    from conformance.checks.captures import compare

    for name in CORPUS:
        for form in ("stream", "unary"):
            expected = getattr(expect(CORPUS[name]), form)
            if isinstance(expected, Answer):
                assert compare(expected, got_like(expected)) == []


@pytest.mark.parametrize(
    ("changes", "difference"),
    [
        (
            {
                "tool_calls": [
                    {"name": "getWeather", "arguments": {}},
                    {"name": "", "arguments": {}},
                ]
            },
            'tool_calls[0].arguments: expected {"location": "Boston"}, got {}',
        ),
        ({"tool_calls": []}, "tool_calls: expected 2 (getWeather, getWeather), got 0 (none)"),
        ({"finish_reason": "stop"}, "finish_reason: expected 'tool_calls', got 'stop'"),
        ({"usage": None}, "usage: expected"),
        (
            {"usage": {"prompt_tokens": 26, "completion_tokens": 23, "total_tokens": 181}},
            "usage.completion_tokens: expected 155, got 23",
        ),
        ({"content": "{}"}, 'content: expected "", got "{}"'),
        ({"reasoning": "thinking"}, 'reasoning: the capture has no thoughts, got "thinking"'),
    ],
)
def test_each_difference_is_named(changes: dict[str, Any], difference: str) -> None:
    from conformance.checks.captures import compare

    expected = answer("google-stream-tool-call-arguments", "stream")
    diffs = compare(expected, got_like(expected, **changes))
    assert any(d.startswith(difference) for d in diffs), diffs


def test_tool_use_prompt_tokens_may_count_as_prompt_tokens() -> None:
    from conformance.checks.captures import compare

    expected = Answer("x", usage=Usage(5, 2, (11, 7), (5, 9)))
    for prompt, total in ((5, 7), (5, 11), (9, 11)):
        usage = {"prompt_tokens": prompt, "completion_tokens": 2, "total_tokens": total}
        assert compare(expected, got_like(expected, usage=usage)) == []
    usage = {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
    assert compare(expected, got_like(expected, usage=usage)) == [
        "usage.prompt_tokens: expected 5 or 9, got 7",
        "usage.total_tokens: expected 11 or 7, got 9",
    ]


def test_image_parts_may_show_as_markdown_images() -> None:
    from conformance.checks.captures import compare

    image = {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    expected = streamed(chunk({"text": "Here it is."}, image, finish="STOP"))
    assert (expected.text, expected.images) == ("Here it is.", 1)
    for shown in ("Here it is.", "Here it is.![image](http://h/i.png)", "Here it is.\n\n![](x)\n"):
        assert compare(expected, got_like(expected, content=shown)) == [], shown
    for wrong in ("Here it is.![a](x)![b](y)", "Here it was.![image](x)", "![image](x)"):
        assert compare(expected, got_like(expected, content=wrong)), wrong
    plain = Answer("Here it is.")
    assert compare(plain, got_like(plain, content="Here it is.![image](x)"))


def test_code_execution_parts_may_be_dropped_or_shown_but_text_may_not() -> None:
    from conformance.checks.captures import compare

    code = {"executableCode": {"language": "PYTHON", "code": "print(1/0)"}}
    result = {"codeExecutionResult": {"outcome": "OUTCOME_FAILED", "output": "ZeroDivisionError"}}
    expected = streamed(
        chunk({"text": "Let me run it.\n"}, code, result, {"text": "It failed."}, finish="STOP")
    )
    assert expected.text == "Let me run it.\nIt failed."
    assert expected.layout == ("Let me run it.\n", None, "It failed.")
    fenced = (
        "Let me run it.\n```python\nprint(1/0)\n```\n```output\nZeroDivisionError\n```\nIt failed."
    )
    for shown in ("Let me run it.\nIt failed.", "Let me run it. It failed.", fenced):
        assert compare(expected, got_like(expected, content=shown)) == [], shown
    for wrong in (
        "It failed.",  # a text part lost
        "Let me run it.\nIt failed.\n```python\nprint(1/0)\n```",  # something after the end
        "extra Let me run it.\nIt failed.",  # something before the first text
        "Let me run it.\nIt did not fail.",
        "",
    ):
        assert compare(expected, got_like(expected, content=wrong)), wrong
    assert streamed(chunk({"text": "a"}, {"text": "b"}, finish="STOP")).layout == ()
    # a thought's code is reasoning's business, not content's
    thought_code = {**code, "thought": True}
    assert streamed(chunk({"text": "a"}, thought_code, finish="STOP")).layout == ()


def test_an_answer_without_candidates_may_finish_with_null() -> None:
    from conformance.checks.captures import compare

    usage = {"promptTokenCount": 12, "candidatesTokenCount": 60, "totalTokenCount": 72}
    expected = streamed({"usageMetadata": usage})
    assert expected.finish_optional
    assert expected.as_json()["finish_reason"] == ["stop", None]
    for reason in ("stop", None):
        assert compare(expected, got_like(expected, finish_reason=reason)) == [], reason
    assert compare(expected, got_like(expected, finish_reason="length"))
    text = streamed(chunk({"text": "a"}))  # a candidate that never said why it stopped
    assert not text.finish_optional
    assert compare(text, got_like(text, finish_reason=None))


def test_reasoning_absent_is_tolerated_and_wrong_reasoning_is_not() -> None:
    from conformance.checks.captures import compare

    expected = Answer("Answer", reasoning="hmm")
    assert compare(expected, got_like(expected)) == []
    assert compare(expected, got_like(expected, reasoning="other")) == [
        'reasoning: expected "hmm", got "other"'
    ]


# --- the checks on hand-built exchanges (tests/capture_cases.py) ---------------------------


def test_every_capture_check_passes_on_faithful_exchanges() -> None:
    from conformance.registry import REGISTRY
    from tests.capture_cases import good_captures

    exchanges = good_captures()
    ids = [i for i in REGISTRY if i.startswith("captures.")]
    assert ids == [f"captures.{n}" for n in CORPUS]
    for check_id in ids:
        assert "match the capture" in str(REGISTRY[check_id].run(exchanges))


def test_every_capture_check_has_a_failing_case() -> None:
    from conformance.registry import REGISTRY
    from tests.capture_cases import BAD_CAPTURES

    covered = {c for c, _, _ in BAD_CAPTURES}
    assert sorted(i for i in REGISTRY if i.startswith("captures.") and i not in covered) == []


def _bad_ids() -> list[str]:
    from tests.capture_cases import BAD_CAPTURES

    return [f"{c}-{i}" for i, (c, _, _) in enumerate(BAD_CAPTURES)]


@pytest.mark.parametrize("case", range(len(_bad_ids())), ids=_bad_ids())
def test_capture_check_fails_on_bad_exchange(case: int) -> None:
    from conformance.registry import REGISTRY, CheckFailure
    from tests.capture_cases import BAD_CAPTURES, good_captures

    check_id, exchange, fragment = BAD_CAPTURES[case]
    exchanges = {**good_captures(), exchange.probe: exchange}
    with pytest.raises(CheckFailure) as info:
        REGISTRY[check_id].run(exchanges)
    assert info.value.message.startswith(f"capture {check_id.removeprefix('captures.')}: ")
    assert fragment in info.value.message
    assert "--- expected (openai-python) ---" in str(info.value.excerpt)


@pytest.fixture
def registries() -> Iterator[None]:
    """Restore the probe, check and capture registries (in place) after the test."""
    from conformance.probes import base as probe_base
    from conformance.probes import captures as capture_probes
    from conformance.registry import REGISTRY

    live: list[dict[str, Any]] = [
        probe_base.PROBES,
        REGISTRY,
        capture_probes.CAPTURES,
        capture_probes.EXPECTATIONS,
    ]
    kept = [(d, dict(d)) for d in live]
    yield
    for registry, saved in kept:
        registry.clear()
        registry.update(saved)


@pytest.mark.usefixtures("registries")
def test_add_captures_registers_a_directory_in_catalogue_order(tmp_path: Path) -> None:
    from conformance.checks.captures import add_captures
    from conformance.probes.base import PROBES
    from conformance.registry import REGISTRY

    (tmp_path / "zz-mine.json").write_text((BUNDLED / "google-text.json").read_text())
    for suffix in (".json", ".chunks.txt"):  # a bundled capture, unchanged
        name = f"google-text{suffix}"
        (tmp_path / name).write_text((BUNDLED / name).read_text())
    assert add_captures(tmp_path) == ["zz-mine"]
    ids = list(REGISTRY)
    last_bundled = max(ids.index(f"captures.{name}") for name in CORPUS)
    assert ids.index("captures.zz-mine") == last_bundled + 1
    assert ids[-1].startswith("properties.")  # the catalogue order holds
    assert "capture.zz-mine.stream" in PROBES
    # a newer recording under a bundled name replaces it, probes and check (as the mock's
    # --captures DIR does), keeping the catalogue order
    newer = {"candidates": [{"content": {"role": "model", "parts": [{"text": "newer"}]}}]}
    (tmp_path / "google-text.json").write_text(json.dumps(newer))
    assert add_captures(tmp_path) == ["google-text"]
    from conformance.probes.captures import CAPTURES, EXPECTATIONS

    assert CAPTURES["google-text"].unary == newer
    assert EXPECTATIONS["google-text"].unary.text == "newer"  # type: ignore[union-attr]
    assert "capture.google-text.stream" in PROBES
    assert "captures.google-text" in REGISTRY
    assert list(REGISTRY)[-1].startswith("properties.")


def test_a_capture_failure_names_the_root_cause_it_shares_with_others() -> None:
    """Thoughts left out of completion_tokens, or 'stop' for tool calls, fail every
    capture that shows them: with one cause they are one finding, as the scripted tool
    checks' 'stop' is; a failure that shows two known defects names both; one with a
    difference of no known cause stays a finding of its own."""
    from conformance.checks.captures import _cause, compare
    from conformance.checks.causes import THOUGHTS_LEFT_OUT, TOOL_CALLS_STOP, several
    from conformance.registry import REGISTRY, CheckFailure
    from tests.check_cases import CALLS, tool_message
    from tests.factories import completion, journal, json_exchange

    thinking = expect(CORPUS["google-reasoning"]).stream
    assert isinstance(thinking, Answer)
    assert thinking.usage is not None
    assert thinking.usage.thoughts > 0
    u = thinking.usage
    no_thoughts = {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens - u.thoughts,
        "total_tokens": u.totals[0],
    }
    diffs = compare(thinking, got_like(thinking, usage=no_thoughts))
    assert _cause([(diffs, thinking)]) == THOUGHTS_LEFT_OUT
    off_by_one = {**no_thoughts, "completion_tokens": u.completion_tokens - 1}
    assert _cause([(compare(thinking, got_like(thinking, usage=off_by_one)), thinking)]) is None

    tool = expect(CORPUS["google-tool-call"]).unary
    assert isinstance(tool, Answer)
    stop = compare(tool, got_like(tool, finish_reason="stop"))
    assert _cause([(stop, tool), (stop, tool)]) == TOOL_CALLS_STOP
    # two defects, each certain: both named, the report lists it under one of them
    assert _cause([(stop, tool), (diffs, thinking)]) == several(
        [TOOL_CALLS_STOP, THOUGHTS_LEFT_OUT]
    )
    assert _cause([(stop, tool), (["content: expected"], tool)]) is None

    with pytest.raises(CheckFailure) as scripted:
        REGISTRY["tools.call_shape"].func(
            json_exchange(
                "tool_calls",
                completion(tool_message(), finish="stop"),
                upstream=journal(function_calls=CALLS),
            )
        )
    assert scripted.value.cause == TOOL_CALLS_STOP


def test_no_usage_and_blocked_as_stop_are_one_finding_each() -> None:
    """lm-proxy 3.3.2 sends no usage and ends every answer 'stop': the usage checks and
    every capture that differs by its usage alone are one finding, the eight blocked
    checks another; a capture that also differs in its text stays a finding of its own."""
    from conformance.checks.captures import _cause, compare
    from conformance.checks.causes import BLOCKED_AS_STOP, NO_USAGE
    from conformance.registry import REGISTRY, CheckFailure
    from tests.factories import completion, json_exchange, sse, stream_exchange, text_chunks

    text = expect(CORPUS["google-text"]).unary
    assert isinstance(text, Answer)
    no_usage = compare(text, got_like(text, usage=None))
    assert no_usage
    assert _cause([(no_usage, text), (no_usage, text)]) == NO_USAGE
    other = compare(text, got_like(text, usage=None, content="None"))
    assert _cause([(other, text)]) is None

    unary = completion()
    del unary["usage"]
    with pytest.raises(CheckFailure) as chat_usage:
        REGISTRY["chat.usage"].func(json_exchange("chat", unary))
    assert chat_usage.value.cause == NO_USAGE
    with pytest.raises(CheckFailure) as stream_usage:
        REGISTRY["stream.usage_chunk"].func(
            stream_exchange("chat_stream_usage", sse(*text_chunks()))
        )
    assert stream_usage.value.cause == NO_USAGE

    with pytest.raises(CheckFailure) as safety:
        REGISTRY["blocked.safety"].func(json_exchange("safety", completion()))
    assert safety.value.cause == BLOCKED_AS_STOP
    with pytest.raises(CheckFailure) as streamed:
        REGISTRY["blocked.max_tokens.stream"].func(
            stream_exchange("max_tokens_stream", sse(*text_chunks()))
        )
    assert streamed.value.cause == BLOCKED_AS_STOP
    with pytest.raises(CheckFailure) as empty:
        REGISTRY["blocked.safety"].func(json_exchange("safety", completion(finish="length")))
    assert empty.value.cause is None  # another wrong finish is not this defect


@pytest.mark.usefixtures("registries")
def test_a_stream_without_a_finish_reason_may_be_taken_for_a_cut_one(tmp_path: Path) -> None:
    """pydantic-ai's test_google_no_finish_reason: Google answered generateContent with no
    finishReason. Streamed as its one chunk, a proxy may answer an error, as gemini-cli
    does for a stream that ends so; the unary answer must still arrive."""
    from conformance.checks.captures import add_captures
    from conformance.probes.captures import EXPECTATIONS, probe_names
    from conformance.registry import REGISTRY, CheckFailure
    from tests.capture_cases import answer_exchange
    from tests.factories import sse, stream_exchange

    recorded = {
        "candidates": [{"content": {"parts": [{"text": "Hello there!"}], "role": "model"}}],
        "usageMetadata": {"promptTokenCount": 7, "candidatesTokenCount": 11},
    }
    (tmp_path / "no-finish.json").write_text(json.dumps(recorded))
    assert add_captures(tmp_path) == ["no-finish"]
    e = EXPECTATIONS["no-finish"]
    assert isinstance(e.stream, Answer)
    assert isinstance(e.unary, Answer)
    assert (e.stream.cut_ok, e.unary.cut_ok) == (True, False)
    assert not answer("google-text", "stream").cut_ok  # a stream that finishes
    stream_probe, unary_probe = probe_names("no-finish")
    check = REGISTRY["captures.no-finish"].func

    def run(*exchanges: Exchange) -> str:
        return str(check(*exchanges))

    whole = answer_exchange(unary_probe, e.unary, False)
    assert "match the capture" in run(answer_exchange(stream_probe, e.stream, True), whole)
    assert "match the capture" in run(
        answer_exchange(stream_probe, e.stream, True, status=502), whole
    )
    event = sse(
        {"error": {"message": "the stream closed before a finishReason", "type": "x"}}, done=False
    )
    assert "match the capture" in run(stream_exchange(stream_probe, event), whole)
    with pytest.raises(CheckFailure, match="unary: HTTP 502"):
        run(
            answer_exchange(stream_probe, e.stream, True),
            answer_exchange(unary_probe, e.unary, False, status=502),
        )
    # the streamed answer, when given, is judged as usual
    with pytest.raises(CheckFailure, match="streamed: content: expected"):
        run(answer_exchange(stream_probe, e.stream, True, content="Hello"), whole)


def test_a_capture_refused_for_a_named_field_is_that_refusal() -> None:
    """lm-proxy 3.3.2 hands the OpenAI tools to its Gemini SDK, whose pydantic model
    refuses them (``tools.type  Extra inputs are not permitted``): every recorded tool
    call fails so, one finding (request refused for tools), not one per capture."""
    from dataclasses import replace

    from conformance.checks.causes import refused_fields
    from conformance.probes.captures import probe_names
    from conformance.registry import REGISTRY, CheckFailure
    from tests.factories import error_exchange

    message = (
        "2 validation errors for GenerateContentConfig\ntools.type\n  Extra inputs are "
        "not permitted [type=extra_forbidden]\ntools.function\n  Extra inputs are not "
        "permitted [type=extra_forbidden]"
    )
    stream_probe, unary_probe = probe_names("google-tool-call")
    refused = []
    for probe in (stream_probe, unary_probe):
        x = error_exchange(probe, 502, message)
        sent = {**x.request.json_body, "tools": [{"type": "function", "function": {}}]}
        body = json.dumps(sent).encode()
        refused.append(replace(x, request=replace(x.request, body=body, json_body=sent)))
    with pytest.raises(CheckFailure) as info:
        REGISTRY["captures.google-tool-call"].func(*refused)
    assert info.value.cause == refused_fields(["tools"])
    # the unary form refused with a bare 502 (lm-proxy): the same fields, the same cause
    bare = error_exchange(unary_probe, 502, "Error processing upstream provider response")
    with pytest.raises(CheckFailure) as mixed:
        REGISTRY["captures.google-tool-call"].func(refused[0], bare)
    assert mixed.value.cause == refused_fields(["tools"])
    # ... but not a unary answer that arrived and differs (a defect of its own)
    from conformance.probes.captures import EXPECTATIONS
    from tests.capture_cases import answer_exchange

    unary = EXPECTATIONS["google-tool-call"].unary
    assert isinstance(unary, Answer)
    wrong = answer_exchange(unary_probe, unary, False, finish="stop", content="x")
    with pytest.raises(CheckFailure) as differs:
        REGISTRY["captures.google-tool-call"].func(refused[0], wrong)
    assert differs.value.cause is None
    # an error that names no field stays a finding of its own
    plain = [error_exchange(p, 502, "upstream failed") for p in (stream_probe, unary_probe)]
    with pytest.raises(CheckFailure) as unnamed:
        REGISTRY["captures.google-tool-call"].func(*plain)
    assert unnamed.value.cause is None


def test_a_unary_request_streamed_upstream_is_held_to_the_chunks() -> None:
    """A proxy that answers a unary client by streaming from Gemini gets the capture's
    chunks from the mock, so its client is held to them, not to the recorded unary answer
    (zuisong/gemini-openai-proxy 0.15; the two recordings of google-text differ)."""
    from dataclasses import replace

    from conformance.probes.captures import EXPECTATIONS, probe_names
    from conformance.registry import REGISTRY, CheckFailure
    from tests.capture_cases import answer_exchange
    from tests.factories import journal

    e = EXPECTATIONS["google-text"]
    assert isinstance(e.stream, Answer)
    assert isinstance(e.unary, Answer)
    assert e.stream.text != e.unary.text
    stream_probe, unary_probe = probe_names("google-text")
    run = REGISTRY["captures.google-text"].func
    streamed = answer_exchange(stream_probe, e.stream, True)
    streamed_path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    unary = replace(
        answer_exchange(unary_probe, e.stream, False), upstream=journal(path=streamed_path)
    )
    assert "match the capture" in str(run(streamed, unary))
    with pytest.raises(CheckFailure, match="unary: content: expected"):
        run(streamed, replace(unary, upstream=journal()))  # generateContent: the unary one


def test_a_stream_that_did_not_ask_for_usage_is_not_held_to_it() -> None:
    """The capture probes ask for a usage chunk only where the profile claims one
    (gemini-cli-proxy does not): a stream without it then matches."""
    from conformance.probes.captures import EXPECTATIONS, probe_names
    from conformance.registry import REGISTRY
    from tests.capture_cases import answer_exchange, good_captures

    name = "google-tool-call"
    stream_probe = probe_names(name)[0]
    quiet = answer_exchange(
        stream_probe, EXPECTATIONS[name].stream, True, usage=None, usage_asked=False
    )
    exchanges = {**good_captures(), stream_probe: quiet}
    assert "match the capture" in str(REGISTRY[f"captures.{name}"].run(exchanges))


def test_a_unary_request_answered_with_a_stream_fails_and_does_not_crash() -> None:
    """A proxy that streams by default answers openai-python's create() with SSE, and
    the SDK hands back the text: a failure of the capture, not an error of the check."""
    from conformance.probes.captures import probe_names
    from conformance.registry import REGISTRY, CheckFailure
    from tests.capture_cases import good_captures
    from tests.factories import json_exchange, sse, text_chunks

    name = "google-text"
    unary_probe = probe_names(name)[1]
    streamed = json_exchange(unary_probe, sse(*text_chunks()), content_type="text/event-stream")
    with pytest.raises(CheckFailure) as info:
        REGISTRY[f"captures.{name}"].run({**good_captures(), unary_probe: streamed})
    assert "openai-python cannot read the answer" in info.value.message
    assert "not a ChatCompletion" in info.value.message
