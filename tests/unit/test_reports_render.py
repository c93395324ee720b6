"""The single-run renderers: Markdown, HTML, JUnit XML, the verdict and the exit code."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.records import Evidence, Outcome, ResultRecord, RunInfo, load_run
from reports.render import (
    exit_code,
    render_html,
    render_junit,
    render_markdown,
    verdict,
    write_reports,
)
from reports.render_score import side_scores

TARGET = "http://127.0.0.1:4000"
SECRETS = ("sk-live-SECRET1", "AIzaSECRET2", "sid=SECRET3", "SECRET4", "SECRET5")

RUN = RunInfo(
    target=TARGET + "/v1?key=SECRET5",
    profile="openai-core",
    mode="controlled",
    started_at="2025-03-01T10:00:00Z",
    duration_s=12.5,
    tool_version="0.1.0",
    target_label="litellm 1.79.0",
    notes={"litellm_version": "1.79.0", "config": "model_list:\n  - model_name: gemini"},
    requests_sent=17,
)

CURL = (
    f"curl -sN {TARGET}/v1/chat/completions -H 'Authorization: Bearer {SECRETS[0]}'"
    " -H 'content-type: application/json' -d '{\"stream\": true}'"
)
EXCERPT = 'data: {"choices": [{"delta": {"tool_calls": [{"id": "c1"}]}}]}'

EVIDENCE = Evidence(
    request={
        "method": "POST",
        "url": f"{TARGET}/v1/chat/completions",
        "headers": {
            "Authorization": f"Bearer {SECRETS[0]}",
            "X-Goog-Api-Key": SECRETS[1],
            "Content-Type": "application/json",
        },
        "body": {"model": "gemini-2.5-flash", "stream": True, "messages": []},
    },
    response={
        "status": 200,
        "headers": [["content-type", "text/event-stream"], ["set-cookie", SECRETS[2]]],
        "body": "data: <script>alert(1)</script>\r\n\r\n" + "y" * 6000,
    },
    excerpt=EXCERPT,
    curl=CURL,
    clients={"openai-python": "KeyError: 'index'", "openai-node": "ok"},
    upstream=[
        {
            "method": "POST",
            "url": "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            "headers": {"x-goog-api-key": SECRETS[3]},
            "body": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
            "scenario": "tool_call",
            "credentials": [{"where": "header:x-goog-api-key", "sha256": "3f1c0a9b2e4d"}],
        }
    ],
)


def rec(
    check_id: str,
    outcome: Outcome,
    severity: str = "high",
    message: str = "",
    evidence: Evidence | None = None,
    source: str = "OpenAI spec: chat streaming",
) -> ResultRecord:
    area = check_id.split(".", 1)[0]
    return ResultRecord(
        check_id=check_id,
        title=f"Title {check_id}",
        area=area,
        severity=severity,
        source=source,
        profile="openai-core",
        target=TARGET,
        mode="controlled",
        outcome=outcome,
        message=message,
        duration_ms=25.0,
        evidence=evidence,
    )


RESULTS = [
    rec(
        "stream.tool_call_index",
        Outcome.FAILED,
        "high",
        "tool_calls[0] has no index | clients crash",
        EVIDENCE,
        "https://github.com/openai/openai-python/issues/1234",
    ),
    rec("stream.done", Outcome.FAILED, "critical", "no data: [DONE]"),
    rec("errors.shape", Outcome.FAILED, "medium", "error body is {'detail': ...}"),
    rec("chat.stop", Outcome.FAILED, "low", "finish_reason missing"),
    rec("stream.keepalive", Outcome.ERROR, "high", "connection reset by peer"),
    rec("models.list", Outcome.SKIPPED, "low", "the profile does not claim /models"),
    rec("chat.basic", Outcome.PASSED, "critical"),
    rec("stream.usage", Outcome.PASSED, "medium"),
]


def cells(line: str) -> list[str]:
    """The cells of a Markdown table row (pipes escaped as ``\\|`` stay in their cell)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def table(markdown: str, header: str) -> list[list[str]]:
    """The data rows of the first Markdown table whose header line starts with ``header``."""
    lines = markdown[markdown.index(header) :].splitlines()
    rows = []
    for line in lines[2:]:  # header, separator
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    return rows


def section(markdown: str, title: str) -> str:
    start = markdown.index(f"\n## {title}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


# --- Markdown -------------------------------------------------------------------------


def test_markdown_header_verdict_and_notes() -> None:
    md = render_markdown(RUN, RESULTS)
    assert md.startswith("# Conformance report: litellm 1.79.0\n")
    assert (
        "**Verdict:** FAIL: 2 critical/high findings (2 checks fail); "
        "2 other findings (2 checks fail), 1 error" in md
    )
    assert "`openai-core`" in md
    assert "controlled" in md
    assert "2025-03-01T10:00:00Z" in md
    assert "12.5 s" in md
    assert "**Requests sent:** 17" in md
    assert "0.1.0" in md
    assert "litellm_version: 1.79.0" in md
    assert "    model_list:\n      - model_name: gemini" in md  # multi-line note, fenced


def test_markdown_summary_table_by_area() -> None:
    rows = {r[0]: r[1:] for r in table(render_markdown(RUN, RESULTS), "| Area |")}
    assert list(rows) == ["chat", "errors", "models", "stream", "**Total**"]
    assert rows["chat"] == ["1", "1", "0", "0", "50%"]
    assert rows["models"] == ["0", "0", "0", "1", "–"]
    assert rows["stream"] == ["1", "2", "1", "0", "25%"]
    assert rows["**Total**"] == ["**2**", "**4**", "**1**", "**1**", "**28.5%**"]


def test_markdown_failures_table_is_sorted_by_severity_then_id() -> None:
    rows = table(section(render_markdown(RUN, RESULTS), "Failures (4)"), "| Severity |")
    assert [(r[0], r[1]) for r in rows] == [
        ("critical", "`stream.done`"),
        ("high", "`stream.tool_call_index`"),
        ("medium", "`errors.shape`"),
        ("low", "`chat.stop`"),
    ]
    assert rows[1][3] == r"tool_calls[0] has no index \| clients crash"


def test_markdown_failure_detail_has_the_evidence() -> None:
    md = render_markdown(RUN, RESULTS)
    detail = md[md.index("### ❌ `stream.tool_call_index`") : md.index("### ❌ `errors.shape`")]
    assert "**Source:** <https://github.com/openai/openai-python/issues/1234>" in detail
    assert "**Request:** `POST http://127.0.0.1:4000/v1/chat/completions`" in detail
    assert '```json\n{\n  "model": "gemini-2.5-flash",\n  "stream": true,' in detail
    assert "**Response:** `200`" in detail
    assert "content-type: text/event-stream" in detail
    assert "data: <script>alert(1)</script>\\r\n\\r\n" in detail  # CR made visible
    assert "y\n… (2037 more bytes)\n```" in detail  # 37 + 6000 ASCII chars cut at 4000
    assert f"**Offending bytes:**\n\n```text\n{EXCERPT}\n```" in detail
    curl = CURL.replace(f"Bearer {SECRETS[0]}", "[redacted]")
    assert f"```sh\n{curl}\n```" in detail
    assert "| openai-node | ✅ ok |" in detail
    assert "| openai-python | ❌ KeyError: 'index' |" in detail
    assert "streamGenerateContent scenario=tool_call key=3f1c0a9b2e4d` " in detail
    assert '`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`' in detail


def test_markdown_errors_skipped_and_passed_sections() -> None:
    md = render_markdown(RUN, RESULTS)
    assert "### ⚠ `stream.keepalive`" in section(md, "Errors (1)")
    assert "connection reset by peer" in section(md, "Errors (1)")
    skipped = section(md, "Skipped (1)")
    assert "| `models.list` | Title models.list | the profile does not claim /models |" in skipped
    passed = section(md, "Passed (2)")
    assert passed.index("`chat.basic`") < passed.index("`stream.usage`")


def test_markdown_table_cells_escape_newlines_and_html() -> None:
    results = [rec("chat.x", Outcome.FAILED, "high", "line one\nline <two> | three")]
    md = render_markdown(RUN, results)
    row = next(line for line in md.splitlines() if line.startswith("| high |"))
    assert cells(row)[3] == r"line one line &lt;two&gt; \| three"
    assert len(cells(row)) == 4


def test_markdown_code_fences_survive_backticks_in_bodies() -> None:
    ev = Evidence(excerpt="a ``` b", curl="echo `x`")
    md = render_markdown(RUN, [rec("chat.x", Outcome.FAILED, "high", "m", ev)])
    assert "````text\na ``` b\n````" in md
    assert "```sh\necho `x`\n```" in md


# --- secrets, escaping, ordering (all formats) ----------------------------------------


@pytest.mark.parametrize("render", [render_markdown, render_html, render_junit])
def test_secrets_in_evidence_never_appear(
    render: Callable[[RunInfo, list[ResultRecord]], str],
) -> None:
    out = render(RUN, RESULTS)
    for secret in SECRETS:
        assert secret not in out
    assert "[redacted]" in out


def test_html_escapes_response_bodies_and_is_self_contained() -> None:
    results = [
        *RESULTS,
        rec(
            "chat.<b>", Outcome.FAILED, "low", "<img src=x onerror=alert(1)>", None, "javascript:x"
        ),
    ]
    html = render_html(RUN, results)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="https://github.com/openai/openai-python/issues/1234"' in html
    assert "<link" not in html
    assert "src=" not in html.replace("src=x", "")
    assert "<style>" in html
    assert "Authorization: [redacted]" in html


def test_html_layout() -> None:
    html = render_html(RUN, RESULTS)
    assert html.startswith("<!DOCTYPE html>")
    assert '<div class="verdict fail">FAIL: 2 critical/high findings (2 checks fail)' in html
    badges = re.findall(r'<td><span class="badge (\w+)">', html[: html.index("<h2>Errors")])
    assert badges == ["critical", "high", "medium", "low"]
    assert html.index('id="check-stream-done"') < html.index('id="check-stream-tool-call-index"')
    assert 'style="width: 25.00%"' in html  # stream: 1 passed of 4 applicable
    assert "<details>" in html
    assert "KeyError: &#39;index&#39;" in html


def test_renderers_do_not_depend_on_input_order() -> None:
    @given(st.permutations(RESULTS))
    def check(shuffled: list[ResultRecord]) -> None:
        assert render_markdown(RUN, shuffled) == expected_md
        assert render_html(RUN, shuffled) == expected_html
        assert render_junit(RUN, shuffled) == expected_junit

    expected_md = render_markdown(RUN, RESULTS)
    expected_html = render_html(RUN, RESULTS)
    expected_junit = render_junit(RUN, RESULTS)
    check()


# --- JUnit ----------------------------------------------------------------------------


def test_junit_parses_and_counts_match() -> None:
    root = ET.fromstring(render_junit(RUN, RESULTS).encode("utf-8"))
    assert root.tag == "testsuites"
    assert root.attrib["name"] == "conformance"
    # 8 checks and, first, the 5 findings they group into (4 failed, 1 error)
    assert root.attrib["tests"] == "13"
    assert (root.attrib["failures"], root.attrib["errors"], root.attrib["skipped"]) == (
        "8",
        "2",
        "1",
    )
    assert root.attrib["time"] == "12.500"
    found, *suites = root.findall("testsuite")
    assert found.attrib["name"] == "conformance.findings"
    assert [c.attrib["name"] for c in found.findall("testcase")] == [
        "F1: no data: [DONE]",
        "F2: tool_calls[0] has no index | clients crash",
        "F3: connection reset by peer",
        "F4: error body is {'detail': ...}",
        "F5: finish_reason missing",
    ]
    names = ["conformance.chat", "conformance.errors", "conformance.models", "conformance.stream"]
    assert [s.attrib["name"] for s in suites] == names
    for suite in [found, *suites]:
        cases = suite.findall("testcase")
        assert int(suite.attrib["tests"]) == len(cases)
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            assert int(suite.attrib[attr]) == sum(c.find(tag) is not None for c in cases)
    stream = suites[3]
    assert [c.attrib["name"] for c in stream.findall("testcase")] == [
        "stream.done",
        "stream.keepalive",
        "stream.tool_call_index",
        "stream.usage",
    ]
    case = stream.findall("testcase")[2]
    assert case.attrib["classname"] == "openai-core.stream"
    assert case.attrib["time"] == "0.025"
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib == {
        "message": "tool_calls[0] has no index | clients crash",
        "type": "high",
    }
    assert failure.text is not None
    assert "Authorization: [redacted]" in failure.text
    assert EXCERPT in failure.text
    skipped = suites[2].find("testcase/skipped")
    assert skipped is not None
    assert skipped.attrib["message"] == "the profile does not claim /models"
    assert stream.find("testcase[@name='stream.keepalive']/error") is not None


def test_junit_strips_characters_illegal_in_xml() -> None:
    ev = Evidence(excerpt="a\x00b\x1bc\ufffed", curl="curl \x07x")
    results = [rec("chat.\x01bad", Outcome.FAILED, "high", "nul\x00 here\x0b", ev)]
    root = ET.fromstring(render_junit(RUN, results).encode("utf-8"))
    case = root.find("testsuite[@name='conformance.chat']/testcase")
    assert case is not None
    assert case.attrib["name"] == "chat.bad"
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["message"] == "nul\\x00 here\\v"
    assert failure.text is not None
    assert "a\\x00b\\x1bcd" in failure.text
    assert "curl \\x07x" in failure.text


# --- verdict and exit code ------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "severity", "fail_on", "code"),
    [
        (Outcome.FAILED, "critical", ("critical", "high"), 1),
        (Outcome.FAILED, "high", ("critical", "high"), 1),
        (Outcome.FAILED, "medium", ("critical", "high"), 0),
        (Outcome.FAILED, "low", ("critical", "high"), 0),
        (Outcome.ERROR, "critical", ("critical", "high"), 1),
        (Outcome.ERROR, "medium", ("critical", "high"), 0),
        (Outcome.SKIPPED, "critical", ("critical", "high"), 0),
        (Outcome.PASSED, "critical", ("critical", "high"), 0),
        (Outcome.FAILED, "medium", ("medium",), 1),
        (Outcome.FAILED, "critical", (), 0),
    ],
)
def test_exit_code(outcome: Outcome, severity: str, fail_on: tuple[str, ...], code: int) -> None:
    results = [rec("chat.ok", Outcome.PASSED, "critical"), rec("chat.x", outcome, severity)]
    assert exit_code(results, fail_on) == code
    assert (verdict(results, fail_on).status == "fail") == bool(code)


def test_exit_code_default_and_bad_fail_on() -> None:
    assert exit_code(RESULTS) == 1
    assert exit_code([]) == 0
    with pytest.raises(ValueError, match="fail_on: unknown severity 'severe'"):
        exit_code(RESULTS, ("critical", "severe"))
    with pytest.raises(ValueError, match="fail_on"):
        exit_code(RESULTS, "critical")


def test_verdict_texts() -> None:
    passing = [rec("chat.a", Outcome.PASSED), rec("chat.b", Outcome.SKIPPED)]
    assert verdict(passing).text == "PASS: every applicable check passes (1 passed, 1 skipped)"
    minor = [*passing, rec("chat.c", Outcome.FAILED, "medium")]
    assert verdict(minor).text == "PASS: no critical/high finding; 1 other finding (1 check fails)"
    one = [*passing, rec("chat.d", Outcome.FAILED, "critical")]
    assert verdict(one).text == "FAIL: 1 critical/high finding (1 check fails)"
    undecided = [*passing, rec("chat.e", Outcome.ERROR, "high")]
    assert verdict(undecided).text == "FAIL: 1 critical/high finding could not be decided (1 error)"
    assert verdict([rec("chat.s", Outcome.SKIPPED)]).status == "empty"


# --- write_reports --------------------------------------------------------------------


def test_write_reports_writes_four_files(tmp_path: Path) -> None:
    paths = write_reports(tmp_path / "out", RUN, list(reversed(RESULTS)))
    assert {k: p.name for k, p in paths.items()} == {
        "json": "report.json",
        "markdown": "report.md",
        "html": "report.html",
        "junit": "junit.xml",
    }
    run, results = load_run(paths["json"])
    assert run == RUN
    assert [r.check_id for r in results] == [
        "chat.basic",
        "chat.stop",
        "errors.shape",
        "models.list",
        "stream.done",
        "stream.keepalive",
        "stream.tool_call_index",
        "stream.usage",
    ]
    assert sorted(results, key=lambda r: r.check_id) == sorted(RESULTS, key=lambda r: r.check_id)
    assert paths["markdown"].read_text("utf-8") == render_markdown(RUN, RESULTS)
    assert paths["html"].read_text("utf-8") == render_html(RUN, RESULTS)
    ET.parse(paths["junit"])
    assert json.loads(paths["json"].read_text("utf-8"))["format"] == 1


def test_write_reports_rejects_bad_fail_on_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fail_on"):
        write_reports(tmp_path / "out", RUN, RESULTS, fail_on=("urgent",))
    assert not (tmp_path / "out").exists()


def test_target_label_falls_back_to_the_redacted_target() -> None:
    run = dataclasses.replace(RUN, target_label="")
    md = render_markdown(run, RESULTS)
    assert md.startswith("# Conformance report: http://127.0.0.1:4000/v1?key=[redacted]\n")


def test_the_document_side_and_the_client_side_are_scored_apart() -> None:
    results = [
        rec("contract.responses", Outcome.PASSED, "medium"),
        rec("errors.envelope.bad_key", Outcome.FAILED, "high"),
        rec("stream.done_terminator", Outcome.PASSED, "high"),
    ]
    sides = side_scores(results)
    assert [(s.passed, s.failed) for s in sides] == [(1, 0), (1, 1)]
    text = render_markdown(RUN, results)
    assert "| as documented (the profile's own document) | 1 | 0 | 0 | 100% |" in text
    assert "| what OpenAI clients need | 1 | 1 | 0 | 50% |" in text
    assert "As documented vs what clients need" in render_html(RUN, results)


def test_every_source_and_the_docs_page_are_cited() -> None:
    """A check cites several sources (``; ``) and its docs page; URLs are links, ``docs/``
    paths are links only under a docs base URL (else code a reader opens in the checkout)."""
    failed = dataclasses.replace(
        RESULTS[1],
        source="https://github.com/ikawrakow/ik_llama.cpp/issues/467; docs/sse.md#dispatch",
        docs="docs/checks/stream.md#streamdone",
    )
    md = render_markdown(RUN, [failed])
    assert (
        "**Source:** <https://github.com/ikawrakow/ik_llama.cpp/issues/467>; `docs/sse.md#dispatch`"
        " · **Docs:** `docs/checks/stream.md#streamdone`"
    ) in md
    html = render_html(RUN, [failed], docs_base="https://example.org/repo/blob/main/")
    assert '<a href="https://github.com/ikawrakow/ik_llama.cpp/issues/467"' in html
    assert '<a href="https://example.org/repo/blob/main/docs/checks/stream.md#streamdone"' in html
    assert "docs: docs/checks/stream.md#streamdone" in render_junit(RUN, [failed])
