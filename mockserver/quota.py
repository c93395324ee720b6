"""Per-API-key request quotas, so proxies' key rotation can be tested (pure).

Nothing here reads a clock: every call takes ``now``, a monotonic time in seconds that
the server shell reads from its (injectable) clock.

**Windows.** A key may have a per-minute and a per-day limit (``None``: unlimited; 0:
every request is refused). Each limit counts requests in a fixed window that opens at
the first request after the previous window closed and lasts :data:`MINUTE` or
:data:`DAY` seconds. A request is admitted when neither window is full; admitted
requests count in both windows, refused ones in neither (Google does not charge a
refused call). The day limit is checked first.

**Refusal** is an :class:`Exhausted`: which window, its limit and the seconds until it
closes, which the server sends as Google's 429 (docs/gemini-wire.md A5): per minute with
``RetryInfo.retryDelay`` = the remaining seconds (:func:`mockserver.errors.rate_limit`),
per day as the daily ``QuotaFailure`` (:func:`mockserver.errors.daily_quota`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from mockserver.journal import fingerprint
from spec.mock_admin import KeyUsage, Window

__all__ = ["DAY", "MINUTE", "Exhausted", "KeyQuota", "Quotas", "check_limit"]

MINUTE = 60.0
DAY = 86_400.0


class Exhausted(NamedTuple):
    """A refused request: ``period`` (``minute``/``day``), the window's ``limit``
    (requests) and ``retry_after``, the seconds until the window closes (> 0)."""

    period: Literal["minute", "day"]
    limit: int
    retry_after: float


@dataclass(slots=True)
class _Window:
    length: float
    start: float | None = None
    used: int = 0

    def roll(self, now: float) -> float:
        """Open a new window when none is open at ``now``; return the window's start."""
        if self.start is None or now >= self.start + self.length:
            self.start = now
            self.used = 0
        return self.start

    def remaining(self, now: float) -> float | None:
        if self.start is None or now >= self.start + self.length:
            return None
        return self.start + self.length - now


def check_limit(name: str, value: Any) -> int | None:
    """``value`` as a limit (an int >= 0, or ``None``); ``ValueError`` naming ``name``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0 or null; got {value!r}")
    return value


@dataclass(slots=True)
class KeyQuota:
    """The limits and usage of one key (see the module docstring)."""

    per_minute: int | None = None
    per_day: int | None = None
    minute: _Window = field(default_factory=lambda: _Window(MINUTE))
    day: _Window = field(default_factory=lambda: _Window(DAY))
    admitted: int = 0
    refused: int = 0

    def take(self, now: float) -> Exhausted | None:
        """Admit one request at ``now`` (``None``) or refuse it (:class:`Exhausted`)."""
        minute_start = self.minute.roll(now)
        day_start = self.day.roll(now)
        if self.per_day is not None and self.day.used >= self.per_day:
            self.refused += 1
            return Exhausted("day", self.per_day, _positive(day_start + DAY - now))
        if self.per_minute is not None and self.minute.used >= self.per_minute:
            self.refused += 1
            return Exhausted("minute", self.per_minute, _positive(minute_start + MINUTE - now))
        self.minute.used += 1
        self.day.used += 1
        self.admitted += 1
        return None

    def reset(self) -> None:
        """Forget all usage (the limits stay)."""
        self.minute = _Window(MINUTE)
        self.day = _Window(DAY)
        self.admitted = self.refused = 0

    def snapshot(self, now: float, sha256: str) -> KeyUsage:
        """The ``KeyUsage`` of ``spec/openapi/mock-admin.yaml`` for this key, whose
        fingerprint is ``sha256``: ``{"sha256", "per_minute", "per_day", "minute":
        {"used", "resets_in"}, "day": {...}, "admitted", "refused"}``; ``resets_in`` is
        seconds, ``null`` when the window is closed (its ``used`` is then 0)."""

        def window(w: _Window) -> Window:
            left = w.remaining(now)
            return {
                "used": w.used if left is not None else 0,
                "resets_in": None if left is None else round(left, 3),
            }

        return {
            "sha256": sha256,
            "per_minute": self.per_minute,
            "per_day": self.per_day,
            "minute": window(self.minute),
            "day": window(self.day),
            "admitted": self.admitted,
            "refused": self.refused,
        }


def _positive(seconds: float) -> float:
    return max(round(seconds, 3), 0.001)


class Quotas:
    """The keys that have quotas, by key. Keys without one are never refused."""

    __slots__ = ("_keys",)

    def __init__(self) -> None:
        self._keys: dict[str, KeyQuota] = {}

    def set(self, key: str, per_minute: int | None, per_day: int | None) -> KeyQuota:
        """Give ``key`` these limits, with fresh usage; ``ValueError`` on a bad value."""
        if not isinstance(key, str) or not key:
            raise ValueError(f"key must be a non-empty string; got {key!r}")
        quota = KeyQuota(check_limit("per_minute", per_minute), check_limit("per_day", per_day))
        self._keys[key] = quota
        return quota

    def take(self, key: str, now: float) -> Exhausted | None:
        """Admit or refuse one request with ``key`` at ``now``; keys without a quota pass."""
        quota = self._keys.get(key)
        return None if quota is None else quota.take(now)

    def reset(self) -> int:
        """Forget the usage of every key; return how many keys there are."""
        for quota in self._keys.values():
            quota.reset()
        return len(self._keys)

    def snapshot(self, now: float) -> list[KeyUsage]:
        """One :meth:`KeyQuota.snapshot` per key, with ``sha256`` (the journal's key
        fingerprint, :func:`mockserver.journal.fingerprint`) in place of the key."""
        return [quota.snapshot(now, fingerprint(key)) for key, quota in self._keys.items()]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)


class FirstKeys:
    """The ``key_rate_limit`` scenario's memory: which credential first sent each
    correlation id (docs/breakages.md E1: one key's quota spent, the next one's not).

    :meth:`directive_for` rewrites the directive of a request: the first credential of a
    ``cid`` keeps ``key_rate_limit`` (answered as ``rate_limit``: 429 with
    ``RetryInfo``); any other credential gets the ``text`` answer. Keys are kept as
    fingerprints, the newest ``capacity`` correlation ids only.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._first: dict[str, str] = {}
        self._capacity = capacity

    def is_first(self, cid: str, key: str) -> bool:
        """True when ``key`` is the first credential seen for ``cid`` (recording it)."""
        mark = fingerprint(key)
        first = self._first.setdefault(cid, mark)
        if len(self._first) > self._capacity:
            del self._first[next(iter(self._first))]
        return first == mark
