"""Sending a replayed capture (:mod:`mockserver.captures`) from the aiohttp routes.

:func:`deliver` is :meth:`mockserver.http_core.Core.send` for every generate reply: a
reply whose directive names a capture is journaled with the scenario ``capture:NAME``
(the ``cid``, request and ``response`` summary as for any generate call) and sent the
same way; any other reply goes to :meth:`~mockserver.http_core.Core.send` unchanged.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from mockserver.http_core import Core, stream
from mockserver.request import CID_HEADER, request_cid
from mockserver.responses import Handled

__all__ = ["deliver"]


async def deliver(
    core: Core, request: web.Request, handled: Handled, raw: bytes = b""
) -> web.StreamResponse:
    """Record and send ``handled`` (see the module docstring)."""
    directive = handled.directive
    if directive is None or directive.capture is None:
        return await core.send(request, handled, raw)
    reply = handled.reply
    core.journal.record(
        method=request.method,
        path=request.path,
        query=request.rel_url.raw_query_string,
        headers=request.raw_headers,
        body=raw,
        scenario=f"capture:{directive.capture}",
        cid=request_cid(request.headers.get(CID_HEADER), directive.cid, raw),
        status=reply.status,
        response=reply.summary,
    )
    if reply.first_byte_ms:
        await asyncio.sleep(reply.first_byte_ms / 1000)
    if reply.writes is None:
        return web.Response(body=reply.body, status=reply.status, headers=reply.headers)
    return await stream(request, reply)
