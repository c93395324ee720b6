"""The engine: select the checks for a target, send each needed probe once, run the
checks on the recorded exchanges and produce result records.

Producers write records, reporters read them (docs/architecture.md): the runner never renders; it
hands each :class:`reports.records.ResultRecord` to an ``on_result`` callback.
"""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from reports.records import Evidence, Outcome, ResultRecord
from spec.secrets import scrub_values

from . import checks as _checks  # noqa: F401  (registers the catalogue)
from .checks.field import call_turn
from .checks.upstream import is_generate_path
from .exchange import Exchange
from .http import Budget, BudgetExhausted, fetch_journal
from .oracles import preload_openai, replay_openai_python
from .oracles_node import (
    AI_SDK_SUFFIX,
    NodeOutcome,
    ai_sdk_unavailable,
    node_unavailable,
    replay_openai_node,
)
from .preflight import NOT_AN_API, JournalWatch, first_contact_problem, silence_problem
from .probes import PROBES, correlation_id, probe_applies
from .probes.field import FIELD_PROBES, TOKEN_ESTIMATES, gemini3_model
from .registry import REGISTRY, CheckFailure, CheckSpec, Mode, NotApplicable, Undecided
from .session import ProbeSession
from .target import Target

__all__ = [
    "BLACK_BOX_MAX_REQUESTS",
    "FIELD_CONTROLLED",
    "INTERRUPTED",
    "Plan",
    "ProbeStart",
    "RunAborted",
    "SuiteRun",
    "estimate_tokens",
    "plan",
    "reads_field_probes",
    "resolve_base",
    "run_checks",
    "run_suite",
]

ResultCallback = Callable[[ResultRecord], None]

INTERRUPTED = "not run: the run was interrupted"
"""Why a probe has no exchange after Ctrl-C or SIGTERM (its checks are skipped)."""

FIRST_PROBES = ("models", "chat")
"""Probes sent before any other: the run stops on what they show (see ``preflight``)."""

BLACK_BOX_MAX_REQUESTS = 80
"""The request budget the CLI gives a black-box run when ``--max-requests`` is not set:
the whole black-box catalogue (field probes and their retries included; the property
searches take what is left, ``conformance.probing.properties``) fits in it
(docs/field-mode.md)."""

FIELD_CONTROLLED = (
    "field mode judges a real model's answers in black-box runs; in controlled mode the "
    "scripted checks (tools.*, reasoning.*, translate.*, stream.not_buffered) judge the "
    "same behaviour with the mock's journal"
)
"""Why the ``field.*`` checks, and the other checks that read only field probes
(:func:`reads_field_probes`), are skipped in controlled mode."""


def reads_field_probes(spec: CheckSpec) -> bool:
    """Whether every probe ``spec`` reads (``probes`` and ``also``) is a field probe
    (:data:`conformance.probes.field.FIELD_PROBES`): a black-box twin of a controlled
    check (e.g. ``clients.openai_python.field_tool_stream``), judged on a real model's
    answers and skipped in controlled mode like ``field.*``."""
    return set(spec.probes) | set(spec.also) <= set(FIELD_PROBES)


DEFAULT_TOKENS_PER_REQUEST = 120
"""Estimated tokens of a request that :data:`conformance.probes.field.TOKEN_ESTIMATES`
does not price (a short prompt and answer, or an error)."""


class RunAborted(Exception):
    """The run cannot tell anything about the target (no key, not an OpenAI API, the mock
    not in the path); the message says what to change. Raised before the run's cost."""


@dataclass(frozen=True, slots=True)
class ProbeStart:
    """Progress: probe ``name`` (the ``index``-th of ``total``, from 1) is about to be sent.
    ``phase`` as in ``Probe.phase``; ``waits`` why it deliberately takes long (or "").
    ``background``: ``"sent"`` when a probe that waits on purpose goes out on a thread
    of its own while the others go on, ``"awaited"`` when the run waits for it to end
    (``index`` is then how many probes are done); ``""`` for every other probe."""

    name: str
    index: int
    total: int
    phase: int
    description: str
    waits: str
    background: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """Which checks run, which are skipped (check id -> reason) and the probes needed."""

    checks: tuple[CheckSpec, ...]
    skipped: Mapping[str, str]
    probes: tuple[str, ...]


def _skip_reason(spec: CheckSpec, target: Target) -> str | None:
    profile = target.profile
    missing = spec.features - profile.features
    if missing & profile.left_out:
        left = ", ".join(sorted(missing & profile.left_out))
        return f"the target does not serve {left} (--without-feature)"
    if missing:
        return f"profile {profile.name} does not claim {', '.join(sorted(missing))}"
    if spec.mode is Mode.CONTROLLED and not target.controlled:
        return "needs controlled mode (--mock-url): the upstream must be the mock"
    if target.controlled and (spec.area == "field" or reads_field_probes(spec)):
        return FIELD_CONTROLLED
    for name in spec.probes:
        reason = probe_applies(PROBES[name], target)
        if reason:
            return reason
    return None


def plan(
    target: Target,
    *,
    select: Iterable[str] | None = None,
    registry: Mapping[str, CheckSpec] = REGISTRY,
) -> Plan:
    """Plan a run. ``select``: check ids or id prefixes (``stream.``); ``None`` = all.
    Checks of other profiles (``CheckSpec.profiles``) are left out, not skipped. The
    checks keep the ``registry``'s order (``conformance.checks.CATALOGUE``); the probes
    go ``FIRST_PROBES`` first, then the probes that wait on purpose (``Probe.waits``: sent
    in the background, their wait overlaps the rest of the run), then by ``phase``,
    probes with an executor at the end of their phase, then in ``PROBES`` order
    (``conformance.probes.MODULES``).

    Raises ``ValueError`` when ``select`` matches no check.
    """
    chosen = list(registry.values())
    if select is not None:
        wanted = list(select)
        chosen = [s for s in chosen if any(s.id == w or s.id.startswith(w) for w in wanted)]
        if not chosen:
            raise ValueError(f"--check {', '.join(wanted)} matches no check")
    runnable, skipped = [], {}
    for spec in chosen:
        if spec.profiles is not None and target.profile.name not in spec.profiles:
            continue  # another document's contract: not part of this profile's suite
        reason = _skip_reason(spec, target)
        if reason:
            skipped[spec.id] = reason
        else:
            runnable.append(spec)
    needed: set[str] = set()
    for spec in runnable:
        needed.update(spec.probes)
        # ``also`` probes are not added: a rule is applied to them when they run anyway.
    if needed and probe_applies(PROBES["models"], target) is None:
        needed.add("models")  # one free GET that tells a missing key or a wrong base URL
    index = {name: i for i, name in enumerate(PROBES)}
    first = {name: i for i, name in enumerate(FIRST_PROBES)}
    order = sorted(
        needed,
        key=lambda name: (
            name not in first,
            first.get(name, 0),
            not PROBES[name].waits,
            PROBES[name].phase,
            PROBES[name].executor is not None,  # many-request, socket probes: phase's end
            index[name],
        ),
    )
    return Plan(tuple(runnable), skipped, tuple(order))


def estimate_tokens(the_plan: Plan, property_examples: int = 8) -> int:
    """Tokens the plan's probes are expected to cost a real model: each field probe's
    :data:`~conformance.probes.field.TOKEN_ESTIMATES` entry, each property probe
    ``property_examples`` requests, every other probe one request, at
    :data:`DEFAULT_TOKENS_PER_REQUEST` each. An estimate printed before the run, not a
    bound: retries and long answers cost more."""
    total = 0
    for name in the_plan.probes:
        if name in TOKEN_ESTIMATES:
            total += TOKEN_ESTIMATES[name]
        elif PROBES[name].executor in ("generated", "negative"):
            total += property_examples * DEFAULT_TOKENS_PER_REQUEST
        else:
            total += DEFAULT_TOKENS_PER_REQUEST
    return total


def _base_record(spec: CheckSpec, target: Target) -> ResultRecord:
    return ResultRecord(
        check_id=spec.id,
        title=spec.title,
        area=spec.area,
        severity=spec.severity.value,
        source=spec.source,
        profile=target.profile.name,
        target=target.label or target.base_url,
        mode=spec.mode.value,
        outcome=Outcome.SKIPPED,
        docs=spec.docs,
    )


def _stream_verdict(exchange: Exchange, cache: dict[str, dict[str, str]]) -> dict[str, str]:
    """openai-python's (and openai-node's, when replayed) verdict on a 200 stream, cached
    per probe, for evidence."""
    if exchange.probe not in cache:
        verdicts: dict[str, str] = {}
        if exchange.status == 200 and exchange.content_type == "text/event-stream":
            outcome = replay_openai_python(exchange, "stream")
            verdicts[outcome.client] = outcome.verdict()
        for replayed in (exchange.node, exchange.ai_sdk):
            if isinstance(replayed, NodeOutcome):
                verdicts[replayed.client] = replayed.verdict()
        cache[exchange.probe] = verdicts
    return cache[exchange.probe]


NODE_REPLAYS: dict[str, str] = {
    "models": "models",
    "chat": "create",
    "chat_stream": "stream",
    "chat_stream_usage": "stream",
    "thoughts_stream": "stream",
    "tool_calls_stream": "stream",
    "stream_error": "stream",
    "stream_cut": "stream",
    "stream_slow": "stream",
    # a real model's answers (black-box; a tool probe's exchange is its tool-result turn)
    "field_tool_named": "create",
    "field_tool_required_stream": "stream",
    "field_parallel_stream": "stream",
    "field_think_effort": "create",
    "field_think_model": "create",
    "field_think_effort_stream": "stream",
    "field_think_google_stream": "stream",
    "field_structured": "create",
    "field_n": "create",
    "field_long_stream": "stream",
    "field_image": "create",
}
"""Probes replayed through openai-node, and how (``replay.mjs``)."""

AI_SDK_REPLAYS: frozenset[str] = frozenset(
    {"chat", "chat_stream", "chat_stream_usage", "thoughts_stream", "tool_calls_stream"}
    | {"stream_slow", "field_tool_required_stream", "field_parallel_stream"}
    | {"field_think_effort_stream", "field_think_google_stream", "field_long_stream"}
)
"""Probes of :data:`NODE_REPLAYS` replayed through the AI SDK's provider too (chat
completions only: it has no models list)."""

NODE_CALL_TURNS: dict[str, str] = {
    "field_tool_named": "create",
    "field_tool_required_stream": "stream",
}
"""Probes with a tool-result turn whose call turn (the last attempt in
``Exchange.previous``, :func:`conformance.checks.field.call_turn`) is replayed through
openai-node too, and how; the outcome is attached to that attempt."""


def attach_upstream_keys(exchanges: dict[str, Exchange]) -> None:
    """Give every exchange the set of upstream credentials (journal fingerprints) the
    proxy used across the run (``Exchange.upstream_keys``); pure."""
    keys = frozenset(
        str(c["sha256"])
        for x in exchanges.values()
        for entry in x.upstream
        for c in entry.get("credentials") or ()
        if isinstance(c, dict) and c.get("sha256") and is_generate_path(entry.get("path"))
    )
    if keys:
        for name, x in exchanges.items():
            exchanges[name] = replace(x, upstream_keys=keys)


def attach_node(exchanges: dict[str, Exchange]) -> None:
    """Replay the :data:`NODE_REPLAYS` exchanges through openai-node (one process) and
    attach the outcomes, or the reason there are none."""
    items = [
        (x, NODE_REPLAYS[name])
        for name, x in exchanges.items()
        if name in NODE_REPLAYS and x.status is not None
    ]
    calls: dict[str, Exchange] = {}  # probe -> its call turn, when a result turn followed
    for name, how in NODE_CALL_TURNS.items():
        x = exchanges.get(name)
        turn = call_turn(x) if x is not None else None
        if turn is not None and turn is not x and turn.status is not None:
            calls[name] = turn
            items.append((replace(turn, probe=f"{name}{_CALL_TURN}"), how))
    if not items:
        return
    reason = node_unavailable()
    ai_reason = ai_sdk_unavailable()
    outcomes: Mapping[str, NodeOutcome] = {}
    if reason is None:
        try:
            ai_sdk = AI_SDK_REPLAYS | {f"{name}{_CALL_TURN}" for name in calls}
            outcomes = replay_openai_node(items, ai_sdk=ai_sdk)
        except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
            reason = ai_reason = str(exc)
    for x, _ in items:
        if x.probe.endswith(_CALL_TURN):
            continue
        exchanges[x.probe] = replace(
            x,
            node=outcomes.get(x.probe, reason or "not replayed"),
            ai_sdk=outcomes.get(x.probe + AI_SDK_SUFFIX, ai_reason or "not replayed"),
        )
    for name, turn in calls.items():
        node = outcomes.get(f"{name}{_CALL_TURN}", reason or "not replayed")
        ai = outcomes.get(f"{name}{_CALL_TURN}{AI_SDK_SUFFIX}", ai_reason or "not replayed")
        x = exchanges[name]
        previous = tuple(replace(p, node=node, ai_sdk=ai) if p is turn else p for p in x.previous)
        exchanges[name] = replace(x, previous=previous)


_CALL_TURN = "#call-turn"


def _evidence(
    failure: CheckFailure | None, exchange: Exchange, verdicts: dict[str, str]
) -> Evidence:
    raw_excerpt = failure.excerpt if failure is not None else None
    if isinstance(raw_excerpt, bytes):
        raw_excerpt = raw_excerpt.decode("utf-8", "replace")
    clients = {**verdicts, **(failure.clients if failure is not None else {})}
    return Evidence(
        request=exchange.request.redacted(),
        response=exchange.response_summary(),
        excerpt=raw_excerpt,
        curl=exchange.request.curl(),
        clients=clients,
        upstream=[_condense(e) for e in exchange.upstream],
    )


def _condense(entry: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("method", "path", "query", "status", "scenario", "body", "credentials")
    return {k: entry[k] for k in keep if k in entry}


def secrets_of(target: Target) -> tuple[str, ...]:
    """The literal credentials the run was given (the target's API key and the values of
    its secret ``--header`` fields, :meth:`Target.header_secrets`), which a target may
    echo back in an answer ("Incorrect API key provided: ..."); the reports must never
    show them (issue 15 item 3)."""
    return ((target.api_key,) if target.api_key else ()) + target.header_secrets()


def scrub_record(record: ResultRecord, secrets: tuple[str, ...]) -> ResultRecord:
    """``record`` with every literal ``secrets`` value in its message and evidence replaced
    by ``[redacted]`` (:func:`spec.secrets.scrub_values`); the same record when none
    occurs."""
    if not secrets:
        return record
    evidence = record.evidence
    if evidence is not None:
        evidence = replace(
            evidence,
            request=scrub_values(evidence.request, secrets),
            response=scrub_values(evidence.response, secrets),
            excerpt=scrub_values(evidence.excerpt, secrets),
            curl=scrub_values(evidence.curl, secrets),
            clients=scrub_values(evidence.clients, secrets),
            upstream=scrub_values(evidence.upstream, secrets),
        )
    return replace(
        record,
        message=scrub_values(record.message, secrets),
        cause=scrub_values(record.cause, secrets),
        evidence=evidence,
    )


def run_checks(
    specs: Iterable[CheckSpec],
    exchanges: Mapping[str, Exchange],
    target: Target,
    on_result: ResultCallback | None = None,
    missing: Mapping[str, str] | None = None,
) -> list[ResultRecord]:
    """Run ``specs`` on recorded ``exchanges`` (pure apart from the client replays).

    ``missing`` maps a probe name to why it has no exchange (e.g. the request budget).
    Never raises for a check's own bug: that is an ``error`` result naming it.
    """
    results: list[ResultRecord] = []
    verdict_cache: dict[str, dict[str, str]] = {}
    for spec in specs:
        base = _base_record(spec, target)
        absent = [p for p in spec.probes if p not in exchanges]
        throttled = [p for p in spec.probes if p in exchanges and exchanges[p].throttled]
        if absent:
            why = (missing or {}).get(absent[0], "the probe did not run")
            record = replace(base, outcome=Outcome.SKIPPED, message=f"{absent[0]}: {why}")
        elif throttled:
            x = exchanges[throttled[0]]
            record = replace(
                base,
                outcome=Outcome.ERROR,
                message=f"{throttled[0]}: the target answered HTTP {x.status} twice without "
                "calling the upstream (its own throttling or circuit breaker), so the "
                "scenario never ran",
                evidence=_evidence(None, x, {}),
            )
        else:
            primary = exchanges[spec.probes[0]]
            started = time.perf_counter()
            note: str | None = None
            try:
                note = spec.run(exchanges)
            except CheckFailure as failure:
                exchange = exchanges.get(failure.probe or spec.probes[0], primary)
                prefix = f"[{failure.probe}] " if failure.probe != spec.probes[0] else ""
                record = replace(
                    base,
                    outcome=Outcome.FAILED,
                    message=prefix + failure.message,
                    evidence=_evidence(failure, exchange, _stream_verdict(exchange, verdict_cache)),
                    cause=" ".join((failure.cause or "").split()),
                )
            except NotApplicable as exc:
                record = replace(base, outcome=Outcome.SKIPPED, message=str(exc))
            except Undecided as exc:
                record = replace(
                    base,
                    outcome=Outcome.ERROR,
                    message=str(exc),
                    evidence=_evidence(None, primary, {}),
                )
            except Exception as exc:  # a bug in a check must not end the run
                record = replace(
                    base,
                    outcome=Outcome.ERROR,
                    message=f"the check itself failed: {type(exc).__name__}: {exc}",
                    evidence=_evidence(None, primary, {}),
                )
            else:
                record = replace(base, outcome=Outcome.PASSED, message=note or "")
            elapsed_ms = (time.perf_counter() - started) * 1000 + primary.elapsed_s * 1000
            record = replace(record, duration_ms=round(elapsed_ms, 3))
        record = scrub_record(record, secrets_of(target))
        results.append(record)
        if on_result is not None:
            on_result(record)
    return results


@dataclass(frozen=True, slots=True)
class SuiteRun:
    """A finished run: the records in check-id order, the number of requests sent to the
    target, and each probe's HTTP status (``None``: no response, with the reason in
    ``transport_errors``). ``interrupted``: the run stopped early (Ctrl-C, SIGTERM) after
    ``probes_done`` of ``probes_total`` probes; the checks whose probes did not run are
    skipped with :data:`INTERRUPTED`."""

    records: list[ResultRecord]
    requests_sent: int
    statuses: Mapping[str, int | None]
    transport_errors: Mapping[str, str]
    interrupted: bool = False
    probes_done: int = 0
    probes_total: int = 0
    tokens_spent: int = 0
    """Tokens the target's answers reported (``usage``, every request sent)."""
    answers_with_usage: int = 0
    """How many answers reported a usage; the others are not in ``tokens_spent``."""
    models: Mapping[str, str] = field(default_factory=dict)
    """The models the run used by role (``default``, ``reasoning``, ``plain``)."""


def run_suite(
    target: Target,
    *,
    select: Iterable[str] | None = None,
    budget: Budget | None = None,
    timeout_s: float = 60.0,
    on_result: ResultCallback | None = None,
    on_probe: Callable[[ProbeStart], None] | None = None,
    on_checks: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SuiteRun:
    """Run the suite against ``target``.

    Records come in check-id order: skipped ones (with their reason) and the rest.
    ``timeout_s`` bounds each request (seconds); ``sleep`` is how the session waits out a
    target's own throttling (see ``session``); ``on_probe`` hears of each probe before it
    is sent, ``on_checks(done, total)`` when the probing is over (``done`` of ``total``
    probes ran) and the checks (and client replays) start. ``KeyboardInterrupt`` while
    probing ends the probing: the checks then run on what was recorded and the result
    says ``interrupted`` (one during the checks propagates).

    Raises ``ValueError`` for a ``select`` that matches nothing, and :class:`RunAborted`
    when the first probes show the run cannot judge the target (:mod:`.preflight`).
    """
    the_plan = plan(target, select=select)
    preload_openai()
    budget = budget or Budget()
    run_id = secrets.token_hex(4)
    exchanges: dict[str, Exchange] = {}
    missing: dict[str, str] = {}
    timeout = httpx.Timeout(timeout_s, connect=min(10.0, timeout_s))
    watch = JournalWatch(target.mock_url or "") if target.controlled else None
    total = len(the_plan.probes)
    done = 0
    interrupted = False
    session: ProbeSession | None = None
    background: list[_Background] = []

    def settle() -> None:
        """Wait for every probe sent in the background; file its exchange."""
        assert session is not None
        while background:
            waited = background[0]
            if on_probe is not None and waited.running():
                on_probe(replace(waited.start, index=done, background="awaited"))
            waited.join(session)
            background.pop(0)
            exchanges.update(waited.exchanges)
            missing.update(waited.missing)
            turned = waited.exchanges.get(waited.name)
            if turned is not None and _turned_away(turned):
                # refused because another probe was being answered: once more, alone
                if on_probe is not None:
                    on_probe(replace(waited.start, index=done))
                _send_probe(session, waited.name, exchanges, missing)
            if waited.name in exchanges:
                problem = _problem(waited.name, exchanges, target, the_plan.probes, watch)
                if problem is not None:
                    raise RunAborted(scrub_values(problem, secrets_of(target)))

    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            target = resolve_base(client, target, budget)
            session = ProbeSession(client, target, budget, run_id, sleep=sleep)
            for name in the_plan.probes:
                probe = PROBES[name]
                start = ProbeStart(
                    name, done + 1, total, probe.phase, probe.description, probe.waits
                )
                reason = session.skip_reason(name)
                if reason is None and probe.waits:
                    if on_probe is not None:
                        on_probe(replace(start, background="sent"))
                    background.append(_Background(name, start, session, timeout))
                    done += 1
                    continue
                if (
                    background
                    and probe.upstream_cut
                    and not _served_alongside(background, exchanges, client, target)
                ):
                    settle()  # its hang limit must not time a wait behind the slow probe
                if on_probe is not None:
                    on_probe(start)
                if reason is not None:
                    missing[name] = reason
                elif _send_probe(session, name, exchanges, missing):
                    if (
                        background
                        and _turned_away(exchanges[name])
                        and not probe.judges_throttling
                        and not _served_alongside(background, exchanges, client, target)
                    ):
                        # a target that refuses a second request while it holds the slow
                        # one (a concurrency cap of 1): ask again once it is free
                        settle()
                        _send_probe(session, name, exchanges, missing)
                    problem = _problem(name, exchanges, target, the_plan.probes, watch)
                    if problem is not None:
                        raise RunAborted(scrub_values(problem, secrets_of(target)))
                done += 1
            settle()
    except KeyboardInterrupt:
        interrupted = True
        done -= len(background)  # still on their way: not run
        for name in the_plan.probes:
            if name not in exchanges:
                missing.setdefault(name, INTERRUPTED)

    if on_checks is not None:
        on_checks(done, total)
    attach_upstream_keys(exchanges)
    if not interrupted:  # openai-node takes a process start: not after Ctrl-C
        attach_node(exchanges)
    by_id: dict[str, ResultRecord] = {}
    for check_id, reason in the_plan.skipped.items():
        by_id[check_id] = replace(
            _base_record(REGISTRY[check_id], target), outcome=Outcome.SKIPPED, message=reason
        )
        if on_result is not None:
            on_result(by_id[check_id])
    for record in run_checks(the_plan.checks, exchanges, target, on_result, missing):
        by_id[record.check_id] = record
    return SuiteRun(
        records=[by_id[k] for k in sorted(by_id)],
        requests_sent=budget.sent,
        statuses={k: x.status for k, x in exchanges.items()},
        transport_errors={k: x.transport_error for k, x in exchanges.items() if x.transport_error},
        interrupted=interrupted,
        probes_done=done,
        probes_total=total,
        tokens_spent=session.tokens_spent if session is not None else 0,
        answers_with_usage=session.answers_with_usage if session is not None else 0,
        models=_models(session.target if session is not None else target),
    )


def resolve_base(client: httpx.Client, target: Target, budget: Budget) -> Target:
    """``target`` with ``prefixed`` false when its base URL is the OpenAI base URL itself
    although its path does not end with the profile's prefix (Google's
    ``https://host/v1beta/openai``, where clients call ``/v1beta/openai/chat/completions``):
    ``GET <base><prefix>/models`` finds nothing there (HTTP 404/405/501 or an HTML page)
    and ``GET <base>/models`` answers JSON. Otherwise ``target`` as it is. Sends the one
    or two GETs (free, no tokens; counted in ``budget``) only for a base URL with such a
    path; a root URL or one ending with the prefix sends nothing."""
    prefix = target.profile.prefix
    path = target.base_path
    if not prefix or not target.prefixed or not path or path.endswith(prefix):
        return target

    def answers_json(url: str) -> bool | None:
        """Whether ``url`` answers like an API; ``None``: no answer (cannot tell)."""
        try:
            budget.acquire()
            answer = client.get(url, headers=target.request_headers())
        except (httpx.HTTPError, BudgetExhausted):
            return None
        if answer.status_code in NOT_AN_API:
            return False
        return "json" in answer.headers.get("content-type", "")

    if answers_json(target.url("/models")) is not False:
        return target
    bare = replace(target, prefixed=False)
    return bare if answers_json(bare.url("/models")) else target


def _models(target: Target) -> dict[str, str]:
    """The models the run used, by role (the field probes' picks when known)."""
    out = {"default": target.model}
    if target.reasoning_model:
        out["reasoning"] = target.reasoning_model
    if target.plain_model:
        out["plain"] = target.plain_model
    gemini3 = gemini3_model(target)
    if gemini3:
        out["gemini 3"] = gemini3
    return out


class _Background:
    """A probe that waits on purpose (``Probe.waits``: the slow upstream's 20 s), sent on
    a daemon thread with an HTTP client and a session of its own (sharing the run's
    :class:`~conformance.http.Budget`), so its wait overlaps the other probes instead of
    adding to the run (docs/breakages.md A4's probe would otherwise be two thirds of
    the embedded run). Each request carries its own scripted scenario, so no other
    probe sees its answer. A daemon thread: an interrupted run leaves it behind, never
    waits for it."""

    def __init__(
        self, name: str, start: ProbeStart, session: ProbeSession, timeout: httpx.Timeout
    ) -> None:
        self.name = name
        self.start = start
        self.exchanges: dict[str, Exchange] = {}
        self.missing: dict[str, str] = {}
        self._error: BaseException | None = None
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        self._session = ProbeSession(
            self._client, session.target, session.budget, session.run_id, sleep=session.sleep
        )
        self._session.listed_models = session.listed_models
        self._thread = threading.Thread(target=self._run, name=f"probe {name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            _send_probe(self._session, self.name, self.exchanges, self.missing)
        except BaseException as exc:  # handed to the run's thread by join()
            self._error = exc
        finally:
            self._client.close()

    def running(self) -> bool:
        return self._thread.is_alive()

    def upstream_since(self, client: httpx.Client, target: Target) -> float | None:
        """When the mock received the probe's upstream call (epoch seconds, the journal's
        ``time``); ``None`` before it did, or when the journal cannot be read."""
        if not target.mock_url:
            return None
        cid = correlation_id(self._session.run_id, self.name)
        try:
            entries = fetch_journal(client, target.mock_url, cid)
        except (httpx.HTTPError, ValueError):
            return None
        times = [e["time"] for e in entries if isinstance(e.get("time"), int | float)]
        return min(times) if times else None

    def join(self, session: ProbeSession) -> None:
        """Wait for the probe to end (interruptible by Ctrl-C); count its tokens in
        ``session``'s. Re-raises what the probe raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        session.tokens_spent += self._session.tokens_spent
        session.answers_with_usage += self._session.answers_with_usage


def _served_alongside(
    background: Iterable[_Background],
    exchanges: Mapping[str, Exchange],
    client: httpx.Client,
    target: Target,
) -> bool:
    """Whether the target has answered another probe while it held the upstream call of
    every background probe still running: it serves requests side by side, so a probe
    with a hang limit (``Probe.upstream_cut``, :data:`conformance.http.HANG_IDLE_S`) can
    go now, and a 429 or 503 it answers by itself is not for being busy. ``False`` (wait
    for them first) when a journal cannot tell: a proxy that serves one request at a
    time would hold that probe behind the slow one, and its limit would call the wait a
    hang; one that refuses a second request would refuse the probe."""
    for waiting in background:
        if not waiting.running():
            continue
        since = waiting.upstream_since(client, target)
        if since is None:
            return False
        if not any(x.started_at > since and not _turned_away(x) for x in exchanges.values()):
            return False  # nothing answered since, or only turned away (a busy target)
    return True


def _turned_away(x: Exchange) -> bool:
    """The target answered 429 or 503 by itself: the mock's journal (read) shows no
    upstream call for the request."""
    readable = not any("error" in e and "path" not in e for e in x.upstream)
    return x.status in (429, 503) and readable and not x.upstream


def _send_probe(
    session: ProbeSession, name: str, exchanges: dict[str, Exchange], missing: dict[str, str]
) -> bool:
    """Send probe ``name`` into ``exchanges`` (``False``: the budget is spent, noted)."""
    try:
        exchanges[name] = session.run(name)
    except BudgetExhausted as exc:
        missing[name] = str(exc)
        return False
    return True


def _problem(
    name: str,
    exchanges: Mapping[str, Exchange],
    target: Target,
    planned: tuple[str, ...],
    watch: JournalWatch | None,
) -> str | None:
    """Why the run must stop after probe ``name`` (see :mod:`.preflight`), or ``None``.
    The first-contact rules are applied once, after ``chat`` (after ``models`` when the
    plan has no ``chat``)."""
    if name == "chat" or (name == "models" and "chat" not in planned):
        return first_contact_problem(exchanges, target.api_key is not None)
    if (silent := silence_problem(exchanges)) is not None:
        return silent
    if watch is not None and PROBES[name].mode is Mode.CONTROLLED:
        return watch.observe(exchanges[name])
    return None
