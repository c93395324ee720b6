"""The load-only checks (conformance.load.crosstalk, limits, latency) on hand-built runs:
each passes a good run and fails the precise defect it names, with evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from conformance.load.base import LOAD_CHECKS, LoadFailure, LoadRun, Thresholds
from conformance.load.judge import judge_load, load_record
from conformance.load.limits import max_overlap
from conformance.load.stats import summarize
from conformance.load.wire import Recorded
from conformance.registry import NotApplicable, Undecided
from conformance.target import Target
from reports.records import Outcome
from spec.profiles import get_profile
from tests.factories import (
    chunk,
    completion,
    error_exchange,
    journal,
    json_exchange,
    sse,
    stream_exchange,
)

TEXTS = {
    "r.chat.0.0.0": "clouds across answer green bridge tea stone count under",
    "r.chat.0.1.0": "bells old carries is café answer boats before where",
    "r.chat.0.2.0": "river quiet lamp morning salt wind orange paper glass",
}


def key(n: int) -> list[dict[str, str]]:
    return [{"where": "header:x-goog-api-key", "sha256": f"key{n}"}]


def unary(cid: str, got: str, own: str, *, credential: int = 0, at: float = 0.0) -> Recorded:
    x = json_exchange(
        "chat",
        completion({"role": "assistant", "content": got}, id=f"chatcmpl-{cid}"),
        upstream=journal(text=own, credentials=key(credential)),
    )
    return Recorded(replace(x, started_at=at, elapsed_s=0.1), cid, "host-a")


def run_of(items: Sequence[Recorded], *, profile: str = "openai-core", **kw: Any) -> LoadRun:
    summary = summarize(
        items,
        users=2,
        spawn_rate=1,
        duration_s=1,
        workers=0,
        documented_limits=bool(get_profile(profile).rate_limits),
    )
    return LoadRun(
        items=list(items),
        profile=get_profile(profile),
        controlled=kw.pop("controlled", True),
        summary=summary,
        **kw,
    )


def check(name: str, run: LoadRun) -> str | None:
    return LOAD_CHECKS[name].func(run)


# ----------------------------------------------------------------------------- cross talk


def test_cross_talk_passes_answers_that_hold_their_own_upstream_text() -> None:
    items = [unary(cid, text, text) for cid, text in TEXTS.items()]
    assert "3 answers hold exactly their own upstream text" in (
        check("load.cross_talk", run_of(items)) or ""
    )


def test_cross_talk_names_the_request_whose_text_an_answer_carries() -> None:
    cids = list(TEXTS)
    items = [unary(cids[0], TEXTS[cids[1]], TEXTS[cids[0]])] + [
        unary(cid, TEXTS[cid], TEXTS[cid]) for cid in cids[1:]
    ]
    with pytest.raises(LoadFailure) as caught:
        check("load.cross_talk", run_of(items))
    assert f"the answer to {cids[0]}" in caught.value.message
    assert f"for {cids[1]}" in caught.value.message
    assert caught.value.item is items[0]


def test_cross_talk_ignores_a_text_that_differs_without_another_requests_words() -> None:
    cids = list(TEXTS)
    items = [unary(cids[0], "a proxy's own rewording entirely", TEXTS[cids[0]])] + [
        unary(cid, TEXTS[cid], TEXTS[cid]) for cid in cids[1:]
    ]
    note = check("load.cross_talk", run_of(items)) or ""
    assert "1 differ without another request's words" in note


def test_cross_talk_catches_a_stream_carrying_another_answers_id() -> None:
    mine = [
        chunk({"role": "assistant", "content": ""}, id="chatcmpl-A"),
        chunk({"content": "x"}, id="chatcmpl-B"),
    ]
    theirs = [chunk({"role": "assistant", "content": ""}, id="chatcmpl-B")]
    a = Recorded(stream_exchange("chat_stream", sse(*mine)), "r.chat_stream.0.0.0")
    b = Recorded(stream_exchange("chat_stream", sse(*theirs)), "r.chat_stream.0.1.0")
    with pytest.raises(
        LoadFailure, match=re.escape("'chatcmpl-B', the id of the answer to r.chat_stream.0.1.0")
    ):
        check("load.cross_talk", run_of([b, a]))


def test_cross_talk_in_black_box_reads_the_nonces() -> None:
    def answer(cid: str, nonce: str, text: str) -> Recorded:
        x = json_exchange("chat", completion({"role": "assistant", "content": text}, id=cid))
        return Recorded(x, cid, "h", nonce)

    good = [
        answer("c1", "ldn-000000000001", "ldn-000000000001 hello"),
        answer("c2", "ldn-000000000002", "hi"),
    ]
    assert "1 answers repeated their own nonce" in (
        check("load.cross_talk", run_of(good, controlled=False)) or ""
    )
    bad = [*good, answer("c3", "ldn-000000000003", "ldn-000000000001 hello")]
    with pytest.raises(LoadFailure, match="carries ldn-000000000001, the nonce of c1"):
        check("load.cross_talk", run_of(bad, controlled=False))
    with pytest.raises(Undecided, match="no answer repeated its nonce"):
        check("load.cross_talk", run_of([good[1]], controlled=False))


# --------------------------------------------------------------------------- limits, keys


def test_max_overlap_counts_spans_open_at_once() -> None:
    assert max_overlap([(0, 2), (1, 3), (2, 4)]) == (2, 1)
    assert max_overlap([(0, 1), (1, 2)]) == (1, 0)
    assert max_overlap([]) == (0, 0.0)


def refused(cid: str, *, retry_after: str | None = "5", at: float = 0.0) -> Recorded:
    headers = (("retry-after", retry_after),) if retry_after is not None else ()
    x = error_exchange("chat", 429, "rate limited", headers=headers)
    return Recorded(replace(x, started_at=at, profile="openai-core"), cid, "host-a")


def test_throttle_retry_after_fails_a_429_without_it_and_passes_one_with_it() -> None:
    good = [unary("c0", "a b c d", "a b c d"), refused("c1")]
    assert "1 own 429s" in (check("load.throttle_retry_after", run_of(good)) or "")
    with pytest.raises(LoadFailure, match="1 of the target's 2 own 429s fail: first \\(c2\\)"):
        check("load.throttle_retry_after", run_of([*good, refused("c2", retry_after=None)]))
    with pytest.raises(NotApplicable):
        check("load.throttle_retry_after", run_of(good[:1]))


def reverse_unary(cid: str, at: float, elapsed: float = 0.1) -> Recorded:
    item = unary(cid, "a b c d", "a b c d", at=at)
    x = replace(item.exchange, upstream=(), elapsed_s=elapsed, profile="gemini-reverse")
    return replace(item, exchange=x)


def test_documented_limits_fail_two_admitted_requests_for_one_model_too_close() -> None:
    items = [reverse_unary("c0", 0.0), reverse_unary("c1", 1.0), refused("c2", at=1.1)]
    with pytest.raises(LoadFailure, match=r"same-model interval: two requests .* 1\.00 s apart"):
        check("load.documented_limits", run_of(items, profile="gemini-reverse", controlled=False))


def test_documented_limits_fail_more_than_two_in_flight() -> None:
    items = [reverse_unary(f"c{i}", 6.0 * i, elapsed=30.0) for i in range(3)] + [refused("r", at=1)]
    with pytest.raises(LoadFailure, match="max concurrency: 3 admitted requests were in flight"):
        check("load.documented_limits", run_of(items, profile="gemini-reverse", controlled=False))


def test_documented_limits_pass_spaced_requests_and_refusals() -> None:
    items = [
        reverse_unary("c0", 0.0),
        reverse_unary("c1", 5.1),
        refused("r1", at=1),
        refused("r2", at=2),
    ]
    note = check(
        "load.documented_limits", run_of(items, profile="gemini-reverse", controlled=False)
    )
    assert "2 requests admitted within the limits" in (note or "")
    with pytest.raises(Undecided, match="never reached a documented limit"):
        check(
            "load.documented_limits", run_of(items[:2], profile="gemini-reverse", controlled=False)
        )
    with pytest.raises(NotApplicable):
        check("load.documented_limits", run_of(items))


def test_key_spread_fails_a_proxy_that_hands_every_call_to_one_key() -> None:
    even = [unary(f"c{i}", "a b c d", "a b c d", credential=i % 2) for i in range(60)]
    assert "60 upstream calls over 2 keys" in (check("load.key_spread", run_of(even)) or "")
    one = [unary(f"c{i}", "a b c d", "a b c d", credential=0) for i in range(60)]
    with pytest.raises(LoadFailure, match="1 key\\(s\\) never used"):
        check("load.key_spread", run_of(one, upstream_keys=2))
    with pytest.raises(NotApplicable, match="one upstream key"):
        check("load.key_spread", run_of(one))
    with pytest.raises(Undecided, match="too few"):
        check("load.key_spread", run_of(even[:10]))


# ---------------------------------------------------------------------- error rate, latency


def slow(cid: str, seconds: float, status: int = 200) -> Recorded:
    x = unary(cid, "a b c d", "a b c d").exchange
    return Recorded(replace(x, elapsed_s=seconds, status=status), cid)


def test_error_rate_fails_over_the_threshold_naming_the_kinds() -> None:
    items = [slow(f"c{i}", 0.1) for i in range(98)] + [slow("e1", 0.1, 502), slow("e2", 0.1, 502)]
    assert "2 errors in 100 answers" in (
        check("load.error_rate", run_of(items, thresholds=Thresholds(0.05))) or ""
    )
    with pytest.raises(LoadFailure, match=re.escape("over the threshold of 1.00 %: HTTP 502: 2")):
        check("load.error_rate", run_of(items))


def test_latency_is_skipped_without_a_threshold_and_fails_above_one() -> None:
    items = [slow(f"c{i}", 0.1) for i in range(19)] + [slow("late", 3.0)]
    with pytest.raises(NotApplicable, match="no latency threshold"):
        check("load.latency", run_of(items))
    assert check("load.latency", run_of(items, thresholds=Thresholds(p95_ms=200))) is not None
    with pytest.raises(LoadFailure, match=r"p99 3000 ms > 1000 ms.*slowest answer \(late\)"):
        check("load.latency", run_of(items, thresholds=Thresholds(p99_ms=1000)))


def test_ttft_judges_streams_only() -> None:
    x = stream_exchange("chat_stream", [b"data: {}\n\n", b"data: [DONE]\n\n"])
    items = [Recorded(replace(x, chunks=((0.9, b"data: {}\n\n"),)), "s1")]
    with pytest.raises(LoadFailure, match="p95 900 ms > 500 ms"):
        check("load.ttft", run_of(items, thresholds=Thresholds(ttft_p95_ms=500)))
    with pytest.raises(Undecided):
        check("load.ttft", run_of([slow("c", 0.1)], thresholds=Thresholds(ttft_p95_ms=500)))


# ------------------------------------------------------------------------------- records


def test_a_failing_load_check_record_carries_the_answers_evidence() -> None:
    cids = list(TEXTS)
    items = [
        unary(cids[0], TEXTS[cids[1]], TEXTS[cids[0]]),
        unary(cids[1], TEXTS[cids[1]], TEXTS[cids[1]]),
    ]
    target = Target("http://127.0.0.1:1", get_profile("openai-core"), mock_url="http://127.0.0.1:2")
    record = load_record(LOAD_CHECKS["load.cross_talk"], run_of(items), target)
    assert record.outcome is Outcome.FAILED
    assert record.docs == "docs/checks/load.md#loadcross_talk"
    assert record.evidence is not None
    assert record.evidence.curl is not None
    assert "answer boats before where" in str(record.evidence.response)
    assert f"for {cids[1]}" in (record.evidence.excerpt or "")


def test_per_exchange_checks_judge_every_answer_and_name_the_failing_ones() -> None:
    target = Target("http://127.0.0.1:1", get_profile("openai-core"))
    good = json_exchange("chat", completion())
    bad = json_exchange("chat", b"not json")
    items = [Recorded(replace(good, profile="openai-core"), f"g{i}") for i in range(5)]
    items.append(Recorded(replace(bad, profile="openai-core"), "bad1"))
    run = run_of(items, controlled=False)
    records = {r.check_id: r for r in judge_load(run, target, probes=["chat"])}
    shape = records["chat.completion_shape"]
    assert shape.outcome is Outcome.FAILED
    assert shape.message.startswith("1 of 6 answers fail (first: bad1)")
    assert shape.evidence is not None
    assert "not json" in str(shape.evidence.response)
    assert records["load.cross_talk"].outcome is Outcome.ERROR  # black-box, no nonces


def test_throttled_answers_are_left_to_the_throttling_checks() -> None:
    target = Target("http://127.0.0.1:1", get_profile("openai-core"))
    items = [Recorded(replace(json_exchange("chat", completion()), profile="openai-core"), "g")]
    items.append(refused("t"))
    records = {
        r.check_id: r for r in judge_load(run_of(items, controlled=False), target, probes=["chat"])
    }
    assert records["chat.completion_shape"].message == "1 answers pass"
    assert records["load.throttle_retry_after"].outcome is Outcome.PASSED


def test_every_load_check_has_its_section_and_cites_what_exists() -> None:
    from pathlib import Path

    from tests.unit.test_docs import anchors, cited_docs

    root = Path(__file__).resolve().parents[2]
    page = root / "docs" / "checks" / "load.md"
    headings = page.read_text("utf-8").splitlines()
    for spec in LOAD_CHECKS.values():
        assert f"## {spec.id}" in headings, spec.id
        path, _, anchor = spec.docs.partition("#")
        assert anchor in anchors(root / path)
        for item in cited_docs(spec.source):
            cited, _, where = item.partition("#")
            assert (root / cited).is_file(), item
            assert not where or where in anchors(root / cited), item


def test_judging_in_several_processes_gives_the_records_of_one() -> None:
    from conformance.load.judge import (
        judge_exchanges,
        judge_in_parallel,
        per_exchange_checks,
        tally_record,
    )

    target = Target("http://127.0.0.1:1", get_profile("openai-core"))
    good = replace(json_exchange("chat", completion()), profile="openai-core")
    bad = replace(json_exchange("chat", b"not json"), profile="openai-core")
    items = [Recorded(bad if i % 97 == 5 else good, f"c{i}") for i in range(200)]
    checks = per_exchange_checks(target, ["chat"])
    one = judge_exchanges(items, checks, controlled=False)
    two = judge_in_parallel(items, checks, controlled=False, processes=2)
    assert [tally_record(t, target) for t in one.values()] == [
        tally_record(t, target) for t in two.values()
    ]
    assert two["chat.completion_shape"].failed == 3
