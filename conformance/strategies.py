"""Hypothesis strategies for valid OpenAI chat requests (the ``openai-core`` contract).

:func:`from_openai_core` builds ``POST /chat/completions`` bodies the way real clients send
them: every role, string and content-part forms, tools and ``tool_choice``, and the
sampling and token parameters within the ranges the OpenAI spec allows
(``spec/openapi/openai-core.yaml`` ``ChatCompletionRequest``). Guarantees: every value
drawn validates against that schema; texts never contain a mock directive; the last
message is a user message (so a directive can be appended in controlled mode).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["from_openai_core", "texts"]

_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="[]")

texts = st.text(_ALPHABET, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
"""Message text: any printable Unicode (no ``[``/``]``: never a mock directive)."""


def _content(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    parts = st.lists(text.map(lambda t: {"type": "text", "text": t}), min_size=1, max_size=3)
    return st.one_of(text, parts)


_TOOL = st.fixed_dictionaries(
    {
        "type": st.just("function"),
        "function": st.fixed_dictionaries(
            {
                "name": st.sampled_from(["get_weather", "get_time", "search_docs", "add"]),
                "description": st.just("A tool."),
                "parameters": st.sampled_from(
                    [
                        {"type": "object", "properties": {}},
                        {
                            "type": "object",
                            "properties": {"q": {"type": "string"}},
                            "required": ["q"],
                        },
                        {
                            "type": "object",
                            "properties": {
                                "a": {"type": "integer"},
                                "b": {"type": "number", "description": "second"},
                                "tags": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    ]
                ),
            }
        ),
    }
)


def _tool_name(tool: Any) -> str:
    return str(tool["function"]["name"])


@st.composite
def _messages(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if draw(st.booleans()):
        role = draw(st.sampled_from(["system", "developer"]))
        out.append({"role": role, "content": draw(_content(texts))})
    for _ in range(draw(st.integers(0, 2))):
        out.append({"role": "user", "content": draw(_content(texts))})
        out.append({"role": "assistant", "content": draw(_content(texts))})
    out.append({"role": "user", "content": draw(texts)})
    return out


_OPTIONAL: dict[str, st.SearchStrategy[Any]] = {
    "temperature": st.floats(0, 2, allow_nan=False).map(lambda v: round(v, 2)),
    "top_p": st.floats(0.01, 1, allow_nan=False).map(lambda v: round(v, 2)),
    "max_tokens": st.integers(1, 256),
    "max_completion_tokens": st.integers(1, 256),
    "stop": st.one_of(
        st.text(_ALPHABET, min_size=1, max_size=8),
        st.lists(st.text(_ALPHABET, min_size=1, max_size=8), min_size=1, max_size=4),
    ),
    "seed": st.integers(0, 2**31 - 1),
    "presence_penalty": st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2)),
    "frequency_penalty": st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2)),
    "user": st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12),
    "response_format": st.sampled_from([{"type": "text"}, {"type": "json_object"}]),
}


@st.composite
def from_openai_core(
    draw: st.DrawFn, model: str, *, stream: bool = False, tools: bool = True
) -> dict[str, Any]:
    """A valid chat completion request body for ``model`` (``stream`` as given)."""
    body: dict[str, Any] = {"model": model, "messages": draw(_messages())}
    for key in sorted(_OPTIONAL):
        # One independent choice per field (about one in four is set) shrinks cleanly:
        # Hypothesis drops a field by shrinking its choice to 0.
        if draw(st.integers(0, 3)) == 3:
            body[key] = draw(_OPTIONAL[key])
    if "max_tokens" in body and "max_completion_tokens" in body:
        del body["max_tokens"]
    if tools and draw(st.booleans()):
        declared = draw(st.lists(_TOOL, min_size=1, max_size=3, unique_by=_tool_name))
        body["tools"] = declared
        body["tool_choice"] = draw(st.sampled_from(["auto", "none"]))
    if stream:
        body["stream"] = True
        if draw(st.booleans()):
            body["stream_options"] = {"include_usage": True}
    return body
