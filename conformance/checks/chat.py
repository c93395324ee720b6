"""Non-streamed chat completions and the models list: the shapes clients parse."""

from __future__ import annotations

from ..exchange import Exchange
from ..modes import Mode
from ..registry import CheckFailure, Severity, Undecided, check, excerpt
from ._common import json_object, require_response, require_success, validate
from .causes import NO_USAGE
from .upstream import client_texts, confirm_upstream_success, upstream_answer

COMPLETION_OBJECT = "https://platform.openai.com/docs/api-reference/chat/object"
"""OpenAI's reference of the chat.completion object."""

__all__: list[str] = []


@check(
    "models.list_shape",
    title="GET /models answers the OpenAI list shape {object: list, data: [{id, object: model}]}",
    severity=Severity.HIGH,
    source=(
        "https://github.com/vllm-project/router/issues/134; "
        "https://github.com/BerriAI/litellm/issues/865; "
        "https://platform.openai.com/docs/api-reference/models/list"
    ),
    probes=("models",),
    features=("models",),
)
def models_list_shape(x: Exchange) -> None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(f"GET /models answered HTTP {status}", excerpt=excerpt(x.body))
    body = json_object(x)
    validate(body, "ModelList", "the models list", x.body)
    if not body["data"]:
        raise CheckFailure("the models list is empty; clients have nothing to pick")


@check(
    "models.ids_plain",
    title="Model ids carry no 'models/' prefix (clients send them back as `model`)",
    severity=Severity.LOW,
    source=(
        "https://github.com/OpenCoworkAI/open-codesign/issues/175; "
        "docs/gemini-wire.md#a6-other-endpoints"
    ),
    probes=("models",),
    features=("models",),
)
def models_ids_plain(x: Exchange) -> None:
    require_success(x)
    body = json_object(x)
    data = body.get("data")
    ids = [m.get("id") for m in data if isinstance(m, dict)] if isinstance(data, list) else []
    prefixed = [i for i in ids if isinstance(i, str) and i.startswith("models/")]
    if prefixed:
        raise CheckFailure(
            f"{len(prefixed)} id(s) keep Gemini's 'models/' prefix, e.g. {prefixed[0]!r}",
        )


@check(
    "chat.completion_shape",
    title="A chat completion answers 200 with a valid chat.completion object",
    severity=Severity.CRITICAL,
    source=f"{COMPLETION_OBJECT}; docs/openai-wire.md#b1-chat-completion-objects-and-chunks",
    probes=("chat",),
    features=("chat",),
)
def completion_shape(x: Exchange) -> None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(f"expected HTTP 200, got {status}", excerpt=excerpt(x.body))
    if x.content_type != "application/json":
        raise CheckFailure(
            f"Content-Type is {x.header('content-type')!r}, expected application/json",
            excerpt=excerpt(x.body),
        )
    validate(json_object(x), "ChatCompletion", "the completion", x.body)


@check(
    "chat.content_present",
    title="The answer's text is in choices[0].message.content",
    severity=Severity.HIGH,
    source=f"https://github.com/danny-avila/LibreChat/issues/10377; {COMPLETION_OBJECT}",
    probes=("chat",),
    features=("chat",),
)
def content_present(x: Exchange) -> None:
    require_success(x)
    confirm_upstream_success(x)
    body = json_object(x)
    choices = body.get("choices")
    message = choices[0].get("message") if isinstance(choices, list) and choices else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise CheckFailure(
            f"choices[0].message.content is {content!r}; the answer is empty",
            excerpt=excerpt(x.body),
        )


@check(
    "chat.text_parts_joined",
    title="An answer whose text Gemini sends in several parts reaches the client whole",
    severity=Severity.HIGH,
    source=(
        "https://github.com/Portkey-AI/gateway/pull/1466; "
        "https://github.com/router-for-me/CLIProxyAPI/issues/948; "
        "https://ai.google.dev/api/caching#Content; "
        "docs/breakages.md#f12-an-answer-in-several-text-parts"
    ),
    probes=("text_parts",),
    mode=Mode.CONTROLLED,
    features=("chat",),
    also=("text_parts_stream",),
)
def text_parts_joined(x: Exchange) -> None:
    """The text of every part, in order, whitespace aside (a proxy may join parts with a
    newline): a proxy that keeps only the first or the last text part of a candidate
    (or of a chunk) loses the rest without a word to the client."""
    require_success(x)
    expected = upstream_answer(x).get("text")
    if not isinstance(expected, str) or not expected.strip():
        raise Undecided("the mock's journal has no answer text")
    got = client_texts(x).get(0, "")
    if "".join(got.split()) != "".join(expected.split()):
        raise CheckFailure(
            f"the upstream sent the text {excerpt(expected, 160)!r} in several parts, the "
            f"client received {excerpt(got, 160)!r}: parts were lost",
            excerpt=excerpt(x.body[:800]),
        )


@check(
    "chat.usage",
    title="The completion carries a usage object with integer token counts",
    severity=Severity.MEDIUM,
    source=f"{COMPLETION_OBJECT}; docs/gemini-wire.md#a2-unary-response",
    probes=("chat",),
    features=("chat",),
)
def usage(x: Exchange) -> None:
    require_success(x)
    body = json_object(x)
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise CheckFailure(
            "the completion has no `usage` object", excerpt=excerpt(x.body), cause=NO_USAGE
        )
    counts = {k: usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        raise CheckFailure(f"usage counts are not all integers: {counts}")
    # the sums (total = prompt + completion, reasoning inside completion) are
    # chat.usage_arithmetic's, on every answer: one wrong total is one failure
