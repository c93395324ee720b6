"""OpenAI embeddings <-> Gemini ``:batchEmbedContents``. Pure.

Sources: gemini-proxy-deno 'Embeddings' (``input`` string or array, ``model`` default
``text-embedding-004``, which Google shut down on 2026-01-14, so the reference's default
is ``gemini-embedding-001``: ``Settings.embedding_model``; ``dimensions``),
docs/gemini-wire.md A6 (``batchEmbedContents``
request/response) and B4 (the OpenAI shape; the Python SDK sends
``encoding_format: "base64"`` unless told otherwise and decodes little-endian float32),
docs/breakages.md G2 (``dimensions`` must be honoured).

- ``dimensions`` -> ``outputDimensionality`` of every request;
- ``encoding_format`` ``float`` (lists) or ``base64`` (``<f4`` bytes, base64);
- ``usage.prompt_tokens`` is an estimate (the upstream reports none): one token per
  started 4 characters of input, the usual rule of thumb.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

from .errors import ProxyError, RequestError, type_error
from .fields import model_id, object_body, opt_int

__all__ = ["EmbeddingCall", "embeddings_request", "embeddings_response", "encode_vector"]

MAX_INPUTS = 2048
"""OpenAI's own limit on inputs per request."""


@dataclass(frozen=True, slots=True)
class EmbeddingCall:
    """``model``: Gemini id. ``texts``: the inputs. ``base64``: answer base64 vectors.
    ``request``: the ``batchEmbedContents`` body."""

    model: str
    texts: tuple[str, ...]
    base64: bool
    request: dict[str, Any]


def _inputs(value: object) -> list[str]:
    if value is None:
        raise RequestError("input is required", param="input", code="missing_required_parameter")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise type_error("input", "a string or a non-empty array of strings", value)
    if len(value) > MAX_INPUTS:
        raise RequestError(f"input has {len(value)} items; at most {MAX_INPUTS}", param="input")
    out: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, int | list):
            raise RequestError(
                "token-array input is not supported by Gemini embeddings: send text",
                param=f"input[{i}]",
            )
        if not isinstance(item, str) or not item:
            raise type_error(f"input[{i}]", "a non-empty string", item)
        out.append(item)
    return out


def embeddings_request(body: object, default_model: str) -> EmbeddingCall:
    """Validate an OpenAI embeddings request; 400 :class:`RequestError` naming the field."""
    body = object_body(body)
    model = model_id(body, default_model)
    texts = _inputs(body.get("input"))
    fmt = body.get("encoding_format", "float")
    if fmt is None:
        fmt = "float"
    if fmt not in ("float", "base64"):
        raise RequestError(
            f"encoding_format must be float or base64; got {fmt!r}", param="encoding_format"
        )
    dims = opt_int(body, "dimensions", None, 1)
    name = f"models/{model}"
    requests: list[dict[str, Any]] = []
    for text in texts:
        one: dict[str, Any] = {"model": name, "content": {"parts": [{"text": text}]}}
        if dims is not None:
            one["outputDimensionality"] = dims
        requests.append(one)
    return EmbeddingCall(model, tuple(texts), fmt == "base64", {"requests": requests})


def encode_vector(values: list[float]) -> str:
    """Little-endian float32 bytes, base64 (what openai-python decodes, B4)."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def embeddings_response(call: EmbeddingCall, answer: object) -> dict[str, Any]:
    """The OpenAI list for a ``batchEmbedContents`` answer; 502 when it is malformed or
    short (an empty ``data`` would make the SDK raise, B4)."""
    embeddings = answer.get("embeddings") if isinstance(answer, dict) else None
    if not isinstance(embeddings, list) or len(embeddings) != len(call.texts):
        raise ProxyError(
            502,
            "the upstream answered a different number of embeddings than inputs",
            type="upstream_error",
            code="upstream_error",
        )
    data: list[dict[str, Any]] = []
    for i, item in enumerate(embeddings):
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(values, list):
            raise ProxyError(
                502,
                "an upstream embedding has no values",
                type="upstream_error",
                code="upstream_error",
            )
        vector: object = encode_vector(values) if call.base64 else values
        data.append({"object": "embedding", "index": i, "embedding": vector})
    tokens = sum(-(-len(t) // 4) for t in call.texts)
    return {
        "object": "list",
        "data": data,
        "model": call.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
