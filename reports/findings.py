"""Findings: the failed and errored checks of a run, grouped by root cause.

One defect often fails several checks (an error body without ``error.type`` fails the
envelope checks, the status-map checks, the document check and the client replays). A
:class:`Finding` is one such defect with the checks it fails; verdicts and exit codes
count findings, and the reports list them before the per-check table.

Two failed or errored records are one finding when, and only when:

1. both carry the same ``cause`` (set by the check, ``CheckFailure(..., cause=...)``:
   the check's author states the root cause, e.g. ``error body: error.type missing``),
   compared with blanks collapsed; or
2. neither carries a cause, both carry evidence, and both have the same message
   (blanks collapsed) and the same evidence bytes: the same request, the same response
   (status, headers, body) and the same offending excerpt.

A record whose cause names several certain causes (``A + B``, joined by
:data:`CAUSES_JOIN`: a recorded answer whose every difference is a known defect, but two
of them) joins the finding of the first of them when every one of them has a finding of
its own, and otherwise is one finding with the others that name the same set.

Anything else stays a finding of its own: a false merge hides a defect, while a missed
merge only repeats one. Severity of a finding is the highest of its checks'. Pure.
See docs/reports.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reports.records import SEVERITY_ORDER, Evidence, Outcome, ResultRecord
from reports.render_safe import redact_text, shown, truncate

__all__ = ["CAUSES_JOIN", "Finding", "blocking_findings", "findings", "group_key"]

TITLE_LIMIT = 200
"""Characters of a finding's title (a cause or a message on one line)."""

CAUSES_JOIN = " + "
"""Joins the causes of a record that fails for several certain ones (sorted, ``A + B``);
no single cause contains it."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One root cause. ``id`` is ``F1``, ``F2``... in report order (severity, then
    failed before error, then the first check id); ``title`` the cause, or the shared
    message on one line; ``severity`` the highest of its checks'; ``outcome`` ``failed``
    when one of its checks failed, else ``error``; ``checks`` the check ids, sorted;
    ``severities`` each check's severity, in the same order; ``evidence`` where it shows
    (``check``: the most severe check, ``message``: its message, ``exchanges``: the
    distinct ``METHOD url -> status`` lines of the checks' evidence); ``cause`` the cause
    the checks named (empty for a group by identical evidence)."""

    id: str
    title: str
    severity: str
    outcome: str
    checks: tuple[str, ...]
    severities: tuple[str, ...]
    evidence: dict[str, Any]
    cause: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``report.json`` form: ``{id, title, severity, outcome, cause, checks,
        evidence}`` (``severities`` are in the per-check records)."""
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "outcome": self.outcome,
            "cause": self.cause,
            "checks": list(self.checks),
            "evidence": self.evidence,
        }

    def blocks(self, fail_on: Iterable[str]) -> bool:
        """True when one of its checks has a severity in ``fail_on`` (with the usual
        thresholds, ``critical,high``: when its own severity is one of them)."""
        blocking = set(fail_on)
        return any(s in blocking for s in self.severities)


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _evidence_bytes(ev: Evidence) -> str:
    """The parts of the evidence that identify the exchange and the offending bytes."""
    return json.dumps(
        [ev.request, ev.response, ev.excerpt], sort_keys=True, ensure_ascii=False, default=repr
    )


def group_key(record: ResultRecord) -> tuple[str, ...]:
    """The key records of one finding share (see the module docstring): ``("cause",
    cause)``, ``("same", message, evidence)``, or for a record that can only stand alone
    ``("alone", check_id, message)``."""
    cause = _one_line(record.cause)
    if cause:
        return ("cause", cause)
    if record.evidence is not None:
        return ("same", _one_line(record.message), _evidence_bytes(record.evidence))
    return ("alone", record.check_id, record.message)


def _exchange_line(ev: Evidence | None) -> str | None:
    if ev is None or not ev.request:
        return None
    method = str(ev.request.get("method", "")).upper()
    url = str(ev.request.get("url", ""))
    status = (ev.response or {}).get("status")
    line = f"{method} {url}".strip()
    return redact_text(f"{line} -> {status if status is not None else 'no response'}")


def _finding(number: int, group: Sequence[ResultRecord], cause: str) -> Finding:
    ordered = sorted(
        group, key=lambda r: (_rank(r.severity), r.outcome is not Outcome.FAILED, r.check_id)
    )
    lead = ordered[0]
    exchanges: list[str] = []
    for r in ordered:
        line = _exchange_line(r.evidence)
        if line is not None and line not in exchanges:
            exchanges.append(line)
    by_id = sorted(group, key=lambda r: r.check_id)
    title = cause or _one_line(shown(redact_text(lead.message))) or lead.title
    return Finding(
        id=f"F{number}",
        title=truncate(title, TITLE_LIMIT),
        severity=lead.severity,
        outcome=(
            Outcome.FAILED.value
            if any(r.outcome is Outcome.FAILED for r in group)
            else Outcome.ERROR.value
        ),
        checks=tuple(r.check_id for r in by_id),
        severities=tuple(r.severity for r in by_id),
        evidence={
            "check": lead.check_id,
            "message": redact_text(lead.message),
            "exchanges": exchanges,
        },
        cause=cause,
    )


def findings(results: Iterable[ResultRecord]) -> list[Finding]:
    """The findings of a run: every failed or errored record in exactly one finding, in
    report order (highest severity first, failed before error, then first check id),
    numbered ``F1``... in that order. The result does not depend on the order of
    ``results``."""
    groups: dict[tuple[str, ...], list[ResultRecord]] = {}
    several: list[tuple[tuple[str, ...], ResultRecord]] = []
    for r in results:
        if r.outcome in (Outcome.FAILED, Outcome.ERROR):
            key = group_key(r)
            if key[0] == "cause" and CAUSES_JOIN in key[1]:
                several.append((key, r))
            else:
                groups.setdefault(key, []).append(r)
    for key, r in several:  # after every single cause has its group
        parts = sorted({p.strip() for p in key[1].split(CAUSES_JOIN) if p.strip()})
        own = [("cause", p) for p in parts if ("cause", p) in groups]
        if own and len(own) == len(parts):
            groups[own[0]].append(r)  # each of its causes is a finding: nothing hidden
        else:
            groups.setdefault(("cause", CAUSES_JOIN.join(parts)), []).append(r)

    def order(item: tuple[tuple[str, ...], list[ResultRecord]]) -> tuple[object, ...]:
        key, group = item
        top = min(_rank(r.severity) for r in group)
        failed = any(r.outcome is Outcome.FAILED for r in group)
        return (top, not failed, min(r.check_id for r in group), key)

    out = []
    for number, (key, group) in enumerate(sorted(groups.items(), key=order), start=1):
        out.append(_finding(number, group, key[1] if key[0] == "cause" else ""))
    return out


def blocking_findings(found: Iterable[Finding], fail_on: Iterable[str]) -> list[Finding]:
    """The findings that fail the run under ``fail_on`` (see :meth:`Finding.blocks`)."""
    blocking = tuple(fail_on)
    return [f for f in found if f.blocks(blocking)]
