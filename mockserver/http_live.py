"""The Live API WebSocket (``BidiGenerateContent``), so WebSocket passthroughs can be
tested (gemini-proxy-deno 'WebSocket API': "proxied directly to Google's Gemini WebSocket
endpoint").

``GET /ws/google.ai.generativelanguage.{v1beta,v1alpha}.GenerativeService.
BidiGenerateContent?key=KEY`` upgrades to a WebSocket (no key: Google's 403 for
unregistered callers, before the upgrade). Every client frame is journaled (method
``WS``, the frame as the body, the ``cid`` of an in-band ``[[mock:...]]`` directive in
its text) and answered by :func:`live_answer`:

- ``{"setup": {...}}`` -> ``{"setupComplete": {}}``;
- ``{"clientContent": {"turns": [...], "turnComplete": true}}`` (or ``realtimeInput``
  text) -> one ``serverContent`` with a deterministic text ``modelTurn``, then
  ``{"serverContent": {"turnComplete": true}}``;
- a frame that is not JSON, or a message with no known field -> the socket is closed
  with 1007 and Google's reason (``Invalid JSON payload received. Unknown name "x":
  Cannot find field.``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from mockserver import errors
from mockserver.http_core import Core
from mockserver.plans import answer_words
from mockserver.responses import error_reply
from spec.scenarios import DirectiveError, find_directive

__all__ = ["LIVE_PATHS", "add_live_routes", "live_answer"]

LIVE_PATHS = tuple(
    f"/ws/google.ai.generativelanguage.{version}.GenerativeService.BidiGenerateContent"
    for version in ("v1beta", "v1alpha")
)
_KNOWN = ("setup", "clientContent", "realtimeInput", "toolResponse")
_INVALID_DATA = 1007


def _texts(message: dict[str, Any]) -> str:
    content = message.get("clientContent") or {}
    texts = [
        str(part.get("text", ""))
        for turn in content.get("turns") or ()
        if isinstance(turn, dict)
        for part in turn.get("parts") or ()
        if isinstance(part, dict)
    ]
    realtime = message.get("realtimeInput") or {}
    if isinstance(realtime.get("text"), str):
        texts.append(realtime["text"])
    return "\n".join(texts)


def live_answer(frame: bytes, seed: int) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
    """The frames the mock sends back for one client ``frame`` (pure), and the close
    ``(code, reason)`` when the frame ends the session."""
    try:
        message = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return [], (_INVALID_DATA, "Invalid JSON payload received. Root element is not JSON.")
    if not isinstance(message, dict):
        return [], (
            _INVALID_DATA,
            'Invalid JSON payload received. Unknown name "": Root element must be a message.',
        )
    unknown = [k for k in message if k not in _KNOWN]
    if unknown or not message:
        name = unknown[0] if unknown else ""
        return [], (
            _INVALID_DATA,
            f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.',
        )
    if "setup" in message:
        return [{"setupComplete": {}}], None
    if "toolResponse" in message:
        return [], None
    key = hashlib.sha256(seed.to_bytes(8, "big") + frame).digest()
    text = " ".join(answer_words(key, 6))
    return [
        {"serverContent": {"modelTurn": {"role": "model", "parts": [{"text": text}]}}},
        {"serverContent": {"turnComplete": True}},
    ], None


def _cid(frame: bytes) -> str | None:
    try:
        text = _texts(orjson.loads(frame))
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        return None
    try:
        found = find_directive(text) if "[[mock:" in text else None
    except DirectiveError:
        return None
    return found.cid if found is not None else None


def add_live_routes(app: web.Application, core: Core) -> None:
    """Register the Live API WebSocket routes."""

    async def live(request: web.Request) -> web.StreamResponse:
        key = request.query.get("key") or request.headers.get("x-goog-api-key")
        if not key:
            reply = error_reply(errors.unregistered_caller())
            return web.Response(body=reply.body, status=reply.status, headers=reply.headers)
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for msg in socket:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            frame = msg.data.encode() if msg.type is WSMsgType.TEXT else msg.data
            core.journal.record(
                method="WS",
                path=request.path,
                query=request.rel_url.raw_query_string,
                headers=request.raw_headers,
                body=frame,
                scenario=None,
                cid=_cid(frame),
                status=101,
            )
            answers, close = live_answer(frame, core.seed)
            for answer in answers:
                await socket.send_bytes(orjson.dumps(answer))
            if close is not None:
                await socket.close(code=close[0], message=close[1].encode())
                break
        return socket

    for path in LIVE_PATHS:
        app.router.add_get(path, live)
