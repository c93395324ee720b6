"""generationConfig.candidateCount: N candidates, unary and interleaved streams (pure)."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.envelopes import stream_order
from mockserver.errors import GoogleError
from mockserver.plans import THOUGHT_TOKENS, text_plan, with_candidates
from mockserver.request import MAX_CANDIDATES, validate_generate
from mockserver.responses import Reply, generate, handle_generate
from mockserver.summary import summarize
from spec.mock_admin import GenerateSummary
from spec.scenarios import Directive, Scenario
from spec.sse import decode


def model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


FLASH = model("gemini-2.5-flash")
PRO3 = model("gemini-3-pro-preview")


def body(count: Any = 3, text: str = "Name three rivers please", **config: Any) -> dict[str, Any]:
    generation = {"candidateCount": count, **config} if count is not None else config
    out: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if generation:
        out["generationConfig"] = generation
    return out


def run(
    request: dict[str, Any],
    *,
    stream: bool = False,
    sse: bool = True,
    model: ModelInfo = FLASH,
    **directive: Any,
) -> Reply:
    return generate(model, request, Directive(**directive), 0, stream=stream, sse=sse)


def summary_of(reply: Reply) -> GenerateSummary | None:
    """The journal's summary of a generate call's reply (never a media or image one)."""
    return cast("GenerateSummary | None", reply.summary)


def unary(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    out: dict[str, Any] = json.loads(reply.body)
    return out


def chunks_of(reply: Reply) -> list[dict[str, Any]]:
    assert reply.status == 200
    assert reply.writes is not None
    data = b"".join(w.data for w in reply.writes)
    return [json.loads(e.data) for e in decode([data])]


def answer(candidate: dict[str, Any]) -> str:
    parts = candidate.get("content", {}).get("parts", [])
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


# ----------------------------------------------------------------------------- unary


def test_unary_has_n_candidates_with_indexes_texts_and_usage_sum() -> None:
    whole = unary(run(body(3)))
    candidates = whole["candidates"]
    assert [c["index"] for c in candidates] == [0, 1, 2]
    assert [c["finishReason"] for c in candidates] == ["STOP"] * 3
    texts = [answer(c) for c in candidates]
    assert len(set(texts)) == 3  # every candidate says something else
    assert all(len(t.split()) == 12 for t in texts)
    usage = whole["usageMetadata"]
    assert usage["candidatesTokenCount"] == sum(len(t.split()) for t in texts) == 36
    # gemini-2.5-flash thinks: every candidate's thought tokens are counted too
    assert usage["thoughtsTokenCount"] == 3 * THOUGHT_TOKENS
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + 36 + 3 * THOUGHT_TOKENS
    assert usage["promptTokenCount"] == 4


def test_one_candidate_when_unset_zero_or_one() -> None:
    for count in (None, 0, 1):
        candidates = unary(run(body(count)))["candidates"]
        assert [c["index"] for c in candidates] == [0]


@pytest.mark.parametrize("count", [2, 3, 5, MAX_CANDIDATES])
def test_candidate_zero_is_the_single_answer_of_the_same_key(count: int) -> None:
    # candidate 0 is exactly what a one-candidate plan says for the same request key
    key = bytes(range(32))
    first = text_plan(key, chunks=3, max_tokens=None)
    plan = with_candidates(first, key, count, lambda k, i: text_plan(k, chunks=3, max_tokens=None))
    assert plan.pieces == first.pieces
    assert len(plan.others) == count - 1
    texts = summarize(plan)["texts"]
    assert len(set(texts)) == count
    again = with_candidates(first, key, count, lambda k, i: text_plan(k, chunks=3, max_tokens=None))
    assert again == plan  # deterministic


def test_texts_differ_even_when_one_word_is_allowed() -> None:
    # with maxOutputTokens 1 two candidates could draw the same word: a later key is taken
    # (a model that does not think: a thinking one spends the one token on thoughts)
    whole = unary(run(body(MAX_CANDIDATES, maxOutputTokens=1), model=model("gemini-2.0-flash")))
    texts = [answer(c) for c in whole["candidates"]]
    assert len(texts) == MAX_CANDIDATES
    assert len(set(texts)) == MAX_CANDIDATES
    assert {c["finishReason"] for c in whole["candidates"]} == {"MAX_TOKENS"}
    assert whole["usageMetadata"]["candidatesTokenCount"] == MAX_CANDIDATES


# ----------------------------------------------------------------------------- stream


@pytest.mark.parametrize("chunks", [1, 3, 5])
def test_stream_interleaves_one_candidate_per_chunk(chunks: int) -> None:
    request = body(3)
    got = chunks_of(run(request, stream=True, chunks=chunks))
    whole = unary(run(request, chunks=chunks))
    assert len(got) == 3 * chunks
    assert all(len(c["candidates"]) == 1 for c in got)
    indexes = [c["candidates"][0]["index"] for c in got]
    assert indexes == [0, 1, 2] * chunks  # round robin
    assert len({(c["responseId"], c["modelVersion"]) for c in got}) == 1
    deltas: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for chunk in got:
        candidate = chunk["candidates"][0]
        assert len(candidate["content"]["parts"]) == 1
        deltas[candidate["index"]].append(answer(candidate))
    assert ["".join(deltas[i]) for i in range(3)] == [answer(c) for c in whole["candidates"]]


def test_stream_finish_reason_per_candidate_on_its_last_chunk() -> None:
    got = chunks_of(run(body(3), stream=True, chunks=4))
    last_of = {c["candidates"][0]["index"]: n for n, c in enumerate(got)}
    for n, chunk in enumerate(got):
        candidate = chunk["candidates"][0]
        has = "finishReason" in candidate
        assert has == (last_of[candidate["index"]] == n), (n, candidate)
    assert [got[n]["candidates"][0]["finishReason"] for n in sorted(last_of.values())] == [
        "STOP"
    ] * 3


def test_stream_usage_is_cumulative_over_all_candidates() -> None:
    request = body(3)
    got = chunks_of(run(request, stream=True))
    so_far = 0
    for chunk in got:
        so_far += len(answer(chunk["candidates"][0]).split())
        usage = chunk["usageMetadata"]
        assert usage["candidatesTokenCount"] == so_far
        thoughts = usage["thoughtsTokenCount"]  # cumulative too: each candidate thinks
        assert usage["totalTokenCount"] == usage["promptTokenCount"] + so_far + thoughts
    assert got[-1]["usageMetadata"] == unary(run(request))["usageMetadata"]


def test_json_array_stream_interleaves_too() -> None:
    reply = run(body(2), stream=True, sse=False)
    assert reply.writes is not None
    elements = json.loads(b"".join(w.data for w in reply.writes))
    assert [e["candidates"][0]["index"] for e in elements] == [0, 1, 0, 1, 0, 1]


def test_thoughts_and_signatures_per_candidate() -> None:
    request = body(2, thinkingConfig={"includeThoughts": True})
    whole = unary(run(request, scenario=Scenario.THOUGHTS, model=PRO3))
    for candidate in whole["candidates"]:
        parts = candidate["content"]["parts"]
        assert parts[0]["thought"] is True
        assert "thoughtSignature" in parts[-1]  # gemini-3 signs each answer
    signatures = {c["content"]["parts"][-1]["thoughtSignature"] for c in whole["candidates"]}
    assert len(signatures) == 2
    usage = whole["usageMetadata"]
    assert usage["thoughtsTokenCount"] % 2 == 0
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )
    streamed = chunks_of(run(request, stream=True, scenario=Scenario.THOUGHTS, model=PRO3))
    assert streamed[-1]["usageMetadata"] == usage


@pytest.mark.parametrize(
    "scenario", [Scenario.TOOL_CALL, Scenario.SAFETY, Scenario.PROMPT_BLOCKED, Scenario.RATE_LIMIT]
)
def test_other_scenarios_keep_one_candidate(scenario: Scenario) -> None:
    reply = run(body(3), scenario=scenario)
    if reply.status != 200:
        summary = summary_of(reply)
        assert summary is not None
        assert summary["candidates"] == 0
        return
    whole = unary(reply)
    assert len(whole.get("candidates", [])) <= 1


# ----------------------------------------------------------------------------- summary


def test_summary_lists_every_candidate() -> None:
    request = body(3)
    summary = summary_of(run(request))
    whole = unary(run(request))
    assert summary is not None
    texts = [answer(c) for c in whole["candidates"]]
    assert summary["candidates"] == 3
    assert summary["texts"] == texts
    assert summary["text"] == texts[0]
    assert summary["finish_reason"] == "STOP"
    assert summary["finish_reasons"] == ["STOP"] * 3
    assert run(request, stream=True).summary == summary


def test_summary_of_a_cut_stream_holds_what_each_candidate_sent() -> None:
    request = body(3)
    # a cut stream has at least cut_after + 1 chunks per candidate: 8 here
    full = chunks_of(run(request, stream=True, chunks=8))
    cut = run(request, stream=True, scenario=Scenario.MID_STREAM_CUT, cut_after=7, chunks=3)
    assert cut.abort
    summary = summary_of(cut)
    assert summary is not None
    expected = ["", "", ""]
    for chunk in full[:7]:
        candidate = chunk["candidates"][0]
        expected[candidate["index"]] += answer(candidate)
    assert summary["texts"] == expected
    assert all(expected)
    assert summary["text"] == expected[0]
    assert summary["finish_reasons"] == [None, None, None]  # 3 + 2 + 2 of 8 chunks each
    key = bytes(range(32))
    plan = with_candidates(
        text_plan(key, chunks=2, max_tokens=None),
        key,
        3,
        lambda k, i: text_plan(k, chunks=2, max_tokens=None),
    )
    assert summarize(plan, 5)["finish_reasons"] == ["STOP", "STOP", None]  # 5 of 6 sent
    assert summarize(plan, 6) == summarize(plan)
    error = run(request, stream=True, scenario=Scenario.MID_STREAM_ERROR, cut_after=2)
    error_summary = summary_of(error)
    assert error_summary is not None
    assert error_summary["finish_reasons"] == [None, None, None]
    assert error_summary["error"]["code"] == 503


def test_stream_order_is_round_robin_and_skips_finished_candidates() -> None:
    key = bytes(32)
    short = text_plan(key, chunks=1, max_tokens=None)
    long = text_plan(bytes([1] * 32), chunks=3, max_tokens=None)
    plan = short._replace(others=(long,))
    assert [(i, pos) for i, _, pos in stream_order(plan)] == [(0, 0), (1, 0), (1, 1), (1, 2)]


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("count", [9, -1, 100, "12"])
def test_candidate_count_out_of_range_is_a_400(count: Any) -> None:
    with pytest.raises(GoogleError) as info:
        validate_generate(body(count))
    assert info.value.status == 400
    assert "candidate_count" in info.value.message
    raw = json.dumps(body(count)).encode()
    handled = handle_generate(
        FLASH, raw, header=None, pop_queued=lambda: None, seed=0, stream=False, sse=True
    )
    assert handled.reply.status == 400
    # generate() takes validated bodies; given a bad count anyway it stays within 1..8
    assert len(unary(run(body(count)))["candidates"]) in (1, MAX_CANDIDATES)


def test_candidate_count_as_a_numeric_string() -> None:
    assert len(unary(run(body("3")))["candidates"]) == 3
    assert run(body("three")).status == 400
