"""Evidence made safe to print: redacted, control characters visible, bodies cut short.

:func:`evidence_view` turns a record's :class:`~reports.records.Evidence` into an
:class:`EvidenceView` that both the Markdown and the HTML templates lay out. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reports.records import Evidence
from reports.render_safe import Body, pretty_body, redact_headers, shown, truncate, visible
from spec.secrets import redact_json

__all__ = [
    "BODY_LIMIT",
    "EXCERPT_LIMIT",
    "UPSTREAM_LIMIT",
    "ClientView",
    "EvidenceView",
    "UpstreamView",
    "evidence_view",
]

BODY_LIMIT = 4000
"""Characters of a request/response body shown before ``… (N more bytes)``."""
EXCERPT_LIMIT = 2000
"""Characters of the offending-bytes excerpt shown."""
UPSTREAM_LIMIT = 300
"""Characters of each condensed upstream journal entry's body."""


@dataclass(frozen=True, slots=True)
class ClientView:
    """One client replay: ``ok`` when the client parsed the bytes (outcome ``"ok"``)."""

    name: str
    ok: bool
    outcome: str


@dataclass(frozen=True, slots=True)
class UpstreamView:
    """One condensed upstream journal entry: ``line`` (method, URL, other scalars) and
    ``body`` (compact JSON, cut to :data:`UPSTREAM_LIMIT`)."""

    line: str
    body: str


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """Evidence made safe to print (redacted, visible, truncated); empty parts are falsy."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: Body | None
    status: str
    response_headers: list[tuple[str, str]]
    response_body: Body | None
    excerpt: str
    curl: str
    clients: list[ClientView]
    upstream: list[UpstreamView]

    @property
    def request_headers_text(self) -> str:
        return "\n".join(f"{n}: {v}" for n, v in self.request_headers)

    @property
    def response_headers_text(self) -> str:
        return "\n".join(f"{n}: {v}" for n, v in self.response_headers)

    @property
    def has_request(self) -> bool:
        return bool(self.method or self.url or self.request_headers or self.request_body)

    @property
    def has_response(self) -> bool:
        return bool(self.status or self.response_headers or self.response_body)


_UPSTREAM_SKIP = frozenset({"method", "url", "path", "headers", "body", "json"})


def _upstream(entry: Mapping[str, Any]) -> UpstreamView:
    parts = [str(entry.get("method", "") or ""), str(entry.get("url") or entry.get("path") or "")]
    for key in sorted(k for k in entry if k not in _UPSTREAM_SKIP):
        value = entry[key]
        if isinstance(value, str | int | float | bool) or value is None:
            parts.append(f"{key}={value}")
    credentials = entry.get("credentials")
    if isinstance(credentials, list):  # fingerprints (SHA-256 prefixes), not secrets
        marks = [str(c.get("sha256")) for c in credentials if isinstance(c, dict)]
        parts.append(f"key={','.join(marks) or 'none'}")
    line = shown(" ".join(p for p in parts if p))
    body = entry.get("body", entry.get("json"))
    if body is None or body == "":
        text = ""
    elif isinstance(body, str):
        text = body
    else:
        text = json.dumps(redact_json(body), ensure_ascii=False, separators=(",", ":"), default=str)
    return UpstreamView(line=line, body=truncate(shown(text), UPSTREAM_LIMIT))


def evidence_view(ev: Evidence | None) -> EvidenceView | None:
    """:class:`EvidenceView` of ``ev``, or ``None`` when there is no evidence at all."""
    if ev is None:
        return None
    req: Mapping[str, Any] = ev.request or {}
    resp: Mapping[str, Any] = ev.response or {}
    status = resp.get("status")
    view = EvidenceView(
        method=str(req.get("method") or ""),
        url=shown(str(req.get("url") or "")),
        request_headers=[(visible(n), visible(v)) for n, v in redact_headers(req.get("headers"))],
        request_body=pretty_body(req.get("body"), BODY_LIMIT),
        status="" if status is None else str(status),
        response_headers=[(visible(n), visible(v)) for n, v in redact_headers(resp.get("headers"))],
        response_body=pretty_body(resp.get("body"), BODY_LIMIT, reformat=False),
        excerpt=truncate(shown(ev.excerpt or ""), EXCERPT_LIMIT),
        curl=shown(ev.curl or ""),
        clients=[
            ClientView(name, outcome.strip().lower() == "ok", shown(outcome))
            for name, outcome in sorted(ev.clients.items())
        ],
        upstream=[_upstream(e) for e in ev.upstream if isinstance(e, Mapping)],
    )
    empty = not (view.has_request or view.has_response or view.excerpt or view.curl)
    return None if empty and not (view.clients or view.upstream) else view
