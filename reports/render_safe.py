"""Making evidence safe and short enough to print: redaction, truncation, visible bytes.

Every renderer passes evidence text through these helpers. Producers already redact
secrets; this is defence in depth: a header named like a credential never shows its
value, whatever the record holds, and neither does a ``key=`` or ``access_token=``
parameter, a secret JSON member (``refresh_token``), a credential-looking value (a JWT,
an ``AIza...`` or ``sk-...`` key), a URL's password or a ``curl -H 'Authorization: ...'``
argument. The names and patterns are :mod:`spec.secrets`, the list the mock's journal
and the suite's exchanges redact with too. All functions are pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spec.secrets import (
    REDACTED,
    SECRET_HEADERS,
    is_secret_header,
    redact_body_text,
    redact_json,
    scrub_tokens,
)

__all__ = [
    "REDACTED",
    "SENSITIVE_HEADERS",
    "Body",
    "is_sensitive_header",
    "pretty_body",
    "redact_headers",
    "redact_text",
    "shown",
    "truncate",
    "visible",
]

SENSITIVE_HEADERS = SECRET_HEADERS
"""Header names (lower case) whose value is never printed (:data:`spec.secrets.SECRET_HEADERS`)."""

_HEADER_NAMES = "|".join(re.escape(h) for h in sorted(SENSITIVE_HEADERS, key=len, reverse=True))
_HEADER_ARG = re.compile(rf"(?i)(?<![\w-])((?:{_HEADER_NAMES})\s*:[ \t]*)([^'\"\n]*)")
_USERINFO = re.compile(r"(://[^/@:\s'\"]*:)([^/@\s'\"]+)(@)")
_USER_OPT = re.compile(r"((?:^|\s)(?:-u|--user)\s+['\"]?[^:\s'\"]*:)([^\s'\"]+)")
_COOKIE_OPT = re.compile(r"((?:^|\s)(?:-b|--cookie)\s+['\"]?)([^'\"\n]+)")
_ENV_REFERENCE = re.compile(r"^(?:Bearer\s+)?\$\{?[A-Za-z_][A-Za-z0-9_]*\}?\s*$")
"""A header value that only names a shell variable (``Bearer $CONFORMANCE_API_KEY``): no secret."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_NAMES = {"\r": "\\r", "\x0b": "\\v", "\x0c": "\\f"}


def is_sensitive_header(name: str) -> bool:
    """True when a header of this name carries a credential (case-insensitive)."""
    return is_secret_header(name)


def redact_text(text: str) -> str:
    """``text`` (a curl line, a URL, a journal line) with credentials replaced.

    Replaces the value of ``Authorization:``-style header arguments, of ``key=``-style
    parameters and secret JSON members (:func:`spec.secrets.redact_body_text`), every
    credential-looking value, the password of ``scheme://user:password@host``, and the
    values of curl's ``-u``/``--user`` and ``-b``/``--cookie`` options by ``[redacted]``.
    A header value that is only a shell variable reference (``Bearer
    $CONFORMANCE_API_KEY``) is kept: the reproduction line reads the key from the
    environment.
    """
    out = _HEADER_ARG.sub(
        lambda m: m.group(0) if _ENV_REFERENCE.match(m.group(2)) else m.group(1) + REDACTED,
        text,
    )
    out = redact_body_text(out)
    out = _USERINFO.sub(lambda m: m.group(1) + REDACTED + m.group(3), out)
    out = _USER_OPT.sub(lambda m: m.group(1) + REDACTED, out)
    return _COOKIE_OPT.sub(lambda m: m.group(1) + REDACTED, out)


def _header_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def redact_headers(headers: Any) -> list[tuple[str, str]]:
    """Headers as ``[(name, value), ...]`` in their given order, credentials redacted.

    ``headers`` is a mapping, a list of ``(name, value)`` pairs or of ``"Name: value"``
    strings, or ``None`` (gives ``[]``). List values are joined with ``", "``. The value
    of every header in :data:`SENSITIVE_HEADERS` becomes ``[redacted]``, credentials in
    the other values (:func:`spec.secrets.scrub_tokens`) too.
    """
    pairs: list[tuple[str, str]] = []
    if headers is None:
        return pairs
    if isinstance(headers, Mapping):
        pairs = [(str(k), _header_value(v)) for k, v in headers.items()]
    elif isinstance(headers, list | tuple):
        for item in headers:
            if isinstance(item, str):
                name, _, value = item.partition(":")
                pairs.append((name.strip(), value.strip()))
            elif isinstance(item, list | tuple) and len(item) >= 2:
                pairs.append((str(item[0]), _header_value(item[1])))
            else:
                pairs.append((str(item), ""))
    else:
        pairs = [("(headers)", redact_text(str(headers)))]
    return [(n, REDACTED if is_sensitive_header(n) else scrub_tokens(v)) for n, v in pairs]


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, followed by ``… (N more bytes)`` when cut.

    ``N`` counts the UTF-8 bytes left out. ``limit`` must be >= 0.
    """
    if limit < 0:
        raise ValueError(f"limit: must be >= 0, got {limit!r}")
    if len(text) <= limit:
        return text
    rest = len(text[limit:].encode("utf-8", "surrogatepass"))
    sep = "" if limit == 0 or text[limit - 1] == "\n" else "\n"
    return f"{text[:limit]}{sep}… ({rest} more bytes)"


def visible(text: str) -> str:
    """``text`` with control characters other than newline and tab shown as escapes.

    ``\\r`` becomes the two characters ``\\r`` (so CRLF framing stays visible), other
    controls become ``\\xNN``; newlines and tabs are kept.
    """
    return _CONTROL.sub(lambda m: _CONTROL_NAMES.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def shown(text: str) -> str:
    """``text`` ready to print: credentials redacted (:func:`redact_text`), control
    characters visible (:func:`visible`)."""
    return visible(redact_text(text))


@dataclass(frozen=True, slots=True)
class Body:
    """A body ready to print: ``text`` (visible, truncated) and ``lang`` (``json``/``text``)."""

    text: str
    lang: str


def pretty_body(body: Any, limit: int, *, reformat: bool = True) -> Body | None:
    """A request or response body as a printable :class:`Body`; ``None`` when empty.

    Mappings and lists become indented JSON. A string that parses as JSON is re-indented
    when ``reformat`` is true (request bodies); otherwise (response excerpts, where the
    framing is the evidence) it is kept byte for byte. Bytes are decoded as UTF-8 with
    replacement. Secrets are redacted (:func:`spec.secrets.redact_json`, then
    :func:`spec.secrets.redact_body_text` on the text). The text is cut to ``limit``
    characters (see :func:`truncate`).
    """
    if body is None or body == "" or body == b"":
        return None
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        parsed = _parse_json(body)
        if parsed is _NOT_JSON:
            text, lang = body, "text"
        elif reformat:
            text, lang = json.dumps(redact_json(parsed), indent=2, ensure_ascii=False), "json"
        else:
            text, lang = body, "json"
    else:
        text = json.dumps(redact_json(body), indent=2, ensure_ascii=False, default=str)
        lang = "json"
    return Body(text=truncate(visible(redact_body_text(text)), limit), lang=lang)


_NOT_JSON = object()


def _parse_json(text: str) -> Any:
    """The JSON value of ``text`` (an object or array), or ``_NOT_JSON``."""
    if text.lstrip()[:1] not in ("{", "["):
        return _NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON
