"""mockserver.toolargs: arguments that satisfy the declared schema's required fields."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from mockserver.toolargs import DEFAULT_TOOL, args_for, callable_tools

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "q": {"type": "string"},
            "n": {"type": "integer", "minimum": 5},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "mode": {"enum": ["fast", "slow"]},
            "opt": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
            "nested": {
                "type": "object",
                "properties": {"id": {"type": ["string", "null"]}, "x": {"type": "number"}},
                "required": ["id"],
                "additionalProperties": False,
            },
        },
        "required": ["q", "n", "ratio", "flag", "tags", "mode", "opt", "nested"],
        "additionalProperties": False,
    },
    {"type": "object", "properties": {"only": {"type": "string"}}},
    {"type": "object"},
    {  # bounds, refs and long minimums (the generator behind args_for and JSON mode)
        "type": "object",
        "properties": {
            "hour": {"type": "integer", "minimum": 0, "maximum": 1},
            "ids": {"type": "array", "items": {"$ref": "#/$defs/id"}, "minItems": 5},
            "when": {"type": "string", "format": "date"},
            "code": {"type": "string", "minLength": 12},
        },
        "required": ["hour", "ids", "when", "code", "extra"],
        "$defs": {"id": {"type": "integer", "exclusiveMinimum": 100}},
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("variant", [0, 1, 2])
def test_args_validate_against_json_schema(schema: dict[str, Any], variant: int) -> None:
    args = args_for({"name": "f", "parametersJsonSchema": schema}, variant)
    jsonschema.validate(args, schema)
    if schema.get("properties"):
        assert args


def test_openapi_subset_schema_with_upper_case_types() -> None:
    decl = {
        "name": "extractor",
        "parameters": {
            "type": "OBJECT",
            "properties": {"request": {"type": "STRING"}, "count": {"type": "INTEGER"}},
            "required": ["request", "count"],
        },
    }
    args = args_for(decl, 0)
    assert isinstance(args["request"], str)
    assert isinstance(args["count"], int)
    assert args_for(decl, 0) != args_for(decl, 1)


def test_default_tool_and_selection() -> None:
    assert args_for(DEFAULT_TOOL, 0) == {"location": "Paris"}
    assert callable_tools({}) == []
    assert callable_tools({"toolConfig": {"functionCallingConfig": {"mode": "none"}}}) is None
    decls = [{"name": "a"}, {"name": "b"}, {"nameless": True}]
    body = {
        "tools": [{"functionDeclarations": decls}],
        "toolConfig": {"functionCallingConfig": {"allowedFunctionNames": ["b"]}},
    }
    assert callable_tools(body) == [{"name": "b"}]
    body["toolConfig"] = {"functionCallingConfig": {"allowedFunctionNames": ["zzz"]}}
    assert callable_tools(body) == [{"name": "a"}, {"name": "b"}]
