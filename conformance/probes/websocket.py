"""The WebSocket probe of a documented ``/ws`` passthrough
(gemini-proxy-deno 'WebSocket API': "proxied directly to Google's Gemini WebSocket
endpoint"): what it sends. The ``websocket`` executor (:mod:`conformance.probing.websocket`)
talks over the socket.

The probe opens the socket as the document's example does (the client's key as
``Authorization: Bearer``; :func:`upgrade_request`). Black-box, it only checks the
upgrade: the socket is closed at once, nothing reaches the target's upstream. Controlled,
it speaks the Live API through it (:func:`live_messages`): a ``setup`` for the target's
model, then one ``clientContent`` turn whose text carries the mock directive with the
probe's ``cid`` (:func:`websocket_cid`), and it reads frames until ``turnComplete``. The
exchange records ``101`` (or the HTTP status of a refused upgrade) and, as its body, one
JSON line per frame received, then ``{"close": code, "reason": ...}``; the mock's journal
shows the frames that arrived.
"""

from __future__ import annotations

from typing import Any

from spec.scenarios import Directive

from ..exchange import Request
from ..target import Target
from .base import Probe, correlation_id, prompt

__all__ = ["live_messages", "upgrade_request", "websocket_cid", "websocket_probe"]


def websocket_cid(run_id: str, name: str) -> str:
    """The probe's ``cid``: :func:`~.base.correlation_id` with the ``@`` of a documented
    probe's name turned into ``.`` (a cid is ``[A-Za-z0-9_.-]``)."""
    return correlation_id(run_id, name).replace("@", ".")


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


def upgrade_request(target: Target, path: str) -> Request:
    """The upgrade request: ``GET`` of ``path`` with the client's credentials."""
    return Request("GET", target.absolute(path), dict(target.request_headers()))


def websocket_probe(profile: str, path: str, operation_id: str) -> Probe:
    """The probe of the documented WebSocket ``path`` (``operationId@profile``), for
    :mod:`.documented` to register."""
    return Probe(
        f"{operation_id}@{profile}",
        f"WebSocket {path}: the upgrade, and in controlled mode a Live API turn through it",
        lambda target, cid: upgrade_request(target, path),
        executor="websocket",
        profiles=frozenset({profile}),
    )
