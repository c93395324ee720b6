"""mockserver.errors: google.rpc.Status envelopes (wire-formats.md A5)."""

from __future__ import annotations

import json

import pytest

from mockserver import errors


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (17, "17s"),
        (0, "0s"),
        (1.5, "1.5s"),
        (34.4, "34.4s"),  # spec/captures/google-429-retry-info.json
        (0.25, "0.25s"),
        (0.000001, "0.000001s"),
        (57.238747106, "57.238747106s"),
    ],
)
def test_format_duration_is_googles_shortest_form(seconds: float, text: str) -> None:
    assert errors.format_duration(seconds) == text


def test_api_key_invalid_matches_the_recorded_envelope() -> None:
    err = errors.api_key_invalid()
    assert err.status == 400
    assert json.loads(err.body) == {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ],
        }
    }


def test_envelopes_are_pretty_printed_in_googles_key_order() -> None:
    body = errors.unavailable().body
    assert body == (
        b'{\n  "error": {\n    "code": 503,\n'
        b'    "message": "The model is overloaded. Please try again later.",\n'
        b'    "status": "UNAVAILABLE"\n  }\n}\n'
    )


@pytest.mark.parametrize(
    ("err", "code", "status", "start"),
    [
        (
            errors.unregistered_caller(),
            403,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered",
        ),
        (
            errors.permission_denied(),
            403,
            "PERMISSION_DENIED",
            "The caller does not have permission",
        ),
        (errors.model_not_found("x", "generateContent"), 404, "NOT_FOUND", "models/x is not found"),
        (errors.internal(), 500, "INTERNAL", "An internal error has occurred."),
        (errors.bad_request(), 400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
        (
            errors.oauth_token_invalid(),
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication",
        ),
        (errors.daily_quota("m"), 429, "RESOURCE_EXHAUSTED", "You exceeded your current quota"),
    ],
)
def test_status_code_and_message(
    err: errors.GoogleError, code: int, status: str, start: str
) -> None:
    error = json.loads(err.body)["error"]
    assert (err.status, error["code"], error["status"]) == (code, code, status)
    assert error["message"].startswith(start)
