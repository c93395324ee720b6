"""What every route of the aiohttp shell shares: state, credentials, quotas, sending.

One :class:`Core` per application holds the journal, the scenario queue, the reply
memo, the key quotas with the (injectable) clock, the OAuth token issuer and the Code
Assist accounts. :meth:`Core.send` records a request in the journal and sends a
:class:`~mockserver.responses.Reply`: whole, or as timed writes (chunked, or with
``Content-Length`` when the reply says so), or cut mid-body, or with a transport fault
(:mod:`mockserver.faults`: a TCP reset, broken chunk framing, silence or an endless
trickle; :meth:`Core.wait_faults` tells when none is open any more).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from mockserver import errors
from mockserver.faults import Fault, journal_status
from mockserver.framing import Write
from mockserver.journal import Journal
from mockserver.oauth import TokenIssuer
from mockserver.quota import Quotas
from mockserver.request import CID_HEADER, request_cid
from mockserver.responses import Handled, Reply
from mockserver.settings import Settings
from spec.scenarios import Directive

__all__ = ["CACHE_MAX_BODY", "CACHE_SIZE", "Clock", "Core", "send_fault", "stream"]

Clock = Callable[[], float]
"""Monotonic seconds; only key quota windows read it."""
CACHE_SIZE = 1024
"""Replies memoised per app (oldest dropped first): same inputs give the same reply."""
CACHE_MAX_BODY = 16 * 1024


class Core:
    """Per-application state and helpers (see the module docstring)."""

    __slots__ = (
        "_idle",
        "accepted",
        "cache",
        "clock",
        "faults_open",
        "issuer",
        "journal",
        "onboarded",
        "queue",
        "quotas",
        "restricted",
        "seed",
        "settings",
    )

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.seed = settings.seed
        self.journal = Journal(settings.journal_size)
        self.queue: deque[Directive] = deque()
        self.cache: OrderedDict[tuple[Any, ...], Handled] = OrderedDict()
        self.clock = clock
        self.quotas = Quotas()
        for key, per_minute, per_day in settings.key_quotas:
            self.quotas.set(key, per_minute, per_day)
        self.restricted = bool(settings.api_keys)
        """Only :attr:`accepted` keys pass; otherwise any non-empty key does."""
        self.accepted = set(settings.api_keys) | {k for k, _, _ in settings.key_quotas}
        self.issuer = TokenIssuer(settings.seed, settings.refresh_tokens)
        self.onboarded: dict[str, str] = {}
        """Code Assist account (token subject) -> its project, once onboarded."""
        self.faults_open = 0
        """Fault replies (:mod:`mockserver.faults`) being sent or held right now."""
        self._idle: list[tuple[Callable[[int], bool], asyncio.Future[None]]] = []

    async def wait_faults(self, test: Callable[[int], bool]) -> None:
        """Return once ``test(faults_open)`` holds (checked now and whenever a fault
        reply starts or ends). ``wait_faults(lambda n: n == 0)``: every fault handler's
        ``finally`` ran (its connection reset, closed or left by the client)."""
        if test(self.faults_open):
            return
        waiter = asyncio.get_running_loop().create_future()
        self._idle.append((test, waiter))
        await waiter

    def _faults_changed(self, delta: int) -> None:
        self.faults_open += delta
        if self._idle:
            keep = []
            for test, waiter in self._idle:
                if waiter.done():
                    continue
                if test(self.faults_open):
                    waiter.set_result(None)
                else:
                    keep.append((test, waiter))
            self._idle = keep

    def pop_queued(self) -> Directive | None:
        """The next queued directive (consumed), or ``None``."""
        return self.queue.popleft() if self.queue else None

    def key_error(self, key: str) -> errors.GoogleError | None:
        """``API_KEY_INVALID`` when keys are restricted and ``key`` is not accepted."""
        if self.restricted and key not in self.accepted:
            return errors.api_key_invalid()
        return None

    def add_key(self, key: str, per_minute: int | None, per_day: int | None) -> None:
        """Give ``key`` a quota (``ValueError`` on a bad limit) and accept it."""
        self.quotas.set(key, per_minute, per_day)
        self.accepted.add(key)

    def over_quota(self, key: str, model: str) -> errors.GoogleError | None:
        """Count one model call for ``key``; Google's 429 when its quota is spent (A5)."""
        verdict = self.quotas.take(key, self.clock())
        if verdict is None:
            return None
        if verdict.period == "day":
            return errors.daily_quota(model, verdict.limit)
        return errors.rate_limit(model, verdict.retry_after, verdict.limit)

    def memo(self, key: tuple[Any, ...], size: int, make: Callable[[], Handled]) -> Handled:
        """``make()``, memoised under ``key`` while the scenario queue is empty and the
        request body (``size`` bytes) is small."""
        cacheable = not self.queue and size <= CACHE_MAX_BODY
        cache = self.cache
        handled = cache.get(key) if cacheable else None
        if handled is None:
            handled = make()
            if cacheable:
                if len(cache) >= CACHE_SIZE:
                    cache.popitem(last=False)
                cache[key] = handled
        return handled

    async def send(
        self,
        request: web.Request,
        handled: Handled,
        raw: bytes = b"",
        secrets: tuple[tuple[str, str], ...] = (),
    ) -> web.StreamResponse:
        """Record the request (``raw`` body, extra ``secrets``) and send the reply.

        The journal's ``cid`` is :func:`~mockserver.request.request_cid`'s: the
        ``x-mock-cid`` header, else the directive's, else the last one written in the
        body, so a body the mock rejects before reading its directive is still filed
        under its id."""
        reply = handled.reply
        directive = handled.directive
        cid = request_cid(
            request.headers.get(CID_HEADER), directive.cid if directive is not None else None, raw
        )
        self.journal.record(
            method=request.method,
            path=request.path,
            query=request.rel_url.raw_query_string,
            headers=request.raw_headers,
            body=raw,
            scenario=directive.scenario.value if directive is not None else None,
            cid=cid,
            status=reply.status
            if reply.fault is None
            else journal_status(reply.fault, reply.status),  # None: no status line sent
            response=reply.summary,
            secrets=secrets,
        )
        if reply.first_byte_ms:
            await asyncio.sleep(reply.first_byte_ms / 1000)
        if reply.writes is None:
            return web.Response(body=reply.body, status=reply.status, headers=reply.headers)
        if reply.fault is not None:
            return await self._send_fault(request, reply)
        return await stream(request, reply)

    async def _send_fault(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        self._faults_changed(1)
        try:
            return await send_fault(request, reply)
        finally:
            self._faults_changed(-1)


class _StreamReply(web.StreamResponse):
    """A stream whose status line and headers leave with its first body bytes.

    aiohttp would otherwise send them in a packet of their own; the bytes on the wire
    are the same, only one syscall fewer per stream (the hot path of a benchmark).
    """

    _send_headers_immediately = False


def _burst(
    writes: tuple[Write, ...], start: int, chunked: bool, separate: bool = False
) -> tuple[bytes, int]:
    """The bytes of ``writes[start:]`` up to the next delay (only ``writes[start]`` when
    ``separate``), each write framed as its own HTTP chunk when ``chunked`` (RFC 9112
    section 7.1), and where the burst ends."""
    end = start
    while end < len(writes) and (end == start or not (writes[end].delay_ms or separate)):
        end += 1
    parts = writes[start:end]
    if not chunked:
        return b"".join(w.data for w in parts), end
    return b"".join(b"%x\r\n%s\r\n" % (len(w.data), w.data) for w in parts if w.data), end


async def stream(request: web.Request, reply: Reply) -> web.StreamResponse:
    """Send ``reply.writes`` (each after its delay), then end or cut.

    Chunked unless ``reply.content_length`` is set. Every write is an HTTP chunk of its
    own, so an HTTP client sees the pieces the directive asked for; writes with no delay
    between them leave in one socket send (the events of an unpaced stream are all
    ready at once, and one send per event cost ~10 µs each), except with
    ``reply.separate`` (``split``), whose pieces must arrive as separate reads. The end
    of the body goes out with the last bytes; with ``reply.abort`` the connection is
    closed instead (a chunked body without its last chunk, or fewer bytes than
    ``Content-Length``).
    """
    writes = reply.writes
    assert writes is not None
    response = _StreamReply(status=reply.status, headers=reply.headers)
    chunked = reply.content_length is None
    if not chunked:
        response.content_length = reply.content_length
    try:
        await response.prepare(request)
        if writes and writes[0].delay_ms:
            await asyncio.sleep(writes[0].delay_ms / 1000)
        i = 0
        transport = request.transport
        while i < len(writes):
            if i and writes[i].delay_ms:
                await asyncio.sleep(writes[i].delay_ms / 1000)
            if i == 0:  # through aiohttp: the status line and headers go with it
                if len(writes) == 1 and not reply.abort:
                    await response.write_eof(writes[0].data)
                    return response
                await response.write(writes[0].data)
                i = 1
                continue
            data, i = _burst(writes, i, chunked, reply.separate)
            if transport is None or transport.is_closing():
                return response
            transport.write(data)
        if reply.abort:
            if not writes:
                await response.write(b"")  # the status line and headers, nothing else
            if transport is not None:
                transport.close()  # flushes what was written, never ends the body
            return response
        await response.write_eof()
    except ConnectionError:
        pass  # the client went away; nothing left to tell it
    return response


_LINGER_ZERO = struct.pack("ii", 1, 0)
_DRAIN_POLL_S = 0.001
_DRAIN_LIMIT_S = 1.0


class _Watch(asyncio.Protocol):
    """Stands in for aiohttp's protocol on a faulted connection (``transport.
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


def _watch(request: web.Request) -> asyncio.Future[None]:
    """A future resolved when the request's connection is lost (already resolved when
    it is)."""
    gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    transport = request.transport
    if transport is None or transport.is_closing():
        gone.set_result(None)
    else:
        transport.set_protocol(_Watch(transport.get_protocol(), gone))
    return gone


async def _flushed(transport: asyncio.Transport) -> None:
    """Wait (at most a second) until ``transport`` handed what it holds to the kernel,
    so a reset that follows does not discard it. On loopback the buffer is empty
    at once: small writes leave in the ``send`` call itself."""
    waited = 0.0
    while transport.get_write_buffer_size() and not transport.is_closing():
        if waited >= _DRAIN_LIMIT_S:
            return
        await asyncio.sleep(_DRAIN_POLL_S)
        waited += _DRAIN_POLL_S


def _reset(transport: asyncio.Transport | None) -> None:
    """Close with a TCP RST (``SO_LINGER`` on, 0 s: the kernel drops unsent bytes and
    resets) instead of a FIN."""
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # a socket that cannot linger still closes
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
    transport.abort()


async def send_fault(request: web.Request, reply: Reply) -> web.StreamResponse:
    """Carry out ``reply.fault`` (:class:`~mockserver.faults.Fault`); returns once the
    connection is reset or closed, or the client has left (never before, for
    ``never_answer`` and ``trickle``). Nothing is left running afterwards.

    - ``reset_before``: RST, nothing sent;
    - ``reset_during``: status, headers, ``reply.writes`` (each after its delay), RST;
    - ``malformed_chunk``: status, headers, the writes as HTTP chunks, then
      ``reply.bad_tail`` raw (an illegal chunk-size line), then a plain close;
    - ``never_answer``: nothing until the client leaves;
    - ``trickle``: status and headers, then the single write's data every
      ``delay_ms`` until the client leaves.
    """
    fault = reply.fault
    unsent = web.Response(status=reply.status)  # what aiohttp is handed when nothing was sent
    if fault is Fault.RESET_BEFORE:
        _reset(request.transport)
        return unsent
    gone = _watch(request)
    try:
        if fault is Fault.NEVER_ANSWER:
            await gone
            return unsent
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        if reply.content_length is not None:
            response.content_length = reply.content_length
        writes = reply.writes or ()
        await response.prepare(request)  # the status line and headers leave now
        if fault is Fault.TRICKLE:
            tick = writes[0]
            while True:
                done, _ = await asyncio.wait((gone,), timeout=tick.delay_ms / 1000)
                if done:
                    return response
                await response.write(tick.data)
        for write in writes:
            if write.delay_ms:
                await asyncio.sleep(write.delay_ms / 1000)
            await response.write(write.data)
        transport = request.transport
        if transport is None or transport.is_closing():
            return response
        await _flushed(transport)
        if fault is Fault.RESET_DURING:
            _reset(transport)
        else:
            transport.write(reply.bad_tail)
            transport.close()  # flushes the bad tail, then FIN
        return response
    except ConnectionError:
        return unsent  # the client went away first
    finally:
        if not gone.done():
            gone.cancel()
