"""The ``websocket`` executor: the WebSocket probe of :mod:`conformance.probes.websocket`,
spoken over aiohttp. The whole exchange is bounded by :data:`TIMEOUT_S`."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from ..exchange import Exchange, Request
from ..probes.base import PROBES
from ..probes.websocket import live_messages, websocket_cid
from .base import Session

__all__ = ["TIMEOUT_S", "websocket"]

TIMEOUT_S = 10.0
"""How long the probe waits for the whole exchange, in seconds."""


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


def websocket(session: Session, name: str) -> Exchange:
    """Open probe ``name``'s socket; in controlled mode speak one Live API turn through it.
    Counts one request against the budget (raises ``BudgetExhausted`` when it is spent)."""
    target = session.target
    cid = websocket_cid(session.run_id, name)
    request = PROBES[name].build(target, cid)
    messages = live_messages(target, cid) if target.controlled else []
    session.budget.acquire()
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
