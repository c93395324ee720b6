"""Gemini unary response -> ``chat.completion`` (reference_impl.translate.response; A2, B1)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from reference_impl.translate import finish_reason, models_list, translate_response, usage


def ids() -> Any:
    counter = itertools.count()
    return lambda: f"call_{next(counter)}"


def translate(resp: dict[str, Any]) -> dict[str, Any]:
    return translate_response(resp, model="gemini-2.5-flash", created=1700000000, new_id=ids())


# The recorded unary answer of wire-formats.md A2.
A2 = {
    "candidates": [
        {
            "content": {
                "parts": [
                    {
                        "functionCall": {
                            "name": "extractor",
                            "args": {"request": "..."},
                            "id": "bu4kjcsx",
                        },
                        "thoughtSignature": "EugDCuUDAQw51s...",
                    }
                ],
                "role": "model",
            },
            "finishReason": "STOP",
            "index": 0,
            "finishMessage": "Model generated function call(s).",
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 275,
        "candidatesTokenCount": 30,
        "totalTokenCount": 412,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 275}],
        "thoughtsTokenCount": 107,
        "serviceTier": "standard",
    },
    "modelVersion": "gemini-3.5-flash",
    "responseId": "sX0yat2XDJWonsEPtsmCiA8",
}


def test_recorded_tool_call_answer() -> None:
    out = translate(A2)
    assert out == {
        "id": "chatcmpl-sX0yat2XDJWonsEPtsmCiA8",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gemini-2.5-flash",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "bu4kjcsx",
                            "type": "function",
                            "function": {"name": "extractor", "arguments": '{"request":"..."}'},
                            "extra_content": {"google": {"thought_signature": "EugDCuUDAQw51s..."}},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 275,
            "completion_tokens": 137,
            "total_tokens": 412,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 107},
        },
    }


def test_thoughts_go_to_reasoning_content_never_content() -> None:
    """C1."""
    out = translate(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"text": "**Plan**\n\n", "thought": True},
                            {"text": "step", "thought": True},
                            {"text": "Answer"},
                            {"text": "", "thoughtSignature": "s"},
                        ]
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    msg = out["choices"][0]["message"]
    assert msg == {
        "role": "assistant",
        "content": "Answer",
        "reasoning_content": "**Plan**\n\nstep",
    }


def test_generated_tool_call_ids_are_unique() -> None:
    """B4: gemini-2.5 gives no ids."""
    out = translate_response(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"functionCall": {"name": "f", "args": {}}},
                            {"functionCall": {"name": "f", "args": {}}},
                        ]
                    },
                    "finishReason": "STOP",
                }
            ]
        },
        model="m",
        created=0,
    )
    calls = out["choices"][0]["message"]["tool_calls"]
    assert len({c["id"] for c in calls}) == 2
    assert all(c["id"].startswith("call_") and len(c["id"]) > 10 for c in calls)
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{}, {}]


def test_n_choices_keep_their_index() -> None:
    out = translate(
        {
            "candidates": [
                {"content": {"parts": [{"text": "b"}]}, "finishReason": "MAX_TOKENS", "index": 1},
                {"content": {"parts": [{"text": "a"}]}, "finishReason": "STOP", "index": 0},
            ]
        }
    )
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in out["choices"]] == [
        (0, "a", "stop"),
        (1, "b", "length"),
    ]


@pytest.mark.parametrize(
    ("resp", "reason"),
    [
        ({"promptFeedback": {"blockReason": "SAFETY"}}, "content_filter"),
        ({"candidates": [{"finishReason": "SAFETY", "index": 0}]}, "content_filter"),
        (
            {"candidates": [{"finishReason": "RECITATION", "citationMetadata": {}}]},
            "content_filter",
        ),
        ({"candidates": [{"finishReason": "MAX_TOKENS"}]}, "length"),
        ({"candidates": [{"finishReason": "MALFORMED_FUNCTION_CALL"}]}, "stop"),
        ({}, "stop"),
    ],
)
def test_empty_or_blocked_answers_still_have_one_choice(resp: dict[str, Any], reason: str) -> None:
    """F6: never empty choices, never a 500."""
    [choice] = translate(resp)["choices"]
    assert choice["finish_reason"] == reason
    assert choice["message"] == {"role": "assistant", "content": ""}


@pytest.mark.parametrize(
    ("reason", "calls", "expected"),
    [
        ("STOP", False, "stop"),
        ("STOP", True, "tool_calls"),
        (None, True, "tool_calls"),
        ("MAX_TOKENS", True, "length"),
        ("SAFETY", False, "content_filter"),
        ("BLOCKLIST", False, "content_filter"),
        ("PROHIBITED_CONTENT", False, "content_filter"),
        ("SPII", False, "content_filter"),
        ("IMAGE_SAFETY", False, "content_filter"),
        ("MALFORMED_FUNCTION_CALL", False, "stop"),
        ("OTHER", False, "stop"),
        ("UNEXPECTED_TOOL_CALL", False, "stop"),
        ("FINISH_REASON_UNSPECIFIED", False, "stop"),
    ],
)
def test_finish_reason(reason: str | None, calls: bool, expected: str) -> None:
    assert finish_reason(reason, calls) == expected


def test_usage_counts() -> None:
    assert usage(
        {
            "promptTokenCount": 10,
            "toolUsePromptTokenCount": 2,
            "candidatesTokenCount": 5,
            "thoughtsTokenCount": 7,
            "cachedContentTokenCount": 4,
        }
    ) == {
        "prompt_tokens": 12,
        "completion_tokens": 12,
        "total_tokens": 24,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 7},
    }
    assert usage(None)["total_tokens"] == 0


def test_models_list() -> None:
    """G1: OpenAI list shape, no ``models/`` prefix, only chat-capable models."""
    listing = models_list(
        [
            {"name": "models/gemini-2.5-flash", "supportedGenerationMethods": ["generateContent"]},
            {"name": "models/gemini-embedding-001", "supportedGenerationMethods": ["embedContent"]},
            {"name": "models/gemini-x"},
            {"name": "models/gemini-2.5-flash"},
            {"displayName": "nameless"},
        ],
        5,
    )
    assert listing == {
        "object": "list",
        "data": [
            {"id": "gemini-2.5-flash", "object": "model", "created": 5, "owned_by": "google"},
            {"id": "gemini-x", "object": "model", "created": 5, "owned_by": "google"},
        ],
    }
