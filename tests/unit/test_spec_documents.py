"""The OpenAPI documents of ``spec/openapi/``: valid OpenAPI 3.1, every endpoint the
source documents list is present, every embedded example satisfies its schema, the
discrepancies and rate limits are well-formed and agree with ``spec.profiles``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

import spec
from spec.profiles import PROFILES, Auth
from spec.sse import decode

# The endpoints each source lists, written from the documents themselves
# (the systems' own API documentation, docs/gemini-wire.md, docs/openai-wire.md).
EXPECTED_ENDPOINTS: dict[str, set[tuple[str, str]]] = {
    "openai-core": {
        ("GET", "/models"),
        ("GET", "/models/{model}"),
        ("POST", "/chat/completions"),
        ("POST", "/embeddings"),
        ("POST", "/images/generations"),
        ("POST", "/audio/speech"),
    },
    "gemini-reverse": {  # sections 1-9
        ("GET", "/health"),
        ("GET", "/api/cookies/status"),
        ("GET", "/api/models"),
        ("GET", "/v1/models"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/generate"),
        ("POST", "/v1/generate-images"),
        ("POST", "/v1/images/generations"),
        ("POST", "/v1/images/edit"),
        ("POST", "/v1/audio/speech"),
        ("GET", "/v1/audio/voices"),
        ("POST", "/v1/documents/analyze"),
        ("POST", "/v1/documents/extract"),
        ("POST", "/v1/design/analyze"),
        ("POST", "/v1/design/to-code"),
        ("POST", "/v1/batch/images"),
        ("GET", "/v1/batch/{batch_id}/status"),
        ("POST", "/gemini/v1beta/models/{model}:generateContent"),
        ("GET", "/gemini/v1beta/models"),
    },
    "gemini-proxy-deno": {  # REST API Endpoints + WebSocket API
        ("POST", "/chat/completions"),
        ("POST", "/embeddings"),
        ("GET", "/models"),
        ("GET", "/ws"),
    },
    "antigravity2api": {  # newer docs (the older docs have only the first two)
        ("GET", "/v1/models"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/sdapi/v1/txt2img"),
        ("POST", "/sdapi/v1/img2img"),
        ("GET", "/sdapi/v1/sd-models"),
        ("GET", "/sdapi/v1/options"),
        ("GET", "/sdapi/v1/samplers"),
        ("GET", "/sdapi/v1/upscalers"),
        ("GET", "/sdapi/v1/progress"),
        ("POST", "/admin/login"),
        ("GET", "/admin/tokens"),
        ("POST", "/admin/tokens"),
        ("DELETE", "/admin/tokens/{refresh_token}"),
        ("GET", "/admin/tokens/{refresh_token}/quotas"),
        ("GET", "/admin/rotation"),
        ("PUT", "/admin/rotation"),
        ("GET", "/admin/config"),
        ("PUT", "/admin/config"),
        ("GET", "/images/{file}"),
    },
    "gemini-cli-proxy": {  # Endpoints + Debug Endpoints
        ("GET", "/"),
        ("GET", "/health"),
        ("GET", "/v1/models"),
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/debug/cache"),
        ("GET", "/v1/token-test"),
        ("GET", "/v1/test"),
    },
    "gemini-v1beta": {  # wire-formats.md A3-A7, B5
        ("GET", "/v1beta/models"),
        ("GET", "/v1beta/models/{model}"),
        ("POST", "/v1beta/models/{model}:generateContent"),
        ("POST", "/v1beta/models/{model}:streamGenerateContent"),
        ("POST", "/v1beta/models/{model}:countTokens"),
        ("POST", "/v1beta/models/{model}:embedContent"),
        ("POST", "/v1beta/models/{model}:batchEmbedContents"),
        ("POST", "/v1beta/models/{model}:predict"),
        ("POST", "/v1beta/openai/chat/completions"),
        ("POST", "/v1beta/openai/embeddings"),
        ("GET", "/v1beta/openai/models"),
        ("POST", "/v1internal:generateContent"),
        ("POST", "/v1internal:streamGenerateContent"),
        ("POST", "/v1internal:countTokens"),
        ("POST", "/v1internal:loadCodeAssist"),
        ("POST", "/v1internal:onboardUser"),
        ("POST", "/v1internal:fetchAvailableModels"),
    },
}

SEED_OF = {
    "gemini-reverse": ("gemini-reverse",),
    "gemini-proxy-deno": ("gemini-proxy-deno",),
    "antigravity2api": ("antigravity2api", "antigravity2api (older docs)"),
    "gemini-cli-proxy": ("gemini-cli-proxy",),
}
"""How each system document cites its sections: ``<name> §<section>``."""

REFERENCE_SOURCES = (
    "docs/gemini-wire.md",
    "docs/openai-wire.md",
    "docs/breakages.md",
    "openai-openapi",
    "gemini-cli",
)


def test_every_document_is_listed_and_expected() -> None:
    assert set(spec.DOCUMENTS) == set(EXPECTED_ENDPOINTS)


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_document_is_valid_openapi_3_1(name: str) -> None:
    doc = spec.load_document(name)
    assert doc["openapi"].startswith("3.1")
    validate_openapi(doc)


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_every_documented_endpoint_is_present(name: str) -> None:
    found = {(e.method, e.path) for e in spec.endpoints(name)}
    assert found == EXPECTED_ENDPOINTS[name], (
        f"missing: {sorted(EXPECTED_ENDPOINTS[name] - found)}; "
        f"not in the source: {sorted(found - EXPECTED_ENDPOINTS[name])}"
    )


def test_endpoint_counts_match_the_issue() -> None:
    counts = {name: len(spec.endpoints(name)) for name in spec.DOCUMENTS}
    assert counts["gemini-reverse"] == 19
    assert counts["gemini-proxy-deno"] == 4
    assert counts["antigravity2api"] == 19
    assert counts["gemini-cli-proxy"] == 7


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_every_operation_cites_its_source(name: str) -> None:
    for e in spec.endpoints(name):
        op = spec.operation(name, e.path, e.method)
        text = f"{op.get('summary', '')} {op.get('description', '')}"
        if name in SEED_OF:
            cited = any(f"{seed} §" in text for seed in SEED_OF[name])
        else:
            cited = any(ref in text for ref in REFERENCE_SOURCES)
        assert cited, f"{name} {e.method} {e.path} cites no source section: {text[:120]!r}"
        for status, response in op["responses"].items():
            assert "description" in response or "$ref" in response, (name, e.path, status)


# --------------------------------------------------------------------------- examples


def _relaxed(node: Any) -> Any:
    """``node`` without any ``required`` (for excerpts the document marks as such)."""
    if isinstance(node, dict):
        return {k: _relaxed(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_relaxed(v) for v in node]
    return node


def _schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"/{'/'.join(map(str, err.absolute_path))}: {err.message[:160]}"
        for err in validator.iter_errors(value)
    ]


def example_errors(example: spec.Example) -> list[str]:
    """Why ``example`` does not satisfy its schema (empty when it does). A stream example
    is decoded by the WHATWG rules and each event checked against the item schema."""
    if example.stream is None or not isinstance(example.value, str):
        schema = _relaxed(example.schema) if example.partial else example.schema
        return _schema_errors(schema, example.value)
    contract = example.stream
    item_schema = _relaxed(contract.item_schema) if example.partial else contract.item_schema
    events = list(decode([example.value.encode()]))
    if not events:
        return ["the stream has no complete event"]
    problems = []
    for i, event in enumerate(events):
        if contract.terminator is not None and event.data == contract.terminator:
            if i != len(events) - 1:
                problems.append(f"event {i}: {contract.terminator} is not the last event")
            continue
        try:
            item = json.loads(event.data)
        except ValueError as exc:
            problems.append(f"event {i}: data is not JSON ({exc}): {event.data[:80]!r}")
            continue
        problems.extend(f"event {i}{p}" for p in _schema_errors(item_schema, item))
    return problems


def _all_examples() -> Iterator[Any]:
    for name in spec.DOCUMENTS:
        for ex in spec.examples(name):
            yield pytest.param(ex, id=f"{name}:{ex.where}")


@pytest.mark.parametrize("example", list(_all_examples()))
def test_example_satisfies_its_schema(example: spec.Example) -> None:
    problems = example_errors(example)
    if example.invalid is None:
        assert not problems, problems
    else:
        assert problems, f"marked x-invalid ({example.invalid}) but it validates"


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_documents_embed_examples_of_every_documented_body(name: str) -> None:
    found = spec.examples(name)
    assert found, name
    if name in SEED_OF:  # every operation whose source shows a JSON body embeds it
        with_examples = {ex.where.split("/")[2] for ex in found if ex.where.startswith("/paths/")}
        assert len(with_examples) >= len(spec.endpoints(name)) // 2


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_invalid_examples_name_a_recorded_discrepancy(name: str) -> None:
    ids = {d.id for d in spec.discrepancies(name)}
    for ex in spec.examples(name):
        if ex.invalid is not None:
            assert ex.invalid in ids, (ex.where, ex.invalid)


# --------------------------------------------------------------------------- discrepancies


def _find_key(node: Any, key: str, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield path
            yield from _find_key(v, key, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _find_key(v, key, (*path, str(i)))


KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_discrepancies_are_well_formed(name: str) -> None:
    doc = spec.load_document(name)
    for where in _find_key(doc, "x-discrepancies"):
        on_operation = len(where) == 3 and where[0] == "paths" and where[2] in spec.HTTP_METHODS
        assert where == () or on_operation, f"x-discrepancies at {'/'.join(where)}"
    raw = [e for w in _find_key(doc, "x-discrepancies") for e in _at(doc, w)["x-discrepancies"]]
    for entry in raw:
        assert set(entry) == {"id", "says", "contradicts", "source"}, entry
        assert all(isinstance(v, str) and v.strip() for v in entry.values()), entry
        assert KEBAB.match(entry["id"]), entry["id"]
        assert entry["says"] != entry["contradicts"], entry["id"]
        if name in SEED_OF:
            assert any(f"{seed} §" in entry["source"] for seed in SEED_OF[name]), entry
    ids = [d.id for d in spec.discrepancies(name)]
    assert len(ids) == len(raw)
    assert len(ids) == len(set(ids)), f"duplicate discrepancy ids in {name}: {ids}"


def _at(doc: dict[str, Any], where: tuple[str, ...]) -> dict[str, Any]:
    node: Any = doc
    for token in where:
        node = node[int(token)] if isinstance(node, list) else node[token]
    result: dict[str, Any] = node
    return result


def test_the_issues_named_discrepancies_are_recorded() -> None:
    recorded = {(name, d.id) for name in spec.DOCUMENTS for d in spec.discrepancies(name)}
    for item in [
        ("gemini-reverse", "error-format-vs-examples"),
        ("gemini-reverse", "chat-id-constant"),
        ("gemini-cli-proxy", "stream-default-true"),
        ("gemini-proxy-deno", "models-owned-by-empty"),
        ("antigravity2api", "thinking-budget-range"),
    ]:
        assert item in recorded


# --------------------------------------------------------------------------- streams


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_chat_streams_name_their_event_schema(name: str) -> None:
    chat = [e for e in spec.endpoints(name) if e.path.endswith("/chat/completions")]
    for e in chat:
        if name == "gemini-reverse":  # the document gives no stream format (recorded)
            with pytest.raises(KeyError, match="no per-event format"):
                spec.stream_contract(name, e.path, e.method)
            continue
        contract = spec.stream_contract(name, e.path, e.method)
        assert contract.terminator == "[DONE]"
        assert contract.item_schema["$defs"]


def test_gemini_streams_have_no_terminator() -> None:
    for path in (
        "/v1beta/models/{model}:streamGenerateContent",
        "/v1internal:streamGenerateContent",
    ):
        assert spec.stream_contract("gemini-v1beta", path, "POST").terminator is None


# --------------------------------------------------------------------------- profiles


@pytest.mark.parametrize("name", spec.DOCUMENTS)
def test_rate_limits_are_well_formed(name: str) -> None:
    doc = spec.load_document(name)
    assert [w for w in _find_key(doc, "x-rate-limits") if w != ()] == []
    for limit in doc.get("x-rate-limits", []):
        assert set(limit) == {"name", "limit", "window_s", "kind", "scope", "says", "source"}
        assert limit["kind"] in {"requests", "tokens", "interval", "concurrency", "cooldown"}
        assert limit["scope"] in {"ip", "model", "key", "credential", "global"}
        assert (limit["limit"] is None) == (limit["window_s"] is None), limit
        if name in SEED_OF:
            assert any(f"{seed} §" in limit["source"] for seed in SEED_OF[name])


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profiles_agree_with_their_documents(profile: str) -> None:
    p = PROFILES[profile]
    doc = spec.load_document(profile)
    documented = {
        (r["name"], r["limit"], r["window_s"])
        for r in doc.get("x-rate-limits", [])
        if r["limit"] is not None
    }
    assert {(r.name, r.limit, r.window_s) for r in p.rate_limits} <= documented
    chat = next(e for e in spec.endpoints(profile) if e.operation_id == "createChatCompletion")
    assert chat.route == p.path("/chat/completions")
    assert (doc.get("security") == []) == (p.auth is Auth.NONE)
    if profile == "openai-core":
        return
    request = spec.request_schema(profile, chat.path, "POST")
    props = request.get("properties", {})
    if not props:
        ref = request["$ref"].rsplit("/", 1)[1]
        props = request["$defs"][ref]["properties"]
    for key, value in p.defaults.items():
        assert props[key].get("default") == value, (profile, key)
    assert props["stream"].get("default", False) is p.stream_default
    has_detail = "DetailError" in doc["components"]["schemas"]
    assert has_detail == (p.error_style == "detail")


# --------------------------------------------------------------------------- versions


def test_antigravity_versions_are_consistent() -> None:
    doc = spec.load_document("antigravity2api")
    known = {v["id"] for v in doc["info"]["x-versions"]}
    for where in _find_key(doc, "x-versions"):
        node = _at(doc, where)["x-versions"]
        if where == ("info",):
            continue
        assert isinstance(node, dict), where
        assert node, where
        assert set(node) <= known, where
    for e in spec.endpoints("antigravity2api"):
        assert "x-versions" in spec.operation("antigravity2api", e.path, e.method), e


@pytest.mark.parametrize("version", ["002", "003"])
def test_each_antigravity_version_is_a_valid_document(version: str) -> None:
    validate_openapi(spec.document_version("antigravity2api", version))


def test_the_older_antigravity_docs_have_other_defaults_and_no_admin_or_sd_api() -> None:
    old = spec.document_version("antigravity2api", "003")
    new = spec.document_version("antigravity2api", "002")
    assert set(old["paths"]) == {"/v1/models", "/v1/chat/completions"}
    assert len(new["paths"]) == 16
    props = old["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    assert props["top_p"]["default"] == 0.85
    assert props["max_tokens"]["default"] == 8096
    assert "thinking_budget" not in props
    assert "reasoning_effort" not in props
    newer = new["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    assert (newer["top_p"]["default"], newer["max_tokens"]["default"]) == (1, 32000)
    assert list(_find_key(old, "x-versions")) == [("info",)]
    assert old["info"]["version"] == "003"


def test_thinking_budget_is_0_or_1024_to_32000() -> None:
    schema = spec.component_schema("antigravity2api", "ChatCompletionRequest")
    base = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    for ok in (0, 1024, 24000, 32000):
        assert not _schema_errors(schema, {**base, "thinking_budget": ok})
    for bad in (1, 512, 1023, 32001, -1):
        assert _schema_errors(schema, {**base, "thinking_budget": bad}), bad


def test_the_websocket_upgrade_is_described() -> None:
    op = spec.operation("gemini-proxy-deno", "/ws", "GET")
    assert "101" in op["responses"]
    assert {p["name"] for p in op["parameters"]} >= {"Upgrade", "Sec-WebSocket-Key"}
    ws = op["x-websocket"]
    assert {"url", "client-messages", "server-messages"} <= set(ws)
