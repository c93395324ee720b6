"""Judge a load run: the suite's per-exchange checks on every answer, then the load-only
checks, as result records (pure apart from the openai-python replays some checks make).

Per-exchange checks: the checks :func:`conformance.runner.plan` selects for the target
that read one probe's exchange (``probes == (P,)``, or ``P`` among their ``also``) are
applied to every answer of probe ``P``, not a sample. A check is one record however many
answers it judged: ``failed`` when any answer fails (the message counts them and names
the first; the evidence is the first failing answer's, as in ``conformance run``),
``error`` when none fails but some could not be decided, ``passed`` when it passed on
every answer it applies to, ``skipped`` when it applied to none. Answers the target
throttled by itself (a 429 or 503 without an upstream call; black-box: any 429) are left
to ``load.throttle_retry_after`` and ``load.documented_limits``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reports.records import Evidence, Outcome, ResultRecord

from ..exchange import Exchange
from ..registry import CheckFailure, CheckSpec, NotApplicable, Undecided
from ..runner import plan, scrub_record
from ..target import Target
from . import crosstalk, latency, limits  # noqa: F401  (register the load checks)
from .base import LOAD_CHECKS, LoadCheck, LoadFailure, LoadRun
from .limits import own_refusal
from .wire import Recorded

__all__ = ["Tally", "judge_exchanges", "judge_in_parallel", "judge_load", "per_exchange_checks"]

MAX_NAMED = 5
"""Failing answers named in a record's message, at most."""


def per_exchange_checks(target: Target, probes: Iterable[str]) -> dict[str, list[CheckSpec]]:
    """Probe name -> the planned checks that judge one answer of it (primary or ``also``)."""
    the_plan = plan(target)
    out: dict[str, list[CheckSpec]] = {}
    for probe in probes:
        out[probe] = [
            spec
            for spec in the_plan.checks
            if len(spec.probes) == 1 and (spec.probes[0] == probe or probe in spec.also)
        ]
    return out


@dataclass
class Tally:
    """How one check fared over the answers it judged."""

    spec: CheckSpec
    judged: int = 0
    passed: int = 0
    not_applicable: int = 0
    failures: list[tuple[Recorded, CheckFailure]] = field(default_factory=list)
    """The first :data:`MAX_NAMED` failures."""
    failed: int = 0
    undecided: list[tuple[Recorded, str]] = field(default_factory=list)
    """The first :data:`MAX_NAMED` answers it could not decide."""
    undecided_n: int = 0
    first_skip: str = ""

    def merge(self, other: Tally) -> None:
        """Add ``other``'s counts (a later slice of the same answers)."""
        self.judged += other.judged
        self.passed += other.passed
        self.not_applicable += other.not_applicable
        self.failed += other.failed
        self.undecided_n += other.undecided_n
        self.failures = (self.failures + other.failures)[:MAX_NAMED]
        self.undecided = (self.undecided + other.undecided)[:MAX_NAMED]
        self.first_skip = self.first_skip or other.first_skip


def _apply(spec: CheckSpec, x: Exchange) -> None:
    if spec.probes[0] == x.probe:
        spec.run({x.probe: x})
    else:
        spec.func(x)


def throttled(item: Recorded, controlled: bool) -> bool:
    """The target refused by itself (see module docstring)."""
    x = item.exchange
    return own_refusal(item, controlled) or (
        controlled and x.status == 503 and not any("path" in e for e in x.upstream)
    )


def judge_exchanges(
    items: Sequence[Recorded], checks: Mapping[str, Sequence[CheckSpec]], controlled: bool
) -> dict[str, Tally]:
    """Apply each probe's ``checks`` to every one of its answers; check id -> tally."""
    tallies: dict[str, Tally] = {}
    for specs in checks.values():
        for spec in specs:
            tallies.setdefault(spec.id, Tally(spec))
    for item in items:
        x = item.exchange
        if throttled(item, controlled):
            continue
        for spec in checks.get(x.probe, ()):
            t = tallies[spec.id]
            t.judged += 1
            try:
                _apply(spec, x)
            except CheckFailure as failure:
                t.failed += 1
                if len(t.failures) < MAX_NAMED:
                    t.failures.append((item, failure))
            except NotApplicable as exc:
                t.not_applicable += 1
                t.first_skip = t.first_skip or str(exc)
            except Undecided as exc:
                t.undecided_n += 1
                if len(t.undecided) < MAX_NAMED:
                    t.undecided.append((item, str(exc)))
            except Exception as exc:  # a check's own bug is an error, never a crash
                t.undecided_n += 1
                if len(t.undecided) < MAX_NAMED:
                    why = f"the check itself failed: {type(exc).__name__}: {exc}"
                    t.undecided.append((item, why))
            else:
                t.passed += 1
    return tallies


_SHARED: list[Any] = []
"""The answers, checks and mode a forked judging process reads (set before forking)."""
Portable = dict[str, tuple[int, int, int, int, int, str, list[Any], list[Any]]]


def _judge_slice(bounds: tuple[int, int]) -> Portable:
    """Judge ``items[lo:hi]`` in a forked process; the tallies as picklable tuples (the
    failing answers by index, their failures as their fields)."""
    items, checks, controlled = _SHARED
    lo, hi = bounds
    where = {id(item): lo + k for k, item in enumerate(items[lo:hi])}
    out: Portable = {}
    for check_id, t in judge_exchanges(items[lo:hi], checks, controlled).items():
        failures = [
            (where[id(i)], f.message, _text(f.excerpt), f.cause, dict(f.clients), f.probe)
            for i, f in t.failures
        ]
        undecided = [(where[id(i)], why) for i, why in t.undecided]
        counts = (t.judged, t.passed, t.not_applicable, t.failed, t.undecided_n)
        out[check_id] = (*counts, t.first_skip, failures, undecided)
    return out


def _restore(t: Tally, portable: tuple[Any, ...], items: Sequence[Recorded]) -> Tally:
    judged, passed, na, failed, undecided_n, first_skip, failures, undecided = portable
    part = Tally(t.spec, judged, passed, na, failed=failed, undecided_n=undecided_n)
    part.first_skip = first_skip
    for index, message, excerpt, cause, clients, probe in failures:
        failure = CheckFailure(message, excerpt=excerpt, clients=clients, cause=cause)
        failure.probe = probe
        part.failures.append((items[index], failure))
    part.undecided = [(items[index], why) for index, why in undecided]
    return part


def judge_in_parallel(
    items: Sequence[Recorded],
    checks: Mapping[str, Sequence[CheckSpec]],
    controlled: bool,
    processes: int | None = None,
) -> dict[str, Tally]:
    """:func:`judge_exchanges` spread over ``processes`` forked processes (default: one
    per CPU), slice by slice, merged in order (so "the first failure" is the same as
    judged in one process). One process, few answers, or no ``fork``: judged here."""
    processes = processes or os.cpu_count() or 1
    if processes <= 1 or len(items) < 200 or "fork" not in mp.get_all_start_methods():
        return judge_exchanges(items, checks, controlled)
    step = max(50, -(-len(items) // (processes * 4)))
    bounds = [(lo, min(lo + step, len(items))) for lo in range(0, len(items), step)]
    _SHARED[:] = [items, checks, controlled]
    try:
        with mp.get_context("fork").Pool(processes) as pool:
            parts = pool.map(_judge_slice, bounds)
    finally:
        _SHARED.clear()
    tallies = judge_exchanges((), checks, controlled)
    for part in parts:
        for check_id, portable in part.items():
            tallies[check_id].merge(_restore(tallies[check_id], portable, items))
    return tallies


def _condense(entry: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("method", "path", "query", "status", "scenario", "body", "credentials", "cid")
    return {k: entry[k] for k in keep if k in entry}


def evidence(item: Recorded | None, failure: CheckFailure | None) -> Evidence | None:
    """The evidence of a failing (or undecided) answer, as ``conformance run`` shows it."""
    if item is None:
        if failure is None or failure.excerpt is None:
            return None
        return Evidence(excerpt=_text(failure.excerpt))
    x = item.exchange
    return Evidence(
        request=x.request.redacted(),
        response=x.response_summary(),
        excerpt=_text(failure.excerpt) if failure is not None else None,
        curl=x.request.curl(),
        clients=dict(failure.clients) if failure is not None else {},
        upstream=[_condense(e) for e in x.upstream],
    )


def _text(value: str | bytes | None) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _base(
    check_id: str,
    title: str,
    severity: str,
    source: str,
    mode: str,
    docs: str,
    area: str,
    target: Target,
) -> ResultRecord:
    return ResultRecord(
        check_id=check_id,
        title=title,
        area=area,
        severity=severity,
        source=source,
        profile=target.profile.name,
        target=target.label or target.base_url,
        mode=mode,
        outcome=Outcome.SKIPPED,
        docs=docs,
    )


def tally_record(t: Tally, target: Target) -> ResultRecord:
    """One record for a check over every answer it judged (see module docstring)."""
    s = t.spec
    base = _base(s.id, s.title, s.severity.value, s.source, s.mode.value, s.docs, s.area, target)
    if t.failed:
        item, failure = t.failures[0]
        named = ", ".join(i.cid for i, _ in t.failures)
        return replace(
            base,
            outcome=Outcome.FAILED,
            message=f"{t.failed} of {t.judged} answers fail (first: {named}): "
            f"[{item.cid}] {failure.message}",
            evidence=evidence(item, failure),
            cause=" ".join((failure.cause or "").split()),
        )
    if t.undecided:
        item, why = t.undecided[0]
        return replace(
            base,
            outcome=Outcome.ERROR,
            message=f"{t.undecided_n} of {t.judged} answers undecided; first ({item.cid}): {why}",
            evidence=evidence(item, None),
        )
    if t.passed:
        extra = f" ({t.not_applicable} not applicable)" if t.not_applicable else ""
        return replace(base, outcome=Outcome.PASSED, message=f"{t.passed} answers pass{extra}")
    why = t.first_skip or "no answer of its probe was recorded"
    return replace(base, message=f"applies to none of {t.judged} answers: {why}")


def load_record(check: LoadCheck, run: LoadRun, target: Target) -> ResultRecord:
    """Run one load check on ``run`` and make its record."""
    base = _base(
        check.id,
        check.title,
        check.severity.value,
        check.source,
        check.mode.value,
        check.docs,
        check.area,
        target,
    )
    try:
        note = check.func(run)
    except LoadFailure as failure:
        return replace(
            base,
            outcome=Outcome.FAILED,
            message=failure.message,
            evidence=evidence(failure.item, failure),
            cause=" ".join((failure.cause or "").split()),
        )
    except CheckFailure as failure:
        return replace(
            base, outcome=Outcome.FAILED, message=failure.message, evidence=evidence(None, failure)
        )
    except NotApplicable as exc:
        return replace(base, message=str(exc))
    except Undecided as exc:
        return replace(base, outcome=Outcome.ERROR, message=str(exc))
    except Exception as exc:  # a check's own bug is an error, never a crash
        return replace(
            base,
            outcome=Outcome.ERROR,
            message=f"the check itself failed: {type(exc).__name__}: {exc}",
        )
    return replace(base, outcome=Outcome.PASSED, message=note or "")


def judge_load(
    run: LoadRun,
    target: Target,
    *,
    probes: Iterable[str] = (),
    secrets: tuple[str, ...] = (),
    processes: int | None = None,
    on_result: Callable[[ResultRecord], None] | None = None,
) -> list[ResultRecord]:
    """Every record of the run: the per-exchange checks' (one per check), then the load
    checks', each scrubbed of the literal ``secrets`` (the API key a target may echo).
    ``probes``: the probes the users sent (besides those of the recorded answers);
    ``processes``: how many processes judge the answers (:func:`judge_in_parallel`)."""
    sent = sorted({i.exchange.probe for i in run.items} | set(probes))
    checks = per_exchange_checks(target, sent)
    tallies = judge_in_parallel(run.items, checks, run.controlled, processes)
    records = [tally_record(t, target) for t in tallies.values()]
    records += [load_record(c, run, target) for c in LOAD_CHECKS.values()]
    out = []
    for record in records:
        record = scrub_record(record, secrets)
        out.append(record)
        if on_result is not None:
            on_result(record)
    return out
