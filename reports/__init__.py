"""Result records and their reports (a leaf library: it imports nothing local).

Producers write :class:`ResultRecord` s (:mod:`reports.records`); the renderers turn a
run into Markdown, HTML and JUnit XML, or several runs into a matrix
(:mod:`reports.render`).
"""

from reports.records import (
    FORMAT_VERSION,
    SEVERITY_ORDER,
    Evidence,
    Outcome,
    ResultRecord,
    RunInfo,
    dump_run,
    load_run,
)
from reports.render import (
    DEFAULT_FAIL_ON,
    REPORT_FILES,
    exit_code,
    render_html,
    render_junit,
    render_markdown,
    render_matrix_html,
    render_matrix_markdown,
    verdict,
    write_reports,
)

__all__ = [
    "DEFAULT_FAIL_ON",
    "FORMAT_VERSION",
    "REPORT_FILES",
    "SEVERITY_ORDER",
    "Evidence",
    "Outcome",
    "ResultRecord",
    "RunInfo",
    "dump_run",
    "exit_code",
    "load_run",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_matrix_html",
    "render_matrix_markdown",
    "verdict",
    "write_reports",
]
