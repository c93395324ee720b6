"""Several runs side by side: which check passes on which target.

Rows are the union of check ids over all runs, sorted by area then check id; title and
severity come from the first run (in the given order) that has the check. Columns are
the runs in the given order, named by ``target_label`` (else the redacted target) and
profile, each headed by its score. A cell is ✅ passed, ❌ failed, ⚠ error, – skipped,
blank when the run has no record of the check; when a run holds several records for one
check the worst wins (failed, error, passed, skipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.records import Outcome, ResultRecord, RunInfo
from reports.render_jinja import html_env, markdown_env
from reports.render_model import run_label
from reports.render_safe import redact_text, shown
from reports.render_score import AreaScore, area_scores, by_area

__all__ = [
    "SYMBOLS",
    "Cell",
    "Column",
    "MatrixView",
    "Row",
    "matrix_view",
    "render_matrix_html",
    "render_matrix_markdown",
]

SYMBOLS = {
    Outcome.PASSED: "✅",
    Outcome.FAILED: "❌",
    Outcome.ERROR: "⚠",
    Outcome.SKIPPED: "–",
}
"""The cell symbol of each outcome."""

_WORST = (Outcome.FAILED, Outcome.ERROR, Outcome.PASSED, Outcome.SKIPPED)

Run = tuple[RunInfo, Sequence[ResultRecord]]


@dataclass(frozen=True, slots=True)
class Column:
    """One run: ``label`` (target label or target), ``profile``, ``target`` (redacted),
    ``mode`` and its overall ``score``."""

    label: str
    profile: str
    target: str
    mode: str
    started_at: str
    tool_version: str
    score: AreaScore

    @property
    def score_line(self) -> str:
        """E.g. ``87.5% (35/40)``; ``–`` when no check applied."""
        s = self.score
        return f"{s.score_text} ({s.passed}/{s.applicable})" if s.applicable else "–"


@dataclass(frozen=True, slots=True)
class Cell:
    """One run's outcome for one check: ``symbol`` and ``tooltip`` (outcome: message)."""

    outcome: str
    symbol: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class Row:
    area: str
    check_id: str
    title: str
    severity: str
    cells: list[Cell | None]
    """One per column; ``None`` when that run has no record of the check."""


@dataclass(frozen=True, slots=True)
class MatrixView:
    columns: list[Column]
    rows: list[Row]


def _cell(records: list[ResultRecord]) -> Cell | None:
    if not records:
        return None
    worst = min(records, key=lambda r: _WORST.index(r.outcome))
    message = " ".join(shown(worst.message).split())
    tooltip = f"{worst.outcome.value}: {message}" if message else worst.outcome.value
    return Cell(worst.outcome.value, SYMBOLS[worst.outcome], tooltip)


def matrix_view(runs: Sequence[Run]) -> MatrixView:
    """The :class:`MatrixView` of ``runs`` (``[(run, results), ...]``, columns in order)."""
    columns: list[Column] = []
    index: list[dict[str, list[ResultRecord]]] = []
    first: dict[str, ResultRecord] = {}
    for run, results in runs:
        ordered = by_area(results)
        _, total = area_scores(ordered)
        columns.append(
            Column(
                label=run_label(run),
                profile=run.profile,
                target=redact_text(run.target),
                mode=run.mode,
                started_at=run.started_at,
                tool_version=run.tool_version,
                score=total,
            )
        )
        by_id: dict[str, list[ResultRecord]] = {}
        for r in ordered:
            by_id.setdefault(r.check_id, []).append(r)
            first.setdefault(r.check_id, r)
        index.append(by_id)
    keys = sorted(first.values(), key=lambda r: (r.area, r.check_id))
    rows = [
        Row(
            area=r.area,
            check_id=r.check_id,
            title=r.title,
            severity=r.severity,
            cells=[_cell(by_id.get(r.check_id, [])) for by_id in index],
        )
        for r in keys
    ]
    return MatrixView(columns=columns, rows=rows)


def render_matrix_markdown(runs: Sequence[Run]) -> str:
    """A Markdown table of ``runs`` side by side (see the module docstring)."""
    return markdown_env().get_template("matrix.md.j2").render(m=matrix_view(runs))


def render_matrix_html(runs: Sequence[Run]) -> str:
    """A self-contained HTML page of ``runs`` side by side; each cell's ``title`` holds
    the outcome and message."""
    return html_env().get_template("matrix.html.j2").render(m=matrix_view(runs))
