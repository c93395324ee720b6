"""``conformance``: run the suite against a proxy and write reports.

    conformance run                                  # embedded: reference proxy + mock
    conformance run --target URL --api-key K [--mock-url URL] [--profile NAME]
    conformance checks                               # list the catalogue
    conformance matrix a/report.json b/report.json   # several targets side by side

Exit codes: 0 every critical/high check passes; 1 one fails (``--fail-on`` sets the
severities); 2 usage error, unreachable target or rejected API key (one clear line).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.table import Table

from reports.records import Outcome, ResultRecord, RunInfo, load_run
from reports.render import (
    exit_code,
    render_matrix_html,
    render_matrix_markdown,
    verdict,
    write_reports,
)
from spec.profiles import FEATURES, PROFILES, get_profile, with_features

from .embedded import Embedded, ServerStartError, embedded
from .exchange import redact_url
from .http import Budget
from .oracles import openai_python_version
from .oracles_node import NODE_DIR_ENV, install_openai_node, node_dir, openai_node_version
from .registry import REGISTRY
from .runner import SuiteRun, run_suite
from .target import Target, TargetError

__all__ = ["main"]

DEFAULT_OUT = Path("reports/out")
RATE_LIMIT_CHECKS = ("contract.rate_limit", "errors.own_rate_limit_retry_after")
_OUTCOME_STYLE = {
    Outcome.PASSED: "[green]pass[/]",
    Outcome.FAILED: "[bold red]FAIL[/]",
    Outcome.ERROR: "[yellow]error[/]",
    Outcome.SKIPPED: "[dim]skip[/]",
}


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("gemini-proxy-conformance")
    except Exception:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _die(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _reachable(url: str, timeout_s: float = 5.0) -> str | None:
    """``None`` when a TCP connection to ``url``'s host opens, else why not (no HTTP sent)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="conformance")
def main() -> None:
    """Conformance harness for OpenAI-compatible Gemini proxies."""


@main.command()
@click.option("--target", metavar="URL", help="The proxy's base URL. Omitted: embedded reference.")
@click.option(
    "--api-key",
    envvar="CONFORMANCE_API_KEY",
    metavar="KEY",
    help="Client API key for the target (or $CONFORMANCE_API_KEY). Never written anywhere.",
)
@click.option("--model", default="gemini-2.5-flash", show_default=True, help="Model to request.")
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="openai-core",
    show_default=True,
    help="The documented contract the target claims.",
)
@click.option(
    "--mock-url",
    metavar="URL",
    help="Controlled mode: the mock upstream the target's Gemini base URL points at.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for report.json, report.md, report.html, junit.xml.",
)
@click.option(
    "--feature",
    "features",
    multiple=True,
    type=click.Choice(sorted(FEATURES)),
    help="Claim a feature the profile does not (e.g. images and tts on openai-core, for a "
    "proxy that serves /images/generations and /audio/speech); repeatable.",
)
@click.option("--label", help="A human name for the target in reports (e.g. 'litellm 1.79').")
@click.option("--note", multiple=True, metavar="KEY=VALUE", help="Extra facts for the report.")
@click.option("--check", "select", multiple=True, metavar="ID", help="Run only these ids/prefixes.")
@click.option("--max-requests", type=click.IntRange(min=1), help="Send at most this many requests.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="Requests per second.")
@click.option(
    "--fail-on",
    default="critical,high",
    show_default=True,
    help="Severities whose failure makes the exit code 1 ('none' for never).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Per-request timeout in seconds.",
)
@click.option(
    "--probe-rate-limits",
    is_flag=True,
    help="Test the target's own documented rate limits with a short burst (runs only the "
    "rate-limit checks unless --check says otherwise: a target that enforces its limits "
    "cannot be probed at full speed).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict line.")
def run(
    target: str | None,
    api_key: str | None,
    model: str,
    profile: str,
    mock_url: str | None,
    out: Path,
    features: tuple[str, ...],
    label: str | None,
    note: tuple[str, ...],
    select: tuple[str, ...],
    max_requests: int | None,
    rate: float | None,
    fail_on: str,
    timeout: float,
    probe_rate_limits: bool,
    quiet: bool,
) -> None:
    """Run the conformance suite and write the reports."""
    if probe_rate_limits and not select:
        select = RATE_LIMIT_CHECKS
    severities = tuple(s.strip() for s in fail_on.split(",") if s.strip() and s.strip() != "none")
    unknown = [s for s in severities if s not in ("critical", "high", "medium", "low")]
    if unknown:
        _die(f"--fail-on: unknown severity {unknown[0]!r} (critical, high, medium, low, none)")
    notes: dict[str, str] = {}
    for item in note:
        key, eq, value = item.partition("=")
        if not eq or not key:
            _die(f"--note must be KEY=VALUE; got {item!r}")
        notes[key] = value
    claimed = with_features(get_profile(profile), features)
    extra = claimed.features - get_profile(profile).features
    if extra:
        notes.setdefault("features claimed with --feature", ", ".join(sorted(extra)))
    console = Console(stderr=True, quiet=quiet)
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()

    def execute(the_target: Target) -> SuiteRun:
        console.print(
            f"[bold]conformance[/] {the_target.mode} run against "
            f"{redact_url(the_target.base_url)} (profile {profile}, model {model})"
        )
        with console.status("probing…") as status:
            result = run_suite(
                the_target,
                select=select or None,
                budget=Budget(max_requests, rate),
                timeout_s=timeout,
                on_probe=lambda name: status.update(f"probe [cyan]{name}[/]…"),
            )
        return result

    try:
        if target is None:
            if mock_url:
                _die("--mock-url needs --target (the embedded run brings its own mock)")
            try:
                with embedded(profile, rate_limits=probe_rate_limits) as emb:
                    the_target = replace(
                        _embedded_target(emb, profile, model, label),
                        profile=claimed,
                        probe_rate_limits=probe_rate_limits,
                    )
                    result = execute(the_target)
            except ServerStartError as exc:
                _die(str(exc))
        else:
            the_target = Target(
                base_url=target,
                profile=claimed,
                model=model,
                api_key=api_key,
                mock_url=mock_url,
                label=label or "",
                probe_rate_limits=probe_rate_limits,
            )
            for what, url in (("target", target), ("mock", mock_url)):
                if url is not None and (why := _reachable(url)) is not None:
                    _die(f"cannot reach the {what} at {redact_url(url)}: {why}")
            result = execute(the_target)
    except (TargetError, ValueError) as exc:
        _die(str(exc))

    chat_status = result.statuses.get("chat")
    if chat_status in (401, 403) and the_target.api_key is not None:
        _die(
            f"the target rejected the API key (HTTP {chat_status} on a plain chat request); "
            "check --api-key / $CONFORMANCE_API_KEY"
        )
    if result.statuses and all(s is None for s in result.statuses.values()):
        first = next(iter(result.transport_errors.values()), "no response")
        _die(f"the target answered no request: {first}")

    notes.setdefault("openai-python", openai_python_version())
    notes.setdefault(
        "openai-node", openai_node_version() or "not installed (conformance setup-node)"
    )
    info = RunInfo(
        target=redact_url(the_target.base_url),
        profile=profile,
        mode=the_target.mode,
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        tool_version=_version(),
        target_label=the_target.label,
        notes=notes,
        requests_sent=result.requests_sent,
    )
    paths = write_reports(out, info, result.records, fail_on=severities)
    _print_summary(console, result.records)
    code = exit_code(result.records, fail_on=severities)
    click.echo(f"{verdict(result.records, severities).text}  (report: {paths['markdown']})")
    sys.exit(code)


def _embedded_target(emb: Embedded, profile: str, model: str, label: str | None) -> Target:
    return Target(
        base_url=emb.proxy_url,
        profile=get_profile(profile),
        model=model,
        api_key=emb.api_key,
        mock_url=emb.mock_url,
        label=label or "reference (embedded)",
    )


def _print_summary(console: Console, records: list[ResultRecord]) -> None:
    table = Table(title="conformance results", show_lines=False)
    table.add_column("check")
    table.add_column("severity")
    table.add_column("result")
    table.add_column("message", overflow="fold")
    for r in records:
        if r.outcome is Outcome.SKIPPED:
            continue
        table.add_row(r.check_id, r.severity, _OUTCOME_STYLE[r.outcome], r.message[:160])
    console.print(table)


@main.command("setup-node")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Install into this folder (default: $CONFORMANCE_NODE_DIR or ~/.cache/...).",
)
def setup_node(directory: Path | None) -> None:
    """Install the npm `openai` package so streams are also replayed through openai-node."""
    try:
        version = install_openai_node(directory)
    except RuntimeError as exc:
        _die(str(exc))
    click.echo(f"openai-node {version} installed in {directory or node_dir()}")
    if directory is not None:
        click.echo(f"set {NODE_DIR_ENV}={directory} for conformance runs to find it")


@main.command("checks")
def list_checks() -> None:
    """List every check: id, severity, mode and title."""
    table = Table(show_lines=False)
    for col in ("id", "severity", "mode", "title"):
        table.add_column(col)
    for spec in sorted(REGISTRY.values(), key=lambda s: s.id):
        table.add_row(spec.id, spec.severity.value, spec.mode.value, spec.title)
    Console().print(table)


@main.command()
@click.argument(
    "reports", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for matrix.md and matrix.html.",
)
def matrix(reports: tuple[Path, ...], out: Path) -> None:
    """Render several report.json files side by side (Markdown and HTML)."""
    runs = []
    for path in reports:
        try:
            runs.append(load_run(path))
        except ValueError as exc:
            _die(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    (out / "matrix.md").write_text(render_matrix_markdown(runs), "utf-8")
    (out / "matrix.html").write_text(render_matrix_html(runs), "utf-8")
    click.echo(f"matrix of {len(runs)} runs: {out / 'matrix.md'}, {out / 'matrix.html'}")


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
