"""``/ws``: the WebSocket passthrough of gemini-proxy-deno 'WebSocket API'.

The client's socket is relayed, message for message (text and binary, both ways), to
the upstream WebSocket: ``--ws-upstream-url``, or the Live API endpoint of the upstream's
host (Google's own for Google's base URL, the mock's for the mock); the proxy's
credential is added as ``?key=``. The
client authenticates like any other route (``Authorization: Bearer``, or ``?key=``
since browsers cannot set headers on a WebSocket). With no upstream WebSocket
configured the socket is accepted and closed at once with code 1011 and a reason
saying so; a failed upstream connection closes with 1014 (bad gateway); when either
side closes, the other is closed with the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web
from yarl import URL

from .state import State

__all__ = ["LIVE_PATH", "NOT_CONFIGURED", "add_routes", "live_url"]

log = logging.getLogger("reference_impl")

NOT_CONFIGURED = "no upstream WebSocket is configured (--ws-upstream-url)"
LIVE_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
"""Where Google serves the Live API WebSocket, next to ``/v1beta`` on the same host."""


def live_url(upstream_url: str) -> str:
    """The Live API WebSocket of a Gemini API base URL: same host, ``ws(s)://`` and
    :data:`LIVE_PATH` (``https://generativelanguage.googleapis.com/v1beta`` gives
    Google's own, :data:`~reference_impl.settings.GOOGLE_WS`)."""
    url = URL(upstream_url)
    return str(url.with_scheme("wss" if url.scheme == "https" else "ws").with_path(LIVE_PATH))


_BAD_GATEWAY = 1014


def add_routes(app: web.Application, state: State) -> None:
    """Register ``/ws`` when the profile serves it."""
    if not state.contract.serves("ws"):
        return
    settings = state.settings
    target = settings.ws_upstream_url or (
        "" if settings.code_assist else live_url(settings.upstream_url)
    )

    async def pipe(
        source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
        sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    ) -> None:
        async for msg in source:
            if msg.type == WSMsgType.TEXT:
                await sink.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await sink.send_bytes(msg.data)
            elif msg.type == WSMsgType.ERROR:
                break
        code = source.close_code or WSCloseCode.OK
        await sink.close(code=code, message=b"peer closed")

    async def ws(request: web.Request) -> web.StreamResponse:
        denied = state.gate(request, "ws")
        if denied is not None:
            return state.error(denied)
        client = web.WebSocketResponse(heartbeat=30)
        await client.prepare(request)
        if not target:
            await client.close(code=WSCloseCode.INTERNAL_ERROR, message=NOT_CONFIGURED.encode())
            return client
        url = URL(target)
        cred = state.pool.pick("ws")
        if cred is not None and not settings.code_assist:
            url = url.update_query(key=cred.secret)
        try:
            upstream = await state.upstream.session.ws_connect(url, heartbeat=30)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("upstream WebSocket failed: %s", exc)
            await client.close(code=_BAD_GATEWAY, message=b"the upstream WebSocket is unreachable")
            return client
        async with upstream:
            tasks = [
                asyncio.create_task(pipe(client, upstream)),
                asyncio.create_task(pipe(upstream, client)),
            ]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        if not client.closed:
            await client.close(code=upstream.close_code or WSCloseCode.OK)
        return client

    app.router.add_get("/ws", ws)
