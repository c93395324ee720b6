"""Profiles, credentials and upstream kinds of the reference proxy, end to end.

Uses the fake of ``test_reference_endpoints`` (Gemini v1beta with failing credentials
``k-429``/``k-daily``/``k-503``, Code Assist ``v1internal`` + OAuth). Covers: the key
pool's failover, cooldowns and rotation and the bounded retry policy (retry.py); each
profile's documented defaults, routes and quirks (contract.py); the gemini-reverse rate
limits; the JWT admin API and its SQLite persistence; the Code Assist upstream.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reference_impl.app import create_app
from reference_impl.settings import Settings
from tests.fake_gemini import Fake
from tests.integration.test_reference_endpoints import CLIENT, KEY, PNG, chat, settings
from tests.servers import serve


@pytest.fixture(scope="module")
def fake() -> Fake:
    return Fake()


@pytest.fixture(scope="module")
def fake_url(fake: Fake) -> Iterator[str]:
    with serve(fake.app) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset(fake: Fake) -> None:
    fake.journal.clear()
    fake.honour_n = True


AUTH = {"Authorization": f"Bearer {CLIENT}"}


def keys_used(fake: Fake) -> list[str]:
    return [e["key"] for e in fake.calls(":generateContent")]


def post_chat(url: str, body: dict[str, Any], prefix: str = "/v1") -> httpx.Response:
    return httpx.post(f"{url}{prefix}/chat/completions", json=body, headers=AUTH, timeout=30)


# --------------------------------------------------------------------------- credentials


def test_429_cools_the_key_and_fails_over(fake: Fake, fake_url: str) -> None:
    s = settings(fake_url, upstream_keys=("k-429", KEY))
    with serve(lambda: create_app(s)) as url:
        assert post_chat(url, chat()).status_code == 200
        assert keys_used(fake) == ["k-429", KEY]
        fake.journal.clear()
        assert post_chat(url, chat()).status_code == 200
        assert keys_used(fake) == [KEY]  # k-429 is cooling for 30 s (its RetryInfo)
        cache = httpx.get(f"{url}/v1/debug/cache", headers=AUTH).json()["cache"]
        cooling = cache["credentials"][0]["cooling"]
        assert 29 < cooling["gemini-2.5-flash"] <= 30


def test_429_with_no_other_key_is_answered_at_once(fake: Fake, fake_url: str) -> None:
    s = settings(fake_url, upstream_keys=("k-429",))
    with serve(lambda: create_app(s)) as url:
        r = post_chat(url, chat())
        assert r.status_code == 429
        assert r.headers["retry-after"] == "30"
        assert keys_used(fake) == ["k-429"]  # never retried before its RetryInfo delay


def test_daily_quota_is_not_retried_and_the_next_request_moves_on(
    fake: Fake, fake_url: str
) -> None:
    s = settings(fake_url, upstream_keys=("k-daily", KEY))
    with serve(lambda: create_app(s)) as url:
        r = post_chat(url, chat())
        assert r.status_code == 429
        assert r.headers["x-should-retry"] == "false"
        assert keys_used(fake) == ["k-daily"]
        fake.journal.clear()
        assert post_chat(url, chat()).status_code == 200
        assert keys_used(fake) == [KEY]


def test_5xx_is_retried_at_most_max_attempts(fake: Fake, fake_url: str) -> None:
    with serve(lambda: create_app(settings(fake_url, upstream_keys=("k-503", KEY)))) as url:
        assert post_chat(url, chat()).status_code == 200
        assert keys_used(fake) == ["k-503", KEY]
    fake.journal.clear()
    with serve(
        lambda: create_app(settings(fake_url, upstream_keys=("k-503",), max_attempts=3))
    ) as url:
        r = post_chat(url, chat(stream=True))
        assert r.status_code == 503
        assert keys_used(fake) == []  # streamed: count the stream calls instead
        assert len(fake.calls(":streamGenerateContent")) == 3


def test_a_400_is_never_retried(fake: Fake, fake_url: str) -> None:
    with serve(lambda: create_app(settings(fake_url, upstream_keys=(KEY, "k-other")))) as url:
        r = post_chat(url, chat(model="gemini-bad"))
        assert r.status_code == 400
        assert len(keys_used(fake)) == 1


def test_a_rejected_key_is_skipped(fake: Fake, fake_url: str) -> None:
    with serve(lambda: create_app(settings(fake_url, upstream_keys=("k-bad", KEY)))) as url:
        assert post_chat(url, chat()).status_code == 200
        assert post_chat(url, chat()).status_code == 200
        assert keys_used(fake) == ["k-bad", KEY, KEY]


@pytest.mark.parametrize(
    ("rotation", "expected"),
    [
        ("round_robin", [KEY, "k-other", KEY, "k-other"]),
        ("request_count", [KEY, KEY, "k-other", "k-other"]),
        ("quota_exhausted", [KEY, KEY, KEY, KEY]),
    ],
)
def test_rotation_strategies(fake: Fake, fake_url: str, rotation: str, expected: list[str]) -> None:
    s = settings(fake_url, upstream_keys=(KEY, "k-other"), rotation=rotation, rotation_requests=2)
    with serve(lambda: create_app(s)) as url:
        for _ in range(4):
            assert post_chat(url, chat()).status_code == 200
    assert keys_used(fake) == expected


# --------------------------------------------------------------------------- profiles


def test_gemini_reverse_needs_no_key_and_limits_rates(fake: Fake, fake_url: str) -> None:
    s = settings(fake_url, profile="gemini-reverse", rate_limits=True, api_keys=frozenset())
    with serve(lambda: create_app(s)) as url:
        body = {"messages": [{"role": "user", "content": "Hi"}]}  # model defaults (000)
        r = httpx.post(f"{url}/v1/chat/completions", json=body)
        assert r.status_code == 200
        assert r.json()["model"] == "gemini-2.5-flash"
        r = httpx.post(f"{url}/v1/chat/completions", json=body)
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 5
        detail = r.json()["detail"]
        assert detail.startswith("Model gemini-2.5-flash rate limited, please wait ")
        assert detail.endswith(" seconds")
        assert r.json()["error"]["message"] == detail  # OpenAI clients read it too
        health = httpx.get(f"{url}/health").json()
        assert health["version"] == "4.2"
        assert health["rate_limiter"]["requests_last_minute"] == 1
        assert health["rate_limiter"]["consecutive_429s"] == 1
        assert health["concurrency"] == {"max": 2, "available": 2}
        assert httpx.get(f"{url}/sdapi/v1/samplers").status_code == 404  # not 000's
        r = httpx.post(f"{url}/v1/chat/completions", content=b"{")
        assert r.status_code == 400
        assert "detail" in r.json()


def test_deno_profile(fake: Fake, fake_url: str) -> None:
    with serve(lambda: create_app(settings(fake_url, profile="gemini-proxy-deno"))) as url:
        r = httpx.post(
            f"{url}/chat/completions",
            json={"messages": [{"role": "user", "content": "Hi"}]},
            headers=AUTH,
        )
        assert r.status_code == 200
        [call] = fake.calls(":generateContent")
        assert call["model"] == "gemini-1.5-pro-latest"
        assert call["body"]["generationConfig"] == {"temperature": 1}  # 001's default
        assert [s["threshold"] for s in call["body"]["safetySettings"]] == ["BLOCK_NONE"] * 5
        assert call["body"]["safetySettings"][-1]["category"] == "HARM_CATEGORY_CIVIC_INTEGRITY"
        emb = httpx.post(f"{url}/embeddings", json={"input": "x"}, headers=AUTH)
        assert emb.json()["model"] == "gemini-embedding-001"
        assert httpx.get(f"{url}/models", headers=AUTH).status_code == 200
        assert (
            httpx.post(f"{url}/v1/embeddings", json={"input": "x"}, headers=AUTH).status_code == 404
        )
        assert (
            httpx.post(f"{url}/v1/generate", json={"prompt": "x"}, headers=AUTH).status_code == 404
        )


def gen_config(fake: Fake) -> dict[str, Any]:
    config: dict[str, Any] = fake.calls(":generateContent")[-1]["body"]["generationConfig"]
    return config


def test_antigravity_defaults_and_thinking(fake: Fake, fake_url: str) -> None:
    with serve(lambda: create_app(settings(fake_url, profile="antigravity2api"))) as url:
        assert post_chat(url, chat()).status_code == 200
        assert gen_config(fake) == {
            "temperature": 1,
            "topP": 1,
            "topK": 50,
            "maxOutputTokens": 32000,
            "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True},
        }
        post_chat(url, chat(reasoning_effort="medium", top_p=0.5, max_tokens=10))
        assert gen_config(fake)["thinkingConfig"] == {
            "thinkingBudget": 16000,
            "includeThoughts": True,
        }
        assert (gen_config(fake)["topP"], gen_config(fake)["maxOutputTokens"]) == (0.5, 10)
        post_chat(url, chat(reasoning_effort="high"))
        assert gen_config(fake)["thinkingConfig"]["thinkingBudget"] == 32000
        r = post_chat(url, chat(thinking_budget=500))
        assert r.status_code == 400
        assert r.json()["error"]["param"] == "thinking_budget"
        post_chat(url, chat(thinking_budget=0))
        assert gen_config(fake)["thinkingConfig"] == {"thinkingBudget": 0, "includeThoughts": False}


def test_antigravity_older_document(fake: Fake, fake_url: str) -> None:
    s = settings(fake_url, profile="antigravity2api", doc_version="older")
    with serve(lambda: create_app(s)) as url:
        post_chat(url, chat())
        config = gen_config(fake)
        assert (config["topP"], config["maxOutputTokens"], config["topK"]) == (0.85, 8096, 50)
        assert config["thinkingConfig"] == {"includeThoughts": True}
        assert httpx.post(f"{url}/admin/login", json={}).status_code == 404  # 003 has none


def test_gemini_cli_proxy_streams_when_asked(fake: Fake, fake_url: str) -> None:
    """The document says `stream` defaults to true; its SDK example (create() without
    `stream`) needs a completion, and the reference answers as the example needs."""
    with serve(lambda: create_app(settings(fake_url, profile="gemini-cli-proxy"))) as url:
        unset = post_chat(url, chat())
        assert unset.headers["content-type"] == "application/json"
        assert unset.json()["object"] == "chat.completion"
        r = post_chat(url, chat(reasoning_effort="none", stream=True))
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.text.endswith("data: [DONE]\n\n")
        body = fake.calls(":streamGenerateContent")[-1]["body"]
        assert body["generationConfig"]["thinkingConfig"] == {
            "thinkingBudget": 0,
            "includeThoughts": False,
        }
        assert post_chat(url, chat(stream=False)).headers["content-type"] == "application/json"
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
        assert (
            httpx.get(f"{url}/").json()["endpoints"]["chat_completions"] == "/v1/chat/completions"
        )
        assert httpx.get(f"{url}/v1/images/voices").status_code == 404


# --------------------------------------------------------------------------- SD WebUI


def test_sd_webui(fake: Fake, fake_url: str) -> None:
    with serve(lambda: create_app(settings(fake_url, profile="antigravity2api"))) as url:
        r = httpx.post(
            f"{url}/sdapi/v1/txt2img",
            json={
                "prompt": "a cat",
                "negative_prompt": "dogs",
                "width": 768,
                "height": 512,
                "batch_size": 2,
            },
        )  # 002: no key on the SD API
        assert r.status_code == 200, r.text
        out = r.json()
        assert len(out["images"]) == 2
        assert out["parameters"]["prompt"] == "a cat"
        assert json.loads(out["info"])["negative_prompt"] == "dogs"
        sent = fake.calls(":generateContent")[-1]["body"]
        assert sent["contents"][0]["parts"][0]["text"] == "a cat\n\nAvoid: dogs"
        assert sent["generationConfig"]["imageConfig"] == {"aspectRatio": "3:2"}
        import base64

        r = httpx.post(
            f"{url}/sdapi/v1/img2img",
            json={"prompt": "enhance", "init_images": [base64.b64encode(PNG).decode()]},
        )
        assert r.status_code == 200
        assert (
            fake.calls(":generateContent")[-1]["body"]["contents"][0]["parts"][1]["inlineData"][
                "mimeType"
            ]
            == "image/png"
        )
        assert httpx.post(f"{url}/sdapi/v1/img2img", json={"prompt": "x"}).status_code == 400
        models = httpx.get(f"{url}/sdapi/v1/sd-models").json()
        assert [m["model_name"] for m in models] == [
            "gemini-2.5-flash-image",
            "imagen-4.0-generate-001",
        ]
        assert (
            httpx.get(f"{url}/sdapi/v1/options").json()["sd_model_checkpoint"]
            == "gemini-2.5-flash-image"
        )
        assert httpx.get(f"{url}/sdapi/v1/samplers").json()[0]["name"] == "Euler a"
        assert httpx.get(f"{url}/sdapi/v1/upscalers").json()[0]["name"] == "None"
        assert httpx.get(f"{url}/sdapi/v1/progress").json()["progress"] == 0.0


# --------------------------------------------------------------------------- admin


def login(url: str, password: str = "admin123") -> httpx.Response:
    return httpx.post(f"{url}/admin/login", json={"username": "admin", "password": password})


def test_admin_api_and_persistence(fake: Fake, fake_url: str, tmp_path: Path) -> None:
    db = str(tmp_path / "admin.sqlite3")
    s = settings(fake_url, profile="antigravity2api", upstream_keys=(), db_path=db)
    with serve(lambda: create_app(s)) as url:
        assert login(url, "wrong").status_code == 401
        token = login(url).json()["token"]
        admin = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/admin/tokens").status_code == 401
        assert (
            httpx.get(f"{url}/admin/tokens", headers={"Authorization": "Bearer x.y.z"}).status_code
            == 401
        )
        assert httpx.get(f"{url}/admin/tokens", headers=admin).json() == {
            "success": True,
            "data": [],
        }
        r = httpx.post(
            f"{url}/admin/tokens",
            json={"access_token": KEY, "refresh_token": "rt-1", "expires_in": 3599},
            headers=admin,
        )
        assert r.json() == {"success": True, "message": "Token added"}
        assert post_chat(url, chat()).status_code == 200
        assert keys_used(fake) == [KEY]
        [listed] = httpx.get(f"{url}/admin/tokens", headers=admin).json()["data"]
        assert listed["refresh_token"] == "rt-1"
        assert listed["requests"] == 1
        assert listed["access_token"] == "******"
        quotas = httpx.get(f"{url}/admin/tokens/rt-1/quotas", headers=admin).json()
        assert quotas["success"] is True
        assert quotas["data"]["models"] == {}
        r = httpx.put(
            f"{url}/admin/rotation",
            json={"strategy": "round_robin", "requestCount": 20},
            headers=admin,
        )
        assert r.json()["data"] == {"strategy": "round_robin", "requestCount": 20}
        assert (
            httpx.put(f"{url}/admin/rotation", json={"strategy": "x"}, headers=admin).status_code
            == 400
        )
        r = httpx.put(
            f"{url}/admin/config",
            json={"json": {"defaults": {"temperature": 0.7}, "other": {"retryTimes": 1}}},
            headers=admin,
        )
        assert r.status_code == 200
        assert r.json()["data"]["json"]["defaults"]["temperature"] == 0.7
        post_chat(url, chat())
        assert gen_config(fake)["temperature"] == 0.7
        assert (
            httpx.put(
                f"{url}/admin/config", json={"json": {"defaults": {"seed": "x"}}}, headers=admin
            ).status_code
            == 400
        )
        assert httpx.put(f"{url}/admin/config", json=[], headers=admin).status_code == 400
    with serve(lambda: create_app(s)) as url:  # a restart keeps tokens, rotation, config
        token = login(url).json()["token"]
        admin = {"Authorization": f"Bearer {token}"}
        assert [
            t["refresh_token"]
            for t in httpx.get(f"{url}/admin/tokens", headers=admin).json()["data"]
        ] == ["rt-1"]
        assert (
            httpx.get(f"{url}/admin/rotation", headers=admin).json()["data"]["strategy"]
            == "round_robin"
        )
        config = httpx.get(f"{url}/admin/config", headers=admin).json()["data"]["json"]
        assert config["defaults"]["temperature"] == 0.7
        assert config["other"]["retryTimes"] == 1
        assert httpx.delete(f"{url}/admin/tokens/rt-1", headers=admin).json()["success"] is True
        assert httpx.delete(f"{url}/admin/tokens/rt-1", headers=admin).status_code == 404
    assert os.path.exists(db)


# --------------------------------------------------------------------------- Code Assist


def code_assist(fake_url: str, token: str = "rt-good", **kw: Any) -> Settings:
    return settings(
        fake_url,
        upstream_kind="code-assist",
        upstream_url=f"{fake_url}/v1internal",
        upstream_keys=(),
        oauth_refresh_tokens=(token,),
        oauth_token_url=f"{fake_url}/oauth2/token",
        **kw,
    )


def test_code_assist_upstream(fake: Fake, fake_url: str) -> None:
    fake.tokens_issued = 0
    with serve(lambda: create_app(code_assist(fake_url))) as url:
        r = post_chat(url, chat())
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"] == "Hello from Gemini"
        assert r.json()["id"] == "chatcmpl-resp-1"
        [token_call] = fake.calls("/oauth2/token")
        assert token_call["body"]["grant_type"] == ["refresh_token"]
        [load] = fake.calls(":loadCodeAssist")
        [gen] = fake.calls(":generateContent")
        assert gen["headers"]["Authorization"] == "Bearer at-1"
        assert "x-goog-api-key" not in gen["headers"]
        assert gen["body"]["model"] == "gemini-2.5-flash"
        assert gen["body"]["project"] == "proj-found"
        assert gen["body"]["request"]["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
        stream = post_chat(url, chat(stream=True))
        assert stream.status_code == 200
        assert '"content":"Hello from Gemini"' in stream.text
        assert stream.text.endswith("data: [DONE]\n\n")
        assert len(fake.calls("/oauth2/token")) == 1  # the access token is cached
        models = httpx.get(f"{url}/v1/models", headers=AUTH).json()["data"]
        assert "gemini-2.5-pro" in [m["id"] for m in models]
        emb = httpx.post(
            f"{url}/v1/embeddings",
            json={"model": "gemini-embedding-001", "input": "x"},
            headers=AUTH,
        )
        assert emb.status_code == 400
        assert emb.json()["error"]["code"] == "unsupported_by_upstream"
        assert load


def test_code_assist_refreshes_an_expired_access_token_once(fake: Fake, fake_url: str) -> None:
    fake.tokens_issued = 0
    with serve(lambda: create_app(code_assist(fake_url, code_assist_project="p"))) as url:
        assert post_chat(url, chat()).status_code == 200
        fake.revoked.add("at-1")  # the upstream no longer takes the cached token
        assert post_chat(url, chat()).status_code == 200
        auths = [c["headers"]["Authorization"] for c in fake.calls(":generateContent")]
        assert auths == ["Bearer at-1", "Bearer at-1", "Bearer at-2"]
        assert fake.tokens_issued == 2


def test_code_assist_refused_refresh_token_is_502(fake: Fake, fake_url: str) -> None:
    with serve(lambda: create_app(code_assist(fake_url, "rt-bad"))) as url:
        r = post_chat(url, chat())
        assert r.status_code == 502
        assert r.json()["error"]["code"] == "upstream_auth_failed"


def test_code_assist_quotas_through_admin(fake: Fake, fake_url: str, tmp_path: Path) -> None:
    s = code_assist(fake_url, db_path=str(tmp_path / "db.sqlite3"), code_assist_project="p-9")
    with serve(lambda: create_app(s)) as url:
        admin = {"Authorization": f"Bearer {login(url).json()['token']}"}
        r = httpx.post(
            f"{url}/admin/tokens",
            json={"refresh_token": "rt-good", "access_token": "at-seeded", "expires_in": 3599},
            headers=admin,
        )
        assert r.json()["message"] == "Token added"  # new to the store (the CLI had it too)
        q = httpx.get(f"{url}/admin/tokens/rt-good/quotas?refresh=true", headers=admin).json()
        assert q["data"]["models"]["gemini-2.5-pro"] == {
            "remaining": 0.85,
            "resetTime": "12-16 20:00",
            "resetTimeRaw": "2024-12-16T12:00:00Z",
        }
        assert fake.calls(":retrieveUserQuota")[-1]["body"] == {"project": "p-9"}
