"""Google's OpenAI-compatible endpoint, response side: a decided answer -> OpenAI (pure).

Mimics ``generativelanguage.googleapis.com/v1beta/openai`` including its documented
quirks, so clients and checks can be tried against it (docs/breakages.md):

- JSON is compact with sorted keys; ``created`` is the fixed :data:`CREATED` (the mock
  reads no clock), ``id`` is the Gemini ``responseId``;
- unary ``chat.completion``: text in ``message.content``, ``tool_calls`` with
  ``finish_reason: "tool_calls"`` and the signature in
  ``extra_content.google.thought_signature`` (B1); shown thoughts (``include_thoughts``)
  come first in ``content`` as ``<thought>...</thought>`` (C1);
- streams: ``data: <chunk>\\n\\n`` per Gemini stream part, every delta with
  ``role: "assistant"``, every chunk with the running ``usage`` of the stream so far
  (as Gemini's own chunks carry the running ``usageMetadata``; sent even without
  ``stream_options``; clients that add the usages up overcount,
  https://github.com/ogx-ai/ogx/issues/5122), the last chunk with ``finish_reason``,
  then ``data: [DONE]\\n\\n``. Streamed ``tool_calls`` carry
  no ``index`` (A1) and the stream ends with ``finish_reason: "stop"`` even for tool
  calls (A2). A mid-stream error is ``data: {"error": {...}}`` without ``[DONE]``;
- errors are the Google envelope inside a top-level array, ``[{"error": {...}}]`` (D1);
- ``finish_reason``: STOP -> stop, MAX_TOKENS -> length, SAFETY/RECITATION/blocked
  prompt -> content_filter; media parts (images, audio) are not rendered;
- ``n`` > 1 (``candidateCount``) is answered with one choice, the first candidate's
  (the journal's summary says so: ``candidates: 1``); ``response_format`` JSON modes
  give the JSON document of :mod:`mockserver.structured` as ``content``.

Usage: ``prompt_tokens``, ``completion_tokens`` (answer + thought tokens),
``total_tokens`` and ``completion_tokens_details.reasoning_tokens`` when thoughts were
counted (the token rule of :mod:`mockserver.plans`).
"""

from __future__ import annotations

import array
import base64
import hashlib
import sys
from typing import Any

import orjson

from mockserver import catalog, errors
from mockserver.embed import output_size, vector
from mockserver.framing import Write, plan_writes
from mockserver.plans import Piece
from mockserver.responses import JSON_HEADERS, Outcome, Reply, decide, generate_error
from mockserver.summary import summarize
from spec.scenarios import Directive, Scenario
from spec.wire import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatMessage,
    Choice,
    GeminiError,
    Part,
    ToolCall,
    Usage,
)

__all__ = [
    "CREATED",
    "DONE",
    "STREAM_HEADERS",
    "chat_chunks",
    "chat_reply",
    "compat_error",
    "completion",
    "dumps",
    "embeddings",
    "error_body",
    "model_entry",
    "models_list",
    "sse_event",
]

CREATED = 1_767_225_600
"""``created`` of every completion: 2026-01-01T00:00:00Z."""
DONE = b"data: [DONE]\n\n"
STREAM_HEADERS = (("Content-Type", "text/event-stream"), *JSON_HEADERS[1:])
"""Streams: ``text/event-stream`` plus Google's ``Vary``/``Server`` headers."""
_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "BLOCKLIST": "content_filter",
    "SPII": "content_filter",
}


def dumps(obj: Any) -> bytes:
    """Compact JSON with sorted keys."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def sse_event(obj: Any) -> bytes:
    """``data: <json>\\n\\n``."""
    return b"data: " + dumps(obj) + b"\n\n"


def error_body(error: errors.GoogleError) -> bytes:
    """The Google error envelope wrapped in a top-level array (D1): ``[{"error": ...}]``."""
    return b"[" + error.body.rstrip(b"\n") + b"\n]\n"


def _call_id(key: bytes, index: int, call: dict[str, Any]) -> str:
    given = call.get("id")
    if isinstance(given, str) and given:
        return given
    digest = hashlib.blake2b(key + index.to_bytes(2, "big"), digest_size=6).digest()
    return f"function-call-{int.from_bytes(digest, 'big')}"


def _tool_call(key: bytes, index: int, part: Part) -> ToolCall:
    call = part["functionCall"]
    out: ToolCall = {
        "function": {"arguments": dumps(call.get("args", {})).decode(), "name": call["name"]},
        "id": _call_id(key, index, call),
        "type": "function",
    }
    if "thoughtSignature" in part:
        out["extra_content"] = {"google": {"thought_signature": part["thoughtSignature"]}}
    return out


def _usage(outcome: Outcome, pieces: tuple[Piece, ...]) -> Usage:
    answer = sum(p.candidates for p in pieces)
    thoughts = sum(p.thoughts for p in pieces)
    usage: Usage = {
        "completion_tokens": answer + thoughts,
        "prompt_tokens": outcome.prompt,
        "total_tokens": outcome.prompt + answer + thoughts,
    }
    if thoughts:
        usage["completion_tokens_details"] = {"reasoning_tokens": thoughts}
    return usage


def _finish(outcome: Outcome) -> str:
    plan = outcome.plan
    if plan.prompt_feedback is not None:
        return "content_filter"
    return _FINISH.get(plan.finish or "STOP", "stop")


def completion(outcome: Outcome, model: str) -> ChatCompletion:
    """The unary ``chat.completion`` object; ``model`` is the name the client sent."""
    pieces = outcome.plan.pieces
    thoughts = "".join(p.part["text"] for p in pieces if p.part.get("thought"))
    text = "".join(p.part["text"] for p in pieces if "text" in p.part and not p.part.get("thought"))
    calls = [
        _tool_call(outcome.key, i, p.part)
        for i, p in enumerate(x for x in pieces if "functionCall" in x.part)
    ]
    content = (f"<thought>{thoughts}</thought>" if thoughts else "") + text
    message: ChatMessage = {"role": "assistant"}
    if content or not calls:
        message["content"] = content
    if calls:
        message["tool_calls"] = calls
    finish = "tool_calls" if calls else _finish(outcome)
    choice: Choice = {"finish_reason": finish, "index": 0, "message": message}
    return {
        "choices": [choice],
        "created": CREATED,
        "id": outcome.rid,
        "model": model,
        "object": "chat.completion",
        "usage": _usage(outcome, pieces),
    }


def _chunk(outcome: Outcome, model: str, delta: ChatMessage) -> ChatCompletionChunk:
    return {
        "choices": [{"delta": delta, "index": 0}],
        "created": CREATED,
        "id": outcome.rid,
        "model": model,
        "object": "chat.completion.chunk",
    }


def _delta(outcome: Outcome, pieces: tuple[Piece, ...], i: int, calls: int) -> ChatMessage:
    part = pieces[i].part
    delta: ChatMessage = {"role": "assistant"}
    if "functionCall" in part:
        delta["tool_calls"] = [_tool_call(outcome.key, calls, part)]
    elif part.get("thought"):
        first = i == 0 or not pieces[i - 1].part.get("thought")
        last = i + 1 == len(pieces) or not pieces[i + 1].part.get("thought")
        delta["content"] = (
            ("<thought>" if first else "") + part["text"] + ("</thought>" if last else "")
        )
    else:
        delta["content"] = part.get("text", "")
    return delta


def chat_chunks(outcome: Outcome, model: str) -> list[ChatCompletionChunk]:
    """The ``chat.completion.chunk`` objects of a stream, one per Gemini stream part
    (at least one); each has the running ``usage``, the last ``finish_reason`` (module
    docstring)."""
    pieces = outcome.plan.pieces
    chunks: list[ChatCompletionChunk] = []
    calls = 0
    for i in range(len(pieces)):
        delta = _delta(outcome, pieces, i, calls)
        calls += "tool_calls" in delta
        chunks.append(_chunk(outcome, model, delta))
        chunks[-1]["usage"] = _usage(outcome, pieces[: i + 1])
    if not chunks:
        chunks.append(_chunk(outcome, model, {"role": "assistant"}))
        chunks[-1]["usage"] = _usage(outcome, pieces)
    chunks[-1]["choices"][0]["finish_reason"] = _finish(outcome)  # "stop" for tools too (A2)
    return chunks


def _model_object(model: catalog.ModelInfo) -> dict[str, Any]:
    return {"created": 0, "id": f"models/{model.id}", "object": "model", "owned_by": "google"}


_MODELS = dumps({"data": [_model_object(m) for m in catalog.MODELS], "object": "list"})


def models_list() -> bytes:
    """``GET /v1beta/openai/models``: ``{"data": [{"id": "models/<id>", ...}], "object":
    "list"}`` (Google lists ids with their ``models/`` prefix)."""
    return _MODELS


def model_entry(name: str) -> bytes | None:
    """``GET /v1beta/openai/models/{name}`` (with or without ``models/``), else ``None``."""
    model = catalog.lookup(name)
    return None if model is None else dumps(_model_object(model))


def embeddings(body: Any, seed: int) -> bytes:
    """``POST /v1beta/openai/embeddings`` (B4): the same vectors as ``:embedContent``
    for the same text (:func:`mockserver.embed.vector`); ``dimensions`` honoured,
    ``encoding_format: "base64"`` gives little-endian float32 (C6). Raises GoogleError
    400 for a bad body, 404 for a model that does not embed."""
    if not isinstance(body, dict):
        raise errors.invalid_json('Unknown name "": Root element must be a message.')
    name = body.get("model")
    model = catalog.lookup(name) if isinstance(name, str) else None
    if model is None or not model.embed:
        raise errors.model_not_found(str(name), "embedContent", "v1main")
    given = body.get("input")
    inputs = [given] if isinstance(given, str) else given
    if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
        raise errors.invalid_argument("Invalid value at 'input': a string or array of strings")
    asked = body.get("dimensions")
    try:
        dims = output_size(model.id, asked)
    except ValueError as bad:
        raise errors.invalid_argument(
            f"Invalid value at 'dimensions': must be in {bad}; got {asked!r}"
        ) from None
    fmt = body.get("encoding_format", "float")
    if fmt not in ("float", "base64"):
        raise errors.invalid_argument(f"Invalid value at 'encoding_format': {fmt!r}")
    data = []
    for i, text in enumerate(inputs):
        values: Any = vector(seed, model.id, text, dims)
        if fmt == "base64":
            floats = array.array("f", values)
            if sys.byteorder == "big":
                floats.byteswap()
            values = base64.b64encode(floats.tobytes()).decode()
        data.append({"embedding": values, "index": i, "object": "embedding"})
    tokens = sum(max(len(t.split()), 1) for t in inputs)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return dumps({"data": data, "model": str(name), "object": "list", "usage": usage})


def compat_error(error: errors.GoogleError, first_byte_ms: int = 0) -> Reply:
    """An error reply with the array body (D1) and the journal's error summary."""
    return generate_error(error, first_byte_ms)._replace(body=error_body(error))


_MID_STREAM_ERROR: GeminiError = {
    "error": {"code": 503, "message": errors.UNAVAILABLE_MESSAGE, "status": "UNAVAILABLE"}
}


def chat_reply(
    model: catalog.ModelInfo,
    name: str,
    body: dict[str, Any],
    directive: Directive,
    seed: int,
    *,
    stream: bool,
) -> Reply:
    """The reply to a translated chat request (:mod:`mockserver.compat_request`).

    ``name``: the model as the client named it (echoed in ``model``); ``body``: the
    Gemini request. Scenarios behave as on ``generateContent`` (:func:`mockserver.
    responses.decide`), framed the compat way (module docstring): ``cut_after``
    counts chunks, ``split``/``coalesce``/``chunk_ms``/``first_byte_ms``/``length``
    apply, ``framing`` does not (always LF); a long list a plain prompt asks for is paced
    (:data:`mockserver.prompted.PACE_MS`) unless ``chunk_ms`` says otherwise.
    """
    delay = directive.first_byte_ms
    try:
        outcome = decide(model, body, directive, seed, stream=stream)
    except errors.GoogleError as exc:
        return compat_error(exc, delay)
    plan = outcome.plan
    if plan.others:  # n > 1: one choice, the first candidate (module docstring)
        plan = plan._replace(others=())
        outcome = outcome._replace(plan=plan)
    if not stream:
        data = dumps(completion(outcome, name))
        if directive.length is False:
            return Reply(
                200,
                JSON_HEADERS,
                writes=(Write(data),),
                first_byte_ms=delay,
                summary=summarize(plan),
            )
        return Reply(200, JSON_HEADERS, data, first_byte_ms=delay, summary=summarize(plan))
    events = [sse_event(chunk) for chunk in chat_chunks(outcome, name)]
    events.append(DONE)
    whole = sum(map(len, events))
    abort = False
    summary = summarize(plan)
    scenario = directive.scenario
    if scenario is Scenario.MID_STREAM_CUT:
        events = events[: directive.cut_after]
        summary = summarize(plan, directive.cut_after)
        abort = True
    elif scenario is Scenario.MID_STREAM_ERROR:
        events = [*events[: directive.cut_after], sse_event(_MID_STREAM_ERROR)]
        summary = summarize(plan, directive.cut_after)
        summary["error"] = _MID_STREAM_ERROR["error"]
    length = None
    if directive.length:
        length = whole if abort else sum(map(len, events))
    writes = plan_writes(  # a long list a plain prompt asks for is paced, as on Gemini's route
        events,
        split=directive.split,
        coalesce=directive.coalesce,
        chunk_ms=directive.chunk_ms or plan.pace_ms,
    )
    return Reply(
        200,
        STREAM_HEADERS,
        writes=writes,
        first_byte_ms=delay,
        abort=abort,
        summary=summary,
        content_length=length,
        separate=directive.split > 0,
    )
