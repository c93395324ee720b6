"""000's simple text, document and UI-design routes <-> Gemini ``generateContent``. Pure.

- ``/v1/generate`` (gemini-reverse section 3): ``{prompt, model}`` -> ``{"text", "model"}``;
- ``/v1/documents/analyze`` (section 6): the PDF goes to the model as ``inlineData``
  ``application/pdf`` with the prompt and ``detail_level``; ``pages`` is counted
  locally (pypdf) -> ``{"analysis", "pages", "model"}``;
- ``/v1/documents/extract``: ``text`` and ``metadata`` (pages, title) come from pypdf;
  ``tables`` (``extract_type`` tables|all) from the model as JSON
  (``[{"title", "rows": [[cell...]]}]``) -> ``{"text", "tables", "metadata"}``;
- ``/v1/design/analyze`` (section 7): structured output ``{analysis, components,
  suggestions}`` -> the same plus ``model``;
- ``/v1/design/to-code``: code without Markdown fences -> ``{"code", "framework",
  "style_library"}``.

The model's JSON is parsed leniently: a model that ignores the schema still gives a
200 with its text as ``analysis`` and empty lists.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import orjson

from .errors import ProxyError, RequestError

__all__ = [
    "DESIGN_SCHEMA",
    "TABLES_SCHEMA",
    "PdfInfo",
    "answer_text",
    "design_result",
    "pdf_info",
    "prompt_payload",
    "strip_fences",
    "tables_result",
]

DESIGN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "analysis": {"type": "string"},
        "components": {"type": "array", "items": {"type": "string"}},
        "suggestions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["analysis", "components", "suggestions"],
}
TABLES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "tables": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "rows": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "required": ["rows"],
            },
        }
    },
    "required": ["tables"],
}
DETAIL = {
    "low": "Answer briefly, in a few sentences.",
    "medium": "Answer in a few paragraphs.",
    "high": "Answer in depth, section by section.",
}
_FENCE_RE = re.compile(r"^\s*```[\w+-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class PdfInfo:
    """``pages``, extracted ``text`` (pages joined by blank lines) and ``title``."""

    pages: int
    text: str
    title: str | None


def pdf_info(data: bytes, *, with_text: bool) -> PdfInfo:
    """Read a PDF with pypdf; 400 naming ``file`` when it is not a readable PDF."""
    if not data.startswith(b"%PDF-"):
        raise RequestError("file must be a PDF document", param="file")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        text = (
            "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
            if with_text
            else ""
        )
        meta = reader.metadata
        title = meta.title if meta is not None and meta.title else None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise RequestError(f"file is not a readable PDF: {exc}", param="file") from None
    return PdfInfo(pages, text.strip(), str(title) if title else None)


def prompt_payload(
    prompt: str,
    media: tuple[str, str] | None = None,
    *,
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``generateContent`` body: ``media`` (``(mime, base64)``) then the prompt; with
    ``schema``, JSON output (``responseMimeType`` + ``responseJsonSchema``)."""
    parts: list[dict[str, Any]] = []
    if media is not None:
        parts.append({"inlineData": {"mimeType": media[0], "data": media[1]}})
    parts.append({"text": prompt})
    payload: dict[str, Any] = {"contents": [{"role": "user", "parts": parts}]}
    if schema is not None:
        payload["generationConfig"] = {
            "responseMimeType": "application/json",
            "responseJsonSchema": schema,
        }
    return payload


def answer_text(answer: object) -> str:
    """The answer's text (thoughts left out). A blocked prompt or a safety stop with no
    text is a 400 ``content_filter``, never a 500."""
    texts: list[str] = []
    reason = None
    if isinstance(answer, dict):
        feedback = answer.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            reason = str(feedback["blockReason"])
        for cand in answer.get("candidates") or ():
            if not isinstance(cand, dict):
                continue
            content = cand.get("content")
            for part in (content.get("parts") if isinstance(content, dict) else None) or ():
                if isinstance(part, dict) and not part.get("thought"):
                    text = part.get("text")
                    if isinstance(text, str):
                        texts.append(text)
            finish = cand.get("finishReason")
            if isinstance(finish, str) and finish not in ("STOP", "MAX_TOKENS"):
                reason = reason or finish
    if not texts and reason:
        raise ProxyError(
            400,
            f"the model gave no answer ({reason})",
            type="invalid_request_error",
            code="content_filter",
        )
    return "".join(texts)


def _json_object(text: str) -> dict[str, Any] | None:
    body = strip_fences(text)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def design_result(text: str) -> dict[str, Any]:
    """``{analysis, components, suggestions}`` from the model's (JSON) text."""
    data = _json_object(text)
    if data is None:
        return {"analysis": text, "components": [], "suggestions": []}
    analysis = data.get("analysis")
    return {
        "analysis": analysis if isinstance(analysis, str) else text,
        "components": _strings(data.get("components")),
        "suggestions": _strings(data.get("suggestions")),
    }


def tables_result(text: str) -> list[dict[str, Any]]:
    """``[{"title", "rows"}]`` from the model's (JSON) text; ``[]`` when it is not."""
    data = _json_object(text)
    tables = data.get("tables") if data is not None else None
    out: list[dict[str, Any]] = []
    for table in tables if isinstance(tables, list) else ():
        if not isinstance(table, dict) or not isinstance(table.get("rows"), list):
            continue
        rows = [[str(c) for c in row] for row in table["rows"] if isinstance(row, list)]
        title = table.get("title")
        out.append({"title": title if isinstance(title, str) else "", "rows": rows})
    return out


def strip_fences(text: str) -> str:
    """``text`` without one surrounding Markdown code fence."""
    m = _FENCE_RE.match(text)
    return m.group(1) if m else text.strip()
