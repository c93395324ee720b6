"""One run as a Markdown report a person reads at a glance (``templates/report.md.j2``).

Layout: title, verdict, run facts and notes; a summary table by area; the failures
(table sorted by severity then check id, then each in detail with request, response,
offending bytes, client replays, upstream journal and a ``curl`` line); errors; skipped
checks with their reason; the passed checks. Ordering does not depend on input order.
"""

from __future__ import annotations

from collections.abc import Iterable

from reports.records import ResultRecord, RunInfo
from reports.render_jinja import markdown_env
from reports.render_model import report_view
from reports.render_score import DEFAULT_FAIL_ON

__all__ = ["render_markdown"]


def render_markdown(
    run: RunInfo,
    results: Iterable[ResultRecord],
    *,
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
    docs_base: str = "",
) -> str:
    """The Markdown report of ``run`` (GitHub-flavoured, ends with a newline).

    ``fail_on`` (the severities that fail the run) only words the verdict; ``docs_base``
    makes the checks' ``docs/`` pages links (else they are shown as paths); ``ValueError``
    names an unknown severity in it. Credentials in evidence are shown as ``[redacted]``.
    """
    view = report_view(run, results, fail_on, docs_base)
    return markdown_env().get_template("report.md.j2").render(v=view)
