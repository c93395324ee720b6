"""spec.gemini_fields.json_names, and every check reading a proxy's upstream request by
meaning, not by spelling: Google reads ``generation_config`` as ``generationConfig``
(proto3 JSON accepts a field's proto name and its JSON name), so a journal written in
proto names must give every check the outcome its JSON-named twin gives."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from conformance.exchange import Exchange
from conformance.registry import REGISTRY
from spec.gemini_fields import json_names, proto_names
from tests.check_cases import good
from tests.unit.test_checks import BAD
from tests.unit.test_checks_controlled import BAD_MORE
from tests.unit.test_checks_documented import BAD_DOCUMENTED

SENT = {
    "contents": [
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "get_weather", "args": {"city_name": "Paris"}}},
                {"thoughtSignature": "c2ln", "text": "x"},
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "get_weather",
                        "response": {"temp_c": 21, "feels_like": {"max_temp": 22}},
                    }
                },
                {"inlineData": {"mimeType": "image/png", "data": "iVBO"}},
            ],
        },
    ],
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "city_name": {"type": "STRING", "maxLength": "40"},
                            "unit_kind": {"anyOf": [{"type": "STRING"}]},
                        },
                        "propertyOrdering": ["city_name", "unit_kind"],
                    },
                    "parametersJsonSchema": {"type": "object", "additional_properties": False},
                }
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a"]}},
    "generationConfig": {
        "maxOutputTokens": 64,
        "stopSequences": ["END"],
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 128},
        "responseJsonSchema": {"type": "object", "min_properties": 1},
    },
    "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
    "serviceTier": "standard",
}


def test_proto_names_are_read_as_json_names() -> None:
    snake = proto_names(SENT, "GenerateContentRequest")
    assert "max_output_tokens" in snake["generation_config"]
    assert snake["tools"][0]["function_declarations"][0]["parameters_json_schema"]
    assert json_names(snake) == SENT


def test_free_form_values_and_map_keys_keep_their_spelling() -> None:
    named = json_names(proto_names(SENT, "GenerateContentRequest"))
    call = named["contents"][0]["parts"][0]["functionCall"]
    assert call["args"] == {"city_name": "Paris"}  # a Struct: the client's own names
    result = named["contents"][1]["parts"][0]["functionResponse"]["response"]
    assert result == {"temp_c": 21, "feels_like": {"max_temp": 22}}
    decl = named["tools"][0]["functionDeclarations"][0]
    assert set(decl["parameters"]["properties"]) == {"city_name", "unit_kind"}  # map keys
    assert decl["parameters"]["properties"]["unit_kind"] == {"anyOf": [{"type": "STRING"}]}
    assert decl["parametersJsonSchema"] == {"type": "object", "additional_properties": False}
    schema = named["generationConfig"]["responseJsonSchema"]
    assert schema == {"type": "object", "min_properties": 1}


def test_unknown_keys_stay_as_sent_and_the_asked_name_wins_a_tie() -> None:
    body = {
        "generation_config": {"max_tokens": 5, "topP": 0.5, "top_p": 0.9},
        "stream": True,
    }
    assert json_names(body) == {"generationConfig": {"max_tokens": 5, "topP": 0.5}, "stream": True}
    assert proto_names(body)["generation_config"] == {"max_tokens": 5, "top_p": 0.9}
    before = copy.deepcopy(body)
    json_names(body)
    assert body == before  # a copy: the journal entry is not changed


@pytest.mark.parametrize("value", [None, "text", 3, ["a"], {"contents": "not a list"}])
def test_values_of_the_wrong_shape_are_kept(value: Any) -> None:
    assert json_names(value) == value


def test_code_assist_envelope_fields() -> None:
    wrapped = {"model": "m", "user_prompt_id": "p", "request": {"session_id": "s"}}
    named = json_names(wrapped, "CodeAssistGenerateRequest")
    assert named["request"] == {"sessionId": "s"}


# ----------------------------------------------------------- every check, both spellings


def _in_proto_names(x: Exchange) -> Exchange:
    entries = []
    for entry in x.upstream:
        body = entry.get("body")
        if isinstance(body, dict) and "generatecontent" in str(entry.get("path", "")).lower():
            root = "CodeAssistGenerateRequest" if "request" in body else "GenerateContentRequest"
            entry = {**entry, "body": proto_names(body, root)}
        entries.append(entry)
    return replace(
        x, upstream=tuple(entries), previous=tuple(_in_proto_names(p) for p in x.previous)
    )


def _outcome(check_id: str, exchanges: dict[str, Exchange]) -> tuple[str, str]:
    try:
        REGISTRY[check_id].run(exchanges)
    except Exception as exc:  # the outcome is the exception's kind and text
        return type(exc).__name__, str(exc)
    return "passed", ""


_CASES = [("good", None, None), *[(c, x, None) for c, x, _ in [*BAD, *BAD_MORE, *BAD_DOCUMENTED]]]


@pytest.mark.parametrize(
    ("check_id", "bad"),
    [(c, x) for c, x, _ in _CASES],
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(_CASES)],
)
def test_a_journal_in_proto_names_gives_every_check_the_same_outcome(
    check_id: str, bad: Exchange | None
) -> None:
    exchanges = good()
    if bad is not None:
        exchanges[bad.probe] = bad
    snake = {probe: _in_proto_names(x) for probe, x in exchanges.items()}
    checks = sorted(REGISTRY) if bad is None else [check_id]
    differ = {
        c: (_outcome(c, exchanges), _outcome(c, snake))
        for c in checks
        if _outcome(c, exchanges) != _outcome(c, snake)
    }
    assert differ == {}
