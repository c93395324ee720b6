"""mockserver.compat_request / compat_response: translation and Google-compat framing."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any, cast

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.compat_request import parse_chat
from mockserver.compat_response import chat_reply, embeddings, error_body, model_entry, models_list
from mockserver.embed import vector
from mockserver.errors import GoogleError, rate_limit
from mockserver.responses import Reply
from spec.mock_admin import GenerateSummary
from spec.scenarios import Directive, Scenario


def _model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


FLASH = _model("gemini-2.5-flash")
PRO3 = _model("gemini-3-pro-preview")
KEYS = [
    "model", "messages", "role", "content", "tool_calls", "tool_call_id", "name", "function",
    "arguments", "type", "text", "image_url", "url", "tools", "tool_choice", "stream", "stop",
    "response_format", "json_schema", "schema", "reasoning_effort", "extra_body", "google",
    "thinking_config", "include_thoughts", "max_tokens", "temperature", "n", "parameters",
]  # fmt: skip
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def chat(**extra: Any) -> dict[str, Any]:
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}], **extra}


def test_translation_to_a_gemini_request() -> None:
    parsed = parse_chat(
        {
            "model": "gemini-2.5-flash",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                ]},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function",
                     "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                     "extra_content": {"google": {"thought_signature": "c2ln"}}},
                    {"id": "c2", "type": "function",
                     "function": {"name": "get_time", "arguments": "{}"}},
                ]},
                {"role": "tool", "tool_call_id": "c2", "content": "noon"},
                {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "5C"}]},
            ],
            "tools": TOOLS,
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "max_completion_tokens": 64,
            "stop": "END",
            "temperature": 0.5,
            "reasoning_effort": "low",
            "response_format": {"type": "json_schema",
                                "json_schema": {"schema": {"type": "object"}}},
            "stream": True,
        }
    )  # fmt: skip
    assert parsed.stream is True
    gemini = parsed.body
    assert gemini["systemInstruction"] == {"parts": [{"text": "be brief"}]}
    assert gemini["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": "iVBO"}
    }
    model_turn = gemini["contents"][1]
    assert model_turn["role"] == "model"
    assert model_turn["parts"][0] == {
        "functionCall": {"name": "get_weather", "args": {"city": "Oslo"}},
        "thoughtSignature": "c2ln",
    }
    assert gemini["contents"][2] == {  # both results in one user turn, named by call id
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_time", "response": {"result": "noon"}}},
            {"functionResponse": {"name": "get_weather", "response": {"result": "5C"}}},
        ],
    }
    assert gemini["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"]["type"] == "object"
    assert gemini["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }
    assert gemini["generationConfig"] == {
        "temperature": 0.5,
        "maxOutputTokens": 64,
        "stopSequences": ["END"],
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object"},
        "thinkingConfig": {"thinkingBudget": 1024},
    }
    level = parse_chat({**chat(reasoning_effort="high"), "model": "models/gemini-3-pro-preview"})
    assert level.body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "HIGH"}


@pytest.mark.parametrize(
    ("request_body", "needle"),
    [
        (chat(store=True, metadata={}), 'Unknown name "store": Cannot find field.\n'),
        (chat(messages=[]), "messages must be non-empty"),
        ({"messages": [{"role": "user", "content": "x"}]}, "model is required"),
        (chat(messages=[{"role": "robot", "content": "x"}]), "unknown role 'robot'"),
        (chat(messages=[{"role": "tool", "tool_call_id": "nope", "content": "x"}]), "Name cannot"),
        (chat(tool_choice="sometimes"), "unknown tool_choice"),
        (chat(temperature="warm"), "'temperature': must be a number"),
        (chat(reasoning_effort="max"), "unknown reasoning_effort"),
    ],
)
def test_bad_chat_requests(request_body: dict[str, Any], needle: str) -> None:
    with pytest.raises(GoogleError) as info:
        parse_chat(request_body)
    assert info.value.status == 400
    assert needle in info.value.message


def reply_for(
    request: dict[str, Any], directive: Directive | None = None, model: Any = FLASH
) -> Reply:
    parsed = parse_chat(request)
    return chat_reply(
        model, parsed.model, parsed.body, directive or Directive(), 0, stream=parsed.stream
    )


def stream_body(reply: Reply) -> bytes:
    assert reply.writes is not None
    return b"".join(w.data for w in reply.writes)


def events(data: bytes) -> list[str]:
    assert data.endswith(b"\n\n")
    frames = data[:-2].split(b"\n\n")
    assert all(f.startswith(b"data: ") and b"\n" not in f for f in frames)
    return [f[6:].decode() for f in frames]


def test_unary_completion() -> None:
    reply = reply_for(chat())
    assert reply.status == 200
    body = json.loads(reply.body)
    assert list(body) == sorted(body)  # Google's compat JSON has sorted keys
    assert body["object"] == "chat.completion"
    assert body["model"] == "gemini-2.5-flash"
    [choice] = body["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    # gemini-2.5-flash thinks: its thought tokens are billed output (reasoning_tokens)
    reasoning = body["usage"]["completion_tokens_details"]["reasoning_tokens"]
    assert reasoning > 0
    assert (
        len(choice["message"]["content"].split()) + reasoning == body["usage"]["completion_tokens"]
    )
    assert reply.body == reply_for(chat()).body


def test_n_gives_one_choice_and_json_formats_give_json_content() -> None:
    reply = reply_for(chat(n=3))
    [choice] = json.loads(reply.body)["choices"]
    summary = cast("GenerateSummary | None", reply.summary)  # a chat reply's: never media
    assert summary is not None
    assert summary["candidates"] == 1
    assert summary["texts"] == [choice["message"]["content"]]
    streamed = reply_for(chat(n=2, stream=True))
    chunks = [json.loads(e) for e in events(stream_body(streamed))[:-1]]
    assert {c["choices"][0]["index"] for c in chunks} == {0}
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "trip", "schema": schema}}
    content = json.loads(reply_for(chat(response_format=fmt)).body)["choices"][0]["message"]
    jsonschema.validate(json.loads(content["content"]), schema)
    plain = reply_for(chat(response_format={"type": "json_object"}))
    assert list(json.loads(json.loads(plain.body)["choices"][0]["message"]["content"])) == [
        "answer"
    ]


def test_stream_framing_usage_and_done() -> None:
    reply = reply_for(chat(stream=True), Directive(chunks=4))
    assert dict(reply.headers)["Content-Type"] == "text/event-stream"
    data = events(stream_body(reply))
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert len(chunks) == 4
    assert {c["id"] for c in chunks} == {chunks[0]["id"]}
    assert all(c["choices"][0]["delta"]["role"] == "assistant" for c in chunks)
    assert [c["choices"][0].get("finish_reason") for c in chunks] == [None] * 3 + ["stop"]
    # the running usage on every chunk, even without stream_options (ogx-ai/ogx#5122)
    totals = [c["usage"]["total_tokens"] for c in chunks]
    assert totals == sorted(totals)
    assert len(set(totals)) > 1
    assert {c["usage"]["prompt_tokens"] for c in chunks} == {chunks[0]["usage"]["prompt_tokens"]}
    text = "".join(c["choices"][0]["delta"]["content"] for c in chunks)
    unary = json.loads(reply_for(chat(), Directive(chunks=4)).body)
    assert text == unary["choices"][0]["message"]["content"]


def test_tool_calls_unary_and_with_googles_stream_quirks() -> None:
    directive = Directive(Scenario.PARALLEL_TOOL_CALLS)
    unary = json.loads(reply_for(chat(tools=TOOLS), directive, PRO3).body)
    [choice] = unary["choices"]
    assert choice["finish_reason"] == "tool_calls"
    calls = choice["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather"] * 3
    assert len({c["id"] for c in calls}) == 3
    assert "extra_content" in calls[0]  # gemini-3 signs the first call (B1)
    assert calls[0]["extra_content"]["google"]["thought_signature"]
    streamed = [json.loads(d) for d in events(stream_body(
        reply_for(chat(tools=TOOLS, stream=True), directive, PRO3)))[:-1]]  # fmt: skip
    deltas = [c["choices"][0]["delta"]["tool_calls"] for c in streamed]
    assert all(len(d) == 1 and "index" not in d[0] for d in deltas)  # quirk A1
    assert streamed[-1]["choices"][0]["finish_reason"] == "stop"  # quirk A2
    assert [d[0]["id"] for d in deltas] == [c["id"] for c in calls]


def test_thoughts_are_tagged_in_content() -> None:
    extra = {"extra_body": {"google": {"thinking_config": {"include_thoughts": True}}}}
    body = json.loads(reply_for(chat(**extra), Directive(Scenario.THOUGHTS)).body)
    content = body["choices"][0]["message"]["content"]
    assert content.startswith("<thought>**")
    assert content.count("</thought>") == 1
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    hidden = json.loads(reply_for(chat(), Directive(Scenario.THOUGHTS)).body)
    assert "<thought>" not in hidden["choices"][0]["message"]["content"]


def test_errors_are_arrays_and_mid_stream_faults() -> None:
    reply = reply_for(chat(), Directive(Scenario.RATE_LIMIT, retry_delay=3.0))
    assert reply.status == 429
    body = json.loads(reply.body)
    assert isinstance(body, list)
    assert body[0]["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert reply.body.startswith(b'[{\n  "error": {')
    assert reply.body.endswith(b"}\n]\n")
    cut = reply_for(chat(stream=True), Directive(Scenario.MID_STREAM_CUT, chunks=4, cut_after=2))
    assert cut.abort
    assert len(events(stream_body(cut))) == 2
    failed = reply_for(
        chat(stream=True), Directive(Scenario.MID_STREAM_ERROR, chunks=4, cut_after=1)
    )
    data = events(stream_body(failed))
    assert len(data) == 2
    assert json.loads(data[-1])["error"]["code"] == 503
    assert "[DONE]" not in data
    assert json.loads(error_body(rate_limit("m", 1.0)))[0]["error"]["code"] == 429


def test_length_directive_on_compat_streams() -> None:
    whole = reply_for(chat(stream=True), Directive(length=True))
    assert whole.content_length == len(stream_body(whole))
    cut = reply_for(chat(stream=True), Directive(Scenario.MID_STREAM_CUT, cut_after=1, length=True))
    assert cut.content_length is not None
    assert cut.content_length > len(stream_body(cut))


def test_models_and_embeddings() -> None:
    listing = json.loads(models_list())
    assert listing["object"] == "list"
    assert {
        "created": 0,
        "id": "models/gemini-2.5-flash",
        "object": "model",
        "owned_by": "google",
    } in listing["data"]
    assert json.loads(model_entry("gemini-2.5-pro") or b"")["id"] == "models/gemini-2.5-pro"
    assert model_entry("gpt-4") is None
    out = json.loads(embeddings({"model": "gemini-embedding-001", "input": ["a b", "c"],
                                 "dimensions": 4}, 0))  # fmt: skip
    assert [d["index"] for d in out["data"]] == [0, 1]
    assert out["data"][0]["embedding"] == vector(0, "gemini-embedding-001", "a b", 4)
    assert out["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    packed = json.loads(embeddings({"model": "gemini-embedding-001", "input": "a b",
                                    "dimensions": 4, "encoding_format": "base64"}, 0))  # fmt: skip
    raw = base64.b64decode(packed["data"][0]["embedding"])
    assert struct.unpack("<4f", raw) == pytest.approx(out["data"][0]["embedding"], abs=1e-6)
    with pytest.raises(GoogleError, match="v1main"):
        embeddings({"model": "gemini-2.5-flash", "input": "x"}, 0)
    with pytest.raises(GoogleError, match="dimensions"):
        embeddings({"model": "gemini-embedding-001", "input": "x", "dimensions": 0}, 0)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=15,
)


def status_of(value: Any) -> int:
    try:
        parsed = parse_chat(value)
    except GoogleError as exc:
        return exc.status
    reply = chat_reply(FLASH, parsed.model, parsed.body, Directive(), 0, stream=parsed.stream)
    return reply.status


MESSAGE_KEYS = ("content", "tool_calls", "tool_call_id", "name")
CHAT_KEYS = ("tools", "tool_choice", "stop", "response_format", "reasoning_effort",
             "extra_body", "temperature", "max_tokens", "n", "stream")  # fmt: skip
chat_bodies = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["gemini-2.5-flash", "gemini-3-pro-preview"]),
        "messages": st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(["system", "developer", "user", "assistant", "tool"])},
                optional=dict.fromkeys(MESSAGE_KEYS, json_values),
            ),
            min_size=1,
            max_size=4,
        ),
    },
    optional=dict.fromkeys(CHAT_KEYS, json_values),
)


@given(json_values | chat_bodies)
def test_arbitrary_chat_bodies_are_answered_or_refused_with_a_400(value: Any) -> None:
    assert status_of(value) in (200, 400)
