"""The capture format shared by the mock (which replays captures as the upstream's answer)
and the suite (which derives what each capture means on the OpenAI side).

A capture is a recorded Gemini answer, named by its file stem in a capture directory
(docs/captures.md; the bundled corpus is ``spec/captures/``):

- ``NAME.chunks.txt``: a streamGenerateContent answer, one GenerateContentResponse JSON
  object per line (the SSE ``data:`` payloads; a ``data:`` prefix, ``[DONE]`` and blank
  lines are tolerated, so a raw SSE body loads too), or the JSON array Google answers
  without ``alt=sse``, or pretty-printed objects one after another (:func:`parse_chunks`);
- ``NAME.json``: one generateContent answer, or an error body (a top-level ``error``
  object, e.g. Google's 429 with ``RetryInfo``), or a streamGenerateContent JSON array
  (read as the chunks when there is no ``NAME.chunks.txt``). Code Assist answers (the
  ``response`` envelope) load as their inner answer (:func:`unwrap`);
- ``NAME.meta.json`` (optional): ``{"model", "status", "headers", "chunk_ms", "note",
  "source"}``: the HTTP status (default 200, or the error body's ``error.code``), response
  headers, the delay before each streamed chunk in milliseconds;
- ``NAME.yaml`` / ``NAME.yml``: a VCR cassette (vcrpy's format, as pydantic-ai and other
  test suites record real traffic): its ``generateContent`` and ``streamGenerateContent``
  calls, one capture each (:func:`_cassette_recordings`).

Two pure views of a capture serve both sides: :func:`stream_form` (the chunks a
streamed request gets) and :func:`unary_form` (the answer a generateContent request
gets; built from the chunks when the capture has no ``NAME.json``, the way Google's
unary answer to the same generation reads: see :func:`unary_form`).

Pure: reading files is :func:`load_dir`'s only I/O.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import itertools
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from spec.enum_numbers import ENUM_ENCODING_INT, named
from spec.wire import code_assist_response

__all__ = [
    "BUNDLED",
    "NAME_RE",
    "CallBuilder",
    "Capture",
    "CaptureError",
    "assemble_parts",
    "load_dir",
    "parse_chunks",
    "parse_json_path",
    "skipped_lines",
    "stream_form",
    "unary_form",
    "unwrap",
]

BUNDLED = Path(__file__).resolve().parent / "captures"
"""The corpus shipped with the package (real Google answers with their provenance note,
plus the project's own captures of documented behaviours)."""

NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
"""A capture name: what ``[[mock:capture=NAME]]`` can carry."""

_SUFFIXES = (".chunks.txt", ".meta.json", ".json", ".yaml", ".yml")


class CaptureError(ValueError):
    """A capture file that cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Capture:
    """One recorded answer. ``chunks``: the streamed GenerateContentResponse objects in
    order (``None`` without ``NAME.chunks.txt``); ``unary``: the generateContent answer
    (``None`` without a non-error ``NAME.json``); ``error``: an error body (the whole JSON,
    ``{"error": {...}}``) or ``None``; ``status``: the HTTP status (200 unless the meta or
    the error body says otherwise); ``headers``: response headers to send; ``chunk_ms``:
    delay before each chunk, milliseconds (empty: none); ``meta``: the metadata as read."""

    name: str
    chunks: tuple[dict[str, Any], ...] | None = None
    unary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    chunk_ms: tuple[float, ...] = ()
    model: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.error is not None


def parse_chunks(text: str, where: str = "chunks") -> tuple[dict[str, Any], ...]:
    """The GenerateContentResponse objects of a ``.chunks.txt`` text, in the forms a
    recording takes: one JSON object per line (``data:`` prefixes, ``[DONE]``, SSE
    comments and blank lines skipped, so a raw ``alt=sse`` body loads); the JSON array
    ``streamGenerateContent`` answers without ``alt=sse`` (pretty-printed over many
    lines, as Google sends it); or objects pretty-printed one after another. A Code
    Assist chunk (``{"response": {...}, "traceId": ...}``) is read as its ``response``
    (:func:`unwrap`). Raises :class:`CaptureError` naming ``where`` and the line of the
    first value that is not a JSON object."""
    if text.lstrip().startswith("["):
        try:
            values = json.loads(text)
        except ValueError as exc:
            raise CaptureError(f"{where}: a JSON array that does not parse ({exc})") from None
        if not isinstance(values, list):  # pragma: no cover - a text starting with [
            raise CaptureError(f"{where}: not a JSON array")
        for i, value in enumerate(values):
            if not isinstance(value, dict):
                raise CaptureError(
                    f"{where}: element {i} is a JSON {type(value).__name__}, not an object"
                )
        return tuple(unwrap(v) for v in values)
    try:
        return tuple(unwrap(v) for v in _lines(text, where))
    except CaptureError as by_line:
        try:
            return tuple(unwrap(v) for v in _concatenated(text))
        except ValueError:
            raise by_line from None


def _lines(text: str, where: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("data:"):
            line = line[len("data:") :].strip()
        if not line or line == "[DONE]" or line.startswith(":"):
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise CaptureError(f"{where}:{number}: not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise CaptureError(f"{where}:{number}: a JSON {type(value).__name__}, not an object")
        out.append(value)
    return out


_BETWEEN = re.compile(r"(?:\s|,|data:|\[DONE\]|^:[^\n]*$)*", re.MULTILINE)
"""What may stand between pretty-printed objects: blanks, commas, SSE ``data:`` field
names, ``[DONE]`` and SSE comment lines."""


def _concatenated(text: str) -> list[dict[str, Any]]:
    """JSON objects one after another, each possibly over many lines. Raises
    ``ValueError`` when something else stands between them."""
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    at = _BETWEEN.match(text, 0)
    pos = at.end() if at else 0
    while pos < len(text):
        value, pos = decoder.raw_decode(text, pos)
        if not isinstance(value, dict):
            raise ValueError("not an object")
        out.append(value)
        at = _BETWEEN.match(text, pos)
        pos = at.end() if at else pos
    return out


unwrap = code_assist_response
"""A Code Assist answer as its GenerateContentResponse
(:func:`spec.wire.code_assist_response`)."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise CaptureError(f"{path.name}: not JSON ({exc})") from None


def _stem(path: Path) -> str | None:
    for suffix in _SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return None


_ANSWER_KEYS = ("candidates", "promptFeedback", "usageMetadata")
"""A GenerateContentResponse has at least one of these (an answer blocked before any
candidate has only ``promptFeedback`` and ``usageMetadata``)."""

_NOT_REPLAYED = frozenset(
    {
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "date",
        "server",
        "server-timing",
        "alt-svc",
    }
)
"""Header fields of an HTTP recording that described that exchange's bytes and server
(gzip, chunked, its date), not the answer: not replayed."""


@dataclass(frozen=True, slots=True)
class _Recorded:
    """One answer read from a ``.json`` value, with what its envelope said."""

    chunks: tuple[dict[str, Any], ...] | None = None
    unary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    model: str | None = None


def _is_answer(value: Any) -> bool:
    return isinstance(value, dict) and (
        isinstance(value.get("error"), dict) or any(k in unwrap(value) for k in _ANSWER_KEYS)
    )


def _recorded(value: Any, where: str, streamed: bool = False) -> _Recorded | None:
    """``value`` (a ``.json`` file's JSON, or a part of it) read as one recorded answer:
    a GenerateContentResponse (or Code Assist's envelope of one), an error body, a
    streamGenerateContent JSON array, or an HTTP recording of one of these:
    ``{"status": 429, "headers": {...}, "body": ...}`` (the body as JSON or as its text,
    an SSE body included), or ``{"request": ..., "response": {"status", "body"}}``.
    ``streamed``: the recording is known to answer ``streamGenerateContent``, so a body
    text of one answer is that stream's one chunk, not a unary answer. ``None`` when it
    is none of them."""
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value) and any(map(_is_answer, value)):
            return _Recorded(chunks=tuple(unwrap(v) for v in value))
        return None
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("error"), dict):
        return _Recorded(error=value)
    inner = unwrap(value)
    if any(k in inner for k in _ANSWER_KEYS):
        return _Recorded(unary=inner)
    model = value.get("model") if isinstance(value.get("model"), str) else None
    body = value.get("body")
    if isinstance(value.get("status"), int) and body is not None:
        if isinstance(body, str):
            try:
                read: _Recorded | None = _recorded(list(parse_chunks(body, where)), where)
            except CaptureError:
                return None
            if read is not None and read.chunks is not None and len(read.chunks) == 1:
                lone = read.chunks[0]  # a unary body kept as text
                if "error" in lone:
                    read = _Recorded(error=lone)
                elif not streamed:
                    read = _Recorded(unary=lone)
        else:
            read = _recorded(body, where)
        if read is None:
            return None
        headers = value.get("headers") if isinstance(value.get("headers"), dict) else {}
        assert isinstance(headers, dict)
        kept = {str(k): str(v) for k, v in headers.items() if str(k).lower() not in _NOT_REPLAYED}
        return replace(read, status=value["status"], headers=kept, model=model)
    response = value.get("response")
    if isinstance(response, dict) and "body" in response:
        read = _recorded(response, where)
        if read is not None and read.model is None and model is not None:
            read = replace(read, model=model)
        return read
    return None


_GENERATE_CALL = re.compile(
    r"(?:/models/(?P<model>[^/:?#]+))?:(?P<method>streamGenerateContent|generateContent)\b"
)
"""The request URI of a call whose answer is a capture: Gemini API and Vertex AI
(``.../models/MODEL:generateContent``), Code Assist (``.../v1internal:generateContent``,
the model in the body)."""


def _cassette_body(response: dict[str, Any]) -> Any:
    """A VCR response's body: pydantic-ai's ``parsed_body`` or ``body: {"type",
    "content"}`` as it is, else vcrpy's ``body.string`` as text (a ``!!binary`` one
    gunzipped/inflated when its ``content-encoding`` says so, or when it starts with
    gzip's magic bytes)."""
    if "parsed_body" in response:
        return response["parsed_body"]
    body = response.get("body")
    if isinstance(body, dict) and "content" in body and "string" not in body:
        return body["content"]  # {"type": "json", "content": {...}}, newer pydantic-ai
    raw = body.get("string") if isinstance(body, dict) else body
    if isinstance(raw, bytes):
        headers = response.get("headers") if isinstance(response.get("headers"), dict) else {}
        assert isinstance(headers, dict)
        coding = " ".join(
            str(v) for k, v in headers.items() if str(k).lower() == "content-encoding"
        ).lower()
        try:
            if "gzip" in coding or raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            elif "deflate" in coding:
                raw = zlib.decompress(raw)
        except (OSError, EOFError, zlib.error):
            return None
        return raw.decode("utf-8", "replace")
    return raw


def _cassette_recordings(value: Any, where: str) -> list[tuple[str, _Recorded]] | None:
    """The recorded answers of a VCR cassette (the YAML vcrpy writes:
    ``{"interactions": [{"request": {"method", "uri", ...}, "response": {"status":
    {"code", "message"}, "headers": {name: [value, ...]}, "body": {"string": ...}}}],
    "version": 1}``; pydantic-ai's cassettes keep a JSON body as ``parsed_body``). Only
    the ``generateContent`` / ``streamGenerateContent`` calls count (Gemini API, Vertex
    AI, Code Assist, by the request URI); the others (OAuth tokens, file downloads,
    ``countTokens``) are passed over. Keys: ``""`` for a cassette of one such call, else
    ``"0"``, ``"1"``... in recording order. The model is the URI's (``models/MODEL:``),
    else the request body's ``model`` (Code Assist). ``None`` when ``value`` is no
    cassette; empty when it holds no generate call with an answer."""
    if not isinstance(value, dict) or not isinstance(value.get("interactions"), list):
        return None
    found: list[_Recorded] = []
    for interaction in value["interactions"]:
        if not isinstance(interaction, dict):
            continue
        request = interaction.get("request")
        response = interaction.get("response")
        if not isinstance(request, dict) or not isinstance(response, dict):
            continue
        call = _GENERATE_CALL.search(str(request.get("uri", "")))
        if call is None:
            continue
        status = response.get("status")
        code = status.get("code") if isinstance(status, dict) else status
        headers = response.get("headers") if isinstance(response.get("headers"), dict) else {}
        assert isinstance(headers, dict)
        flat = {
            str(k): ", ".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in headers.items()
        }
        body = _cassette_body(response)
        if not isinstance(code, int) or body is None:
            continue
        streamed = call["method"] == "streamGenerateContent"
        read = _recorded({"status": code, "headers": flat, "body": body}, where, streamed)
        if read is None:
            continue
        if ENUM_ENCODING_INT in unquote(str(request.get("uri", ""))):
            read = _with_enum_names(read)  # Vertex's SDK asked for numbered enums
        model = call["model"]
        if model is None:
            sent = request.get("parsed_body", request.get("body"))
            if isinstance(sent, dict) and isinstance(sent.get("content"), dict):
                sent = sent["content"]  # {"type": "json", "content": {...}}
            if isinstance(sent, str | bytes):
                try:
                    sent = json.loads(sent)
                except ValueError:
                    sent = None
            if isinstance(sent, dict) and isinstance(sent.get("model"), str):
                model = sent["model"]
        found.append(replace(read, model=model) if model else read)
    if len(found) == 1:
        return [("", found[0])]
    return [(str(i), r) for i, r in enumerate(found)]


def _with_enum_names(read: _Recorded) -> _Recorded:
    """``read`` with the numbered enums of its answers named (:mod:`spec.enum_numbers`):
    what Google sends a client that did not ask for ``enum-encoding=int``."""
    return replace(
        read,
        unary=named(copy.deepcopy(read.unary)),
        chunks=None if read.chunks is None else tuple(named(copy.deepcopy(c)) for c in read.chunks),
    )


def _read_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
    try:
        return yaml.load(path.read_text("utf-8"), Loader=loader)  # a safe loader
    except yaml.YAMLError as exc:
        raise CaptureError(f"{path.name}: not YAML ({exc})") from None


def _sub_key(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", key).strip("-.") or "x"


def _recordings(value: Any, where: str) -> list[tuple[str, _Recorded]]:
    """The recorded answers of a ``.json`` value: ``[("", answer)]`` for one, else the
    answers its top-level fields hold, by key (``"low"``) or by key and position
    (``"calls.0"``) for a list of recordings. Empty when there is none."""
    one = _recorded(value, where)
    if one is not None:
        return [("", one)]
    if not isinstance(value, dict):
        return []
    model = value.get("model") if isinstance(value.get("model"), str) else None
    out: list[tuple[str, _Recorded]] = []
    for key, item in value.items():
        found = _recorded(item, where)
        if found is not None:
            out.append((_sub_key(str(key)), found))
        elif isinstance(item, list):
            for i, element in enumerate(item):
                found = _recorded(element, where)
                if found is not None:
                    out.append((f"{_sub_key(str(key))}.{i}", found))
    if model is not None:
        out = [(k, r if r.model else replace(r, model=model)) for k, r in out]
    return out


def _fit(name: str, stem: str, limit: int) -> str:
    """``name`` when it has at most ``limit`` characters, else cut and ended with ``-``
    and 8 hex digits of the file stem's SHA-256, so two long stems that share their
    first characters (crewAI's cassette names) keep apart names."""
    if len(name) <= limit:
        return name
    tag = hashlib.sha256(stem.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-.')}-{tag}"


def _capture_name(stem: str) -> str:
    """The capture name of a file stem: the stem when it is a valid name, else its runs
    of other characters as ``-`` (pydantic-ai's ``test_x[True].yaml`` is
    ``test_x-True``), at most 80 characters (:func:`_fit`)."""
    if NAME_RE.match(stem):
        return stem
    return _fit(_sub_key(stem), stem, 80)


def _load_one(directory: Path, stem: str, skipped: list[str]) -> list[Capture]:
    name = _capture_name(stem)
    chunks_path = directory / f"{stem}.chunks.txt"
    json_path = directory / f"{stem}.json"
    meta_path = directory / f"{stem}.meta.json"
    cassette_paths = (directory / f"{stem}.yaml", directory / f"{stem}.yml")
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        loaded = _read_json(meta_path)
        if not isinstance(loaded, dict):
            raise CaptureError(f"{meta_path.name}: not a JSON object")
        meta = loaded
    chunks = (
        parse_chunks(chunks_path.read_text("utf-8"), chunks_path.name)
        if chunks_path.is_file()
        else None
    )
    recordings: list[tuple[str, _Recorded]] = []
    if json_path.is_file():
        body = _read_json(json_path)
        if isinstance(body, list) and chunks is None:
            # streamGenerateContent without alt=sse, saved as .json: its chunks
            chunks = parse_chunks(json_path.read_text("utf-8"), json_path.name)
        else:
            recordings = _recordings(body, json_path.name)
            if not recordings:
                skipped.append(
                    f"{json_path.name}: not a recorded Gemini answer (no candidates, "
                    "promptFeedback, usageMetadata or error, in no HTTP recording)"
                )
    for cassette_path in cassette_paths:
        if not cassette_path.is_file():
            continue
        read = _cassette_recordings(_read_yaml(cassette_path), cassette_path.name)
        if read is None:
            skipped.append(f"{cassette_path.name}: not a VCR cassette (no interactions)")
        elif not read:
            skipped.append(
                f"{cassette_path.name}: a VCR cassette without a generateContent or "
                "streamGenerateContent call that has an answer"
            )
        recordings.extend(read or ())
    if len(recordings) > 1 or (recordings and recordings[0][0]):
        # several answers in one file (e.g. one per setting tried): NAME.KEY each
        out = []
        for key, rec in recordings:
            sub = f"{_fit(name, stem, 79 - len(key))}.{key}"  # 80 characters at most
            if not NAME_RE.match(sub):
                raise CaptureError(f"{stem}: the answer at {key!r} gets no valid name")
            out.append(_capture(sub, None, rec, {k: v for k, v in meta.items() if k != "status"}))
        return out
    rec = recordings[0][1] if recordings else _Recorded()
    if chunks is not None and rec.chunks is None:
        rec = replace(rec, chunks=chunks)
    return [_capture(name, chunks, rec, meta)]


def _capture(
    name: str, chunks: tuple[dict[str, Any], ...] | None, rec: _Recorded, meta: dict[str, Any]
) -> Capture:
    chunks = rec.chunks if rec.chunks is not None else chunks
    error, unary = rec.error, rec.unary
    status = rec.status if rec.status is not None and rec.status >= 400 else 200
    if error is not None and status == 200 and isinstance(error["error"].get("code"), int):
        status = error["error"]["code"]
    if isinstance(meta.get("status"), int):
        status = meta["status"]
    headers = meta.get("headers") if isinstance(meta.get("headers"), dict) else rec.headers
    assert isinstance(headers, dict)
    delays = meta.get("chunk_ms") if isinstance(meta.get("chunk_ms"), list) else []
    assert isinstance(delays, list)
    model = meta.get("model") if isinstance(meta.get("model"), str) else rec.model
    if model is None:
        for answer in (*(chunks or ()), unary or {}):
            if isinstance(answer.get("modelVersion"), str):
                model = answer["modelVersion"]
                break
    return Capture(
        name=name,
        chunks=chunks,
        unary=unary,
        error=error,
        status=status,
        headers=tuple((str(k), str(v)) for k, v in headers.items()),
        chunk_ms=tuple(float(d) for d in delays if isinstance(d, int | float)),
        model=model,
        meta=meta,
    )


def skipped_lines(skipped: Sequence[str], limit: int = 5) -> list[str]:
    """What to print of :func:`load_dir`'s ``skipped`` lines: all of them up to
    ``limit``, else the first ``limit`` and one line counting the others (a test suite's
    cassette folder holds hundreds of other providers' recordings)."""
    if len(skipped) <= limit:
        return list(skipped)
    more = len(skipped) - limit
    return [*skipped[:limit], f"... and {more} more files that hold no recorded Gemini answer"]


def load_dir(directory: str | Path, skipped: list[str] | None = None) -> dict[str, Capture]:
    """Every capture of ``directory`` by name, sorted. A ``NAME.json`` holding several
    recorded answers (under its top-level fields) gives one capture each, ``NAME.KEY``;
    one holding none (a test's notes, a request) is left out, with a line saying so
    appended to ``skipped`` when given, and so is a YAML file that is no VCR cassette of
    a generate call. A file stem that is no valid name gives its capture a name with
    ``-`` for the other characters (:data:`NAME_RE`). Raises :class:`CaptureError` for a
    missing directory, a file that cannot be read (naming it) or two captures of one
    name."""
    root = Path(directory)
    if not root.is_dir():
        raise CaptureError(f"{root}: not a directory")
    stems = sorted({s for p in root.iterdir() if p.is_file() and (s := _stem(p)) is not None})
    notes: list[str] = []
    out: dict[str, Capture] = {}
    for stem in stems:
        for capture in _load_one(root, stem, notes):
            if capture.chunks is None and capture.unary is None and capture.error is None:
                continue  # metadata alone, or a file that is no answer
            if capture.name in out:
                raise CaptureError(
                    f"{capture.name!r}: two captures of this name in {root} (file {stem!r})"
                )
            out[capture.name] = capture
    if skipped is not None:
        skipped.extend(notes)
    return dict(sorted(out.items()))


def stream_form(capture: Capture) -> tuple[dict[str, Any], ...]:
    """The GenerateContentResponse objects a streamed request gets, in order: the
    capture's chunks; for a capture with only a unary answer, that answer as the one
    chunk; for an error capture, its error body as the one element. The objects are the
    capture's own (treat them as read-only)."""
    if capture.chunks is not None:
        return capture.chunks
    if capture.unary is not None:
        return (capture.unary,)
    return (capture.error or {},)


def unary_form(capture: Capture) -> dict[str, Any]:
    """The generateContent answer of ``capture``: its ``NAME.json`` when it has one (an
    error capture: its error body), else what Google's unary answer to the generation
    the chunks stream reads (a new object; the chunks are not changed):

    - each candidate (by its ``index``, else its position in the chunk) gets the parts
      of all chunks in order, put together by :func:`assemble_parts` (text merged,
      streamed function-call arguments assembled, empty text parts dropped);
    - every other candidate field and every top-level field is the last chunk's value
      that carries it (``finishReason``, ``usageMetadata``, ``modelVersion``,
      ``responseId``, ``createTime``...), except ``citationMetadata.citationSources``,
      which are concatenated; fields keep the order they first appear in, except that
      ``candidates`` comes first and a candidate opens with ``content``,
      ``finishReason``, ``index`` (the order of Google's unary answers);
    - a chunk with a top-level ``error`` (a stream that failed) makes the answer that
      error body, as Google answers a unary call whose generation failed.

    Raises :class:`CaptureError` for a ``jsonPath`` that is not a simple RFC 9535 path
    (``$.a``, ``$.a.b``, ``$['a b']``, ``$.items[0]``)."""
    if capture.unary is not None:
        return capture.unary
    if capture.chunks is None:
        return capture.error or {}
    for chunk in capture.chunks:
        if isinstance(chunk.get("error"), dict):
            return chunk
    top: dict[str, Any] = {}
    candidates: dict[int, dict[str, Any]] = {}
    parts: dict[int, list[dict[str, Any]]] = {}
    sources: dict[int, list[Any]] = {}
    for chunk in capture.chunks:
        for key, value in chunk.items():
            if key != "candidates":
                top[key] = value
                continue
            top.setdefault("candidates", None)
            for position, cand in enumerate(value if isinstance(value, list) else ()):
                if not isinstance(cand, dict):
                    continue
                index = cand.get("index", position)
                index = index if isinstance(index, int) else position
                merged = candidates.setdefault(index, {})
                for ckey, cvalue in cand.items():
                    if ckey == "content" and isinstance(cvalue, dict):
                        content = merged.setdefault("content", {})
                        for kkey, kvalue in cvalue.items():
                            if kkey == "parts":
                                content.setdefault("parts", None)
                                parts.setdefault(index, []).extend(
                                    p for p in kvalue if isinstance(p, dict)
                                )
                            else:
                                content[kkey] = kvalue
                    elif ckey == "citationMetadata" and isinstance(cvalue, dict):
                        merged[ckey] = cvalue
                        sources.setdefault(index, []).extend(cvalue.get("citationSources") or ())
                    else:
                        merged[ckey] = cvalue
    out: dict[str, Any] = {}
    if "candidates" in top:
        built = []
        for index in sorted(candidates):
            cand = candidates[index]
            content = cand.get("content")
            if isinstance(content, dict):
                assembled = assemble_parts(parts.get(index, ()))
                content = {k: v for k, v in content.items() if k != "parts" or assembled}
                if assembled:
                    content["parts"] = assembled
                cand = {**cand, "content": content}
            cand = {
                **{k: cand[k] for k in _CANDIDATE_FIRST if k in cand},
                **{k: v for k, v in cand.items() if k not in _CANDIDATE_FIRST},
            }
            if sources.get(index):
                cand["citationMetadata"] = {
                    **cand["citationMetadata"],
                    "citationSources": sources[index],
                }
            built.append(cand)
        out["candidates"] = built
    out.update((k, v) for k, v in top.items() if k != "candidates")
    return out


_CANDIDATE_FIRST = ("content", "finishReason", "index")
"""Google's unary answers open a candidate with these (the captures' ``.json`` files)."""
_TEXT_KEYS = frozenset({"text", "thought", "thoughtSignature"})


def _mergeable(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        isinstance(a.get("text"), str)
        and isinstance(b.get("text"), str)
        and a.keys() <= _TEXT_KEYS
        and b.keys() <= _TEXT_KEYS
        and bool(a.get("thought")) == bool(b.get("thought"))
        and not ("thoughtSignature" in a and "thoughtSignature" in b)
    )


def assemble_parts(parts: Any) -> list[dict[str, Any]]:
    """The parts of a unary answer from the streamed parts of one candidate, in order:

    - adjacent text parts of the same kind (``thought`` or not) are concatenated, unless
      both carry a ``thoughtSignature``; the merged part keeps the one signature (a
      signature streamed on a final empty text part lands on the text, as in Google's
      unary answers);
    - a text part that is ``""`` and carries nothing else is dropped;
    - streamed function calls (Vertex AI ``streamFunctionCallArguments``): a
      ``functionCall`` with ``willContinue: true`` opens a call, the following
      ``functionCall`` parts add to it (``name``, ``id``, ``args``, ``partialArgs``), and
      the first one without ``willContinue: true`` (often an empty ``functionCall: {}``)
      closes it. ``partialArgs`` items set the value at their ``jsonPath``
      (``stringValue``, ``numberValue``, ``boolValue``, ``nullValue`` -> ``null``); a
      ``stringValue`` that follows an item of the same path with ``willContinue: true``
      is appended to it. The call becomes an ordinary ``{"functionCall": {"name",
      "args"}}`` part (``args`` only when some were given), with the first
      ``thoughtSignature`` seen on its parts. An empty ``functionCall: {}`` with no open
      call is dropped.

    Sources: Vertex AI's function calling page, "Streaming function call arguments"
    (https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/function-calling),
    https://googleapis.github.io/js-genai/release_docs/interfaces/types.PartialArg.html ,
    RFC 9535 and the bundled capture ``google-stream-tool-call-arguments``. Raises
    :class:`CaptureError` for a ``jsonPath`` :func:`parse_json_path` rejects."""
    out: list[dict[str, Any]] = []
    calls = CallBuilder()
    for part in parts:
        if isinstance(part.get("functionCall"), dict):
            done = calls.feed(part)
            if done is not None:
                out.append(done)
            continue
        if part.get("text") == "" and part.keys() <= {"text", "thought"}:
            continue
        if out and _mergeable(out[-1], part):
            last = out[-1]
            merged = {**last, "text": last["text"] + part["text"]}
            if "thoughtSignature" in part:
                merged["thoughtSignature"] = part["thoughtSignature"]
            out[-1] = merged
            continue
        out.append(dict(part))
    left = calls.close()  # a stream that ended inside a call: keep what it said
    if left is not None:
        out.append(left)
    return out


class CallBuilder:
    """Puts together function calls streamed in pieces (Vertex AI's
    ``streamFunctionCallArguments``, the rules of :func:`assemble_parts`), one
    ``functionCall`` part at a time, in order."""

    __slots__ = ("_call", "_continuing", "_signature")

    def __init__(self) -> None:
        self._call: dict[str, Any] | None = None
        self._signature: Any = None
        self._continuing: set[str] = set()

    @property
    def open(self) -> bool:
        """A call was opened (``willContinue: true``) and is not closed yet."""
        return self._call is not None

    def feed(self, part: dict[str, Any]) -> dict[str, Any] | None:
        """Take one part holding a ``functionCall``; returns the whole call's part
        (``{"functionCall": {"id"?, "name", "args"?}, "thoughtSignature"?}`` and the
        part's other keys) when this part closes it, else ``None`` (the call goes on,
        or an empty ``functionCall: {}`` closed nothing). Raises :class:`CaptureError`
        for a ``jsonPath`` :func:`parse_json_path` rejects."""
        fc = part["functionCall"]
        if self._call is None:
            if not fc:
                return None  # a closing marker with nothing open
            self._call, self._signature, self._continuing = {}, None, set()
        call = self._call
        for key, value in fc.items():
            if key == "partialArgs":
                args = call.setdefault("args", {})
                for item in value if isinstance(value, list) else ():
                    if isinstance(item, dict):
                        _apply_partial(args, item, self._continuing)
            elif key == "args" and isinstance(value, dict):
                call.setdefault("args", {}).update(copy.deepcopy(value))
            elif key != "willContinue":
                call.setdefault(key, value)
        if self._signature is None and "thoughtSignature" in part:
            self._signature = part["thoughtSignature"]
        if fc.get("willContinue") is True:
            return None
        done: dict[str, Any] = {
            **{k: v for k, v in part.items() if k not in ("functionCall", "thoughtSignature")},
            "functionCall": _call_order(call),
        }
        if self._signature is not None:
            done["thoughtSignature"] = self._signature
        self._call = None
        return done

    def close(self) -> dict[str, Any] | None:
        """The part of a call still open (what it said so far), else ``None``."""
        if self._call is None:
            return None
        done: dict[str, Any] = {"functionCall": _call_order(self._call)}
        if self._signature is not None:
            done["thoughtSignature"] = self._signature
        self._call = None
        return done


def _call_order(call: dict[str, Any]) -> dict[str, Any]:
    order = [k for k in ("id", "name", "args") if k in call]
    return {**{k: call[k] for k in order}, **{k: v for k, v in call.items() if k not in order}}


_SEGMENT_RE = re.compile(
    r"""\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]"""
)


def parse_json_path(path: str) -> tuple[str | int, ...]:
    """The segments of a simple RFC 9535 JSONPath: ``$`` then member names (``.name``,
    ``['name']``, ``["name"]``) and array indexes (``[0]``): ``"$.a.b[2]"`` ->
    ``("a", "b", 2)``. Raises :class:`CaptureError` naming the path for anything else
    (wildcards, slices, filters, negative indexes)."""
    if not path.startswith("$"):
        raise CaptureError(f"jsonPath {path!r}: must start with '$'")
    out: list[str | int] = []
    at = 1
    while at < len(path):
        m = _SEGMENT_RE.match(path, at)
        if m is None:
            raise CaptureError(f"jsonPath {path!r}: not a simple path at offset {at}")
        name, index, single, double = m.groups()
        if index is not None:
            out.append(int(index))
        elif name is not None:
            out.append(name)
        else:
            quoted = single if single is not None else double
            out.append(re.sub(r"\\(.)", r"\1", quoted))
        at = m.end()
    if not out:
        raise CaptureError(f"jsonPath {path!r}: names no argument")
    return tuple(out)


def _apply_partial(args: dict[str, Any], item: dict[str, Any], continuing: set[str]) -> None:
    path = item.get("jsonPath")
    if not isinstance(path, str):
        raise CaptureError(f"partialArgs item without a jsonPath: {item!r}")
    segments = parse_json_path(path)
    if "stringValue" in item:
        value: Any = item["stringValue"]
    elif "numberValue" in item:
        value = item["numberValue"]
    elif "boolValue" in item:
        value = item["boolValue"]
    elif "nullValue" in item:
        value = None
    else:
        return  # nothing to set (a bare willContinue marker)
    node: Any = args
    for segment, following in itertools.pairwise(segments):
        empty: Any = [] if isinstance(following, int) else {}
        node = _child(node, segment, empty, path)
    last = segments[-1]
    old = _get(node, last)
    if isinstance(value, str) and path in continuing and isinstance(old, str):
        value = old + value
    _set(node, last, value, path)
    if item.get("willContinue") is True:
        continuing.add(path)
    else:
        continuing.discard(path)


def _get(node: Any, key: str | int) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and key < len(node) else None
    return node.get(key) if isinstance(node, dict) else None


def _set(node: Any, key: str | int, value: Any, path: str) -> None:
    if isinstance(key, int):
        if not isinstance(node, list):
            raise CaptureError(f"jsonPath {path!r}: indexes a value that is not an array")
        node.extend([None] * (key + 1 - len(node)))
        node[key] = value
    else:
        if not isinstance(node, dict):
            raise CaptureError(f"jsonPath {path!r}: names a member of a non-object")
        node[key] = value


def _child(node: Any, key: str | int, empty: Any, path: str) -> Any:
    current = _get(node, key)
    if isinstance(current, dict | list):
        return current
    _set(node, key, empty, path)
    return empty
