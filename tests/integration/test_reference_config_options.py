"""002 'Configuration Options' end to end: ``other.useContextSystemPrompt``, the global
``SYSTEM_INSTRUCTION`` and ``other.passSignatureToClient`` through ``PUT /admin/config``
(antigravity2api, persisted in SQLite) and through settings (any profile), against an
inline Gemini fake that answers a signed thought part and journals what it was sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from reference_impl.app import create_app
from reference_impl.settings import Settings
from tests.servers import serve

KEY = "k-good"
CLIENT = "client-key"
AUTH = {"Authorization": f"Bearer {CLIENT}"}
SIG = "RXFRRENrZ0lDaEFD"
ANSWER = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Let me think...", "thought": True, "thoughtSignature": SIG},
                    {"text": "42"},
                ],
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
    "responseId": "resp-1",
}


# Kept fake: the mock never signs a thought part (mockserver.plans signs only the last
# answer part or the first functionCall), and every test here needs one.
class Upstream:
    """Gemini ``generateContent``/``streamGenerateContent``: always :data:`ANSWER`."""

    __test__ = False

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1beta/models/{call}", self.call)
        return app

    async def call(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(json.loads(await request.read()))
        if "streamGenerateContent" not in request.match_info["call"]:
            return web.json_response(ANSWER)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: " + json.dumps(ANSWER).encode() + b"\r\n\r\n")
        await resp.write_eof()
        return resp


@pytest.fixture(scope="module")
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture(scope="module")
def upstream_url(upstream: Upstream) -> Iterator[str]:
    with serve(upstream.app) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset(upstream: Upstream) -> None:
    upstream.bodies.clear()


def settings(upstream_url: str, **kw: Any) -> Settings:
    return Settings(
        upstream_url=f"{upstream_url}/v1beta",
        upstream_keys=(KEY,),
        api_keys=frozenset({CLIENT}),
        admin_password=kw.pop("admin_password", "admin123"),
        **kw,
    )


MESSAGES = [
    {"role": "system", "content": "Answer in one word."},
    {"role": "user", "content": "Hi"},
]


def chat(url: str, stream: bool = False) -> httpx.Response:
    body = {"model": "gemini-2.5-flash", "messages": MESSAGES, "stream": stream}
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=AUTH, timeout=30)


def deltas(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    lines = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [c["choices"][0]["delta"] for c in map(json.loads, lines[:-1]) if c["choices"]]


def sent(upstream: Upstream) -> dict[str, Any]:
    return upstream.bodies[-1]


def admin_headers(url: str) -> dict[str, str]:
    r = httpx.post(f"{url}/admin/login", json={"username": "admin", "password": "admin123"})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_the_default_keeps_todays_behaviour(upstream: Upstream, upstream_url: str) -> None:
    with serve(lambda: create_app(settings(upstream_url))) as url:
        r = chat(url)
        assert r.status_code == 200, r.text
        message = r.json()["choices"][0]["message"]
        assert message["reasoning_content"] == "Let me think..."
        assert "thoughtSignature" not in message
        body = sent(upstream)
        assert body["systemInstruction"] == {"parts": [{"text": "Answer in one word."}]}
        assert body["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
        assert "thoughtSignature" not in json.dumps(deltas(chat(url, stream=True)))


def test_settings_apply_to_any_profile(upstream: Upstream, upstream_url: str) -> None:
    s = settings(
        upstream_url,
        system_instruction="Be a proxy.",
        use_context_system_prompt=False,
        pass_signature_to_client=True,
    )
    with serve(lambda: create_app(s)) as url:
        message = chat(url).json()["choices"][0]["message"]
        assert message["thoughtSignature"] == SIG
        body = sent(upstream)
        assert body["systemInstruction"] == {"parts": [{"text": "Be a proxy."}]}
        assert body["contents"] == [
            {"role": "user", "parts": [{"text": "Answer in one word."}, {"text": "Hi"}]}
        ]
        assert {"reasoning_content": "Let me think...", "thoughtSignature": SIG} in deltas(
            chat(url, stream=True)
        )


def test_the_admin_config_sets_and_persists_the_options(
    upstream: Upstream, upstream_url: str, tmp_path: Path
) -> None:
    s = settings(upstream_url, profile="antigravity2api", db_path=str(tmp_path / "admin.db"))
    with serve(lambda: create_app(s)) as url:
        admin = admin_headers(url)
        data = httpx.get(f"{url}/admin/config", headers=admin).json()["data"]
        assert data["json"]["other"]["passSignatureToClient"] is False
        assert data["json"]["other"]["useContextSystemPrompt"] is True  # the proxy's default
        assert data["env"] == {"SYSTEM_INSTRUCTION": ""}
        assert "thoughtSignature" not in json.dumps(deltas(chat(url, stream=True)))
        assert sent(upstream)["systemInstruction"] == {"parts": [{"text": "Answer in one word."}]}

        update = {
            "env": {"SYSTEM_INSTRUCTION": "Be a proxy."},
            "json": {"other": {"useContextSystemPrompt": False, "passSignatureToClient": True}},
        }
        r = httpx.put(f"{url}/admin/config", json=update, headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["env"] == {"SYSTEM_INSTRUCTION": "Be a proxy."}
        assert {"reasoning_content": "Let me think...", "thoughtSignature": SIG} in deltas(
            chat(url, stream=True)
        )
        body = sent(upstream)
        assert body["systemInstruction"] == {"parts": [{"text": "Be a proxy."}]}
        assert body["contents"][0] == {
            "role": "user",
            "parts": [{"text": "Answer in one word."}, {"text": "Hi"}],
        }
        assert chat(url).json()["choices"][0]["message"]["thoughtSignature"] == SIG

        update = {"json": {"other": {"useContextSystemPrompt": True}}}
        assert httpx.put(f"{url}/admin/config", json=update, headers=admin).status_code == 200
        chat(url)
        assert sent(upstream)["systemInstruction"] == {
            "parts": [{"text": "Be a proxy.\n\nAnswer in one word."}]
        }
        assert sent(upstream)["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]

        bad: dict[str, Any]
        for bad in (
            {"json": {"other": {"passSignatureToClient": "yes"}}},
            {"json": {}, "env": {"PORT": "1"}},
            {"json": {}, "env": {"SYSTEM_INSTRUCTION": 3}},
            {"json": {}, "env": []},
        ):
            r = httpx.put(f"{url}/admin/config", json=bad, headers=admin)
            assert r.status_code == 400, bad
            assert r.json()["success"] is False
    with serve(lambda: create_app(s)) as url:  # a restart keeps them
        data = httpx.get(f"{url}/admin/config", headers=admin_headers(url)).json()["data"]
        assert data["json"]["other"]["passSignatureToClient"] is True
        assert data["json"]["other"]["useContextSystemPrompt"] is True
        assert data["env"] == {"SYSTEM_INSTRUCTION": "Be a proxy."}
        assert chat(url).json()["choices"][0]["message"]["thoughtSignature"] == SIG
        assert sent(upstream)["systemInstruction"] == {
            "parts": [{"text": "Be a proxy.\n\nAnswer in one word."}]
        }
