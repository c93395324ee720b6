"""Counting results: stable ordering, per-area scores, the verdict and the exit code.

Ordering is total and independent of input order (area, then check id, then the other
fields), so reports of two runs diff line by line. A score is passed / (passed + failed
+ errors); skipped checks do not count. All functions are pure.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reports.findings import blocking_findings, findings
from reports.records import SEVERITY_ORDER, Outcome, ResultRecord

__all__ = [
    "DEFAULT_FAIL_ON",
    "AreaScore",
    "Verdict",
    "area_scores",
    "by_area",
    "by_severity",
    "check_fail_on",
    "exit_code",
    "format_duration",
    "format_pct",
    "interrupted_verdict",
    "severity_key",
    "severity_rank",
    "verdict",
]

DEFAULT_FAIL_ON: tuple[str, ...] = ("critical", "high")
"""The severities whose failure fails the run (exit code 1) unless told otherwise."""


def check_fail_on(fail_on: Iterable[str]) -> tuple[str, ...]:
    """``fail_on`` as a tuple, or ``ValueError`` naming the first unknown severity."""
    if isinstance(fail_on, str):
        raise ValueError(f"fail_on: expected a sequence of severities, got the string {fail_on!r}")
    out = tuple(fail_on)
    for sev in out:
        if sev not in SEVERITY_ORDER:
            raise ValueError(f"fail_on: unknown severity {sev!r}; expected one of {SEVERITY_ORDER}")
    return out


def severity_rank(severity: str) -> int:
    """0 for ``critical`` ... 3 for ``low``; unknown severities sort last."""
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _tail(r: ResultRecord) -> tuple[object, ...]:
    """The remaining fields, so that the order is total whatever the input order."""
    fields = (r.profile, r.target, r.outcome.value, r.message, r.title, r.severity, r.source)
    return (*fields, r.cause, r.duration_ms, repr(r.evidence))


def by_area(results: Iterable[ResultRecord]) -> list[ResultRecord]:
    """Records sorted by area, then check id (then the other fields, for a total order)."""
    return sorted(results, key=lambda r: (r.area, r.check_id, *_tail(r)))


def severity_key(r: ResultRecord) -> tuple[object, ...]:
    """Sort key: severity (critical first), check id, area, then the other fields."""
    return (severity_rank(r.severity), r.check_id, r.area, *_tail(r))


def by_severity(results: Iterable[ResultRecord]) -> list[ResultRecord]:
    """Records sorted by severity (critical first), then check id, then area."""
    return sorted(results, key=severity_key)


def exit_code(results: Iterable[ResultRecord], fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> int:
    """1 when a finding (:mod:`reports.findings`) blocks under ``fail_on``: one of its
    checks has a severity in ``fail_on`` and FAILED or ended in ERROR (a check that
    could not decide never passes silently), else 0. Grouping never changes the code: it
    is 1 exactly when such a record exists. Skips never set it. ``ValueError`` on an
    unknown severity in ``fail_on``.
    """
    blocking = check_fail_on(fail_on)
    return int(bool(blocking_findings(findings(results), blocking)))


def format_pct(value: float | None) -> str:
    """A score in [0, 1] as ``83.3%`` (rounded down, so only a perfect run shows 100%);
    ``None`` (nothing applicable) as ``–``."""
    if value is None:
        return "–"
    pct = math.floor(value * 1000 + 1e-9) / 10
    return f"{pct:.1f}".removesuffix(".0") + "%"


def format_duration(seconds: float) -> str:
    """Seconds as ``0.42 s``, ``12.3 s``, ``2 min 5 s`` or ``1 h 2 min``."""
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


@dataclass(frozen=True, slots=True)
class AreaScore:
    """Counts for one area (or ``total``). ``score`` = passed / (passed+failed+errors)."""

    area: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def applicable(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def total(self) -> int:
        return self.applicable + self.skipped

    @property
    def score(self) -> float | None:
        """The pass ratio in [0, 1]; ``None`` when no check applied."""
        return self.passed / self.applicable if self.applicable else None

    @property
    def score_text(self) -> str:
        return format_pct(self.score)

    def share(self, count: int) -> str:
        """``count`` as a CSS width percentage of the applicable checks (``"0%"`` if none)."""
        return f"{100 * count / self.applicable:.2f}%" if self.applicable else "0%"


def _score(area: str, results: Iterable[ResultRecord]) -> AreaScore:
    c = Counter(r.outcome for r in results)
    return AreaScore(
        area, c[Outcome.PASSED], c[Outcome.FAILED], c[Outcome.ERROR], c[Outcome.SKIPPED]
    )


def area_scores(results: Iterable[ResultRecord]) -> tuple[list[AreaScore], AreaScore]:
    """Per-area scores sorted by area name, and the total over all records."""
    rows = list(results)
    areas = sorted({r.area for r in rows})
    return [_score(a, (r for r in rows if r.area == a)) for a in areas], _score("total", rows)


CONTRACT_AREA = "contract"
"""The area of checks that judge the profile's own document ("as documented")."""


def side_scores(results: Iterable[ResultRecord]) -> list[AreaScore]:
    """Two rows side by side: ``as documented`` (the profile's own contract, area
    ``contract``) and ``what clients need`` (every other area)."""
    rows = list(results)
    return [
        _score(
            "as documented (the profile's own document)",
            (r for r in rows if r.area == CONTRACT_AREA),
        ),
        _score("what OpenAI clients need", (r for r in rows if r.area != CONTRACT_AREA)),
    ]


@dataclass(frozen=True, slots=True)
class Verdict:
    """``status`` is ``pass``, ``fail``, ``empty`` or ``interrupted``; ``text`` the one-line
    verdict."""

    status: str
    text: str


def interrupted_verdict(why: str, partial: Verdict) -> Verdict:
    """The verdict of a run that stopped early: ``INTERRUPTED (why): partial results; so
    far PASS: ...``, what the checks that ran say (not a verdict on the target)."""
    return Verdict("interrupted", f"INTERRUPTED ({why}): partial results; so far {partial.text}")


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def verdict(results: Sequence[ResultRecord], fail_on: Iterable[str] = DEFAULT_FAIL_ON) -> Verdict:
    """The one-line verdict, consistent with :func:`exit_code` for the same ``fail_on``.
    It counts findings (root causes, :mod:`reports.findings`), and says how many checks
    they fail.

    E.g. ``FAIL: 2 critical/high findings (5 checks fail); 1 other finding (1 check
    fails), 2 errors`` or ``PASS: every applicable check passes (40 passed, 3 skipped)``.
    """
    blocking = check_fail_on(fail_on)
    names = "/".join(s for s in SEVERITY_ORDER if s in blocking) or "blocking"
    total = _score("total", results)
    if total.applicable == 0:
        return Verdict("empty", f"NO RESULT: no check applied ({total.skipped} skipped)")
    found = findings(results)
    failed = [f for f in found if f.outcome == Outcome.FAILED.value]
    errored = [f for f in found if f.outcome == Outcome.ERROR.value]
    block = [f for f in failed if f.blocks(blocking)]
    block_err = [f for f in errored if f.blocks(blocking)]
    other = [f for f in failed if not f.blocks(blocking)]
    n_block_checks = sum(
        r.outcome is Outcome.FAILED for r in results if any(r.check_id in f.checks for f in block)
    )
    n_other_checks = total.failed - n_block_checks
    extras = []
    if other:
        extras.append(
            f"{_n(len(other), 'other finding', 'other findings')} "
            f"({_n(n_other_checks, 'check fails', 'checks fail')})"
        )
    if total.errors:
        extras.append(_n(total.errors, "error", "errors"))
    if block:
        tail = f"; {', '.join(extras)}" if extras else ""
        return Verdict(
            "fail",
            f"FAIL: {_n(len(block), names + ' finding', names + ' findings')} "
            f"({_n(n_block_checks, 'check fails', 'checks fail')}){tail}",
        )
    if block_err:
        return Verdict(
            "fail",
            f"FAIL: {_n(len(block_err), names + ' finding', names + ' findings')} could not "
            f"be decided ({', '.join(extras)})",
        )
    if extras:
        return Verdict("pass", f"PASS: no {names} finding; {', '.join(extras)}")
    return Verdict(
        "pass",
        f"PASS: every applicable check passes ({total.passed} passed, {total.skipped} skipped)",
    )
