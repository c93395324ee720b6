"""Server-sent events: an incremental, sans-IO decoder and an encoder.

The decoder follows the WHATWG HTML standard, "Server-sent events", section
*Interpreting an event stream* exactly
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

- the stream is UTF-8 (invalid bytes become U+FFFD); one leading BOM is dropped;
- lines end in CRLF, LF or CR, and a CRLF split across two ``feed`` calls is one line end;
  nothing else (U+2028, U+0085, VT, FF) ends a line;
- a blank line dispatches; a line starting with ``:`` is a comment; otherwise the line
  splits at its first ``:`` and one leading space of the value is removed; a line without
  a colon is a field with an empty value;
- ``data`` appends value + LF; ``event`` sets the type; ``id`` sets the last event id
  unless the value contains NUL; ``retry`` applies only when all ASCII digits; other
  fields are ignored;
- dispatch with an empty data buffer dispatches nothing; one trailing LF is removed;
  the type defaults to ``message``;
- an event not closed by a blank line when the stream ends is discarded.

The decoder is sans-IO in the style of ``httpx._decoders``: ``feed(bytes) -> list[Event]``
and ``close() -> list[Event]`` (always empty, by the last rule, but it also resets state).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

__all__ = [
    "Event",
    "LineDecoder",
    "SSEDecoder",
    "decode",
    "encode_comment",
    "encode_event",
]

_BOM = "\ufeff"


class Event(NamedTuple):
    """One dispatched event (immutable).

    ``data``: the data buffer with its final LF removed. ``event``: the type
    (``"message"`` when no ``event:`` field was seen). ``id``: the last event id
    *after* this event (it persists across events, per WHATWG). ``retry``: the
    reconnection time in milliseconds set by the most recent valid ``retry:`` field
    before this dispatch, or ``None``.
    """

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None


_new_event = tuple.__new__
"""Builds an :class:`Event` from a 4-tuple without the NamedTuple ``__new__`` frame."""


class LineDecoder:
    """Incremental bytes -> lines splitter (CR, LF and CRLF; UTF-8 with replacement).

    ``feed(bytes) -> list[str]`` returns the complete lines, without terminators.
    ``close() -> str | None`` returns the unterminated remainder, if any (the caller
    decides what an unterminated last line means). A leading BOM is removed.
    """

    __slots__ = ("_buffer", "_pending", "_seen_text", "_skip_lf", "bom_seen")

    def __init__(self) -> None:
        self._pending = b""
        """The bytes of a UTF-8 sequence cut by the end of the last feed."""
        self._buffer = ""
        self._skip_lf = False
        self._seen_text = False
        self.bom_seen = False
        """True when the stream began with a byte order mark (it is dropped)."""

    def feed(self, data: bytes) -> list[str]:
        if self._pending:
            data = self._pending + data
            self._pending = b""
        if data and data[-1] >= 0x80:
            data = self._hold_cut_sequence(data)
        if not data:
            return []
        # bytes.decode is C all the way (codecs' incremental decoder is Python-level);
        # holding back a cut sequence gives the same text as decoding the whole stream.
        return self._split(data.decode("utf-8", "replace"))

    def _hold_cut_sequence(self, data: bytes) -> bytes:
        """``data`` without a trailing incomplete UTF-8 sequence (kept in ``_pending``)."""
        end = len(data)
        i = end - 1
        while i > end - 4 and i > 0 and data[i] & 0xC0 == 0x80:
            i -= 1
        lead = data[i]
        if lead < 0xC0:
            return data  # ASCII or a stray continuation byte: complete as it is
        need = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        if end - i >= need:
            return data
        self._pending = data[i:]
        return data[:i]

    def _split(self, text: str) -> list[str]:
        if not self._seen_text:
            self._seen_text = True
            if text[0] == _BOM:
                self.bom_seen = True
                text = text[1:]
                if not text:
                    return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            if text[-1] == "\r":
                # The CR ends a line now; an LF at the start of the next feed belongs to it.
                self._skip_lf = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self._buffer:
            text = self._buffer + text
        lines = text.split("\n")
        self._buffer = lines.pop()
        return lines

    def close(self) -> str | None:
        if self._pending:  # only U+FFFD for a cut UTF-8 sequence: never a line end
            tail, self._pending = self._pending.decode("utf-8", "replace"), b""
            self._split(tail)
        rest, self._buffer = self._buffer, ""
        return rest or None


class SSEDecoder:
    """WHATWG event-stream decoder: ``feed(bytes) -> list[Event]``, ``close()``.

    Safe to feed with any split of the input, including splits inside a UTF-8
    sequence, inside a CRLF pair or inside the BOM.
    """

    __slots__ = ("_data", "_event", "_has_data", "_last_id", "_lines", "_retry")

    def __init__(self) -> None:
        self._lines = LineDecoder()
        self._data: list[str] = []
        self._has_data = False
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None

    @property
    def last_event_id(self) -> str:
        """The last event id buffer (``id:`` persists across events)."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in ms from the last valid ``retry:`` field, if any."""
        return self._retry

    @property
    def bom_seen(self) -> bool:
        """True when the stream began with a BOM (WHATWG drops it; some clients do not)."""
        return self._lines.bom_seen

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next bytes of the stream; return the events they dispatched."""
        lines = self._lines.feed(data)
        if not lines:
            return []
        return self._process(lines)

    def close(self) -> list[Event]:
        """End of stream: an unterminated event is discarded (returns ``[]``); resets."""
        self._lines.close()
        self._data = []
        self._has_data = False
        self._event = ""
        return []

    def _process(self, lines: list[str]) -> list[Event]:
        # The hot loop: state lives in locals and is written back once at the end.
        events: list[Event] = []
        data = self._data
        has_data = self._has_data
        event_type = self._event
        for line in lines:
            if not line:
                if has_data:
                    events.append(
                        _new_event(
                            Event,
                            (
                                data[0] if len(data) == 1 else "\n".join(data),
                                event_type or "message",
                                self._last_id,
                                self._retry,
                            ),
                        )
                    )
                    data.clear()
                    has_data = False
                event_type = ""
                continue
            if line[:6] == "data: ":
                data.append(line[6:])
                has_data = True
                continue
            if line[0] == ":":
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
                has_data = True
            elif name == "event":
                event_type = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry" and value and value.isascii() and value.isdigit():
                self._retry = int(value)
        self._has_data = has_data
        self._event = event_type
        return events


def decode(chunks: Iterable[bytes]) -> Iterator[Event]:
    """Decode a whole stream given as byte chunks; yields events in order."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


def encode_event(
    data: str,
    *,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    newline: str = "\n",
) -> bytes:
    """Encode one event as UTF-8 bytes, closed by a blank line.

    ``data`` may hold LF, CR or CRLF line breaks: each line becomes its own ``data:``
    field, so decoding gives back ``data`` with its line breaks normalised to LF.
    ``newline`` is the line terminator to write: ``"\\n"``, ``"\\r\\n"`` or ``"\\r"``.
    Raises ``ValueError`` for a ``newline`` that is not a WHATWG line end, an
    ``event``/``id`` holding a line break (it would split the field), an ``id`` holding
    NUL (WHATWG ignores such an id), or a negative ``retry``.
    """
    if newline not in ("\n", "\r\n", "\r"):
        raise ValueError(f"newline must be one of '\\n', '\\r\\n', '\\r'; got {newline!r}")
    parts: list[str] = []
    for name, value in (("event", event), ("id", id)):
        if value is not None:
            if "\n" in value or "\r" in value:
                raise ValueError(f"{name} must not contain a line break; got {value!r}")
            parts.append(f"{name}: {value}{newline}")
    if id is not None and "\0" in id:
        raise ValueError(f"id must not contain NUL (WHATWG ignores such an id); got {id!r}")
    if retry is not None:
        if retry < 0:
            raise ValueError(f"retry must be a non-negative number of ms; got {retry!r}")
        parts.append(f"retry: {retry}{newline}")
    for line in data.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        parts.append(f"data: {line}{newline}" if line else f"data:{newline}")
    parts.append(newline)
    return "".join(parts).encode("utf-8")


def encode_comment(text: str = "", *, newline: str = "\n") -> bytes:
    """Encode a comment line (``: text``) closed by a blank line, e.g. a keep-alive."""
    if "\n" in text or "\r" in text:
        raise ValueError(f"a comment must not contain a line break; got {text!r}")
    return f": {text}{newline}{newline}".encode() if text else f":{newline}{newline}".encode()
