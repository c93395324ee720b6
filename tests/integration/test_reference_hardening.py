"""The reference proxy under hostile input and faults (issue 15): each test fails on the
defect it names and passes once it is fixed.

The reference runs in process in front of the project's mock (or a minimal fake where the
mock cannot play the part: an upstream that never answers and reports when the proxy
hangs up). Every server binds 127.0.0.1; no test sends traffic anywhere else (the
refused media addresses are refused before any connection is attempted). Nothing sleeps
to synchronise: tests wait on events with a timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app
from reference_impl.cli import settings_from_args
from reference_impl.settings import Settings
from tests.mock_upstream import clear, journal, mock_upstream
from tests.servers import serve

KEY = "k-good"
CLIENT = "client-key"
AUTH = {"Authorization": f"Bearer {CLIENT}"}


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    with mock_upstream(MockSettings(api_keys=frozenset({KEY}))) as url:
        yield url


@pytest.fixture(autouse=True)
def _clear(mock: str) -> None:
    clear(mock)


def settings(mock: str, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "upstream_url": f"{mock}/v1beta",
        "upstream_keys": (KEY,),
        "api_keys": frozenset({CLIENT}),
        "retry_backoff_s": 0.0,
    }
    base.update(kw)
    return Settings(**base)


@pytest.fixture(scope="module")
def core(mock: str) -> Iterator[str]:
    with serve(lambda: create_app(settings(mock))) as url:
        yield url


def chat(content: Any = "Hi", **kw: Any) -> dict[str, Any]:
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": content}], **kw}


def image(url: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]


# --------------------------------------------------------------------------- 1. SSRF

REFUSED_HOSTS = [
    "127.0.0.1",
    "127.8.9.10",
    "[::1]",
    "localhost",  # the DNS path: resolved, every address checked
    "LOCALHOST.",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_media_urls_on_private_addresses_are_refused_by_default(
    core: str, mock: str, host: str
) -> None:
    """By default no image URL on a loopback, private, link-local or metadata address is
    fetched: a 400 in OpenAI's envelope with one generic message naming no port or path,
    and nothing reaches the upstream."""
    port = mock.rsplit(":", 1)[1]
    url = f"http://{host}:{port}/_mock/image.png"
    r = httpx.post(f"{core}/v1/chat/completions", json=chat(image(url)), headers=AUTH)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "image_url_refused"
    assert port not in error["message"]
    assert "_mock" not in error["message"]
    assert journal(mock) == []  # neither fetched nor sent upstream


def test_the_refusal_is_one_message_whatever_answers(core: str, mock: str) -> None:
    """A listening port, a closed one and a missing route answer alike (no port scan)."""
    port = mock.rsplit(":", 1)[1]
    urls = [f"http://127.0.0.1:{port}/_mock/image.png", "http://127.0.0.1:9/x.png"]
    urls.append(f"http://127.0.0.1:{port}/nothing-here")
    messages = {
        httpx.post(f"{core}/v1/chat/completions", json=chat(image(u)), headers=AUTH).json()[
            "error"
        ]["message"]
        for u in urls
    }
    assert len(messages) == 1


def test_private_media_urls_are_fetched_with_the_opt_in(mock: str) -> None:
    s = settings(mock, allow_private_media_urls=True)
    with serve(lambda: create_app(s)) as url:
        r = httpx.post(
            f"{url}/v1/chat/completions",
            json=chat(image(f"{mock}/_mock/image.png")),
            headers=AUTH,
        )
        missing = httpx.post(
            f"{url}/v1/chat/completions",
            json=chat(image(f"{mock}/_mock/missing.png")),
            headers=AUTH,
        )
    assert r.status_code == 200, r.text
    assert next(e["path"] for e in journal(mock)) == "/_mock/image.png"
    assert missing.status_code == 400
    assert "missing" not in missing.json()["error"]["message"]


def test_the_opt_in_is_a_flag_and_an_environment_variable() -> None:
    assert settings_from_args([]).allow_private_media_urls is False
    assert settings_from_args(["--allow-private-media-urls"]).allow_private_media_urls is True
    env = {"PROXY_ALLOW_PRIVATE_MEDIA_URLS": "1"}
    assert settings_from_args([], env).allow_private_media_urls is True


# --------------------------------------------------------------------------- 6. nesting


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("where", ["content", "metadata"])
@pytest.mark.parametrize("depth", [101, 1000, 1020])
def test_deep_json_nesting_is_a_400_not_a_500(core: str, where: str, depth: int) -> None:
    """977-1023 levels raised a RecursionError in schema validation (a 500): nesting is
    limited before validation, a 400 in OpenAI's envelope."""
    inner = f'{{"role":"user","content":{nested(depth) if where == "content" else "1"}}}'
    extra = f',"metadata":{{"a":{nested(depth)}}}' if where == "metadata" else ""
    body = f'{{"model":"gemini-2.5-flash","messages":[{inner}]{extra}}}'
    r = httpx.post(
        f"{core}/v1/chat/completions",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "nesting_too_deep"
    assert "100" in r.json()["error"]["message"]


def test_nesting_up_to_the_limit_is_judged_as_usual(core: str) -> None:
    body = '{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],'
    body += f'"metadata":{{"a":{nested(98)}}}}}'  # 100 levels with the body and metadata
    r = httpx.post(
        f"{core}/v1/chat/completions",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.json().get("error", {}).get("code") != "nesting_too_deep", r.text
