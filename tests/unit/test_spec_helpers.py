"""The helper API of ``spec/__init__.py``: loaders, self-contained schemas, endpoint
lookup, operation/request/stream schemas, examples, discrepancies and versions."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

import spec


def _valid(schema: dict[str, Any], value: Any) -> bool:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return bool(validator.is_valid(value))


def test_load_document_names_the_known_documents_on_a_typo() -> None:
    with pytest.raises(KeyError, match="openai-core"):
        spec.load_document("openai-cor")


def test_component_schema_is_self_contained_with_rewritten_refs() -> None:
    schema = spec.component_schema("openai-core", "ChatCompletion")
    assert schema["properties"]["usage"] == {"$ref": "#/$defs/Usage"}
    assert set(schema["$defs"]) >= {"Usage", "ChatCompletionMessage", "ToolCall"}
    ok = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
        ],
    }
    assert _valid(schema, ok)
    assert not _valid(schema, {**ok, "choices": []})


def test_component_schema_names_a_missing_component() -> None:
    with pytest.raises(KeyError, match="NoSuchThing"):
        spec.component_schema("openai-core", "NoSuchThing")


@pytest.mark.parametrize(
    "name",
    [
        "ChatCompletion",
        "ChatCompletionChunk",
        "ErrorResponse",
        "ModelList",
        "Model",
        "ChatCompletionRequest",
        "ToolCall",
        "ChunkToolCall",
        "Usage",
        "EmbeddingRequest",
        "EmbeddingList",
        "ChatCompletionMessage",
        "ChatMessageRequest",
    ],
)
def test_openai_core_keeps_the_components_the_checks_use(name: str) -> None:
    assert spec.component_schema("openai-core", name)["$defs"]


def test_endpoints_carry_the_server_base_path() -> None:
    core = {e.operation_id: e for e in spec.endpoints("openai-core")}
    assert core["createChatCompletion"].route == "/v1/chat/completions"
    assert core["retrieveModel"].base_path == "/v1"
    upstream = {e.operation_id: e for e in spec.endpoints("gemini-v1beta")}
    assert upstream["codeAssistCountTokens"].route == "/v1internal:countTokens"
    assert upstream["generateContent"].route == "/v1beta/models/{model}:generateContent"


@pytest.mark.parametrize(
    ("document", "method", "path", "operation_id"),
    [
        ("openai-core", "GET", "/v1/models", "listModels"),
        ("openai-core", "get", "/v1/models/gemini-2.5-flash", "retrieveModel"),
        ("openai-core", "POST", "/v1/chat/completions", "createChatCompletion"),
        ("gemini-proxy-deno", "POST", "/chat/completions", "createChatCompletion"),
        ("gemini-reverse", "GET", "/v1/batch/batch_60bfcf0a/status", "getBatchStatus"),
        (
            "gemini-v1beta",
            "POST",
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            "streamGenerateContent",
        ),
        ("gemini-v1beta", "GET", "/v1beta/models/gemini-2.5-flash", "getModel"),
        ("gemini-v1beta", "POST", "/v1internal:loadCodeAssist", "codeAssistLoadCodeAssist"),
    ],
)
def test_find_endpoint(document: str, method: str, path: str, operation_id: str) -> None:
    found = spec.find_endpoint(document, method, path)
    assert found is not None
    assert found.operation_id == operation_id


@pytest.mark.parametrize(
    ("document", "method", "path"),
    [
        ("openai-core", "POST", "/v1/models"),
        ("openai-core", "POST", "/chat/completions"),
        ("gemini-proxy-deno", "POST", "/v1/chat/completions"),
        ("gemini-v1beta", "POST", "/v1beta/models/a/b:generateContent"),
    ],
)
def test_find_endpoint_misses(document: str, method: str, path: str) -> None:
    assert spec.find_endpoint(document, method, path) is None


def test_operation_schema_falls_back_to_default_and_names_what_is_missing() -> None:
    err = spec.operation_schema("openai-core", "/chat/completions", "post", "400")
    assert err["$ref"] == "#/$defs/ErrorResponse"
    assert _valid(err, {"error": {"message": "m", "type": "t"}})
    rate = spec.operation_schema("openai-core", "/chat/completions", "POST", "429")
    assert not _valid(rate, {"detail": "slow down"})
    with pytest.raises(KeyError, match="application/json, text/event-stream"):
        spec.operation_schema("openai-core", "/chat/completions", "POST", "200", "text/html")
    with pytest.raises(KeyError, match="no 404 response"):
        spec.operation_schema("gemini-reverse", "/v1/audio/voices", "GET", "404")
    with pytest.raises(KeyError, match="no path"):
        spec.operation("openai-core", "/nope", "GET")
    with pytest.raises(KeyError, match="no PUT /models"):
        spec.operation("openai-core", "/models", "PUT")


def test_gemini_reverse_errors_accept_both_documented_shapes() -> None:
    schema = spec.operation_schema("gemini-reverse", "/v1/chat/completions", "POST", "429")
    assert _valid(schema, {"detail": "Model gemini-2.5-flash rate limited"})
    assert _valid(schema, {"error": {"code": "rate_limited", "message": "m", "type": "t"}})
    assert not _valid(schema, {"message": "m"})


def test_request_schema() -> None:
    schema = spec.request_schema("gemini-cli-proxy", "/v1/chat/completions", "POST")
    assert _valid(schema, {"model": "gemini-2.5-pro", "messages": [], "reasoning_effort": "none"})
    assert not _valid(schema, {"model": "m", "messages": [], "reasoning_effort": "max"})
    with pytest.raises(KeyError, match="does not exist"):
        spec.request_schema("openai-core", "/models", "GET")


def test_stream_contract() -> None:
    contract = spec.stream_contract("openai-core", "/chat/completions", "POST")
    assert contract.terminator == "[DONE]"
    assert contract.item_schema["$ref"] == "#/$defs/ChatCompletionChunk"
    with pytest.raises(KeyError, match="text/event-stream"):
        spec.stream_contract("openai-core", "/models", "GET")


def test_examples_know_their_schema_and_flags() -> None:
    found = {ex.where: ex for ex in spec.examples("antigravity2api")}
    stream = "/paths/~1v1~1chat~1completions/post/responses/200/content/text~1event-stream"
    reasoning = found[f"{stream}/examples/reasoning"]
    assert reasoning.partial
    assert reasoning.invalid == "reasoning-stream-not-sse-events"
    assert reasoning.stream is not None
    assert reasoning.stream.terminator == "[DONE]"
    schema_level = [ex for ex in found.values() if ex.where.startswith("/components/schemas/")]
    assert schema_level, "JSON Schema `examples` arrays are collected too"


def test_discrepancies_say_where_they_sit() -> None:
    where = {d.id: d.where for d in spec.discrepancies("gemini-reverse")}
    assert where["error-format-vs-examples"] == "document"
    assert where["chat-id-constant"] == "POST /v1/chat/completions"


def test_document_version_rejects_unknown_versions() -> None:
    with pytest.raises(KeyError, match="002, 003"):
        spec.document_version("antigravity2api", "001")
    with pytest.raises(KeyError, match="none"):
        spec.document_version("openai-core", "1")


def test_with_features_adds_claims_and_refuses_unknown_ones() -> None:
    from spec.profiles import get_profile, with_features

    core = get_profile("openai-core")
    assert "images" not in core.features
    claimed = with_features(core, ["images", "tts"])
    assert {"images", "tts", "chat"} <= claimed.features
    assert with_features(core, ["chat"]) is core
    with pytest.raises(ValueError, match="unknown feature 'telepathy'"):
        with_features(core, ["telepathy"])


def test_without_features_drops_claims_and_says_which() -> None:
    """--without-feature embeddings: a chat-only proxy's embeddings checks are skipped as
    features it does not serve, not failed with the 404 of a route it never had."""
    from conformance.registry import REGISTRY
    from conformance.runner import _skip_reason
    from conformance.target import Target
    from spec.profiles import get_profile, with_features

    core = get_profile("openai-core")
    chat_only = with_features(core, [], ["embeddings"])
    assert "embeddings" not in chat_only.features
    assert chat_only.left_out == frozenset({"embeddings"})
    assert core.left_out == frozenset()
    target = Target("http://127.0.0.1:1", chat_only)
    assert _skip_reason(REGISTRY["embeddings.shape"], target) == (
        "the target does not serve embeddings (--without-feature)"
    )
    assert _skip_reason(REGISTRY["chat.completion_shape"], target) is None
    both = with_features(core, ["images"], ["tools"])
    assert "images" in both.features
    assert "tools" not in both.features
    assert with_features(core, [], ["images"]).left_out == frozenset()  # never claimed
    with pytest.raises(ValueError, match="'tools' is both claimed and left out"):
        with_features(core, ["tools"], ["tools"])
    with pytest.raises(ValueError, match="unknown feature 'telepathy'"):
        with_features(core, [], ["telepathy"])
