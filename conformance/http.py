"""The suite's I/O: send a probe's request, record the response as it arrives.

Bodies are read as a client reads them: the request offers ``gzip, deflate`` like
openai-python (httpx's default) and the body is decoded per ``Content-Encoding``
(``iter_bytes``), each piece with its arrival time, capped at :data:`MAX_BODY` bytes. Transport
failures become an :class:`Exchange` with ``status=None`` and the reason, never an
exception: a check then reports ``error`` rather than crashing the run.

The exchange also records the framing truth a client meets: the declared
``Content-Length``, the bytes received on the wire (before decoding), and how the framing
broke (a body shorter than declared, a reset, a truncated or malformed chunked body, bytes
past the declared length). A probe whose scripted upstream answer breaks off waits at most
:data:`HANG_IDLE_S` for each next byte; a target silent that long without ending is
recorded as hung (``Exchange.hung_s``) and the connection closed.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from urllib.parse import urlsplit

import httpx

from spec.mock_admin import JournalEntry, JournalMismatch, read_requests

from .exchange import Exchange, Framing, Request
from .probes import PROBES

__all__ = [
    "CONNECT_TIMEOUT_S",
    "HANG_IDLE_S",
    "MAX_BODY",
    "REQUEST_DEADLINE_S",
    "RUN_DEADLINE_S",
    "Budget",
    "BudgetExhausted",
    "fetch_journal",
    "send",
    "unreachable",
]

HANG_IDLE_S = 8.0
"""How long a probe whose scripted upstream answer breaks off (a cut, an error event)
waits for the target's next byte before calling the response hung, in seconds. The mock
sends its whole answer at once, so a target that is still working (retrying the
upstream, sending keep-alive comments) sends something well within it."""

CONNECT_TIMEOUT_S = 5.0
"""How long :func:`unreachable` waits for a TCP connection, in seconds."""

MAX_BODY = 4 * 1024 * 1024
"""Bytes read from one response at most."""


class BudgetExhausted(RuntimeError):
    """``--max-requests`` reached, or the run's deadline passed: no more traffic to the
    target."""


REQUEST_DEADLINE_S = 120.0
"""Default total deadline of one request, in seconds, from sending it to the end of the
answer: the read timeout bounds each silence, this bounds a target that trickles bytes
(an endless stream of keep-alive comments). The slowest probe (``stream_slow``) takes
about 25 s."""


RUN_DEADLINE_S = 900.0
"""Default run deadline in seconds (``conformance run --run-deadline``): no request starts
after it. The embedded run takes about 25 s, LiteLLM's about 30 s."""


class Budget:
    """Bounds traffic to the target: at most ``max_requests`` requests, at most ``rate``
    requests per second, each request's answer read for at most ``request_deadline_s``
    seconds, and no request started once ``run_deadline_s`` seconds have passed since
    the budget was made (``None``: unbounded). ``sent`` counts requests sent. Raises
    ``ValueError`` for a negative count or a non-positive rate or deadline."""

    def __init__(
        self,
        max_requests: int | None = None,
        rate: float | None = None,
        request_deadline_s: float | None = REQUEST_DEADLINE_S,
        run_deadline_s: float | None = None,
    ) -> None:
        if max_requests is not None and max_requests < 0:
            raise ValueError(f"max_requests must be >= 0; got {max_requests}")
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be > 0 requests/s; got {rate}")
        for name, value in (
            ("request_deadline_s", request_deadline_s),
            ("run_deadline_s", run_deadline_s),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0 seconds; got {value}")
        self.max_requests = max_requests
        self.rate = rate
        self.request_deadline_s = request_deadline_s
        self.run_deadline_s = run_deadline_s
        self.sent = 0
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._started = time.monotonic()

    def acquire(self) -> None:
        """Wait for the rate limit (the one deliberate wait: pacing real traffic), then
        count one request. Raises :class:`BudgetExhausted` when the budget is spent.
        Thread-safe: a probe sent in the background shares the run's budget."""
        with self._lock:
            self._acquire()

    def _acquire(self) -> None:
        if self.max_requests is not None and self.sent >= self.max_requests:
            raise BudgetExhausted(f"--max-requests {self.max_requests} reached")
        if (
            self.run_deadline_s is not None
            and time.monotonic() - self._started >= self.run_deadline_s
        ):
            raise BudgetExhausted(f"the run's deadline of {self.run_deadline_s:g} s passed")
        if self.rate is not None:
            now = time.monotonic()
            if now < self._next_at:
                time.sleep(self._next_at - now)
            self._next_at = max(now, self._next_at) + 1.0 / self.rate
        self.sent += 1


STALE_CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
"""Failures before any status that a kept-alive connection closed by the target gives;
:func:`send` retries them once on a fresh connection."""


def send(client: httpx.Client, probe: str, request: Request, budget: Budget) -> Exchange:
    """Send ``request`` and record the exchange (see module docstring). A transport
    failure after the status arrived (a cut stream) keeps the status, headers and the
    pieces read so far, with ``transport_error`` set.

    A failure before any status on a reused connection (:data:`STALE_CONNECTION_ERRORS`:
    the target closed a kept-alive connection, e.g. after a crash) is retried once on a
    fresh connection, without spending budget; the exchange then records the first
    error in ``dropped_connection``. Raises ``BudgetExhausted`` when the budget is spent.
    """
    budget.acquire()
    deadline = budget.request_deadline_s
    exchange, stale = _attempt(client, probe, request, deadline)
    if stale:
        retry, _ = _attempt(client, probe, request, deadline)  # the dead one was dropped
        return replace(retry, dropped_connection=exchange.transport_error or "")
    return exchange


def _attempt(
    client: httpx.Client, probe: str, request: Request, deadline_s: float | None
) -> tuple[Exchange, bool]:
    """One try: the exchange, and whether it failed like a stale kept-alive connection.
    Reading stops when ``deadline_s`` seconds have passed since the request was sent."""
    started = time.monotonic()
    started_at = time.time()
    chunks: list[tuple[float, bytes]] = []
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    size = 0
    truncated = False
    error: str | None = None
    stale = False
    framing: Framing = ""
    declared: int | None = None
    received: int | None = None
    surplus = 0
    hung: float | None = None
    overdue: float | None = None
    idle_timeout = _idle_timeout(client, probe)
    last_byte = started
    try:
        with client.stream(
            request.method,
            request.url,
            headers=dict(request.headers),
            content=request.body,
            timeout=idle_timeout or httpx.USE_CLIENT_DEFAULT,
        ) as response:
            status = response.status_code
            headers = tuple(response.headers.multi_items())
            declared = _declared_length(response)
            try:
                for piece in response.iter_bytes():
                    last_byte = time.monotonic()
                    chunks.append((last_byte - started, piece))
                    size += len(piece)
                    if size >= MAX_BODY:
                        truncated = True
                        break
                    if deadline_s is not None and last_byte - started >= deadline_s:
                        overdue = deadline_s
                        break
                else:
                    surplus = _surplus_bytes(response) if declared is not None else 0
            finally:
                received = response.num_bytes_downloaded
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        stale = status is None and isinstance(exc, STALE_CONNECTION_ERRORS)
        if idle_timeout is not None and isinstance(exc, httpx.ReadTimeout):
            hung, error = time.monotonic() - last_byte, None
        elif status is not None:
            framing = _broken_framing(exc)
    if surplus:
        framing = "surplus"
    exchange = Exchange(
        probe=probe,
        request=request,
        status=status,
        headers=headers,
        chunks=tuple(chunks),
        transport_error=error,
        elapsed_s=time.monotonic() - started,
        truncated=truncated,
        declared_length=declared,
        received_bytes=received,
        framing=framing,
        surplus_bytes=surplus,
        hung_s=hung,
        started_at=started_at,
        deadline_s=overdue,
    )
    return exchange, stale


def _idle_timeout(client: httpx.Client, probe: str) -> httpx.Timeout | None:
    """For a probe whose scripted upstream answer breaks off (``Probe.upstream_cut``): the
    client's timeout with a read timeout of :data:`HANG_IDLE_S`, so a target that then
    sends nothing without ending is given up on early. ``None`` for other probes."""
    spec = PROBES.get(probe)
    if spec is None or not spec.upstream_cut:
        return None
    base = client.timeout
    limit = min(HANG_IDLE_S, base.read) if base.read is not None else HANG_IDLE_S
    return httpx.Timeout(connect=base.connect, read=limit, write=base.write, pool=base.pool)


def _declared_length(response: httpx.Response) -> int | None:
    """The ``Content-Length`` of a body framed by it (``None``: chunked, absent, invalid)."""
    if "chunked" in response.headers.get("transfer-encoding", "").lower():
        return None
    raw = response.headers.get("content-length", "").strip()
    return int(raw) if raw.isdigit() else None


def _broken_framing(exc: httpx.HTTPError) -> Framing:
    """The framing defect behind a transport error raised after the status (``""``: not
    a framing defect, e.g. a read timeout or a bad ``Content-Encoding``)."""
    if isinstance(exc, httpx.RemoteProtocolError):
        return "short" if "without sending complete message body" in str(exc) else "malformed"
    if isinstance(exc, httpx.ReadError):
        return "reset"
    return ""


def _surplus_bytes(response: httpx.Response) -> int:
    """Bytes received past a ``Content-Length`` body that the client kept for the next
    response on the connection (read from h11's buffer through httpx's and httpcore's
    private attributes: ``0`` when they are not there; ``test_transport_truth`` pins it
    for the installed versions). The connection is closed so the next probe does not
    read them as its answer."""
    obj: object = response.stream
    for name in ("_stream", "_httpcore_stream", "_stream", "_connection"):
        obj = getattr(obj, name, None)
    state = getattr(obj, "_h11_state", None)
    data, _closed = getattr(state, "trailing_data", (b"", False))
    if data and callable(close := getattr(obj, "close", None)):
        close()
    return len(data) if isinstance(data, bytes | bytearray) else 0


def fetch_journal(client: httpx.Client, mock_url: str, cid: str) -> list[JournalEntry]:
    """The mock's journal entries for correlation id ``cid`` (controlled mode), read
    through the contract ``spec/openapi/mock-admin.yaml`` (:func:`spec.mock_admin.
    read_requests`).

    Raises ``httpx.HTTPError`` when the mock cannot be reached or answers an error, and
    :class:`spec.mock_admin.JournalMismatch` (a ``ValueError``) naming the place when
    the answer is not JSON or does not match the contract.
    """
    response = client.get(f"{mock_url.rstrip('/')}/_mock/requests", params={"cid": cid})
    response.raise_for_status()
    try:
        payload = response.json()
    except ValueError as exc:
        raise JournalMismatch(f"the mock's journal is not JSON: {exc}") from None
    return read_requests(payload)


def unreachable(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str | None:
    """``None`` when a TCP connection to ``url``'s host and port opens within
    ``timeout_s`` seconds, else why not (``Connection refused``, a DNS error, ``timed
    out``). Sends no HTTP, so it costs the target nothing."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return None
    except ValueError as exc:  # a port out of range
        return str(exc)
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__
