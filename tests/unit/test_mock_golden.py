"""Golden bytes: replies to requests without ``candidateCount``/JSON mode never change.

The digests were taken from the mock before ``candidateCount``, JSON mode and the
fixture images were added; a request that uses none of them must still get exactly
these bytes (the hot path is untouched). Update them only for a deliberate change of
the mock's output, and say so in the commit. Changed once on purpose (issue 13): a
thinking model's usage carries ``thoughtsTokenCount`` and every v1beta usage ends with
``serviceTier``, as real answers do (``spec/captures/``); a Gemini 3 stream ends with the
empty text part that carries the signature. And once more (2026-12-07): a streamed JSON
array ends with ``\n]``, not ``}]``, as Google's does (docs/gemini-wire.md A3; the
bytes before it are unchanged). And once more (2026-12-07, later): a Gemini 3 tool-call
stream ends without ``finishMessage``, as every recorded one does (its unary answer
keeps it; the bytes are otherwise those before, checked by removing that one member).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.responses import Reply, generate
from spec.scenarios import Directive, Scenario


def model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


FLASH = model("gemini-2.5-flash")
PRO3 = model("gemini-3-pro-preview")


def body(**extra: Any) -> dict[str, Any]:
    text = "What is the weather in Paris today"
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def raw(reply: Reply) -> bytes:
    return reply.body if reply.writes is None else b"".join(w.data for w in reply.writes)


DEFAULT_UNARY = (
    b'{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n'
    b'            "text": "is Z\xc3\xbcrich before boats bridge se\xc3\xb1or before and maps'
    b' \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e glow silver"\n          }\n        ],\n'
    b'        "role": "model"\n      },\n      "finishReason": "STOP",\n      "index": 0\n'
    b'    }\n  ],\n  "usageMetadata": {\n    "promptTokenCount": 7,\n'
    b'    "candidatesTokenCount": 12,\n    "totalTokenCount": 30,\n'
    b'    "promptTokensDetails": [\n      {\n        "modality": "TEXT",\n'
    b'        "tokenCount": 7\n      }\n    ],\n    "thoughtsTokenCount": 11,\n'
    b'    "serviceTier": "standard"\n  },\n  "modelVersion": "gemini-2.5-flash",\n'
    b'  "responseId": "fgdtLXXE44d5m65tINDCsqE"\n}\n'
)
DEFAULT_STREAM = b"".join(
    b'data: {"candidates": [{"content": {"parts": [{"text": "%s"}],"role": "model"},%s'
    b'"index": 0}],"usageMetadata": {"promptTokenCount": 7,"candidatesTokenCount": %d,'
    b'"totalTokenCount": %d,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 7}],'
    b'"thoughtsTokenCount": 11,"serviceTier": "standard"},'
    b'"modelVersion": "gemini-2.5-flash","responseId": "fgdtLXXE44d5m65tINDCsqE"}\r\n\r\n'
    % (text.encode(), finish, count, 7 + count + 11)
    for text, finish, count in (
        ("is Zürich before boats", b"", 4),
        (" bridge señor before and", b"", 8),
        (" maps 日本語 glow silver", b'"finishReason": "STOP",', 12),
    )
)


def test_default_request_bytes_are_unchanged() -> None:
    assert raw(generate(FLASH, body(), Directive(), 0, stream=False)) == DEFAULT_UNARY
    assert raw(generate(FLASH, body(), Directive(), 0, stream=True)) == DEFAULT_STREAM


GOLDEN: dict[str, tuple[ModelInfo, dict[str, Any], Directive, bool, bool, str]] = {
    "flash unary": (
        FLASH, body(), Directive(), False, True,
        "b4c104fcd04a91da2d8446ef164911b5fab4e6da5bf76e7aca27383e381a087f",
    ),
    "flash sse": (
        FLASH, body(), Directive(), True, True,
        "81eb0a8eff2f92586fb2bba13f87101fef64a081cc0e251b0b24f81020770b65",
    ),
    "flash json array": (
        FLASH, body(), Directive(), True, False,
        "0981127be4a3adbac75d03f6628183a20a069450e4e16e76f3293da320b4d0e4",
    ),
    "gemini-3 unary": (
        PRO3, body(), Directive(), False, True,
        "72798d98f696482a0a531ae15bb56c5a86f4b9bf35b8c66e4dd9dca421533747",
    ),
    "gemini-3 sse": (
        PRO3, body(), Directive(), True, True,
        "824a6a5b582436e910bfd57679e243331bdb5e9d9b43d2522f479194e082e09a",
    ),
    # a thinking model: maxOutputTokens 7 is spent on its thoughts (mockserver.prompted)
    "generationConfig without candidates or JSON": (
        FLASH, body(generationConfig={"temperature": 0.2, "maxOutputTokens": 7}), Directive(),
        True, True, "dfb0958b3ec1761cf823bf61bcde7eb3ea2dcd3a1c0720a47f725dc29744ca7f",
    ),
    "thoughts": (
        FLASH, body(generationConfig={"thinkingConfig": {"includeThoughts": True}}),
        Directive(scenario=Scenario.THOUGHTS), False, True,
        "c7247e6197e8ddddda2dfa114d81c9a77dacc01005230f3bc6ac7a6cc53a79d8",
    ),
    "parallel tool calls": (
        PRO3, body(), Directive(scenario=Scenario.PARALLEL_TOOL_CALLS), True, True,
        "a87a5a3cb18a5e7d793de66c94dcc8dbb61e9a2f9c32479b1654ce145ecc067d",
    ),
    "8 chunks, directive seed": (
        FLASH, body(), Directive(chunks=8, seed=7), True, True,
        "1acaad64e66c7f564f24be9f4b8f3f16040c843051ed72b16c48963c9e924c65",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(GOLDEN))
def test_golden_digests(case: str) -> None:
    model, request, directive, stream, sse, digest = GOLDEN[case]
    reply = generate(model, request, directive, 0, stream=stream, sse=sse)
    assert hashlib.sha256(raw(reply)).hexdigest() == digest
