"""JSON mode (responseMimeType application/json): documents that validate (pure)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.plans import text_tokens
from mockserver.responses import Reply, generate
from mockserver.structured import document, json_mode, output_schema
from mockserver.toolargs import schema_value
from spec.scenarios import Directive, Scenario
from spec.sse import decode


def model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


FLASH = model("gemini-2.5-flash")
PLAIN = model("gemini-2.0-flash")

RECIPE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "title": {"type": "string", "minLength": 3, "maxLength": 40},
        "servings": {"type": "integer", "minimum": 1, "maximum": 4},
        "rating": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 5},
        "vegan": {"type": "boolean"},
        "cuisine": {"enum": ["thai", "greek", "peruvian"]},
        "created": {"type": "string", "format": "date-time"},
        "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}, "minItems": 3},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
        "source": {"anyOf": [{"type": "null"}, {"type": "string", "format": "uri"}]},
        "note": {"type": ["string", "null"]},
        "nutrition": {
            "type": "object",
            "properties": {"kcal": {"type": "integer", "multipleOf": 10, "minimum": 95}},
            "required": ["kcal"],
            "additionalProperties": False,
        },
    },
    "required": ["title", "servings", "cuisine", "steps"],
    "additionalProperties": False,
    "$defs": {
        "step": {
            "type": "object",
            "properties": {
                "order": {"type": "integer", "minimum": 1},
                "text": {"type": "string"},
                "minutes": {"type": "number", "minimum": 0.5, "maximum": 2},
            },
            "required": ["order", "text"],
            "additionalProperties": False,
        }
    },
}

OPENAPI = {
    "type": "OBJECT",
    "properties": {
        "city": {"type": "STRING"},
        "population": {"type": "INTEGER", "minimum": 1000},
        "coastal": {"type": "BOOLEAN"},
        "area": {"type": "NUMBER", "nullable": True},
        "mood": {"type": "STRING", "format": "enum", "enum": ["calm", "busy"]},
        "districts": {
            "type": "ARRAY",
            "minItems": "2",
            "items": {
                "type": "OBJECT",
                "properties": {"name": {"type": "STRING"}, "parks": {"type": "INTEGER"}},
                "required": ["name"],
            },
        },
    },
    "required": ["city", "population", "mood", "districts"],
    "propertyOrdering": ["mood", "city", "population", "districts", "coastal", "area"],
}


def to_json_schema(schema: Any) -> Any:
    """Gemini's OpenAPI subset as JSON Schema: lower-case types, ``nullable`` as a type
    list, the Gemini-only keys dropped, numeric strings as numbers."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            out["type"] = value.lower()
        elif key == "properties":
            out["properties"] = {k: to_json_schema(v) for k, v in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = to_json_schema(value)
        elif key in ("minItems", "maxItems", "minLength", "maxLength"):
            out[key] = int(value)
        elif key not in ("propertyOrdering", "nullable", "format"):
            out[key] = value
    if schema.get("nullable"):
        out["type"] = [out["type"], "null"]
    return out


def check(value: Any, schema: Any) -> None:
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(value), key=str)
    assert not errors, [e.message for e in errors]


def request(config: dict[str, Any], text: str = "A recipe please") -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], "generationConfig": config}


def run(
    body: dict[str, Any], *, stream: bool = False, model: ModelInfo = FLASH, **directive: Any
) -> Reply:
    return generate(model, body, Directive(**directive), 0, stream=stream)


def texts(reply: Reply) -> list[str]:
    """The answer text of each candidate (unary) or each chunk (stream)."""
    if reply.writes is None:
        whole = json.loads(reply.body)
        return [c["content"]["parts"][0]["text"] for c in whole["candidates"]]
    data = b"".join(w.data for w in reply.writes)
    return [
        json.loads(e.data)["candidates"][0]["content"]["parts"][0]["text"] for e in decode([data])
    ]


JSON = "application/json"


# ----------------------------------------------------------------------------- schemas


def test_json_schema_answer_validates() -> None:
    (text,) = texts(run(request({"responseMimeType": JSON, "responseJsonSchema": RECIPE})))
    value = json.loads(text)
    check(value, RECIPE)
    properties: dict[str, Any] = RECIPE["properties"]  # type: ignore[assignment]
    assert set(value) == set(properties)  # optional properties are filled too
    assert len(value["steps"]) >= 3
    assert value["cuisine"] == "thai"  # candidate 0 takes the first enum member


def test_openapi_response_schema_with_upper_case_types_validates() -> None:
    (text,) = texts(run(request({"responseMimeType": JSON, "responseSchema": OPENAPI})))
    value = json.loads(text)
    check(value, to_json_schema(OPENAPI))
    assert list(value)[:4] == ["mood", "city", "population", "districts"]  # propertyOrdering
    assert len(value["districts"]) >= 2


def test_response_json_schema_wins_over_response_schema() -> None:
    config = {"responseMimeType": JSON, "responseJsonSchema": RECIPE, "responseSchema": OPENAPI}
    assert output_schema(config) is RECIPE
    check(json.loads(texts(run(request(config)))[0]), RECIPE)


def test_without_a_schema_a_small_answer_object() -> None:
    (text,) = texts(run(request({"responseMimeType": JSON})))
    value = json.loads(text)
    assert list(value) == ["answer"]
    assert len(value["answer"].split()) == 12
    assert json_mode({"responseMimeType": "Application/JSON; charset=utf-8"})
    assert not json_mode({"responseMimeType": "text/plain"})
    assert not json_mode({})


def test_candidates_in_json_mode_each_validate_and_differ() -> None:
    config = {"responseMimeType": JSON, "responseJsonSchema": RECIPE, "candidateCount": 3}
    values = [json.loads(t) for t in texts(run(request(config)))]
    assert len(values) == 3
    for value in values:
        check(value, RECIPE)
    assert [v["cuisine"] for v in values] == ["thai", "greek", "peruvian"]
    assert len({json.dumps(v) for v in values}) == 3


# ----------------------------------------------------------------------------- streams


@pytest.mark.parametrize("chunks", [1, 3, 7])
@pytest.mark.parametrize("schema", [None, RECIPE])
def test_streamed_json_concatenates_to_the_document(chunks: int, schema: Any) -> None:
    config: dict[str, Any] = {"responseMimeType": JSON}
    if schema is not None:
        config["responseJsonSchema"] = schema
    body = request(config)
    deltas = texts(run(body, stream=True, chunks=chunks))
    assert len(deltas) == chunks
    assert all(deltas)
    joined = "".join(deltas)
    (whole,) = texts(run(body))
    assert joined == whole
    value = json.loads(joined)
    if schema is not None:
        check(value, schema)
    with pytest.raises(json.JSONDecodeError):
        json.loads(deltas[0]) if chunks > 1 else json.loads(joined[:-1])


def test_json_tokens_follow_the_token_rule() -> None:
    body = request({"responseMimeType": JSON, "responseJsonSchema": RECIPE})
    reply = run(body)
    (text,) = texts(reply)
    usage = json.loads(reply.body)["usageMetadata"]
    assert usage["candidatesTokenCount"] == len(text.split()) == len(text_tokens(text))
    assert "".join(text_tokens(text)) == text


def test_max_output_tokens_cuts_the_document() -> None:
    body = request({"responseMimeType": JSON, "maxOutputTokens": 3})
    reply = run(body, model=PLAIN)  # a thinking model spends the 3 tokens on thoughts
    whole = json.loads(reply.body)
    text = whole["candidates"][0]["content"]["parts"][0]["text"]
    assert whole["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert len(text.split()) == 3
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_json_mode_keeps_thoughts_and_is_deterministic() -> None:
    body = request({"responseMimeType": JSON, "thinkingConfig": {"includeThoughts": True}})
    first = run(body, scenario=Scenario.THOUGHTS)
    parts = json.loads(first.body)["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True
    json.loads(parts[-1]["text"])
    assert run(body, scenario=Scenario.THOUGHTS) == first
    other = generate(FLASH, body, Directive(scenario=Scenario.THOUGHTS), 1, stream=False)
    assert other.body != first.body  # the seed changes the strings


def test_document_is_one_line_with_spaced_separators() -> None:
    text = document({"responseMimeType": JSON, "responseSchema": OPENAPI}, bytes(32))
    assert "\n" not in text
    assert '": ' in text
    assert ", " in text


# ----------------------------------------------------------------------------- generator


def test_refs_all_of_and_recursion_end() -> None:
    tree = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
                "required": ["label", "children"],
            }
        },
        "allOf": [{"$ref": "#/$defs/node"}, {"properties": {"depth": {"type": "integer"}}}],
    }
    value = schema_value(tree, words=["a", "b", "c"])
    check(value, tree)
    assert "depth" in value


def test_strict_constraints() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "minLength": 30, "maxLength": 30},
            "tiny": {"type": "string", "maxLength": 2},
            "n": {"type": "integer", "exclusiveMinimum": 7, "exclusiveMaximum": 9},
            "x": {"type": "number", "minimum": 0.1, "maximum": 0.3, "multipleOf": 0.1},
            "ids": {"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 3,
                    "uniqueItems": True},
            "free": {"type": "object", "minProperties": 2},
            "empty": {"type": "object", "maxProperties": 0},
            "nothing": {"type": "null"},
            "mail": {"type": "string", "format": "email"},
            "id": {"type": "string", "format": "uuid"},
        },
        "required": ["code", "n", "x", "ids", "free", "undeclared"],
        "additionalProperties": {"type": "integer"},
    }  # fmt: skip
    for variant in range(4):
        value = schema_value(schema, variant, words=["river", "stone", "bridge"])
        check(value, schema)
        assert value["n"] == 8
        assert isinstance(value["undeclared"], int)


def test_tool_arguments_are_unchanged_by_the_generator() -> None:
    # args_for keeps its old choices (required only, cities); the JSON answer fills all
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    assert schema_value(schema, fill=False) == {"a": "Paris"}
    assert schema_value(schema, 1, fill=False) == {"a": "Tokyo"}
    assert set(schema_value(schema, words=["x", "y"])) == {"a", "b"}


leaf = st.one_of(
    st.builds(
        lambda lo, span: {"type": "string", "minLength": lo, "maxLength": lo + span},
        st.integers(0, 20), st.integers(0, 20),
    ),
    st.sampled_from(["date", "date-time", "email", "uuid", "ipv4", "ipv6", "uri"]).map(
        lambda fmt: {"type": "string", "format": fmt}
    ),
    st.builds(
        lambda lo, span, step: {"type": "integer", "minimum": lo * step,
                                "maximum": (lo + span) * step, "multipleOf": step},
        st.integers(-50, 50), st.integers(0, 5), st.integers(1, 4),
    ),
    st.builds(
        lambda lo, span: {"type": "number", "exclusiveMinimum": lo, "maximum": lo + span},
        st.floats(-100, 100, allow_nan=False), st.floats(0.5, 100, allow_nan=False),
    ),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.lists(st.text(max_size=5), min_size=1, max_size=4, unique=True).map(lambda e: {"enum": e}),
)  # fmt: skip
schemas = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(
            lambda items, lo: {"type": "array", "items": items, "minItems": lo},
            inner, st.integers(0, 4),
        ),
        st.dictionaries(st.text("abcdef", min_size=1, max_size=4), inner, max_size=4).flatmap(
            lambda props: st.builds(
                lambda required, closed: {
                    "type": "object", "properties": props, "required": required,
                    **({"additionalProperties": False} if closed else {}),
                },
                st.lists(st.sampled_from(sorted(props)), unique=True) if props else st.just([]),
                st.booleans(),
            )
        ),
        st.lists(inner, min_size=1, max_size=3).map(lambda options: {"anyOf": options}),
    ),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=150)
@given(schemas, st.integers(0, 7), st.booleans())
def test_generated_values_validate(schema: dict[str, Any], variant: int, fill: bool) -> None:
    check(schema_value(schema, variant, fill=fill, words=["é", "b c", "<d>"]), schema)


def test_pathological_schemas_stay_small_and_valid_json() -> None:
    nested: Any = {"type": "array", "minItems": 10**9, "items": {"type": "string"}}
    for _ in range(5):
        nested = {"type": "array", "minItems": 200, "items": nested}
    deep: Any = 0
    for _ in range(900):
        deep = [deep]
    schemas = [
        nested,
        {"type": "string", "minLength": 10**12},
        {"type": "integer", "minimum": 1e300},
        {"type": "number", "minimum": "inf", "maximum": "-inf"},
        {"type": "object", "minProperties": 10**6},
        {"const": deep},
        {"allOf": [{"$ref": "#"}]},
        {"$ref": "#/$defs/missing"},
        ["not", "a", "schema"],
    ]
    for schema in schemas:
        config = {"responseMimeType": JSON, "responseJsonSchema": schema}
        text = document(config, bytes(32))
        assert len(text) < 5_000_000
        json.loads(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["type", "properties", "items", "required", "enum", "const", "anyOf",
                         "oneOf", "allOf", "minItems", "maxItems", "minLength", "maxLength",
                         "minimum", "maximum", "exclusiveMinimum", "multipleOf", "$ref", "$defs",
                         "format", "propertyOrdering", "prefixItems", "uniqueItems",
                         "minProperties", "additionalProperties", "x"]),
        inner, max_size=5,
    ),
    max_leaves=20,
)  # fmt: skip


@given(json_values)  # what a parsed request body can hold (orjson: 64-bit integers)
def test_any_response_json_schema_gets_a_json_answer(schema: Any) -> None:
    body = request({"responseMimeType": JSON, "responseJsonSchema": schema})
    reply = run(body)
    assert reply.status == 200
    (text,) = texts(reply)
    json.loads(text)


def test_long_strings_use_up_the_budget() -> None:
    schema = {
        "type": "array",
        "minItems": 256,
        "items": {"type": "array", "minItems": 256, "items": {"type": "string", "minLength": 4096}},
    }
    text = document({"responseMimeType": JSON, "responseJsonSchema": schema}, bytes(32))
    assert len(text) < 1_000_000
    json.loads(text)
