"""The bounded retry policy: what one failed upstream attempt means. Pure.

Sources: docs/breakages.md E1 (never hammer a daily quota; count attempts; never retry
a 400), D2; docs/gemini-wire.md A5 (``RetryInfo``; google-genai retries 408/429/5xx) and
docs/openai-wire.md B3/C5 (``x-should-retry: false`` on a daily quota); antigravity2api
'429 Auto-Retry Configuration' (``retryTimes``, default 3); gemini-cli-proxy 'Rate
Limiting' (cooldown, failover).

=====================================  ======================================================
upstream answer                        what the proxy does
=====================================  ======================================================
429, per-minute (``RetryInfo`` delay)  cool the credential for the delay (60 s without one)
                                       for that model; fail over only to a credential that is
                                       not cooling; else answer the 429 with ``Retry-After``
429, per-day ``QuotaFailure``          cool the credential until the quota resets; never
                                       retried: answered with ``x-should-retry: false``
credential rejected (bad key, 401)     skip the credential for an hour; fail over to another
500, 502, 503, 504, unreachable,       retry after ``backoff * 2**n`` seconds (another
timed out                              credential first, when there is one)
anything else (400, 403, 404...)       answered at once, never retried
=====================================  ======================================================

Every client request makes at most ``max_attempts`` upstream requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..translate.errors import ProxyError

__all__ = ["RETRYABLE_STATUSES", "Verdict", "judge"]

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Verdict:
    """``retry``: another attempt may help. ``failover_only``: only on another, usable
    credential (never the same one now). ``cooldown_s``: cool the credential for this
    long (seconds; None: no cooldown). ``daily``: the cooldown is a per-day quota.
    ``disable``: the credential itself was rejected. ``backoff``: wait before retrying."""

    retry: bool
    failover_only: bool = False
    cooldown_s: float | None = None
    daily: bool = False
    disable: bool = False
    backoff: bool = False


_NEVER = Verdict(retry=False)
_DAILY = Verdict(retry=False, daily=True)


def judge(err: ProxyError, *, default_cooldown_s: float) -> Verdict:
    """What to do after an upstream attempt failed with ``err`` (already mapped by
    :mod:`~reference_impl.translate.errors`). ``default_cooldown_s``: the cooldown for a
    429 without a delay. A per-day quota gives ``daily`` and no ``cooldown_s``: the caller
    cools the credential until the quota resets (:func:`.keys.seconds_until_quota_reset`)."""
    if err.status == 429:
        if err.code == "insufficient_quota":
            return _DAILY
        ms = err.headers.get("retry-after-ms")
        delay = float(ms) / 1000 if ms else default_cooldown_s
        return Verdict(retry=True, failover_only=True, cooldown_s=delay)
    if err.code == "upstream_auth_failed":
        return Verdict(retry=True, failover_only=True, disable=True)
    if err.status in RETRYABLE_STATUSES:
        return Verdict(retry=True, backoff=True)
    return _NEVER
