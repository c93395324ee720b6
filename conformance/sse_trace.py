"""A streamed body, taken apart the way checks need it (pure).

:func:`trace` splits the body into *blocks* (the lines between blank lines, WHATWG
terms) and also decodes it with the WHATWG decoder from ``spec.sse``, so a check can
say both what the bytes are and what a spec-exact client dispatches from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from spec.sse import Event, LineDecoder, SSEDecoder

__all__ = ["DONE", "Block", "Payload", "StreamTrace", "trace"]

DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class Block:
    """Lines up to a blank line (terminators removed). ``index`` counts blocks from 0."""

    index: int
    lines: tuple[str, ...]

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class Payload:
    """One dispatched event's data: ``value`` is the parsed JSON, ``error`` the
    ``json.loads`` message when it did not parse (``value`` is then ``None``)."""

    index: int
    data: str
    value: Any = None
    error: str | None = None


@dataclass(slots=True)
class StreamTrace:
    segments: list[tuple[str, ...]] = field(default_factory=list)
    """The lines before each blank line, one entry per blank line (empty tuples for
    consecutive blank lines): what a line-based client sees at each dispatch point."""
    blocks: list[Block] = field(default_factory=list)
    """The non-empty segments."""
    unterminated: tuple[str, ...] = ()
    """Lines after the last blank line: an event WHATWG discards."""
    bom: bool = False
    events: list[Event] = field(default_factory=list)
    payloads: list[Payload] = field(default_factory=list)
    """Events before ``[DONE]`` (all events when there is none)."""
    done: bool = False
    """An event with data exactly ``[DONE]`` was dispatched."""
    after_done: list[Event] = field(default_factory=list)
    """Events dispatched after ``[DONE]`` (clients never read them)."""

    @property
    def chunks(self) -> list[dict[str, Any]]:
        """The payloads that parsed to JSON objects, in order."""
        return [p.value for p in self.payloads if isinstance(p.value, dict)]


def trace(body: bytes) -> StreamTrace:
    """Take ``body`` apart. Never raises: what does not parse is recorded as such."""
    out = StreamTrace()
    lines = LineDecoder()
    all_lines = lines.feed(body)
    tail = lines.close()
    out.bom = lines.bom_seen
    current: list[str] = []
    for line in all_lines:
        if line == "":
            out.segments.append(tuple(current))
            if current:
                out.blocks.append(Block(len(out.blocks), tuple(current)))
                current = []
            continue
        current.append(line)
    if tail is not None:
        current.append(tail)
    out.unterminated = tuple(current)

    decoder = SSEDecoder()
    out.events = decoder.feed(body) + decoder.close()
    for index, event in enumerate(out.events):
        if out.done:
            out.after_done.append(event)
            continue
        if event.data == DONE:
            out.done = True
            continue
        try:
            out.payloads.append(Payload(index, event.data, json.loads(event.data)))
        except ValueError as exc:
            out.payloads.append(Payload(index, event.data, None, f"{type(exc).__name__}: {exc}"))
    return out
