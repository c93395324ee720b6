"""``conformance``: run the suite against a proxy and write reports.

    conformance run                                  # embedded: reference proxy + mock
    conformance run --target URL --api-key K [--mock-url URL] [--profile NAME]
    conformance run --live --target URL --api-key K  # field mode: a proxy before the real Gemini
    conformance run [--target URL --mock-url URL] --captures DIR   # replay recorded answers
    conformance checks                               # list the catalogue
    conformance matrix a/report.json b/report.json   # several targets side by side

Exit codes: 0 every critical/high check passes; 1 a critical/high finding (one root
cause and the checks it fails, ``reports.findings``) fails or could not be decided
(``--fail-on`` sets the severities); 2 usage error, or a run that could tell nothing
(unreachable target, missing or rejected API key, not an OpenAI API, the mock not in the
proxy's path, ``--out`` not writable): one clear line, before the run's cost is paid;
130 interrupted by Ctrl-C and 143 by SIGTERM (the reports of what ran so far are
written, marked interrupted).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from reports.records import Outcome, ResultRecord, RunInfo, load_run
from reports.render import (
    exit_code,
    interrupted_verdict,
    render_matrix_html,
    render_matrix_markdown,
    verdict,
    write_reports,
)
from spec.capture_format import CaptureError, skipped_lines
from spec.profiles import FEATURES, PROFILES, get_profile, with_features

from .checks.captures import add_captures
from .embedded import Embedded, ServerStartError, embedded
from .exchange import redact_url
from .http import REQUEST_DEADLINE_S, RUN_DEADLINE_S, Budget, unreachable
from .load.command import load as load_command
from .oracles import openai_python_version
from .oracles_node import (
    AI_SDK_PACKAGE,
    NODE_DIR_ENV,
    ai_sdk_version,
    install_openai_node,
    node_dir,
    openai_node_version,
)
from .probes.captures import BUNDLED_NAMES
from .progress import PlainProgress, ProgressSink, TerminalProgress
from .registry import REGISTRY, CheckSpec
from .runner import (
    BLACK_BOX_MAX_REQUESTS,
    ProbeStart,
    RunAborted,
    SuiteRun,
    estimate_tokens,
    plan,
    run_suite,
)
from .stopping import StopSignals
from .target import Target, TargetError, parse_headers

__all__ = ["main"]

DEFAULT_OUT = Path("reports/out")
LIVE_RATE = 0.5
"""``--live``: requests per second unless ``--rate`` says otherwise (a real model's
per-minute quota is the user's; docs/field-mode.md)."""
RATE_LIMIT_CHECKS = ("contract.rate_limit", "errors.own_rate_limit_retry_after")
_OUTCOME_LABEL = {
    Outcome.PASSED: "pass",
    Outcome.FAILED: "FAIL",
    Outcome.ERROR: "error",
    Outcome.SKIPPED: "skip",
}
_OUTCOME_STYLE = {
    Outcome.PASSED: "green",
    Outcome.FAILED: "bold red",
    Outcome.ERROR: "yellow",
    Outcome.SKIPPED: "dim",
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="conformance")
def main() -> None:
    """Conformance harness for OpenAI-compatible Gemini proxies."""


@main.command()
@click.option(
    "--target",
    metavar="URL",
    help="The proxy's root or the base URL OpenAI clients use (.../v1, or one without /v1 "
    "such as Google's .../v1beta/openai). Omitted: embedded reference.",
)
@click.option(
    "--api-key",
    envvar="CONFORMANCE_API_KEY",
    metavar="KEY",
    help="Client API key for the target (or $CONFORMANCE_API_KEY). Never written anywhere.",
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="A header field for every request to the target (repeatable), such as a gateway's "
    "routing fields (Portkey's x-portkey-provider). Values of key, token, secret and "
    "authorization fields are redacted like --api-key.",
)
@click.option("--model", default="gemini-2.5-flash", show_default=True, help="Model to request.")
@click.option(
    "--reasoning-model",
    metavar="NAME",
    help="A model that thinks, for the field-mode reasoning probes (default: picked from "
    "GET /models, else --model when it thinks, else gemini-2.5-flash).",
)
@click.option(
    "--live",
    is_flag=True,
    help="Field mode: the black-box catalogue against a deployed proxy in front of the real "
    f"Gemini (needs --target; at most {BLACK_BOX_MAX_REQUESTS} requests at {LIVE_RATE}/s "
    "unless --max-requests/--rate say otherwise; docs/field-mode.md).",
)
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
@click.option(
    "--without-feature",
    "left_out",
    multiple=True,
    type=click.Choice(sorted(FEATURES)),
    help="Say the target does not serve a feature its profile claims (e.g. embeddings on a "
    "chat-only proxy): its checks are skipped, saying so, and the report notes it; "
    "repeatable.",
)
@click.option("--label", help="A human name for the target in reports (e.g. 'litellm 1.79').")
@click.option("--note", multiple=True, metavar="KEY=VALUE", help="Extra facts for the report.")
@click.option("--check", "select", multiple=True, metavar="ID", help="Run only these ids/prefixes.")
@click.option(
    "--max-requests",
    type=click.IntRange(min=1),
    help="Send at most this many requests (black-box default: "
    f"{BLACK_BOX_MAX_REQUESTS}; controlled: no limit).",
)
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="Requests per second.")
@click.option(
    "--fail-on",
    default="critical,high",
    show_default=True,
    help="Severities whose findings (failures grouped by root cause; docs/severity.md) make "
    "the exit code 1 ('none' for never).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds a request may wait for the connection, its status or its next byte.",
)
@click.option(
    "--request-deadline",
    type=click.FloatRange(min=1),
    default=REQUEST_DEADLINE_S,
    show_default=True,
    help="Total seconds one request may take, answer included: a target that trickles "
    "bytes (endless keep-alives) is cut there and reported.",
)
@click.option(
    "--run-deadline",
    type=click.FloatRange(min=1),
    default=RUN_DEADLINE_S,
    show_default=True,
    help="Seconds after which no new request starts; the probes left are skipped with the "
    "reason and the report is written.",
)
@click.option(
    "--probe-rate-limits",
    is_flag=True,
    help="Test the target's own documented rate limits with a short burst (runs only the "
    "rate-limit checks unless --check says otherwise: a target that enforces its limits "
    "cannot be probed at full speed).",
)
@click.option(
    "--captures",
    "captures_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Controlled mode: also replay the captures of DIR (recorded Gemini answers: chunk "
    "files, JSON bodies or exchanges, VCR cassettes) through the target, one differential "
    "check each; the embedded mock is started with them, your "
    "own --mock-url must be started with --captures DIR (docs/captures.md).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict line.")
@click.option("--verbose", "-v", is_flag=True, help="Also list every passing and skipped check.")
def run(
    target: str | None,
    api_key: str | None,
    headers: tuple[str, ...],
    model: str,
    reasoning_model: str | None,
    live: bool,
    profile: str,
    mock_url: str | None,
    out: Path,
    features: tuple[str, ...],
    left_out: tuple[str, ...],
    label: str | None,
    note: tuple[str, ...],
    select: tuple[str, ...],
    max_requests: int | None,
    rate: float | None,
    fail_on: str,
    timeout: float,
    request_deadline: float,
    run_deadline: float,
    probe_rate_limits: bool,
    captures_dir: Path | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run the conformance suite and write the reports."""
    if probe_rate_limits and not select:
        select = RATE_LIMIT_CHECKS
    severities = tuple(s.strip() for s in fail_on.split(",") if s.strip() and s.strip() != "none")
    unknown = [s for s in severities if s not in ("critical", "high", "medium", "low")]
    if unknown:
        _die(f"--fail-on: unknown severity {unknown[0]!r} (critical, high, medium, low, none)")
    try:
        fields = parse_headers(headers)
    except TargetError as exc:
        _die(f"--header: {exc}")
    notes: dict[str, str] = {}
    for item in note:
        key, eq, value = item.partition("=")
        if not eq or not key:
            _die(f"--note must be KEY=VALUE; got {item!r}")
        notes[key] = value
    try:
        claimed = with_features(get_profile(profile), features, left_out)
    except ValueError as exc:
        _die(f"--feature/--without-feature: {exc}")
    extra = claimed.features - get_profile(profile).features
    if extra:
        notes.setdefault("features claimed with --feature", ", ".join(sorted(extra)))
    if claimed.left_out:
        notes.setdefault(
            "features left out with --without-feature", ", ".join(sorted(claimed.left_out))
        )
    _check_writable(out)
    if target is None and mock_url:
        _die("--mock-url needs --target (the embedded run brings its own mock)")
    if live and (target is None or mock_url):
        _die(
            "--live runs the black-box catalogue against a deployed proxy: give --target "
            "(and no --mock-url)"
        )
    if live:
        rate = rate if rate is not None else LIVE_RATE
        notes.setdefault("field mode", "--live: the black-box catalogue against the real Gemini")
    if max_requests is None and target is not None and not mock_url:
        max_requests = BLACK_BOX_MAX_REQUESTS
    said: list[str] = []  # what --captures DIR's loading has to say (files left out...)
    if captures_dir is not None:
        if target is not None and not mock_url:
            _die("--captures needs controlled mode: --mock-url (or no --target, the embedded run)")
        not_answers: list[str] = []
        try:
            added = add_captures(captures_dir, not_answers)
        except (CaptureError, ValueError) as exc:
            _die(f"--captures {captures_dir}: {exc}")
        notes.setdefault("captures", f"{captures_dir} ({len(added)} added to the bundled corpus)")
        replaced = [n for n in added if n in BUNDLED_NAMES]
        if replaced:
            notes.setdefault("captures replacing bundled ones", ", ".join(replaced))
        if not_answers:
            notes.setdefault("captures skipped", "; ".join(skipped_lines(not_answers, 20)))
        said = [f"skipped {file_said}" for file_said in skipped_lines(not_answers)]
        said += [f"{n} replaces the bundled capture of that name" for n in replaced]
    console = Console(stderr=True, quiet=quiet, soft_wrap=True)
    for what in said:
        console.print(f"--captures: {what}", markup=False, highlight=False)
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    collected: list[ResultRecord] = []
    result: SuiteRun | None = None
    stops = StopSignals()
    with stops:
        try:
            with ExitStack() as stack:
                emb: Embedded | None = None
                if target is None:
                    emb = stack.enter_context(
                        embedded(profile, rate_limits=probe_rate_limits, captures=captures_dir)
                    )
                    the_target = replace(
                        _embedded_target(emb, profile, model, label),
                        profile=claimed,
                        probe_rate_limits=probe_rate_limits,
                        reasoning_model=reasoning_model,
                        headers=fields,
                    )
                else:
                    the_target = Target(
                        base_url=target,
                        profile=claimed,
                        model=model,
                        api_key=api_key,
                        mock_url=mock_url,
                        label=label or "",
                        probe_rate_limits=probe_rate_limits,
                        reasoning_model=reasoning_model,
                        headers=fields,
                    )
                    for what, url in (("target", target), ("mock", mock_url)):
                        if url is not None and (why := unreachable(url)) is not None:
                            _die(f"cannot reach the {what} at {redact_url(url)}: {why}")
                _say(
                    console,
                    f"[bold]conformance[/] {the_target.mode} run against "
                    f"{redact_url(the_target.base_url)} (profile {profile}, model {model})",
                )
                tokens_estimate = _announce_cost(console, the_target, select, max_requests)
                progress = stack.enter_context(_progress(console, quiet))
                try:
                    result = run_suite(
                        the_target,
                        select=select or None,
                        budget=Budget(max_requests, rate, request_deadline, run_deadline),
                        timeout_s=timeout,
                        on_result=collected.append,
                        on_probe=progress.probe,
                        on_checks=progress.checks,
                        sleep=_sleeper(progress),
                    )
                except KeyboardInterrupt:  # while the checks ran: keep what they gave
                    stops.note_interrupt()
                stops.shield()
                if (result is None or result.interrupted) and emb is not None:
                    stops.note_interrupt()
                    emb.stop_now()  # no graceful shutdown: a slow stream may be open
        except KeyboardInterrupt:
            stops.shield()
            stops.note_interrupt()
            click.echo(
                f"interrupted ({stops.received}) before the first probe; no report written",
                err=True,
            )
            sys.exit(stops.exit_code)
        except ServerStartError as exc:
            _die(str(exc))
        except RunAborted as exc:
            _die(str(exc))
        except (TargetError, ValueError) as exc:
            _die(str(exc))

    interrupted = ""
    if result is None:
        records = sorted(collected, key=lambda r: r.check_id)
        interrupted = f"{stops.received} while the checks ran"
        requests_sent, statuses, transport_errors = 0, {}, {}
        tokens_spent = 0
    else:
        records = result.records
        requests_sent = result.requests_sent
        tokens_spent = result.tokens_spent
        for role, name in result.models.items():
            if role != "default" and name != model:
                notes.setdefault(f"{role} model", name)
        statuses, transport_errors = dict(result.statuses), dict(result.transport_errors)
        if result.interrupted:
            interrupted = (
                f"{stops.received} after {result.probes_done} of {result.probes_total} probes"
            )
    if not interrupted and statuses and all(s is None for s in statuses.values()):
        first = next(iter(transport_errors.values()), "no response")
        _die(f"the target answered no request: {first}")

    if fields:  # names only: a value may be a credential, and routing says enough
        notes.setdefault("header fields sent", ", ".join(name for name, _ in fields))
    notes.setdefault("openai-python", openai_python_version())
    notes.setdefault(
        "openai-node", openai_node_version() or "not installed (conformance setup-node)"
    )
    notes.setdefault(AI_SDK_PACKAGE, ai_sdk_version() or "not installed (conformance setup-node)")
    info = RunInfo(
        target=redact_url(the_target.base_url),
        profile=profile,
        mode=the_target.mode,
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        tool_version=_version(),
        target_label=the_target.label,
        notes=notes,
        requests_sent=requests_sent,
        interrupted=interrupted,
        tokens_spent=tokens_spent,
        tokens_estimate=tokens_estimate,
    )
    paths = write_reports(out, info, records, fail_on=severities)
    if not quiet:
        _print_summary(console, records, verbose=verbose, duration_s=info.duration_s)
        _say(
            console,
            f"{requests_sent} requests sent; {tokens_spent} tokens spent by the target's own "
            f"count (usage), estimated {tokens_estimate}",
        )
    line = verdict(records, severities)
    text = interrupted_verdict(interrupted, line).text if interrupted else line.text
    click.echo(f"{text}  (report: {paths['markdown']})")
    if interrupted:  # the reports are written: skip the interpreter's slow teardown
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stops.exit_code)
    sys.exit(exit_code(records, fail_on=severities))


def _announce_cost(
    console: Console, target: Target, select: tuple[str, ...], max_requests: int | None
) -> int:
    """Print the run's bound and token estimate before any request; return the estimate
    (``conformance.runner.estimate_tokens``; 0 when ``select`` matches nothing, which
    ``run_suite`` then reports)."""
    try:
        the_plan = plan(target, select=select or None)
    except ValueError:
        return 0
    estimate = estimate_tokens(the_plan)
    cap = f"at most {max_requests} requests" if max_requests else "no request limit"
    _say(
        console,
        f"{len(the_plan.checks)} checks apply, {len(the_plan.skipped)} skipped; "
        f"{len(the_plan.probes)} probes, {cap}; about {estimate} tokens (estimate)",
    )
    return estimate


def _check_writable(out: Path) -> None:
    """Exit 2 when the report folder cannot be created or written, before any request."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".conformance-write-test-"):
            pass
    except OSError as exc:
        _die(f"--out {out}: cannot write reports there ({exc.strerror or exc})")


def _say(console: Console, text: str) -> None:
    """A status line: rich markup in a terminal, plain text (never wrapped) elsewhere."""
    if console.is_terminal:
        console.print(text)
    elif not console.quiet:
        click.echo(Text.from_markup(text).plain, err=True)


class _Silent:
    """The progress sink of ``--quiet``."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def probe(self, event: ProbeStart) -> None:
        return None

    def checks(self, done: int, total: int) -> None:
        return None

    def waiting(self, seconds: float, why: str) -> None:
        return None


def _progress(console: Console, quiet: bool) -> ProgressSink:
    if quiet:
        return _Silent()
    return TerminalProgress(console) if console.is_terminal else PlainProgress()


def _sleeper(progress: ProgressSink) -> Callable[[float], None]:
    def sleep(seconds: float) -> None:
        progress.waiting(
            seconds, "the target throttled a probe itself; waiting out its Retry-After"
        )
        time.sleep(seconds)

    return sleep


def _embedded_target(emb: Embedded, profile: str, model: str, label: str | None) -> Target:
    return Target(
        base_url=emb.proxy_url,
        profile=get_profile(profile),
        model=model,
        api_key=emb.api_key,
        mock_url=emb.mock_url,
        label=label or "reference (embedded)",
    )


def _print_summary(
    console: Console, records: list[ResultRecord], *, verbose: bool, duration_s: float
) -> None:
    """Failures (most severe first), then errors, then with ``verbose`` the passing and
    skipped checks; then one count line. Check ids and messages are never cut."""
    rank = {s: i for i, s in enumerate(("critical", "high", "medium", "low"))}
    shown = sorted(
        (r for r in records if r.outcome is Outcome.FAILED),
        key=lambda r: (rank.get(r.severity, 9), r.check_id),
    ) + [r for r in records if r.outcome is Outcome.ERROR]
    if verbose:
        shown += [r for r in records if r.outcome in (Outcome.PASSED, Outcome.SKIPPED)]
    for r in shown:
        message = " ".join(r.message.split())
        label = _OUTCOME_LABEL[r.outcome]
        line = f"{label:<5} {r.severity:<8} {r.check_id}" + (f"  {message}" if message else "")
        if console.is_terminal:
            console.print(Text(line, style=_OUTCOME_STYLE[r.outcome]))
        else:
            click.echo(line, err=True)
    counts = Counter(r.outcome for r in records)
    summary = (
        f"{counts[Outcome.PASSED]} passed, {counts[Outcome.FAILED]} failed, "
        f"{counts[Outcome.ERROR]} errors, {counts[Outcome.SKIPPED]} skipped "
        f"in {duration_s:.1f} s" + ("" if verbose else " (-v lists every check)")
    )
    _say(console, summary)


@main.command("setup-node")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Install into this folder (default: $CONFORMANCE_NODE_DIR or ~/.cache/...).",
)
def setup_node(directory: Path | None) -> None:
    """Install the npm `openai` and `@ai-sdk/openai-compatible` packages, so answers are
    also replayed through openai-node and the Vercel AI SDK's provider."""
    try:
        version = install_openai_node(directory)
    except RuntimeError as exc:
        _die(str(exc))
    where = directory or node_dir()
    click.echo(
        f"openai-node {version}, {AI_SDK_PACKAGE} {ai_sdk_version(where)} installed in {where}"
    )
    if directory is not None:
        click.echo(f"set {NODE_DIR_ENV}={directory} for conformance runs to find it")


CHECK_FORMATS = ("table", "plain", "json", "md")


def _check_json(spec: CheckSpec) -> dict[str, object]:
    return {
        "id": spec.id,
        "title": spec.title,
        "area": spec.area,
        "severity": spec.severity.value,
        "mode": spec.mode.value,
        "source": spec.source,
        "docs": spec.docs,
        "features": sorted(spec.features),
        "profiles": sorted(spec.profiles) if spec.profiles is not None else None,
        "probes": list(spec.probes),
    }


@main.command("checks")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(CHECK_FORMATS),
    help="table (a terminal's default), plain (tab-separated id, severity, mode, title; "
    "the default when piped), json (every field) or md (a Markdown table).",
)
def list_checks(fmt: str | None) -> None:
    """List every check: id, severity, mode and title (json: also area, source, docs,
    features, profiles and probes). Ids are never cut."""
    specs = sorted(REGISTRY.values(), key=lambda s: s.id)
    console = Console(soft_wrap=True)
    fmt = fmt or ("table" if console.is_terminal else "plain")
    if fmt == "json":
        click.echo(json.dumps([_check_json(s) for s in specs], indent=2))
    elif fmt == "plain":
        for s in specs:
            click.echo(f"{s.id}\t{s.severity.value}\t{s.mode.value}\t{s.title}")
    elif fmt == "md":
        click.echo("| id | severity | mode | title |\n|---|---|---|---|")
        for s in specs:
            ident = f"[`{s.id}`]({s.docs})"
            title = s.title.replace("|", "\\|")
            click.echo(f"| {ident} | {s.severity.value} | {s.mode.value} | {title} |")
    else:
        table = Table(show_lines=False)
        table.add_column("id", no_wrap=True, overflow="ignore")
        table.add_column("severity", no_wrap=True)
        table.add_column("mode", no_wrap=True)
        table.add_column("title", overflow="fold")
        for s in specs:
            table.add_row(escape(s.id), s.severity.value, s.mode.value, escape(s.title))
        console.print(table)


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


main.add_command(load_command)  # conformance load (conformance/load/command.py)


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
