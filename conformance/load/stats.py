"""Throughput and latency of a load run, from its recorded answers. Pure.

Definitions (docs/load.md#figures): an answer's *latency* is from sending the request to
its last body byte (``Exchange.elapsed_s``); its *time to first byte* (TTFB, the TTFT a
streaming client sees) is the arrival of the first body piece, for streamed answers
only. An answer is an *error* when no status arrived, its body broke off (framing, a
hang, the deadline), its status is 5xx, or it is a 4xx other than a 429 the profile
documents (:func:`is_error`); a 429 is *throttled* (:func:`is_throttled`) and counted
apart when the profile documents rate limits. Percentiles are nearest-rank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from reports.render_load import LoadSummary, TimelinePoint

from ..exchange import Exchange
from .wire import Recorded

__all__ = ["first_byte_s", "is_error", "is_throttled", "percentile", "summarize"]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-quantile (``0 < q <= 1``) of ``values``; ``None`` when
    empty. Raises ``ValueError`` for ``q`` outside ``(0, 1]``."""
    if not 0 < q <= 1:
        raise ValueError(f"q must be in (0, 1]; got {q}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def is_throttled(x: Exchange, documented_limits: bool) -> bool:
    """The target refused with 429 and the profile documents rate limits."""
    return documented_limits and x.status == 429


def is_error(x: Exchange, documented_limits: bool) -> bool:
    """No answer, a broken body, a 5xx, or a 4xx that is not documented throttling."""
    if x.status is None or x.body_problem() is not None or x.status >= 500:
        return True
    return x.status >= 400 and not is_throttled(x, documented_limits)


def first_byte_s(x: Exchange) -> float | None:
    """Seconds from sending to the first body piece of a streamed answer (``None``: not a
    stream, or no body)."""
    if not x.is_stream or not x.chunks:
        return None
    return x.chunks[0][0]


def _figures(values: Sequence[float]) -> dict[str, float | None]:
    ms = [v * 1000 for v in values]
    return {
        "p50": percentile(ms, 0.5),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
        "max": max(ms) if ms else None,
    }


def timeline(items: Sequence[Recorded], documented_limits: bool) -> list[TimelinePoint]:
    """One point per second of the run, by the second each answer's request started in
    (seconds counted from the first request)."""
    if not items:
        return []
    start = min(r.exchange.started_at for r in items)
    buckets: dict[int, list[Exchange]] = defaultdict(list)
    for r in items:
        buckets[int(r.exchange.started_at - start)].append(r.exchange)
    points = []
    for second in range(max(buckets) + 1):
        xs = buckets.get(second, [])
        ms = [x.elapsed_s * 1000 for x in xs]
        points.append(
            TimelinePoint(
                t_s=float(second),
                requests=len(xs),
                errors=sum(is_error(x, documented_limits) for x in xs),
                p50_ms=percentile(ms, 0.5),
                p95_ms=percentile(ms, 0.95),
            )
        )
    return points


def summarize(
    items: Sequence[Recorded],
    *,
    users: int,
    spawn_rate: float,
    duration_s: float,
    workers: int,
    documented_limits: bool,
    locust: Mapping[str, Any] | None = None,
) -> LoadSummary:
    """The :class:`~reports.render_load.LoadSummary` of a run's answers. ``elapsed_s``
    spans the first request sent to the last answer ended."""
    xs = [r.exchange for r in items]
    if xs:
        first = min(x.started_at for x in xs)
        elapsed = max(x.started_at + x.elapsed_s for x in xs) - first
    else:
        elapsed = 0.0
    errors = sum(is_error(x, documented_limits) for x in xs)
    throttled = sum(is_throttled(x, documented_limits) for x in xs)
    ttfb = [t for t in (first_byte_s(x) for x in xs) if t is not None]
    by_probe: dict[str, list[Exchange]] = defaultdict(list)
    for x in xs:
        by_probe[x.probe].append(x)
    per_probe = [
        {
            "probe": name,
            "requests": len(group),
            "errors": sum(is_error(x, documented_limits) for x in group),
            "p50_ms": percentile([x.elapsed_s * 1000 for x in group], 0.5),
            "p95_ms": percentile([x.elapsed_s * 1000 for x in group], 0.95),
        }
        for name, group in sorted(by_probe.items())
    ]
    return LoadSummary(
        users=users,
        spawn_rate=spawn_rate,
        duration_s=duration_s,
        elapsed_s=round(elapsed, 3),
        workers=workers,
        requests=len(xs),
        errors=errors,
        throttled=throttled,
        error_rate=errors / len(xs) if xs else 0.0,
        rps=round(len(xs) / elapsed, 3) if elapsed > 0 else 0.0,
        latency_ms=_figures([x.elapsed_s for x in xs]),
        ttft_ms=_figures(ttfb),
        per_probe=tuple(per_probe),
        timeline=tuple(timeline(items, documented_limits)),
        locust=dict(locust or {}),
    )
