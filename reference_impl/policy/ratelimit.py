"""The documented rate limits of gemini-reverse 'Rate Limits'. Pure.

=====================  =========  ==============================================
limit                  value      enforced as
=====================  =========  ==============================================
requests per IP        60/hour    a sliding one-hour window per client address
same-model interval    5 s        since the last admitted request for the model
max concurrency        2          requests in flight at once
=====================  =========  ==============================================

:meth:`RateLimiter.admit` answers ``None`` (admitted: a concurrency slot is taken
and must be given back with :meth:`RateLimiter.release`) or a :class:`Refusal` with
the seconds to wait (``Retry-After``) and gemini-reverse's message ("Model gemini-2.5-flash rate
limited, please wait 4.2 seconds"). ``clock()`` is in seconds (injected for tests).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RateLimiter", "Refusal"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """``retry_after_s``: seconds until the request would be admitted."""

    retry_after_s: float
    message: str

    @property
    def retry_after(self) -> str:
        """Whole seconds, rounded up, at least 1 (``Retry-After``)."""
        return str(max(1, math.ceil(self.retry_after_s)))


class RateLimiter:
    """``per_hour`` requests per IP per hour, ``interval_s`` between requests for one
    model, ``concurrency`` in flight."""

    __slots__ = (
        "_clock",
        "_hits",
        "_last_model",
        "_minute",
        "concurrency",
        "consecutive_429s",
        "in_flight",
        "interval_s",
        "per_hour",
    )

    def __init__(
        self,
        per_hour: int = 60,
        interval_s: float = 5.0,
        concurrency: int = 2,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_hour = per_hour
        self.interval_s = interval_s
        self.concurrency = concurrency
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._last_model: dict[str, float] = {}
        self._minute: deque[float] = deque()
        self.in_flight = 0
        self.consecutive_429s = 0

    def admit(self, ip: str, model: str) -> Refusal | None:
        """Admit one request from ``ip`` for ``model`` now, or say how long to wait."""
        now = self._clock()
        hits = self._hits.setdefault(ip, deque())
        while hits and hits[0] <= now - 3600:
            hits.popleft()
        refusal: Refusal | None = None
        if self.in_flight >= self.concurrency:
            refusal = Refusal(
                1.0, f"Too many concurrent requests (max {self.concurrency}), please retry"
            )
        elif len(hits) >= self.per_hour:
            wait = hits[0] + 3600 - now
            refusal = Refusal(
                wait,
                f"Rate limit exceeded: {self.per_hour} requests per hour per IP, "
                f"please wait {wait:.1f} seconds",
            )
        else:
            last = self._last_model.get(model)
            if last is not None and now - last < self.interval_s:
                wait = last + self.interval_s - now
                refusal = Refusal(
                    wait, f"Model {model} rate limited, please wait {wait:.1f} seconds"
                )
        if refusal is not None:
            self.consecutive_429s += 1
            return refusal
        self.consecutive_429s = 0
        hits.append(now)
        self._last_model[model] = now
        self._minute.append(now)
        self.in_flight += 1
        return None

    def release(self) -> None:
        """Give back the concurrency slot of an admitted request."""
        if self.in_flight > 0:
            self.in_flight -= 1

    def snapshot(self) -> dict[str, Any]:
        """The ``rate_limiter`` and ``concurrency`` objects of gemini-reverse's ``/health``."""
        now = self._clock()
        minute = self._minute
        while minute and minute[0] <= now - 60:
            minute.popleft()
        return {
            "rate_limiter": {
                "current_delay": float(self.interval_s),
                "requests_last_minute": len(minute),
                "consecutive_429s": self.consecutive_429s,
                "rpm_limit": self.per_hour,
            },
            "concurrency": {
                "max": self.concurrency,
                "available": max(0, self.concurrency - self.in_flight),
            },
        }
