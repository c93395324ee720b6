"""Gemini errors -> OpenAI envelopes (reference_impl.translate.errors; A5, B3, D1, D2, E1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reference_impl.translate import from_upstream_body, from_upstream_payload, parse_duration


def body(code: int, status: str, message: str = "boom", details: list[Any] | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return json.dumps({"error": error}, indent=2).encode()


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def quota(quota_id: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaMetric": "m", "quotaId": quota_id}],
    }


@pytest.mark.parametrize(
    ("code", "status", "http", "type_", "err_code"),
    [
        (400, "INVALID_ARGUMENT", 400, "invalid_request_error", "invalid_argument"),
        (400, "FAILED_PRECONDITION", 400, "invalid_request_error", "failed_precondition"),
        (403, "PERMISSION_DENIED", 403, "permission_error", "permission_denied"),
        (404, "NOT_FOUND", 404, "invalid_request_error", "model_not_found"),
        (500, "INTERNAL", 500, "server_error", "internal"),
        (503, "UNAVAILABLE", 503, "server_error", "unavailable"),
        (504, "DEADLINE_EXCEEDED", 504, "server_error", "deadline_exceeded"),
    ],
)
def test_status_follows_the_rpc_status(
    code: int, status: str, http: int, type_: str, err_code: str
) -> None:
    err = from_upstream_body(code, body(code, status, "upstream says no"))
    assert err.status == http
    assert err.envelope() == {
        "error": {"message": "upstream says no", "type": type_, "param": None, "code": err_code}
    }
    assert err.headers == {}


def test_upstream_key_problems_are_502_not_401() -> None:
    """A 401 is for the client's key; Gemini rejecting the proxy's key is a 502."""
    invalid = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }
    ]
    for raw in (
        body(400, "INVALID_ARGUMENT", "API key not valid.", invalid),
        body(401, "UNAUTHENTICATED"),
        body(
            403,
            "PERMISSION_DENIED",
            "disabled",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}],
        ),
    ):
        err = from_upstream_body(400, raw)
        assert err.status == 502
        assert err.type == "upstream_error"


@pytest.mark.parametrize(
    ("delay", "after", "after_ms"),
    [
        ("17s", "17", "17000"),
        ("57.2s", "58", "57200"),
        ("57.238747106s", "58", "57239"),
        ("0.5s", "1", "500"),
        ("0s", "0", "0"),
    ],
)
def test_rate_limit_retry_headers(delay: str, after: str, after_ms: str) -> None:
    """E1/C5: Retry-After whole seconds rounded up, retry-after-ms from RetryInfo."""
    err = from_upstream_body(
        429,
        body(
            429,
            "RESOURCE_EXHAUSTED",
            "quota",
            [quota("GenerateContentInputTokensPerModelPerMinute-FreeTier"), retry_info(delay)],
        ),
    )
    assert err.status == 429
    assert err.headers == {"Retry-After": after, "retry-after-ms": after_ms}
    assert (err.type, err.code) == ("rate_limit_error", "rate_limit_exceeded")


def test_rate_limit_delay_from_the_message() -> None:
    message = "Quota exceeded for metric: x, limit: 0\nPlease retry in 45.578569677s."
    err = from_upstream_body(429, body(429, "RESOURCE_EXHAUSTED", message))
    assert err.headers == {"Retry-After": "46", "retry-after-ms": "45579"}
    assert err.message == message


def test_daily_quota_is_not_to_be_retried() -> None:
    err = from_upstream_body(
        429,
        body(
            429,
            "RESOURCE_EXHAUSTED",
            "quota",
            [quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier")],
        ),
    )
    assert err.headers == {"x-should-retry": "false"}
    assert err.code == "insufficient_quota"


def test_list_wrapped_and_odd_bodies() -> None:
    """A3 ``[{"error": ...}]``; HTML pages; bodies without an error object."""
    wrapped = json.dumps([{"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}])
    assert from_upstream_body(400, wrapped.encode()).status == 400
    html = from_upstream_body(502, b"<html><body>Bad Gateway</body></html>")
    assert html.status == 502
    assert "Bad Gateway" in html.message
    assert from_upstream_body(418, b"<html>").status == 418
    assert from_upstream_body(500, b'{"detail": "x"}').status == 500
    assert from_upstream_payload({"error": {"message": "m"}}).status == 502
    assert from_upstream_payload("nonsense").message == "upstream error"


def test_parse_duration() -> None:
    assert parse_duration("17s") == 17.0
    assert parse_duration({"seconds": "3", "nanos": 500_000_000}) == 3.5
    assert parse_duration("17") is None
    assert parse_duration(17) is None
