"""Every answer of the reference proxy, per profile, against that profile's own OpenAPI
document (``spec/openapi/<profile>.yaml``): the status must be one the document lists,
and its response schema (where it gives one) must accept the body. The upstream is the
real mock (``tests.mock_upstream``); requests follow the documents' examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

import spec
from reference_impl.app import create_app
from tests.integration.test_reference_endpoints import CLIENT, PNG, pdf, settings
from tests.mock_upstream import mock_upstream
from tests.servers import serve

CHAT = {"messages": [{"role": "user", "content": "Hello"}], "model": "gemini-2.5-flash"}
Call = tuple[str, str, dict[str, Any]]

CALLS: dict[str, list[Call]] = {
    "openai-core": [
        ("GET", "/v1/models", {}),
        ("GET", "/v1/models/gemini-2.5-flash", {}),
        ("POST", "/v1/chat/completions", {"json": CHAT}),
        ("POST", "/v1/embeddings", {"json": {"input": ["a"], "model": "gemini-embedding-001"}}),
    ],
    "gemini-reverse": [
        ("GET", "/health", {}),
        ("GET", "/api/cookies/status", {}),
        ("GET", "/api/models", {}),
        ("GET", "/v1/models", {}),
        ("POST", "/v1/chat/completions", {"json": {"messages": CHAT["messages"]}}),
        ("POST", "/v1/generate", {"json": {"prompt": "What is 2+2?"}}),
        ("POST", "/v1/generate-images", {"json": {"prompt": "cat", "response_type": "url"}}),
        ("POST", "/v1/images/generations", {"json": {"prompt": "cat", "n": 1}}),
        (
            "POST",
            "/v1/images/edit",
            {"json": {"prompt": "beach", "image": "iVBORw0KGgoAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
        ),
        ("GET", "/v1/audio/voices", {}),
        ("POST", "/v1/documents/analyze", {"files": {"file": ("d.pdf", pdf("Hi", "T"))}}),
        ("POST", "/v1/documents/extract", {"files": {"file": ("d.pdf", pdf("Hi", "T"))}}),
        ("POST", "/v1/design/analyze", {"files": {"file": ("ui.png", PNG, "image/png")}}),
        ("POST", "/v1/design/to-code", {"files": {"file": ("ui.png", PNG, "image/png")}}),
        ("POST", "/v1/batch/images", {"json": {"prompts": ["a", "b"]}}),
        (
            "POST",
            "/gemini/v1beta/models/gemini-2.5-flash:generateContent",
            {"json": {"contents": [{"role": "user", "parts": [{"text": "Hello, Gemini!"}]}]}},
        ),
        ("GET", "/gemini/v1beta/models", {}),
    ],
    "gemini-proxy-deno": [
        ("GET", "/models", {}),
        ("POST", "/chat/completions", {"json": CHAT}),
        ("POST", "/embeddings", {"json": {"input": ["Hello world"], "dimensions": 2}}),
    ],
    "antigravity2api": [
        ("GET", "/v1/models", {}),
        ("POST", "/v1/chat/completions", {"json": CHAT}),
        ("POST", "/sdapi/v1/txt2img", {"json": {"prompt": "a cat", "steps": 20}}),
        ("GET", "/sdapi/v1/sd-models", {}),
        ("GET", "/sdapi/v1/options", {}),
        ("GET", "/sdapi/v1/samplers", {}),
        ("GET", "/sdapi/v1/upscalers", {}),
        ("GET", "/sdapi/v1/progress", {}),
        ("POST", "/admin/login", {"json": {"username": "admin", "password": "admin123"}}),
        ("GET", "/admin/tokens", {"admin": True}),
        (
            "POST",
            "/admin/tokens",
            {
                "admin": True,
                "json": {"access_token": "k-good", "refresh_token": "k-good", "expires_in": 3599},
            },
        ),
        ("GET", "/admin/tokens/k-good/quotas", {"admin": True}),
        ("GET", "/admin/rotation", {"admin": True}),
        (
            "PUT",
            "/admin/rotation",
            {"admin": True, "json": {"strategy": "request_count", "requestCount": 20}},
        ),
        ("GET", "/admin/config", {"admin": True}),
        (
            "PUT",
            "/admin/config",
            {"admin": True, "json": {"json": {"defaults": {"temperature": 0.7}}}},
        ),
        ("DELETE", "/admin/tokens/k-good", {"admin": True}),
    ],
    "gemini-cli-proxy": [
        ("GET", "/", {}),
        ("GET", "/health", {}),
        ("GET", "/v1/models", {}),
        ("POST", "/v1/chat/completions", {"json": {**CHAT, "stream": False}}),
        ("GET", "/v1/debug/cache", {}),
        ("GET", "/v1/token-test", {}),
        ("GET", "/v1/test", {}),
    ],
}


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    with mock_upstream() as url:
        yield url


@pytest.mark.parametrize("profile", sorted(CALLS))
def test_answers_match_the_profiles_document(profile: str, fake_url: str) -> None:
    s = settings(fake_url, profile=profile)
    checked = 0
    with serve(lambda: create_app(s)) as url, httpx.Client(base_url=url, timeout=30) as h:
        admin: dict[str, str] = {}
        for method, path, kw in CALLS[profile]:
            headers = {"Authorization": f"Bearer {CLIENT}"}
            if kw.pop("admin", False):
                if not admin:
                    token = h.post(
                        "/admin/login", json={"username": "admin", "password": "admin123"}
                    ).json()["token"]
                    admin = {"Authorization": f"Bearer {token}"}
                headers = admin
            r = h.request(method, path, headers=headers, **kw)
            assert r.status_code < 300, (path, r.status_code, r.text)
            endpoint = spec.find_endpoint(profile, method, path)
            assert endpoint is not None, f"{profile} documents no {method} {path}"
            documented = spec.operation(profile, endpoint.path, method)["responses"]
            assert str(r.status_code) in documented or "2XX" in documented, (
                f"{method} {path}: {r.status_code} is not among {sorted(documented)}"
            )
            try:
                schema = spec.operation_schema(profile, endpoint.path, method, str(r.status_code))
            except KeyError:
                continue  # the document gives no JSON schema for this answer
            body = json.loads(r.content)
            errors = sorted(
                jsonschema.Draft202012Validator(schema).iter_errors(body), key=lambda e: e.path
            )
            assert not errors, (
                f"{method} {path}: {[f'{list(e.path)}: {e.message}' for e in errors][:3]}"
            )
            checked += 1
    assert checked >= 2  # antigravity2api documents few response schemas
