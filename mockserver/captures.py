"""Replaying captures: recorded Gemini answers sent as the upstream's answer (pure, no I/O
after :func:`load`; docs/mock-captures.md).

A generate request whose directive carries ``capture=NAME`` (``[[mock:capture=NAME]]``,
the ``x-mock-scenario`` header or the admin queue) is answered with capture ``NAME``
(:mod:`spec.capture_format`):

- ``:streamGenerateContent?alt=sse``: its :func:`~spec.capture_format.stream_form` as SSE
  events (``data: <one-line JSON>\\r\\n\\r\\n``, or LF with ``framing=lf``);
- ``:streamGenerateContent`` without ``alt=sse``: the same objects as a JSON array;
- ``:generateContent``: its :func:`~spec.capture_format.unary_form`, pretty-printed;
- an error capture: its status, its headers (``Content-Type`` by default JSON) and its
  error body, on every method; a recorded ``text/event-stream`` type (Google's answer to
  a streamed call's bad key, recorded in crewAI's cassettes) only on ``alt=sse`` calls,
  JSON on the others;
- Code Assist (``/v1internal``): every answer object, as the capture has it, wrapped as
  ``{"response": ..., "traceId"}`` (A7; the ``traceId`` is the capture's
  ``meta.trace_id`` when it was recorded from Code Assist, else
  :func:`mockserver.codeassist.trace_id` of its ``responseId``), error bodies as they
  are.

Timing: ``chunk_ms`` of the capture (milliseconds before each chunk) paces the stream,
and a unary answer waits their sum; the directive's ``chunk_ms`` (uniform), ``split``,
``coalesce``, ``first_byte_ms`` and ``length`` apply as on generated answers. Success
answers carry the mock's usual headers plus the capture's own, without framing headers.
An unknown name is a 400 ``INVALID_ARGUMENT`` naming the known captures. Everything a
reply needs is serialised once, at :func:`load`.

Thoughts: Google sends thought parts (``"thought": true``) only to a request whose
``generationConfig.thinkingConfig.includeThoughts`` is true (docs/gemini-wire.md A2); a
capture recorded with it is replayed to a request without it as Google would answer that
request (:func:`hide_thoughts`): its thought parts left out (a thought's
``thoughtSignature`` kept on an empty text part), a chunk that held nothing else not sent
(its wait added to the next chunk's), the token counts as recorded.

Streamed function-call arguments (``functionCall.partialArgs``, ``willContinue``) come
only from Vertex AI, to a request whose ``toolConfig.functionCallingConfig`` sets
``streamFunctionCallArguments`` ("not supported in Gemini API",
https://googleapis.github.io/js-genai/release_docs/interfaces/types.FunctionCallingConfig.html):
a capture recorded with them is replayed to any other request, and on every
``/v1beta`` call, with each call whole (:func:`whole_calls`): sent in the chunk where
it closed, the chunks that only continued it not sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver import codeassist, errors
from mockserver.framing import Write, json_array_writes, plan_writes, pretty, sse_event
from mockserver.responses import (
    JSON_HEADERS,
    SSE_HEADERS,
    Headers,
    Reply,
    generate_error,
)
from spec.capture_format import (
    BUNDLED,
    CallBuilder,
    Capture,
    load_dir,
    stream_form,
    unary_form,
)
from spec.mock_admin import GenerateSummary
from spec.scenarios import Directive

__all__ = [
    "Captures",
    "Prepared",
    "has_streamed_calls",
    "has_thoughts",
    "hide_thoughts",
    "load",
    "prepare",
    "summary",
    "whole_calls",
]

_FRAMING_HEADERS = frozenset(
    {
        "content-length",
        "content-type",
        "transfer-encoding",
        "content-encoding",
        "connection",
        "keep-alive",
        "date",
        "vary",
        "server",
        "alt-svc",
        "set-cookie",
    }
)
"""Headers a replayed success answer never copies from the capture: the framing is the
mock's own, and the mock already sends Google's ``Vary`` and ``Server``."""


def summary(unary: Mapping[str, Any]) -> GenerateSummary:
    """The journal's ``response`` for a capture (``GenerateSummary`` of
    ``spec/openapi/mock-admin.yaml``), computed from its unary form: candidate 0's
    ``text`` and ``thoughts`` (its text parts by kind, concatenated), ``function_calls``
    (the ``functionCall`` objects) and ``finish_reason``; ``texts`` and
    ``finish_reasons`` per candidate; ``block_reason`` of a blocked prompt; ``error``
    (``code``, ``status``, ``message``) for an error body."""
    error = unary.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        return {
            "text": "",
            "thoughts": "",
            "function_calls": [],
            "finish_reason": None,
            "candidates": 0,
            "texts": [],
            "finish_reasons": [],
            "error": {
                "code": code if isinstance(code, int) else 0,
                "status": str(error.get("status", "")),
                "message": str(error.get("message", "")),
            },
        }
    candidates = [c for c in unary.get("candidates") or () if isinstance(c, dict)]
    texts: list[str] = []
    reasons: list[str | None] = []
    thoughts = ""
    calls: list[dict[str, Any]] = []
    for i, candidate in enumerate(candidates):
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        said: list[str] = []
        for part in parts if isinstance(parts, list) else ():
            if not isinstance(part, dict):
                continue
            if i == 0 and isinstance(part.get("functionCall"), dict):
                calls.append(dict(part["functionCall"]))
            elif isinstance(part.get("text"), str):
                if not part.get("thought"):
                    said.append(part["text"])
                elif i == 0:
                    thoughts += part["text"]
        texts.append("".join(said))
        reason = candidate.get("finishReason")
        reasons.append(reason if isinstance(reason, str) else None)
    out: GenerateSummary = {
        "text": texts[0] if texts else "",
        "thoughts": thoughts,
        "function_calls": calls,
        "finish_reason": reasons[0] if reasons else None,
        "candidates": len(candidates),
        "texts": texts,
        "finish_reasons": reasons,
    }
    feedback = unary.get("promptFeedback")
    if isinstance(feedback, dict) and isinstance(feedback.get("blockReason"), str):
        out["block_reason"] = feedback["blockReason"]
    return out


@dataclass(frozen=True, slots=True)
class _Bodies:
    """One dialect's serialised answers: SSE payload objects, array pieces, unary body."""

    objects: tuple[Any, ...]
    events: tuple[bytes, ...]
    array: tuple[bytes, ...]
    unary: bytes


@dataclass(frozen=True, slots=True)
class Prepared:
    """A capture ready to send: ``status`` (``unary_status``: of a unary answer, an error's
    code when the recorded stream ended with an error event); ``headers``, the capture's own headers
    (without framing headers for a success, as recorded for an error); ``gemini`` and
    ``codeassist``, the serialised bodies of each dialect; ``delays``, milliseconds
    before each chunk; ``summary``, the journal's ``response``."""

    name: str
    status: int
    unary_status: int
    is_error: bool
    headers: Headers
    gemini: _Bodies
    codeassist: _Bodies
    delays: tuple[float, ...]
    summary: GenerateSummary


def _bodies(objects: tuple[Any, ...], unary: Any) -> _Bodies:
    return _Bodies(
        objects=objects,
        events=tuple(sse_event(o) for o in objects),
        array=tuple(json_array_writes(objects)),
        unary=pretty(unary),
    )


def _without_thoughts(answer: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """``answer`` (a GenerateContentResponse) without its thought parts, and whether
    anything but them is left in its candidates (parts, a finishReason) or it has no
    candidate to begin with."""
    out = dict(answer)
    candidates = answer.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        return out, True
    kept_any = False
    new = []
    for candidate in candidates:
        if not isinstance(candidate, dict):
            new.append(candidate)
            continue
        candidate = dict(candidate)
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        if isinstance(content, dict) and isinstance(parts, list):
            kept = []
            for part in parts:
                if isinstance(part, dict) and part.get("thought") is True:
                    signature = part.get("thoughtSignature")
                    if isinstance(signature, str):
                        kept.append({"text": "", "thoughtSignature": signature})
                    continue
                kept.append(part)
            candidate["content"] = {**content, "parts": kept}
            kept_any = kept_any or any(
                not (isinstance(p, dict) and p.get("text") == "") for p in kept
            )
        kept_any = kept_any or "finishReason" in candidate or not isinstance(parts, list)
        new.append(candidate)
    out["candidates"] = new
    return out, kept_any


def has_thoughts(capture: Capture) -> bool:
    """Whether any answer of ``capture`` holds a thought part."""
    answers = [*(capture.chunks or ()), *([capture.unary] if capture.unary else [])]
    return any(
        isinstance(part, dict) and part.get("thought") is True
        for answer in answers
        for candidate in answer.get("candidates") or ()
        if isinstance(candidate, dict)
        for part in (candidate.get("content") or {}).get("parts") or ()
    )


def _reshaped(
    chunks: tuple[dict[str, Any], ...],
    delays: tuple[float, ...],
    reshape: Callable[[dict[str, Any]], tuple[dict[str, Any], bool]],
) -> tuple[tuple[dict[str, Any], ...], tuple[float, ...]]:
    """``(chunks, delays)`` with ``reshape`` applied to each chunk in order; a chunk it
    left holding nothing (``False``) is not sent, but for the last, and its delay (ms)
    moves to the next chunk."""
    kept: list[dict[str, Any]] = []
    waits: list[float] = []
    carried = 0.0
    for i, chunk in enumerate(chunks):
        wait = (delays[i] if i < len(delays) else 0.0) + carried
        reshaped, keep = reshape(chunk)
        if keep or i == len(chunks) - 1:
            kept.append(reshaped)
            waits.append(wait)
            carried = 0.0
        else:
            carried = wait
    return tuple(kept), tuple(waits[: len(delays)])


def hide_thoughts(
    chunks: tuple[dict[str, Any], ...], unary: Mapping[str, Any], delays: tuple[float, ...]
) -> tuple[tuple[dict[str, Any], ...], dict[str, Any], tuple[float, ...]]:
    """What Google sends a request without ``includeThoughts`` for a generation recorded
    with it: ``(chunks, unary answer, delays)`` without thought parts; a chunk left
    holding nothing (no other part, no finishReason) is not sent and its delay (ms) moves
    to the next chunk. Token counts are kept: the model thought all the same."""
    kept, waits = _reshaped(chunks, delays, _without_thoughts)
    return kept, _without_thoughts(unary)[0], waits


def _streamed_call(part: Any) -> bool:
    fc = part.get("functionCall") if isinstance(part, dict) else None
    return isinstance(fc, dict) and (
        not fc or fc.get("willContinue") is True or "partialArgs" in fc
    )


def has_streamed_calls(capture: Capture) -> bool:
    """Whether ``capture`` streams function-call arguments (``partialArgs``,
    ``willContinue``, the closing ``functionCall: {}``)."""
    return any(
        _streamed_call(part)
        for chunk in capture.chunks or ()
        for candidate in chunk.get("candidates") or ()
        if isinstance(candidate, dict)
        for part in (candidate.get("content") or {}).get("parts") or ()
    )


def whole_calls(
    chunks: tuple[dict[str, Any], ...], delays: tuple[float, ...]
) -> tuple[tuple[dict[str, Any], ...], tuple[float, ...]]:
    """What Google streams to a request that did not ask for streamed function-call
    arguments, for a generation recorded with them: ``(chunks, delays)`` with each call
    whole (:class:`spec.capture_format.CallBuilder`: its name, id, assembled ``args``,
    first ``thoughtSignature``) in the chunk where it closed; a chunk left holding
    nothing (no other part, no finishReason) is not sent, its delay (ms) moved on.
    Raises :class:`spec.capture_format.CaptureError` for a ``jsonPath`` it cannot read."""
    builders: dict[int, CallBuilder] = {}

    def reshape(chunk: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        candidates = chunk.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            return chunk, True
        kept_any = False
        new = []
        for position, candidate in enumerate(candidates):
            content = candidate.get("content") if isinstance(candidate, dict) else None
            if not isinstance(content, dict) or not isinstance(content.get("parts"), list):
                new.append(candidate)
                kept_any = True
                continue
            parts = content["parts"]
            index = candidate.get("index", position)
            calls = builders.setdefault(
                index if isinstance(index, int) else position, CallBuilder()
            )
            kept = []
            for part in parts:
                if calls.open or _streamed_call(part):
                    done = calls.feed(part)
                    if done is not None:
                        kept.append(done)
                else:
                    kept.append(part)
            new.append({**candidate, "content": {**content, "parts": kept}})
            kept_any = kept_any or bool(kept) or "finishReason" in candidate
        return {**chunk, "candidates": new}, kept_any

    return _reshaped(chunks, delays, reshape)


def prepare(capture: Capture, *, thoughts: bool = True, streamed_args: bool = True) -> Prepared:
    """Serialise ``capture`` once for every kind of request (see the module docstring);
    ``thoughts`` false: as answered to a request without ``includeThoughts``
    (:func:`hide_thoughts`); ``streamed_args`` false: as streamed to a request that did
    not ask for streamed function-call arguments (:func:`whole_calls`). Raises
    :class:`spec.capture_format.CaptureError` when its chunks do not assemble."""
    unary = unary_form(capture)
    chunks = stream_form(capture)
    delays = capture.chunk_ms
    if not streamed_args and not capture.is_error:
        chunks, delays = whole_calls(chunks, delays)
    if not thoughts and not capture.is_error:
        chunks, unary, delays = hide_thoughts(chunks, unary, delays)
    trace = capture.meta.get("trace_id")

    def wrap(obj: Any) -> Any:
        if not isinstance(obj, dict) or "error" in obj:
            return obj
        rid = obj.get("responseId")
        tid = trace if isinstance(trace, str) and trace else codeassist.trace_id(str(rid or ""))
        return {"response": obj, "traceId": tid}

    if capture.is_error:
        headers = capture.headers
    else:
        headers = tuple((k, v) for k, v in capture.headers if k.lower() not in _FRAMING_HEADERS)
    unary_status = capture.status
    failed = unary.get("error")
    if isinstance(failed, dict) and not capture.is_error:  # a stream that failed
        unary_status = failed["code"] if isinstance(failed.get("code"), int) else 500
    return Prepared(
        name=capture.name,
        status=capture.status,
        unary_status=unary_status,
        is_error=capture.is_error,
        headers=headers,
        gemini=_bodies(chunks, unary),
        codeassist=_bodies(tuple(wrap(c) for c in chunks), wrap(unary)),
        delays=delays,
        summary=summary(unary),
    )


class Captures:
    """The captures a mock replays, by name, each :func:`prepare`\\ d once."""

    __slots__ = ("_kinds", "_prepared", "_views")

    def __init__(self, captures: Mapping[str, Capture]) -> None:
        self._prepared = {name: prepare(c) for name, c in sorted(captures.items())}
        self._kinds = {
            name: (has_thoughts(c), has_streamed_calls(c))
            for name, c in captures.items()
            if not c.is_error
        }
        """Per capture: whether it has thoughts to hide, calls to make whole."""
        self._views: dict[tuple[str, bool, bool], Prepared] = {}
        for name, (thinks, streams) in self._kinds.items():
            for thoughts in (True, False) if thinks else (True,):
                for streamed_args in (True, False) if streams else (True,):
                    if not (thoughts and streamed_args):
                        view = prepare(
                            captures[name], thoughts=thoughts, streamed_args=streamed_args
                        )
                        self._views[name, thoughts, streamed_args] = view

    def __contains__(self, name: object) -> bool:
        return name in self._prepared

    def __len__(self) -> int:
        return len(self._prepared)

    def names(self) -> list[str]:
        """The known capture names, sorted."""
        return list(self._prepared)

    def get(self, name: str) -> Prepared | None:
        return self._prepared.get(name)

    def reply(
        self,
        directive: Directive,
        *,
        stream: bool,
        sse: bool,
        codeassist: bool = False,
        thoughts: bool = True,
        streamed_args: bool = False,
    ) -> Reply:
        """The reply replaying ``directive.capture`` (see the module docstring);
        ``thoughts``: the request asked for them (``includeThoughts``), else they are
        left out as Google leaves them out; ``streamed_args``: the request asked for
        streamed function-call arguments on Vertex AI (Code Assist), else each call is
        sent whole. Google's 400 ``INVALID_ARGUMENT`` naming the known captures for an
        unknown one."""
        name = directive.capture or ""
        thinks, streams = self._kinds.get(name, (False, False))
        view = (name, thoughts or not thinks, streamed_args or not streams)
        prepared = self._views.get(view) or self._prepared.get(name)
        delay = directive.first_byte_ms
        if prepared is None:
            known = ", ".join(self._prepared) or "(none)"
            message = f"Unknown capture {name!r}; known captures: {known}."
            return generate_error(errors.invalid_argument(message), delay)
        bodies = prepared.codeassist if codeassist else prepared.gemini
        waited = delay + round(sum(prepared.delays))
        if prepared.is_error:
            headers = prepared.headers
            if not (stream and sse):  # an event-stream type belongs to the alt=sse call
                headers = tuple(
                    (k, v)
                    for k, v in headers
                    if k.lower() != "content-type" or not v.startswith("text/event-stream")
                )
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers = (("Content-Type", "application/json; charset=UTF-8"), *headers)
            return Reply(
                prepared.status,
                headers,
                bodies.unary,
                first_byte_ms=waited,
                summary=prepared.summary,
                chunked=not stream,  # Google chunks generateContent's errors, not a stream's
            )
        if not stream:
            headers = (*JSON_HEADERS, *prepared.headers)
            if directive.length is False:
                return Reply(
                    prepared.unary_status,
                    headers,
                    writes=(Write(bodies.unary),),
                    first_byte_ms=waited,
                    summary=prepared.summary,
                )
            return Reply(
                prepared.unary_status,
                headers,
                bodies.unary,
                first_byte_ms=waited,
                summary=prepared.summary,
                chunked=prepared.unary_status == 200 and not directive.length,  # as Google
            )
        if sse:
            events = bodies.events
            if directive.framing == "lf":
                events = tuple(sse_event(o, b"\n") for o in bodies.objects)
            headers = (*SSE_HEADERS, *prepared.headers)
        else:
            events = bodies.array
            headers = (*JSON_HEADERS, *prepared.headers)
        if directive.split or directive.coalesce or directive.chunk_ms:
            writes = plan_writes(
                events,
                split=directive.split,
                coalesce=directive.coalesce,
                chunk_ms=directive.chunk_ms,
            )
        else:
            pace = prepared.delays
            writes = tuple(
                Write(e, round(pace[i]) if i < len(pace) else 0) for i, e in enumerate(events)
            )
        return Reply(
            prepared.status,
            headers,
            writes=writes,
            first_byte_ms=delay,
            summary=prepared.summary,
            content_length=sum(map(len, events)) if directive.length else None,
            separate=directive.split > 0,
        )


def load(directory: str | Path | None = None, skipped: list[str] | None = None) -> Captures:
    """The bundled corpus (:data:`spec.capture_format.BUNDLED`) plus ``directory``'s
    captures (same name: ``directory``'s wins), prepared; a file of ``directory`` that
    holds no recorded answer is left out, with a line appended to ``skipped`` when given.
    Raises :class:`spec.capture_format.CaptureError` naming the directory or file that
    cannot be read."""
    captures = load_dir(BUNDLED)
    if directory is not None:
        captures.update(load_dir(directory, skipped))
    return Captures(captures)
