"""The mock's model catalog and ``models.list`` paging (docs/gemini-wire.md A6), pure.

Every Model entry, every ``GET /v1beta/models/{m}`` body and every default-size page
is serialised once at import; the hot path only looks bytes up.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from mockserver import errors
from mockserver.framing import pretty

__all__ = [
    "CODE_ASSIST_MODELS",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MODELS",
    "ModelInfo",
    "list_page",
    "lookup",
    "lookup_code_assist",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

_GENERATE_METHODS = [
    "generateContent",
    "countTokens",
    "createCachedContent",
    "batchGenerateContent",
]
_EMBED_METHODS = ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model: ``id`` (``gemini-2.5-flash``), what it serves and its Model entry.

    ``gemini3``: functionCall ids, thought signatures on by default and the
    thought-signature check on replayed history. ``version``: the ``modelVersion``
    reported in responses. ``entry``: the Model JSON object (A6); ``body``: the
    pretty-printed bytes of ``GET /v1beta/models/{id}``. ``image``: answers
    ``responseModalities`` IMAGE (by default TEXT and IMAGE); ``tts``: answers only
    ``responseModalities: ["AUDIO"]``; ``predict``: an Imagen model (``:predict`` only).
    ``thinking``: the model thinks before it answers, so every answer reports
    ``usageMetadata.thoughtsTokenCount`` (and counts it in ``totalTokenCount``), as the
    real answers in ``spec/captures/`` do; ``thinking_off``: ``thinkingBudget: 0``
    switches the thinking off (Gemini 2.5 Flash and Flash-Lite; 2.5 Pro and Gemini 3
    always think: https://ai.google.dev/gemini-api/docs/thinking#set-budget).
    """

    id: str
    generate: bool
    embed: bool
    gemini3: bool
    version: str
    entry: dict[str, Any]
    body: bytes
    image: bool = False
    tts: bool = False
    predict: bool = False
    thinking: bool = False
    thinking_off: bool = False

    def supports(self, method: str) -> bool:
        """Whether ``method`` (``generateContent``, ``embedContent``, ``predict``...) is
        served."""
        if method == "countTokens":
            return self.generate or self.embed
        if method in ("generateContent", "streamGenerateContent"):
            return self.generate
        if method in ("embedContent", "batchEmbedContents"):
            return self.embed
        if method == "predict":
            return self.predict
        return False


def _chat(
    id: str,
    display: str,
    *,
    thinking: bool,
    output: int = 65536,
    version: str | None = None,
    image: bool = False,
    tts: bool = False,
    input_limit: int = 1048576,
) -> ModelInfo:
    methods = ["countTokens", "generateContent"] if tts else list(_GENERATE_METHODS)
    entry: dict[str, Any] = {
        "name": f"models/{id}",
        "version": "001",
        "displayName": display,
        "description": f"{display} (deterministic mock).",
        "inputTokenLimit": input_limit,
        "outputTokenLimit": output,
        "supportedGenerationMethods": methods,
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
    }
    if thinking:
        entry["thinking"] = True
    return ModelInfo(
        id=id,
        generate=True,
        embed=False,
        gemini3=id.startswith("gemini-3"),
        version=version or id,
        entry=entry,
        body=pretty(entry),
        image=image,
        tts=tts,
        thinking=thinking,
        thinking_off=thinking and "flash" in (version or id) and not id.startswith("gemini-3"),
    )


def _imagen(id: str, display: str) -> ModelInfo:
    entry: dict[str, Any] = {
        "name": f"models/{id}",
        "version": "001",
        "displayName": display,
        "description": f"{display} (deterministic mock).",
        "inputTokenLimit": 480,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["predict"],
    }
    return ModelInfo(id, False, False, False, id, entry, pretty(entry), predict=True)


def _embedding(id: str, display: str, input_limit: int) -> ModelInfo:
    entry: dict[str, Any] = {
        "name": f"models/{id}",
        "version": "001",
        "displayName": display,
        "description": f"{display} (deterministic mock).",
        "inputTokenLimit": input_limit,
        "outputTokenLimit": 1,
        "supportedGenerationMethods": list(_EMBED_METHODS),
    }
    return ModelInfo(id, False, True, False, id, entry, pretty(entry))


MODELS: tuple[ModelInfo, ...] = (
    _chat("gemini-2.5-flash", "Gemini 2.5 Flash", thinking=True),
    _chat("gemini-2.5-pro", "Gemini 2.5 Pro", thinking=True),
    _chat("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", thinking=True),
    _chat("gemini-3-pro-preview", "Gemini 3 Pro Preview", thinking=True),
    _chat("gemini-3-flash-preview", "Gemini 3 Flash Preview", thinking=True),
    _chat("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", thinking=True),
    _chat("gemini-3.5-flash", "Gemini 3.5 Flash", thinking=True),
    _chat("gemini-3.8-flash", "Gemini 3.8 Flash", thinking=True),
    _chat("gemini-3.1-flash-lite", "Gemini 3.1 Flash-Lite", thinking=True),
    _chat("gemini-2.0-flash", "Gemini 2.0 Flash", thinking=False, output=8192),
    _chat("gemini-2.0-flash-lite", "Gemini 2.0 Flash-Lite", thinking=False, output=8192),
    _chat("gemini-flash-latest", "Gemini Flash Latest", thinking=True, version="gemini-2.5-flash"),
    _chat(
        "gemini-flash-lite-latest",
        "Gemini Flash-Lite Latest",
        thinking=True,
        version="gemini-2.5-flash-lite",
    ),
    _chat("gemini-pro-latest", "Gemini Pro Latest", thinking=True, version="gemini-2.5-pro"),
    _chat(
        "gemini-2.5-flash-image",
        "Nano Banana",
        thinking=False,
        output=32768,
        image=True,
        input_limit=32768,
    ),
    _chat(
        "gemini-3-pro-image-preview",
        "Nano Banana Pro",
        thinking=True,
        output=32768,
        image=True,
        input_limit=65536,
    ),
    _chat(
        "gemini-2.5-flash-preview-tts",
        "Gemini 2.5 Flash Preview TTS",
        thinking=False,
        output=16384,
        tts=True,
        input_limit=8192,
    ),
    _imagen("imagen-4.0-generate-001", "Imagen 4"),
    _embedding("gemini-embedding-001", "Gemini Embedding 001", 2048),
)
"""The served models, in ``models.list`` order. Not ``text-embedding-004``: Google shut
it down on 2026-01-14 (https://ai.google.dev/gemini-api/docs/deprecations), and asking
for it now meets the 404 of any unknown model, here as there."""

_BY_ID = {m.id: m for m in MODELS}

CODE_ASSIST_MODELS: tuple[ModelInfo, ...] = (
    _chat("gemini-3-pro-high", "Gemini 3 Pro (High)", thinking=True),
    _chat("gemini-3-pro-low", "Gemini 3 Pro (Low)", thinking=True),
    _chat("claude-sonnet-4-5", "Claude Sonnet 4.5", thinking=False),
    _chat("claude-sonnet-4-5-thinking", "Claude Sonnet 4.5 (Thinking)", thinking=True),
    _chat("claude-opus-4-5-thinking", "Claude Opus 4.5 (Thinking)", thinking=True),
    _chat("gpt-oss-120b-medium", "GPT-OSS 120B (Medium)", thinking=True),
)
"""Models only Code Assist serves (the Antigravity ids, A7); not in ``models.list``."""

_CODE_ASSIST_BY_ID = {m.id: m for m in CODE_ASSIST_MODELS}


def lookup(model: str) -> ModelInfo | None:
    """The model named ``model`` (with or without a ``models/`` prefix), else ``None``."""
    found = _BY_ID.get(model)
    if found is None and model.startswith("models/"):
        found = _BY_ID.get(model[7:])
    return found


def lookup_code_assist(model: str) -> ModelInfo | None:
    """A generate model Code Assist serves: :func:`lookup`, then the Antigravity ids."""
    found = lookup(model)
    if found is None:
        found = _CODE_ASSIST_BY_ID.get(model.removeprefix("models/"))
    return found if found is not None and found.generate else None


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tag, _, raw = text.partition(":")
        if tag == "offset" and raw.isdigit() and int(raw) <= len(MODELS):
            return int(raw)
    except ValueError:
        pass
    raise errors.invalid_argument(f"Invalid page token: {token!r}.")


def _page(offset: int, size: int) -> bytes:
    body: dict[str, Any] = {"models": [m.entry for m in MODELS[offset : offset + size]]}
    if offset + size < len(MODELS):
        body["nextPageToken"] = _token(offset + size)
    return pretty(body)


_FIRST_PAGE = _page(0, DEFAULT_PAGE_SIZE)


def list_page(page_size: str | None, page_token: str | None) -> bytes:
    """The body of ``GET /v1beta/models?pageSize=&pageToken=`` (A6).

    ``page_size``: default 50, values above 1000 are clamped to 1000, 0 means the
    default. ``nextPageToken`` is present only when more models follow. Raises
    :class:`~mockserver.errors.GoogleError` (400) for a malformed size or token.
    """
    if not page_size and not page_token:
        return _FIRST_PAGE
    size = DEFAULT_PAGE_SIZE
    if page_size:
        if not page_size.isascii() or not page_size.lstrip("-").isdigit():
            raise errors.invalid_json(
                f"Invalid value at 'page_size' (TYPE_INT32), \"{page_size}\"", "page_size"
            )
        size = int(page_size)
        if size < 0:
            raise errors.invalid_argument(f"pageSize must not be negative; got {size}.")
        size = min(size, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    offset = _offset(page_token) if page_token else 0
    return _page(offset, size)
