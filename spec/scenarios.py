"""Scenario names and the in-band directive grammar shared by the mock and the suite.

Proxies pass prompt text through but drop unknown headers, so the suite steers the mock
upstream with a directive inside the last user message (docs/architecture.md, "How a
request flows")::

    [[mock:scenario=rate_limit retry_delay=17s cid=7f3a]]

The same ``key=value`` list (without the brackets) is accepted in the ``x-mock-scenario``
request header and by the mock's admin queue (``POST /_mock/scenarios``).

The suite also sends each request's ``cid`` alone in the :data:`CID_HEADER` header: a proxy
that forwards client headers passes it on even when it drops or rewrites the message text
that holds the directive. The mock reads it first, and it only names the journal entry,
never changes the answer.

Keys (all optional; unknown keys are an error, so a typo never passes silently):

=================  ==================================================================
``scenario``       a :class:`Scenario` value (default ``text``)
``cid``            correlation id, recorded in the mock's journal (``[A-Za-z0-9_.-]``)
``seed``           integer seed for the deterministic text (default: the mock's seed)
``chunks``         number of streamed content chunks (default 3, 1..64)
``retry_delay``    ``RetryInfo.retryDelay`` for ``rate_limit``, e.g. ``17s``, ``1.5s``
``cut_after``      chunks sent before a mid-stream cut or error, or before the faults
                   ``reset_during``, ``malformed_chunk``, ``malformed_event`` (default 2)
``framing``        ``crlf`` (Google's own, default) or ``lf`` line endings
``split``          write the stream in pieces of this many bytes (1 = byte by byte)
``coalesce``       ``1``: write all events of the stream in one write
``first_byte_ms``  delay before the response starts, in milliseconds
``chunk_ms``       delay between streamed chunks, in milliseconds (``trickle``: between
                   keep-alives, default 500)
``signature``      ``1``: attach ``thoughtSignature`` to parts (default: on for gemini-3,
                   and for the calls of a model that thought)
``apart``          parallel function calls streamed ``1``: one per chunk (Gemini 3's
                   framing) or ``0``: all in one chunk (Gemini 2.x's); default: the
                   model's own
``length``         body framing: ``1`` sends a body with ``Content-Length``, even a
                   stream (a cut stream then promises more bytes than it sends); ``0``
                   chunked (default: Gemini's generate answers chunked, unary ones too,
                   as Google sends them; other answers with ``Content-Length``)
``parts``          ``2``..``8``: the answer text in that many parts (each streamed
                   chunk's text in up to that many, the unary reply's in that many in
                   a row), as Gemini sends a grounded or an image model's answer;
                   default 1 (scenarios ``text`` and ``thoughts``, one candidate)
``capture``        the name of a capture the mock replays as the upstream's answer
                   (``spec.capture_format.NAME_RE``; docs/mock-captures.md); it
                   replaces ``scenario``, and ``chunk_ms`` overrides its timing
=================  ==================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import StrEnum

from spec.capture_format import NAME_RE as _CAPTURE_NAME_RE

__all__ = [
    "CID_HEADER",
    "DIRECTIVE_HEADER",
    "Directive",
    "DirectiveError",
    "Scenario",
    "find_directive",
    "parse_directive",
    "strip_directives",
]

CID_HEADER = "x-mock-cid"
"""Request header carrying only a correlation id (see the module docstring)."""

DIRECTIVE_HEADER = "x-mock-scenario"
"""Request header carrying a directive (the ``key=value`` list, no brackets)."""

_DIRECTIVE_RE = re.compile(r"\[\[mock:([^\[\]]*)\]\]")
_CID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DELAY_RE = re.compile(r"^(\d+(?:\.\d+)?)s$")


class Scenario(StrEnum):
    """What the mock upstream does with one request (docs/gemini-wire.md section A)."""

    TEXT = "text"
    """Plain text answer, ``finishReason: STOP``."""
    THOUGHTS = "thoughts"
    """Thought parts (``thought: true``) first, then the answer."""
    TOOL_CALL = "tool_call"
    """One ``functionCall`` part, for the first declared tool."""
    PARALLEL_TOOL_CALLS = "parallel_tool_calls"
    """Three ``functionCall`` parts: the first tool twice, then the second (or first)."""
    TOOL_CALL_STREAMED_ARGS = "tool_call_streamed_args"
    """As ``tool_call``, and a stream sends the call's arguments in ``partialArgs`` pieces
    (Vertex AI's ``streamFunctionCallArguments`` form, also on v1beta)."""
    PARALLEL_TOOL_CALLS_STREAMED_ARGS = "parallel_tool_calls_streamed_args"
    """As ``parallel_tool_calls``, each call streamed in ``partialArgs`` pieces."""
    RATE_LIMIT = "rate_limit"
    """429 ``RESOURCE_EXHAUSTED`` with ``QuotaFailure`` (per minute) and ``RetryInfo``."""
    KEY_RATE_LIMIT = "key_rate_limit"
    """As ``rate_limit``, but only for the first credential that sends this ``cid``; any
    other credential gets the ``text`` answer: one key's quota is spent, the next key's is
    not (docs/breakages.md E1, key rotation)."""
    DAILY_QUOTA = "daily_quota"
    """429 ``RESOURCE_EXHAUSTED`` with a per-day ``QuotaFailure`` and no ``RetryInfo``."""
    BAD_REQUEST = "bad_request"
    """400 ``INVALID_ARGUMENT``."""
    PERMISSION_DENIED = "permission_denied"
    """403 ``PERMISSION_DENIED``."""
    NOT_FOUND = "not_found"
    """404 ``NOT_FOUND`` (model not found)."""
    INTERNAL = "internal"
    """500 ``INTERNAL``."""
    UNAVAILABLE = "unavailable"
    """503 ``UNAVAILABLE`` (model overloaded)."""
    SAFETY = "safety"
    """Candidate finished with ``SAFETY`` and no content."""
    PROMPT_BLOCKED = "prompt_blocked"
    """No candidates, ``promptFeedback.blockReason: SAFETY``."""
    MAX_TOKENS = "max_tokens"
    """Text cut short, ``finishReason: MAX_TOKENS``."""
    RECITATION = "recitation"
    """``finishReason: RECITATION`` with no content."""
    MALFORMED_FUNCTION_CALL = "malformed_function_call"
    """``finishReason: MALFORMED_FUNCTION_CALL`` with no content."""
    MID_STREAM_CUT = "mid_stream_cut"
    """Stream: the connection closes after ``cut_after`` chunks, no ``finishReason``."""
    MID_STREAM_ERROR = "mid_stream_error"
    """Stream: after ``cut_after`` chunks an ``{"error": ...}`` event, then close."""
    RESET_BEFORE = "reset_before"
    """Transport fault: the request is read, then the TCP connection is reset (RST)
    before any status line (generate calls; all faults: docs/mock-faults.md)."""
    RESET_DURING = "reset_during"
    """Transport fault: status, headers and part of the body (a stream's first
    ``cut_after`` chunks, half a unary body), then RST."""
    MALFORMED_CHUNK = "malformed_chunk"
    """Transport fault: a chunked body whose framing breaks after ``cut_after`` chunks
    (an illegal chunk-size line), then the connection closes."""
    MALFORMED_EVENT = "malformed_event"
    """Framing intact, JSON broken: after ``cut_after`` chunks one event whose JSON is
    cut in half, then the end of the body (unary: half the body)."""
    NEVER_ANSWER = "never_answer"
    """Transport fault: the request is read and nothing is ever sent, until the client
    goes away."""
    TRICKLE = "trickle"
    """Transport fault: status and headers, then a keep-alive (SSE comment line, or one
    space of JSON whitespace) every ``chunk_ms`` (default 500) until the client goes
    away; never a data event."""


class DirectiveError(ValueError):
    """A directive that does not parse; the message names the key and the value."""


@dataclass(frozen=True, slots=True)
class Directive:
    """A parsed directive. Units: ``retry_delay`` in seconds, ``*_ms`` in milliseconds."""

    scenario: Scenario = Scenario.TEXT
    cid: str | None = None
    seed: int | None = None
    chunks: int = 3
    retry_delay: float = 17.0
    cut_after: int = 2
    framing: str = "crlf"
    split: int = 0
    coalesce: bool = False
    first_byte_ms: int = 0
    chunk_ms: int = 0
    signature: bool | None = None
    apart: bool | None = None
    length: bool | None = None
    parts: int = 1
    capture: str | None = None

    def render(self) -> str:
        """The ``key=value`` list for the header; only keys that differ from defaults."""
        out: list[str] = [f"scenario={self.scenario.value}"]
        for f in fields(self):
            if f.name == "scenario":
                continue
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if isinstance(value, bool):
                out.append(f"{f.name}={int(value)}")
            elif f.name == "retry_delay":
                out.append(f"retry_delay={value:g}s")
            else:
                out.append(f"{f.name}={value}")
        return " ".join(out)

    def tag(self) -> str:
        """The in-band form, ``[[mock:...]]``, to put in the last user message."""
        return f"[[mock:{self.render()}]]"


def _int(key: str, raw: str, lo: int, hi: int) -> int:
    if not raw.isascii() or not raw.isdigit() or not lo <= int(raw) <= hi:
        raise DirectiveError(f"{key} must be an integer in [{lo}, {hi}]; got {raw!r}")
    return int(raw)


def _bool(key: str, raw: str) -> bool:
    if raw not in ("0", "1", "true", "false"):
        raise DirectiveError(f"{key} must be 0/1/true/false; got {raw!r}")
    return raw in ("1", "true")


def parse_directive(text: str) -> Directive:
    """Parse a ``key=value`` list (header form). Raises :class:`DirectiveError`."""
    values: dict[str, object] = {}
    for item in text.split():
        key, eq, raw = item.partition("=")
        if not eq or not raw:
            raise DirectiveError(f"directive items are key=value; got {item!r}")
        if key in values:
            raise DirectiveError(f"directive key {key!r} given twice")
        if key == "scenario":
            try:
                values[key] = Scenario(raw)
            except ValueError:
                names = ", ".join(s.value for s in Scenario)
                raise DirectiveError(f"unknown scenario {raw!r}; known: {names}") from None
        elif key == "cid":
            if not _CID_RE.match(raw):
                raise DirectiveError(f"cid must match [A-Za-z0-9_.-]{{1,64}}; got {raw!r}")
            values[key] = raw
        elif key == "seed":
            values[key] = _int(key, raw, 0, 2**63 - 1)
        elif key == "chunks":
            values[key] = _int(key, raw, 1, 64)
        elif key == "cut_after":
            values[key] = _int(key, raw, 0, 64)
        elif key == "parts":
            values[key] = _int(key, raw, 1, 8)
        elif key == "split":
            values[key] = _int(key, raw, 0, 1 << 20)
        elif key in ("first_byte_ms", "chunk_ms"):
            values[key] = _int(key, raw, 0, 120_000)
        elif key == "retry_delay":
            m = _DELAY_RE.match(raw)
            if not m:
                raise DirectiveError(f"retry_delay must look like '17s' or '1.5s'; got {raw!r}")
            values[key] = float(m.group(1))
        elif key == "framing":
            if raw not in ("crlf", "lf"):
                raise DirectiveError(f"framing must be 'crlf' or 'lf'; got {raw!r}")
            values[key] = raw
        elif key in ("coalesce", "signature", "apart", "length"):
            values[key] = _bool(key, raw)
        elif key == "capture":
            if not _CAPTURE_NAME_RE.match(raw):
                raise DirectiveError(f"capture must match [A-Za-z0-9_.-]{{1,80}}; got {raw!r}")
            values[key] = raw
        else:
            known = ", ".join(f.name for f in fields(Directive))
            raise DirectiveError(f"unknown directive key {key!r}; known: {known}")
    return Directive(**values)  # type: ignore[arg-type]


def find_directive(text: str) -> Directive | None:
    """The last ``[[mock:...]]`` directive in ``text``, or ``None`` when there is none.

    Raises :class:`DirectiveError` when the last directive does not parse.
    """
    found = _DIRECTIVE_RE.findall(text)
    if not found:
        return None
    return parse_directive(found[-1])


def strip_directives(text: str) -> str:
    """``text`` without any ``[[mock:...]]`` directive (what the model "reads")."""
    return _DIRECTIVE_RE.sub("", text).strip()
