"""httplane: the HTTP/1.1 fast lane in front of aiohttp.

Every test speaks raw HTTP/1.1 over a socket to an app that registers the same paths in
the lane and in aiohttp, answering ``lane:...`` or ``aiohttp:...``, so each test sees
who answered: the lane for plain requests to its routes, aiohttp (for the rest of the
connection) for anything else, with no byte lost in the hand-off.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from httplane import LANES, LaneRequest, Lanes, exchange
from tests.servers import serve

JSON = (("Content-Type", "application/json"),)


def _app() -> web.Application:
    app = web.Application(client_max_size=1024)
    lanes = app[LANES] = Lanes()

    async def echo(request: Any) -> web.StreamResponse:
        who = "lane" if isinstance(request, LaneRequest) else "aiohttp"
        body = await request.read()
        out = exchange(request)
        extra = request.headers.get("X-Extra", "")
        await out.whole(200, JSON, who.encode() + b":" + body + extra.encode())
        return getattr(out, "response", web.Response())

    async def segment(request: Any) -> web.StreamResponse:
        out = exchange(request)
        await out.whole(200, JSON, request.match_info["name"].encode())
        return getattr(out, "response", web.Response())

    async def boom(request: Any) -> web.StreamResponse:
        raise RuntimeError("secret detail")

    async def waits(request: Any) -> web.StreamResponse:
        await asyncio.sleep(0.01)  # the lane's handler waits: the rest runs in a task
        out = exchange(request)
        out.head(200, JSON)
        await out.send([b"a", b"bc"])
        await asyncio.sleep(0)
        await out.send([b"d"], end=True)
        return getattr(out, "response", web.Response())

    async def cut(request: Any) -> web.StreamResponse:
        out = exchange(request)
        out.head(200, JSON)
        await out.send([b"partial"])
        out.cut()
        return getattr(out, "response", web.Response())

    async def named(request: Any) -> web.StreamResponse:
        out = exchange(request)
        await out.whole(200, (*JSON, ("Server", "scaffolding on HTTPServer2")), b"{}")
        return getattr(out, "response", web.Response())

    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="aiohttp:get")

    for path, handler in (
        ("/echo", echo),
        ("/boom", boom),
        ("/waits", waits),
        ("/cut", cut),
        ("/named", named),
    ):
        lanes.add_post(path, handler)
        app.router.add_post(path, handler)
    lanes.add_post_segment("/seg/", "name", segment)
    app.router.add_post("/seg/{name}", segment)
    app.router.add_get("/plain", plain)
    return app


@pytest.fixture(scope="module")
def base() -> Iterator[tuple[str, int]]:
    with serve(_app) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


class _Kept(io.BufferedReader):
    """The connection's one reader: ``http.client`` closes it after each body."""

    def close(self) -> None:
        pass


class _Conn:
    """One client connection; responses are read in order from one buffered reader."""

    def __init__(self, where: tuple[str, int]) -> None:
        self.sock = socket.create_connection(where, timeout=10)
        self.file = _Kept(socket.SocketIO(self.sock, "rb"))

    def makefile(self, *_: Any, **__: Any) -> Any:
        return self.file

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> tuple[int, http.client.HTTPMessage, bytes]:
        resp = http.client.HTTPResponse(self)  # type: ignore[arg-type]
        resp.begin()
        return resp.status, resp.headers, resp.read()

    def at_eof(self) -> bool:
        return self.file.read(1) == b""

    def close(self) -> None:
        self.file.detach().close()
        self.sock.close()


@pytest.fixture
def conn(base: tuple[str, int]) -> Iterator[_Conn]:
    c = _Conn(base)
    yield c
    c.close()


def post(path: str, body: bytes = b"", extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
        + body
    )


GET = b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"


def test_the_lane_serves_its_routes_and_keeps_the_connection(conn: _Conn) -> None:
    conn.send(post("/echo", b"one", "x-EXTRA: \t !  \r\n"))  # any case, whitespace around
    status, headers, body = conn.response()
    assert (status, body) == (200, b"lane:one!")
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == "9"
    assert headers["Server"].startswith("Python/")
    assert headers["Date"]
    conn.send(post("/seg/models:generate"))
    assert conn.response()[2] == b"models:generate"


def test_a_handlers_own_server_field_is_the_only_one(conn: _Conn) -> None:
    """As aiohttp's ``setdefault``: the lane adds ``Server`` only to an answer without
    one (the mock answers as Google's front end does, with one ``Server``)."""
    conn.send(post("/named"))
    status, headers, _ = conn.response()
    assert (status, headers.get_all("Server")) == (200, ["scaffolding on HTTPServer2"])


def test_another_request_hands_the_connection_to_aiohttp_for_good(conn: _Conn) -> None:
    conn.send(GET)
    assert conn.response()[2] == b"aiohttp:get"
    conn.send(post("/echo", b"two"))
    assert conn.response()[2] == b"aiohttp:two"


def test_pipelined_requests_are_answered_in_order_across_the_hand_off(conn: _Conn) -> None:
    pipeline = [post("/echo", b"1"), post("/waits"), post("/echo", b"2"), GET, post("/echo", b"3")]
    conn.send(b"".join(pipeline))
    bodies = [conn.response()[2] for _ in range(5)]
    assert bodies == [b"lane:1", b"abcd", b"lane:2", b"aiohttp:get", b"aiohttp:3"]


def test_a_body_arriving_in_pieces_is_waited_for(conn: _Conn) -> None:
    whole = post("/echo", b"0123456789")
    for piece in (whole[:10], whole[10:-6], whole[-6:-1], whole[-1:]):
        conn.send(piece)
    assert conn.response()[2] == b"lane:0123456789"


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        # a chunked upload: aiohttp decodes it
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n",
            (200, b"aiohttp:abc"),
        ),
        # HTTP/1.0, and a percent-encoded path: aiohttp's
        (b"POST /echo HTTP/1.0\r\nContent-Length: 1\r\n\r\nz", (200, b"aiohttp:z")),
        (post("/se%67/a"), (200, b"a")),
    ],
)
def test_what_the_lane_does_not_take_aiohttp_answers(
    conn: _Conn, request_bytes: bytes, expected: tuple[int, bytes]
) -> None:
    conn.send(request_bytes)
    status, _, body = conn.response()
    assert (status, body) == expected


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /echo HTTP/1.1\r\nHost x\r\nContent-Length: 0\r\n\r\n",  # no colon
        b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\nContent-Length: 0\r\n\r\n",  # a bare LF
        b"POST /echo HTTP/1.1\r\nHost: x\r\n folded\r\nContent-Length: 0\r\n\r\n",  # obs-fold
        b"POST /echo HTTP/1.1\r\nHost : x\r\nContent-Length: 0\r\n\r\n",  # space before :
    ],
)
def test_a_malformed_head_gets_aiohttps_400_not_the_lanes_answer(
    conn: _Conn, request_bytes: bytes
) -> None:
    conn.send(request_bytes)
    status, _, body = conn.response()
    assert status == 400
    assert not body.startswith(b"lane:")


def test_a_body_over_the_apps_limit_gets_aiohttps_413(conn: _Conn) -> None:
    conn.send(post("/echo", b"x" * 2048))
    assert conn.response()[0] == 413


def test_connection_close_is_honoured(conn: _Conn) -> None:
    conn.send(post("/echo", b"bye", "Connection: close\r\n"))
    status, headers, body = conn.response()
    assert (status, body, headers["Connection"]) == (200, b"lane:bye", "close")
    assert conn.at_eof()


def test_a_handler_error_is_a_plain_500_without_the_traceback(conn: _Conn) -> None:
    conn.send(post("/boom"))
    status, _, body = conn.response()
    assert status == 500
    assert b"secret detail" not in body
    assert b"Traceback" not in body
    assert conn.at_eof()


def test_a_handler_that_waits_streams_chunks_and_the_connection_goes_on(conn: _Conn) -> None:
    conn.send(post("/waits"))
    status, headers, body = conn.response()
    assert (status, body, headers["Transfer-Encoding"]) == (200, b"abcd", "chunked")
    conn.send(post("/echo", b"after"))
    assert conn.response()[2] == b"lane:after"


def test_a_cut_sends_no_last_chunk_then_closes(conn: _Conn) -> None:
    conn.send(post("/cut"))
    data = b""
    while chunk := conn.sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"7\r\npartial\r\n"  # no 0\r\n\r\n: the client sees a cut body


def test_stopping_the_site_closes_idle_lane_connections() -> None:
    with serve(_app) as url:
        host, port = url.removeprefix("http://").split(":")
        c = _Conn((host, int(port)))
        c.send(post("/echo", b"x"))
        assert c.response()[2] == b"lane:x"
    assert c.at_eof()  # the site stopped: the idle keep-alive connection was closed
    c.close()


# --------------------------------------------------------------------------- as aiohttp does


def _aiohttp_like_app(
    seen: list[str],
    released: list[str],
    started: threading.Event | None = None,
    cancelled: threading.Event | None = None,
    fields: Any = None,
) -> web.Application:
    """A lane route under a middleware and an ``on_response_prepare`` handler; one
    route returns a ``web.Response``, one streams, one waits until cancelled."""

    @web.middleware
    async def outer(request: Any, handler: Any) -> web.StreamResponse:
        seen.append(f"outer:{request.content_length}:{request.body_exists}")
        try:
            return await handler(request)  # type: ignore[no-any-return]
        finally:
            released.append("outer")

    async def on_prepare(request: Any, response: web.StreamResponse) -> None:
        response.headers["x-request-id"] = request.headers.get("x-request-id", "made")

    async def returned(request: Any) -> web.Response:
        return web.Response(body=b"returned", headers={"Content-Type": "text/plain"})

    async def streamed(request: Any) -> web.StreamResponse:
        out = exchange(request)
        out.head(200, JSON)
        await out.send([b"s"], end=True)
        return getattr(out, "response", web.Response())

    async def hangs(request: Any) -> web.StreamResponse:
        if started is not None:
            started.set()
        try:
            await asyncio.Event().wait()
        finally:
            released.append("hangs")
            if cancelled is not None:
                cancelled.set()
        raise AssertionError("unreachable")

    async def whole(request: Any) -> web.StreamResponse:
        out = exchange(request)
        await out.whole(200, JSON, b"w")
        return getattr(out, "response", web.Response())

    app = web.Application(middlewares=[outer])
    app.on_response_prepare.append(on_prepare)
    lanes = app[LANES] = Lanes(eager=False, fields=fields)
    routes = (
        ("/returned", returned),
        ("/streamed", streamed),
        ("/whole", whole),
        ("/hangs", hangs),
    )
    for path, handler in routes:
        lanes.add_post(path, handler, app.router.add_post(path, handler))
    return app


def test_the_lane_runs_the_apps_middlewares_and_prepare_handlers() -> None:
    seen: list[str] = []
    released: list[str] = []
    with serve(lambda: _aiohttp_like_app(seen, released)) as url:
        c = _Conn(_where(url))
        try:
            c.send(post("/returned", b"{}", "x-request-id: r1\r\n"))
            status, headers, body = c.response()
            assert (status, body, headers["x-request-id"]) == (200, b"returned", "r1")
            assert headers["Content-Type"] == "text/plain"
            c.send(post("/streamed"))
            status, headers, body = c.response()
            assert (status, body, headers["x-request-id"]) == (200, b"s", "made")
        finally:
            c.close()
    assert seen == ["outer:2:True", "outer:0:False"]
    assert released == ["outer", "outer"]


def test_lane_fields_replace_the_prepare_signal_on_every_kind_of_answer() -> None:
    ids = iter(range(100))

    def fields(request: Any) -> tuple[tuple[str, str], ...]:
        return (("x-request-id", f"lane-{next(ids)}"), ("x-seen", request.path))

    with serve(lambda: _aiohttp_like_app([], [], fields=fields)) as url:
        c = _Conn(_where(url))
        try:
            got = []
            for path in ("/returned", "/streamed", "/whole", "/returned"):
                c.send(post(path))
                status, headers, body = c.response()
                assert (status, headers["x-seen"]) == (200, path)
                assert body in (b"returned", b"s", b"w")
                got.append(headers["x-request-id"])  # the signal's "made" never appears
        finally:
            c.close()
    assert got == ["lane-0", "lane-1", "lane-2", "lane-3"]  # per answer, never cached


def test_handler_cancellation_cancels_the_handler_of_a_client_that_left() -> None:
    released: list[str] = []
    started, cancelled = threading.Event(), threading.Event()
    app = lambda: _aiohttp_like_app([], released, started, cancelled)  # noqa: E731
    with serve(app, handler_cancellation=True) as url:
        c = _Conn(_where(url))
        c.send(post("/hangs"))
        assert started.wait(5)
        c.close()
        assert cancelled.wait(5)
    assert released == ["hangs", "outer"]


def test_an_idle_connection_is_closed_after_the_keepalive_timeout() -> None:
    with serve(lambda: _aiohttp_like_app([], []), keepalive_timeout=0.2) as url:
        c = _Conn(_where(url))
        c.send(post("/returned"))
        assert c.response()[2] == b"returned"
        c.sock.settimeout(5)
        assert c.at_eof()  # closed by the lane's sweep, well before 5 s
        c.close()


def _where(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)
