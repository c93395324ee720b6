"""A lean HTTP/1.1 client for the proxy's hot path: ``generateContent`` and
``streamGenerateContent`` (issue 16).

Why: under load the aiohttp client cost more than everything else the proxy does per
request (a minimal aiohttp server relaying to the mock with ``aiohttp.ClientSession``
served ~3,600 req/s on two cores; with this client ~10,000-17,000). This is an
``asyncio.Protocol`` per connection, a keep-alive pool per origin, requests written in
one ``write`` and answers parsed in place (``Content-Length``, ``chunked`` or to EOF;
gzip/deflate bodies inflated), with the timeouts and errors the callers already handle:

- the connection: ``Settings.connect_timeout_s`` (``aiohttp.ConnectionTimeoutError``);
  a refused or failed connection is ``aiohttp.ClientConnectionError``;
- the answer: ``Settings.read_timeout_s`` between reads (``aiohttp.ServerTimeoutError``,
  a ``TimeoutError``), ``aiohttp.ServerDisconnectedError`` before the head,
  ``aiohttp.ClientPayloadError`` for a body cut short (the bytes that did arrive are
  returned first: :meth:`WireBody.readany`);
- a kept-alive connection the server closed while idle (nothing of the answer arrived)
  is retried once on a new connection, as browsers do;
- at most ``Settings.max_connections`` connections are in use at once;
- a caller's ``deadline`` (event-loop time) bounds the wait for a free connection, the
  connect and the head (:meth:`WirePool.post`) and a whole body (:meth:`WireResponse.read`):
  past it they raise a plain ``TimeoutError`` (not an ``aiohttp.ClientError``). The same
  timer as the read timeout, not an ``asyncio.timeout`` around the call: those cost ~10% of
  the proxy's unary requests/s at c=32 (issue 16).

The response object offers what the callers of :meth:`Upstream.generate
<reference_impl.upstream.client.Upstream.generate>` use of ``aiohttp.ClientResponse``:
``status``, ``headers``, ``content_type``, ``content`` (``readany``, ``iter_any``,
``read``, ``at_eof``), ``read()``, ``release()``, ``close()``. HTTP/1.1 is RFC 9112
(https://www.rfc-editor.org/rfc/rfc9112): message body length section 6.3, chunked
transfer coding section 7.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

__all__ = ["WireBody", "WirePool", "WireResponse"]

_HIGH_WATER = 1 << 21
"""Buffered body bytes above which the socket stops being read (2 MiB)."""
_MAX_HEAD = 1 << 16
"""The longest response head accepted (64 KiB)."""

# Body framings (RFC 9112 section 6.3)
_NONE, _LENGTH, _CHUNKED, _TO_EOF = range(4)
# Chunked parser states
_SIZE, _DATA, _DATA_END, _TRAILER = range(4)


class _Stale(Exception):
    """A reused connection closed before any byte of the answer: safe to retry."""


_SLACK = 0.05
"""How late (seconds) a wait of :class:`_Timers` may end after its expiry."""

_Fire = Callable[[asyncio.Future[Any]], None]


class _Timers:
    """The expiries of many waits on one event-loop timer, set for the earliest of them
    (moved only for one more than :data:`_SLACK` earlier): a wait fires at its expiry, up
    to ``_SLACK`` late. Arming and cancelling a uvloop timer costs ~3.5 us, and the head
    of every upstream answer, and every wait between the events of a stream, armed one;
    here the waits of a steady load, each expiring after the ones before, arm none
    (issue 16)."""

    __slots__ = ("_armed", "_at", "_handle", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._armed: dict[asyncio.Future[Any], tuple[float, _Fire]] = {}
        self._handle: asyncio.TimerHandle | None = None
        self._at = 0.0
        """Loop time the timer is set for (while :attr:`_handle` is set)."""

    def arm(self, waiter: asyncio.Future[Any], expiry: float, fire: _Fire) -> None:
        """Call ``fire(waiter)`` once ``expiry`` (loop time) has passed, unless
        :meth:`disarm` comes first."""
        self._armed[waiter] = (expiry, fire)
        if self._handle is None or expiry < self._at - _SLACK:
            self._set(expiry)

    def disarm(self, waiter: asyncio.Future[Any]) -> None:
        self._armed.pop(waiter, None)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._armed.clear()

    def _set(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._at = when
        self._handle = self.loop.call_at(when, self._sweep)

    def _sweep(self) -> None:
        self._handle = None
        now = self.loop.time()
        armed = self._armed
        for waiter in [w for w, (expiry, _) in armed.items() if expiry <= now]:
            _, fire = armed.pop(waiter)
            fire(waiter)
        if armed:  # not sooner than 1 ms: the loop's clock counts milliseconds
            self._set(max(min(expiry for expiry, _ in armed.values()), now + 0.001))


class WireBody:
    """The body of one answer, fed by the connection; read by the caller."""

    __slots__ = ("_chunks", "_conn", "_eof", "_exc", "_last", "_size", "_timeout", "_waiter")

    def __init__(self, conn: _Connection, timeout: float) -> None:
        self._conn = conn
        self._chunks: list[bytes] = []
        self._size = 0
        self._eof = False
        self._exc: BaseException | None = None
        self._waiter: asyncio.Future[bool | None] | None = None
        self._timeout = timeout
        self._last = time.monotonic()
        """When bytes last arrived: the read timeout runs from there, however often a
        caller restarts its wait (the relay's keep-alive timer does)."""

    # -- the connection's side

    def _feed(self, data: bytes) -> None:
        self._last = time.monotonic()
        self._chunks.append(data)
        self._size += len(data)
        if self._size > _HIGH_WATER:
            self._conn.pause()
        self._wake()

    def _feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def _fail(self, exc: BaseException) -> None:
        if not self._eof:
            self._exc = exc
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # -- the caller's side

    def at_eof(self) -> bool:
        """True when the whole body has been received and read."""
        return self._eof and not self._chunks

    async def readany(self, deadline: float | None = None) -> bytes:
        """The bytes received since the last read (waiting for some); ``b""`` at the
        end. Raises what broke the answer once the bytes before it have been read, and
        ``TimeoutError`` at ``deadline`` (loop time)."""
        while not self._chunks:
            if self._exc is not None:
                raise self._exc
            if self._eof:
                return b""
            await self._wait(None, deadline)
        return self._take()

    def _take(self) -> bytes:
        """Every byte received and not yet read (the socket is read again)."""
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._size = 0
        self._conn.resume()
        return data

    async def readany_within(self, seconds: float) -> bytes | None:
        """:meth:`readany`, or ``None`` when nothing arrived within ``seconds`` (the
        relay's keep-alive; cheaper than an ``asyncio.timeout`` around each read). The
        read timeout still runs from the last bytes received."""
        while not self._chunks:
            if self._exc is not None:
                raise self._exc
            if self._eof:
                return b""
            if not await self._wait(seconds):
                return None
        return await self.readany()

    async def read(self, deadline: float | None = None) -> bytes:
        """The whole (rest of the) body; ``TimeoutError`` when it is not all there by
        ``deadline`` (loop time)."""
        if self._eof:  # all there (the usual unary answer): no wait
            return self._take()
        parts: list[bytes] = []
        while True:
            data = await self.readany(deadline)
            if not data:
                return b"".join(parts)
            parts.append(data)

    async def iter_any(self) -> AsyncIterator[bytes]:
        """``readany`` until the end."""
        while True:
            data = await self.readany()
            if not data:
                return
            yield data

    async def _wait(self, within: float | None = None, deadline: float | None = None) -> bool:
        """Wait for bytes, the end or an error: ``True``; ``False`` when ``within``
        seconds passed first. Raises the read timeout (measured from the last bytes),
        or ``TimeoutError`` at ``deadline`` (loop time) when that comes first."""
        timers = self._conn._pool.timers()
        loop = timers.loop
        waiter: asyncio.Future[bool | None] = loop.create_future()
        self._waiter = waiter
        left = self._last + self._timeout - time.monotonic()
        now = loop.time()
        if within is not None and within < left:
            timers.arm(waiter, now + within, _quiet)
        elif deadline is not None and deadline - now < left:
            timers.arm(waiter, deadline, _overdue)
        else:
            timers.arm(waiter, now + left, _expire)
        try:
            return await waiter is None
        finally:
            timers.disarm(waiter)
            if self._waiter is waiter:
                self._waiter = None


def _quiet(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_result(False)


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(aiohttp.ServerTimeoutError("Timeout on reading data from socket"))


def _overdue(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("the deadline passed"))


class WireResponse:
    """One answer: status and headers read, body in :attr:`content`."""

    __slots__ = ("_conn", "_done", "_fields", "_headers", "content", "content_type", "status")

    def __init__(
        self, conn: _Connection, status: int, fields: str, ctype: str | None, body: WireBody
    ) -> None:
        self._conn = conn
        self._done = False
        self.status = status
        self._fields = fields
        self._headers: CIMultiDictProxy[str] | None = None
        self.content_type = (
            ctype.partition(";")[0].strip().lower() if ctype else "application/octet-stream"
        )
        self.content = body

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The answer's fields (case-insensitive; parsed on first use)."""
        if self._headers is None:
            self._headers = _fields(self._fields)
        return self._headers

    async def read(self, deadline: float | None = None) -> bytes:
        """The whole body; ``TimeoutError`` when it is not all there by ``deadline``
        (loop time)."""
        return await self.content.read(deadline)

    def release(self) -> None:
        """Done with the answer: the connection goes back to the pool when the body was
        read to its end and the server keeps it alive, else it is closed."""
        if self._done:
            return
        self._done = True
        self._conn.finish(reuse=self.content.at_eof())

    def close(self) -> None:
        """Done with the answer, its connection closed."""
        if self._done:
            return
        self._done = True
        self._conn.finish(reuse=False)


class _Connection(asyncio.Protocol):
    """One keep-alive connection to an origin and the parser of its answers."""

    __slots__ = (
        "_body",
        "_buf",
        "_chunk_left",
        "_chunk_state",
        "_framing",
        "_got_bytes",
        "_head_waiter",
        "_inflate",
        "_keep_alive",
        "_left",
        "_paused",
        "_pool",
        "_response",
        "_timeout",
        "closed",
        "idle_since",
        "key",
        "transport",
    )

    def __init__(self, pool: WirePool, key: tuple[str, int, bool]) -> None:
        self._pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._timeout = 300.0
        self._reset()

    def _reset(self) -> None:
        self._buf = bytearray()
        self._head_waiter: asyncio.Future[WireResponse] | None = None
        self._response: WireResponse | None = None
        self._body: WireBody | None = None
        self._framing = _NONE
        self._left = 0
        self._chunk_state = _SIZE
        self._chunk_left = 0
        self._inflate: Any = None
        self._keep_alive = True
        self._paused = False
        self._got_bytes = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # best effort
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._got_bytes = True
        if self._body is not None:
            self._body_bytes(data)
            return
        buf = self._buf
        if buf:  # the start of the head came before
            buf += data
            data = bytes(buf)
            buf.clear()
        self._parse_head(data)

    def eof_received(self) -> bool:
        self._end(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(exc)

    # -- the request

    async def send(self, data: bytes, timeout: float, deadline: float | None) -> WireResponse:
        """Write a request; wait for the head of its answer (``timeout`` seconds, or
        until ``deadline``, loop time, when that comes first)."""
        timers = self._pool.timers()
        loop = timers.loop
        waiter: asyncio.Future[WireResponse] = loop.create_future()
        self._head_waiter = waiter
        self._timeout = timeout
        assert self.transport is not None
        self.transport.write(data)
        expiry = loop.time() + timeout
        if deadline is not None and deadline < expiry:
            timers.arm(waiter, deadline, _overdue)
        else:
            timers.arm(waiter, expiry, _expire)
        try:
            return await waiter
        finally:
            timers.disarm(waiter)

    def finish(self, reuse: bool) -> None:
        """The caller is done with the answer (see :meth:`WireResponse.release`)."""
        body = self._body
        if reuse and self._keep_alive and not self.closed and body is not None and body._eof:
            self._reset()
            self._pool._put(self)
        else:
            self.close()
            self._pool._release()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()

    def pause(self) -> None:
        if not self._paused and self.transport is not None and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    # -- parsing

    def _parse_head(self, data: bytes) -> None:
        """Read the head at the start of ``data`` (the bytes not yet parsed), then hand
        what follows it to the body; an incomplete head waits in the buffer."""
        pos = 0
        while True:
            end = data.find(b"\r\n\r\n", pos)
            if end < 0:
                if len(data) - pos > _MAX_HEAD:
                    self._protocol_error("the response head is too long")
                else:
                    self._buf += data[pos:] if pos else data
                return
            try:
                status, fields, framing, version = _head(data[pos:end])
            except ValueError as exc:
                self._protocol_error(str(exc))
                return
            pos = end + 4
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue...): the real one follows
            break
        connection = framing.get("connection", "").lower()
        self._keep_alive = "close" not in connection and (
            version == "1.1" or "keep-alive" in connection
        )
        encoding = framing.get("content-encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            self._inflate = zlib.decompressobj(47 if encoding != "deflate" else zlib.MAX_WBITS)
        elif encoding not in ("", "identity"):
            self._protocol_error(f"unsupported Content-Encoding {encoding!r}")
            return
        body = WireBody(self, self._timeout)
        self._body = body
        te = framing.get("transfer-encoding")
        length = framing.get("content-length")
        if status in (204, 304):
            self._framing = _NONE
        elif te is not None and te.strip().lower().endswith("chunked"):
            self._framing = _CHUNKED
        elif length is not None:
            try:
                self._left = int(length)
            except ValueError:
                self._protocol_error(f"bad Content-Length {length!r}")
                return
            if self._left < 0:
                self._protocol_error(f"bad Content-Length {length!r}")
                return
            self._framing = _LENGTH if self._left else _NONE
        else:
            self._framing = _TO_EOF
            self._keep_alive = False
        response = WireResponse(self, status, fields, framing.get("content-type"), body)
        self._response = response
        if self._framing == _NONE:
            body._feed_eof()
        waiter = self._head_waiter
        self._head_waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(response)
        if pos < len(data):
            self._body_bytes(data[pos:])

    def _body_bytes(self, data: bytes) -> None:
        body = self._body
        assert body is not None
        framing = self._framing
        if framing == _LENGTH:
            left = self._left
            if len(data) >= left:
                if len(data) > left:
                    self._keep_alive = False  # bytes beyond the answer: do not reuse
                    data = data[:left]
                self._left = 0
                self._deliver(data)
                self._framing = _NONE
                self._body_end()
            else:
                self._left = left - len(data)
                self._deliver(data)
        elif framing == _CHUNKED:
            self._chunked(data)
        elif framing == _TO_EOF:
            self._deliver(data)
        else:
            self._keep_alive = False  # bytes after the answer ended

    def _deliver(self, data: bytes) -> None:
        if not data:
            return
        if self._inflate is not None:
            try:
                data = self._inflate.decompress(data)
            except zlib.error as exc:
                self._protocol_error(f"cannot inflate the body: {exc}")
                return
            if not data:
                return
        assert self._body is not None
        self._body._feed(data)

    def _body_end(self) -> None:
        assert self._body is not None
        if self._inflate is not None:
            tail = self._inflate.flush()
            if tail:
                self._body._feed(tail)
        self._body._feed_eof()

    def _chunked(self, data: bytes) -> None:
        """Decode the chunked transfer coding (RFC 9112 section 7.1), incrementally."""
        buf = self._buf
        if buf:
            buf += data
            view: bytes = bytes(buf)
            buf.clear()
        else:
            view = data
        pos = 0
        end = len(view)
        state = self._chunk_state
        while pos < end:
            if state == _DATA:
                take = min(self._chunk_left, end - pos)
                self._deliver(view[pos : pos + take] if take < end - pos or pos else view)
                pos += take
                self._chunk_left -= take
                if self._chunk_left:
                    break
                state = _DATA_END
            elif state == _DATA_END:
                if end - pos < 2:
                    break
                if view[pos : pos + 2] != b"\r\n":
                    self._protocol_error("a chunk is not followed by CRLF")
                    return
                pos += 2
                state = _SIZE
            elif state == _SIZE:
                nl = view.find(b"\r\n", pos)
                if nl < 0:
                    if end - pos > 4096:
                        self._protocol_error("a chunk size line is too long")
                        return
                    break
                try:
                    size = int(view[pos:nl].partition(b";")[0].strip(), 16)
                except ValueError:
                    self._protocol_error("a chunk size is not hexadecimal")
                    return
                if size < 0:
                    self._protocol_error("a chunk size is negative")
                    return
                pos = nl + 2
                if size:
                    self._chunk_left = size
                    state = _DATA
                else:
                    state = _TRAILER
            else:  # _TRAILER: lines until an empty one
                nl = view.find(b"\r\n", pos)
                if nl < 0:
                    if end - pos > _MAX_HEAD:
                        self._protocol_error("the chunked trailer is too long")
                        return
                    break
                empty = nl == pos
                pos = nl + 2
                if empty:
                    self._chunk_state = _SIZE
                    self._framing = _NONE
                    if pos < end:
                        self._keep_alive = False
                    self._body_end()
                    return
        self._chunk_state = state
        if pos < end:
            buf += view[pos:]

    def _protocol_error(self, message: str) -> None:
        self._keep_alive = False
        exc = aiohttp.ClientPayloadError(f"bad upstream answer: {message}")
        self._fail(exc)
        self.close()

    def _fail(self, exc: BaseException) -> None:
        waiter = self._head_waiter
        if waiter is not None:
            self._head_waiter = None
            if not waiter.done():
                waiter.set_exception(exc)
        elif self._body is not None:
            self._body._fail(exc)

    def _end(self, exc: Exception | None) -> None:
        """The server closed the connection (or it broke)."""
        was_closed = self.closed
        self.closed = True
        self._keep_alive = False
        if self._body is not None:
            if self._framing == _TO_EOF and exc is None:
                self._framing = _NONE
                self._body_end()
            elif self._framing != _NONE:
                cut = aiohttp.ClientPayloadError("Response payload is not completed")
                self._body._fail(cut)
        elif self._head_waiter is not None:
            if not self._got_bytes and self.idle_since:
                self._fail(_Stale())
            else:
                self._fail(aiohttp.ServerDisconnectedError())
        elif not was_closed:
            self._pool._drop(self)


_FRAMING = frozenset(
    ("connection", "content-encoding", "content-length", "content-type", "transfer-encoding")
)
"""The fields that decide how the body is read; the others are parsed only when
:attr:`WireResponse.headers` is read (a multidict of every field was ~4% of the proxy's
unary requests/s at c=32, issue 16)."""


def _head(raw: bytes) -> tuple[int, str, dict[str, str], str]:
    """``(status, field lines, framing fields, version)`` of a response head (without its
    blank line); the framing fields by lower-case name, the first of each kept. Raises
    ``ValueError`` for a malformed head."""
    text = raw.decode("latin-1")
    status_line, _, rest = text.partition("\r\n")
    version, _, tail = status_line.partition(" ")
    if not version.startswith("HTTP/"):
        raise ValueError(f"not an HTTP answer: {status_line[:40]!r}")
    code = tail[:3]
    if len(code) != 3 or not code.isdigit():
        raise ValueError(f"bad status line {status_line[:40]!r}")
    framing: dict[str, str] = {}
    if rest:
        for line in rest.split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise ValueError(f"bad header line {line[:40]!r}")
            if name[0] in "cCtT":  # the framing fields' initials: most fields skip lower()
                key = name.lower()
                if key in _FRAMING and key not in framing:
                    framing[key] = value.strip(" \t")
    return int(code), rest, framing, version[5:]


def _fields(rest: str) -> CIMultiDictProxy[str]:
    """The field lines of a head (checked by :func:`_head`) as a read-only multidict."""
    headers: CIMultiDict[str] = CIMultiDict()
    if rest:
        for line in rest.split("\r\n"):
            name, _, value = line.partition(":")
            headers.add(name, value.strip(" \t"))
    return CIMultiDictProxy(headers)


def _field_block(pairs: tuple[tuple[str, str], ...]) -> bytes:
    """The field lines of a request's own headers; ``aiohttp.ClientError`` for a line
    break in one (a header injection)."""
    lines = []
    for name, value in pairs:
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            raise aiohttp.ClientError(f"header {name} holds a line break")
        lines.append(f"{name}: {value}\r\n".encode())
    return b"".join(lines)


class _Slots:
    """At most ``limit`` connections in use; callers wait their turn in order, each until
    its own deadline. (``asyncio.Semaphore`` scans its waiters on every ``acquire``, and a
    deadline around it takes an ``asyncio.timeout``: both on every request, issue 16.)"""

    __slots__ = ("_free", "_waiters")

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, deadline: float | None) -> None:
        """Take a slot, waiting for one; ``TimeoutError`` at ``deadline`` (loop time)."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_at(deadline, _overdue, waiter) if deadline is not None else None
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # handed a slot just as it gave up: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def release(self) -> None:
        """Give a slot back: to the first caller still waiting, else to the pool."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class WirePool:
    """Keep-alive connections per origin, at most ``limit`` in use; see the module."""

    __slots__ = (
        "_blocks",
        "_connect_timeout",
        "_idle",
        "_keepalive",
        "_prefixes",
        "_read_timeout",
        "_slots",
        "_ssl",
        "_timers",
    )

    def __init__(
        self,
        *,
        limit: int,
        connect_timeout: float,
        read_timeout: float,
        keepalive: float = 60.0,
    ) -> None:
        self._idle: dict[tuple[str, int, bool], deque[_Connection]] = {}
        self._slots = _Slots(limit)
        self._timers: _Timers | None = None
        """The waits' timers, on the loop of the requests (set by the first :meth:`post`:
        on Python 3.11 each ``asyncio.get_running_loop()`` is a ``getpid`` system call)."""
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._keepalive = keepalive
        self._prefixes: dict[URL, tuple[tuple[str, int, bool], bytes]] = {}
        self._blocks: dict[tuple[tuple[str, str], ...], bytes] = {}
        """The encoded field lines per set of request headers (a credential's: a few)."""
        self._ssl: ssl.SSLContext | None = None

    async def post(
        self, url: URL, headers: dict[str, str], body: bytes, deadline: float | None = None
    ) -> WireResponse:
        """POST ``body`` to ``url`` (an absolute http or https URL) with ``headers``;
        the answer with its head read. Raises ``aiohttp.ClientError`` subclasses and
        ``TimeoutError`` (see the module), a plain one when the wait for a connection, the
        connect or the head reaches ``deadline`` (loop time)."""
        found = self._prefixes.get(url)
        if found is None:
            found = self._prefix(url)
        key, prefix = found
        pairs = tuple(headers.items())
        block = self._blocks.get(pairs)
        if block is None:
            block = _field_block(pairs)
            if len(self._blocks) >= 256:
                self._blocks.clear()
            self._blocks[pairs] = block
        request = b"".join((prefix, block, b"Content-Length: %d\r\n\r\n" % len(body), body))
        await self._slots.acquire(deadline)
        conn: _Connection | None = None
        try:
            conn = self._take(key)
            if conn is not None:
                try:
                    return await conn.send(request, self._read_timeout, deadline)
                except _Stale:
                    pass  # closed while idle: once more on a new connection
            conn = await self._connect(key, deadline)
            try:
                return await conn.send(request, self._read_timeout, deadline)
            except _Stale:
                raise aiohttp.ServerDisconnectedError() from None
        except BaseException:
            if conn is not None:
                conn.close()
            self._slots.release()
            raise

    def timers(self) -> _Timers:
        """The timers of the waits (made on first use, on the running loop)."""
        timers = self._timers
        if timers is None:
            timers = self._timers = _Timers(asyncio.get_running_loop())
        return timers

    def _prefix(self, url: URL) -> tuple[tuple[str, int, bool], bytes]:
        if url.scheme not in ("http", "https") or not url.host:
            raise aiohttp.InvalidURL(url)
        tls = url.scheme == "https"
        port = url.port or (443 if tls else 80)
        host = url.raw_host or url.host
        default = port == (443 if tls else 80)
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal is bracketed
        authority = name if default else f"{name}:{port}"
        target = url.raw_path_qs or "/"
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {authority}\r\n"
            "Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
            f"User-Agent: reference-proxy aiohttp/{aiohttp.__version__}\r\n"
        ).encode("ascii")
        found = ((host, port, tls), head)
        if len(self._prefixes) > 512:
            self._prefixes.clear()
        self._prefixes[url] = found
        return found

    def _take(self, key: tuple[str, int, bool]) -> _Connection | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.closed or now - conn.idle_since > self._keepalive:
                conn.close()
                continue
            return conn
        return None

    async def _connect(self, key: tuple[str, int, bool], deadline: float | None) -> _Connection:
        host, port, tls = key
        loop = asyncio.get_running_loop()
        limit = self._connect_timeout
        overdue = deadline is not None and deadline - loop.time() < limit
        if overdue:
            assert deadline is not None
            limit = deadline - loop.time()
        context: ssl.SSLContext | None = None
        if tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        try:
            async with asyncio.timeout(limit):
                _, conn = await loop.create_connection(
                    lambda: _Connection(self, key),
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if tls else None,
                )
        except TimeoutError:
            if overdue:
                raise TimeoutError("the deadline passed") from None
            raise aiohttp.ConnectionTimeoutError(
                f"Connection timeout to host {host}:{port}"
            ) from None
        except OSError as exc:
            raise aiohttp.ClientConnectionError(f"cannot connect to {host}:{port}: {exc}") from exc
        return conn

    # -- called by connections

    def _put(self, conn: _Connection) -> None:
        conn.idle_since = time.monotonic()
        idle = self._idle.get(conn.key)
        if idle is None:
            idle = self._idle[conn.key] = deque()
        idle.append(conn)
        self._slots.release()

    def _release(self) -> None:
        self._slots.release()

    def _drop(self, conn: _Connection) -> None:
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    def close(self) -> None:
        """Close every idle connection (and stop the timers)."""
        if self._timers is not None:
            self._timers.close()
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        self._idle.clear()
