"""Reasoning: Gemini thought parts must reach clients as ``reasoning_content`` and never
leak into ``content`` (docs/breakages.md C1; docs/openai-wire.md B5)."""

from __future__ import annotations

import json
from typing import Any

from spec.profiles import get_profile

from ..exchange import Exchange
from ..probes.basic import DOORS, STANDARD_DOORS
from ..registry import CheckFailure, Mode, NotApplicable, Severity, Undecided, check, excerpt
from ._common import chunks_of, json_object, require_response, require_success
from ._refusals import require_accepted, stream_refusal
from .upstream import confirm_upstream_success, generation_config, normalise, upstream_answer

__all__ = ["answer_texts", "door_of"]

_LEAK_SOURCE = (
    "https://github.com/BerriAI/litellm/issues/10227; https://github.com/lijunzh/koda/issues/491; "
    "docs/breakages.md#c1-thoughts-in-content-or-in-a-field-nobody-reads"
)
_DOORS_SOURCE = (
    "https://ai.google.dev/gemini-api/docs/openai#thinking; "
    "https://ai.google.dev/gemini-api/docs/thinking"
)


def answer_texts(x: Exchange) -> tuple[str, str, str]:
    """``(content, reasoning_content, reasoning)`` of the first choice, for a unary body
    or a stream (deltas concatenated). Missing fields give ``""``."""
    if x.content_type == "text/event-stream":
        parts: dict[str, list[str]] = {"content": [], "reasoning_content": [], "reasoning": []}
        for chunk in chunks_of(x):
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") if isinstance(choice, dict) else None
                if not isinstance(delta, dict) or choice.get("index", 0) != 0:
                    continue
                for key, bucket in parts.items():
                    if isinstance(delta.get(key), str):
                        bucket.append(delta[key])
        return tuple("".join(parts[k]) for k in ("content", "reasoning_content", "reasoning"))  # type: ignore[return-value]
    require_success(x)
    body = json_object(x)
    choices = body.get("choices")
    message: Any = choices[0].get("message") if isinstance(choices, list) and choices else {}
    message = message if isinstance(message, dict) else {}
    return tuple(  # type: ignore[return-value]
        message.get(k) if isinstance(message.get(k), str) else ""
        for k in ("content", "reasoning_content", "reasoning")
    )


def door_of(x: Exchange) -> str:
    """The door ``x``'s probe asked for reasoning through (:data:`DOORS`), for messages."""
    door = DOORS.get(x.probe.removesuffix("_stream"), "")
    if x.probe.startswith("thoughts_model"):
        body = x.request.json_body if isinstance(x.request.json_body, dict) else {}
        door = f"{door}: {body.get('model')!r}"
    return door


def _at_door(x: Exchange) -> str:
    """``" (door: ...)"`` for a door probe other than ``reasoning_effort``, else ``""``."""
    return (
        f" (door: {door_of(x)})"
        if x.probe.startswith(("thoughts_google", "thoughts_model"))
        else ""
    )


def _thoughts(x: Exchange) -> str:
    thoughts = upstream_answer(x).get("thoughts")
    if not isinstance(thoughts, str) or not thoughts.strip():
        raise NotApplicable(
            "the upstream sent no thought text: the proxy did not ask Gemini for "
            f"includeThoughts through this door ({door_of(x) or x.probe}); reasoning.doors "
            "reports the doors it honours"
        )
    return thoughts


def _fragments(thoughts: str) -> list[str]:
    """Pieces of the thought text long enough that finding one in ``content`` is a leak."""
    pieces = [normalise(p) for p in thoughts.replace("\n", ".").split(".")]
    return [p for p in pieces if len(p) >= 16] or [normalise(thoughts)]


_TAGS = ("<thought>", "<think>", "<thinking>")


def _leak(content: str, thoughts: str) -> str | None:
    """How ``content`` leaks ``thoughts`` (a message), or ``None``."""
    for tag in _TAGS:
        if tag in content:
            return f"content carries {tag} tags: the thoughts leak into the answer"
    flat = normalise(content)
    leaked = [f for f in _fragments(thoughts) if f in flat]
    if leaked:
        return (
            "the upstream's thought text appears in `content`; clients show the model's "
            f"private reasoning as the answer (e.g. {leaked[0][:80]!r})"
        )
    return None


def _check_no_leak(x: Exchange) -> None:
    require_success(x)
    confirm_upstream_success(x)
    thoughts = _thoughts(x)
    content, _, _ = answer_texts(x)
    leak = _leak(content, thoughts)
    if leak:
        raise CheckFailure(leak + _at_door(x), excerpt=excerpt(content))


def _check_reasoning_content(x: Exchange) -> None:
    require_success(x)
    confirm_upstream_success(x)
    thoughts = normalise(_thoughts(x))
    _, reasoning_content, reasoning = answer_texts(x)
    if thoughts in normalise(reasoning_content):
        return
    also = (
        " (it is in `reasoning`, which OpenRouter-style clients read)"
        if thoughts in normalise(reasoning)
        else ""
    )
    raise CheckFailure(
        "the upstream's thoughts are not in `reasoning_content`" + also + _at_door(x) + "; "
        "Open WebUI, Cherry Studio, opencode and LibreChat read reasoning from there",
        excerpt=excerpt(
            json.dumps({"reasoning_content": reasoning_content[:300], "reasoning": reasoning[:300]})
        ),
    )


_REASONING_CONTENT_SOURCE = (
    "https://api-docs.deepseek.com/guides/reasoning_model; docs/openai-wire.md#b5-reasoning-fields"
)
_DOOR_SUFFIX = {"thoughts": "", "thoughts_google": ".extra_body", "thoughts_model": ".model"}
"""Unary door probe -> the suffix of its checks' ids (``reasoning_effort`` keeps the
plain ids)."""

for _door, _door_suffix in _DOOR_SUFFIX.items():
    for _probe, _label in ((_door, "unary"), (f"{_door}_stream", "stream")):
        _suffix = _door_suffix + ("" if _probe == _door else ".stream")
        _through = f", asked through {DOORS[_door]}" if _door_suffix else ""
        check(
            f"reasoning.no_thoughts_in_content{_suffix}",
            title=f"Thought parts never appear in `content` ({_label}{_through})",
            severity=Severity.CRITICAL,
            source=_LEAK_SOURCE + ("; " + _DOORS_SOURCE if _door_suffix else ""),
            probes=(_probe,),
            mode=Mode.CONTROLLED,
            features=("chat",),
        )(_check_no_leak)
        check(
            f"reasoning.reasoning_content{_suffix}",
            title=f"Thought parts arrive in `reasoning_content` ({_label}{_through})",
            severity=Severity.HIGH,
            source=_REASONING_CONTENT_SOURCE + ("; " + _DOORS_SOURCE if _door_suffix else ""),
            probes=(_probe,),
            mode=Mode.CONTROLLED,
            features=("chat", "reasoning"),
        )(_check_reasoning_content)


_DOOR_PROBES = tuple(p for door in DOORS for p in (door, f"{door}_stream"))


def _model(x: Exchange) -> object:
    body = x.request.json_body
    return body.get("model") if isinstance(body, dict) else None


def _door_state(x: Exchange) -> str:
    """What happened at one door: ``refused``, ``ignored``, ``honoured``, ``misplaced``
    (thoughts outside ``reasoning_content``), ``leaks`` or ``unknown``."""
    if x.status is None:
        return "unknown"
    if x.status != 200 or stream_refusal(x) is not None:
        return "refused"
    try:
        thoughts = upstream_answer(x).get("thoughts")
    except Undecided:
        return "unknown"
    if not isinstance(thoughts, str) or not thoughts.strip():
        return "ignored"
    try:
        content, reasoning_content, _ = answer_texts(x)
    except (CheckFailure, NotApplicable):
        return "unknown"
    if _leak(content, thoughts):
        return "leaks"
    if normalise(thoughts) in normalise(reasoning_content):
        return "honoured"
    return "misplaced"


def _refusal_said(x: Exchange) -> str:
    """``502``, or ``200, an error event`` for a refusal in stream form."""
    return f"{x.status}, an error event" if x.status == 200 else str(x.status)


def _summary(exchanges: tuple[Exchange, ...], states: dict[str, str]) -> str:
    """``door: state`` per door, ``unary X, stream Y`` when the two paths differ."""
    parts = []
    for door in DOORS:
        pair = [x for x in exchanges if x.probe.removesuffix("_stream") == door]
        shown = [
            states[x.probe]
            + (f" (HTTP {_refusal_said(x)})" if states[x.probe] == "refused" else "")
            for x in pair
        ]
        if not pair:
            continue
        said = shown[0] if len(set(shown)) == 1 else f"unary {shown[0]}, stream {shown[-1]}"
        parts.append(f"{door_of(pair[0])}: {said}")
    return "; ".join(parts)


@check(
    "reasoning.doors",
    title="Reasoning is reachable through the doors clients use (reasoning_effort, "
    "Google's extra_body thinking_config, a thinking model by name); which ones are honoured",
    severity=Severity.HIGH,
    source=_DOORS_SOURCE + "; https://platform.openai.com/docs/api-reference/chat/create",
    probes=_DOOR_PROBES,
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def doors(*exchanges: Exchange) -> str:
    """Fails when a door that is a plain OpenAI request (:data:`STANDARD_DOORS`) is
    refused, or when the profile claims ``reasoning`` and no door brings the thoughts to
    the client. A door the proxy ignores, or refuses when it is not plain OpenAI
    (``extra_body``), is reported, not failed; leaks and misplaced thoughts are the
    failures of the per-door ``no_thoughts_in_content`` / ``reasoning_content`` checks."""
    states = {x.probe: _door_state(x) for x in exchanges}
    default_model = _model(exchanges[0])
    for x in exchanges:
        door = x.probe.removesuffix("_stream")
        # a thinking model other than the one the run uses may simply not be served
        standard = door in STANDARD_DOORS and (
            door != "thoughts_model" or _model(x) == default_model
        )
        if states[x.probe] == "refused" and standard:
            require_accepted(
                x, f"[{x.probe}] asking for reasoning through {door_of(x)}, a plain OpenAI request,"
            )
    summary = _summary(exchanges, states)
    delivered = {"honoured", "misplaced", "leaks"}
    claimed = "reasoning" in get_profile(exchanges[0].profile).features
    if claimed and not delivered & set(states.values()):
        unknown = "unknown" in states.values()
        if unknown:
            raise Undecided(
                f"no door shows the thoughts reaching the client, some undecided: {summary}"
            )
        raise CheckFailure(
            f"the profile claims reasoning, but no door brings the model's thoughts to the "
            f"client (the proxy never asked Gemini for includeThoughts; where it shows them "
            f"only behind a setting of its own, that setting may be off in this deployment): "
            f"{summary}"
        )
    return summary


def _thinking(x: Exchange) -> dict[str, Any]:
    config = generation_config(x)
    thinking = config.get("thinkingConfig")
    return thinking if isinstance(thinking, dict) else {}


def _budget(thinking: dict[str, Any]) -> Any:
    return thinking.get("thinkingBudget")


def _level(thinking: dict[str, Any]) -> Any:
    return thinking.get("thinkingLevel")


def _accepted(x: Exchange, what: str) -> None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(f"{what} got HTTP {status}", excerpt=excerpt(x.body))


_C2 = (
    "https://ai.google.dev/gemini-api/docs/openai; https://ai.google.dev/gemini-api/docs/thinking; "
    "https://github.com/BerriAI/litellm/issues/16548; https://github.com/mozilla-ai/any-llm/issues/1293"
)


@check(
    "reasoning.effort_none_disables_thinking",
    title="reasoning_effort 'none' turns thinking off on gemini-2.5-flash (thinkingBudget 0)",
    severity=Severity.MEDIUM,
    source=_C2,
    probes=("effort_none",),
    mode=Mode.CONTROLLED,
    features=("reasoning",),
)
def effort_none(x: Exchange) -> None:
    _accepted(x, "reasoning_effort 'none'")
    thinking = _thinking(x)
    if _budget(thinking) != 0:
        raise CheckFailure(
            f"reasoning_effort 'none' went upstream as thinkingConfig {thinking or 'unset'}; "
            "the model still thinks and bills thought tokens",
        )


@check(
    "reasoning.effort_scales",
    title="reasoning_effort low and high reach gemini-2.5 as different thinking budgets",
    severity=Severity.LOW,
    source=_C2,
    probes=("effort_low", "effort_high"),
    mode=Mode.CONTROLLED,
    features=("reasoning",),
)
def effort_scales(low: Exchange, high: Exchange) -> None:
    _accepted(low, "reasoning_effort 'low'")
    _accepted(high, "reasoning_effort 'high'")
    lo, hi = _thinking(low), _thinking(high)
    for name, thinking in (("low", lo), ("high", hi)):
        if _level(thinking) is not None:
            raise CheckFailure(
                f"reasoning_effort {name!r} went to gemini-2.5 as thinkingLevel "
                f"{_level(thinking)!r}; 2.5 models take thinkingBudget"
            )
    b_lo, b_hi = _budget(lo), _budget(hi)
    if not isinstance(b_lo, int) or not isinstance(b_hi, int):
        raise CheckFailure(
            f"reasoning_effort is not mapped to a thinking budget (low: {lo or 'unset'}, "
            f"high: {hi or 'unset'})"
        )
    if not 0 < b_lo < b_hi and b_hi != -1:
        raise CheckFailure(f"thinkingBudget low={b_lo} is not below high={b_hi}")


@check(
    "reasoning.effort_gemini3",
    title="reasoning_effort on Gemini 3 never sends thinkingBudget and thinkingLevel together, "
    "and maps low/high to LOW/HIGH",
    severity=Severity.HIGH,
    source=_C2,
    probes=("effort_low_g3", "effort_high_g3"),
    mode=Mode.CONTROLLED,
    features=("reasoning",),
)
def effort_gemini3(low: Exchange, high: Exchange) -> None:
    for x, effort, levels in ((low, "low", ("LOW", "MINIMAL")), (high, "high", ("HIGH",))):
        _accepted(x, f"reasoning_effort {effort!r} on Gemini 3")
        thinking = _thinking(x)
        level, budget = _level(thinking), _budget(thinking)
        if level is not None and budget is not None:
            raise CheckFailure(
                f"reasoning_effort {effort!r} sent both thinkingBudget and thinkingLevel; "
                "Google answers 400"
            )
        if level is not None and str(level).upper() not in levels:
            raise CheckFailure(
                f"reasoning_effort {effort!r} went upstream as thinkingLevel {level!r}"
            )
    if all(_level(_thinking(x)) is None and _budget(_thinking(x)) is None for x in (low, high)):
        raise CheckFailure(
            "reasoning_effort 'low' and 'high' both reached Gemini 3 with neither thinkingLevel "
            "nor thinkingBudget: the effort was dropped, and the model thinks at its default "
            "(dynamic, high) level whatever the client asks, in cost and latency"
        )


@check(
    "reasoning.reasoning_tokens",
    title="usage.completion_tokens_details.reasoning_tokens reports the thought tokens",
    severity=Severity.LOW,
    source=(
        "https://platform.openai.com/docs/api-reference/chat/object; "
        "docs/openai-wire.md#b5-reasoning-fields"
    ),
    probes=("thoughts",),
    mode=Mode.CONTROLLED,
    features=("reasoning",),
)
def reasoning_tokens(x: Exchange) -> None:
    require_success(x)
    _thoughts(x)  # moot when the upstream sent no thoughts
    usage = json_object(x).get("usage")
    details = usage.get("completion_tokens_details") if isinstance(usage, dict) else None
    count = details.get("reasoning_tokens") if isinstance(details, dict) else None
    if not isinstance(count, int) or count <= 0:
        raise CheckFailure(
            f"the upstream reported thought tokens, usage says reasoning_tokens={count!r}",
            excerpt=excerpt(json.dumps(usage)),
        )


@check(
    "reasoning.thoughts_then_tool_call",
    title="A turn that only thinks and then calls a tool still delivers the tool call "
    "(thoughts in reasoning_content, not content)",
    severity=Severity.HIGH,
    source=(
        "https://github.com/danny-avila/LibreChat/issues/10377; "
        "https://github.com/voideditor/void/issues/458; "
        "docs/breakages.md#c1-thoughts-in-content-or-in-a-field-nobody-reads"
    ),
    probes=("thoughts_tool_call_stream",),
    mode=Mode.CONTROLLED,
    features=("tools", "reasoning", "stream"),
)
def thoughts_then_tool_call(x: Exchange) -> None:
    from .tools import collect_stream_calls

    require_accepted(x, "a streamed request with tools and reasoning_effort 'high'")
    _check_no_leak(x)
    calls = collect_stream_calls(x)
    if not calls:
        raise CheckFailure(
            "the upstream thought and then called a tool; the stream carries no tool_calls",
            excerpt=excerpt(x.body[:800]),
        )


# ------------------------------------------------------------------ field answers
# Black-box twins read a real model's answers at the field reasoning doors
# (conformance.probes.field.REASONING_DOORS); skipped in controlled mode
# (conformance.runner.FIELD_CONTROLLED).

_FIELD_DOORS = ("field_think_effort", "field_think_effort_stream", "field_think_google_stream")
_FIELD_DOORS_ALL = (*_FIELD_DOORS, "field_think_model")


def _usage_reasoning_tokens(x: Exchange) -> tuple[bool, Any]:
    """``(usage present, completion_tokens_details.reasoning_tokens)`` of an answer: the
    body's usage, or a stream's last usage."""
    usages: list[Any]
    if x.content_type == "text/event-stream":
        usages = [c.get("usage") for c in chunks_of(x) if isinstance(c.get("usage"), dict)]
    else:
        usages = [json_object(x).get("usage")]
    usage = usages[-1] if usages else None
    if not isinstance(usage, dict):
        return False, None
    details = usage.get("completion_tokens_details")
    return True, details.get("reasoning_tokens") if isinstance(details, dict) else None


@check(
    "reasoning.reasoning_tokens_shown",
    title="When a real model's thoughts reach reasoning_content, usage reports them as "
    "completion_tokens_details.reasoning_tokens (unary and streamed)",
    severity=Severity.LOW,
    source=(
        "https://platform.openai.com/docs/api-reference/chat/object; "
        "https://ai.google.dev/api/generate-content#UsageMetadata; "
        "docs/openai-wire.md#b5-reasoning-fields"
    ),
    probes=(_FIELD_DOORS[0],),
    also=_FIELD_DOORS_ALL[1:],
    features=("reasoning",),
)
def reasoning_tokens_shown(x: Exchange) -> None:
    """Gemini bills every thought (``thoughtsTokenCount``), so thought text shown means
    thought tokens spent; skipped when the answer shows no thoughts or has no usage (a
    stream without the usage chunk is ``stream.usage_chunk``'s)."""
    require_success(x)
    _, reasoning_content, _ = answer_texts(x)
    if not reasoning_content.strip():
        raise NotApplicable(f"{x.probe}: no thoughts in reasoning_content")
    present, count = _usage_reasoning_tokens(x)
    if not present:
        raise NotApplicable(f"{x.probe}: the answer has no usage")
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        raise CheckFailure(
            f"{x.probe}: the answer shows {len(reasoning_content)} characters of thoughts, "
            f"usage says reasoning_tokens={count!r}; cost trackers cannot tell thought tokens "
            "from answer tokens",
            excerpt=excerpt(x.body[-500:]),
        )


@check(
    "reasoning.answer_in_content",
    title="A real thinking model's answer reaches `content`, not only `reasoning_content` "
    "(unary and streamed, every door)",
    severity=Severity.HIGH,
    source=(
        "https://github.com/open-webui/open-webui/pull/26098; "
        "https://api-docs.deepseek.com/guides/reasoning_model; "
        "docs/breakages.md#c1-thoughts-in-content-or-in-a-field-nobody-reads"
    ),
    probes=_FIELD_DOORS_ALL,
    features=("chat",),
)
def answer_in_content(*doors: Exchange) -> str:
    """Fails when at least two doors bring thoughts and none of them an answer in
    ``content`` (the proxy files the answer as reasoning: clients show it in the
    collapsed thinking area, or as an empty reply). One door without content while
    another has it is undecided: a real model may answer with empty text."""
    with_thoughts, empty = [], []
    for x in doors:
        if x.status != 200:
            continue
        try:
            content, reasoning_content, _ = answer_texts(x)
        except (CheckFailure, NotApplicable):
            continue
        if reasoning_content.strip():
            with_thoughts.append(x.probe)
            if not content.strip():
                empty.append(x.probe)
    if not with_thoughts:
        raise NotApplicable("no door shows thoughts; field.reasoning_content judges that")
    if not empty:
        return f"content next to the thoughts at {len(with_thoughts)} door(s)"
    if len(empty) == len(with_thoughts) and len(empty) >= 2:
        raise CheckFailure(
            f"every answer with thoughts ({', '.join(empty)}) has an empty `content`: the "
            "model's answer is filed as reasoning, so clients show it in the thinking area "
            "or show an empty reply",
            excerpt=excerpt(doors[0].body[:600]),
        )
    raise Undecided(
        f"{', '.join(empty)}: thoughts without content, while "
        f"{', '.join(p for p in with_thoughts if p not in empty) or 'no other door'} "
        "answered; a real model may answer with empty text, so nothing is concluded"
    )
