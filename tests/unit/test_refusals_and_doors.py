"""Who refused a standard request (issue 12 item 4), and the reasoning doors' model choice
and summary (item 6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from conformance.checks._refusals import refusal_origin, require_accepted
from conformance.exchange import Exchange, Request
from conformance.probes.basic import pick_thinking_model, thinks
from conformance.registry import REGISTRY, CheckFailure
from tests.check_cases import good
from tests.factories import error_exchange, journal, json_exchange


def _controlled(probe: str, status: int, upstream: Sequence[Mapping[str, Any]] = ()) -> Exchange:
    """A refused controlled-mode request: its prompt carries a mock directive."""
    x = error_exchange(probe, status, "nope", upstream=upstream)
    body = {"model": "m", "messages": [{"role": "user", "content": "hi [[mock:cid=r.p]]"}]}
    return replace(
        x,
        request=Request(
            "POST", "http://127.0.0.1:1/v1/chat/completions", {}, b'{"m": "[[mock:cid=r.p]]"}', body
        ),
    )


def test_black_box_refusals_say_nothing_about_the_upstream() -> None:
    assert refusal_origin(error_exchange("tool_choice_required", 400)) == ""


def test_a_refusal_the_upstream_never_saw_is_the_proxys_own() -> None:
    assert "never called" in refusal_origin(_controlled("tool_choice_required", 422))


def test_an_upstream_error_to_the_translated_request_is_a_wrong_translation() -> None:
    entry = {**journal(status=400)[0], "response": {"error": {"message": "Unknown name x"}}}
    said = refusal_origin(_controlled("tool_choice_named", 400, (entry,)))
    assert "the upstream answered HTTP 400 ('Unknown name x')" in said
    assert "translation is wrong" in said


def test_an_upstream_success_turned_into_an_error_is_named() -> None:
    said = refusal_origin(_controlled("tool_choice_named", 500, journal()))
    assert "turned that into an error" in said


def test_an_unreadable_journal_claims_nothing() -> None:
    assert refusal_origin(_controlled("x", 400, ({"error": "journal unreadable"},))) == ""


def test_require_accepted_shows_the_body() -> None:
    with pytest.raises(CheckFailure) as info:
        require_accepted(error_exchange("embeddings_base64", 400, "base64 unsupported"), "it")
    assert info.value.message.startswith("it got HTTP 400")
    assert "base64 unsupported" in str(info.value.excerpt)
    assert require_accepted(json_exchange("chat", {}), "it") == 200


@pytest.mark.parametrize(
    ("model", "thinking"),
    [
        ("gemini-2.5-flash", True),
        ("models/gemini-3-pro-preview", True),
        ("gemini-flash-latest", True),
        ("gemini-2.0-flash", False),
        ("gemini-1.5-pro", False),
        ("claude-sonnet-4-5-thinking", True),
        ("gpt-4o", False),
    ],
)
def test_thinks_by_name(model: str, thinking: bool) -> None:
    assert thinks(model) is thinking


def test_the_thinking_model_door_prefers_the_default_then_a_listed_thinker() -> None:
    assert pick_thinking_model({"gemini-2.5-pro"}, "gemini-2.5-flash") == "gemini-2.5-flash"
    listed = {"gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-flash-thinking"}
    assert pick_thinking_model(listed, "gemini-2.0-flash") == "gemini-2.5-flash-thinking"
    assert pick_thinking_model({"gemini-2.0-flash", "gemini-2.5-pro"}, "x") == "gemini-2.5-pro"
    assert pick_thinking_model({"gemini-2.5-flash-image"}, "x") == "gemini-2.5-flash"
    assert pick_thinking_model(None, "gemini-2.0-flash") == "gemini-2.5-flash"


def test_model_picks_keep_a_routers_provider_prefix() -> None:
    """A gateway that routes by prefix (any-llm's ``gemini:``, LiteLLM's ``gemini/``)
    lists and needs its ids whole: what a model is, is read without the prefix; what is
    sent keeps it (any-llm gateway 1.14: a bare gemini-2.5-flash got HTTP 500)."""
    from conformance.probes.basic import bare_model, with_prefix_of
    from conformance.probes.field import pick_gemini3_model, pick_plain_model

    assert bare_model("gemini:gemini-2.5-flash") == "gemini-2.5-flash"
    assert bare_model("models/gemini-2.0-flash") == "gemini-2.0-flash"
    assert bare_model("google/gemini-3-flash-preview") == "gemini-3-flash-preview"
    assert thinks("gemini:gemini-2.5-flash")
    assert not thinks("gemini/gemini-2.0-flash")
    listed = {"gemini:gemini-2.0-flash", "gemini:gemini-2.5-flash", "gemini:gemini-3-flash"}
    assert pick_thinking_model(listed, "gemini:gemini-2.0-flash") == "gemini:gemini-2.5-flash"
    assert pick_thinking_model(None, "gemini:gemini-2.0-flash") == "gemini:gemini-2.5-flash"
    assert pick_plain_model(listed, "gemini:gemini-2.5-flash") == "gemini:gemini-2.0-flash"
    assert pick_gemini3_model(listed, "gemini:gemini-2.0-flash") == "gemini:gemini-3-flash"
    assert with_prefix_of("gemini:gemini-2.0-flash", "gemini-embedding-001") == (
        "gemini:gemini-embedding-001"
    )
    assert with_prefix_of("models/gemini-2.0-flash", "gemini-embedding-001") == (
        "gemini-embedding-001"
    )
    assert with_prefix_of("gemini-2.0-flash", "gemini-embedding-001") == "gemini-embedding-001"


def test_the_doors_summary_names_each_door_and_differing_paths() -> None:
    exchanges = good()
    exchanges["thoughts_google_stream"] = error_exchange("thoughts_google_stream", 400)
    note = REGISTRY["reasoning.doors"].run(exchanges)
    assert note is not None
    assert "reasoning_effort 'high': honoured" in note
    assert "extra_body.google.thinking_config (include_thoughts): unary honoured, " in note
    assert "stream refused (HTTP 400)" in note


def test_no_door_at_all_fails_a_profile_that_claims_reasoning() -> None:
    exchanges = good()
    for name in list(exchanges):
        if name.startswith("thoughts") and name != "thoughts_tool_call_stream":
            exchanges[name] = replace(exchanges[name], upstream=journal(thoughts=""))
    with pytest.raises(CheckFailure, match="no door brings the model's thoughts"):
        REGISTRY["reasoning.doors"].run(exchanges)


def test_the_model_door_names_a_listed_thinker_once_the_run_has_read_the_models() -> None:
    import httpx

    from conformance.http import Budget
    from conformance.probes import PROBES
    from conformance.session import ProbeSession
    from conformance.target import Target
    from spec.profiles import get_profile

    target = Target("http://127.0.0.1:1", get_profile("openai-core"), model="gemini-2.0-flash")
    with httpx.Client() as client:
        session = ProbeSession(client, target, Budget(), run_id="r")
    models = json_exchange(
        "models", {"object": "list", "data": [{"id": "gemini-2.0-flash"}, {"id": "gemini-2.5-pro"}]}
    )
    before = PROBES["thoughts_model"].build(session.target, "r.thoughts_model")
    session._learn_models(models)
    after = PROBES["thoughts_model"].build(session.target, "r.thoughts_model")
    assert before.json_body["model"] == "gemini-2.5-flash"  # nothing listed yet: the fallback
    assert after.json_body["model"] == "gemini-2.5-pro"
    assert session.target.listed_models == frozenset({"gemini-2.0-flash", "gemini-2.5-pro"})


def _session_after_models(ids: list[str], model: str = "gemini-2.5-flash") -> Any:
    import httpx

    from conformance.http import Budget
    from conformance.session import ProbeSession
    from conformance.target import Target
    from spec.profiles import get_profile

    target = Target("http://127.0.0.1:1", get_profile("openai-core"), model=model)
    with httpx.Client() as client:
        session = ProbeSession(client, target, Budget(), run_id="r")
    session._learn_models(
        json_exchange("models", {"object": "list", "data": [{"id": i} for i in ids]})
    )
    return session


def test_a_model_the_list_leaves_out_is_skipped_when_the_list_names_the_runs_model() -> None:
    session = _session_after_models(["gemini-2.5-flash"])
    assert session.skip_reason("effort_low_g3") == (
        "the target does not list model 'gemini-3-pro-preview' in GET /models"
    )
    assert session.skip_reason("signature_echo") == (
        "no Gemini 3 model to send it to: --model is not one and GET /models lists none"
    )


def test_the_signature_probes_name_a_listed_gemini3_model() -> None:
    """gemini-cli-openai lists gemini-3-pro-preview, not the Flash preview: the round
    trips go to the model it serves (they were skipped when pinned to one name)."""
    session = _session_after_models(["gemini-2.5-flash", "gemini-3-pro-preview"])
    assert session.skip_reason("signature_stream") is None
    from conformance.probes import PROBES

    sent = PROBES["signature_stream"].build(session.target, "r.signature_stream")
    assert sent.json_body["model"] == "gemini-3-pro-preview"
    assert sent.json_body["stream"] is True


def test_a_list_of_routing_patterns_skips_no_model() -> None:
    """lm-proxy 3.3.2 lists its routing rules (``{"id": "*"}``) and serves any name."""
    session = _session_after_models(["*"])
    assert session.skip_reason("signature_echo") is None
    assert session.skip_reason("effort_low") is None
    from conformance.probes import PROBES

    sent = PROBES["signature_echo"].build(session.target, "r.signature_echo")
    assert sent.json_body["model"] == "gemini-3-flash-preview"  # the mock serves it


def test_a_list_without_the_runs_own_model_skips_no_model() -> None:
    """Every chat probe asks for the run's model; a list that leaves it out is not the set
    of models the target answers for."""
    session = _session_after_models(["my-alias"])
    assert session.skip_reason("signature_echo") is None
