"""Check cases for the capture checks (``captures.NAME``): a faithful proxy's streamed
and unary exchanges for every registered capture (:func:`good_captures`), and bad cases
that each swap one exchange for a precise defect (:data:`BAD_CAPTURES`, entries
``(check id, exchange, message fragment)`` like ``tests.unit.test_checks.BAD``)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from conformance.capture_expect import Answer, ErrorAnswer
from conformance.exchange import Exchange
from conformance.probes.captures import EXPECTATIONS, probe_names
from tests.factories import chunk, completion, error_exchange, json_exchange, sse, stream_exchange

__all__ = ["BAD_CAPTURES", "answer_exchange", "good_captures"]


def _usage(answer: Answer) -> dict[str, int] | None:
    u = answer.usage
    if u is None:
        return None
    added = u.prompt_tokens + u.completion_tokens  # what chat.usage_arithmetic wants too
    return {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": added if added in u.totals else u.totals[0],
    }


def _calls(answer: Answer, arguments: Any = None) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {
                "name": c.name,
                "arguments": json.dumps(c.arguments) if arguments is None else arguments,
            },
        }
        for i, c in enumerate(answer.tool_calls)
    ]


def answer_exchange(
    probe: str, answer: Answer | ErrorAnswer, stream: bool, **change: Any
) -> Exchange:
    """The exchange a faithful proxy gives for ``answer`` (``change``: ``content``,
    ``arguments`` (the same text for every call), ``calls`` (how many of them are
    kept), ``finish``, ``usage``, ``retry_after``, ``status`` override one part, to build
    a defect; ``usage_asked=False``: a stream request without
    ``stream_options.include_usage``, as the probe sends where the profile claims no
    usage chunk)."""
    if isinstance(answer, ErrorAnswer):
        after = change.get("retry_after", answer.retry_after_min_s)
        headers = (("retry-after", str(after)),) if after is not None else ()
        status = answer.status if answer.status < 500 else 502
        return error_exchange(probe, change.get("status", status), headers=headers)
    if "status" in change:  # the proxy failed on the upstream's answer
        return error_exchange(probe, change["status"])
    content = change.get("content", answer.text)
    finish = change.get("finish", answer.finish_reason)
    usage = change.get("usage", _usage(answer))
    calls = _calls(answer, change.get("arguments"))[: change.get("calls")]
    if not stream:
        message: dict[str, Any] = {"role": "assistant", "content": content or None}
        if calls:
            message["tool_calls"] = calls
        return json_exchange(probe, completion(message, finish, usage=usage))
    chunks = [chunk({"role": "assistant", "content": ""})]
    if content:
        chunks.append(chunk({"content": content}))
    for i, call in enumerate(calls):
        chunks.append(chunk({"tool_calls": [{"index": i, **call}]}))
    chunks.append(chunk({}, finish))
    if usage is not None:
        chunks.append(chunk(choices=[], usage=usage))
    x = stream_exchange(probe, sse(*chunks))
    if not change.get("usage_asked", True):
        return x
    body = {**x.request.json_body, "stream_options": {"include_usage": True}}
    return replace(x, request=replace(x.request, json_body=body, body=json.dumps(body).encode()))


def good_captures() -> dict[str, Exchange]:
    """Both probes of every registered capture, answered faithfully."""
    out: dict[str, Exchange] = {}
    for name, expectation in EXPECTATIONS.items():
        stream_probe, unary_probe = probe_names(name)
        out[stream_probe] = answer_exchange(stream_probe, expectation.stream, True)
        out[unary_probe] = answer_exchange(unary_probe, expectation.unary, False)
    return out


def _bad(name: str, stream: bool, fragment: str, **change: Any) -> tuple[str, Exchange, str]:
    expectation = EXPECTATIONS[name]
    probe = probe_names(name)[0 if stream else 1]
    answer = expectation.stream if stream else expectation.unary
    return f"captures.{name}", answer_exchange(probe, answer, stream, **change), fragment


ARGS = "google-stream-tool-call-arguments"
BAD_CAPTURES: list[tuple[str, Exchange, str]] = [
    _bad(
        ARGS,
        True,
        'streamed: tool_calls[0].arguments: expected {"location": "Boston"}, got {}',
        arguments="{}",
    ),
    _bad(ARGS, False, "unary: finish_reason: expected 'tool_calls', got 'stop'", finish="stop"),
    _bad("google-tool-call", True, "streamed: usage: expected", usage=None),
    _bad("google-tool-call-gemini3", False, "unary: tool_calls[0].arguments", arguments="{"),
    _bad("google-text", True, "streamed: content: expected", content="There are 3"),
    _bad(
        "google-reasoning",
        False,
        "usage.completion_tokens: expected 311, got 29",
        usage={"prompt_tokens": 9, "completion_tokens": 29, "total_tokens": 38},
    ),
    _bad("google-reasoning-gemini3", True, "streamed: HTTP 500", status=500),
    _bad("google-429-retry-info", True, "Retry-After: expected >= 35", retry_after=30),
    _bad("google-429-retry-info", False, "HTTP status: expected 429, got 500", status=500),
    _bad(
        "google-code-execution-multiple-results",
        True,
        "streamed: content: expected",
        content="",  # Portkey's gateway 1.15.2 drops the text after code execution
    ),
    _bad(
        "openinference-gemini3-thoughts-stream",
        True,
        "streamed: usage.completion_tokens: expected 1416, got 703",
        # the thoughts left out (Portkey's gateway 1.15.2)
        usage={"prompt_tokens": 11, "completion_tokens": 703, "total_tokens": 714},
    ),
    _bad(
        "openinference-gemini3-parallel-calls-stream",
        True,
        "streamed: tool_calls: expected 2 (get_weather, get_weather), got 1",
        calls=1,  # every call read as index 0: the second merged into the first
    ),
    _bad(
        "mirascope-parallel-tool-calls-stream.0",
        True,
        "streamed: tool_calls: expected 2 (secret_retrieval_tool, secret_retrieval_tool), got 1",
        calls=1,  # one call per chunk read: the second part of the chunk lost
    ),
    _bad(
        "mirascope-parallel-tool-calls-stream.1",
        False,
        'unary: content: expected "The secrets associated',
        content="The secrets associated with the passwords",
    ),
    _bad(
        "pydantic-code-execution-stream",
        True,
        'streamed: content: expected "The result is -428,330,955.97745.", got ""',
        content="",  # finished at the first finishReason (the code chunk's STOP)
    ),
    _bad(
        "google-stream-no-args-tool-call",
        True,
        "streamed: tool_calls[0].arguments: expected {}",
        arguments="",
    ),
    _bad("project-prompt-block", True, "streamed: finish_reason", finish="stop"),
    _bad("project-safety-stop", False, "unary: finish_reason", finish="stop"),
]
"""One bad case (at least) per bundled capture's check."""
