"""The request journal: what the proxy under test sent upstream, with secrets redacted.

One entry per API request: ``/v1beta`` (or its alias ``/v1``), Google's
OpenAI-compatible ``/v1beta/openai``, Code Assist ``/v1internal``, the OAuth token
endpoint and the fixture images ``/_mock/image.png|jpg`` (:mod:`mockserver.
http_fixtures`; the other admin routes ``/_mock/...`` are not recorded). An entry is a
:class:`spec.mock_admin.JournalEntry`, the ``JournalEntry`` schema of
``spec/openapi/mock-admin.yaml``::

    {"seq": 1, "time": 1767225600.123, "method": "POST",
     "path": "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
     "query": {"alt": "sse", "key": "[redacted]"},
     "headers": {"content-type": "application/json", "x-goog-api-key": "[redacted]"},
     "body": {...parsed JSON...} | null, "scenario": "text" | null, "cid": "7f3a" | null,
     "status": 200,
     "credentials": [{"where": "header:x-goog-api-key", "sha256": "3f1c0a9b2e4d"}],
     "response": {"text": "...", "thoughts": "", "function_calls": [], "finish_reason": "STOP",
                  "candidates": 1, "texts": ["..."], "finish_reasons": ["STOP"]}
                 | null}

``cid`` is the request's correlation id (:func:`mockserver.request.request_cid`): the
``x-mock-cid`` header when the proxy forwarded it, else the directive's, else the last
``cid=`` of a ``[[mock:...]]`` written anywhere in the raw body (any role or part, a tool
result, a system instruction, a body rejected with 400 or not JSON at all), so every
request the suite sent through the proxy can be found. ``seq`` counts from 1 and keeps
counting across :meth:`Journal.clear`; ``time`` is Unix
time in seconds (the only clock in the mock, and never in a response body); header
names are lower-case, repeated headers are joined with ``", "``; ``query`` keeps the
last value of a repeated parameter; ``body`` is ``null`` when the body is empty or not
JSON. Secrets are redacted with :mod:`spec.secrets`: the values of secret headers
(``authorization``, ``x-goog-api-key``, cookies...), of secret query parameters
(``key``, ``access_token``...) and of secret body members (``refresh_token``...);
credentials recognised by their look (a JWT, an ``AIza...`` key...) inside other header
and query values, and body strings that are one.
``credentials`` lists every credential the request carried (``where``:
``header:x-goog-api-key``, ``header:authorization`` (the token after the scheme),
``query:key``, and ``body:refresh_token`` for the token endpoint, whose recorded body
has its secret fields redacted) by fingerprint: the first 12 hex digits of its SHA-256,
enough to tell whose key it is, useless to recover it. ``response`` summarises what
the mock answered to a generate call (:func:`mockserver.summary.summarize`: candidate
0's ``text``, and ``texts``/``finish_reasons`` per candidate; ``error`` is added when
it sent an error; ``media`` for image and audio answers), ``{"image": {...}}`` for a
fixture image, and is ``null`` for other requests. The journal keeps the newest
``capacity`` entries.

Recording is the hot path, so an entry is stored as a flat tuple of the raw request
parts (bytes and strings, which the garbage collector does not track) and turned into
the dict above, redacted, only when it is read.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from spec.mock_admin import Credential, JournalEntry, ReplySummary
from spec.secrets import REDACTED, is_secret_header, is_secret_param, redact_json, scrub_tokens

__all__ = [
    "REDACTED",
    "Journal",
    "credentials",
    "fingerprint",
    "redact_headers",
    "redact_query",
]

RawHeaders = tuple[tuple[bytes, bytes], ...]
"""Header pairs as received, name and value bytes."""

_Entry = tuple[
    int,
    float,
    str,
    str,
    str,
    RawHeaders | Callable[[], RawHeaders],
    bytes,
    str | None,
    str | None,
    int | None,
    ReplySummary | None,
    tuple[tuple[str, str], ...],
]


class Journal:
    """A bounded, in-memory list of request entries (newest last)."""

    __slots__ = ("_entries", "_seq")

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1; got {capacity!r}")
        self._entries: deque[_Entry] = deque(maxlen=capacity)
        self._seq = 0

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str,
        headers: RawHeaders | Callable[[], RawHeaders],
        body: bytes,
        scenario: str | None,
        cid: str | None,
        status: int | None,
        response: ReplySummary | None = None,
        secrets: tuple[tuple[str, str], ...] = (),
    ) -> int:
        """Append one entry; return its ``seq``.

        ``query``: the raw (still percent-encoded) query string; ``headers``: the raw
        header pairs as received (or a function giving them, called when the entry is
        read: parsing waits until someone asks); ``body``: the raw request body (already redacted
        when it holds secrets); ``response``: the reply summary (kept as given, never
        copied: treat it as read-only); ``secrets``: more ``(where, value)`` credentials
        to list by fingerprint after those of the headers and query.
        """
        self._seq += 1
        self._entries.append(
            (
                self._seq,
                time.time(),
                method,
                path,
                query,
                headers,
                body,
                scenario,
                cid,
                status,
                response,
                secrets,
            )
        )
        return self._seq

    def entries(self, cid: str | None = None) -> list[JournalEntry]:
        """All entries as dicts, oldest first; only those with ``cid`` when it is given."""
        return [_render(e) for e in self._entries if cid is None or e[8] == cid]

    def clear(self) -> int:
        """Remove every entry; return how many there were."""
        count = len(self._entries)
        self._entries.clear()
        return count

    def __len__(self) -> int:
        return len(self._entries)


def _render(entry: _Entry) -> JournalEntry:
    seq, at, method, path, query, headers, body, scenario, cid, status, response, secrets = entry
    parsed: Any = None
    if body:
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            parsed = None
    pairs = parse_qsl(query, keep_blank_values=True)
    if callable(headers):
        headers = headers()
    texts = [(k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in headers]
    return {
        "seq": seq,
        "time": at,
        "method": method,
        "path": path,
        "query": redact_query(pairs),
        "headers": redact_headers(texts),
        "body": redact_json(parsed),
        "scenario": scenario,
        "cid": cid,
        "status": status,
        "credentials": credentials(texts, pairs)
        + [Credential(where=where, sha256=fingerprint(value)) for where, value in secrets if value],
        "response": response,
    }


def fingerprint(secret: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``secret`` (UTF-8)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def credentials(
    headers: Iterable[tuple[str, str]], query: Iterable[tuple[str, str]]
) -> list[Credential]:
    """``[{"where", "sha256"}]`` for each non-empty credential, headers first (A4)."""
    found: list[Credential] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "x-goog-api-key" and value:
            found.append({"where": "header:x-goog-api-key", "sha256": fingerprint(value)})
        elif lower == "authorization" and value:
            scheme, _, token = value.partition(" ")
            secret = token.strip() if token.strip() else scheme
            found.append({"where": "header:authorization", "sha256": fingerprint(secret)})
    for key, value in query:
        if key == "key" and value:
            found.append({"where": "query:key", "sha256": fingerprint(value)})
    return found


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased header dict; the values of secret headers
    (:data:`spec.secrets.SECRET_HEADERS`) are redacted, credentials in other values
    (:func:`spec.secrets.scrub_tokens`) too."""
    out: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        value = REDACTED if is_secret_header(lower) else scrub_tokens(value)
        out[lower] = f"{out[lower]}, {value}" if lower in out else value
    return out


def redact_query(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Query dict (the last value of a repeated parameter); the values of secret
    parameters (:data:`spec.secrets.SECRET_PARAMS`: ``key``, ``access_token``...) are
    redacted, credentials in other values too."""
    return {k: REDACTED if is_secret_param(k) else scrub_tokens(v) for k, v in pairs}
