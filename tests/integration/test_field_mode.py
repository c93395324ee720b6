"""Field mode end to end: the black-box catalogue against the reference proxy in front of
the mock (no --mock-url: the run knows nothing of the mock), within the default budget,
and the defects a model's answer exposes detected black-box through a pass-through that
injects them (the pattern of test_defect_zoo.py).

The mock answers directive-less requests like a real model, so every field check
applies and passes against the reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.http import Budget
from conformance.oracles_node import node_unavailable
from conformance.registry import REGISTRY
from conformance.runner import BLACK_BOX_MAX_REQUESTS, SuiteRun, reads_field_probes, run_suite
from conformance.target import Target
from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app as create_proxy
from reference_impl.settings import Settings as ProxySettings
from spec.profiles import get_profile
from tests.servers import serve
from tests.zoo import Mutation, chunk_json, mutating_proxy

pytestmark = pytest.mark.slow

KEY = "sk-field"
FIELD = sorted(i for i in REGISTRY if i.startswith("field."))
TWINS = sorted(
    i for i, spec in REGISTRY.items() if spec.area != "field" and reads_field_probes(spec)
)
"""Black-box twins: checks of other areas that read only field probes."""
PASSING_NOW = {check_id for check_id in REGISTRY if check_id.startswith("field.")}
"""Every field check: the mock answers directive-less requests like a real model (a
forced call, parallel calls, thought text on includeThoughts, a paced numbered list,
digits for a count: docs/field-mode.md#against-reference--mock)."""


@pytest.fixture(scope="module")
def proxy() -> Iterator[str]:
    with serve(lambda: create_mock(MockSettings())) as mock:
        settings = ProxySettings(
            upstream_url=f"{mock}/v1beta",
            upstream_keys=("field-key-1",),
            api_keys=frozenset({KEY}),
        )
        with serve(lambda: create_proxy(settings)) as url:
            yield url


def black_box(url: str, select: list[str] | None = None) -> SuiteRun:
    target = Target(url, get_profile("openai-core"), api_key=KEY)
    return run_suite(target, select=select, budget=Budget(BLACK_BOX_MAX_REQUESTS))


@pytest.fixture(scope="module")
def whole_run(proxy: str) -> SuiteRun:
    return black_box(proxy)


def outcomes(run: SuiteRun) -> dict[str, str]:
    return {r.check_id: r.outcome.value for r in run.records}


MIN_BLACK_BOX = 85
"""Issue 14: black-box against the reference + mock, at least this many checks apply and
pass, within :data:`BLACK_BOX_MAX_REQUESTS` requests."""


def test_every_field_check_applies_within_the_default_budget(whole_run: SuiteRun) -> None:
    got = outcomes(whole_run)
    assert whole_run.requests_sent <= BLACK_BOX_MAX_REQUESTS
    assert {c: got[c] for c in FIELD if got[c] == "skipped"} == {}
    assert set(FIELD) == PASSING_NOW
    assert {c: got[c] for c in PASSING_NOW if got[c] != "passed"} == {}
    applied = sum(v != "skipped" for v in got.values())
    passed = sum(v == "passed" for v in got.values())
    print(
        f"black-box against reference + mock: {whole_run.requests_sent} requests "
        f"(cap {BLACK_BOX_MAX_REQUESTS}), {applied} checks applied, {passed} passed, "
        f"{len(TWINS)} of them black-box twins reading the field probes, "
        f"{whole_run.tokens_spent} tokens"
    )
    assert applied >= MIN_BLACK_BOX
    assert passed >= MIN_BLACK_BOX


def test_every_black_box_twin_of_the_field_probes_passes(whole_run: SuiteRun) -> None:
    """The checks outside ``field.*`` that read only field probes (SDK replays, stream
    and reasoning rules on a real model's answers) apply and pass, openai-node's too
    (skipped only when node is not installed)."""
    got = outcomes(whole_run)
    assert len(TWINS) >= 20
    node = node_unavailable()
    expected = {c: "skipped" if node and ".openai_node." in c else "passed" for c in TWINS}
    assert {c: got[c] for c in TWINS} == expected


def test_no_black_box_check_fails_on_the_reference(whole_run: SuiteRun) -> None:
    failed = {
        r.check_id: r.message for r in whole_run.records if r.outcome.value in ("failed", "error")
    }
    assert failed == {}


def test_tokens_are_counted_from_usage(whole_run: SuiteRun) -> None:
    assert whole_run.tokens_spent > 0
    assert whole_run.answers_with_usage > 0
    assert whole_run.models["reasoning"] == "gemini-2.5-flash"


def _finish(old: str, new: str) -> Any:
    def run(status: int, body: Any) -> tuple[int, Any]:
        for choice in body.get("choices", []) if isinstance(body, dict) else []:
            if choice.get("finish_reason") == old:
                choice["finish_reason"] = new
        return status, body

    return run


def _fold_thoughts(status: int, body: Any) -> tuple[int, Any]:
    for choice in body.get("choices", []) if isinstance(body, dict) else []:
        message = choice.get("message") or {}
        if isinstance(message.get("content"), str):
            message["content"] = "<think>17*20=340</think>" + message["content"]
    return status, body


def _fence_json(status: int, body: Any) -> tuple[int, Any]:
    for choice in body.get("choices", []) if isinstance(body, dict) else []:
        message = choice.get("message") or {}
        if isinstance(message.get("content"), str):
            message["content"] = "```json\n" + message["content"] + "\n```"
    return status, body


def _one_choice(status: int, body: Any) -> tuple[int, Any]:
    if isinstance(body, dict) and isinstance(body.get("choices"), list):
        body["choices"] = body["choices"][:1]
    return status, body


def _same(chunk: dict[str, Any]) -> dict[str, Any] | None:
    return chunk


DEFECTS = [
    (Mutation("length as stop", json=_finish("length", "stop")), "field.length_finish"),
    (Mutation("thoughts folded into content", json=_fold_thoughts), "field.no_thought_markers"),
    (Mutation("structured output fenced", json=_fence_json), "field.structured_output"),
    (Mutation("n dropped", json=_one_choice), "field.n_choices"),
]
"""Defects a real model's answer exposes black-box, each with the check that must fail."""


@pytest.mark.parametrize(("mutation", "check_id"), DEFECTS, ids=[d[0].name for d in DEFECTS])
def test_defect_is_detected_black_box(proxy: str, mutation: Mutation, check_id: str) -> None:
    with serve(mutating_proxy(proxy, mutation)) as url:
        run = black_box(url, select=[check_id])
    (record,) = [r for r in run.records if r.check_id == check_id]
    assert record.outcome.value == "failed", record.message


def test_a_buffering_proxy_is_caught_when_the_answer_is_long(proxy: str) -> None:
    """The long list arrives through a pass-through that holds every event back and sends
    them at once: field.stream_not_buffered fails (or is undecided while the mock's answer
    is too short to time), never passes."""
    held: list[bytes] = []

    def hold(event: bytes) -> list[bytes]:
        held.append(event)
        if b"[DONE]" not in event:
            return []
        out, held[:] = list(held), []
        return [b"".join(out)]

    with serve(mutating_proxy(proxy, Mutation("buffered", per_stream=lambda: hold))) as url:
        run = black_box(url, select=["field.stream_not_buffered"])
    (record,) = [r for r in run.records if r.check_id == "field.stream_not_buffered"]
    assert record.outcome.value in ("failed", "error"), record.message


def test_a_pass_through_that_reserialises_chunks_breaks_nothing(proxy: str) -> None:
    """A pass-through that rewrites every chunk's JSON unchanged: no false alarm."""
    identity = Mutation("identity", event=chunk_json(_same))
    with serve(mutating_proxy(proxy, identity)) as url:
        run = black_box(url, select=["field."])
    got = outcomes(run)
    assert {c: got[c] for c in PASSING_NOW if got[c] != "passed"} == {}
