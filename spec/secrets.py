"""What counts as a secret on the wire: the one list every redaction uses.

The mock's journal (:mod:`mockserver.journal`), the suite's recorded exchanges
(:mod:`conformance.exchange`) and the reports (:mod:`reports.render_safe`) all redact
with these names and patterns, so a credential hidden in one place is hidden in all.
Pure; names are matched case-insensitively. A secret is found three ways:

- **by header name** (:data:`SECRET_HEADERS`): ``Authorization`` (any scheme: Bearer,
  Basic...), ``Proxy-Authorization``, ``x-goog-api-key``, ``x-api-key``, ``api-key``,
  and cookies both ways (``Cookie``, ``Set-Cookie``: the whole value, names included);
- **by parameter or field name**: query and form parameters (:data:`SECRET_PARAMS`:
  ``key=``, ``access_token=``, ``refresh_token=``...) and JSON object members
  (:data:`SECRET_FIELDS`: ``refresh_token``, ``client_secret``...; generic words such as
  ``key``, ``token`` or ``code`` are not secrets in a JSON body, where they name
  schema properties, logprobs and error codes);
- **by the look of the value** (:data:`TOKEN_PATTERNS`), wherever it stands: JWTs
  (``eyJ...``), Google API keys (``AIza`` + 35), Google OAuth refresh (``1//0...``) and
  access (``ya29....``) tokens, and ``sk-...`` API keys.

Every redacted value becomes :data:`REDACTED`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "OAUTH_FORM_FIELDS",
    "REDACTED",
    "SECRET_FIELDS",
    "SECRET_HEADERS",
    "SECRET_HEADER_WORDS",
    "SECRET_PARAMS",
    "TOKEN_PATTERNS",
    "is_secret_field",
    "is_secret_header",
    "is_secret_param",
    "is_token",
    "redact_body_text",
    "redact_json",
    "scrub_tokens",
    "scrub_values",
]

REDACTED = "[redacted]"
"""What a secret value is replaced by."""

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-goog-api-key",
        "x-api-key",
        "api-key",
        "cookie",
        "set-cookie",
    }
)
"""Header names (lower case) whose whole value is a credential."""

SECRET_FIELDS = frozenset(
    {
        "refresh_token",
        "access_token",
        "id_token",
        "client_secret",
        "password",
        "assertion",
        "api_key",
    }
)
"""JSON member and form field names (lower case) whose value is a credential: OAuth
token requests and answers (RFC 6749 section 4-6, the JWT bearer ``assertion``),
and API keys sent in a body."""

SECRET_PARAMS = SECRET_FIELDS | {"key", "apikey", "api-key", "token"}
"""Query and form parameter names (lower case) whose value is a credential: Google's
``key=``, OAuth's ``access_token=`` (RFC 6750 section 2.3) and every
:data:`SECRET_FIELDS` name."""

OAUTH_FORM_FIELDS = SECRET_FIELDS | {"code"}
"""The fields of an OAuth token request that are credentials: :data:`SECRET_FIELDS` and
the authorization ``code`` (RFC 6749 section 4.1.3)."""

_EDGE = r"(?<![A-Za-z0-9_\-.])"
_END = r"(?![A-Za-z0-9_\-])"
TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(_EDGE + r"eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*" + _END),
    re.compile(_EDGE + r"AIza[0-9A-Za-z_\-]{35}" + _END),
    re.compile(_EDGE + r"1//0[0-9A-Za-z_\-]{20,}" + _END),
    re.compile(_EDGE + r"ya29\.[0-9A-Za-z_\-.]{20,}" + _END),
    re.compile(_EDGE + r"sk-[A-Za-z0-9_\-]{16,}" + _END),
)
"""Credentials recognised by their look, in order: a JWT (three base64url segments, the
first a JSON header), a Google API key, a Google OAuth refresh token, a Google OAuth
access token, an ``sk-`` API key (OpenAI, Anthropic and most proxies)."""

_ANY_TOKEN = re.compile("|".join(f"(?:{p.pattern})" for p in TOKEN_PATTERNS))
_SCHEME = re.compile(r"(?i)(?:bearer|basic)\s+")
_FIELD_TEXT = re.compile(
    r'(?i)("(?:'
    + "|".join(re.escape(f) for f in sorted(SECRET_FIELDS))
    + r')"\s*:\s*")((?:[^"\\]|\\.)*)(")'
)
_PARAM_TEXT = re.compile(
    r"(?i)((?:^|(?<=[?&;'\"]))(?:"
    + "|".join(re.escape(p) for p in sorted(SECRET_PARAMS, key=len, reverse=True))
    + r")=)([^&#\s'\"]*)"
)


SECRET_HEADER_WORDS = frozenset(
    {"key", "apikey", "token", "secret", "password", "authorization", "credential", "cookie"}
)
"""Words (``-``-separated, lower case) that make a header name a credential's: a
gateway's own key or token header (``x-portkey-api-key``, ``cf-aig-authorization``,
``x-litellm-api-key``). ``tokens`` is not one of them: ``x-ratelimit-remaining-tokens``
is a count."""


def is_secret_header(name: str) -> bool:
    """True when a header called ``name`` carries a credential: one of
    :data:`SECRET_HEADERS`, or a name with a word of :data:`SECRET_HEADER_WORDS`."""
    lower = name.strip().lower()
    return lower in SECRET_HEADERS or not SECRET_HEADER_WORDS.isdisjoint(lower.split("-"))


def is_secret_param(name: str) -> bool:
    """True when a query or form parameter called ``name`` carries a credential."""
    return name.strip().lower() in SECRET_PARAMS


def is_secret_field(name: str) -> bool:
    """True when a JSON member called ``name`` carries a credential."""
    return name.strip().lower() in SECRET_FIELDS


def is_token(value: str) -> bool:
    """True when ``value`` as a whole (after an optional ``Bearer``/``Basic`` scheme) looks
    like a credential (:data:`TOKEN_PATTERNS`)."""
    token = value.strip()
    scheme = _SCHEME.match(token)
    if scheme is not None:
        token = token[scheme.end() :]
    return any(p.fullmatch(token) for p in TOKEN_PATTERNS)


def scrub_tokens(text: str) -> str:
    """``text`` with every substring that looks like a credential (:data:`TOKEN_PATTERNS`)
    replaced by :data:`REDACTED`; the rest is kept byte for byte."""
    return _ANY_TOKEN.sub(REDACTED, text)


def redact_json(value: Any) -> Any:
    """A copy of the JSON value ``value`` with the string of every :data:`SECRET_FIELDS`
    member and every string that is a whole credential (:func:`is_token`) replaced by
    :data:`REDACTED`. Objects (a JSON schema's ``password`` property) and other strings
    (prompt text, base64 data) are kept as they are."""
    if isinstance(value, dict):
        return {
            k: REDACTED
            if isinstance(v, str) and v and isinstance(k, str) and is_secret_field(k)
            else redact_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, str) and is_token(value):
        return REDACTED
    return value


def redact_body_text(text: str) -> str:
    """``text`` (a body that may be JSON, a form or anything else, possibly cut short)
    with the values of secret JSON members (``"refresh_token": "..."``), of secret
    parameters (``refresh_token=...``) and every credential-looking substring replaced."""
    out = _FIELD_TEXT.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)
    out = _PARAM_TEXT.sub(lambda m: m.group(1) + REDACTED, out)
    return scrub_tokens(out)


MIN_SECRET_LEN = 4
"""Shorter literal secrets are not scrubbed by :func:`scrub_values` (they would redact
ordinary words)."""


def scrub_values(value: Any, secrets: Iterable[str]) -> Any:
    """A copy of ``value`` (a string, or dicts, lists and tuples of them; other values as
    they are) with every occurrence of each literal secret in ``secrets`` (the API key the
    run was given, its ``--header`` values...) replaced by :data:`REDACTED`, as written and
    as it appears escaped inside JSON text. For answers that echo a credential back
    ("Incorrect API key provided: ..."), which no name or pattern can recognise.
    Secrets shorter than :data:`MIN_SECRET_LEN` characters are ignored."""
    forms = sorted(
        {f for s in secrets if len(s) >= MIN_SECRET_LEN for f in (s, json.dumps(s)[1:-1])},
        key=len,
        reverse=True,
    )
    if not forms:
        return value
    return _scrub(value, forms)


def _scrub(value: Any, forms: list[str]) -> Any:
    if isinstance(value, str):
        for form in forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value
    if isinstance(value, dict):
        return {_scrub(k, forms): _scrub(v, forms) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v, forms) for v in value)
    return value
