"""Code Assist v1internal and the OAuth token stub on the wire (A7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.journal import fingerprint
from mockserver.settings import Settings
from spec.sse import decode
from tests.servers import serve

REFRESH = "1//mock-refresh-token"
INNER = {"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    settings = Settings(seed=5, refresh_tokens=frozenset({REFRESH, "1//second"}))
    with serve(lambda: create_app(settings)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as c:
        c.delete("/_mock/requests").raise_for_status()
        yield c


def token(client: httpx.Client, refresh: str = REFRESH) -> str:
    response = client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "client_secret": "cs"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert (body["expires_in"], body["token_type"]) == (3599, "Bearer")
    access: str = body["access_token"]
    assert access.startswith("ya29.mock-")
    return access


def call(client: httpx.Client, method: str, body: Any, access: str) -> httpx.Response:
    return client.post(
        f"/v1internal:{method}", json=body, headers={"authorization": f"Bearer {access}"}
    )


def test_token_endpoint(client: httpx.Client) -> None:
    first = token(client)
    assert token(client) == first  # deterministic per refresh token
    assert token(client, "1//second") != first
    bad = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": "1//nope"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "invalid_grant", "error_description": "Bad Request"}
    as_json = client.post("/token", json={"grant_type": "refresh_token", "refresh_token": REFRESH})
    assert as_json.json()["access_token"] == first
    entries = client.get("/_mock/requests").json()["requests"]
    assert entries[0]["body"] == {
        "grant_type": "refresh_token",
        "refresh_token": "[redacted]",
        "client_secret": "[redacted]",
    }
    assert entries[0]["credentials"] == [
        {"where": "body:refresh_token", "sha256": fingerprint(REFRESH)}
    ]
    assert REFRESH not in client.get("/_mock/requests").text


def test_generate_unary_and_stream_envelopes(client: httpx.Client) -> None:
    access = token(client)
    body = {"model": "gemini-2.5-pro", "project": "proj-1", "user_prompt_id": "p#1",
            "request": {**INNER, "session_id": "sess-1"}}  # fmt: skip
    unary = call(client, "generateContent", body, access)
    assert unary.status_code == 200
    out = unary.json()
    assert set(out) == {"response", "traceId"}
    text = out["response"]["candidates"][0]["content"]["parts"][0]["text"]
    with client.stream(
        "POST",
        "/v1internal:streamGenerateContent?alt=sse",
        json=body,
        headers={"authorization": f"Bearer {access}", "x-mock-scenario": "chunks=4"},
    ) as response:
        data = b"".join(response.iter_raw())
    assert response.headers["content-type"] == "text/event-stream"
    events = [json.loads(e.data) for e in decode([data])]
    assert len(events) == 4
    assert {e["traceId"] for e in events} == {events[0]["traceId"]}
    streamed = "".join(
        e["response"]["candidates"][0]["content"]["parts"][0]["text"] for e in events
    )
    assert len(streamed.split()) == 12
    assert text
    count = call(
        client, "countTokens", {"request": {"model": "models/gemini-2.5-pro", **INNER}}, access
    )
    assert count.json() == {"totalTokens": 2}


def test_antigravity_variant_and_scenarios(client: httpx.Client) -> None:
    access = token(client)
    body = {"project": "p", "model": "claude-sonnet-4-5-thinking", "userAgent": "antigravity",
            "requestId": "agent-42", "requestType": "agent",
            "request": {"contents": [{"role": "user", "parts": [{"text": "x [[mock:cid=ag1]]"}]}],
                        "sessionId": "s-9"}}  # fmt: skip
    ok = call(client, "generateContent", body, access)
    assert ok.status_code == 200
    assert ok.json()["response"]["modelVersion"] == "claude-sonnet-4-5-thinking"
    [entry] = client.get("/_mock/requests", params={"cid": "ag1"}).json()["requests"]
    assert entry["body"]["userAgent"] == "antigravity"
    assert entry["headers"]["authorization"] == "[redacted]"
    assert entry["credentials"] == [
        {"where": "header:authorization", "sha256": fingerprint(access)}
    ]
    limited = {**body, "request": {"contents": [{"role": "user", "parts": [
        {"text": "[[mock:scenario=rate_limit retry_delay=4s]]"}]}]}}  # fmt: skip
    refused = call(client, "generateContent", limited, access)
    assert refused.status_code == 429
    assert refused.json()["error"]["details"][-1]["retryDelay"] == "4s"


def test_account_flow(client: httpx.Client) -> None:
    access = token(client, "1//second")
    first = call(client, "loadCodeAssist", {"metadata": {"pluginType": "GEMINI"}}, access).json()
    assert "currentTier" not in first
    default = next(t for t in first["allowedTiers"] if t.get("isDefault"))
    operation = call(client, "onboardUser", {"tierId": default["id"], "metadata": {}}, access)
    assert operation.json()["done"] is True
    project = operation.json()["response"]["cloudaicompanionProject"]["id"]
    again = call(client, "loadCodeAssist", {"metadata": {}}, access).json()
    assert again["currentTier"]["id"] == "free-tier"
    assert again["cloudaicompanionProject"] == project
    models = call(client, "fetchAvailableModels", {"project": project}, access).json()["models"]
    assert "gemini-2.5-pro" in models
    assert "claude-opus-4-5-thinking" in models


@pytest.mark.parametrize(
    ("headers", "status", "needle"),
    [
        ({}, 401, "missing required authentication credential"),
        ({"authorization": "Bearer ya29.real"}, 401, "invalid authentication credentials"),
        ({"x-goog-api-key": "AIza"}, 401, "API keys are not supported"),
    ],
)
def test_auth(client: httpx.Client, headers: dict[str, str], status: int, needle: str) -> None:
    body = {"model": "gemini-2.5-pro", "request": INNER}
    response = client.post("/v1internal:generateContent", json=body, headers=headers)
    assert response.status_code == status
    assert needle in response.json()["error"]["message"]


def test_bad_envelope_and_unknown_method(client: httpx.Client) -> None:
    access = token(client)
    bad = call(client, "generateContent", {"model": "gemini-2.5-pro", "request": {
        **INNER, "generationConfig": {"topk": 3}}}, access)  # fmt: skip
    assert bad.status_code == 400
    assert "Unknown name \"topk\" at 'request.generation_config'" in bad.json()["error"]["message"]
    assert call(client, "explode", {}, access).status_code == 404
