"""``stream.constant_created`` is deterministic: ``chat_stream`` spans two wall-clock
seconds in controlled mode, so a proxy that stamps ``created`` from its clock per chunk
fails it on every run; one that mints an ``id`` per chunk fails ``stream.constant_identity``;
the reference passes both.

The reference proxy (in front of the mock) behind a pass-through with exactly one of
those defects (:mod:`tests.zoo`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from itertools import count

import pytest

from conformance.runner import run_suite
from conformance.target import Target
from reports.records import Outcome, ResultRecord
from spec.profiles import get_profile
from tests.servers import mock_and_reference, serve
from tests.zoo import EventMap, Mutation, chunk_json, mutating_proxy

pytestmark = pytest.mark.slow

KEY = "sk-identity"
CHECK = "stream.constant_identity"
CREATED = "stream.constant_created"


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with mock_and_reference(KEY) as upstreams:
        yield upstreams


def verdict(upstreams: tuple[str, str], mutation: Mutation, check: str = CHECK) -> ResultRecord:
    proxy, mock = upstreams
    with serve(mutating_proxy(proxy, mutation)) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        run = run_suite(target, select=[check])
    (record,) = [r for r in run.records if r.check_id == check]
    return record


def _clock_created() -> EventMap:
    """``created`` stamped from the clock as each chunk is written (the defect seen in a
    real proxy; the id stays constant)."""
    return chunk_json(lambda chunk: {**chunk, "created": int(time.time())})


def _fresh_id() -> EventMap:
    numbers = count()
    return chunk_json(lambda chunk: {**chunk, "id": f"chatcmpl-{next(numbers)}"})


@pytest.mark.parametrize("attempt", range(3))
def test_a_clock_stamped_created_fails_every_run(upstreams: tuple[str, str], attempt: int) -> None:
    record = verdict(upstreams, Mutation("clock_created", per_stream=_clock_created), CREATED)
    assert record.outcome is Outcome.FAILED, record.message
    assert record.duration_ms >= 1100  # the mock paced the stream over two seconds
    assert "has created=" in record.message
    assert record.severity == "low"
    assert record.cause == "stream: chunk created changes within a stream"
    assert record.evidence is not None
    assert record.evidence.excerpt is not None
    chunk = json.loads(record.evidence.excerpt.replace("\\n\n", ""))
    assert chunk["created"] > 0


def test_a_fresh_id_per_chunk_fails(upstreams: tuple[str, str]) -> None:
    record = verdict(upstreams, Mutation("fresh_id", per_stream=_fresh_id))
    assert record.outcome is Outcome.FAILED
    assert record.message.startswith("chunk 1 has id='chatcmpl-1', chunk 0 had 'chatcmpl-0'")
    assert record.cause == "stream: chunk id changes within a stream"


def test_the_reference_passes(upstreams: tuple[str, str]) -> None:
    for check in (CHECK, CREATED):
        record = verdict(upstreams, Mutation("none"), check)
        assert record.outcome is Outcome.PASSED, record.message


def test_a_clock_stamped_created_alone_keeps_the_identity_check(
    upstreams: tuple[str, str],
) -> None:
    record = verdict(upstreams, Mutation("clock_created", per_stream=_clock_created))
    assert record.outcome is Outcome.PASSED, record.message
