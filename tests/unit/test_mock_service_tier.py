"""The mock parses ``GenerateContentRequest.serviceTier`` as Google does (issue 12): the
documented tiers in any letter case are accepted, top level and inside a Code Assist
envelope; another value is Google's enum error; inside ``generationConfig`` it is an
unknown field."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.fields import violations

CONTENTS: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


@pytest.mark.parametrize("tier", ["priority", "flex", "standard", "STANDARD", "unspecified"])
def test_every_documented_tier_is_accepted(tier: str) -> None:
    assert violations({**CONTENTS, "serviceTier": tier}, "GenerateContentRequest") == []
    assert violations({**CONTENTS, "service_tier": tier}, "GenerateContentRequest") == []
    envelope = {"model": "gemini-2.5-flash", "request": {**CONTENTS, "serviceTier": tier}}
    assert violations(envelope, "CodeAssistGenerateRequest") == []


def test_an_unknown_tier_is_googles_enum_error() -> None:
    ((field, message),) = violations({**CONTENTS, "serviceTier": "gold"}, "GenerateContentRequest")
    assert field == "service_tier"
    assert message == (
        "Invalid value at 'service_tier' "
        '(type.googleapis.com/google.ai.generativelanguage.v1beta.ServiceTier), "gold"'
    )


def test_service_tier_is_not_a_generation_config_field() -> None:
    body = {**CONTENTS, "generationConfig": {"serviceTier": "flex"}}
    ((_, message),) = violations(body, "GenerateContentRequest")
    assert message.startswith("Unknown name \"serviceTier\" at 'generation_config'")
