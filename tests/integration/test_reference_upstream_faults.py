"""The reference proxy against each transport fault of the mock (issue 15 item 10).

For every fault (:mod:`mockserver.faults`: reset before or during the answer, broken
chunk framing, invalid JSON in an event, an upstream that never answers or trickles
keep-alives forever), unary and streamed, on the Gemini API and on Code Assist, the
client gets a clean answer in bounded time: an OpenAI error envelope, or a stream that
ends with an error event; never a hang, never a traceback. The proxy runs with short
timeouts (read 1 s, deadline 2 s), so "bounded" is the client's 15 s timeout: a proxy
that hangs fails with ``ReadTimeout``. Servers on free 127.0.0.1 ports; no sleeps.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app as mock_app
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app
from reference_impl.settings import Settings
from spec.sse import decode
from tests.servers import serve

AUTH = {"Authorization": "Bearer client"}
REFRESH = "refresh-faults"
CLIENT_TIMEOUT_S = 15.0
"""Far above the proxy's deadline (2 s): reaching it means the proxy hung."""

FAULTS = (
    "reset_before",
    "reset_during",
    "malformed_chunk",
    "malformed_event",
    "never_answer",
    "trickle chunk_ms=50",
)
UNARY_STATUS = {
    "reset_before": 502,
    "reset_during": 502,
    "malformed_chunk": 502,
    "malformed_event": 502,
    "never_answer": 504,
    "trickle chunk_ms=50": 504,
}
"""The status the reference answers a unary request with (502 upstream error, 504 at
its deadline)."""
STREAM_STARTED = {"reset_during", "malformed_chunk", "malformed_event"}
"""Faults after content was relayed: the stream is committed (200) and ends with an
error event; the others fail before the first byte (an HTTP error)."""


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    with serve(lambda: mock_app(MockSettings(refresh_tokens=frozenset({REFRESH})))) as url:
        yield url


@pytest.fixture(scope="module", params=["gemini", "code-assist"])
def proxy(request: pytest.FixtureRequest, mock: str) -> Iterator[str]:
    timeouts: dict[str, Any] = {"read_timeout_s": 1.0, "deadline_s": 2.0}
    if request.param == "gemini":
        s = Settings(upstream_url=f"{mock}/v1beta", upstream_keys=("k",), **timeouts)
    else:
        s = Settings(
            upstream_kind="code-assist",
            upstream_url=f"{mock}/v1internal",
            oauth_refresh_tokens=(REFRESH,),
            oauth_token_url=f"{mock}/oauth2/token",
            **timeouts,
        )
    with serve(lambda: create_app(s)) as url:
        yield url


@pytest.fixture(autouse=True)
def _quiet(mock: str, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    httpx.delete(f"{mock}/_mock/requests")
    caplog.set_level(logging.WARNING)
    yield
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= 40]
    assert not tracebacks, tracebacks  # warnings name the fault; nothing logs a traceback


def chat(fault: str, stream: bool) -> dict[str, Any]:
    text = f"Tell me about the river [[mock:scenario={fault}]]"
    return {
        "model": "gemini-2.5-flash",
        "stream": stream,
        "messages": [{"role": "user", "content": text}],
    }


def assert_envelope(error: Any) -> None:
    """OpenAI's error object: a message, a type, a code, a param; no internals."""
    assert isinstance(error, dict), error
    assert {"message", "type", "code", "param"} <= set(error), error
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["type"] == "upstream_error", error  # the upstream failed, not the proxy
    assert "Traceback" not in error["message"]
    assert "Error(" not in error["message"]  # no exception repr (issue 15 item 9)


def fault_seen(mock: str, fault: str) -> None:
    name = fault.split()[0]
    entries = httpx.get(f"{mock}/_mock/requests").json()["requests"]
    generate = [e for e in entries if "generatecontent" in e["path"].lower()]
    assert generate, entries
    assert {e["scenario"] for e in generate} == {name}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_unary_request_gets_an_error_envelope(proxy: str, mock: str, fault: str) -> None:
    r = httpx.post(
        f"{proxy}/v1/chat/completions",
        json=chat(fault, False),
        headers=AUTH,
        timeout=CLIENT_TIMEOUT_S,
    )
    assert r.status_code == UNARY_STATUS[fault], r.text
    assert r.headers["content-type"].startswith("application/json")
    assert_envelope(r.json()["error"])
    fault_seen(mock, fault)


@pytest.mark.parametrize("fault", FAULTS)
def test_a_stream_ends_with_an_error(proxy: str, mock: str, fault: str) -> None:
    r = httpx.post(
        f"{proxy}/v1/chat/completions",
        json=chat(fault, True),
        headers=AUTH,
        timeout=CLIENT_TIMEOUT_S,
    )
    fault_seen(mock, fault)
    if fault not in STREAM_STARTED:
        assert r.status_code in (502, 504), r.text
        assert_envelope(r.json()["error"])
        return
    assert r.status_code == 200
    events = [e.data for e in decode([r.content])]
    assert events, r.text
    assert "[DONE]" not in events  # an error is not a normal end
    *content, last = events
    assert content  # the chunks before the fault were relayed
    for data in content:
        assert "choices" in json.loads(data)
    assert_envelope(json.loads(last)["error"])
