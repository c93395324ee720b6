"""spec.secrets.scrub_values: literal credentials out of any text, wherever they stand."""

from __future__ import annotations

from typing import Any

from spec.secrets import REDACTED, scrub_values


def test_a_literal_secret_is_scrubbed_everywhere_and_nothing_else_changes() -> None:
    value: dict[str, Any] = {
        "message": "Incorrect API key provided: hunter22",
        "nested": [("a", "hunter22hunter22"), 3, None],
        "hunter22": "key as a name",
        "json": '{"key": "hun\\"ter"}',
    }
    out = scrub_values(value, ["hunter22", 'hun"ter'])
    assert out == {
        "message": f"Incorrect API key provided: {REDACTED}",
        "nested": [("a", REDACTED + REDACTED), 3, None],
        REDACTED: "key as a name",
        "json": f'{{"key": "{REDACTED}"}}',
    }
    assert value["message"].endswith("hunter22")  # the input is not changed


def test_short_or_no_secrets_leave_the_value_alone() -> None:
    assert scrub_values("a b c", ["b"]) == "a b c"
    assert scrub_values("text", []) == "text"
