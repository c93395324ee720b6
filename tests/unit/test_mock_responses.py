"""mockserver.responses: every scenario's shape, usage arithmetic, determinism (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import catalog, faults
from mockserver.catalog import ModelInfo
from mockserver.plans import ANSWER_WORDS, NON_ASCII_WORDS, answer_words
from mockserver.responses import SSE_HEADERS, Reply, generate
from spec.mock_admin import GenerateSummary
from spec.scenarios import Directive, Scenario
from spec.sse import decode


def _model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


FLASH = _model("gemini-2.5-flash")
PRO3 = _model("gemini-3-pro-preview")
PLAIN = _model("gemini-2.0-flash")
"""A model that does not think: ``maxOutputTokens`` caps its answer words alone (on a
thinking model the thoughts count too: test_mock_model_like.py)."""
GENERATE_MODELS = [m for m in catalog.MODELS if m.generate]

WEATHER_TOOLS = [
    {
        "functionDeclarations": [
            {
                "name": "lookup_city",
                "parametersJsonSchema": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string"},
                        "days": {"type": "integer", "minimum": 1},
                        "unit": {"type": "string", "enum": ["c", "f"]},
                    },
                    "required": ["city", "days", "unit"],
                    "additionalProperties": False,
                },
            },
            {
                "name": "extractor",
                "parameters": {
                    "type": "OBJECT",
                    "properties": {"request": {"type": "STRING"}},
                    "required": ["request"],
                },
            },
        ]
    }
]


def body(text: str = "What is the weather in Paris today", **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def run(
    scenario: Scenario | str = Scenario.TEXT,
    request: dict[str, Any] | None = None,
    *,
    model: ModelInfo = FLASH,
    stream: bool = False,
    sse: bool = True,
    seed: int = 0,
    **directive: Any,
) -> Reply:
    d = Directive(scenario=Scenario(scenario), **directive)
    return generate(model, request or body(), d, seed, stream=stream, sse=sse)


def unary(reply: Reply) -> dict[str, Any]:
    assert reply.writes is None
    out: dict[str, Any] = json.loads(reply.body)
    return out


def stream_bytes(reply: Reply) -> bytes:
    assert reply.writes is not None
    return b"".join(w.data for w in reply.writes)


def events(reply: Reply) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in decode([stream_bytes(reply)])]


def summary_of(reply: Reply) -> GenerateSummary | None:
    """The journal's summary of a generate call's reply (never a media or image one)."""
    return cast("GenerateSummary | None", reply.summary)


def text_of(response: dict[str, Any], *, thought: bool = False) -> str:
    parts = response["candidates"][0].get("content", {}).get("parts", [])
    return "".join(p.get("text", "") for p in parts if p.get("thought", False) == thought)


# ----------------------------------------------------------------------------- stream shape


def test_text_stream_has_googles_shape() -> None:
    reply = run(stream=True)
    assert reply.status == 200
    assert reply.headers == SSE_HEADERS
    assert not reply.abort
    raw = stream_bytes(reply)
    assert b"[DONE]" not in raw
    frames = raw.split(b"\r\n\r\n")
    assert frames[-1] == b""
    assert all(f.startswith(b"data: {") for f in frames[:-1])
    chunks = events(reply)
    assert len(chunks) == 3
    assert len({(c["responseId"], c["modelVersion"]) for c in chunks}) == 1
    for i, chunk in enumerate(chunks):
        candidate = chunk["candidates"][0]
        assert len(candidate["content"]["parts"]) == 1
        assert ("finishReason" in candidate) == (i == len(chunks) - 1)
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_deltas_concatenate_to_the_unary_text_and_usage_matches() -> None:
    request = body(generationConfig={"temperature": 0})
    chunks = events(run(request=request, stream=True, chunks=4))
    whole = unary(run(request=request))
    assert "".join(text_of(c) for c in chunks) == text_of(whole)
    assert chunks[-1]["usageMetadata"] == whole["usageMetadata"]
    assert chunks[-1]["responseId"] == whole["responseId"]
    assert len(text_of(whole).split()) == ANSWER_WORDS
    counts = [c["usageMetadata"]["candidatesTokenCount"] for c in chunks]
    assert counts == sorted(counts)
    assert counts[-1] == ANSWER_WORDS
    so_far = 0  # cumulative: words so far == candidatesTokenCount
    for chunk in chunks:
        so_far += len(text_of(chunk).split())
        assert chunk["usageMetadata"]["candidatesTokenCount"] == so_far


def test_answer_has_non_ascii_words() -> None:
    text = text_of(unary(run()))
    assert any(word in text for word in NON_ASCII_WORDS)
    assert text.encode() != text.encode("ascii", "ignore")


def test_usage_arithmetic_and_prompt_word_count() -> None:
    request = body(
        "one two  three\nfour",
        systemInstruction={"parts": [{"text": "be brief"}]},
    )
    usage = unary(run(Scenario.THOUGHTS, request))["usageMetadata"]
    assert usage["promptTokenCount"] == 6
    assert usage["promptTokensDetails"] == [{"modality": "TEXT", "tokenCount": 6}]
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )
    empty = unary(run(request={"contents": [{"role": "user", "parts": [{"text": "   "}]}]}))
    assert empty["usageMetadata"]["promptTokenCount"] == 1


@pytest.mark.parametrize("chunks", [1, 2, 12, 40])
def test_chunks_directive_sets_the_number_of_text_chunks(chunks: int) -> None:
    assert len(events(run(stream=True, chunks=chunks))) == chunks


THINKING: dict[str, Any] = {"generationConfig": {"thinkingConfig": {"includeThoughts": True}}}


def test_thoughts_come_first_and_count_as_thoughts() -> None:
    chunks = events(run(Scenario.THOUGHTS, body(**THINKING), stream=True))
    kinds = [c["candidates"][0]["content"]["parts"][0].get("thought", False) for c in chunks]
    assert kinds == [True, True, False, False, False]
    first = chunks[0]["usageMetadata"]
    assert "candidatesTokenCount" not in first
    assert first["thoughtsTokenCount"] == len(text_of(chunks[0], thought=True).split())
    assert first["totalTokenCount"] == first["promptTokenCount"] + first["thoughtsTokenCount"]
    whole = unary(run(Scenario.THOUGHTS, body(**THINKING)))
    parts = whole["candidates"][0]["content"]["parts"]
    assert [p.get("thought", False) for p in parts] == [True, False]
    assert parts[0]["text"].startswith("**")
    thoughts = "".join(text_of(c, thought=True) for c in chunks)
    assert thoughts == parts[0]["text"]
    assert whole["usageMetadata"]["thoughtsTokenCount"] == len(thoughts.split())


def test_thought_text_only_with_include_thoughts() -> None:
    """Like Google: without includeThoughts the thoughts are counted, never shown (A2)."""
    hidden = unary(run(Scenario.THOUGHTS))
    shown = unary(run(Scenario.THOUGHTS, body(**THINKING)))
    assert text_of(hidden, thought=True) == ""
    assert text_of(shown, thought=True)
    usage = hidden["usageMetadata"]
    assert usage["thoughtsTokenCount"] == shown["usageMetadata"]["thoughtsTokenCount"] > 0
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )
    chunks = events(run(Scenario.THOUGHTS, stream=True))
    assert not any(text_of(c, thought=True) for c in chunks)


# ----------------------------------------------------------------------------- max tokens


@pytest.mark.parametrize("limit", [1, 5, 11])
def test_max_output_tokens_bounds_candidates(limit: int) -> None:
    request = body(generationConfig={"maxOutputTokens": limit})
    whole = unary(run(request=request, model=PLAIN))
    assert whole["usageMetadata"]["candidatesTokenCount"] == limit
    assert len(text_of(whole).split()) == limit
    assert whole["candidates"][0]["finishReason"] == "MAX_TOKENS"
    chunks = events(run(request=request, stream=True, model=PLAIN))
    assert chunks[-1]["candidates"][0]["finishReason"] == "MAX_TOKENS"


def test_snake_case_max_output_tokens_is_honoured() -> None:
    request = body(generation_config={"max_output_tokens": "3"})
    assert unary(run(request=request, model=PLAIN))["usageMetadata"]["candidatesTokenCount"] == 3


def test_large_max_output_tokens_does_not_cut() -> None:
    whole = unary(run(request=body(generationConfig={"maxOutputTokens": 1000})))
    assert whole["candidates"][0]["finishReason"] == "STOP"


def test_max_tokens_scenario_cuts_at_half_or_at_the_limit() -> None:
    whole = unary(run(Scenario.MAX_TOKENS))
    assert whole["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert whole["usageMetadata"]["candidatesTokenCount"] == ANSWER_WORDS // 2
    limited = unary(run(Scenario.MAX_TOKENS, body(generationConfig={"maxOutputTokens": 4})))
    assert limited["usageMetadata"]["candidatesTokenCount"] == 4


# ----------------------------------------------------------------------------- tools


def calls_of(response: dict[str, Any]) -> list[dict[str, Any]]:
    parts = response["candidates"][0]["content"]["parts"]
    return [p["functionCall"] for p in parts if "functionCall" in p]


def test_tool_call_without_tools_calls_get_weather_in_paris() -> None:
    whole = unary(run(Scenario.TOOL_CALL))
    assert calls_of(whole) == [{"name": "get_weather", "args": {"location": "Paris"}}]
    assert whole["candidates"][0]["finishReason"] == "STOP"
    assert whole["usageMetadata"]["candidatesTokenCount"] == 2


def test_tool_call_args_satisfy_the_declared_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    whole = unary(run(Scenario.TOOL_CALL, body(tools=WEATHER_TOOLS)))
    [call] = calls_of(whole)
    assert call["name"] == "lookup_city"
    schema = WEATHER_TOOLS[0]["functionDeclarations"][0]["parametersJsonSchema"]
    jsonschema.validate(call["args"], schema)


def test_parallel_tool_calls() -> None:
    # Gemini 2.5 streams parallel calls together, in one chunk that also finishes the
    # candidate (mirascope's recording of gemini-2.5-flash); Gemini 3 one per chunk
    chunks = events(run(Scenario.PARALLEL_TOOL_CALLS, body(tools=WEATHER_TOOLS), stream=True))
    [chunk] = chunks
    candidate = chunk["candidates"][0]
    assert candidate["finishReason"] == "STOP"
    calls = [p["functionCall"] for p in candidate["content"]["parts"]]
    assert ["thoughtSignature" in p for p in candidate["content"]["parts"]] == [True, False, False]
    three = events(
        run(Scenario.PARALLEL_TOOL_CALLS, body(tools=WEATHER_TOOLS), model=PRO3, stream=True)
    )
    assert [len(c["candidates"][0]["content"]["parts"]) for c in three[:3]] == [1, 1, 1]
    assert [c["name"] for c in calls] == ["lookup_city", "lookup_city", "extractor"]
    # apart=1 / apart=0: the other framing, whatever the model
    flash_apart = events(
        run(Scenario.PARALLEL_TOOL_CALLS, body(tools=WEATHER_TOOLS), stream=True, apart=True)
    )
    assert [len(c["candidates"][0]["content"]["parts"]) for c in flash_apart] == [1, 1, 1]
    assert "finishReason" in flash_apart[-1]["candidates"][0]
    pro_together = events(
        run(
            Scenario.PARALLEL_TOOL_CALLS,
            body(tools=WEATHER_TOOLS),
            model=PRO3,
            stream=True,
            apart=False,
        )
    )
    assert len(pro_together[0]["candidates"][0]["content"]["parts"]) == 3
    assert calls[0]["args"] != calls[1]["args"]
    assert set(calls[2]["args"]) == {"request"}
    default = calls_of(unary(run(Scenario.PARALLEL_TOOL_CALLS)))
    assert [c["name"] for c in default] == ["get_weather"] * 3
    assert len({c["args"]["location"] for c in default}) == 3


def test_snake_case_function_declarations_and_allowed_names() -> None:
    tools = [{"function_declarations": WEATHER_TOOLS[0]["functionDeclarations"]}]
    request = body(
        tools=tools,
        tool_config={
            "function_calling_config": {"mode": "ANY", "allowed_function_names": ["extractor"]}
        },
    )
    assert [c["name"] for c in calls_of(unary(run(Scenario.TOOL_CALL, request)))] == ["extractor"]


def test_mode_none_and_function_response_turns_answer_with_text() -> None:
    none = body(toolConfig={"functionCallingConfig": {"mode": "NONE"}})
    assert "functionCall" not in str(unary(run(Scenario.TOOL_CALL, none)))
    loop = {
        "contents": [
            {"role": "user", "parts": [{"text": "weather? [[mock:scenario=tool_call]]"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {}}}]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 1}}}],
            },
        ]
    }
    for scenario in (Scenario.TOOL_CALL, Scenario.PARALLEL_TOOL_CALLS):
        whole = unary(run(scenario, loop))
        assert calls_of(whole) == []
        assert text_of(whole)


def test_gemini3_ids_and_signatures() -> None:
    whole = unary(run(Scenario.PARALLEL_TOOL_CALLS, model=PRO3))
    parts = whole["candidates"][0]["content"]["parts"]
    ids = [p["functionCall"]["id"] for p in parts]
    assert all(len(i) == 8 and i.isalnum() and i == i.lower() for i in ids)
    assert len(set(ids)) == 3
    assert ["thoughtSignature" in p for p in parts] == [True, False, False]
    assert whole["candidates"][0]["finishMessage"] == "Model generated function call(s)."
    text = unary(run(model=PRO3))["candidates"][0]["content"]["parts"]
    assert "thoughtSignature" in text[-1]
    # gemini-2.5 thinks: no ids, but its call is signed and the candidate says so, as
    # every 2.5 Flash call recorded by mirascope and pydantic-ai
    thought = unary(run(Scenario.TOOL_CALL))["candidates"][0]
    flash = thought["content"]["parts"][0]
    assert "id" not in flash["functionCall"]
    assert "thoughtSignature" in flash
    assert thought["finishMessage"] == "Model generated function call(s)."
    # ... unless the directive says otherwise, or thinking is off (thinkingBudget 0)
    plain = unary(run(Scenario.TOOL_CALL, signature=False))["candidates"][0]
    assert "thoughtSignature" not in plain["content"]["parts"][0]
    off = body(generationConfig={"thinkingConfig": {"thinkingBudget": 0}})
    quiet = unary(run(Scenario.TOOL_CALL, off))["candidates"][0]
    assert "thoughtSignature" not in quiet["content"]["parts"][0]
    assert "finishMessage" not in quiet
    signed = unary(run(Scenario.TOOL_CALL, signature=True))["candidates"][0]["content"]["parts"]
    assert "thoughtSignature" in signed[0]
    unsigned = unary(run(Scenario.TOOL_CALL, model=PRO3, signature=False))
    assert "thoughtSignature" not in unsigned["candidates"][0]["content"]["parts"][0]


def _history(signature: str | None) -> dict[str, Any]:
    call: dict[str, Any] = {"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}}
    if signature is not None:
        call["thoughtSignature"] = signature
    return {
        "contents": [
            {"role": "user", "parts": [{"text": "weather in Paris?"}]},
            {"role": "model", "parts": [call]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "get_weather", "response": {}}}],
            },
        ]
    }


def test_gemini3_rejects_replayed_calls_without_signature() -> None:
    reply = run(request=_history(None), model=PRO3)
    assert reply.status == 400
    error = json.loads(reply.body)["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Function call is missing a thought_signature")
    assert "get_weather" in error["message"]
    assert run(request=_history("c2ln"), model=PRO3).status == 200
    assert run(request=_history(None), model=FLASH).status == 200
    # an older turn without signature is not checked (Google checks the current turn)
    older = _history(None)
    older["contents"] += [
        {"role": "model", "parts": [{"text": "It is sunny."}]},
        {"role": "user", "parts": [{"text": "thanks"}]},
    ]
    assert run(request=older, model=PRO3).status == 200


def test_signatures_round_trip_through_a_gemini3_agent_loop() -> None:
    first = unary(run(Scenario.TOOL_CALL, model=PRO3))
    model_turn = first["candidates"][0]["content"]
    request = body()
    request["contents"] += [
        model_turn,
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {}}}]},
    ]
    assert run(Scenario.TOOL_CALL, request, model=PRO3).status == 200


# ----------------------------------------------------------------------------- no content


def test_safety_recitation_malformed_have_no_content() -> None:
    for scenario, reason, key in [
        (Scenario.SAFETY, "SAFETY", "safetyRatings"),
        (Scenario.RECITATION, "RECITATION", "citationMetadata"),
        (Scenario.MALFORMED_FUNCTION_CALL, "MALFORMED_FUNCTION_CALL", None),
    ]:
        for response in [unary(run(scenario)), *events(run(scenario, stream=True))]:
            candidate = response["candidates"][0]
            assert "content" not in candidate
            assert candidate["finishReason"] == reason
            if key:
                assert key in candidate
            assert "candidatesTokenCount" not in response["usageMetadata"]


def test_prompt_blocked_has_no_candidates() -> None:
    [chunk] = events(run(Scenario.PROMPT_BLOCKED, stream=True))
    whole = unary(run(Scenario.PROMPT_BLOCKED))
    for response in (chunk, whole):
        assert "candidates" not in response
        assert response["promptFeedback"]["blockReason"] == "SAFETY"
        assert response["promptFeedback"]["safetyRatings"]


# ----------------------------------------------------------------------------- errors


ERRORS = {
    Scenario.RATE_LIMIT: (429, "RESOURCE_EXHAUSTED"),
    Scenario.KEY_RATE_LIMIT: (429, "RESOURCE_EXHAUSTED"),  # pure decide(): the first key
    Scenario.DAILY_QUOTA: (429, "RESOURCE_EXHAUSTED"),
    Scenario.BAD_REQUEST: (400, "INVALID_ARGUMENT"),
    Scenario.PERMISSION_DENIED: (403, "PERMISSION_DENIED"),
    Scenario.NOT_FOUND: (404, "NOT_FOUND"),
    Scenario.INTERNAL: (500, "INTERNAL"),
    Scenario.UNAVAILABLE: (503, "UNAVAILABLE"),
}


@pytest.mark.parametrize(("scenario", "expected"), ERRORS.items())
@pytest.mark.parametrize("stream", [False, True])
def test_error_scenarios(scenario: Scenario, expected: tuple[int, str], stream: bool) -> None:
    reply = run(scenario, stream=stream, first_byte_ms=5)
    assert reply.writes is None
    assert reply.first_byte_ms == 5
    assert reply.headers[0] == ("Content-Type", "application/json; charset=UTF-8")
    assert reply.body.startswith(b'{\n  "error": {\n    "code": ')
    assert reply.body.endswith(b"}\n")
    error = json.loads(reply.body)["error"]
    assert (reply.status, error["status"]) == expected == (error["code"], error["status"])


def test_rate_limit_details() -> None:
    error = json.loads(run(Scenario.RATE_LIMIT, retry_delay=5.0).body)["error"]
    types = [d["@type"].rsplit(".", 1)[1] for d in error["details"]]
    assert types == ["QuotaFailure", "Help", "RetryInfo"]
    assert error["details"][2]["retryDelay"] == "5s"
    violation = error["details"][0]["violations"][0]
    assert "PerMinute" in violation["quotaId"]
    assert violation["quotaDimensions"] == {"location": "global", "model": "gemini-2.5-flash"}
    assert error["message"].endswith("Please retry in 5s.")
    fractional = json.loads(run(Scenario.RATE_LIMIT, retry_delay=1.5).body)["error"]
    assert fractional["details"][2]["retryDelay"] == "1.5s"  # like the real "34.4s"


def test_daily_quota_has_no_retry_info() -> None:
    error = json.loads(run(Scenario.DAILY_QUOTA).body)["error"]
    assert all("RetryInfo" not in d["@type"] for d in error["details"])
    violation = error["details"][0]["violations"][0]
    assert violation["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel-FreeTier"


# ----------------------------------------------------------------------------- mid-stream


@pytest.mark.parametrize("cut_after", [0, 1, 2, 5])
def test_mid_stream_cut(cut_after: int) -> None:
    reply = run(Scenario.MID_STREAM_CUT, stream=True, cut_after=cut_after)
    assert reply.abort
    assert reply.status == 200
    chunks = events(reply)
    assert len(chunks) == cut_after
    assert all("finishReason" not in c["candidates"][0] for c in chunks)
    assert run(Scenario.MID_STREAM_CUT).status == 500


@pytest.mark.parametrize("cut_after", [0, 2])
def test_mid_stream_error(cut_after: int) -> None:
    reply = run(Scenario.MID_STREAM_ERROR, stream=True, cut_after=cut_after)
    assert not reply.abort
    chunks = events(reply)
    assert len(chunks) == cut_after + 1
    assert chunks[-1] == {
        "error": {
            "code": 503,
            "message": "The model is overloaded. Please try again later.",
            "status": "UNAVAILABLE",
        }
    }
    assert stream_bytes(reply).endswith(b'"status": "UNAVAILABLE"}}\r\n\r\n')
    assert run(Scenario.MID_STREAM_ERROR).status == 503


# ----------------------------------------------------------------------------- framing knobs


def test_framing_split_coalesce_and_pacing() -> None:
    base = stream_bytes(run(stream=True))
    lf = stream_bytes(run(stream=True, framing="lf"))
    assert lf == base.replace(b"\r\n", b"\n")
    split = run(stream=True, split=3)
    assert split.writes is not None
    assert all(len(w.data) <= 3 for w in split.writes)
    assert stream_bytes(split) == base
    # a 3-byte cut falls inside a multi-byte UTF-8 sequence somewhere
    assert any(_cuts_utf8(w.data) for w in split.writes)
    coalesced = run(stream=True, coalesce=True)
    assert coalesced.writes is not None
    assert len(coalesced.writes) == 1
    paced = run(stream=True, chunk_ms=25)
    assert paced.writes is not None
    assert [w.delay_ms for w in paced.writes] == [0, 25, 25]


def _cuts_utf8(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_non_sse_stream_is_a_json_array() -> None:
    reply = run(stream=True, sse=False)
    assert reply.headers[0] == ("Content-Type", "application/json; charset=UTF-8")
    array = json.loads(stream_bytes(reply))
    assert isinstance(array, list)
    assert len(array) == 3
    assert array == events(run(stream=True))
    cut = run(Scenario.MID_STREAM_CUT, stream=True, sse=False)
    assert cut.abort
    assert not stream_bytes(cut).endswith(b"]")


# ----------------------------------------------------------------------------- all scenarios


def _error_shape(scenario: Scenario) -> Callable[[dict[str, Any]], bool]:
    return lambda r: r["error"]["code"] == ERRORS[scenario][0]


SHAPES: dict[Scenario, Callable[[dict[str, Any]], bool]] = {
    Scenario.TEXT: lambda r: r["candidates"][0]["finishReason"] == "STOP" and bool(text_of(r)),
    Scenario.THOUGHTS: lambda r: bool(text_of(r, thought=True)) and bool(text_of(r)),
    Scenario.TOOL_CALL: lambda r: len(calls_of(r)) == 1,
    Scenario.PARALLEL_TOOL_CALLS: lambda r: len(calls_of(r)) == 3,
    # a unary answer never streams its arguments: whole calls
    Scenario.TOOL_CALL_STREAMED_ARGS: lambda r: len(calls_of(r)) == 1,
    Scenario.PARALLEL_TOOL_CALLS_STREAMED_ARGS: lambda r: len(calls_of(r)) == 3,
    Scenario.SAFETY: lambda r: r["candidates"][0]["finishReason"] == "SAFETY",
    Scenario.PROMPT_BLOCKED: lambda r: "candidates" not in r,
    Scenario.MAX_TOKENS: lambda r: r["candidates"][0]["finishReason"] == "MAX_TOKENS",
    Scenario.RECITATION: lambda r: r["candidates"][0]["finishReason"] == "RECITATION",
    Scenario.MALFORMED_FUNCTION_CALL: lambda r: (
        r["candidates"][0]["finishReason"] == "MALFORMED_FUNCTION_CALL"
    ),
    **{s: _error_shape(s) for s in ERRORS},
    Scenario.MID_STREAM_CUT: lambda r: r["error"]["code"] == 500,
    Scenario.MID_STREAM_ERROR: lambda r: r["error"]["code"] == 503,
}


def test_every_scenario_has_a_shape_check() -> None:
    assert set(SHAPES) == set(Scenario) - faults.SCENARIOS  # faults: test_mock_faults.py


@pytest.mark.parametrize("scenario", sorted(set(Scenario) - faults.SCENARIOS))
@pytest.mark.parametrize("model", [FLASH, PRO3], ids=lambda m: m.id)
def test_every_scenario_unary_shape(scenario: Scenario, model: ModelInfo) -> None:
    request = body(**THINKING) if scenario is Scenario.THOUGHTS else None
    assert SHAPES[scenario](json.loads(run(scenario, request, model=model).body))


# ----------------------------------------------------------------------------- determinism

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "size": {"enum": ["s", "m", "l"]}},
    "required": ["name"],
}
configs = st.fixed_dictionaries(
    {},
    optional={
        "maxOutputTokens": st.integers(1, 30),
        "candidateCount": st.integers(1, 4),
        "responseMimeType": st.just("application/json"),
        "responseJsonSchema": st.just(SCHEMA),
    },
)
requests = st.fixed_dictionaries(
    {"contents": st.lists(texts, min_size=1, max_size=3)},
    optional={"config": configs, "system": texts},
).map(
    lambda d: {
        "contents": [
            {"role": "user" if i % 2 == 0 else "model", "parts": [{"text": t}]}
            for i, t in enumerate(d["contents"])
        ],
        **({"generationConfig": d["config"]} if d.get("config") else {}),
        **({"systemInstruction": {"parts": [{"text": d["system"]}]}} if "system" in d else {}),
    }
)


def _reorder(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _reorder(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [_reorder(v) for v in obj]
    return obj


@given(
    request=requests,
    scenario=st.sampled_from(list(Scenario)),
    model=st.sampled_from(GENERATE_MODELS),
    seed=st.integers(0, 2**64 - 1),
    stream=st.booleans(),
    chunks=st.integers(1, 8),
)
def test_same_input_gives_the_same_bytes(
    request: dict[str, Any],
    scenario: Scenario,
    model: ModelInfo,
    seed: int,
    stream: bool,
    chunks: int,
) -> None:
    d = Directive(scenario=scenario, chunks=chunks)
    first = generate(model, request, d, seed, stream=stream)
    copy = orjson.loads(orjson.dumps(_reorder(request)))
    assert generate(model, copy, d, seed, stream=stream) == first
    if first.status == 200 and not stream and scenario not in faults.SCENARIOS:
        usage = json.loads(first.body)["usageMetadata"]
        assert usage["totalTokenCount"] == (
            usage["promptTokenCount"]
            + usage.get("candidatesTokenCount", 0)
            + usage.get("thoughtsTokenCount", 0)
        )


def test_seed_changes_the_text_and_responseid() -> None:
    a, b = unary(run(seed=1)), unary(run(seed=2))
    assert text_of(a) != text_of(b)
    assert a["responseId"] != b["responseId"]
    assert len(a["responseId"]) == 23
    assert unary(run(seed=1)) == a
    by_directive = generate(FLASH, body(), Directive(seed=2), 1, stream=False)
    assert unary(by_directive) == b


def test_answer_words_are_prefix_stable() -> None:
    key = bytes(range(32))
    longest = answer_words(key, 64)
    assert all(answer_words(key, n) == longest[:n] for n in range(65))
    assert all(longest[i] in NON_ASCII_WORDS for i in range(1, 64, 4))


# ----------------------------------------------------------------------------- summaries


def test_summary_says_what_was_sent() -> None:
    whole = unary(run(Scenario.THOUGHTS))
    summary = run(Scenario.THOUGHTS).summary
    assert summary == {
        "text": text_of(whole),
        "thoughts": text_of(whole, thought=True),
        "function_calls": [],
        "finish_reason": "STOP",
        "candidates": 1,
        "texts": [text_of(whole)],
        "finish_reasons": ["STOP"],
    }
    assert run(Scenario.THOUGHTS, stream=True).summary == summary
    calls = summary_of(run(Scenario.PARALLEL_TOOL_CALLS, model=PRO3))
    assert calls is not None
    assert [c["name"] for c in calls["function_calls"]] == ["get_weather"] * 3
    assert all(len(c["id"]) == 8 for c in calls["function_calls"])
    cut = summary_of(run(Scenario.MID_STREAM_CUT, stream=True, cut_after=1, chunks=3))
    assert cut is not None
    assert cut["finish_reason"] is None
    assert cut["text"] == text_of(events(run(stream=True, chunks=3))[0])
    error = summary_of(run(Scenario.MID_STREAM_ERROR, stream=True, cut_after=0))
    assert error is not None
    assert error["error"]["code"] == 503
    assert error["text"] == ""
    limited = summary_of(run(Scenario.RATE_LIMIT))
    assert limited is not None
    assert limited["error"]["status"] == "RESOURCE_EXHAUSTED"
    blocked = summary_of(run(Scenario.PROMPT_BLOCKED))
    assert blocked is not None
    assert blocked["block_reason"] == "SAFETY"
    assert blocked["candidates"] == 0
    assert blocked["texts"] == []
    assert limited["candidates"] == 0
    assert run(Scenario.SAFETY).summary == {
        "text": "",
        "thoughts": "",
        "function_calls": [],
        "finish_reason": "SAFETY",
        "candidates": 1,
        "texts": [""],
        "finish_reasons": ["SAFETY"],
    }


# ----------------------------------------------------------------------------- body framing


def test_length_directive_parses_and_renders() -> None:
    from spec.scenarios import parse_directive

    assert parse_directive("length=1").length is True
    assert parse_directive("length=0").length is False
    assert Directive().length is None
    assert Directive(length=True).render() == "scenario=text length=1"
    assert Directive(length=False).render() == "scenario=text length=0"
    assert "length" not in Directive().render()


def test_apart_directive_parses_and_renders() -> None:
    from spec.scenarios import DirectiveError, parse_directive

    assert parse_directive("scenario=parallel_tool_calls apart=1").apart is True
    assert parse_directive("apart=0").apart is False
    assert Directive().apart is None
    assert Directive(apart=True).render() == "scenario=text apart=1"
    with pytest.raises(DirectiveError):
        parse_directive("apart=maybe")


def test_length_directive_picks_content_length_or_chunked() -> None:
    streamed = run(stream=True)
    assert streamed.content_length is None  # default: a chunked stream
    whole = run(stream=True, length=True)
    assert whole.content_length == len(stream_bytes(whole))
    assert stream_bytes(whole) == stream_bytes(streamed)
    array = run(stream=True, sse=False, length=True)
    assert array.content_length == len(b"".join(w.data for w in array.writes or ()))
    cut = run(Scenario.MID_STREAM_CUT, stream=True, length=True, cut_after=1)
    assert cut.abort
    assert cut.content_length == len(stream_bytes(whole))  # promises the whole body
    assert len(stream_bytes(cut)) < cut.content_length
    chunked_unary = run(length=False)
    assert chunked_unary.writes is not None
    assert chunked_unary.content_length is None
    assert b"".join(w.data for w in chunked_unary.writes) == run().body


# ----------------------------------------------------------------------------- text parts


@pytest.mark.parametrize("model", [FLASH, PRO3, PLAIN], ids=lambda m: m.id)
@pytest.mark.parametrize("parts", [2, 3, 8])
def test_text_in_parts_says_the_same_in_more_parts(model: ModelInfo, parts: int) -> None:
    """Directive ``parts``: the same text, usage and summary as one part, cut at word
    starts into ``parts`` unary parts in a row and up to ``parts`` parts per chunk."""
    request = body(generationConfig={"thinkingConfig": {"includeThoughts": True}})
    one = unary(run(request=request, model=model, chunks=3))
    many_reply = run(request=request, model=model, chunks=3, parts=parts)
    many = unary(many_reply)
    answer = [p for p in many["candidates"][0]["content"]["parts"] if not p.get("thought")]
    assert len(answer) == parts
    assert all(p["text"] for p in answer)
    assert text_of(many) == text_of(one)
    assert text_of(many, thought=True) == text_of(one, thought=True)
    assert many["usageMetadata"] == one["usageMetadata"]
    assert summary_of(many_reply) == summary_of(run(request=request, model=model, chunks=3))
    if model.gemini3:  # the signature stays on the last text part
        assert "thoughtSignature" in answer[-1]
        assert not any("thoughtSignature" in p for p in answer[:-1])

    stream_one = events(run(request=request, model=model, chunks=3, stream=True))
    stream_many = events(run(request=request, model=model, chunks=3, parts=parts, stream=True))
    assert len(stream_many) == len(stream_one)
    assert "".join(map(text_of, stream_many)) == "".join(map(text_of, stream_one))
    assert stream_many[-1]["usageMetadata"] == stream_one[-1]["usageMetadata"]
    widest = max(len(e["candidates"][0]["content"]["parts"]) for e in stream_many)
    assert 2 <= widest <= parts


def test_parts_leave_tool_calls_and_errors_alone() -> None:
    calls = run(Scenario.TOOL_CALL, body(tools=WEATHER_TOOLS), parts=3)
    assert calls.summary == run(Scenario.TOOL_CALL, body(tools=WEATHER_TOOLS)).summary
    assert run(Scenario.RATE_LIMIT, parts=3).status == 429
