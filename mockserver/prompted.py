"""Answers to plain prompts, as a real model gives them (pure).

A black-box run (docs/field-mode.md) sends a proxy plain prompts with no ``[[mock:...]]``
directive and judges the *shape* of the answer. Under the default scenario (``text``,
directive or not) the mock reads the request the way a model would, so that shape
comes out, deterministically (the words still come from the request key,
:mod:`mockserver.plans`):

**Tool calls** (:func:`planned_calls`). With functions declared
(``tools[].functionDeclarations``, narrowed by ``allowedFunctionNames``,
:func:`mockserver.toolargs.callable_tools`) and the last content not a tool result:

- ``toolConfig.functionCallingConfig.mode: ANY`` (``tool_choice`` ``"required"`` or a
  named function) answers with a call, always, as Gemini does
  (https://ai.google.dev/gemini-api/docs/function-calling#function_calling_modes);
- a prompt asking for several lookups answers with one call per lookup, in parallel (one
  candidate, several ``functionCall`` parts), in mode ``ANY``, ``AUTO``, ``VALIDATED`` or
  unset: the prompt names two or more places (:func:`places`) and, unless the mode is
  ``ANY``, mentions the function (its name, or a word of it such as ``weather`` for
  ``get_weather``);
- a prompt that mentions the function and names one place ("What is the weather in
  Paris today?" with ``get_weather``, Google's own example) or tells the model to use a
  tool ("What time is it? Use the tool." with ``get_current_time``) answers with that
  one call in mode ``AUTO`` too, as Gemini does: a proxy that drops ``tool_choice``
  still meets the call it would meet in front of Gemini;
- otherwise (``AUTO`` and an ordinary prompt) the answer is text: a real model may call
  a tool there, but answering text is a real model's behaviour too, and every scripted
  tool check asks for its calls by scenario.

The function called is the first allowed one the prompt names, else the first whose
name words it mentions, else the first allowed (or declared) one. Its arguments are
:func:`mockserver.toolargs.args_for` (required keys, declared types, enums), with the
place of each lookup in the first plain string property (no ``enum``, ``const`` or
``format``; required ones first): ``get_weather(location="Paris")`` and
``get_weather(location="Tokyo")`` for "the weather in Paris and in Tokyo". A tool
result in the last content (``functionResponse``) is answered with text.

**Text** (:func:`answer_plan`), read from the last user text (directives removed):

- a question for a fact the system instruction or a turn states ("What is the
  project's codename?" after "The project's codename is ZEBRA-42.") answers the fact's
  value alone (``ZEBRA-42``), as a model answers from what it reads (:func:`recalled`);
- "count from A to B" answers the numbers ``A, A+1, ..., B`` (digits, comma
  separated; at most :data:`MAX_COUNT` numbers);
- "list N ..." (also "name N", "give N", "give me N") answers ``N`` lines ``1. w w`` to
  ``N. w w`` (``N`` <= :data:`MAX_LINES`; two answer words per line). A list of at least
  :data:`LONG_LINES` lines is streamed as a model writes a long answer: in at least
  :data:`LONG_CHUNKS` chunks, :data:`PACE_MS` ms apart (:attr:`mockserver.plans.Plan.
  pace_ms`; the directive's ``chunk_ms`` wins). Every other answer stays at once;
- anything else answers the seeded words of :func:`mockserver.plans.text_plan`.

On every such answer (JSON mode too: :mod:`mockserver.structured`) ``stopSequences``
cut the text before the first stop (``finishReason: STOP``), and on a thinking model the
thoughts count towards ``maxOutputTokens`` (:func:`mockserver.plans.document_plan`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mockserver.plans import ANSWER_WORDS, Plan, answer_words, document_plan, text_plan
from mockserver.request import contents_of, ends_with_function_response, get
from mockserver.toolargs import args_for, callable_tools
from spec.scenarios import strip_directives

__all__ = [
    "LONG_CHUNKS",
    "LONG_LINES",
    "MAX_CALLS",
    "MAX_COUNT",
    "MAX_LINES",
    "PACE_MS",
    "answer_plan",
    "calling_mode",
    "context_text",
    "places",
    "planned_calls",
    "recalled",
    "reply_text",
    "system_text",
    "user_text",
]

MAX_CALLS = 8
"""Most parallel calls one answer makes (one per place named, in order)."""
MAX_COUNT = 1000
"""Most numbers a "count from A to B" answer writes."""
MAX_LINES = 1000
"""Longest numbered list answered; a larger N answers the default text."""
LONG_LINES = 20
"""A numbered list of at least this many lines is paced."""
LONG_CHUNKS = 8
"""Fewest chunks a paced list is streamed in."""
PACE_MS = 60
"""Milliseconds between the chunks of a paced list."""

_SENTENCES = re.compile(r"(?<=[.!?;:])\s+|\n+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_COUNT = re.compile(
    r"\bcount(?:ing)?\s+(?:from\s+)?(-?\d{1,9})\s+(?:to|through|until|till)\s+(-?\d{1,9})\b", re.I
)
_LIST = re.compile(r"\b(?:list|name|give(?:\s+me)?)\s+(\d{1,9})\b", re.I)
_GENERIC = frozenset(
    {"get", "set", "fetch", "find", "lookup", "look", "search", "list", "call", "do",
     "run", "make", "query", "tool", "function"}
)  # fmt: skip
"""Words of a function name that say nothing about what it looks up."""


def user_text(body: dict[str, Any]) -> str:
    """The text of the last user content that has text parts (parts joined with a
    newline), without its ``[[mock:...]]`` directives; ``""`` when there is none."""
    for content in reversed(contents_of(body)):
        if not isinstance(content, dict) or content.get("role", "user") not in ("user", ""):
            continue
        parts = content.get("parts")
        if not isinstance(parts, list):
            continue
        texts = _texts(parts)
        if texts:
            text = "\n".join(texts)
            return strip_directives(text) if "[[mock:" in text else text
    return ""


def system_text(body: dict[str, Any]) -> str:
    """The text parts of ``systemInstruction``, joined with a newline (``""``: none)."""
    system = get(body, "systemInstruction")
    parts = system.get("parts") if isinstance(system, dict) else None
    if isinstance(parts, dict):
        parts = [parts]
    return "\n".join(_texts(parts)) if isinstance(parts, list) else ""


def context_text(body: dict[str, Any]) -> str:
    """Everything the model reads as text: :func:`system_text`, then the text parts of
    every content, whatever its role, joined with newlines, directives removed. A model
    answers from a fact stated in any of them: a proxy that sends OpenAI's ``developer``
    message as a user turn (lm-proxy 3.3.2) still gets it read, as Gemini reads it."""
    texts = [system_text(body)]
    for content in contents_of(body):
        parts = content.get("parts") if isinstance(content, dict) else None
        if isinstance(parts, list):
            texts += _texts(parts)
    text = "\n".join(t for t in texts if t)
    return strip_directives(text) if "[[mock:" in text else text


def _texts(parts: list[Any]) -> list[str]:
    """The ``text`` of each text part, in order."""
    return [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]


_ASKED = re.compile(r"\bwhat\s+is\s+(?:the\s+|our\s+|my\s+|your\s+)?([\w'’ -]{2,60}?)\s*\?", re.I)


def recalled(prompt: str, system: str) -> str | None:
    """The value of the fact ``prompt`` asks for ("what is X?") when ``system`` (what the
    model reads besides: :func:`context_text`) states it ("X is VALUE."); ``None``
    otherwise."""
    if not system:
        return None
    asked = _ASKED.search(prompt)
    if asked is None:
        return None
    subject = re.escape(asked.group(1).strip())
    fact = re.search(rf"\b{subject}\s+is\s+(\S+?)[.!]?(?:\s|$)", system, re.I)
    return fact.group(1) if fact else None


def calling_mode(body: dict[str, Any]) -> str:
    """``toolConfig.functionCallingConfig.mode`` in upper case; ``AUTO`` when unset."""
    config = get(body, "toolConfig")
    calling = get(config, "functionCallingConfig") if isinstance(config, dict) else None
    mode = calling.get("mode") if isinstance(calling, dict) else None
    return mode.upper() if isinstance(mode, str) and mode else "AUTO"


def places(text: str) -> list[str]:
    """The proper names ``text`` mentions, in order, each once: runs of capitalised
    words (``New York``) that do not open a sentence, e.g. ``["Paris", "Tokyo"]`` for
    "Look up the weather in Paris and in Tokyo." All-capital words (``JSON``, ``I``)
    are not names."""
    found: list[str] = []
    for sentence in _SENTENCES.split(text):
        run: list[str] = []
        words = list(_WORD.finditer(sentence))
        for i, match in enumerate(words):
            word = match.group()
            named = i > 0 and word[0].isupper() and not word.isupper()
            joined = run and sentence[words[i - 1].end() : match.start()] == " "
            if named and (not run or joined):
                run.append(word)
                continue
            if run and " ".join(run) not in found:
                found.append(" ".join(run))
            run = [word] if named else []
        if run and " ".join(run) not in found:
            found.append(" ".join(run))
    return found


def _name_words(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return {w for w in re.split(r"[\W_]+", spaced.lower()) if w and w not in _GENERIC}


_USE_A_TOOL = re.compile(
    r"\b(?:use|call|using|invoke)\b(?:\W+\w+){0,3}?\W+(?:tool|function)s?\b", re.I
)


def asks_for_a_tool(text: str) -> bool:
    """Whether ``text`` tells the model to use a tool ("Use the tool.", "call the
    function"), an instruction a model follows in mode ``AUTO`` too."""
    return _USE_A_TOOL.search(text) is not None


def _pick(tools: list[dict[str, Any]], text: str) -> tuple[dict[str, Any], bool]:
    """The declaration to call and whether the prompt mentions it (see the module)."""
    low = text.lower()
    for decl in tools:
        if decl["name"].lower() in low:
            return decl, True
    said = set(re.findall(r"\w+", low))
    for decl in tools:
        if _name_words(decl["name"]) & said:
            return decl, True
    return tools[0], False


def _schema(decl: dict[str, Any]) -> dict[str, Any]:
    schema = get(decl, "parametersJsonSchema")
    if schema is None:
        schema = decl.get("parameters")
    return schema if isinstance(schema, dict) else {}


def _place_key(decl: dict[str, Any]) -> str | None:
    """The first plain string property (required ones first) a place goes in."""
    schema = _schema(decl)
    props = schema.get("properties")
    if not isinstance(props, dict):
        return None
    required = schema.get("required")
    order = [n for n in required if n in props] if isinstance(required, list) else []
    order += [n for n in props if n not in order]
    for name in order:
        prop = props[name]
        if not isinstance(prop, dict) or any(k in prop for k in ("enum", "const", "format")):
            continue
        kind = prop.get("type")
        if isinstance(kind, str) and kind.lower() == "string":
            return str(name)
    return None


def planned_calls(
    body: dict[str, Any], text: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The ``(name, args)`` calls a model makes for ``body`` (see the module docstring);
    ``[]`` when it answers with text. ``text``: the prompt (default :func:`user_text`)."""
    tools = callable_tools(body)
    if not tools or ends_with_function_response(body):
        return []
    mode = calling_mode(body)
    if mode not in ("ANY", "AUTO", "VALIDATED", "MODE_UNSPECIFIED"):
        return []
    prompt = user_text(body) if text is None else text
    decl, mentioned = _pick(tools, prompt)
    lookups = places(prompt)
    several = len(lookups) >= 2 and (mentioned or mode == "ANY")
    if not several and mode != "ANY" and not (mentioned and (lookups or asks_for_a_tool(prompt))):
        return []
    key = _place_key(decl)
    targets: Sequence[str | None] = lookups[:MAX_CALLS] if several else lookups[:1] or [None]
    calls: list[tuple[str, dict[str, Any]]] = []
    for i, place in enumerate(targets):
        args = args_for(decl, i)
        if key is not None and place is not None:
            args[key] = place
        calls.append((decl["name"], args))
    return calls


def _count(match: re.Match[str]) -> str | None:
    start, end = int(match.group(1)), int(match.group(2))
    step = 1 if end >= start else -1
    if abs(end - start) >= MAX_COUNT:
        return None
    return ", ".join(str(n) for n in range(start, end + step, step))


def reply_text(text: str, key: bytes, system: str = "") -> tuple[str, bool] | None:
    """The answer a prompt asks for by its shape, and whether it is a long list (paced);
    ``None`` when the prompt asks for nothing this module recognises. ``key``: the
    32-byte key the list's words come from; ``system``: what the model reads besides the
    prompt, the system instruction and the turns (:func:`context_text`, :func:`recalled`)."""
    fact = recalled(text, system)
    if fact is not None:
        return fact, False
    match = _COUNT.search(text)
    if match is not None:
        counted = _count(match)
        if counted is not None:
            return counted, False
    match = _LIST.search(text)
    if match is not None:
        lines = int(match.group(1))
        if 1 <= lines <= MAX_LINES:
            words = answer_words(key, 2 * lines)
            rows = [f"{i + 1}. {words[2 * i]} {words[2 * i + 1]}" for i in range(lines)]
            return "\n".join(rows), lines >= LONG_LINES
    return None


def answer_plan(
    key: bytes,
    prompt: str,
    *,
    chunks: int,
    max_tokens: int | None,
    stops: Sequence[str] = (),
    system: str = "",
    **shape: Any,
) -> Plan:
    """The text answer to ``prompt`` (see the module docstring) as a plan; ``shape``:
    the other keyword arguments of :func:`mockserver.plans.text_plan`. An answer with
    no stop sequence, no recognised prompt and no thought budget to spend is exactly
    :func:`~mockserver.plans.text_plan`'s."""
    found = reply_text(prompt, key, system)
    budget = bool(shape.get("thoughts")) and max_tokens is not None
    if found is None and not stops and not budget:
        return text_plan(key, chunks=chunks, max_tokens=max_tokens, **shape)
    if found is None:
        said, long = " ".join(answer_words(key, max(ANSWER_WORDS, chunks))), False
    else:
        said, long = found
    plan = document_plan(
        key,
        said,
        chunks=max(chunks, LONG_CHUNKS) if long else chunks,
        max_tokens=max_tokens,
        stops=stops,
        thought_budget=True,
        **shape,
    )
    return plan._replace(pace_ms=PACE_MS) if long else plan
