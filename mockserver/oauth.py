"""A stub of Google's OAuth 2.0 token endpoint and the tokens it issues (pure).

``POST /oauth2/token`` (also ``/token``, as on ``oauth2.googleapis.com``) takes a form
(or JSON) body. Only ``grant_type=refresh_token`` is served:

- success, 200: ``{"access_token": "ya29.mock-<32 chars>", "expires_in": 3599,
  "token_type": "Bearer"}``; the token is a deterministic function of the seed and the
  refresh token, and carries its own check, so :meth:`TokenIssuer.subject` can tell an
  issued token from any other string without keeping state (tokens never expire);
- an unknown refresh token (when the mock was given a list of them), 400
  ``{"error": "invalid_grant", "error_description": "Bad Request"}``;
- no refresh token: 400 ``invalid_request``; another grant type: 400
  ``unsupported_grant_type`` (RFC 6749 section 5.2 codes, Google's descriptions).

The subject of a token (16 characters) names the account for Code Assist
(:mod:`mockserver.codeassist`). :func:`redact_form` is what the journal records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson

from spec.secrets import OAUTH_FORM_FIELDS, REDACTED

__all__ = [
    "EXPIRES_IN",
    "TOKEN_PREFIX",
    "TokenIssuer",
    "parse_form",
    "redact_form",
]

TOKEN_PREFIX = "ya29.mock-"
EXPIRES_IN = 3599
"""Seconds an access token is said to live (it is never checked)."""
_PART = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def parse_form(raw: bytes, content_type: str) -> dict[str, str]:
    """The token request's fields: JSON object when ``content_type`` says JSON, else a
    form (``application/x-www-form-urlencoded``); the last value of a repeated field."""
    if "json" in content_type.lower():
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            return {}
        if not isinstance(body, dict):
            return {}
        return {str(k): v if isinstance(v, str) else str(v) for k, v in body.items()}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def redact_form(form: Mapping[str, str]) -> dict[str, str]:
    """``form`` with the values of its credentials (:data:`spec.secrets.OAUTH_FORM_FIELDS`)
    replaced by ``[redacted]``."""
    return {k: REDACTED if k.lower() in OAUTH_FORM_FIELDS else v for k, v in form.items()}


class TokenIssuer:
    """Issues and recognises access tokens for one seed.

    ``refresh_tokens``: the accepted refresh tokens; empty means any non-empty one.
    """

    __slots__ = ("_mac_key", "_refresh_tokens", "_sub_key")

    def __init__(self, seed: int, refresh_tokens: frozenset[str] = frozenset()) -> None:
        root = hashlib.blake2b(seed.to_bytes(8, "big"), person=b"mockserver-oauth").digest()
        self._sub_key = root[:32]
        self._mac_key = root[32:]
        self._refresh_tokens = refresh_tokens

    def issue(self, refresh_token: str) -> str:
        """The access token for ``refresh_token`` (no validity check here)."""
        digest = hashlib.blake2b(refresh_token.encode(), key=self._sub_key, digest_size=12)
        subject = _b64(digest.digest())
        return TOKEN_PREFIX + subject + self._mac(subject)

    def _mac(self, subject: str) -> str:
        return _b64(hmac.digest(self._mac_key, subject.encode(), "sha256")[:12])

    def subject(self, access_token: str) -> str | None:
        """The 16-character subject of a token this issuer made, else ``None``."""
        if len(access_token) != len(TOKEN_PREFIX) + 2 * _PART:
            return None
        if not access_token.startswith(TOKEN_PREFIX):
            return None
        subject = access_token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + _PART]
        mac = access_token[len(TOKEN_PREFIX) + _PART :]
        return subject if hmac.compare_digest(mac, self._mac(subject)) else None

    def grant(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """The token endpoint's ``(status, body)`` for a parsed request (module doc)."""
        grant_type = form.get("grant_type", "")
        if grant_type != "refresh_token":
            if not grant_type:
                return 400, _oauth_error(
                    "invalid_request", "Missing required parameter: grant_type"
                )
            return 400, _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        token = form.get("refresh_token", "")
        if not token:
            return 400, _oauth_error("invalid_request", "Missing required parameter: refresh_token")
        if self._refresh_tokens and token not in self._refresh_tokens:
            return 400, _oauth_error("invalid_grant", "Bad Request")
        return 200, {
            "access_token": self.issue(token),
            "expires_in": EXPIRES_IN,
            "token_type": "Bearer",
        }


def _oauth_error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}
