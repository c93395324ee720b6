"""spec.sse.SSEDecoder against a line-by-line transcription of the WHATWG algorithm.

The decoder takes fast paths (a read of exactly one event, a split of many one-line
``data:`` events at once, bytes kept undecoded until dispatch). Here a plain
implementation of https://html.spec.whatwg.org/multipage/server-sent-events.html
#event-stream-interpretation, written for clarity, decodes the same bytes whole, and the
decoder fed the bytes in random pieces must give the same events, ids, retry and BOM
flag. The byte streams are drawn from fragments that steer into and out of the fast
paths: ``data: `` lines in LF, CRLF and CR framings, ``event``/``id``/``retry``
fields, comments, NUL, a BOM, cut and invalid UTF-8.
"""

from __future__ import annotations

from hypothesis import find, given
from hypothesis import strategies as st

from spec.sse import Event, SSEDecoder


def whatwg(raw: bytes) -> tuple[list[Event], str, int | None, bool]:
    """The spec's algorithm, step by step: (events, last event id, retry, BOM seen)."""
    text = raw.decode("utf-8", "replace")
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    # Lines end in CRLF, LF or CR; the characters after the last line end are not a line.
    lines: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\r":
            lines.append("".join(current))
            current = []
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        elif char == "\n":
            lines.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    events: list[Event] = []
    data = ""
    event_type = ""
    last_id = ""
    retry: int | None = None
    for line in lines:
        if line == "":
            if data == "":
                event_type = ""
                continue
            if data.endswith("\n"):
                data = data[:-1]
            events.append(Event(data, event_type or "message", last_id, retry))
            data = ""
            event_type = ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "data":
            data += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id":
            if "\0" not in value:
                last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return events, last_id, retry, bom


def fed(pieces: list[bytes]) -> tuple[list[Event], str, int | None, bool]:
    decoder = SSEDecoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    events += decoder.close()
    return events, decoder.last_event_id, decoder.retry, decoder.bom_seen


FRAGMENTS = [
    b"data: ",
    b"data:",
    b"data",
    b"x",
    b" ",
    b":",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b'data: {"a": 1}\n\n',
    b'data: {"a": 1}\r\n\r\n',
    b"data: caf\xc3\xa9 \xe6\x9d\xb1\n\n",
    b"event: e",
    b"id: 7",
    b"id: a\x00b",
    b"retry: 15",
    b"retry: 1x",
    b": keep-alive",
    b"\xef\xbb\xbf",
    b"\xe6\x9d",
    b"\xff",
    b"\x00",
]

byte_streams = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=4), max_size=30).map(
    b"".join
)


@st.composite
def pieces_of(draw: st.DrawFn, raw: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=10)))
    out, start = [], 0
    for cut in [*cuts, len(raw)]:
        out.append(raw[start:cut])
        start = cut
    return out


@given(raw=byte_streams, data=st.data())
def test_any_split_matches_the_spec_algorithm(raw: bytes, data: st.DataObject) -> None:
    pieces = data.draw(pieces_of(raw))
    assert fed(pieces) == whatwg(raw)


@given(raw=byte_streams)
def test_one_feed_and_byte_by_byte_match_the_spec_algorithm(raw: bytes) -> None:
    expected = whatwg(raw)
    assert fed([raw]) == expected
    assert fed([raw[i : i + 1] for i in range(len(raw))]) == expected


@given(
    events=st.lists(
        st.text(
            st.characters(codec="utf-8", exclude_characters="\r\n", exclude_categories=["Cs"]),
            max_size=20,
        ),
        min_size=1,
        max_size=8,
    ),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    data=st.data(),
)
def test_data_only_streams_match_the_spec_algorithm(
    events: list[str], newline: str, data: st.DataObject
) -> None:
    """The fast paths' own shape: one ``data: `` line per event, reads of any size."""
    raw = "".join(f"data: {e}{newline}{newline}" for e in events).encode()
    pieces = data.draw(pieces_of(raw))
    assert fed(pieces) == whatwg(raw)
    assert [e.data for e in fed(pieces)[0]] == events


def test_the_comparison_catches_a_decoder_that_loses_state_between_reads() -> None:
    """A decoder restarted at every read (a CR at a read's end, a line cut in two...)."""

    def restarted(pieces: list[bytes]) -> list[Event]:
        return [event for piece in pieces for event in SSEDecoder().feed(piece)]

    raw = find(
        st.tuples(byte_streams, st.integers(0, 60)),
        lambda case: restarted([case[0][: case[1]], case[0][case[1] :]]) != whatwg(case[0])[0],
    )
    assert raw  # hypothesis found a stream the broken decoder gets wrong
