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

from .state import JSON_HEADERS, State, json_response
from .translate.errors import ProxyError

__all__ = ["SERVICE_INFO", "add_routes", "iso_now"]

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


def iso_now() -> str:
    """Now as ``2026-01-02T10:30:00.000Z``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def add_routes(app: web.Application, state: State) -> None:
    """Register the service routes the profile serves."""
    contract = state.contract
    checks: dict[str, Any] = {"valid": None, "last_check": None}

    async def health(_request: web.Request) -> web.StreamResponse:
        if contract.health == "plain":
            return web.Response(body=_PLAIN, headers=JSON_HEADERS)
        if contract.health == "timestamp":
            return json_response({"status": "ok", "timestamp": iso_now()})
        limiter = state.limiter
        snapshot = (
            limiter.snapshot()
            if limiter is not None
            else {
                "rate_limiter": {
                    "current_delay": 0.0,
                    "requests_last_minute": 0,
                    "consecutive_429s": 0,
                    "rpm_limit": 60,
                },
                "concurrency": {"max": 2, "available": 2},
            }
        )
        return json_response(
            {
                "status": "ok",
                "version": "4.2",
                "client_ready": len(state.pool) > 0,
                "watermark_removal": False,
                "provider_mode": False,
                **snapshot,
            }
        )

    async def token_ok() -> tuple[bool, str]:
        try:
            if state.upstream.code_assist:
                cred = state.pool.pick("token-test")
                if cred is None:
                    return False, "no OAuth refresh token configured"
                await state.upstream.tokens.token(state.upstream.session, cred.secret)
            else:
                await state.upstream.list_models()
        except ProxyError as err:
            return False, err.message
        return True, "ok"

    async def cookies(_request: web.Request) -> web.StreamResponse:
        if checks["last_check"] is None or time.monotonic() - checks["checked_at"] > 60:
            valid, _ = await token_ok()
            checks.update(valid=valid, last_check=iso_now(), checked_at=time.monotonic())
        return json_response(
            {
                "valid": checks["valid"],
                "last_check": checks["last_check"],
                "cookies_configured": len(state.pool) > 0,
            }
        )

    async def root(_request: web.Request) -> web.StreamResponse:
        return json_response(SERVICE_INFO)

    async def debug_cache(_request: web.Request) -> web.StreamResponse:
        models = state.models_cache
        return json_response(
            {
                "status": "ok",
                "timestamp": iso_now(),
                "cache": {
                    "models": {
                        "cached": models is not None,
                        "count": len(models[1]["data"]) if models else 0,
                        "expires_in_s": round(max(0.0, models[0] - time.monotonic()), 3)
                        if models
                        else 0,
                    },
                    "thought_signatures": len(state.signatures),
                    "credentials": state.pool.status(),
                    "rotation": {
                        "strategy": state.pool.strategy,
                        "requestCount": state.pool.request_count,
                    },
                },
            }
        )

    async def token_test(_request: web.Request) -> web.StreamResponse:
        valid, detail = await token_ok()
        return json_response(
            {
                "status": "ok" if valid else "error",
                "token_valid": valid,
                "upstream": state.settings.upstream_kind,
                "message": detail,
                "timestamp": iso_now(),
            },
            status=200 if valid else 502,
        )

    async def full_test(_request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        token_valid, detail = await token_ok()
        chat: dict[str, Any] = {"ok": False}
        if token_valid:
            model = contract.default_model or "gemini-2.5-flash"
            try:
                answer = await state.upstream.call(
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

    app.router.add_get("/health", health)
    if contract.serves("reverse"):
        app.router.add_get("/api/cookies/status", state.endpoint("reverse", cookies))
    if contract.serves("cli_info"):
        app.router.add_get("/", root)
        app.router.add_get("/v1/debug/cache", state.endpoint("cli_info", debug_cache))
        app.router.add_get("/v1/token-test", state.endpoint("cli_info", token_test))
        app.router.add_get("/v1/test", state.endpoint("cli_info", full_test))
