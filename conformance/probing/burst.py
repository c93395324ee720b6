"""The ``burst`` executor: the rate-limit burst of :mod:`conformance.probes.ratelimits`."""

from __future__ import annotations

from ..exchange import Exchange
from ..probes.base import PROBES, correlation_id
from ..probes.ratelimits import BURST
from .base import Session

__all__ = ["burst"]


def burst(session: Session, name: str) -> Exchange:
    """Send probe ``name``'s request up to :data:`BURST` times back to back, stopping at
    the first 429; the exchange is the last one."""
    build = PROBES[name].build
    last: Exchange | None = None
    for i in range(1, BURST + 1):
        cid = correlation_id(session.run_id, name, i)
        last = session.send_request(name, build(session.target, cid), cid)
        if last.status == 429:
            break
    assert last is not None
    return last
