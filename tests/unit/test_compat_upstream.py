"""A proxy in front of Google's OpenAI-compatible endpoint (``/v1beta/openai``): its
calls there are upstream calls (a success is not taken for one the upstream never
gave), and the checks that read a generateContent request say they do not apply."""

from __future__ import annotations

import pytest

from conformance.checks.upstream import (
    COMPAT_UPSTREAM,
    confirm_upstream_success,
    generate_calls,
    request_body,
)
from conformance.exchange import Exchange
from conformance.probes.captures import probe_names
from conformance.registry import REGISTRY, CheckFailure, NotApplicable
from tests.capture_cases import good_captures
from tests.factories import completion, journal, json_exchange

COMPAT = "/v1beta/openai/chat/completions"


def _passed_through(probe: str = "chat", text: str = "Hello there friend") -> Exchange:
    entry = journal(text=text, path=COMPAT)[0]
    entry = {**entry, "body": {"model": "gemini-2.5-flash", "messages": [{"role": "user"}]}}
    return json_exchange(probe, completion(), upstream=(entry,))


def test_a_call_to_the_compatible_endpoint_is_an_upstream_call() -> None:
    x = _passed_through()
    assert len(generate_calls(x)) == 1
    confirm_upstream_success(x)
    with pytest.raises(CheckFailure, match="not what the upstream sent"):
        confirm_upstream_success(_passed_through(text="something else entirely"))


def test_the_gemini_request_checks_do_not_apply() -> None:
    with pytest.raises(NotApplicable) as info:
        request_body(_passed_through("system_prompt"))
    assert str(info.value) == COMPAT_UPSTREAM
    with pytest.raises(NotApplicable):
        REGISTRY["translate.system_instruction"].func(_passed_through("system_prompt"))


def test_no_capture_is_judged_behind_the_compatible_endpoint() -> None:
    unary_probe = probe_names("google-text")[1]
    exchanges = {**good_captures(), unary_probe: _passed_through(unary_probe)}
    with pytest.raises(NotApplicable, match="OpenAI-compatible endpoint"):
        REGISTRY["captures.google-text"].run(exchanges)
