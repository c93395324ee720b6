"""Profile options of the chat translation (ChatOptions, thinking Rules), loopback image
URLs, image parts of answers and ``n`` > 1 merging."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from reference_impl.contract import ANTIGRAVITY_EFFORTS, SAFETY_CATEGORIES
from reference_impl.translate.errors import RequestError
from reference_impl.translate.request import ChatOptions, translate_request
from reference_impl.translate.response import (
    StreamTranslator,
    merge_completions,
    translate_response,
)
from reference_impl.translate.thinking import Rules, thinking_config, thinks

USER = [{"role": "user", "content": "hi"}]
AG = Rules(ANTIGRAVITY_EFFORTS, (1024, 32000), 1024)


def test_defaults_fill_only_what_is_missing() -> None:
    opts = ChatOptions(
        defaults=MappingProxyType({"top_p": 1, "max_tokens": 32000, "temperature": 1})
    )
    call = translate_request(
        {"model": "gemini-2.5-flash", "messages": USER, "temperature": 0.2, "top_p": None},
        options=opts,
    )
    config = call.request["generationConfig"]
    assert (config["temperature"], config["topP"], config["maxOutputTokens"]) == (0.2, 1, 32000)
    call = translate_request(
        {"model": "gemini-2.5-flash", "messages": USER, "max_completion_tokens": 5}, options=opts
    )
    assert call.request["generationConfig"]["maxOutputTokens"] == 5


def test_model_and_stream_defaults_and_safety() -> None:
    opts = ChatOptions(
        default_model="gemini-1.5-pro-latest",
        stream_default=True,
        safety_off=True,
        safety_categories=SAFETY_CATEGORIES,
    )
    call = translate_request({"messages": USER}, options=opts)
    assert (call.model, call.stream) == ("gemini-1.5-pro-latest", True)
    assert call.request["safetySettings"] == [
        {"category": c, "threshold": "BLOCK_NONE"} for c in SAFETY_CATEGORIES
    ]
    assert not translate_request({"messages": USER, "stream": False}, options=opts).stream
    with pytest.raises(RequestError) as info:
        translate_request({"messages": USER})
    assert info.value.param == "model"


def test_n_and_loopback_urls_are_reported() -> None:
    content = [
        {"type": "image_url", "image_url": {"url": "http://127.0.0.1:9/a.png"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}},
    ]
    call = translate_request(
        {"model": "gemini-2.5-flash", "n": 2, "messages": [{"role": "user", "content": content}]}
    )
    assert call.n == 2
    assert call.request["generationConfig"]["candidateCount"] == 2
    assert call.remote == (
        {"fileData": {"mimeType": "image/png", "fileUri": "http://127.0.0.1:9/a.png"}},
    )
    assert call.remote[0] is call.request["contents"][0]["parts"][0]  # replaced in place


@pytest.mark.parametrize("fmt", ["ogg", None, 3])
def test_input_audio_formats(fmt: Any) -> None:
    audio = {"type": "input_audio", "input_audio": {"data": "AAA", "format": fmt}}
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": [audio]}]}
    if fmt == "ogg":
        part = translate_request(body).request["contents"][0]["parts"][0]
        assert part == {"inlineData": {"mimeType": "audio/ogg", "data": "AAA"}}
    else:
        with pytest.raises(RequestError, match="format"):
            translate_request(body)


@pytest.mark.parametrize(
    ("model", "effort", "budget", "expected"),
    [
        ("gemini-2.5-flash", None, None, {"thinkingBudget": 1024, "includeThoughts": True}),
        ("gemini-2.5-pro", "low", None, {"thinkingBudget": 1024, "includeThoughts": True}),
        (
            "gemini-3-pro-preview",
            "medium",
            None,
            {"thinkingBudget": 16000, "includeThoughts": True},
        ),
        (
            "claude-opus-4-5-thinking",
            "high",
            None,
            {"thinkingBudget": 32000, "includeThoughts": True},
        ),
        ("gemini-2.5-flash", "high", 2048, {"thinkingBudget": 2048, "includeThoughts": True}),
        ("gemini-2.5-flash", None, 0, {"thinkingBudget": 0, "includeThoughts": False}),
        ("gemini-2.0-flash", None, None, None),
    ],
)
def test_antigravity_thinking_rules(
    model: str, effort: str | None, budget: int | None, expected: dict[str, Any] | None
) -> None:
    assert thinking_config(model, effort, budget, AG) == expected


@pytest.mark.parametrize("budget", [1, 1023, 32001, -1])
def test_antigravity_budget_range(budget: int) -> None:
    with pytest.raises(RequestError) as info:
        thinking_config("gemini-2.5-flash", None, budget, AG)
    assert info.value.param == "thinking_budget"


def test_thinks() -> None:
    assert thinks("gemini-2.5-flash")
    assert thinks("gemini-3-pro-high")
    assert thinks("gemini-flash-latest")
    assert not thinks("gemini-2.0-flash")
    assert not thinks("gpt-4o")


# --------------------------------------------------------------------------- answers


IMAGE_PART = {"inlineData": {"mimeType": "image/png", "data": "QUJD"}}


def test_image_parts_become_markdown() -> None:
    answer = {
        "candidates": [
            {"content": {"parts": [{"text": "Look: "}, IMAGE_PART]}, "finishReason": "STOP"}
        ]
    }
    out = translate_response(answer, model="m", created=1)
    assert out["choices"][0]["message"]["content"] == "Look: ![image](data:image/png;base64,QUJD)"
    out = translate_response(
        answer, model="m", created=1, media=lambda mime, data: f"/images/{mime}"
    )
    assert out["choices"][0]["message"]["content"] == "Look: ![image](/images/image/png)"
    t = StreamTranslator(model="m", created=1, include_usage=False, media=lambda m, d: "u")
    chunks = t.feed(answer) + t.finish()
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "Look: "},
        {"content": "![image](u)"},
        {},
    ]


def completion(text: str, completion_tokens: int) -> dict[str, Any]:
    answer = {
        "candidates": [{"content": {"parts": [{"text": text}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": completion_tokens},
    }
    return translate_response(answer, model="m", created=1)


def test_merge_completions_reindexes_and_adds_usage() -> None:
    merged = merge_completions(completion("a", 2), [completion("b", 3), completion("c", 4)])
    assert [(c["index"], c["message"]["content"]) for c in merged["choices"]] == [
        (0, "a"),
        (1, "b"),
        (2, "c"),
    ]
    assert merged["usage"]["prompt_tokens"] == 5
    assert (merged["usage"]["completion_tokens"], merged["usage"]["total_tokens"]) == (9, 14)


def test_stream_top_up_keeps_the_id_and_shifts_indexes() -> None:
    main = StreamTranslator(model="m", created=1, include_usage=True)
    event = {
        "candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1},
        "responseId": "r1",
    }
    main.feed(event)
    [main_finish] = main.end()  # the upstream ended: choice 0 finishes before choice 1
    assert main_finish["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    sub = StreamTranslator(model="m", created=1, include_usage=False, index_base=1, id=main.id)
    chunks = sub.feed({**event, "responseId": "other"}) + sub.finish()
    assert {c["id"] for c in chunks} == {"chatcmpl-r1"}
    assert {c["choices"][0]["index"] for c in chunks} == {1}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert sub.finish() == []
    [usage_chunk] = main.finish([sub.usage_metadata])
    assert usage_chunk["usage"]["completion_tokens"] == 2
    assert usage_chunk["usage"]["total_tokens"] == 7
