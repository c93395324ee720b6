"""Probe I/O: the executors of the probes that one request does not make.

A probe (:mod:`conformance.probes`, pure data) whose ``executor`` names one here is sent
by that function instead of the session's one request (and second turn):

- ``burst`` (:mod:`.burst`): the opt-in rate-limit burst;
- ``websocket`` (:mod:`.websocket`): a documented WebSocket upgrade and a Live API turn;
- ``generated`` / ``negative`` (:mod:`.properties`): the property searches.

The session (:mod:`conformance.session`) sends every probe; checks never import this
package (they do no I/O). Importing it verifies that every registered probe's
``executor`` is one of :data:`EXECUTORS` and raises ``LookupError`` naming the probe
otherwise.

To add a probe that needs an executor of its own: write the executor here (a function
``(session, probe name) -> Exchange``, see :mod:`.base`), add it to :data:`EXECUTORS`,
and name it in the probe's ``executor``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..probes import PROBES
from .base import Executor, Session
from .burst import burst
from .properties import generated, negative
from .websocket import websocket

__all__ = ["EXECUTORS", "Executor", "Session", "unknown_executors"]

EXECUTORS: Mapping[str, Executor] = {
    "burst": burst,
    "generated": generated,
    "negative": negative,
    "websocket": websocket,
}
"""Every executor by the name a probe's ``executor`` gives."""


def unknown_executors() -> dict[str, str]:
    """``probe name -> executor`` for every registered probe whose executor is not one
    of :data:`EXECUTORS` (empty when all are)."""
    return {
        name: p.executor
        for name, p in PROBES.items()
        if p.executor is not None and p.executor not in EXECUTORS
    }


if unknown_executors():
    raise LookupError(
        "probes name executors that conformance.probing does not define: "
        + ", ".join(f"{name} -> {executor!r}" for name, executor in unknown_executors().items())
    )
