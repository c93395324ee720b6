"""The reference proxy's aiohttp application: ``create_app(settings)``.

A thin shell: it builds the proxy's state, one component per concern, each under its
typed key (:mod:`.server.appkeys`), and lets each route family register the routes the
profile serves (:mod:`.contract`):

==================  ===========================================================
module              routes
==================  ===========================================================
routes.chat         ``POST {p}/chat/completions`` (B1, B2)
routes.models       ``GET {p}/models``, ``{p}/models/{id}``, ``/api/models`` (gemini-reverse)
routes.embeddings   ``POST {p}/embeddings`` (gemini-proxy-deno, docs/openai-wire.md B4)
routes.images       ``/v1/images/generations``, ``/v1/images/edit``,
                    ``/v1/generate-images``, ``/v1/batch/images``,
                    ``/v1/batch/{id}/status``, ``/images/{file}`` (gemini-reverse, antigravity2api)
routes.audio        ``/v1/audio/speech`` (OpenAI, gemini-reverse), ``/v1/audio/voices``
                    (gemini-reverse)
routes.text         ``/v1/generate``, ``/v1/documents/*``, ``/v1/design/*`` (gemini-reverse)
routes.native       ``/gemini/v1beta/...`` passthrough (gemini-reverse section 9)
routes.sd           ``/sdapi/v1/...`` (antigravity2api SD WebUI)
routes.admin        ``/admin/...`` (antigravity2api, JWT)
routes.ws           ``/ws`` (gemini-proxy-deno)
routes.info         ``/health``, ``/``, ``/v1/debug/cache``, ``/v1/token-test``,
                    ``/v1/test`` (gemini-cli-proxy), ``/api/cookies/status`` (gemini-reverse)
==================  ===========================================================

Around them: request bodies are capped (``max_body_bytes``) and so are the body bytes in
flight across requests (``max_inflight_bytes``, :mod:`.server.inflight`); ``OPTIONS``
anything is a CORS preflight allowing any origin and the requested headers,
``x-stainless-*`` included (docs/breakages.md G4); every response carries ``x-request-
id`` and CORS headers exposing ``Retry-After``, ``retry-after-ms``, ``x-request-id`` and
``x-should-retry``; an unknown route is a JSON 404 (or 405) in the profile's error
envelope (D1). Every request an operation of the profile's OpenAPI document describes is
checked against it after client auth (:mod:`.validation`): a violation is a 400 naming
the field, in the profile's envelope.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator

from aiohttp import web

from httplane import LANES, LaneRequest, Lanes

from .contract import contract_for
from .policy.keys import KeyPool
from .policy.ratelimit import RateLimiter
from .routes import (
    admin,
    audio,
    chat,
    embeddings,
    images,
    info,
    models,
    native,
    sd,
    text,
    ws,
)
from .server.appkeys import (
    CHAT_CONFIG,
    CLIENT_AUTH,
    CONTRACT,
    DOCUMENT,
    ENDPOINTS,
    IMAGES,
    LIMITS,
    MEDIA,
    MODELS,
    NOTICES,
    POOL,
    SETTINGS,
    SIGNATURES,
    UPSTREAM,
)
from .server.auth import ClientAuth
from .server.chat_config import ChatConfig
from .server.document import DocumentCheck
from .server.endpoint import Endpoints
from .server.http import error_response
from .server.images import ServedImages
from .server.inflight import INFLIGHT, InflightBytes, body_budget
from .server.limits import Limits
from .server.logs import quiet_bad_requests
from .server.models import ModelCatalog
from .settings import Settings
from .stores.images import ImageStore
from .stores.signatures import SignatureCache
from .translate.errors import ProxyError
from .upstream.client import Upstream
from .upstream.media import MediaFetcher
from .validation.operations import for_document, version_id

__all__ = ["ROUTE_FAMILIES", "create_app"]

ROUTE_FAMILIES = (chat, models, embeddings, images, audio, text, native, sd, admin, ws, info)
"""The route modules, in the order their routes are added; each has ``add_routes(app)``."""

_EXPOSE = "Retry-After, retry-after-ms, x-request-id, x-should-retry"
_ALLOW_HEADERS = (
    "authorization, content-type, x-api-key, x-goog-api-key, x-request-id, "
    "openai-organization, openai-project, x-stainless-arch, x-stainless-lang, "
    "x-stainless-os, x-stainless-package-version, x-stainless-retry-count, "
    "x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout, "
    "x-stainless-async, x-stainless-helper-method, x-stainless-poll-helper"
)


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight (G4): any origin; the usual methods; the requested headers echoed."""
    asked = request.headers.get("Access-Control-Request-Headers")
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": asked or _ALLOW_HEADERS,
            "Access-Control-Max-Age": "86400",
        },
    )


async def fallback(request: web.Request) -> web.Response:
    """No route: 405 naming the methods the path takes, else 404, in the profile's
    envelope (D1)."""
    allowed = sorted(
        {
            route.method
            for resource in request.app.router.resources()
            if resource.canonical == request.path
            for route in resource
            if route.method not in ("*", "OPTIONS", "HEAD")
        }
    )
    if allowed:
        err = ProxyError(
            405,
            f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}",
            type="invalid_request_error",
            code="method_not_allowed",
            headers={"Allow": ", ".join(allowed)},
        )
    else:
        err = ProxyError(
            404,
            f"no route for {request.method} {request.path}",
            type="invalid_request_error",
            code="not_found",
        )
    return error_response(request, err)


_RID_PREFIX = f"req_{secrets.token_hex(6)}"
"""Request ids are this per-process random prefix + a counter: unique, and cheap."""
_rid_counter = itertools.count(1)


def _request_id(request: web.Request | LaneRequest) -> str:
    """The client's ``x-request-id`` when it is short printable ASCII, else a new one."""
    rid = request.headers.get("x-request-id")
    if not rid or len(rid) > 128 or not rid.isascii() or not rid.isprintable():
        rid = f"{_RID_PREFIX}{next(_rid_counter):x}"
    return rid


def _answer_fields(request: web.Request | LaneRequest) -> tuple[tuple[str, str], ...]:
    """The fields every answer carries: a request id and the CORS fields a browser client
    reads (the fast lane adds them itself, :attr:`httplane.Lanes.fields`)."""
    return (
        ("x-request-id", _request_id(request)),
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Expose-Headers", _EXPOSE),
    )


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """:func:`_answer_fields` on the answers aiohttp serves."""
    headers = response.headers
    for name, value in _answer_fields(request):
        headers[name] = value


async def _upstream_session(app: web.Application) -> AsyncIterator[None]:
    """The shared upstream session: open while the application runs, closed last."""
    upstream = app[UPSTREAM]
    media = app[MEDIA]
    await upstream.start()
    await media.start()
    try:
        yield
    finally:
        await media.close()
        await upstream.close()


async def _image_files(app: web.Application) -> AsyncIterator[None]:
    """Generated images: a temporary directory is removed at cleanup."""
    yield
    app[IMAGES].store.close()


def _build_state(app: web.Application, settings: Settings) -> None:
    """Every component of the proxy's state, under its key (:mod:`.server.appkeys`)."""
    older = settings.doc_version == "older"
    contract = contract_for(settings.profile, older=older)
    strategy, count = contract.rotation
    pool = KeyPool(
        settings.credentials,
        strategy=settings.rotation or strategy,
        request_count=settings.rotation_requests or count,
    )
    upstream = Upstream(settings, pool)
    auth = ClientAuth(contract, settings.api_keys)
    document = DocumentCheck(
        for_document(settings.profile, version_id(settings.profile, older=older))
    )
    enforce = settings.rate_limits and settings.profile == "gemini-reverse"
    app[SETTINGS] = settings
    app[NOTICES] = []
    app[CONTRACT] = contract
    app[POOL] = pool
    app[UPSTREAM] = upstream
    app[MEDIA] = MediaFetcher(settings)
    app[SIGNATURES] = SignatureCache(settings.signature_cache_size)
    app[CHAT_CONFIG] = ChatConfig(contract, settings)
    app[LIMITS] = Limits(RateLimiter() if enforce else None)
    app[CLIENT_AUTH] = auth
    app[DOCUMENT] = document
    app[ENDPOINTS] = Endpoints(auth, document)
    app[MODELS] = ModelCatalog(upstream, settings.models_ttl_s)
    app[IMAGES] = ServedImages(
        ImageStore(settings.image_dir or None),
        chat_markdown=contract.image_markdown and contract.serves("served_images"),
    )


def create_app(settings: Settings) -> web.Application:
    """The proxy as an aiohttp application for ``settings``.

    The upstream session opens on startup and closes on cleanup, so the app can be
    served by ``web.AppRunner`` or ``tests/servers.py`` ``serve()`` alike.
    """
    quiet_bad_requests()
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[body_budget])
    # chat completions are also served by the fast lane (httplane.LaneSite); its handlers
    # use asyncio.timeout before they first wait, so each runs in a task (eager=False)
    app[LANES] = Lanes(eager=False, fields=_answer_fields)
    _build_state(app, settings)
    app[INFLIGHT] = InflightBytes(settings.max_inflight_bytes)
    app.cleanup_ctx.append(_upstream_session)
    app.cleanup_ctx.append(_image_files)
    app.on_response_prepare.append(_on_prepare)
    app.router.add_route("OPTIONS", "/{tail:.*}", preflight)
    for family in ROUTE_FAMILIES:
        family.add_routes(app)
    app.router.add_route("*", "/{tail:.*}", fallback)
    app[DOCUMENT].bind(app)
    return app
