"""Golden bytes: replies to requests without ``candidateCount``/JSON mode never change.

The digests were taken from the mock before ``candidateCount``, JSON mode and the
fixture images were added; a request that uses none of them must still get exactly
these bytes (the hot path is untouched). Update them only for a deliberate change of
the mock's output, and say so in the commit.
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
    b'    "candidatesTokenCount": 12,\n    "totalTokenCount": 19,\n'
    b'    "promptTokensDetails": [\n      {\n        "modality": "TEXT",\n'
    b'        "tokenCount": 7\n      }\n    ]\n  },\n  "modelVersion": "gemini-2.5-flash",\n'
    b'  "responseId": "fgdtLXXE44d5m65tINDCsqE"\n}\n'
)
DEFAULT_STREAM = b"".join(
    b'data: {"candidates": [{"content": {"parts": [{"text": "%s"}],"role": "model"},%s'
    b'"index": 0}],"usageMetadata": {"promptTokenCount": 7,"candidatesTokenCount": %d,'
    b'"totalTokenCount": %d,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 7}]},'
    b'"modelVersion": "gemini-2.5-flash","responseId": "fgdtLXXE44d5m65tINDCsqE"}\r\n\r\n'
    % (text.encode(), finish, count, 7 + count)
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
        "7c5924e10a32d3b97e32ceae1f74e549c7d83e566e7e04737f612c334414497f",
    ),
    "flash sse": (
        FLASH, body(), Directive(), True, True,
        "d10bdc7727aeace876f01473880c941f5a658e605fefb24abd4864323261cdc2",
    ),
    "flash json array": (
        FLASH, body(), Directive(), True, False,
        "fe4951ad6a12524ab8e67635228309c2d3d644b05fe09bed416b4fe13ebf30f0",
    ),
    "gemini-3 unary": (
        PRO3, body(), Directive(), False, True,
        "8843208b42cb78389b4bcbb8145e78055f361219858d7e2b35b340cf9f80928c",
    ),
    "gemini-3 sse": (
        PRO3, body(), Directive(), True, True,
        "fb6bef4788fdc7aa6d39c6c825ddf050f9038eb1035e400ba75efe13be1a686c",
    ),
    "generationConfig without candidates or JSON": (
        FLASH, body(generationConfig={"temperature": 0.2, "maxOutputTokens": 7}), Directive(),
        True, True, "97d7c3559e21cb561e6072cab142cbb0365717670d3ae1f0a84f6ecbc157b889",
    ),
    "thoughts": (
        FLASH, body(generationConfig={"thinkingConfig": {"includeThoughts": True}}),
        Directive(scenario=Scenario.THOUGHTS), False, True,
        "ef322a6431ee8ea24398f0cb4fc309ae7391279627baeda983e490af18cfee14",
    ),
    "parallel tool calls": (
        PRO3, body(), Directive(scenario=Scenario.PARALLEL_TOOL_CALLS), True, True,
        "67e53cb9cb2a38000be8b88cde8f84286c8acd234b7414c11e773dfbc2a7f989",
    ),
    "8 chunks, directive seed": (
        FLASH, body(), Directive(chunks=8, seed=7), True, True,
        "f1d234521b415329b4ffd58769300bd0eba97d872b821c1c9c48bcd376d34989",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(GOLDEN))
def test_golden_digests(case: str) -> None:
    model, request, directive, stream, sse, digest = GOLDEN[case]
    reply = generate(model, request, directive, 0, stream=stream, sse=sse)
    assert hashlib.sha256(raw(reply)).hexdigest() == digest
