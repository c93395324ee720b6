"""OpenAI request -> Gemini request (reference_impl.translate.request), table by table.

Each case names the wire-formats.md section or client-breakages.md item it pins.
"""

from __future__ import annotations

from typing import Any

import pytest

from reference_impl.translate import RequestError, translate_request
from reference_impl.translate.request import SKIP_SIGNATURE


def req(*messages: Any, **kw: Any) -> dict[str, Any]:
    return {"model": kw.pop("model", "gemini-2.5-flash"), "messages": list(messages), **kw}


def user(content: Any = "hi") -> dict[str, Any]:
    return {"role": "user", "content": content}


def gemini(body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return translate_request(body, **kw).request


def config(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = gemini(req(user(), **kw)).get("generationConfig", {})
    out.pop("thinkingConfig", None)
    return out


# --------------------------------------------------------------------------- messages


def test_minimal_request() -> None:
    call = translate_request(req(user("hello"), model="models/gemini-2.5-flash"))
    assert call.model == "gemini-2.5-flash"
    assert call.stream is False
    assert call.include_usage is False
    assert call.request["contents"] == [{"role": "user", "parts": [{"text": "hello"}]}]


def test_stream_flags() -> None:
    call = translate_request(req(user(), stream=True, stream_options={"include_usage": True}))
    assert (call.stream, call.include_usage) == (True, True)


def test_system_and_developer_go_to_system_instruction() -> None:
    out = gemini(
        req(
            {"role": "system", "content": "be terse"},
            {"role": "developer", "content": [{"type": "text", "text": "and kind"}]},
            user(),
        )
    )
    assert out["systemInstruction"] == {"parts": [{"text": "be terse"}, {"text": "and kind"}]}
    assert [c["role"] for c in out["contents"]] == ["user"]


def test_system_only_becomes_the_user_turn() -> None:
    out = gemini(req({"role": "system", "content": "say hi"}))
    assert out["contents"] == [{"role": "user", "parts": [{"text": "say hi"}]}]
    assert "systemInstruction" not in out


def test_roles_map_and_consecutive_turns_merge() -> None:
    out = gemini(
        req(
            user("a"),
            user("b"),
            {"role": "assistant", "content": "c"},
            {"role": "assistant", "content": [{"type": "text", "text": "d"}]},
            user("e"),
        )
    )
    assert out["contents"] == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}]},
        {"role": "model", "parts": [{"text": "c"}, {"text": "d"}]},
        {"role": "user", "parts": [{"text": "e"}]},
    ]


def test_content_part_arrays_for_every_role() -> None:
    """F3: opencode/continue always send arrays."""
    text = [{"type": "text", "text": "x"}]
    out = gemini(
        req(
            {"role": "system", "content": text},
            user(text),
            {
                "role": "assistant",
                "content": text,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": text},
        )
    )
    assert out["contents"][2]["parts"][0]["functionResponse"]["response"] == {"result": "x"}


def test_images_data_url_and_http() -> None:
    """F7: data URLs become inlineData, http URLs fileData."""
    parts = gemini(
        req(
            user(
                [
                    {"type": "text", "text": "what is this"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"},
                    },
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp?x=1"}},
                    {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "mp3"}},
                    {
                        "type": "file",
                        "file": {
                            "file_data": "data:application/pdf;base64,JVBER",
                            "filename": "a.pdf",
                        },
                    },
                ]
            )
        )
    )["contents"][0]["parts"]
    assert parts == [
        {"text": "what is this"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp?x=1"}},
        {"inlineData": {"mimeType": "audio/mp3", "data": "UklGR"}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBER"}},
    ]


def test_empty_text_parts_are_dropped_and_empty_turns_skipped() -> None:
    out = gemini(req(user("a"), {"role": "assistant", "content": ""}, user("")))
    assert out["contents"] == [{"role": "user", "parts": [{"text": "a"}]}]


# --------------------------------------------------------------------------- tool turns


def _assistant(*calls: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        **extra,
        "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
            for cid, name, args in calls
        ],
    }


def test_tool_calls_and_results_b3() -> None:
    """B3: names from the assistant's calls, merged, in call order, ids kept."""
    out = gemini(
        req(
            user("go"),
            _assistant(("call_a", "get_weather", '{"city": "Paris"}'), ("call_b", "get_time", "")),
            {"role": "tool", "tool_call_id": "call_b", "content": "noon"},
            {"role": "tool", "tool_call_id": "call_a", "content": '{"temp": 20}'},
        )
    )
    assert out["contents"][1] == {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_a"}},
            {"functionCall": {"name": "get_time", "args": {}, "id": "call_b"}},
        ],
    }
    assert out["contents"][2] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp": 20}, "id": "call_a"}},
            {
                "functionResponse": {
                    "name": "get_time",
                    "response": {"result": "noon"},
                    "id": "call_b",
                }
            },
        ],
    }


def test_tool_result_followed_by_user_text_stays_one_user_turn() -> None:
    out = gemini(
        req(
            user(),
            _assistant(("c", "f", "{}")),
            {"role": "tool", "tool_call_id": "c", "content": "1"},
            user("thanks"),
        )
    )
    assert [c["role"] for c in out["contents"]] == ["user", "model", "user"]
    assert out["contents"][2]["parts"][1] == {"text": "thanks"}


def test_thought_signature_echoed_from_extra_content_b1() -> None:
    msg = _assistant(("c", "f", "{}"))
    msg["tool_calls"][0]["extra_content"] = {"google": {"thought_signature": "SIG"}}
    part = gemini(req(user(), msg, {"role": "tool", "tool_call_id": "c", "content": "ok"}))[
        "contents"
    ][1]["parts"][0]
    assert part["thoughtSignature"] == "SIG"


def test_thought_signature_from_the_proxys_memory_b1() -> None:
    issued = {"c": "CACHED"}
    body = req(
        user(), _assistant(("c", "f", "{}")), {"role": "tool", "tool_call_id": "c", "content": "ok"}
    )
    part = gemini(body, signatures=issued.get)["contents"][1]["parts"][0]
    assert part["thoughtSignature"] == "CACHED"


def test_gemini3_lost_signature_uses_googles_placeholder() -> None:
    body = req(
        user(),
        _assistant(("c", "f", "{}"), ("d", "f", "{}")),
        {"role": "tool", "tool_call_id": "c", "content": "1"},
        {"role": "tool", "tool_call_id": "d", "content": "2"},
        model="gemini-3-pro-preview",
    )
    parts = gemini(body, signatures=lambda _id: None)["contents"][1]["parts"]
    assert parts[0]["thoughtSignature"] == SKIP_SIGNATURE
    assert "thoughtSignature" not in parts[1]
    body["model"] = "gemini-2.5-flash"
    assert "thoughtSignature" not in gemini(body)["contents"][1]["parts"][0]


def test_legacy_function_messages() -> None:
    out = gemini(
        req(
            user(),
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "f", "arguments": '{"a": 1}'},
            },
            {"role": "function", "name": "f", "content": "2"},
        )
    )
    assert out["contents"][1]["parts"] == [{"functionCall": {"name": "f", "args": {"a": 1}}}]
    assert out["contents"][2]["parts"] == [
        {"functionResponse": {"name": "f", "response": {"result": "2"}}}
    ]


# --------------------------------------------------------------------------- tools


def test_tools_and_tool_choice_b5() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "f",
                "description": "does f",
                "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
            },
        },
        {
            "type": "function",
            "function": {"name": "g", "parameters": {"type": "object", "properties": {}}},
        },
    ]
    out = gemini(req(user(), tools=tools))
    assert out["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "f",
                    "description": "does f",
                    "parameters": {"type": "OBJECT", "properties": {"a": {"type": "INTEGER"}}},
                },
                {"name": "g"},
            ]
        }
    ]
    assert "toolConfig" not in out
    cases = {
        "auto": {"mode": "AUTO"},
        "none": {"mode": "NONE"},
        "required": {"mode": "ANY"},
    }
    for choice, expected in cases.items():
        assert gemini(req(user(), tools=tools, tool_choice=choice))["toolConfig"] == {
            "functionCallingConfig": expected
        }
    named = {"type": "function", "function": {"name": "g"}}
    assert gemini(req(user(), tools=tools, tool_choice=named))["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["g"]}
    }


def test_tool_choice_without_tools() -> None:
    assert "toolConfig" not in gemini(req(user(), tool_choice="auto"))
    with pytest.raises(RequestError) as info:
        translate_request(req(user(), tool_choice="required"))
    assert info.value.param == "tool_choice"


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"temperature": 0, "top_p": 0.9, "top_k": 40},
            {"temperature": 0, "topP": 0.9, "topK": 40},
        ),
        ({"n": 2}, {"candidateCount": 2}),
        ({"max_tokens": 100}, {"maxOutputTokens": 100}),
        ({"max_tokens": 100, "max_completion_tokens": 50}, {"maxOutputTokens": 50}),  # F2
        ({"stop": "END"}, {"stopSequences": ["END"]}),  # F5
        ({"stop": ["a", "b", "c", "d"]}, {"stopSequences": ["a", "b", "c", "d"]}),
        ({"stop": ["1", "2", "3", "4", "5", "6"]}, {"stopSequences": ["1", "2", "3", "4", "5"]}),
        ({"stop": None}, {}),
        ({"seed": 7}, {"seed": 7}),
        ({"presence_penalty": 0.5, "frequency_penalty": 0}, {"presencePenalty": 0.5}),
        ({"response_format": {"type": "json_object"}}, {"responseMimeType": "application/json"}),
        ({"response_format": {"type": "text"}}, {}),
        (  # F1: tolerated, not forwarded
            {
                "store": False,
                "metadata": {"k": "v"},
                "user": "u",
                "parallel_tool_calls": False,
                "service_tier": "auto",
                "logprobs": False,
                "prediction": {"type": "content"},
                "stream_options": None,
                "safety_identifier": "x",
                "verbosity": "low",
            },
            {},
        ),
    ],
)
def test_generation_config(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    assert config(**fields) == expected


def test_response_format_json_schema_is_sanitised_f4() -> None:
    fmt = {
        "type": "json_schema",
        "json_schema": {
            "name": "x",
            "strict": True,
            "schema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {"a": {"type": ["string", "null"]}, "b": {"const": "k"}},
                "required": ["a", "b"],
                "additionalProperties": False,
            },
        },
    }
    assert config(response_format=fmt) == {
        "responseMimeType": "application/json",
        "responseJsonSchema": {
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"enum": ["k"], "type": "string"},
            },
            "required": ["a", "b"],
        },
    }


def test_reasoning_fields_reach_thinking_config() -> None:
    out = gemini(req(user(), reasoning_effort="high"))
    assert out["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 24576,
        "includeThoughts": True,
    }
    out = gemini(req(user(), thinking_budget=0, reasoning_effort="high"))
    assert out["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 0,
        "includeThoughts": False,
    }


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("just a string", None),
        ({"messages": [user()]}, "model"),
        ({"model": 5, "messages": [user()]}, "model"),
        ({"model": "../../admin", "messages": [user()]}, "model"),
        ({"model": "gemini-2.5-flash"}, "messages"),
        (req(), "messages"),
        ({"model": "m", "messages": {"role": "user"}}, "messages"),
        (req("hello"), "messages[0]"),
        (req({"role": "robot", "content": "x"}), "messages[0].role"),
        (req({"content": "x"}), "messages[0].role"),
        (req(user(42)), "messages[0].content"),
        (req(user([{"type": "video", "video": {}}])), "messages[0].content[0].type"),
        (req(user([{"type": "text", "text": None}])), "messages[0].content[0].text"),
        (
            req(user([{"type": "image_url", "image_url": {"url": "ftp://x"}}])),
            "messages[0].content[0].image_url.url",
        ),
        (
            req({"role": "system", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}),
            "messages[0].content[0].type",
        ),
        (req(user(), {"role": "assistant", "tool_calls": {"id": "x"}}), "messages[1].tool_calls"),
        (
            req(
                user(),
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{"}}],
                },
            ),
            "messages[1].tool_calls[0].function.arguments",
        ),
        (
            req(user(), {"role": "assistant", "function_call": {"name": "f", "arguments": "["}}),
            "messages[1].function_call.arguments",
        ),
        (req(user(), {"role": "tool", "content": "x"}), "messages[1].tool_call_id"),
        (
            req(user(), {"role": "tool", "tool_call_id": "nope", "content": "x"}),
            "messages[1].tool_call_id",
        ),
        (req(user(), temperature="hot"), "temperature"),
        (req(user(), temperature=True), "temperature"),
        (req(user(), max_tokens=1.5), "max_tokens"),
        (req(user(), max_completion_tokens=0), "max_completion_tokens"),
        (req(user(), n=0), "n"),
        (req(user(), stop=[1]), "stop"),
        (req(user(), stream="yes"), "stream"),
        (req(user(), stream_options=[]), "stream_options"),
        (req(user(), tools={"a": 1}), "tools"),
        (req(user(), tools=[{"type": "web_search"}]), "tools[0].type"),
        (
            req(user(), tools=[{"type": "function", "function": {"name": ""}}]),
            "tools[0].function.name",
        ),
        (
            req(user(), tools=[{"type": "function", "function": {"name": "f", "parameters": []}}]),
            "tools[0].function.parameters",
        ),
        (req(user(), tool_choice="sometimes"), "tool_choice"),
        (
            req(
                user(),
                tools=[{"type": "function", "function": {"name": "f"}}],
                tool_choice={"type": "function", "function": {"name": "g"}},
            ),
            "tool_choice",
        ),
        (req(user(), response_format={"type": "xml"}), "response_format.type"),
        (req(user(), response_format={"type": "json_schema"}), "response_format.json_schema"),
        (req(user(), reasoning_effort="extreme"), "reasoning_effort"),
        (req(user(), reasoning_effort=3), "reasoning_effort"),
        (req(user(), thinking_budget=-2), "thinking_budget"),
    ],
)
def test_invalid_requests_name_the_field(body: Any, param: str | None) -> None:
    with pytest.raises(RequestError) as info:
        translate_request(body)
    err = info.value
    assert err.status == 400
    assert err.param == param
    assert err.envelope()["error"]["type"] == "invalid_request_error"
    if param:
        assert param in err.message


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"seed": 2**63}, "seed"),
        ({"seed": -(2**63) - 1}, "seed"),
        ({"seed": -1.180591620717411e21}, "seed"),  # JSON's integer, past 64 bits
        ({"max_completion_tokens": 1e30}, "max_completion_tokens"),
        ({"n": 2**64}, "n"),
    ],
)
def test_an_integer_past_64_bits_is_a_400_naming_its_field(
    fields: dict[str, Any], param: str
) -> None:
    """Found by fuzzing: an integral seed past 64 bits passed the document's ``integer``
    and then broke the upstream request's JSON encoder (a 500)."""
    with pytest.raises(RequestError) as info:
        translate_request(req(user(), **fields))
    assert info.value.param == param
    assert "64-bit" in info.value.message or "must be" in info.value.message


def test_the_64_bit_bounds_themselves_pass() -> None:
    for seed in (2**63 - 1, -(2**63)):
        assert gemini(req(user(), seed=seed))["generationConfig"]["seed"] == seed
