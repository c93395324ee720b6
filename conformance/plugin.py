"""pytest plugin (entry point ``pytest11: conformance``): the conformance checks as pytest
tests, so a proxy's own CI can run them next to its unit tests. Two ways to name the
target:

1. **From a fixture** (the proxy is started by the test session itself): in a test module,
   ``test_conformance = from_fixture("my_proxy", mock_url_fixture="my_mock")`` makes one
   test per check, ``test_conformance[<check id>]``, against the base URL the session
   fixture ``my_proxy`` yields (see :func:`from_fixture`).
2. **From the command line** (the proxy already runs somewhere)::

       pytest --conformance-target http://127.0.0.1:4000 --conformance-api-key sk-...

   With ``--conformance-target`` (or ``$CONFORMANCE_TARGET``) the plugin adds one test
   per check (``conformance::<check id>``). Without a target it adds nothing. Fixtures:
   ``conformance_target`` (the :class:`~conformance.target.Target`) and
   ``conformance_run`` (the :class:`~conformance.runner.SuiteRun`), for tests that write
   their own assertions on the records.

Both share one contract. The probes are sent once per session and target, when the first
of its tests runs, and only those the selected tests need (``-k`` narrows the run). A
passed check passes; a failed check, or one that could not decide (``error``), fails
with the message, the offending bytes, the client verdicts and the ``curl``
reproduction; a check that does not apply here is skipped with the reason. A target (or
mock) that does not accept connections, a target fixture that fails and a run that
raises are reported once, by the first test, and its other tests are skipped with a
reason that names that test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

from reports.records import Outcome, ResultRecord
from spec.profiles import FEATURES, PROFILES, Profile, get_profile, with_features

from .exchange import redact_url
from .http import Budget, unreachable
from .registry import REGISTRY
from .runner import SuiteRun, plan, run_suite
from .target import Target, TargetError, parse_headers

__all__ = [
    "ConformanceCollector",
    "ConformanceItem",
    "describe_failure",
    "from_fixture",
]

CHECK_PARAM = "conformance_check"
"""The parameter of a :func:`from_fixture` test that holds the check id."""
_DECLARATION_ATTR = "_conformance_declaration"

_TARGET_KEY = pytest.StashKey[Target]()
_SUITES_KEY = pytest.StashKey[list["_Suite"]]()
_FIXTURE_FAILURES_KEY = pytest.StashKey[dict["_Declaration", "_Blocked"]]()


# -- shared: one run per target, reported once when it cannot happen -------------------


@dataclass(slots=True)
class _Blocked:
    """Why a run cannot happen, and which test reports it (the first that asks)."""

    reason: str
    error: BaseException | None = None
    """Re-raised by the reporting test (its traceback is the useful part)."""
    reported_by: str | None = None

    def report(self, nodeid: str) -> NoReturn:
        """Fail the first test that asks; skip every later one with a reason naming it."""
        if self.reported_by is None:
            self.reported_by = nodeid
        if self.reported_by != nodeid:
            pytest.skip(f"{self.reason} (reported by {self.reported_by})")
        if self.error is not None:
            raise self.error
        pytest.fail(self.reason, pytrace=False)


@dataclass(slots=True)
class _Suite:
    """The suite against one target, run at most once per session."""

    target: Target
    select: tuple[str, ...] | None
    max_requests: int | None
    run: SuiteRun | None = None
    blocked: _Blocked | None = None
    records: dict[str, ResultRecord] = field(default_factory=dict)

    def record(self, check_id: str, nodeid: str) -> ResultRecord:
        """``check_id``'s record, running the suite first if it has not run. Raises
        pytest's fail/skip outcome when the run cannot happen (see :class:`_Blocked`)."""
        self.ensure_run()
        if self.blocked is not None:
            self.blocked.report(nodeid)
        record = self.records.get(check_id)
        if record is None:  # pragma: no cover - the run covers every selected check
            pytest.fail(f"{check_id}: the run has no result for it", pytrace=False)
        return record

    def ensure_run(self) -> None:
        if self.run is not None or self.blocked is not None:
            return
        reason = _unreachable_target(self.target)
        if reason is not None:
            self.blocked = _Blocked(reason)
            return
        try:
            self.run = run_suite(self.target, select=self.select, budget=Budget(self.max_requests))
        except Exception as exc:
            where = redact_url(self.target.base_url)
            self.blocked = _Blocked(
                f"the conformance run against {where} failed: {type(exc).__name__}: {exc}",
                error=exc,
            )
            return
        self.records = {r.check_id: r for r in self.run.records}


def _suite(
    config: pytest.Config, target: Target, select: Sequence[str] | None, max_requests: int | None
) -> _Suite:
    """The session's suite for these settings (created on first use, then shared)."""
    key = tuple(sorted(select)) if select is not None else None
    suites = config.stash.setdefault(_SUITES_KEY, [])
    for suite in suites:
        if suite.target == target and suite.select == key and suite.max_requests == max_requests:
            return suite
    suite = _Suite(target, key, max_requests)
    suites.append(suite)
    return suite


def _unreachable_target(target: Target) -> str | None:
    """``conformance target <url> is unreachable: <why>`` (or the mock's), else ``None``."""
    for what, url in (("target", target.base_url), ("mock", target.mock_url)):
        if url is not None and (why := unreachable(url)) is not None:
            return f"conformance {what} {redact_url(url)} is unreachable: {why}"
    return None


def describe_failure(record: ResultRecord) -> str:
    """A failed (or undecided) check as pytest shows it: id, severity, outcome and
    message, title, source, offending bytes, client verdicts and the curl reproduction."""
    lines = [
        f"{record.check_id} [{record.severity}] {record.outcome.value}: {record.message}",
        f"  {record.title}",
        f"  source: {record.source}",
    ]
    evidence = record.evidence
    if evidence is not None:
        if evidence.excerpt:
            lines.append("  offending bytes:")
            lines += [f"    {line}" for line in evidence.excerpt.splitlines()[:20]]
        for client, verdict in evidence.clients.items():
            lines.append(f"  {client}: {verdict}")
        if evidence.curl:
            lines.append(f"  reproduce: {evidence.curl}")
    return "\n".join(lines)


def _settle(record: ResultRecord) -> None:
    """Turn a record into the test's outcome: passed returns; skipped skips with the
    reason; failed and error fail with :func:`describe_failure` (no Python traceback)."""
    if record.outcome is Outcome.SKIPPED:
        pytest.skip(record.message or "not applicable here")
    if record.outcome in (Outcome.FAILED, Outcome.ERROR):
        pytest.fail(describe_failure(record), pytrace=False)


def _check_properties(check_id: str) -> list[tuple[str, str]]:
    """JUnit properties of a check's test (severity, source)."""
    spec = REGISTRY[check_id]
    return [("severity", spec.severity.value), ("source", spec.source)]


def _profile(name: str, features: Iterable[str], left_out: Iterable[str] = ()) -> Profile:
    return with_features(get_profile(name), features, left_out)


def _check_ids(target: Target, select: Sequence[str] | None) -> list[str]:
    """Every check id the suite reports for ``target`` (run or skipped), sorted."""
    the_plan = plan(target, select=select)
    return sorted([*(s.id for s in the_plan.checks), *the_plan.skipped])


# -- from a fixture --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class _Declaration:
    """What one :func:`from_fixture` call asked for (compared by identity)."""

    fixture: str
    mock_url: str | None
    mock_url_fixture: str | None
    profile: Profile
    api_key: str | None
    model: str
    max_requests: int | None
    label: str

    def target(self, request: pytest.FixtureRequest) -> Target:
        """The target, from the fixtures' values. Raises :class:`TypeError` for a value
        that is not a URL and :class:`~conformance.target.TargetError` for a bad URL."""
        mock_url = self.mock_url
        if self.mock_url_fixture is not None:
            value = request.getfixturevalue(self.mock_url_fixture)
            mock_url = _url_of(value, self.mock_url_fixture)
        return Target(
            base_url=_url_of(request.getfixturevalue(self.fixture), self.fixture),
            profile=self.profile,
            model=self.model,
            api_key=self.api_key or os.environ.get("CONFORMANCE_API_KEY"),
            mock_url=mock_url,
            label=self.label,
        )

    def run_check(self, request: pytest.FixtureRequest, check_id: str) -> None:
        nodeid = request.node.nodeid
        failures = request.config.stash.setdefault(_FIXTURE_FAILURES_KEY, {})
        if self in failures:
            failures[self].report(nodeid)
        try:
            target = self.target(request)
        except Exception as exc:
            failures[self] = _Blocked(
                f"the conformance target fixture {self.fixture!r} failed: "
                f"{type(exc).__name__}: {exc}",
                error=exc,
            )
            failures[self].report(nodeid)
        select = _selected(request.session, request.function)
        record = _suite(request.config, target, select, self.max_requests).record(check_id, nodeid)
        _settle(record)


def _url_of(value: object, fixture: str) -> str:
    """The base URL in a fixture's value: a ``str``, an object with a ``str`` attribute
    ``base_url`` or ``url``, or an object whose ``str()`` is an http(s) URL (``yarl.URL``,
    ``httpx.URL``, pydantic's ``HttpUrl``)."""
    if isinstance(value, str):
        return value
    for attribute in ("base_url", "url"):
        candidate = getattr(value, attribute, None)
        if isinstance(candidate, str):
            return candidate
    text = str(value)
    if urlsplit(text).scheme in ("http", "https"):
        return text
    raise TypeError(
        f"fixture {fixture!r} gave {type(value).__name__} {value!r}; expected the base URL "
        "as a str, or an object with a str .base_url or .url"
    )


def _selected(session: pytest.Session, function: Callable[..., Any]) -> list[str]:
    """The check ids of ``function``'s tests that this session runs (after ``-k``)."""
    ids = {
        str(item.callspec.params[CHECK_PARAM])
        for item in session.items
        if isinstance(item, pytest.Function) and item.obj is function and hasattr(item, "callspec")
    }
    return sorted(ids)


def from_fixture(
    fixture: str,
    *,
    mock_url: str | None = None,
    mock_url_fixture: str | None = None,
    profile: str = "openai-core",
    api_key: str | None = None,
    model: str = "gemini-2.5-flash",
    checks: Sequence[str] | None = None,
    features: Iterable[str] = (),
    max_requests: int | None = None,
    label: str = "",
    without_features: Iterable[str] = (),
) -> Callable[..., None]:
    """A test function that runs the conformance checks against the proxy the fixture
    named ``fixture`` gives; assign it to a ``test_*`` name in a test module::

        test_conformance = from_fixture("my_proxy", mock_url_fixture="my_mock")

    pytest then collects one test per check, ``test_conformance[<check id>]``, marked
    ``conformance``. ``fixture`` (best session-scoped, e.g. in ``conftest.py``) gives the
    proxy's base URL (``http://127.0.0.1:PORT`` or ``.../v1``): a ``str``, an object with
    a ``str`` attribute ``base_url`` or ``url``, or an object whose ``str()`` is an
    http(s) URL. It is requested when the first check runs.

    Controlled mode: ``mock_url`` (a URL) or ``mock_url_fixture`` (a fixture giving one,
    same forms) is the mock upstream the proxy's Gemini base URL points at; without
    either, checks that need it are skipped. ``profile``: the contract the proxy claims
    (``spec.profiles.PROFILES``), ``features`` more features it claims (``images``,
    ``tts``), ``without_features`` features of the profile it does not serve
    (``embeddings``). ``api_key``: the client key (default ``$CONFORMANCE_API_KEY``). ``checks``:
    check ids or id prefixes (``stream.``); ``None`` all. ``max_requests`` bounds the
    traffic; ``label`` names the target in records.

    Outcomes as in the command-line mode (module docstring); the suite runs once per
    session and target. Raises ``KeyError``/``ValueError`` naming a bad ``profile``,
    ``features``, ``checks`` or ``max_requests`` value, when the test module is imported.
    """
    if mock_url is not None and mock_url_fixture is not None:
        raise ValueError(
            f"from_fixture: give mock_url ({mock_url!r}) or mock_url_fixture "
            f"({mock_url_fixture!r}), not both"
        )
    claimed = _profile(profile, features, without_features)
    Budget(max_requests)  # raises ValueError naming a negative max_requests
    select = list(checks) if checks is not None else None
    # The check ids depend on the profile and the mode, not on the URLs (not known yet).
    placeholder = "http://conformance.invalid"
    shape = Target(
        base_url=placeholder,
        profile=claimed,
        mock_url=placeholder if (mock_url or mock_url_fixture) else None,
    )
    try:
        ids = _check_ids(shape, select)
    except ValueError:
        raise ValueError(f"from_fixture: checks={select!r} matches no check") from None
    declaration = _Declaration(
        fixture=fixture,
        mock_url=mock_url,
        mock_url_fixture=mock_url_fixture,
        profile=claimed,
        api_key=api_key,
        model=model,
        max_requests=max_requests,
        label=label,
    )

    @pytest.mark.parametrize(CHECK_PARAM, ids, ids=ids)
    def test_conformance(request: pytest.FixtureRequest, conformance_check: str) -> None:
        request.node.user_properties.extend(_check_properties(conformance_check))
        declaration.run_check(request, conformance_check)

    test_conformance.__doc__ = f"Conformance check against the proxy of fixture {fixture!r}."
    setattr(test_conformance, _DECLARATION_ATTR, declaration)  # marked when collected
    return test_conformance


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark :func:`from_fixture` tests ``conformance`` (here, not in ``from_fixture``, so
    a session with the plugin disabled still imports them under ``--strict-markers``)."""
    if isinstance(item, pytest.Function) and hasattr(item.obj, _DECLARATION_ATTR):
        item.add_marker("conformance")


# -- from the command line -------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "OpenAI-compatible Gemini proxy conformance")
    group.addoption("--conformance-target", metavar="URL", help="the proxy's base URL")
    group.addoption("--conformance-api-key", metavar="KEY", help="client API key")
    group.addoption(
        "--conformance-profile",
        default="openai-core",
        choices=sorted(PROFILES),
        help="the documented contract the target claims",
    )
    group.addoption(
        "--conformance-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header field for every request to the target (repeatable; a gateway's "
        "routing fields); values of key, token and authorization fields are redacted",
    )
    group.addoption("--conformance-mock-url", metavar="URL", help="controlled mode: the mock")
    group.addoption("--conformance-model", default="gemini-2.5-flash", help="model to request")
    group.addoption(
        "--conformance-check",
        action="append",
        default=[],
        metavar="ID",
        help="run only these check ids or prefixes (repeatable)",
    )
    group.addoption(
        "--conformance-max-requests", type=int, default=None, help="send at most N requests"
    )
    group.addoption(
        "--conformance-feature",
        action="append",
        default=[],
        choices=sorted(FEATURES),
        metavar="NAME",
        help="claim a feature the profile does not, e.g. images, tts (repeatable)",
    )
    group.addoption(
        "--conformance-without-feature",
        action="append",
        default=[],
        choices=sorted(FEATURES),
        metavar="NAME",
        help="say the target does not serve a feature its profile claims, e.g. embeddings "
        "(repeatable)",
    )
    group.addoption(
        "--conformance-captures",
        metavar="DIR",
        help="controlled mode: also replay the captures of DIR (recorded Gemini answers), "
        "one differential check each; the mock must be started with --captures DIR "
        "(docs/captures.md)",
    )


def _add_captures(config: pytest.Config) -> None:
    """Register the ``--conformance-captures`` directory's probes and checks. Raises
    ``pytest.UsageError`` naming the directory when it cannot be read."""
    directory = config.getoption("conformance_captures")
    if not directory:
        return
    from .checks.captures import add_captures

    try:
        add_captures(directory)
    except ValueError as exc:  # CaptureError, a name clash, an unreadable capture
        raise pytest.UsageError(f"--conformance-captures {directory}: {exc}") from None


def _target(config: pytest.Config) -> Target | None:
    url = config.getoption("conformance_target") or os.environ.get("CONFORMANCE_TARGET")
    if not url:
        return None
    return Target(
        base_url=url,
        profile=_profile(
            config.getoption("conformance_profile"),
            config.getoption("conformance_feature"),
            config.getoption("conformance_without_feature"),
        ),
        model=config.getoption("conformance_model"),
        api_key=config.getoption("conformance_api_key") or os.environ.get("CONFORMANCE_API_KEY"),
        mock_url=config.getoption("conformance_mock_url"),
        headers=_headers(config.getoption("conformance_header")),
    )


def _headers(given: list[str]) -> tuple[tuple[str, str], ...]:
    """``--conformance-header`` values as ``(name, value)`` pairs; a malformed one is a
    usage error that names it."""
    try:
        return parse_headers(given)
    except TargetError as exc:
        raise pytest.UsageError(f"--conformance-header: {exc}") from None


def _cli_suite(session: pytest.Session) -> _Suite:
    """The command-line target's suite: the selected ``conformance::`` tests' checks, or
    every ``--conformance-check`` when none is selected (``conformance_run`` alone)."""
    config = session.config
    ids = sorted({i.check_id for i in session.items if isinstance(i, ConformanceItem)})
    select = ids or config.getoption("conformance_check") or None
    return _suite(
        config, config.stash[_TARGET_KEY], select, config.getoption("conformance_max_requests")
    )


class ConformanceCollector(pytest.Collector):
    """The ``conformance`` node the check items hang from (node ids
    ``conformance::<check id>``)."""

    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are added directly
        return []


class ConformanceItem(pytest.Item):
    """One check, as a pytest test (command-line mode)."""

    def __init__(self, *, check_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_id = check_id
        self.add_marker(pytest.mark.conformance)
        self.user_properties.extend(_check_properties(check_id))

    def runtest(self) -> None:
        _settle(_cli_suite(self.session).record(self.check_id, self.nodeid))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "conformance", None, f"conformance::{self.check_id}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a conformance check of the target proxy")
    target = _target(config)
    if target is not None:
        _add_captures(config)
        config.stash[_TARGET_KEY] = target


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if _TARGET_KEY not in config.stash:
        return
    ids = _check_ids(config.stash[_TARGET_KEY], config.getoption("conformance_check") or None)
    parent = ConformanceCollector.from_parent(session, name="conformance", nodeid="conformance")
    for check_id in ids:
        items.append(ConformanceItem.from_parent(parent, name=check_id, check_id=check_id))


@pytest.fixture(scope="session")
def conformance_target(pytestconfig: pytest.Config) -> Target:
    """The target under test; skips the test when no ``--conformance-target`` is given."""
    if _TARGET_KEY not in pytestconfig.stash:
        pytest.skip("no --conformance-target given")
    return pytestconfig.stash[_TARGET_KEY]


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest, conformance_target: Target) -> SuiteRun:
    """The shared suite run (the probes are sent once per session)."""
    suite = _cli_suite(request.session)
    suite.ensure_run()
    if suite.blocked is not None:  # each conformance:: test reports it once too
        pytest.fail(suite.blocked.reason, pytrace=False)
    assert suite.run is not None
    return suite.run
