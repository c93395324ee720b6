"""The capture format shared by the mock (which replays captures as the upstream's answer)
and the suite (which derives what each capture means on the OpenAI side).

A capture is a recorded Gemini answer, named by its file stem in a capture directory
(docs/captures.md; the bundled corpus is ``spec/captures/``):

- ``NAME.chunks.txt``: a streamGenerateContent answer, one GenerateContentResponse JSON
  object per line (the SSE ``data:`` payloads; a ``data:`` prefix, ``[DONE]`` and blank
  lines are tolerated, so a raw SSE body loads too);
- ``NAME.json``: one generateContent answer, or an error body (a top-level ``error``
  object, e.g. Google's 429 with ``RetryInfo``);
- ``NAME.meta.json`` (optional): ``{"model", "status", "headers", "chunk_ms", "note",
  "source"}``: the HTTP status (default 200, or the error body's ``error.code``), response
  headers, the delay before each streamed chunk in milliseconds.

Pure: reading files is :func:`load_dir`'s only I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BUNDLED",
    "NAME_RE",
    "Capture",
    "CaptureError",
    "load_dir",
    "parse_chunks",
]

BUNDLED = Path(__file__).resolve().parent / "captures"
"""The corpus shipped with the package (real Google answers with their provenance note,
plus the project's own captures of documented behaviours)."""

NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
"""A capture name: what ``[[mock:capture=NAME]]`` can carry."""

_SUFFIXES = (".chunks.txt", ".meta.json", ".json")


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
    """The GenerateContentResponse objects of a ``.chunks.txt`` text (one JSON object per
    line; ``data:`` prefixes, ``[DONE]``, SSE comments and blank lines skipped). Raises
    :class:`CaptureError` naming ``where`` and the line for a line that is not a JSON
    object."""
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
    return tuple(out)


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


def _load_one(directory: Path, name: str) -> Capture:
    chunks_path = directory / f"{name}.chunks.txt"
    json_path = directory / f"{name}.json"
    meta_path = directory / f"{name}.meta.json"
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
    unary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    if json_path.is_file():
        body = _read_json(json_path)
        if not isinstance(body, dict):
            raise CaptureError(f"{json_path.name}: a JSON {type(body).__name__}, not an object")
        if isinstance(body.get("error"), dict):
            error = body
        else:
            unary = body
    status = 200
    if error is not None and isinstance(error["error"].get("code"), int):
        status = error["error"]["code"]
    if isinstance(meta.get("status"), int):
        status = meta["status"]
    headers = meta.get("headers") if isinstance(meta.get("headers"), dict) else {}
    assert isinstance(headers, dict)
    delays = meta.get("chunk_ms") if isinstance(meta.get("chunk_ms"), list) else []
    assert isinstance(delays, list)
    model = meta.get("model") if isinstance(meta.get("model"), str) else None
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


def load_dir(directory: str | Path) -> dict[str, Capture]:
    """Every capture of ``directory`` by name, sorted. Raises :class:`CaptureError` for a
    missing directory, an invalid name or a file that cannot be read (naming it)."""
    root = Path(directory)
    if not root.is_dir():
        raise CaptureError(f"{root}: not a directory")
    names = sorted({s for p in root.iterdir() if p.is_file() and (s := _stem(p)) is not None})
    out: dict[str, Capture] = {}
    for name in names:
        if not NAME_RE.match(name):
            raise CaptureError(f"{name!r}: a capture name is letters, digits, '_', '.', '-'")
        capture = _load_one(root, name)
        if capture.chunks is None and capture.unary is None and capture.error is None:
            continue  # metadata alone
        out[name] = capture
    return out
