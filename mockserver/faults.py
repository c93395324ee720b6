"""Transport faults of the mock upstream: what is sent before the connection fails.

Pure descriptions (no I/O); :func:`mockserver.http_core.stream` carries them out. Each
fault scenario (``spec.scenarios.Scenario``, issue 15 item 10) on ``generateContent``
and ``streamGenerateContent`` (v1beta, v1 and Code Assist, SSE or JSON array):

=====================  ==============================================================
``reset_before``       the request is read, then the TCP connection is reset (RST:
                       ``SO_LINGER`` 0 and ``transport.abort()``), no status line
``reset_during``       status, headers and part of the body, then RST: a stream's
                       first ``cut_after`` chunks, the first half of a unary body
                       (sent with the whole body's ``Content-Length``)
``malformed_chunk``    a chunked body whose framing breaks mid-way: the first
                       ``cut_after`` chunks (half a unary body), then an illegal
                       chunk-size line (:data:`BAD_CHUNK_SIZE`, not hexadecimal,
                       RFC 9112 section 7.1) with the next piece, then the connection
                       closes
``malformed_event``    framing intact, JSON broken: a stream's first ``cut_after``
                       chunks, then one event whose JSON is cut in half, then the end
                       of the body; a unary body cut in half (``Content-Length``
                       matches what is sent)
``never_answer``       the request is read and nothing is ever sent; the handler ends
                       when the client goes away
``trickle``            status and headers, then :func:`trickle_tick` every
                       ``chunk_ms`` milliseconds (default :data:`TRICKLE_MS`) until
                       the client goes away, never a data event
=====================  ==============================================================

``first_byte_ms`` delays them as any answer. The journal records the scenario and the
status sent, ``None`` for ``reset_before`` and ``never_answer`` (no status line left);
``response`` summarises the chunks sent before the fault (none: ``None``). Everything
is a function of the request and the directive: the same request gets the same bytes
before the same fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from mockserver.framing import Write, json_array_writes, one_line, plan_writes, pretty_no_newline
from mockserver.plans import Plan
from mockserver.summary import summarize
from spec.mock_admin import ReplySummary
from spec.scenarios import Directive, Scenario

__all__ = [
    "BAD_CHUNK_SIZE",
    "CUT",
    "SCENARIOS",
    "TRICKLE_MS",
    "Fault",
    "Shape",
    "journal_status",
    "stream_fault",
    "trickle_tick",
    "unary_fault",
]


class Fault(StrEnum):
    """What :func:`mockserver.http_core.stream` does at the transport level."""

    RESET_BEFORE = "reset_before"
    """RST before any byte (the reply's writes are not sent)."""
    RESET_DURING = "reset_during"
    """The writes, then RST."""
    MALFORMED_CHUNK = "malformed_chunk"
    """The writes as HTTP chunks, then :attr:`Reply.bad_tail` outside chunk framing,
    then a plain close."""
    NEVER_ANSWER = "never_answer"
    """Nothing, until the client goes away."""
    TRICKLE = "trickle"
    """Status and headers, then the one write's data every ``delay_ms``, forever."""


SCENARIOS = frozenset(
    {
        Scenario.RESET_BEFORE,
        Scenario.RESET_DURING,
        Scenario.MALFORMED_CHUNK,
        Scenario.MALFORMED_EVENT,
        Scenario.NEVER_ANSWER,
        Scenario.TRICKLE,
    }
)
"""The fault scenarios :func:`mockserver.responses.generate` hands to this module."""
CUT = frozenset({Scenario.RESET_DURING, Scenario.MALFORMED_CHUNK, Scenario.MALFORMED_EVENT})
"""Faults after ``cut_after`` chunks: the plan needs at least ``cut_after + 1``."""
_SILENT = frozenset({Fault.RESET_BEFORE, Fault.NEVER_ANSWER})
BAD_CHUNK_SIZE = b"zz"
"""The chunk-size of ``malformed_chunk``: not hexadecimal, so no HTTP/1.1 parser can
read a length from it (a lenient ``int(x, 16)`` would accept ``0x10``)."""
TRICKLE_MS = 500
"""``trickle``'s period when the directive gives no ``chunk_ms``, in milliseconds."""


class Shape(NamedTuple):
    """What a fault reply sends, as the fields of :class:`mockserver.responses.Reply`
    of the same names (``Reply(status, headers, first_byte_ms=..., **shape._asdict())``):
    ``body`` (sent whole when ``writes`` is ``None``), the timed ``writes``, the
    journal's ``summary``, ``content_length`` (``None``: chunked), ``separate``, the
    transport ``fault`` and the ``bad_tail`` of ``malformed_chunk``."""

    body: bytes = b""
    writes: tuple[Write, ...] | None = None
    summary: ReplySummary | None = None
    content_length: int | None = None
    separate: bool = False
    fault: Fault | None = None
    bad_tail: bytes = b""


def journal_status(fault: Fault, status: int) -> int | None:
    """The status the journal records: ``None`` when no status line was sent."""
    return None if fault in _SILENT else status


def trickle_tick(sse: bool, framing: str = "crlf") -> bytes:
    """One ``trickle`` write: an SSE comment line (``:`` + line end) for SSE, one
    space (JSON whitespace) for a JSON array or unary body. Neither is ever data."""
    if sse:
        return b":\n" if framing == "lf" else b":\r\n"
    return b" "


def _silent(fault: Fault, period: int, tick: bytes) -> Shape:
    writes = (Write(tick, period),) if fault is Fault.TRICKLE else ()
    return Shape(writes=writes, fault=fault)


def unary_fault(scenario: Scenario, data: bytes, plan: Plan, d: Directive) -> Shape:
    """The ``generateContent`` answer for fault ``scenario``; ``data`` is the whole
    ordinary body (bytes), ``plan`` what it says."""
    if scenario is Scenario.MALFORMED_EVENT:
        return Shape(_half(data), summary=summarize(plan, 0))
    half = len(data) // 2
    fault = Fault(scenario.value)
    if fault not in (Fault.RESET_DURING, Fault.MALFORMED_CHUNK):
        return _silent(fault, d.chunk_ms or TRICKLE_MS, trickle_tick(False))
    chunked = fault is Fault.MALFORMED_CHUNK or d.length is False
    return Shape(
        writes=(Write(data[:half]),),
        summary=summarize(plan, 0),
        content_length=None if chunked else len(data),
        fault=fault,
        bad_tail=_bad_chunk(data[half:]) if fault is Fault.MALFORMED_CHUNK else b"",
    )


def _half(data: bytes) -> bytes:
    """The first half of ``data``, cut at a UTF-8 character boundary (so the broken
    JSON of ``malformed_event`` is still valid UTF-8: a JSON error, not a decode one)."""
    end = len(data) // 2
    while end and data[end] & 0xC0 == 0x80:
        end -= 1
    return data[:end]


def _bad_chunk(piece: bytes) -> bytes:
    return BAD_CHUNK_SIZE + b"\r\n" + piece + b"\r\n"


def stream_fault(
    scenario: Scenario, chunks: Sequence[Any], plan: Plan, d: Directive, *, sse: bool
) -> Shape:
    """The ``streamGenerateContent`` answer for fault ``scenario``; ``chunks`` are the
    ordinary answer's objects as sent (already wrapped), ``cut_after + 1`` or more of
    them for :data:`CUT` faults (fewer: the cut moves to the last one); ``sse`` picks
    SSE events or the JSON array."""
    if scenario not in CUT:
        return _silent(
            Fault(scenario.value), d.chunk_ms or TRICKLE_MS, trickle_tick(sse, d.framing)
        )
    cut = min(d.cut_after, len(chunks) - 1)
    newline = b"\n" if d.framing == "lf" else b"\r\n"
    if sse:
        lines = [one_line(c) for c in chunks]
        events = [b"data: " + line + newline + newline for line in lines]
        broken = b"data: " + _half(lines[cut]) + newline + newline
    else:
        events = json_array_writes(chunks)
        element = pretty_no_newline(chunks[cut])
        broken = (b",\r\n" if cut else b"[") + _half(element) + b"]"
    summary = summarize(plan, cut)
    if scenario is Scenario.MALFORMED_EVENT:
        writes = plan_writes(
            [*events[:cut], broken], split=d.split, coalesce=d.coalesce, chunk_ms=d.chunk_ms
        )
        return Shape(writes=writes, summary=summary, separate=d.split > 0)
    writes = plan_writes(events[:cut], split=d.split, coalesce=d.coalesce, chunk_ms=d.chunk_ms)
    fault = Fault(scenario.value)
    length = sum(map(len, events)) if fault is Fault.RESET_DURING and d.length else None
    return Shape(
        writes=writes,
        summary=summary,
        content_length=length,
        separate=d.split > 0,
        fault=fault,
        bad_tail=_bad_chunk(events[cut]) if fault is Fault.MALFORMED_CHUNK else b"",
    )
