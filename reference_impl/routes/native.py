"""Gemini-native passthrough: ``/gemini/v1beta/{path}`` (gemini-reverse section 9).

Any method and path under ``/gemini/v1beta/`` goes to ``{upstream}/{path}`` with the
proxy's own credential (never the client's, docs/breakages.md G3) and the client's
query minus ``key``; the answer comes back as it is, streamed (``alt=sse`` framing
untouched). On Code Assist (docs/gemini-wire.md A7) ``models/{m}:generateContent`` and
``:streamGenerateContent`` are wrapped and unwrapped (each SSE event re-framed
``data: <json>\\r\\n\\r\\n``) and ``GET models`` lists the Code Assist models. Errors are
Gemini's ``{"error": {"code", "message", "status"}}`` (A5), as a native client expects,
including the 400 for a request the document rejects (gemini-reverse §9 documents text parts only).
"""

from __future__ import annotations

import re

import aiohttp
import orjson
from aiohttp import web

from spec.sse import SSEDecoder
from spec.wire import GRPC_STATUS_HTTP

from ..server.appkeys import CLIENT_AUTH, CONTRACT, DOCUMENT, UPSTREAM
from ..server.auth import ClientAuth
from ..server.document import DocumentCheck
from ..server.http import json_response, read_body
from ..translate.errors import ProxyError
from ..upstream.client import Upstream, unwrap

__all__ = ["NativeRoutes", "add_routes", "google_error"]

_STATUS_NAME = {code: name for name, code in reversed(list(GRPC_STATUS_HTTP.items()))}
_CALL_RE = re.compile(r"^models/([A-Za-z0-9][A-Za-z0-9._\-]{0,127}):(\w+)$")
_HOP = frozenset({"content-length", "transfer-encoding", "connection", "content-encoding"})
_BAD_JSON = ProxyError(
    400, "Invalid JSON payload received.", type="invalid_request_error", code="invalid_json"
)


def google_error(err: ProxyError) -> web.Response:
    """``err`` as a ``google.rpc.Status`` body (A5)."""
    status = _STATUS_NAME.get(err.status, "UNKNOWN")
    body = {"error": {"code": err.status, "message": err.message, "status": status}}
    headers = {"Content-Type": "application/json; charset=UTF-8", **err.headers}
    return web.Response(status=err.status, body=orjson.dumps(body), headers=headers)


async def _relay(request: web.Request, resp: aiohttp.ClientResponse) -> web.StreamResponse:
    """The upstream answer as it is (hop-by-hop headers dropped), streamed."""
    headers = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP}
    out = web.StreamResponse(status=resp.status, headers=headers)
    await out.prepare(request)
    try:
        async for chunk in resp.content.iter_any():
            await out.write(chunk)
        await out.write_eof()
    except (ConnectionError, aiohttp.ClientError, TimeoutError):
        pass
    finally:
        resp.release()
    return out


class NativeRoutes:
    """The passthrough handler, bound to the upstream, client auth and the document's
    checks."""

    __slots__ = ("_auth", "_document", "_upstream")

    def __init__(self, upstream: Upstream, auth: ClientAuth, document: DocumentCheck) -> None:
        self._upstream = upstream
        self._auth = auth
        self._document = document

    async def native(self, request: web.Request) -> web.StreamResponse:
        """Any method on ``/gemini/v1beta/{path}``; errors as ``google.rpc.Status``."""
        denied = self._auth.gate(request, "reverse")
        if denied is not None:
            return google_error(denied)
        path = request.match_info["path"]
        try:
            await self._document.check_request(request)
            body = await read_body(request)
            if self._upstream.code_assist:
                return await self._code_assist(request, path, body)
            query = {k: v for k, v in request.query.items() if k != "key"}
            resp = await self._upstream.passthrough(request.method, path, query, body)
            return await _relay(request, resp)
        except ProxyError as err:
            return google_error(err)
        except orjson.JSONDecodeError:
            return google_error(_BAD_JSON)

    async def _code_assist(
        self, request: web.Request, path: str, body: bytes
    ) -> web.StreamResponse:
        upstream = self._upstream
        if path == "models" and request.method == "GET":
            return json_response({"models": await upstream.list_models()})
        m = _CALL_RE.match(path)
        if m is None or m.group(2) not in ("generateContent", "streamGenerateContent"):
            raise ProxyError(
                404,
                f"{path} is not available on the Code Assist upstream",
                type="invalid_request_error",
                code="not_found",
            )
        model, method = m.groups()
        if method == "generateContent":
            return json_response(await upstream.call(model, method, orjson.loads(body or b"{}")))
        resp = await upstream.generate(model, body, stream=True)
        out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await out.prepare(request)
        decoder = SSEDecoder()
        try:
            async for chunk in resp.content.iter_any():
                events = decoder.feed(chunk)
                if events:
                    await out.write(
                        b"".join(
                            b"data: " + orjson.dumps(unwrap(orjson.loads(e.data))) + b"\r\n\r\n"
                            for e in events
                        )
                    )
            await out.write_eof()
        except (ConnectionError, aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError):
            pass
        finally:
            resp.release()
        return out


def add_routes(app: web.Application) -> None:
    """Register the passthrough when the profile serves it."""
    if not app[CONTRACT].serves("reverse"):
        return
    routes = NativeRoutes(app[UPSTREAM], app[CLIENT_AUTH], app[DOCUMENT])
    app.router.add_route("*", "/gemini/v1beta/{path:.+}", routes.native)
