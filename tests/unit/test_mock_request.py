"""mockserver.request via responses.handle_generate: directive selection, validation.

Bad input must give Google's 400 naming the problem, never an exception (fuzzed).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.errors import GoogleError
from mockserver.request import check_thought_signatures, prompt_tokens
from mockserver.responses import handle_generate
from spec.scenarios import Directive, Scenario, parse_directive


def _model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


FLASH = _model("gemini-2.5-flash")
PRO3 = _model("gemini-3-pro-preview")
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


def body(text: str = "What is the weather in Paris today", **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def _select(raw: bytes, header: str | None = None, queued: list[Directive] | None = None) -> Any:
    queue = list(queued or [])
    handled = handle_generate(
        FLASH,
        raw,
        header=header,
        pop_queued=lambda: queue.pop(0) if queue else None,
        seed=0,
        stream=False,
        sse=False,
    )
    return handled, queue


def test_directive_precedence_header_then_queue_then_inband() -> None:
    raw = orjson.dumps(body("hi [[mock:scenario=safety cid=inband]]"))
    queued = [parse_directive("scenario=internal cid=queued")]
    handled, left = _select(raw, "scenario=unavailable cid=header", queued)
    assert handled.directive.cid == "header"
    assert handled.reply.status == 503
    assert left == queued
    handled, left = _select(raw, None, queued)
    assert handled.directive.cid == "queued"
    assert handled.reply.status == 500
    assert left == []
    handled, _ = _select(raw)
    assert handled.directive.cid == "inband"


def test_inband_directive_comes_from_the_last_user_text() -> None:
    request: dict[str, Any] = {
        "contents": [
            {"role": "user", "parts": [{"text": "[[mock:scenario=safety]]"}]},
            {"role": "model", "parts": [{"text": "[[mock:scenario=internal]]"}]},
            {"parts": [{"text": "a [[mock:scenario=rate_limit]] b"}, {"text": "[[mock:cid=x1]]"}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
        ]
    }
    handled, _ = _select(orjson.dumps(request))
    assert handled.directive == Directive(cid="x1")
    request["contents"][2]["parts"] = [{"text": "no directive here"}]
    handled, _ = _select(orjson.dumps(request))
    assert handled.directive == Directive()


@pytest.mark.parametrize(
    ("raw", "header", "needle"),
    [
        (b"{not json", None, "Invalid JSON payload received"),
        (b"", None, "Invalid JSON payload received"),
        (b"[1]", None, "Root element must be a message"),
        (b"{}", None, "contents is not specified"),
        (b'{"contents": []}', None, "contents is not specified"),
        (b'{"contents": "hi"}', None, "Invalid value at 'contents'"),
        (b'{"contents": [{"parts": []}]}', None, "contents[0].parts"),
        (b'{"contents": [{"parts": [{}]}]}', None, "required oneof field 'data'"),
        (b'{"contents": [{"parts": [{"text": 1}]}]}', None, "contents[0].parts[0].text"),
        (b'{"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}', None, "valid role"),
        (
            b'{"contents": [{"parts": [{"text": "x"}]}], "stream": true}',
            None,
            'Unknown name "stream"',
        ),
        (b'{"contents": [{"parts": [{"text": "x"}]}]}', "scenario=nope", "unknown scenario 'nope'"),
        (
            b'{"contents": [{"role": "user", "parts": [{"text": "hi"}]},'
            b' {"role": "model", "parts": [{"text": ""}]},'
            b' {"role": "user", "parts": [{"text": "again"}]}]}',
            None,
            "empty text parameter",
        ),
        (b'{"contents": [{"parts": [{"text": "[[mock:chunks=0]]"}]}]}', None, "chunks must be"),
        (
            b'{"contents": [{"parts": [{"text": "x"}]}],'
            b' "generationConfig": {"maxOutputTokens": "a"}}',
            None,
            "max_output_tokens",
        ),
    ],
)
def test_bad_requests_are_400_naming_the_problem(
    raw: bytes, header: str | None, needle: str
) -> None:
    handled, _ = _select(raw, header)
    assert handled.reply.status == 400
    error = json.loads(handled.reply.body)["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert needle in error["message"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20,
)
schemas = st.fixed_dictionaries(
    {"type": st.sampled_from(["object", "OBJECT", "string", "array", "integer", "weird"])},
    optional={
        "properties": st.dictionaries(texts, json_values, max_size=3),
        "required": json_values,
        "items": json_values,
        "enum": json_values,
        "anyOf": json_values,
        "minimum": json_values,
        "minItems": json_values,
    },
)
tool_bodies = st.fixed_dictionaries(
    {
        "contents": st.just([{"role": "user", "parts": [{"text": "call a tool"}]}]),
        "tools": st.lists(
            st.fixed_dictionaries(
                {
                    "functionDeclarations": st.lists(
                        st.fixed_dictionaries(
                            {"name": texts},
                            optional={"parameters": schemas, "parametersJsonSchema": json_values},
                        ),
                        max_size=3,
                    )
                }
            ),
            max_size=2,
        ),
    },
    optional={"toolConfig": json_values},
)
fuzz_bodies = st.one_of(
    json_values,
    tool_bodies,
    st.fixed_dictionaries({"contents": json_values}),
    st.fixed_dictionaries(
        {
            "contents": st.lists(
                st.fixed_dictionaries({"role": json_values, "parts": json_values}), max_size=3
            )
        },
        optional={"tools": json_values, "toolConfig": json_values, "generationConfig": json_values},
    ),
)


@given(fuzz_bodies, st.sampled_from([s.value for s in Scenario]), st.sampled_from([FLASH, PRO3]))
def test_arbitrary_json_never_crashes(value: Any, scenario: str, model: ModelInfo) -> None:
    handled = handle_generate(
        model,
        orjson.dumps(value),
        header=f"scenario={scenario}",
        pop_queued=lambda: None,
        seed=0,
        stream=True,
        sse=True,
    )
    assert handled.reply.status in (200, 400, 403, 404, 429, 500, 503)


def test_prompt_tokens_reads_both_casings() -> None:
    request = body("a b", system_instruction={"parts": [{"text": "c d e"}]})
    assert prompt_tokens(request) == 5
    assert prompt_tokens({"contents": []}) == 1


def test_snake_case_function_call_history_is_checked() -> None:
    history: dict[str, Any] = {
        "contents": [
            {"role": "user", "parts": [{"text": "go"}]},
            {"role": "model", "parts": [{"function_call": {"name": "f", "args": {}}}]},
        ]
    }
    with pytest.raises(GoogleError, match="thought_signature"):
        check_thought_signatures(history)
    history["contents"][1]["parts"][0]["thought_signature"] = "c2ln"
    check_thought_signatures(history)


def test_an_empty_text_beside_a_signature_or_other_text_is_no_empty_content() -> None:
    """Gemini 3 ends a text answer with an empty text part holding the thought
    signature, and clients send it back: only a turn of empty text alone is refused (an
    empty systemInstruction is not)."""
    for parts in (
        [{"text": "", "thoughtSignature": "c2ln"}],
        [{"text": "a"}, {"text": ""}],
        [{"text": ""}, {"functionCall": {"name": "now"}}],
    ):
        body = {
            "contents": [
                {"role": "user", "parts": [{"text": "hi"}]},
                {"role": "model", "parts": parts},
                {"role": "user", "parts": [{"text": "again"}]},
            ]
        }
        handled, _ = _select(json.dumps(body).encode(), None)
        assert handled.reply.status == 200, parts
    empty_system = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "systemInstruction": {"parts": [{"text": ""}]},
    }
    handled, _ = _select(json.dumps(empty_system).encode(), None)
    assert handled.reply.status == 200
