"""Opt-in rate-limit probing (``--probe-rate-limits``): a short burst at one model, to see
the target's own documented limit answered the way clients can use (429 + Retry-After).
Off by default: against someone's production proxy a burst costs them quota.

The burst is sent by the ``burst`` executor (:mod:`conformance.probing.burst`): up to
:data:`BURST` requests built by :func:`burst_request`, the n-th with ``cid``
``RUN.rate_limit_burst.n``."""

from __future__ import annotations

from ..exchange import Request
from ..target import Target
from .base import Probe, chat_request, registrar

__all__ = ["BURST", "burst_request"]

probe = registrar(__name__)

BURST = 4
"""Requests sent back to back at one model, at most (stops at the first 429)."""


def burst_request(target: Target, cid: str) -> Request:
    """One request of the burst: an ordinary chat completion."""
    return chat_request(target, cid)


probe(
    Probe(
        "rate_limit_burst",
        f"up to {BURST} back-to-back requests at one model (only with --probe-rate-limits)",
        burst_request,
        executor="burst",
        features=frozenset({"rate_limits"}),
        phase=3,
    )
)
