"""Captures of Gemini answer shapes the bundled corpus lacks, written by hand from Google's
reference (https://ai.google.dev/api/generate-content): grounding and citations, code
execution, empty and missing content, newer finish reasons, cached and tool-use tokens,
an image part, logprobs, 500/503/403 errors, several text parts in a chunk, a call with an
id, thoughts before a MAX_TOKENS stop, a prompt block, a RECITATION stop. A faithful
proxy passes every one (tests/integration/test_captures_run.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["EDGE_CAPTURES", "write_edge_captures"]

_USAGE = {
    "promptTokenCount": 7,
    "candidatesTokenCount": 9,
    "totalTokenCount": 16,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 7}],
}
_PROMPT_ONLY = {"promptTokenCount": 7, "totalTokenCount": 7}
_MODEL = {"modelVersion": "gemini-2.5-flash", "responseId": "edge-1"}
_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5"
    "ErkJggg=="
)


def _candidate(parts: list[dict[str, Any]], finish: str = "STOP", **extra: Any) -> dict[str, Any]:
    return {
        "content": {"parts": parts, "role": "model"},
        "finishReason": finish,
        "index": 0,
        **extra,
    }


def _answer(*candidates: dict[str, Any], usage: dict[str, Any] = _USAGE) -> dict[str, Any]:
    return {"candidates": list(candidates), "usageMetadata": usage, **_MODEL}


def _error(code: int, status: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, **extra}}


EDGE_CAPTURES: dict[str, Any] = {
    "edge-grounding.json": _answer(
        _candidate(
            [{"text": "Paris is the capital of France."}],
            groundingMetadata={
                "webSearchQueries": ["capital of france"],
                "groundingChunks": [{"web": {"uri": "https://example.org", "title": "example"}}],
                "groundingSupports": [
                    {"segment": {"startIndex": 0, "endIndex": 30}, "groundingChunkIndices": [0]}
                ],
            },
            citationMetadata={"citationSources": [{"startIndex": 0, "endIndex": 10}]},
        )
    ),
    "edge-code-execution.chunks.txt": [
        {
            "candidates": [
                {
                    "content": {
                        "parts": [{"executableCode": {"language": "PYTHON", "code": "print(4)"}}],
                        "role": "model",
                    },
                    "index": 0,
                }
            ],
            **_MODEL,
        },
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4"}}
                        ],
                        "role": "model",
                    },
                    "index": 0,
                }
            ],
            **_MODEL,
        },
        _answer(_candidate([{"text": "The answer is 4."}])),
    ],
    "edge-empty-content.json": _answer(
        {"content": {"role": "model"}, "finishReason": "STOP", "index": 0}, usage=_PROMPT_ONLY
    ),
    "edge-malformed-call.json": _answer(
        {"finishReason": "MALFORMED_FUNCTION_CALL", "finishMessage": "Malformed call", "index": 0},
        usage=_PROMPT_ONLY,
    ),
    "edge-unexpected-tool-call.json": _answer(
        _candidate([{"text": ""}], "UNEXPECTED_TOOL_CALL"), usage=_PROMPT_ONLY
    ),
    "edge-cached-tool-use.json": _answer(
        _candidate([{"text": "ok"}]),
        usage={
            "promptTokenCount": 100,
            "cachedContentTokenCount": 80,
            "candidatesTokenCount": 2,
            "toolUsePromptTokenCount": 5,
            "totalTokenCount": 107,
        },
    ),
    "edge-image-part.json": _answer(
        _candidate(
            [
                {"text": "Here is your image."},
                {"inlineData": {"mimeType": "image/png", "data": _PNG}},
            ]
        )
    ),
    "edge-logprobs.json": _answer(
        _candidate(
            [{"text": "Yes"}],
            avgLogprobs=-0.01,
            logprobsResult={"chosenCandidates": [{"token": "Yes", "logProbability": -0.01}]},
        )
    ),
    "edge-error-500.json": _error(500, "INTERNAL", "An internal error has occurred."),
    "edge-error-500.meta.json": {"status": 500},
    "edge-error-503.json": _error(503, "UNAVAILABLE", "The model is overloaded."),
    "edge-error-503.meta.json": {"status": 503},
    "edge-error-suspended.json": _error(
        403,
        "PERMISSION_DENIED",
        "Permission denied: Consumer has been suspended.",
        details=[
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CONSUMER_SUSPENDED"}
        ],
    ),
    "edge-error-suspended.meta.json": {"status": 403},
    "edge-text-parts.chunks.txt": [
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": "Hello"}, {"text": ", wor"}], "role": "model"},
                    "index": 0,
                }
            ],
            **_MODEL,
        },
        {"candidates": [_candidate([{"text": "ld! 東京 🌊"}])], **_MODEL},
        {"usageMetadata": _USAGE, **_MODEL},
    ],
    "edge-call-with-id.json": _answer(
        _candidate(
            [
                {
                    "functionCall": {
                        "id": "fc_1",
                        "name": "lookup",
                        "args": {"q": "x", "deep": [1, None]},
                    }
                }
            ]
        )
    ),
    "edge-thought-then-length.chunks.txt": [
        {"candidates": [{"content": {"parts": [{"text": "Hmm", "thought": True}]}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": "The answer"}]}, "index": 0}]},
        _answer(
            _candidate([{"text": " is 42."}], "MAX_TOKENS"),
            usage={
                "promptTokenCount": 5,
                "candidatesTokenCount": 4,
                "thoughtsTokenCount": 20,
                "totalTokenCount": 29,
            },
        ),
    ],
    "edge-prompt-blocked-other.json": {
        "promptFeedback": {"blockReason": "OTHER"},
        "usageMetadata": _PROMPT_ONLY,
        **_MODEL,
    },
    "edge-recitation.json": _answer(_candidate([{"text": "Partial text that was "}], "RECITATION")),
}
"""File name -> content: a JSON value, or (``.chunks.txt``) the list of chunks."""


def write_edge_captures(directory: Path) -> list[str]:
    """Write :data:`EDGE_CAPTURES` into ``directory``; the capture names."""
    names = []
    for file, content in EDGE_CAPTURES.items():
        if file.endswith(".chunks.txt"):
            text = "\n".join(json.dumps(c, ensure_ascii=False) for c in content) + "\n"
        else:
            text = json.dumps(content, ensure_ascii=False)
        (directory / file).write_text(text, encoding="utf-8")
        if not file.endswith(".meta.json"):
            names.append(file.split(".")[0])
    return names
