"""Pure request -> response logic of the mock Gemini v1beta backend (no aiohttp here).

The entry points take a model, the request (raw bytes or parsed body), a directive and
the seed, and return a :class:`Reply`: HTTP status, headers, and either a whole body
or the timed socket writes of a stream. Nothing reads a clock, so the same seed and the
same request give byte-identical replies (docs/gemini-wire.md A2, A3, A5;
docs/openai-wire.md C1-C2).

Directive precedence (:func:`select_directive`): the ``x-mock-scenario`` header, then
the admin queue, then the last ``[[mock:...]]`` of the last user content with text.
The token rule and ``candidateCount`` are documented in :mod:`mockserver.plans`,
how the default scenario (``text``) answers a plain prompt as a real model would (a
call in mode ``ANY``, parallel calls for several lookups, thoughts on
``includeThoughts``, ``stopSequences``, counts and long paced lists) in
:mod:`mockserver.prompted`,
JSON mode (``responseMimeType: application/json``) in :mod:`mockserver.structured`,
image, audio and Imagen answers in :mod:`mockserver.multimodal`. :func:`decide` is the
framing-free core that the Gemini routes (:func:`generate`), Google's OpenAI-compatible
endpoint (:mod:`mockserver.compat`) and Code Assist (:mod:`mockserver.codeassist`)
share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from mockserver import errors, faults, prompted
from mockserver.catalog import ModelInfo
from mockserver.embed import embed_request
from mockserver.envelopes import stream_chunks, unary_response
from mockserver.framing import Write, json_array_writes, plan_writes, pretty, sse_event
from mockserver.multimodal import media_plan, predict_body
from mockserver.plans import (
    THOUGHT_TOKENS,
    Plan,
    document_plan,
    function_call_plan,
    in_parts,
    no_content_plan,
    prompt_blocked_plan,
    response_id,
    text_plan,
    with_candidates,
    with_thoughts,
)
from mockserver.request import (
    candidate_count,
    check_thought_signatures,
    directive_from_text,
    ends_with_function_response,
    find_inband_directive,
    get,
    include_thoughts,
    max_output_tokens,
    parse_json,
    prompt_tokens,
    request_key,
    service_tier,
    stop_sequences,
    streams_call_arguments,
    thinks,
    validate_generate,
)
from mockserver.structured import document, json_mode
from mockserver.summary import summarize
from mockserver.toolargs import DEFAULT_TOOL, args_for, callable_tools
from spec.mock_admin import GenerateSummary, MediaSummary, ReplySummary
from spec.scenarios import Directive, Scenario
from spec.wire import GenerateContentResponse

__all__ = [
    "JSON_HEADERS",
    "SSE_HEADERS",
    "Handled",
    "Outcome",
    "Replay",
    "Reply",
    "Wrap",
    "decide",
    "error_reply",
    "generate",
    "generate_error",
    "handle_count_tokens",
    "handle_embed",
    "handle_generate",
    "handle_predict",
    "json_reply",
    "replay_or_error",
    "select_directive",
]

Headers = tuple[tuple[str, str], ...]

_GOOGLE: Headers = (
    ("Vary", "Origin"),
    ("Vary", "X-Origin"),
    ("Vary", "Referer"),
    ("Server", "scaffolding on HTTPServer2"),
)
JSON_HEADERS: Headers = (("Content-Type", "application/json; charset=UTF-8"), *_GOOGLE)
"""Unary and error replies (A2)."""
SSE_HEADERS: Headers = (
    ("Content-Type", "text/event-stream"),
    ("Content-Disposition", "attachment"),
    *_GOOGLE,
)
"""``streamGenerateContent?alt=sse`` (A3): no ``Cache-Control``."""
SSE_ERROR_HEADERS: Headers = (("Content-Type", "text/event-stream"), *_GOOGLE)
"""An error answered to ``streamGenerateContent?alt=sse`` on v1beta: Google's JSON error
body under ``Content-Type: text/event-stream`` (A5; recorded by crewAI and mirascope for
a bad key and an unknown model)."""


DEFAULT_DIRECTIVE = Directive()


class Reply(NamedTuple):
    """What to send. ``writes is None``: send ``body`` whole; else stream the writes.

    ``first_byte_ms``: wait this many milliseconds before the status line.
    ``abort``: after the writes, close the connection without ending the body (a
    chunked body without its last chunk), i.e. a mid-stream cut. ``summary``: for
    generate calls, what the reply says (:func:`~mockserver.summary.summarize`, plus
    ``error: {"code", "status", "message"}`` when an error was sent); the journal
    records it as ``response``. ``content_length``: send the writes with this
    ``Content-Length`` instead of chunked (directive ``length=1``; with ``abort`` it is
    the length of the whole uncut body, so the client sees a short body).
    """

    status: int
    headers: Headers
    body: bytes = b""
    writes: tuple[Write, ...] | None = None
    first_byte_ms: int = 0
    abort: bool = False
    summary: ReplySummary | None = None
    content_length: int | None = None
    separate: bool = False
    """Every write in a socket send of its own (directive ``split``: the pieces must
    reach the proxy's parser as separate reads, not only as separate HTTP chunks)."""
    fault: faults.Fault | None = None
    """A transport fault (:mod:`mockserver.faults`): how the writes end, or that they
    are not sent at all; ``None`` for every ordinary reply."""
    bad_tail: bytes = b""
    """``malformed_chunk``: the raw bytes written after the writes, outside HTTP chunk
    framing (an illegal chunk-size line and what follows it)."""
    chunked: bool = False
    """Send ``body`` (``writes is None``) as one HTTP chunk, without ``Content-Length``:
    how Google frames its generate answers, unary ones too (docs/gemini-wire.md A2)."""


class Handled(NamedTuple):
    """A reply plus the directive that chose it (the journal records its scenario, cid)."""

    reply: Reply
    directive: Directive | None = None


def as_stream_error(handled: Handled, *, sse: bool) -> Handled:
    """``handled`` as Google answers a ``streamGenerateContent`` call with an error: the
    body with ``Content-Length``, not chunked (six recorded 400s and 404s), and with
    ``sse`` (``alt=sse``) under :data:`SSE_ERROR_HEADERS` when its type is JSON (a
    recorded error keeps its own type; A5). A reply that is no error: ``handled``."""
    reply = handled.reply
    if reply.status < 400:
        return handled
    # error_reply's own headers, by identity: a capture's recorded error headers differ
    headers = SSE_ERROR_HEADERS if sse and reply.headers is JSON_HEADERS else reply.headers
    return handled._replace(reply=reply._replace(headers=headers, chunked=False))


def json_reply(body: bytes, status: int = 200) -> Reply:
    """A whole JSON body with Google's headers, as one HTTP chunk: Google frames its
    JSON answers chunked, with no ``Content-Length`` (``generateContent``,
    ``countTokens``, ``batchEmbedContents``, ``predict`` in every recording; A2)."""
    return Reply(status, JSON_HEADERS, body, chunked=True)


def error_reply(error: errors.GoogleError, first_byte_ms: int = 0) -> Reply:
    """The google.rpc.Status reply for ``error`` (A5), chunked as Google sends the
    errors of ``generateContent`` (a streamed call's: :func:`as_stream_error`)."""
    return Reply(error.status, JSON_HEADERS, error.body, first_byte_ms=first_byte_ms, chunked=True)


def _error_summary(code: int, status: str, message: str) -> GenerateSummary:
    return {
        "text": "",
        "thoughts": "",
        "function_calls": [],
        "finish_reason": None,
        "candidates": 0,
        "texts": [],
        "finish_reasons": [],
        "error": {"code": code, "status": status, "message": message},
    }


def generate_error(error: errors.GoogleError, first_byte_ms: int = 0) -> Reply:
    """The A5 error reply to a generate call, with the journal's error summary."""
    summary = _error_summary(error.status, error.grpc_status, error.message)
    return error_reply(error, first_byte_ms)._replace(summary=summary)


_ERRORS: dict[Scenario, Callable[[ModelInfo, Directive], errors.GoogleError]] = {
    Scenario.RATE_LIMIT: lambda m, d: errors.rate_limit(m.id, d.retry_delay),
    # the first credential of the cid (mockserver.quota.FirstKeys rewrites the others)
    Scenario.KEY_RATE_LIMIT: lambda m, d: errors.rate_limit(m.id, d.retry_delay),
    Scenario.DAILY_QUOTA: lambda m, d: errors.daily_quota(m.id),
    Scenario.BAD_REQUEST: lambda m, d: errors.bad_request(),
    Scenario.PERMISSION_DENIED: lambda m, d: errors.permission_denied(),
    Scenario.NOT_FOUND: lambda m, d: errors.model_not_found(m.id, "generateContent"),
    Scenario.INTERNAL: lambda m, d: errors.internal(),
    Scenario.UNAVAILABLE: lambda m, d: errors.unavailable(),
}
_UNARY_ERRORS: dict[Scenario, Callable[[], errors.GoogleError]] = {
    Scenario.MID_STREAM_CUT: errors.internal,
    Scenario.MID_STREAM_ERROR: errors.unavailable,
}
_NO_CONTENT = {
    Scenario.SAFETY: "SAFETY",
    Scenario.RECITATION: "RECITATION",
    Scenario.MALFORMED_FUNCTION_CALL: "MALFORMED_FUNCTION_CALL",
}
_CUT_PLANS = frozenset({Scenario.MID_STREAM_CUT, Scenario.MID_STREAM_ERROR}) | faults.CUT
_PARTED = frozenset({Scenario.TEXT, Scenario.THOUGHTS})
"""Scenarios whose answer text directive ``parts`` splits (:func:`mockserver.plans.in_parts`)."""
"""Scenarios that send ``cut_after`` chunks and then fail: the plan has one more."""
_MID_STREAM_ERROR_BODY = errors.status_body(503, "UNAVAILABLE", errors.UNAVAILABLE_MESSAGE)


_TOOL_SCENARIOS = frozenset(
    {
        Scenario.TOOL_CALL,
        Scenario.PARALLEL_TOOL_CALLS,
        Scenario.TOOL_CALL_STREAMED_ARGS,
        Scenario.PARALLEL_TOOL_CALLS_STREAMED_ARGS,
    }
)
_PARALLEL = frozenset({Scenario.PARALLEL_TOOL_CALLS, Scenario.PARALLEL_TOOL_CALLS_STREAMED_ARGS})
_STREAMED_ARGS = frozenset(
    {Scenario.TOOL_CALL_STREAMED_ARGS, Scenario.PARALLEL_TOOL_CALLS_STREAMED_ARGS}
)


def _tool_plan(
    model: ModelInfo,
    body: dict[str, Any],
    d: Directive,
    key: bytes,
    signed: bool,
    hidden: int,
    streamed: bool,
    trailer: bool,
    planned: list[tuple[str, dict[str, Any]]] | None = None,
) -> Plan | None:
    together = not model.gemini3 if d.apart is None else not d.apart
    if planned is not None:  # the calls a plain prompt asks for (mockserver.prompted)
        calls, shown = planned, hidden > 0 and include_thoughts(body)
        return _calls_plan(model, key, calls, signed, hidden, streamed, trailer, shown, together)
    tools = callable_tools(body)
    if tools is None or ends_with_function_response(body):
        return None
    decls = tools or [DEFAULT_TOOL]
    first = decls[0]
    calls = [(first["name"], args_for(first, 0))]
    if d.scenario in _PARALLEL:
        second = decls[1] if len(decls) > 1 else first
        calls.append((first["name"], args_for(first, 1)))
        calls.append((second["name"], args_for(second, 2 if second is first else 0)))
    shown = include_thoughts(body)
    return _calls_plan(model, key, calls, signed, hidden, streamed, trailer, shown, together)


def _calls_plan(
    model: ModelInfo,
    key: bytes,
    calls: list[tuple[str, dict[str, Any]]],
    signed: bool,
    hidden: int,
    streamed: bool,
    trailer: bool,
    shown: bool,
    together: bool,
) -> Plan:
    plan = function_call_plan(
        key,
        calls,
        with_ids=model.gemini3,
        signed=signed,
        # "Model generated function call(s).": Gemini 3 (unary answers only; its streams
        # carry none), and 2.5 when it thought (hidden counts the thought tokens of a
        # thinking request), streamed too; not Gemini 2.0 (recordings)
        finish_message="unary" if model.gemini3 else hidden > 0,
        hidden_thoughts=0 if shown else hidden,
        trailer=trailer,
        streamed=streamed,
        together=together,
    )
    return with_thoughts(plan, key) if shown else plan


def _plan(
    model: ModelInfo,
    body: dict[str, Any],
    d: Directive,
    key: bytes,
    signed: bool,
    streamed: bool = False,
    trailer: bool = False,
) -> Plan:
    scenario = d.scenario
    if scenario in _NO_CONTENT:
        return no_content_plan(_NO_CONTENT[scenario])
    if scenario is Scenario.PROMPT_BLOCKED:
        return prompt_blocked_plan()
    config = get(body, "generationConfig")
    if model.image or model.tts or config:
        media = media_plan(model, body, key, chunks=d.chunks, signed=signed)
        if media is not None:
            return media
    thinking = model.thinking and thinks(body, model.thinking_off)
    plain = scenario is Scenario.TEXT  # answered as a real model would: mockserver.prompted
    prompt = prompted.user_text(body) if plain else ""
    system = prompted.context_text(body) if plain else ""
    planned = prompted.planned_calls(body, prompt) if plain else None
    if scenario in _TOOL_SCENARIOS or planned:
        hidden = THOUGHT_TOKENS if thinking else 0
        # a model that thought signs its first call (Gemini 2.5 as 3: every 2.5 Flash call
        # in mirascope's and pydantic-ai's recordings carries a thoughtSignature)
        call_signed = signed or (thinking and d.signature is None)
        plan = _tool_plan(
            model, body, d, key, call_signed, hidden, streamed, trailer, planned or None
        )
        if plan is not None:
            return plan
    chunks = d.chunks
    if scenario in _CUT_PLANS:
        chunks = max(chunks, d.cut_after + 1)
    shown = scenario is Scenario.THOUGHTS
    shape: dict[str, Any] = {
        "chunks": chunks,
        "max_tokens": max_output_tokens(body),
        "thoughts": shown or thinking,
        "show_thoughts": (shown or (plain and thinking)) and include_thoughts(body),
        "force_cut": scenario is Scenario.MAX_TOKENS,
        "signed": signed,
        "trailer": trailer,
    }
    as_json, count = (json_mode(config), candidate_count(config)) if config else (False, 1)
    stops = stop_sequences(config) if plain and config else ()

    def answer(k: bytes, index: int) -> Plan:
        if as_json:
            text = document(config, k, index)
            return document_plan(k, text, stops=stops, thought_budget=plain, **shape)
        if plain:
            return prompted.answer_plan(k, prompt, stops=stops, system=system, **shape)
        return text_plan(k, **shape)

    first = answer(key, 0)
    return first if count == 1 else with_candidates(first, key, count, answer)


class Outcome(NamedTuple):
    """A decided answer before any framing: the plan, ``prompt`` tokens, the
    ``responseId`` and the 32-byte request key everything was derived from."""

    plan: Plan
    prompt: int
    rid: str
    key: bytes


Wrap = Callable[[GenerateContentResponse, str], dict[str, Any]]
"""Turns one GenerateContentResponse (and the ``responseId``) into what is sent, e.g.
the Code Assist ``{"response", "traceId"}`` envelope (A7)."""


def decide(
    model: ModelInfo,
    body: dict[str, Any],
    directive: Directive,
    seed: int,
    *,
    stream: bool,
    vertex: bool = False,
    native: bool = False,
) -> Outcome:
    """What a validated generate ``body`` is answered with; raises GoogleError.

    Error scenarios raise their A5 error; ``mid_stream_cut``/``mid_stream_error`` raise
    500/503 when not streaming; gemini-3 models check the thought signatures of the
    history first. ``seed`` (int in [0, 2**64)) is used unless the directive has one.
    A thinking model (:attr:`~mockserver.catalog.ModelInfo.thinking`) reports its thought
    tokens in every answer; it shows thought parts when the request sets
    ``includeThoughts`` under the default scenario and scenario ``thoughts`` (which
    shows them on any model).

    ``native``: the caller sends the plan as Gemini chunks (:func:`generate`; not the
    OpenAI-compatible endpoint), so the Gemini-only stream shapes apply: Gemini 3's
    closing empty part (the text answer's signature part, the tool-call stream's empty
    text part) and streamed function-call arguments (``partialArgs``,
    :func:`mockserver.plans.streamed_call_pieces`). These need ``stream`` and either a
    ``*_streamed_args`` scenario or, with ``vertex`` (a Vertex-backed upstream: Code
    Assist, Antigravity) and a Gemini 3 model, the request's
    ``streamFunctionCallArguments``. ``serviceTier`` sets :attr:`~mockserver.plans.Plan.
    tier`.
    """
    scenario = directive.scenario
    if model.gemini3:
        check_thought_signatures(body)
    make_error = _ERRORS.get(scenario)
    if make_error is not None:
        raise make_error(model, directive)
    if not stream and scenario in _UNARY_ERRORS:
        raise _UNARY_ERRORS[scenario]()
    key = request_key(body, seed if directive.seed is None else directive.seed)
    signed = model.gemini3 if directive.signature is None else directive.signature
    streamed = (
        stream
        and native
        and (
            scenario in _STREAMED_ARGS
            or (vertex and model.gemini3 and streams_call_arguments(body))
        )
    )
    plan = _plan(model, body, directive, key, signed, streamed, native and model.gemini3)
    if directive.parts > 1 and native and not plan.others and scenario in _PARTED:
        plan = in_parts(plan, directive.parts)
    if model.gemini3:
        plan = plan._replace(late_thoughts=True)
    if "serviceTier" in body or "service_tier" in body:
        plan = plan._replace(tier=service_tier(body))
    return Outcome(plan, prompt_tokens(body), response_id(key), key)


def generate(
    model: ModelInfo,
    body: dict[str, Any],
    directive: Directive,
    seed: int,
    *,
    stream: bool,
    sse: bool = True,
    wrap: Wrap | None = None,
) -> Reply:
    """The reply to a validated generateContent / streamGenerateContent body.

    ``stream``: ``:streamGenerateContent``; ``sse``: with ``alt=sse`` (else a JSON
    array body). ``wrap`` is applied to every response object (not to a mid-stream
    error event); a wrapped reply is a Code Assist one, whose upstream is Vertex-backed
    (``vertex`` of :func:`decide`). Errors (:func:`decide`) give the A5 envelopes. The
    directive's ``first_byte_ms`` applies to every reply; ``length`` picks the body
    framing.
    """
    delay = directive.first_byte_ms
    scenario = directive.scenario
    try:
        outcome = decide(
            model,
            body,
            directive,
            seed,
            stream=stream,
            vertex=wrap is not None,
            native=True,
        )
    except errors.GoogleError as exc:
        return generate_error(exc, delay)
    plan, prompt, rid, _ = outcome
    if not stream:
        response = unary_response(plan, prompt=prompt, version=model.version, rid=rid)
        data = pretty(response if wrap is None else wrap(response, rid))
        if scenario in faults.SCENARIOS:
            shape = faults.unary_fault(scenario, data, plan, directive)
            return Reply(200, JSON_HEADERS, first_byte_ms=delay, **shape._asdict())
        summary = summarize(plan)
        if directive.length is False:
            return Reply(
                200, JSON_HEADERS, writes=(Write(data),), first_byte_ms=delay, summary=summary
            )
        return Reply(
            200,
            JSON_HEADERS,
            data,
            first_byte_ms=delay,
            summary=summary,
            chunked=not directive.length,  # Google's framing; length=1: Content-Length
        )
    chunks: list[Any] = stream_chunks(plan, prompt=prompt, version=model.version, rid=rid)
    if wrap is not None:
        chunks = [wrap(chunk, rid) for chunk in chunks]
    if scenario in faults.SCENARIOS:
        shape = faults.stream_fault(scenario, chunks, plan, directive, sse=sse)
        headers = SSE_HEADERS if sse else JSON_HEADERS
        return Reply(200, headers, first_byte_ms=delay, **shape._asdict())
    whole = chunks
    abort = False
    summary = summarize(plan)
    if scenario is Scenario.MID_STREAM_CUT:
        chunks = chunks[: directive.cut_after]
        summary = summarize(plan, directive.cut_after)
        abort = True
    elif scenario is Scenario.MID_STREAM_ERROR:
        chunks = [*chunks[: directive.cut_after], _MID_STREAM_ERROR_BODY]
        summary = summarize(plan, directive.cut_after)
        summary["error"] = _MID_STREAM_ERROR_BODY["error"]
    if sse:
        newline = b"\n" if directive.framing == "lf" else b"\r\n"
        events = [sse_event(chunk, newline) for chunk in chunks]
        headers = SSE_HEADERS
    else:
        events = json_array_writes(chunks, close=not abort)
        headers = JSON_HEADERS
    length = None
    if directive.length:
        if abort and sse:
            length = sum(len(sse_event(chunk, newline)) for chunk in whole)
        elif abort:
            length = sum(map(len, json_array_writes(whole)))
        else:
            length = sum(map(len, events))
    writes = plan_writes(
        events,
        split=directive.split,
        coalesce=directive.coalesce,
        chunk_ms=directive.chunk_ms or plan.pace_ms,
    )
    return Reply(
        200,
        headers,
        writes=writes,
        first_byte_ms=delay,
        abort=abort,
        summary=summary,
        content_length=length,
        separate=directive.split > 0,
    )


def select_directive(
    request: dict[str, Any], header: str | None, pop_queued: Callable[[], Directive | None]
) -> Directive:
    """The directive for a generate call: ``header`` (the ``x-mock-scenario`` value), else
    the next queued one (``pop_queued`` is called, and so consumes it, only when there
    is no header), else the in-band one, else the default. Raises GoogleError 400."""
    if header is not None:
        return directive_from_text(header)
    return pop_queued() or find_inband_directive(request) or DEFAULT_DIRECTIVE


Replay = Callable[[Directive], Reply]
"""Answers a directive that names a capture (``capture=NAME``) for one kind of request:
see :meth:`mockserver.captures.Captures.reply`."""


def replay_or_error(directive: Directive, replay: Replay | None) -> Reply:
    """``replay(directive)``, or a 400 ``INVALID_ARGUMENT`` when no captures are loaded."""
    if replay is None:
        message = f"Unknown capture {directive.capture!r}; no captures are loaded."
        return generate_error(errors.invalid_argument(message), directive.first_byte_ms)
    return replay(directive)


def handle_generate(
    model: ModelInfo,
    raw: bytes,
    *,
    header: str | None,
    pop_queued: Callable[[], Directive | None],
    seed: int,
    stream: bool,
    sse: bool,
    replay: Replay | None = None,
) -> Handled:
    """Parse, validate, pick the directive (:func:`select_directive`), then
    :func:`generate`, or ``replay`` when the directive names a capture. Never raises."""
    try:
        request = validate_generate(parse_json(raw))
        directive = select_directive(request, header, pop_queued)
    except errors.GoogleError as exc:
        return Handled(generate_error(exc))
    if directive.capture is not None:
        return Handled(replay_or_error(directive, replay), directive)
    return Handled(generate(model, request, directive, seed, stream=stream, sse=sse), directive)


def _predict_directive(
    body: Any, header: str | None, pop_queued: Callable[[], Directive | None]
) -> Directive:
    if header is not None:
        return directive_from_text(header)
    queued = pop_queued()
    if queued is not None:
        return queued
    instances = body.get("instances") if isinstance(body, dict) else None
    last = instances[-1] if isinstance(instances, list) and instances else None
    prompt = last.get("prompt") if isinstance(last, dict) else None
    if isinstance(prompt, str) and "[[mock:" in prompt:
        return directive_from_text(prompt)
    return DEFAULT_DIRECTIVE


def handle_predict(
    model: ModelInfo,
    raw: bytes,
    *,
    header: str | None,
    pop_queued: Callable[[], Directive | None],
    seed: int,
) -> Handled:
    """Imagen ``:predict`` (A6, :func:`mockserver.multimodal.predict_body`). Never raises.

    The directive comes from the header, the queue or the last instance's ``prompt``;
    error scenarios and ``seed`` and ``first_byte_ms`` apply, other scenarios do not
    change the images.
    """
    directive = None
    try:
        body = parse_json(raw)
        directive = _predict_directive(body, header, pop_queued)
        make_error = _ERRORS.get(directive.scenario)
        if make_error is not None:
            raise make_error(model, directive)
        key = request_key(body, seed if directive.seed is None else directive.seed)
        data, media = predict_body(body, key)
    except errors.GoogleError as exc:
        delay = directive.first_byte_ms if directive is not None else 0
        return Handled(generate_error(exc, delay), directive)
    summary: MediaSummary = {"media": media}
    reply = Reply(200, JSON_HEADERS, data, first_byte_ms=directive.first_byte_ms, summary=summary)
    return Handled(reply, directive)


def handle_count_tokens(raw: bytes) -> Handled:
    """``:countTokens`` (A6): ``{"totalTokens": N, "promptTokensDetails": [...]}``.

    Counts like ``promptTokenCount`` (the token rule); reads ``generateContentRequest``
    when given, else the body itself.
    """
    try:
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise errors.invalid_json('Unknown name "": Root element must be a message.')
        inner = get(body, "generateContentRequest")
        tokens = prompt_tokens(inner if isinstance(inner, dict) else body)
    except errors.GoogleError as exc:
        return Handled(error_reply(exc))
    out = {
        "totalTokens": tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}],
    }
    return Handled(json_reply(pretty(out)))


def handle_embed(model: ModelInfo, raw: bytes, seed: int, *, batch: bool) -> Handled:
    """``:embedContent`` -> ``{"embedding": {"values"}}``; ``:batchEmbedContents`` ->
    ``{"embeddings": [{"values"}, ...]}`` (A6). Vectors: :mod:`mockserver.embed`."""
    try:
        body = parse_json(raw)
        if batch:
            requests = body.get("requests") if isinstance(body, dict) else None
            if not isinstance(requests, list) or not requests:
                raise errors.invalid_argument(
                    "* BatchEmbedContentsRequest.requests: requests is not specified\n"
                )
            out: dict[str, Any] = {
                "embeddings": [
                    embed_request(seed, model.id, r, f"BatchEmbedContentsRequest.requests[{i}]")
                    for i, r in enumerate(requests)
                ]
            }
        else:
            out = {"embedding": embed_request(seed, model.id, body, "EmbedContentRequest")}
    except errors.GoogleError as exc:
        return Handled(error_reply(exc))
    return Handled(json_reply(pretty(out)))
