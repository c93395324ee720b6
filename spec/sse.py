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
_BOM_BYTES = _BOM.encode()
_LF = (b"\n", b"\n\n", b"\n\ndata: ")
_CRLF = (b"\r\n", b"\r\n\r\n", b"\r\n\r\ndata: ")
"""A line end, a blank line after it, and the start of the next ``data: `` event."""


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

    How (issue 16: at least twice httpx-sse's events/s, ``python -m bench.sse_decoder``):
    the work is on bytes, with C-level scans; a value is decoded once, when its event is
    dispatched. That gives the text of decoding the whole stream first: CR and LF are
    ASCII, so they never sit inside a UTF-8 sequence and a line end also ends any invalid
    sequence before it. Two fast paths cover the usual shape, events of one ``data: `` line
    each: a read holding exactly one such event, and a run of them cut apart by one
    ``bytes.split`` (each part then checked to hold no CR or LF). Everything else goes
    line by line (``bytes.splitlines`` breaks at CR, LF and CRLF only).
    ``tests/unit/test_sse_reference.py`` compares it with a plain transcription of the
    algorithm on random streams and random read splits.
    """

    __slots__ = (
        "_bom_seen",
        "_buffer",
        "_data",
        "_event",
        "_last_id",
        "_retry",
        "_skip_lf",
        "_started",
    )

    def __init__(self) -> None:
        self._buffer = b""
        """The unterminated last line (or, before the stream has started, a cut BOM)."""
        self._skip_lf = False
        """The last feed ended in CR: an LF starting the next feed completes that CRLF."""
        self._started = False
        self._bom_seen = False
        self._data: list[bytes] = []
        """The data field values of the event being built (non-empty: there is data)."""
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
        return self._bom_seen

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next bytes of the stream; return the events they dispatched."""
        if self._skip_lf:
            if not data:
                return []
            self._skip_lf = False
            if data[0] == 10:
                data = data[1:]
        elif not self._started:
            data = self._start(data)
        if not data:
            return []
        if self._buffer:
            data = self._buffer + data
        elif data[-1] == 10 and data[:6] == b"data: " and not self._data and not self._event:
            # A feed of exactly one event of one data line (a read per event): no LF (and
            # CR) but the last two line ends. (``13 in data`` is memchr; ``b"\r" in data``
            # is several times slower.)
            end = len(data) - 2
            lf = data.find(b"\n")
            if lf == end:
                if 13 not in data:
                    value = data[6:-2].decode("utf-8", "replace")
                    return [_new_event(Event, (value, "message", self._last_id, self._retry))]
            elif lf == end - 1 and data[end] == 13 and data.find(b"\r") == lf - 1:
                value = data[6:-4].decode("utf-8", "replace")
                return [_new_event(Event, (value, "message", self._last_id, self._retry))]
        # Whole lines are data[:end]; the unterminated last line waits in the buffer.
        end = data.rfind(b"\n") + 1
        if 13 in data:
            nl, blank, sep = _CRLF
            if (cr := data.rfind(b"\r")) >= end:
                end = cr + 1
                self._skip_lf = end == len(data)  # an LF starting the next feed is its pair
        else:
            nl, blank, sep = _LF
        if end == 0:
            self._buffer = data
            return []
        self._buffer = data[end:] if end < len(data) else b""
        # ``nl`` is a guess at the line end, checked below.
        events: list[Event] = []
        pos = 0
        if self._data or self._event or data[:6] != b"data: ":
            # Finish the event the last feed left open: the lines up to the first blank
            # line. (Any cut just after an LF is a line boundary, whatever ``nl`` is.)
            if data[: len(nl)] == nl:
                pos = len(nl)
            else:
                pos = data.find(blank, 0, end)
                pos = end if pos < 0 else pos + len(blank)
            self._lines(data[:pos], events)
            if pos == end or self._data or self._event or not data.startswith(b"data: ", pos):
                if pos < end:
                    self._lines(data[pos:end], events)
                return events
        # The usual shape: events of one ``data: `` line each, all with the same line
        # end, cut apart by one split; each part must then hold no line end.
        last = data.rfind(blank, pos, end)
        if last >= 0:
            parts = data[pos + 6 : last].split(sep)
            last_id = self._last_id
            retry = self._retry
            if nl is _LF[0]:
                found = [
                    _new_event(Event, (p.decode("utf-8", "replace"), "message", last_id, retry))
                    for p in parts
                    if 10 not in p
                ]
            else:
                found = [
                    _new_event(Event, (p.decode("utf-8", "replace"), "message", last_id, retry))
                    for p in parts
                    if 10 not in p and 13 not in p
                ]
            if len(found) == len(parts):
                if events:
                    events += found
                else:
                    events = found
                pos = last + len(blank)
        if pos < end:
            self._lines(data[pos:end], events)
        return events

    def _lines(self, lines: bytes, events: list[Event]) -> None:
        """Apply whole ``lines`` (any line ends) to the event being built.

        A blank line dispatches: the event, if it has data, is appended to ``events``.
        """
        values = self._data
        for line in lines.splitlines():  # bytes.splitlines: CR, LF and CRLF only
            if not line:
                if values:
                    data = b"\n".join(values).decode("utf-8", "replace")
                    event = (data, self._event or "message", self._last_id, self._retry)
                    events.append(_new_event(Event, event))
                    values.clear()
                self._event = ""
            elif line[:6] == b"data: ":
                values.append(line[6:])
            elif line[0] != 58:  # not a ":" comment
                name, colon, value = line.partition(b":")
                if colon and value[:1] == b" ":
                    value = value[1:]
                if name == b"data":
                    values.append(value)
                elif name == b"event":
                    self._event = value.decode("utf-8", "replace")
                elif name == b"id":
                    if 0 not in value:
                        self._last_id = value.decode("utf-8", "replace")
                elif name == b"retry" and value.isdigit():  # bytes.isdigit: ASCII only
                    self._retry = int(value)

    def _start(self, data: bytes) -> bytes:
        """The first bytes of the stream: drop one BOM, holding back a BOM cut short."""
        if self._buffer:
            data, self._buffer = self._buffer + data, b""
        if len(data) < 3 and _BOM_BYTES.startswith(data):
            self._buffer = data  # maybe a BOM: wait for its end
            return b""
        self._started = True
        if data[:3] == _BOM_BYTES:
            self._bom_seen = True
            return data[3:]
        return data

    def close(self) -> list[Event]:
        """End of stream: an unterminated event is discarded (returns ``[]``); resets."""
        if self._buffer:
            self._started = True
        self._buffer = b""
        self._data = []
        self._event = ""
        return []


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
