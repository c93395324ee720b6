"""mockserver.quota: per-key windows driven by a fake clock (pure, no sleeps)."""

from __future__ import annotations

import pytest

from mockserver.journal import fingerprint
from mockserver.quota import DAY, MINUTE, Exhausted, KeyQuota, Quotas


def test_per_minute_window_refuses_then_reopens() -> None:
    quota = KeyQuota(per_minute=2)
    assert quota.take(1000.0) is None
    assert quota.take(1010.0) is None
    refused = quota.take(1042.5)
    assert refused == Exhausted("minute", 2, 17.5)  # the window opened at 1000
    assert quota.take(1059.999) == Exhausted("minute", 2, 0.001)
    assert quota.take(1060.0) is None  # a new window opens at the first request after
    assert (quota.admitted, quota.refused) == (3, 2)
    assert quota.take(1061.0) is None
    assert quota.take(1062.0) == Exhausted("minute", 2, 58.0)


def test_refused_requests_do_not_count() -> None:
    quota = KeyQuota(per_minute=1)
    assert quota.take(0.0) is None
    for t in (1.0, 2.0, 3.0):
        assert quota.take(t) is not None
    assert quota.minute.used == 1
    assert quota.take(60.0) is None


def test_day_limit_wins_and_lasts_a_day() -> None:
    quota = KeyQuota(per_minute=10, per_day=3)
    for t in (0.0, 100.0, 200.0):
        assert quota.take(t) is None
    assert quota.take(300.0) == Exhausted("day", 3, DAY - 300.0)
    assert quota.take(DAY - 1) == Exhausted("day", 3, 1.0)
    assert quota.take(DAY) is None


def test_zero_means_always_refused_and_none_unlimited() -> None:
    assert KeyQuota(per_minute=0).take(5.0) == Exhausted("minute", 0, MINUTE)
    unlimited = KeyQuota()
    assert all(unlimited.take(float(t)) is None for t in range(1000))


def test_quotas_by_key_snapshot_and_reset() -> None:
    quotas = Quotas()
    quotas.set("k1", 1, None)
    assert quotas.take("other", 0.0) is None  # keys without a quota always pass
    assert quotas.take("k1", 0.0) is None
    assert quotas.take("k1", 30.0) == Exhausted("minute", 1, 30.0)
    assert "k1" in quotas
    assert len(quotas) == 1
    assert quotas.snapshot(45.0) == [
        {
            "sha256": fingerprint("k1"),
            "per_minute": 1,
            "per_day": None,
            "minute": {"used": 1, "resets_in": 15.0},
            "day": {"used": 1, "resets_in": DAY - 45.0},
            "admitted": 1,
            "refused": 1,
        }
    ]
    assert quotas.snapshot(61.0)[0]["minute"] == {"used": 0, "resets_in": None}
    assert quotas.reset() == 1
    assert quotas.take("k1", 46.0) is None


@pytest.mark.parametrize(("per_minute", "per_day"), [(-1, None), (None, 1.5), (True, None)])
def test_bad_limits_are_refused_by_name(per_minute: object, per_day: object) -> None:
    with pytest.raises(ValueError, match=r"per_minute|per_day"):
        Quotas().set("k", per_minute, per_day)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key must be"):
        Quotas().set("", 1, 1)
