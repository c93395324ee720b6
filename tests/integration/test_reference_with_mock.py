"""The reference proxy against the project's own mock upstream, in process.

What the inline fakes cannot show: that the proxy and the mock agree on the wire. Key
quotas (``mockserver.quota``: a key with 1 request per minute) drive cooldown and
failover; Code Assist ``/v1internal`` with the mock's OAuth stub; image, Imagen, TTS and
embedding models. Servers on free 127.0.0.1 ports; no sleeps.
"""

from __future__ import annotations

import base64
import io
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app as mock_app
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app
from reference_impl.settings import Settings
from tests.servers import serve

AUTH = {"Authorization": "Bearer client"}
CHAT = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    settings = MockSettings(key_quotas=(("one-per-minute", 1, None), ("unlimited", None, None)))
    with serve(lambda: mock_app(settings)) as url:
        yield url


def journal(mock: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = httpx.get(f"{mock}/_mock/requests").json()["requests"]
    return entries


@pytest.fixture(autouse=True)
def _clear(mock: str) -> None:
    httpx.delete(f"{mock}/_mock/requests")


def test_a_key_out_of_quota_cools_and_the_pool_fails_over(mock: str) -> None:
    s = Settings(upstream_url=f"{mock}/v1beta", upstream_keys=("one-per-minute", "unlimited"))
    with serve(lambda: create_app(s)) as url:
        statuses = [
            httpx.post(f"{url}/v1/chat/completions", json=CHAT, headers=AUTH).status_code
            for _ in range(4)
        ]
        assert statuses == [200] * 4
        cache = httpx.get(f"{url}/v1/debug/cache", headers=AUTH).json()["cache"]
    generate = [e["status"] for e in journal(mock) if e["path"].endswith(":generateContent")]
    assert generate == [200, 200, 429, 200, 200]  # one 429, then the cooled key is skipped
    assert 0 < cache["credentials"][0]["cooling"]["gemini-2.5-flash"] <= 60


def test_code_assist_through_the_mock(mock: str) -> None:
    s = Settings(
        upstream_kind="code-assist",
        upstream_url=f"{mock}/v1internal",
        oauth_refresh_tokens=("refresh-1",),
        oauth_token_url=f"{mock}/oauth2/token",
    )
    with serve(lambda: create_app(s)) as url:
        r = httpx.post(f"{url}/v1/chat/completions", json=CHAT, headers=AUTH)
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"]
        r = httpx.post(f"{url}/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH)
        assert r.status_code == 200
        assert r.text.endswith("data: [DONE]\n\n")
    paths = [e["path"] for e in journal(mock)]
    assert paths.count("/oauth2/token") == 1
    assert "/v1internal:generateContent" in paths
    assert "/v1internal:streamGenerateContent" in paths


def test_media_models_through_the_mock(mock: str) -> None:
    s = Settings(upstream_url=f"{mock}/v1beta", upstream_keys=("unlimited",))
    with serve(lambda: create_app(s)) as url, httpx.Client(base_url=url, headers=AUTH) as h:
        for model in ("gemini-2.5-flash-image", "imagen-4.0-generate-001"):
            r = h.post(
                "/v1/images/generations",
                json={"prompt": "a cat", "model": model, "n": 2, "response_format": "b64_json"},
            )
            assert r.status_code == 200, r.text
            images = [base64.b64decode(d["b64_json"]) for d in r.json()["data"]]
            assert len(images) == 2
            assert all(i.startswith(b"\x89PNG") for i in images)
        speech = {"model": "tts-1", "input": "hello there", "voice": "nova"}
        speech["response_format"] = "wav"  # mp3 (the default): test_reference_speech.py
        r = h.post("/v1/audio/speech", json=speech)
        assert r.status_code == 200, r.text
        with wave.open(io.BytesIO(r.content)) as w:
            assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (24000, 2, 1)
            assert w.getnframes() > 0
        embed = {"model": "gemini-embedding-001", "input": ["a", "b"], "dimensions": 8}
        r = h.post("/v1/embeddings", json=embed)
        assert [len(d["embedding"]) for d in r.json()["data"]] == [8, 8]


def test_gemini_reverse_answers_an_unknown_model_as_000_documents(mock: str) -> None:
    """000 'Error Examples' 400: "Client error: Unknown model name: X. Available
    models: ..." in ``detail``, and the same text in OpenAI's envelope; openai-core
    keeps OpenAI's 404 ``model_not_found``."""
    body = {"model": "invalid-model", "messages": [{"role": "user", "content": "hi"}]}
    reverse = Settings(upstream_url=f"{mock}/v1beta", upstream_key="k", profile="gemini-reverse")
    with serve(lambda: create_app(reverse)) as url:
        r = httpx.post(f"{url}/v1/chat/completions", json=body)
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert detail.startswith("Client error: Unknown model name: invalid-model. Available models: ")
    assert "gemini-2.5-flash" in detail.rsplit(": ", 1)[1].split(", ")
    assert r.json()["error"]["message"] == r.json()["detail"]
    assert r.json()["error"]["code"] == "model_not_found"
    core = Settings(upstream_url=f"{mock}/v1beta", upstream_key="k", api_keys=frozenset({"sk"}))
    with serve(lambda: create_app(core)) as url:
        r = httpx.post(
            f"{url}/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk"}
        )
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "model_not_found"
