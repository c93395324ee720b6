"""pytest plugin (entry point ``pytest11: conformance``): the conformance checks as pytest
tests, so a proxy's own CI can run them next to its unit tests::

    pytest --conformance-target http://127.0.0.1:4000 --conformance-api-key sk-...

With ``--conformance-target`` (or ``$CONFORMANCE_TARGET``) the plugin adds one test per
check (``conformance::<check id>``); they share one run of the probes (sent on the first
test). A failed check fails its test with the message and the ``curl`` reproduction, a
check that does not apply is skipped with the reason. Without a target the plugin adds
nothing. Fixtures: ``conformance_target`` (the :class:`~conformance.target.Target`) and
``conformance_run`` (the :class:`~conformance.runner.SuiteRun`), which tests can use to
write their own assertions on the records.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from reports.records import Outcome, ResultRecord
from spec.profiles import FEATURES, PROFILES, get_profile, with_features

from .http import Budget
from .registry import REGISTRY
from .runner import SuiteRun, plan, run_suite
from .target import Target

__all__ = ["ConformanceCollector", "ConformanceFailure", "ConformanceItem"]

_RUN_KEY = pytest.StashKey[SuiteRun]()
_TARGET_KEY = pytest.StashKey[Target]()


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


def _target(config: pytest.Config) -> Target | None:
    url = config.getoption("conformance_target") or os.environ.get("CONFORMANCE_TARGET")
    if not url:
        return None
    return Target(
        base_url=url,
        profile=with_features(
            get_profile(config.getoption("conformance_profile")),
            config.getoption("conformance_feature"),
        ),
        model=config.getoption("conformance_model"),
        api_key=config.getoption("conformance_api_key") or os.environ.get("CONFORMANCE_API_KEY"),
        mock_url=config.getoption("conformance_mock_url"),
    )


class ConformanceCollector(pytest.Collector):
    """The ``conformance`` node the check items hang from (node ids
    ``conformance::<check id>``)."""

    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are added directly
        return []


class ConformanceItem(pytest.Item):
    """One check, as a pytest test. ``__test__``-style helpers are not collected."""

    def __init__(self, *, check_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_id = check_id
        spec = REGISTRY[check_id]
        self.add_marker(pytest.mark.conformance)
        self.user_properties.append(("severity", spec.severity.value))
        self.user_properties.append(("source", spec.source))

    def runtest(self) -> None:
        run = _suite_run(self.config)
        record = next((r for r in run.records if r.check_id == self.check_id), None)
        if record is None:  # pragma: no cover - plan and run list the same checks
            pytest.fail(f"{self.check_id}: no result")
        if record.outcome is Outcome.SKIPPED:
            pytest.skip(record.message)
        if record.outcome in (Outcome.FAILED, Outcome.ERROR):
            raise ConformanceFailure(record)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailure):
            return excinfo.value.describe()
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "conformance", None, f"conformance::{self.check_id}"


class ConformanceFailure(AssertionError):
    """A failed (or undecided) check, carrying its result record."""

    def __init__(self, record: ResultRecord) -> None:
        super().__init__(record.message)
        self.record = record

    def describe(self) -> str:
        r = self.record
        lines = [
            f"{r.check_id} [{r.severity}] {r.outcome.value}: {r.message}",
            f"  {r.title}",
            f"  source: {r.source}",
        ]
        if r.evidence is not None:
            if r.evidence.excerpt:
                lines.append("  offending bytes:")
                lines += [f"    {line}" for line in r.evidence.excerpt.splitlines()[:20]]
            for client, verdict in r.evidence.clients.items():
                lines.append(f"  {client}: {verdict}")
            if r.evidence.curl:
                lines.append(f"  reproduce: {r.evidence.curl}")
        return "\n".join(lines)


def _suite_run(config: pytest.Config) -> SuiteRun:
    if _RUN_KEY not in config.stash:
        target = config.stash[_TARGET_KEY]
        select = config.getoption("conformance_check") or None
        config.stash[_RUN_KEY] = run_suite(
            target, select=select, budget=Budget(config.getoption("conformance_max_requests"))
        )
    return config.stash[_RUN_KEY]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a conformance check of the target proxy")
    target = _target(config)
    if target is not None:
        config.stash[_TARGET_KEY] = target


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if _TARGET_KEY not in config.stash:
        return
    the_plan = plan(config.stash[_TARGET_KEY], select=config.getoption("conformance_check") or None)
    ids = sorted([*(s.id for s in the_plan.checks), *the_plan.skipped])
    parent = ConformanceCollector.from_parent(session, name="conformance")
    for check_id in ids:
        items.append(ConformanceItem.from_parent(parent, name=check_id, check_id=check_id))


@pytest.fixture(scope="session")
def conformance_target(pytestconfig: pytest.Config) -> Target:
    """The target under test; skips the test when no ``--conformance-target`` is given."""
    if _TARGET_KEY not in pytestconfig.stash:
        pytest.skip("no --conformance-target given")
    return pytestconfig.stash[_TARGET_KEY]


@pytest.fixture(scope="session")
def conformance_run(pytestconfig: pytest.Config, conformance_target: Target) -> SuiteRun:
    """The shared suite run (the probes are sent once per session)."""
    return _suite_run(pytestconfig)
