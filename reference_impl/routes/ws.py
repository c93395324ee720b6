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

from ..server.appkeys import CLIENT_AUTH, CONTRACT, SETTINGS, UPSTREAM
from ..server.auth import ClientAuth
from ..server.http import error_response
from ..settings import Settings
from ..upstream.client import Upstream

__all__ = ["LIVE_PATH", "NOT_CONFIGURED", "SocketRoutes", "add_routes", "live_url"]

log = logging.getLogger("reference_impl")

NOT_CONFIGURED = "no upstream WebSocket is configured (--ws-upstream-url)"
LIVE_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
"""Where Google serves the Live API WebSocket, next to ``/v1beta`` on the same host."""
_BAD_GATEWAY = 1014

Socket = web.WebSocketResponse | aiohttp.ClientWebSocketResponse


def live_url(upstream_url: str) -> str:
    """The Live API WebSocket of a Gemini API base URL: same host, ``ws(s)://`` and
    :data:`LIVE_PATH` (``https://generativelanguage.googleapis.com/v1beta`` gives
    Google's own, :data:`~reference_impl.settings.GOOGLE_WS`)."""
    url = URL(upstream_url)
    return str(url.with_scheme("wss" if url.scheme == "https" else "ws").with_path(LIVE_PATH))


def upstream_socket(settings: Settings) -> str:
    """The upstream WebSocket URL of ``settings`` (``""``: none, on Code Assist without
    ``--ws-upstream-url``)."""
    if settings.ws_upstream_url:
        return settings.ws_upstream_url
    return "" if settings.code_assist else live_url(settings.upstream_url)


async def _pipe(source: Socket, sink: Socket) -> None:
    """Relay ``source``'s messages to ``sink``; close ``sink`` with ``source``'s code."""
    async for msg in source:
        if msg.type == WSMsgType.TEXT:
            await sink.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
        elif msg.type == WSMsgType.ERROR:
            break
    code = source.close_code or WSCloseCode.OK
    await sink.close(code=code, message=b"peer closed")


class SocketRoutes:
    """The ``/ws`` handler, bound to the upstream, client auth and the upstream socket
    URL; ``with_key``: the proxy's credential goes as ``?key=`` (the Gemini API)."""

    __slots__ = ("_auth", "_target", "_upstream", "_with_key")

    def __init__(
        self, upstream: Upstream, auth: ClientAuth, *, target: str, with_key: bool
    ) -> None:
        self._upstream = upstream
        self._auth = auth
        self._target = target
        self._with_key = with_key

    async def ws(self, request: web.Request) -> web.StreamResponse:
        """``GET /ws``: the relayed WebSocket (see the module docstring)."""
        denied = self._auth.gate(request, "ws")
        if denied is not None:
            return error_response(request, denied)
        client = web.WebSocketResponse(heartbeat=30)
        await client.prepare(request)
        if not self._target:
            await client.close(code=WSCloseCode.INTERNAL_ERROR, message=NOT_CONFIGURED.encode())
            return client
        url = URL(self._target)
        cred = self._upstream.pool.pick("ws")
        if cred is not None and self._with_key:
            url = url.update_query(key=cred.secret)
        try:
            upstream = await self._upstream.session.ws_connect(url, heartbeat=30)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("upstream WebSocket failed: %s", exc)
            await client.close(code=_BAD_GATEWAY, message=b"the upstream WebSocket is unreachable")
            return client
        async with upstream:
            tasks = [
                asyncio.create_task(_pipe(client, upstream)),
                asyncio.create_task(_pipe(upstream, client)),
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


def add_routes(app: web.Application) -> None:
    """Register ``/ws`` when the profile serves it."""
    if not app[CONTRACT].serves("ws"):
        return
    settings = app[SETTINGS]
    routes = SocketRoutes(
        app[UPSTREAM],
        app[CLIENT_AUTH],
        target=upstream_socket(settings),
        with_key=not settings.code_assist,
    )
    app.router.add_get("/ws", routes.ws)
