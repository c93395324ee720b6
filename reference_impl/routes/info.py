"""Service routes: ``/health``, gemini-cli-proxy's ``GET /`` and debug routes,
gemini-reverse's cookie status.

- ``GET /health`` (no key) in the profile's shape: ``{"status": "ok"}`` (plain); gemini-cli-proxy
  ``{"status": "ok", "timestamp": ISO-8601}``; gemini-reverse ``{"status", "version": "4.2",
  "client_ready", "watermark_removal", "provider_mode", "rate_limiter": {...},
  "concurrency": {...}}``;
- ``GET /`` (gemini-cli-proxy): the service description, verbatim shape;
- ``GET /v1/debug/cache``: what the proxy caches (models, signatures, credentials);
- ``GET /v1/token-test``: whether the upstream credential works now (one models call,
  or a token refresh on Code Assist);
- ``GET /v1/test``: a full round trip: one short chat request upstream;
- ``GET /api/cookies/status`` (gemini-reverse): ``{"valid", "last_check", "cookies_configured"}``,
  where the proxy's upstream credentials stand in for the cookies.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from ..contract import Contract
from ..server.appkeys import CONTRACT, ENDPOINTS, LIMITS, MODELS, SIGNATURES, UPSTREAM
from ..server.http import JSON_HEADERS, json_response
from ..server.limits import Limits
from ..server.models import ModelCatalog
from ..stores.signatures import SignatureCache
from ..translate.errors import ProxyError
from ..upstream.client import Upstream

__all__ = ["SERVICE_INFO", "InfoRoutes", "add_routes", "iso_now"]

SERVICE_INFO: dict[str, Any] = {
    "name": "Gemini CLI OpenAI Worker",
    "description": "OpenAI-compatible API for Google Gemini models via OAuth",
    "version": "1.0.0",
    "authentication": {"required": True, "type": "Bearer token in Authorization header"},
    "endpoints": {
        "chat_completions": "/v1/chat/completions",
        "models": "/v1/models",
        "debug": {
            "cache": "/v1/debug/cache",
            "token_test": "/v1/token-test",
            "full_test": "/v1/test",
        },
    },
    "documentation": "https://github.com/soficis/gemini-cli-proxy",
}
"""004 ``GET /``."""

_PLAIN = orjson.dumps({"status": "ok"})
_COOKIE_CHECK_S = 60.0
"""How long ``/api/cookies/status`` reuses its last credential check."""


def iso_now() -> str:
    """Now as ``2026-01-02T10:30:00.000Z``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class InfoRoutes:
    """The service handlers, bound to the profile, the upstream, the rate limits and
    the caches they report; they keep the last cookie-status check."""

    __slots__ = (
        "_catalog",
        "_checked_at",
        "_contract",
        "_last_check",
        "_limits",
        "_signatures",
        "_upstream",
        "_valid",
    )

    def __init__(
        self,
        contract: Contract,
        upstream: Upstream,
        limits: Limits,
        catalog: ModelCatalog,
        signatures: SignatureCache,
    ) -> None:
        self._contract = contract
        self._upstream = upstream
        self._limits = limits
        self._catalog = catalog
        self._signatures = signatures
        self._valid: bool | None = None
        self._last_check: str | None = None
        self._checked_at = 0.0

    async def health(self, _request: web.Request) -> web.StreamResponse:
        """``GET /health`` in the profile's shape."""
        health = self._contract.health
        if health == "plain":
            return web.Response(body=_PLAIN, headers=JSON_HEADERS)
        if health == "timestamp":
            return json_response({"status": "ok", "timestamp": iso_now()})
        return json_response(
            {
                "status": "ok",
                "version": "4.2",
                "client_ready": len(self._upstream.pool) > 0,
                "watermark_removal": False,
                "provider_mode": False,
                **self._limits.health(),
            }
        )

    async def cookies(self, _request: web.Request) -> web.StreamResponse:
        """``GET /api/cookies/status`` (gemini-reverse), checked at most once a minute."""
        if self._last_check is None or time.monotonic() - self._checked_at > _COOKIE_CHECK_S:
            self._valid, _ = await self._token_ok()
            self._last_check, self._checked_at = iso_now(), time.monotonic()
        return json_response(
            {
                "valid": self._valid,
                "last_check": self._last_check,
                "cookies_configured": len(self._upstream.pool) > 0,
            }
        )

    async def root(self, _request: web.Request) -> web.StreamResponse:
        """``GET /`` (gemini-cli-proxy)."""
        return json_response(SERVICE_INFO)

    async def debug_cache(self, _request: web.Request) -> web.StreamResponse:
        """``GET /v1/debug/cache`` (gemini-cli-proxy)."""
        pool = self._upstream.pool
        return json_response(
            {
                "status": "ok",
                "timestamp": iso_now(),
                "cache": {
                    "models": self._catalog.status(),
                    "thought_signatures": len(self._signatures),
                    "credentials": pool.status(),
                    "rotation": {"strategy": pool.strategy, "requestCount": pool.request_count},
                },
            }
        )

    async def token_test(self, _request: web.Request) -> web.StreamResponse:
        """``GET /v1/token-test`` (gemini-cli-proxy): 200, or 502 with what failed."""
        valid, detail = await self._token_ok()
        return json_response(
            {
                "status": "ok" if valid else "error",
                "token_valid": valid,
                "upstream": "code-assist" if self._upstream.code_assist else "gemini",
                "message": detail,
                "timestamp": iso_now(),
            },
            status=200 if valid else 502,
        )

    async def full_test(self, _request: web.Request) -> web.StreamResponse:
        """``GET /v1/test`` (gemini-cli-proxy): the credential, then one short chat call."""
        started = time.perf_counter()
        token_valid, detail = await self._token_ok()
        chat: dict[str, Any] = {"ok": False}
        if token_valid:
            model = self._contract.default_model or "gemini-2.5-flash"
            try:
                answer = await self._upstream.call(
                    model,
                    "generateContent",
                    {
                        "contents": [{"role": "user", "parts": [{"text": "Reply with: ok"}]}],
                        "generationConfig": {"maxOutputTokens": 16},
                    },
                )
                chat = {
                    "ok": True,
                    "model": model,
                    "candidates": len(answer.get("candidates") or []),
                }
            except ProxyError as err:
                chat = {"ok": False, "model": model, "error": err.message}
        ok = token_valid and chat["ok"]
        return json_response(
            {
                "status": "ok" if ok else "error",
                "tests": {"token": {"ok": token_valid, "message": detail}, "chat": chat},
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "timestamp": iso_now(),
            },
            status=200 if ok else 502,
        )

    async def _token_ok(self) -> tuple[bool, str]:
        upstream = self._upstream
        try:
            if upstream.code_assist:
                cred = upstream.pool.pick("token-test")
                if cred is None:
                    return False, "no OAuth refresh token configured"
                await upstream.tokens.token(upstream.session, cred.secret)
            else:
                await upstream.list_models()
        except ProxyError as err:
            return False, err.message
        return True, "ok"


def add_routes(app: web.Application) -> None:
    """Register the service routes the profile serves."""
    contract = app[CONTRACT]
    routes = InfoRoutes(contract, app[UPSTREAM], app[LIMITS], app[MODELS], app[SIGNATURES])
    wrap = app[ENDPOINTS].wrap
    app.router.add_get("/health", routes.health)
    if contract.serves("reverse"):
        app.router.add_get("/api/cookies/status", wrap("reverse", routes.cookies))
    if contract.serves("cli_info"):
        app.router.add_get("/", routes.root)
        app.router.add_get("/v1/debug/cache", wrap("cli_info", routes.debug_cache))
        app.router.add_get("/v1/token-test", wrap("cli_info", routes.token_test))
        app.router.add_get("/v1/test", wrap("cli_info", routes.full_test))
