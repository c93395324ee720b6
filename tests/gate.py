"""A request-aware defect: the reference proxy behind a pass-through that looks at each
request before it decides what to do with it (``tests.zoo`` mutates every answer alike).

:func:`gated_proxy` hands the JSON body of each request to a :data:`Gate`, which either
refuses it (a status and JSON body the proxy answers by itself, the upstream never
called) or names the :class:`~tests.zoo.Mutation` to apply to the answer (``None``:
forward unchanged). This is how a proxy that refuses one standard field, or leaks
thoughts on only one of the ways clients ask for them, is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from tests.zoo import Mutation

__all__ = ["Gate", "Refusal", "gated_proxy"]

Refusal = tuple[int, dict[str, Any]]
"""The status and JSON body the proxy answers instead of forwarding."""
Gate = Callable[[str, Any], Refusal | Mutation | None]
"""``(path, JSON body or None)`` -> a refusal, a mutation of the answer, or ``None``."""

_HOP = frozenset(
    {"connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding"}
)
_SESSION = web.AppKey("session", aiohttp.ClientSession)


def gated_proxy(upstream: str, gate: Gate) -> Callable[[], web.Application]:
    """An app factory for :func:`tests.servers.serve`: ``upstream`` behind ``gate``."""

    async def forward(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        decision = gate(request.rel_url.path, body)
        if isinstance(decision, tuple):
            status, payload = decision
            return web.json_response(payload, status=status)
        mutation = decision
        headers = {k: v for k, v in request.headers.items() if k.lower() not in {"host", *_HOP}}
        async with request.app[_SESSION].request(
            request.method,
            upstream + request.rel_url.path_qs,
            headers=headers,
            data=raw,
            allow_redirects=False,
        ) as answer:
            out_headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
            if answer.content_type == "text/event-stream":
                response = web.StreamResponse(status=answer.status, headers=out_headers)
                await response.prepare(request)
                event_map = mutation.event if mutation else None
                pending = b""
                async for piece in answer.content.iter_any():
                    pending += piece
                    while b"\n\n" in pending:
                        event, pending = pending.split(b"\n\n", 1)
                        event += b"\n\n"
                        for write in event_map(event) if event_map else [event]:
                            await response.write(write)
                if pending:
                    await response.write(pending)
                await response.write_eof()
                return response
            data = await answer.read()
            status = answer.status
            if mutation and mutation.json and answer.content_type == "application/json":
                status, value = mutation.json(status, json.loads(data))
                data = json.dumps(value).encode()
            return web.Response(status=status, body=data, headers=out_headers)

    async def open_session(app: web.Application) -> None:
        app[_SESSION] = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_read=120)
        )

    async def close_session(app: web.Application) -> None:
        await app[_SESSION].close()

    def factory() -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.on_startup.append(open_session)
        app.on_cleanup.append(close_session)
        app.router.add_route("*", "/{tail:.*}", forward)
        return app

    return factory
