"""The field-mode checks (conformance.checks.field): each passes on what a correct proxy
passes along from a real model (tests/field_cases.py) and fails on a hand-built broken
exchange; a model that disobeys twice is undecided, never failed."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers the catalogue)
from conformance.exchange import Exchange
from conformance.oracles_node import NodeOutcome
from conformance.probes import PROBES
from conformance.probes.basic import pick_thinking_model
from conformance.probes.field import (
    FIELD_PROBES,
    REASONING_DOORS,
    RETRY_UNLESS,
    TOKEN_ESTIMATES,
    answer_calls,
    gemini3_model,
    pick_gemini3_model,
    pick_plain_model,
    plain_model,
    reasoning_model,
)
from conformance.registry import REGISTRY, CheckFailure, NotApplicable, Undecided
from conformance.runner import FIELD_CONTROLLED, plan, reads_field_probes
from conformance.session import usage_tokens
from conformance.target import Target
from spec.profiles import get_profile
from tests.check_cases import good
from tests.factories import chunk, completion, sse
from tests.field_cases import (
    AI_SDK_OK,
    FIELD_TARGET,
    answer,
    field_good,
    list_stream,
    think_completion,
    think_stream,
    tool_completion,
    tool_stream,
    with_node,
    with_result_turn,
)

FIELD_IDS = sorted(
    i for i, spec in REGISTRY.items() if spec.area == "field" or reads_field_probes(spec)
)
"""The field catalogue: ``field.*`` and the black-box twins that read only field probes
(``clients.openai_*.field_*``, ``stream.reasoning_before_content``...)."""


def run(check_id: str, **swap: Exchange) -> str | None:
    exchanges = {**field_good(), **swap}
    return REGISTRY[check_id].run(exchanges)


def named(body: Any, second: Any | None = None) -> Exchange:
    first = answer("field_tool_named", body)
    if second is None:
        return first
    return with_result_turn(first, second)


def required(raw: bytes, second: Any | None = None) -> Exchange:
    first = answer("field_tool_required_stream", raw)
    return first if second is None else with_result_turn(first, second)


WEATHER = [("get_weather", {"location": "Paris"})]
TEXT = completion({"role": "assistant", "content": "18 C, cloudy."})
NO_CALL = completion({"role": "assistant", "content": "I cannot look that up."})


LOST_SIGNATURE = {
    "error": {
        "message": "Function call is missing a thought_signature in functionCall parts.",
        "type": "invalid_request_error",
    }
}


def gemini3(second: Any, *, status: int = 200, first_status: int = 200) -> Exchange:
    """``field_tool_gemini3``: a tool call (or ``first_status`` with an error), then the
    tool-result turn answered ``status`` with ``second``."""
    if first_status != 200:
        return answer("field_tool_gemini3", LOST_SIGNATURE, status=first_status)
    first = answer("field_tool_gemini3", tool_completion(WEATHER))
    x = with_result_turn(first, second)
    return replace(x, status=status)


def _unindexed() -> bytes:
    raw = tool_stream([("get_time", {"timezone": "Asia/Tokyo"})]).decode()
    return raw.replace('"index": 0, ', "").encode()


def _name_repeated() -> bytes:
    raw = tool_stream([("get_time", {"timezone": "Asia/Tokyo"})]).decode()
    return raw.replace(
        '{"index": 0, "function": {"arguments"',
        '{"index": 0, "function": {"name": "get_time", "arguments"',
    ).encode()


def _id_repeated() -> bytes:
    raw = tool_stream([("get_time", {"timezone": "Asia/Tokyo"})]).decode()
    return raw.replace(
        '{"index": 0, "function": {"arguments"',
        '{"index": 0, "id": "call_again", "function": {"arguments"',
    ).encode()


def _burst(pieces: int = 8) -> Exchange:
    x = answer("field_long_stream", list_stream(pieces=pieces))
    return replace(x, chunks=tuple((0.9, piece) for _, piece in x.chunks))


def replace_finish(body: dict[str, Any], finish: str) -> dict[str, Any]:
    body["choices"][0]["finish_reason"] = finish
    return body


def _leaky(content: str) -> Exchange:
    return answer("field_think_effort", think_completion(content))


BILLED = {
    "prompt_tokens": 9,
    "completion_tokens": 50,
    "total_tokens": 59,
    "completion_tokens_details": {"reasoning_tokens": 45},
}
BILLED_UNARY = completion({"role": "assistant", "content": "391"}, usage=BILLED)
BILLED_STREAM = sse(chunk({"content": "391"}), chunk({}, "stop"), chunk(choices=[], usage=BILLED))


def doors(unary: Any, streamed: bytes) -> dict[str, Exchange]:
    """Every reasoning door answered alike (``unary`` body, ``streamed`` SSE)."""
    return {p: answer(p, streamed if PROBES[p].stream else unary) for p in REASONING_DOORS}


NODE_BROKEN = NodeOutcome(
    "openai-node 5", "SyntaxError: Unexpected end of JSON input", "SyntaxError"
)
NODE_FIELD = {
    "clients.openai_node.field_tool_named": "field_tool_named",
    "clients.openai_node.field_tool_stream": "field_tool_required_stream",
    "clients.openai_node.field_parallel_stream": "field_parallel_stream",
    "clients.openai_node.field_tool_result": "field_tool_required_stream",
    "clients.openai_node.field_think": "field_think_effort",
    "clients.openai_node.field_think_stream": "field_think_effort_stream",
    "clients.openai_node.field_structured": "field_structured",
    "clients.openai_node.field_n": "field_n",
    "clients.openai_node.field_long_stream": "field_long_stream",
    "clients.openai_node.field_image": "field_image",
}
"""openai-node check -> a probe whose broken replay it must report."""
AI_SDK_BROKEN = NodeOutcome(
    "@ai-sdk/openai-compatible 3.0.97",
    "InvalidResponseDataError: Response stream ended without a finish reason.",
    "InvalidResponseDataError",
)
AI_SDK_FIELD = {
    "clients.ai_sdk.field_tool_stream": "field_tool_required_stream",
    "clients.ai_sdk.field_parallel_stream": "field_parallel_stream",
    "clients.ai_sdk.field_think_stream": "field_think_effort_stream",
    "clients.ai_sdk.field_long_stream": "field_long_stream",
}
"""AI SDK check -> a probe whose broken replay it must report."""
PARTS: Any = [{"type": "text", "text": "Red."}]
"""``content`` as a list of parts: the SDKs read it as they got it, not as text."""
LATE_THOUGHTS = sse(
    chunk({"role": "assistant", "reasoning_content": "**Multiplying** 17 * 20 = 340"}),
    chunk({"content": "17 * 23 = 391."}),
    chunk({"reasoning_content": " and 17 * 3 = 51."}),
    chunk({}, "stop"),
)


def _arguments_as(raw: str) -> dict[str, Any]:
    body = tool_completion(WEATHER)
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = raw
    return body


def _truncated_event(probe: str) -> Exchange:
    """``probe``'s good stream with one event's JSON cut short."""
    x = field_good()[probe]
    at, piece = x.chunks[1]
    cut = piece[: len(piece) // 2] + b"\n\n"
    return replace(x, chunks=(x.chunks[0], (at, cut), *x.chunks[2:]))


def _portkey_call(n: int, city: str) -> dict[str, Any]:
    arguments = json.dumps({"location": city})
    function = {"name": "get_weather", "arguments": arguments}
    return {"index": 0, "id": f"portkey-{n}", "type": "function", "function": function}


PORTKEY_PARALLEL = sse(
    chunk({"role": "assistant", "tool_calls": [_portkey_call(1, "Paris")]}),
    chunk({"role": "assistant", "tool_calls": [_portkey_call(2, "Tokyo")]}, "tool_calls"),
)
"""Two calls, one per chunk, both at index 0 with their own ids: a client merges them."""


BAD_FIELD: list[tuple[str, dict[str, Exchange], str]] = [
    (
        "field.tool_call_forced",
        {"field_tool_named": named(tool_completion([("get_time", {"timezone": "UTC"})]), TEXT)},
        "named 'get_weather'",
    ),
    (
        "field.tool_arguments_schema",
        {"field_tool_named": named(tool_completion([("get_weather", {"city": "Paris"})]), TEXT)},
        "do not validate",
    ),
    (
        "field.tool_finish_reason",
        {
            "field_tool_named": named(
                replace_finish(tool_completion(WEATHER), "stop"),
                TEXT,
            )
        },
        "expected exactly ['tool_calls']",
    ),
    (
        "field.tool_stream_index",
        {"field_tool_required_stream": required(_unindexed(), TEXT)},
        "index",
    ),
    (
        "field.tool_stream_ids",
        {"field_tool_required_stream": required(_name_repeated(), TEXT)},
        "repeats the name of tool call 0 ('get_time'); openai-python and the @ai-sdk "
        "accumulators append it (name 'get_time' + 'get_time')",
    ),
    (
        "field.tool_stream_ids",
        {"field_tool_required_stream": required(_id_repeated(), TEXT)},
        "sends another id, 'call_again', under the index of tool call 0",
    ),
    (
        "field.gemini3_signature_round_trip",
        {"field_tool_gemini3": gemini3(LOST_SIGNATURE, status=400)},
        "with the assistant turn sent back as received, got HTTP 400 (the thought signature "
        "was lost); every agent loop on Gemini 3 stops here",
    ),
    (
        "field.parallel_tool_calls",
        {
            "field_parallel_stream": answer(
                "field_parallel_stream",
                tool_stream(
                    [("get_weather", {"location": "Paris"}), ("get_weather", {"location": "Tokyo"})]
                ).replace(b'"call_1"', b'"call_0"'),
            )
        },
        "share ids",
    ),
    (
        # Portkey's gateway 1.15: Gemini's parallel calls, one per chunk, each at index 0
        "field.parallel_tool_calls",
        {"field_parallel_stream": answer("field_parallel_stream", PORTKEY_PARALLEL)},
        "assemble into 1 call(s), although they carry several calls",
    ),
    (
        "field.tool_stream_ids",
        {"field_parallel_stream": answer("field_parallel_stream", PORTKEY_PARALLEL)},
        "chunk 1 sends another id, 'portkey-2', under the index of tool call 0 (whose id is "
        "'portkey-1'): a second call on the same index",
    ),
    (
        "field.tool_result_turn",
        {
            "field_tool_named": replace(
                with_result_turn(
                    answer("field_tool_named", tool_completion(WEATHER)),
                    {"error": {"message": "Function call is missing a thought_signature"}},
                ),
                status=400,
            )
        },
        "HTTP 400",
    ),
    (
        "field.no_thought_markers",
        {"field_think_effort": _leaky("<think>17*20=340</think>391")},
        "<think>",
    ),
    (
        "field.reasoning_effort_accepted",
        {
            "field_think_effort": answer(
                "field_think_effort",
                {"error": {"message": "Unrecognized request argument: reasoning_effort"}},
                status=400,
            )
        },
        "HTTP 400",
    ),
    ("field.reasoning_content", doors(BILLED_UNARY, BILLED_STREAM), "no door brings its thoughts"),
    (
        "field.structured_output",
        {
            "field_structured": answer(
                "field_structured",
                completion({"role": "assistant", "content": '```json\n{"city": "Tokyo"}\n```'}),
            )
        },
        "not JSON",
    ),
    (
        "field.n_choices",
        {"field_n": answer("field_n", completion({"role": "assistant", "content": "Red"}))},
        "indexes [0], expected [0, 1]",
    ),
    (
        "field.stop_sequence",
        {
            "field_stop": answer(
                "field_stop",
                completion({"role": "assistant", "content": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"}),
            )
        },
        "contains the stop string",
    ),
    (
        "field.length_finish",
        {
            "field_length": answer(
                "field_length", completion({"role": "assistant", "content": "The old keeper"})
            )
        },
        "expected ['length']",
    ),
    (
        "field.max_tokens_finish",
        {
            "field_length_max_tokens": answer(
                "field_length_max_tokens",
                completion({"role": "assistant", "content": "Once upon a time, " * 40}),
            )
        },
        "max_tokens 5: the cap did not take effect: the 300-word story came back with 160 words",
    ),
    (
        "field.image_input",
        {
            "field_image": answer(
                "field_image",
                {"error": {"message": "image_url is not supported", "type": "invalid_request"}},
                status=400,
            )
        },
        "HTTP 400",
    ),
    ("field.stream_not_buffered", {"field_long_stream": _burst()}, "one burst"),
    *[
        (check_id, {probe: with_node(field_good()[probe], NODE_BROKEN)}, "openai-node cannot")
        for check_id, probe in NODE_FIELD.items()
    ],
    *[
        (
            check_id,
            {probe: with_node(field_good()[probe], ai_sdk=AI_SDK_BROKEN)},
            "without a finish reason",
        )
        for check_id, probe in AI_SDK_FIELD.items()
    ],
    (
        "clients.openai_python.field_tool_named",
        {"field_tool_named": named(_arguments_as('{"location": Paris}'), TEXT)},
        "do not parse",
    ),
    (
        "clients.openai_python.field_tool_stream",
        {"field_tool_required_stream": required(_unindexed(), TEXT)},
        "cannot consume",
    ),
    (
        "clients.openai_python.field_parallel_stream",
        {
            "field_parallel_stream": answer(
                "field_parallel_stream",
                tool_stream(
                    [("get_weather", {"location": "Paris"}), ("get_weather", {"location": "Tokyo"})]
                ).replace(b'"call_1"', b'"call_0"'),
            )
        },
        "ids ['call_0', 'call_0']",
    ),
    (
        "clients.openai_python.field_tool_result",
        {"field_tool_named": named(tool_completion(WEATHER), completion({"role": "assistant"}))},
        "the user sees no answer",
    ),
    (
        "clients.openai_python.field_think",
        {"field_think_effort": answer("field_think_effort", think_completion(PARTS))},
        "the user sees no answer",
    ),
    (
        "clients.openai_python.field_think_stream",
        {"field_think_effort_stream": _truncated_event("field_think_effort_stream")},
        "cannot consume",
    ),
    (
        "clients.openai_python.field_long_stream",
        {"field_long_stream": _truncated_event("field_long_stream")},
        "cannot consume",
    ),
    (
        "clients.openai_python.parse_field_structured",
        {
            "field_structured": answer(
                "field_structured",
                completion({"role": "assistant", "content": '```json\n{"city": "Tokyo"}\n```'}),
            )
        },
        "parse() cannot read",
    ),
    (
        "clients.openai_python.field_n",
        {"field_n": answer("field_n", completion({"role": "assistant", "content": "Red"}))},
        "reads 1 choice(s)",
    ),
    (
        "clients.openai_python.field_image",
        {"field_image": answer("field_image", completion({"role": "assistant", "content": PARTS}))},
        "the user sees no answer",
    ),
    (
        "stream.reasoning_before_content",
        {"field_think_effort_stream": answer("field_think_effort_stream", LATE_THOUGHTS)},
        "after the answer started",
    ),
    (
        "reasoning.reasoning_tokens_shown",
        {
            "field_think_effort": answer(
                "field_think_effort", completion(think_completion()["choices"][0]["message"])
            )
        },
        "reasoning_tokens=None",
    ),
    (
        "reasoning.answer_in_content",
        doors(think_completion(""), think_stream("")),
        "every answer with thoughts",
    ),
]
BAD_FIELD += [
    (
        "field.tool_call_without_args",
        {
            "field_tool_no_args": answer(
                "field_tool_no_args",
                {"error": {"message": "Error converting to valid response block='args'"}},
                status=422,
            )
        },
        "got HTTP 422",
    ),
    (
        "field.tool_call_without_args",
        {
            "field_tool_no_args_stream": answer(
                "field_tool_no_args_stream",
                sse(
                    chunk({"role": "assistant", "content": None}),
                    {"error": {"message": "litellm.APIConnectionError: 'args'"}},
                    done=False,
                ),
            )
        },
        "with a stream that holds only an error event",
    ),
    (
        "field.tool_call_without_args",
        {
            "field_tool_no_args": answer(
                "field_tool_no_args",
                json.loads(
                    json.dumps(tool_completion([("get_current_time", {})])).replace(
                        '"arguments": "{}"', '"arguments": ""'
                    )
                ),
            )
        },
        "arguments are ''",
    ),
]
BAD_FIELD += [
    (
        "field.developer_role",
        {
            "field_developer_role": answer(
                "field_developer_role",
                completion({"role": "assistant", "content": "I have no codename on record."}),
            )
        },
        "the message never reached the model",
    ),
    (
        "field.developer_role",
        {
            "field_developer_role": answer(
                "field_developer_role",
                {"error": {"message": "Invalid role 'developer'", "type": "invalid_request_error"}},
                status=400,
            )
        },
        "got HTTP 400",
    ),
]
"""(check id, exchanges swapped into the good set, text the failure message contains)."""


def test_every_field_probe_has_a_good_exchange_and_an_estimate() -> None:
    assert set(field_good()) == set(FIELD_PROBES)
    assert set(TOKEN_ESTIMATES) == set(FIELD_PROBES)
    assert set(RETRY_UNLESS) <= set(FIELD_PROBES)


@pytest.mark.parametrize("check_id", FIELD_IDS)
def test_passes_on_a_real_model_answer(check_id: str) -> None:
    run(check_id)


_LEGACY_CALL = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
LEGACY_UNARY = completion(
    {"role": "assistant", "content": None, "function_call": _LEGACY_CALL}, "function_call"
)
"""A call as the legacy ``function_call`` (zuisong/gemini-openai-proxy 0.15's answer)."""
LEGACY_STREAM = sse(
    chunk({"role": "assistant", "function_call": {"name": "get_weather", "arguments": ""}}),
    chunk({"function_call": {"arguments": '{"location": "Paris"}'}}),
    chunk({}, "function_call"),
)
BAD_FIELD += [
    ("field.tool_call_forced", {"field_tool_named": named(LEGACY_UNARY)}, "legacy `function_call`"),
    (
        "field.tool_call_forced",
        {"field_tool_required_stream": required(LEGACY_STREAM)},
        "the model called get_weather",
    ),
    (
        "field.parallel_tool_calls",
        {"field_parallel_stream": answer("field_parallel_stream", LEGACY_STREAM)},
        "legacy `function_call`",
    ),
    (  # the AI SDK reads no call from it: its agent never runs the tool
        "clients.ai_sdk.field_tool_stream",
        {"field_tool_required_stream": with_node(required(LEGACY_STREAM))},
        "assembles 0 tool call(s)",
    ),
]


def test_a_legacy_function_call_is_the_model_obeying() -> None:
    """The model called the tool; the proxy put the call in the legacy shape: the field
    session does not ask again, and the result-turn check leaves it to the call check."""
    for probe, body in (
        ("field_tool_named", LEGACY_UNARY),
        ("field_parallel_stream", LEGACY_STREAM),
    ):
        assert RETRY_UNLESS[probe](answer(probe, body)) is None
    assert RETRY_UNLESS["field_tool_named"](answer("field_tool_named", completion())) is not None
    for check_id in (
        "field.tool_result_turn",
        "clients.openai_python.field_tool_result",
        "clients.openai_node.field_tool_result",
    ):
        with pytest.raises(NotApplicable, match="legacy function_call"):
            run(check_id, field_tool_named=named(LEGACY_UNARY))


@pytest.mark.parametrize(("check_id", "swap", "says"), BAD_FIELD, ids=[c[0] for c in BAD_FIELD])
def test_fails_on_a_broken_exchange(check_id: str, swap: dict[str, Exchange], says: str) -> None:
    with pytest.raises(CheckFailure) as failure:
        run(check_id, **swap)
    assert says in failure.value.message


def test_every_field_check_has_a_failing_case() -> None:
    assert sorted({c[0] for c in BAD_FIELD}) == FIELD_IDS


@pytest.mark.parametrize(
    ("check_id", "probe", "disobeying"),
    [
        ("field.tool_call_forced", "field_tool_named", NO_CALL),
        ("field.tool_result_turn", "field_tool_named", NO_CALL),
        ("field.tool_stream_index", "field_tool_required_stream", sse(chunk({"content": "No."}))),
        (
            "field.parallel_tool_calls",
            "field_parallel_stream",
            tool_stream([("get_weather", {"location": "Paris"})]),
        ),
        ("field.stop_sequence", "field_stop", completion({"role": "assistant", "content": "one"})),
        (
            "field.stream_not_buffered",
            "field_long_stream",
            sse(chunk({"content": "1. Apple"}), chunk({}, "stop")),
        ),
    ],
)
def test_disobeyed_model_is_undecided(check_id: str, probe: str, disobeying: Any) -> None:
    """Two attempts without the shape asked for (the session's retry): undecided."""
    first = answer(probe, disobeying)
    retried = replace(answer(probe, disobeying), previous=(first,))
    assert RETRY_UNLESS[probe](retried) is not None
    with pytest.raises(Undecided, match=r"2 attempt\(s\)"):
        run(check_id, **{probe: retried})


def test_a_retry_that_obeys_is_judged() -> None:
    """The first attempt disobeyed, the retry called: the retry is judged (and passes)."""
    first = answer("field_tool_named", NO_CALL)
    x = field_good()["field_tool_named"]
    x = replace(x, previous=(first, *x.previous))
    for check_id in ("field.tool_call_forced", "field.tool_result_turn"):
        run(check_id, field_tool_named=x)


def test_reasoning_content_is_undecided_when_nothing_shows_thinking() -> None:
    plain = doors(
        completion({"role": "assistant", "content": "391"}),
        sse(chunk({"content": "391"}), chunk({}, "stop")),
    )
    with pytest.raises(Undecided, match="no answer bills reasoning tokens"):
        run("field.reasoning_content", **plain)


def test_thought_tokens_kept_only_in_the_total_show_the_model_thought() -> None:
    """Gemini's total counts the thoughts: a proxy that drops them from
    completion_tokens (and shows none) keeps them in total_tokens; the gap is the
    evidence (openai-gemini's answers: 28 = 5 + 12 + 11 thought tokens)."""
    gap = {"prompt_tokens": 5, "completion_tokens": 12, "total_tokens": 28}
    hidden = doors(
        completion({"role": "assistant", "content": "391"}, usage=gap),
        sse(chunk({"content": "391"}), chunk({}, "stop"), chunk(choices=[], usage=gap)),
    )
    with pytest.raises(CheckFailure, match=r"none \(11 total_tokens above prompt"):
        run("field.reasoning_content", **hidden)
    even = {"prompt_tokens": 5, "completion_tokens": 23, "total_tokens": 28}
    summed = doors(
        completion({"role": "assistant", "content": "391"}, usage=even),
        sse(chunk({"content": "391"}), chunk({}, "stop"), chunk(choices=[], usage=even)),
    )
    with pytest.raises(Undecided):  # no reasoning_tokens and no gap: nothing shows thinking
        run("field.reasoning_content", **summed)


def test_thoughts_only_in_reasoning_fail() -> None:
    misplaced = completion({"role": "assistant", "content": "391", "reasoning": "17*20=340"})
    streamed = sse(chunk({"reasoning": "17*20=340"}), chunk({"content": "391"}), chunk({}, "stop"))
    with pytest.raises(CheckFailure, match="never in `reasoning_content`"):
        run("field.reasoning_content", **doors(misplaced, streamed))


@pytest.mark.parametrize(
    "content",
    [
        "<thinking>carry the one</thinking>\n391",
        "Thinking...\n17*20=340\n\n391",
        "17*20 = 340, 17*3 = 51\n\n|>391",
    ],
)
def test_thought_markers_fail(content: str) -> None:
    with pytest.raises(CheckFailure, match="leak"):
        run("field.no_thought_markers", field_think_effort=_leaky(content))


@pytest.mark.parametrize(
    "content", ["17 * 23 = 391.", "**Answer:** 391\n\nThinking of it as 17*20 + 17*3.", "391"]
)
def test_plain_answers_have_no_markers(content: str) -> None:
    run("field.no_thought_markers", field_think_effort=_leaky(content))


def test_n_refused_clearly_passes() -> None:
    refused = answer(
        "field_n",
        {"error": {"message": "n > 1 is not supported", "type": "invalid_request_error"}},
        status=400,
    )
    run("field.n_choices", field_n=refused)


def test_one_content_chunk_for_the_whole_list_is_buffering() -> None:
    x = answer("field_long_stream", list_stream(pieces=1))
    with pytest.raises(CheckFailure, match="one content chunk"):
        run("field.stream_not_buffered", field_long_stream=x)


def test_unusable_stream_entries_are_one_failure() -> None:
    """An entry without an index is field.tool_stream_index's failure only."""
    x = required(_unindexed(), TEXT)
    with pytest.raises(NotApplicable, match="tool_stream_index"):
        REGISTRY["field.tool_call_forced"].func(x)


def test_tool_result_turn_echoes_the_calls() -> None:
    x = field_good()["field_tool_named"]
    messages = x.request.json_body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["id"] == messages[2]["tool_call_id"] == "call_0"
    assert x.request.json_body["tool_choice"] == "auto"


def test_field_probes_carry_no_directive_black_box() -> None:
    for name in FIELD_PROBES:
        body = PROBES[name].build(FIELD_TARGET, "cid").body or b""
        assert b"[[mock:" not in body, name


def test_answer_calls_counts_the_calls_under_a_reused_index() -> None:
    """The model made two calls (two ids) although the proxy gave both index 0: the
    probe's retry rule must see two, so the checks judge the shape instead of calling
    the model disobedient."""
    calls = answer_calls(answer("field_parallel_stream", PORTKEY_PARALLEL))
    assert [(c["id"], c["arguments"]) for c in calls] == [
        ("portkey-1", '{"location": "Paris"}'),
        ("portkey-2", '{"location": "Tokyo"}'),
    ]


def test_answer_calls_is_lenient() -> None:
    raw = sse(chunk({"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{}"}}]}))
    assert answer_calls(answer("field_parallel_stream", raw)) == [
        {"id": "a", "name": "f", "arguments": "{}"}
    ]


def test_model_choice() -> None:
    listed = frozenset({"models/gemini-2.0-flash", "gemini-2.5-pro", "gemini-embedding-001"})
    assert pick_plain_model(listed, "gemini-2.5-flash") == "gemini-2.0-flash"
    assert pick_plain_model(listed, "gemini-2.0-flash-lite") == "gemini-2.0-flash-lite"
    assert pick_plain_model(frozenset({"gemini-2.5-pro"}), "gemini-2.5-flash") == "gemini-2.5-flash"
    assert pick_thinking_model(listed, "gemini-2.0-flash") == "gemini-2.5-pro"
    target = replace(FIELD_TARGET, model="gemini-2.0-flash", listed_models=listed)
    assert reasoning_model(target) == "gemini-2.5-pro"
    assert reasoning_model(replace(target, reasoning_model="gemini-3-pro-preview")) == (
        "gemini-3-pro-preview"
    )
    assert plain_model(target) == "gemini-2.0-flash"


def test_usage_tokens() -> None:
    assert usage_tokens(answer("field_n", completion(usage={"total_tokens": 42}))) == 42
    assert usage_tokens(field_good()["field_long_stream"]) == 20
    assert usage_tokens(answer("field_n", {"error": {}}, status=500)) is None
    no_usage = sse(chunk({"content": "hi"}), chunk({}, "stop"))
    assert usage_tokens(answer("field_long_stream", no_usage)) is None


def test_field_checks_are_skipped_in_controlled_mode() -> None:
    controlled = Target(
        "http://127.0.0.1:1", get_profile("openai-core"), mock_url="http://127.0.0.1:2"
    )
    the_plan = plan(controlled, select=["field."])
    assert the_plan.checks == ()
    assert set(the_plan.skipped.values()) == {FIELD_CONTROLLED}
    assert plan(controlled, select=FIELD_IDS).checks == ()
    black_box = plan(FIELD_TARGET, select=FIELD_IDS)
    assert {s.id for s in black_box.checks} == set(FIELD_IDS)
    assert set(FIELD_PROBES) <= set(black_box.probes)


def test_black_box_report_splits_and_says_how_to_get_the_rest() -> None:
    from reports.records import Outcome, ResultRecord, RunInfo
    from reports.render_model import GET_THE_REST, coverage, report_view

    def rec(check_id: str, outcome: Outcome, message: str = "") -> ResultRecord:
        return ResultRecord(
            check_id, "t", check_id.split(".")[0], "high", "docs/field-mode.md", "openai-core",
            "t", "black-box", outcome, message,
        )  # fmt: skip

    records = [
        rec("field.n_choices", Outcome.PASSED),
        rec("field.stop_sequence", Outcome.ERROR, "the model did not count"),
        rec("tools.call_shape", Outcome.SKIPPED, "needs controlled mode (--mock-url): ..."),
        rec("embeddings.shape", Outcome.SKIPPED, "profile x does not claim embeddings"),
    ]
    run_info = RunInfo("http://127.0.0.1:1", "openai-core", "black-box", "2026-01-01T00:00:00")
    split = coverage(run_info, records)
    assert split is not None
    assert (split.black_box, split.controlled, split.other) == (2, 1, 1)
    assert coverage(replace(run_info, mode="controlled"), records) is None
    view = report_view(replace(run_info, tokens_spent=1234, tokens_estimate=900), records)
    assert view.coverage == split
    assert view.run.tokens_spent == 1234
    assert "--captures" in GET_THE_REST
    assert "mockserver" in GET_THE_REST


def test_a_silent_thinking_model_is_undecided_for_the_sdk_checks() -> None:
    """A real thinking model sometimes answers with empty text: undecided, not failed."""
    silent = answer("field_think_effort", think_completion(""))
    with pytest.raises(Undecided, match="empty text"):
        run("clients.openai_python.field_think", field_think_effort=silent)
    streamed = answer("field_think_effort_stream", think_stream(""))
    with pytest.raises(Undecided, match="empty text"):
        run("clients.openai_python.field_think_stream", field_think_effort_stream=streamed)


def test_one_door_without_content_is_undecided() -> None:
    one = answer("field_think_model", think_completion(""))
    with pytest.raises(Undecided, match="may answer with empty text"):
        run("reasoning.answer_in_content", field_think_model=one)


def test_no_thoughts_make_the_thought_rules_moot() -> None:
    plain = answer("field_think_effort_stream", sse(chunk({"content": "391"}), chunk({}, "stop")))
    with pytest.raises(NotApplicable, match="no reasoning_content"):
        REGISTRY["stream.reasoning_before_content"].func(plain)
    unary = answer("field_think_effort", completion({"role": "assistant", "content": "391"}))
    with pytest.raises(NotApplicable, match="no thoughts"):
        REGISTRY["reasoning.reasoning_tokens_shown"].func(unary)


def test_sdk_tool_checks_wait_for_an_obedient_model() -> None:
    first = answer("field_tool_named", NO_CALL)
    retried = replace(answer("field_tool_named", NO_CALL), previous=(first,))
    for check_id in (
        "clients.openai_python.field_tool_named",
        "clients.openai_python.field_tool_result",
        "clients.openai_node.field_tool_named",
    ):
        with pytest.raises(Undecided, match=r"2 attempt\(s\)"):
            run(check_id, field_tool_named=with_node(retried))


def test_attach_node_replays_the_call_turn_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The forced call (the first turn, in ``previous``) and the answer to the tool
    results (the recorded exchange) are each replayed, and each outcome lands on the
    exchange it was replayed from."""
    import conformance.runner as runner

    seen: list[tuple[str, str, str]] = []

    def replay(items: Any, ai_sdk: Any = ()) -> dict[str, NodeOutcome]:
        out = {}
        for x, how in items:
            seen.append((x.probe, how, x.content_type))
            error = "TypeError: call" if x.probe.endswith("#call-turn") else None
            out[x.probe] = NodeOutcome("openai-node 5", error, error and "TypeError")
            if x.probe in ai_sdk:
                error = "InvalidResponseDataError: no name" if error else None
                out[x.probe + "@ai-sdk"] = NodeOutcome("ai-sdk 3", error, error and "X")
        return out

    monkeypatch.setattr(runner, "node_unavailable", lambda: None)
    monkeypatch.setattr(runner, "ai_sdk_unavailable", lambda: None)
    monkeypatch.setattr(runner, "replay_openai_node", replay)
    good = {
        n: replace(x, node=None, previous=tuple(replace(p, node=None) for p in x.previous))
        for n, x in field_good().items()
    }
    runner.attach_node(good)
    assert ("field_tool_named#call-turn", "create", "application/json") in seen
    assert ("field_tool_required_stream#call-turn", "stream", "text/event-stream") in seen
    named_x = good["field_tool_named"]
    assert isinstance(named_x.node, NodeOutcome)
    assert named_x.node.ok
    assert isinstance(named_x.previous[-1].node, NodeOutcome)
    assert not named_x.previous[-1].node.ok
    with pytest.raises(CheckFailure, match="TypeError: call"):
        REGISTRY["clients.openai_node.field_tool_named"].run(good)
    REGISTRY["clients.openai_node.field_tool_result"].run(good)
    # the AI SDK replays the streamed call turn too, and its outcome lands there
    required = good["field_tool_required_stream"]
    assert isinstance(required.ai_sdk, NodeOutcome)
    assert required.ai_sdk.ok
    with pytest.raises(CheckFailure, match=r"provider cannot consume .* no name"):
        REGISTRY["clients.ai_sdk.field_tool_stream"].run(good)
    REGISTRY["clients.ai_sdk.field_long_stream"].run(good)


def test_gemini3_model_pick() -> None:
    listed = {
        "gemini-2.5-flash",
        "models/gemini-3-pro-preview",
        "gemini-3-pro-image-preview",
        "gemini-3.1-flash-lite-preview",
        "gemini-3-flash-preview",
    }
    assert pick_gemini3_model(listed, "gemini-2.5-flash") == "gemini-3-flash-preview"
    assert pick_gemini3_model(listed, "models/gemini-3.1-pro") == "gemini-3.1-pro"
    assert pick_gemini3_model({"gemini-3.1-flash-lite-preview"}, "x") == (
        "gemini-3.1-flash-lite-preview"
    )
    assert pick_gemini3_model({"models/gemini-3-pro-preview"}, "x") == "gemini-3-pro-preview"
    assert pick_gemini3_model({"gemini-2.5-pro", "gemma-3-27b-it"}, "gemini-2.5-flash") is None
    assert pick_gemini3_model(None, "gemini-2.5-flash") is None


def test_gemini3_probe_is_skipped_without_a_gemini3_model() -> None:
    requires = PROBES["field_tool_gemini3"].requires
    assert requires is not None
    assert "no Gemini 3 model" in (requires(FIELD_TARGET) or "")
    listed = replace(FIELD_TARGET, listed_models=frozenset({"gemini-3-flash-preview"}))
    assert requires(listed) is None
    assert gemini3_model(listed) == "gemini-3-flash-preview"
    body = PROBES["field_tool_gemini3"].build(listed, "cid").json_body
    assert body["model"] == "gemini-3-flash-preview"


def test_gemini3_result_turn_sends_the_message_back_as_received() -> None:
    """The signature rides in the echoed message: only the proxy can lose it."""
    x = field_good()["field_tool_gemini3"]
    assistant = x.request.json_body["messages"][1]
    assert assistant["tool_calls"][0]["extra_content"]["google"]["thought_signature"]


@pytest.mark.parametrize(
    ("x", "outcome", "says"),
    [
        (gemini3(None, first_status=503), Undecided, "busy"),
        (gemini3(None, first_status=404), NotApplicable, "does not serve this model"),
        (gemini3({"error": {"message": "overloaded"}}, status=503), Undecided, "busy"),
    ],
)
def test_gemini3_round_trip_blames_no_one_for_a_busy_or_absent_model(
    x: Exchange, outcome: type[Exception], says: str
) -> None:
    with pytest.raises(outcome, match=says):
        run("field.gemini3_signature_round_trip", field_tool_gemini3=x)


def test_gemini3_round_trip_fails_on_a_server_error_naming_the_signature() -> None:
    with pytest.raises(CheckFailure, match="HTTP 503 \\(the thought signature was lost\\)"):
        run(
            "field.gemini3_signature_round_trip",
            field_tool_gemini3=gemini3(LOST_SIGNATURE, status=503),
        )


def test_a_refused_reasoning_door_is_not_a_stream_failure() -> None:
    """LiteLLM refuses Google's extra_body door with a 400 (found black-box): the door
    is one of several (field.reasoning_content), streaming works, so stream.content_type
    does not fail on it; a field stream's 5xx and a plain stream's 400 still fail."""
    refused = {"error": {"message": 'Unknown name "google"', "type": "invalid_request_error"}}
    exchanges = {
        **good(),
        **field_good(),
        "field_think_google_stream": answer("field_think_google_stream", refused, status=400),
    }
    content_type = REGISTRY["stream.content_type"]
    content_type.run(exchanges)
    REGISTRY["field.reasoning_content"].run(exchanges)
    broken = {**exchanges, "field_long_stream": answer("field_long_stream", refused, status=500)}
    with pytest.raises(CheckFailure, match="HTTP 500"):
        content_type.run(broken)
    plain = {**exchanges, "chat_stream": answer("field_long_stream", refused, status=400)}
    plain["chat_stream"] = replace(plain["chat_stream"], probe="chat_stream")
    with pytest.raises(CheckFailure, match="HTTP 400"):
        content_type.run(plain)


GOOGLE_REFUSAL = [
    {
        "error": {
            "code": 400,
            "message": 'Invalid JSON payload received. Unknown name "parallel_tool_calls": '
            "Cannot find field.",
            "status": "INVALID_ARGUMENT",
        }
    }
]


def test_a_refusal_names_the_field_it_refuses_and_is_one_finding() -> None:
    """Google's own endpoint refuses ``parallel_tool_calls``: the tool checks whose probe
    sends it say so (not that ``tool_choice`` was refused), with the cause the OpenAI-only
    fields check gives the same refusal, so the report shows one finding."""
    refused = answer("field_parallel_stream", GOOGLE_REFUSAL, status=400)
    causes = set()
    for check_id in ("field.tool_call_forced", "field.parallel_tool_calls"):
        with pytest.raises(CheckFailure) as failure:
            run(check_id, field_parallel_stream=refused)
        assert "(the answer refuses `parallel_tool_calls`)" in failure.value.message
        causes.add(failure.value.cause)
    kitchen = answer("kitchen_sink", GOOGLE_REFUSAL, status=400)
    with pytest.raises(CheckFailure) as failure:
        REGISTRY["requests.openai_only_fields"].run({**good(), "kitchen_sink": kitchen})
    assert "refusing `parallel_tool_calls`" in failure.value.message
    causes.add(failure.value.cause)
    assert causes == {"request refused for parallel_tool_calls"}


def test_a_refusal_about_the_messages_names_no_field() -> None:
    said = {"error": {"message": "'messages' must not be empty", "type": "invalid_request_error"}}
    with pytest.raises(CheckFailure) as failure:
        run(
            "field.tool_call_forced",
            field_parallel_stream=answer("field_parallel_stream", said, status=400),
        )
    assert "refuses" not in failure.value.message
    assert failure.value.cause is None


def test_a_continuation_delta_is_not_a_call_the_ai_sdk_lost() -> None:
    """A call split over two deltas without an index, the second with only arguments
    (no id, no name), is one call: the AI SDK reads one, and that is all it carries."""
    split = sse(
        chunk(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location":'},
                    }
                ],
            }
        ),
        chunk({"tool_calls": [{"function": {"arguments": '"Paris"}'}}]}),
        chunk({}, "tool_calls"),
    )
    one = replace(AI_SDK_OK, calls=1)
    x = with_node(required(split), ai_sdk=one)
    run("clients.ai_sdk.field_tool_stream", field_tool_required_stream=x)
    zero = with_node(required(split), ai_sdk=replace(AI_SDK_OK, calls=0, chunks=7))
    with pytest.raises(CheckFailure, match="assembles 0 tool call"):
        run("clients.ai_sdk.field_tool_stream", field_tool_required_stream=zero)
