"""The reference's translators on real Gemini answers (spec/captures/, issue 13).

Every bundled capture goes through :class:`~reference_impl.translate.StreamTranslator`
(its chunks, also inside Code Assist envelopes) and :func:`translate_response` (its
unary answer, the chunks as the JSON array of a non-SSE stream, and the chunks joined
into one ``generateContent`` answer); what openai-python makes of the output (its own
stream accumulator, ``ChatCompletionStreamState``) must equal what the capture means:
text, reasoning, tool calls with parsed arguments, finish_reason, usage. The expected
meanings are written out by hand from the capture files, not computed by the code under
test. Then the rules one by one: partialArgs paths and value kinds, the delta shapes,
usage-only streams.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from reference_impl.translate import ProxyError, StreamTranslator, translate_response
from reference_impl.translate.calls import CallAssembler, apply_partial_args, parse_json_path
from reference_impl.translate.response import join_stream
from reference_impl.upstream.client import unwrap
from spec.capture_format import BUNDLED, load_dir

CAPTURES = load_dir(BUNDLED)


@dataclass(frozen=True)
class Meaning:
    """What an OpenAI client reads from one answer."""

    text: str
    reasoning: str
    calls: tuple[tuple[str, dict[str, Any]], ...]
    finish: str
    usage: tuple[int, int, int, int]
    """prompt, completion, total, reasoning tokens."""


def _usage(prompt: int, candidates: int, thoughts: int) -> tuple[int, int, int, int]:
    return (prompt, candidates + thoughts, prompt + candidates + thoughts, thoughts)


def _said(name: str, *, thought: bool) -> str:
    """The text parts of a bundled stream joined, its thought parts or its answer's
    (read from the recording: a story too long to copy here)."""
    chunks = CAPTURES[name].chunks or ()
    return "".join(
        part.get("text", "")
        for chunk in chunks
        for part in chunk["candidates"][0]["content"]["parts"]
        if bool(part.get("thought")) is thought
    )


STRAWBERRY = 'There are **3** "r"s in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.'
SF = (("weather", {"location": "San Francisco"}),)

NO_ARGS_THOUGHTS = (
    "**Processing User Requests**\n\nI've started by understanding the user's instructions. "
    "Currently, I'm focusing on the initial steps: reading the specified theme using the "
    'appropriate tool. Next, I plan to tackle reading the screens, beginning with screen "A," '
    'then proceeding with "B" and "C" in parallel as instructed.\n\n\n'
)
CODE_RAN = (
    "The code execution resulted in the following output:\n\n```\nok\n```\n\n"
    "Followed by an error:\n\n```python\nZeroDivisionError: division by zero\n```"
)

STREAMED: dict[str, Meaning] = {
    "google-text": Meaning(
        'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y',
        "",
        (),
        "stop",
        _usage(9, 23, 185),
    ),
    "google-reasoning": Meaning(STRAWBERRY, "", (), "stop", _usage(9, 29, 256)),
    "google-tool-call": Meaning("", "", SF, "tool_calls", _usage(29, 15, 45)),
    "google-stream-tool-call-arguments": Meaning(
        "",
        "",
        (("getWeather", {"location": "Boston"}), ("getWeather", {"location": "San Francisco"})),
        "tool_calls",
        _usage(26, 23, 132),
    ),
    "google-stream-no-args-tool-call": Meaning(
        "",
        NO_ARGS_THOUGHTS,
        (
            ("read_theme", {}),
            ("read_screen", {"id": "A"}),
            ("read_screen", {"id": "B"}),
            ("read_screen", {"id": "C"}),
        ),
        "tool_calls",
        _usage(249, 58, 183),
    ),
    # finishReason STOP on the code chunk mid-stream, the text after it; the tool-use
    # prompt tokens (901) count as prompt tokens
    "pydantic-code-execution-stream": Meaning(
        "The result is -428,330,955.97745.", "", (), "stop", (947, 528, 1475, 396)
    ),
    # gemini-2.5-flash: both calls in one chunk, which also finishes the candidate
    "mirascope-parallel-tool-calls-stream.0": Meaning(
        "",
        "",
        (
            ("secret_retrieval_tool", {"password": "mellon"}),
            ("secret_retrieval_tool", {"password": "radiance"}),
        ),
        "tool_calls",
        _usage(70, 40, 61),
    ),
    # gemini-3.5-flash: two thought-summary chunks, then the story in 30 chunks
    "openinference-gemini3-thoughts-stream": Meaning(
        _said("openinference-gemini3-thoughts-stream", thought=False),
        _said("openinference-gemini3-thoughts-stream", thought=True),
        (),
        "stop",
        _usage(11, 703, 713),
    ),
    # gemini-3.5-flash: one call per chunk, Google's ids, an empty closing chunk
    "openinference-gemini3-parallel-calls-stream": Meaning(
        "",
        "",
        (("get_weather", {"location": "Boston"}), ("get_weather", {"location": "New Delhi"})),
        "tool_calls",
        _usage(71, 33, 93),
    ),
    "mirascope-parallel-tool-calls-stream.1": Meaning(
        'The secrets associated with the passwords "mellon" and "radiance" are '
        '"Welcome to Moria!" and "Life before Death" respectively.',
        "",
        (),
        "stop",
        _usage(211, 30, 0),
    ),
    "project-prompt-block": Meaning("", "", (), "content_filter", _usage(12, 0, 0)),
    "project-safety-stop": Meaning(
        "Here is how the reaction works in general terms",
        "",
        (),
        "content_filter",
        _usage(14, 9, 0),
    ),
}
UNARY: dict[str, Meaning] = {
    "google-text": Meaning(
        "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.",
        "",
        (),
        "stop",
        _usage(9, 28, 244),
    ),
    "google-reasoning": Meaning(STRAWBERRY, "", (), "stop", _usage(9, 29, 282)),
    "google-reasoning-gemini3": Meaning(STRAWBERRY, "", (), "stop", _usage(9, 29, 258)),
    "google-tool-call": Meaning("", "", SF, "tool_calls", _usage(29, 15, 893)),
    "google-tool-call-gemini3": Meaning("", "", SF, "tool_calls", _usage(29, 15, 1801)),
    # the code parts have no OpenAI field: the text alone; the tool-use prompt tokens
    # (289) count as prompt tokens, so the total adds up
    "google-code-execution-multiple-results": Meaning(CODE_RAN, "", (), "stop", (312, 35, 347, 0)),
    "project-prompt-block": Meaning("", "", (), "content_filter", _usage(12, 0, 0)),
    "project-safety-stop": Meaning("", "", (), "content_filter", _usage(14, 0, 0)),
}
SIGNED_CALLS = {
    # capture -> the thoughtSignature prefix each tool call must carry (None: unsigned)
    "google-tool-call": ("EqUCCqICAb4+",),
    "mirascope-parallel-tool-calls-stream.0": ("CikB0e2Kbw5t", None),
    "openinference-gemini3-parallel-calls-stream": ("EvsDCvgDAQw5", None),
    "google-stream-tool-call-arguments": ("CiMBjz1rX25K", None),
}


def test_the_tables_cover_the_corpus() -> None:
    """A capture added to the corpus needs its expected meaning here."""
    assert set(STREAMED) == {n for n, c in CAPTURES.items() if c.chunks is not None}
    assert set(UNARY) == {n for n, c in CAPTURES.items() if c.unary is not None}
    assert {n for n, c in CAPTURES.items() if c.is_error} == {"google-429-retry-info"}


def _ids() -> Any:
    counter = itertools.count()
    return lambda: f"call_{next(counter)}"


def stream_chunks(events: Any, *, include_usage: bool = True) -> list[dict[str, Any]]:
    t = StreamTranslator(model="m", created=1, include_usage=include_usage, new_id=_ids())
    out = [c for e in events for c in t.feed(e)]
    return out + t.finish()


def meaning_of_message(message: Any, finish: str, usage: Any) -> Meaning:
    calls = tuple(
        (tc.function.name, json.loads(tc.function.arguments)) for tc in message.tool_calls or ()
    )
    extra = message.model_extra or {}
    assert usage is not None
    details = usage.completion_tokens_details
    return Meaning(
        message.content or "",
        extra.get("reasoning_content") or "",
        calls,
        finish,
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            details.reasoning_tokens if details else 0,
        ),
    )


def parse_stream(chunks: list[dict[str, Any]]) -> Meaning:
    """What openai-python's own accumulator makes of the chunks."""
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    try:
        final: Any = state.get_final_completion()
    except openai.ContentFilterFinishReasonError:
        # the SDK's stream helper raises on content_filter by design; the snapshot holds
        # what it accumulated before raising
        final = state.current_completion_snapshot
    assert len(final.choices) == 1
    choice = final.choices[0]
    return meaning_of_message(choice.message, choice.finish_reason, final.usage)


def parse_unary(completion: dict[str, Any]) -> Meaning:
    parsed = ChatCompletion.model_validate(completion)
    assert len(parsed.choices) == 1
    choice = parsed.choices[0]
    return meaning_of_message(choice.message, choice.finish_reason, parsed.usage)


def code_assist(answer: dict[str, Any]) -> dict[str, Any]:
    """The Code Assist envelope around an answer (docs/gemini-wire.md A7)."""
    return {"response": json.loads(json.dumps(answer)), "traceId": "trace-1"}


# --------------------------------------------------------------------------- the corpus


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_streamed_capture_means_what_google_sent(name: str) -> None:
    chunks = CAPTURES[name].chunks
    assert chunks is not None
    assert parse_stream(stream_chunks(chunks)) == STREAMED[name]


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_streamed_capture_through_code_assist_envelopes(name: str) -> None:
    chunks = CAPTURES[name].chunks
    assert chunks is not None
    events = [unwrap(code_assist(c)) for c in chunks]
    assert parse_stream(stream_chunks(events)) == STREAMED[name]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_capture_means_what_google_sent(name: str) -> None:
    unary = CAPTURES[name].unary
    assert unary is not None
    completion = translate_response(unary, model="m", created=1, new_id=_ids())
    assert parse_unary(completion) == UNARY[name]
    wrapped = translate_response(unwrap(code_assist(unary)), model="m", created=1)
    assert parse_unary(wrapped) == UNARY[name]
    if UNARY[name].calls:
        assert completion["choices"][0]["message"]["content"] is None


@pytest.mark.parametrize("name", sorted(STREAMED))
@pytest.mark.parametrize("form", ["json-array", "code-assist-array", "joined"])
def test_stream_capture_in_unary_forms(name: str, form: str) -> None:
    """The chunks as a non-SSE stream's JSON array (bare or in Code Assist envelopes),
    and joined into one generateContent answer, mean what the stream means."""
    chunks = list(CAPTURES[name].chunks or ())
    body: object
    if form == "json-array":
        body = chunks
    elif form == "code-assist-array":
        body = unwrap([code_assist(c) for c in chunks])
    else:
        body = join_stream(chunks)
    assert parse_unary(translate_response(body, model="m", created=1)) == STREAMED[name]


@pytest.mark.parametrize("name", sorted(SIGNED_CALLS))
def test_tool_call_signatures_are_kept(name: str) -> None:
    """Each call's thoughtSignature rides in extra_content and is handed to the
    signature cache under the call's id (streamed arguments included)."""
    chunks = CAPTURES[name].chunks
    assert chunks is not None
    t = StreamTranslator(model="m", created=1, include_usage=False, new_id=_ids())
    out = [c for e in chunks for c in t.feed(e)] + t.finish()
    firsts = [
        tc
        for c in out
        for ch in c["choices"]
        for tc in ch["delta"].get("tool_calls") or ()
        if "id" in tc
    ]
    expected = SIGNED_CALLS[name]
    assert len(firsts) == len(expected)
    for tc, prefix in zip(firsts, expected, strict=True):
        sig = (tc.get("extra_content") or {}).get("google", {}).get("thought_signature")
        assert (sig[:12] if sig else None) == prefix
    assert [(i, s[:12]) for i, s in t.signatures] == [
        (tc["id"], p) for tc, p in zip(firsts, expected, strict=True) if p
    ]
    unary = translate_response(join_stream(chunks), model="m", created=1)
    calls = unary["choices"][0]["message"]["tool_calls"]
    got = [c.get("extra_content", {}).get("google", {}).get("thought_signature") for c in calls]
    assert [s[:12] if s else None for s in got] == list(expected)


def test_streamed_arguments_delta_shapes() -> None:
    """One index per call in order; id, type and name once, on the call's first delta;
    the arguments text of every call parses to the assembled object."""
    chunks = CAPTURES["google-stream-tool-call-arguments"].chunks
    assert chunks is not None
    deltas = [
        tc
        for c in stream_chunks(chunks)
        for ch in c["choices"]
        for tc in ch["delta"].get("tool_calls") or ()
    ]
    assert [d["index"] for d in deltas] == [0, 0, 1, 1]
    assert [d.get("id") for d in deltas] == ["call_0", None, "call_1", None]
    assert [d["function"].get("name") for d in deltas] == ["getWeather", None, "getWeather", None]
    assert [d.get("type") for d in deltas] == ["function", None, "function", None]
    args = ["".join(d["function"]["arguments"] for d in deltas if d["index"] == i) for i in (0, 1)]
    assert [json.loads(a) for a in args] == [{"location": "Boston"}, {"location": "San Francisco"}]


def test_signature_only_text_part_gives_no_empty_delta() -> None:
    """google-reasoning ends with {"text": "", "thoughtSignature"}: no content delta
    beyond the opening one, and the finish chunk still comes."""
    chunks = CAPTURES["google-reasoning"].chunks
    assert chunks is not None
    out = stream_chunks(chunks, include_usage=False)
    contents = [c["choices"][0]["delta"].get("content") for c in out]
    assert contents == [
        "",
        'There are **3** "r"s in',
        chunks[1]["candidates"][0]["content"]["parts"][0]["text"],
        None,
    ]
    assert out[-1]["choices"][0]["finish_reason"] == "stop"


def test_real_top_level_fields_do_not_leak() -> None:
    """serviceTier, trafficType, createTime, modelVersion pass through harmlessly:
    the chunks carry only OpenAI fields; responseId becomes the id."""
    chunks = CAPTURES["google-stream-tool-call-arguments"].chunks
    assert chunks is not None
    extra = [{**c, "serviceTier": "standard"} for c in chunks]
    out = stream_chunks(extra)
    assert {k for c in out for k in c} == {"id", "object", "created", "model", "choices", "usage"}
    assert {c["id"] for c in out} == {"chatcmpl-dqHOab6xGLzWodAPkPuViA4"}
    unary = translate_response(
        {**(CAPTURES["google-text"].unary or {}), "serviceTier": "flex"}, model="m", created=1
    )
    assert set(unary) == {"id", "object", "created", "model", "choices", "usage"}


# --------------------------------------------------------------------------- usage-only


USAGE_ONLY = {
    "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7, "trafficType": "ON_DEMAND"},
    "modelVersion": "gemini-3.1-pro-preview",
    "responseId": "usageOnly1",
}


@pytest.mark.parametrize("include_usage", [True, False])
def test_usage_only_stream_is_an_empty_answer(include_usage: bool) -> None:
    """The only chunk is usage-only: an empty assistant message, finish_reason stop,
    then the usage chunk when asked (never a 502)."""
    out = stream_chunks([USAGE_ONLY], include_usage=include_usage)
    assert [c["choices"] for c in out[:2]] == [
        [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": ""},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
    ]
    assert len(out) == (3 if include_usage else 2)
    if include_usage:
        assert parse_stream(out) == Meaning("", "", (), "stop", (7, 0, 7, 0))
    unary = translate_response(USAGE_ONLY, model="m", created=1)
    assert parse_unary(unary) == Meaning("", "", (), "stop", (7, 0, 7, 0))


def test_usage_only_chunks_mid_stream() -> None:
    """Usage-only chunks before and after the content change nothing but the usage."""
    text = CAPTURES["google-text"].chunks
    assert text is not None
    events = [USAGE_ONLY, *text, {"usageMetadata": text[-1]["usageMetadata"]}]
    assert parse_stream(stream_chunks(events)) == STREAMED["google-text"]


def test_usage_only_then_no_finish_is_still_truncated() -> None:
    t = StreamTranslator(model="m", created=1, include_usage=True)
    t.feed(USAGE_ONLY)
    t.feed({"candidates": [{"content": {"parts": [{"text": "a"}]}, "index": 0}]})
    with pytest.raises(ProxyError) as info:
        t.finish()
    assert info.value.code == "upstream_stream_truncated"


def test_nothing_at_all_is_still_truncated() -> None:
    with pytest.raises(ProxyError):
        StreamTranslator(model="m", created=1, include_usage=True).finish()


# --------------------------------------------------------------------------- the rules


def fc_part(**fc: Any) -> dict[str, Any]:
    return {"functionCall": fc}


def assemble(parts: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The (name, parsed arguments) of the calls the parts make."""
    a = CallAssembler(_ids())
    deltas = [d for p in parts for d in a.part(p)] + a.close()
    names: dict[int, str] = {}
    texts: dict[int, str] = {}
    for d in deltas:
        if "id" in d:
            assert d["index"] not in names, "id and name once per call"
            names[d["index"]] = d["function"]["name"]
        texts[d["index"]] = texts.get(d["index"], "") + d["function"]["arguments"]
    assert sorted(names) == list(range(len(names)))
    return [(names[i], json.loads(texts[i])) for i in sorted(names)]


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("$.location", ["location"]),
        ("$.a.b[0].c", ["a", "b", 0, "c"]),
        ("$['a b']", ["a b"]),
        ('$["x\\"y"][2]', ['x"y', 2]),
        ("$['it\\'s']", ["it's"]),
        ("$.été", ["été"]),
        ("$", None),
        ("location", None),
        ("$.*", None),
        ("$[-1]", None),
        ("$[?@.a]", None),
        ("$.a[1:2]", None),
        (7, None),
    ],
)
def test_parse_json_path(path: object, segments: list[Any] | None) -> None:
    assert parse_json_path(path) == segments


def test_value_kinds_and_containers() -> None:
    target: dict[str, Any] = {}
    apply_partial_args(
        target,
        [
            {"jsonPath": "$.n", "numberValue": 3.0},
            {"jsonPath": "$.f", "numberValue": 2.5},
            {"jsonPath": "$.b", "boolValue": False},
            {"jsonPath": "$.z", "nullValue": "NULL_VALUE"},
            {"jsonPath": "$.o.list[1].x", "stringValue": "y"},
            {"jsonPath": "$['k k']", "stringValue": "v"},
            {"jsonPath": "$.bad[", "stringValue": "skipped"},
            {"jsonPath": "$.none"},
            "not a piece",
        ],
    )
    assert target == {
        "n": 3,
        "f": 2.5,
        "b": False,
        "z": None,
        "o": {"list": [None, {"x": "y"}]},
        "k k": "v",
    }
    assert isinstance(target["n"], int)


def test_strings_append_only_after_will_continue() -> None:
    target: dict[str, Any] = {}
    seen: set[str] = set()
    apply_partial_args(
        target, [{"jsonPath": "$.s", "stringValue": "Bos", "willContinue": True}], seen
    )
    apply_partial_args(target, [{"jsonPath": "$.s", "stringValue": "ton"}], seen)
    assert target == {"s": "Boston"}
    apply_partial_args(target, [{"jsonPath": "$.s", "stringValue": "Paris"}], seen)
    assert target == {"s": "Paris"}


def test_calls_without_args_and_stray_closers() -> None:
    assert assemble([fc_part(name="now")]) == [("now", {})]
    assert assemble([fc_part(name="now", args={})]) == [("now", {})]
    assert assemble([fc_part(), fc_part(name="f", args={"a": 1})]) == [("f", {"a": 1})]
    unary = translate_response(
        {"candidates": [{"content": {"parts": [fc_part(name="now")]}, "finishReason": "STOP"}]},
        model="m",
        created=1,
    )
    assert unary["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == "{}"


def test_a_new_name_closes_the_open_call() -> None:
    parts = [
        fc_part(name="a", willContinue=True),
        fc_part(partialArgs=[{"jsonPath": "$.x", "numberValue": 1}], willContinue=True),
        fc_part(name="b", args={"y": 2}),
    ]
    assert assemble(parts) == [("a", {"x": 1}), ("b", {"y": 2})]


def test_args_and_partial_args_on_the_opening_part() -> None:
    parts = [
        fc_part(
            name="a",
            args={"k": "v"},
            partialArgs=[{"jsonPath": "$.s", "stringValue": "x", "willContinue": True}],
            willContinue=True,
        ),
        fc_part(partialArgs=[{"jsonPath": "$.s", "stringValue": "yz"}]),
    ]
    assert assemble(parts) == [("a", {"k": "v", "s": "xyz"})]


def test_finish_reason_closes_an_open_call() -> None:
    events = [
        {"candidates": [{"content": {"parts": [fc_part(name="a", willContinue=True)]}}]},
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            fc_part(
                                partialArgs=[{"jsonPath": "$.q", "stringValue": "x"}],
                                willContinue=True,
                            )
                        ]
                    },
                    "finishReason": "STOP",
                }
            ]
        },
    ]
    assert parse_stream(stream_chunks(events, include_usage=True)).calls == (("a", {"q": "x"}),)


def test_a_signature_on_the_closing_part_is_kept() -> None:
    t = StreamTranslator(model="m", created=1, include_usage=False, new_id=_ids())
    t.feed({"candidates": [{"content": {"parts": [fc_part(name="a", willContinue=True)]}}]})
    out = t.feed(
        {
            "candidates": [
                {
                    "content": {"parts": [{"functionCall": {}, "thoughtSignature": "sig"}]},
                    "finishReason": "STOP",
                }
            ]
        }
    )
    close = out[0]["choices"][0]["delta"]["tool_calls"][0]
    assert close == {
        "index": 0,
        "function": {"arguments": "{}"},
        "extra_content": {"google": {"thought_signature": "sig"}},
    }
    assert t.signatures == [("call_0", "sig")]


# --------------------------------------------------------------------------- property

_scalar = st.one_of(
    st.text(max_size=8),
    st.integers(-(2**40), 2**40),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
)
_key = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=5)
_args = st.dictionaries(
    _key,
    st.recursive(
        _scalar,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3),
            st.dictionaries(_key, inner, min_size=1, max_size=3),
        ),
        max_leaves=6,
    ),
    max_size=4,
)


def _pieces(value: Any, path: str, cuts: st.DataObject) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [
            p
            for k, v in value.items()
            for p in _pieces(v, f"{path}[{json.dumps(k, ensure_ascii=False)}]", cuts)
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _pieces(v, f"{path}[{i}]", cuts)]
    if isinstance(value, str):
        n = cuts.draw(st.integers(0, len(value)))
        pieces = [value[:n], value[n:]] if n else [value]
        out = [{"jsonPath": path, "stringValue": s, "willContinue": True} for s in pieces]
        out[-1] = {"jsonPath": path, "stringValue": pieces[-1]}
        return out
    if isinstance(value, bool):
        return [{"jsonPath": path, "boolValue": value}]
    if value is None:
        return [{"jsonPath": path, "nullValue": "NULL_VALUE"}]
    return [{"jsonPath": path, "numberValue": float(value) if isinstance(value, int) else value}]


@given(_args, st.integers(1, 3), st.data())
def test_any_object_streamed_in_pieces_assembles_to_itself(
    args: dict[str, Any], per_part: int, data: st.DataObject
) -> None:
    """Any arguments object, sent as partialArgs pieces in any grouping, parses back
    to itself (streamed and unary)."""
    pieces = _pieces(args, "$", data)
    parts = [fc_part(name="f", willContinue=True)]
    for i in range(0, len(pieces), per_part):
        parts.append(fc_part(partialArgs=pieces[i : i + per_part], willContinue=True))
    parts.append(fc_part())
    assert assemble(parts) == [("f", args)]
    unary = translate_response(
        {"candidates": [{"content": {"parts": parts}, "finishReason": "STOP"}]},
        model="m",
        created=1,
    )
    assert parse_unary(unary).calls == (("f", args),)
