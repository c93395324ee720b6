"""Field-mode probes: plain requests a real model obeys, with no mock directive, that
drive it to every shape the black-box checks read (docs/field-mode.md).

A real model's *words* vary; the *shape* these requests ask for does not: a forced tool
call (``tool_choice`` named or ``"required"``) yields a call whose arguments follow the
declared schema, ``response_format`` json_schema yields JSON that validates, ``n: 2``
two choices, ``stop`` an answer cut before the stop string, ``max_completion_tokens: 5``
a ``length`` finish, ``reasoning_effort`` on a thinking model thoughts. The checks
(:mod:`conformance.checks.field`) judge only those shapes.

A model may still disobey (no call despite ``"required"``, words instead of digits):
:data:`RETRY_UNLESS` names, per probe, what a usable answer shows; the session sends a
probe whose 200 answer does not show it once more (the first attempt kept in
``Exchange.previous``), and the check reports *undecided* when the retry disobeys too.

Models: :func:`reasoning_model` (a model that thinks) and :func:`plain_model` (one that
does not, for the ``length`` and ``n`` probes, so a thought budget cannot eat the
answer), from ``--reasoning-model``/``--model`` or ``GET /models``
(``Target.listed_models``). :data:`TOKEN_ESTIMATES` is what each probe is expected to
cost, for the estimate printed before a run.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from ..exchange import Exchange, Request
from ..target import Target
from .base import PROBES, TOOLS, Builder, Probe, chat_request, registrar, with_body
from .basic import (
    DOOR_PROMPT,
    GOOGLE_THINKING,
    UNSUITABLE,
    bare_model,
    gemini3_model,
    no_gemini3,
    pick_gemini3_model,
    pick_thinking_model,
    thinks,
)
from .params import DEVELOPER_QUESTION, IMAGE_PNG, with_developer_message
from .tooling import NO_ARGS_TOOL, results_turn

__all__ = [
    "FIELD_PROBES",
    "LIST_ITEMS",
    "LONG_PROMPT",
    "PARALLEL_CITIES",
    "REASONING_DOORS",
    "RETRY_UNLESS",
    "STOP_PROMPT",
    "STOP_STRING",
    "STRUCTURED_SCHEMA",
    "TOKEN_ESTIMATES",
    "TOOL_SCHEMAS",
    "answer_calls",
    "answer_content",
    "gemini3_model",
    "has_codename",
    "legacy_function_calls",
    "pick_gemini3_model",
    "pick_plain_model",
    "plain_model",
    "reasoning_model",
    "tool_result_turn",
]

probe = registrar(__name__)

_TOOLS = frozenset({"tools"})
_STREAM_TOOLS = frozenset({"tools", "stream"})

TOOL_SCHEMAS: dict[str, dict[str, Any]] = {
    t["function"]["name"]: t["function"]["parameters"] for t in TOOLS
}
"""Tool name -> the JSON Schema its ``parameters`` declare (:data:`base.TOOLS`)."""

_PLAIN_PREFERRED = ("gemini-2.0-flash", "gemini-2.0-flash-001", "gemini-2.0-flash-lite")


def pick_plain_model(listed: set[str] | frozenset[str] | None, default: str) -> str:
    """A chat model that does not think by name (:func:`basic.thinks`): ``default`` when
    it does not; else from ``listed`` (``GET /models``) ``gemini-2.0-flash``, then
    ``gemini-2.0-flash-lite``, then any other ``gemini-*`` chat model that does not
    think (by name); else ``default`` (the probes that use it judge a shape a thinking
    model produces too). Pure; ties broken by name."""
    if not thinks(default):
        return default
    chat = sorted(
        m.removeprefix("models/")
        for m in listed or ()
        if not any(u in m.lower() for u in UNSUITABLE)
    )
    for wanted in _PLAIN_PREFERRED:
        found = [m for m in chat if bare_model(m) == wanted]
        if found:
            return found[0]
    others = [m for m in chat if bare_model(m).startswith("gemini-") and not thinks(m)]
    return others[0] if others else default


def reasoning_model(target: Target) -> str:
    """The model the reasoning probes name: ``Target.reasoning_model`` (``--reasoning-
    model``, or the session's pick after ``GET /models``), else
    :func:`basic.pick_thinking_model` over ``Target.listed_models``."""
    return target.reasoning_model or pick_thinking_model(target.listed_models, target.model)


def plain_model(target: Target) -> str:
    """The model the ``length``, ``n`` and ``stop`` probes name: ``Target.plain_model``
    (the session's pick), else :func:`pick_plain_model` over ``Target.listed_models``."""
    return target.plain_model or pick_plain_model(target.listed_models, target.model)


# ------------------------------------------------------------------ answer readers


def _chunks(x: Exchange) -> list[dict[str, Any]]:
    return [c for c in x.sse.chunks if isinstance(c, dict)]


def answer_content(x: Exchange, choice: int = 0) -> str:
    """The text of choice ``choice`` of a 200 answer (unary ``message.content`` or the
    streamed ``delta.content`` pieces joined); ``""`` when there is none or the body
    does not parse."""
    if x.status != 200:
        return ""
    if x.content_type == "text/event-stream":
        out = []
        for chunk in _chunks(x):
            for c in chunk.get("choices") or []:
                if isinstance(c, dict) and c.get("index", 0) == choice:
                    delta = c.get("delta")
                    if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                        out.append(delta["content"])
        return "".join(out)
    try:
        message = x.json()["choices"][choice]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def answer_calls(x: Exchange) -> list[dict[str, Any]]:
    """The tool calls of choice 0 of a 200 answer as ``{"id", "name", "arguments"}``
    (streamed deltas assembled by ``index``, leniently: entries without an index are
    appended as their own call, and an entry whose id differs from the one its index
    already has starts a call of its own). Empty when there are none or the body does
    not parse. Lenient on purpose: it decides whether the model obeyed and builds the
    next turn, so it counts the calls the model made even when the proxy gave two of
    them one index (Portkey's gateway 1.15 streams Gemini's parallel calls each at
    index 0); the checks judge the shape (``field.tool_stream_ids``)."""
    if x.status != 200:
        return []
    if x.content_type == "text/event-stream":
        calls: dict[Any, dict[str, Any]] = {}
        latest: dict[Any, Any] = {}  # a delta's index -> the key of the call it continues
        for chunk in _chunks(x):
            for c in chunk.get("choices") or []:
                delta = c.get("delta") if isinstance(c, dict) else None
                entries = delta.get("tool_calls") if isinstance(delta, dict) else None
                for entry in entries if isinstance(entries, list) else []:
                    if not isinstance(entry, dict):
                        continue
                    index = entry.get("index", f"#{len(calls)}")
                    key = latest.get(index, index)
                    known = calls[key]["id"] if key in calls else None
                    if known and entry.get("id") and entry.get("id") != known:
                        key = (index, len(calls))  # another call under a reused index
                    latest[index] = key
                    fn = _dict(entry.get("function"))
                    call = calls.setdefault(key, {"id": None, "name": None, "arguments": ""})
                    call["id"] = call["id"] or entry.get("id")
                    call["name"] = call["name"] or fn.get("name")
                    if isinstance(fn.get("arguments"), str):
                        call["arguments"] += fn["arguments"]
        return list(calls.values())
    try:
        message = x.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return []
    raw = message.get("tool_calls") if isinstance(message, dict) else None
    out = []
    for call in raw if isinstance(raw, list) else []:
        if isinstance(call, dict):
            fn = _dict(call.get("function"))
            out.append(
                {"id": call.get("id"), "name": fn.get("name"), "arguments": fn.get("arguments")}
            )
    return out


def legacy_function_calls(x: Exchange) -> list[str]:
    """The names of the calls choice 0 of a 200 answer carries as the legacy
    ``function_call`` (OpenAI's API before ``tools``: ``message.function_call``, streamed
    ``delta.function_call``, ``finish_reason: "function_call"``), ``"?"`` for one without
    a name. A client that sent ``tools`` reads ``tool_calls`` and sees no call in them,
    so the model obeyed and the proxy broke the answer (zuisong/gemini-openai-proxy 0.15
    answers every Gemini call this way)."""
    if x.status != 200:
        return []
    if x.content_type == "text/event-stream":
        found = [
            _dict(_dict(c.get("delta")).get("function_call"))
            for chunk in _chunks(x)
            for c in chunk.get("choices") or []
            if isinstance(c, dict) and c.get("index", 0) == 0
        ]
        names = [str(f.get("name") or "?") for f in found if f and "name" in f]
        return names or (["?"] if any(found) else [])
    try:
        message = x.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return []
    call = _dict(message.get("function_call") if isinstance(message, dict) else None)
    return [str(call.get("name") or "?")] if call else []


# ----------------------------------------------------------------------- builders


def _ask(text: str, *, model: Callable[[Target], str] | None = None, **fields: Any) -> Builder:
    """A probe ``build``: one user message ``text`` (no directive in black-box mode),
    the model ``model(target)`` (``None``: the target's), plus ``fields``."""

    def build(target: Target, cid: str) -> Request:
        chosen = model(target) if model is not None else None
        return chat_request(target, cid, text, model=chosen, **fields)

    return build


_USAGE: dict[str, Any] = {"stream_options": {"include_usage": True}}
"""Every streamed field probe asks for usage: the run counts the tokens it spends."""

WEATHER_PROMPT = "What is the weather in Paris right now?"
TIME_PROMPT = "What time is it in Tokyo right now?"
PARALLEL_CITIES = ("Paris", "Tokyo")
PARALLEL_PROMPT = (
    f"Look up the current weather in {PARALLEL_CITIES[0]} and in {PARALLEL_CITIES[1]}. "
    "Call get_weather once for each city, both calls at the same time."
)
TOOL_RESULT = {"temperature_c": 18, "conditions": "cloudy"}
"""The result every tool-result turn sends back (as JSON text), for any call."""


def tool_result_turn(target: Target, cid: str, first: Exchange) -> Request | None:
    """The turn after a forced call, as clients send it: the first request's messages,
    the assistant message with the calls as received (id, type, name, arguments), one
    ``tool`` message per call, ``tool_choice`` ``"auto"`` (a forced choice would force
    another call); streamed when the first turn was. ``None`` when the first answer has
    no call (the check reports the model's disobedience)."""
    calls = answer_calls(first)
    if not calls:
        return None
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"] or "{}"},
            }
            for call in calls
        ],
    }
    results = [
        {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(TOOL_RESULT)}
        for call in calls
    ]
    body = first.request.json_body
    return with_body(
        first.request, messages=[*body["messages"], assistant, *results], tool_choice="auto"
    )


NAMED_CHOICE = {"type": "function", "function": {"name": "get_weather"}}

probe(
    Probe(
        "field_tool_named",
        "tool_choice names get_weather (no directive), then the tool result sent back",
        _ask(WEATHER_PROMPT, tools=TOOLS, tool_choice=NAMED_CHOICE),
        then=tool_result_turn,
        features=_TOOLS,
    )
)
probe(
    Probe(
        "field_tool_required_stream",
        'streamed; tool_choice "required" (no directive), then the tool result sent back streamed',
        _ask(TIME_PROMPT, tools=TOOLS, tool_choice="required", stream=True, **_USAGE),
        stream=True,
        then=tool_result_turn,
        features=_STREAM_TOOLS,
    )
)


def _developer(target: Target, cid: str) -> Request:
    return with_developer_message(chat_request(target, cid, DEVELOPER_QUESTION))


probe(
    Probe(
        "field_developer_role",
        "a developer message gives a codename, the user asks for it",
        _developer,
    )
)

NO_ARGS_PROMPT = "What time is it? Use the tool."
for _name, _stream in (("field_tool_no_args", False), ("field_tool_no_args_stream", True)):
    probe(
        Probe(
            _name,
            ("streamed; " if _stream else "")
            + 'tool_choice "required" with one tool that takes no parameters (get_current_time)',
            _ask(
                NO_ARGS_PROMPT,
                tools=[NO_ARGS_TOOL],
                tool_choice="required",
                stream=_stream,
                **(_USAGE if _stream else {}),
            ),
            stream=_stream,
            features=_STREAM_TOOLS if _stream else _TOOLS,
        )
    )
probe(
    Probe(
        "field_parallel_stream",
        "streamed; a prompt asking for two lookups, parallel_tool_calls true, "
        'tool_choice "required"',
        _ask(
            PARALLEL_PROMPT,
            tools=TOOLS,
            tool_choice="required",
            parallel_tool_calls=True,
            stream=True,
            **_USAGE,
        ),
        stream=True,
        features=_STREAM_TOOLS,
    )
)


probe(
    Probe(
        "field_tool_gemini3",
        "a Gemini 3 model (--model, else one GET /models lists): tool_choice names "
        "get_weather, then the tool result with the assistant turn sent back as received",
        _ask(
            WEATHER_PROMPT,
            model=lambda target: gemini3_model(target) or target.model,
            tools=TOOLS,
            tool_choice=NAMED_CHOICE,
        ),
        then=results_turn(echo=True),
        features=_TOOLS,
        requires=no_gemini3,
    )
)

# ---------------------------------------------------------------------- reasoning

REASONING_DOORS: dict[str, str] = {
    "field_think_effort": "reasoning_effort 'low' on a thinking model",
    "field_think_effort_stream": "reasoning_effort 'low' on a thinking model, streamed",
    "field_think_google_stream": "extra_body.google.thinking_config include_thoughts, streamed",
    "field_think_model": "a thinking model by name, no reasoning field",
}
"""Field probe -> the door it asks a real model for thoughts through (every way real
clients ask: OpenAI's ``reasoning_effort``, Google's documented ``extra_body``, a
thinking model by name; https://ai.google.dev/gemini-api/docs/openai#thinking)."""

for _name, _fields, _stream in (
    ("field_think_effort", {"reasoning_effort": "low"}, False),
    ("field_think_effort_stream", {"reasoning_effort": "low"}, True),
    ("field_think_google_stream", {"extra_body": GOOGLE_THINKING}, True),
    ("field_think_model", {}, False),
):
    probe(
        Probe(
            _name,
            f"{DOOR_PROMPT!r} asking for reasoning through {REASONING_DOORS[_name]}",
            _ask(
                DOOR_PROMPT,
                model=reasoning_model,
                stream=_stream,
                **_fields,
                **(_USAGE if _stream else {}),
            ),
            stream=_stream,
            features=frozenset({"stream"}) if _stream else frozenset(),
        )
    )

# ------------------------------------------------------------- shapes of the answer

STRUCTURED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "population": {"type": "integer"},
    },
    "required": ["city", "country", "population"],
    "additionalProperties": False,
}
"""The ``response_format`` json_schema of ``field_structured``: plain keywords every
Gemini schema dialect takes."""

probe(
    Probe(
        "field_structured",
        "response_format json_schema (strict): the largest city of Japan as JSON",
        _ask(
            "Give the largest city of Japan, its country and its approximate population.",
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "city", "strict": True, "schema": STRUCTURED_SCHEMA},
            },
        ),
    )
)
probe(
    Probe(
        "field_n",
        "n: 2 (two choices)",
        _ask("Name one colour of the rainbow.", model=plain_model, n=2),
    )
)

STOP_STRING = "5"
STOP_PROMPT = "Count from 1 to 10 in digits, separated by commas, and nothing else."
probe(
    Probe(
        "field_stop",
        f"stop [{STOP_STRING!r}] on a prompt to count from 1 to 10",
        _ask(STOP_PROMPT, model=plain_model, stop=[STOP_STRING]),
    )
)

LONG_PROMPT = "Write a 300-word story about a lighthouse keeper."
probe(
    Probe(
        "field_length",
        "max_completion_tokens 5 on a prompt asking for a long answer",
        _ask(LONG_PROMPT, model=plain_model, max_completion_tokens=5),
    )
)
probe(
    Probe(
        "field_length_max_tokens",
        "max_tokens 5 (the older name) on a prompt asking for a long answer",
        _ask(LONG_PROMPT, model=plain_model, max_tokens=5),
    )
)


def _image(target: Target, cid: str) -> Request:
    request = chat_request(target, cid, "What colour is this image? Answer in one word.")
    text = request.json_body["messages"][0]["content"]
    data_url = "data:image/png;base64," + base64.b64encode(IMAGE_PNG).decode()
    content = [
        {"type": "text", "text": text},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]
    return with_body(request, messages=[{"role": "user", "content": content}])


probe(Probe("field_image", "a data-URL PNG and a question about it", _image))

LIST_ITEMS = 40
probe(
    Probe(
        "field_long_stream",
        f"streamed; a numbered list of {LIST_ITEMS} fruits (a naturally long answer)",
        _ask(
            f"List {LIST_ITEMS} different fruits as a numbered list, one per line, nothing else.",
            model=plain_model,
            stream=True,
            **_USAGE,
        ),
        stream=True,
        features=frozenset({"stream"}),
    )
)

FIELD_PROBES = tuple(name for name, p in PROBES.items() if p.module == __name__)
"""Every probe this module registers, in registration order."""


# ------------------------------------------------------------------------- retries


def _no_call(x: Exchange) -> str | None:
    if answer_calls(x) or legacy_function_calls(x):  # the latter the proxy's doing
        return None
    return "the model made no tool call"


def _one_call(x: Exchange) -> str | None:
    n = len(answer_calls(x))
    if n >= 2 or legacy_function_calls(x):  # one function_call is all that shape holds
        return None
    return f"the model made {n} tool call(s), not one per city"


def _no_codename(x: Exchange) -> str | None:
    content = answer_content(x)
    if has_codename(content):
        return None
    return f"the answer does not name the codename ({content[:60]!r})"


def has_codename(text: str) -> bool:
    """Whether ``text`` names :data:`~conformance.probes.params.CODENAME` (case, spaces,
    hyphens and Markdown aside)."""
    return "zebra42" in "".join(ch for ch in text.lower() if ch.isalnum())


def _no_digits(x: Exchange) -> str | None:
    content = answer_content(x)
    return None if "4" in content else f"the model did not count in digits ({content[:60]!r})"


def _short(x: Exchange) -> str | None:
    lines = [line for line in answer_content(x).splitlines() if line.strip()]
    if len(lines) >= LIST_ITEMS // 2:
        return None
    return f"the answer has {len(lines)} line(s), too short to time (asked for {LIST_ITEMS})"


RETRY_UNLESS: dict[str, Callable[[Exchange], str | None]] = {
    "field_tool_named": _no_call,
    "field_tool_required_stream": _no_call,
    "field_parallel_stream": _one_call,
    "field_tool_gemini3": _no_call,
    "field_developer_role": _no_codename,
    "field_tool_no_args": _no_call,
    "field_tool_no_args_stream": _no_call,
    "field_stop": _no_digits,
    "field_long_stream": _short,
}
"""Probe -> why its 200 answer does not show the shape asked for (``None``: it does).
The session sends such a probe once more; a second disobedience is the check's
*undecided*. Applied to the first turn only (before ``then``)."""

TOKEN_ESTIMATES: dict[str, int] = {
    "field_tool_named": 2 * 250,
    "field_tool_required_stream": 2 * 250,
    "field_developer_role": 60,
    "field_tool_no_args": 150,
    "field_tool_no_args_stream": 150,
    "field_parallel_stream": 300,
    "field_tool_gemini3": 2 * 600,
    "field_think_effort": 1200,
    "field_think_effort_stream": 1200,
    "field_think_google_stream": 1500,
    "field_think_model": 1500,
    "field_structured": 150,
    "field_n": 80,
    "field_stop": 60,
    "field_length": 40,
    "field_length_max_tokens": 40,
    "field_image": 330,
    "field_long_stream": 500,
}
"""Probe -> the tokens (prompt + completion + thoughts, every turn) it is expected to
cost a real Gemini model, rounded up; retries not counted."""
