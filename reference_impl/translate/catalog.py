"""Model catalogues in the shapes the documents show. Pure.

- :func:`api_models`: gemini-reverse ``GET /api/models`` (``models`` with id, name, type,
  description + ``categories`` text/image/tts/document/design) from the upstream's
  Gemini ``Model`` list (docs/gemini-wire.md A6);
- :func:`model_type`: text, image, tts or embedding, by id.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DESIGN_MODELS", "DOCUMENT_MODELS", "TTS_MODELS", "api_models", "model_type"]

TTS_MODELS = ("tts-1", "tts-1-hd")
"""000 'Text-to-Speech': the OpenAI names the speech route takes."""
DOCUMENT_MODELS = ("gemini-2.5-flash-pdf", "gemini-2.5-pro-pdf")
DESIGN_MODELS = ("gemini-2.5-flash-ui", "gemini-2.5-pro-ui")


def model_type(model_id: str) -> str:
    """``image`` (``*-image*``, ``imagen-*``), ``tts`` (``*-tts``), ``embedding`` or
    ``text``."""
    if "image" in model_id:
        return "image"
    if model_id.endswith("-tts") or "-tts-" in model_id:
        return "tts"
    if "embedding" in model_id:
        return "embedding"
    return "text"


def _title(model_id: str) -> str:
    words = model_id.removeprefix("gemini-").replace("-", " ").split()
    return "Gemini " + " ".join(w if w[:1].isdigit() else w.capitalize() for w in words)


def api_models(models: list[dict[str, Any]]) -> dict[str, Any]:
    """000's ``/api/models`` answer for upstream ``Model`` entries."""
    entries: list[dict[str, Any]] = []
    categories: dict[str, list[str]] = {
        "text": [],
        "image": [],
        "tts": list(TTS_MODELS),
        "document": list(DOCUMENT_MODELS),
        "design": list(DESIGN_MODELS),
    }
    for m in models:
        name = m.get("name")
        if not isinstance(name, str):
            continue
        model_id = name.removeprefix("models/")
        kind = model_type(model_id)
        if kind not in ("text", "image"):
            continue
        display = m.get("displayName")
        description = m.get("description")
        entries.append(
            {
                "id": model_id,
                "name": display if isinstance(display, str) and display else _title(model_id),
                "type": kind,
                "description": description if isinstance(description, str) else "",
            }
        )
        categories[kind].append(model_id)
    return {"models": entries, "categories": categories}
