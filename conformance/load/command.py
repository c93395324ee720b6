"""``conformance load``: the click command (registered in :mod:`conformance.cli`).

    conformance load [--users 20] [--spawn-rate 10] [--duration 30] [--profile P]
    conformance load --target URL --api-key K [--mock-url URL] --i-am-allowed-to-load-this-target
    conformance load --workers 4 ...                 # 4 local Locust worker processes
    conformance load --expect-workers 2 --master-bind-host 0.0.0.0 ...   # + 2 remote workers
    conformance load --worker --master-host HOST     # a worker on another machine

It never imports Locust: the load runs in ``python -m conformance.load`` (see
:mod:`conformance.load`). Exit codes as ``conformance run``'s: 0 every critical/high check
passes, 1 one fails or errs, 2 a usage error or a run that could not start (a
non-loopback target without ``--i-am-allowed-to-load-this-target``, the engine failing),
130 interrupted (the answers recorded so far are judged and reported).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import httpx

from reports.records import Outcome, ResultRecord, RunInfo
from reports.render import exit_code, verdict
from reports.render_load import LoadSummary, write_load_reports
from spec.profiles import PROFILES, get_profile

from ..embedded import ServerStartError, stop_process_group
from ..exchange import Exchange, redact_url
from ..http import Budget, unreachable
from ..runner import attach_upstream_keys, resolve_base, secrets_of
from ..target import Target, TargetError, parse_headers
from .base import LoadRun, Thresholds
from .config import (
    DEFAULT_PROBES,
    HEADERS_ENV,
    KEY_ENV,
    MAX_DURATION_S,
    MAX_REQUESTS,
    MAX_USERS,
    LoadConfig,
    LoadConfigError,
    headers_env,
    is_loopback,
)
from .judge import judge_load
from .servers import UPSTREAM_KEYS, load_embedded, read_journal
from .stats import summarize
from .wire import Recorded, read_spool

__all__ = ["ALLOW_FLAG", "load"]

ALLOW_FLAG = "--i-am-allowed-to-load-this-target"
DEFAULT_OUT = Path("reports/out")
ENGINE_GRACE_S = 120.0
"""Seconds the engine may run past ``--duration`` (workers connecting, in-flight
requests finishing, the last reports) before it is killed."""


def _die(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _engine(args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "conformance.load", *args],
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _annotate(
    items: list[Recorded], journal: Mapping[str, Sequence[Mapping[str, Any]]], target: Target
) -> list[Recorded]:
    """Each answer with its profile, base path and (controlled mode) journal entries, and
    the run's upstream key fingerprints (``Exchange.upstream_keys``)."""
    exchanges: dict[str, Exchange] = {}
    for item in items:
        exchanges[item.cid] = replace(
            item.exchange,
            profile=target.profile.name,
            base_path=target.base_path,
            api_prefix=target.api_prefix,
            upstream=tuple(journal.get(item.cid, ())),
        )
    attach_upstream_keys(exchanges)
    return [replace(item, exchange=exchanges[item.cid]) for item in items]


def _prefixed(
    base_url: str,
    profile: str,
    api_key: str | None,
    timeout_s: float,
    fields: tuple[tuple[str, str], ...] = (),
) -> bool:
    """Whether the routes sit under ``/v1`` of ``base_url`` (``False``: the URL is the
    OpenAI base itself, like Google's ``/v1beta/openai``): the run's own test, at most two
    ``GET /models`` sent before the load starts (:func:`conformance.runner.resolve_base`)."""
    probe = Target(base_url, get_profile(profile), api_key=api_key, headers=fields)
    with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
        return resolve_base(client, probe, Budget(max_requests=2)).prefixed


def _figures(s: LoadSummary) -> str:
    lat, ttfb = s.latency_ms, s.ttft_ms

    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v:.0f}"

    return (
        f"{s.requests} answers in {s.elapsed_s:.1f} s ({s.rps:.1f}/s), "
        f"{s.errors} errors ({100 * s.error_rate:.2f} %), {s.throttled} throttled; latency "
        f"p50 {ms(lat.get('p50'))} p95 {ms(lat.get('p95'))} p99 {ms(lat.get('p99'))} ms; "
        f"streams' first byte p50 {ms(ttfb.get('p50'))} p95 {ms(ttfb.get('p95'))} ms"
    )


@click.command("load")
@click.option("--target", metavar="URL", help="The proxy's base URL. Omitted: embedded reference.")
@click.option("--api-key", envvar=KEY_ENV, metavar="KEY", help=f"Client API key (or ${KEY_ENV}).")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="A header field for every request (repeatable), as `conformance run --header`; "
    f"passed to the load processes in ${HEADERS_ENV}, never written to a file.",
)
@click.option("--model", default="gemini-2.5-flash", show_default=True)
@click.option("--profile", type=click.Choice(sorted(PROFILES)), default="openai-core")
@click.option("--mock-url", metavar="URL", help="Controlled mode: the mock the target calls.")
@click.option("--users", type=click.IntRange(1, MAX_USERS), default=20, show_default=True)
@click.option(
    "--spawn-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Users started per second.",
)
@click.option(
    "--duration",
    type=click.FloatRange(0, MAX_DURATION_S, min_open=True),
    default=30.0,
    show_default=True,
    help=f"Seconds of load (at most {MAX_DURATION_S:g}).",
)
@click.option(
    "--max-requests",
    type=click.IntRange(1, MAX_REQUESTS),
    default=50_000,
    show_default=True,
    help="Hard cap on requests (all workers together).",
)
@click.option(
    "--probe",
    "probes",
    multiple=True,
    metavar="NAME",
    help=f"A probe users send (repeatable; default {', '.join(DEFAULT_PROBES)}).",
)
@click.option("--workers", type=click.IntRange(0, 256), default=0, help="Local worker processes.")
@click.option(
    "--expect-workers",
    type=click.IntRange(0, 256),
    default=0,
    help="Workers on other hosts to wait for (besides --workers).",
)
@click.option("--master-bind-host", default="127.0.0.1", show_default=True)
@click.option(
    "--master-bind-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="The master's port (default: 5557 with --expect-workers, else a free one).",
)
@click.option("--worker", is_flag=True, help="Run as a worker of a master on --master-host.")
@click.option("--master-host", default="127.0.0.1", show_default=True)
@click.option("--master-port", type=click.IntRange(1, 65535), default=5557, show_default=True)
@click.option(
    "--max-error-rate",
    type=click.FloatRange(0, 1),
    default=0.01,
    show_default=True,
    help="load.error_rate fails above this fraction of answers.",
)
@click.option("--p50-ms", type=click.FloatRange(min=0), help="load.latency: p50 bound (ms).")
@click.option("--p95-ms", type=click.FloatRange(min=0), help="load.latency: p95 bound (ms).")
@click.option("--p99-ms", type=click.FloatRange(min=0), help="load.latency: p99 bound (ms).")
@click.option(
    "--ttft-p95-ms", type=click.FloatRange(min=0), help="load.ttft: streams' first byte p95 (ms)."
)
@click.option(
    "--upstream-keys",
    type=click.IntRange(1, 10_000),
    help="Upstream keys the proxy holds (load.key_spread; embedded: 2).",
)
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True)
@click.option("--request-deadline", type=click.FloatRange(min=1), default=120.0, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for report.*, junit.xml and load.json, load.md, load.html.",
)
@click.option("--label", help="A human name for the target in reports.")
@click.option("--fail-on", default="critical,high", show_default=True)
@click.option(
    ALLOW_FLAG,
    "allowed",
    is_flag=True,
    help="Needed to load a target that is not on this machine (loopback): load costs its "
    "owner money and may take it down.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the figures and the verdict.")
def load(
    target: str | None,
    api_key: str | None,
    headers: tuple[str, ...],
    model: str,
    profile: str,
    mock_url: str | None,
    users: int,
    spawn_rate: float,
    duration: float,
    max_requests: int,
    probes: tuple[str, ...],
    workers: int,
    expect_workers: int,
    master_bind_host: str,
    master_bind_port: int | None,
    worker: bool,
    master_host: str,
    master_port: int,
    max_error_rate: float,
    p50_ms: float | None,
    p95_ms: float | None,
    p99_ms: float | None,
    ttft_p95_ms: float | None,
    upstream_keys: int | None,
    timeout: float,
    request_deadline: float,
    out: Path,
    label: str | None,
    fail_on: str,
    allowed: bool,
    quiet: bool,
) -> None:
    """Load the target with Locust users sending the suite's probes; check every answer."""
    try:
        fields = parse_headers(headers)
    except TargetError as exc:
        _die(f"--header: {exc}")
    if worker:
        proc = _engine(
            ["--worker", "--master-host", master_host, "--master-port", str(master_port)],
            {HEADERS_ENV: headers_env(fields)} if fields else {},
        )
        sys.exit(proc.wait())
    severities = tuple(s.strip() for s in fail_on.split(",") if s.strip() and s.strip() != "none")
    if any(s not in ("critical", "high", "medium", "low") for s in severities):
        _die(f"--fail-on: unknown severity in {fail_on!r} (critical, high, medium, low, none)")
    if target is None and mock_url:
        _die("--mock-url needs --target (the embedded run brings its own mock)")
    for what, url in (("--target", target), ("--mock-url", mock_url)):
        if url is not None and not is_loopback(url) and not allowed:
            _die(
                f"{what} {redact_url(url)} is not on this machine; loading someone's proxy "
                f"costs them quota and can take it down: pass {ALLOW_FLAG} if you may"
            )
    port = master_bind_port if master_bind_port is not None else (5557 if expect_workers else 0)
    run_id = secrets.token_hex(4)
    thresholds = Thresholds(max_error_rate, p50_ms, p95_ms, p99_ms, ttft_p95_ms)
    started_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    started = time.monotonic()
    interrupted = ""
    with ExitStack() as stack:
        try:
            if target is None:
                emb = stack.enter_context(
                    load_embedded(
                        profile,
                        rate_limits=bool(get_profile(profile).rate_limits),
                        journal_size=min(2 * max_requests + 1000, 2_000_000),
                    )
                )
                base_url, mock_url, api_key = emb.proxy_url, emb.mock_url, emb.api_key
                label = label or "reference (embedded)"
                upstream_keys = upstream_keys or UPSTREAM_KEYS
            else:
                base_url = target
                for what, url in (("target", target), ("mock", mock_url)):
                    if url is not None and (why := unreachable(url)) is not None:
                        _die(f"cannot reach the {what} at {redact_url(url)}: {why}")
                prefixed = _prefixed(base_url, profile, api_key, timeout, fields)
            work = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="conformance-load-"))
            )
            config = LoadConfig(
                prefixed=prefixed if target is not None else True,
                base_url=base_url,
                profile=profile,
                run_id=run_id,
                model=model,
                mock_url=mock_url,
                probes=probes or DEFAULT_PROBES,
                users=users,
                spawn_rate=spawn_rate,
                duration_s=duration,
                max_requests=max_requests,
                timeout_s=timeout,
                request_deadline_s=request_deadline,
                expect_workers=workers + expect_workers,
                local_workers=workers,
                master_bind_host=master_bind_host,
                master_bind_port=port,
                spool=str(work / "spool.jsonl"),
                summary=str(work / "locust.json"),
                nonce=mock_url is None,
            )
        except ServerStartError as exc:
            _die(str(exc))
        except (LoadConfigError, KeyError) as exc:
            _die(str(exc))
        the_target = Target(
            base_url=base_url,
            profile=get_profile(profile),
            model=model,
            api_key=api_key,
            mock_url=mock_url,
            label=label or "",
            prefixed=config.prefixed,
            headers=fields,
        )
        (work / "config.json").write_text(json.dumps(config.to_json()), "utf-8")
        if not quiet:
            click.echo(
                f"load: {users} users ({spawn_rate:g}/s) for {duration:g} s against "
                f"{redact_url(base_url)} ({the_target.mode}, profile {profile}, probes "
                f"{', '.join(config.probes)}, workers {config.expect_workers})",
                err=True,
            )
        engine = _engine(
            ["--config", str(work / "config.json")],
            {KEY_ENV: api_key or "", HEADERS_ENV: headers_env(fields)},
        )
        try:
            code = engine.wait(duration + request_deadline + ENGINE_GRACE_S)
        except subprocess.TimeoutExpired:
            stop_process_group(engine, 0)
            interrupted = "the load engine overran its time and was stopped"
            code = 0
        except KeyboardInterrupt:
            stop_process_group(engine, 0)
            interrupted = "SIGINT"
            code = 0
        if code != 0:
            _die(f"the load engine failed (exit status {code}); see its message above")
        spool = work / "spool.jsonl"
        items = list(read_spool(spool)) if spool.exists() else []
        locust_figures: dict[str, Any] = {}
        if (work / "locust.json").exists():
            locust_figures = json.loads((work / "locust.json").read_text("utf-8"))
        journal: Mapping[str, Sequence[Mapping[str, Any]]] = {}
        if mock_url is not None:
            journal, problem = read_journal(mock_url, run_id)
            if problem is not None:
                click.echo(f"warning: {problem}", err=True)
    if not items:
        _die("the load recorded no answer")
    items = _annotate(items, journal, the_target)
    documented = bool(the_target.profile.rate_limits)
    summary = replace(
        summarize(
            items,
            users=users,
            spawn_rate=spawn_rate,
            duration_s=duration,
            workers=config.expect_workers,
            documented_limits=documented,
            locust=locust_figures,
        ),
        stopped_by=interrupted or str(locust_figures.get("stopped_by", "")),
    )
    run = LoadRun(
        items=items,
        profile=the_target.profile,
        controlled=the_target.controlled,
        summary=summary,
        thresholds=thresholds,
        upstream_keys=upstream_keys,
    )
    records = judge_load(run, the_target, probes=config.probes, secrets=secrets_of(the_target))
    figures = _figures(summary)
    info = RunInfo(
        target=redact_url(base_url),
        profile=profile,
        mode=the_target.mode,
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        tool_version=_version(),
        target_label=the_target.label,
        notes={
            "load": f"{users} users ({spawn_rate:g}/s), {duration:g} s, "
            f"{config.expect_workers} workers, probes {', '.join(config.probes)}",
            "load figures": figures,
        },
        requests_sent=len(items),
        interrupted=interrupted,
    )
    out.mkdir(parents=True, exist_ok=True)
    paths = write_load_reports(out, info, summary, records, fail_on=severities)
    if not quiet:
        _print(records)
    click.echo(figures, err=True)
    line = verdict(records, severities).text
    click.echo(f"{line}  (report: {paths['load_markdown']}, {paths['markdown']})")
    if interrupted == "SIGINT":
        sys.exit(130)
    sys.exit(exit_code(records, fail_on=severities))


def _print(records: Sequence[ResultRecord]) -> None:
    for r in records:
        if r.outcome in (Outcome.FAILED, Outcome.ERROR):
            label = "FAIL" if r.outcome is Outcome.FAILED else "error"
            click.echo(
                f"{label:<5} {r.severity:<8} {r.check_id}  {' '.join(r.message.split())}", err=True
            )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("gemini-proxy-conformance")
    except Exception:  # pragma: no cover - a source tree
        return "0+unknown"
