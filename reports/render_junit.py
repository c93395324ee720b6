"""One run as JUnit XML, for CI systems that show test results (GitLab, Jenkins, GitHub).

Shape::

    <testsuites name="conformance" tests= failures= errors= skipped= time=>
      <testsuite name="conformance.findings" tests= failures= errors= skipped="0" time="0">
        <testcase classname="<profile>.findings" name="<F1>: <title>" time="0">
          <failure message="<title>" type="<severity>">checks, evidence</failure>
          | <error message= type="error">...</error>
      <testsuite name="conformance.<area>" tests= failures= errors= skipped= time=>
        <properties>target, profile, mode, started_at, tool_version, notes</properties>
        <testcase classname="<profile>.<area>" name="<check_id>" time="<seconds>">
          <failure message="<message>" type="<severity>">message, curl, excerpt</failure>
          | <error message= type="error">...</error> | <skipped message="<reason>"/>

The findings suite comes first (one case per root cause, :mod:`reports.findings`; absent
when nothing failed), then the per-check suites sorted by area, cases by check id; a
failed check's text names its finding. ``time`` is in seconds (3 decimals); the
root's ``time`` is the run's wall-clock duration. Every text and attribute is stripped of
the characters XML 1.0 forbids, so the document always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from itertools import groupby

from reports.findings import Finding, findings
from reports.records import Outcome, ResultRecord, RunInfo
from reports.render_evidence import EXCERPT_LIMIT
from reports.render_model import run_label
from reports.render_safe import redact_text, shown, truncate
from reports.render_score import area_scores, by_area

__all__ = ["render_junit", "xml_safe"]

_ILLEGAL_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 does not allow (controls, surrogates,
    U+FFFE/U+FFFF)."""
    return _ILLEGAL_XML.sub("", text)


def _el(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text:
        el.text = xml_safe(text)
    return el


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _detail(r: ResultRecord, finding: Finding | None = None) -> str:
    """The failure/error body: message, then the curl line and the excerpt when present."""
    parts = [shown(r.message)]
    if finding is not None and len(finding.checks) > 1:
        others = ", ".join(c for c in finding.checks if c != r.check_id)
        parts.append(f"finding {finding.id}: {finding.title} (also fails: {others})")
    if r.source:
        parts.append(f"source: {r.source}")
    if r.docs:
        parts.append(f"docs: {r.docs}")
    ev = r.evidence
    if ev is not None and ev.curl:
        parts.append(f"reproduce:\n{shown(ev.curl)}")
    if ev is not None and ev.excerpt:
        excerpt = truncate(shown(ev.excerpt), EXCERPT_LIMIT)
        parts.append(f"offending bytes:\n{excerpt}")
    if ev is not None and ev.clients:
        lines = [f"  {name}: {shown(out)}" for name, out in sorted(ev.clients.items())]
        parts.append("clients:\n" + "\n".join(lines))
    return "\n\n".join(p for p in parts if p)


def _properties(parent: ET.Element, run: RunInfo) -> None:
    props = ET.SubElement(parent, "properties")
    fixed = [
        ("target", redact_text(run.target)),
        ("target_label", run_label(run)),
        ("profile", run.profile),
        ("mode", run.mode),
        ("started_at", run.started_at),
        ("tool_version", run.tool_version),
        ("requests_sent", str(run.requests_sent)),
        ("tokens_spent", str(run.tokens_spent)),
        *([("interrupted", run.interrupted)] if run.interrupted else []),
    ]
    notes = [(f"note.{k}", str(v)) for k, v in sorted(run.notes.items())]
    for name, value in fixed + notes:
        _el(props, "property", name=name, value=value)


def _finding_detail(f: Finding) -> str:
    lines = [f"{f.id}: {shown(f.title)}", f"severity: {f.severity}"]
    if f.cause:
        lines.append(f"cause: {shown(f.cause)}")
    lines.append("checks:")
    lines += [f"  {c} ({sev})" for c, sev in zip(f.checks, f.severities, strict=True)]
    lines.append(f"evidence ({f.evidence['check']}): {shown(str(f.evidence['message']))}")
    lines += [f"  {x}" for x in f.evidence["exchanges"]]
    return "\n".join(lines)


def _findings_suite(root: ET.Element, run: RunInfo, found: list[Finding]) -> None:
    """One case per finding, failed (``type`` its severity) or error."""
    n_err = sum(f.outcome == Outcome.ERROR.value for f in found)
    suite = _el(
        root,
        "testsuite",
        name="conformance.findings",
        tests=str(len(found)),
        failures=str(len(found) - n_err),
        errors=str(n_err),
        skipped="0",
        time="0.000",
        timestamp=run.started_at,
    )
    _properties(suite, run)
    for f in found:
        title = " ".join(shown(f.title).split())
        case = _el(
            suite,
            "testcase",
            classname=f"{run.profile}.findings",
            name=f"{f.id}: {title}",
            time="0",
        )
        if f.outcome == Outcome.ERROR.value:
            _el(case, "error", _finding_detail(f), message=title, type="error")
        else:
            _el(case, "failure", _finding_detail(f), message=title, type=f.severity)


def _interrupted_suite(root: ET.Element, run: RunInfo) -> None:
    """An interrupted run is one ``error`` test case (``conformance.run``/``interrupted``),
    so CI never reads a partial run as green."""
    suite = _el(
        root,
        "testsuite",
        name="conformance.run",
        tests="1",
        failures="0",
        errors="1",
        skipped="0",
        time=_seconds(run.duration_s),
        timestamp=run.started_at,
    )
    _properties(suite, run)
    case = _el(suite, "testcase", classname=f"{run.profile}.run", name="interrupted", time="0")
    why = f"the run was interrupted ({run.interrupted}); the other results are partial"
    _el(case, "error", why, message=why, type="interrupted")


def render_junit(run: RunInfo, results: Iterable[ResultRecord]) -> str:
    """The JUnit XML document of ``run`` (UTF-8 declaration, indented, ends with a newline).

    Counts on ``<testsuites>`` and each ``<testsuite>`` match the ``<testcase>`` children;
    passed cases have no child element.
    """
    ordered = by_area(results)
    _, total = area_scores(ordered)
    found = findings(ordered)
    of_check = {c: f for f in found for c in f.checks}
    f_err = sum(f.outcome == Outcome.ERROR.value for f in found)
    stopped = 1 if run.interrupted else 0
    root = ET.Element(
        "testsuites",
        name="conformance",
        tests=str(total.total + len(found) + stopped),
        failures=str(total.failed + len(found) - f_err),
        errors=str(total.errors + f_err + stopped),
        skipped=str(total.skipped),
        time=_seconds(run.duration_s),
    )
    if found:
        _findings_suite(root, run, found)
    for area, group in groupby(ordered, key=lambda r: r.area):
        cases = list(group)
        _, score = area_scores(cases)
        suite = _el(
            root,
            "testsuite",
            name=f"conformance.{area}",
            tests=str(score.total),
            failures=str(score.failed),
            errors=str(score.errors),
            skipped=str(score.skipped),
            time=_seconds(sum(r.duration_ms for r in cases) / 1000),
            timestamp=run.started_at,
        )
        _properties(suite, run)
        for r in cases:
            case = _el(
                suite,
                "testcase",
                classname=f"{r.profile or run.profile}.{area}",
                name=r.check_id,
                time=_seconds(r.duration_ms / 1000),
            )
            message = " ".join(shown(r.message).split())
            if r.outcome is Outcome.FAILED:
                detail = _detail(r, of_check.get(r.check_id))
                _el(case, "failure", detail, message=message, type=r.severity)
            elif r.outcome is Outcome.ERROR:
                _el(
                    case,
                    "error",
                    _detail(r, of_check.get(r.check_id)),
                    message=message,
                    type="error",
                )
            elif r.outcome is Outcome.SKIPPED:
                _el(case, "skipped", message=message)
    if run.interrupted:
        _interrupted_suite(root, run)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
