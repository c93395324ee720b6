"""Opt-in rate-limit probing (``--probe-rate-limits``): a short burst at one model, to see
the target's own documented limit answered the way clients can use (429 + Retry-After).
Off by default: against someone's production proxy a burst costs them quota."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exchange import Exchange
from .base import Probe, chat_request, probe

if TYPE_CHECKING:
    from ..session import ProbeSession

__all__ = ["BURST"]

BURST = 4
"""Requests sent back to back at one model, at most (stops at the first 429)."""


def _burst(session: ProbeSession, name: str) -> Exchange:
    last: Exchange | None = None
    for i in range(1, BURST + 1):
        cid = f"{session.run_id}.{name}.{i}"
        last = session.send_request(name, chat_request(session.target, cid), cid)
        if last.status == 429:
            break
    assert last is not None
    return last


probe(
    Probe(
        "rate_limit_burst",
        f"up to {BURST} back-to-back requests at one model (only with --probe-rate-limits)",
        lambda t, c: chat_request(t, c),
        custom=_burst,
        features=frozenset({"rate_limits"}),
        phase=3,
    )
)
