"""Tool calls: Gemini ``functionCall`` parts as OpenAI ``tool_calls``, unary and streamed.

The streamed rules are what openai-python's ``ChatCompletionStreamState`` and the
@ai-sdk, LangChain and Open WebUI accumulators need (docs/breakages.md A1, A2, B4;
docs/openai-wire.md B1: id, type and function.name appear only in the first delta).
"""

from __future__ import annotations

import json
from typing import Any

from ..exchange import Exchange
from ..registry import CheckFailure, Mode, Severity, Undecided, check, excerpt
from ._common import OPENAI_PYTHON, chunks_of, json_object
from ._refusals import require_accepted
from .causes import TOOL_CALLS_STOP
from .upstream import confirm_upstream_success, upstream_answer

__all__ = [
    "collect_stream_calls",
    "fail_on_error_event",
    "judge_call_without_args",
    "repeat_problem",
]

A1 = (
    "https://github.com/THU-MAIC/OpenMAIC/issues/1556; "
    "https://github.com/AstrBotDevs/AstrBot/issues/6661; https://github.com/dyedd/lens/issues/49; "
    "https://github.com/openai/openai-python/issues/2806"
)


def _upstream_call_count(x: Exchange) -> int | None:
    try:
        calls = upstream_answer(x).get("function_calls")
    except Undecided:  # no journal summary: count unknown, other rules still apply
        return None
    return len(calls) if isinstance(calls, list) else None


def _tool_call_deltas(x: Exchange) -> list[tuple[int, dict[str, Any]]]:
    """``(chunk number, tool_call delta entry)`` for choice 0, in order."""
    out: list[tuple[int, dict[str, Any]]] = []
    for i, chunk in enumerate(chunks_of(x)):
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            calls = delta.get("tool_calls") if isinstance(delta, dict) else None
            if isinstance(calls, list):
                out.extend((i, c) for c in calls)
    return out


def collect_stream_calls(x: Exchange) -> dict[int, dict[str, Any]]:
    """Assemble streamed tool calls by ``index`` the way openai-python does: the first
    delta of an index gives id/type/name, later ``arguments`` fragments are appended.
    Raises :class:`CheckFailure` for an entry without an integer ``index``."""
    calls: dict[int, dict[str, Any]] = {}
    for i, entry in _tool_call_deltas(x):
        index = entry.get("index") if isinstance(entry, dict) else None
        if not isinstance(index, int) or isinstance(index, bool):
            raise CheckFailure(
                f"a tool_calls delta in chunk {i} has index {index!r}; openai-python raises "
                "'Expected list delta entry to have an index key', @ai-sdk 'expected number'",
                excerpt=excerpt(json.dumps(entry)),
            )
        fn = entry.get("function") if isinstance(entry.get("function"), dict) else {}
        assert isinstance(fn, dict)
        if index not in calls:
            calls[index] = {
                "id": entry.get("id"),
                "type": entry.get("type"),
                "name": fn.get("name"),
                "arguments": "",
                "deltas": 0,
                "repeats": [],
            }
        else:
            for key, value in (("id", entry.get("id")), ("name", fn.get("name"))):
                if value:
                    calls[index]["repeats"].append((i, key, value))
        call = calls[index]
        call["deltas"] += 1
        if isinstance(fn.get("arguments"), str):
            call["arguments"] += fn["arguments"]
    return calls


def repeat_problem(index: int, call: dict[str, Any]) -> str:
    """What the first later delta of tool call ``index`` (of
    :func:`collect_stream_calls`) that carries its ``id`` or name again does to a
    client: the same value is appended to itself; another value is a second call sent
    under the same ``index``, merged into this one."""
    chunk, key, value = call["repeats"][0]
    if value == call[key]:
        return (
            f"chunk {chunk} repeats the {key} of tool call {index} ({value!r}); openai-python "
            f"and the @ai-sdk accumulators append it ({key} {call[key]!r} + {value!r})"
        )
    return (
        f"chunk {chunk} sends another {key}, {value!r}, under the index of tool call {index} "
        f"(whose {key} is {call[key]!r}): a second call on the same index, which openai-python "
        "and the @ai-sdk accumulators merge into the first (its "
        f"{key} becomes {call[key] + value!r}, the arguments run together)"
    )


def _calls_or_fail(x: Exchange) -> dict[int, dict[str, Any]]:
    calls = collect_stream_calls(x)
    if not calls:
        raise CheckFailure(
            "the upstream answered with functionCall parts, but the stream has no delta.tool_calls",
            excerpt=excerpt(x.body[:800]),
        )
    return calls


@check(
    "tools.stream_index",
    title="Streamed tool calls carry an integer index, distinct per call",
    severity=Severity.CRITICAL,
    source=A1,
    probes=("tool_calls_stream",),
    mode=Mode.CONTROLLED,
    features=("tools", "stream"),
)
def stream_index(x: Exchange) -> None:
    require_accepted(x, "a streamed request with tools and tool_choice 'auto'")
    confirm_upstream_success(x)
    calls = _calls_or_fail(x)
    expected = _upstream_call_count(x)
    if expected is not None and len(calls) != expected:
        raise CheckFailure(
            f"the upstream sent {expected} function calls, the stream has {len(calls)} "
            f"distinct tool_call index value(s) {sorted(calls)}; parallel calls were merged "
            "or dropped",
            excerpt=excerpt(x.body[:1200]),
        )


@check(
    "tools.stream_ids",
    title="Each streamed call's first delta has a unique id, type 'function' and the name; "
    "later deltas do not repeat them",
    severity=Severity.HIGH,
    source=(
        "https://github.com/THU-MAIC/OpenMAIC/issues/1556; "
        f"{OPENAI_PYTHON}lib/streaming/_deltas.py; "
        "docs/openai-wire.md#b1-chat-completion-objects-and-chunks"
    ),
    probes=("tool_calls_stream",),
    mode=Mode.CONTROLLED,
    features=("tools", "stream"),
)
def stream_ids(x: Exchange) -> None:
    calls = _calls_or_fail(x)
    ids = []
    for index, call in sorted(calls.items()):
        if not isinstance(call["id"], str) or not call["id"]:
            raise CheckFailure(f"the first delta of tool call {index} has no id")
        if call["type"] != "function":
            raise CheckFailure(f"the first delta of tool call {index} has type {call['type']!r}")
        if not isinstance(call["name"], str) or not call["name"]:
            raise CheckFailure(f"the first delta of tool call {index} has no function name")
        if call["repeats"]:
            raise CheckFailure(repeat_problem(index, call))
        ids.append(call["id"])
    if len(set(ids)) != len(ids):
        raise CheckFailure(f"tool call ids repeat: {ids}")


@check(
    "tools.stream_arguments",
    title="Each streamed call's arguments, concatenated, parse as a JSON object",
    severity=Severity.CRITICAL,
    source=A1,
    probes=("tool_calls_stream",),
    mode=Mode.CONTROLLED,
    features=("tools", "stream"),
)
def stream_arguments(x: Exchange) -> None:
    for index, call in sorted(_calls_or_fail(x).items()):
        try:
            value = json.loads(call["arguments"])
        except ValueError as exc:
            raise CheckFailure(
                f"tool call {index}'s arguments do not parse as JSON ({exc})",
                excerpt=excerpt(call["arguments"]),
            ) from None
        if not isinstance(value, dict):
            raise CheckFailure(
                f"tool call {index}'s arguments are JSON {type(value).__name__}, not an object",
                excerpt=excerpt(call["arguments"]),
            )


def _finish_reason_stream(x: Exchange) -> list[Any]:
    return [
        c.get("finish_reason")
        for chunk in chunks_of(x)
        for c in chunk.get("choices") or []
        if isinstance(c, dict) and c.get("index", 0) == 0 and c.get("finish_reason") is not None
    ]


@check(
    "tools.stream_finish_reason",
    title="A streamed answer with tool calls finishes with 'tool_calls'",
    severity=Severity.HIGH,
    source=(
        "https://github.com/googleapis/python-genai/issues/2868; "
        "docs/breakages.md#a2-wrong-or-missing-finish_reason"
    ),
    probes=("tool_calls_stream",),
    mode=Mode.CONTROLLED,
    features=("tools", "stream"),
)
def stream_finish_reason(x: Exchange) -> None:
    _calls_or_fail(x)
    reasons = _finish_reason_stream(x)
    if reasons != ["tool_calls"]:
        raise CheckFailure(
            f"finish_reason values {reasons}, expected exactly ['tool_calls']",
            excerpt=excerpt(x.body[-500:]),
            cause=TOOL_CALLS_STOP if reasons == ["stop"] else None,
        )


@check(
    "tools.call_shape",
    title="Unary tool calls: unique ids, type 'function', JSON-object arguments, "
    "finish_reason 'tool_calls'",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/api-reference/chat/object; "
        "https://github.com/camel-ai/camel/issues/3027"
    ),
    probes=("tool_calls",),
    mode=Mode.CONTROLLED,
    features=("tools",),
)
def call_shape(x: Exchange) -> None:
    require_accepted(x, "a request with tools and tool_choice 'auto'")
    confirm_upstream_success(x)
    body = json_object(x)
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    message = choice.get("message") if isinstance(choice, dict) else None
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    if not isinstance(calls, list) or not calls:
        raise CheckFailure(
            "the upstream answered with functionCall parts, but message.tool_calls is empty",
            excerpt=excerpt(x.body),
        )
    expected = _upstream_call_count(x)
    if expected is not None and len(calls) != expected:
        raise CheckFailure(
            f"the upstream sent {expected} function calls, message.tool_calls has {len(calls)}"
        )
    ids = []
    for i, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(fn, dict):
            raise CheckFailure(f"tool_calls[{i}] is not {{id, type, function}}")
        if not isinstance(call.get("id"), str) or not call["id"]:
            raise CheckFailure(f"tool_calls[{i}] has no id", excerpt=excerpt(json.dumps(call)))
        if call.get("type") != "function":
            raise CheckFailure(f"tool_calls[{i}].type is {call.get('type')!r}")
        try:
            args = json.loads(fn["arguments"])
        except (TypeError, ValueError, KeyError):
            raise CheckFailure(
                f"tool_calls[{i}].function.arguments is not a JSON string",
                excerpt=excerpt(json.dumps(call)),
            ) from None
        if not isinstance(args, dict):
            raise CheckFailure(f"tool_calls[{i}].function.arguments is not a JSON object")
        ids.append(call["id"])
    if len(set(ids)) != len(ids):
        raise CheckFailure(f"tool call ids repeat: {ids}")
    if choice.get("finish_reason") != "tool_calls":
        raise CheckFailure(
            f"finish_reason is {choice.get('finish_reason')!r}, expected 'tool_calls'",
            cause=TOOL_CALLS_STOP if choice.get("finish_reason") == "stop" else None,
        )


B6 = (
    "docs/breakages.md#b6-tools-without-parameters; "
    "https://github.com/BerriAI/litellm/issues/5055; "
    "https://github.com/vercel/ai/blob/main/packages/google/src/__fixtures__/"
    "google-stream-no-args-tool-call.chunks.txt; "
    "https://platform.openai.com/docs/api-reference/chat/object"
)


def fail_on_error_event(x: Exchange, what: str) -> None:
    """Raise :class:`CheckFailure` when the stream ``x`` carries an error object (an
    OpenAI-style error event) where ``what`` (e.g. "the call") should be: openai-python
    raises ``APIError`` on it. Does nothing for a stream without one."""
    errors = [c["error"] for c in chunks_of(x) if isinstance(c.get("error"), dict)]
    if errors:
        raise CheckFailure(
            f"streamed: the stream carries an error instead of {what} "
            f"({str(errors[0].get('message'))[:160]!r})",
            excerpt=excerpt(x.body, 600),
        )


def _no_args_call(x: Exchange, form: str) -> tuple[str, Any] | None:
    """``(name, arguments)`` of the first call of the answer, or ``None`` when there is
    no call; raises :class:`CheckFailure` for an error event in place of the call."""
    if form == "streamed":
        fail_on_error_event(x, "the call: every call of a tool without parameters fails")
        calls = collect_stream_calls(x)
        if not calls:
            return None
        first = calls[min(calls)]
        return str(first.get("name")), str(first.get("arguments"))
    body = json_object(x)
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    message = choice.get("message") if isinstance(choice, dict) else None
    calls_list = message.get("tool_calls") if isinstance(message, dict) else None
    if not isinstance(calls_list, list) or not calls_list or not isinstance(calls_list[0], dict):
        return None
    fn = calls_list[0].get("function")
    fn = fn if isinstance(fn, dict) else {}
    return str(fn.get("name")), fn.get("arguments")


def judge_call_without_args(x: Exchange, form: str, *, exact: bool = True) -> None:
    """Fail unless ``x`` (a 200 answer, ``form`` ``"unary"`` or ``"streamed"``) carries a
    call of ``get_current_time`` (:data:`conformance.probes.tooling.NO_ARGS_TOOL`) whose
    arguments parse to ``{}`` (``exact``; otherwise to any JSON object: a real model may
    fill in what the schema does not forbid). Raises :class:`CheckFailure` naming what
    the client got instead (docs/breakages.md B6)."""
    got = _no_args_call(x, form)
    if got is None:
        raise CheckFailure(
            f"{form}: the upstream called get_current_time (a functionCall without args), "
            "but the answer has no tool call",
            excerpt=excerpt(x.body, 600),
        )
    name, arguments = got
    if name != "get_current_time":
        raise CheckFailure(f"{form}: the call's name is {name!r}, not 'get_current_time'")
    value: Any = None
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except ValueError:
            value = None
    if value != {} and (exact or not isinstance(value, dict)):
        shown = (
            repr(arguments)
            if isinstance(arguments, str)
            else f"JSON {json.dumps(arguments)}, not a string"
        )
        raise CheckFailure(
            f"{form}: the call's arguments are {shown}, not '{{}}': clients that "
            "json.loads them (openai-agents, LangChain, the AI SDK) fail on a call that "
            "needs no arguments (OpenAI sends '{}')",
            excerpt=excerpt(x.body, 600),
        )


@check(
    "tools.call_without_args",
    title="A call of a tool without parameters (a functionCall with no args) arrives "
    "with arguments '{}', streamed and unary",
    severity=Severity.HIGH,
    source=B6,
    probes=("tool_call_no_args", "tool_call_no_args_stream"),
    mode=Mode.CONTROLLED,
    features=("tools",),
)
def call_without_args(unary: Exchange, stream: Exchange) -> None:
    for x, form in ((unary, "unary"), (stream, "streamed")):
        require_accepted(x, f"a {form} request declaring a tool without parameters")
        confirm_upstream_success(x)
        judge_call_without_args(x, form)
