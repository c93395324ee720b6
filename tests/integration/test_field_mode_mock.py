"""Black-box against the reference proxy in front of the mock, which answers plain
prompts like a real model (mockserver.prompted): every ``field.*`` check applies and
passes within the default request budget (issue 14; docs/field-mode.md#against-reference--mock).

The run knows nothing of the mock (a Target without ``mock_url``): the probes carry no
directive, so every shape they judge (a forced call, parallel calls, thoughts through
the reasoning doors, digits cut at a stop, a paced 40-line list...) comes from the
mock's default answers. A pass-through that drops what a real model sends makes the
matching check fail, so the passes are not vacuous.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.http import Budget
from conformance.registry import REGISTRY
from conformance.runner import BLACK_BOX_MAX_REQUESTS, SuiteRun, run_suite
from conformance.target import Target
from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app as create_proxy
from reference_impl.settings import Settings as ProxySettings
from spec.profiles import get_profile
from tests.servers import serve
from tests.zoo import Mutation, chunk_json, forwarding_proxy, mutating_proxy, rewriting_proxy

pytestmark = pytest.mark.slow

KEY = "sk-field-mock"
FIELD = sorted(i for i in REGISTRY if i.startswith("field."))


@pytest.fixture(scope="module")
def proxy() -> Iterator[str]:
    with serve(lambda: create_mock(MockSettings())) as mock:
        settings = ProxySettings(
            upstream_url=f"{mock}/v1beta",
            upstream_keys=("field-mock-key-1",),
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


def test_every_field_check_passes_within_the_default_budget(whole_run: SuiteRun) -> None:
    got = {r.check_id: (r.outcome.value, r.message) for r in whole_run.records}
    assert len(FIELD) >= 15
    assert {c: got[c] for c in FIELD if got[c][0] != "passed"} == {}
    assert whole_run.requests_sent <= BLACK_BOX_MAX_REQUESTS
    applied = sum(v != "skipped" for v, _ in got.values())
    passed = sum(v == "passed" for v, _ in got.values())
    print(
        f"black-box against reference + model-like mock: {whole_run.requests_sent} requests, "
        f"{passed} passed of {applied} applied, {whole_run.tokens_spent} tokens"
    )


def _calls_stop(chunk: dict[str, Any]) -> dict[str, Any] | None:
    for choice in chunk.get("choices", ()):
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
    return chunk


def _unary_calls_stop(status: int, body: Any) -> tuple[int, Any]:
    for choice in body.get("choices", []) if isinstance(body, dict) else []:
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
    return status, body


def _drop_reasoning(chunk: dict[str, Any]) -> dict[str, Any] | None:
    for choice in chunk.get("choices", ()):
        (choice.get("delta") or {}).pop("reasoning_content", None)
    return chunk


def _unary_drop_reasoning(status: int, body: Any) -> tuple[int, Any]:
    for choice in body.get("choices", []) if isinstance(body, dict) else []:
        (choice.get("message") or {}).pop("reasoning_content", None)
    return status, body


def _stop_ignored(status: int, body: Any) -> tuple[int, Any]:
    for choice in body.get("choices", []) if isinstance(body, dict) else []:
        message = choice.get("message") or {}
        if isinstance(message.get("content"), str) and message["content"].startswith("1, 2"):
            message["content"] = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
    return status, body


DEFECTS = [
    (
        Mutation("stop for tool calls", event=chunk_json(_calls_stop), json=_unary_calls_stop),
        "field.tool_finish_reason",
    ),
    (
        Mutation(
            "reasoning dropped",
            event=chunk_json(_drop_reasoning),
            json=_unary_drop_reasoning,
        ),
        "field.reasoning_content",
    ),
    (Mutation("stop ignored", json=_stop_ignored), "field.stop_sequence"),
]
"""Defects only a model-like answer exposes black-box, each with the check that must fail
(in front of a mock that answered plain prompts with seeded words these checks were
undecided)."""


@pytest.mark.parametrize(("mutation", "check_id"), DEFECTS, ids=[d[0].name for d in DEFECTS])
def test_defect_is_detected_black_box(proxy: str, mutation: Mutation, check_id: str) -> None:
    with serve(mutating_proxy(proxy, mutation)) as url:
        run = black_box(url, select=[check_id])
    (record,) = [r for r in run.records if r.check_id == check_id]
    assert record.outcome.value == "failed", record.message


def _signature_dropped(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """What a proxy that loses Gemini 3's thought signatures sends upstream."""
    for content in body.get("contents", []):
        for part in content.get("parts", []):
            part.pop("thoughtSignature", None)
    return body


def test_a_lost_thought_signature_is_detected_black_box() -> None:
    """The defect sits between the reference and the mock (what the proxy sends Gemini):
    the Gemini 3 tool-result turn is refused, as Gemini refuses it."""
    check_id = "field.gemini3_signature_round_trip"
    with (
        serve(lambda: create_mock(MockSettings())) as mock,
        serve(rewriting_proxy(mock, request=_signature_dropped)) as between,
    ):
        settings = ProxySettings(
            upstream_url=f"{between}/v1beta",
            upstream_keys=("field-mock-key-1",),
            api_keys=frozenset({KEY}),
        )
        with serve(lambda: create_proxy(settings)) as url:
            run = black_box(url, select=[check_id])
    (record,) = [r for r in run.records if r.check_id == check_id]
    assert record.outcome.value == "failed", record.message
    assert "'gemini-3-flash-preview'" in record.message
    assert "the thought signature was lost" in record.message


def test_the_gemini3_probe_is_skipped_without_a_gemini3_model(proxy: str) -> None:
    """A target that lists no Gemini 3 model: the probe is not sent, the check says why."""
    check_id = "field.gemini3_signature_round_trip"
    listing = {"object": "list", "data": [{"id": "gemini-2.5-flash", "object": "model"}]}

    def models(path: str, raw: bytes) -> tuple[int, Any] | None:
        return (200, listing) if path.endswith("/models") else None

    with serve(forwarding_proxy(proxy, models)) as url:
        run = black_box(url, select=[check_id])
    (record,) = [r for r in run.records if r.check_id == check_id]
    assert record.outcome.value == "skipped", record.message
    assert "no Gemini 3 model" in record.message
    assert "field_tool_gemini3" not in run.statuses
