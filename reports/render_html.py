"""One run as a single self-contained HTML page (``templates/report.html.j2``).

Inline CSS only: no script, no external asset, readable offline and in a CI artifact
viewer. Layout: header (target, profile, mode, verdict, run facts), per-area score bars
(pure CSS), failures sorted by severity with colour-coded badges and their evidence
(``<details>`` for request, response and upstream journal), errors, then skipped and
passed checks collapsed. Every value is HTML-escaped (jinja2 autoescape).
"""

from __future__ import annotations

from collections.abc import Iterable

from reports.records import ResultRecord, RunInfo
from reports.render_jinja import html_env
from reports.render_model import report_view
from reports.render_score import DEFAULT_FAIL_ON

__all__ = ["render_html"]


def render_html(
    run: RunInfo,
    results: Iterable[ResultRecord],
    *,
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
    docs_base: str = "",
) -> str:
    """The HTML report of ``run`` (one document, UTF-8, ends with a newline).

    ``fail_on`` only words the verdict; ``ValueError`` names an unknown severity in it;
    ``docs_base`` makes the checks' ``docs/`` pages links (else shown as paths).
    Credentials in evidence are shown as ``[redacted]``; only http(s) sources are links.
    """
    view = report_view(run, results, fail_on, docs_base)
    return html_env().get_template("report.html.j2").render(v=view)
