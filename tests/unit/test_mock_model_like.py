"""The mock answers plain prompts (no directive) like a real model: mockserver.prompted
through mockserver.responses (pure; issue 14, docs/field-mode.md#against-reference--mock)."""

from __future__ import annotations

import base64
import json
from typing import Any

import jsonschema
import orjson
import pytest

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.compat_request import parse_chat
from mockserver.compat_response import chat_reply
from mockserver.plans import ANSWER_WORDS, THOUGHT_TOKENS, cut_at_stop, said, text_plan
from mockserver.prompted import (
    LONG_CHUNKS,
    PACE_MS,
    answer_plan,
    places,
    planned_calls,
    reply_text,
    user_text,
)
from mockserver.responses import Reply, generate, handle_generate
from spec.scenarios import Directive, Scenario
from spec.sse import decode


def model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


FLASH = model("gemini-2.5-flash")  # thinks
PLAIN = model("gemini-2.0-flash")  # does not
PRO3 = model("gemini-3-pro-preview")

WEATHER = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location"],
}
TIME = {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}
STRICT = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "days": {"type": "integer", "minimum": 1},
        "unit": {"type": "string", "enum": ["c", "f"]},
    },
    "required": ["city", "days", "unit"],
    "additionalProperties": False,
}
TOOLS = [
    {
        "functionDeclarations": [
            {"name": "get_weather", "parametersJsonSchema": WEATHER},
            {"name": "get_time", "parametersJsonSchema": TIME},
            {"name": "forecast", "parametersJsonSchema": STRICT},
        ]
    }
]
SCHEMAS = {"get_weather": WEATHER, "get_time": TIME, "forecast": STRICT}
PARALLEL = (
    "Look up the current weather in Paris and in Tokyo. "
    "Call get_weather once for each city, both calls at the same time."
)
COUNT = "Count from 1 to 10 in digits, separated by commas, and nothing else."
LIST = "List 40 different fruits as a numbered list, one per line, nothing else."


def request(text: str, **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def mode(name: str, allowed: list[str] | None = None) -> dict[str, Any]:
    calling: dict[str, Any] = {"mode": name}
    if allowed is not None:
        calling["allowedFunctionNames"] = allowed
    return {"functionCallingConfig": calling}


def run(
    body: dict[str, Any], *, on: ModelInfo = FLASH, stream: bool = False, **directive: Any
) -> Reply:
    return generate(on, body, Directive(**directive), 0, stream=stream)


def unary(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    assert reply.writes is None
    out: dict[str, Any] = json.loads(reply.body)
    return out


def chunks(reply: Reply) -> list[dict[str, Any]]:
    assert reply.status == 200
    assert reply.writes is not None
    return [json.loads(e.data) for e in decode([b"".join(w.data for w in reply.writes)])]


def parts(response: dict[str, Any], index: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = response["candidates"][index].get("content", {}).get("parts", [])
    return out


def calls(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [p["functionCall"] for p in parts(response) if "functionCall" in p]


def streamed_calls(stream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p["functionCall"] for c in stream for p in parts(c) if "functionCall" in p]


def answer(response: dict[str, Any], index: int = 0) -> str:
    return "".join(p.get("text", "") for p in parts(response, index) if not p.get("thought", False))


def thoughts(response: dict[str, Any]) -> str:
    return "".join(p.get("text", "") for p in parts(response) if p.get("thought", False))


def validates(args: dict[str, Any], schema: dict[str, Any]) -> None:
    problems = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(args)]
    assert problems == [], (args, problems)


# ------------------------------------------------------------------ 1. mode ANY


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
def test_mode_any_with_allowed_names_answers_one_valid_call_to_the_allowed_function(
    stream: bool,
) -> None:
    body = request("What is the weather in Paris right now?", tools=TOOLS)
    body["toolConfig"] = mode("ANY", ["forecast"])
    reply = run(body, stream=stream)
    got = streamed_calls(chunks(reply)) if stream else calls(unary(reply))
    assert [c["name"] for c in got] == ["forecast"]
    validates(got[0]["args"], STRICT)
    assert got[0]["args"]["city"] == "Paris"  # the place the prompt names


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
def test_mode_any_without_allowed_names_calls_a_declared_function(stream: bool) -> None:
    # no function named or hinted at: the first declared one
    body = request("Help me plan my day.", tools=TOOLS, toolConfig=mode("ANY"))
    reply = run(body, stream=stream)
    got = streamed_calls(chunks(reply)) if stream else calls(unary(reply))
    assert [c["name"] for c in got] == ["get_weather"]
    validates(got[0]["args"], WEATHER)
    final = chunks(reply)[-1] if stream else unary(reply)
    assert final["candidates"][0]["finishReason"] == "STOP"


def test_mode_any_calls_the_function_the_prompt_is_about() -> None:
    body = request("What time is it in Tokyo right now?", tools=TOOLS, toolConfig=mode("ANY"))
    (call,) = calls(unary(run(body)))
    assert call == {"name": "get_time", "args": {"timezone": "Tokyo"}}
    validates(call["args"], TIME)


def test_gemini3_forced_call_has_an_id_and_a_signature() -> None:
    body = request("What is the weather in Paris?", tools=TOOLS, toolConfig=mode("ANY"))
    (part,) = [p for p in parts(unary(run(body, on=PRO3))) if "functionCall" in p]
    assert part["functionCall"]["id"]
    assert part["thoughtSignature"]


def test_mode_none_and_no_tools_answer_text() -> None:
    body = request("What is the weather in Paris?", tools=TOOLS, toolConfig=mode("NONE"))
    assert calls(unary(run(body))) == []
    assert calls(unary(run(request("What is the weather?", toolConfig=mode("ANY"))))) == []


# ------------------------------------------------------------------ 2. parallel calls


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
@pytest.mark.parametrize("calling", [None, "AUTO", "ANY"])
def test_several_lookups_answer_parallel_calls_with_the_places(
    stream: bool, calling: str | None
) -> None:
    body = request(PARALLEL, tools=TOOLS)
    if calling is not None:
        body["toolConfig"] = mode(calling)
    reply = run(body, on=PRO3, stream=stream)
    got = streamed_calls(chunks(reply)) if stream else calls(unary(reply))
    assert [(c["name"], c["args"]) for c in got] == [
        ("get_weather", {"location": "Paris"}),
        ("get_weather", {"location": "Tokyo"}),
    ]
    assert len({c["id"] for c in got}) == 2
    if not stream:
        assert len(unary(reply)["candidates"]) == 1


def test_an_ordinary_prompt_in_auto_mode_answers_text() -> None:
    # places without the tool in the prompt, or the tool without a place: text
    for text in ("Tell me about Paris and Tokyo.", "Do you like weather forecasts?"):
        whole = unary(run(request(text, tools=TOOLS)))
        assert calls(whole) == []
        assert answer(whole)


def test_a_prompt_asking_for_the_tool_in_auto_mode_calls_it() -> None:
    """Google's own function-calling example: in mode AUTO, "What is the weather in
    Paris today?" with a weather function gets a functionCall, not text
    (https://ai.google.dev/gemini-api/docs/function-calling). A proxy that drops
    tool_choice still meets a call, as it would in front of Gemini."""
    whole = unary(run(request("What is the weather in Paris today?", tools=TOOLS)))
    got = calls(whole)
    assert len(got) == 1
    assert "Paris" in json.dumps(got[0]["args"])
    # told to use it, with no place: the same
    told = calls(unary(run(request("What is the weather? Use the tool.", tools=TOOLS))))
    assert len(told) == 1
    # the tool's word without a place or an instruction: text
    assert calls(unary(run(request("Do you like weather forecasts?", tools=TOOLS)))) == []


def test_parallel_calls_without_a_place_property_still_differ() -> None:
    properties = {
        "city": {"type": "string", "enum": ["x", "y"]},
        "days": {"type": "integer", "minimum": 1},
    }
    schema = {"type": "object", "properties": properties, "required": ["city", "days"]}
    tools = [{"functionDeclarations": [{"name": "forecast", "parametersJsonSchema": schema}]}]
    body = request("Give the forecast for Paris and for Tokyo.", tools=tools)
    got = calls(unary(run(body)))
    assert len(got) == 2
    assert got[0]["args"] != got[1]["args"]
    for call in got:
        validates(call["args"], schema)


def test_places() -> None:
    assert places(PARALLEL) == ["Paris", "Tokyo"]
    assert places("Weather in New York, San Francisco and Zürich? JSON please.") == [
        "New York",
        "San Francisco",
        "Zürich",
    ]
    assert places("Paris is nice. Tokyo too.") == []  # sentence openers are not names


# ------------------------------------------------------------------ 3. tool results


def test_a_tool_result_is_answered_with_text() -> None:
    body = request(PARALLEL, tools=TOOLS, toolConfig=mode("ANY"))
    call = calls(unary(run(body)))[0]
    body["contents"] += [
        {"role": "model", "parts": [{"functionCall": call}]},
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": call["name"], "response": {"t": 18}}}],
        },
    ]
    assert planned_calls(body) == []
    whole = unary(run(body))
    assert calls(whole) == []
    assert answer(whole).strip()


# ------------------------------------------------------------------ 4. thoughts


THINK = {"thinkingConfig": {"includeThoughts": True}}


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
def test_a_thinking_model_shows_thoughts_first_when_asked(stream: bool) -> None:
    body = request("Think step by step: what is 17 * 23?", generationConfig=THINK)
    reply = run(body, stream=stream)
    got = chunks(reply) if stream else [unary(reply)]
    flags = [bool(p.get("thought")) for c in got for p in parts(c)]
    assert flags[0] is True
    assert False in flags
    assert flags == sorted(flags, reverse=True)  # every thought before the answer
    assert got[-1]["usageMetadata"]["thoughtsTokenCount"] == THOUGHT_TOKENS


def test_thoughts_are_not_shown_unasked_nor_by_a_model_that_does_not_think() -> None:
    whole = unary(run(request("What is 17 * 23?")))
    assert thoughts(whole) == ""
    assert whole["usageMetadata"]["thoughtsTokenCount"] == THOUGHT_TOKENS
    plain = unary(run(request("What is 17 * 23?", generationConfig=THINK), on=PLAIN))
    assert thoughts(plain) == ""
    assert "thoughtsTokenCount" not in plain["usageMetadata"]


def test_a_forced_call_on_a_thinking_model_shows_its_thoughts_when_asked() -> None:
    body = request("Weather in Paris?", tools=TOOLS, toolConfig=mode("ANY"), generationConfig=THINK)
    whole = unary(run(body))
    assert thoughts(whole)
    assert [c["name"] for c in calls(whole)] == ["get_weather"]


# ------------------------------------------------------------------ 5. stop sequences


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
def test_stop_sequences_cut_the_answer_before_the_stop(stream: bool) -> None:
    body = request(COUNT, generationConfig={"stopSequences": ["5"]})
    reply = run(body, on=PLAIN, stream=stream)
    if stream:
        got = chunks(reply)
        text = "".join(answer(c) for c in got)
        final = got[-1]
    else:
        final = unary(reply)
        text = answer(final)
    assert text == "1, 2, 3, 4, "
    assert final["candidates"][0]["finishReason"] == "STOP"


def test_a_count_prompt_answers_digits() -> None:
    assert answer(unary(run(request(COUNT), on=PLAIN))) == "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
    assert reply_text("count from 3 to 1", b"k" * 32) == ("3, 2, 1", False)


def test_cut_at_stop_takes_the_earliest_stop() -> None:
    assert cut_at_stop("a, b, c", ["c", "b"]) == "a, "
    assert cut_at_stop("a, b", ["z", ""]) == "a, b"
    assert cut_at_stop("abc", ["abc"]) == ""


def test_stop_sequences_apply_to_the_seeded_answer_too() -> None:
    key = bytes(range(32))
    whole, _, _ = said(text_plan(key, chunks=3, max_tokens=None).pieces)
    stop = whole.split()[3]
    plan = answer_plan(key, "Say something.", chunks=3, max_tokens=None, stops=[stop])
    assert said(plan.pieces)[0] == whole[: whole.index(stop)]
    assert plan.finish == "STOP"
    # without a stop, a recognised prompt or a thought budget: text_plan's answer itself
    assert answer_plan(key, "Say something.", chunks=3, max_tokens=None) == text_plan(
        key, chunks=3, max_tokens=None
    )


# ------------------------------------------------------------------ 6. maxOutputTokens


def test_max_output_tokens_caps_the_answer_of_a_model_that_does_not_think() -> None:
    body = request("Write a 300-word story.", generationConfig={"maxOutputTokens": 5})
    whole = unary(run(body, on=PLAIN))
    assert whole["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert len(answer(whole).split()) == 5
    assert whole["usageMetadata"]["candidatesTokenCount"] == 5


@pytest.mark.parametrize("limit", [1, 5, THOUGHT_TOKENS])
def test_thoughts_spend_max_output_tokens_first(limit: int) -> None:
    body = request("Write a story.", generationConfig={"maxOutputTokens": limit})
    whole = unary(run(body))
    usage = whole["usageMetadata"]
    assert whole["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert usage["thoughtsTokenCount"] == limit
    assert "candidatesTokenCount" not in usage
    assert answer(whole) == ""
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + limit


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
def test_shown_thoughts_are_cut_to_the_limit_too(stream: bool) -> None:
    body = request("Write a story.", generationConfig={"maxOutputTokens": 5, **THINK})
    reply = run(body, stream=stream)
    final = chunks(reply)[-1] if stream else unary(reply)
    text = "".join(thoughts(c) for c in chunks(reply)) if stream else thoughts(final)
    assert len(text.split()) == 5
    assert final["usageMetadata"]["thoughtsTokenCount"] == 5
    assert final["candidates"][0]["finishReason"] == "MAX_TOKENS"


def test_what_thoughts_leave_goes_to_the_answer() -> None:
    body = request("Write a story.", generationConfig={"maxOutputTokens": THOUGHT_TOKENS + 4})
    whole = unary(run(body))
    assert whole["usageMetadata"]["candidatesTokenCount"] == 4
    assert len(answer(whole).split()) == 4
    assert whole["candidates"][0]["finishReason"] == "MAX_TOKENS"
    roomy = unary(run(request("Write a story.", generationConfig={"maxOutputTokens": 1000})))
    assert roomy["candidates"][0]["finishReason"] == "STOP"
    assert len(answer(roomy).split()) == ANSWER_WORDS


# ------------------------------------------------------------------ 7. JSON mode


CITY = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "population": {"type": "integer"},
    },
    "required": ["city", "country", "population"],
    "additionalProperties": False,
}
CITY_OPENAPI = {
    "type": "OBJECT",
    "properties": {
        "city": {"type": "STRING"},
        "country": {"type": "STRING"},
        "population": {"type": "INTEGER"},
    },
    "required": ["city", "country", "population"],
}


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "sse"])
@pytest.mark.parametrize("field", ["responseJsonSchema", "responseSchema"])
def test_json_mode_answers_validate_without_a_directive(stream: bool, field: str) -> None:
    schema = CITY if field == "responseJsonSchema" else CITY_OPENAPI
    config = {"responseMimeType": "application/json", field: schema, **THINK}
    reply = run(request("Give the largest city of Japan.", generationConfig=config), stream=stream)
    text = "".join(answer(c) for c in chunks(reply)) if stream else answer(unary(reply))
    validates(json.loads(text), CITY)


# ------------------------------------------------------------------ 8. candidates


def test_candidate_count_two_without_a_directive() -> None:
    raw = orjson.dumps(request("Name one colour.", generationConfig={"candidateCount": 2}))
    handled = handle_generate(
        PLAIN, raw, header=None, pop_queued=lambda: None, seed=0, stream=False, sse=True
    )
    whole = unary(handled.reply)
    assert [c["index"] for c in whole["candidates"]] == [0, 1]
    assert answer(whole, 0) != answer(whole, 1)


# ------------------------------------------------------------------ 9. long lists


def test_a_long_list_is_numbered_and_paced() -> None:
    reply = run(request(LIST), on=PLAIN, stream=True)
    got = chunks(reply)
    lines = "".join(answer(c) for c in got).split("\n")
    assert [line.split(".")[0] for line in lines] == [str(i) for i in range(1, 41)]
    assert all(len(line.split()) == 3 for line in lines)
    assert reply.writes is not None
    assert len(reply.writes) >= LONG_CHUNKS >= 4
    assert [w.delay_ms for w in reply.writes] == [0] + [PACE_MS] * (len(reply.writes) - 1)
    assert PACE_MS >= 50
    whole = unary(run(request(LIST), on=PLAIN))
    assert answer(whole) == "\n".join(lines)


def test_ordinary_and_short_answers_are_not_paced_and_a_directive_chunk_ms_wins() -> None:
    for text in ("Say hello.", "List 3 fruits as a numbered list."):
        reply = run(request(text), on=PLAIN, stream=True)
        assert reply.writes is not None
        assert {w.delay_ms for w in reply.writes} == {0}
    paced = run(request(LIST), on=PLAIN, stream=True, chunk_ms=5)
    assert paced.writes is not None
    assert {w.delay_ms for w in paced.writes[1:]} == {5}


def test_other_scenarios_keep_their_answers() -> None:
    # the prompt rules are the default scenario's; a scripted one is not changed by them
    scripted = unary(run(request(COUNT), scenario=Scenario.MAX_TOKENS, on=PLAIN))
    assert "1, 2" not in answer(scripted)
    body = request(PARALLEL, tools=TOOLS)
    assert len(calls(unary(run(body, scenario=Scenario.TOOL_CALL)))) == 1


# ------------------------------------------------------------------ 10. image input


PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a3a4d0c90000000049454e44ae426082"
    )
).decode()


def test_an_image_question_gets_a_text_answer() -> None:
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "What colour is this image? Answer in one word."},
                    {"inlineData": {"mimeType": "image/png", "data": PNG}},
                ],
            }
        ]
    }
    whole = unary(run(body, on=PLAIN))
    assert answer(whole).strip()
    assert whole["candidates"][0]["finishReason"] == "STOP"


# ------------------------------------------------------------------ determinism


def test_every_behaviour_is_deterministic() -> None:
    bodies = [
        request(PARALLEL, tools=TOOLS),
        request(LIST),
        request(COUNT, generationConfig={"stopSequences": ["5"], **THINK}),
    ]
    for body in bodies:
        for stream in (False, True):
            first = run(body, stream=stream)
            copy = orjson.loads(orjson.dumps(body))
            assert run(copy, stream=stream) == first


def test_user_text_drops_directives_and_reads_the_last_user_turn() -> None:
    body = request("old")
    body["contents"] += [
        {"role": "model", "parts": [{"text": "ok"}]},
        {"role": "user", "parts": [{"text": "List 2 things [[mock:cid=x]]"}]},
    ]
    assert user_text(body) == "List 2 things"


def test_googles_openai_endpoint_paces_a_long_list_too() -> None:
    """The compat route streams a plain prompt's long list paced, as Gemini's own route
    (and Google's real endpoint, which streams as the model writes) does: black-box
    runs against the mock's /v1beta/openai judged it buffered before."""
    body = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": LIST}]}
    parsed = parse_chat({**body, "stream": True})
    reply = chat_reply(PLAIN, parsed.model, parsed.body, Directive(), 0, stream=True)
    assert reply.writes is not None
    delays = [w.delay_ms for w in reply.writes]
    assert delays.count(PACE_MS) >= LONG_CHUNKS - 1
    short = parse_chat({**body, "stream": True, "messages": [{"role": "user", "content": "Hi"}]})
    plain = chat_reply(PLAIN, short.model, short.body, Directive(), 0, stream=True)
    assert plain.writes is not None
    assert {w.delay_ms for w in plain.writes} == {0}


@pytest.mark.parametrize("stream", [False, True])
def test_a_fact_the_system_instruction_states_is_answered_from_it(stream: bool) -> None:
    """field.developer_role's probe: the codename only the system instruction gives."""
    system = {"parts": [{"text": "The project's codename is ZEBRA-42."}]}
    body = request(
        "What is the project's codename? Reply with the codename only.", systemInstruction=system
    )
    reply = run(body, stream=stream)
    said_text = "".join(answer(c) for c in chunks(reply)) if stream else answer(unary(reply))
    assert said_text == "ZEBRA-42"
    # without the instruction (a proxy that dropped it) the model cannot know it
    plain = answer(unary(run(request("What is the project's codename?"))))
    assert "ZEBRA" not in plain
    # an instruction that states something else is no answer to the question
    other = {"parts": [{"text": "The project's mascot is a zebra."}]}
    asked = request("What is the project's codename?", systemInstruction=other)
    assert "ZEBRA-42" not in answer(unary(run(asked)))


def test_a_fact_an_earlier_turn_states_is_answered_as_a_model_reads_it() -> None:
    """A proxy that sends the developer message as a user turn (lm-proxy 3.3.2) or as
    another part of the question's turn still gets it read: Gemini reads every turn."""
    fact = "The project's codename is ZEBRA-42."
    question = "What is the project's codename? Reply with the codename only."
    turns = {
        "contents": [
            {"role": "user", "parts": [{"text": fact}]},
            {"role": "user", "parts": [{"text": question}]},
        ]
    }
    assert answer(unary(run(turns))) == "ZEBRA-42"
    one_turn = {"contents": [{"role": "user", "parts": [{"text": fact}, {"text": question}]}]}
    assert answer(unary(run(one_turn))) == "ZEBRA-42"
    # a model turn that stated it is read too; a question alone still cannot be answered
    said = {
        "contents": [
            {"role": "model", "parts": [{"text": fact}]},
            {"role": "user", "parts": [{"text": question}]},
        ]
    }
    assert answer(unary(run(said))) == "ZEBRA-42"
    assert "ZEBRA" not in answer(unary(run(request(question))))
