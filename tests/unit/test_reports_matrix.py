"""Several runs side by side: the Markdown and HTML matrices."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from reports.records import Outcome, ResultRecord, RunInfo
from reports.render import render_matrix_html, render_matrix_markdown


def run(label: str, profile: str, target: str) -> RunInfo:
    return RunInfo(
        target=target,
        profile=profile,
        mode="black-box",
        started_at="2025-03-01T10:00:00Z",
        target_label=label,
    )


def rec(check_id: str, outcome: Outcome, message: str = "", severity: str = "high") -> ResultRecord:
    return ResultRecord(
        check_id=check_id,
        title=f"Title {check_id}",
        area=check_id.split(".", 1)[0],
        severity=severity,
        source="spec",
        profile="p",
        target="t",
        mode="black-box",
        outcome=outcome,
        message=message,
    )


REFERENCE = (
    run("reference", "openai-core", "http://127.0.0.1:1"),
    [
        rec("stream.done", Outcome.PASSED, severity="critical"),
        rec("chat.basic", Outcome.ERROR, "connection <reset>"),
        rec("models.list", Outcome.SKIPPED, "not claimed"),
        rec("errors.shape", Outcome.PASSED),
    ],
)
LITELLM = (
    run("", "openai-core", "http://proxy:4000/v1?key=SECRET"),
    [
        rec("stream.done", Outcome.FAILED, "no [DONE] | truncated", "critical"),
        rec("models.list", Outcome.PASSED),
        rec("chat.extra", Outcome.PASSED),
        rec("errors.shape", Outcome.FAILED, "first"),
        rec("errors.shape", Outcome.PASSED),  # the worst record of a check wins
    ],
)


def md_rows(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| "):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0]] = cells[1:]
    return rows


def test_matrix_markdown_cells() -> None:
    md = render_matrix_markdown([REFERENCE, LITELLM])
    rows = md_rows(md)
    header = rows.pop("Check")
    assert header == [
        "Severity",
        "Title",
        "reference<br>openai-core",
        "http://proxy:4000/v1?key=[redacted]<br>openai-core",
    ]
    assert rows.pop("---") == ["---", "---", ":-:", ":-:"]
    # Scores count records, as each run's own report does (3 of LITELLM's 5 pass).
    assert rows.pop("**Score**") == ["", "", "**66.6% (2/3)**", "**60% (3/5)**"]
    assert list(rows) == [
        "`chat.basic`",
        "`chat.extra`",
        "`errors.shape`",
        "`models.list`",
        "`stream.done`",
    ]
    assert rows["`chat.basic`"] == ["high", "Title chat.basic", "⚠", ""]
    assert rows["`chat.extra`"] == ["high", "Title chat.extra", "", "✅"]
    assert rows["`errors.shape`"] == ["high", "Title errors.shape", "✅", "❌"]
    assert rows["`models.list`"] == ["high", "Title models.list", "–", "✅"]
    assert rows["`stream.done`"] == ["critical", "Title stream.done", "✅", "❌"]
    assert "SECRET" not in md


class _Cells(HTMLParser):
    """Collects ``(text, title)`` of each ``<td class="cell ...">`` per table row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str]]] = []
        self._cell: list[str] | None = None
        self._title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        if tag == "td" and (a.get("class") or "").startswith("cell"):
            self._cell, self._title = [], a.get("title") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(("".join(self._cell).strip(), self._title))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_matrix_html_cells_and_tooltips() -> None:
    html = render_matrix_html([REFERENCE, LITELLM])
    parser = _Cells()
    parser.feed(html)
    rows = [r for r in parser.rows if r]
    scores, *checks = rows
    assert [text.split()[0] for text, _ in scores] == ["66.6%", "60%"]
    assert checks == [
        [("⚠", "error: connection <reset>"), ("", "not in this run")],
        [("", "not in this run"), ("✅", "passed")],
        [("✅", "passed"), ("❌", "failed: first")],
        [("–", "skipped: not claimed"), ("✅", "passed")],
        [("✅", "passed"), ("❌", "failed: no [DONE] | truncated")],
    ]
    assert 'title="error: connection &lt;reset&gt;"' in html
    assert "SECRET" not in html
    assert "<script" not in html


def test_matrix_takes_title_and_severity_from_the_first_run_with_the_check() -> None:
    other = (run("b", "x", "t"), [rec("chat.basic", Outcome.PASSED, severity="low")])
    rows = md_rows(render_matrix_markdown([other, REFERENCE]))
    assert rows["`chat.basic`"] == ["low", "Title chat.basic", "✅", "⚠"]
    assert render_matrix_markdown([]).startswith("# Conformance matrix")
