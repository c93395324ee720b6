"""JSON mode: the answer to ``responseMimeType: "application/json"`` (pure).

With ``generationConfig.responseMimeType`` ``application/json`` (docs/gemini-wire.md A1;
parameters after ``;`` and letter case are ignored) the answer text is one JSON
document instead of prose:

- with a schema, ``responseJsonSchema`` (plain JSON Schema) or else ``responseSchema``
  (Gemini's OpenAPI subset, upper-case ``type``), a value that validates against it
  (:func:`mockserver.toolargs.schema_value`: every declared property filled, in
  ``propertyOrdering`` order, then by name (Google's default order, and the order of
  the schema's keys must not change the bytes), ``required``/``enum``/types/nesting/
  bounds honoured); strings are pairs of the answer words of the candidate's key;
- without one (or with one whose ``const``/``enum`` values nest too deep to write),
  ``{"answer": "<the 12 answer words>"}``.

The document is written on one line with ``", "`` and ``": "`` separators and raw
UTF-8 (:func:`document`), so the token rule of :mod:`mockserver.plans` applies as
is: one whitespace-separated word of the document text is one token (``{"answer":``
is one, ``"the`` another). Streamed, the text goes out in ``chunks`` deltas cut
between tokens (:func:`mockserver.plans.document_plan`): their concatenation is
the document. ``variant`` (the candidate index) picks ``enum`` members and numbers, so
the candidates of a ``candidateCount`` reply differ wherever the schema allows.

This is the answer of every scenario that answers text, the default one (no directive)
included. Under the default scenario ``stopSequences`` cut the document as well, and a
thinking model's thoughts count towards ``maxOutputTokens`` (:mod:`mockserver.prompted`).
"""

from __future__ import annotations

import json
from typing import Any

from mockserver.plans import ANSWER_WORDS, answer_words
from mockserver.request import get
from mockserver.toolargs import schema_value

__all__ = ["JSON_MIME", "document", "json_mode", "output_schema"]

JSON_MIME = "application/json"
_WORDS = 64
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, allow_nan=False)


def json_mode(config: dict[str, Any]) -> bool:
    """Whether ``generationConfig`` asks for a JSON answer."""
    mime = get(config, "responseMimeType")
    return isinstance(mime, str) and mime.partition(";")[0].strip().lower() == JSON_MIME


def output_schema(config: dict[str, Any]) -> Any:
    """``responseJsonSchema``, else ``responseSchema``, else ``None``."""
    schema = get(config, "responseJsonSchema")
    return get(config, "responseSchema") if schema is None else schema


def document(config: dict[str, Any], key: bytes, variant: int = 0) -> str:
    """The JSON answer for ``generationConfig`` ``config`` (see the module docstring),
    from the candidate's 32-byte ``key``; ``variant``: the candidate index."""
    words = answer_words(key, _WORDS)
    default = {"answer": " ".join(words[:ANSWER_WORDS])}
    schema = output_schema(config)
    if schema is None:
        return _ENCODER.encode(default)
    try:
        return _ENCODER.encode(schema_value(schema, variant, words=words))
    except (RecursionError, ValueError):  # a const or enum value nested past Python's limit
        return _ENCODER.encode(default)
