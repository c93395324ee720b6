"""The reference proxy checks requests against its profile's OpenAPI document, over HTTP.

Per profile: a request the document rejects is a 400 in the profile's envelope naming
the field (OpenAI ``{"error": {...}}``; gemini-reverse adds ``detail``; the admin API
keeps its ``{"success": false, "message"}`` beside the ``error`` object; the Gemini
passthrough answers Gemini's own error shape); client auth comes first; what OpenAI
clients send still works; garbage is never a 500. The upstream is the inline fake of
``test_reference_endpoints``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from reference_impl.app import create_app
from tests.fake_gemini import Fake
from tests.integration.test_reference_endpoints import CLIENT, PNG, settings
from tests.servers import serve

AUTH = {"Authorization": f"Bearer {CLIENT}"}
CHAT_PATH = {
    "openai-core": "/v1/chat/completions",
    "gemini-reverse": "/v1/chat/completions",
    "gemini-proxy-deno": "/chat/completions",
    "antigravity2api": "/v1/chat/completions",
    "gemini-cli-proxy": "/v1/chat/completions",
}
HELLO = [{"role": "user", "content": "Hello"}]


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    with serve(Fake().app) as url:
        yield url


@pytest.fixture(scope="module")
def proxies(fake_url: str) -> Iterator[dict[str, str]]:
    """One running reference proxy per profile."""
    with (
        serve(lambda: create_app(settings(fake_url, profile="openai-core"))) as core,
        serve(lambda: create_app(settings(fake_url, profile="gemini-reverse"))) as reverse,
        serve(lambda: create_app(settings(fake_url, profile="gemini-proxy-deno"))) as deno,
        serve(lambda: create_app(settings(fake_url, profile="antigravity2api"))) as anti,
        serve(lambda: create_app(settings(fake_url, profile="gemini-cli-proxy"))) as cli,
    ):
        yield {
            "openai-core": core,
            "gemini-reverse": reverse,
            "gemini-proxy-deno": deno,
            "antigravity2api": anti,
            "gemini-cli-proxy": cli,
        }


def post(base: str, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    headers = AUTH if headers is None else headers
    if isinstance(body, bytes):
        return httpx.post(f"{base}{path}", content=body, headers=headers, timeout=30)
    return httpx.post(f"{base}{path}", json=body, headers=headers, timeout=30)


def refused(r: httpx.Response, profile: str, param: str | None) -> dict[str, Any]:
    """The error object of a 400 in ``profile``'s envelope naming ``param``."""
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param, error
    if param is not None:
        assert error["message"].startswith(param), error
    if profile == "gemini-reverse":
        assert body["detail"] == error["message"]
    else:
        assert "detail" not in body
    result: dict[str, Any] = error
    return result


# (profile, body, param) - a wrong type, a missing required field, a bad enum per profile,
# and a range only the document states (the hand-written checks let these through)
VIOLATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("openai-core", {"model": "m", "messages": HELLO, "presence_penalty": 5}, "presence_penalty"),
    ("gemini-reverse", {"messages": HELLO, "temperature": 3}, "temperature"),
    ("gemini-proxy-deno", {"messages": HELLO, "top_p": 1.5}, "top_p"),
    ("antigravity2api", {"model": "m", "messages": HELLO, "frequency_penalty": 9},
     "frequency_penalty"),
    ("gemini-cli-proxy", {"model": "m", "messages": HELLO, "temperature": 3}, "temperature"),
    ("openai-core", {"model": "m", "messages": HELLO, "temperature": "hot"}, "temperature"),
    ("openai-core", {"messages": HELLO}, "model"),
    ("openai-core", {"model": "m", "messages": [{"role": "robot", "content": "x"}]},
     "messages[0].role"),
    ("gemini-reverse", {"messages": HELLO, "stream": "yes"}, "stream"),
    ("gemini-reverse", {"model": "gemini-2.5-flash"}, "messages"),
    ("gemini-reverse", {"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    ("gemini-proxy-deno", {"messages": HELLO, "top_k": "many"}, "top_k"),
    ("gemini-proxy-deno", {"model": "gemini-2.5-flash"}, "messages"),
    ("gemini-proxy-deno", {"messages": HELLO, "reasoning_effort": "extreme"}, "reasoning_effort"),
    ("antigravity2api", {"model": "m", "messages": HELLO, "top_k": "many"}, "top_k"),
    ("antigravity2api", {"messages": HELLO}, "model"),
    ("antigravity2api", {"model": "m", "messages": HELLO, "thinking_budget": 5},
     "thinking_budget"),
    ("gemini-cli-proxy", {"model": "m", "messages": HELLO, "seed": "x"}, "seed"),
    ("gemini-cli-proxy", {"messages": HELLO}, "model"),
    ("gemini-cli-proxy", {"model": "m", "messages": HELLO, "reasoning_effort": "max"},
     "reasoning_effort"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "body", "param"), VIOLATIONS, ids=[f"{v[0]}-{v[2]}" for v in VIOLATIONS]
)
def test_a_chat_request_the_document_rejects_is_a_400_naming_the_field(
    proxies: dict[str, str], profile: str, body: dict[str, Any], param: str
) -> None:
    """Unary and streamed alike: a streamed request is refused before any stream opens."""
    variants = [body] if "stream" in body else [{**body, "stream": s} for s in (False, True)]
    for variant in variants:
        refused(post(proxies[profile], CHAT_PATH[profile], variant), profile, param)


def test_openai_python_sees_a_bad_request_naming_the_field(proxies: dict[str, str]) -> None:
    client = openai.OpenAI(base_url=f"{proxies['openai-core']}/v1", api_key=CLIENT, max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(  # type: ignore[call-overload]
            model="gemini-2.5-flash",
            messages=[{"role": "user", "content": "Hi"}],
            temperature="hot",  # not a number, on purpose: the ignore above
        )
    assert info.value.param == "temperature"
    assert "temperature must be a number" in info.value.message


def test_client_auth_comes_first(proxies: dict[str, str]) -> None:
    base = proxies["openai-core"]
    r = post(base, "/v1/chat/completions", {"messages": "nope"}, headers={})
    assert r.status_code == 401
    r = post(base, "/v1/chat/completions", {"messages": "nope"}, {"Authorization": "Bearer x"})
    assert r.status_code == 401


OPENAI_EXTRAS: dict[str, Any] = {
    "store": False,
    "metadata": {"purpose": "conformance"},
    "user": "u-1",
    "seed": 7,
    "parallel_tool_calls": True,
    "logprobs": False,
    "service_tier": "auto",
    "max_completion_tokens": 64,
    "frequency_penalty": 0.1,
    "presence_penalty": 0.1,
    "x-unknown-vendor-field": [1, {"a": None}],
}


@pytest.mark.parametrize("profile", sorted(CHAT_PATH))
@pytest.mark.parametrize("stream", [False, True])
def test_what_openai_clients_send_still_works(
    proxies: dict[str, str], profile: str, stream: bool
) -> None:
    """Extra OpenAI fields, ``stream_options``, content-part arrays and ``developer``
    turns pass every profile, although no seed document lists them all."""
    body: dict[str, Any] = {
        "model": "gemini-2.5-flash",
        "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "text", "text": "Hello"}]},
        ],
        "stream": stream,
        **OPENAI_EXTRAS,
    }
    if stream:
        body["stream_options"] = {"include_usage": True}
    r = post(proxies[profile], CHAT_PATH[profile], body)
    assert r.status_code == 200, r.text
    if stream:
        assert r.text.rstrip().endswith("data: [DONE]")


GARBAGE: list[Any] = [
    [],
    "x",
    None,
    12,
    {"messages": {}},
    {"messages": [None]},
    {"messages": [{"role": []}]},
    {"model": {"a": 1}, "messages": [{"role": "user", "content": [{"type": 5}]}]},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": {"a": 1}},
    {"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": [1, [2]]},
    {"model": "m", "messages": [[[[[[[[[[]]]]]]]]]]},
    {"model": "m" * 10000, "messages": [{"role": "user", "content": "x" * 100_000}]},
    b'{"model": "m", "messages": [{"role": "user", "content": "\\ud800"}]}',
    b'{"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 1e999}',
    b"{nope",
    b"",
    {"prompt": None, "input": {}, "n": 1e300, "count": -1, "response_type": []},
]
POSTS: dict[str, list[str]] = {
    "openai-core": [
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/images/generations",
        "/v1/audio/speech",
    ],
    "gemini-reverse": [
        "/v1/chat/completions",
        "/v1/generate",
        "/v1/generate-images",
        "/v1/images/generations",
        "/v1/images/edit",
        "/v1/audio/speech",
        "/v1/batch/images",
        "/gemini/v1beta/models/gemini-2.5-flash:generateContent",
    ],
    "gemini-proxy-deno": ["/chat/completions", "/embeddings"],
    "antigravity2api": ["/v1/chat/completions", "/sdapi/v1/txt2img", "/sdapi/v1/img2img"],
    "gemini-cli-proxy": ["/v1/chat/completions"],
}


@pytest.mark.parametrize("profile", sorted(POSTS))
def test_garbage_is_never_a_500(proxies: dict[str, str], profile: str) -> None:
    for path in POSTS[profile]:
        for body in GARBAGE:
            r = post(proxies[profile], path, body)
            assert r.status_code == 400, (path, body, r.text)
            assert r.json()["error"]["message"]


def test_gemini_reverse_routes_follow_their_document(proxies: dict[str, str]) -> None:
    base = proxies["gemini-reverse"]
    error = refused(
        post(base, "/v1/generate-images", {"prompt": "x", "count": 9}), "gemini-reverse", "count"
    )
    assert error["message"] == "count must be <= 4; got 9"
    refused(
        post(base, "/v1/batch/images", {"prompts": ["a"], "concurrency": 3}),
        "gemini-reverse",
        "concurrency",
    )
    refused(post(base, "/v1/images/edit", {"prompt": "beach"}), "gemini-reverse", "image")
    form = {"framework": "angular"}
    r = httpx.post(
        f"{base}/v1/design/to-code", data=form, files={"file": ("ui.png", PNG, "image/png")}
    )
    refused(r, "gemini-reverse", "framework")
    r = httpx.post(
        f"{base}/v1/documents/extract",
        data={"extract_type": "x"},
        files={"file": ("d.pdf", b"%PDF")},
    )
    refused(r, "gemini-reverse", "extract_type")
    native = "/gemini/v1beta/models/gemini-2.5-flash:generateContent"
    r = post(base, native, {"contents": [{"role": "user", "parts": [{"inlineData": {}}]}]})
    assert r.status_code == 400
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert r.json()["error"]["message"] == "contents[0].parts[0].text is required"
    ok = post(base, native, {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]})
    assert ok.status_code == 200, ok.text


def test_antigravity_admin_and_sd_routes_follow_their_document(proxies: dict[str, str]) -> None:
    base = proxies["antigravity2api"]
    r = post(base, "/admin/login", {"username": "admin"})
    assert r.status_code == 400
    assert r.json()["success"] is False
    assert r.json()["error"]["param"] == "password"
    token = post(base, "/admin/login", {"username": "admin", "password": "admin123"}).json()[
        "token"
    ]
    admin = {"Authorization": f"Bearer {token}"}
    r = httpx.put(f"{base}/admin/rotation", json={"strategy": "random"}, headers=admin)
    assert r.status_code == 400
    assert r.json()["message"] == r.json()["error"]["message"]
    assert r.json()["error"]["param"] == "strategy"
    r = httpx.put(f"{base}/admin/rotation", json={"strategy": "random"})
    assert r.status_code == 401  # the JWT first
    r = httpx.get(f"{base}/admin/tokens/k-good/quotas", params={"refresh": "maybe"}, headers=admin)
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "refresh"
    refused(
        post(base, "/sdapi/v1/txt2img", {"prompt": "x", "steps": 0}), "antigravity2api", "steps"
    )
    body = {"prompt": "x"}
    refused(post(base, "/sdapi/v1/img2img", body), "antigravity2api", "init_images")


def test_other_openai_routes_follow_openai_core(proxies: dict[str, str]) -> None:
    base = proxies["openai-core"]
    refused(post(base, "/v1/embeddings", {"input": "x"}), "openai-core", "model")
    body: dict[str, Any] = {"model": "gemini-embedding-001", "input": "x", "encoding_format": "hex"}
    refused(post(base, "/v1/embeddings", body), "openai-core", "encoding_format")
    refused(post(base, "/v1/images/generations", {"prompt": "x", "n": 11}), "openai-core", "n")
    body = {"model": "tts-1", "input": "x", "voice": "nova", "speed": 9}
    refused(post(base, "/v1/audio/speech", body), "openai-core", "speed")
