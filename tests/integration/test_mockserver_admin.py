"""The mock's real admin answers satisfy spec/openapi/mock-admin.yaml (checked by
openapi-core, request and response), after traffic of every kind the journal records."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

import spec
from conformance.http import fetch_journal
from mockserver.app import create_app
from mockserver.settings import Settings
from spec.mock_admin import DOCUMENT
from tests.servers import serve

KEY = "AIza-admin-test-key"
MODELS = "/v1beta/models"
FLASH = f"{MODELS}/gemini-2.5-flash"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(lambda: create_app(Settings(seed=3))) as url:
        yield url


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(spec.load_document(DOCUMENT))


def _checked(openapi: OpenAPI, base: str, response: httpx.Response) -> Any:
    """``response``'s JSON, after openapi-core validated its request and itself."""
    sent = response.request
    request = MockRequest(
        base,
        sent.method.lower(),
        sent.url.path,
        args=dict(sent.url.params),
        data=sent.content or None,
    )
    openapi.validate_request(request)
    openapi.validate_response(request, MockResponse(response.content, response.status_code))
    return response.json()


def _user(text: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


def _traffic(client: httpx.Client) -> None:
    """One request of every kind the journal records differently."""
    for scenario in ("text", "thoughts", "tool_call", "safety", "prompt_blocked",
                     "rate_limit", "mid_stream_cut", "mid_stream_error", "max_tokens"):  # fmt: skip
        text = f"hi [[mock:scenario={scenario} cid=c.{scenario}]]"
        with contextlib.suppress(httpx.RemoteProtocolError):  # the cut stream
            client.post(f"{FLASH}:streamGenerateContent?alt=sse", json=_user(text))
    client.post(f"{FLASH}:generateContent", json={
        **_user("two [[mock:cid=c.n]]"), "generationConfig": {"candidateCount": 2}})  # fmt: skip
    client.post(f"{FLASH}:generateContent", content=b"{not json")
    client.post(f"{MODELS}/gemini-2.5-flash-image:generateContent",
                json={**_user("a kite [[mock:cid=c.img]]"),
                      "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}})  # fmt: skip
    client.post(f"{MODELS}/imagen-4.0-generate-001:predict",
                json={"instances": [{"prompt": "a kite [[mock:cid=c.predict]]"}]})  # fmt: skip
    client.get("/_mock/image.png", params={"cid": "c.fixture"})
    chat = {"role": "user", "content": "hi [[mock:scenario=mid_stream_error]]"}
    client.post("/v1beta/openai/chat/completions",
                json={"model": "gemini-2.5-flash", "stream": True, "messages": [chat]})  # fmt: skip
    client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "1//r"})
    client.get(f"{MODELS}?key={KEY}&access_token=t")


def test_every_admin_answer_satisfies_the_contract(base_url: str, openapi: OpenAPI) -> None:
    with httpx.Client(base_url=base_url, timeout=10, headers={"x-goog-api-key": KEY}) as client:
        assert _checked(openapi, base_url, client.get("/_mock/health")) == {"status": "ok"}
        assert _checked(openapi, base_url, client.get("/_mock/models"))["models"]
        _checked(openapi, base_url, client.delete("/_mock/requests"))
        _traffic(client)
        page = _checked(openapi, base_url, client.get("/_mock/requests"))
        responses = [e["response"] for e in page["requests"]]
        assert any(r and "error" in r for r in responses)
        assert any(r and "image" in r for r in responses)
        assert any(r and "media" in r and "text" not in r for r in responses)
        assert any(r and r.get("block_reason") for r in responses)
        one = _checked(openapi, base_url, client.get("/_mock/requests", params={"cid": "c.text"}))
        assert [e["cid"] for e in one["requests"]] == ["c.text"]
        assert fetch_journal(client, base_url, "c.text") == one["requests"]
        queued = client.post("/_mock/scenarios", json={"directive": "scenario=rate_limit"})
        assert _checked(openapi, base_url, queued)["queued"] == 1
        _checked(openapi, base_url, client.get("/_mock/scenarios"))
        _checked(openapi, base_url, client.delete("/_mock/scenarios"))
        bad = client.post("/_mock/scenarios", json={"directive": "scenario=nope"})
        assert _checked(openapi, base_url, bad)["error"]["code"] == 400
        key = client.post("/_mock/keys", json={"key": "k1", "per_minute": 1, "per_day": None})
        _checked(openapi, base_url, key)
        client.post(f"{FLASH}:generateContent", json=_user("x"), headers={"x-goog-api-key": "k1"})
        keys = _checked(openapi, base_url, client.get("/_mock/keys"))
        assert keys["keys"][0]["minute"]["used"] == 1
        _checked(openapi, base_url, client.delete("/_mock/keys"))
        cleared = _checked(openapi, base_url, client.delete("/_mock/requests"))
        assert cleared["cleared"] >= len(page["requests"])


def test_the_catalogue_needs_no_key_even_when_the_mock_has_one() -> None:
    """``GET /_mock/models`` is models.list's whole body with no API key, on a mock
    started with ``--api-key`` (whose ``/v1beta/models`` refuses any other key): the
    suite's ``upstream_models`` probe reads it there."""
    with serve(lambda: create_app(Settings(seed=3, api_keys=frozenset({"only-this"})))) as url:
        refused = httpx.get(f"{url}/v1beta/models?pageSize=1000", headers={"x-goog-api-key": "x"})
        assert refused.status_code == 400
        listed = httpx.get(f"{url}/_mock/models")
        assert listed.status_code == 200
        allowed = httpx.get(
            f"{url}/v1beta/models?pageSize=1000", headers={"x-goog-api-key": "only-this"}
        )
        assert listed.json() == allowed.json()
        assert len(listed.json()["models"]) > 10
        assert "nextPageToken" not in listed.json()
        journal = httpx.get(f"{url}/_mock/requests").json()["requests"]
        assert all("_mock/models" not in e.get("path", "") for e in journal)
