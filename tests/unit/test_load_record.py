"""conformance.load.record: a request sent with ``requests`` (as the Locust users send it)
is recorded piece by piece with arrival times, its secrets redacted, and broken bodies
and dead targets become exchanges, never exceptions. In-process server, no gevent."""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from conformance.load.record import build, new_nonce, record, session
from conformance.target import Target
from spec.profiles import get_profile
from tests.servers import serve

KEY = "sk-load-test-key-000"


def app() -> web.Application:
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for n in range(3):
            await response.write(f"data: {n}\n\n".encode())
            await asyncio.sleep(0.05)
        await response.write(b"data: [DONE]\n\n")
        return response

    async def short(request: web.Request) -> web.StreamResponse:
        # the request body read first: a close with unread bytes in the socket's receive
        # buffer sends an RST, and the client would see a reset, not a short body
        await request.read()
        response = web.StreamResponse(headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b"only ten b")
        assert request.transport is not None
        request.transport.close()
        return response

    application = web.Application()
    application.router.add_post("/v1/chat/completions", stream)
    application.router.add_post("/short/v1/chat/completions", short)
    return application


def target(base: str, mock: str | None = None) -> Target:
    return Target(base, get_profile("openai-core"), api_key=KEY, mock_url=mock)


def test_pieces_arrive_with_their_times_and_the_key_is_redacted() -> None:
    with serve(app) as base:
        t = target(base)
        x = record(session(), "chat_stream", build(t, "chat_stream", "r.chat_stream.0.0.0"))
    assert x.status == 200
    assert x.body == b"data: 0\n\ndata: 1\n\ndata: 2\n\ndata: [DONE]\n\n"
    times = [t for t, _ in x.chunks]
    assert len(times) >= 3
    assert times == sorted(times)
    assert times[-1] - times[0] >= 0.1  # three 50 ms gaps, not one buffered read
    assert KEY not in str(x.request.headers)
    assert x.request.headers["Authorization"] == "Bearer [redacted]"
    assert "$CONFORMANCE_API_KEY" in x.request.curl()


def test_a_body_cut_short_is_recorded_with_its_framing() -> None:
    with serve(app) as base:
        x = record(session(), "chat", build(target(f"{base}/short"), "chat", "c"))
    assert x.status == 200
    assert x.framing == "short"
    assert x.body_problem() is not None


def test_a_dead_target_is_an_exchange_without_status() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    x = record(
        session(), "chat", build(target(f"http://127.0.0.1:{port}"), "chat", "c"), timeout_s=2
    )
    assert x.status is None
    assert x.transport_error


def test_controlled_requests_carry_the_cid_and_black_box_ones_the_nonce() -> None:
    controlled = build(target("http://127.0.0.1:1", "http://127.0.0.1:2"), "chat", "r.chat.0.1.2")
    assert controlled.headers["x-mock-cid"] == "r.chat.0.1.2"
    assert "cid=r.chat.0.1.2" in controlled.json_body["messages"][-1]["content"]
    nonce = new_nonce()
    blind = build(target("http://127.0.0.1:1"), "chat", "c", nonce)
    assert nonce in blind.json_body["messages"][-1]["content"]
    assert nonce.encode() in (blind.body or b"")
