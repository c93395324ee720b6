"""spec.capture_format reads a recording in the forms people save it: one chunk per line
or a raw SSE body, Google's JSON array (``streamGenerateContent`` without ``alt=sse``),
pretty-printed chunks, Code Assist's ``response`` envelope, the HTTP exchanges
recording tools save and VCR cassettes (YAML); each gives the same chunks as the line
form. A file that holds no recorded answer is skipped with a line, not replayed as an
empty answer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from spec.capture_format import BUNDLED, NAME_RE, CaptureError, load_dir, parse_chunks, unwrap

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


ERROR = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}


def test_an_http_recording_replays_its_status_and_headers_not_its_framing(
    tmp_path: Path,
) -> None:
    headers = {
        "content-encoding": "gzip",
        "transfer-encoding": "chunked",
        "date": "Wed, 08 Jul 2026 12:10:59 GMT",
        "retry-after": "34",
        "content-type": "application/json; charset=UTF-8",
    }
    _write(tmp_path, "q.json", json.dumps({"status": 429, "headers": headers, "body": ERROR}))
    exchange = {
        "model": "gemini-2.5-flash",
        "request": {"url": "https://example.invalid", "body": {"contents": []}},
        "response": {"status": 200, "headers": {}, "body": TEXT[-1]},
    }
    _write(tmp_path, "ok.json", json.dumps(exchange))
    sse = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in TEXT)
    _write(tmp_path, "s.json", json.dumps({"status": 200, "body": sse}))
    corpus = load_dir(tmp_path)
    assert (corpus["q"].status, corpus["q"].error) == (429, ERROR)
    assert dict(corpus["q"].headers) == {
        "retry-after": "34",
        "content-type": "application/json; charset=UTF-8",
    }
    assert (corpus["ok"].unary, corpus["ok"].model) == (TEXT[-1], "gemini-2.5-flash")
    assert corpus["s"].chunks == TEXT


def test_several_recordings_in_one_file_are_one_capture_each(tmp_path: Path) -> None:
    tried = {
        "model": "gemini-3.7-flash",
        "minimal": {"status": 400, "body": {"error": {"code": 400, "status": "INVALID_ARGUMENT"}}},
        "low": {"status": 200, "body": TEXT[-1]},
    }
    _write(tmp_path, "levels.json", json.dumps(tried))
    calls = {"calls": [{"request": {}, "response": {"status": 200, "body": c}} for c in TEXT[:2]]}
    _write(tmp_path, "pdf.json", json.dumps(calls))
    corpus = load_dir(tmp_path)
    assert sorted(corpus) == ["levels.low", "levels.minimal", "pdf.calls.0", "pdf.calls.1"]
    assert (corpus["levels.minimal"].status, corpus["levels.minimal"].model) == (
        400,
        "gemini-3.7-flash",
    )
    assert corpus["levels.low"].unary == TEXT[-1]
    assert corpus["pdf.calls.1"].unary == TEXT[1]


def test_a_file_that_holds_no_answer_is_skipped_with_a_line(tmp_path: Path) -> None:
    _write(tmp_path, "notes.json", json.dumps({"issue": 1, "text": "OK", "toolCalls": []}))
    _write(tmp_path, "answer.json", json.dumps(TEXT[-1]))
    skipped: list[str] = []
    assert list(load_dir(tmp_path, skipped)) == ["answer"]
    assert skipped == [
        "notes.json: not a recorded Gemini answer (no candidates, promptFeedback, "
        "usageMetadata or error, in no HTTP recording)"
    ]
    assert list(load_dir(tmp_path)) == ["answer"]  # no list given: skipped all the same


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=20))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_CHUNKS = st.lists(
    st.fixed_dictionaries(
        {
            "candidates": st.lists(
                st.dictionaries(st.text(max_size=8), _VALUES, max_size=3), max_size=2
            )
        },
        optional={"usageMetadata": st.dictionaries(st.text(max_size=8), _VALUES, max_size=3)},
    ),
    min_size=1,
    max_size=4,
)


def _forms(chunks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        "lines": "\n".join(json.dumps(c) for c in chunks) + "\n",
        "sse crlf": "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks)
        + "data: [DONE]\r\n\r\n",
        "array": json.dumps(chunks, indent=2).replace("\n", "\r\n"),
        "pretty": "\n\n".join(json.dumps(c, indent=2) for c in chunks),
    }


@given(_CHUNKS)
def test_every_form_of_a_stream_reads_as_its_chunks(chunks: list[dict[str, Any]]) -> None:
    for form, text in _forms(chunks).items():
        assert list(parse_chunks(text)) == chunks, form


CASSETTES = Path(__file__).resolve().parent.parent / "data" / "cassettes"


def test_real_vcr_cassettes_load_as_their_calls() -> None:
    # pydantic-ai's recordings of Google (tests/data/cassettes/README.md): an SSE body
    # kept as text, and a unary answer kept as parsed_body
    corpus = load_dir(CASSETTES)
    assert sorted(corpus) == ["test_google_model_max_tokens", "test_google_model_stream"]
    stream = corpus["test_google_model_stream"]
    assert stream.unary is None
    assert stream.chunks is not None
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in stream.chunks) == (
        "The capital of France is Paris.\n"
    )
    assert stream.model == "gemini-2.0-flash-exp"  # the URI's model
    assert dict(stream.headers)["content-type"] == "text/event-stream"
    assert "transfer-encoding" not in dict(stream.headers)  # that exchange's framing
    unary = corpus["test_google_model_max_tokens"]
    assert unary.unary is not None
    assert unary.chunks is None
    assert unary.status == 200
    assert unary.unary["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert dict(unary.headers)["vary"] == "Origin, X-Origin, Referer"  # vcrpy's value lists


def _cassette(*interactions: dict[str, Any]) -> str:
    return yaml.safe_dump({"interactions": list(interactions), "version": 1})


def _call(uri: str, status: int, **response: Any) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "uri": uri, "body": response.pop("sent", None)},
        "response": {"status": {"code": status, "message": "x"}, "headers": {}, **response},
    }


GLA = "https://generativelanguage.googleapis.com/v1beta/models"


def test_a_cassette_of_several_calls_keeps_the_generate_calls_in_order(tmp_path: Path) -> None:
    sse = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in TEXT[:1])
    gzipped = gzip.compress(json.dumps(TEXT[-1]).encode())
    text = _cassette(
        _call("https://oauth2.googleapis.com/token", 200, body={"string": '{"a": 1}'}),
        _call(f"{GLA}/gemini-2.5-flash:streamGenerateContent?alt=sse", 200, body={"string": sse}),
        _call(f"{GLA}/gemini-2.5-flash:countTokens", 200, parsed_body={"totalTokens": 3}),
        {
            **_call(f"{GLA}/gemini-2.5-pro:generateContent", 200, body={"string": gzipped}),
            "response": {
                "status": {"code": 200},
                "headers": {"Content-Encoding": ["gzip"]},
                "body": {"string": gzipped},
            },
        },
        _call(
            "https://cloudcode-pa.googleapis.com/v1internal:generateContent",
            429,
            parsed_body=ERROR,
            sent=json.dumps({"model": "gemini-2.5-pro", "request": {}}),
        ),
    )
    _write(tmp_path, "several [run].yml", text)
    corpus = load_dir(tmp_path)
    assert sorted(corpus) == ["several-run.0", "several-run.1", "several-run.2"]
    one_chunk = corpus["several-run.0"]  # a stream of one chunk stays a stream
    assert (one_chunk.chunks, one_chunk.unary) == (TEXT[:1], None)
    assert corpus["several-run.1"].unary == TEXT[-1]  # !!binary gzip, inflated
    assert corpus["several-run.1"].model == "gemini-2.5-pro"
    quota = corpus["several-run.2"]  # Code Assist: the model from the request body
    assert (quota.status, quota.error, quota.model) == (429, ERROR, "gemini-2.5-pro")


def test_yaml_that_is_no_cassette_of_a_generate_call_is_skipped_with_a_line(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "config.yaml", "retries: 3\n")
    _write(tmp_path, "tokens.yaml", _cassette(_call(f"{GLA}/m:countTokens", 200, parsed_body={})))
    _write(tmp_path, "answer.json", json.dumps(TEXT[-1]))
    skipped: list[str] = []
    assert list(load_dir(tmp_path, skipped)) == ["answer"]
    assert skipped == [
        "config.yaml: not a VCR cassette (no interactions)",
        "tokens.yaml: a VCR cassette without a generateContent or streamGenerateContent "
        "call that has an answer",
    ]
    _write(tmp_path, "broken.yaml", "interactions: [\n")
    with pytest.raises(CaptureError, match=r"broken\.yaml: not YAML"):
        load_dir(tmp_path)


def test_file_stems_that_are_no_names_are_named_and_clashes_refused(tmp_path: Path) -> None:
    _write(tmp_path, "call[True].json", json.dumps(TEXT[-1]))
    assert list(load_dir(tmp_path)) == ["call-True"]
    _write(tmp_path, "call-True.json", json.dumps(TEXT[-1]))
    with pytest.raises(CaptureError, match="two captures of this name"):
        load_dir(tmp_path)


def test_a_cassette_body_of_type_and_content_loads(tmp_path: Path) -> None:
    # newer pydantic-ai cassettes: ``status: 200`` and ``body: {type: json, content}``
    typed = {
        "request": {"method": "post", "uri": f"{GLA}/gemini-2.5-flash:generateContent"},
        "response": {"status": 200, "headers": {}, "body": {"type": "json", "content": TEXT[-1]}},
    }
    code_assist = {
        "request": {
            "method": "post",
            "uri": "https://cloudcode-pa.googleapis.com/v1internal:generateContent",
            "body": {"type": "json", "content": {"model": "gemini-2.5-pro", "request": {}}},
        },
        "response": {"status": 200, "body": {"type": "json", "content": {"response": TEXT[-1]}}},
    }
    cassette = {"version": 1, "interactions": [typed, code_assist]}
    _write(tmp_path, "typed.yaml", yaml.safe_dump(cassette))
    corpus = load_dir(tmp_path)
    assert (corpus["typed.0"].unary, corpus["typed.0"].model) == (TEXT[-1], "gemini-2.5-flash")
    assert (corpus["typed.1"].unary, corpus["typed.1"].model) == (TEXT[-1], "gemini-2.5-pro")


def test_a_long_stem_of_several_recordings_still_names_each(tmp_path: Path) -> None:
    calls = [_call(f"{GLA}/m:generateContent", 200, parsed_body=c) for c in TEXT[:2]]
    stem = "TestGeminiNativeToolCalling.test_gemini_parallel_native_tool_calling_test_agent_kickoff"
    _write(tmp_path, f"{stem}.yaml", _cassette(*calls))
    names = sorted(load_dir(tmp_path))
    assert [len(n) <= 80 for n in names] == [True, True]
    assert [n[-2:] for n in names] == [".0", ".1"]
    # a second long stem sharing the first 80 characters keeps names of its own
    _write(tmp_path, f"{stem}_test_crew.yaml", _cassette(*calls))
    _write(tmp_path, f"{stem}_test_crew_too_long_as_one_name_{'x' * 60}.json", json.dumps(TEXT[0]))
    names = sorted(load_dir(tmp_path))
    assert len(names) == len(set(names)) == 5
    assert all(NAME_RE.match(n) for n in names)


def test_hundreds_of_skipped_files_print_as_a_few_lines() -> None:
    from spec.capture_format import skipped_lines

    lines = [f"f{i}.yaml: not a VCR cassette (no interactions)" for i in range(533)]
    shown = skipped_lines(lines)
    assert shown[:5] == lines[:5]
    assert shown[5:] == ["... and 528 more files that hold no recorded Gemini answer"]
    assert skipped_lines(lines[:3]) == lines[:3]


VERTEX = "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/p/locations/l"


def test_numbered_enums_of_a_vertex_sdk_recording_load_named(tmp_path: Path) -> None:
    """Vertex AI's SDK asks for ``$alt=json;enum-encoding=int`` (percent-encoded in the
    URI; opentelemetry-instrumentation-vertexai's cassettes): its answer's enums are proto
    numbers, which no proxy asks for. They load as the names Google sends by default (a
    ``finishReason: 2`` read as STOP-like would expect ``stop`` for a MAX_TOKENS answer);
    without that query the numbers are left alone."""
    numbered = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": "Say"}]},
                "finishReason": 2,
                "safetyRatings": [{"category": 2, "probability": 1, "severity": 1}],
            }
        ],
        "promptFeedback": {"blockReason": 9},  # a number the table does not know
        "usageMetadata": {
            "promptTokenCount": 5,
            "candidatesTokenCount": 1,
            "totalTokenCount": 6,
            "trafficType": 1,
            "promptTokensDetails": [{"modality": 1, "tokenCount": 5}],
        },
    }
    model = f"{VERTEX}/publishers/google/models/gemini-2.5-pro:generateContent"
    text = _cassette(
        _call(f"{model}?%24alt=json%3Benum-encoding%3Dint", 200, parsed_body=numbered),
        _call(model, 200, parsed_body=numbered),
    )
    _write(tmp_path, "vertex.yaml", text)
    named, plain = (load_dir(tmp_path)[f"vertex.{i}"].unary for i in (0, 1))
    assert named is not None
    assert plain is not None
    candidate = named["candidates"][0]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert candidate["safetyRatings"] == [
        {
            "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
            "probability": "NEGLIGIBLE",
            "severity": "HARM_SEVERITY_NEGLIGIBLE",
        }
    ]
    assert named["promptFeedback"] == {"blockReason": 9}
    assert named["usageMetadata"]["trafficType"] == "ON_DEMAND"
    assert named["usageMetadata"]["promptTokensDetails"] == [{"modality": "TEXT", "tokenCount": 5}]
    assert plain == numbered  # no enum-encoding=int asked: nothing renamed
