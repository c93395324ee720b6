"""Load checks on the run's figures against the user's thresholds: the error rate
(``load.error_rate``, ``--max-error-rate``), the latency percentiles (``load.latency``,
``--p50-ms``, ``--p95-ms``, ``--p99-ms``) and the streams' time to first byte
(``load.ttft``, ``--ttft-p95-ms``). Definitions in :mod:`conformance.load.stats`. Pure."""

from __future__ import annotations

from collections import Counter

from ..registry import NotApplicable, Severity, Undecided
from .base import LoadFailure, LoadRun, load_check
from .stats import first_byte_s, is_error

__all__: list[str] = []


def _kind(status: int | None, problem: str | None) -> str:
    if status is None:
        return "no answer"
    if problem is not None:
        return "broken body"
    return f"HTTP {status}"


@load_check(
    "load.error_rate",
    title="The error rate under load stays within --max-error-rate",
    severity=Severity.HIGH,
    source="docs/load.md#figures; docs/checks/load.md#loaderror_rate",
)
def error_rate(run: LoadRun) -> str | None:
    s, limit = run.summary, run.thresholds.max_error_rate
    if not s.requests:
        raise Undecided("no answer was recorded")
    limits = run.documented_limits
    errors = [i for i in run.items if is_error(i.exchange, limits)]
    kinds = Counter(_kind(i.exchange.status, i.exchange.body_problem()) for i in errors)
    figure = f"{len(errors)} errors in {s.requests} answers ({100 * s.error_rate:.2f} %)"
    if s.error_rate > limit:
        raise LoadFailure(
            f"{figure}, over the threshold of {100 * limit:.2f} %: "
            + ", ".join(f"{k}: {n}" for k, n in kinds.most_common()),
            item=errors[0],
            cause="errors under load",
        )
    return f"{figure}; threshold {100 * limit:.2f} %"


@load_check(
    "load.latency",
    title="Latency percentiles under load stay within --p50-ms, --p95-ms and --p99-ms",
    severity=Severity.MEDIUM,
    source="docs/load.md#figures; docs/checks/load.md#loadlatency",
)
def latency(run: LoadRun) -> str | None:
    t, measured = run.thresholds, run.summary.latency_ms
    figures = ", ".join(f"{k} {v:.0f} ms" for k, v in measured.items() if v is not None)
    bounds = {"p50": t.p50_ms, "p95": t.p95_ms, "p99": t.p99_ms}
    if all(v is None for v in bounds.values()):
        raise NotApplicable(f"no latency threshold set (--p95-ms...); measured {figures}")
    if measured.get("p50") is None:
        raise Undecided("no answer was recorded")
    over = [
        f"{k} {measured[k]:.0f} ms > {limit:g} ms"
        for k, limit in bounds.items()
        if limit is not None and (measured.get(k) or 0.0) > limit
    ]
    if over:
        slowest = max(run.items, key=lambda i: i.exchange.elapsed_s)
        raise LoadFailure(
            f"latency over the thresholds: {', '.join(over)} (measured {figures}); the "
            f"slowest answer ({slowest.cid}) took {slowest.exchange.elapsed_s * 1000:.0f} ms",
            item=slowest,
            cause="latency under load",
        )
    return f"measured {figures}"


@load_check(
    "load.ttft",
    title="The streams' time to first byte under load stays within --ttft-p95-ms",
    severity=Severity.MEDIUM,
    source="docs/load.md#figures; docs/checks/load.md#loadttft",
)
def ttft(run: LoadRun) -> str | None:
    limit, measured = run.thresholds.ttft_p95_ms, run.summary.ttft_ms
    p95 = measured.get("p95")
    if limit is None:
        shown = "no streamed answer" if p95 is None else f"p95 {p95:.0f} ms"
        raise NotApplicable(f"no --ttft-p95-ms threshold set; measured {shown}")
    if p95 is None:
        raise Undecided("no streamed answer with a body was recorded")
    if p95 > limit:
        slowest = max(
            (i for i in run.items if first_byte_s(i.exchange) is not None),
            key=lambda i: first_byte_s(i.exchange) or 0.0,
        )
        raise LoadFailure(
            f"streams' time to first byte p95 {p95:.0f} ms > {limit:g} ms",
            item=slowest,
            cause="latency under load",
        )
    return f"time to first byte p95 {p95:.0f} ms (threshold {limit:g} ms)"
