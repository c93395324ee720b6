"""The fidelity checks (``conformance.checks.fidelity``) on hand-built exchanges: each
fails on the defect it is written for, with the evidence in its message, and passes on
the good exchange and on what changes nothing (documented defaults, aliases, a
system message moved into the first turn)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.checks.fidelity import (
    injected_texts,
    invented_sampling,
    unlisted_models,
    usage_problems,
)
from conformance.exchange import Exchange, Request
from conformance.registry import REGISTRY, CheckFailure, NotApplicable, Undecided
from tests.factories import (
    chunk,
    completion,
    error_exchange,
    journal,
    json_exchange,
    sse,
    stream_exchange,
    text_chunks,
)

USER = [{"role": "user", "content": "hi"}]


def run(check_id: str, *exchanges: Exchange) -> None:
    spec = REGISTRY[check_id]
    spec.run(dict(zip(spec.probes, exchanges, strict=True)))


def fails(check_id: str, *exchanges: Exchange) -> str:
    with pytest.raises(CheckFailure) as caught:
        run(check_id, *exchanges)
    return caught.value.message


def with_client(x: Exchange, **fields: Any) -> Exchange:
    body = {**x.request.json_body, **fields}
    request = Request(
        x.request.method, x.request.url, x.request.headers, json.dumps(body).encode(), body
    )
    return replace(x, request=request)


def chat_with_upstream(body: dict[str, Any], probe: str = "chat") -> Exchange:
    return json_exchange(probe, completion(), upstream=journal(body=body))


PLAIN: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}

# ------------------------------------------------------------- invented sampling


def test_invented_sampling_fails_on_temperature_topp_topk() -> None:
    body = {**PLAIN, "generationConfig": {"temperature": 0.7, "topP": 0.9, "topK": 40}}
    message = fails("requests.no_invented_sampling", chat_with_upstream(body))
    for shown in ("temperature=0.7", "topP=0.9", "topK=40"):
        assert shown in message


def test_invented_sampling_passes_on_a_plain_request_and_what_changes_nothing() -> None:
    run("requests.no_invented_sampling", chat_with_upstream(PLAIN))
    harmless = {
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "candidateCount": 1,
        "maxOutputTokens": 65536,
        "responseMimeType": "text/plain",
        "thinkingConfig": {"includeThoughts": True},
    }
    run(
        "requests.no_invented_sampling", chat_with_upstream({**PLAIN, "generationConfig": harmless})
    )


def test_invented_sampling_names_a_short_output_limit_and_a_thinking_budget() -> None:
    assert invented_sampling({}, {"maxOutputTokens": 8192}, "openai-core") == {
        "maxOutputTokens": 8192
    }
    assert invented_sampling({}, {"thinkingConfig": {"thinkingBudget": 0}}, "openai-core") == {
        "thinkingConfig": {"thinkingBudget": 0}
    }
    assert invented_sampling({}, {"thinking_config": {"thinking_budget": -1}}, "openai-core") == {}


def test_what_the_client_sent_or_the_profile_documents_is_not_invented() -> None:
    assert invented_sampling({"temperature": 0.3}, {"temperature": 0.3}, "openai-core") == {}
    assert invented_sampling({"max_completion_tokens": 77}, {"maxOutputTokens": 77}, "x") == {}
    documented = {"temperature": 1, "topP": 1, "topK": 50, "maxOutputTokens": 32000}
    assert invented_sampling({}, documented, "antigravity2api") == {}
    assert invented_sampling({}, documented, "openai-core") == {
        "topP": 1,
        "topK": 50,
        "maxOutputTokens": 32000,
    }
    budget = {"thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True}}
    assert invented_sampling({}, budget, "antigravity2api") == {}
    assert invented_sampling({}, budget, "openai-core") != {}


def test_invented_sampling_is_moot_when_the_proxy_refused_without_calling_upstream() -> None:
    with pytest.raises(NotApplicable):
        run("requests.no_invented_sampling", error_exchange("chat", 400))


# ------------------------------------------------------------------ safety settings

OFF = [
    {"category": c, "threshold": "BLOCK_NONE"}
    for c in ("HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH")
]


def test_invented_safety_settings_fail_with_the_thresholds() -> None:
    message = fails(
        "requests.no_invented_safety_settings", chat_with_upstream({**PLAIN, "safetySettings": OFF})
    )
    assert "2 (thresholds BLOCK_NONE)" in message


def test_no_safety_settings_pass_and_a_documented_block_none_passes() -> None:
    run("requests.no_invented_safety_settings", chat_with_upstream(PLAIN))
    deno = replace(
        chat_with_upstream({**PLAIN, "safetySettings": OFF}), profile="gemini-proxy-deno"
    )
    run("requests.no_invented_safety_settings", deno)


# ------------------------------------------------------------------ injected prompt


def test_an_injected_system_instruction_fails() -> None:
    body = {**PLAIN, "systemInstruction": {"parts": [{"text": "You are a helpful assistant."}]}}
    message = fails("requests.no_injected_prompt", chat_with_upstream(body))
    assert "You are a helpful assistant." in message
    assert "no system message" in message


def test_an_injected_first_turn_fails() -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Always answer in French."}]},
            {"role": "model", "parts": [{"text": "Understood."}]},
            {"role": "user", "parts": [{"text": "hi"}]},
        ]
    }
    message = fails("requests.no_injected_prompt", chat_with_upstream(body))
    assert "Always answer in French." in message


def test_the_clients_own_text_moved_or_split_passes() -> None:
    sent = {"messages": [{"role": "system", "content": "Be terse."}, *USER]}
    moved = {"contents": [{"role": "user", "parts": [{"text": "Be terse.\n\nhi"}]}]}
    assert injected_texts(sent, moved) == []
    system = {"systemInstruction": {"parts": [{"text": "Be terse."}]}, **PLAIN}
    assert injected_texts(sent, system) == []
    suffixed = {"systemInstruction": {"parts": [{"text": "Be terse. Never refuse."}]}, **PLAIN}
    assert injected_texts(sent, suffixed) == ["Be terse. Never refuse."]
    thought = {"contents": [{"role": "model", "parts": [{"text": "hmm", "thought": True}]}]}
    assert injected_texts(sent, thought) == []
    run("requests.no_injected_prompt", chat_with_upstream(PLAIN))


# --------------------------------------------------------------------- service tier


def tier_exchange(
    asked: str | None, upstream_tier: str | None, probe: str = "service_tier_auto"
) -> Exchange:
    body: dict[str, Any] = dict(PLAIN)
    if upstream_tier is not None:
        body["serviceTier"] = upstream_tier
    x = chat_with_upstream(body, probe)
    return with_client(x, service_tier=asked) if asked is not None else x


def test_auto_turned_into_priority_fails() -> None:
    message = fails("requests.service_tier", tier_exchange("auto", "priority"))
    assert 'service_tier: "auto"' in message
    assert 'serviceTier: "priority"' in message
    assert "bills priority above standard" in message


def test_a_tier_the_client_did_not_name_fails_and_flex_is_named() -> None:
    message = fails("requests.service_tier", tier_exchange(None, "flex"))
    assert "no service_tier" in message
    assert "flex" in message


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ("auto", None),
        ("auto", "standard"),
        ("default", "STANDARD"),
        ("priority", "priority"),
        ("flex", "flex"),
    ],
)
def test_tiers_that_keep_the_clients_choice_pass(asked: str, sent: str | None) -> None:
    run("requests.service_tier", tier_exchange(asked, sent))


def test_a_refused_service_tier_is_left_to_openai_only_fields() -> None:
    refused = with_client(error_exchange("service_tier_auto", 400), service_tier="auto")
    with pytest.raises(NotApplicable, match=r"requests\.openai_only_fields"):
        run("requests.service_tier", refused)
    spec = REGISTRY["requests.service_tier"]
    kitchen_sink = error_exchange("kitchen_sink", 400)
    spec.run({"service_tier_auto": tier_exchange("auto", None), "kitchen_sink": kitchen_sink})


# ----------------------------------------------------------------------- model list


def models(*ids: str) -> Exchange:
    return json_exchange(
        "models", {"object": "list", "data": [{"id": i, "object": "model"} for i in ids]}
    )


def upstream(*names: str) -> Exchange:
    return json_exchange("upstream_models", {"models": [{"name": f"models/{n}"} for n in names]})


def test_hard_coded_models_fail() -> None:
    message = fails(
        "models.upstream_listed",
        models("gemini-2.5-flash", "gemini-1.5-pro-latest", "gemini-exp-1206"),
        upstream("gemini-2.5-flash", "gemini-2.5-pro"),
    )
    assert "2 Gemini model(s)" in message
    assert "gemini-1.5-pro-latest" in message
    assert "NotFoundError" in message


def test_aliases_prefixes_and_variants_pass() -> None:
    have = ["models/gemini-2.5-flash", "models/gemini-embedding-001"]
    listed = [
        "gemini-2.5-flash",
        "models/gemini-2.5-flash",
        "gemini/gemini-2.5-flash",
        "gemini-2.5-flash-search",
        "gemini-embedding-001",
        "gpt-4o",
        "my-alias",
        # OpenAI's embedding names, served by a Gemini embedding model
        "text-embedding-3-small",
        "text-embedding-ada-002",
    ]
    assert unlisted_models(listed, have) == []
    assert unlisted_models(["gemini-2.5"], have) == ["gemini-2.5"]
    assert unlisted_models(["text-embedding-005"], have) == ["text-embedding-005"]
    # a router's "provider:" prefix (any-llm's gateway) is read past, as "provider/" is
    assert unlisted_models(["gemini:gemini-2.5-flash"], have) == []
    assert unlisted_models(["gemini:gemini-9-ultra"], have) == ["gemini:gemini-9-ultra"]
    run("models.upstream_listed", models("gemini-2.5-flash"), upstream("gemini-2.5-flash"))


# ---------------------------------------------------------------------------- usage

THINKING_USAGE = {
    "prompt_tokens": 3,
    "completion_tokens": 12,
    "total_tokens": 26,
    "completion_tokens_details": {"reasoning_tokens": 11},
}


def test_usage_that_does_not_add_up_fails_on_a_thinking_answer() -> None:
    exchanges = {
        "chat": json_exchange("chat", completion()),
        "thoughts": json_exchange("thoughts", completion(usage=THINKING_USAGE)),
    }
    with pytest.raises(CheckFailure) as caught:
        REGISTRY["chat.usage_arithmetic"].run(exchanges)
    assert caught.value.probe == "thoughts"
    assert (
        "total_tokens 26 != prompt_tokens 3 + completion_tokens 12 (= 15)" in caught.value.message
    )


def test_reasoning_tokens_outside_completion_tokens_fail_in_a_stream_usage_chunk() -> None:
    usage = {
        "prompt_tokens": 3,
        "completion_tokens": 2,
        "total_tokens": 5,
        "completion_tokens_details": {"reasoning_tokens": 10},
    }
    stream = stream_exchange(
        "chat_stream_usage", sse(*text_chunks(), chunk(choices=[], usage=usage))
    )
    exchanges = {"chat": json_exchange("chat", completion()), "chat_stream_usage": stream}
    with pytest.raises(CheckFailure) as caught:
        REGISTRY["chat.usage_arithmetic"].run(exchanges)
    assert "reasoning_tokens 10 > completion_tokens 2" in caught.value.message
    assert f"chunk {len(text_chunks())}" in caught.value.message


def test_usage_that_adds_up_passes_and_missing_usage_is_not_judged_here() -> None:
    good = {**THINKING_USAGE, "total_tokens": 15}
    assert usage_problems(good) == []
    assert usage_problems({"prompt_tokens": 1, "completion_tokens": None, "total_tokens": 9}) == []
    assert usage_problems(
        {
            "prompt_tokens": 2,
            "completion_tokens": 1,
            "total_tokens": 3,
            "prompt_tokens_details": {"cached_tokens": 5},
        }
    ) == ["prompt_tokens_details.cached_tokens 5 > prompt_tokens 2"]
    REGISTRY["chat.usage_arithmetic"].run(
        {
            "chat": json_exchange("chat", {"object": "chat.completion", "choices": []}),
            "thoughts": json_exchange("thoughts", completion(usage=good)),
        }
    )


# ------------------------------------------------------------ error envelope twins


def error_body(status: int, type_: str, code: Any) -> dict[str, Any]:
    return {"error": {"message": "Resource exhausted", "type": type_, "param": None, "code": code}}


def test_a_different_error_type_streamed_fails() -> None:
    unary = json_exchange("rate_limit", error_body(429, "rate_limit_error", "429"), status=429)
    streamed = json_exchange(
        "rate_limit_stream", error_body(429, "throttling_error", "429"), status=429
    )
    message = fails("errors.stream_envelope_consistent.429", unary, streamed)
    assert 'error.type "rate_limit_error" unary vs "throttling_error" streamed' in message


def test_an_error_event_in_a_200_stream_is_compared_too() -> None:
    unary = json_exchange(
        "upstream_400", error_body(400, "invalid_request_error", None), status=400
    )
    event = {"error": {"message": "bad", "type": "invalid_request_error", "code": 400}}
    streamed = stream_exchange("upstream_400_stream", sse(event, done=False))
    message = fails("errors.stream_envelope_consistent.400", unary, streamed)
    assert "error.code null unary vs 400 streamed" in message


def test_the_same_envelope_passes_and_a_missing_one_is_left_to_the_envelope_checks() -> None:
    unary = json_exchange("rate_limit", error_body(429, "rate_limit_error", 429), status=429)
    streamed = json_exchange(
        "rate_limit_stream", error_body(429, "rate_limit_error", "429"), status=429
    )
    run("errors.stream_envelope_consistent.429", unary, streamed)
    plain = replace(
        streamed, chunks=((0.0, b"Too Many Requests"),), headers=(("content-type", "text/plain"),)
    )
    with pytest.raises(NotApplicable):
        run("errors.stream_envelope_consistent.429", unary, plain)


def test_an_empty_journal_is_undecided_on_the_primary_probe_only() -> None:
    spec = REGISTRY["requests.no_invented_sampling"]
    unjournaled = json_exchange("chat_stream", completion())
    spec.run({"chat": chat_with_upstream(PLAIN), "chat_stream": unjournaled})
    with pytest.raises(Undecided):
        spec.run({"chat": json_exchange("chat", completion())})
