"""The credential pool (reference_impl.policy.keys), the retry policy
(reference_impl.policy.retry) and 000's rate limiter (reference_impl.policy.ratelimit),
with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_impl.policy.keys import KeyPool, mask, seconds_until_quota_reset
from reference_impl.policy.ratelimit import RateLimiter
from reference_impl.policy.retry import judge
from reference_impl.translate.errors import ProxyError, from_upstream_payload


class Clock:
    __test__ = False

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def picks(pool: KeyPool, n: int, model: str = "m") -> list[str]:
    out = []
    for _ in range(n):
        cred = pool.pick(model)
        assert cred is not None
        pool.served(cred)
        out.append(cred.secret)
    return out


def test_round_robin_switches_after_every_request() -> None:
    assert picks(KeyPool(["a", "b", "c"]), 5) == ["a", "b", "c", "a", "b"]


def test_request_count_switches_after_n() -> None:
    pool = KeyPool(["a", "b"], strategy="request_count", request_count=2)
    assert picks(pool, 5) == ["a", "a", "b", "b", "a"]


def test_quota_exhausted_stays_until_a_429() -> None:
    clock = Clock()
    pool = KeyPool(["a", "b"], strategy="quota_exhausted", clock=clock)
    assert picks(pool, 3) == ["a", "a", "a"]
    a = pool.get("a")
    assert a is not None
    pool.cool(a, "m", 30)
    assert picks(pool, 2) == ["b", "b"]


def test_cooldown_is_per_model_and_expires() -> None:
    clock = Clock()
    pool = KeyPool(["a", "b"], clock=clock)
    a = pool.pick("m")
    assert a is not None
    assert a.secret == "a"
    pool.cool(a, "m", 30)
    assert picks(pool, 3, "m") == ["b", "b", "b"]
    assert "a" in picks(pool, 2, "other")  # another model is not affected
    clock.now += 30
    assert "a" in picks(pool, 2, "m")


def test_when_every_key_cools_the_one_recovering_first_is_used() -> None:
    clock = Clock()
    pool = KeyPool(["a", "b"], clock=clock)
    a, b = pool.get("a"), pool.get("b")
    assert a is not None
    assert b is not None
    pool.cool(a, "m", 50)
    pool.cool(b, "m", 10)
    cred = pool.pick("m")
    assert cred is b
    assert not pool.usable("m")


def test_failover_prefers_untried_then_reuses() -> None:
    pool = KeyPool(["a", "b"])
    a = pool.pick("m")
    assert a is not None
    b = pool.pick("m", [a])
    assert b is not None
    assert b.secret == "b"
    again = pool.pick("m", [a, b])
    assert again is not None  # every key tried: a 5xx retry still gets one


def test_disable_skips_a_key_for_every_model() -> None:
    clock = Clock()
    pool = KeyPool(["a", "b"], clock=clock)
    a = pool.get("a")
    assert a is not None
    pool.disable(a)
    assert picks(pool, 2, "x") == ["b", "b"]
    assert pool.status()[0]["cooling"] == {"*": 3600.0}


def test_membership_and_configuration() -> None:
    pool = KeyPool([])
    assert pool.pick("m") is None
    assert pool.add("a")
    assert not pool.add("a")
    assert pool.remove("a")
    assert not pool.remove("a")
    with pytest.raises(ValueError, match="strategy"):
        pool.configure("random")
    with pytest.raises(ValueError, match="request_count"):
        pool.configure("request_count", 0)
    assert mask("AIzaSyExampleKey1234") == "AIza...1234"
    assert mask("short") == "*****"


@given(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True), st.integers(1, 30))
def test_round_robin_is_fair(secrets: list[str], n: int) -> None:
    got = picks(KeyPool(secrets), n * len(secrets))
    assert all(got.count(s) == n for s in secrets)


def test_quota_resets_at_pacific_midnight() -> None:
    # 2026-01-02 07:00 UTC is 23:00 PST the day before: one hour to go
    assert seconds_until_quota_reset(datetime(2026, 1, 2, 7, 0, tzinfo=UTC)) == 3600


# --------------------------------------------------------------------------- retry


def rate_limit(delay: str | None, daily: bool = False) -> ProxyError:
    details: list[object] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": "RequestsPerDay" if daily else "PerMinute"}],
        }
    ]
    if delay:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
    return from_upstream_payload(
        {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "q", "details": details}}
    )


def status(code: int, name: str) -> ProxyError:
    return from_upstream_payload({"error": {"code": code, "status": name, "message": "m"}})


def test_judge() -> None:
    v = judge(rate_limit("17s"), default_cooldown_s=60)
    assert (v.retry, v.failover_only, v.cooldown_s, v.daily) == (True, True, 17.0, False)
    assert judge(rate_limit(None), default_cooldown_s=60).cooldown_s == 60
    v = judge(rate_limit(None, daily=True), default_cooldown_s=60)
    assert (v.retry, v.daily) == (False, True)
    for code, name in ((500, "INTERNAL"), (503, "UNAVAILABLE")):
        v = judge(status(code, name), default_cooldown_s=60)
        assert v.retry
        assert v.backoff
        assert not v.failover_only
    for code, name in ((400, "INVALID_ARGUMENT"), (403, "PERMISSION_DENIED"), (404, "NOT_FOUND")):
        assert not judge(status(code, name), default_cooldown_s=60).retry
    v = judge(status(401, "UNAUTHENTICATED"), default_cooldown_s=60)
    assert v.disable
    assert v.failover_only


# --------------------------------------------------------------------------- rate limits


def test_model_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    assert limiter.admit("ip", "m") is None
    limiter.release()
    refused = limiter.admit("ip", "m")
    assert refused is not None
    assert refused.message == "Model m rate limited, please wait 5.0 seconds"
    assert refused.retry_after == "5"
    assert limiter.admit("ip", "other") is None
    limiter.release()
    clock.now += 5
    assert limiter.admit("ip", "m") is None


def test_hourly_window_per_ip() -> None:
    clock = Clock()
    limiter = RateLimiter(per_hour=3, interval_s=0, clock=clock)
    for _ in range(3):
        assert limiter.admit("ip", "m") is None
        limiter.release()
        clock.now += 10
    refused = limiter.admit("ip", "m")
    assert refused is not None
    assert refused.retry_after_s == pytest.approx(3570)
    assert limiter.admit("other-ip", "m") is None
    limiter.release()
    clock.now += 3570
    assert limiter.admit("ip", "m") is None


def test_concurrency() -> None:
    limiter = RateLimiter(interval_s=0, concurrency=2, clock=Clock())
    assert limiter.admit("a", "m") is None
    assert limiter.admit("b", "m") is None
    refused = limiter.admit("c", "m")
    assert refused is not None
    assert "max 2" in refused.message
    snap = limiter.snapshot()
    assert snap["concurrency"] == {"max": 2, "available": 0}
    assert snap["rate_limiter"]["consecutive_429s"] == 1
    limiter.release()
    assert limiter.admit("c", "m") is None
