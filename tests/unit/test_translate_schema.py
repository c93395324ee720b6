"""Tool / response JSON Schema sanitising (reference_impl.translate.schema;
client-breakages.md B2, F4)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_impl.translate.schema import sanitize_parameters, sanitize_schema

OPENAPI_KEYS = {
    "type",
    "format",
    "description",
    "title",
    "nullable",
    "enum",
    "items",
    "properties",
    "required",
    "anyOf",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minProperties",
    "maxProperties",
}
OPENAPI_TYPES = {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, {"type": "STRING"}),
        ({"type": ["string", "null"]}, {"type": "STRING", "nullable": True}),
        ({"type": ["string", "integer"]}, {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}),
        ({"const": "x"}, {"enum": ["x"], "type": "STRING"}),
        ({"type": "integer", "enum": [1, 2]}, {"type": "INTEGER"}),
        ({"type": "array"}, {"type": "ARRAY", "items": {}}),
        (
            {"type": "array", "items": [{"type": "string"}]},
            {"type": "ARRAY", "items": {"type": "STRING"}},
        ),
        ({"type": "number", "exclusiveMinimum": 0, "maximum": 5}, {"type": "NUMBER", "maximum": 5}),
        ({"type": "string", "format": "uri"}, {"type": "STRING"}),
        ({"type": "string", "format": "date-time"}, {"type": "STRING", "format": "date-time"}),
        (
            {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "d"},
            {"description": "d", "type": "STRING", "nullable": True},
        ),
        (
            {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
        ),
        (
            {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}},
            {"type": "OBJECT"},
        ),
        (
            {
                "type": "object",
                "propertyNames": {"pattern": "^a"},
                "properties": {"a": {}},
                "required": ["a", "ghost"],
            },
            {"type": "OBJECT", "properties": {"a": {}}, "required": ["a"]},
        ),
        (True, {}),
        (
            {"type": {}, "required": [{}, "a", "a"], "properties": {"a": {"type": [[]]}}},
            {"type": "OBJECT", "properties": {"a": {}}, "required": ["a"]},
        ),
    ],
)
def test_openapi_dialect(schema: Any, expected: dict[str, Any]) -> None:
    assert sanitize_schema(schema) == expected


def test_refs_defs_and_allof_are_inlined() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$defs": {
            "Point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
        },
        "definitions": {"Name": {"type": "string", "minLength": 1}},
        "type": "object",
        "properties": {
            "p": {"$ref": "#/$defs/Point", "description": "a point"},
            "n": {"$ref": "#/definitions/Name"},
            "both": {
                "allOf": [
                    {"$ref": "#/$defs/Point"},
                    {"properties": {"y": {"type": "number"}}, "required": ["y"]},
                ]
            },
        },
    }
    assert sanitize_schema(schema) == {
        "type": "OBJECT",
        "properties": {
            "p": {
                "type": "OBJECT",
                "description": "a point",
                "properties": {"x": {"type": "NUMBER"}},
                "required": ["x"],
            },
            "n": {"type": "STRING", "minLength": 1},
            "both": {
                "type": "OBJECT",
                "properties": {"x": {"type": "NUMBER"}, "y": {"type": "NUMBER"}},
                "required": ["x", "y"],
            },
        },
    }


def test_recursive_ref_is_cut() -> None:
    tree: dict[str, Any] = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
        "$ref": "#/$defs/Node",
    }
    out = sanitize_schema(tree)
    assert out == {"type": "OBJECT", "properties": {"kids": {"type": "ARRAY", "items": {}}}}
    nested = {"type": "object", "properties": {"root": tree["$defs"]["Node"]}, **tree}
    del nested["$ref"]
    kids = sanitize_schema(nested)["properties"]["root"]["properties"]["kids"]
    assert kids["items"]["properties"]["kids"]["items"] == {}


def test_jsonschema_dialect_keeps_lowercase_and_null_types() -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "a": {"type": ["integer", "null"], "enum": [1, 2, None]},
            "b": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        },
    }
    assert sanitize_schema(schema, dialect="jsonschema") == {
        "type": "object",
        "properties": {
            "a": {"type": ["integer", "null"]},
            "b": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        },
    }


def test_parameters_without_properties_are_omitted() -> None:
    assert sanitize_parameters({"type": "object", "properties": {}}) is None
    assert sanitize_parameters({}) is None
    assert sanitize_parameters({"type": "object", "properties": {"a": {"type": "string"}}}) == {
        "type": "OBJECT",
        "properties": {"a": {"type": "STRING"}},
    }


def test_input_is_not_modified() -> None:
    schema = {"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}, "$defs": {}}
    before = repr(schema)
    sanitize_schema(schema)
    assert repr(schema) == before


# --------------------------------------------------------------------------- property

_keyword = st.sampled_from(
    [
        "type",
        "properties",
        "items",
        "anyOf",
        "oneOf",
        "allOf",
        "$ref",
        "const",
        "enum",
        "additionalProperties",
        "$schema",
        "propertyNames",
        "exclusiveMinimum",
        "format",
        "required",
        "nullable",
        "description",
        "patternProperties",
        "default",
        "minimum",
        "prefixItems",
        "not",
        "if",
        "$defs",
    ]
)
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=4),
    st.sampled_from(
        [
            "string",
            "null",
            "object",
            "array",
            "integer",
            "#",
            "#/$defs/a",
            "#/properties/x",
            "date-time",
        ]
    ),
)
_json_schemas = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(_keyword, st.text(max_size=3)), inner, max_size=5),
        st.lists(st.sampled_from(["string", "null", "integer", "object", "array"]), max_size=3),
    ),
    max_leaves=25,
)


def _walk(node: dict[str, Any], dialect: str) -> None:
    if dialect == "openapi":
        assert set(node) <= OPENAPI_KEYS, set(node) - OPENAPI_KEYS
        if "type" in node:
            assert node["type"] in OPENAPI_TYPES
        if "enum" in node:
            assert all(isinstance(v, str) for v in node["enum"])
    else:
        assert not {
            "$schema",
            "additionalProperties",
            "$ref",
            "const",
            "allOf",
            "oneOf",
            "propertyNames",
            "exclusiveMinimum",
            "nullable",
        } & set(node)
    if node.get("type") in ("ARRAY", "array"):
        assert isinstance(node["items"], dict)
    if "required" in node:
        assert set(node["required"]) <= set(node.get("properties", {}))
    for sub in node.get("properties", {}).values():
        _walk(sub, dialect)
    for sub in node.get("anyOf", []):
        _walk(sub, dialect)
    if "items" in node:
        _walk(node["items"], dialect)


@given(_json_schemas, st.sampled_from(["openapi", "jsonschema"]))
def test_any_schema_sanitises_to_the_allowed_subset(schema: Any, dialect: Any) -> None:
    out = sanitize_schema(schema, dialect=dialect)
    assert isinstance(out, dict)
    _walk(out, dialect)
