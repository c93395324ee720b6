"""mockserver.oauth: deterministic, self-checking tokens and the token endpoint's answers."""

from __future__ import annotations

import pytest

from mockserver.oauth import EXPIRES_IN, TOKEN_PREFIX, TokenIssuer, parse_form, redact_form


def test_tokens_are_deterministic_per_seed_and_refresh_token() -> None:
    issuer = TokenIssuer(0)
    token = issuer.issue("1//refresh-a")
    assert token.startswith(TOKEN_PREFIX)
    assert token == TokenIssuer(0).issue("1//refresh-a")
    assert token != issuer.issue("1//refresh-b")
    assert token != TokenIssuer(1).issue("1//refresh-a")


def test_only_issued_tokens_have_a_subject() -> None:
    issuer = TokenIssuer(0)
    token = issuer.issue("r")
    subject = issuer.subject(token)
    assert subject is not None
    assert len(subject) == 16
    assert subject == issuer.subject(issuer.issue("r"))
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for other in (tampered, "ya29.real-token", token + "x", TokenIssuer(9).issue("r"), ""):
        assert issuer.subject(other) is None


def test_grant_success_and_errors() -> None:
    issuer = TokenIssuer(3, frozenset({"good"}))
    status, body = issuer.grant({"grant_type": "refresh_token", "refresh_token": "good"})
    assert status == 200
    assert body == {
        "access_token": issuer.issue("good"),
        "expires_in": EXPIRES_IN,
        "token_type": "Bearer",
    }
    assert issuer.grant({"grant_type": "refresh_token", "refresh_token": "bad"}) == (
        400,
        {"error": "invalid_grant", "error_description": "Bad Request"},
    )
    assert issuer.grant({"grant_type": "refresh_token"})[1]["error"] == "invalid_request"
    assert issuer.grant({})[1]["error"] == "invalid_request"
    assert issuer.grant({"grant_type": "password"}) == (
        400,
        {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: password"},
    )
    # no list of refresh tokens: any non-empty one is accepted
    assert TokenIssuer(3).grant({"grant_type": "refresh_token", "refresh_token": "x"})[0] == 200


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"grant_type=refresh_token&refresh_token=1%2F%2Fabc&client_secret=s", ""),
        (b'{"grant_type": "refresh_token", "refresh_token": "1//abc", "client_secret": "s"}',
         "application/json"),
    ],
)  # fmt: skip
def test_forms_parse_and_redact(raw: bytes, content_type: str) -> None:
    form = parse_form(raw, content_type)
    assert form == {"grant_type": "refresh_token", "refresh_token": "1//abc", "client_secret": "s"}
    assert redact_form(form) == {
        "grant_type": "refresh_token",
        "refresh_token": "[redacted]",
        "client_secret": "[redacted]",
    }
    assert parse_form(b"[1]", "application/json") == {}
