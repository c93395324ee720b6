"""spec.secrets: every kind of credential is redacted by the mock's journal, by an
Exchange's evidence and curl line, and by the rendered reports (Markdown, HTML, JUnit)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.exchange import Exchange, Request
from mockserver.app import create_app
from reports.records import Evidence, Outcome, ResultRecord, RunInfo
from reports.render import render_html, render_junit, render_markdown
from spec.secrets import (
    REDACTED,
    is_secret_header,
    is_secret_param,
    is_token,
    redact_body_text,
    redact_json,
    scrub_tokens,
)
from tests.servers import serve

BEARER = "sk-proj-Zx81bQe7TtY3mNcP0aLkWq"
BASIC = "dXNlcjpodW50ZXIyLWJhc2lj"  # user:hunter2-basic
GOOG_KEY = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"
QUERY_KEY = "AIzaSyQ9w8E7r6T5y4U3i2O1p0AsDfGhJkLzXcV"
X_API_KEY = "xk-live-7f3a9c2e1b0d"
API_KEY = "azure-key-5d6e7f8a9b0c"
ACCESS_TOKEN = "ya29.a0AfH6SMBxQueryToken1234567890"
COOKIE = "s3ss10n-c00k1e-v4lue"
SET_COOKIE = "s3t-c00k1e-v4lue"
REFRESH = "1//0gLmNoPqRsTuVwXyZ-refresh-abcdef"
CLIENT_SECRET = "GOCSPX-client-secret-value"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXZhbHVl"

SECRETS = {
    "authorization bearer": BEARER,
    "authorization basic": BASIC,
    "x-goog-api-key": GOOG_KEY,
    "key=": QUERY_KEY,
    "x-api-key": X_API_KEY,
    "api-key": API_KEY,
    "access_token=": ACCESS_TOKEN,
    "cookie": COOKIE,
    "set-cookie": SET_COOKIE,
    "refresh_token": REFRESH,
    "client_secret": CLIENT_SECRET,
    "jwt": JWT,
}
"""Every kind of secret -> a value of it; none may show anywhere."""


def _leaks(text: str) -> list[str]:
    return [kind for kind, value in SECRETS.items() if value in text]


def _request_headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {BEARER}",
        "X-Goog-Api-Key": GOOG_KEY,
        "X-Api-Key": X_API_KEY,
        "Api-Key": API_KEY,
        "Cookie": f"sid={COOKIE}",
        "Set-Cookie": f"sid={SET_COOKIE}; HttpOnly",
        "X-Client-Assertion": JWT,
        "Content-Type": "application/json",
    }


def _body() -> dict[str, object]:
    return {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "refresh_token": REFRESH,
        "client_secret": CLIENT_SECRET,
        "note": JWT,
    }


QUERY = f"alt=sse&key={QUERY_KEY}&access_token={ACCESS_TOKEN}"

# ----------------------------------------------------------------------------- the names


def test_names_and_patterns() -> None:
    for name in ("Authorization", "x-goog-api-key", "X-API-Key", "api-key", "Set-Cookie"):
        assert is_secret_header(name)
    assert not is_secret_header("content-type")
    for name in ("x-portkey-api-key", "cf-aig-authorization", "X-LiteLLM-Key", "x-auth-token"):
        assert is_secret_header(name)  # a gateway's own credential header
    for name in ("x-ratelimit-remaining-tokens", "x-portkey-provider", "keep-alive"):
        assert not is_secret_header(name)
    for name in ("key", "access_token", "ACCESS_TOKEN", "refresh_token", "api_key"):
        assert is_secret_param(name)
    assert not is_secret_param("keyword")
    for value in (JWT, GOOG_KEY, REFRESH, ACCESS_TOKEN, BEARER, f"Bearer {JWT}"):
        assert is_token(value), value
    for value in ("hello", "AIza-short", "sk-live-1", "eyJ", "thought-signature"):
        assert not is_token(value), value
    assert scrub_tokens(f"a {JWT} b {GOOG_KEY}.") == f"a {REDACTED} b {REDACTED}."


def test_redact_json_keeps_schemas_and_prompt_text() -> None:
    schema = {"properties": {"password": {"type": "string"}}, "required": ["password"]}
    assert redact_json(schema) == schema
    body = {"refresh_token": REFRESH, "args": [{"note": JWT, "text": f"my key {GOOG_KEY}"}]}
    assert redact_json(body) == {
        "refresh_token": REDACTED,
        "args": [{"note": REDACTED, "text": f"my key {GOOG_KEY}"}],
    }


def test_redact_body_text_handles_json_forms_and_cut_text() -> None:
    text = json.dumps(_body())
    assert _leaks(redact_body_text(text)) == []
    form = f"grant_type=refresh_token&refresh_token={REFRESH}&client_secret=x"
    assert redact_body_text(form) == (
        f"grant_type=refresh_token&refresh_token={REDACTED}&client_secret={REDACTED}"
    )
    cut = '{"refresh_token": "1//0gLmNoPq'  # a body cut inside the value
    assert REFRESH[:10] not in redact_body_text(cut + '"}')


# ----------------------------------------------------------------------------- mock journal


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with serve(create_app) as url:
        yield url


def test_the_mock_journal_redacts_every_kind(mock_url: str) -> None:
    with httpx.Client(base_url=mock_url, timeout=10) as client:
        client.delete("/_mock/requests")
        generate = "/v1beta/models/gemini-2.5-flash:generateContent"
        client.post(f"{generate}?{QUERY}", headers=_request_headers(), json=_body())
        basic = {"Authorization": f"Basic {BASIC}"}
        client.post(generate, headers=basic, json={"contents": []})
        token = {"grant_type": "refresh_token", "refresh_token": REFRESH}
        client.post("/token", data={**token, "client_secret": CLIENT_SECRET})
        client.post("/oauth2/token", json={**token, "assertion": JWT})
        answer = client.get("/_mock/requests")
    entries = answer.json()["requests"]
    assert len(entries) == 4
    assert _leaks(answer.text) == []
    first = entries[0]
    assert first["query"] == {"alt": "sse", "key": REDACTED, "access_token": REDACTED}
    for name in ("authorization", "x-goog-api-key", "x-api-key", "api-key", "cookie"):
        assert first["headers"][name] == REDACTED
    assert first["headers"]["x-client-assertion"] == REDACTED
    assert first["body"]["refresh_token"] == REDACTED
    assert first["body"]["contents"] == _body()["contents"]
    assert entries[1]["headers"]["authorization"] == REDACTED


# ----------------------------------------------------------------------------- exchanges


def _exchange() -> Exchange:
    body = _body()
    request = Request(
        "POST",
        f"http://u:hunter2@127.0.0.1:9/v1/chat/completions?{QUERY}",
        {**_request_headers(), "Proxy-Authorization": f"Basic {BASIC}"},
        json.dumps(body).encode(),
        body,
    )
    answer = json.dumps({"access_token": ACCESS_TOKEN, "refresh_token": REFRESH, "id": JWT})
    return Exchange(
        probe="p",
        request=request,
        status=200,
        headers=(("Set-Cookie", f"sid={SET_COOKIE}"), ("X-Echo", JWT)),
        chunks=((0.0, answer.encode()),),
    )


def test_an_exchange_redacts_every_kind() -> None:
    x = _exchange()
    redacted = json.dumps(x.request.redacted())
    curl = x.request.curl()
    summary = json.dumps(x.response_summary())
    assert _leaks(redacted) == []
    assert _leaks(curl) == []
    assert _leaks(summary) == []
    assert _leaks(json.dumps(x.response_summary(limit=40))) == []
    assert "hunter2" not in redacted + curl
    assert '"Authorization: Bearer $CONFORMANCE_API_KEY"' in curl


# ----------------------------------------------------------------------------- reports


def _record() -> ResultRecord:
    raw = {
        "method": "POST",
        "url": f"http://127.0.0.1:9/v1/chat/completions?{QUERY}",
        "headers": {**_request_headers(), "Proxy-Authorization": f"Basic {BASIC}"},
        "body": _body(),
    }
    curl = (
        f"curl -H 'Authorization: Basic {BASIC}' -H 'x-goog-api-key: {GOOG_KEY}' "
        f"-b 'sid={COOKIE}' 'http://h/v1?{QUERY}' --data-raw '{json.dumps(_body())}'"
    )
    upstream = {
        "method": "POST",
        "path": "/token",
        "query": {"access_token": ACCESS_TOKEN},
        "body": f"grant_type=refresh_token&refresh_token={REFRESH}",
        "credentials": [{"where": "query:key", "sha256": "3f1c0a9b2e4d"}],
    }
    evidence = Evidence(
        request=raw,
        response={
            "status": 200,
            "headers": [["Set-Cookie", f"sid={SET_COOKIE}"]],
            "body": json.dumps({"access_token": ACCESS_TOKEN, "id": JWT}),
        },
        excerpt=f'data: {{"refresh_token": "{REFRESH}"}}',
        curl=curl,
        clients={"openai-python": f"APIError: bad token {JWT}"},
        upstream=[upstream, {"method": "POST", "path": "/x", "body": _body()}],
    )
    return ResultRecord(
        check_id="stream.secret",
        title="t",
        area="stream",
        severity="high",
        source="https://example.com",
        profile="openai-core",
        target=f"http://127.0.0.1:9/?key={QUERY_KEY}",
        mode="controlled",
        outcome=Outcome.FAILED,
        message=f"the proxy echoed {JWT} and {GOOG_KEY}",
        evidence=evidence,
    )


@pytest.mark.parametrize("render", [render_markdown, render_html, render_junit])
def test_reports_redact_every_kind(render: Callable[[RunInfo, list[ResultRecord]], str]) -> None:
    run = RunInfo(target=f"http://127.0.0.1:9/?access_token={ACCESS_TOKEN}", profile="p",
                  mode="controlled", started_at="2026-01-01T00:00:00Z")  # fmt: skip
    text = render(run, [_record()])
    assert _leaks(text) == []
    assert "3f1c0a9b2e4d" in text or render is render_junit  # fingerprints stay visible
