"""The renderers' public surface, and :func:`write_reports`, the only one doing I/O.

Renderers are pure: ``(run, results) -> str``. They never mutate records and their
output does not depend on the order of ``results``. See :mod:`reports.render_md`,
:mod:`reports.render_html`, :mod:`reports.render_junit` and :mod:`reports.render_matrix`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from reports.findings import findings
from reports.records import ResultRecord, RunInfo, dump_run
from reports.render_html import render_html
from reports.render_junit import render_junit
from reports.render_matrix import render_matrix_html, render_matrix_markdown
from reports.render_md import render_markdown
from reports.render_model import DOCS_URL_ENV
from reports.render_score import DEFAULT_FAIL_ON, by_area, exit_code, interrupted_verdict, verdict

__all__ = [
    "DEFAULT_FAIL_ON",
    "REPORT_FILES",
    "exit_code",
    "interrupted_verdict",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_matrix_html",
    "render_matrix_markdown",
    "verdict",
    "write_reports",
]

REPORT_FILES = {
    "json": "report.json",
    "markdown": "report.md",
    "html": "report.html",
    "junit": "junit.xml",
}
"""Format name -> file name written by :func:`write_reports`."""


def write_reports(
    out_dir: Path,
    run: RunInfo,
    results: Iterable[ResultRecord],
    *,
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
) -> dict[str, Path]:
    """Write the four reports of ``run`` into ``out_dir`` (created if missing).

    Returns format name -> path, with the keys of :data:`REPORT_FILES` (``json``:
    ``report.json`` via :func:`~reports.records.dump_run`, records sorted by area then
    check id, and the findings of :mod:`reports.findings`; ``markdown``; ``html``;
    ``junit``). Existing files are overwritten; text is UTF-8.
    ``$CONFORMANCE_DOCS_URL`` (:data:`~reports.render_model.DOCS_URL_ENV`), when set, is
    the base URL the checks' ``docs/`` pages are linked under. ``fail_on`` words the
    verdicts (``ValueError`` on an unknown severity, raised before anything is written).
    """
    fail_on = tuple(fail_on)
    ordered = by_area(results)
    docs_base = os.environ.get(DOCS_URL_ENV, "")
    texts = {
        "markdown": render_markdown(run, ordered, fail_on=fail_on, docs_base=docs_base),
        "html": render_html(run, ordered, fail_on=fail_on, docs_base=docs_base),
        "junit": render_junit(run, ordered),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / file for name, file in REPORT_FILES.items()}
    dump_run(paths["json"], run, ordered, [f.to_json() for f in findings(ordered)])
    for name, text in texts.items():
        paths[name].write_text(text, encoding="utf-8")
    return paths
