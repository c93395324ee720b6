"""How a run starts, shows progress and stops: the fail-fast rules (``preflight``), the
plain progress lines of CI logs, the stop signals, the interrupted mark in every report
format and ``conformance checks --format``."""

from __future__ import annotations

import io
import json
import signal
from dataclasses import replace
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.preflight import JournalWatch, first_contact_problem
from conformance.probes import PROBES
from conformance.progress import PlainProgress
from conformance.registry import REGISTRY
from conformance.runner import FIRST_PROBES, ProbeStart, plan
from conformance.stopping import StopSignals
from conformance.target import Target
from reports.render import render_html, render_junit, render_markdown
from spec.profiles import PROFILES
from tests.factories import completion, error_exchange, json_exchange
from tests.unit.test_reports_render import RESULTS, RUN

MODELS_OK = json_exchange("models", {"object": "list", "data": [{"id": "gemini-2.5-flash"}]})
CHAT_OK = json_exchange("chat", completion())
JOURNALED = ({"path": "/v1beta/models/gemini-2.5-flash:generateContent", "status": 200},)


# -- first contact -----------------------------------------------------------------


def test_a_working_target_passes_first_contact() -> None:
    assert first_contact_problem({"models": MODELS_OK, "chat": CHAT_OK}, has_key=True) is None
    assert first_contact_problem({"models": MODELS_OK}, has_key=False) is None
    assert first_contact_problem({}, has_key=False) is None


@pytest.mark.parametrize("status", [401, 403])
def test_401_without_a_key_says_a_key_is_needed(status: int) -> None:
    chat = error_exchange("chat", status, "Missing bearer token")
    problem = first_contact_problem({"models": MODELS_OK, "chat": chat}, has_key=False)
    assert problem is not None
    assert problem.startswith(f"the target needs an API key (HTTP {status} on POST ")
    assert "--api-key KEY or set CONFORMANCE_API_KEY" in problem
    assert '"Missing bearer token"' in problem


def test_401_with_a_key_says_it_is_rejected() -> None:
    chat = error_exchange("chat", 401)
    problem = first_contact_problem({"models": MODELS_OK, "chat": chat}, has_key=True)
    assert problem is not None
    assert problem.startswith("the target rejected the API key")


def test_chat_decides_when_models_alone_wants_a_key() -> None:
    """A proxy that guards only /models still serves chat: no reason to stop."""
    models = error_exchange("models", 401)
    assert first_contact_problem({"models": models, "chat": CHAT_OK}, has_key=False) is None


def test_an_openai_error_on_chat_is_for_the_checks_not_the_preflight() -> None:
    for status in (400, 404, 500, 502):
        chat = error_exchange("chat", status)
        assert first_contact_problem({"models": MODELS_OK, "chat": chat}, has_key=True) is None


def test_404_and_html_everywhere_is_not_an_openai_api() -> None:
    models = json_exchange("models", b"<html>hi</html>", content_type="text/html")
    chat = error_exchange("chat", 404)
    problem = first_contact_problem({"models": models, "chat": chat}, has_key=True)
    assert problem is not None
    assert "does not look like an OpenAI-compatible API" in problem
    assert "GET /v1/models answered HTTP 200 text/html" in problem
    assert "POST /v1/chat/completions answered HTTP 404" in problem
    # one of the two answering like an API is enough to go on
    assert first_contact_problem({"models": models, "chat": CHAT_OK}, has_key=True) is None
    assert first_contact_problem({"models": MODELS_OK, "chat": chat}, has_key=True) is None


def test_no_response_at_all() -> None:
    dead = replace(CHAT_OK, status=None, transport_error="ConnectError: refused")
    problem = first_contact_problem({"chat": dead}, has_key=True)
    assert problem == (
        "the target answered no request: POST /v1/chat/completions: no response "
        "(ConnectError: refused)"
    )


# -- the journal watch -----------------------------------------------------------


def test_journal_watch_stops_after_three_unseen_upstream_answers() -> None:
    watch = JournalWatch("http://127.0.0.1:9")
    assert watch.observe(replace(CHAT_OK, probe="system_prompt")) is None
    assert watch.observe(replace(CHAT_OK, probe="thoughts", status=502)) is None
    problem = watch.observe(replace(CHAT_OK, probe="stop_many"))
    assert problem is not None
    assert problem.startswith("the mock at http://127.0.0.1:9 saw none of the proxy's upstream")
    assert "system_prompt: HTTP 200; thoughts: HTTP 502; stop_many: HTTP 200" in problem
    assert "(http://127.0.0.1:9/v1beta)" in problem


def test_journal_watch_is_satisfied_by_one_journaled_call() -> None:
    watch = JournalWatch("http://127.0.0.1:9")
    assert watch.observe(replace(CHAT_OK, upstream=JOURNALED)) is None
    for _ in range(5):
        assert watch.observe(CHAT_OK) is None


def test_journal_watch_ignores_refusals_and_unreadable_journals() -> None:
    """A 4xx may be the proxy's own fair refusal; an unreadable journal tells nothing."""
    watch = JournalWatch("http://127.0.0.1:9")
    for _ in range(5):
        assert watch.observe(error_exchange("system_prompt", 400)) is None
        assert watch.observe(replace(CHAT_OK, upstream=({"error": "journal unreadable"},))) is None


# -- progress lines ----------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _event(name: str, index: int, phase: int, waits: str = "") -> ProbeStart:
    return ProbeStart(name, index, 4, phase, f"{name} probe", waits)


def test_plain_progress_prints_one_line_per_phase_with_counts_and_time() -> None:
    out, clock = io.StringIO(), FakeClock()
    progress = PlainProgress(out, clock=clock)
    progress.probe(_event("models", 1, 0))
    clock.now += 1.5
    progress.probe(_event("chat", 2, 0))
    clock.now += 1.0
    progress.probe(_event("stream_slow", 3, 1, "waits ~20 s on purpose"))
    clock.now += 20
    progress.probe(_event("stream_cut", 4, 2))
    clock.now += 0.5
    progress.checks(4, 4)
    assert out.getvalue().splitlines() == [
        "probes: ordinary requests (1/4)",
        "probes: ordinary requests done (2 probes in 2.5 s; 2/4 overall, 2.5 s)",
        "probes: odd but successful upstream answers (3/4)",
        "probe stream_slow (3/4): waits ~20 s on purpose",
        "probes: odd but successful upstream answers done (1 probe in 20.0 s; 3/4 overall, 22.5 s)",
        "probes: upstream errors (4/4)",
        "probes: upstream errors done (1 probe in 0.5 s; 4/4 overall, 23.0 s)",
        "checks: running (23.0 s)",
    ]


def test_plain_progress_is_never_silent_longer_than_the_heartbeat() -> None:
    """The heartbeat thread speaks when nothing was printed for ``heartbeat_s``."""
    out = io.StringIO()
    with PlainProgress(out, heartbeat_s=0.05) as progress:
        progress.probe(_event("stream_slow", 3, 1, "waits ~20 s on purpose"))
        for _ in range(200):  # bounded wait for the thread, no fixed sleep
            if "still running" in out.getvalue():
                break
            progress._stop.wait(0.01)
    assert "still running: probe stream_slow (3/4), slow on purpose" in out.getvalue()


def test_a_background_probe_gets_a_line_when_sent_and_one_when_awaited() -> None:
    out, clock = io.StringIO(), FakeClock()
    progress = PlainProgress(out, clock=clock)
    progress.probe(_event("chat", 1, 0))
    slow = _event("stream_slow", 2, 1, "waits ~20 s on purpose")
    progress.probe(replace(slow, background="sent"))
    clock.now += 1.0
    progress.probe(_event("usage", 3, 0))  # still the ordinary phase: no phase change
    clock.now += 1.0
    progress.probe(_event("stream_cut", 4, 2))
    clock.now += 0.5
    progress.probe(replace(slow, index=4, background="awaited"))
    assert progress._current == "probe stream_slow (in the background), slow on purpose"
    clock.now += 18
    progress.checks(4, 4)
    assert out.getvalue().splitlines() == [
        "probes: ordinary requests (1/4)",
        "probe stream_slow (2/4): waits ~20 s on purpose; sent in the background, alongside "
        "the others",
        "probes: ordinary requests done (2 probes in 2.0 s; 3/4 overall, 2.0 s)",
        "probes: upstream errors (4/4)",
        "probes: upstream errors done (1 probe in 0.5 s; 4/4 overall, 2.5 s)",
        "waiting for probe stream_slow, sent in the background (waits ~20 s on purpose)",
        "checks: running (20.5 s)",
    ]


def test_probes_that_wait_on_purpose_are_planned_right_after_the_first_contact() -> None:
    """Sent first, in the background: their wait overlaps every other probe."""
    target = Target(
        base_url="http://127.0.0.1:9",
        profile=PROFILES["openai-core"],
        mock_url="http://127.0.0.1:8",
    )
    order = plan(target).probes
    waiting = [name for name in order if PROBES[name].waits]
    assert waiting == ["stream_slow"]
    assert order[: len(FIRST_PROBES) + 1] == (*FIRST_PROBES, "stream_slow")


# -- stop signals ----------------------------------------------------------------


def test_stop_signals_name_the_signal_and_its_exit_code() -> None:
    with StopSignals() as stops:
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGTERM)
        assert stops.received == "SIGTERM"
        assert stops.exit_code == 143
        stops.shield()
        signal.raise_signal(signal.SIGINT)  # ignored once shielded
        assert stops.received == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    fresh = StopSignals()
    fresh.note_interrupt()
    assert (fresh.received, fresh.exit_code) == ("SIGINT", 130)


# -- interrupted reports -----------------------------------------------------------


def test_every_format_marks_an_interrupted_run() -> None:
    run = replace(RUN, interrupted="SIGINT after 12 of 64 probes")
    md = render_markdown(run, RESULTS)
    assert "**Verdict:** INTERRUPTED (SIGINT after 12 of 64 probes): partial results; so far" in md
    assert 'class="verdict interrupted"' in render_html(run, RESULTS)
    junit = ET.fromstring(render_junit(run, RESULTS).split("\n", 1)[1])
    case = junit.find(".//testsuite[@name='conformance.run']/testcase[@name='interrupted']")
    assert case is not None
    assert case.find("error") is not None
    assert junit.get("errors") == str(int(ET.fromstring(
        render_junit(RUN, RESULTS).split("\n", 1)[1]).get("errors", "0")) + 1)  # fmt: skip
    prop = junit.find(".//property[@name='interrupted']")
    assert prop is not None
    assert prop.get("value") == "SIGINT after 12 of 64 probes"
    # a finished run says nothing of the kind
    assert "INTERRUPTED" not in render_markdown(RUN, RESULTS)
    assert "interrupted" not in render_junit(RUN, RESULTS)


# -- conformance checks --format ------------------------------------------------------


def test_checks_formats_list_every_id_uncut() -> None:
    ids = sorted(REGISTRY)
    runner = CliRunner()
    plain = runner.invoke(main, ["checks", "--format", "plain"])
    assert plain.exit_code == 0
    assert [line.split("\t")[0] for line in plain.output.splitlines()] == ids
    data = json.loads(runner.invoke(main, ["checks", "--format", "json"]).output)
    assert [c["id"] for c in data] == ids
    assert {"id", "title", "severity", "mode", "source", "docs", "probes"} <= set(data[0])
    md = runner.invoke(main, ["checks", "--format", "md"]).output.splitlines()
    assert md[0] == "| id | severity | mode | title |"
    assert len(md) == len(ids) + 2
    table = runner.invoke(main, ["checks", "--format", "table"], terminal_width=80).output
    longest = max(ids, key=len)
    assert longest in table
    assert runner.invoke(main, ["checks", "--format", "yaml"]).exit_code == 2


class _Waiting:
    """A background probe as ``_served_alongside`` sees it."""

    def __init__(self, since: float | None, running: bool = True) -> None:
        self.since, self.alive = since, running

    def running(self) -> bool:
        return self.alive

    def upstream_since(self, client: object, target: object) -> float | None:
        return self.since


def test_a_hang_limited_probe_waits_for_the_slow_one_unless_the_proxy_served_alongside() -> None:
    """Sent while the slow probe is held, a probe with a hang limit would time a proxy that
    serves one request at a time: it goes at once only when another probe was answered
    after the mock received the slow probe's upstream call."""
    from conformance.runner import _served_alongside

    before, after = replace(CHAT_OK, started_at=99.0), replace(CHAT_OK, started_at=101.0)
    target = Target(base_url="http://127.0.0.1:9", profile=PROFILES["openai-core"])
    held = [_Waiting(since=100.0)]
    assert _served_alongside(held, {"chat": before, "usage": after}, None, target)  # type: ignore[arg-type]
    assert not _served_alongside(held, {"chat": before}, None, target)  # type: ignore[arg-type]
    refused = replace(error_exchange("usage", 429), started_at=101.0)  # no upstream call
    assert not _served_alongside(held, {"chat": before, "usage": refused}, None, target)  # type: ignore[arg-type]
    unknown = [_Waiting(since=None)]  # not journaled yet, or the journal is unreadable
    assert not _served_alongside(unknown, {"usage": after}, None, target)  # type: ignore[arg-type]
    stopped = [_Waiting(None, running=False)]
    assert _served_alongside(stopped, {}, None, target)  # type: ignore[arg-type]
