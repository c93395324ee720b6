"""The WebSocket probe of a documented ``/ws`` passthrough
(gemini-proxy-deno 'WebSocket API': "proxied directly to Google's Gemini WebSocket
endpoint").

The probe opens the socket as the document's example does (the client's key as
``Authorization: Bearer``). Black-box, it only checks the upgrade: the socket is closed
at once, nothing reaches the target's upstream. Controlled, it speaks the Live API
through it: a ``setup`` for the target's model, then one ``clientContent`` turn whose
text carries the mock directive with the probe's ``cid``, and it reads frames until
``turnComplete`` (or :data:`TIMEOUT_S`). The exchange records ``101`` (or the HTTP
status of a refused upgrade) and, as its body, one JSON line per frame received, then
``{"close": code, "reason": ...}``; the mock's journal shows the frames that arrived.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from spec.scenarios import Directive

from ..exchange import Exchange, Request
from ..http import BudgetExhausted
from ..target import Target
from .base import Probe, probe, prompt

if TYPE_CHECKING:
    from ..session import ProbeSession

__all__ = ["TIMEOUT_S", "live_messages", "ws_probe"]

TIMEOUT_S = 10.0
"""How long the probe waits for the whole exchange, in seconds."""


def live_messages(target: Target, cid: str) -> list[dict[str, Any]]:
    """The Live API messages the controlled probe sends (docs/gemini-wire.md A; Google's
    ``BidiGenerateContent``): ``setup``, then one complete user turn."""
    text = prompt(target, "Hello Gemini!", Directive(), cid)
    return [
        {"setup": {"model": f"models/{target.model}"}},
        {
            "clientContent": {
                "turns": [{"role": "user", "parts": [{"text": text}]}],
                "turnComplete": True,
            }
        },
    ]


def _request(target: Target, path: str) -> Request:
    return Request("GET", target.absolute(path), dict(target.auth_headers()))


async def _talk(
    request: Request, messages: list[dict[str, Any]]
) -> tuple[int | None, list[bytes], str | None]:
    url = "ws" + request.url.removeprefix("http")
    frames: list[bytes] = []
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.ws_connect(url, headers=dict(request.headers)) as ws,
        ):
            for message in messages:
                await ws.send_str(json.dumps(message))
            reason = ""
            while messages:
                msg = await ws.receive(timeout=TIMEOUT_S)
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                    frames.append(data)
                    if b'"turnComplete"' in data:
                        break
                    continue
                if msg.type is aiohttp.WSMsgType.CLOSE:
                    reason = str(msg.extra or "")
                break  # closed, closing or an error
            await ws.close()
            frames.append(json.dumps({"close": ws.close_code, "reason": reason}).encode())
            return 101, frames, None
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status, frames, None
    except (aiohttp.ClientError, TimeoutError) as exc:
        return (101 if frames else None), frames, f"{type(exc).__name__}: {exc}"


def ws_probe(path: str) -> Any:
    """A custom probe executor for the WebSocket at ``path``."""

    def run(session: ProbeSession, name: str) -> Exchange:
        target = session.target
        cid = f"{session.run_id}.{name}".replace("@", ".")  # a cid is [A-Za-z0-9_.-]
        request = _request(target, path)
        messages = live_messages(target, cid) if target.controlled else []
        try:
            session.budget.acquire()
        except BudgetExhausted:
            raise
        started = time.monotonic()
        status, frames, error = asyncio.run(_talk(request, messages))
        exchange = Exchange(
            probe=name,
            request=request,
            status=status,
            chunks=tuple((time.monotonic() - started, f + b"\n") for f in frames),
            transport_error=error,
        )
        return session.annotate(exchange, cid)

    return run


def register(profile: str, path: str, operation_id: str) -> str:
    """Register the probe of the documented WebSocket ``path``; return its name."""
    name = f"{operation_id}@{profile}"
    probe(
        Probe(
            name,
            f"WebSocket {path}: the upgrade, and in controlled mode a Live API turn through it",
            lambda target, cid: _request(target, path),
            custom=ws_probe(path),
            profiles=frozenset({profile}),
        )
    )
    return name
