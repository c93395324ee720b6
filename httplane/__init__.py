"""An HTTP/1.1 fast lane in front of an aiohttp server, for a few hot ``POST`` routes.

aiohttp's server costs ~25 us of CPU per request on this project's benchmark machine
(request and response objects, the router, the payload writer, two timers); a server
answering in ~5 us cannot be built on it (issue 16: the mock must serve 1.5x the
requests per second of a Node mock). This package keeps aiohttp as *the* HTTP server and
puts a narrow, strict fast path in front of it:

- :class:`LaneSite` listens instead of :class:`aiohttp.web.TCPSite`. Every connection
  starts in the lane (:class:`_Lane`, an :class:`asyncio.Protocol`).
- The lane serves a request itself only when it is a plain HTTP/1.1 request to a route
  registered in the app's :class:`Lanes` (:data:`LANES`), with ``Content-Length``
  framing (or no body), no ``Transfer-Encoding``, ``Expect`` or ``Upgrade``, an
  unencoded path and a well-formed head (CRLF line ends, no NUL, no folded lines).
- Anything else (another route, a ``GET``, HTTP/1.0, a chunked upload, a malformed
  head, a body over the app's ``client_max_size``) hands the connection to aiohttp for
  the rest of its life: aiohttp's protocol gets the transport and every byte the lane
  has not consumed, exactly as if it had accepted the connection itself, so it answers
  (or rejects, with its own 4xx) as it always does. The lane never consumes bytes it
  did not accept.

A lane handler receives a :class:`LaneRequest` (the subset of :class:`aiohttp.web.
Request` that the hot handlers read: ``method``, ``path``, ``headers``, ``raw_headers``,
``query``, ``match_info``, ``read()``) and answers through its exchange, the
:class:`Exchange` both kinds of request offer (:func:`exchange`): a whole body, or a
status line and headers then body pieces (chunked or with ``Content-Length``), ended,
cut (FIN without the end of the body) or reset (RST). Requests on one connection are
answered in order (pipelined requests wait in the buffer).

Sources: RFC 9112 (HTTP/1.1 message syntax: sections 2-3 request line, 5 fields, 6
body length, 7.1 chunked coding, 9.3 persistence); aiohttp's ``web_protocol``
``RequestHandler`` for the protocol hand-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence
from email.utils import formatdate
from functools import partial
from http import HTTPStatus
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

__all__ = [
    "LANES",
    "AiohttpExchange",
    "Exchange",
    "LaneExchange",
    "LaneHandler",
    "LaneRequest",
    "LaneSite",
    "Lanes",
    "exchange",
    "parse_raw_headers",
]

log = logging.getLogger("httplane")

Headers = Sequence[tuple[str, str]]
"""Response header fields as ``(name, value)`` pairs, in order."""

HEAD_LIMIT = 64 * 1024
"""A request head (request line and fields) longer than this goes to aiohttp (bytes)."""
_PAUSE_AT = 1024 * 1024
"""Buffered bytes of requests waiting behind a busy one before the lane stops reading."""
_LINGER_ZERO = struct.pack("ii", 1, 0)
_SERVER = SERVER_SOFTWARE.encode()
_END = b"0\r\n\r\n"


_NO_QUERY: MultiDictProxy[str] = MultiDictProxy(MultiDict())
_QUERIES: dict[str, MultiDictProxy[str]] = {}
"""Parsed query strings: the hot routes see a handful (``alt=sse``), parsed once each
(``parse_qsl`` cost ~8% of the mock's streamed request at c=1, issue 16)."""
_QUERIES_MAX = 256


def parse_raw_headers(raw_head: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """``(name, value)`` byte pairs of field lines accepted by the lane
    (:attr:`LaneRequest.raw_head`)."""
    return tuple(_FIELD_BYTES.findall(raw_head))


class LaneMatch(dict[str, str]):
    """A lane request's ``match_info``: the path parameters, and ``route``, the aiohttp
    route registered for the same path (``None`` when none was given), as aiohttp's
    ``request.match_info.route``."""

    __slots__ = ("route",)

    def __init__(self, values: dict[str, str], route: Any = None) -> None:
        super().__init__(values)
        self.route = route


class LaneRequest:
    """One request the lane accepted (see the module docstring for what it offers).

    ``path``: the decoded path (the lane only accepts paths with no ``%``);
    ``raw_query_string``: the query as received; ``headers``: case-insensitive, values
    decoded as UTF-8 (undecodable bytes kept as surrogates, as aiohttp does);
    ``raw_headers``: the ``(name, value)`` byte pairs as received; ``body``: the whole
    body (bytes); ``app``: the site's application; ``scheme``, ``transport`` and
    ``remote`` (the peer's address) as on aiohttp's request. ``exchange``: where the
    answer goes (:class:`LaneExchange`)."""

    __slots__ = (
        "_query",
        "_raw_head",
        "_raw_headers",
        "app",
        "body",
        "content_length",
        "exchange",
        "headers",
        "match_info",
        "method",
        "path",
        "raw_query_string",
    )

    def __init__(
        self,
        method: str,
        path: str,
        raw_query_string: str,
        raw_head: bytes,
        headers: CIMultiDictProxy[str],
        body: bytes,
        match_info: LaneMatch,
        exchange: LaneExchange,
        app: web.Application | None = None,
        content_length: int | None = None,
    ) -> None:
        self.method = method
        self.content_length = content_length
        """The declared ``Content-Length`` (``None``: none was sent)."""
        self.path = path
        self.raw_query_string = raw_query_string
        self._raw_head = raw_head
        self._raw_headers: tuple[tuple[bytes, bytes], ...] | None = None
        self.headers = headers
        self.body = body
        self.match_info = match_info
        self.exchange = exchange
        exchange.request = self
        self.app = app
        self._query: MultiDictProxy[str] | None = None

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The ``(name, value)`` byte pairs as received (values without the whitespace
        around them), parsed on first use."""
        if self._raw_headers is None:
            self._raw_headers = parse_raw_headers(self._raw_head)
        return self._raw_headers

    @property
    def raw_head(self) -> bytes:
        """The field lines as received, each with its CRLF (:func:`parse_raw_headers`
        gives :attr:`raw_headers` from them: a log can keep these bytes and parse them
        when it is read)."""
        return self._raw_head

    @property
    def body_exists(self) -> bool:
        """Whether the request has a body (as aiohttp's)."""
        return bool(self.body)

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query parameters, decoded (parsed on first use)."""
        if self._query is None:
            raw = self.raw_query_string
            query = _QUERIES.get(raw) if raw else _NO_QUERY
            if query is None:  # a read-only view: one per query string serves them all
                query = MultiDictProxy(MultiDict(parse_qsl(raw, keep_blank_values=True)))
                if len(_QUERIES) < _QUERIES_MAX:
                    _QUERIES[raw] = query
            self._query = query
        return self._query

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport (``None`` once it is closed)."""
        transport = self.exchange.conn.transport
        return None if transport.is_closing() else transport

    @property
    def scheme(self) -> str:
        return "https" if self.exchange.conn.transport.get_extra_info("sslcontext") else "http"

    @property
    def remote(self) -> str | None:
        """The peer's IP address, as aiohttp's ``request.remote``."""
        peer = self.exchange.conn.transport.get_extra_info("peername")
        if isinstance(peer, (list, tuple)):
            return str(peer[0])
        return None if peer is None else str(peer)

    async def read(self) -> bytes:
        """The whole body (already received)."""
        return self.body


LaneHandler = Callable[[LaneRequest], Awaitable[Any]]
"""A lane route's handler: answers through ``request.exchange``, or returns an
:class:`aiohttp.web.Response` (not prepared; status, headers and body are sent); any
other result is ignored."""


class Lanes:
    """The routes the lane serves itself: ``POST`` only, an exact path or a prefix whose
    remainder (one path segment, no ``/``) becomes ``match_info[name]``."""

    __slots__ = ("eager", "exact", "fields", "prefixes")

    def __init__(
        self, *, eager: bool = True, fields: Callable[[LaneRequest], Headers] | None = None
    ) -> None:
        self.eager = eager
        """Run a handler at once, in ``data_received``, until it first waits (then in a
        task): no task at all for an answer that never waits. Before that first wait
        ``asyncio.current_task()`` is ``None``, so ``asyncio.timeout`` cannot be used
        there; ``eager=False`` gives every request a task of its own."""
        self.fields = fields
        """The app's ``on_response_prepare`` handlers as the lane runs them, when the
        app gives them: the header fields they add to the answer of a request (a request
        id, CORS fields...). The lane then calls this, not the signal, which costs a
        :class:`aiohttp.web.StreamResponse` per answer and leaves every head uncached
        (~10% of the reference's requests/s at c=32, issue 16)."""
        self.exact: dict[str, tuple[LaneHandler, Any]] = {}
        self.prefixes: list[tuple[str, str, LaneHandler, Any]] = []

    def add_post(self, path: str, handler: LaneHandler, route: Any = None) -> None:
        """Serve ``POST path`` (exactly) with ``handler``; ``route``: the aiohttp route
        of the same path, given to the handler as ``match_info.route``."""
        self.exact[path] = (handler, route)

    def add_post_segment(
        self, prefix: str, name: str, handler: LaneHandler, route: Any = None
    ) -> None:
        """Serve ``POST {prefix}{segment}`` with ``handler``, ``match_info[name] =
        segment`` (non-empty, no ``/``): ``prefix`` ``"/v1/models/"`` or
        ``"/v1internal:"``."""
        self.prefixes.append((prefix, name, handler, route))

    def match(self, path: str) -> tuple[LaneHandler, LaneMatch] | None:
        """The handler and ``match_info`` for a ``POST`` to ``path``, or ``None``."""
        exact = self.exact.get(path)
        if exact is not None:
            return exact[0], LaneMatch({}, exact[1])
        for prefix, name, handler, route in self.prefixes:
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                if rest and "/" not in rest:
                    return handler, LaneMatch({name: rest}, route)
        return None


LANES = web.AppKey("httplane", Lanes)
"""The app's lane routes (absent: the lane serves nothing and hands every connection to
aiohttp at its first request)."""


class Exchange(Protocol):
    """Where a handler's answer goes, the same for a lane request and an aiohttp one.

    Either :meth:`whole`, or :meth:`head` then :meth:`send` (any number of times) and
    finally ``send(..., end=True)``, :meth:`cut` or :meth:`reset`. :meth:`raw` writes
    bytes outside any framing (a deliberately broken body). ``gone()``: a future
    resolved when the client's connection is lost."""

    async def whole(self, status: int, headers: Headers, body: bytes) -> None: ...

    def head(self, status: int, headers: Headers, content_length: int | None = None) -> None: ...

    async def send(self, pieces: Sequence[bytes], *, end: bool = False) -> None: ...

    def closing(self) -> bool: ...

    def raw(self, data: bytes) -> None: ...

    async def flushed(self, limit_s: float = 1.0) -> None: ...

    def cut(self) -> None: ...

    def reset(self) -> None: ...

    def gone(self) -> asyncio.Future[None]: ...


def _frame(pieces: Sequence[bytes]) -> bytes:
    """Each non-empty piece as an HTTP chunk of its own (RFC 9112 section 7.1)."""
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p)


_PHRASES = {s.value: s.phrase.encode() for s in HTTPStatus}
_date_at = 0
_date_line = b""


def _date() -> bytes:
    """The ``Date`` field line, recomputed once a second."""
    global _date_at, _date_line
    now = int(time.time())
    if now != _date_at:
        _date_at = now
        _date_line = b"Date: " + formatdate(now, usegmt=True).encode() + b"\r\n"
    return _date_line


_HEADS: dict[tuple[int, Any, bool], bytes] = {}
"""Status line and fields per ``(status, headers, keep_alive)``: the hot routes answer
with a handful of constant header tuples."""
_HEADS_MAX = 512


def _head_bytes(
    status: int,
    headers: Headers,
    length: int | None,
    keep_alive: bool,
    cache: bool = True,
    extra: Headers = (),
) -> bytes:
    """The status line and fields: ``headers``, ``Server`` (aiohttp's unless ``headers``
    has one, as aiohttp's ``setdefault``, so the lane and aiohttp answer alike),
    ``Connection: close`` when the connection ends after this response,
    ``Content-Length`` (``Transfer-Encoding: chunked`` when ``length`` is ``None``) and
    ``Date``. ``cache``: keep the status line and fields for the next answer with the
    same ones (not for fields unique to one answer); ``extra``: fields of this answer
    alone, never cached."""
    key = (status, headers, keep_alive)
    try:
        prefix = _HEADS.get(key) if cache else None
    except TypeError:  # headers in a list: not cached
        prefix = None
    if prefix is None:
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, _PHRASES.get(status, b"Unknown"))]
        lines.extend(f"{k}: {v}\r\n".encode("utf-8", "surrogateescape") for k, v in headers)
        if not any(k.lower() == "server" for k, _ in headers):  # aiohttp's setdefault
            lines.append(b"Server: " + _SERVER + b"\r\n")
        if not keep_alive:
            lines.append(b"Connection: close\r\n")
        prefix = b"".join(lines)
        if cache and isinstance(headers, tuple) and len(_HEADS) < _HEADS_MAX:
            _HEADS[key] = prefix
    if extra:
        prefix += "".join([f"{k}: {v}\r\n" for k, v in extra]).encode("utf-8", "surrogateescape")
    if length is None:
        return prefix + b"Transfer-Encoding: chunked\r\n" + _date() + b"\r\n"
    return prefix + b"Content-Length: %d\r\n" % length + _date() + b"\r\n"


def _reset(transport: asyncio.BaseTransport | None) -> None:
    """Close with a TCP RST (``SO_LINGER`` on, 0 s: the kernel drops unsent bytes and
    resets) instead of a FIN."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # a socket that cannot linger still closes
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
    transport.abort()  # type: ignore[attr-defined]


async def _flushed(transport: asyncio.WriteTransport | None, limit_s: float) -> None:
    """Wait (at most ``limit_s`` seconds) until ``transport`` handed what it holds to the
    kernel, so a reset that follows does not discard it (on loopback small writes leave
    in the ``send`` call itself)."""
    waited = 0.0
    while (
        transport is not None
        and transport.get_write_buffer_size()
        and not transport.is_closing()
        and waited < limit_s
    ):
        await asyncio.sleep(0.001)
        waited += 0.001


class LaneExchange:
    """The :class:`Exchange` of a lane request: bytes go straight to the transport, the
    head with the first body bytes (one ``send`` for a body sent at once)."""

    __slots__ = ("_chunked", "_head", "_pending", "conn", "done", "request", "started")

    def __init__(self, conn: _Lane) -> None:
        self.conn = conn
        self.request: LaneRequest | None = None
        """The request answered (set by :class:`LaneRequest`)."""
        self._head = b""
        self._pending: tuple[int, Headers, int | None] | None = None
        self._chunked = True
        self.started = False
        """A status line was written (or is pending in :meth:`head`)."""
        self.done = False
        """The response is complete: the connection can serve the next request."""

    def _extra(self) -> Headers:
        """The fields :attr:`Lanes.fields` adds to this answer (none without it)."""
        fields = self.conn.fields
        request = self.request
        return fields(request) if fields is not None and request is not None else ()

    async def _prepared(self, status: int, headers: Headers) -> Headers:
        """``headers`` after the app's ``on_response_prepare`` handlers (as aiohttp runs
        them on every response; none: ``headers`` unchanged, no cost)."""
        signal = self.conn.prepare_signal
        if signal is None:
            return headers
        response = web.StreamResponse(status=status, headers=headers)
        await signal.send(self.request, response)
        return tuple(response.headers.items())

    async def whole(self, status: int, headers: Headers, body: bytes) -> None:
        conn = self.conn
        self.started = self.done = True
        prepared = conn.prepare_signal is not None
        if prepared:
            headers = await self._prepared(status, headers)
        head = _head_bytes(status, headers, len(body), conn.keep_alive, not prepared, self._extra())
        conn.transport.write(head + body)

    async def returned(self, response: web.Response) -> None:
        """Send what a handler returned: its status, headers (after the app's
        ``on_response_prepare`` handlers, which see ``response`` itself) and body."""
        conn = self.conn
        self.started = self.done = True
        signal = conn.prepare_signal
        if signal is not None:
            await signal.send(self.request, response)
        body = _body(response)
        fields = tuple(response.headers.items())
        head = _head_bytes(
            response.status, fields, len(body), conn.keep_alive, signal is None, self._extra()
        )
        conn.transport.write(head + body)

    def head(self, status: int, headers: Headers, content_length: int | None = None) -> None:
        self.started = True
        self._chunked = content_length is None
        if self.conn.prepare_signal is not None:
            self._pending = (status, headers, content_length)  # completed by the first send
        else:
            self._head = _head_bytes(
                status, headers, content_length, self.conn.keep_alive, True, self._extra()
            )

    async def send(self, pieces: Sequence[bytes], *, end: bool = False) -> None:
        transport = self.conn.transport
        if self._pending is not None:
            status, headers, length = self._pending
            self._pending = None
            headers = await self._prepared(status, headers)
            self._head = _head_bytes(status, headers, length, self.conn.keep_alive, False)
        if transport.is_closing():
            return
        data = _frame(pieces) if self._chunked else b"".join(pieces)
        if self._head:
            data = self._head + data
            self._head = b""
        if end:
            self.done = True
            if self._chunked:
                data += _END
        transport.write(data)
        if self.conn.drain is not None:  # the client reads slower than we write
            await self.conn.drain

    def closing(self) -> bool:
        return self.conn.transport.is_closing()

    def raw(self, data: bytes) -> None:
        self.conn.transport.write(data)

    async def flushed(self, limit_s: float = 1.0) -> None:
        await _flushed(self.conn.transport, limit_s)

    def cut(self) -> None:
        self.conn.transport.close()  # flushes what was written, never ends the body

    def reset(self) -> None:
        _reset(self.conn.transport)

    def gone(self) -> asyncio.Future[None]:
        return self.conn.lost


class _StreamReply(web.StreamResponse):
    """A stream whose status line and headers leave with its first body bytes (one
    syscall fewer per stream; the bytes on the wire are the same)."""

    _send_headers_immediately = False


class _Watch(asyncio.Protocol):
    """Stands in for aiohttp's protocol on a watched connection (``transport.
    set_protocol``): passes every event on and resolves ``gone`` when the connection
    is lost, so a handler that sends nothing still learns that the client left."""

    __slots__ = ("gone", "inner")

    def __init__(self, inner: asyncio.BaseProtocol, gone: asyncio.Future[None]) -> None:
        self.inner = inner
        self.gone = gone

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)  # type: ignore[attr-defined]

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()  # type: ignore[attr-defined, no-any-return]

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self.inner.connection_lost(exc)
        finally:
            if not self.gone.done():
                self.gone.set_result(None)


class AiohttpExchange:
    """The :class:`Exchange` of an aiohttp request. The handler returns :attr:`response`
    to aiohttp afterwards (already prepared and, unless cut, ended)."""

    __slots__ = ("_chunked", "_gone", "_request", "_stream", "response")

    def __init__(self, request: web.BaseRequest) -> None:
        self._request = request
        self.response: web.StreamResponse = web.Response(status=500)
        """What the handler returns to aiohttp."""
        self._stream: web.StreamResponse | None = None
        self._chunked = True
        self._gone: asyncio.Future[None] | None = None

    async def whole(self, status: int, headers: Headers, body: bytes) -> None:
        self.response = web.Response(body=body, status=status, headers=headers)

    def head(self, status: int, headers: Headers, content_length: int | None = None) -> None:
        response = _StreamReply(status=status, headers=headers)
        self._chunked = content_length is None
        if content_length is not None:
            response.content_length = content_length
        self.response = response

    async def send(self, pieces: Sequence[bytes], *, end: bool = False) -> None:
        response = self.response
        transport = self._request.transport
        if self._stream is None:  # the first send: through aiohttp, with the head
            self._stream = response
            await response.prepare(self._request)
            if end and len(pieces) <= 1:
                await response.write_eof(pieces[0] if pieces else b"")
                return
            if pieces:
                await response.write(pieces[0])
                pieces = pieces[1:]
            elif not end:
                await response.write(b"")  # the status line and headers, nothing else
        if transport is None or transport.is_closing():
            return
        if len(pieces) == 1:
            await response.write(pieces[0])  # aiohttp's framing and back-pressure
        elif pieces:  # several chunks in one send
            transport.write(_frame(pieces) if self._chunked else b"".join(pieces))
        if end:
            await response.write_eof()

    def closing(self) -> bool:
        transport = self._request.transport
        return transport is None or transport.is_closing()

    def raw(self, data: bytes) -> None:
        transport = self._request.transport
        if transport is not None:
            transport.write(data)

    async def flushed(self, limit_s: float = 1.0) -> None:
        await _flushed(self._request.transport, limit_s)

    def cut(self) -> None:
        transport = self._request.transport
        if transport is not None:
            transport.close()

    def reset(self) -> None:
        _reset(self._request.transport)

    def gone(self) -> asyncio.Future[None]:
        if self._gone is None:
            gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            transport = self._request.transport
            if transport is None or transport.is_closing():
                gone.set_result(None)
            else:
                transport.set_protocol(_Watch(transport.get_protocol(), gone))
            self._gone = gone
        return self._gone


def exchange(request: web.BaseRequest | LaneRequest) -> LaneExchange | AiohttpExchange:
    """The exchange a handler answers ``request`` through (a new one for an aiohttp
    request: return its ``response`` to aiohttp when done)."""
    if type(request) is LaneRequest:
        return request.exchange
    return AiohttpExchange(request)  # type: ignore[arg-type]


def _body(response: web.Response) -> bytes:
    """The bytes of a returned response (``TypeError`` for a streamed payload)."""
    body = response.body
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    raise TypeError(f"a lane handler returned a {type(body).__name__} body, not bytes")


_BAD_500 = b"500 Internal Server Error\n\nServer got itself in trouble"


_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_VALUE_CHAR = r"[^\x00-\x08\x0a-\x1f\x7f]"
"""A field-value character (RFC 9110 section 5.5): HTAB, SP, VCHAR or obs-text (bytes
0x80-0xFF arrive as code points >= 0x80 after the UTF-8/surrogateescape decoding)."""
_FIELD_LINES = re.compile(rf"(?:{_TOKEN}:{_VALUE_CHAR}*\r\n)*")
"""Field lines as RFC 9112 section 5 has them (a token, a colon, a value of field-value
characters), each ending in CRLF; anything else (obs-fold, a bare LF, a space before the
colon) is aiohttp's to judge."""
_FIELD = re.compile(rf"({_TOKEN}):[ \t]*((?:{_VALUE_CHAR}*[^\x00-\x20\x7f])?)[ \t]*\r\n")
"""One field line: its name and its value without the whitespace around it (greedy: a
third faster than a lazy value on the usual head)."""
_FIELD_BYTES = re.compile(_FIELD.pattern.encode())


_SPECIAL_NAMES = frozenset(
    ("content-length", "connection", "transfer-encoding", "expect", "upgrade")
)
"""The fields that decide how the lane reads the request (their initials: c, t, e, u)."""
_NOT_OURS = frozenset({"transfer-encoding", "expect", "upgrade"})


_Fields = tuple[CIMultiDictProxy[str], int, bool]
"""A head's fields as the lane reads them: the fields (case-insensitive, read-only), the
declared ``Content-Length`` (-1: none) and whether ``Connection`` asks to close."""
_PARSED: dict[bytes, _Fields | Literal[False]] = {}
""":func:`_parse_fields` per head (the field lines' bytes): a client sends the same head
again and again (the same fields, one ``Content-Length`` per body size), and the lane
reads it once (issue 16: reading a head was ~40% of the mock's unary request). ``False``:
a head the lane leaves to aiohttp."""
_PARSED_MAX = 512
_PARSED_HEAD_MAX = 4096
"""Heads longer than this (bytes) are read every time: the cache holds at most
``_PARSED_MAX`` of them, ~2 MiB."""


def _parse_fields(raw_head: bytes) -> _Fields | Literal[False]:
    """Read the field lines ``raw_head`` (each with its CRLF) strictly, RFC 9112 section
    5 (a token, a colon, a value of field-value characters); ``False`` when aiohttp must
    judge them: a malformed line (obs-fold, a bare LF, a space before the colon), a
    repeated framing field, ``Transfer-Encoding``, ``Expect`` or ``Upgrade``, or a
    ``Content-Length`` that is not plain digits."""
    head = raw_head.decode("utf-8", "surrogateescape")
    if _FIELD_LINES.fullmatch(head) is None:
        return False
    declared = -1
    close = False
    fields = _FIELD.findall(head)
    special = [
        (name.lower(), value)
        for name, value in fields
        if name[0] in "cCtTeEuU" and name.lower() in _SPECIAL_NAMES
    ]
    seen = set()
    for name, value in special:  # usually Content-Length alone
        if name in seen or name in _NOT_OURS:
            return False  # a repeated framing field, or one the lane leaves alone
        seen.add(name)
        if name == "content-length":
            if not (value.isascii() and value.isdigit()):
                return False  # "+5", "5, 5", a non-ASCII digit: aiohttp's to judge
            declared = int(value)
        else:  # connection
            value = value.lower()
            if "upgrade" in value:
                return False
            close = "close" in value
    return CIMultiDictProxy(CIMultiDict(fields)), declared, close


class _Resume:
    """The rest of a coroutine that already ran until it first waited (on ``waiting``),
    as an awaitable a task can drive: the lane runs a handler at once, inside
    ``data_received`` (no task, no trip through the event loop, for the answers that
    never wait), and only wraps what is left in a task when it does wait. asyncio has
    this as ``eager_task_factory`` from Python 3.12 on."""

    __slots__ = ("coro", "waiting")

    def __init__(self, coro: Coroutine[Any, Any, LaneExchange], waiting: Any) -> None:
        self.coro = coro
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, LaneExchange]:
        coro, value = self.coro, self.waiting
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]


class _Lane(asyncio.Protocol):
    """One connection while the lane serves it (see the module docstring)."""

    __slots__ = (
        "app",
        "buffer",
        "busy",
        "drain",
        "fields",
        "idle_at",
        "keep_alive",
        "lanes",
        "lost",
        "max_body",
        "paused",
        "prepare_signal",
        "site",
        "task",
        "transport",
    )

    def __init__(self, site: LaneSite) -> None:
        self.site = site
        self.app = site.app
        self.fields = site.lanes.fields
        self.prepare_signal = site.prepare_signal if self.fields is None else None
        self.idle_at = site.loop.time()
        """Loop time the connection last finished an answer (or was accepted)."""
        self.drain: asyncio.Future[None] | None = None
        """Set while the transport's write buffer is over its high-water mark."""
        self.lanes = site.lanes
        self.max_body = site.max_body
        self.buffer = b""
        self.busy = False
        self.paused = False
        self.keep_alive = True
        self.task: asyncio.Task[None] | None = None
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.lost: asyncio.Future[None] = site.loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.site.conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.site.conns.discard(self)
        if not self.lost.done():
            self.lost.set_result(None)
        self.resume_writing()
        if self.task is not None and self.site.handler_cancellation:
            self.task.cancel()  # as aiohttp's handler_cancellation=True does

    def pause_writing(self) -> None:
        if self.drain is None:
            self.drain = self.site.loop.create_future()

    def resume_writing(self) -> None:
        drain, self.drain = self.drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def eof_received(self) -> bool | None:
        self.keep_alive = False
        return None  # close, as aiohttp does: a client that half-closes has left

    def data_received(self, data: bytes) -> None:
        self.buffer = self.buffer + data if self.buffer else data
        if self.busy:
            if len(self.buffer) > _PAUSE_AT and not self.paused:
                self.paused = True
                self.transport.pause_reading()
            return
        self._next()

    def _next(self) -> None:
        """Serve the buffered requests the lane accepts, one at a time, until one is
        incomplete or still being answered; hand the connection to aiohttp at the first
        one the lane cannot take."""
        while not self.busy:
            buf = self.buffer
            if not buf:
                return
            end = buf.find(b"\r\n\r\n", 0, HEAD_LIMIT)
            line_end = buf.find(b"\r\n", 0, HEAD_LIMIT)
            if line_end < 0 or end < 0:
                if len(buf) >= HEAD_LIMIT or (line_end > 0 and not self._lane_line(buf[:line_end])):
                    self._hand_off()
                return
            try:
                accepted = self._accept(buf, line_end, end)
            except Exception:  # a head the lane misjudged: aiohttp reads it instead
                log.exception("httplane could not read a request head; aiohttp takes it")
                accepted = None
            if accepted is None:
                self._hand_off()
                return
            if not isinstance(accepted, tuple):
                return  # the body is still arriving
            handler, request, total = accepted
            handler = self.site.chained(handler)
            self.buffer = buf[total:]
            self.busy = True
            coro = self._run(handler, request)
            if not self.lanes.eager:
                self.task = self.site.loop.create_task(self._serve(coro))
                return
            try:  # run the handler now, until it first waits
                waiting = coro.send(None)
            except StopIteration:
                if not self._finished(request.exchange):
                    return
                continue
            except BaseException:
                self.transport.close()
                raise
            self.task = self.site.loop.create_task(self._serve(_Resume(coro, waiting)))
            return

    def _lane_line(self, line: bytes) -> bool:
        """Whether a request line could be one the lane serves."""
        parts = line.split(b" ")
        if len(parts) != 3 or parts[0] != b"POST" or parts[2] != b"HTTP/1.1":
            return False
        target = parts[1].decode("latin-1")
        return self.lanes.match(target.partition("?")[0]) is not None

    def _accept(
        self, buf: bytes, line_end: int, end: int
    ) -> tuple[LaneHandler, LaneRequest, int] | bool | None:
        """``(handler, request, bytes consumed)`` for a complete lane request, ``False``
        while its body is incomplete, ``None`` when aiohttp must take it."""
        line = buf[:line_end]
        if not line.startswith(b"POST /") or not line.endswith(b" HTTP/1.1"):
            return None
        target = line[5:-9]
        if b" " in target or b"%" in target or b"#" in target or not target.isascii():
            return None
        path, _, query = target.decode("ascii").partition("?")
        matched = self.lanes.match(path)
        if matched is None:
            return None
        raw_head = buf[line_end + 2 : end + 2]  # the field lines, each with its CRLF
        fields = _PARSED.get(raw_head)
        if fields is None:
            fields = _parse_fields(raw_head)
            if len(raw_head) <= _PARSED_HEAD_MAX and len(_PARSED) < _PARSED_MAX:
                _PARSED[raw_head] = fields
        if fields is False:
            return None
        headers, declared, close = fields
        if close:
            self.keep_alive = False
        length = declared
        length = max(length, 0)
        if length > self.max_body:
            return None  # aiohttp answers 413
        total = end + 4 + length
        if len(buf) < total:
            return False
        handler, match_info = matched
        request = LaneRequest(
            "POST",
            path,
            query,
            raw_head,
            headers,
            buf[end + 4 : total],
            match_info,
            LaneExchange(self),
            self.app,
            None if declared < 0 else declared,
        )
        return handler, request, total

    async def _run(self, handler: LaneHandler, request: LaneRequest) -> LaneExchange:
        """Answer ``request`` with ``handler`` (a 500 when it raises before answering);
        returns its exchange."""
        out = request.exchange
        try:
            result = await handler(request)
            if not out.started and type(result) is web.Response:
                await out.returned(result)
        except asyncio.CancelledError:
            self.transport.close()
            raise
        except Exception:
            log.exception("Error handling request")
            if not out.started and not self.transport.is_closing():
                self.keep_alive = False
                await out.whole(500, (("Content-Type", "text/plain; charset=utf-8"),), _BAD_500)
        finally:
            # request -> exchange -> request is a cycle: broken here, both are freed by
            # reference counting at once (left to the cyclic GC, it cost ~10% of c=1)
            out.request = None
        return out

    async def _serve(self, run: Awaitable[LaneExchange]) -> None:
        """The rest of an answer that had to wait, then the requests behind it."""
        try:
            out = await run
        finally:
            self.task = None
        if self._finished(out):
            self._next()

    def _finished(self, out: LaneExchange) -> bool:
        """After an answer: close the connection when it did not end its body (a cut, a
        reset) or keep-alive is off; else whether to serve the next request."""
        self.busy = False
        self.idle_at = self.site.loop.time()
        transport = self.transport
        if not out.done or not self.keep_alive:
            transport.close()
            return False
        if transport.is_closing():
            return False
        if self.paused:
            self.paused = False
            transport.resume_reading()
        return True

    def _hand_off(self) -> None:
        """Give the connection, with every byte not consumed, to aiohttp's protocol."""
        transport = self.transport
        self.site.conns.discard(self)
        handler = self.site.aiohttp_protocol()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        pending, self.buffer = self.buffer, b""
        if self.paused:
            self.paused = False
            transport.resume_reading()
        if pending:
            handler.data_received(pending)


class LaneSite(web.TCPSite):
    """:class:`aiohttp.web.TCPSite` with the lane in front (same arguments). The app's
    :data:`LANES` routes are served by the lane; everything else by aiohttp.

    The lane keeps what aiohttp does for every request of the app: the app's
    middlewares wrap each lane handler, its ``on_response_prepare`` handlers see each
    response's headers (or, when the app gives them as :attr:`Lanes.fields`, add their
    fields to it), the runner's ``keepalive_timeout`` (default 75 s) closes idle
    connections and its ``handler_cancellation`` cancels the handler of a client that
    disconnects. ``stop()`` closes the lane's connections too (their handlers are
    cancelled)."""

    __slots__ = (
        "_chains",
        "_sweeper",
        "app",
        "conns",
        "handler_cancellation",
        "keepalive_timeout",
        "lanes",
        "loop",
        "max_body",
        "prepare_signal",
    )

    def __init__(self, runner: web.BaseRunner, *args: Any, **kwargs: Any) -> None:
        super().__init__(runner, *args, **kwargs)
        self.conns: set[_Lane] = set()
        self.app: web.Application | None = None
        self.lanes = Lanes()
        self.max_body = 1024**2
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self.prepare_signal: Any = None
        options = getattr(runner, "_kwargs", {})
        self.keepalive_timeout = float(options.get("keepalive_timeout", 75.0))
        self.handler_cancellation = bool(options.get("handler_cancellation", False))
        self._chains: dict[LaneHandler, LaneHandler] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def aiohttp_protocol(self) -> asyncio.Protocol:
        server = self._runner.server
        assert server is not None
        return server()

    def chained(self, handler: LaneHandler) -> LaneHandler:
        """``handler`` inside the app's middlewares (outermost first, as aiohttp)."""
        chain = self._chains.get(handler)
        if chain is None:
            chain = handler
            middlewares = self.app.middlewares if self.app is not None else ()
            for middleware in reversed(middlewares):
                chain = partial(middleware, handler=chain)  # type: ignore[arg-type]
            self._chains[handler] = chain
        return chain

    async def start(self) -> None:
        await web.BaseSite.start(self)
        self.loop = asyncio.get_running_loop()
        runner = self._runner
        app = getattr(runner, "app", None)
        if isinstance(app, web.Application):
            self.app = app
            self.lanes = app.get(LANES) or Lanes()
            self.max_body = app._client_max_size
            if len(app.on_response_prepare):
                self.prepare_signal = app.on_response_prepare
        self._server = await self.loop.create_server(
            lambda: _Lane(self),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
        if self.keepalive_timeout > 0:
            self._sweeper = self.loop.create_task(self._sweep())

    async def _sweep(self) -> None:
        """Close lane connections idle for ``keepalive_timeout`` seconds (checked every
        quarter of it: a connection lives at most 1.25 times the timeout idle)."""
        limit = self.keepalive_timeout
        while True:
            await asyncio.sleep(limit / 4)
            now = self.loop.time()
            for conn in list(self.conns):
                if not conn.busy and not conn.buffer and now - conn.idle_at >= limit:
                    conn.transport.close()

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for conn in list(self.conns):
            if conn.task is not None:
                conn.task.cancel()
            conn.transport.close()
        await super().stop()
