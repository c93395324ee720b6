"""The aiohttp shell around :mod:`mockserver.responses`: routes, auth, journal, queue.

``create_app(settings) -> web.Application``. Gemini routes (wire-formats.md A):

- ``GET  /v1beta/models``, ``GET /v1beta/models/{model}`` (A6);
- ``POST /v1beta/models/{model}:generateContent`` | ``:streamGenerateContent``
  (``?alt=sse`` for SSE, else a JSON array) | ``:countTokens`` | ``:embedContent`` |
  ``:batchEmbedContents``.

``/v1/...`` is an alias of ``/v1beta/...`` (google-genai 3.x calls ``/v1`` by default).
Every such request is authenticated first (A4: ``x-goog-api-key`` header, else
``?key=``) and recorded in the journal (:mod:`mockserver.journal`). Replies are
memoised per app (they are a pure function of the request while the scenario queue is
empty), so repeated requests skip the generation work. Admin routes:
``GET /_mock/health``, ``GET|DELETE /_mock/requests`` (``?cid=`` filters),
``GET|POST|DELETE /_mock/scenarios`` (``{"directive": "scenario=..."}``, FIFO, consumed
by the next generate request that has no ``x-mock-scenario`` header).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from typing import Any

import orjson
from aiohttp import web

from mockserver import catalog, errors
from mockserver.journal import Journal
from mockserver.request import directive_from_text
from mockserver.responses import (
    Handled,
    Reply,
    error_reply,
    handle_count_tokens,
    handle_embed,
    handle_generate,
    json_reply,
)
from mockserver.settings import Settings
from spec.scenarios import DIRECTIVE_HEADER, Directive

__all__ = ["API_PREFIXES", "JOURNAL", "SCENARIO_QUEUE", "create_app"]

API_PREFIXES = ("/v1beta", "/v1")
"""Both API versions are served the same way (google-genai 3.x defaults to ``/v1``)."""

JOURNAL = web.AppKey("journal", Journal)
"""The app's :class:`~mockserver.journal.Journal`."""
SCENARIO_QUEUE = web.AppKey("scenario_queue", deque)
"""The app's FIFO of queued :class:`~spec.scenarios.Directive` objects."""

_ADMIN_HEADERS = {"Content-Type": "application/json"}
_UNREGISTERED = error_reply(errors.unregistered_caller())
_KEY_INVALID = error_reply(errors.api_key_invalid())
_OAUTH = error_reply(errors.oauth_token_invalid())
_NO_METHOD = error_reply(errors.method_not_found())
_CACHE_SIZE = 1024
"""Replies memoised per app (oldest dropped first): same inputs give the same reply."""
_CACHE_MAX_BODY = 16 * 1024
_GENERATE = frozenset({"generateContent", "streamGenerateContent"})
_METHODS = frozenset(
    {
        "generateContent",
        "streamGenerateContent",
        "countTokens",
        "embedContent",
        "batchEmbedContents",
    }
)


def _version(request: web.Request) -> str:
    return "v1" if request.path.startswith("/v1/") else "v1beta"


def _admin(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(obj), status=status, headers=_ADMIN_HEADERS)


def create_app(settings: Settings | None = None) -> web.Application:
    """A new mock server application with its own journal and scenario queue."""
    settings = settings or Settings()
    keys = settings.api_keys
    seed = settings.seed
    journal = Journal(settings.journal_size)
    queue: deque[Directive] = deque()
    cache: OrderedDict[tuple[str, str, bool, str | None, bytes], Handled] = OrderedDict()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[JOURNAL] = journal
    app[SCENARIO_QUEUE] = queue

    def auth(request: web.Request) -> Reply | None:
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not key:
            if request.headers.get("authorization", "")[:7].lower() == "bearer ":
                return _OAUTH
            return _UNREGISTERED
        if keys and key not in keys:
            return _KEY_INVALID
        return None

    def pop_queued() -> Directive | None:
        return queue.popleft() if queue else None

    async def send(request: web.Request, handled: Handled, raw: bytes = b"") -> web.StreamResponse:
        reply = handled.reply
        directive = handled.directive
        journal.record(
            method=request.method,
            path=request.path,
            query=request.rel_url.raw_query_string,
            headers=request.raw_headers,
            body=raw,
            scenario=directive.scenario.value if directive is not None else None,
            cid=directive.cid if directive is not None else None,
            status=reply.status,
            response=reply.summary,
        )
        if reply.first_byte_ms:
            await asyncio.sleep(reply.first_byte_ms / 1000)
        if reply.writes is None:
            return web.Response(body=reply.body, status=reply.status, headers=reply.headers)
        return await _stream(request, reply)

    async def list_models(request: web.Request) -> web.StreamResponse:
        denied = auth(request)
        if denied is not None:
            return await send(request, Handled(denied))
        query = request.query
        try:
            body = catalog.list_page(query.get("pageSize"), query.get("pageToken"))
        except errors.GoogleError as exc:
            return await send(request, Handled(error_reply(exc)))
        return await send(request, Handled(json_reply(body)))

    async def get_model(request: web.Request) -> web.StreamResponse:
        denied = auth(request)
        if denied is not None:
            return await send(request, Handled(denied))
        name = request.match_info["name"]
        model = catalog.lookup(name)
        if model is None:
            error = errors.model_not_found(name, "get", _version(request))
            return await send(request, Handled(error_reply(error)))
        return await send(request, Handled(json_reply(model.body)))

    async def call_model(request: web.Request) -> web.StreamResponse:
        denied = auth(request)
        if denied is not None:
            return await send(request, Handled(denied))
        name, _, method = request.match_info["name"].partition(":")
        if method not in _METHODS:
            return await send(request, Handled(_NO_METHOD))
        model = catalog.lookup(name)
        if model is None or not model.supports(method):
            error = errors.model_not_found(name, method, _version(request))
            return await send(request, Handled(error_reply(error)))
        raw = await request.read()
        header = request.headers.get(DIRECTIVE_HEADER)
        sse = method == "streamGenerateContent" and request.query.get("alt") == "sse"
        # Replies are a pure function of these inputs while the queue is empty.
        key = (model.id, method, sse, header, raw)
        cacheable = not queue and len(raw) <= _CACHE_MAX_BODY
        handled = cache.get(key) if cacheable else None
        if handled is None:
            if method in _GENERATE:
                handled = handle_generate(
                    model,
                    raw,
                    header=header,
                    pop_queued=pop_queued,
                    seed=seed,
                    stream=method == "streamGenerateContent",
                    sse=sse,
                )
            elif method == "countTokens":
                handled = handle_count_tokens(raw)
            else:
                handled = handle_embed(model, raw, seed, batch=method == "batchEmbedContents")
            if cacheable:
                if len(cache) >= _CACHE_SIZE:
                    cache.popitem(last=False)
                cache[key] = handled
        return await send(request, handled, raw)

    async def unknown(request: web.Request) -> web.StreamResponse:
        denied = auth(request)
        return await send(request, Handled(denied or _NO_METHOD), await request.read())

    async def health(request: web.Request) -> web.StreamResponse:
        return _admin({"status": "ok"})

    async def get_requests(request: web.Request) -> web.StreamResponse:
        return _admin({"requests": journal.entries(request.query.get("cid"))})

    async def clear_requests(request: web.Request) -> web.StreamResponse:
        return _admin({"cleared": journal.clear()})

    async def get_scenarios(request: web.Request) -> web.StreamResponse:
        return _admin({"scenarios": [d.render() for d in queue]})

    async def push_scenario(request: web.Request) -> web.StreamResponse:
        try:
            payload = orjson.loads(await request.read())
            text = payload["directive"]
            if not isinstance(text, str):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError):
            message = 'body must be {"directive": "scenario=... key=value ..."}'
            return _admin(errors.status_body(400, "INVALID_ARGUMENT", message), 400)
        try:
            directive = directive_from_text(text)
        except errors.GoogleError as exc:
            return _admin(errors.status_body(400, "INVALID_ARGUMENT", exc.message), 400)
        queue.append(directive)
        return _admin({"queued": len(queue), "directive": directive.render()})

    async def clear_scenarios(request: web.Request) -> web.StreamResponse:
        count = len(queue)
        queue.clear()
        return _admin({"cleared": count})

    for prefix in API_PREFIXES:
        app.router.add_post(f"{prefix}/models/{{name}}", call_model)
        app.router.add_get(f"{prefix}/models/{{name}}", get_model, allow_head=False)
        app.router.add_get(f"{prefix}/models", list_models, allow_head=False)
        app.router.add_route("*", f"{prefix}/{{tail:.*}}", unknown)
    app.router.add_get("/_mock/health", health, allow_head=False)
    app.router.add_get("/_mock/requests", get_requests, allow_head=False)
    app.router.add_delete("/_mock/requests", clear_requests)
    app.router.add_get("/_mock/scenarios", get_scenarios, allow_head=False)
    app.router.add_post("/_mock/scenarios", push_scenario)
    app.router.add_delete("/_mock/scenarios", clear_scenarios)
    return app


class _StreamReply(web.StreamResponse):
    """A stream whose status line and headers leave with its first body bytes.

    aiohttp would otherwise send them in a packet of their own; the bytes on the wire
    are the same, only one syscall fewer per stream (the hot path of a benchmark).
    """

    _send_headers_immediately = False


async def _stream(request: web.Request, reply: Reply) -> web.StreamResponse:
    """Send ``reply.writes`` one ``write`` each (after its delay), then end or cut.

    The last write and the end of the chunked body go out together; with
    ``reply.abort`` the connection is closed instead, without the final chunk.
    """
    writes = reply.writes
    assert writes is not None
    response = _StreamReply(status=reply.status, headers=reply.headers)
    last = len(writes) - 1
    try:
        await response.prepare(request)
        writer = request.writer
        for i, write in enumerate(writes):
            if write.delay_ms:
                await asyncio.sleep(write.delay_ms / 1000)
            if i == last and not reply.abort:
                await response.write_eof(write.data)
                return response
            await response.write(write.data)
            await writer.drain()
        if reply.abort:
            if not writes:
                await response.write(b"")  # the status line and headers, nothing else
            transport = request.transport
            if transport is not None:
                transport.close()  # flushes what was written, never sends the last chunk
            return response
        await response.write_eof()
    except ConnectionError:
        pass  # the client went away; nothing left to tell it
    return response
