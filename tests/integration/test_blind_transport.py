"""Transport truth and hung streams end to end (issue 12 items 1 and 2): the reference
proxy (in front of the mock) behind a raw pass-through that breaks HTTP framing the way
real proxies did.

- ``short_json``: every JSON answer goes out with a ``Content-Length`` 212 bytes larger
  than the body, then the connection closes (a proxy that copies the upstream's
  ``Content-Length`` onto a body it rewrote): ``http.body_framing``,
  ``chat.completion_shape`` and ``clients.openai_python.completion`` fail.
- ``hang_stream``: streams are forwarded, but when the upstream's stream ends the client's
  connection is kept open with no last chunk: ``http.no_hang`` fails, within seconds.
- ``faithful``: the same pass-through without a defect: nothing fails.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.runner import SuiteRun, run_suite
from conformance.target import Target
from spec.profiles import get_profile
from tests.servers import mock_and_reference

pytestmark = pytest.mark.slow

KEY = "sk-blind"
_DROP = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with mock_and_reference(KEY, "blind-key-1") as upstreams:
        yield upstreams


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return method, path, headers, body


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextmanager
def raw_proxy(upstream: str, mode: str) -> Iterator[str]:
    """A raw asyncio pass-through to ``upstream`` with one framing defect (``mode``: see
    the module docstring); one request per connection."""
    ready = threading.Event()
    state: dict[str, object] = {}
    loop = asyncio.new_event_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, path, headers, body = await _read_request(reader)
            forward = {k: v for k, v in headers.items() if k not in {"host", *_DROP}}
            async with (
                httpx.AsyncClient(timeout=120) as client,
                client.stream(method, upstream + path, headers=forward, content=body) as answer,
            ):
                out = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in _DROP]
                if answer.headers.get("content-type", "").startswith("text/event-stream"):
                    writer.write(
                        _head(answer.status_code, [*out, ("transfer-encoding", "chunked")])
                    )
                    async for piece in answer.aiter_bytes():
                        writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        await writer.drain()
                    if mode == "hang_stream":
                        await reader.read()  # keep the client's connection open until it leaves
                        return
                    writer.write(b"0\r\n\r\n")
                else:
                    raw = await answer.aread()
                    declared = len(raw) + (212 if mode == "short_json" else 0)
                    writer.write(
                        _head(answer.status_code, [*out, ("content-length", str(declared))])
                    )
                    writer.write(raw)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, httpx.HTTPError):
            pass
        finally:
            writer.close()

    async def start() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        state["server"] = server
        state["url"] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="raw-proxy", daemon=True)
    thread.start()
    ready.wait(30)
    try:
        yield str(state["url"])
    finally:
        server = state["server"]
        assert isinstance(server, asyncio.Server)

        async def stop() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


def run_through(upstreams: tuple[str, str], mode: str, select: list[str]) -> SuiteRun:
    proxy, mock = upstreams
    with raw_proxy(proxy, mode) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        return run_suite(target, select=select)


def outcomes(run: SuiteRun) -> dict[str, tuple[str, str]]:
    return {r.check_id: (r.outcome.value, r.message) for r in run.records}


SHORT_JSON = ["http.body_framing", "chat.completion_shape", "clients.openai_python.completion"]


def test_a_content_length_larger_than_the_body_fails_every_check_that_reads_it(
    upstreams: tuple[str, str],
) -> None:
    got = outcomes(run_through(upstreams, "short_json", SHORT_JSON))
    assert {k: v[0] for k, v in got.items()} == dict.fromkeys(SHORT_JSON, "failed")
    framing = got["http.body_framing"][1]
    assert "declared" in framing
    assert "bytes received" in framing
    assert "did not arrive intact" in got["chat.completion_shape"][1]
    assert "APIConnectionError" in got["clients.openai_python.completion"][1]


def test_a_stream_left_open_after_the_upstream_cut_is_a_hang_found_fast(
    upstreams: tuple[str, str],
) -> None:
    started = time.monotonic()
    run = run_through(upstreams, "hang_stream", ["http.no_hang", "http.body_framing"])
    took = time.monotonic() - started
    got = outcomes(run)
    assert got["http.no_hang"][0] == "failed", got
    message = got["http.no_hang"][1]
    assert "the stream hung" in message
    assert "the upstream had ended" in message
    assert took < 30, f"the run took {took:.0f} s: the harness waited out the hang"
    assert got["http.body_framing"][0] == "passed", got


def test_a_faithful_pass_through_fails_nothing(upstreams: tuple[str, str]) -> None:
    select = [*SHORT_JSON, "http.no_hang", "stream.upstream_cut_surfaces", "stream.done_terminator"]
    got = outcomes(run_through(upstreams, "faithful", select))
    assert {k: v[0] for k, v in got.items()} == dict.fromkeys(select, "passed"), got
