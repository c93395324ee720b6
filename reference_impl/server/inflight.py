"""A bound on the request-body bytes in flight across all requests (issue 15 item 7).

A body costs several times its size while a request is handled (the bytes, the parsed
JSON, the Gemini request, its serialisation), so many large bodies at once could take the
proxy's memory far beyond ``max_body_bytes``. :func:`body_budget` (an aiohttp middleware)
reserves each request's declared ``Content-Length`` (``max_body_bytes`` for a chunked body
of unknown length) before the handler reads it, and releases it when the answer is done:

- a declared length over ``Settings.max_body_bytes``: 413 ``request_too_large`` at once,
  nothing read;
- a reservation that would take the total past ``Settings.max_inflight_bytes``: 503
  ``server_busy`` with ``Retry-After: 1`` (openai-python and openai-node retry it);
- bodyless requests pass untouched.
"""

from __future__ import annotations

from aiohttp import web

from ..translate.errors import ProxyError
from .config_keys import SETTINGS
from .http import Handler, error_response

__all__ = ["InflightBytes", "body_budget"]


class InflightBytes:
    """The bytes reserved by requests in progress, at most ``limit``."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def reserve(self, n: int) -> bool:
        """Reserve ``n`` bytes; ``False`` (nothing reserved) past the limit."""
        if self.used + n > self.limit:
            return False
        self.used += n
        return True

    def release(self, n: int) -> None:
        self.used -= n


INFLIGHT: web.AppKey[InflightBytes] = web.AppKey("inflight_bytes")

_BUSY = ProxyError(
    503,
    "the proxy is handling too many large request bodies at once; retry shortly",
    type="server_error",
    code="server_busy",
    headers={"Retry-After": "1"},
)


@web.middleware
async def body_budget(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reserve the request's body bytes for the time of its answer (see the module)."""
    if not request.body_exists:
        return await handler(request)
    cap = request.app[SETTINGS].max_body_bytes
    size = request.content_length
    if size is not None and size > cap:
        return error_response(
            request,
            ProxyError(
                413,
                f"the request body exceeds {cap} bytes",
                type="invalid_request_error",
                code="request_too_large",
            ),
        )
    size = cap if size is None else size
    budget = request.app[INFLIGHT]
    if not budget.reserve(size):
        return error_response(request, _BUSY)
    try:
        return await handler(request)
    finally:
        budget.release(size)
