"""Field mode: black-box checks on a real model's answers (docs/field-mode.md).

The probes (:mod:`conformance.probes.field`) drive a real model, with no mock directive,
to shapes that are certain although the words are not: a forced tool call, parallel
calls, thoughts, schema-valid JSON, two choices, a stop, a ``length`` finish, an image
answer, a long streamed list. These checks judge only those shapes, so any answer a
correct proxy can pass along from a real model passes. When the model disobeyed twice
(the session retries once, :data:`~conformance.probes.field.RETRY_UNLESS`) the check is
*undecided* with the reason, never *failed*.

They run black-box only: in controlled mode the scripted checks (``tools.*``,
``reasoning.*``, ``translate.*``, ``stream.not_buffered``) judge the same behaviour with
the mock's journal (``conformance.runner.FIELD_CONTROLLED``).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import jsonschema

from spec.profiles import get_profile

from ..exchange import Exchange
from ..probes.basic import thinks
from ..probes.field import (
    LIST_ITEMS,
    REASONING_DOORS,
    RETRY_UNLESS,
    STOP_STRING,
    STRUCTURED_SCHEMA,
    TOOL_SCHEMAS,
    answer_content,
    has_codename,
    legacy_function_calls,
)
from ..probes.params import CODENAME
from ..registry import CheckFailure, NotApplicable, Severity, Undecided, check, excerpt
from ._common import json_object, require_response, require_success, token_count
from ._refusals import refusal_origin, require_accepted
from .errors import check_envelope
from .reasoning import _TAGS, answer_texts
from .signatures import B1
from .stream import event_times
from .tools import (
    collect_stream_calls,
    fail_on_error_event,
    judge_call_without_args,
    repeat_problem,
)
from .translation import DEVELOPER_SOURCE

__all__ = [
    "attempts",
    "call_turn",
    "finish_reasons",
    "is_result_turn",
    "require_obeyed",
    "require_result_turn",
    "thought_markers",
]

_FIELD = "docs/field-mode.md"
_TOOLS_SOURCE = (
    "https://platform.openai.com/docs/api-reference/chat/create#chat-create-tool_choice; "
    "https://ai.google.dev/gemini-api/docs/function-calling#function_calling_modes; "
    f"docs/breakages.md#b5-tool_choice-ignored; {_FIELD}"
)
_A1 = (
    "https://github.com/openai/openai-python/issues/2806; "
    "https://github.com/THU-MAIC/OpenMAIC/issues/1556; "
    "docs/breakages.md#a1-tool-call-deltas-without-a-usable-index"
)
_LEAK = (
    "https://github.com/BerriAI/litellm/issues/10227; https://github.com/lijunzh/koda/issues/491; "
    "docs/breakages.md#c1-thoughts-in-content-or-in-a-field-nobody-reads"
)
_THINKING = "https://ai.google.dev/gemini-api/docs/openai#thinking"

# ----------------------------------------------------------------------- turns


def is_result_turn(x: Exchange) -> bool:
    """Whether ``x`` is a tool-result turn (its messages carry a ``tool`` message)."""
    body = x.request.json_body
    messages = body.get("messages") if isinstance(body, dict) else None
    return any(isinstance(m, dict) and m.get("role") == "tool" for m in messages or [])


def attempts(x: Exchange) -> list[Exchange]:
    """The attempts at the probe's first turn, oldest first: one, or two when the model
    disobeyed and the session retried (``Exchange.previous``); tool-result turns left
    out."""
    return [t for t in (*x.previous, x) if not is_result_turn(t)]


def call_turn(x: Exchange) -> Exchange:
    """The last attempt at the probe's first turn (the one a tool-result turn follows)."""
    return attempts(x)[-1]


def require_result_turn(x: Exchange) -> None:
    """Nothing when ``x`` is the tool-result turn (:func:`is_result_turn`); else skipped
    when the first turn's call came as the legacy ``function_call`` (no second turn is
    built from it; ``field.tool_call_forced`` reports it), undecided otherwise."""
    if is_result_turn(x):
        return
    if legacy_function_calls(call_turn(x)):
        raise NotApplicable(
            "the first turn's call came as the legacy function_call: no tool-result turn "
            "follows (field.tool_call_forced reports it)"
        )
    raise Undecided("the first turn's calls could not be assembled into a second turn")


def require_obeyed(x: Exchange) -> Exchange:
    """The last attempt when the model did what the probe asked; :class:`Undecided`
    with the reason when it disobeyed every attempt (a real model may, a proxy cannot
    be blamed). A non-200 is returned as it is: the caller judges the status."""
    turn = call_turn(x)
    disobeyed = RETRY_UNLESS.get(x.probe)
    if disobeyed is None or turn.status != 200:
        return turn
    why = disobeyed(turn)
    if why is None:
        return turn
    tries = len(attempts(x))
    raise Undecided(
        f"the model did not do what the prompt asked in {tries} attempt(s) ({why}); a real "
        "model may disobey, so nothing is concluded about the proxy"
    )


def finish_reasons(x: Exchange) -> list[str]:
    """The non-null ``finish_reason`` values of choice 0: one for a unary answer, every
    one the stream sent for a stream (a correct stream sends exactly one)."""
    if x.content_type == "text/event-stream":
        return [
            str(c.get("finish_reason"))
            for chunk in x.sse.chunks
            for c in chunk.get("choices") or []
            if isinstance(c, dict) and c.get("index", 0) == 0 and c.get("finish_reason") is not None
        ]
    choices = json_object(x).get("choices")
    first = choices[0] if isinstance(choices, list) and choices else {}
    reason = first.get("finish_reason") if isinstance(first, dict) else None
    return [] if reason is None else [str(reason)]


def _unary_calls(x: Exchange) -> list[Any]:
    choices = json_object(x).get("choices")
    first = choices[0] if isinstance(choices, list) and choices else {}
    message = first.get("message") if isinstance(first, dict) else None
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    return calls if isinstance(calls, list) else []


def _calls(x: Exchange) -> list[dict[str, Any]]:
    """``{"id", "type", "name", "arguments"}`` per call of a 200 answer, as a client
    assembles them (streamed: by ``index``, openai-python's way)."""
    if x.content_type == "text/event-stream":
        try:
            assembled = collect_stream_calls(x)
        except CheckFailure as failure:  # one defect, one check
            raise NotApplicable(f"{failure.message}; field.tool_stream_index reports it") from None
        return [
            {k: call[k] for k in ("id", "type", "name", "arguments")}
            for _, call in sorted(assembled.items())
        ]
    out = []
    for i, call in enumerate(_unary_calls(x)):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(fn, dict):
            raise CheckFailure(
                f"tool_calls[{i}] is not {{id, type, function}}", excerpt=excerpt(json.dumps(call))
            )
        out.append(
            {
                "id": call.get("id"),
                "type": call.get("type"),
                "name": fn.get("name"),
                "arguments": fn.get("arguments"),
            }
        )
    return out


def _require_not_legacy(turn: Exchange, calls: Any) -> None:
    """Fail a call turn whose calls came as the legacy ``function_call`` alone."""
    legacy = legacy_function_calls(turn)
    if legacy and not calls:
        raise CheckFailure(
            f"the model called {', '.join(legacy)}, and the answer carries it as the legacy "
            "`function_call` (finish_reason 'function_call'), not `tool_calls`: a client "
            "that sent `tools` reads tool_calls and sees no call (the OpenAI SDKs, the AI "
            "SDK, LangChain), and one function_call cannot hold parallel calls",
            excerpt=excerpt(turn.body[:800]),
            cause="tool calls answered as the legacy function_call",
        )


def _forced_calls(x: Exchange) -> tuple[Exchange, list[dict[str, Any]]]:
    """The call turn and its calls. The forced choice refused is a failure; a model that
    made no call in either attempt is undecided (:func:`require_obeyed`)."""
    turn = require_obeyed(x)
    body = turn.request.json_body if isinstance(turn.request.json_body, dict) else {}
    require_accepted(turn, f"tool_choice {json.dumps(body.get('tool_choice'))}")
    calls = _calls(turn)
    _require_not_legacy(turn, calls)
    if not calls:  # RETRY_UNLESS read it more leniently than a client does
        raise CheckFailure(
            "the answer has tool call entries no client assembles into a call",
            excerpt=excerpt(turn.body[:800]),
        )
    return turn, calls


# ------------------------------------------------------------------- tool checks

_TOOL_PROBES = ("field_tool_named",)
_TOOL_ALSO = ("field_tool_required_stream", "field_parallel_stream")


@check(
    "field.tool_call_forced",
    title="A forced tool call (tool_choice named or 'required') reaches the client as "
    "tool_calls: an id, type 'function', the declared name (the one named)",
    severity=Severity.HIGH,
    source=_TOOLS_SOURCE,
    probes=_TOOL_PROBES,
    also=_TOOL_ALSO,
    features=("tools",),
)
def tool_call_forced(x: Exchange) -> None:
    turn, calls = _forced_calls(x)
    choice = turn.request.json_body.get("tool_choice")
    named = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    ids = []
    for i, call in enumerate(calls):
        if not isinstance(call["id"], str) or not call["id"]:
            raise CheckFailure(f"tool call {i} has no id", excerpt=excerpt(json.dumps(call)))
        if call["type"] != "function":
            raise CheckFailure(f"tool call {i} has type {call['type']!r}, not 'function'")
        if call["name"] not in TOOL_SCHEMAS:
            raise CheckFailure(
                f"tool call {i} names {call['name']!r}, not a declared tool "
                f"({', '.join(TOOL_SCHEMAS)})",
                excerpt=excerpt(json.dumps(call)),
            )
        if named and call["name"] != named:
            raise CheckFailure(
                f"tool_choice named {named!r}, the call names {call['name']!r}: the forced "
                "choice did not reach the model"
            )
        ids.append(call["id"])
    if len(set(ids)) != len(ids):
        raise CheckFailure(f"tool call ids repeat within one answer: {ids}")


@check(
    "field.tool_arguments_schema",
    title="Tool-call arguments are a JSON object that validates against the declared "
    "parameters schema (unary and streamed, assembled as clients do)",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/guides/function-calling; "
        "https://json-schema.org/draft/2020-12/json-schema-validation; " + _FIELD
    ),
    probes=_TOOL_PROBES,
    also=_TOOL_ALSO,
    features=("tools",),
)
def tool_arguments_schema(x: Exchange) -> None:
    _, calls = _forced_calls(x)
    for i, call in enumerate(calls):
        raw = call["arguments"]
        try:
            args = json.loads(raw) if isinstance(raw, str) else None
        except ValueError as exc:
            raise CheckFailure(
                f"tool call {i} ({call['name']}): arguments do not parse as JSON ({exc}); "
                "clients raise on json.loads(arguments)",
                excerpt=excerpt(str(raw)),
            ) from None
        if not isinstance(args, dict):
            raise CheckFailure(
                f"tool call {i} ({call['name']}): arguments are {type(raw).__name__} "
                f"{str(raw)[:80]!r}, not a JSON object in a string"
            )
        schema = TOOL_SCHEMAS.get(str(call["name"]))
        if schema is None:
            continue  # an undeclared name is field.tool_call_forced's failure
        problems = sorted(jsonschema.Draft202012Validator(schema).iter_errors(args), key=str)
        if problems:
            raise CheckFailure(
                f"tool call {i} ({call['name']}): arguments {json.dumps(args)} do not validate "
                f"against the declared schema: {problems[0].message}",
                excerpt=excerpt(json.dumps(args)),
            )


@check(
    "field.tool_finish_reason",
    title="An answer with tool calls finishes with 'tool_calls' (unary and streamed; "
    "one finish_reason per stream)",
    severity=Severity.HIGH,
    source=(
        "https://github.com/googleapis/python-genai/issues/2868; "
        "docs/breakages.md#a2-wrong-or-missing-finish_reason"
    ),
    probes=_TOOL_PROBES,
    also=_TOOL_ALSO,
    features=("tools",),
)
def tool_finish_reason(x: Exchange) -> None:
    turn, _ = _forced_calls(x)
    reasons = finish_reasons(turn)
    if reasons != ["tool_calls"]:
        raise CheckFailure(
            f"finish_reason values {reasons}, expected exactly ['tool_calls']; agent loops "
            "that branch on finish_reason stop instead of running the tools",
            excerpt=excerpt(turn.body[-500:]),
        )


@check(
    "field.tool_call_without_args",
    title="A forced call of a tool without parameters reaches the client as one call whose "
    "arguments parse as a JSON object, unary and streamed",
    severity=Severity.HIGH,
    source=(
        "docs/breakages.md#b6-tools-without-parameters; "
        "https://github.com/BerriAI/litellm/issues/5055; " + _FIELD
    ),
    probes=("field_tool_no_args", "field_tool_no_args_stream"),
    features=("tools",),
)
def tool_call_without_args(unary: Exchange, stream: Exchange) -> None:
    for x, form in ((unary, "unary"), (stream, "streamed")):
        turn = call_turn(x)
        require_accepted(turn, f"a {form} request whose one tool takes no parameters")
        if form == "streamed":  # an error event is the proxy's, not a disobedient model
            fail_on_error_event(turn, "the call: every call of a tool without parameters fails")
        judge_call_without_args(require_obeyed(x), form, exact=False)


@check(
    "field.developer_role",
    title="A developer message reaches a real model: the answer names the codename only "
    "that message gives",
    severity=Severity.HIGH,
    source=f"{DEVELOPER_SOURCE}; {_FIELD}",
    probes=("field_developer_role",),
    features=("chat",),
)
def developer_role(x: Exchange) -> None:
    turn = call_turn(x)
    require_accepted(turn, "a request with a developer message")
    content = answer_content(turn)
    if not has_codename(content):
        tries = len(attempts(x))
        raise CheckFailure(
            f"the developer message says the codename is {CODENAME}; the answer does not "
            f"name it in {tries} attempt(s) ({content[:80]!r}): the message never reached "
            "the model, and clients that send their instructions as developer messages "
            "(Codex, the OpenAI Agents SDK) run without them",
            excerpt=excerpt(turn.body[:600]),
        )


@check(
    "field.tool_stream_index",
    title="Streamed tool calls from a real model carry an integer index, one per call",
    severity=Severity.CRITICAL,
    source=_A1,
    probes=("field_tool_required_stream",),
    also=("field_parallel_stream",),
    features=("tools", "stream"),
)
def tool_stream_index(x: Exchange) -> None:
    turn = require_obeyed(x)
    require_success(turn)
    calls = collect_stream_calls(turn)  # fails on an entry without an integer index
    if not calls:
        raise CheckFailure(
            "the forced call's tool_calls deltas assemble into no call",
            excerpt=excerpt(turn.body[:800]),
        )


@check(
    "field.tool_stream_ids",
    title="Each streamed call's first delta has the id, type 'function' and the name; later "
    "deltas do not repeat them (openai-python concatenates repeats)",
    severity=Severity.HIGH,
    source=_A1
    + "; https://github.com/openai/openai-python/blob/v3.63.0/src/openai/lib/streaming/_deltas.py",
    probes=("field_tool_required_stream",),
    also=("field_parallel_stream",),
    features=("tools", "stream"),
)
def tool_stream_ids(x: Exchange) -> None:
    turn = require_obeyed(x)
    require_success(turn)
    calls = collect_stream_calls(turn)
    for index, call in sorted(calls.items()):
        if not isinstance(call["id"], str) or not call["id"]:
            raise CheckFailure(f"the first delta of tool call {index} has no id")
        if call["type"] != "function":
            raise CheckFailure(f"the first delta of tool call {index} has type {call['type']!r}")
        if not isinstance(call["name"], str) or not call["name"]:
            raise CheckFailure(f"the first delta of tool call {index} has no function.name")
        if call["repeats"]:
            raise CheckFailure(repeat_problem(index, call))


@check(
    "field.gemini3_signature_round_trip",
    title="Gemini 3: a real model's tool call answered with the assistant turn sent back as "
    "received is accepted (its thought signature survives the proxy)",
    severity=Severity.HIGH,
    source=B1 + "; docs/breakages.md#b1-gemini-3-thought-signatures-lost; " + _FIELD,
    probes=("field_tool_gemini3",),
    features=("tools",),
)
def gemini3_signature_round_trip(x: Exchange) -> str:
    """Gemini 3 refuses (HTTP 400) a history whose function call lost its thought
    signature; the client here sends back ``choices[0].message`` as received, the way
    openai-python's users do, so only the proxy can have lost it. A busy upstream (429,
    503) or a model that made no call twice is undecided; a first turn the proxy refuses
    (it may not serve Gemini 3) is not applicable."""
    turn = require_obeyed(x)
    body = turn.request.json_body
    model = body.get("model") if isinstance(body, dict) else None
    status = require_response(turn)
    if status in (429, 503):
        raise Undecided(f"the first turn on {model!r} got HTTP {status}: the upstream was busy")
    if 400 <= status < 500:
        raise NotApplicable(
            f"the first turn on {model!r} got HTTP {status}{refusal_origin(turn)}: the proxy "
            "does not serve this model for tool calls"
        )
    require_accepted(turn, f"a tool call on {model!r}")
    require_result_turn(x)
    status = require_response(x)
    if status == 200:
        return f"the tool results on {model!r} were answered"
    lost = b"thought_signature" in x.body or b"thought signature" in x.body.lower()
    if status in (429, 503) and not lost:
        raise Undecided(
            f"the tool-result turn on {model!r} got HTTP {status}: the upstream was busy"
        )
    raise CheckFailure(
        f"the tool results on {model!r}, with the assistant turn sent back as received, got "
        f"HTTP {status}{' (the thought signature was lost)' if lost else ''}"
        f"{refusal_origin(x)}; every agent loop on Gemini 3 stops here",
        excerpt=excerpt(x.body, 400),
    )


@check(
    "field.parallel_tool_calls",
    title="Parallel calls asked for (two lookups, parallel_tool_calls true) arrive as "
    "separate calls with distinct ids and indexes",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/guides/function-calling#parallel-function-calling; "
        "https://ai.google.dev/gemini-api/docs/function-calling#parallel_function_calling; " + _A1
    ),
    probes=("field_parallel_stream",),
    features=("tools", "stream"),
)
def parallel_tool_calls(x: Exchange) -> str:
    turn = require_obeyed(x)
    require_accepted(turn, "parallel_tool_calls true with tool_choice 'required'")
    calls = collect_stream_calls(turn)
    _require_not_legacy(turn, calls)
    ids = [c["id"] for c in calls.values()]
    if len(calls) < 2:  # RETRY_UNLESS counted more leniently: entries merged into one
        raise CheckFailure(
            f"the stream's tool_calls deltas assemble into {len(calls)} call(s), although "
            "they carry several calls (ids or names)",
            excerpt=excerpt(turn.body[:1200]),
        )
    if len(set(ids)) != len(ids):
        raise CheckFailure(f"parallel calls share ids: {ids}; results attach to the wrong call")
    names = [c["name"] for c in calls.values()]
    return f"{len(calls)} calls at indexes {sorted(calls)}: {', '.join(map(str, names))}"


@check(
    "field.tool_result_turn",
    title="The tool-result turn (the assistant message with the calls, then tool messages) "
    "is accepted and answered with text",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/guides/function-calling; "
        "https://ai.google.dev/gemini-api/docs/thought-signatures; "
        "docs/breakages.md#b3-tool-results-mapped-to-the-wrong-function"
    ),
    probes=_TOOL_PROBES,
    also=("field_tool_required_stream",),
    features=("tools",),
)
def tool_result_turn(x: Exchange) -> None:
    turn = require_obeyed(x)
    if turn.status != 200:
        raise NotApplicable(f"the first turn got HTTP {turn.status}; field.tool_call_forced")
    require_result_turn(x)
    require_accepted(x, "the tool results sent back with the assistant turn as received")
    text = answer_content(x)
    if not text.strip():
        if _calls(x):
            raise Undecided(
                "the model answered the tool results with another call instead of text; "
                "nothing is concluded"
            )
        raise CheckFailure(
            "the tool-result turn got HTTP 200 without text or a call",
            excerpt=excerpt(x.body[:800]),
        )


# ---------------------------------------------------------------------- reasoning

_DOOR_PROBES = tuple(REASONING_DOORS)


def _markers() -> tuple[tuple[re.Pattern[str], str], ...]:
    tags = "|".join(re.escape(t.strip("<>")) for t in _TAGS)
    return (
        (re.compile(rf"</?(?:{tags})>", re.I), "carries <think>-style tags"),
        (re.compile(r"\n\n\|>"), "joins thoughts and answer with '\\n\\n|>'"),
        (
            re.compile(r"\A\W{0,4}(?:thinking|thoughts?)\s*(?:\.\.\.|…|:)", re.I),
            "opens with a 'Thinking...' preamble",
        ),
    )


MARKERS = _markers()
"""Thought markers a correct answer's ``content`` never has: ``<think>``/``<thought>``/
``<thinking>`` tags (``conformance.checks.reasoning``'s list), the ``\\n\\n|>`` join and a
``Thinking...`` preamble some proxies use to fold thoughts into ``content``."""


def thought_markers(content: str) -> str | None:
    """How ``content`` shows folded-in thoughts (a message), or ``None``. Pure; judges
    markers only, never words, so a real model's answer to the door prompt passes."""
    for pattern, what in MARKERS:
        if pattern.search(content):
            return f"content {what}: the model's thoughts leak into the answer"
    return None


@check(
    "field.no_thought_markers",
    title="No thought markers in `content` when a real model thinks (<think> tags, "
    "'|>' joins, 'Thinking...' preambles), through every reasoning door",
    severity=Severity.CRITICAL,
    source=_LEAK + "; " + _THINKING,
    probes=(_DOOR_PROBES[0],),
    also=_DOOR_PROBES[1:],
    features=("chat",),
)
def no_thought_markers(x: Exchange) -> None:
    require_success(x)
    content, _, _ = answer_texts(x)
    leak = thought_markers(content)
    if leak:
        raise CheckFailure(f"{leak} (door: {REASONING_DOORS[x.probe]})", excerpt=excerpt(content))


@check(
    "field.reasoning_effort_accepted",
    title="reasoning_effort, a plain OpenAI field, is accepted on a thinking model "
    "(unary and streamed)",
    severity=Severity.HIGH,
    source=_THINKING + "; https://platform.openai.com/docs/api-reference/chat/create",
    probes=("field_think_effort",),
    also=("field_think_effort_stream",),
    features=("chat",),
)
def reasoning_effort_accepted(x: Exchange) -> None:
    require_accepted(x, "reasoning_effort 'low'")


def _reasoning_tokens(x: Exchange) -> tuple[int, str]:
    """The thought tokens an answer's usage shows were billed, and how it shows them:
    ``usage.completion_tokens_details.reasoning_tokens``, else the gap of a
    ``total_tokens`` above ``prompt_tokens + completion_tokens`` (Gemini's total counts
    the thoughts; a proxy that leaves them out of ``completion_tokens`` keeps them there,
    and a door probe sends no tools whose prompt tokens could fill the gap). ``(0, "")``
    when neither shows any."""
    found, how = 0, ""
    try:
        if x.content_type == "text/event-stream":
            usages = [c.get("usage") for c in x.sse.chunks]
        else:
            body = x.json()
            usages = [body.get("usage")] if isinstance(body, dict) else []
    except ValueError:
        return 0, ""
    for usage in usages:
        if not isinstance(usage, dict):
            continue
        details = usage.get("completion_tokens_details")
        count = token_count(details.get("reasoning_tokens")) if isinstance(details, dict) else None
        if count is not None and count > found:
            found, how = count, "reasoning tokens billed"
            continue
        keys = ("total_tokens", "prompt_tokens", "completion_tokens")
        total, prompt, completion = (token_count(usage.get(k)) for k in keys)
        if total is not None and prompt is not None and completion is not None:
            gap = total - prompt - completion
            if gap > found:
                found, how = gap, "total_tokens above prompt + completion: thought tokens"
    return found, how


def _door_state(x: Exchange) -> tuple[str, bool]:
    """``(state, thought)`` at one door: ``refused`` (HTTP status), ``thoughts`` (in
    ``reasoning_content``), ``misplaced`` (only in ``reasoning``), ``none``; ``thought``
    when the answer shows the model thought (thought text, or reasoning tokens billed).
    A model that thinks by name is not enough: it may decide not to think."""
    if x.status is None:
        return "no response", False
    if x.status != 200:
        return f"refused (HTTP {x.status})", False
    try:
        _, reasoning_content, reasoning = answer_texts(x)
    except (CheckFailure, NotApplicable):
        return "unreadable", False
    if reasoning_content.strip():
        return "thoughts", True
    if reasoning.strip():
        return "misplaced", True
    billed, how = _reasoning_tokens(x)
    return ("none" if not billed else f"none ({billed} {how})"), billed > 0


@check(
    "field.reasoning_content",
    title="A real model's thoughts reach the client in `reasoning_content` through at "
    "least one door (reasoning_effort, Google's extra_body, a thinking model by name)",
    severity=Severity.HIGH,
    source=(
        "https://api-docs.deepseek.com/guides/reasoning_model; "
        "docs/openai-wire.md#b5-reasoning-fields; " + _THINKING
    ),
    probes=_DOOR_PROBES,
    features=("chat", "reasoning"),
)
def reasoning_content(*doors: Exchange) -> str:
    """Passes when a door brings the thoughts to ``reasoning_content``. Fails when none
    does although an answer's usage shows the model thought (``reasoning_tokens``, or a
    ``total_tokens`` above ``prompt_tokens + completion_tokens``) and the profile claims
    ``reasoning``, or when thoughts arrive only in ``reasoning``.
    Undecided when no door shows thoughts and nothing shows the model thought (a model
    that thinks by name may decide not to)."""
    states = {x.probe: _door_state(x) for x in doors}
    summary = "; ".join(f"{REASONING_DOORS[p]}: {s}" for p, (s, _) in states.items())
    if any(s == "thoughts" for s, _ in states.values()):
        return summary
    if any(s == "misplaced" for s, _ in states.values()):
        raise CheckFailure(
            "the thoughts arrive in `reasoning`, never in `reasoning_content`, which Open "
            f"WebUI, Cherry Studio, opencode and LibreChat read: {summary}"
        )
    if not get_profile(doors[0].profile).features >= {"reasoning"}:
        raise NotApplicable(f"the profile does not claim reasoning: {summary}")
    if any(thought for _, thought in states.values()):
        raise CheckFailure(
            "the model thought (its usage bills thought tokens), yet no door brings its thoughts "
            f"to the client: {summary}"
        )
    body = doors[0].request.json_body
    model = body.get("model") if isinstance(body, dict) else None
    by_name = " although it thinks by name" if thinks(str(model or "")) else ""
    raise Undecided(
        f"no door shows thoughts and no answer bills reasoning tokens for {model!r}{by_name}: "
        f"{summary}"
    )


# ------------------------------------------------------------ shapes of the answer


@check(
    "field.structured_output",
    title="response_format json_schema: the answer is JSON that validates against the schema",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/guides/structured-outputs; "
        "https://ai.google.dev/gemini-api/docs/structured-output; "
        "docs/breakages.md#f4-response_format-dropped"
    ),
    probes=("field_structured",),
    features=("chat",),
)
def structured_output(x: Exchange) -> None:
    require_accepted(x, "response_format json_schema")
    content = answer_content(x)
    try:
        value = json.loads(content)
    except ValueError as exc:
        raise CheckFailure(
            f"the answer to a json_schema response_format is not JSON ({exc}); the SDK's "
            "parse() and every json.loads(content) raise",
            excerpt=excerpt(content),
        ) from None
    problems = sorted(
        jsonschema.Draft202012Validator(STRUCTURED_SCHEMA).iter_errors(value), key=str
    )
    if problems:
        raise CheckFailure(
            f"the answer does not validate against the requested schema: {problems[0].message}",
            excerpt=excerpt(content),
        )


@check(
    "field.n_choices",
    title="n: 2 gives two choices indexed 0 and 1 (or a clear 400)",
    severity=Severity.MEDIUM,
    source=(
        "https://platform.openai.com/docs/api-reference/chat/create#chat-create-n; "
        "https://github.com/songquanpeng/one-api/issues/2209; "
        "docs/breakages.md#f8-several-choices-n-dropped"
    ),
    probes=("field_n",),
    features=("chat",),
)
def n_choices(x: Exchange) -> None:
    status = require_response(x)
    if status == 400:
        check_envelope(x)  # refusing n > 1 clearly is acceptable
        return
    require_accepted(x, "n: 2")
    raw = json_object(x).get("choices")
    choices = [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
    indexes = [c.get("index") for c in choices]
    if sorted(map(str, indexes)) != ["0", "1"] or not all(type(i) is int for i in indexes):
        raise CheckFailure(
            f"n: 2 gave choices with indexes {indexes}, expected [0, 1]",
            excerpt=excerpt(x.body[:800]),
        )
    for c in choices:
        message = c.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise CheckFailure(f"choice {c.get('index')} has no message content")


@check(
    "field.stop_sequence",
    title="stop: the answer ends before the stop string, which it never contains, and "
    "finishes with 'stop'",
    severity=Severity.MEDIUM,
    source=(
        "https://platform.openai.com/docs/api-reference/chat/create#chat-create-stop; "
        "https://ai.google.dev/api/generate-content#generationconfig; "
        "docs/breakages.md#f5-stop-sequences"
    ),
    probes=("field_stop",),
    features=("chat",),
)
def stop_sequence(x: Exchange) -> None:
    turn = require_obeyed(x)
    require_accepted(turn, f"stop [{STOP_STRING!r}]")
    content = answer_content(turn)
    if STOP_STRING in content:
        raise CheckFailure(
            f"the answer contains the stop string {STOP_STRING!r}: the stop was not applied",
            excerpt=excerpt(content),
        )
    reasons = finish_reasons(turn)
    if reasons != ["stop"]:
        raise CheckFailure(f"finish_reason {reasons}, expected ['stop'] at a stop sequence")


_LENGTH_SOURCE = (
    "https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices; "
    "https://ai.google.dev/api/generate-content#FinishReason; "
    "docs/breakages.md#f2-max_completion_tokens-ignored"
)


UNCAPPED_WORDS = 8
"""More words than this in an answer capped at 5 tokens: the cap never reached Gemini (a
word is at least one token; the margin is for tokenizers that merge punctuation)."""


def _capped(x: Exchange, field: str) -> None:
    """Fail unless ``x`` (a 300-word story asked with ``field`` 5) finishes with
    ``length``."""
    require_accepted(x, f"{field} 5")
    reasons = finish_reasons(x)
    if reasons != ["length"]:
        content = answer_content(x)
        words = len(content.split())
        if words > UNCAPPED_WORDS:  # five tokens are a few words at most
            raise CheckFailure(
                f"{field} 5: the cap did not take effect: the 300-word story came back with "
                f"{words} words and finish_reason {reasons} (the proxy dropped {field} or "
                "did not pass it on as maxOutputTokens); clients that cap an answer to bound "
                "its cost or length get the whole of it",
                excerpt=excerpt(content[:300]),
            )
        raise CheckFailure(
            f"{field} 5: finish_reason {reasons} for a 300-word story capped at 5 tokens "
            f"({len(content)} characters of content), expected ['length']: clients that "
            "continue a cut answer (or warn about it) take it as complete",
            excerpt=excerpt(content[:300]),
        )


@check(
    "field.length_finish",
    title="max_completion_tokens 5 on a long answer finishes with 'length'",
    severity=Severity.HIGH,
    source=_LENGTH_SOURCE,
    probes=("field_length",),
    features=("chat",),
)
def length_finish(x: Exchange) -> None:
    _capped(x, "max_completion_tokens")


@check(
    "field.max_tokens_finish",
    title="max_tokens 5 (the older name, which most clients still send) on a long answer "
    "finishes with 'length'",
    severity=Severity.HIGH,
    source=(
        "https://github.com/router-for-me/CLIProxyAPI/issues/4108; "
        "https://platform.openai.com/docs/api-reference/chat/create#chat-create-max_tokens; "
        + _LENGTH_SOURCE
    ),
    probes=("field_length_max_tokens",),
    features=("chat",),
)
def max_tokens_finish(x: Exchange) -> None:
    _capped(x, "max_tokens")


@check(
    "field.image_input",
    title="An image as a data URL is accepted and answered",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/guides/images-vision; "
        "https://ai.google.dev/gemini-api/docs/openai#image-understanding; "
        "docs/breakages.md#f7-image-urls-not-converted"
    ),
    probes=("field_image",),
    features=("chat",),
)
def image_input(x: Exchange) -> None:
    require_accepted(x, "a user message with a data-URL PNG")
    if not answer_content(x).strip():
        raise CheckFailure(
            "the image question got HTTP 200 with no text", excerpt=excerpt(x.body[:600])
        )


MIN_SPREAD_MS = 30.0
"""Content chunks of a real model's long answer arriving all within this many
milliseconds were held back and sent in one burst (a real model takes far longer to
write a list of :data:`~conformance.probes.field.LIST_ITEMS` items)."""


@check(
    "field.stream_not_buffered",
    title=f"A naturally long streamed answer (a list of {LIST_ITEMS} items) reaches the "
    "client in chunks spread over time, not in one burst",
    severity=Severity.HIGH,
    source=(
        "https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffering; "
        "docs/breakages.md#a7-framing-crlf-split-and-merged-writes-buffering"
    ),
    probes=("field_long_stream",),
    features=("stream",),
)
def stream_not_buffered(x: Exchange) -> str:
    turn = require_obeyed(x)
    require_success(turn)
    encoding = (turn.header("content-encoding") or "identity").lower()
    if encoding not in ("identity", ""):
        raise CheckFailure(
            f"the stream is sent with Content-Encoding: {encoding}; compressors buffer "
            "chunks, so tokens arrive in bursts"
        )
    content = [
        at
        for at, chunk in event_times(turn)
        for c in chunk.get("choices") or []
        if isinstance(c, dict) and isinstance(c.get("delta"), dict) and c["delta"].get("content")
    ]
    if len(content) == 1:
        raise CheckFailure(
            f"the whole {LIST_ITEMS}-item list arrived in one content chunk: the proxy "
            "waits for the model's whole answer (or buffers the stream) before sending it",
            excerpt=excerpt(turn.body[:600]),
        )
    spread_ms = (content[-1] - content[0]) * 1000
    if spread_ms < MIN_SPREAD_MS:
        raise CheckFailure(
            f"all {len(content)} content chunks of a {LIST_ITEMS}-item list arrived within "
            f"{spread_ms:.0f} ms: the proxy holds the stream back and sends it in one burst",
            excerpt=excerpt(turn.body[:600]),
        )
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(content)]
    return f"{len(content)} content chunks over {spread_ms:.0f} ms, largest gap {max(gaps):.0f} ms"
