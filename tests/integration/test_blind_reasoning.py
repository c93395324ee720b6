"""Reasoning through every door (issue 12 item 6), end to end.

Clients ask for thoughts three ways: ``reasoning_effort``, Google's documented
``extra_body.google.thinking_config`` and a thinking model by name. The reference proxy
(in front of the mock) behind a gate that leaks thoughts the ways real proxies did:
``<think>`` tags in ``content``, thought text joined to the answer with ``\\n\\n|>``,
``delta.reasoning`` instead of ``reasoning_content``, and a proxy that maps
``reasoning_effort`` carefully but leaks on the ``extra_body`` door. The per-door checks
fail naming the door; ``reasoning.doors`` reports which doors are honoured; the reference
passes everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.runner import run_suite
from conformance.target import Target
from reports.records import ResultRecord
from spec.profiles import get_profile
from tests.gate import Gate, Refusal, gated_proxy
from tests.servers import mock_and_reference, serve
from tests.zoo import Mutation, chunk_json

pytestmark = pytest.mark.slow

KEY = "sk-doors"
SELECT = ["reasoning.no_thoughts_in_content", "reasoning.reasoning_content", "reasoning.doors"]
LEAK_IDS = {
    f"reasoning.no_thoughts_in_content{door}{path}"
    for door in ("", ".extra_body", ".model")
    for path in ("", ".stream")
}
FIELD_IDS = {i.replace("no_thoughts_in_content", "reasoning_content") for i in LEAK_IDS}


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with mock_and_reference(KEY) as upstreams:
        yield upstreams


def run(upstreams: tuple[str, str], gate: Gate) -> dict[str, ResultRecord]:
    proxy, mock = upstreams
    with serve(gated_proxy(proxy, gate)) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        return {r.check_id: r for r in run_suite(target, select=SELECT).records}


def failed(records: dict[str, ResultRecord]) -> dict[str, str]:
    return {k: r.message for k, r in records.items() if r.outcome.value in ("failed", "error")}


def moving_thoughts(join: Callable[[str, str], str], field: str = "content") -> Mutation:
    """Thoughts taken out of ``reasoning_content`` and put in ``field``: into ``content``
    with ``join(thought, answer)``, or alone under another name."""

    def move(holder: dict[str, Any]) -> None:
        thought = holder.pop("reasoning_content", None)
        if not thought:
            return
        if field == "content":
            holder["content"] = join(thought, holder.get("content") or "")
        else:
            holder[field] = thought

    def chunk(value: dict[str, Any]) -> dict[str, Any]:
        for choice in value.get("choices", ()):
            move(choice.get("delta", {}))
        return value

    def unary(status: int, body: Any) -> tuple[int, Any]:
        if status == 200 and isinstance(body, dict):
            for choice in body.get("choices", ()):
                move(choice.get("message", {}))
        return status, body

    return Mutation(f"thoughts_to_{field}", event=chunk_json(chunk), json=unary)


THINK_TAGS = moving_thoughts(lambda thought, answer: f"<think>{thought}</think>{answer}")
PIPE_JOIN = moving_thoughts(lambda thought, answer: f"{thought}\n\n|>{answer}")
REASONING_FIELD = moving_thoughts(lambda t, a: a, field="reasoning")


def everywhere(mutation: Mutation) -> Gate:
    return lambda path, body: mutation


def test_the_reference_honours_every_door_and_passes(upstreams: tuple[str, str]) -> None:
    records = run(upstreams, everywhere(Mutation("none")))
    assert failed(records) == {}
    assert {k for k, r in records.items() if r.outcome.value == "passed"} >= (
        LEAK_IDS | FIELD_IDS | {"reasoning.doors"}
    )
    note = records["reasoning.doors"].message
    for door in ("reasoning_effort", "extra_body.google.thinking_config", "thinking model"):
        assert door in note, note
    assert "ignored" not in note
    assert "refused" not in note


@pytest.mark.parametrize(
    ("mutation", "fragment"),
    [(THINK_TAGS, "<think> tags"), (PIPE_JOIN, "thought text appears in `content`")],
    ids=["think_tags", "pipe_join"],
)
def test_thoughts_in_content_fail_at_every_door(
    upstreams: tuple[str, str], mutation: Mutation, fragment: str
) -> None:
    records = run(upstreams, everywhere(mutation))
    found = failed(records)
    assert set(found) == LEAK_IDS | FIELD_IDS, found
    for check_id in LEAK_IDS:
        assert fragment in found[check_id], found[check_id]
    assert (
        "door: extra_body.google.thinking_config"
        in found["reasoning.no_thoughts_in_content.extra_body"]
    )
    assert "door: a thinking model by name" in found["reasoning.no_thoughts_in_content.model"]
    evidence = records["reasoning.no_thoughts_in_content.extra_body.stream"].evidence
    assert evidence is not None
    assert evidence.request is not None
    assert evidence.request["body"]["extra_body"]["google"]["thinking_config"]["include_thoughts"]
    # the doors summary says what happened, and does not repeat the leak as a failure
    assert records["reasoning.doors"].outcome.value == "passed"
    assert "leaks" in records["reasoning.doors"].message


def test_thoughts_in_delta_reasoning_fail_reasoning_content(upstreams: tuple[str, str]) -> None:
    records = run(upstreams, everywhere(REASONING_FIELD))
    found = failed(records)
    assert set(found) == FIELD_IDS, found
    for check_id in FIELD_IDS:
        assert "it is in `reasoning`" in found[check_id], found[check_id]
    assert (
        "(door: extra_body.google.thinking_config"
        in found["reasoning.reasoning_content.extra_body.stream"]
    )
    assert "misplaced" in records["reasoning.doors"].message


def test_a_leak_on_the_extra_body_door_only_is_caught_there(upstreams: tuple[str, str]) -> None:
    def gate(path: str, body: Any) -> Mutation | None:
        return THINK_TAGS if isinstance(body, dict) and "extra_body" in body else None

    records = run(upstreams, gate)
    found = failed(records)
    assert set(found) == {
        "reasoning.no_thoughts_in_content.extra_body",
        "reasoning.no_thoughts_in_content.extra_body.stream",
        "reasoning.reasoning_content.extra_body",
        "reasoning.reasoning_content.extra_body.stream",
    }, found
    assert (
        "door: extra_body.google.thinking_config"
        in found["reasoning.no_thoughts_in_content.extra_body"]
    )
    assert records["reasoning.no_thoughts_in_content"].outcome.value == "passed"
    assert records["reasoning.no_thoughts_in_content.stream"].outcome.value == "passed"


def _refusing(marker: str) -> Gate:
    def gate(path: str, body: Any) -> Refusal | None:
        if isinstance(body, dict) and marker in body:
            message = f"Unrecognized request argument supplied: {marker}"
            return 400, {"error": {"message": message, "type": "invalid_request_error"}}
        return None

    return gate


def test_a_refused_extra_body_door_is_reported_not_failed(upstreams: tuple[str, str]) -> None:
    records = run(upstreams, _refusing("extra_body"))
    assert failed(records) == {}
    note = records["reasoning.doors"].message
    assert "refused (HTTP 400)" in note
    assert records["reasoning.no_thoughts_in_content.extra_body"].outcome.value == "skipped"


def test_a_refused_reasoning_effort_fails_the_doors_check(upstreams: tuple[str, str]) -> None:
    records = run(upstreams, _refusing("reasoning_effort"))
    found = failed(records)
    assert set(found) == {"reasoning.doors"}, found
    assert (
        "[thoughts] asking for reasoning through reasoning_effort 'high'"
        in found["reasoning.doors"]
    )
    assert "HTTP 400" in found["reasoning.doors"]
    assert "the proxy refused the request itself" in found["reasoning.doors"]
