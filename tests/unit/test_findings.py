"""Findings: failed and errored checks grouped by root cause (reports.findings), and how
the verdict, the exit code and every report show them."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reports.findings import CAUSES_JOIN, findings, group_key
from reports.records import SEVERITY_ORDER, Evidence, Outcome, ResultRecord, RunInfo
from reports.render import exit_code, render_junit, render_markdown, verdict, write_reports
from reports.render_html import render_html

RUN = RunInfo(
    target="http://127.0.0.1:4000", profile="openai-core", mode="controlled", started_at="t"
)


def exchange(
    status: int, body: str, url: str = "http://127.0.0.1:4000/v1/chat/completions"
) -> Evidence:
    return Evidence(
        request={"method": "POST", "url": url, "headers": {}, "body": {"model": "m"}},
        response={"status": status, "headers": [], "body": body},
        excerpt=body[:40],
    )


RATE = exchange(429, '{"error": {"message": "quota"}}')
BAD_KEY = exchange(401, '{"error": {"message": "bad key"}}')
NOT_JSON = exchange(200, "<html>oops</html>")


def rec(
    check_id: str,
    outcome: Outcome = Outcome.FAILED,
    severity: str = "high",
    message: str = "broken",
    evidence: Evidence | None = None,
    cause: str = "",
) -> ResultRecord:
    return ResultRecord(
        check_id=check_id,
        title=f"Title {check_id}",
        area=check_id.split(".", 1)[0],
        severity=severity,
        source="https://example.org/spec",
        profile="openai-core",
        target="http://127.0.0.1:4000",
        mode="controlled",
        outcome=outcome,
        message=message,
        evidence=evidence,
        cause=cause,
    )


ENVELOPE = "error body: error.type missing or not a string"

RESULTS = [
    # one defect (no error.type) seen by four checks on two different exchanges
    rec("errors.envelope.rate_limit", message="no error.type", evidence=RATE, cause=ENVELOPE),
    rec("errors.envelope.bad_key", message="no error.type", evidence=BAD_KEY, cause=ENVELOPE),
    rec(
        "contract.responses",
        severity="medium",
        message=".error.type: None is not of type 'string'",
        evidence=RATE,
        cause=f"  {ENVELOPE}\n",  # blanks do not split a cause
    ),
    rec("clients.openai_python.error_rate_limit", severity="low", evidence=RATE, cause=ENVELOPE),
    # one exchange that is not JSON: the same message on the same bytes
    rec(
        "chat.completion_shape", severity="critical", message="body is not JSON", evidence=NOT_JSON
    ),
    rec("chat.content_present", message="body is not JSON", evidence=NOT_JSON),
    # the same message on other bytes, other messages on the same bytes: apart
    rec("chat.usage", severity="medium", message="body is not JSON", evidence=RATE),
    rec("stream.role_first", message="no role", evidence=NOT_JSON),
    # no evidence: never merged by message alone
    rec("stream.a", Outcome.ERROR, "low", "no response"),
    rec("stream.b", Outcome.ERROR, "low", "no response"),
    rec("chat.ok", Outcome.PASSED, "critical"),
    rec("chat.skip", Outcome.SKIPPED, "critical", "moot"),
]


def test_records_group_by_named_cause_or_by_identical_message_and_bytes() -> None:
    found = findings(RESULTS)
    assert [(f.id, f.severity, f.outcome, f.checks) for f in found] == [
        ("F1", "critical", "failed", ("chat.completion_shape", "chat.content_present")),
        (
            "F2",
            "high",
            "failed",
            (
                "clients.openai_python.error_rate_limit",
                "contract.responses",
                "errors.envelope.bad_key",
                "errors.envelope.rate_limit",
            ),
        ),
        ("F3", "high", "failed", ("stream.role_first",)),
        ("F4", "medium", "failed", ("chat.usage",)),
        ("F5", "low", "error", ("stream.a",)),
        ("F6", "low", "error", ("stream.b",)),
    ]
    envelope = found[1]
    assert envelope.title == ENVELOPE
    assert envelope.cause == ENVELOPE
    assert envelope.evidence["check"] == "errors.envelope.bad_key"  # high, then by id
    assert envelope.evidence["exchanges"] == [
        "POST http://127.0.0.1:4000/v1/chat/completions -> 401",
        "POST http://127.0.0.1:4000/v1/chat/completions -> 429",
    ]
    assert found[0].title == "body is not JSON"
    assert found[0].cause == ""


def test_a_cause_never_joins_a_record_without_one() -> None:
    same_bytes = [
        rec("a.x", message="m", evidence=RATE, cause="c"),
        rec("a.y", message="m", evidence=RATE),
    ]
    assert len(findings(same_bytes)) == 2
    assert group_key(same_bytes[0]) != group_key(same_bytes[1])


def test_a_record_of_several_causes_joins_a_finding_only_when_none_is_hidden() -> None:
    stop, thoughts = "tool calls: stop", "usage: thoughts left out"
    both = CAUSES_JOIN.join((stop, thoughts))
    singles = [rec("tools.x", cause=stop), rec("captures.t", cause=thoughts)]
    # each cause has its finding: the record goes under the first, no finding is added
    found = findings([*singles, rec("captures.a", cause=both), rec("captures.b", cause=both)])
    assert [(f.title, f.checks) for f in found] == [
        (stop, ("captures.a", "captures.b", "tools.x")),
        (thoughts, ("captures.t",)),
    ]
    # one cause has no finding of its own: the set is a finding, so nothing is hidden
    found = findings([singles[0], rec("captures.a", cause=both), rec("captures.b", cause=both)])
    assert [(f.title, f.checks) for f in found] == [
        (both, ("captures.a", "captures.b")),
        (stop, ("tools.x",)),
    ]
    # the order of the records does not matter
    shuffled = [rec("captures.b", cause=both), *reversed(singles), rec("captures.a", cause=both)]
    assert [f.checks for f in findings(shuffled)] == [
        ("captures.a", "captures.b", "tools.x"),
        ("captures.t",),
    ]


def test_the_client_replays_do_not_split_a_group() -> None:
    a = rec("a.x", evidence=RATE)
    b = rec("a.y", evidence=dataclasses.replace(RATE, clients={"openai-node": "ok"}))
    assert len(findings([a, b])) == 1


CHECKS = st.builds(
    rec,
    check_id=st.sampled_from(["a.one", "a.two", "b.three", "b.four", "c.five"]),
    outcome=st.sampled_from(list(Outcome)),
    severity=st.sampled_from(SEVERITY_ORDER),
    message=st.sampled_from(["m1", "m2"]),
    evidence=st.sampled_from([None, RATE, BAD_KEY]),
    cause=st.sampled_from(["", "", "c1", "c2"]),
)
FAIL_ON = st.lists(st.sampled_from(SEVERITY_ORDER), unique=True)


@given(st.lists(CHECKS, max_size=8, unique_by=lambda r: r.check_id), FAIL_ON)
def test_grouping_never_changes_the_exit_code(
    records: list[ResultRecord], fail_on: list[str]
) -> None:
    per_check = any(
        r.outcome in (Outcome.FAILED, Outcome.ERROR) and r.severity in fail_on for r in records
    )
    assert exit_code(records, fail_on) == int(per_check)
    assert (verdict(records, fail_on).status == "fail") == per_check
    found = findings(records)
    bad = [r for r in records if r.outcome in (Outcome.FAILED, Outcome.ERROR)]
    assert sorted(c for f in found for c in f.checks) == sorted(r.check_id for r in bad)
    for f in found:
        members = [r for r in bad if r.check_id in f.checks]
        assert f.severity == min((r.severity for r in members), key=SEVERITY_ORDER.index)
        assert len({group_key(r) for r in members}) == 1
    assert findings(list(reversed(records))) == found


def test_the_verdict_counts_findings() -> None:
    text = verdict(RESULTS).text
    assert text == (
        "FAIL: 3 critical/high findings (7 checks fail); 1 other finding (1 check fails), 2 errors"
    )


def test_report_json_keeps_the_records_and_the_findings(tmp_path: Path) -> None:
    paths = write_reports(tmp_path, RUN, RESULTS)
    data = json.loads(paths["json"].read_text("utf-8"))
    assert len(data["results"]) == len(RESULTS)
    assert [r["cause"] for r in data["results"] if r["check_id"] == "chat.usage"] == [""]
    f2 = data["findings"][1]
    assert set(f2) == {"id", "title", "severity", "outcome", "cause", "checks", "evidence"}
    assert f2["id"] == "F2"
    assert f2["severity"] == "high"
    assert len(f2["checks"]) == 4
    assert f2["evidence"]["message"] == "no error.type"


def test_markdown_and_html_list_findings_first_with_their_checks() -> None:
    md = render_markdown(RUN, RESULTS)
    start = md.index("## Findings (6)")
    assert start < md.index("## Summary") < md.index("## Failures")
    block = md[start : md.index("## Summary")]
    assert f"- **F2** · high · {ENVELOPE}\n" in block
    assert "  - `errors.envelope.bad_key` (high, failed): Title errors.envelope.bad_key\n" in block
    assert "- **F5** · low · could not decide · no response\n" in block
    assert "`docs/severity.md`" in md
    html = render_html(RUN, RESULTS)
    assert html.index('<ol class="findings">') < html.index("<h2>Failures")
    assert '<li id="finding-f2"><b>F2</b>' in html
    assert "docs/severity.md" in html[html.index("<footer>") :]


def test_junit_lists_findings_first_and_names_each_checks_finding() -> None:
    root = ET.fromstring(render_junit(RUN, RESULTS).encode("utf-8"))
    first = root.findall("testsuite")[0]
    assert first.attrib["name"] == "conformance.findings"
    assert (first.attrib["tests"], first.attrib["failures"], first.attrib["errors"]) == (
        "6",
        "4",
        "2",
    )
    f2 = first.findall("testcase")[1].find("failure")
    assert f2 is not None
    assert f2.text is not None
    assert f2.attrib["type"] == "high"
    assert "errors.envelope.rate_limit (high)" in f2.text
    case = root.find("testsuite[@name='conformance.contract']/testcase/failure")
    assert case is not None
    assert case.text is not None
    assert f"finding F2: {ENVELOPE} (also fails: clients.openai_python" in case.text
