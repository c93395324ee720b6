"""Failed admin logins, throttled per client: a fixed window. Pure (the clock is passed).

A client (its address) may fail :data:`MAX_FAILURES` logins per :data:`WINDOW_S`
seconds; past that, every login from it, right or wrong, is refused with 429 and
``Retry-After`` until its window ends. A success clears the client's count. At most
:data:`MAX_CLIENTS` clients are remembered (the oldest windows are dropped first), so a
flood of addresses cannot grow memory without bound.
"""

from __future__ import annotations

import math

__all__ = ["MAX_CLIENTS", "MAX_FAILURES", "WINDOW_S", "LoginThrottle"]

MAX_FAILURES = 5
WINDOW_S = 60.0
MAX_CLIENTS = 10_000


class LoginThrottle:
    """Failed logins per client in a fixed window (``now`` in seconds, any monotonic
    clock)."""

    __slots__ = ("_failures", "max_failures", "window_s")

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, tuple[float, int]] = {}
        """client -> (window start, failures in it)."""

    def retry_after(self, client: str, now: float) -> int:
        """Seconds (>= 1) the client must wait before it may try again; 0: it may."""
        entry = self._failures.get(client)
        if entry is None:
            return 0
        start, count = entry
        if now - start >= self.window_s:
            del self._failures[client]
            return 0
        if count < self.max_failures:
            return 0
        return max(1, math.ceil(start + self.window_s - now))

    def failed(self, client: str, now: float) -> None:
        """Count one failed login of ``client``."""
        start, count = self._failures.get(client, (now, 0))
        if now - start >= self.window_s:
            start, count = now, 0
        self._failures.pop(client, None)
        self._failures[client] = (start, count + 1)
        while len(self._failures) > MAX_CLIENTS:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures."""
        self._failures.pop(client, None)
