"""Hand-built exchanges for check tests: good responses and precise defects.

``stream(...)`` builds an OpenAI chunk stream the way a conformant proxy frames it;
tests then break one property at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from conformance.checks.translation import credential_fingerprint
from conformance.exchange import Exchange, Request
from conformance.probes.params import PARAMS, SYSTEM_PROMPT

__all__ = [
    "CLIENT_KEY",
    "THOUGHTS",
    "chunk",
    "completion",
    "error_exchange",
    "journal",
    "json_exchange",
    "sse",
    "stream_exchange",
]

CLIENT_KEY = "sk-client-key-for-tests"
THOUGHTS = "**Multiplying step by step.** Seventeen times twenty is three hundred forty."


def request(probe: str, stream: bool = False) -> Request:
    if probe == "models":
        return Request(
            "GET", "http://127.0.0.1:1/v1/models", {"Authorization": f"Bearer {CLIENT_KEY}"}
        )
    if probe.startswith("embeddings"):
        embed: dict[str, Any] = {"model": "gemini-embedding-001", "input": ["a", "b"]}
        return Request(
            "POST",
            "http://127.0.0.1:1/v1/embeddings",
            {"Authorization": f"Bearer {CLIENT_KEY}", "Content-Type": "application/json"},
            json.dumps(embed).encode(),
            embed,
        )
    if probe == "cors_preflight":
        return Request("OPTIONS", "http://127.0.0.1:1/v1/chat/completions", {"Origin": "http://x"})
    body: dict[str, Any] = {
        "model": "gemini-2.5-flash",
        "messages": [{"role": "user", "content": "hi"}],
    }
    if stream:
        body["stream"] = True
    return Request(
        "POST",
        "http://127.0.0.1:1/v1/chat/completions",
        {"Authorization": f"Bearer {CLIENT_KEY}", "Content-Type": "application/json"},
        json.dumps(body).encode(),
        body,
    )


def chunk(
    delta: Mapping[str, Any] | None = None,
    finish: str | None = None,
    *,
    index: int = 0,
    choices: list[Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gemini-2.5-flash",
        "choices": choices
        if choices is not None
        else [{"index": index, "delta": dict(delta or {}), "finish_reason": finish}],
    }
    out.update(top)
    return out


def sse(*payloads: Any, done: bool = True, newline: str = "\n") -> bytes:
    """``data: <json>`` events (strings are sent verbatim), then ``data: [DONE]``."""
    out = []
    for p in payloads:
        data = p if isinstance(p, str) else json.dumps(p)
        out.append(f"data: {data}{newline}{newline}")
    if done:
        out.append(f"data: [DONE]{newline}{newline}")
    return "".join(out).encode()


def text_chunks(text: str = "Hello there friend") -> list[dict[str, Any]]:
    words = text.split(" ")
    return [
        chunk({"role": "assistant", "content": ""}),
        *[chunk({"content": (" " if i else "") + w}) for i, w in enumerate(words)],
        chunk({}, "stop"),
    ]


def journal(
    *,
    text: str | None = None,
    thoughts: str = "",
    function_calls: Sequence[Mapping[str, Any]] = (),
    body: Mapping[str, Any] | None = None,
    credentials: Sequence[Mapping[str, Any]] | None = None,
    path: str = "/v1beta/models/gemini-2.5-flash:generateContent",
    status: int = 200,
) -> tuple[dict[str, Any], ...]:
    """One mock journal entry for a generate call, as the mock records it. ``text`` (the
    answer text) defaults to what the matching client fixture shows: none beside function
    calls, ``391`` after thoughts, else ``Hello there friend``."""
    if text is None:
        text = "" if function_calls else "391" if thoughts else "Hello there friend"
    return (
        {
            "method": "POST",
            "path": path,
            "query": {},
            "headers": {"x-goog-api-key": "[redacted]"},
            "body": dict(body or {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
            "scenario": "text",
            "status": status,
            "time": 100.0,
            "credentials": list(
                credentials
                if credentials is not None
                else [{"where": "header:x-goog-api-key", "sha256": credential_fingerprint("up")}]
            ),
            "response": {
                "text": text,
                "thoughts": thoughts,
                "function_calls": [dict(c) for c in function_calls],
                "finish_reason": "STOP",
            },
        },
    )


def stream_exchange(
    probe: str,
    raw: bytes | Iterable[bytes],
    *,
    status: int = 200,
    content_type: str = "text/event-stream",
    upstream: Sequence[Mapping[str, Any]] = (),
    transport_error: str | None = None,
) -> Exchange:
    pieces = [raw] if isinstance(raw, bytes) else list(raw)
    return Exchange(
        probe=probe,
        request=request(probe, stream=True),
        status=status,
        headers=(("content-type", content_type),),
        chunks=tuple((0.001 * i, p) for i, p in enumerate(pieces)),
        upstream=tuple(upstream),
        transport_error=transport_error,
    )


def json_exchange(
    probe: str,
    body: Any,
    *,
    status: int = 200,
    headers: Sequence[tuple[str, str]] = (),
    content_type: str = "application/json",
    upstream: Sequence[Mapping[str, Any]] = (),
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(
        probe=probe,
        request=request(probe),
        status=status,
        headers=(("content-type", content_type), *headers),
        chunks=((0.001, raw),),
        upstream=tuple(upstream),
    )


def completion(
    message: Mapping[str, Any] | None = None, finish: str = "stop", **top: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gemini-2.5-flash",
        "choices": [
            {
                "index": 0,
                "message": dict(message or {"role": "assistant", "content": "Hello there friend"}),
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
    }
    out.update(top)
    return out


def error_exchange(
    probe: str,
    status: int,
    message: str = "bad thing",
    headers: Sequence[tuple[str, str]] = (),
    upstream: Sequence[Mapping[str, Any]] = (),
) -> Exchange:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    }
    return json_exchange(probe, body, status=status, headers=headers, upstream=upstream)


def params_body(**over: Any) -> dict[str, Any]:
    """What a conformant proxy sends upstream for a translation probe: the
    ``system_prompt`` probe's ``systemInstruction`` and every field of the ``sampling``,
    ``max_completion_tokens`` and ``stop`` probes' ``generationConfig`` (each check reads
    its own)."""
    body: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": "Say hello in three words."}]}],
        "systemInstruction": {"parts": [{"text": SYSTEM_PROMPT}]},
        "generationConfig": {
            "temperature": PARAMS["temperature"],
            "topP": PARAMS["top_p"],
            "maxOutputTokens": PARAMS["max_completion_tokens"],
            "stopSequences": PARAMS["stop"],
        },
    }
    body.update(over)
    return body
