"""mockserver.framing: Google's JSON styles and the socket-write plan (pure)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.framing import json_array_writes, one_line, plan_writes, pretty, sse_event

# wire-formats.md A3, byte-exact from a recorded adk-go exchange.
RECORDED_EVENT = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "Paris"}],"role": "model"},'
    b'"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 11,'
    b'"candidatesTokenCount": 1,"totalTokenCount": 45,"promptTokensDetails": '
    b'[{"modality": "TEXT","tokenCount": 11}],"thoughtsTokenCount": 33},'
    b'"modelVersion": "gemini-2.5-flash","responseId": "yFWYabnBB8Wg1e8P3ZTdiAY"}\r\n\r\n'
)


def test_sse_event_reproduces_the_recorded_google_bytes() -> None:
    payload = json.loads(RECORDED_EVENT[len(b"data: ") : -4])
    assert sse_event(payload) == RECORDED_EVENT


def test_lf_framing() -> None:
    assert sse_event({"a": 1}, b"\n") == b'data: {"a": 1}\n\n'


def test_angle_brackets_are_escaped_and_non_ascii_is_raw() -> None:
    assert one_line({"t": "x < y > z café"}) == '{"t": "x \\u003c y \\u003e z café"}'.encode()
    assert pretty({"t": "<b>"}) == b'{\n  "t": "\\u003cb\\u003e"\n}\n'


def test_pretty_is_two_space_indented_with_final_lf() -> None:
    assert pretty({"a": [1, {"b": True}], "c": {}}) == (
        b'{\n  "a": [\n    1,\n    {\n      "b": true\n    }\n  ],\n  "c": {}\n}\n'
    )


def test_json_array_writes() -> None:
    pieces = json_array_writes([{"a": 1}, {"b": 2}])
    assert json.loads(b"".join(pieces)) == [{"a": 1}, {"b": 2}]
    assert pieces[0].startswith(b"[")
    assert pieces[1].startswith(b",\r\n")
    cut = json_array_writes([{"a": 1}], close=False)
    assert cut == [b'[{\n  "a": 1\n}']
    assert json_array_writes([]) == [b"[]"]


events_st = st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=6)


@given(events_st, st.integers(0, 50), st.booleans(), st.sampled_from([0, 5]))
def test_writes_always_reassemble_to_the_body(
    events: list[bytes], split: int, coalesce: bool, chunk_ms: int
) -> None:
    writes = plan_writes(events, split=split, coalesce=coalesce, chunk_ms=chunk_ms)
    assert b"".join(w.data for w in writes) == b"".join(events)
    assert all(w.data for w in writes)
    if split:
        assert all(len(w.data) <= split for w in writes)
    if coalesce and not split:
        assert len(writes) == 1
    if coalesce or not chunk_ms:
        assert all(w.delay_ms == 0 for w in writes)


@given(events_st, st.integers(1, 7))
def test_paced_split_keeps_pauses_between_events(events: list[bytes], split: int) -> None:
    writes = plan_writes(events, split=split, chunk_ms=30)
    assert sum(1 for w in writes if w.delay_ms == 30) == len(events) - 1
    assert writes[0].delay_ms == 0
    # each event is cut on its own: the pause starts exactly at an event boundary
    offset, boundaries = 0, set()
    for event in events[:-1]:
        offset += len(event)
        boundaries.add(offset)
    position = 0
    for w in writes:
        if w.delay_ms:
            assert position in boundaries
        position += len(w.data)


def test_default_is_one_write_per_event() -> None:
    writes = plan_writes([b"a", b"b"], chunk_ms=7)
    assert [(w.data, w.delay_ms) for w in writes] == [(b"a", 0), (b"b", 7)]
    assert plan_writes([]) == ()


json_text = st.text(
    st.sampled_from('":\\{}[],< ') | st.characters(codec="utf-8", exclude_categories=["Cs"]),
    max_size=12,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | json_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=500)
@given(json_values)
def test_one_line_matches_the_stdlib_encoder_with_googles_separators(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ": "))
    expected = expected.replace("<", "\\u003c").replace(">", "\\u003e")
    assert one_line(value) == expected.encode()


def test_one_line_with_quotes_inside_strings() -> None:
    value = {'a":b': 'x": "y', "c": ['"', "\\", '\\"']}
    assert json.loads(one_line(value)) == value
    assert one_line({"k": 'say "hi": ok'}) == b'{"k": "say \\"hi\\": ok"}'


def test_bursts_keep_one_http_chunk_per_write_and_stop_at_a_delay() -> None:
    """mockserver.http_core._burst: writes with no delay between them leave in one
    socket send, each still framed as its own HTTP chunk (httplane._frame, RFC 9112
    7.1); a delayed write starts the next burst; empty writes are not chunks (0 would
    end the body)."""
    from httplane import _frame
    from mockserver.framing import Write
    from mockserver.http_core import _burst

    writes = (Write(b"a"), Write(b"bc"), Write(b""), Write(b"d" * 20, 100), Write(b"e"))
    assert _burst(writes, 0, False) == ([b"a", b"bc", b""], 3)
    assert _frame([b"a", b"bc", b""]) == b"1\r\na\r\n2\r\nbc\r\n"
    assert _burst(writes, 3, False) == ([b"d" * 20, b"e"], 5)
    assert _frame([b"d" * 20, b"e"]) == b"14\r\n" + b"d" * 20 + b"\r\n1\r\ne\r\n"
    assert _burst(writes, 1, False) == ([b"bc", b""], 3)


def test_split_pieces_are_sent_one_by_one() -> None:
    from mockserver.framing import Write
    from mockserver.http_core import _burst

    writes = (Write(b"ab"), Write(b"cd"), Write(b"ef"))
    assert _burst(writes, 1, True) == ([b"cd"], 2)
