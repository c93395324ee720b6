"""The core probes: models, chat (unary and streamed), client-side errors, CORS."""

from __future__ import annotations

import json

from spec.scenarios import Directive

from ..exchange import Request
from ..target import Target
from .base import BAD_KEY, UNKNOWN_MODEL, Builder, Probe, chat, registrar

__all__: list[str] = []

probe = registrar(__name__)


def _models(target: Target, cid: str) -> Request:
    return Request("GET", target.url("/models"), target.auth_headers())


def _malformed(target: Target, cid: str) -> Request:
    raw = b'{"model": "' + target.model.encode() + b'", "messages": [{"role": "user", "con'
    headers = {"Content-Type": "application/json", **target.auth_headers()}
    return Request("POST", target.url("/chat/completions"), headers, raw, None)


def _cors(target: Target, cid: str) -> Request:
    return Request(
        "OPTIONS",
        target.url("/chat/completions"),
        {
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": (
                "authorization,content-type,x-stainless-os,x-stainless-timeout,"
                "x-stainless-retry-count"
            ),
        },
    )


probe(Probe("models", "GET /models", _models, features=frozenset({"models"})))
probe(Probe("chat", "non-streamed chat completion", chat()))
probe(
    Probe(
        "chat_stream",
        "streamed chat completion, four content chunks upstream",
        chat(directive=Directive(chunks=4), stream=True),
        stream=True,
    )
)
probe(
    Probe(
        "chat_stream_usage",
        "streamed chat completion with stream_options.include_usage",
        chat(stream=True, stream_options={"include_usage": True}),
        stream=True,
    )
)
probe(
    Probe(
        "bad_key",
        "chat completion with a wrong API key",
        chat(key=BAD_KEY),
    )
)
probe(
    Probe(
        "unknown_model",
        "chat completion for a model that does not exist",
        chat(model=UNKNOWN_MODEL),
    )
)
probe(Probe("malformed_body", "chat completion with a truncated JSON body", _malformed))
probe(Probe("cors_preflight", "browser preflight with the openai SDK's x-stainless headers", _cors))


def _embeddings(base64: bool) -> Builder:
    def build(target: Target, cid: str) -> Request:
        body: dict[str, object] = {
            "model": "text-embedding-004",
            "input": ["The quick brown fox", "jumps over the lazy dog"],
        }
        if base64:
            body["encoding_format"] = "base64"  # what openai-python sends by default
        else:
            body["dimensions"] = EMBEDDING_DIMENSIONS
            body["encoding_format"] = "float"
        headers = {"Content-Type": "application/json", **target.auth_headers()}
        return Request("POST", target.url("/embeddings"), headers, json.dumps(body).encode(), body)

    return build


EMBEDDING_DIMENSIONS = 256
"""``dimensions`` the ``embeddings`` probe asks for (docs/breakages.md G2)."""

probe(
    Probe(
        "embeddings",
        f"two inputs, dimensions={EMBEDDING_DIMENSIONS}, encoding_format float",
        _embeddings(base64=False),
        features=frozenset({"embeddings"}),
    )
)
probe(
    Probe(
        "embeddings_base64",
        "two inputs, encoding_format base64 (openai-python's default)",
        _embeddings(base64=True),
        features=frozenset({"embeddings"}),
    )
)
