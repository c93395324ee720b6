"""Deterministic embeddings for ``:embedContent`` / ``:batchEmbedContents`` (A6), pure.

A vector depends only on (seed, model, text): the same text gets the same vector from
both methods. Values are rounded to 8 decimals and the vector has unit L2 norm (within
1e-6). Its size is the model's full size (:data:`DIMENSIONS`; ``gemini-embedding-001``:
3072, as Google's model page says) unless ``outputDimensionality`` (the compat
endpoint's ``dimensions``) asks for fewer (:func:`output_size`).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from mockserver import errors
from mockserver.request import get

__all__ = ["DIMENSIONS", "embed_request", "output_size", "vector"]

DIMENSIONS = {"gemini-embedding-001": 3072}
"""A model's full vector size (others: 3072): its default and the largest
``outputDimensionality`` it takes
(https://ai.google.dev/gemini-api/docs/models/gemini-embedding-001)."""


def output_size(model: str, asked: object) -> int:
    """The vector size for ``model``: ``asked`` (an int from 1 to the model's full
    size), or the full size when ``asked`` is ``None``. Raises ``ValueError`` naming
    the allowed range for anything else (a bool, a string, out of range)."""
    limit = DIMENSIONS.get(model, 3072)
    if asked is None:
        return limit
    if isinstance(asked, bool) or not isinstance(asked, int) or not 1 <= asked <= limit:
        raise ValueError(f"[1, {limit}]")
    return asked


def vector(seed: int, model: str, text: str, dimensions: int) -> list[float]:
    """A unit vector of ``dimensions`` floats for ``text``."""
    key = hashlib.blake2b(
        f"{model}\0{text}".encode(), digest_size=32, key=seed.to_bytes(8, "big")
    ).digest()
    raw = hashlib.shake_256(key).digest(2 * dimensions)
    values = [v / 32767.5 - 1.0 for v in memoryview(raw).cast("H")]
    norm = math.sqrt(math.fsum(v * v for v in values)) or 1.0
    return [round(v / norm, 8) for v in values]


def _text(content: Any, path: str) -> str:
    if not isinstance(content, dict):
        raise errors.invalid_argument(f"* {path}: content is not specified\n")
    parts = content.get("parts")
    if isinstance(parts, dict):
        parts = [parts]  # one object where the list goes, as Google's parser reads it
    if not isinstance(parts, list) or not parts:
        raise errors.invalid_argument(f"* {path}.parts: contents.parts must not be empty.\n")
    texts = []
    for part in parts:
        text = part.get("text") if isinstance(part, dict) else None
        if not isinstance(text, str):
            raise errors.invalid_argument(f"* {path}.parts: only text parts can be embedded.\n")
        texts.append(text)
    return "\n".join(texts)


def embed_request(seed: int, model: str, request: Any, path: str) -> dict[str, list[float]]:
    """``{"values": [...]}`` for one EmbedContentRequest; GoogleError 400 when invalid.

    ``path`` names the request in error messages (``EmbedContentRequest``,
    ``BatchEmbedContentsRequest.requests[0]``).
    """
    if not isinstance(request, dict):
        raise errors.invalid_json(f"Invalid value at '{path}': expected an object.")
    text = _text(request.get("content"), f"{path}.content")
    asked = get(request, "outputDimensionality")
    try:
        dims = output_size(model, asked)
    except ValueError as bad:
        raise errors.invalid_argument(
            f"* {path}.output_dimensionality: must be an integer in {bad}; got {asked!r}\n"
        ) from None
    return {"values": vector(seed, model, text, dims)}
