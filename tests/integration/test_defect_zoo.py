"""The suite's precision and recall end to end: the reference proxy (in front of the
mock) behind a pass-through that injects one known defect at a time.

- Every variation the contract leaves free (CRLF framing, ``data:`` without a space,
  ``:`` comments, unknown fields, events cut across writes) together: nothing fails.
- Each defect: the checks written for it fail, and nothing outside the areas the defect
  touches fails (a false alarm costs as much as a miss).

The 20 s ``stream_slow`` probe is left out (its checks are covered in the unit tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.registry import REGISTRY
from conformance.runner import SuiteRun, run_suite
from conformance.target import Target
from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app as create_proxy
from reference_impl.settings import Settings as ProxySettings
from spec.profiles import get_profile
from tests.servers import serve
from tests.zoo import Mutation, chunk_json, mutating_proxy

pytestmark = pytest.mark.slow

KEY = "sk-zoo"
SELECT = sorted(spec.id for spec in REGISTRY.values() if "stream_slow" not in spec.probes)


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with serve(lambda: create_mock(MockSettings())) as mock:
        settings = ProxySettings(
            upstream_url=f"{mock}/v1beta",
            upstream_keys=("zoo-key-1", "zoo-key-2"),
            api_keys=frozenset({KEY}),
            allow_private_media_urls=True,
        )
        with serve(lambda: create_proxy(settings)) as proxy:
            yield proxy, mock


def run_through(upstreams: tuple[str, str], mutation: Mutation, select: list[str]) -> SuiteRun:
    proxy, mock = upstreams
    with serve(mutating_proxy(proxy, mutation)) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        return run_suite(target, select=select)


def failures(run: SuiteRun) -> dict[str, str]:
    return {r.check_id: r.message for r in run.records if r.outcome.value in ("failed", "error")}


# ----------------------------------------------------------------------------- controls


def _openai_like(chunk: dict[str, Any]) -> None:
    """What OpenAI itself sends and proxies copy: ``usage: null`` on every chunk,
    ``system_fingerprint``, ``service_tier``, the ``obfuscation`` padding,
    ``logprobs``/``refusal``/``function_call`` nulls, ``content: ""`` next to the opening
    role, token details in the usage, an OpenRouter-style ``gen-`` id, an unknown field.
    Not the role repeated on later deltas (Google's endpoint does it; openai-python's
    ``stream()`` helper then assembles ``role: "assistantassistant..."``, which
    ``clients.openai_python.stream_helper_text`` reports)."""
    chunk.setdefault("usage", None)
    chunk["id"] = "gen-" + str(chunk.get("id", ""))[-12:]
    chunk["system_fingerprint"] = "fp_zoo"
    chunk["service_tier"] = "default"
    chunk["obfuscation"] = "Zp3q"
    chunk["x_zoo_extra"] = {"note": "unknown fields are allowed"}
    if isinstance(chunk.get("usage"), dict):
        chunk["usage"]["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
    for choice in chunk.get("choices", ()):
        choice.setdefault("logprobs", None)
        delta = choice.get("delta", {})
        delta.setdefault("refusal", None)
        delta.setdefault("function_call", None)
        if delta.get("role") == "assistant" and "content" not in delta:
            delta["content"] = ""


def _free_variations(event: bytes) -> list[bytes]:
    """CRLF line ends, ``data:`` without its space, OpenAI's own extra fields, a comment
    first, and the event cut in two writes (one inside a CRLF)."""
    if event.startswith(b"data: {"):
        value = json.loads(event[6:])
        if isinstance(value, dict) and "error" not in value:
            _openai_like(value)
        event = b"data:" + json.dumps(value).encode() + b"\n\n"
    framed = b": zoo keep-alive\r\n\r\n" + event.replace(b"\n", b"\r\n")
    cut = len(framed) - 3
    return [framed[:cut], framed[cut:]]


def _extra_field(status: int, body: Any) -> tuple[int, Any]:
    if isinstance(body, dict) and status == 200:
        body = {**body, "x_zoo_extra": True}
        if body.get("object") == "chat.completion":
            body["id"] = "gen-" + str(body.get("id", ""))[-12:]
            body["system_fingerprint"] = "fp_zoo"
            body["service_tier"] = "default"
            for choice in body.get("choices", ()):
                choice.setdefault("logprobs", None)
                message = choice.get("message", {})
                message.setdefault("refusal", None)
                message.setdefault("annotations", [])
                message.setdefault("function_call", None)
                if message.get("tool_calls"):
                    message["content"] = ""  # some proxies send "" beside calls, not null
    return status, body


def test_what_the_contract_leaves_free_fails_nothing(upstreams: tuple[str, str]) -> None:
    run = run_through(
        upstreams, Mutation("free", event=_free_variations, json=_extra_field), SELECT
    )
    assert failures(run) == {}
    assert sum(r.outcome.value == "passed" for r in run.records) > 90


def _finer_chunks(event: bytes) -> list[bytes]:
    """Each delta cut in two chunks (text halves; tool-call arguments halves, the second
    half with ``index`` only), and ``finish_reason`` moved to a chunk of its own with an
    empty ``delta``, as OpenAI ends its streams."""
    if not event.startswith(b"data: {"):
        return [event]
    chunk = json.loads(event[6:])
    choices = chunk.get("choices") or []
    if "error" in chunk or len(choices) != 1:
        return [event]
    (choice,) = choices
    delta, finish = choice.get("delta", {}), choice.get("finish_reason")
    first = {**delta}
    second: dict[str, Any] = {}
    for key in ("content", "reasoning_content"):
        text = delta.get(key)
        if isinstance(text, str) and len(text) > 1:
            first[key], second[key] = text[: len(text) // 2], text[len(text) // 2 :]
    calls = delta.get("tool_calls")
    if calls:
        first["tool_calls"], second["tool_calls"] = [], []
        for call in calls:
            args = call.get("function", {}).get("arguments", "")
            head = {**call, "function": {**call.get("function", {}), "arguments": args[:3]}}
            first["tool_calls"].append(head)
            second["tool_calls"].append(
                {"index": call["index"], "function": {"arguments": args[3:]}}
            )
    pieces = [first] + ([second] if second else [])
    out = [{**chunk, "choices": [{**choice, "delta": d, "finish_reason": None}]} for d in pieces]
    if finish is not None:
        out.append({**chunk, "choices": [{**choice, "delta": {}, "finish_reason": finish}]})
        out[-1].pop("usage", None)
    return [b"data: " + json.dumps(c).encode() + b"\n\n" for c in out]


def test_finer_chunks_fail_nothing(upstreams: tuple[str, str]) -> None:
    run = run_through(upstreams, Mutation("finer", event=_finer_chunks), SELECT)
    assert failures(run) == {}


# ----------------------------------------------------------------------------- defects


def _no_done(event: bytes) -> list[bytes]:
    return [] if event.startswith(b"data: [DONE]") else [event]


def _drop_tool_index(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        for call in choice.get("delta", {}).get("tool_calls", ()) or ():
            call.pop("index", None)
    return chunk


def _thoughts_in_content(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        delta = choice.get("delta", {})
        thought = delta.pop("reasoning_content", None)
        if thought:
            delta["content"] = f"<think>{thought}</think>" + (delta.get("content") or "")
    return chunk


def _usage_on_a_choice(chunk: dict[str, Any]) -> dict[str, Any]:
    if chunk.get("usage") and chunk.get("choices") == []:
        chunk["choices"] = [{"index": 0, "delta": {}, "finish_reason": None}]
    return chunk


def _role_every_delta(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        delta = choice.get("delta", {})
        if choice.get("finish_reason") is None and "tool_calls" not in delta:
            delta.setdefault("role", "assistant")
    return chunk


def _no_role(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        choice.get("delta", {}).pop("role", None)
    return chunk


def _stop_for_tool_calls(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
    return chunk


def _detail_errors(status: int, body: Any) -> tuple[int, Any]:
    if status >= 400 and isinstance(body, dict) and isinstance(body.get("error"), dict):
        return status, {"detail": body["error"].get("message", "error")}
    return status, body


def _rate_limit_as_500(status: int, body: Any) -> tuple[int, Any]:
    return (500 if status == 429 else status), body


def _event_lines(event: bytes) -> list[bytes]:
    return [b"event: message\n" + event] if event.startswith(b"data: {") else [event]


def _empty_data_first(event: bytes) -> list[bytes]:
    return [b"data: \n\n", event]


def _buffered() -> Callable[[bytes], list[bytes]]:
    held: list[bytes] = []

    def run(event: bytes) -> list[bytes]:
        held.append(event)
        if event.startswith(b"data: [DONE]") or b'"error"' in event:
            return [b"".join(held)]
        return []

    return run


def _new_id_per_chunk() -> Callable[[bytes], list[bytes]]:
    count = iter(range(1_000_000))
    return chunk_json(lambda chunk: {**chunk, "id": f"chatcmpl-{next(count)}"})


def _no_finish_reason(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        choice["finish_reason"] = None
    return chunk


def _drop_usage_chunk(chunk: dict[str, Any]) -> dict[str, Any] | None:
    return None if chunk.get("choices") == [] and chunk.get("usage") else chunk


DEFECTS: list[tuple[Mutation, set[str], tuple[str, ...]]] = [
    # (the defect, checks that must fail, areas where failures are expected)
    (
        Mutation("no_done", event=_no_done),
        {"stream.done_terminator"},
        ("stream.", "clients.", "contract.responses", "properties.stream", "tools.", "blocked."),
    ),
    (
        Mutation("tool_index_missing", event=chunk_json(_drop_tool_index)),
        {"tools.stream_index"},
        ("tools.", "clients.", "stream.chunk_schema", "contract.responses", "reasoning."),
    ),
    (
        Mutation("thoughts_in_content", event=chunk_json(_thoughts_in_content)),
        {"reasoning.no_thoughts_in_content.stream", "reasoning.reasoning_content.stream"},
        # the mock thinks on every includeThoughts request, as Gemini does: folded thoughts
        # change the text of ordinary streams too
        ("reasoning.", "clients.", "stream.upstream_framing"),
    ),
    (
        Mutation("usage_on_a_choice", event=chunk_json(_usage_on_a_choice)),
        {"stream.usage_own_chunk"},
        ("stream.", "clients.", "properties.stream", "contract.responses"),
    ),
    (
        Mutation("role_every_delta", event=chunk_json(_role_every_delta)),
        {"clients.openai_python.stream_helper_text"},
        ("clients.",),
    ),
    (
        Mutation("no_role", event=chunk_json(_no_role)),
        {"stream.role_first"},
        ("stream.", "clients.", "properties.stream", "tools.", "reasoning.", "blocked."),
    ),
    (
        Mutation("stop_for_tool_calls", event=chunk_json(_stop_for_tool_calls)),
        {"tools.stream_finish_reason"},
        ("tools.", "clients.", "stream.finish_reason", "reasoning."),
    ),
    (
        Mutation("detail_errors", json=_detail_errors),
        {"errors.envelope.bad_key", "errors.envelope.unknown_model"},
        # checks that accept a clean 4xx judge its envelope too (translate.stop_capped)
        ("errors.", "clients.", "contract.", "properties.negative", "http.", "translate.stop"),
    ),
    (
        Mutation(
            "rate_limit_as_500",
            json=_rate_limit_as_500,
            drop_headers=frozenset({"retry-after", "retry-after-ms"}),
        ),
        {"errors.rate_limit_status", "errors.retry_after"},
        ("errors.", "clients.", "contract.responses"),
    ),
]


ANY_STREAM = (
    "stream.",
    "clients.",
    "contract.responses",
    "properties.stream",
    "tools.",
    "reasoning.",
    "blocked.",
)
"""Where a defect in every stream may show: every check that reads a stream."""

DEFECTS += [
    (
        Mutation("event_lines", event=_event_lines),  # openai-python then misreads chunks
        {"stream.data_lines_only"},
        ANY_STREAM,
    ),
    (
        Mutation("empty_data", event=_empty_data_first),  # client-breakages.md A4
        {"stream.no_empty_events", "clients.openai_python.chat_stream"},
        ANY_STREAM,
    ),
    (
        Mutation("buffered", per_stream=_buffered),  # client-breakages.md A7
        {"stream.not_buffered"},
        ("stream.not_buffered", "clients."),
    ),
    (
        Mutation("new_id_per_chunk", per_stream=_new_id_per_chunk),  # A6 open-webui#23917
        {"stream.constant_identity"},
        ("stream.", "clients.", "properties.stream"),
    ),
    (
        Mutation("no_finish_reason", event=chunk_json(_no_finish_reason)),  # A2
        {"stream.finish_reason"},
        ("stream.", "clients.", "properties.stream", "tools.", "blocked.", "reasoning."),
    ),
    (
        Mutation("usage_dropped", event=chunk_json(_drop_usage_chunk)),  # A5
        {"stream.usage_chunk"},
        ("stream.", "clients.", "properties.stream"),
    ),
]


def _finish_always_stop(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        if choice.get("finish_reason") in ("length", "content_filter"):
            choice["finish_reason"] = "stop"
    return chunk


def _finish_always_stop_unary(status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict):
        _finish_always_stop(body)
    return status, body


def _no_usage_chunk(chunk: dict[str, Any]) -> dict[str, Any] | None:
    if chunk.get("choices") == [] and chunk.get("usage"):
        return None
    chunk.pop("usage", None)
    return chunk


def _no_usage_unary(status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict) and body.get("object") == "chat.completion":
        body.pop("usage", None)
    return status, body


DEFECTS += [
    (  # lm-proxy 3.3.2: no finishReason mapped, a blocked or cut answer ends 'stop'
        Mutation(
            "finish_always_stop",
            event=chunk_json(_finish_always_stop),
            json=_finish_always_stop_unary,
        ),
        {"blocked.safety", "blocked.safety.stream", "blocked.max_tokens.stream"},
        ("blocked.",),
    ),
    (  # lm-proxy 3.3.2: no usage anywhere
        Mutation("no_usage", event=chunk_json(_no_usage_chunk), json=_no_usage_unary),
        {"chat.usage", "stream.usage_chunk"},
        ("chat.usage", "stream.usage_chunk", "reasoning.reasoning_tokens"),
    ),
]


CONTENT_BLIND = {"buffered", "new_id_per_chunk"}
"""Defects the capture checks cannot see (timing, chunk ids); every other defect may also
fail the ``captures.*`` checks, which judge what a client parses from recorded answers."""
DEFECTS = [
    (m, expected, areas if m.name in CONTENT_BLIND else (*areas, "captures."))
    for m, expected, areas in DEFECTS
]


@pytest.mark.parametrize(
    ("mutation", "expected", "areas"), DEFECTS, ids=[m.name for m, _, _ in DEFECTS]
)
def test_each_defect_is_caught_and_nothing_else_is_blamed(
    upstreams: tuple[str, str], mutation: Mutation, expected: set[str], areas: tuple[str, ...]
) -> None:
    found = failures(run_through(upstreams, mutation, SELECT))
    assert expected <= set(found), found
    unrelated = {k: v for k, v in found.items() if not k.startswith(areas)}
    assert unrelated == {}
