"""The mock replaying captures on the wire (mockserver/captures.py, docs/mock-captures.md):
SSE, JSON array and unary forms, error captures, Code Assist envelopes, the three ways to
choose a capture, the journal, pacing, and ``--captures`` at start."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.captures import has_streamed_calls, has_thoughts, whole_calls
from mockserver.framing import json_array_writes, pretty, sse_event
from mockserver.settings import Settings
from spec.capture_format import BUNDLED, Capture, load_dir, stream_form, unary_form
from spec.sse import decode
from tests.servers import serve

CORPUS = load_dir(BUNDLED)
MODEL = "gemini-2.5-flash"
STREAM = f"/v1beta/models/{MODEL}:streamGenerateContent"
UNARY = f"/v1beta/models/{MODEL}:generateContent"
HEADERS = {"x-goog-api-key": "test-key"}
SLOW_MS = 150
OVERRIDDEN = "google-reasoning-gemini3"

MY_STREAM = [
    {"candidates": [{"content": {"parts": [{"text": "Hel"}], "role": "model"}, "index": 0}]},
    {
        "candidates": [
            {"content": {"parts": [{"text": "lo"}], "role": "model"}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 1, "totalTokenCount": 3},
        "modelVersion": "m-1",
        "responseId": "rid-1",
    },
]
UNAVAILABLE = {
    "error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}
}


def body(text: str = "hello") -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


def tagged(name: str, cid: str | None = None, *, thoughts: bool = True) -> dict[str, Any]:
    """A request replaying capture ``name``; ``thoughts``: it asks for them
    (``includeThoughts``), as the client that recorded a capture with thoughts did."""
    extra = f" cid={cid}" if cid else ""
    out = body(f"hello [[mock:capture={name}{extra}]]")
    if thoughts:
        out["generationConfig"] = {"thinkingConfig": {"includeThoughts": True}}
    return out


@pytest.fixture(scope="module")
def capture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("captures")
    (root / "my-stream.chunks.txt").write_text("".join(json.dumps(c) + "\n" for c in MY_STREAM))
    (root / "my-slow.chunks.txt").write_text("".join(json.dumps(c) + "\n" for c in MY_STREAM))
    (root / "my-slow.meta.json").write_text(json.dumps({"chunk_ms": [0, SLOW_MS]}))
    (root / "my-503.json").write_text(json.dumps(UNAVAILABLE))
    (root / "my-503.meta.json").write_text(
        json.dumps({"headers": {"Content-Type": "application/json; charset=UTF-8", "X-Seen": "1"}})
    )
    # same name as a bundled capture: this one wins
    (root / f"{OVERRIDDEN}.json").write_text(
        json.dumps({"candidates": [{"content": {"parts": [{"text": "overridden"}]}}]})
    )
    return root


@pytest.fixture(scope="module")
def base_url(capture_dir: Path) -> Iterator[str]:
    settings = Settings(captures=capture_dir, refresh_tokens=frozenset({"1//refresh"}))
    with serve(lambda: create_app(settings)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10, headers=HEADERS) as c:
        c.delete("/_mock/requests").raise_for_status()
        c.delete("/_mock/scenarios").raise_for_status()
        yield c


ALL = sorted(set(CORPUS) - {OVERRIDDEN})


def sent_form(capture: Capture) -> tuple[dict[str, Any], ...]:
    """What a /v1beta request gets: the stream form, each call whole (Google streams
    function-call arguments on Vertex AI alone, to a request that asks)."""
    if has_streamed_calls(capture):
        return whole_calls(stream_form(capture), capture.chunk_ms)[0]
    return stream_form(capture)


@pytest.mark.parametrize("name", ALL)
def test_sse_replays_the_stream_form(client: httpx.Client, name: str) -> None:
    capture = CORPUS[name]
    response = client.post(STREAM, params={"alt": "sse"}, json=tagged(name))
    if capture.is_error:
        assert response.status_code == capture.status
        assert response.json() == capture.error
        return
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.content == b"".join(sse_event(c) for c in sent_form(capture))
    events = [json.loads(e.data) for e in decode([response.content])]
    assert events == list(sent_form(capture))


@pytest.mark.parametrize("name", ALL)
def test_json_array_replays_the_stream_form(client: httpx.Client, name: str) -> None:
    capture = CORPUS[name]
    response = client.post(STREAM, json=tagged(name))
    if capture.is_error:
        assert response.status_code == capture.status
        return
    assert response.status_code == 200
    assert response.content == b"".join(json_array_writes(sent_form(capture)))
    assert response.json() == list(sent_form(capture))


@pytest.mark.parametrize("name", ALL)
def test_unary_replays_the_unary_form(client: httpx.Client, name: str) -> None:
    capture = CORPUS[name]
    response = client.post(UNARY, json=tagged(name))
    assert response.status_code == capture.status
    assert response.content == pretty(unary_form(capture))


def test_streamed_arguments_unary_is_assembled(client: httpx.Client) -> None:
    response = client.post(UNARY, json=tagged("google-stream-tool-call-arguments"))
    parts = response.json()["candidates"][0]["content"]["parts"]
    assert [p["functionCall"]["args"] for p in parts] == [
        {"location": "Boston"},
        {"location": "San Francisco"},
    ]


def test_error_capture_status_headers_body(client: httpx.Client) -> None:
    for path, params in ((UNARY, {}), (STREAM, {"alt": "sse"}), (STREAM, {})):
        response = client.post(path, params=params, json=tagged("my-503"))
        assert response.status_code == 503
        assert response.headers["x-seen"] == "1"
        assert response.json() == UNAVAILABLE
    real = client.post(UNARY, json=tagged("google-429-retry-info"))
    assert real.status_code == 429
    assert real.json()["error"]["details"][1]["retryDelay"] == "34.4s"


def test_dir_captures_are_added_and_override(client: httpx.Client) -> None:
    assert client.post(STREAM, json=tagged("my-stream")).json() == MY_STREAM
    overridden = client.post(UNARY, json=tagged(OVERRIDDEN)).json()
    assert overridden["candidates"][0]["content"]["parts"] == [{"text": "overridden"}]
    # the bundled ones without a twin are still there
    assert client.post(UNARY, json=tagged("google-tool-call")).status_code == 200


def test_unknown_capture_is_a_400_naming_the_known(client: httpx.Client) -> None:
    response = client.post(UNARY, json=tagged("no-such-capture"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert "no-such-capture" in error["message"]
    for known in ("google-text", "my-stream", "google-stream-tool-call-arguments"):
        assert known in error["message"]


def test_header_and_queue_choose_a_capture(client: httpx.Client) -> None:
    by_header = client.post(UNARY, json=body(), headers={"x-mock-scenario": "capture=my-stream"})
    assert by_header.json()["candidates"][0]["content"]["parts"] == [{"text": "Hello"}]
    client.post("/_mock/scenarios", json={"directive": "capture=my-stream"}).raise_for_status()
    queued = client.post(STREAM, json=body())
    assert queued.json() == MY_STREAM
    after = client.post(STREAM, json=body())  # the queue is consumed: generated text again
    assert after.json() != MY_STREAM


def test_journal_names_the_capture_and_summarises(client: httpx.Client) -> None:
    client.post(
        STREAM, params={"alt": "sse"}, json=tagged("google-stream-tool-call-arguments", "cap-1")
    )
    client.post(
        UNARY, json=body(), headers={"x-mock-cid": "cap-2", "x-mock-scenario": "capture=my-503"}
    )
    entries = client.get("/_mock/requests").json()["requests"]
    first, second = entries
    assert first["cid"] == "cap-1"
    assert first["scenario"] == "capture:google-stream-tool-call-arguments"
    assert first["status"] == 200
    assert first["query"] == {"alt": "sse"}
    assert first["headers"]["x-goog-api-key"] == "[redacted]"
    summary = first["response"]
    assert summary["function_calls"] == [
        {"name": "getWeather", "args": {"location": "Boston"}},
        {"name": "getWeather", "args": {"location": "San Francisco"}},
    ]
    assert summary["finish_reason"] == "STOP"
    assert summary["text"] == ""
    assert (second["cid"], second["scenario"], second["status"]) == ("cap-2", "capture:my-503", 503)
    assert second["response"]["error"]["status"] == "UNAVAILABLE"


def test_journal_text_summary(client: httpx.Client) -> None:
    client.post(UNARY, json=tagged("my-stream", "cap-3"))
    (entry,) = client.get("/_mock/requests", params={"cid": "cap-3"}).json()["requests"]
    assert entry["response"]["text"] == "Hello"
    assert entry["response"]["texts"] == ["Hello"]
    assert entry["response"]["finish_reasons"] == ["STOP"]


def test_capture_timing_paces_the_stream(client: httpx.Client) -> None:
    start = time.perf_counter()
    fast = client.post(STREAM, params={"alt": "sse"}, json=tagged("my-stream"))
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    slow = client.post(STREAM, params={"alt": "sse"}, json=tagged("my-slow"))
    slow_s = time.perf_counter() - start
    assert slow.content == fast.content
    assert slow_s >= SLOW_MS / 1000
    assert fast_s < SLOW_MS / 1000


def test_directive_chunk_ms_overrides(client: httpx.Client) -> None:
    start = time.perf_counter()
    response = client.post(
        STREAM, params={"alt": "sse"}, json=body(f"x [[mock:capture=my-stream chunk_ms={SLOW_MS}]]")
    )
    assert time.perf_counter() - start >= SLOW_MS / 1000
    assert [json.loads(e.data) for e in decode([response.content])] == MY_STREAM


def test_lf_framing(client: httpx.Client) -> None:
    response = client.post(
        STREAM, params={"alt": "sse"}, json=body("x [[mock:capture=my-stream framing=lf]]")
    )
    assert response.content == b"".join(sse_event(c, b"\n") for c in MY_STREAM)


def _access(client: httpx.Client) -> str:
    response = client.post(
        "/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "1//refresh"}
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def test_code_assist_wraps_each_answer(client: httpx.Client) -> None:
    auth = {"authorization": f"Bearer {_access(client)}"}
    envelope = {"model": MODEL, "project": "p", "request": tagged("my-stream", "ca-1")}
    sse = client.post(
        "/v1internal:streamGenerateContent", params={"alt": "sse"}, json=envelope, headers=auth
    )
    assert sse.status_code == 200
    events = [json.loads(e.data) for e in decode([sse.content])]
    assert [e["response"] for e in events] == MY_STREAM  # the capture as it is
    assert all(isinstance(e["traceId"], str) and len(e["traceId"]) == 16 for e in events)
    unary = client.post("/v1internal:generateContent", json=envelope, headers=auth).json()
    assert set(unary) == {"response", "traceId"}
    assert unary["response"]["candidates"][0]["content"]["parts"] == [{"text": "Hello"}]
    error = client.post(
        "/v1internal:generateContent",
        json={**envelope, "request": tagged("my-503")},
        headers=auth,
    )
    assert error.status_code == 503
    assert error.json() == UNAVAILABLE  # errors are not wrapped
    entries = client.get("/_mock/requests", params={"cid": "ca-1"}).json()["requests"]
    assert [e["scenario"] for e in entries] == ["capture:my-stream"] * 2
    assert [e["response"]["text"] for e in entries] == ["Hello"] * 2


def test_ordinary_requests_are_unchanged(client: httpx.Client) -> None:
    response = client.post(UNARY, json=body("hello [[mock:scenario=text cid=plain]]"))
    assert response.status_code == 200
    (entry,) = client.get("/_mock/requests", params={"cid": "plain"}).json()["requests"]
    assert entry["scenario"] == "text"


def _start(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_bad_captures_dir_fails_at_start(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    done = _start("--captures", str(missing))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == f"mockserver: --captures {missing}: not a directory"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.chunks.txt").write_text("{not json\n")
    done = _start("--captures", str(broken))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"mockserver: --captures {broken}: bad.chunks.txt:1: not JSON")


def test_cli_replays_a_captures_dir(capture_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--captures", str(capture_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(url + STREAM, json=tagged("my-stream"), headers=HEADERS, timeout=10)
        assert response.json() == MY_STREAM
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("name", sorted(n for n, c in CORPUS.items() if has_thoughts(c)))
def test_thoughts_reach_only_a_request_that_asks_for_them(client: httpx.Client, name: str) -> None:
    """Google sends thought parts only with includeThoughts (docs/gemini-wire.md A2): a
    request without it gets the same generation, thoughts left out, counts kept."""
    capture = CORPUS[name]

    def thoughts_in(answer: dict[str, Any]) -> list[str]:
        return [
            p.get("text", "")
            for c in answer.get("candidates") or ()
            for p in (c.get("content") or {}).get("parts") or ()
            if p.get("thought") is True
        ]

    asked = client.post(UNARY, json=tagged(name)).json()
    plain = client.post(UNARY, json=tagged(name, thoughts=False)).json()
    assert thoughts_in(asked)
    assert thoughts_in(plain) == []
    assert plain["usageMetadata"] == asked["usageMetadata"]
    said = [
        p.get("text")
        for p in asked["candidates"][0]["content"]["parts"]
        if p.get("thought") is not True and p.get("text")
    ]
    assert [
        p.get("text") for p in plain["candidates"][0]["content"]["parts"] if p.get("text")
    ] == said
    events = [
        json.loads(line[len("data: ") :])
        for line in client.post(
            STREAM, params={"alt": "sse"}, json=tagged(name, thoughts=False)
        ).text.split("\r\n\r\n")
        if line.startswith("data: ")
    ]
    assert events
    assert not any(thoughts_in(e) for e in events)
    assert len(events) <= len(capture.chunks or (None,))
