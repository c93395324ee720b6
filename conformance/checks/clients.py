"""Real clients as oracles: the target's bytes replayed through openai-python.

Each check replays one probe's recorded exchange through the official SDK
(``conformance.oracles``) and fails when the SDK raises where it should not, or does
not raise where a user must see an error. The SDK's exception is the evidence.
"""

from __future__ import annotations

import json
from typing import Any

from ..exchange import Exchange
from ..oracles import replay_openai_python
from ..registry import CheckFailure, Mode, NotApplicable, Severity, check, excerpt
from ._common import OPENAI_PYTHON, require_response, require_success
from .causes import wrong_status

__all__: list[str] = []

_SDK = f"{OPENAI_PYTHON}_streaming.py; {OPENAI_PYTHON}lib/streaming/chat/_completions.py"
_NODE_SDK = "https://github.com/openai/openai-node/blob/v5.0.0/src/core/streaming.ts"
_PARSERS = "docs/sse.md#what-real-parsers-do-with-the-same-bytes"


def _fail_on_error(x: Exchange, how: str, what: str) -> Any:
    require_success(x)
    outcome = replay_openai_python(x, how)
    if not outcome.ok:
        raise CheckFailure(
            f"openai-python cannot consume {what}: it raises {outcome.error}",
            excerpt=excerpt(x.body[:800]),
            clients={outcome.client: outcome.verdict()},
        )
    return outcome.result


_STREAMS = {
    "chat_stream": ("the stream", Mode.BLACK_BOX, ("stream",)),
    "chat_stream_usage": ("the stream with include_usage", Mode.BLACK_BOX, ("stream",)),
    "thoughts_stream": ("the stream with reasoning", Mode.CONTROLLED, ("stream",)),
    "tool_calls_stream": ("the tool-call stream", Mode.CONTROLLED, ("stream", "tools")),
    "stream_slow": (
        "a stream whose upstream is silent for 11 s (keep-alives)",
        Mode.CONTROLLED,
        ("stream",),
    ),
}


def _make_stream_check(probe: str, what: str) -> Any:
    def run(x: Exchange) -> None:
        chunks = _fail_on_error(x, "stream", what)
        if not chunks:
            raise CheckFailure(
                f"openai-python yields no chunk from {what}", excerpt=excerpt(x.body[:800])
            )

    run.__name__ = f"openai_python_{probe}"
    return run


for _probe, (_what, _mode, _features) in _STREAMS.items():
    check(
        f"clients.openai_python.{_probe}",
        title=f"openai-python consumes {_what} without an exception",
        severity=Severity.CRITICAL,
        source=(
            f"{_SDK}; https://github.com/router-for-me/CLIProxyAPI/issues/2460; {_PARSERS}"
            if _probe == "stream_slow"
            else f"{_SDK}; {_PARSERS}"
        ),
        probes=(_probe,),
        mode=_mode,
        features=_features,
    )(_make_stream_check(_probe, _what))


@check(
    "clients.openai_python.stream_helper_tools",
    title="openai-python's chat.completions.stream() assembles the streamed tool calls",
    severity=Severity.CRITICAL,
    source=(
        f"{OPENAI_PYTHON}lib/streaming/_deltas.py; "
        "https://github.com/openai/openai-python/issues/2806; "
        "docs/openai-wire.md#b1-chat-completion-objects-and-chunks"
    ),
    probes=("tool_calls_stream",),
    mode=Mode.CONTROLLED,
    features=("stream", "tools"),
)
def stream_helper_tools(x: Exchange) -> None:
    completion = _fail_on_error(x, "stream_helper", "the tool-call stream")
    calls = completion.choices[0].message.tool_calls or []
    if not calls:
        raise CheckFailure("the assembled message has no tool_calls", excerpt=excerpt(x.body[:800]))
    for call in calls:
        try:
            args = json.loads(call.function.arguments)
        except ValueError as exc:
            raise CheckFailure(
                f"the assembled arguments of {call.function.name!r} do not parse ({exc})",
                excerpt=excerpt(call.function.arguments),
            ) from None
        if not isinstance(args, dict):
            raise CheckFailure(
                f"the assembled arguments of {call.function.name!r} are not an object"
            )


@check(
    "clients.openai_python.completion",
    title="openai-python parses the chat completion and reads message.content",
    severity=Severity.CRITICAL,
    source=(
        f"{OPENAI_PYTHON}resources/chat/completions/completions.py; "
        "docs/openai-wire.md#b1-chat-completion-objects-and-chunks"
    ),
    probes=("chat",),
    features=("chat",),
)
def completion(x: Exchange) -> None:
    result = _fail_on_error(x, "create", "the completion")
    try:
        content = result.choices[0].message.content
    except (AttributeError, IndexError, TypeError) as exc:
        raise CheckFailure(
            f"openai-python's ChatCompletion has no choices[0].message.content ({exc})",
            excerpt=excerpt(x.body[:800]),
        ) from None
    if not isinstance(content, str):
        raise CheckFailure(f"openai-python reads message.content as {content!r}")


@check(
    "clients.openai_python.models",
    title="openai-python lists the models",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}resources/models.py; https://github.com/vllm-project/router/issues/134; "
        "docs/openai-wire.md#b4-other-endpoints"
    ),
    probes=("models",),
    features=("models",),
)
def models(x: Exchange) -> None:
    result = _fail_on_error(x, "models", "the models list")
    if not result or not all(isinstance(getattr(m, "id", None), str) for m in result):
        raise CheckFailure("openai-python's model list has entries without a string id")


_EXPECTED_ERRORS: dict[str, tuple[str, ...]] = {
    "bad_key": ("AuthenticationError", "PermissionDeniedError"),
    "unknown_model": ("NotFoundError", "BadRequestError"),
    "rate_limit": ("RateLimitError",),
}
"""The openai-python exception classes client code catches for each situation
(docs/openai-wire.md B3)."""


def _check_error_replay(x: Exchange) -> None:
    status = require_response(x)
    cause = wrong_status(x.probe, status)  # the SDK picks its exception from the status
    if status < 400:
        raise CheckFailure(
            f"expected an error status, got HTTP {status}", excerpt=excerpt(x.body), cause=cause
        )
    outcome = replay_openai_python(x, "create")
    expected = _EXPECTED_ERRORS[x.probe]
    clients = {outcome.client: outcome.verdict()}
    if outcome.ok:
        raise CheckFailure(f"openai-python does not raise on HTTP {status}", clients=clients)
    if outcome.error_type not in expected:
        raise CheckFailure(
            f"openai-python raises {outcome.error_type} for HTTP {status}; code that catches "
            f"{' or '.join(expected)} misses it",
            clients=clients,
            cause=cause,
        )
    try:
        body = x.json()
        message = body["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return  # the envelope checks own the body's shape
    if (
        isinstance(message, str)
        and message.strip()
        and (message.strip().splitlines()[0] not in str(outcome.result))
    ):
        raise CheckFailure("the SDK's exception does not show error.message", clients=clients)


for _probe, _mode in (
    ("bad_key", Mode.BLACK_BOX),
    ("unknown_model", Mode.BLACK_BOX),
    ("rate_limit", Mode.CONTROLLED),
):
    check(
        f"clients.openai_python.error_{_probe}",
        title=f"openai-python raises {' or '.join(_EXPECTED_ERRORS[_probe])} for the "
        f"{_probe.replace('_', ' ')} error, with its message",
        severity=Severity.MEDIUM,
        source=(
            f"{OPENAI_PYTHON}_client.py; {OPENAI_PYTHON}_exceptions.py; "
            "docs/openai-wire.md#b3-errors-and-retries"
        ),
        probes=(_probe,),
        mode=_mode,
        features=("chat",),
    )(_check_error_replay)


def _node_check(probe: str, what: str) -> Any:
    def run(x: Exchange) -> None:
        require_success(x)
        outcome = x.node  # a NodeOutcome, or why there is none (str) or None
        if outcome is None or isinstance(outcome, str):
            raise NotApplicable(f"no openai-node replay: {outcome or 'not replayed'}")
        if not outcome.ok:
            raise CheckFailure(
                f"openai-node cannot consume {what}: it raises {outcome.error}",
                excerpt=excerpt(x.body[:800]),
                clients={outcome.client: outcome.verdict()},
            )

    run.__name__ = f"openai_node_{probe}"
    return run


_NODE = {
    "models": ("the models list", Mode.BLACK_BOX, ("models",)),
    "chat": ("the completion", Mode.BLACK_BOX, ("chat",)),
    **{name: (what, mode, features) for name, (what, mode, features) in _STREAMS.items()},
}

for _probe, (_what, _mode, _features) in _NODE.items():
    check(
        f"clients.openai_node.{_probe}",
        title=f"openai-node consumes {_what} without an exception",
        # like openai-python's replays: every call of that kind breaks (docs/severity.md)
        severity=Severity.HIGH if _probe == "models" else Severity.CRITICAL,
        source=(
            f"{_NODE_SDK}; https://github.com/mnfst/llm-gateway/issues/2053; "
            "docs/openai-wire.md#b2-how-the-sdks-decode-a-stream"
        ),
        probes=(_probe,),
        mode=_mode,
        features=_features,
    )(_node_check(_probe, _what))


@check(
    "clients.openai_python.parse",
    title="openai-python's chat.completions.parse() turns a json_schema answer into the model",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}lib/_parsing/_completions.py; "
        "https://github.com/GewoonJaap/gemini-cli-openai/issues/150; "
        "docs/breakages.md#f4-response_format-dropped"
    ),
    probes=("response_json_schema",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def parse(x: Exchange) -> None:
    completion = _fail_on_error(x, "parse", "the json_schema answer")
    if completion.choices[0].message.parsed is None:
        raise CheckFailure(
            "chat.completions.parse() returned no parsed object", excerpt=excerpt(x.body[:600])
        )
