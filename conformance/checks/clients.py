"""Real clients as oracles: the target's bytes replayed through openai-python.

Each check replays one probe's recorded exchange through the official SDK
(``conformance.oracles``) and fails when the SDK raises where it should not, or does
not raise where a user must see an error. The SDK's exception is the evidence.
"""

from __future__ import annotations

import json
from typing import Any

from spec.profiles import PROFILES

from ..exchange import Exchange
from ..oracles import OPENAI_PYTHON as PYTHON_CLIENT
from ..oracles import _run, openai_python_version, replay_openai_python
from ..probes.field import answer_calls, legacy_function_calls
from ..registry import CheckFailure, Mode, NotApplicable, Severity, Undecided, check, excerpt
from ._common import OPENAI_PYTHON, json_object, require_response, require_success
from .causes import wrong_status
from .errors import require_key_refused_upstream
from .field import require_obeyed, require_result_turn

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
    "clients.openai_python.stream_helper_text",
    title="openai-python's chat.completions.stream() assembles the plain stream into one "
    "assistant message",
    # the helper returns the answer; only code that sends the assembled message back
    # (the next turn) is refused, and Google's own endpoint repeats the role too
    severity=Severity.MEDIUM,
    source=(
        f"{OPENAI_PYTHON}lib/streaming/_deltas.py; "
        "https://github.com/pydantic/logfire/pull/545; "
        "https://github.com/openinterpreter/openinterpreter/issues/244; "
        "docs/openai-wire.md#b1-chat-completion-objects-and-chunks"
    ),
    probes=("chat_stream",),
    features=("stream",),
)
def stream_helper_text(x: Exchange) -> None:
    """The helper concatenates every string field of the deltas (``accumulate_delta``):
    a ``role`` sent on every chunk becomes ``"assistantassistant..."``, which code that
    appends the assembled message to the conversation sends back on the next turn."""
    completion = _fail_on_error(x, "stream_helper", "the stream")
    if not completion.choices:
        raise CheckFailure("the assembled completion has no choices", excerpt=excerpt(x.body[:800]))
    role = completion.choices[0].message.role
    if role != "assistant":
        shown = role if len(role) <= 40 else f"{role[:40]}... ({len(role)} characters)"
        raise CheckFailure(
            f"the assembled message's role is {shown!r}: the helper concatenates a field "
            "sent on every chunk, and OpenAI sends role on the first delta only; code that "
            "appends the message to the conversation sends that role back, and the next "
            "request is refused",
            excerpt=excerpt(x.body[:800]),
            clients={
                f"{PYTHON_CLIENT} {openai_python_version()} (stream helper)": (
                    f"message.role == {shown!r}"
                )
            },
        )


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


def _require_content(result: Any, x: Exchange) -> None:
    """openai-python's ``choices[0].message.content`` of ``result`` is text, or
    :class:`CheckFailure`."""
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
    _require_content(result, x)


@check(
    "clients.openai_python.create_default",
    title="openai-python's create() without stream=True gets a ChatCompletion",
    severity=Severity.HIGH,
    source=(
        "https://github.com/GewoonJaap/gemini-cli-openai/issues/151; "
        f"{OPENAI_PYTHON}resources/chat/completions/completions.py; "
        "docs/profiles.md#gemini-cli-proxy"
    ),
    probes=("chat_no_stream_field",),
    features=("chat",),
    profiles=tuple(name for name, p in PROFILES.items() if p.stream_default),
)
def create_default(x: Exchange) -> None:
    """openai-python (and openai-node, LangChain's ChatOpenAI.invoke) send no ``stream``
    field unless asked to stream. A target that streams by default answers SSE, and
    create() hands back the raw text instead of a ChatCompletion."""
    result = _fail_on_error(x, "create", "the answer to a request without a stream field")
    if not hasattr(result, "choices"):
        raise CheckFailure(
            f"openai-python's create() sends no stream field and the target answered it "
            f"with {x.content_type or 'no Content-Type'} (its document streams by default): "
            f"create() returns the raw body as a {type(result).__name__}, not a "
            "ChatCompletion; every client that does not pass stream=False explicitly breaks",
            excerpt=excerpt(x.body[:600]),
        )
    _require_content(result, x)


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
    require_key_refused_upstream(x)
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


_REPLAYERS = {
    "node": "openai-node",
    "ai_sdk": "the AI SDK's OpenAI-compatible provider",
}
"""``Exchange`` attribute holding a Node.js client's replay -> who that client is."""


def _replay_check(attr: str, what: str, turn_of: Any = None, *, calls: bool = False) -> Any:
    """The replay of ``turn_of(x)`` (``x`` itself by default) through a Node.js client
    (``attr``: ``node`` or ``ai_sdk``, the outcome ``conformance.runner.attach_node``
    set) must not raise; ``calls``: and it must assemble as many tool calls as the
    answer carries (:func:`~conformance.probes.field.answer_calls`, or one legacy
    ``function_call``), counted by the AI SDK's replay."""
    who = _REPLAYERS[attr]

    def run(x: Exchange) -> None:
        turn = turn_of(x) if turn_of is not None else x
        require_success(turn)
        outcome = getattr(turn, attr)  # a NodeOutcome, or why there is none (str) or None
        if outcome is None or isinstance(outcome, str):
            raise NotApplicable(f"no {who} replay: {outcome or 'not replayed'}")
        if not outcome.ok:
            raise CheckFailure(
                f"{who} cannot consume {what}: it raises {outcome.error}",
                excerpt=excerpt(turn.body[:800]),
                clients={outcome.client: outcome.verdict()},
            )
        # a call is an entry with a name (a continuation delta without index, id or name
        # is part of the call before it, as the AI SDK reads it)
        named = sum(1 for c in answer_calls(turn) if c.get("name"))
        carried = named or len(legacy_function_calls(turn)[:1])
        if calls and outcome.calls < carried:
            legacy = " (as the legacy function_call, which it does not read)"
            raise CheckFailure(
                f"{who} assembles {outcome.calls} tool call(s) from {what}, which carries "
                f"{carried}{legacy if not named else ''}: the agent never runs "
                "the missing ones",
                excerpt=excerpt(turn.body[:800]),
                clients={outcome.client: f"{outcome.calls} tool call(s)"},
            )

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
    )(_replay_check("node", _what))


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


# ------------------------------------------------------------------ field answers
# A real model's answers to the field probes (conformance.probes.field), replayed through
# the SDKs: the shapes only a model that calls, thinks or answers n choices produces.
# Black-box; skipped in controlled mode with the rest of the field catalogue
# (conformance.runner.FIELD_CONTROLLED).

_FIELD_DOC = "docs/field-mode.md"
_DELTAS = f"{OPENAI_PYTHON}lib/streaming/_deltas.py"


def _sdk_calls(calls: Any, what: str, x: Exchange) -> list[Any]:
    """The SDK's ``message.tool_calls``, each with arguments that ``json.loads`` to an
    object (what every agent loop does next); :class:`CheckFailure` otherwise."""
    found: list[Any] = list(calls or [])
    if not found:
        raise CheckFailure(
            f"openai-python's message from {what} has no tool_calls, although the answer "
            "carries a call",
            excerpt=excerpt(x.body[:800]),
        )
    for call in found:
        name, raw = call.function.name, call.function.arguments
        try:
            args = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise CheckFailure(
                f"openai-python's arguments of {name!r} from {what} do not parse ({exc}); "
                "the agent loop's json.loads(arguments) raises",
                excerpt=excerpt(str(raw)),
            ) from None
        if not isinstance(args, dict):
            raise CheckFailure(
                f"openai-python's arguments of {name!r} from {what} are JSON "
                f"{type(args).__name__}, not an object",
                excerpt=excerpt(str(raw)),
            )
    return found


def _sdk_content(
    completion: Any, what: str, x: Exchange, choice: int = 0, *, model_may_be_silent: bool = False
) -> str:
    """``choices[choice].message.content`` as openai-python reads it: text, or
    :class:`CheckFailure`. With ``model_may_be_silent`` an empty (``""`` or ``None``)
    content is :class:`Undecided`: a real thinking model sometimes answers with empty
    text; a content of another type (a list of parts) still fails."""
    try:
        message = completion.choices[choice].message
    except (AttributeError, IndexError, TypeError) as exc:
        raise CheckFailure(
            f"openai-python's completion from {what} has no choices[{choice}].message ({exc})",
            excerpt=excerpt(x.body[:800]),
        ) from None
    content = message.content
    if model_may_be_silent and (content is None or content == ""):
        raise Undecided(
            f"{what}: the model answered with empty text (a real model may); nothing is concluded"
        )
    if not isinstance(content, str) or not content.strip():
        raise CheckFailure(
            f"openai-python reads choices[{choice}].message.content from {what} as "
            f"{content!r}: the user sees no answer",
            excerpt=excerpt(x.body[:800]),
        )
    return content


@check(
    "clients.openai_python.field_tool_named",
    title="openai-python parses a real model's forced (named) tool call: tool_calls with "
    "arguments that parse as a JSON object",
    severity=Severity.CRITICAL,
    source=(
        f"{OPENAI_PYTHON}resources/chat/completions/completions.py; "
        f"https://platform.openai.com/docs/guides/function-calling; {_FIELD_DOC}"
    ),
    probes=("field_tool_named",),
    features=("tools",),
)
def field_tool_named(x: Exchange) -> None:
    turn = require_obeyed(x)
    completion = _fail_on_error(turn, "create", "the forced tool call")
    _sdk_calls(completion.choices[0].message.tool_calls, "the forced tool call", turn)


@check(
    "clients.openai_python.field_tool_stream",
    title="openai-python's chat.completions.stream() assembles a real model's forced "
    "streamed tool call, with arguments that parse",
    severity=Severity.CRITICAL,
    source=f"{_DELTAS}; https://github.com/openai/openai-python/issues/2806; {_FIELD_DOC}",
    probes=("field_tool_required_stream",),
    features=("tools", "stream"),
)
def field_tool_stream(x: Exchange) -> None:
    turn = require_obeyed(x)
    completion = _fail_on_error(turn, "stream_helper", "the forced tool-call stream")
    _sdk_calls(completion.choices[0].message.tool_calls, "the forced tool-call stream", turn)


@check(
    "clients.openai_python.field_parallel_stream",
    title="openai-python's chat.completions.stream() assembles a real model's parallel "
    "streamed calls as separate calls with distinct ids",
    severity=Severity.CRITICAL,
    source=(
        f"{_DELTAS}; https://platform.openai.com/docs/guides/function-calling#parallel-function-"
        f"calling; https://github.com/openai/openai-python/issues/2806; {_FIELD_DOC}"
    ),
    probes=("field_parallel_stream",),
    features=("tools", "stream"),
)
def field_parallel_stream(x: Exchange) -> str:
    turn = require_obeyed(x)
    completion = _fail_on_error(turn, "stream_helper", "the parallel tool-call stream")
    calls = _sdk_calls(
        completion.choices[0].message.tool_calls, "the parallel tool-call stream", turn
    )
    ids = [call.id for call in calls]
    if len(calls) < 2 or len(set(ids)) != len(ids):
        raise CheckFailure(
            f"openai-python assembles {len(calls)} call(s) with ids {ids} from a stream of "
            "several calls: results go back to the wrong call, or calls are lost",
            excerpt=excerpt(turn.body[:1200]),
        )
    return f"{len(calls)} calls: {', '.join(call.function.name for call in calls)}"


def _result_turn(x: Exchange) -> Exchange:
    """``x`` when it is the tool-result turn after an obeyed forced call; skipped or
    undecided otherwise (``field.tool_result_turn`` reports why)."""
    turn = require_obeyed(x)
    require_success(turn)
    require_result_turn(x)
    require_success(x)
    return x


@check(
    "clients.openai_python.field_tool_result",
    title="openai-python consumes the answer to the tool-result turn (unary and streamed)",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}resources/chat/completions/completions.py; {_DELTAS}; "
        f"https://platform.openai.com/docs/guides/function-calling; {_FIELD_DOC}"
    ),
    probes=("field_tool_named",),
    also=("field_tool_required_stream",),
    features=("tools",),
)
def field_tool_result(x: Exchange) -> None:
    second = _result_turn(x)
    streamed = second.content_type == "text/event-stream"
    what = "the streamed answer to the tool results" if streamed else "the tool-result answer"
    completion = _fail_on_error(second, "stream_helper" if streamed else "create", what)
    message = completion.choices[0].message
    if message.tool_calls:  # the model called again: the calls must still be usable
        _sdk_calls(message.tool_calls, what, second)
        return
    _sdk_content(completion, what, second)


@check(
    "clients.openai_python.field_think",
    title="openai-python parses a real thinking model's answer: content, and reasoning_content "
    "as the answer gave it",
    severity=Severity.CRITICAL,
    source=(
        f"{OPENAI_PYTHON}resources/chat/completions/completions.py; "
        "https://ai.google.dev/gemini-api/docs/openai#thinking; "
        f"docs/openai-wire.md#b5-reasoning-fields; {_FIELD_DOC}"
    ),
    probes=("field_think_effort",),
    also=("field_think_model",),
    features=("chat",),
)
def field_think(x: Exchange) -> None:
    completion = _fail_on_error(x, "create", "the thinking answer")
    _sdk_content(completion, "the thinking answer", x, model_may_be_silent=True)
    raw = json_object(x)["choices"][0]["message"].get("reasoning_content")
    got = getattr(completion.choices[0].message, "reasoning_content", None)
    if isinstance(raw, str) and got != raw:
        raise CheckFailure(
            "openai-python's message.reasoning_content differs from the answer's",
            excerpt=excerpt(json.dumps({"answer": raw, "sdk": got})[:600]),
        )


@check(
    "clients.openai_python.field_think_stream",
    title="openai-python's chat.completions.stream() assembles a real thinking model's "
    "stream into content (reasoning deltas alongside)",
    severity=Severity.CRITICAL,
    source=(
        f"{_DELTAS}; {OPENAI_PYTHON}lib/streaming/chat/_completions.py; "
        f"https://ai.google.dev/gemini-api/docs/openai#thinking; {_FIELD_DOC}"
    ),
    probes=("field_think_effort_stream",),
    also=("field_think_google_stream",),
    features=("chat", "stream"),
)
def field_think_stream(x: Exchange) -> None:
    completion = _fail_on_error(x, "stream_helper", "the thinking stream")
    _sdk_content(completion, "the thinking stream", x, model_may_be_silent=True)


@check(
    "clients.openai_python.field_long_stream",
    title="openai-python's chat.completions.stream() assembles a real model's long streamed "
    "answer and its 'stop' finish",
    severity=Severity.CRITICAL,
    source=f"{_DELTAS}; {OPENAI_PYTHON}lib/streaming/chat/_completions.py; {_FIELD_DOC}",
    probes=("field_long_stream",),
    features=("stream",),
)
def field_long_stream(x: Exchange) -> None:
    x = require_obeyed(x)  # a too-short list twice is undecided (field.stream_not_buffered)
    completion = _fail_on_error(x, "stream_helper", "the long streamed answer")
    content = _sdk_content(completion, "the long streamed answer", x)
    reason = completion.choices[0].finish_reason
    if reason != "stop":
        raise CheckFailure(
            f"openai-python's assembled completion finishes with {reason!r} after "
            f"{len(content)} characters, expected 'stop'",
            excerpt=excerpt(x.body[-500:]),
        )


def _city_model() -> Any:
    """A pydantic model of :data:`~conformance.probes.field.STRUCTURED_SCHEMA`."""
    from pydantic import BaseModel, ConfigDict

    class City(BaseModel):
        model_config = ConfigDict(extra="forbid")
        city: str
        country: str
        population: int

    return City


@check(
    "clients.openai_python.parse_field_structured",
    title="openai-python's chat.completions.parse() turns a real model's json_schema answer "
    "into the requested model",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}lib/_parsing/_completions.py; "
        "https://platform.openai.com/docs/guides/structured-outputs; "
        "docs/breakages.md#f4-response_format-dropped"
    ),
    probes=("field_structured",),
    features=("chat",),
)
def parse_field_structured(x: Exchange) -> None:
    require_success(x)
    city = _city_model()

    def parse(client: Any) -> Any:
        return client.chat.completions.parse(
            model="replay", messages=[{"role": "user", "content": "replay"}], response_format=city
        )

    outcome = _run(f"{PYTHON_CLIENT} {openai_python_version()} (parse)", parse, x)
    if not outcome.ok:
        raise CheckFailure(
            f"openai-python's chat.completions.parse() cannot read the json_schema answer: it "
            f"raises {outcome.error}",
            excerpt=excerpt(x.body[:800]),
            clients={outcome.client: outcome.verdict()},
        )
    parsed = outcome.result.choices[0].message.parsed
    if not isinstance(parsed, city):
        raise CheckFailure(
            f"chat.completions.parse() returned {parsed!r}, not the requested model",
            excerpt=excerpt(x.body[:600]),
        )


@check(
    "clients.openai_python.field_n",
    title="openai-python parses n: 2 answered by a real model into two choices with content",
    severity=Severity.MEDIUM,
    source=(
        f"{OPENAI_PYTHON}resources/chat/completions/completions.py; "
        "https://platform.openai.com/docs/api-reference/chat/create#chat-create-n; "
        "docs/breakages.md#f8-several-choices-n-dropped"
    ),
    probes=("field_n",),
    features=("chat",),
)
def field_n(x: Exchange) -> None:
    require_success(x)  # a clear 400 refusing n > 1 is field.n_choices's to judge
    completion = _fail_on_error(x, "create", "the n: 2 answer")
    if len(completion.choices) != 2:
        raise CheckFailure(
            f"openai-python reads {len(completion.choices)} choice(s) for n: 2",
            excerpt=excerpt(x.body[:800]),
        )
    for i in range(2):
        content = completion.choices[i].message.content
        if not isinstance(content, str):
            raise CheckFailure(
                f"openai-python reads choices[{i}].message.content of the n: 2 answer as "
                f"{content!r}",
                excerpt=excerpt(x.body[:800]),
            )


@check(
    "clients.openai_python.field_image",
    title="openai-python parses the answer to an image question: message.content is text",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}resources/chat/completions/completions.py; "
        "https://platform.openai.com/docs/guides/images-vision; "
        "docs/breakages.md#f7-image-urls-not-converted"
    ),
    probes=("field_image",),
    features=("chat",),
)
def field_image(x: Exchange) -> None:
    _sdk_content(_fail_on_error(x, "create", "the image answer"), "the image answer", x)


def _same(x: Exchange) -> Exchange:
    return x


_NODE_FIELD: dict[str, tuple[str, tuple[str, ...], Any, str, tuple[str, ...]]] = {
    "field_tool_named": (
        "a real model's forced (named) tool call",
        ("field_tool_named",),
        require_obeyed,
        "HIGH",
        ("tools",),
    ),
    "field_tool_stream": (
        "a real model's forced streamed tool call",
        ("field_tool_required_stream",),
        require_obeyed,
        "CRITICAL",
        ("tools", "stream"),
    ),
    "field_parallel_stream": (
        "a real model's parallel streamed tool calls",
        ("field_parallel_stream",),
        require_obeyed,
        "CRITICAL",
        ("tools", "stream"),
    ),
    "field_tool_result": (
        "the answer to the tool-result turn (unary and streamed)",
        ("field_tool_named", "field_tool_required_stream"),
        _result_turn,
        "HIGH",
        ("tools",),
    ),
    "field_think": (
        "a real thinking model's answer",
        ("field_think_effort", "field_think_model"),
        _same,
        "CRITICAL",
        ("chat",),
    ),
    "field_think_stream": (
        "a real thinking model's stream",
        ("field_think_effort_stream", "field_think_google_stream"),
        _same,
        "CRITICAL",
        ("chat", "stream"),
    ),
    "field_structured": (
        "a real model's json_schema answer",
        ("field_structured",),
        _same,
        "HIGH",
        ("chat",),
    ),
    "field_n": ("a real model's n: 2 answer", ("field_n",), _same, "MEDIUM", ("chat",)),
    "field_long_stream": (
        "a real model's long streamed answer",
        ("field_long_stream",),
        _same,
        "CRITICAL",
        ("stream",),
    ),
    "field_image": (
        "the answer to an image question",
        ("field_image",),
        _same,
        "HIGH",
        ("chat",),
    ),
}
"""openai-node check name -> (what, probes (the first, then ``also``), the exchange whose
replay is judged, severity, features). The replays are ``conformance.runner.NODE_REPLAYS``
(tool probes' call turns: ``NODE_CALL_TURNS``)."""

for _name, (_what, _probes, _turn_of, _severity, _features) in _NODE_FIELD.items():
    check(
        f"clients.openai_node.{_name}",
        title=f"openai-node consumes {_what} without an exception",
        severity=Severity[_severity],
        source=(
            f"{_NODE_SDK}; https://github.com/openai/openai-node/blob/v5.0.0/src/resources/chat/"
            f"completions/completions.ts; docs/openai-wire.md#b2-how-the-sdks-decode-a-stream; "
            f"{_FIELD_DOC}"
        ),
        probes=_probes[:1],
        also=_probes[1:],
        features=_features,
    )(_replay_check("node", _what, _turn_of))


_AI_SDK = (
    "https://github.com/vercel/ai/blob/@ai-sdk/openai-compatible@3.0.97/packages/"
    "openai-compatible/src/chat/openai-compatible-chat-language-model.ts; "
    "https://github.com/vercel/ai/issues/19165"
)
_AI_SDK_FIELD = (
    "field_tool_stream",
    "field_parallel_stream",
    "field_think_stream",
    "field_long_stream",
)
"""The field checks of :data:`_NODE_FIELD` replayed through the AI SDK too (the
streams: where it refuses what openai-node lets pass)."""

for _probe in ("chat", *_STREAMS):
    _what, _mode, _features = _NODE[_probe]
    check(
        f"clients.ai_sdk.{_probe}",
        title=f"the AI SDK's OpenAI-compatible provider consumes {_what} without an error",
        # streamText ends every such call with an error part (docs/severity.md: critical)
        severity=Severity.CRITICAL,
        source=f"{_AI_SDK}; docs/openai-wire.md#b2-how-the-sdks-decode-a-stream",
        probes=(_probe,),
        mode=_mode,
        features=_features,
    )(_replay_check("ai_sdk", _what, calls=_probe == "tool_calls_stream"))

for _name in _AI_SDK_FIELD:
    _what, _probes, _turn_of, _severity, _features = _NODE_FIELD[_name]
    check(
        f"clients.ai_sdk.{_name}",
        title=f"the AI SDK's OpenAI-compatible provider consumes {_what} without an error",
        severity=Severity[_severity],
        source=f"{_AI_SDK}; docs/openai-wire.md#b2-how-the-sdks-decode-a-stream; {_FIELD_DOC}",
        probes=_probes[:1],
        also=_probes[1:],
        features=_features,
    )(_replay_check("ai_sdk", _what, _turn_of, calls="tools" in _features))
