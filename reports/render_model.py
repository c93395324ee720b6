"""The view of one run that the Markdown and HTML reports lay out.

:func:`report_view` turns a run and its records into plain frozen dataclasses: run
facts, verdict, per-area scores and the results split by outcome (failures by severity
then check id, the others by area then check id), each with its safe evidence. Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from reports.findings import Finding, findings
from reports.records import Outcome, ResultRecord, RunInfo
from reports.render_evidence import EvidenceView, evidence_view
from reports.render_safe import redact_text, shown, truncate
from reports.render_score import (
    DEFAULT_FAIL_ON,
    AreaScore,
    Verdict,
    area_scores,
    by_area,
    format_duration,
    interrupted_verdict,
    severity_key,
    side_scores,
    verdict,
)

__all__ = [
    "DOCS_URL_ENV",
    "FINDINGS_DOC",
    "LINE_LIMIT",
    "SEVERITY_DOC",
    "FindingView",
    "Link",
    "ReportView",
    "ResultView",
    "RunView",
    "links",
    "report_view",
    "run_label",
]

LINE_LIMIT = 200
"""Characters of a message shown in a table cell."""

SEVERITY_DOC = "docs/severity.md"
"""The page that states how a check's severity is chosen (cited in every report)."""
FINDINGS_DOC = "docs/reports.md#findings"
"""The page that states how failures are grouped into findings."""


@dataclass(frozen=True, slots=True)
class Link:
    """A cited source: ``href`` is set for an http(s) URL (and for a ``docs/`` page when
    :data:`DOCS_URL_ENV` gives the docs' base URL), else the text is shown as code."""

    text: str
    href: str = ""


DOCS_URL_ENV = "CONFORMANCE_DOCS_URL"
"""Environment variable: the base URL the repository's ``docs/`` pages are served under
(e.g. ``https://github.com/<org>/<repo>/blob/main/``); unset, ``docs/`` paths are shown
as text, to open in the checkout."""

_URL = re.compile(r"https?://[^\s<>\"'`]+$")


def links(text: str, docs_base: str = "") -> list[Link]:
    """``"a; b"`` -> one :class:`Link` per cited source (empty parts dropped). Pure."""
    out = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        if _URL.match(part):
            out.append(Link(part, part))
        elif part.startswith("docs/") and docs_base:
            out.append(Link(part, docs_base.rstrip("/") + "/" + part))
        else:
            out.append(Link(part))
    return out


@dataclass(frozen=True, slots=True)
class ResultView:
    """A record with its safe evidence, an HTML anchor and a link for its source."""

    rec: ResultRecord
    evidence: EvidenceView | None
    anchor: str
    source_url: str
    """``rec.source`` when it is an http(s) URL, else ``""``."""
    sources: list[Link]
    """Every cited source (``rec.source`` split on ``;``)."""
    docs: Link | None
    """The check's docs page (``rec.docs``), or ``None``."""
    message: str
    """The whole message, credentials redacted, control characters made visible."""
    message_line: str
    """The message on one line, cut to :data:`LINE_LIMIT` characters (for tables)."""
    duration: str


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding (:class:`reports.findings.Finding`) with its checks' result views, most
    severe first, and the finding's title on one line, made safe to print."""

    finding: Finding
    title: str
    checks: list[ResultView]


CONTROLLED_MARK = "needs controlled mode"
"""How a skip's message says the check needs the mock as the target's upstream (the
runner's reason, ``conformance.runner``)."""

GET_THE_REST = (
    "point the proxy's Gemini base URL at the mock (python -m mockserver) and rerun with "
    "--mock-url, or replay recorded Gemini answers through it with --captures DIR "
    "(docs/field-mode.md#what-needs-controlled-mode)"
)
"""What a black-box report tells the user to do to run the checks it could not."""


@dataclass(frozen=True, slots=True)
class Coverage:
    """A black-box run's split: ``black_box`` checks judged (passed, failed or errored),
    ``controlled`` checks that need controlled mode (skipped for it), ``other`` skipped
    for another reason (profile, features, budget); ``how`` gets the rest."""

    black_box: int
    controlled: int
    other: int
    how: str = GET_THE_REST


def coverage(run: RunInfo, results: Iterable[ResultRecord]) -> Coverage | None:
    """The :class:`Coverage` of a black-box run (``None`` for a controlled one)."""
    if run.mode != "black-box":
        return None
    judged = controlled = other = 0
    for r in results:
        if r.outcome is not Outcome.SKIPPED:
            judged += 1
        elif CONTROLLED_MARK in r.message:
            controlled += 1
        else:
            other += 1
    return Coverage(judged, controlled, other)


@dataclass(frozen=True, slots=True)
class RunView:
    title: str
    target: str
    label: str
    profile: str
    mode: str
    started_at: str
    duration: str
    requests_sent: int
    tool_version: str
    notes: list[tuple[str, str]]
    tokens_spent: int = 0
    """Tokens the target's answers reported (their ``usage`` summed); 0: none did."""
    tokens_estimate: int = 0


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything a report shows. Lists are ordered: failures by severity then check id,
    the others by area then check id."""

    run: RunView
    verdict: Verdict
    areas: list[AreaScore]
    total: AreaScore
    sides: list[AreaScore]
    """``as documented`` vs ``what OpenAI clients need`` (see ``side_scores``)."""
    findings: list[FindingView]
    """Root causes (failed and errored checks grouped), most severe first."""
    failures: list[ResultView]
    errors: list[ResultView]
    skipped: list[ResultView]
    passed: list[ResultView]
    severity_doc: Link
    findings_doc: Link
    coverage: Coverage | None = None
    """Black-box runs: what was judged and what needs controlled mode."""


def run_label(run: RunInfo) -> str:
    """The run's human name: ``target_label``, else the (redacted) target URL."""
    return run.target_label or redact_text(run.target)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "check"


def _one_line(text: str) -> str:
    return truncate(" ".join(shown(text).split()), LINE_LIMIT)


def report_view(
    run: RunInfo,
    results: Iterable[ResultRecord],
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
    docs_base: str = "",
) -> ReportView:
    """The :class:`ReportView` of one run; ``docs_base`` turns ``docs/`` paths into links
    (see :data:`DOCS_URL_ENV`). ``ValueError`` on a bad ``fail_on``."""
    ordered = by_area(results)
    seen: Counter[str] = Counter()
    views: list[ResultView] = []
    for r in ordered:
        slug = _slug(r.check_id)
        seen[slug] += 1
        url = r.source.strip() if re.match(r"https?://[^\s<>\"'`]+$", r.source.strip()) else ""
        views.append(
            ResultView(
                rec=r,
                evidence=evidence_view(r.evidence),
                anchor=f"check-{slug}" + (f"-{seen[slug]}" if seen[slug] > 1 else ""),
                source_url=url,
                sources=links(r.source, docs_base),
                docs=next(iter(links(r.docs, docs_base)), None),
                message=shown(r.message),
                message_line=_one_line(r.message),
                duration=format_duration(r.duration_ms / 1000),
            )
        )

    def pick(outcome: Outcome) -> list[ResultView]:
        return [v for v in views if v.rec.outcome is outcome]

    by_check = {v.rec.check_id: v for v in views}
    finding_views = [
        FindingView(
            finding=f,
            title=_one_line(f.title),
            checks=sorted(
                (by_check[c] for c in f.checks if c in by_check),
                key=lambda v: severity_key(v.rec),
            ),
        )
        for f in findings(ordered)
    ]
    areas, total = area_scores(ordered)
    target = redact_text(run.target)
    return ReportView(
        run=RunView(
            title=run_label(run),
            target=target,
            label=run.target_label,
            profile=run.profile,
            mode=run.mode,
            started_at=run.started_at,
            duration=format_duration(run.duration_s),
            requests_sent=run.requests_sent,
            tool_version=run.tool_version,
            notes=sorted((str(k), shown(str(v))) for k, v in run.notes.items()),
            tokens_spent=run.tokens_spent,
            tokens_estimate=run.tokens_estimate,
        ),
        verdict=(
            interrupted_verdict(run.interrupted, verdict(ordered, fail_on))
            if run.interrupted
            else verdict(ordered, fail_on)
        ),
        areas=areas,
        total=total,
        sides=side_scores(ordered),
        findings=finding_views,
        failures=sorted(pick(Outcome.FAILED), key=lambda v: severity_key(v.rec)),
        errors=pick(Outcome.ERROR),
        skipped=pick(Outcome.SKIPPED),
        passed=pick(Outcome.PASSED),
        severity_doc=links(SEVERITY_DOC, docs_base)[0],
        findings_doc=links(FINDINGS_DOC, docs_base)[0],
        coverage=coverage(run, ordered),
    )
