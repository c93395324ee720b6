"""The load figures (conformance.load.stats) and the load report (reports.render_load)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.load.stats import is_error, percentile, summarize
from conformance.load.wire import Recorded
from reports.records import Outcome, ResultRecord, RunInfo
from reports.render_load import (
    LoadSummary,
    TimelinePoint,
    latency_svg,
    render_load_html,
    render_load_markdown,
    write_load_reports,
)
from tests.factories import completion, error_exchange, json_exchange


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 1.0) == 100
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError, match="q must be in"):
        percentile(values, 0)


def answer(cid: str, at: float, elapsed: float, status: int = 200) -> Recorded:
    x = json_exchange("chat", completion()) if status == 200 else error_exchange("chat", status)
    return Recorded(replace(x, started_at=1000 + at, elapsed_s=elapsed), cid)


def test_a_429_is_an_error_unless_the_profile_documents_limits() -> None:
    refused = answer("r", 0, 0.1, 429).exchange
    assert is_error(refused, documented_limits=False)
    assert not is_error(refused, documented_limits=True)
    assert is_error(answer("e", 0, 0.1, 500).exchange, documented_limits=True)


def test_the_summary_counts_every_answer_and_buckets_them_by_second() -> None:
    items = [answer(f"c{i}", i * 0.5, 0.1 * (i + 1)) for i in range(6)] + [answer("e", 2.2, 1, 502)]
    s = summarize(items, users=2, spawn_rate=1, duration_s=3, workers=0, documented_limits=False)
    assert (s.requests, s.errors) == (7, 1)
    assert [p.requests for p in s.timeline] == [2, 2, 3]
    assert s.timeline[2].errors == 1
    assert s.latency_ms["max"] == pytest.approx(1000)
    assert s.rps == pytest.approx(7 / 3.2, rel=1e-3)
    assert LoadSummary.from_json(json.loads(json.dumps(s.to_json()))) == s


def summary() -> LoadSummary:
    points = [TimelinePoint(0, 10, 0, 12, 30), TimelinePoint(1, 12, 2, 15, 900)]
    figures = {"p50": 13.0, "p95": 880.0, "p99": 900.0, "max": 901.0}
    return LoadSummary(5, 5, 2, 2.1, 0, 22, 2, 0, 2 / 22, 10.5, figures, figures, timeline=points)


def test_the_svg_is_inline_and_scriptless() -> None:
    svg = latency_svg(summary().timeline)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert svg.count("<polyline") == 2
    assert "<script" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "no answers" in latency_svg([])


def test_the_load_reports_show_figures_and_checks(tmp_path: Path) -> None:
    run = RunInfo(
        target="http://127.0.0.1:1", profile="openai-core", mode="controlled", started_at="t"
    )
    failed = ResultRecord(
        "load.cross_talk",
        "t",
        "load",
        "critical",
        "docs/load.md",
        "openai-core",
        "x",
        "black-box",
        Outcome.FAILED,
        message="2 of 9 answers carry <another>'s text",
    )
    html = render_load_html(run, summary(), [failed])
    assert "<svg" in html
    assert "&lt;another&gt;" in html
    assert "<script" not in html
    md = render_load_markdown(run, summary(), [failed])
    assert "| 22 | 10.5 | 2 | 9.09 % | 0 |" in md
    assert "**FAIL** critical `load.cross_talk`" in md
    paths = write_load_reports(tmp_path, run, summary(), [failed])
    assert {p.name for p in paths.values()} >= {
        "report.json",
        "junit.xml",
        "load.json",
        "load.html",
    }
    assert json.loads(paths["load_json"].read_text("utf-8"))["load"]["requests"] == 22
