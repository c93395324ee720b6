"""The reference proxy's aiohttp application: ``create_app(settings)``.

A thin shell around the pure translators (:mod:`.translate`). Routes (``{p}`` is the
profile's prefix, ``/v1`` or empty):

- ``POST {p}/chat/completions``: unary and streaming (wire-formats.md B1, B2);
- ``GET {p}/models`` and ``GET {p}/models/{id}`` (B4, client-breakages.md G1);
- ``GET /health`` -> ``{"status": "ok"}``;
- ``OPTIONS`` anything: a CORS preflight allowing any origin and the requested headers,
  ``x-stainless-*`` included (G4);
- anything else: a JSON 404 (or 405) in OpenAI's error shape (D1).

Every response carries ``x-request-id`` and CORS headers exposing ``Retry-After``,
``retry-after-ms`` and ``x-request-id``. Errors never leak a traceback: they are
:class:`~reference_impl.errors.ProxyError` envelopes with ``Content-Type:
application/json``.

Streaming (client-breakages.md A3, A4, D2, D3): the HTTP status is chosen only once the
first upstream event arrives (or the upstream error is known), so a pre-stream error is
a real HTTP error; after ``keepalive_s`` of upstream silence the 200 is committed and
``: keep-alive`` comments flow; a later upstream failure becomes one ``data: {"error":
...}`` event and the stream closes without ``[DONE]``.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import secrets
import time
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from spec.sse import SSEDecoder

from .errors import ProxyError, RequestError, from_upstream_body, upstream_truncated
from .settings import Settings
from .signatures import SignatureCache
from .translate_request import ChatCall, translate_request
from .translate_response import (
    DONE,
    KEEPALIVE,
    StreamTranslator,
    encode_chunk,
    encode_error,
    models_list,
    translate_response,
)
from .upstream import Upstream, salvage

__all__ = ["create_app"]

log = logging.getLogger("reference_impl")

JSON_HEADERS = {"Content-Type": "application/json"}
SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
_EXPOSE = "Retry-After, retry-after-ms, x-request-id, x-should-retry"
_ALLOW_HEADERS = (
    "authorization, content-type, x-api-key, x-request-id, openai-organization, "
    "openai-project, x-stainless-arch, x-stainless-lang, x-stainless-os, "
    "x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, "
    "x-stainless-runtime-version, x-stainless-timeout, x-stainless-async, "
    "x-stainless-helper-method, x-stainless-poll-helper"
)
_OK = orjson.dumps({"status": "ok"})
_INTERNAL = ProxyError(
    500, "internal error in the proxy", type="server_error", code="internal_error"
)


def _error(err: ProxyError) -> web.Response:
    headers = dict(JSON_HEADERS)
    headers.update(err.headers)
    return web.Response(status=err.status, body=orjson.dumps(err.envelope()), headers=headers)


def _translate(
    decoder: SSEDecoder, translator: StreamTranslator, data: bytes, frames: list[bytes]
) -> None:
    """Decode upstream bytes (A3 framing, any split) and append the client frames."""
    for event in decoder.feed(data):
        try:
            parsed = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            detail = f"an upstream event is not JSON: {event.data[:80]!r}"
            raise upstream_truncated(detail) from None
        frames.extend(encode_chunk(c) for c in translator.feed(parsed))


class _ClientGone(Exception):
    """The client closed its connection while we were writing."""


class _Downstream:
    """The client side of one streamed answer; commits the 200 on the first write.

    Until something is sent, an error can still be a real HTTP error status (D2);
    afterwards it becomes one ``data: {"error": ...}`` frame and the stream ends
    without ``[DONE]`` (D3).
    """

    __slots__ = ("out", "request")

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.out: web.StreamResponse | None = None

    async def send(self, data: bytes, *, eof: bool = False) -> web.StreamResponse:
        """Write ``data`` (opening the stream first if needed); raises ``_ClientGone``."""
        out = self.out
        try:
            if out is None:
                out = self.out = web.StreamResponse(status=200, headers=SSE_HEADERS)
                await out.prepare(self.request)
            await out.write(data)
            if eof:
                await out.write_eof()
        except ConnectionError as exc:
            raise _ClientGone from exc
        return out

    async def fail(self, err: ProxyError, before: bytes = b"") -> web.StreamResponse:
        """Answer ``err``: an HTTP error if nothing was sent yet, else an error frame."""
        if self.out is None and not before:
            return _error(err)
        log.warning("stream %s failed mid-way: %s", self.request.path, err.message)
        try:
            return await self.send(before + encode_error(err), eof=True)
        except _ClientGone:
            return self.gone()

    def gone(self) -> web.StreamResponse:
        return self.out if self.out is not None else web.Response(status=499)


class Proxy:
    """Request handlers plus the shared state: upstream session, signature and model
    caches. One instance per application."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.upstream = Upstream(settings)
        self.signatures = SignatureCache(settings.signature_cache_size)
        self._keys = [k.encode() for k in sorted(settings.api_keys)]
        self._models: tuple[float, dict[str, Any], bytes] | None = None

    async def start(self, _app: web.Application) -> None:
        await self.upstream.start()

    async def close(self, _app: web.Application) -> None:
        await self.upstream.close()

    # ------------------------------------------------------------------ auth

    def _authenticate(self, request: web.Request) -> ProxyError | None:
        """``Authorization: Bearer K`` or ``x-api-key: K`` (G3). None when accepted."""
        headers = request.headers
        key = ""
        auth = headers.get("Authorization")
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() == "bearer":
                key = token.strip()
        if not key:
            key = headers.get("x-api-key", "").strip()
        if not key:
            return ProxyError(
                401,
                "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
                type="invalid_request_error",
                code="invalid_api_key",
            )
        if self._keys:
            given = key.encode()
            if not any(hmac.compare_digest(given, k) for k in self._keys):
                return ProxyError(
                    401,
                    "Incorrect API key provided.",
                    type="authentication_error",
                    code="invalid_api_key",
                )
        return None

    # ------------------------------------------------------------------ chat

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/chat/completions`` (B1); never a 500 for a bad request body."""
        denied = self._authenticate(request)
        if denied is not None:
            return _error(denied)
        try:
            try:
                raw = await request.read()
            except web.HTTPRequestEntityTooLarge:
                return _error(
                    ProxyError(
                        413,
                        f"the request body exceeds {self.settings.max_body_bytes} bytes",
                        type="invalid_request_error",
                        code="request_too_large",
                    )
                )
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise RequestError(
                    f"the request body is not valid JSON: {exc}", param=None, code="invalid_json"
                ) from None
            call = translate_request(body, signatures=self.signatures.get)
            payload = orjson.dumps(call.request)
            created = int(time.time())
            if call.stream:
                return await self._stream(request, call, payload, created)
            return await self._unary(call, payload, created)
        except ProxyError as err:
            if err.status >= 500:
                log.warning("%s %s -> %d %s", request.method, request.path, err.status, err.message)
            return _error(err)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            return _error(_INTERNAL)

    async def _unary(self, call: ChatCall, payload: bytes, created: int) -> web.Response:
        resp = await self.upstream.generate(call.model, payload, stream=False)
        try:
            body = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise upstream_truncated(f"reading the upstream answer failed: {exc!r}") from exc
        finally:
            resp.release()
        if resp.status != 200:
            raise from_upstream_body(resp.status, body)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise upstream_truncated("the upstream answer is not JSON") from None
        completion = translate_response(data, model=call.model, created=created)
        for choice in completion["choices"]:
            for tc in choice["message"].get("tool_calls") or ():
                extra = tc.get("extra_content")
                if extra:
                    self.signatures.put(tc["id"], extra["google"]["thought_signature"])
        return web.Response(body=orjson.dumps(completion), headers=JSON_HEADERS)

    async def _stream(
        self, request: web.Request, call: ChatCall, payload: bytes, created: int
    ) -> web.StreamResponse:
        down = _Downstream(request)
        keepalive = self.settings.keepalive_s
        pending = asyncio.ensure_future(self.upstream.generate(call.model, payload, stream=True))
        try:
            if keepalive:
                while not (await asyncio.wait((pending,), timeout=keepalive))[0]:
                    await down.send(KEEPALIVE)
            upstream = await pending
        except ProxyError as err:
            return await down.fail(err)
        except _ClientGone:
            pending.cancel()
            return down.gone()
        except BaseException:  # cancelled (shutdown): do not leak the upstream request
            pending.cancel()
            raise
        try:
            if upstream.status != 200:
                try:
                    body = await upstream.read()
                except (TimeoutError, aiohttp.ClientError):
                    body = b""
                return await down.fail(from_upstream_body(upstream.status, body))
            return await self._relay(down, call, upstream, created)
        finally:
            if upstream.content.at_eof():
                upstream.release()
            else:
                upstream.close()

    async def _relay(
        self,
        down: _Downstream,
        call: ChatCall,
        upstream: aiohttp.ClientResponse,
        created: int,
    ) -> web.StreamResponse:
        translator = StreamTranslator(
            model=call.model, created=created, include_usage=call.include_usage
        )
        decoder = SSEDecoder()
        reader = upstream.content
        keepalive = self.settings.keepalive_s
        frames: list[bytes] = []
        try:
            while True:
                if keepalive:
                    timer = asyncio.timeout(keepalive)
                    try:
                        async with timer:
                            data = await reader.readany()
                    except TimeoutError:
                        if not timer.expired():
                            raise
                        await down.send(KEEPALIVE)
                        continue
                else:
                    data = await reader.readany()
                if not data:
                    break
                _translate(decoder, translator, data, frames)
                if frames:
                    data = b"".join(frames)
                    frames.clear()
                    await down.send(data)
            decoder.close()
            frames.extend(encode_chunk(c) for c in translator.finish())
            frames.append(DONE)
            return await down.send(b"".join(frames), eof=True)
        except _ClientGone:
            log.debug("client went away during %s", down.request.path)
            return down.gone()
        except (TimeoutError, ProxyError, aiohttp.ClientError) as exc:
            if isinstance(exc, ProxyError):
                err = exc
            elif isinstance(exc, TimeoutError):
                err = upstream_truncated("the upstream went silent")
            else:
                err = upstream_truncated(f"the upstream connection broke: {exc!r}")
                try:  # relay the events that arrived just before the break
                    _translate(decoder, translator, salvage(reader), frames)
                except ProxyError as inner:
                    err = inner
            return await down.fail(err, b"".join(frames))
        except Exception:
            log.exception("unexpected error relaying %s", down.request.path)
            return await down.fail(_INTERNAL, b"".join(frames))
        finally:
            for call_id, signature in translator.signatures:
                self.signatures.put(call_id, signature)

    # ------------------------------------------------------------------ models

    async def _model_list(self) -> tuple[dict[str, Any], bytes]:
        cached = self._models
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        listing = models_list(await self.upstream.list_models(), int(time.time()))
        body = orjson.dumps(listing)
        self._models = (now + self.settings.models_ttl_s, listing, body)
        return listing, body

    async def models(self, request: web.Request) -> web.Response:
        """``GET /v1/models``: the OpenAI list (B4), cached ``models_ttl_s`` seconds."""
        denied = self._authenticate(request)
        if denied is not None:
            return _error(denied)
        try:
            _, body = await self._model_list()
        except ProxyError as err:
            return _error(err)
        return web.Response(body=body, headers=JSON_HEADERS)

    async def model(self, request: web.Request) -> web.Response:
        """``GET /v1/models/{id}``: one entry of the list, or 404 ``model_not_found``."""
        denied = self._authenticate(request)
        if denied is not None:
            return _error(denied)
        wanted = request.match_info["model"].removeprefix("models/")
        try:
            listing, _ = await self._model_list()
        except ProxyError as err:
            return _error(err)
        for entry in listing["data"]:
            if entry["id"] == wanted:
                return web.Response(body=orjson.dumps(entry), headers=JSON_HEADERS)
        return _error(
            ProxyError(
                404,
                f"The model {wanted!r} does not exist",
                type="invalid_request_error",
                code="model_not_found",
                param="model",
            )
        )


# ---------------------------------------------------------------------- plain routes


async def health(_request: web.Request) -> web.Response:
    """``GET /health`` -> ``{"status": "ok"}`` (no auth, no upstream call)."""
    return web.Response(body=_OK, headers=JSON_HEADERS)


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight (G4): any origin; GET/POST/OPTIONS; the requested headers echoed."""
    asked = request.headers.get("Access-Control-Request-Headers")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": asked or _ALLOW_HEADERS,
            "Access-Control-Max-Age": "86400",
        },
    )


def _fallback(known: dict[str, str]) -> Any:
    async def fallback(request: web.Request) -> web.Response:
        allowed = known.get(request.path)
        if allowed is not None:
            err = ProxyError(
                405,
                f"{request.method} is not allowed on {request.path}; use {allowed}",
                type="invalid_request_error",
                code="method_not_allowed",
                headers={"Allow": allowed},
            )
        else:
            err = ProxyError(
                404,
                f"no route for {request.method} {request.path}",
                type="invalid_request_error",
                code="not_found",
            )
        return _error(err)

    return fallback


_RID_PREFIX = f"req_{secrets.token_hex(6)}"
"""Request ids are this per-process random prefix + a counter: unique, and cheap."""
_rid_counter = itertools.count(1)


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    rid = request.headers.get("x-request-id")
    if not rid or len(rid) > 128 or not rid.isascii() or not rid.isprintable():
        rid = f"{_RID_PREFIX}{next(_rid_counter):x}"
    headers["x-request-id"] = rid
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = _EXPOSE


def create_app(settings: Settings) -> web.Application:
    """The proxy as an aiohttp application for ``settings``.

    The upstream session opens on startup and closes on cleanup, so the app can be
    served by ``web.AppRunner`` or ``tests/servers.py`` ``serve()`` alike.
    """
    app = web.Application(client_max_size=settings.max_body_bytes)
    proxy = Proxy(settings)
    app.on_startup.append(proxy.start)
    app.on_cleanup.append(proxy.close)
    app.on_response_prepare.append(_on_prepare)
    p = settings.prefix
    app.router.add_post(f"{p}/chat/completions", proxy.chat)
    app.router.add_get(f"{p}/models", proxy.models)
    app.router.add_get(f"{p}/models/{{model:.+}}", proxy.model)
    app.router.add_get("/health", health)
    app.router.add_route("OPTIONS", "/{tail:.*}", preflight)
    known = {f"{p}/chat/completions": "POST", f"{p}/models": "GET", "/health": "GET"}
    app.router.add_route("*", "/{tail:.*}", _fallback(known))
    return app
