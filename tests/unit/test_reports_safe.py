"""Redaction, truncation and body formatting shared by every renderer."""

from __future__ import annotations

import pytest

from reports.render_safe import pretty_body, redact_headers, redact_text, truncate, visible


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "curl -H 'Authorization: Bearer sk-live-1' http://h/v1",
            "curl -H 'Authorization: [redacted]' http://h/v1",
        ),
        (
            'curl --header "x-goog-api-key: AIza123" http://h/',
            'curl --header "x-goog-api-key: [redacted]" http://h/',
        ),
        (
            "curl -H 'API-Key: k1' -H 'Accept: */*'",
            "curl -H 'API-Key: [redacted]' -H 'Accept: */*'",
        ),
        ("curl -H 'Cookie: sid=abc; x=y' u", "curl -H 'Cookie: [redacted]' u"),
        (
            "http://h/v1beta/models/g:generateContent?alt=sse&key=AIza9#frag",
            "http://h/v1beta/models/g:generateContent?alt=sse&key=[redacted]#frag",
        ),
        ("http://u:hunter2@h:8/v1", "http://u:[redacted]@h:8/v1"),
        ("curl -u admin:hunter2 http://h", "curl -u admin:[redacted] http://h"),
        ("curl -b 'sid=abc' http://h", "curl -b '[redacted]' http://h"),
        ("curl -H 'Content-Type: application/json' -d '{}'", None),
        ("http://h/?monkey=1&keyword=2", None),
    ],
)
def test_redact_text(text: str, expected: str | None) -> None:
    assert redact_text(text) == (text if expected is None else expected)


def test_redact_headers_accepts_every_shape_and_keeps_order() -> None:
    as_map = {"Content-Type": "a/b", "AUTHORIZATION": "Bearer s", "X-Api-Key": "k"}
    as_pairs = [["Content-Type", "a/b"], ["Set-Cookie", ["a=1", "b=2"]], ["Accept", ["x", "y"]]]
    as_lines = ["Cookie: s=1", "Accept: */*"]
    assert redact_headers(as_map) == [
        ("Content-Type", "a/b"),
        ("AUTHORIZATION", "[redacted]"),
        ("X-Api-Key", "[redacted]"),
    ]
    assert redact_headers(as_pairs) == [
        ("Content-Type", "a/b"),
        ("Set-Cookie", "[redacted]"),
        ("Accept", "x, y"),
    ]
    assert redact_headers(as_lines) == [("Cookie", "[redacted]"), ("Accept", "*/*")]
    assert redact_headers(None) == []


def test_truncate_marks_the_bytes_left_out() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 2) == "ab\n… (4 more bytes)"
    assert truncate("ab\ncdé", 3) == "ab\n… (4 more bytes)"  # é is 2 bytes in UTF-8
    with pytest.raises(ValueError, match="limit"):
        truncate("x", -1)


def test_visible_shows_control_characters_but_keeps_newlines_and_tabs() -> None:
    assert visible("data: x\r\n\t\x00\x1b") == "data: x\\r\n\t\\x00\\x1b"


def test_pretty_body_reformats_request_json_but_keeps_response_bytes() -> None:
    request = pretty_body('{"a":[1,2]}', 1000)
    assert request is not None
    assert request.lang == "json"
    assert request.text == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    response = pretty_body('{"a":[1,2]}', 1000, reformat=False)
    assert response is not None
    assert (response.text, response.lang) == ('{"a":[1,2]}', "json")
    sse = pretty_body("data: {}\r\n\r\n", 1000, reformat=False)
    assert sse is not None
    assert (sse.text, sse.lang) == ("data: {}\\r\n\\r\n", "text")
    mapping = pretty_body({"k": "é"}, 1000)
    assert mapping is not None
    assert mapping.text == '{\n  "k": "é"\n}'
    assert pretty_body(None, 10) is None
    assert pretty_body("", 10) is None
    long = pretty_body("x" * 50, 10)
    assert long is not None
    assert long.text == "x" * 10 + "\n… (40 more bytes)"


def test_curl_env_reference_is_kept_but_literal_keys_are_not() -> None:
    line = (
        """curl -H "Authorization: Bearer $CONFORMANCE_API_KEY" -H 'x-api-key: sk-live-123' URL"""
    )
    out = redact_text(line)
    assert "Bearer $CONFORMANCE_API_KEY" in out
    assert "sk-live-123" not in out
    assert "Bearer sk-live" not in redact_text("curl -H 'Authorization: Bearer sk-live-9' URL")
