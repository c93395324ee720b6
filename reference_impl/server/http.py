"""Reading a request and answering it, for every route family.

- bodies: :func:`read_body` (413 ``request_too_large`` beyond ``Settings.max_body_bytes``),
  :func:`read_object` (400 ``invalid_json`` / ``invalid_type`` unless a JSON object);
- answers: :func:`json_response` (compact JSON), :func:`error_response` (a
  :class:`~reference_impl.translate.errors.ProxyError` in the profile's envelope: OpenAI
  ``{"error": {...}}``, plus gemini-reverse's ``"detail"``);
- the client's key (:func:`client_key`) and the base URL of served files
  (:func:`public_base`).

Functions that need the application's settings or contract read them from
``request.app`` (:mod:`.appkeys`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from ..translate.errors import ProxyError, RequestError
from ..translate.fields import object_body
from .config_keys import CONTRACT, SETTINGS

__all__ = [
    "INTERNAL",
    "JSON_HEADERS",
    "Handler",
    "client_key",
    "error_response",
    "json_response",
    "parse_json",
    "public_base",
    "read_body",
    "read_object",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON_HEADERS = {"Content-Type": "application/json"}
INTERNAL = ProxyError(
    500, "internal error in the proxy", type="server_error", code="internal_error"
)
"""What an unexpected exception is answered with (logged, never shown as a traceback)."""


def json_response(
    obj: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """``obj`` as compact JSON with ``Content-Type: application/json``."""
    if headers:
        headers = {**JSON_HEADERS, **headers}
    return web.Response(body=orjson.dumps(obj), status=status, headers=headers or JSON_HEADERS)


def error_response(request: web.Request, err: ProxyError) -> web.Response:
    """``err`` in the envelope of the profile serving ``request``, with its headers.

    gemini-reverse documents both ``{"error": {"code", "message", "type"}}`` ('Error
    Format') and FastAPI's ``{"detail": "..."}`` (its examples); the ``detail`` style sends
    both keys, so gemini-reverse's clients and OpenAI's each find their field.
    """
    body = err.envelope()
    if request.app[CONTRACT].error_style == "detail":
        body["detail"] = err.message
    headers = {**JSON_HEADERS, **err.headers} if err.headers else JSON_HEADERS
    return web.Response(status=err.status, body=orjson.dumps(body), headers=headers)


def parse_json(raw: bytes) -> Any:
    """The JSON value of a request body; a 400 ``invalid_json`` when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(
            f"the request body is not valid JSON: {exc}", param=None, code="invalid_json"
        ) from None


async def read_body(request: web.Request) -> bytes:
    """The raw body; 413 beyond ``max_body_bytes``."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ProxyError(
            413,
            f"the request body exceeds {request.app[SETTINGS].max_body_bytes} bytes",
            type="invalid_request_error",
            code="request_too_large",
        ) from None


async def read_object(request: web.Request) -> dict[str, Any]:
    """The JSON object body; 400 naming the problem otherwise."""
    return object_body(parse_json(await read_body(request)))


def client_key(request: web.Request) -> str:
    """The client's key: ``Authorization: Bearer K``, ``x-api-key``, ``x-goog-api-key`` or
    ``?key=`` (docs/breakages.md G3); ``""`` when none was sent."""
    headers = request.headers
    auth = headers.get("Authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    key = headers.get("x-api-key") or headers.get("x-goog-api-key") or request.query.get("key")
    return key.strip() if key else ""


def public_base(request: web.Request) -> str:
    """The base URL of served files: ``--public-url``, else this request's host."""
    return request.app[SETTINGS].public_url or f"{request.scheme}://{request.host}"
