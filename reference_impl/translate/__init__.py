"""Pure OpenAI <-> Gemini translation: the public surface, one import away.

No I/O and no aiohttp here or in the modules it re-exports, so every function is
property-testable. The pieces:

- :mod:`.request`: ``translate_request(body) -> ChatCall`` (docs/gemini-wire.md A1);
- :mod:`.thinking`: ``reasoning_effort`` -> ``thinkingConfig`` (docs/breakages.md C2);
- :mod:`.schema`: tool/response JSON Schema sanitising (B2, F4);
- :mod:`.response`: unary responses and the streaming translator (A2, A3, B1);
- :mod:`.errors`: the OpenAI error envelope and Gemini error mapping (A5, B3, D1, D2, E1).
"""

from __future__ import annotations

from .errors import (
    ProxyError,
    RequestError,
    from_upstream_body,
    from_upstream_payload,
    parse_duration,
)
from .request import ChatCall, SignatureLookup, translate_request
from .response import (
    DONE,
    KEEPALIVE,
    StreamTranslator,
    encode_chunk,
    encode_error,
    finish_reason,
    models_list,
    new_call_id,
    translate_response,
    usage,
)
from .schema import sanitize_parameters, sanitize_schema
from .thinking import model_version, thinking_config

__all__ = [
    "DONE",
    "KEEPALIVE",
    "ChatCall",
    "ProxyError",
    "RequestError",
    "SignatureLookup",
    "StreamTranslator",
    "encode_chunk",
    "encode_error",
    "finish_reason",
    "from_upstream_body",
    "from_upstream_payload",
    "model_version",
    "models_list",
    "new_call_id",
    "parse_duration",
    "sanitize_parameters",
    "sanitize_schema",
    "thinking_config",
    "translate_request",
    "translate_response",
    "usage",
]
