"""``mockserver record`` against a local fake upstream (never a real host): the
pass-through is transparent, each generate exchange becomes a capture named by its
correlation id, no credential reaches a file, and ``mockserver --captures`` replays
the recorded directory with the upstream's own bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from mockserver.app import create_app
from mockserver.framing import json_array_writes, pretty, sse_event
from mockserver.record import create_record_app
from mockserver.settings import Settings
from spec.capture_format import load_dir
from tests.servers import serve

KEY = "test-record-key-7f3a9c"  # not a real key; must appear in no saved file
TOKEN = "ya29.test-record-token-55e1"
COOKIE = "session-cookie-value-0b2d"
MODEL = "gemini-2.5-flash"
CHUNKS = [
    {
        "candidates": [{"content": {"parts": [{"text": "Hel"}], "role": "model"}, "index": 0}],
        "modelVersion": MODEL,
        "responseId": "rec-1",
    },
    {
        "candidates": [
            {
                "content": {"parts": [{"text": "lo <b>"}], "role": "model"},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
        "modelVersion": MODEL,
        "responseId": "rec-1",
    },
]
UNARY = {
    "candidates": [
        {
            "content": {"parts": [{"text": "Hello <b>"}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
    "modelVersion": MODEL,
    "responseId": "rec-2",
}
QUOTA = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3.5s"}],
    }
}
TRACE = "0123456789abcdef"


def fake_upstream() -> web.Application:
    """A Gemini-shaped upstream speaking Google's byte styles (mockserver.framing)."""

    async def generate(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if request.headers.get("x-goog-api-key") != KEY and request.query.get("key") != KEY:
            return web.json_response({"error": {"code": 401}}, status=401)
        model, _, method = name.partition(":")
        echo = {"x-upstream": "fake", "set-cookie": f"sid={COOKIE}", "x-echo": f"k={KEY}"}
        if model == "limited":
            body = json.loads(json.dumps(QUOTA))
            body["error"]["message"] += f" (key {KEY})"  # an answer that echoes the key
            return web.Response(
                body=pretty(body), status=429, content_type="application/json", headers=echo
            )
        if method == "generateContent":
            return web.Response(body=pretty(UNARY), content_type="application/json", headers=echo)
        sse = request.query.get("alt") == "sse"
        response = web.StreamResponse(headers=echo)
        response.content_type = "text/event-stream" if sse else "application/json"
        await response.prepare(request)
        pieces = [sse_event(c) for c in CHUNKS] if sse else json_array_writes(CHUNKS)
        for piece in pieces:
            await response.write(piece)
        await response.write_eof()
        return response

    async def code_assist(request: web.Request) -> web.StreamResponse:
        assert request.headers.get("authorization") == f"Bearer {TOKEN}"
        response = web.StreamResponse()
        response.content_type = "text/event-stream"
        await response.prepare(request)
        for chunk in CHUNKS:
            await response.write(sse_event({"response": chunk, "traceId": TRACE}))
        await response.write_eof()
        return response

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"models": [{"name": f"models/{MODEL}"}]})

    app = web.Application()
    app.router.add_post("/v1beta/models/{name}", generate)
    app.router.add_post("/v1internal:streamGenerateContent", code_assist)
    app.router.add_get("/v1beta/models", models)
    return app


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve(fake_upstream) as url:
        yield url


def _body(text: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


EXCHANGES: list[tuple[str, str, dict[str, str], dict[str, str], dict[str, Any]]] = [
    # (capture name expected, path, query, headers, body)
    (
        "rec-sse",
        f"/v1beta/models/{MODEL}:streamGenerateContent",
        {"alt": "sse"},
        {"x-goog-api-key": KEY, "x-mock-cid": "rec-sse", "cookie": f"c={COOKIE}"},
        _body("hi"),
    ),
    (
        "rec-array",
        f"/v1beta/models/{MODEL}:streamGenerateContent",
        {"key": KEY},
        {},
        _body("hi [[mock:scenario=text cid=rec-array]]"),
    ),
    (
        "rec-unary",
        f"/v1beta/models/{MODEL}:generateContent",
        {"key": KEY},
        {"x-mock-scenario": "cid=rec-unary"},
        _body("hi"),
    ),
    (
        f"{MODEL}-generateContent-1",
        f"/v1beta/models/{MODEL}:generateContent",
        {},
        {"x-goog-api-key": KEY},
        _body("no id"),
    ),
    (
        "rec-429",
        "/v1beta/models/limited:generateContent",
        {},
        {"x-goog-api-key": KEY, "x-mock-cid": "rec-429"},
        _body("hi"),
    ),
]


@pytest.fixture(scope="module")
def recorded(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Send every exchange through the recorder and directly; keep both answers."""
    out = tmp_path_factory.mktemp("recorded")
    through: dict[str, httpx.Response] = {}
    direct: dict[str, httpx.Response] = {}
    with (
        serve(lambda: create_record_app(upstream, out)) as recorder,
        httpx.Client(timeout=10) as client,
    ):
        for name, path, query, headers, body in EXCHANGES:
            through[name] = client.post(recorder + path, params=query, headers=headers, json=body)
            direct[name] = client.post(upstream + path, params=query, headers=headers, json=body)
        listing = client.get(recorder + "/v1beta/models", headers={"x-goog-api-key": KEY})
        assert listing.json() == {"models": [{"name": f"models/{MODEL}"}]}
        ca = client.post(
            recorder + "/v1internal:streamGenerateContent",
            params={"alt": "sse"},
            headers={"authorization": f"Bearer {TOKEN}", "x-mock-cid": "rec-ca"},
            json={"model": MODEL, "project": "p", "request": _body("hi")},
        )
    return {"out": out, "through": through, "direct": direct, "ca": ca}


def test_pass_through_is_transparent(recorded: dict[str, Any]) -> None:
    for name, *_ in EXCHANGES:
        through, direct = recorded["through"][name], recorded["direct"][name]
        assert through.status_code == direct.status_code, name
        assert through.content == direct.content, name
        assert through.headers["content-type"] == direct.headers["content-type"]
        assert through.headers["x-upstream"] == "fake"


def test_files_are_named_by_cid(recorded: dict[str, Any]) -> None:
    names = sorted(p.name for p in recorded["out"].iterdir())
    assert names == sorted(
        [
            "rec-sse.chunks.txt",
            "rec-sse.meta.json",
            "rec-array.chunks.txt",
            "rec-array.meta.json",
            "rec-unary.json",
            "rec-unary.meta.json",
            f"{MODEL}-generateContent-1.json",
            f"{MODEL}-generateContent-1.meta.json",
            "rec-429.json",
            "rec-429.meta.json",
            "rec-ca.chunks.txt",
            "rec-ca.meta.json",
        ]
    )  # the model listing is forwarded, not saved


def test_no_secret_in_any_file(recorded: dict[str, Any]) -> None:
    for path in recorded["out"].iterdir():
        text = path.read_text("utf-8")
        for secret in (KEY, TOKEN, COOKIE):
            assert secret not in text, f"{secret} in {path.name}"


def test_meta_redacts_the_request(recorded: dict[str, Any]) -> None:
    out: Path = recorded["out"]
    sse = json.loads((out / "rec-sse.meta.json").read_text())
    assert sse["model"] == MODEL
    assert sse["status"] == 200
    assert len(sse["chunk_ms"]) == 2
    assert all(isinstance(t, int | float) and t >= 0 for t in sse["chunk_ms"])
    request = sse["request"]
    assert request["method"] == "POST"
    assert request["path"] == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert request["query"] == {"alt": "sse"}
    assert request["headers"]["x-goog-api-key"] == "[redacted]"
    assert request["headers"]["cookie"] == "[redacted]"
    assert request["body"] == _body("hi")
    headers = {k.lower(): v for k, v in sse["headers"].items()}
    assert headers["x-upstream"] == "fake"
    assert headers["x-echo"] == "k=[redacted]"
    assert "set-cookie" not in headers
    assert "transfer-encoding" not in headers
    assert "content-length" not in headers
    array = json.loads((out / "rec-array.meta.json").read_text())
    assert array["request"]["query"] == {"key": "[redacted]"}
    error = json.loads((out / "rec-429.meta.json").read_text())
    assert error["status"] == 429
    ca = json.loads((out / "rec-ca.meta.json").read_text())
    assert ca["trace_id"] == TRACE
    assert ca["request"]["headers"]["authorization"] == "[redacted]"


def test_recorded_dir_loads_as_captures(recorded: dict[str, Any]) -> None:
    captures = load_dir(recorded["out"])
    assert captures["rec-sse"].chunks == tuple(CHUNKS)
    assert captures["rec-array"].chunks == tuple(CHUNKS)
    assert captures["rec-unary"].unary == UNARY
    assert captures["rec-ca"].chunks == tuple(CHUNKS)  # unwrapped
    assert captures["rec-429"].status == 429
    assert "[redacted]" in captures["rec-429"].error["error"]["message"]  # type: ignore[index]


@pytest.fixture(scope="module")
def replay(recorded: dict[str, Any]) -> Iterator[str]:
    settings = Settings(captures=recorded["out"], refresh_tokens=frozenset({"1//r"}))
    with serve(lambda: create_app(settings)) as url:
        yield url


@pytest.mark.parametrize(
    "name", ["rec-sse", "rec-array", "rec-unary", f"{MODEL}-generateContent-1"]
)
def test_replay_gives_the_upstream_bytes(recorded: dict[str, Any], replay: str, name: str) -> None:
    _, path, query, _, body = next(e for e in EXCHANGES if e[0] == name)
    query = {k: v for k, v in query.items() if k != "key"}
    answer = httpx.post(
        replay + path,
        params=query,
        headers={"x-goog-api-key": "any", "x-mock-scenario": f"capture={name}"},
        json=body,
        timeout=10,
    )
    original = recorded["direct"][name]
    assert answer.status_code == original.status_code
    assert answer.content == original.content
    if "alt" not in query:
        assert answer.json() == original.json()


def test_replay_of_an_error(recorded: dict[str, Any], replay: str) -> None:
    answer = httpx.post(
        replay + f"/v1beta/models/{MODEL}:generateContent",
        headers={"x-goog-api-key": "any", "x-mock-scenario": "capture=rec-429"},
        json=_body("hi"),
        timeout=10,
    )
    original = recorded["direct"]["rec-429"].json()
    assert answer.status_code == 429
    got = answer.json()
    assert got["error"]["details"] == original["error"]["details"]
    assert got["error"]["message"] == original["error"]["message"].replace(KEY, "[redacted]")


def test_replay_of_code_assist(recorded: dict[str, Any], replay: str) -> None:
    with httpx.Client(base_url=replay, timeout=10) as client:
        token = client.post(
            "/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "1//r"}
        ).json()["access_token"]
        answer = client.post(
            "/v1internal:streamGenerateContent",
            params={"alt": "sse"},
            headers={"authorization": f"Bearer {token}", "x-mock-scenario": "capture=rec-ca"},
            json={"model": MODEL, "project": "p", "request": _body("hi")},
        )
    assert answer.content == recorded["ca"].content


def test_unreachable_upstream_is_a_502(tmp_path: Path) -> None:
    with serve(lambda: web.Application()) as dead:
        pass  # the port is free again: nothing listens there now
    with serve(lambda: create_record_app(dead, tmp_path)) as recorder:
        response = httpx.post(
            recorder + f"/v1beta/models/{MODEL}:generateContent", json=_body("x"), timeout=10
        )
    assert response.status_code == 502
    assert list(tmp_path.iterdir()) == []


def test_cli_record(upstream: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "record", "--upstream", upstream, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(
            url + f"/v1beta/models/{MODEL}:generateContent",
            headers={"x-goog-api-key": KEY, "x-mock-cid": "cli-1"},
            json=_body("hi"),
            timeout=10,
        )
        assert response.json() == UNARY
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
        if proc.stdout is not None:
            proc.stdout.close()
    assert sorted(p.name for p in out.iterdir()) == ["cli-1.json", "cli-1.meta.json"]


def test_cli_record_bad_upstream(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "record",
            "--upstream",
            "ftp://x",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("mockserver record: --upstream must be an http(s) URL")
