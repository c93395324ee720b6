"""The pool of upstream credentials: rotation strategies, cooldowns, failover. Pure.

A credential is an opaque string: a Gemini API key (``x-goog-api-key``), or an OAuth
refresh token for Code Assist. Sources: antigravity2api 'Rotation Strategy Configuration' and
'Notes' 9 (``round_robin``: switch after every request; ``quota_exhausted``: switch only
when the quota is exhausted; ``request_count``: switch after N requests, default 50),
gemini-cli-proxy 'Rate Limiting' (cooldown of a rate-limited credential, round-robin, failover),
docs/gemini-wire.md A5 (``RetryInfo.retryDelay``), docs/breakages.md E1.

Cooldowns are per (credential, model), like Google's quotas. A cooling or disabled
credential is skipped while another one is usable; when none is, :meth:`KeyPool.pick`
still returns the one that recovers first (the upstream has the last word, and one
client request is never failed locally for a cooldown it did not cause). Time is
``clock()`` seconds (monotonic by default), injected so tests need no sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

__all__ = [
    "DEFAULT_COOLDOWN_S",
    "STRATEGIES",
    "Credential",
    "KeyPool",
    "Strategy",
    "mask",
    "seconds_until_quota_reset",
]

Strategy = Literal["round_robin", "quota_exhausted", "request_count"]
STRATEGIES: tuple[Strategy, ...] = ("round_robin", "quota_exhausted", "request_count")
DEFAULT_COOLDOWN_S = 60.0
"""Cooldown after a 429 that names no ``RetryInfo`` delay (Google's per-minute window)."""
DISABLED_S = 3600.0
"""How long a credential the upstream rejected (bad key, revoked token) is skipped."""


def mask(secret: str) -> str:
    """``AIza...wxyz``: enough to tell credentials apart in logs and admin answers."""
    if len(secret) <= 10:
        return "*" * len(secret)
    return f"{secret[:4]}...{secret[-4:]}"


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Seconds until the next midnight in Pacific time, when Google resets daily quotas.

    Uses ``zoneinfo`` (``America/Los_Angeles``); without tz data, UTC-8.
    """
    now = now or datetime.now(UTC)
    try:
        from zoneinfo import ZoneInfo

        local = now.astimezone(ZoneInfo("America/Los_Angeles"))
    except Exception:  # no tz database on this machine
        local = now.astimezone(UTC) - timedelta(hours=8)
        local = local.replace(tzinfo=None)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - local).total_seconds()
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - local).total_seconds())


@dataclass(slots=True, eq=False)
class Credential:
    """One credential and what the pool knows of it. ``until``: model -> clock time
    before which it is cooling for that model (``"*"``: every model)."""

    secret: str
    requests: int = 0
    failures: int = 0
    until: dict[str, float] = field(default_factory=dict)
    daily: dict[str, float] = field(default_factory=dict)
    """model -> clock time its daily quota resets (a per-day 429 was seen)."""

    def ready_at(self, model: str) -> float:
        """Clock time from which the credential can serve ``model`` (0: now)."""
        until = self.until
        if not until:
            return 0.0
        return max(until.get(model, 0.0), until.get("*", 0.0))


class KeyPool:
    """Credentials in a fixed order plus a cursor; see the module doc for the rules.

    ``strategy``/``request_count``: the rotation (``request_count`` >= 1, only used by
    ``request_count``). Raises ``ValueError`` naming a bad argument.
    """

    __slots__ = ("_clock", "_creds", "_cursor", "_served", "request_count", "strategy")

    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        strategy: str = "round_robin",
        request_count: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._creds: list[Credential] = []
        self._cursor = 0
        self._served = 0
        self.strategy: Strategy = "round_robin"
        self.request_count = 50
        self.configure(strategy, request_count)
        for secret in secrets:
            self.add(secret)

    # ------------------------------------------------------------------ membership

    def configure(self, strategy: str, request_count: int | None = None) -> None:
        """Set the rotation strategy (and its request count)."""
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
        if request_count is not None:
            if isinstance(request_count, bool) or not isinstance(request_count, int):
                raise ValueError(f"request_count must be an integer; got {request_count!r}")
            if request_count < 1:
                raise ValueError(f"request_count must be >= 1; got {request_count!r}")
            self.request_count = request_count
        self.strategy = strategy
        self._served = 0

    def add(self, secret: str) -> bool:
        """Add ``secret`` at the end; False when it is already there."""
        if any(c.secret == secret for c in self._creds):
            return False
        self._creds.append(Credential(secret))
        return True

    def remove(self, secret: str) -> bool:
        """Remove ``secret``; False when it is not there."""
        for i, c in enumerate(self._creds):
            if c.secret == secret:
                del self._creds[i]
                if self._cursor >= len(self._creds):
                    self._cursor = 0
                self._served = 0
                return True
        return False

    def __len__(self) -> int:
        return len(self._creds)

    def credentials(self) -> list[Credential]:
        """The credentials in rotation order (a copy of the list)."""
        return list(self._creds)

    def get(self, secret: str) -> Credential | None:
        return next((c for c in self._creds if c.secret == secret), None)

    # ------------------------------------------------------------------ picking

    def pick(self, model: str, tried: Collection[Credential] = ()) -> Credential | None:
        """The credential for the next request to ``model``, or ``None`` when the pool is
        empty. ``tried``: credentials this request already used; a retry only gets one
        of them back when no untried credential exists."""
        creds = self._creds
        n = len(creds)
        if n == 0:
            return None
        if n == 1 and not tried:
            cred = creds[0]  # the common case: one credential, nothing to choose
            self._served += 1
            return cred
        tried_ids = {id(c) for c in tried}
        if (
            not tried_ids
            and self.strategy == "request_count"
            and self._served >= self.request_count
        ):
            self._advance()
        now = self._clock()
        start = self._cursor
        chosen: Credential | None = None
        chosen_i = start
        best_at = float("inf")
        for step in range(n):
            i = (start + step) % n
            cred = creds[i]
            if id(cred) in tried_ids:
                continue
            at = cred.ready_at(model)
            if at <= now:
                chosen, chosen_i = cred, i
                break
            if at < best_at:
                best_at, chosen, chosen_i = at, cred, i
        if chosen is None:  # every credential was tried: retry (a 5xx) from the cursor on
            chosen, chosen_i = creds[start], start
        if self.strategy == "round_robin" and not tried_ids:
            self._cursor = (chosen_i + 1) % n
            self._served = 0
        elif chosen_i != self._cursor:
            self._cursor = chosen_i
            self._served = 1
        else:
            self._served += 1
        return chosen

    def _advance(self) -> None:
        self._cursor = (self._cursor + 1) % len(self._creds)
        self._served = 0

    def usable(self, model: str, tried: Iterable[Credential] = ()) -> bool:
        """Whether an untried credential can serve ``model`` now (failover is possible)."""
        tried_set = set(map(id, tried))
        now = self._clock()
        return any(id(c) not in tried_set and c.ready_at(model) <= now for c in self._creds)

    # ------------------------------------------------------------------ outcomes

    def served(self, cred: Credential) -> None:
        """``cred`` answered a request (any status but a credential or quota failure)."""
        cred.requests += 1

    def cool(self, cred: Credential, model: str, seconds: float, *, daily: bool = False) -> None:
        """``cred`` got a 429 for ``model``: skip it for ``seconds`` (and remember a
        per-day quota until it resets). With ``quota_exhausted`` this moves the cursor."""
        cred.failures += 1
        until = self._clock() + max(0.0, seconds)
        cred.until[model] = max(cred.until.get(model, 0.0), until)
        if daily:
            cred.daily[model] = until
        self._leave(cred)

    def disable(self, cred: Credential, seconds: float = DISABLED_S) -> None:
        """The upstream rejected ``cred`` itself: skip it for every model."""
        cred.failures += 1
        cred.until["*"] = self._clock() + seconds
        self._leave(cred)

    def _leave(self, cred: Credential) -> None:
        """Move the cursor past ``cred`` when it points at it (quota_exhausted's switch)."""
        creds = self._creds
        if len(creds) > 1 and creds[self._cursor] is cred:
            self._advance()

    def status(self) -> list[dict[str, object]]:
        """Per credential: masked secret, counters, seconds of cooldown left per model."""
        now = self._clock()
        out: list[dict[str, object]] = []
        for i, c in enumerate(self._creds):
            out.append(
                {
                    "key": mask(c.secret),
                    "current": i == self._cursor,
                    "requests": c.requests,
                    "failures": c.failures,
                    "cooling": {m: round(t - now, 3) for m, t in c.until.items() if t > now},
                }
            )
        return out
