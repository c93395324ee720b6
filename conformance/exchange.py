"""One recorded HTTP exchange with the target: what checks read.

An :class:`Exchange` is plain data (request, status, headers, the body bytes as they
arrived, with their arrival times) so every check is a pure function of it and can be
unit-tested on a hand-built bad response. The I/O that fills it lives in ``probes``.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from spec.secrets import (
    REDACTED,
    SECRET_HEADERS,
    is_secret_header,
    is_secret_param,
    redact_body_text,
    redact_json,
    scrub_tokens,
)

from .sse_trace import StreamTrace, trace

__all__ = [
    "FRAMING_KINDS",
    "SECRET_HEADERS",
    "Exchange",
    "Framing",
    "Request",
    "redact_headers",
    "redact_url",
]

Framing = Literal["", "short", "reset", "malformed", "surplus"]
"""How a body's HTTP/1.1 framing broke: ``short`` (the connection closed before the
declared ``Content-Length`` or the last chunk), ``reset`` (the connection was reset
mid-body), ``malformed`` (an illegal chunk header or the like), ``surplus`` (bytes after
the declared ``Content-Length``); ``""`` intact."""
FRAMING_KINDS: tuple[Framing, ...] = ("short", "reset", "malformed", "surplus")

_REDACT_MARGIN = 512
"""Characters past a cut that are redacted with the shown part, so a credential the cut
splits is still recognised whole."""


def redact_url(url: str) -> str:
    """``url`` without user:password and with the values of secret query parameters
    (``key=``, ``access_token=``...; :mod:`spec.secrets`) and credential-looking values
    redacted."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = urlencode(
        [
            (k, REDACTED if is_secret_param(k) else scrub_tokens(v))
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="[]",
    )
    path = scrub_tokens(parts.path)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with the values of secret headers (:mod:`spec.secrets`)
    replaced (``Bearer [redacted]`` keeps the scheme so the evidence still shows the auth
    style) and credential-looking values in the others too."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if is_secret_header(name):
            scheme, _, rest = value.partition(" ")
            out[name] = f"{scheme} {REDACTED}" if rest and scheme.lower() == "bearer" else REDACTED
        else:
            out[name] = scrub_tokens(value)
    return out


@dataclass(frozen=True, slots=True)
class Request:
    """The request a probe sent. ``body`` is the exact bytes; ``json_body`` the object
    it was serialised from (``None`` for a deliberately malformed body)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None
    json_body: Any = None

    def redacted(self) -> dict[str, Any]:
        """``{"method", "url", "headers", "body"}`` with secrets redacted (the body's
        secret members and credential-looking values too)."""
        body: Any = None
        if self.json_body is not None:
            body = redact_json(self.json_body)
        elif self.body is not None:
            body = redact_body_text(self.body.decode("utf-8", "replace"))
        return {
            "method": self.method,
            "url": redact_url(self.url),
            "headers": redact_headers(self.headers),
            "body": body,
        }

    def curl(self) -> str:
        """A shell line that sends this request again. The credential is read from
        ``$CONFORMANCE_API_KEY`` (the variable the README has users set), so the line
        itself holds no secret (credentials in the body are redacted); ``-N`` keeps
        streams unbuffered."""
        parts = ["curl", "-sS", "-N", "-X", self.method, shlex.quote(redact_url(self.url))]
        for name, value in self.headers.items():
            lower = name.lower()
            if lower in ("content-length", "host", "accept-encoding", "connection", "user-agent"):
                continue
            if is_secret_header(lower):
                scheme = "Bearer " if value.lower().startswith("bearer ") else ""
                parts += ["-H", f'"{name}: {scheme}$CONFORMANCE_API_KEY"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {scrub_tokens(value)}")]
        if self.body is not None:
            body = redact_body_text(self.body.decode("utf-8", "replace"))
            parts += ["--data-raw", shlex.quote(body)]
        return " ".join(parts)


@dataclass(frozen=True)
class Exchange:
    """A request and what came back.

    ``status`` is ``None`` when the transport failed before a status arrived
    (``transport_error`` then says why). ``chunks`` are the body pieces as received,
    each with its arrival time in seconds since the request was sent; ``body`` is
    their concatenation. ``truncated`` is true when reading stopped at the size cap.
    ``upstream`` holds the mock's journal entries for this probe (controlled mode, every
    turn); ``previous`` the earlier turns of a multi-turn probe.
    """

    probe: str
    request: Request
    status: int | None
    headers: Sequence[tuple[str, str]] = ()
    chunks: Sequence[tuple[float, bytes]] = ()
    transport_error: str | None = None
    elapsed_s: float = 0.0
    truncated: bool = False
    upstream: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    previous: tuple[Exchange, ...] = ()
    """Earlier turns of a multi-turn probe, oldest first."""
    profile: str = "openai-core"
    """The profile the target was tested under (names the OpenAPI document)."""
    base_path: str = ""
    """The path of the target's root URL (``""`` for ``http://host:port``)."""
    api_prefix: str = ""
    """The profile's prefix (``/v1``) when the target's base URL is its OpenAI base URL
    itself, without that prefix (Google's ``/v1beta/openai``, ``Target.prefixed`` false):
    the documents' paths carry it, the requests do not. ``""`` usually."""
    node: Any = None
    """openai-node's replay of this exchange: a ``NodeOutcome``, a string saying why
    there is none (node or the package missing), or ``None`` (not replayed)."""
    ai_sdk: Any = None
    """The Vercel AI SDK's replay of this exchange (npm ``@ai-sdk/openai-compatible``): a
    ``NodeOutcome``, a string saying why there is none, or ``None`` (not replayed)."""
    prop_result: Mapping[str, Any] | None = None
    """Property probes: ``{"examples": n, "violation": str | None}``; the exchange is the
    minimal failing example (or the last one sent)."""
    upstream_keys: frozenset[str] = frozenset()
    """Controlled mode: fingerprints of every upstream credential the proxy used in the
    whole run (all probes), so a check can tell a one-key proxy from one that holds
    several keys but did not use them (``errors.key_failover``)."""
    throttled: bool = False
    """Controlled mode: the target answered 429/503 by itself, twice, without calling
    the upstream, so the probe's scenario never ran."""
    dropped_connection: str = ""
    """The transport error of a first attempt on a kept-alive connection that the target
    had closed (e.g. after a crash); the exchange is the retry on a fresh connection.
    Empty when the first attempt went through."""
    declared_length: int | None = None
    """The ``Content-Length`` the target declared (``None``: none, or chunked)."""
    received_bytes: int | None = None
    """Body bytes received on the wire, before ``Content-Encoding`` is undone (``None``:
    not measured, e.g. a hand-built exchange)."""
    framing: Framing = ""
    """How the body's HTTP/1.1 framing broke (:data:`FRAMING_KINDS`); ``""`` when the
    body arrived as framed (or no status arrived: see ``transport_error``)."""
    surplus_bytes: int = 0
    """Bytes the target sent after the ``Content-Length`` it declared (``framing`` is then
    ``"surplus"``); a client reads them as the start of its next response."""
    hung_s: float | None = None
    """Seconds the target sent no byte without ending the response, after which the
    harness stopped reading (probes whose scripted upstream answer breaks off,
    :attr:`conformance.probes.base.Probe.upstream_cut`); ``None``: it did not hang."""
    started_at: float = 0.0
    """When the request was sent, Unix time in seconds (to compare with the journal)."""
    deadline_s: float | None = None
    """The request's total deadline in seconds, when it passed while the answer was still
    arriving (a target that trickles a byte now and then never trips the read timeout);
    the harness stopped reading there. ``None``: the answer ended in time."""

    def document_path(self) -> str:
        """The request's path as the profile's documents write it: the target's base
        path taken off (``"/"`` when nothing is left), and :attr:`api_prefix` put back."""
        path = urlsplit(self.request.url).path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :] or "/"
            if self.api_prefix:
                path = self.api_prefix + (path if path != "/" else "")
        return path

    @property
    def is_stream(self) -> bool:
        """The answer is an event stream (or the request asked for one)."""
        if self.content_type == "text/event-stream":
            return True
        asked = self.request.json_body
        return isinstance(asked, dict) and asked.get("stream") is True

    @property
    def chunked(self) -> bool:
        """The body came with ``Transfer-Encoding: chunked``."""
        return "chunked" in (self.header("transfer-encoding") or "").lower()

    def framing_evidence(self) -> str | None:
        """Why the body did not arrive as framed, with the byte counts (``None``: it did,
        or :attr:`framing` is empty)."""
        if not self.framing:
            return None
        declared = self.declared_length
        got = self.received_bytes
        counts = (
            f"Content-Length: {declared} declared, {got} bytes received"
            if declared is not None
            else f"{got} bytes received"
            if got is not None
            else "bytes received unknown"
        )
        chunked = "chunked " if self.chunked else ""
        what = {
            "short": f"the {chunked}body ended before it was complete",
            "reset": "the connection was reset mid-body",
            "malformed": f"the {chunked}body's framing is malformed",
            "surplus": f"{self.surplus_bytes} bytes follow the declared body",
        }[self.framing]
        error = f" ({self.transport_error})" if self.transport_error else ""
        return f"{what}: {counts}{error}"

    def body_problem(self) -> str | None:
        """Why a client cannot read this answer's body as sent: broken framing, a
        transport error after the status, or a hang; ``None`` when the body arrived
        intact (a body cut at the harness's own size cap counts as intact)."""
        if self.hung_s is not None:
            return (
                f"the response hung: no byte and no end for {self.hung_s:.1f} s "
                "(the harness stopped reading)"
            )
        if self.deadline_s is not None:
            return (
                f"the answer was still arriving when the request's deadline of "
                f"{self.deadline_s:g} s passed, after {len(self.body)} bytes (the harness "
                "stopped reading)"
            )
        evidence = self.framing_evidence()
        if evidence is not None:
            return evidence
        if self.status is not None and self.transport_error:
            return f"the body broke off after {len(self.body)} bytes: {self.transport_error}"
        return None

    @cached_property
    def body(self) -> bytes:
        return b"".join(piece for _, piece in self.chunks)

    @cached_property
    def sse(self) -> StreamTrace:
        """The body taken apart as an event stream (computed once)."""
        return trace(self.body)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def retry_after_s(self) -> float | None:
        """The retry delay the response asks for, in seconds: ``retry-after-ms`` (ms)
        first, then ``Retry-After`` (seconds; an HTTP-date gives ``None``), the order
        openai-python reads them in (docs/openai-wire.md B3)."""
        for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
            raw = self.header(name)
            if raw is None:
                continue
            try:
                value = float(raw) * scale
            except ValueError:
                continue
            if math.isfinite(value):
                return value
        return None

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased (``""`` when absent)."""
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON. Raises ``ValueError`` (``json.JSONDecodeError``)."""
        return json.loads(self.body)

    def response_summary(self, limit: int = 2000) -> dict[str, Any]:
        """``{"status", "headers", "body"}`` with the body cut to ``limit`` characters,
        secrets redacted."""
        text = self.body.decode("utf-8", "replace")
        if len(text) > limit:
            shown = redact_body_text(text[: limit + _REDACT_MARGIN])[:limit]
            text = f"{shown}… ({len(text) - limit} more characters)"
        else:
            text = redact_body_text(text)
        summary: dict[str, Any] = {
            "status": self.status,
            "headers": redact_headers(dict(self.headers)),
            "body": text,
        }
        if self.dropped_connection:
            summary["dropped_connection"] = self.dropped_connection
        problem = self.body_problem()
        if problem is not None:
            summary["body_problem"] = problem
        return summary
