"""Request-translation probes: parameters, OpenAI-only fields, content-part arrays,
``response_format``, ``stop``, reasoning effort and image input (docs/breakages.md
C2, F1-F5, F7)."""

from __future__ import annotations

import base64
from typing import Any

from spec.scenarios import Directive, Scenario

from ..exchange import Request
from ..modes import Mode
from ..target import Target
from .base import Probe, chat, chat_request, prompt, registrar, unary_and_streamed, with_body

__all__ = [
    "CODENAME",
    "DEVELOPER_PROMPT",
    "DEVELOPER_QUESTION",
    "EFFORTS",
    "IMAGE_PNG",
    "LEGACY_MAX_TOKENS",
    "N_CHOICES",
    "PARAMS",
    "RESPONSE_SCHEMA",
    "STOPS",
    "SYSTEM_PROMPT",
    "SYSTEM_PROMPTS",
    "with_developer_message",
]

probe = registrar(__name__)

PARAMS: dict[str, Any] = {
    "temperature": 0.3,
    "top_p": 0.9,
    "max_completion_tokens": 77,
    "stop": ["END"],
}
"""The generation fields the translation probes send, one probe each (a proxy that
refuses one field must not fail the checks of the others)."""
SYSTEM_PROMPT = "You are a terse assistant. Answer in one line."


def _system_prompt(target: Target, cid: str) -> Request:
    request = chat_request(target, cid)
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, *request.json_body["messages"]]
    return with_body(request, messages=messages)


probe(
    Probe(
        "system_prompt",
        "a system message before the question",
        _system_prompt,
        mode=Mode.CONTROLLED,
    )
)

SYSTEM_PROMPTS = (
    "You are a terse assistant. Answer in one line.",
    "Context for this conversation: the user's project is called Quillfeather.",
)
"""Two system messages in a row, as agent frameworks send them (a persona, then
injected context or a summary of trimmed history)."""


def _system_prompts(target: Target, cid: str) -> Request:
    request = chat_request(target, cid)
    system = [{"role": "system", "content": text} for text in SYSTEM_PROMPTS]
    return with_body(request, messages=[*system, *request.json_body["messages"]])


probe(
    Probe(
        "system_prompts",
        "two system messages before the question",
        _system_prompts,
        mode=Mode.CONTROLLED,
    )
)
for _name, _fields in (
    ("sampling", {"temperature": PARAMS["temperature"], "top_p": PARAMS["top_p"]}),
    ("max_completion_tokens", {"max_completion_tokens": PARAMS["max_completion_tokens"]}),
    ("stop", {"stop": PARAMS["stop"]}),
):
    probe(
        Probe(
            _name,
            " and ".join(f"{k} {v}" for k, v in _fields.items()),
            chat(**_fields),
            mode=Mode.CONTROLLED,
        )
    )

DEVELOPER_PROMPT = "The project's codename is ZEBRA-42."
"""A fact only a ``developer`` message gives (OpenAI's newer name for the system role,
which Codex, the Agents SDK and other clients send): a model that answers the question
below with it has read the message."""
DEVELOPER_QUESTION = "What is the project's codename? Reply with the codename only."
CODENAME = "ZEBRA-42"


def with_developer_message(request: Request) -> Request:
    """``request`` with :data:`DEVELOPER_PROMPT` as a ``developer`` message first."""
    messages = [{"role": "developer", "content": DEVELOPER_PROMPT}, *request.json_body["messages"]]
    return with_body(request, messages=messages)


LEGACY_MAX_TOKENS = 61
"""The ``max_tokens`` the ``max_tokens_legacy`` probe sends (distinct from ``PARAMS``)."""

probe(
    Probe(
        "max_tokens_legacy",
        f"max_tokens {LEGACY_MAX_TOKENS} (the older name of max_completion_tokens, which "
        "LangChain, LibreChat and most clients still send)",
        chat(max_tokens=LEGACY_MAX_TOKENS),
        mode=Mode.CONTROLLED,
    )
)

probe(
    Probe(
        "developer_role",
        "a developer message (OpenAI's newer name for the system role) before the question",
        lambda target, cid: with_developer_message(chat_request(target, cid, DEVELOPER_QUESTION)),
        mode=Mode.CONTROLLED,
    )
)

KITCHEN_SINK: dict[str, Any] = {
    "store": False,
    "metadata": {"purpose": "conformance"},
    "user": "conformance-user",
    "seed": 7,
    "parallel_tool_calls": True,
    "logprobs": False,
    "service_tier": "auto",
    "frequency_penalty": 0.1,
    "presence_penalty": 0.1,
}
"""OpenAI-only and OpenAI-optional fields real clients send (docs/breakages.md F1)."""

probe(
    Probe(
        "kitchen_sink",
        "a chat request with store, metadata, user, seed, parallel_tool_calls, logprobs, "
        "service_tier and penalties",
        chat(**KITCHEN_SINK),
    )
)


def _content_parts(target: Target, cid: str) -> Request:
    text = prompt(target, "Now answer in three words.", None, cid)
    messages = [
        {"role": "system", "content": [{"type": "text", "text": SYSTEM_PROMPT}]},
        {"role": "user", "content": [{"type": "text", "text": "Hello there."}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Hi. How can I help?"}]},
        {"role": "user", "content": [{"type": "text", "text": text}]},
    ]
    return with_body(chat_request(target, cid), messages=messages)


probe(
    Probe(
        "content_parts",
        "system, user and assistant messages whose content is an array of text parts",
        _content_parts,
    )
)


def _empty_assistant_turn(target: Target, cid: str) -> Request:
    text = prompt(target, "Say hello again, in three words.", None, cid)
    messages = [
        {"role": "user", "content": "Say hello."},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": text},
    ]
    return with_body(chat_request(target, cid), messages=messages)


probe(
    Probe(
        "empty_assistant_turn",
        'a history whose assistant message has content "" (autogen and LangChain send them)',
        _empty_assistant_turn,
    )
)

RESPONSE_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}

probe(
    Probe(
        "response_json_schema",
        "response_format json_schema (strict, additionalProperties false, $schema)",
        chat(
            "Generate a person profile.",
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "person", "strict": True, "schema": RESPONSE_SCHEMA},
            },
        ),
        mode=Mode.CONTROLLED,
    )
)
probe(
    Probe(
        "response_json_schema_stream",
        "the same json_schema request streamed (the AI SDK's streamObject, partial JSON)",
        chat(
            "Generate a person profile.",
            stream=True,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "person", "strict": True, "schema": RESPONSE_SCHEMA},
            },
        ),
        stream=True,
        mode=Mode.CONTROLLED,
    )
)
probe(
    Probe(
        "response_json_object",
        "response_format json_object",
        chat("Reply with a JSON object.", response_format={"type": "json_object"}),
        mode=Mode.CONTROLLED,
    )
)

STOPS = ["S1", "S2", "S3", "S4", "S5", "S6"]
"""Six stop sequences: Gemini accepts at most five (docs/breakages.md F5)."""

probe(
    Probe(
        "stop_many",
        "six stop sequences (Gemini takes at most five)",
        chat(stop=STOPS),
        mode=Mode.CONTROLLED,
    )
)

THOUGHT_PROMPT = "Think step by step: what is 17 * 23?"

unary_and_streamed(
    probe,
    "thoughts",
    "upstream sends thought parts (thought: true) before the answer",
    THOUGHT_PROMPT,
    directive=Directive(Scenario.THOUGHTS),
    reasoning_effort="high",
)

EFFORTS: dict[str, tuple[str, str]] = {
    "effort_none": ("gemini-2.5-flash", "none"),
    "effort_low": ("gemini-2.5-flash", "low"),
    "effort_high": ("gemini-2.5-flash", "high"),
    "effort_low_g3": ("gemini-3-pro-preview", "low"),
    "effort_high_g3": ("gemini-3-pro-preview", "high"),
}
"""probe -> (model, reasoning_effort) (docs/breakages.md C2)."""

for _name, (_model, _effort) in EFFORTS.items():
    probe(
        Probe(
            _name,
            f"reasoning_effort={_effort} on {_model}",
            chat(model=_model, reasoning_effort=_effort),
            mode=Mode.CONTROLLED,
            features=frozenset({"reasoning"}),
            model=_model,
        )
    )

IMAGE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
"""A valid 1x1 PNG."""


def _image(target: Target, cid: str) -> Request:
    data_url = "data:image/png;base64," + base64.b64encode(IMAGE_PNG).decode()
    text = prompt(target, "What is in this image?", None, cid)
    content = [
        {"type": "text", "text": text},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]
    return with_body(chat_request(target, cid), messages=[{"role": "user", "content": content}])


probe(
    Probe(
        "image_data_url",
        "a user message with a data: URL PNG image part",
        _image,
        mode=Mode.CONTROLLED,
    )
)


def _image_url(target: Target, cid: str) -> Request:
    url = f"{(target.mock_url or '').rstrip('/')}/_mock/image.png"
    text = prompt(target, "Describe this picture.", None, cid)
    content = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
    return with_body(chat_request(target, cid), messages=[{"role": "user", "content": content}])


probe(
    Probe(
        "image_http_url",
        "a user message with an http image URL (served by the mock on 127.0.0.1)",
        _image_url,
        mode=Mode.CONTROLLED,
    )
)

N_CHOICES = 2
"""``n`` the ``n_choices`` probe asks for (docs/breakages.md F8)."""

probe(
    Probe(
        "n_choices",
        f"n={N_CHOICES}: several choices in one answer",
        chat("Give me a name for a cat.", n=N_CHOICES),
        mode=Mode.CONTROLLED,
    )
)
