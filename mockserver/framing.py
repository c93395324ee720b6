"""Google's JSON styles and the byte framing of streamed bodies (pure, no I/O).

Two JSON styles (docs/gemini-wire.md A2, A3; docs/openai-wire.md C1-C2):

- :func:`pretty`: unary bodies and error envelopes, 2-space indent, LF line ends,
  ``": "`` after keys, a final LF;
- :func:`one_line`: one SSE event's data, a space after every ``:`` and none after
  ``,`` (``{"text": "Paris"}],"role": "model"}``).

Both write non-ASCII characters as raw UTF-8 and escape ``<`` and ``>`` as ``\\u003c``
and ``\\u003e`` like Google does (these two characters can only occur inside JSON
strings, so a plain replace is exact).

Stream framing: :func:`sse_event` frames one event (``data: `` + JSON + ``\\r\\n\\r\\n``,
or ``\\n\\n`` with ``framing=lf``); :func:`plan_writes` turns a list of framed events
into the list of socket writes the server performs, honouring the directive's
``split``, ``coalesce`` and ``chunk_ms`` (units: bytes and milliseconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import orjson

__all__ = [
    "Write",
    "json_array_writes",
    "one_line",
    "plan_writes",
    "pretty",
    "sse_event",
]

_ONE_LINE = json.JSONEncoder(ensure_ascii=False, separators=(",", ": "), check_circular=False)
_encode_line = _ONE_LINE.encode
_PRETTY_OPTS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
_OPENING_COLON = re.compile(rb'[{\[,:]":').search


def _escape_angles(data: bytes) -> bytes:
    if b"<" in data:
        data = data.replace(b"<", b"\\u003c")
    if b">" in data:
        data = data.replace(b">", b"\\u003e")
    return data


def pretty(obj: Any) -> bytes:
    """``obj`` as Google's pretty-printed JSON (2-space indent, final LF), UTF-8 bytes."""
    return _escape_angles(orjson.dumps(obj, option=_PRETTY_OPTS))


def pretty_no_newline(obj: Any) -> bytes:
    """:func:`pretty` without the final LF (an element of a streamed JSON array)."""
    return _escape_angles(orjson.dumps(obj, option=orjson.OPT_INDENT_2))


def one_line(obj: Any) -> bytes:
    """``obj`` as Google's one-line SSE JSON (``": "`` and ``","``), UTF-8 bytes.

    Fast path: orjson's compact output with a space put after each ``":`` (a key's
    closing quote and colon). That is exact unless a string holds an escaped quote or
    starts with ``:`` (then ``":`` also occurs inside or at the start of a string); in
    those rare cases the stdlib encoder with Google's separators writes it.
    """
    data = orjson.dumps(obj)
    if b'\\"' in data or _OPENING_COLON(data) or data.startswith(b'":'):
        return _escape_angles(_encode_line(obj).encode())
    return _escape_angles(data.replace(b'":', b'": '))


def sse_event(obj: Any, newline: bytes = b"\r\n") -> bytes:
    """One SSE event: ``data: `` + :func:`one_line` + two ``newline`` (A3)."""
    return b"data: " + one_line(obj) + newline + newline


class Write(NamedTuple):
    """One socket write: wait ``delay_ms`` milliseconds, then write ``data``."""

    data: bytes
    delay_ms: int = 0


def json_array_writes(elements: Sequence[Any], *, close: bool = True) -> list[bytes]:
    """The streamed body without ``alt=sse``: ``[`` elem ``,\\r\\n`` elem ... ``\\n]``
    (docs/gemini-wire.md A3).

    Returns one piece per element (the first starts with ``[``); with ``close=False``
    the closing ``\\n]`` is left out (a body cut mid-stream). Elements are pretty JSON
    with LF line ends, so a reader that splits the body at CRLF gets one element per
    piece; the closing bracket follows a line end, as Google's does: Portkey's gateway
    reads each piece that ends in ``]`` without its last two characters
    (https://github.com/Portkey-AI/gateway/blob/007b915569b86023dca264025c2a8ceecf750f5c/src/providers/google/chatComplete.ts,
    ``GoogleChatCompleteStreamChunkTransform``), and a bare ``}]`` cost it the last
    element of every stream.
    """
    pieces: list[bytes] = []
    for i, element in enumerate(elements):
        pieces.append((b"[" if i == 0 else b",\r\n") + pretty_no_newline(element))
    if not pieces:
        pieces.append(b"[")
    if close:
        pieces[-1] += b"\n]" if elements else b"]"
    return pieces


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def plan_writes(
    events: Sequence[bytes], *, split: int = 0, coalesce: bool = False, chunk_ms: int = 0
) -> tuple[Write, ...]:
    """The socket writes for a stream made of ``events`` (already framed bytes).

    - default: one write per event, each event after the first waits ``chunk_ms`` ms;
    - ``coalesce``: the whole body in one write (``chunk_ms`` is ignored);
    - ``split=N`` (N > 0): pieces of N bytes, cut anywhere, including inside a UTF-8
      sequence or a CRLF. With ``chunk_ms == 0`` (or ``coalesce``) the whole body is cut
      in N-byte pieces across event boundaries; with ``chunk_ms > 0`` each event is cut
      on its own, so the pause still falls between events.

    Joining the ``data`` of the writes always gives ``b"".join(events)``.
    """
    if not events:
        return ()
    if coalesce or (split and not chunk_ms):
        body = b"".join(events)
        if split:
            return tuple(Write(piece) for piece in _split(body, split))
        return (Write(body),)
    writes: list[Write] = []
    for i, event in enumerate(events):
        delay = chunk_ms if i else 0
        if split:
            for j, piece in enumerate(_split(event, split)):
                writes.append(Write(piece, delay if j == 0 else 0))
        else:
            writes.append(Write(event, delay))
    return tuple(writes)
