"""The mock's transport faults on the wire (mockserver.faults, issue 15 item 10).

Each fault is read with a raw socket, so a TCP reset (``ECONNRESET``) is told from a
plain close (EOF) and the bytes before it are exact. The app is built inline around a
:class:`~mockserver.http_core.Core` the test holds: ``Core.wait_faults`` (an event, no
sleeps) tells when a fault handler has started and when every one has ended, and every
test ends by waiting until none is open (no task or socket left behind).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx
import pytest
from aiohttp import web

from mockserver import catalog, faults
from mockserver.http_admin import add_admin_routes
from mockserver.http_codeassist import add_codeassist_routes
from mockserver.http_core import Core
from mockserver.http_gemini import add_gemini_routes
from mockserver.responses import generate
from mockserver.settings import Settings
from spec.scenarios import Directive, Scenario
from spec.sse import decode

KEY = "AIza-test-key-faults"
REFRESH = "1//mock-refresh-faults"
FLASH = "/v1beta/models/gemini-2.5-flash"
WAIT_S = 10.0
"""Upper bound for any wait; a fault that is not over by then is a leak."""


# --------------------------------------------------------------------------- the server


@dataclass
class Mock:
    url: str
    port: int
    core: Core
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, WAIT_S), self.loop).result()

    def opened(self, n: int = 1) -> None:
        """Return once ``n`` fault handlers are running (raises after WAIT_S)."""
        self.run(self.core.wait_faults(lambda k: k >= n))

    def closed(self) -> None:
        """Return once no fault handler is running (raises after WAIT_S)."""
        self.run(self.core.wait_faults(lambda k: k == 0))


@contextmanager
def serve_mock(loop_factory: Callable[[], asyncio.AbstractEventLoop]) -> Iterator[Mock]:
    """The Gemini, Code Assist and admin routes of the mock around one Core, on
    127.0.0.1 on a free port, in a thread running ``loop_factory()``'s loop."""
    ready = threading.Event()
    state: dict[str, Any] = {}
    loop = loop_factory()

    async def start() -> None:
        core = Core(Settings(seed=7, refresh_tokens=frozenset({REFRESH})), time.monotonic)
        app = web.Application()
        add_gemini_routes(app, core)
        add_codeassist_routes(app, core)
        add_admin_routes(app, core)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        state.update(runner=runner, core=core, port=port)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:
            state["error"] = exc
        ready.set()
        if "error" not in state:
            loop.run_forever()

    thread = threading.Thread(target=run, name="fault-mock", daemon=True)
    thread.start()
    ready.wait(WAIT_S)
    if "error" in state:
        raise RuntimeError("mock failed to start") from state["error"]
    port = state["port"]
    try:
        yield Mock(f"http://127.0.0.1:{port}", port, state["core"], loop)
    finally:
        asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(WAIT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT_S)
        loop.close()


@pytest.fixture(scope="module")
def module_mock() -> Iterator[Mock]:
    with serve_mock(asyncio.new_event_loop) as mock:
        yield mock


@pytest.fixture
def mock(module_mock: Mock, caplog: pytest.LogCaptureFixture) -> Iterator[Mock]:
    httpx.delete(f"{module_mock.url}/_mock/requests").raise_for_status()
    httpx.delete(f"{module_mock.url}/_mock/scenarios").raise_for_status()
    caplog.set_level(logging.DEBUG)
    yield module_mock
    module_mock.closed()  # every fault handler has ended: nothing left behind
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert not loud, [r.getMessage() for r in loud]  # no traceback, no warning


# --------------------------------------------------------------------------- a raw client


class Ended(NamedTuple):
    """What a raw client saw: every byte, and how the connection ended (``reset``:
    ECONNRESET, ``eof``: an orderly close)."""

    data: bytes
    end: str


def _request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def connect(mock: Mock, path: str, body: bytes, headers: dict[str, str]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", mock.port), timeout=WAIT_S)
    sock.sendall(_request(path, body, headers))
    return sock


def read_to_end(sock: socket.socket) -> Ended:
    data = b""
    with sock:
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            return Ended(data, "reset")
    return Ended(data, "eof")


def split_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, data
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


_HEX = b"0123456789abcdefABCDEF"


def dechunk(body: bytes) -> tuple[list[bytes], bytes | None, bool]:
    """RFC 9112 7.1: the chunks' data, the first chunk-size line that is not a size
    (``None``: none), and whether the last-chunk was seen."""
    chunks: list[bytes] = []
    while body:
        line, sep, rest = body.partition(b"\r\n")
        if not sep:
            return chunks, None, False
        if not line or line.strip(_HEX):
            return chunks, line, False
        size = int(line, 16)
        if size == 0:
            return chunks, None, True
        chunks.append(rest[:size])
        body = rest[size + 2 :]
    return chunks, None, False


def gemini_body(text: str = "Tell me about the river") -> bytes:
    return json.dumps({"contents": [{"role": "user", "parts": [{"text": text}]}]}).encode()


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    stream: bool
    sse: bool
    codeassist: bool = False

    def body(self, text: str = "Tell me about the river") -> bytes:
        if not self.codeassist:
            return gemini_body(text)
        inner = json.loads(gemini_body(text))
        envelope = {"model": "gemini-2.5-pro", "project": "proj-1", "request": inner}
        return json.dumps(envelope).encode()

    def headers(self, mock: Mock) -> dict[str, str]:
        if not self.codeassist:
            return {"x-goog-api-key": KEY}
        form = {"grant_type": "refresh_token", "refresh_token": REFRESH}
        token = httpx.post(f"{mock.url}/oauth2/token", data=form).json()["access_token"]
        return {"authorization": f"Bearer {token}"}


ENDPOINTS = [
    Endpoint("v1beta-sse", f"{FLASH}:streamGenerateContent?alt=sse", True, True),
    Endpoint("v1beta-array", f"{FLASH}:streamGenerateContent", True, False),
    Endpoint("v1beta-unary", f"{FLASH}:generateContent", False, False),
    Endpoint("codeassist-sse", "/v1internal:streamGenerateContent?alt=sse", True, True, True),
    Endpoint("codeassist-unary", "/v1internal:generateContent", False, False, True),
]
STREAMS = [e for e in ENDPOINTS if e.stream]
SSE = [e for e in ENDPOINTS if e.sse]
ids = lambda e: e.name  # noqa: E731


def send(mock: Mock, endpoint: Endpoint, directive: str, how: str = "header") -> socket.socket:
    """Start ``endpoint``'s request with ``directive`` given by header, in-band text or
    the admin queue."""
    headers = endpoint.headers(mock)
    text = "Tell me about the river"
    if how == "header":
        headers["x-mock-scenario"] = directive
    elif how == "inband":
        text += f" [[mock:{directive}]]"
    else:
        queued = httpx.post(f"{mock.url}/_mock/scenarios", json={"directive": directive})
        queued.raise_for_status()
    return connect(mock, endpoint.path, endpoint.body(text), headers)


def exchange(mock: Mock, endpoint: Endpoint, directive: str, how: str = "header") -> Ended:
    return read_to_end(send(mock, endpoint, directive, how))


def journal(mock: Mock) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = httpx.get(f"{mock.url}/_mock/requests").json()["requests"]
    return [e for e in entries if not e["path"].startswith("/oauth2")]


def ordinary_events(mock: Mock, endpoint: Endpoint) -> list[bytes]:
    """The pieces of the ordinary (``scenario=text``) answer to the same request: SSE
    events, or JSON-array elements."""
    ended = exchange(mock, endpoint, "scenario=text")
    status, _, body = split_response(ended.data)
    assert (status, ended.end) == (200, "eof")
    chunks, bad, last = dechunk(body)
    assert (bad, last) == (None, True)
    return chunks


# --------------------------------------------------------------------------- the faults


@pytest.mark.parametrize("how", ["header", "inband", "queue"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_reset_before_resets_without_a_byte(mock: Mock, endpoint: Endpoint, how: str) -> None:
    ended = exchange(mock, endpoint, "scenario=reset_before", how)
    assert ended == Ended(b"", "reset")
    (entry,) = journal(mock)
    assert (entry["scenario"], entry["status"], entry["response"]) == ("reset_before", None, None)


def test_an_orderly_close_is_not_taken_for_a_reset(mock: Mock) -> None:
    """The raw client tells RST from FIN: a mid-stream cut (a close) reads as EOF."""
    ended = exchange(mock, ENDPOINTS[0], "scenario=mid_stream_cut")
    assert ended.end == "eof"
    assert split_response(ended.data)[0] == 200


@pytest.mark.parametrize("cut", [0, 1, 2])
@pytest.mark.parametrize("endpoint", STREAMS, ids=ids)
def test_reset_during_a_stream_sends_cut_after_chunks_then_resets(
    mock: Mock, endpoint: Endpoint, cut: int
) -> None:
    whole = ordinary_events(mock, endpoint)
    ended = exchange(mock, endpoint, f"scenario=reset_during cut_after={cut}")
    assert ended.end == "reset"
    status, headers, body = split_response(ended.data)
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    chunks, bad, last = dechunk(body)
    assert (bad, last) == (None, False)
    assert chunks == whole[:cut]
    entry = journal(mock)[-1]
    assert (entry["scenario"], entry["status"]) == ("reset_during", 200)
    assert entry["response"]["finish_reason"] is None


def test_reset_during_is_deterministic(mock: Mock) -> None:
    first = exchange(mock, ENDPOINTS[0], "scenario=reset_during")
    again = exchange(mock, ENDPOINTS[0], "scenario=reset_during")
    assert split_response(first.data)[2] == split_response(again.data)[2]
    assert first.end == again.end == "reset"


def test_reset_during_with_length_promises_the_whole_body(mock: Mock) -> None:
    ended = exchange(mock, ENDPOINTS[0], "scenario=reset_during length=1")
    _, headers, body = split_response(ended.data)
    assert ended.end == "reset"
    assert "transfer-encoding" not in headers
    assert int(headers["content-length"]) > len(body) > 0


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.stream], ids=ids)
def test_reset_during_a_unary_answer_sends_half_the_body(mock: Mock, endpoint: Endpoint) -> None:
    ended = exchange(mock, endpoint, "scenario=reset_during")
    assert ended.end == "reset"
    status, headers, body = split_response(ended.data)
    assert status == 200
    assert int(headers["content-length"]) // 2 == len(body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_malformed_chunk_breaks_the_chunked_framing(mock: Mock, endpoint: Endpoint) -> None:
    whole = ordinary_events(mock, endpoint) if endpoint.stream else None
    ended = exchange(mock, endpoint, "scenario=malformed_chunk")
    assert ended.end == "eof"
    status, headers, body = split_response(ended.data)
    assert (status, headers["transfer-encoding"]) == (200, "chunked")
    chunks, bad, last = dechunk(body)
    assert (bad, last) == (faults.BAD_CHUNK_SIZE, False)
    if whole is not None:
        assert chunks == whole[:2]
    else:
        assert len(chunks) == 1
    entry = journal(mock)[-1]
    assert (entry["scenario"], entry["status"]) == ("malformed_chunk", 200)


def test_an_http_client_fails_on_the_malformed_chunk(mock: Mock) -> None:
    endpoint = ENDPOINTS[0]
    headers = {**endpoint.headers(mock), "x-mock-scenario": "scenario=malformed_chunk"}
    with httpx.Client(timeout=WAIT_S) as client:
        good = client.post(
            f"{mock.url}{endpoint.path}",
            content=endpoint.body(),
            headers=headers | {"x-mock-scenario": "scenario=text"},
        )
        assert good.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(f"{mock.url}{endpoint.path}", content=endpoint.body(), headers=headers)


@pytest.mark.parametrize("endpoint", SSE, ids=ids)
def test_malformed_event_has_invalid_json_in_a_well_framed_stream(
    mock: Mock, endpoint: Endpoint
) -> None:
    headers = {**endpoint.headers(mock), "x-mock-scenario": "scenario=malformed_event"}
    response = httpx.post(f"{mock.url}{endpoint.path}", content=endpoint.body(), headers=headers)
    assert response.status_code == 200
    events = [e.data for e in decode([response.content])]
    assert len(events) == 3
    for data in events[:2]:
        json.loads(data)
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[2])
    entry = journal(mock)[-1]
    assert (entry["scenario"], entry["status"]) == ("malformed_event", 200)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.sse], ids=ids)
def test_malformed_event_without_sse_is_a_json_body_cut_in_half(
    mock: Mock, endpoint: Endpoint
) -> None:
    headers = {**endpoint.headers(mock), "x-mock-scenario": "scenario=malformed_event"}
    response = httpx.post(f"{mock.url}{endpoint.path}", content=endpoint.body(), headers=headers)
    assert response.status_code == 200
    response.content.decode()  # valid UTF-8: only the JSON is broken
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_never_answer_holds_until_the_client_leaves(mock: Mock, endpoint: Endpoint) -> None:
    sock = send(mock, endpoint, "scenario=never_answer")
    mock.opened(1)  # the handler holds the request
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        sock.recv(1)  # nothing was sent
    assert mock.core.faults_open == 1
    sock.close()
    mock.closed()  # the handler ended because the client left
    (entry,) = journal(mock)
    assert (entry["scenario"], entry["status"], entry["response"]) == ("never_answer", None, None)


def test_several_held_requests_all_end(mock: Mock) -> None:
    socks = [send(mock, ENDPOINTS[i % 2], "scenario=never_answer") for i in range(5)]
    mock.opened(5)
    for sock in socks:
        sock.close()
    mock.closed()


def _read_ticks(sock: socket.socket, count: int) -> tuple[bytes, list[bytes]]:
    """Read the head and ``count`` chunks of a trickle; return the raw head and them."""
    data = b""
    while True:
        data += sock.recv(65536)
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            chunks, bad, last = dechunk(body)
            assert (bad, last) == (None, False)
            if len(chunks) >= count:
                return head, chunks


@pytest.mark.parametrize(
    ("endpoint", "tick"),
    [
        (ENDPOINTS[0], b":\r\n"),
        (ENDPOINTS[1], b" "),
        (ENDPOINTS[2], b" "),
        (ENDPOINTS[3], b":\r\n"),
    ],
    ids=lambda v: v.name if isinstance(v, Endpoint) else "",
)
def test_trickle_sends_keepalives_and_never_data(
    mock: Mock, endpoint: Endpoint, tick: bytes
) -> None:
    sock = send(mock, endpoint, "scenario=trickle chunk_ms=5")
    head, chunks = _read_ticks(sock, 4)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert chunks[:4] == [tick] * 4
    sock.close()
    mock.closed()
    entry = journal(mock)[-1]
    assert (entry["scenario"], entry["status"]) == ("trickle", 200)


def test_trickle_with_lf_framing_sends_lf_comments(mock: Mock) -> None:
    sock = send(mock, ENDPOINTS[0], "scenario=trickle chunk_ms=5 framing=lf")
    _, chunks = _read_ticks(sock, 2)
    assert chunks[:2] == [b":\n", b":\n"]
    sock.close()


def test_trickle_defaults_to_500_ms() -> None:
    model = catalog.lookup("gemini-2.5-flash")
    assert model is not None
    reply = generate(model, json.loads(gemini_body()), Directive(Scenario.TRICKLE), 7, stream=True)
    assert reply.writes is not None
    assert [w.delay_ms for w in reply.writes] == [faults.TRICKLE_MS] == [500]


# --------------------------------------------------------------------------- under uvloop


def _uvloop() -> asyncio.AbstractEventLoop:
    uvloop = pytest.importorskip("uvloop")
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def test_the_faults_hold_under_uvloop() -> None:
    """The CLI serves on uvloop: reset, hold and trickle work there too."""
    with serve_mock(_uvloop) as mock:
        assert exchange(mock, ENDPOINTS[0], "scenario=reset_before") == Ended(b"", "reset")
        ended = exchange(mock, ENDPOINTS[0], "scenario=reset_during")
        assert ended.end == "reset"
        assert len(dechunk(split_response(ended.data)[2])[0]) == 2
        sock = send(mock, ENDPOINTS[2], "scenario=never_answer")
        mock.opened(1)
        sock.close()
        mock.closed()
        sock = send(mock, ENDPOINTS[0], "scenario=trickle chunk_ms=5")
        _read_ticks(sock, 2)
        sock.close()
        mock.closed()
