"""Root-cause keys: the ``cause=`` several checks give ``CheckFailure`` when they fail
for the same defect, so that reports group them into one finding (docs/reports.md).

A cause names one defect, in the words every check that can see it uses: ``<where>:
<what is wrong>``. Set it only on the failure branch where the cause is certain.
"""

from __future__ import annotations

from collections.abc import Iterable

from reports.findings import CAUSES_JOIN

__all__ = [
    "BLOCKED_AS_STOP",
    "ERROR_TYPE",
    "NO_RETRY_AFTER",
    "NO_USAGE",
    "THOUGHTS_LEFT_OUT",
    "TOOL_CALLS_STOP",
    "error_type_problem",
    "refused_fields",
    "several",
    "wrong_status",
]

ERROR_TYPE = "error body: error.type missing or not a string"
"""The OpenAI error envelope without a string ``error.type`` (openai-python exposes it
as ``APIError.type``; clients branch on it). Seen by the envelope, status-map and
document checks at once."""


NO_RETRY_AFTER = "429: the upstream's RetryInfo delay is not passed on as Retry-After"
"""An upstream 429 with a RetryInfo delay answered without ``Retry-After`` or
``retry-after-ms``: openai-python and openai-node then back off 0.5-8 s and hit the
quota again. The scripted rate-limit check and the recorded 429 capture's check see the
same defect."""


TOOL_CALLS_STOP = "tool calls: finish_reason 'stop', not 'tool_calls'"
"""An answer with tool calls that finishes with ``stop`` (Gemini says ``STOP`` for both):
agent loops that read ``finish_reason`` answer the user instead of running the tools.
The unary and streamed tool checks and every recorded tool-call capture see it."""

THOUGHTS_LEFT_OUT = "usage: completion_tokens leave out the thought tokens"
"""``completion_tokens`` equal to ``candidatesTokenCount`` alone, without Gemini's
``thoughtsTokenCount`` (which Google bills as output): cost trackers undercount every
answer of a thinking model. Every recorded answer of a thinking model shows it."""


BLOCKED_AS_STOP = "finish_reason: a blocked or cut Gemini answer ends 'stop'"
"""Gemini's ``SAFETY``, ``RECITATION``, ``MAX_TOKENS`` or a blocked prompt answered
with ``finish_reason: "stop"`` (a proxy that maps no finishReason, as lm-proxy 3.3.2):
clients take a truncated or filtered answer for a complete one. Every blocked-answer
check, unary and streamed, sees it."""

NO_USAGE = "usage: the answers carry none"
"""No ``usage`` in a completion, nor in any chunk of a stream that asked for it with
``stream_options.include_usage``: cost trackers and context-window logic read zero.
The usage checks and every recorded answer's check see it."""


def error_type_problem(problem: str) -> bool:
    """True when a schema problem (``"<path>: <message>"``, as ``schema_errors`` and the
    document checks word them) is about ``error.type`` alone."""
    return problem.startswith(".error.type:") or (
        problem.startswith(".error:") and "'type' is a required property" in problem
    )


def wrong_status(probe: str, status: int) -> str:
    """A probe answered with a status its situation does not get (``bad_key: answered
    HTTP 400``): the status check of that situation and the client replay that raises
    the wrong exception class for it (openai-python picks the class from the status)
    see the same defect."""
    return f"{probe}: answered HTTP {status}"


def refused_fields(names: list[str]) -> str:
    """A valid OpenAI request refused, the answer naming the fields it refuses
    (``request refused for parallel_tool_calls``): every check whose probe sent those
    fields fails on the same refusal (the OpenAI-only fields check, the tool checks
    whose probe also sends ``parallel_tool_calls``...)."""
    return f"request refused for {', '.join(sorted(names))}"


def several(causes: Iterable[str]) -> str:
    """The cause of a failure that shows several certain causes at once (a recorded
    answer answered with ``stop`` for its tool calls *and* without its thought tokens):
    the causes sorted and joined by :data:`reports.findings.CAUSES_JOIN`. The report lists
    it under the finding of one of them when each has a finding of its own, else as a
    finding of that set (docs/reports.md)."""
    return CAUSES_JOIN.join(sorted(set(causes)))
