"""spec.capture_format reads a recording in the forms people save it: one chunk per line
or a raw SSE body, Google's JSON array (``streamGenerateContent`` without ``alt=sse``),
pretty-printed chunks, and Code Assist's ``response`` envelope; each gives the same
chunks as the line form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spec.capture_format import BUNDLED, CaptureError, load_dir, parse_chunks, unwrap

TEXT = parse_chunks((BUNDLED / "google-text.chunks.txt").read_text("utf-8"))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


def test_the_json_array_google_sends_without_alt_sse() -> None:
    # Google's separators: "[{" ... "}\r\n,\r\n{" ... "}\r\n]", each object pretty-printed
    pretty = ",\r\n".join(json.dumps(c, indent=2).replace("\n", "\r\n") for c in TEXT)
    assert parse_chunks("[" + pretty + "\r\n]") == TEXT


def test_the_json_array_saved_as_the_unary_file_reads_as_chunks(tmp_path: Path) -> None:
    _write(tmp_path, "arr.json", json.dumps(list(TEXT), indent=2))
    capture = load_dir(tmp_path)["arr"]
    assert capture.chunks == TEXT
    assert capture.unary is None
    assert capture.model == TEXT[0]["modelVersion"]


def test_pretty_printed_chunks_and_a_pretty_printed_sse_body() -> None:
    pretty = "\n\n".join(json.dumps(c, indent=2) for c in TEXT)
    assert parse_chunks(pretty) == TEXT
    sse = "".join(f"data: {json.dumps(c, indent=1)}\n\n" for c in TEXT) + "data: [DONE]\n\n"
    assert parse_chunks(": keep-alive\n" + sse) == TEXT


def test_code_assist_envelopes_load_as_their_answer(tmp_path: Path) -> None:
    wrapped = [{"response": c, "traceId": f"t{i}"} for i, c in enumerate(TEXT)]
    lines = "\n".join(json.dumps(w) for w in wrapped)
    assert [c["responseId"] for c in parse_chunks(lines)] == [c["responseId"] for c in TEXT]
    bare = [{k: v for k, v in c.items() if k != "responseId"} for c in TEXT]
    assert (
        parse_chunks(json.dumps([{"response": c, "traceId": "t9"} for c in bare]))[0]["responseId"]
        == "t9"
    )
    _write(tmp_path, "ca.json", json.dumps({"response": TEXT[-1], "traceId": "x"}))
    assert load_dir(tmp_path)["ca"].unary == TEXT[-1]
    error = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}
    assert unwrap(error) == error


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"candidates": []}\nnot json\n', "chunks:2: not JSON"),
        ('{"candidates": []}\n[1, 2]\n', "chunks:2: a JSON list"),
        ('[{"candidates": []}, 3]', "element 1 is a JSON int"),
        ('[{"candidates": []}', "a JSON array that does not parse"),
    ],
)
def test_what_is_not_a_capture_is_refused_naming_the_place(text: str, says: str) -> None:
    with pytest.raises(CaptureError) as info:
        parse_chunks(text)
    assert says in str(info.value)


def test_the_bundled_corpus_reads_as_before() -> None:
    corpus = load_dir(BUNDLED)
    for name, capture in corpus.items():
        path = BUNDLED / f"{name}.chunks.txt"
        if path.is_file():
            lines = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
            assert list(capture.chunks or ()) == lines, name
