"""The reference proxy's aiohttp application: ``create_app(settings)``.

A thin shell: it builds the :class:`~reference_impl.state.State` and lets each route
module register the route groups the profile serves (:mod:`.contract`):

==================  ===========================================================
module              routes
==================  ===========================================================
routes_chat         ``POST {p}/chat/completions`` (B1, B2)
routes_models       ``GET {p}/models``, ``{p}/models/{id}``, ``/api/models`` (gemini-reverse)
routes_embeddings   ``POST {p}/embeddings`` (gemini-proxy-deno, docs/openai-wire.md B4)
routes_images       ``/v1/images/generations``, ``/v1/images/edit``,
                    ``/v1/generate-images``, ``/v1/batch/images``,
                    ``/v1/batch/{id}/status``, ``/images/{file}`` (gemini-reverse, antigravity2api)
routes_audio        ``/v1/audio/speech`` (OpenAI, gemini-reverse), ``/v1/audio/voices``
                    (gemini-reverse)
routes_text         ``/v1/generate``, ``/v1/documents/*``, ``/v1/design/*`` (gemini-reverse)
routes_native       ``/gemini/v1beta/...`` passthrough (gemini-reverse section 9)
routes_sd           ``/sdapi/v1/...`` (antigravity2api SD WebUI)
routes_admin        ``/admin/...`` (antigravity2api, JWT)
routes_ws           ``/ws`` (gemini-proxy-deno)
routes_info         ``/health``, ``/``, ``/v1/debug/cache``, ``/v1/token-test``,
                    ``/v1/test`` (gemini-cli-proxy), ``/api/cookies/status`` (gemini-reverse)
==================  ===========================================================

Around them: ``OPTIONS`` anything is a CORS preflight allowing any origin and the
requested headers, ``x-stainless-*`` included (docs/breakages.md G4); every response
carries ``x-request-id`` and CORS headers exposing ``Retry-After``, ``retry-after-ms``,
``x-request-id`` and ``x-should-retry``; an unknown route is a JSON 404 (or 405) in the
profile's error envelope (D1). Every request an operation of the profile's OpenAPI
document describes is checked against it after client auth (:mod:`.validation`): a
violation is a 400 naming the field, in the profile's envelope.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from aiohttp import web

from . import (
    routes_admin,
    routes_audio,
    routes_embeddings,
    routes_images,
    routes_info,
    routes_models,
    routes_native,
    routes_sd,
    routes_text,
    routes_ws,
)
from .routes_chat import ChatRoutes
from .settings import Settings
from .state import STATE, State
from .translate.errors import ProxyError

__all__ = ["create_app"]

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


def _fallback(state: State, app: web.Application) -> Any:
    async def fallback(request: web.Request) -> web.Response:
        allowed = sorted(
            {
                route.method
                for resource in app.router.resources()
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
        return state.error(err)

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
    state = State(settings)
    app[STATE] = state

    async def start(_app: web.Application) -> None:
        await state.upstream.start()

    async def close(_app: web.Application) -> None:
        await state.close()
        await state.upstream.close()

    app.on_startup.append(start)
    app.on_cleanup.append(close)
    app.on_response_prepare.append(_on_prepare)
    contract = state.contract
    app.router.add_route("OPTIONS", "/{tail:.*}", preflight)
    if contract.serves("chat"):
        app.router.add_post(f"{contract.prefix}/chat/completions", ChatRoutes(state).chat)
    for module in (
        routes_models,
        routes_embeddings,
        routes_images,
        routes_audio,
        routes_text,
        routes_native,
        routes_sd,
        routes_admin,
        routes_ws,
        routes_info,
    ):
        module.add_routes(app, state)
    app.router.add_route("*", "/{tail:.*}", _fallback(state, app))
    state.bind(app)
    return app
