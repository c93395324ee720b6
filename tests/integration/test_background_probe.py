"""The slow probe (``stream_slow``, the upstream's first byte after 20 s) goes out in the
background: its wait overlaps the other probes on a proxy that serves requests side by
side, and never turns into a false alarm on one that serves them one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from aiohttp import web

from conformance.runner import ProbeStart, run_suite
from conformance.target import Target
from spec.profiles import get_profile
from tests.servers import mock_and_reference, serve
from tests.zoo import forwarding_proxy

pytestmark = pytest.mark.slow

KEY = "sk-background"
SELECT = ["http.no_hang", "clients.openai_python.stream_slow"]
BUSY_SELECT = ["clients.openai_python.stream_slow", "stream.", "translate.", "chat."]
"""Enough probes that some are sent while the proxy holds the slow one."""


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with mock_and_reference(KEY, "bg-key") as upstreams:
        yield upstreams


def one_at_a_time(factory: Callable[[], web.Application]) -> Callable[[], web.Application]:
    """``factory``'s app answering one request at a time (a single sync worker): the
    next request waits until the answer before it has ended."""

    def make() -> web.Application:
        app = factory()
        lock = asyncio.Lock()

        @web.middleware
        async def serialize(request: web.Request, handler: Callable[..., object]) -> object:
            async with lock:
                return await handler(request)  # type: ignore[misc]

        app.middlewares.append(serialize)  # type: ignore[arg-type]
        return app

    return make


def refusing_when_busy(factory: Callable[[], web.Application]) -> Callable[[], web.Application]:
    """``factory``'s app answering a request that comes while another is being answered
    with its own 429 (a concurrency cap of one), the upstream never called."""

    def make() -> web.Application:
        app = factory()
        busy = [False]

        @web.middleware
        async def refuse(request: web.Request, handler: Callable[..., object]) -> object:
            if busy[0]:
                body = {"error": {"message": "busy", "type": "rate_limit_error", "code": None}}
                return web.json_response(body, status=429)
            busy[0] = True
            try:
                return await handler(request)  # type: ignore[misc]
            finally:
                busy[0] = False

        app.middlewares.append(refuse)  # type: ignore[arg-type]
        return app

    return make


def test_a_proxy_refusing_a_second_request_gets_its_probes_asked_again(
    upstreams: tuple[str, str],
) -> None:
    """While the proxy holds the slow probe it refuses every other request with its own
    429: the first probe refused waits for the slow one and is sent again, so the
    stream checks judge real answers (without that rule they fail on the 429s)."""
    proxy, mock = upstreams
    relay = refusing_when_busy(forwarding_proxy(proxy, lambda path, raw: None))
    with serve(relay) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        run = run_suite(target, select=BUSY_SELECT, sleep=lambda seconds: None)
    bad = {r.check_id: r.message for r in run.records if r.outcome.value in ("failed", "error")}
    assert bad == {}
    assert {r.check_id for r in run.records if r.outcome.value == "passed"} >= {
        "clients.openai_python.stream_slow",
        "stream.done_terminator",
        "stream.not_buffered",
    }


def test_a_proxy_serving_one_request_at_a_time_gets_no_false_hang(
    upstreams: tuple[str, str],
) -> None:
    """``stream_cut`` has an 8 s hang limit; sent while the proxy still holds the slow
    probe, it would wait ~20 s for its turn and be called hung. The runner sees that no
    probe was answered alongside the slow one and waits for it first (without that
    rule, ``stream_cut`` goes before the slow probe is awaited: the order assertion
    fails)."""
    proxy, mock = upstreams
    events: list[ProbeStart] = []
    with serve(one_at_a_time(forwarding_proxy(proxy, lambda path, raw: None))) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        run = run_suite(target, select=SELECT, on_probe=events.append)
    outcomes = {r.check_id: (r.outcome.value, r.message) for r in run.records}
    assert outcomes["http.no_hang"][0] == "passed", outcomes["http.no_hang"]
    assert outcomes["clients.openai_python.stream_slow"][0] == "passed"
    order = [(e.name, e.background) for e in events]
    assert order.index(("stream_slow", "sent")) < order.index(("stream_slow", "awaited"))
    assert order.index(("stream_slow", "awaited")) < order.index(("stream_cut", ""))
