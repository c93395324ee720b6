"""Reading a request and answering it, for every route family.

- bodies: :func:`read_body` (413 ``request_too_large`` beyond ``Settings.max_body_bytes``),
  :func:`parse_json` (400 ``invalid_json``; 400 ``nesting_too_deep`` beyond
  :data:`MAX_DEPTH` levels, checked before any schema validation, which recurses),
  :func:`read_object` (400 ``invalid_type`` unless a JSON object);
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
    "MAX_DEPTH",
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


MAX_DEPTH = 100
"""The deepest nesting of arrays and objects a request body may have (the body itself is
level 1). Far beyond any real request (a tool schema 40 levels deep is 80 here); deeper
bodies made schema validation recurse past Python's limit (a 500)."""


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays/objects more than ``limit`` levels; iterative."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                if child:
                    stack.append((child, depth + 1))
    return False


def parse_json(raw: bytes) -> Any:
    """The JSON value of a request body; a 400 ``invalid_json`` when it is not JSON, a
    400 ``nesting_too_deep`` when it nests more than :data:`MAX_DEPTH` levels."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(
            f"the request body is not valid JSON: {exc}", param=None, code="invalid_json"
        ) from None
    # only a body with more brackets than the limit can be too deep: one C-speed count
    if (
        isinstance(value, (dict, list))
        and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
        and _too_deep(value, MAX_DEPTH)
    ):
        raise RequestError(
            f"the request body nests arrays and objects more than {MAX_DEPTH} levels deep",
            param=None,
            code="nesting_too_deep",
        )
    return value


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
    """The base URL of served files: ``--public-url``, else the local address this
    request arrived on (never the ``Host`` header, which the client chooses)."""
    public = request.app[SETTINGS].public_url
    if public:
        return public
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        settings = request.app[SETTINGS]
        sockname = (settings.host, settings.port)
    host, port = str(sockname[0]), int(sockname[1])
    if ":" in host:
        host = f"[{host}]"
    return f"{request.scheme}://{host}:{port}"
