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
from collections import OrderedDict, deque
from collections.abc import Callable
from functools import partial
from typing import Any

from aiohttp import web

from httplane import Exchange, LaneRequest, exchange, parse_raw_headers
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

__all__ = ["CACHE_MAX_BODY", "CACHE_SIZE", "Clock", "Core", "Incoming", "send_fault", "transmit"]

Clock = Callable[[], float]
"""Monotonic seconds; only key quota windows read it."""
CACHE_SIZE = 1024
"""Replies memoised per app (oldest dropped first): same inputs give the same reply."""
CACHE_MAX_BODY = 16 * 1024
Incoming = web.Request | LaneRequest
"""A request as a route handler sees it: aiohttp's, or the fast lane's (:mod:`httplane`:
the same ``method``, ``path``, ``headers``, ``raw_headers``, ``query``, ``match_info``
and ``read()``)."""


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
        request: Incoming,
        handled: Handled,
        raw: bytes = b"",
        secrets: tuple[tuple[str, str], ...] = (),
    ) -> web.StreamResponse:
        """Record the request (``raw`` body, extra ``secrets``) and send the reply.

        ``request``: an aiohttp request or a :class:`httplane.LaneRequest` (the fast
        lane's; the returned response is then a placeholder the lane ignores).
        The journal files it under the directive's scenario, or ``capture:NAME`` when
        the directive replays a capture (:mod:`mockserver.captures`). The journal's
        ``cid`` is :func:`~mockserver.request.request_cid`'s: the ``x-mock-cid``
        header, else the directive's, else the last one written in the body, so a body
        the mock rejects before reading its directive is still filed under its id."""
        reply = handled.reply
        directive = handled.directive
        scenario = None
        if directive is not None:
            cid = request_cid(request.headers.get(CID_HEADER), directive.cid, raw)
            capture = directive.capture
            scenario = directive.scenario.value if capture is None else f"capture:{capture}"
        else:
            cid = request_cid(request.headers.get(CID_HEADER), None, raw)
        lane = type(request) is LaneRequest
        self.journal.record(
            method=request.method,
            path=request.path,
            query=request.raw_query_string if lane else request.rel_url.raw_query_string,  # type: ignore[union-attr]
            # a lane request's fields are parsed when the journal is read, not now
            headers=partial(parse_raw_headers, request.raw_head) if lane else request.raw_headers,  # type: ignore[union-attr]
            body=raw,
            scenario=scenario,
            cid=cid,
            status=reply.status
            if reply.fault is None
            else journal_status(reply.fault, reply.status),  # None: no status line sent
            response=reply.summary,
            secrets=secrets,
        )
        out = exchange(request)
        if reply.fault is not None:
            self._faults_changed(1)
            try:
                await send_fault(out, reply)
            finally:
                self._faults_changed(-1)
        else:
            await transmit(out, reply)
        return _LANE_ANSWERED if lane else out.response  # type: ignore[union-attr]


_LANE_ANSWERED = web.Response()
"""What :meth:`Core.send` returns for a lane request (the lane ignores it)."""


def _burst(writes: tuple[Write, ...], start: int, separate: bool) -> tuple[list[bytes], int]:
    """The data of ``writes[start:]`` up to the next delay (only ``writes[start]`` when
    ``separate``), and where the burst ends."""
    end = start + 1
    if not separate:
        while end < len(writes) and not writes[end].delay_ms:
            end += 1
    return [w.data for w in writes[start:end]], end


async def transmit(out: Exchange, reply: Reply) -> None:
    """Send ``reply`` (no fault) through ``out``: after ``reply.first_byte_ms``, its body
    whole, or its writes (each after its delay) then the end of the body, or, with
    ``reply.abort``, a close instead of the end.

    A whole body goes with ``Content-Length``, or as one HTTP chunk with
    ``reply.chunked``; writes are chunked unless ``reply.content_length`` is set, every
    write an HTTP chunk of its own, so an HTTP client sees the pieces the directive
    asked for. Writes with no delay between them leave in one socket send with the
    status line and the end of the body (the events of an unpaced stream are all ready
    at once), except with
    ``reply.separate`` (``split``), whose pieces must arrive as separate reads. A cut
    body is a chunked body without its last chunk, or fewer bytes than
    ``Content-Length``.
    """
    if reply.first_byte_ms:
        await asyncio.sleep(reply.first_byte_ms / 1000)
    writes = reply.writes
    if writes is None:
        if reply.chunked:
            out.head(reply.status, reply.headers, None)
            await out.send((reply.body,), end=True)
        else:
            await out.whole(reply.status, reply.headers, reply.body)
        return
    out.head(reply.status, reply.headers, reply.content_length)
    try:
        i = 0
        count = len(writes)
        while i < count:
            if writes[i].delay_ms:
                await asyncio.sleep(writes[i].delay_ms / 1000)
            pieces, i = _burst(writes, i, reply.separate)
            if out.closing():
                return
            await out.send(pieces, end=i == count and not reply.abort)
        if not count:
            await out.send((), end=not reply.abort)
        if reply.abort:
            out.cut()
    except ConnectionError:
        pass  # the client went away; nothing left to tell it


async def send_fault(out: Exchange, reply: Reply) -> None:
    """Carry out ``reply.fault`` (:class:`~mockserver.faults.Fault`) through ``out``;
    returns once the connection is reset or closed, or the client has left (never
    before, for ``never_answer`` and ``trickle``). Nothing is left running afterwards.

    - ``reset_before``: RST, nothing sent;
    - ``reset_during``: status, headers, ``reply.writes`` (each after its delay), RST;
    - ``malformed_chunk``: status, headers, the writes as HTTP chunks, then
      ``reply.bad_tail`` raw (an illegal chunk-size line), then a plain close;
    - ``never_answer``: nothing until the client leaves;
    - ``trickle``: status and headers, then the single write's data every
      ``delay_ms`` until the client leaves.
    """
    fault = reply.fault
    if fault is Fault.RESET_BEFORE:
        out.reset()
        return
    gone = out.gone()
    try:
        if fault is Fault.NEVER_ANSWER:
            await gone
            return
        writes = reply.writes or ()
        out.head(reply.status, reply.headers, reply.content_length)
        await out.send(())  # the status line and headers leave now
        if fault is Fault.TRICKLE:
            tick = writes[0]
            while True:
                done, _ = await asyncio.wait((gone,), timeout=tick.delay_ms / 1000)
                if done:
                    return
                await out.send((tick.data,))
        for write in writes:
            if write.delay_ms:
                await asyncio.sleep(write.delay_ms / 1000)
            await out.send((write.data,))
        if out.closing():
            return
        await out.flushed()
        if fault is Fault.RESET_DURING:
            out.reset()
        else:
            out.raw(reply.bad_tail)
            out.cut()  # flushes the bad tail, then FIN
    except ConnectionError:
        return  # the client went away first
