"""mockserver.fields via request.validate_generate: Google's 400s, naming the field (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import spec
from mockserver.errors import GoogleError
from mockserver.fields import MESSAGES, violations
from mockserver.request import validate_generate
from spec.gemini_fields import tables as _tables


def body(**extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **extra}


def rejected(request: Any) -> dict[str, Any]:
    with pytest.raises(GoogleError) as info:
        validate_generate(request)
    assert info.value.status == 400
    error: dict[str, Any] = json.loads(info.value.body)["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    return error


def test_unknown_field_in_generation_config_is_named_with_its_path() -> None:
    error = rejected(body(generationConfig={"foo": 1}))
    assert error["message"] == (
        "Invalid JSON payload received. Unknown name \"foo\" at 'generation_config': "
        "Cannot find field."
    )
    [detail] = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert detail["fieldViolations"] == [
        {"field": "generation_config", "description": error["message"]}
    ]


def test_every_problem_is_listed_once_in_document_order() -> None:
    request = body(
        generation_config={"temperature": "hot", "bar": True},
        safetySettings=[{"category": "HARM_CATEGORY_NOPE", "threshold": "BLOCK_NONE"}],
        stream=True,
    )
    lines = rejected(request)["message"].split("\n")
    assert lines == [
        "Invalid JSON payload received. Invalid value at 'generation_config.temperature' "
        '(TYPE_FLOAT), "hot"',
        "Invalid JSON payload received. Unknown name \"bar\" at 'generation_config': "
        "Cannot find field.",
        "Invalid JSON payload received. Invalid value at 'safety_settings[0].category' "
        "(type.googleapis.com/google.ai.generativelanguage.v1beta.HarmCategory), "
        '"HARM_CATEGORY_NOPE"',
        'Invalid JSON payload received. Unknown name "stream": Cannot find field.',
    ]


def test_unsanitized_tool_schemas_get_googles_messages() -> None:
    """client-breakages B2: what a proxy that forwards OpenAI schemas as-is gets back."""
    schema = {
        "type": "object",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": ["string", "null"], "const": "x"},
        },
    }
    request = body(tools=[{"functionDeclarations": [{"name": "f", "parameters": schema}]}])
    lines = rejected(request)["message"].split("\n")
    base = "tools[0].function_declarations[0].parameters"
    assert lines == [
        f"Invalid JSON payload received. Unknown name \"$schema\" at '{base}': Cannot find field.",
        f"Invalid JSON payload received. Unknown name \"type\" at '{base}.properties[1].value': "
        "Proto field is not repeating, cannot start list.",
        f"Invalid JSON payload received. Unknown name \"const\" at '{base}.properties[1].value': "
        "Cannot find field.",
    ]
    # the same schema is fine as parametersJsonSchema (plain JSON Schema, any keyword)
    ok = body(tools=[{"functionDeclarations": [{"name": "f", "parametersJsonSchema": schema}]}])
    assert validate_generate(ok) is ok


def test_snake_case_lower_case_enums_nulls_and_numeric_strings_are_accepted() -> None:
    request = {
        "contents": [{"role": "user", "parts": [{"text": "hi", "thought_signature": None}]}],
        "system_instruction": {"parts": [{"text": "be brief"}]},
        "generation_config": {
            "max_output_tokens": "64",
            "temperature": 0,
            "top_k": 40.0,
            "response_modalities": ["Text", "image"],
            "thinking_config": {"include_thoughts": True, "thinking_budget": -1},
            "speech_config": None,
        },
        "tool_config": {"function_calling_config": {"mode": "any"}},
        "safety_settings": [{"category": "harm_category_harassment", "threshold": "OFF"}],
        "tools": [
            {"function_declarations": [{"name": "f", "parameters": {"type": "object"}}]},
            {"googleSearch": {}},
        ],
    }
    assert validate_generate(request) is request


@pytest.mark.parametrize(
    ("request_body", "needle"),
    [
        (body(generationConfig={"maxOutputTokens": 1.5}), "'generation_config.max_output_tokens'"),
        (body(generationConfig={"stopSequences": "END"}), "'generation_config.stop_sequences'"),
        (body(generationConfig={"seed": True}), "(TYPE_INT32), true"),
        (
            {
                "contents": [
                    {"parts": [{"inlineData": {"mimeType": "image/png", "data": "data:x"}}]}
                ]
            },
            "'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 decoding failed",
        ),
        (
            {"contents": [{"parts": [{"functionCall": {"name": "f", "args": "{}"}}]}]},
            "(type.googleapis.com/google.protobuf.Struct)",
        ),
        (body(toolConfig=[]), 'Unknown name "toolConfig": Proto field is not repeating'),
        (
            body(
                generationConfig={"thinkingConfig": {"thinkingBudget": 0, "thinkingLevel": "LOW"}}
            ),
            "only set one of thinking budget and thinking level",
        ),
        (
            body(generationConfig={"stopSequences": ["a", "b", "c", "d", "e", "f"]}),
            "number of stop_sequences must not exceed 5",
        ),
    ],
)
def test_wrong_values_are_named(request_body: dict[str, Any], needle: str) -> None:
    assert needle in rejected(request_body)["message"]


def test_five_stop_sequences_and_one_thinking_knob_are_fine() -> None:
    config = {"stopSequences": list("abcde"), "thinkingConfig": {"thinkingLevel": "HIGH"}}
    assert validate_generate(body(generationConfig=config))


def test_nesting_is_bounded() -> None:
    schema: dict[str, Any] = {"type": "STRING"}
    for _ in range(200):
        schema = {"type": "ARRAY", "items": schema}
    request = body(tools=[{"functionDeclarations": [{"name": "f", "parameters": schema}]}])
    assert "exceeds" in rejected(request)["message"]


def test_tables_accept_both_names_of_every_field() -> None:
    config = MESSAGES["GenerationConfig"]
    assert config["maxOutputTokens"] is config["max_output_tokens"]
    assert (
        violations({"sessionId": "s", "labels": {"a": "b"}}, "CodeAssistGenerateContentRequest")
        == []
    )
    assert violations({"sessionId": "s"}, "GenerateContentRequest") == [
        (None, 'Unknown name "sessionId": Cannot find field.')
    ]
    assert violations({"x": 1}, "GenerateContentRequest", "request") == [
        ("request", "Unknown name \"x\" at 'request': Cannot find field.")
    ]


def test_messages_are_read_from_the_gemini_v1beta_document() -> None:
    """The spec drives the parser: every property of every request message in the
    document is a field the mock accepts, under both of its names."""
    schemas = spec.load_document("gemini-v1beta")["components"]["schemas"]
    for message in ("GenerateContentRequest", "GenerationConfig", "Part", "Schema", "Tool"):
        for name in schemas[message]["properties"]:
            assert name in MESSAGES[message], (message, name)
    assert MESSAGES["GenerationConfig"]["max_output_tokens"].kind == "int32"
    assert MESSAGES["Part"]["thought_signature"].kind == "bytes"
    assert MESSAGES["Schema"]["properties"].kind == "map"
    # the envelope reaches its inner request, which adds gemini-cli's session_id
    assert MESSAGES["CodeAssistGenerateRequest"]["request"].ref == (
        "CodeAssistGenerateContentRequest"
    )
    assert "session_id" in MESSAGES["CodeAssistGenerateContentRequest"]


def test_a_construct_with_no_proto_reading_is_refused() -> None:
    """An inline enum or a oneOf in a request message would make the parser guess: the
    table builder refuses the document instead of drifting from it."""
    inline_enum = {"M": {"type": "object", "properties": {"e": {"enum": ["A", "B"]}}}}
    with pytest.raises(ValueError, match=r"M\.e: name the enum"):
        _tables(inline_enum, ("M",))
    one_of = {"M": {"type": "object", "properties": {"x": {"oneOf": [{"type": "string"}]}}}}
    with pytest.raises(ValueError, match=r"M\.x: no proto reading"):
        _tables(one_of, ("M",))
    named = {
        "M": {"type": "object", "properties": {"e": {"$ref": "#/components/schemas/E"}}},
        "E": {"type": "string", "enum": ["A"], "x-proto-name": "M.E"},
    }
    tables = _tables(named, ("M",))
    assert tables.messages == {"M": {"e": "enum:M.E"}}
    assert tables.enums == {"M.E": frozenset({"A"})}
