"""The pure shapes of the mock's transport faults (mockserver.faults); the wire side is
tests/integration/test_mockserver_faults.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import catalog, faults
from mockserver.faults import Fault
from mockserver.plans import text_plan
from mockserver.responses import generate
from spec.scenarios import Directive, Scenario
from spec.sse import decode

_FLASH = catalog.lookup("gemini-2.5-flash")
assert _FLASH is not None
FLASH = _FLASH
BODY: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "the river"}]}]}


def joined(reply: Any) -> bytes:
    return b"".join(w.data for w in reply.writes)


def ordinary(**kw: Any) -> bytes:
    return joined(generate(FLASH, BODY, Directive(**kw), 7, stream=True))


@given(cut=st.integers(0, 5), split=st.sampled_from([0, 1, 7]), seed=st.integers(0, 99))
def test_cut_faults_send_the_ordinary_prefix(cut: int, split: int, seed: int) -> None:
    whole = [e.data for e in decode([ordinary(seed=seed, chunks=max(3, cut + 1))])]
    for scenario in (Scenario.RESET_DURING, Scenario.MALFORMED_CHUNK):
        d = Directive(scenario, cut_after=cut, split=split, seed=seed)
        reply = generate(FLASH, BODY, d, 7, stream=True)
        assert reply.fault is Fault(scenario.value)
        assert [e.data for e in decode([joined(reply)])] == whole[:cut]
    bad = generate(
        FLASH, BODY, Directive(Scenario.MALFORMED_EVENT, cut_after=cut, seed=seed), 7, stream=True
    )
    assert bad.fault is None  # only the JSON is broken: sent as an ordinary stream
    joined(bad).decode()  # valid UTF-8: only the JSON is broken
    events = [e.data for e in decode([joined(bad)])]
    assert events[:cut] == whole[:cut]
    assert len(events) == cut + 1
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[cut])


def test_the_malformed_chunk_tail_is_not_a_chunk_size() -> None:
    reply = generate(FLASH, BODY, Directive(Scenario.MALFORMED_CHUNK), 7, stream=True)
    size, _, rest = reply.bad_tail.partition(b"\r\n")
    assert size == faults.BAD_CHUNK_SIZE
    with pytest.raises(ValueError, match="invalid literal"):
        int(size, 16)
    assert rest.startswith(b"data: ")


def test_a_cut_past_the_last_chunk_falls_on_the_last() -> None:
    chunks = [{"candidates": []}, {"candidates": [], "usageMetadata": {}}]
    shape = faults.stream_fault(
        Scenario.RESET_DURING,
        chunks,
        text_plan(bytes(32), chunks=2, max_tokens=None),  # feeds the summary only
        Directive(Scenario.RESET_DURING, cut_after=9),
        sse=True,
    )
    assert shape.writes is not None
    assert len(shape.writes) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_silent_faults_and_the_journal_status(stream: bool) -> None:
    for scenario, status in (
        (Scenario.RESET_BEFORE, None),
        (Scenario.NEVER_ANSWER, None),
        (Scenario.TRICKLE, 200),
    ):
        reply = generate(FLASH, BODY, Directive(scenario, chunk_ms=40), 7, stream=stream)
        assert reply.fault is not None
        assert faults.journal_status(reply.fault, reply.status) == status
        assert reply.summary is None
    tick = generate(FLASH, BODY, Directive(Scenario.TRICKLE, chunk_ms=40), 7, stream=stream)
    assert tick.writes is not None
    assert tick.writes[0].delay_ms == 40


@pytest.mark.parametrize("scenario", sorted(set(Scenario) - faults.SCENARIOS))
def test_no_other_scenario_carries_a_fault(scenario: Scenario) -> None:
    for stream in (False, True):
        reply = generate(FLASH, BODY, Directive(scenario), 7, stream=stream)
        assert reply.fault is None
        assert reply.bad_tail == b""


def test_unary_faults() -> None:
    whole = generate(FLASH, BODY, Directive(), 7, stream=False).body
    cut = generate(FLASH, BODY, Directive(Scenario.RESET_DURING), 7, stream=False)
    assert cut.content_length == len(whole)
    assert joined(cut) == whole[: len(whole) // 2]
    chunked = generate(FLASH, BODY, Directive(Scenario.MALFORMED_CHUNK), 7, stream=False)
    assert chunked.content_length is None
    assert joined(chunked) + chunked.bad_tail.split(b"\r\n")[1] == whole
    half = generate(FLASH, BODY, Directive(Scenario.MALFORMED_EVENT), 7, stream=False)
    assert whole.startswith(half.body)
    half.body.decode()
    with pytest.raises(json.JSONDecodeError):
        json.loads(half.body)
