"""Issue 12 items 3, 5, 7 in the checks: what a message may say about the upstream is
what the journal shows; a success is confirmed against the journal; a journal miss is a
setup question only when the run left nothing in the journal."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.checks.errors import upstream_clause
from conformance.checks.upstream import (
    ERROR_AS_SUCCESS,
    NEVER_CALLED,
    NOT_UPSTREAM_CONTENT,
    PROXY_WITHOUT_UPSTREAM,
    client_texts,
    confirm_upstream_success,
    last_generate,
    turn_calls,
    upstream_said,
)
from conformance.exchange import Exchange
from conformance.probes.base import with_cid_header
from conformance.registry import REGISTRY, CheckFailure, NotApplicable, Undecided
from tests.factories import chunk, completion, error_exchange, journal, json_exchange, sse
from tests.factories import stream_exchange as stream_x

RUN_KEYS = frozenset({"3f1c0a9b2e4d"})
"""``Exchange.upstream_keys`` of a run whose other probes reached the mock."""


def controlled(x: Exchange, keys: frozenset[str] = RUN_KEYS) -> Exchange:
    """``x`` as the session sends it in controlled mode (the cid header) in a run."""
    return replace(x, request=with_cid_header(x.request, "run.probe"), upstream_keys=keys)


def error_entry(status: int, grpc: str, message: str = "boom") -> dict[str, Any]:
    (entry,) = journal(text="", status=status)
    entry["response"]["error"] = {"code": status, "status": grpc, "message": message}
    return entry


def said(text: str) -> tuple[dict[str, Any], ...]:
    return journal(text=text)


# ------------------------------------------------------------------ last_generate (7c)


def test_a_miss_with_nothing_from_the_run_is_the_setup_question() -> None:
    x = controlled(json_exchange("system_prompt", completion()), keys=frozenset())
    with pytest.raises(Undecided, match="base URL the mock"):
        last_generate(x)


def test_a_miss_while_the_run_reached_the_mock_is_a_failure() -> None:
    x = controlled(json_exchange("system_prompt", completion()))
    with pytest.raises(CheckFailure, match="the upstream never got this request") as caught:
        last_generate(x)
    assert "base URL" not in caught.value.message


def test_an_unreadable_journal_is_undecided() -> None:
    x = replace(json_exchange("system_prompt", completion()), upstream=({"error": "journal down"},))
    with pytest.raises(Undecided, match="could not be read"):
        last_generate(x)


# ------------------------------------------------------- confirm_upstream_success (3)


def test_black_box_keeps_todays_behaviour() -> None:
    confirm_upstream_success(json_exchange("chat", completion()))  # no journal: no judgement


def test_a_200_the_upstream_never_gave_fails() -> None:
    x = controlled(json_exchange("content_parts", completion()))
    with pytest.raises(CheckFailure, match="never called") as caught:
        confirm_upstream_success(x)
    assert caught.value.cause == NEVER_CALLED
    assert "upstream: never called" in str(caught.value.excerpt)


def test_an_upstream_error_dressed_as_a_200_fails_with_both_sides() -> None:
    message = {"role": "assistant", "content": "Error: API key not valid"}
    x = json_exchange(
        "kitchen_sink",
        completion(message),
        upstream=[error_entry(400, "INVALID_ARGUMENT", "API key not valid")],
    )
    with pytest.raises(CheckFailure, match="upstream answered HTTP 400 INVALID_ARGUMENT") as c:
        confirm_upstream_success(x)
    assert c.value.cause == ERROR_AS_SUCCESS
    assert "client: HTTP 200" in str(c.value.excerpt)
    assert "Error: API key not valid" in str(c.value.excerpt)
    assert "upstream: HTTP 400 INVALID_ARGUMENT 'API key not valid'" in str(c.value.excerpt)


def test_a_retry_that_succeeded_counts() -> None:
    upstream = [error_entry(503, "UNAVAILABLE"), *said("Hello there friend")]
    confirm_upstream_success(json_exchange("chat", completion(), upstream=upstream))


def test_text_that_is_not_the_upstreams_fails() -> None:
    message = {"role": "assistant", "content": "Something went wrong upstream"}
    x = json_exchange("chat", completion(message), upstream=said("Hello there friend"))
    with pytest.raises(CheckFailure, match="not what the upstream sent") as caught:
        confirm_upstream_success(x)
    assert caught.value.cause == NOT_UPSTREAM_CONTENT


@pytest.mark.parametrize(
    "content",
    [
        "Hello there friend",
        "  Hello\nthere   friend \n",  # whitespace aside
        "<think>pondering</think>Hello there friend",  # thoughts are judged elsewhere
        "Hello there",  # cut at a stop sequence by the proxy
    ],
)
def test_the_upstreams_text_passes(content: str) -> None:
    message = {"role": "assistant", "content": content}
    confirm_upstream_success(
        json_exchange("chat", completion(message), upstream=said("Hello there friend"))
    )


def test_an_answer_without_text_upstream_is_not_compared() -> None:
    message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": []}
    upstream = journal(text="", function_calls=[{"name": "get_weather", "args": {}}])
    confirm_upstream_success(json_exchange("tool_calls", completion(message), upstream=upstream))


def test_a_stream_is_compared_by_its_joined_deltas() -> None:
    raw = sse(chunk({"role": "assistant", "content": "Hello "}), chunk({"content": "there friend"}))
    x = stream_x("chat_stream", raw, upstream=said("Hello there friend"))
    assert client_texts(x) == {0: "Hello there friend"}
    confirm_upstream_success(x)
    bad = stream_x("chat_stream", raw, upstream=said("Something else entirely"))
    with pytest.raises(CheckFailure):
        confirm_upstream_success(bad)


def test_the_last_turn_of_a_multi_turn_probe_is_judged() -> None:
    """Turn 1 (a tool call) succeeded; turn 2 (more contents) was rejected upstream."""
    first = journal(
        text="",
        function_calls=[{"name": "get_weather", "args": {}}],
        body={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
    )
    (second,) = journal(
        text="",
        status=400,
        body={"contents": [{"role": "user", "parts": [{"text": "hi"}]}] * 3},
    )
    second["response"]["error"] = {"code": 400, "status": "INVALID_ARGUMENT", "message": "sig"}
    turn1 = json_exchange("signature_echo", completion())
    x = replace(
        json_exchange(
            "signature_echo",
            completion({"role": "assistant", "content": "Error: sig"}),
            upstream=[*first, second],
        ),
        previous=(turn1,),
    )
    assert turn_calls(x) == [second]
    with pytest.raises(CheckFailure, match="upstream answered HTTP 400"):
        REGISTRY["tools.signature_round_trip"].func(x)
    # turn 2 never reached the upstream: only turn 1's call is journalled
    lonely = replace(x, upstream=first)
    assert turn_calls(lonely) == []
    with pytest.raises(CheckFailure, match="never called"):
        REGISTRY["tools.signature_round_trip"].func(lonely)


def test_content_part_arrays_no_longer_passes_when_nothing_reached_the_upstream() -> None:
    x = controlled(json_exchange("content_parts", completion()))
    with pytest.raises(CheckFailure, match="never called"):
        REGISTRY["requests.content_part_arrays"].func(x)


# ------------------------------------------------------------ messages from the journal (5)


def test_upstream_said_words_the_journal() -> None:
    x = error_exchange("upstream_404", 503, upstream=[error_entry(404, "NOT_FOUND")])
    assert upstream_said(x) == "the upstream answered 404 NOT_FOUND"
    retried = error_exchange(
        "rate_limit", 429, upstream=[error_entry(429, "RESOURCE_EXHAUSTED"), *said("hi")]
    )
    assert upstream_said(retried) == "the upstream answered 429 RESOURCE_EXHAUSTED, then 200"
    never = controlled(error_exchange("upstream_404", 503))
    assert upstream_said(never) == "the proxy answered without calling the upstream"
    assert upstream_said(error_exchange("upstream_404", 503)) == ""  # black-box: nothing known


def test_a_status_map_failure_never_claims_an_upstream_answer_the_journal_lacks() -> None:
    never = controlled(error_exchange("upstream_404", 503))
    with pytest.raises(CheckFailure) as caught:
        REGISTRY["errors.status_map.404"].func(never)
    message = caught.value.message
    assert "the upstream answered" not in message
    assert "the proxy answered without calling the upstream" in message
    assert caught.value.cause == PROXY_WITHOUT_UPSTREAM
    seen = error_exchange("upstream_404", 500, upstream=[error_entry(404, "NOT_FOUND")])
    with pytest.raises(CheckFailure, match="the upstream answered 404 NOT_FOUND; the client"):
        REGISTRY["errors.status_map.404"].func(seen)


@pytest.mark.parametrize(
    "check_id",
    [
        "errors.rate_limit_status",
        "errors.rate_limit_stream_status",
        "errors.daily_quota",
        "errors.retry_after",
    ],
)
def test_quota_checks_say_when_the_upstream_was_never_called(check_id: str) -> None:
    never = controlled(error_exchange("rate_limit", 500))
    with pytest.raises(CheckFailure) as caught:
        REGISTRY[check_id].func(never)
    assert "the upstream answered" not in caught.value.message
    assert "without calling the upstream" in caught.value.message


def test_upstream_clause_when_the_journal_cannot_tell() -> None:
    text, cause = upstream_clause(error_exchange("upstream_404", 500), "404 NOT_FOUND")
    assert text == "the mock was scripted to answer 404 NOT_FOUND (its journal cannot tell)"
    assert cause is None


# ------------------------------------------------------------- errors.survives_key_faults


def _survives(after: Exchange, ordinary: Exchange | None = None) -> str | None:
    return REGISTRY["errors.survives_key_faults"].func(
        after, ordinary or json_exchange("chat", completion())
    )


def test_survives_key_faults_passes_on_the_upstreams_200() -> None:
    assert (
        _survives(json_exchange("after_faults", completion(), upstream=said("Hello there friend")))
        is None
    )


def test_a_proxy_down_after_the_faults_fails() -> None:
    after = controlled(error_exchange("after_faults", 503, "no usable key"))
    with pytest.raises(CheckFailure, match="got HTTP 503 after the fault probes") as caught:
        _survives(after)
    assert "without calling the upstream" in caught.value.message
    assert caught.value.cause == PROXY_WITHOUT_UPSTREAM


def test_a_spent_key_held_back_with_its_delay_is_not_a_failure() -> None:
    after = controlled(error_exchange("after_faults", 429, headers=[("retry-after", "30")]))
    assert "holds its key back" in str(_survives(after))
    bare = controlled(error_exchange("after_faults", 429))
    with pytest.raises(CheckFailure):
        _survives(bare)


def test_survives_key_faults_is_moot_when_the_proxy_never_served() -> None:
    after = controlled(error_exchange("after_faults", 503))
    with pytest.raises(NotApplicable):
        _survives(after, error_exchange("chat", 500))
