"""The reference proxy's checks of requests against its profile's OpenAPI document
(reference_impl.validation.operations, .violations, .widening): pure, no server.

Per profile: a body the document rejects (wrong type, missing required field, bad enum)
is a :class:`RequestError` naming the field; a body with the extra fields OpenAI clients
send passes; garbage is a 400, never another exception; the compiled gate never accepts
what openapi-core rejects (differential, over the documents' own examples and mutations
of them).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spec
from reference_impl.translate.errors import RequestError
from reference_impl.validation.operations import (
    GATE_KEYWORDS,
    JSON,
    Operation,
    SpecValidation,
    for_document,
    normalise,
    version_id,
)
from reference_impl.validation.violations import body_violation, field_path
from reference_impl.validation.widening import OPENAI_DEFS, REQUEST, counterpart, deref, widened

PROFILES: dict[str, tuple[str, str | None, str]] = {
    # name -> (document, version, chat route)
    "openai-core": ("openai-core", None, "/v1/chat/completions"),
    "gemini-reverse": ("gemini-reverse", None, "/v1/chat/completions"),
    "gemini-proxy-deno": ("gemini-proxy-deno", None, "/chat/completions"),
    "antigravity2api": ("antigravity2api", "002", "/v1/chat/completions"),
    "antigravity2api-003": ("antigravity2api", "003", "/v1/chat/completions"),
    "gemini-cli-proxy": ("gemini-cli-proxy", None, "/v1/chat/completions"),
}
HELLO = [{"role": "user", "content": "Hello"}]


def chat_op(profile: str) -> Operation:
    document, version, route = PROFILES[profile]
    op = for_document(document, version).match("POST", route)
    assert op is not None, profile
    return op


def rejection(op: Operation, body: Any) -> RequestError:
    with pytest.raises(RequestError) as info:
        op.check_body(body)
    err = info.value
    assert err.status == 400
    assert err.type == "invalid_request_error"
    envelope = err.envelope()["error"]
    assert set(envelope) == {"message", "type", "param", "code"}
    return err


# --------------------------------------------------------------------------- per profile

# (profile, body, param, code, words in the message)
VIOLATIONS: list[tuple[str, dict[str, Any], str | None, str, str]] = [
    # wrong type
    ("openai-core", {"model": "m", "messages": HELLO, "temperature": "hot"}, "temperature",
     "invalid_type", "must be a number"),
    ("gemini-reverse", {"messages": HELLO, "stream": "yes"}, "stream", "invalid_type",
     "must be a boolean"),
    ("gemini-proxy-deno", {"messages": HELLO, "top_k": "x"}, "top_k", "invalid_type",
     "must be an integer"),
    ("antigravity2api", {"model": "m", "messages": HELLO, "top_k": "x"}, "top_k",
     "invalid_type", "must be a number"),
    ("antigravity2api-003", {"model": "m", "messages": HELLO, "temperature": []},
     "temperature", "invalid_type", "got array"),
    ("gemini-cli-proxy", {"model": "m", "messages": HELLO, "seed": "x"}, "seed",
     "invalid_type", "must be an integer"),
    # missing required field
    ("openai-core", {"messages": HELLO}, "model", "missing_required_parameter", "required"),
    ("gemini-reverse", {"model": "m"}, "messages", "missing_required_parameter", "required"),
    ("gemini-proxy-deno", {"model": "m"}, "messages", "missing_required_parameter",
     "required"),
    ("antigravity2api", {"messages": HELLO}, "model", "missing_required_parameter",
     "required"),
    ("antigravity2api-003", {"model": "m"}, "messages", "missing_required_parameter",
     "required"),
    ("gemini-cli-proxy", {"messages": HELLO}, "model", "missing_required_parameter",
     "required"),
    ("openai-core", {"model": "m", "messages": [{"content": "x"}]}, "messages[0].role",
     "missing_required_parameter", "messages[0].role is required"),
    # bad enum
    ("openai-core", {"model": "m", "messages": [{"role": "robot", "content": "x"}]},
     "messages[0].role", "invalid_value", "'robot'"),
    ("gemini-reverse", {"messages": [{"role": "robot", "content": "x"}]},
     "messages[0].role", "invalid_value", "'robot'"),
    ("gemini-proxy-deno", {"messages": HELLO, "reasoning_effort": "extreme"},
     "reasoning_effort", "invalid_value", "'extreme'"),
    ("antigravity2api", {"model": "m", "messages": HELLO, "reasoning_effort": "extreme"},
     "reasoning_effort", "invalid_value", "'extreme'"),
    ("gemini-cli-proxy", {"model": "m", "messages": HELLO, "reasoning_effort": "extreme"},
     "reasoning_effort", "invalid_value", "'extreme'"),
    # the profile's own extension keeps its constraint (002 thinking_budget: 0 or 1024-32000)
    ("antigravity2api", {"model": "m", "messages": HELLO, "thinking_budget": 5},
     "thinking_budget", "invalid_value", ">= 1024"),
    # nested
    ("openai-core", {"model": "m", "messages": [{"role": "user", "content": 5}]},
     "messages[0].content", "invalid_type", "must be a string or null or an array"),
    ("openai-core", {"model": "m", "messages": HELLO, "stop": ["a", "b", "c", "d", "e"]},
     "stop", "invalid_value", "stop must have at most 4 items; got 5"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "body", "param", "code", "words"),
    VIOLATIONS,
    ids=[f"{v[0]}-{v[2]}-{v[3]}" for v in VIOLATIONS],
)
def test_a_violation_is_a_400_naming_the_field(
    profile: str, body: dict[str, Any], param: str | None, code: str, words: str
) -> None:
    err = rejection(chat_op(profile), body)
    assert err.param == param, err.message
    assert err.code == code, err.message
    assert words in err.message
    assert err.message.startswith(param or "the request body")


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_body_that_is_not_an_object_is_a_400(profile: str) -> None:
    body: object
    for body in ([], "x", 1, None, True):
        err = rejection(chat_op(profile), body)
        assert err.param is None
        assert err.code == "invalid_type"
        assert err.message.startswith("the request body must be an object")


OPENAI_EXTRAS: dict[str, Any] = {
    "store": False,
    "metadata": {"purpose": "conformance"},
    "user": "u-1",
    "seed": 7,
    "parallel_tool_calls": True,
    "logprobs": False,
    "service_tier": "auto",
    "stream_options": {"include_usage": True},
    "stream": True,
    "n": 2,
    "max_completion_tokens": 77,
    "frequency_penalty": 0.1,
    "presence_penalty": 0.1,
    "prediction": {"type": "content", "content": "x"},
    "x-vendor-field": {"anything": [1, 2]},
}
TOOL_TURNS: list[dict[str, Any]] = [
    {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
    {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_what_openai_clients_send_passes(profile: str) -> None:
    """Extra OpenAI fields, content-part arrays, ``developer``, an assistant tool-call
    turn with ``content: null``: every document claims OpenAI compatibility."""
    op = chat_op(profile)
    body = {"model": "gemini-2.5-flash", "messages": TOOL_TURNS, "tools": TOOLS}
    op.check_body({**body, **OPENAI_EXTRAS})
    op.check_body({"model": "gemini-2.5-flash", "messages": HELLO, "reasoning_effort": "low"})
    assert op.gated


@pytest.mark.parametrize("profile", ["gemini-reverse", "gemini-proxy-deno"])
def test_a_documented_default_model_may_be_omitted(profile: str) -> None:
    chat_op(profile).check_body({"messages": HELLO})


def test_a_content_part_without_type_names_the_part() -> None:
    err = rejection(
        chat_op("openai-core"), {"model": "m", "messages": [{"role": "user", "content": [{}]}]}
    )
    assert err.param == "messages[0].content[0].type"


def test_messages_for_other_keywords() -> None:
    """Closed objects name the unknown field; anything else still names the field."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {}, "additionalProperties": False}},
        "required": ["a"],
        "b": {},
    }
    validator = jsonschema.Draft202012Validator(schema)
    err = body_violation(validator.iter_errors({"a": {"zzz": 1}}))
    assert err is not None
    assert (err.param, err.code) == ("a.zzz", "unknown_parameter")
    multiple = jsonschema.Draft202012Validator({"properties": {"n": {"multipleOf": 2}}})
    err = body_violation(multiple.iter_errors({"n": 3}))
    assert err is not None
    assert err.param == "n"
    assert err.message.startswith("n is invalid: 3 is not a multiple of 2")
    assert body_violation([]) is None


# --------------------------------------------------------------------------- other routes

OTHER: list[tuple[str, str | None, str, str, Any, str | None, str]] = [
    # document, version, METHOD, route, body, param, code
    ("openai-core", None, "POST", "/v1/embeddings", {"input": "x"}, "model",
     "missing_required_parameter"),
    ("openai-core", None, "POST", "/v1/embeddings",
     {"input": "x", "model": "m", "encoding_format": "hex"}, "encoding_format",
     "invalid_value"),
    ("openai-core", None, "POST", "/v1/images/generations", {"prompt": "x", "n": 11}, "n",
     "invalid_value"),
    ("openai-core", None, "POST", "/v1/audio/speech",
     {"model": "tts-1", "input": "x", "voice": "nova", "speed": 9}, "speed", "invalid_value"),
    ("gemini-reverse", None, "POST", "/v1/generate-images", {"prompt": "x", "count": 9},
     "count", "invalid_value"),
    ("gemini-reverse", None, "POST", "/v1/generate-images",
     {"prompt": "x", "response_type": "gif"}, "response_type", "invalid_value"),
    ("gemini-reverse", None, "POST", "/v1/generate", {"model": "m"}, "prompt",
     "missing_required_parameter"),
    ("gemini-reverse", None, "POST", "/v1/images/edit", {"prompt": "x"}, "image",
     "missing_required_parameter"),
    ("gemini-reverse", None, "POST", "/v1/batch/images", {"prompts": ["a"], "concurrency": 3},
     "concurrency", "invalid_value"),
    ("gemini-reverse", None, "POST", "/gemini/v1beta/models/{m}:generateContent",
     {"contents": [{"role": "user", "parts": [{"inlineData": {}}]}]},
     "contents[0].parts[0].text", "missing_required_parameter"),
    ("gemini-reverse", None, "POST", "/v1/documents/analyze",
     {"file": "%PDF", "detail_level": "huge"}, "detail_level", "invalid_value"),
    ("gemini-reverse", None, "POST", "/v1/design/to-code", {"framework": "react"}, "file",
     "missing_required_parameter"),
    ("gemini-proxy-deno", None, "POST", "/embeddings", {"model": "m"}, "input",
     "missing_required_parameter"),
    ("gemini-proxy-deno", None, "POST", "/embeddings", {"input": "x", "dimensions": 0},
     "dimensions", "invalid_value"),
    ("antigravity2api", "002", "POST", "/sdapi/v1/txt2img", {"prompt": "x", "steps": 0},
     "steps", "invalid_value"),
    ("antigravity2api", "002", "POST", "/admin/login", {"username": "admin"}, "password",
     "missing_required_parameter"),
    ("antigravity2api", "002", "PUT", "/admin/rotation", {"strategy": "random"}, "strategy",
     "invalid_value"),
    ("antigravity2api", "002", "POST", "/admin/tokens",
     {"access_token": "a", "refresh_token": "r", "expires_in": "soon"}, "expires_in",
     "invalid_type"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "version", "method", "route", "body", "param", "code"),
    OTHER,
    ids=[f"{o[0]}-{o[3]}-{o[5]}" for o in OTHER],
)
def test_other_operations_follow_their_document(
    document: str,
    version: str | None,
    method: str,
    route: str,
    body: Any,
    param: str | None,
    code: str,
) -> None:
    op = for_document(document, version).match(method, route)
    assert op is not None
    err = rejection(op, body)
    assert (err.param, err.code) == (param, code), err.message


def test_multipart_forms_pass_with_the_file_as_text() -> None:
    op = for_document("gemini-reverse").match("POST", "/v1/documents/analyze")
    assert op is not None
    assert not op.gated  # format: binary is openapi-core's alone
    op.check_body({"file": "%PDF-1.4 \x00\xff", "detail_level": "high", "prompt": "sum up"})


def test_parameters_follow_the_document() -> None:
    sv = for_document("antigravity2api", "002")
    quotas = sv.match("GET", "/admin/tokens/{token_id}/quotas")
    assert quotas is not None
    quotas.check_params("/admin/tokens/abc/quotas", {})
    quotas.check_params("/admin/tokens/abc/quotas", {"refresh": "true"})
    for value in ("maybe", ""):
        with pytest.raises(RequestError) as info:
            quotas.check_params("/admin/tokens/abc/quotas", {"refresh": value})
        assert (info.value.param, info.value.code) == ("refresh", "invalid_type")
        assert "the query parameter refresh must be a boolean" in info.value.message
    served = sv.match("GET", "/images/{file}")
    assert served is not None
    served.check_params("/images/abc.png", {})
    core = for_document("openai-core").match("GET", "/v1/models/{model}")
    assert core is not None
    core.check_params("/v1/models/gemini-2.5-flash", {})
    core.check_params("/v1/models/models/gemini-2.5-flash", {})  # not described: not checked


def test_operations_are_found_by_template_and_by_path() -> None:
    sv = for_document("gemini-reverse")
    assert normalise("/a/{x}/b/{y:.+}") == "/a/{}/b/{}"
    native = sv.find("POST", "/gemini/v1beta/models/gemini-2.5-flash:generateContent")
    assert native is not None
    assert native.endpoint.path == "/gemini/v1beta/models/{model}:generateContent"
    assert native.path_values("/gemini/v1beta/models/g-1:generateContent") == {"model": "g-1"}
    assert sv.find("POST", "/gemini/v1beta/models/g:streamGenerateContent") is None
    assert sv.find("GET", "/v1/models") is None  # nothing to check: not kept
    assert sv.match("POST", "/v1/chat/completions") is not None
    assert sv.match("POST", "/v1/nope") is None


def test_versions_follow_the_document() -> None:
    assert version_id("antigravity2api") == "002"
    assert version_id("antigravity2api", older=True) == "003"
    assert version_id("openai-core") is None
    newer = for_document("antigravity2api", "002")
    older = for_document("antigravity2api", "003")
    assert newer.match("PUT", "/admin/config") is not None
    assert older.match("PUT", "/admin/config") is None  # 003 has no admin API
    body = {"model": "m", "messages": HELLO, "thinking_budget": 5}
    rejection(chat_op("antigravity2api"), body)
    chat_op("antigravity2api-003").check_body(body)  # 003 does not describe thinking_budget


def test_validators_are_built_once() -> None:
    assert for_document("gemini-reverse") is for_document("gemini-reverse")
    assert isinstance(for_document("openai-core"), SpecValidation)


def test_field_paths() -> None:
    assert field_path(["messages", 0, "role"]) == "messages[0].role"
    assert field_path([]) is None
    assert field_path(["tools", 2]) == "tools[2]"


# --------------------------------------------------------------------------- never a 500

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def all_operations() -> list[Operation]:
    out: list[Operation] = []
    for document, version, _ in PROFILES.values():
        out += for_document(document, version).operations.values()
    return out


OPERATIONS = all_operations()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(OPERATIONS), JSON_VALUES)
def test_garbage_is_a_400_or_passes_never_another_error(op: Operation, value: Any) -> None:
    if op.media is None:
        return
    try:
        op.check_body(value)
    except RequestError as exc:
        err = exc
    else:
        return
    assert err.status == 400
    assert err.message


@settings(max_examples=100)
@given(st.sampled_from(OPERATIONS), st.text(max_size=12), st.text(max_size=12))
def test_garbage_parameters_are_a_400_or_pass(op: Operation, segment: str, value: str) -> None:
    concrete = segment.replace("/", "") or "x"
    path = re.sub(r"\{[^{}]+\}", lambda _: concrete, op.endpoint.route)
    try:
        op.check_params(path, {"refresh": value})
    except RequestError as exc:
        err = exc
    else:
        return
    assert err.status == 400
    assert err.param in {p.name for p in op.params}


# --------------------------------------------------------------------------- the gate


def documented_bodies(sv: SpecValidation, op: Operation) -> list[Any]:
    """The complete (not ``x-partial``) request examples of ``op`` in ``sv``'s document."""
    raw = sv.doc["paths"][op.endpoint.path][op.endpoint.method.lower()]
    body = raw.get("requestBody", {})
    if "$ref" in body:
        return []
    examples = body.get("content", {}).get(JSON, {}).get("examples", {})
    return [
        copy.deepcopy(e["value"])
        for e in examples.values()
        if isinstance(e, dict) and "value" in e and not e.get("x-partial")
    ]


GATED = [
    (sv, op)
    for sv in {for_document(d, v) for d, v, _ in PROFILES.values()}
    for op in sv.operations.values()
    if op.gated
]


def test_the_gate_accepts_the_documents_own_examples() -> None:
    """Valid requests take the fast path (the gate), not openapi-core."""
    seen = 0
    for sv, op in GATED:
        for body in documented_bodies(sv, op):
            assert op.body_error(body) is None, (sv.document, op, body)
            assert op._gate is not None
            assert op._gate.is_valid(body), (sv.document, op, body)
            seen += 1
    assert seen > 30


def mutate(value: Any, data: st.DataObject) -> Any:
    """``value`` with one random change: a subtree replaced, a key dropped or added."""
    if isinstance(value, dict) and value:
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["replace", "drop", "descend", "add"]))
        out = dict(value)
        if action == "drop":
            del out[key]
        elif action == "replace":
            out[key] = data.draw(JSON_VALUES)
        elif action == "add":
            out[data.draw(st.text(max_size=6))] = data.draw(JSON_VALUES)
        else:
            out[key] = mutate(value[key], data)
        return out
    if isinstance(value, list) and value:
        i = data.draw(st.integers(0, len(value) - 1))
        out_list = list(value)
        out_list[i] = mutate(value[i], data) if data.draw(st.booleans()) else data.draw(JSON_VALUES)
        return out_list
    return data.draw(JSON_VALUES)


SEEDS = [
    (op, body)
    for sv, op in GATED
    for body in [*documented_bodies(sv, op), {"model": "m", "messages": TOOL_TURNS}]
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_the_gate_never_accepts_what_openapi_core_rejects(
    seed: tuple[Operation, Any], data: st.DataObject
) -> None:
    op, body = seed
    for _ in range(data.draw(st.integers(1, 3))):
        body = mutate(body, data)
    assert op._gate is not None
    if op._gate.is_valid(body):
        assert op.body_error(body) is None, body


def test_gate_keywords_exclude_what_openapi_core_reads_differently() -> None:
    assert "format" not in GATE_KEYWORDS
    assert {"type", "required", "enum", "anyOf", "$ref"} <= GATE_KEYWORDS


# --------------------------------------------------------------------------- widening


def test_only_operations_shared_with_openai_are_widened() -> None:
    doc = spec.load_document("gemini-reverse")
    chat = spec.find_endpoint("gemini-reverse", "POST", "/v1/chat/completions")
    generate = spec.find_endpoint("gemini-reverse", "POST", "/v1/generate")
    deno = spec.find_endpoint("gemini-proxy-deno", "POST", "/chat/completions")
    core = spec.find_endpoint("openai-core", "POST", "/v1/chat/completions")
    assert chat is not None
    assert generate is not None
    assert deno is not None
    assert core is not None
    assert counterpart("gemini-reverse", chat, JSON) is not None
    assert counterpart("gemini-proxy-deno", deno, JSON) is not None  # no /v1 prefix there
    assert counterpart("gemini-reverse", generate, JSON) is None
    assert counterpart("openai-core", core, JSON) is None
    mine = doc["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"][JSON]["schema"]
    theirs = counterpart("gemini-reverse", chat, JSON)
    assert theirs is not None
    root = widened(doc, mine, theirs)
    merged = root[REQUEST]
    assert merged["required"] == ["messages"]  # 000 documents a default model
    ours = deref(doc, mine)["properties"]["stream"]
    assert merged["properties"]["stream"] == {
        "anyOf": [{"type": ["boolean", "null"], "default": False}, ours]
    }
    assert "temperature" in merged["properties"]  # OpenAI's field, OpenAI's range
    assert merged["properties"]["messages"]["anyOf"][0]["items"]["$ref"].startswith(
        f"#/{OPENAI_DEFS}/schemas/"
    )
