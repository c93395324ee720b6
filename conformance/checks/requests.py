"""Requests real clients send must be accepted: OpenAI-only fields and content-part
arrays (docs/breakages.md F1, F3)."""

from __future__ import annotations

import json

from ..exchange import Exchange
from ..probes.params import KITCHEN_SINK, N_CHOICES, SYSTEM_PROMPT
from ..registry import CheckFailure, Mode, Severity, check, excerpt
from ._common import json_object, require_response
from ._refusals import refused_fields, require_accepted
from .causes import refused_fields as refused_cause
from .errors import check_envelope
from .upstream import confirm_upstream_success, journalled, normalise, request_body

__all__: list[str] = []


@check(
    "requests.openai_only_fields",
    title="OpenAI-only fields (store, metadata, user, parallel_tool_calls, ...) are tolerated",
    severity=Severity.HIGH,
    source=(
        "https://github.com/ed-donner/agents/issues/45; "
        "https://github.com/jackmpcollins/magentic/issues/382; "
        "https://github.com/MinLL/SkyrimNet-GamePlugin/issues/77"
    ),
    probes=("kitchen_sink",),
    features=("chat",),
)
def openai_only_fields(x: Exchange) -> None:
    status = require_response(x)
    if status != 200:
        named = refused_fields(x)
        which = f" refusing {', '.join(f'`{n}`' for n in named)}" if named else ""
        raise CheckFailure(
            f"a request with {', '.join(sorted(KITCHEN_SINK))} got HTTP {status}{which}; "
            "the OpenAI Agents SDK, magentic and others send these by default",
            excerpt=excerpt(x.body),
            cause=refused_cause(named) if named else None,
        )
    confirm_upstream_success(x)


@check(
    "requests.content_part_arrays",
    title="Message content given as an array of text parts is accepted for every role",
    severity=Severity.HIGH,
    source=(
        "https://github.com/tashfeenahmed/freellmapi/issues/75; "
        "https://platform.openai.com/docs/api-reference/chat/create"
    ),
    probes=("content_parts",),
    features=("chat",),
)
def content_part_arrays(x: Exchange) -> str | None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(
            f"system/user/assistant messages with content arrays got HTTP {status}",
            excerpt=excerpt(x.body),
        )
    confirm_upstream_success(x)
    if not journalled(x):
        return None  # black-box: the status is all there is
    body = request_body(x)
    sent = normalise(json.dumps(body, ensure_ascii=False))
    for text in ("Hello there.", "Hi. How can I help?", SYSTEM_PROMPT):
        if normalise(text) not in sent:
            raise CheckFailure(
                f"the text part {text!r} did not reach the upstream",
                excerpt=excerpt(json.dumps(body)[:800]),
            )
    return None


@check(
    "requests.empty_assistant_turn",
    title='A history with an assistant message whose content is "" is answered',
    severity=Severity.HIGH,
    source=(
        "docs/breakages.md#f10-empty-messages; "
        "https://github.com/microsoft/autogen/issues/5762; "
        "https://github.com/zuisong/gemini-openai-proxy/issues/83; "
        "https://platform.openai.com/docs/api-reference/chat/create"
    ),
    probes=("empty_assistant_turn",),
    features=("chat",),
)
def empty_assistant_turn(x: Exchange) -> None:
    require_accepted(x, 'a history with an assistant message of content ""')
    confirm_upstream_success(x)


@check(
    "requests.n_choices",
    title=f"n={N_CHOICES} gives {N_CHOICES} choices indexed 0..{N_CHOICES - 1} (or a clear 400)",
    severity=Severity.MEDIUM,
    source=(
        "https://github.com/songquanpeng/one-api/issues/2209; "
        "https://github.com/lbjlaq/Antigravity-Manager/issues/361"
    ),
    probes=("n_choices",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def n_choices(x: Exchange) -> None:
    status = require_response(x)
    if status == 400:
        check_envelope(x)  # refusing n>1 clearly is acceptable
        return
    if status != 200:
        raise CheckFailure(f"n={N_CHOICES} got HTTP {status}", excerpt=excerpt(x.body))
    confirm_upstream_success(x)
    body = json_object(x)
    choices = body.get("choices")
    indexes = [c.get("index") for c in choices or [] if isinstance(c, dict)]
    if (
        sorted(i for i in indexes if isinstance(i, int)) != list(range(N_CHOICES))
        or len(indexes) != N_CHOICES
    ):
        raise CheckFailure(
            f"n={N_CHOICES} returned choices with indexes {indexes}; clients that read "
            f"choices[{N_CHOICES - 1}] fail",
            excerpt=excerpt(x.body),
        )
