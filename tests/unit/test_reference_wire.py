"""The reference's lean upstream client (reference_impl/upstream/wire.py).

Each test runs a scripted HTTP/1.1 server on 127.0.0.1 (``asyncio.start_server``, a
free port) that reads one request head and body and writes exact bytes back, so the
framings (RFC 9112 sections 6.3 and 7.1), their cuts and the connection reuse are what
the test says. No sleeps: the client's timeouts are the only clocks, and short.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from yarl import URL

from reference_impl.upstream.wire import WirePool

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]
HEADERS = {"Content-Type": "application/json", "x-goog-api-key": "k"}
BODY = b'{"contents": []}'


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


def run(
    script: Script,
    test: Callable[[WirePool, URL, list[bytes]], Awaitable[None]],
    *,
    limit: int = 4,
    read_timeout: float = 0.5,
) -> None:
    """Serve ``script`` (called per connection with its number), run ``test`` with a
    pool of ``limit`` connections and ``read_timeout`` seconds."""

    async def main() -> None:
        seen: list[bytes] = []
        count = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal count
            count += 1
            try:
                await script(reader, writer, count)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await handle(_Recorder(reader, seen), writer)  # type: ignore[arg-type]

        server = await asyncio.start_server(recording, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = WirePool(limit=limit, connect_timeout=2.0, read_timeout=read_timeout)
        url = URL(f"http://127.0.0.1:{port}/v1beta/models/m:generateContent")
        try:
            await test(pool, url, seen)
        finally:
            pool.close()
            server.close()
            await server.wait_closed()

    asyncio.run(main())


class _Recorder:
    """A StreamReader that records every request head it reads."""

    def __init__(self, reader: asyncio.StreamReader, seen: list[bytes]) -> None:
        self._reader = reader
        self._seen = seen

    async def readuntil(self, sep: bytes) -> bytes:
        data = await self._reader.readuntil(sep)
        self._seen.append(data)
        return data

    async def readexactly(self, n: int) -> bytes:
        return await self._reader.readexactly(n)

    async def read(self, n: int) -> bytes:
        return await self._reader.read(n)


def answer(body: bytes, *extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
    return head + b"".join(extra) + b"Content-Length: %d\r\n\r\n" % len(body) + body


def chunked(*pieces: bytes) -> bytes:
    out = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    ]
    out += [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces]
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def test_content_length_answers_reuse_one_connection() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        for i in range(3):
            await read_request(reader)
            writer.write(answer(b'{"n": %d, "conn": %d}' % (i, n)))

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        for i in range(3):
            resp = await pool.post(url, HEADERS, BODY)
            assert resp.status == 200
            assert resp.content_type == "application/json"
            assert await resp.read() == b'{"n": %d, "conn": 1}' % i
            resp.release()
        head = seen[0].decode()
        assert head.startswith("POST /v1beta/models/m:generateContent HTTP/1.1\r\n")
        assert f"Host: {url.host}:{url.port}\r\n" in head
        assert "x-goog-api-key: k\r\n" in head
        assert f"Content-Length: {len(BODY)}\r\n" in head

    run(script, test)


def test_chunked_stream_cut_anywhere_gives_the_same_bytes() -> None:
    events = [b'data: {"a": 1}\r\n\r\n', b'data: {"b": "caf\xc3\xa9"}\r\n\r\n', b"x" * 300]
    raw = chunked(*events)
    cuts = list(range(1, len(raw), 7))

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        start = 0
        for cut in [*cuts, len(raw)]:
            writer.write(raw[start:cut])
            await writer.drain()
            start = cut
        await reader.read(1)  # keep the connection until the client is done

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        resp = await pool.post(url, HEADERS, BODY)
        assert resp.content_type == "text/event-stream"
        got = [chunk async for chunk in resp.content.iter_any()]
        assert b"".join(got) == b"".join(events)
        assert resp.content.at_eof()
        resp.release()

    run(script, test)


def test_gzip_body_is_inflated_and_interim_answers_skipped() -> None:
    packed = gzip.compress(b'{"ok": true}')

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 100 Continue\r\n\r\n" + answer(packed, b"Content-Encoding: gzip\r\n")
        )
        await reader.read(1)

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        resp = await pool.post(url, HEADERS, BODY)
        assert resp.status == 200
        assert resp.headers["content-encoding"] == "gzip"
        assert await resp.read() == b'{"ok": true}'
        resp.release()

    run(script, test)


def test_body_to_eof_and_connection_close_are_not_reused() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        if n == 1:
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"to": "eof"}')
        else:
            writer.write(answer(b"{}", b"Connection: close\r\n"))

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        resp = await pool.post(url, HEADERS, BODY)
        assert await resp.read() == b'{"to": "eof"}'
        resp.release()
        resp = await pool.post(url, HEADERS, BODY)
        assert await resp.read() == b"{}"
        resp.release()
        assert len(seen) == 2  # two connections: neither answer left its connection open

    run(script, test)


def test_a_connection_closed_while_idle_is_retried_once() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(answer(b'{"conn": %d}' % n))
        await writer.drain()
        # then the server closes the kept-alive connection (its idle timeout)

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        resp = await pool.post(url, HEADERS, BODY)
        assert await resp.read() == b'{"conn": 1}'
        resp.release()
        resp = await pool.post(url, HEADERS, BODY)
        assert await resp.read() == b'{"conn": 2}'
        resp.release()

    run(script, test)


def test_a_body_cut_short_hands_over_what_arrived_then_raises() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        whole = chunked(b"data: 1\r\n\r\n", b"data: 2\r\n\r\n")
        writer.write(whole[: whole.index(b"data: 2") + 3])

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        resp = await pool.post(url, HEADERS, BODY)
        got = [b""]

        async def drain() -> None:
            while True:
                got.append(await resp.content.readany())

        with pytest.raises(aiohttp.ClientPayloadError):
            await drain()
        assert b"".join(got) == b"data: 1\r\n\r\ndat"
        resp.close()

    run(script, test)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", id="chunk-size"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", id="chunk-end"
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", id="length"),
    ],
)
def test_a_malformed_answer_is_a_payload_error(reply: bytes) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(reply)
        await reader.read(1)

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        async def whole() -> bytes:
            resp = await pool.post(url, HEADERS, BODY)
            return await resp.read()

        with pytest.raises(aiohttp.ClientPayloadError):
            await whole()

    run(script, test)


def test_silence_is_a_read_timeout_before_and_during_the_body() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        if n == 2:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        await reader.read(1)  # then nothing

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        with pytest.raises(aiohttp.ServerTimeoutError):
            await pool.post(url, HEADERS, BODY)  # no head within 0.5 s
        resp = await pool.post(url, HEADERS, BODY)

        async def short_waits() -> None:
            while True:
                try:
                    async with asyncio.timeout(0.05):
                        await resp.content.readany()
                except TimeoutError as exc:
                    if isinstance(exc, aiohttp.ServerTimeoutError):
                        raise

        # a caller restarting short waits (the relay's keep-alive) does not reset the clock
        with pytest.raises(aiohttp.ServerTimeoutError):
            await short_waits()
        resp.close()

    run(script, test)


def test_a_deadline_before_the_read_timeout_is_a_plain_timeout_error() -> None:
    """The caller's deadline (loop time) bounds the head and the whole body with the same
    timer as the read timeout, and says which one ran out: a plain ``TimeoutError`` (the
    proxy's 504), not the read timeout's ``ServerTimeoutError`` (a broken answer)."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        if n == 2:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        await reader.read(1)  # then nothing

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 0.1  # the read timeout is 0.5 s
        with pytest.raises(TimeoutError) as head:
            await pool.post(url, HEADERS, BODY, deadline)
        assert not isinstance(head.value, aiohttp.ClientError)
        assert loop.time() < deadline + 0.3
        resp = await pool.post(url, HEADERS, BODY, loop.time() + 5)
        deadline = loop.time() + 0.1
        with pytest.raises(TimeoutError) as body:
            await resp.read(deadline)
        assert not isinstance(body.value, aiohttp.ClientError)
        assert loop.time() < deadline + 0.3
        resp.close()
        # a deadline further off than the read timeout leaves the read timeout in charge
        with pytest.raises(aiohttp.ServerTimeoutError):
            await pool.post(url, HEADERS, BODY, loop.time() + 30)

    run(script, test)


def test_callers_wait_in_order_for_a_free_connection_until_their_deadline() -> None:
    """At most ``limit`` connections in use: a third caller waits for one; one whose
    deadline passes first gives up with ``TimeoutError`` and takes no slot with it."""
    holding = asyncio.Event()
    release = asyncio.Event()
    connections: set[int] = set()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        connections.add(n)
        while True:
            await read_request(reader)
            if not release.is_set():
                holding.set()
                await release.wait()
            writer.write(answer(b"{}"))

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        first = asyncio.create_task(pool.post(url, HEADERS, BODY))
        await asyncio.wait_for(holding.wait(), 5)  # it holds the only connection
        with pytest.raises(TimeoutError):
            await pool.post(url, HEADERS, BODY, loop.time() + 0.05)
        second = asyncio.create_task(pool.post(url, HEADERS, BODY, loop.time() + 5))
        await asyncio.sleep(0)
        assert not second.done()  # waiting its turn
        release.set()
        resp = await asyncio.wait_for(first, 5)
        assert await resp.read() == b"{}"
        resp.release()  # the slot goes to the caller still waiting
        resp = await asyncio.wait_for(second, 5)
        assert await resp.read() == b"{}"
        resp.release()
        assert connections == {1}  # the same kept-alive connection, every time

    run(script, test, limit=1, read_timeout=5.0)


def test_a_header_with_a_line_break_is_refused() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await reader.read(1)

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        with pytest.raises(aiohttp.ClientError):
            await pool.post(url, {"x-goog-api-key": "k\r\nX-Injected: 1"}, BODY)

    run(script, test)


def test_an_unreachable_upstream_is_a_connection_error() -> None:
    async def main() -> None:
        pool = WirePool(limit=1, connect_timeout=2.0, read_timeout=0.5)
        with pytest.raises(aiohttp.ClientConnectionError):
            await pool.post(URL("http://127.0.0.1:9/v1beta"), HEADERS, BODY)
        # the slot came back: a second attempt fails the same way instead of waiting
        with pytest.raises(aiohttp.ClientConnectionError):
            await asyncio.wait_for(pool.post(URL("http://127.0.0.1:9/v1beta"), HEADERS, BODY), 5)

    asyncio.run(main())


def test_readany_within_reports_quiet_spells_then_the_bytes() -> None:
    go = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        await go.wait()
        writer.write(b"5\r\nhello\r\n0\r\n\r\n")
        await reader.read(1)

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        resp = await pool.post(url, HEADERS, BODY)
        assert await resp.content.readany_within(0.02) is None  # a keep-alive moment
        go.set()
        assert await resp.content.readany_within(0.4) == b"hello"
        assert await resp.content.readany_within(0.4) == b""
        resp.release()

    run(script, test)


@pytest.mark.parametrize(
    ("url", "origin", "host"),
    [
        ("http://[::1]:8080/v1beta/x", ("::1", 8080, False), b"Host: [::1]:8080"),
        ("https://[::1]/v1beta/x", ("::1", 443, True), b"Host: [::1]"),
        (
            "https://generativelanguage.googleapis.com/v1beta/models/m:generateContent",
            ("generativelanguage.googleapis.com", 443, True),
            b"Host: generativelanguage.googleapis.com",
        ),
    ],
)
def test_the_origin_and_host_header_of_a_url(
    url: str, origin: tuple[str, int, bool], host: bytes
) -> None:
    pool = WirePool(limit=1, connect_timeout=1.0, read_timeout=1.0)
    key, head = pool._prefix(URL(url))
    assert key == origin
    assert head.split(b"\r\n")[1] == host
    assert head.startswith(b"POST " + URL(url).raw_path_qs.encode() + b" HTTP/1.1\r\n")


def test_an_answer_head_gives_its_framing_fields_and_every_field_on_demand() -> None:
    """The framing fields are read case-insensitively, the first of each kept (aiohttp's
    ``headers.get``); :attr:`WireResponse.headers` holds every field, repeats included;
    a field line without a colon or with space around its name is a malformed answer."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        if n == 1:
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-TYPE: text/event-stream\r\nVary: Origin\r\n"
                b"Vary: Referer\r\nx-goog-trace:  a b \t\r\nCONTENT-LENGTH: 5\r\n"
                b"Content-Length: 6\r\n\r\nhello"
            )
        elif n == 2:
            writer.write(b"HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 0\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nVary : Origin\r\nContent-Length: 0\r\n\r\n")
        await reader.read(1)

    async def test(pool: WirePool, url: URL, seen: list[bytes]) -> None:
        resp = await pool.post(url, HEADERS, BODY)
        assert resp.content_type == "text/event-stream"
        assert await resp.read() == b"hello"  # the first Content-Length
        assert resp.headers.getall("vary") == ["Origin", "Referer"]
        assert resp.headers["X-Goog-Trace"] == "a b"
        assert resp.headers.getall("Content-Length") == ["5", "6"]
        resp.close()
        for _ in range(2):
            with pytest.raises(aiohttp.ClientPayloadError, match="bad header line"):
                await pool.post(url, HEADERS, BODY)

    run(script, test)


class _Transport:
    """What a connection writes to (nothing is sent anywhere)."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_extra_info(self, name: str) -> None:
        return None

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


def test_an_answer_split_anywhere_across_reads_parses_the_same() -> None:
    """Every two- and three-way split of an answer (interim head, head, Content-Length
    body) between ``data_received`` calls gives the same status, fields and body, and
    the connection goes back to the pool."""
    from reference_impl.upstream.wire import _Connection

    raw = b"HTTP/1.1 100 Continue\r\n\r\n" + answer(
        b'{"candidates": [{"content": {"parts": [{"text": "caf\xc3\xa9"}]}}]}'
    )
    splits: list[tuple[int, ...]] = [(i,) for i in range(1, len(raw))]
    splits += [(i, j) for i in range(1, len(raw), 5) for j in range(i + 1, len(raw), 11)]

    async def main() -> None:
        pool = WirePool(limit=1, connect_timeout=1.0, read_timeout=5.0)
        for cuts in splits:
            conn = _Connection(pool, ("127.0.0.1", 1, False))
            conn.connection_made(_Transport())  # type: ignore[arg-type]
            pending = asyncio.ensure_future(conn.send(b"POST / HTTP/1.1\r\n\r\n", 5.0, None))
            await asyncio.sleep(0)  # the request is written; the answer is awaited
            bounds = [0, *cuts, len(raw)]
            for start, end in itertools.pairwise(bounds):
                conn.data_received(raw[start:end])
            resp = await pending
            assert (resp.status, resp.content_type) == (200, "application/json"), cuts
            assert resp.headers["Content-Length"] == str(len(raw) - raw.index(b"{"))
            assert await resp.read() == raw[raw.index(b"{") :], cuts
            await pool._slots.acquire(None)  # the slot the request would have taken
            resp.release()
            assert pool._take(conn.key) is conn, cuts  # reusable: nothing was left over
            pool._slots.release()

    asyncio.run(main())


def test_the_waits_timers_fire_each_wait_at_its_expiry_and_never_a_disarmed_one() -> None:
    """One event-loop timer for many waits: set for the earliest, moved for an earlier
    one, re-set after a sweep for the next; a wait fires no earlier than its expiry and
    at most ``_SLACK`` (plus scheduling) later; a disarmed wait never fires."""
    from reference_impl.upstream.wire import _SLACK, _Timers

    async def main() -> None:
        loop = asyncio.get_running_loop()
        timers = _Timers(loop)
        fired: dict[str, float] = {}
        waits: dict[str, asyncio.Future[Any]] = {}
        three = asyncio.Event()

        def fire(name: str) -> None:
            fired[name] = loop.time()
            if len(fired) == 3:
                three.set()

        start = loop.time()
        # armed latest first: each later arm is earlier and moves the timer
        for name, after in (("late", 0.3), ("middle", 0.2), ("early", 0.1), ("gone", 0.15)):
            waiter: asyncio.Future[Any] = loop.create_future()
            waits[name] = waiter

            def on_expiry(w: asyncio.Future[Any], n: str = name) -> None:
                fire(n)

            timers.arm(waiter, start + after, on_expiry)
        timers.disarm(waits["gone"])
        await asyncio.wait_for(three.wait(), 5)  # "late" fired: "gone" expired long before
        timers.close()
        assert set(fired) == {"early", "middle", "late"}
        for name, after in (("early", 0.1), ("middle", 0.2), ("late", 0.3)):
            assert start + after <= fired[name] < start + after + _SLACK + 0.1, name

    asyncio.run(main())
