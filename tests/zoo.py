"""A defect zoo: the reference proxy behind a pass-through that changes its answers.

:func:`mutating_proxy` forwards every request to an upstream proxy (the reference) and
hands each answer to a :class:`Mutation` on the way back: every SSE event of a stream
(one complete ``data: ...\\n\\n`` event at a time, as the reference frames them), or the
status and JSON body of any other answer. A mutation either injects one known defect
(the suite must flag it) or only changes what the contract leaves free (CRLF, comments,
unknown fields, writes cut anywhere: the suite must flag nothing).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

__all__ = [
    "SESSION",
    "AnswerMap",
    "Choose",
    "Handler",
    "Mutation",
    "Refusal",
    "RequestMap",
    "catch_all",
    "chunk_json",
    "forwarding_proxy",
    "mutating_proxy",
    "relay_stream",
    "rewriting_proxy",
]

_HOP = frozenset(
    {"connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding"}
)

SESSION = web.AppKey("session", aiohttp.ClientSession)
"""The forwarding session of a :func:`catch_all` app."""

EventMap = Callable[[bytes], list[bytes]]
"""One complete event (``data: ...\\n\\n``) in, the writes to send instead out."""
JsonMap = Callable[[int, Any], tuple[int, Any]]
"""``(status, body)`` of a JSON answer in, the pair to send instead out."""


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def relay_stream(
    incoming: web.Request, reply: aiohttp.ClientResponse, headers: dict[str, str]
) -> web.StreamResponse:
    """``reply``'s event stream passed on to ``incoming``'s client piece by piece, as it
    arrives (status and ``headers`` first)."""
    response = web.StreamResponse(status=reply.status, headers=headers)
    await response.prepare(incoming)
    async for piece in reply.content.iter_any():
        await response.write(piece)
    await response.write_eof()
    return response


def catch_all(handler: Handler) -> Callable[[], web.Application]:
    """An app factory for :func:`tests.servers.serve`: ``handler`` answers every method
    and path, with an ``aiohttp.ClientSession`` (no total timeout, 120 s between reads)
    at ``app[SESSION]`` for it to forward with."""

    async def open_session(app: web.Application) -> None:
        app[SESSION] = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_read=120)
        )

    async def close_session(app: web.Application) -> None:
        await app[SESSION].close()

    def factory() -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.on_startup.append(open_session)
        app.on_cleanup.append(close_session)
        app.router.add_route("*", "/{tail:.*}", handler)
        return app

    return factory


@dataclass(frozen=True)
class Mutation:
    name: str
    event: EventMap | None = None
    json: JsonMap | None = None
    drop_headers: frozenset[str] = frozenset()
    per_stream: Callable[[], EventMap] | None = None
    """A fresh :data:`EventMap` for each stream (for mutations that keep state)."""


def chunk_json(map_chunk: Callable[[dict[str, Any]], dict[str, Any] | None]) -> EventMap:
    """An :data:`EventMap` that rewrites the JSON of ``data:`` events (``[DONE]`` and
    comments pass unchanged); ``map_chunk`` returning ``None`` drops the event."""

    def run(event: bytes) -> list[bytes]:
        if not event.startswith(b"data: {"):
            return [event]
        value = json.loads(event[len(b"data: ") :].strip())
        if not isinstance(value, dict) or "error" in value:
            return [event]
        mapped = map_chunk(value)
        if mapped is None:
            return []
        return [b"data: " + json.dumps(mapped).encode() + b"\n\n"]

    return run


Refusal = tuple[int, Any]
"""The status and JSON body a pass-through answers by itself (the upstream never called)."""
Choose = Callable[[str, bytes], "Refusal | Mutation | None"]
"""``(path, raw request body)`` -> a refusal, the mutation to apply to the answer, or
``None`` (forward unchanged)."""


def mutating_proxy(upstream: str, mutation: Mutation) -> Callable[[], web.Application]:
    """An app factory for :func:`tests.servers.serve`: ``upstream`` behind ``mutation``."""
    return forwarding_proxy(upstream, lambda path, raw: mutation)


def forwarding_proxy(upstream: str, choose: Choose) -> Callable[[], web.Application]:
    """An app factory for :func:`tests.servers.serve`: every request forwarded to
    ``upstream`` unless ``choose`` refuses it, and the answer passed through the
    :class:`Mutation` it names (every SSE event, or the status and JSON body)."""

    async def forward(request: web.Request) -> web.StreamResponse:
        session = request.app[SESSION]
        raw = await request.read()
        decision = choose(request.rel_url.path, raw)
        if isinstance(decision, tuple):
            status, payload = decision
            return web.json_response(payload, status=status)
        mutation = decision or Mutation("unchanged")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in {"host", *_HOP}}
        async with session.request(
            request.method,
            upstream + request.rel_url.path_qs,
            headers=headers,
            data=raw,
            allow_redirects=False,
            auto_decompress=True,
        ) as answer:
            out_headers = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() not in _HOP and k.lower() not in mutation.drop_headers
            }
            if answer.content_type == "text/event-stream":
                response = web.StreamResponse(status=answer.status, headers=out_headers)
                await response.prepare(request)
                pending = b""
                event_map = mutation.per_stream() if mutation.per_stream else mutation.event
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
            if mutation.json is not None and answer.content_type == "application/json":
                status, body = mutation.json(status, json.loads(data))
                data = json.dumps(body).encode()
            return web.Response(status=status, body=data, headers=out_headers)

    return catch_all(forward)


RequestMap = Callable[[str, dict[str, Any]], dict[str, Any]]
"""``(path, JSON body)`` of a request in, the body to send on instead out."""
AnswerMap = Callable[[str, dict[str, Any], int, Any], tuple[int, Any]]
"""``(path, request body, status, JSON answer)`` in, the pair to send back instead out."""


def rewriting_proxy(
    upstream: str, *, request: RequestMap | None = None, answer: AnswerMap | None = None
) -> Callable[[], web.Application]:
    """An app factory for :func:`tests.servers.serve` that forwards everything to
    ``upstream``, rewriting JSON request bodies with ``request`` and JSON answers with
    ``answer`` (streams pass through untouched). Between a proxy and the mock it injects
    a defect in what the proxy sends upstream (the mock journals the rewritten request,
    as it would journal a proxy that did it)."""

    async def forward(incoming: web.Request) -> web.StreamResponse:
        raw = await incoming.read()
        body: dict[str, Any] = {}
        if raw and incoming.content_type == "application/json":
            try:
                parsed = json.loads(raw)
            except ValueError:  # the malformed-body probe: forwarded as it came
                parsed = None
            body = parsed if isinstance(parsed, dict) else {}
            if request is not None and body:
                raw = json.dumps(request(incoming.path, body)).encode()
        headers = {k: v for k, v in incoming.headers.items() if k.lower() not in {"host", *_HOP}}
        async with incoming.app[SESSION].request(
            incoming.method,
            upstream + incoming.rel_url.path_qs,
            headers=headers,
            data=raw or None,
            allow_redirects=False,
        ) as reply:
            out_headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP}
            if reply.content_type == "text/event-stream":
                return await relay_stream(incoming, reply, out_headers)
            data = await reply.read()
            status = reply.status
            if answer is not None and reply.content_type == "application/json":
                status, value = answer(incoming.path, body, status, json.loads(data))
                data = json.dumps(value).encode()
            return web.Response(status=status, body=data, headers=out_headers)

    return catch_all(forward)
