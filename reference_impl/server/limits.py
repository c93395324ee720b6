"""gemini-reverse's documented rate limits ('Rate Limits'), enforced with ``--rate-limits``
in that profile (:class:`~reference_impl.policy.ratelimit.RateLimiter`).

A route that spends upstream quota for a model takes a slot first: ``with
limits.slot(request, model): ...`` (or :meth:`Limits.admit` when the slot must outlive a
block); a refusal is a 429 ``rate_limit_exceeded`` with ``Retry-After``. Without enforced
limits every request is admitted at no cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from ..policy.ratelimit import RateLimiter
from ..translate.errors import ProxyError

__all__ = ["IDLE_HEALTH", "Limits"]

IDLE_HEALTH: dict[str, Any] = {
    "rate_limiter": {
        "current_delay": 0.0,
        "requests_last_minute": 0,
        "consecutive_429s": 0,
        "rpm_limit": 60,
    },
    "concurrency": {"max": 2, "available": 2},
}
"""gemini-reverse's ``/health`` ``rate_limiter`` and ``concurrency`` when nothing is enforced."""


class Limits:
    """The rate limits of one application; ``limiter`` is ``None`` when none are enforced."""

    __slots__ = ("limiter",)

    def __init__(self, limiter: RateLimiter | None) -> None:
        self.limiter = limiter

    def admit(self, request: web.Request, model: str) -> Callable[[], None] | None:
        """Admit one request for ``model``: the function that gives the concurrency slot
        back (``None`` when no limits are enforced); raises the 429 ProxyError with
        ``Retry-After``."""
        limiter = self.limiter
        if limiter is None:
            return None
        refusal = limiter.admit(request.remote or "?", model)
        if refusal is not None:
            raise ProxyError(
                429,
                refusal.message,
                type="rate_limit_error",
                code="rate_limit_exceeded",
                headers={"Retry-After": refusal.retry_after},
            )
        return limiter.release

    @contextmanager
    def slot(self, request: web.Request, model: str) -> Iterator[None]:
        """:meth:`admit` for the duration of a ``with`` block."""
        release = self.admit(request, model)
        try:
            yield
        finally:
            if release is not None:
                release()

    def health(self) -> dict[str, Any]:
        """The ``rate_limiter`` and ``concurrency`` objects of gemini-reverse's ``/health``."""
        return self.limiter.snapshot() if self.limiter is not None else IDLE_HEALTH
