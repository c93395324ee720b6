"""Load checks on throttling and upstream keys: the target's own 429s carry Retry-After
(``load.throttle_retry_after``), the profile's documented limits hold under load
(``load.documented_limits``), and a proxy holding several upstream keys spreads its calls
over them (``load.key_spread``). Pure.

Times: an answer is *admitted* when the target did not refuse it with 429; its admission
time is its first upstream call's journal time in controlled mode (the mock's clock, when
the proxy let it through), else the moment the client sent it. Client-side times include
the network and the load generator's own delays, so the interval rule allows
:data:`INTERVAL_SLACK_S` and the concurrency rule trims :data:`CONCURRENCY_SLACK_S` from
each end of an answer (docs/checks/load.md#loaddocumented_limits).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence

from spec.profiles import RateLimit

from ..checks.upstream import credential_of, generate_calls
from ..modes import Mode
from ..registry import REGISTRY, CheckFailure, NotApplicable, Severity, Undecided
from .base import LoadFailure, LoadRun, load_check
from .wire import Recorded

__all__ = [
    "CONCURRENCY_SLACK_S",
    "INTERVAL_SLACK_S",
    "MIN_CALLS_PER_KEY",
    "admitted_at",
    "max_overlap",
    "own_refusal",
]

INTERVAL_SLACK_S = 0.25
"""Seconds two admitted requests for one model may be closer than the documented
interval when measured on the client's clock."""
CONCURRENCY_SLACK_S = 0.25
"""Seconds trimmed from each end of an admitted answer before counting overlaps."""
MIN_CALLS_PER_KEY = 20
"""Upstream calls per key the run needs before the key spread is judged."""


def own_refusal(item: Recorded, controlled: bool) -> bool:
    """A 429 the target sent by itself: in controlled mode, without an upstream call for
    the request; in black-box mode every 429 (nothing tells them apart)."""
    x = item.exchange
    return x.status == 429 and (not controlled or not generate_calls(x))


def admitted_at(item: Recorded) -> float:
    """When the target let the request through, Unix seconds (see module docstring)."""
    for call in generate_calls(item.exchange):
        t = call.get("time")
        if isinstance(t, int | float):
            return float(t)
    return item.exchange.started_at


def max_overlap(spans: Sequence[tuple[float, float]]) -> tuple[int, float]:
    """The most spans ``(start, end)`` open at one instant, and the first such instant
    (``(0, 0.0)`` when none). A span ending where another starts does not overlap it."""
    events = sorted([(s, 1) for s, e in spans if e > s] + [(e, -1) for s, e in spans if e > s])
    best, when, open_now = 0, 0.0, 0
    for t, step in events:
        open_now += step
        if open_now > best:
            best, when = open_now, t
    return best, when


def _window(admitted: Sequence[Recorded], limit: RateLimit) -> tuple[str, Recorded] | None:
    by_source: dict[str, list[tuple[float, Recorded]]] = defaultdict(list)
    for item in admitted:
        by_source[item.source].append((admitted_at(item), item))
    allowed = int(limit.limit)
    for source, times in by_source.items():
        times.sort(key=lambda p: p[0])
        lo = 0
        for hi in range(len(times)):
            while times[hi][0] - times[lo][0] >= limit.window_s:
                lo += 1
            if hi - lo + 1 > allowed:
                return (
                    f"{limit.name}: {hi - lo + 1} requests from {source or 'one client'} "
                    f"admitted within {times[hi][0] - times[lo][0]:.1f} s; the document "
                    f"allows {allowed} per {limit.window_s:g} s ({limit.source})",
                    times[hi][1],
                )
    return None


def _model(item: Recorded) -> str:
    body = item.exchange.request.json_body
    return str(body.get("model", "")) if isinstance(body, dict) else ""


def _interval(admitted: Sequence[Recorded], limit: RateLimit) -> tuple[str, Recorded] | None:
    by_model: dict[str, list[tuple[float, Recorded]]] = defaultdict(list)
    for item in admitted:
        by_model[_model(item)].append((admitted_at(item), item))
    gap = limit.window_s / max(1.0, limit.limit)
    for model, times in by_model.items():
        times.sort(key=lambda p: p[0])
        for (t0, _), (t1, item) in itertools.pairwise(times):
            if t1 - t0 < gap - INTERVAL_SLACK_S:
                return (
                    f"{limit.name}: two requests for {model or 'one model'} admitted "
                    f"{t1 - t0:.2f} s apart; the document asks {gap:g} s ({limit.source})",
                    item,
                )
    return None


def _concurrency(admitted: Sequence[Recorded], limit: RateLimit) -> tuple[str, Recorded] | None:
    spans = []
    for item in admitted:
        x = item.exchange
        spans.append(
            (x.started_at + CONCURRENCY_SLACK_S, x.started_at + x.elapsed_s - CONCURRENCY_SLACK_S)
        )
    most, when = max_overlap(spans)
    if most <= limit.limit:
        return None
    item = min(admitted, key=lambda i: abs(i.exchange.started_at + CONCURRENCY_SLACK_S - when))
    return (
        f"{limit.name}: {most} admitted requests were in flight at once; the document allows "
        f"{limit.limit:g} ({limit.source})",
        item,
    )


@load_check(
    "load.throttle_retry_after",
    title="Every 429 the target sends by itself under load carries Retry-After and an error body",
    severity=Severity.HIGH,
    source=(
        "https://www.rfc-editor.org/rfc/rfc9110#field.retry-after; "
        "docs/openai-wire.md#b3-errors-and-retries"
    ),
)
def throttle_retry_after(run: LoadRun) -> str | None:
    own = [i for i in run.items if own_refusal(i, run.controlled)]
    if not own:
        raise NotApplicable("the target refused no request with a 429 of its own")
    rule = REGISTRY["errors.own_rate_limit_retry_after"].func
    failed: list[tuple[Recorded, CheckFailure]] = []
    for item in own:
        try:
            rule(item.exchange)
        except CheckFailure as failure:
            failed.append((item, failure))
    if failed:
        first, why = failed[0]
        raise LoadFailure(
            f"{len(failed)} of the target's {len(own)} own 429s fail: first ({first.cid}): "
            f"{why.message}",
            item=first,
            excerpt=str(why.excerpt) if why.excerpt is not None else None,
            cause=why.cause,
        )
    return f"{len(own)} own 429s, each with Retry-After and an error body"


@load_check(
    "load.documented_limits",
    title="The profile's documented limits (concurrency, per-IP rate, per-model interval) "
    "hold under load, refused with 429",
    severity=Severity.MEDIUM,
    source="docs/profiles.md#documented-rate-limits; docs/checks/load.md#loaddocumented_limits",
)
def documented_limits(run: LoadRun) -> str | None:
    limits = run.profile.rate_limits
    if not limits:
        raise NotApplicable(f"profile {run.profile.name} documents no rate limit")
    answered = [i for i in run.items if i.exchange.status is not None]
    admitted = [i for i in answered if i.exchange.status != 429]
    refused = len(answered) - len(admitted)
    problems: list[tuple[str, Recorded]] = []
    for limit in limits:
        if "concurrency" in limit.name:
            found = _concurrency(admitted, limit)
        elif "model" in limit.name:
            found = _interval(admitted, limit)
        else:
            found = _window(admitted, limit)
        if found is not None:
            problems.append(found)
    if problems:
        raise LoadFailure(
            "; ".join(p for p, _ in problems),
            item=problems[0][1],
            excerpt="\n".join(p for p, _ in problems),
            cause="documented rate limit not enforced",
        )
    if not refused:
        raise Undecided(
            f"the load never reached a documented limit ({len(admitted)} requests admitted, "
            "none refused): raise --users or --duration"
        )
    return (
        f"{len(admitted)} requests admitted within the limits "
        f"({', '.join(limit.name for limit in limits)}), {refused} refused with 429"
    )


@load_check(
    "load.key_spread",
    title="A proxy holding several upstream keys spreads its calls over them",
    severity=Severity.MEDIUM,
    source="https://ai.google.dev/gemini-api/docs/rate-limits; docs/checks/load.md#loadkey_spread",
    mode=Mode.CONTROLLED,
)
def key_spread(run: LoadRun) -> str | None:
    if not run.controlled:
        raise NotApplicable("needs controlled mode: the mock's journal shows the upstream keys")
    calls: Counter[str] = Counter()
    first: dict[str, Recorded] = {}
    for item in run.items:
        for call in generate_calls(item.exchange):
            key = credential_of(call)
            if key:
                calls[key] += 1
                first.setdefault(key, item)
    total = sum(calls.values())
    keys = run.upstream_keys or len(calls)
    if keys < 2:
        raise NotApplicable(
            "the proxy used one upstream key; pass --upstream-keys N when it holds N"
        )
    if total < MIN_CALLS_PER_KEY * keys:
        raise Undecided(
            f"{total} upstream calls for {keys} keys: too few to judge the spread "
            f"(at least {MIN_CALLS_PER_KEY} per key)"
        )
    fair = total / keys
    shares = ", ".join(f"{k}: {n}" for k, n in calls.most_common())
    unused = keys - len(calls)
    starved = [k for k, n in calls.items() if n < fair / 4]
    if unused or starved:
        busiest = calls.most_common(1)[0][0]
        raise LoadFailure(
            f"{total} upstream calls over {keys} keys: {unused} key(s) never used and "
            f"{len(starved)} under a quarter of the fair share ({fair:.0f}); calls per key "
            f"fingerprint: {shares}",
            item=first[busiest],
            excerpt=shares,
            cause="upstream key rotation hands the load to one key",
        )
    return f"{total} upstream calls over {keys} keys: {shares}"
