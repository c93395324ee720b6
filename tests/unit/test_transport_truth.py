"""Transport truth: ``conformance.http.send`` records how a body's framing broke (a raw
socket server writes each defect), the body helpers fail a check on a broken
non-streamed body, ``http.body_framing`` names it, and the openai-python replay meets
the same framing."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest

import conformance.checks  # noqa: F401  (registers the catalogue)
from conformance.checks._common import json_object, require_response
from conformance.exchange import Exchange, Request
from conformance.http import Budget, send
from conformance.oracles import replay_openai_python, wire_response
from conformance.registry import REGISTRY, CheckFailure, NotApplicable
from tests.check_cases import good

BODY = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hi"},
                "finish_reason": "stop",
            }
        ],
    }
).encode()
JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"


def _request_complete(data: bytes) -> bool:
    """Whether ``data`` holds a whole request, body included: closing a socket with
    unread request bytes makes the kernel send a reset instead of a clean close."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


@contextmanager
def raw_server(answer: bytes, *, reset: bool = False, hold: bool = False) -> Iterator[str]:
    """Answers one request with ``answer`` verbatim, then closes (or resets) the socket,
    or with ``hold`` keeps it open until the client closes it."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def run() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while not _request_complete(data):
                piece = conn.recv(65536)
                if not piece:
                    return
                data += piece
            conn.sendall(answer)
            if reset:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            while hold and conn.recv(65536):
                pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        thread.join(10)
        listener.close()


def fetch(
    answer: bytes, *, reset: bool = False, hold: bool = False, probe: str = "chat"
) -> Exchange:
    with raw_server(answer, reset=reset, hold=hold) as url, httpx.Client(timeout=30) as client:
        request = Request(
            "POST",
            f"{url}/v1/chat/completions",
            {"content-type": "application/json"},
            b"{}",
            {"model": "m"},
        )
        return send(client, probe, request, Budget())


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_an_intact_body_records_its_byte_counts() -> None:
    x = fetch(JSON_HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY)
    assert (x.declared_length, x.received_bytes, x.framing) == (len(BODY), len(BODY), "")
    assert x.body_problem() is None
    assert require_response(x) == 200
    REGISTRY["http.body_framing"].func(x)
    assert replay_openai_python(x, "create").ok


def test_a_body_shorter_than_its_content_length() -> None:
    x = fetch(JSON_HEAD + b"Content-Length: %d\r\n\r\n" % (len(BODY) + 212) + BODY)
    assert (x.status, x.framing) == (200, "short")
    assert (x.declared_length, x.received_bytes) == (len(BODY) + 212, len(BODY))
    evidence = x.framing_evidence() or ""
    assert f"Content-Length: {len(BODY) + 212} declared, {len(BODY)} bytes received" in evidence
    with pytest.raises(CheckFailure, match=r"did not arrive intact.*declared"):
        require_response(x)
    with pytest.raises(CheckFailure, match="did not arrive intact"):
        json_object(x)
    with pytest.raises(CheckFailure, match=r"chat: .*declared.*curl exits 18"):
        REGISTRY["http.body_framing"].func(x)
    with pytest.raises(CheckFailure, match="did not arrive intact"):
        REGISTRY["chat.completion_shape"].func(x)
    outcome = replay_openai_python(x, "create")
    assert outcome.error_type == "APIConnectionError"
    assert "expected" in (outcome.error or "")


def test_a_body_longer_than_its_content_length() -> None:
    x = fetch(JSON_HEAD + b"Content-Length: %d\r\n\r\n" % (len(BODY) - 10) + BODY)
    assert (x.framing, x.surplus_bytes) == ("surplus", 10)
    assert x.body == BODY[:-10]
    with pytest.raises(CheckFailure, match="10 bytes follow the declared body"):
        REGISTRY["http.body_framing"].func(x)


def test_a_connection_reset_mid_body() -> None:
    x = fetch(JSON_HEAD + b"Content-Length: %d\r\n\r\n" % (len(BODY) + 50) + BODY, reset=True)
    assert x.framing in ("reset", "short")  # a reset may read as an early close
    with pytest.raises(CheckFailure, match="did not arrive intact"):
        require_response(x)
    assert not replay_openai_python(x, "create").ok


def test_a_chunked_body_without_its_last_chunk() -> None:
    x = fetch(JSON_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + chunk(BODY))
    assert (x.framing, x.declared_length, x.received_bytes) == ("short", None, len(BODY))
    with pytest.raises(CheckFailure, match="chunked body ended before it was complete"):
        REGISTRY["http.body_framing"].func(x)
    assert replay_openai_python(x, "create").error_type == "APIConnectionError"


def test_a_malformed_chunk_header() -> None:
    x = fetch(JSON_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + BODY)
    assert x.framing == "malformed"
    with pytest.raises(CheckFailure, match="malformed"):
        REGISTRY["http.body_framing"].func(x)


STREAM = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\n'
)


def test_a_cut_stream_is_left_to_the_stream_checks() -> None:
    """A stream that breaks off is judged by ``http.body_framing`` and the stream checks,
    not failed again by every check that reads its events."""
    x = fetch(SSE_HEAD + b"\r\n" + chunk(STREAM), probe="chat_stream")
    assert x.framing == "short"
    assert x.is_stream
    assert require_response(x) == 200
    with pytest.raises(CheckFailure, match="chat_stream: the chunked body ended"):
        REGISTRY["http.body_framing"].func(x)


def test_a_stream_the_proxy_breaks_off_after_a_scripted_upstream_cut_is_not_framing() -> None:
    x = fetch(SSE_HEAD + b"\r\n" + chunk(STREAM), probe="stream_cut")
    assert x.framing == "short"
    REGISTRY["http.body_framing"].func(x)


def test_body_framing_reads_every_probe_and_the_good_exchanges_pass() -> None:
    spec = REGISTRY["http.body_framing"]
    assert set(spec.probes + spec.also) >= {"chat", "chat_stream", "models", "stream_cut"}
    assert spec.run(good()) is None


def test_a_broken_first_turn_fails_the_multi_turn_probe() -> None:
    first = fetch(JSON_HEAD + b"Content-Length: %d\r\n\r\n" % (len(BODY) + 5) + BODY)
    second = fetch(JSON_HEAD + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY)
    x = replace(second, previous=(first,))
    with pytest.raises(CheckFailure, match="the first turn"):
        require_response(x)


def test_a_hung_exchange_is_skipped_by_the_body_checks() -> None:
    x = Exchange("stream_cut", Request("POST", "http://t/v1/chat/completions", {}), 200, hung_s=8.0)
    with pytest.raises(NotApplicable, match=r"http\.no_hang"):
        require_response(x)


@pytest.mark.parametrize(
    ("framing", "ending"),
    [("", b"0\r\n\r\n"), ("short", STREAM.split(b"\n")[-1] + b"\r\n"), ("malformed", b"zz\r\n")],
)
def test_the_replay_rebuilds_the_recorded_chunked_framing(framing: str, ending: bytes) -> None:
    x = Exchange(
        "chat_stream",
        Request("POST", "http://t/v1/chat/completions", {}),
        200,
        (("content-type", "text/event-stream"), ("transfer-encoding", "chunked")),
        ((0.0, STREAM),),
        framing=framing,  # type: ignore[arg-type]
    )
    data, end = wire_response(x)
    assert data.endswith(ending)
    assert end == "close"
    # the replay server closes after each answer: a pooling client must not reuse the socket
    assert b"\r\nconnection: close\r\n" in data.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def test_the_replay_keeps_a_short_body_short() -> None:
    x = Exchange(
        "chat",
        Request("POST", "http://t/v1/chat/completions", {}),
        200,
        (("content-type", "application/json"), ("content-length", "583")),
        ((0.0, BODY),),
        declared_length=len(BODY) + 100,
        received_bytes=len(BODY),
        framing="short",
    )
    data, _ = wire_response(x)
    assert f"content-length: {len(BODY) + 100}\r\n".encode() in data
    assert data.endswith(b"\r\n\r\n" + BODY)


def test_a_stream_that_stays_open_after_a_scripted_cut_is_recorded_hung(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("conformance.http.HANG_IDLE_S", 0.3)
    x = fetch(SSE_HEAD + b"\r\n" + chunk(STREAM), hold=True, probe="stream_cut")
    assert x.hung_s is not None
    assert 0.3 <= x.hung_s < 5
    assert (x.status, x.transport_error, x.framing, x.body) == (200, None, "", STREAM)
    assert x.elapsed_s < 5
    assert "hung" in (x.body_problem() or "")
    assert replay_openai_python(x, "stream").error_type == "APITimeoutError"


def test_an_ordinary_stream_has_no_idle_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only probes whose upstream breaks off on purpose get the idle limit (``stream_slow``
    has deliberate 20 s upstream gaps)."""
    monkeypatch.setattr("conformance.http.HANG_IDLE_S", 0.3)
    x = fetch(SSE_HEAD + b"\r\n" + chunk(STREAM) + b"0\r\n\r\n", probe="stream_slow")
    assert (x.hung_s, x.framing, x.transport_error) == (None, "", None)
