"""The WHATWG event-stream decoder and the encoder (spec/sse.py).

Table tests cover every rule of the WHATWG event-stream interpretation
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation,
docs/sse.md); property tests feed encoded streams back cut at arbitrary byte offsets,
inside UTF-8 sequences and inside CRLF pairs.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.sse import Event, LineDecoder, SSEDecoder, decode, encode_comment, encode_event


def events(raw: bytes) -> list[Event]:
    return list(decode([raw]))


def datas(raw: bytes) -> list[str]:
    return [e.data for e in events(raw)]


# --------------------------------------------------------------------------- table tests


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"data: a\n\n", ["a"], id="lf"),
        pytest.param(b"data: a\r\n\r\n", ["a"], id="crlf"),
        pytest.param(b"data: a\r\r", ["a"], id="cr-only"),
        pytest.param(b"data: a\r\n\ndata: b\r\r\n", ["a", "b"], id="mixed-line-ends"),
        pytest.param(b"data:x\n\n", ["x"], id="no-space"),
        pytest.param(b"data:  x\n\n", [" x"], id="two-spaces-keep-one"),
        pytest.param(b"data: a\ndata: b\n\n", ["a\nb"], id="multi-line-joined-with-lf"),
        pytest.param(b"data: a\ndata:\n\n", ["a\n"], id="empty-second-line"),
        pytest.param(b": keep-alive\n\ndata: a\n\n", ["a"], id="comment-ignored"),
        pytest.param(b":\n\n", [], id="bare-colon-comment"),
        pytest.param(b"event: ping\n\n", [], id="event-without-data-dispatches-nothing"),
        pytest.param(b"retry: 1000\n\n", [], id="retry-alone-dispatches-nothing"),
        pytest.param(b"id: 1\ndata: a\n\n\n", ["a"], id="extra-blank-line-after-id"),
        pytest.param(b"data: a\n", [], id="unterminated-final-event-discarded"),
        pytest.param(b"data: a\n\ndata: b", ["a"], id="unterminated-after-complete"),
        pytest.param(b"\xef\xbb\xbfdata: a\n\n", ["a"], id="leading-bom-ignored"),
        pytest.param(
            b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n", [], id="second-bom-is-part-of-field-name"
        ),
        pytest.param(b"data\n\n", [""], id="field-without-colon-is-empty-value"),
        pytest.param(b"data:\n\n", [""], id="empty-data-dispatches-empty-string"),
        pytest.param(b"foo: bar\ndata: a\n\n", ["a"], id="unknown-field-ignored"),
        pytest.param(b"DATA: a\n\n", [], id="field-names-are-case-sensitive"),
        pytest.param(b"data: a:b: c\n\n", ["a:b: c"], id="split-at-first-colon-only"),
        pytest.param(
            '{"t": "a\u2028b"}'.join(["data: ", "\n\n"]).encode(),
            ['{"t": "a\u2028b"}'],
            id="u2028-is-not-a-line-end",
        ),
        pytest.param(
            "data: a\u0085b\x0bc\x0cd\n\n".encode(), ["a\u0085b\x0bc\x0cd"], id="nel-vt-ff-ordinary"
        ),
        pytest.param(b"data: \xff\n\n", ["\ufffd"], id="invalid-utf8-replaced"),
        pytest.param(b"data: [DONE]\n\n", ["[DONE]"], id="done-sentinel-is-plain-data"),
    ],
)
def test_decoder_table(raw: bytes, expected: list[str]) -> None:
    assert datas(raw) == expected


def test_event_type_defaults_to_message_and_resets_after_dispatch() -> None:
    got = events(b"event: add\ndata: 1\n\ndata: 2\n\n")
    assert [(e.event, e.data) for e in got] == [("add", "1"), ("message", "2")]


def test_event_type_resets_even_when_nothing_is_dispatched() -> None:
    got = events(b"event: ping\n\ndata: 2\n\n")
    assert [(e.event, e.data) for e in got] == [("message", "2")]


def test_id_persists_and_nul_id_is_ignored() -> None:
    got = events(b"id: 7\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\nid\ndata: d\n\n")
    assert [(e.id, e.data) for e in got] == [("7", "a"), ("7", "b"), ("7", "c"), ("", "d")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"retry: 1500", 1500),
        (b"retry: 15x", None),
        (b"retry: -1", None),
        (b"retry:", None),
        ("retry: \u0661\u0662".encode(), None),
    ],
)
def test_retry_only_ascii_digits(line: bytes, expected: int | None) -> None:
    decoder = SSEDecoder()
    got = decoder.feed(line + b"\ndata: a\n\n")
    assert got[0].retry == expected
    assert decoder.retry == expected


def test_bom_is_reported() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"\xef\xbb")
    decoder.feed(b"\xbfdata: a\n\n")
    assert decoder.bom_seen


def test_crlf_split_across_feeds_is_one_line_end() -> None:
    decoder = SSEDecoder()
    out = decoder.feed(b"data: a\r")
    out += decoder.feed(b"\n\r")
    out += decoder.feed(b"\n")
    assert [e.data for e in out] == ["a"]
    # Had the split CRLF counted twice, "data: b" would dispatch early with the blank line.
    out = decoder.feed(b"data: b\r") + decoder.feed(b"\ndata: c\r\n\r\n")
    assert [e.data for e in out] == ["b\nc"]


def test_close_discards_incomplete_event_and_resets() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.close() == []
    assert decoder.feed(b"data: b\n\n") == [Event("b")]


def test_line_decoder_returns_unterminated_tail() -> None:
    lines = LineDecoder()
    assert lines.feed(b"a\r\nb\rc\nd") == ["a", "b", "c"]
    assert lines.close() == "d"
    assert lines.close() is None


# --------------------------------------------------------------------------- encoder


def test_encoder_writes_fields_in_order() -> None:
    raw = encode_event("x\ny", event="e", id="1", retry=5, newline="\r\n")
    assert raw == b"event: e\r\nid: 1\r\nretry: 5\r\ndata: x\r\ndata: y\r\n\r\n"


def test_encoder_normalises_data_line_breaks() -> None:
    assert datas(encode_event("a\r\nb\rc")) == ["a\nb\nc"]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"newline": "\n\n"}, "newline"),
        ({"event": "a\nb"}, "event"),
        ({"id": "a\rb"}, "id"),
        ({"id": "a\0b"}, "NUL"),
        ({"retry": -1}, "retry"),
    ],
)
def test_encoder_rejects_unrepresentable_input(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        encode_event("x", **kwargs)  # type: ignore[arg-type]


def test_comment_encoding_is_ignored_by_decoder() -> None:
    assert datas(encode_comment("keep-alive") + encode_comment() + encode_event("a")) == ["a"]
    with pytest.raises(ValueError, match="comment"):
        encode_comment("a\nb")


# --------------------------------------------------------------------------- properties

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
event_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n", exclude_categories=["Cs"]),
    min_size=1,
    max_size=10,
)
ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\0", exclude_categories=["Cs"]),
    max_size=10,
)
newlines = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Event], bytes]:
    """A list of events and an encoding of it, with comments and BOM sprinkled in."""
    out: list[Event] = []
    raw = bytearray()
    if draw(st.booleans()):
        raw += "\ufeff".encode()
    last_id = ""
    retry: int | None = None
    for _ in range(draw(st.integers(0, 6))):
        data = draw(texts)
        name = draw(st.none() | event_names)
        new_id = draw(st.none() | ids)
        new_retry = draw(st.none() | st.integers(0, 10**6))
        newline = draw(newlines)
        if draw(st.booleans()):
            raw += encode_comment(draw(ids), newline=newline)
        raw += encode_event(data, event=name, id=new_id, retry=new_retry, newline=newline)
        if new_id is not None:
            last_id = new_id
        if new_retry is not None:
            retry = new_retry
        normalised = data.replace("\r\n", "\n").replace("\r", "\n")
        out.append(Event(normalised, name or "message", last_id, retry))
    return out, bytes(raw)


@st.composite
def splits(draw: st.DrawFn, raw: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=12)))
    pieces, start = [], 0
    for cut in [*cuts, len(raw)]:
        pieces.append(raw[start:cut])
        start = cut
    return pieces


@given(data=st.data())
def test_roundtrip_under_arbitrary_splits(data: st.DataObject) -> None:
    expected, raw = data.draw(streams())
    pieces = data.draw(splits(raw))
    assert b"".join(pieces) == raw
    assert list(decode(pieces)) == expected


@given(stream=streams())
def test_byte_by_byte_equals_whole(stream: tuple[list[Event], bytes]) -> None:
    expected, raw = stream
    assert list(decode(raw[i : i + 1] for i in range(len(raw)))) == expected
    assert list(decode([raw])) == expected


@given(raw=st.binary(max_size=200), data=st.data())
def test_any_bytes_decode_the_same_whatever_the_split(raw: bytes, data: st.DataObject) -> None:
    """Arbitrary (even invalid) input: the split never changes the events."""
    pieces = data.draw(splits(raw))
    assert list(decode(pieces)) == list(decode([raw]))


@given(raw=st.binary(max_size=120), data=st.data())
def test_lines_and_tail_do_not_depend_on_the_split(raw: bytes, data: st.DataObject) -> None:
    pieces = data.draw(splits(raw))
    cut = LineDecoder()
    got = [line for piece in pieces for line in cut.feed(piece)]
    whole = LineDecoder()
    assert (got, cut.close()) == (whole.feed(raw), whole.close())


@pytest.mark.parametrize("char", ["é", "東", "🌊"])
def test_a_utf8_sequence_cut_anywhere_decodes_whole(char: str) -> None:
    raw = f"data: {char}\n\n".encode()
    for cut in range(len(raw) + 1):
        assert list(decode([raw[:cut], raw[cut:]])) == [Event(char)]
    truncated = LineDecoder()
    truncated.feed(b"data: " + char.encode()[:-1])
    assert truncated.close() == "data: \ufffd"
