"""What a capture means on the OpenAI side: the answer openai-python must parse from a
faithful proxy when the upstream sends that capture (docs/captures.md, every rule with
its public source).

:func:`expect` reads a :class:`spec.capture_format.Capture` and returns an
:class:`Expectation` with one :class:`Answer` (or :class:`ErrorAnswer`) per form: the
streamed request (the capture's ``chunks``; a capture with only a unary answer is
streamed as that one answer) and the unary request (the capture's ``unary``; a capture
with only chunks is answered with the chunks folded into one answer, as
``generateContent`` answers what ``streamGenerateContent`` streams).

Pure: no I/O, no HTTP client; it imports only :mod:`spec`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from spec.capture_format import Capture
from spec.wire import CREDENTIAL_REASONS

__all__ = [
    "CONTENT_FILTER_REASONS",
    "UNMAPPED_PARTS",
    "Answer",
    "ErrorAnswer",
    "Expectation",
    "ExpectationError",
    "ToolCall",
    "Usage",
    "assemble_partial_args",
    "exception_of",
    "expect",
    "finish_reason_of",
    "parse_json_path",
]

CONTENT_FILTER_REASONS = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
"""Gemini ``finishReason`` values that stop the candidate for a content policy: OpenAI's
``content_filter`` ("content was omitted due to a flag from our content filters",
https://platform.openai.com/docs/api-reference/chat/object)."""

_STATUS_EXCEPTIONS: Mapping[int, str] = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}
"""openai-python's exception class per HTTP status (``openai/_client.py``
``_make_status_error``); every status >= 500 is ``InternalServerError``."""


def exception_of(status: int) -> str:
    """openai-python's exception class for an HTTP error ``status``."""
    if status >= 500:
        return "InternalServerError"
    return _STATUS_EXCEPTIONS.get(status, "APIStatusError")


class ExpectationError(ValueError):
    """A capture whose meaning cannot be derived (e.g. a ``jsonPath`` this module does not
    read); the message names the capture and the place."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call: the function ``name`` and its ``arguments`` as a parsed JSON object
    (what ``json.loads(tool_call.function.arguments)`` must equal)."""

    name: str
    arguments: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass(frozen=True, slots=True)
class Usage:
    """OpenAI ``usage``: ``prompt_tokens`` = ``promptTokenCount`` (or one of ``prompts``:
    with ``toolUsePromptTokenCount``, the two counts added up too, since Google bills
    those tokens as input); ``completion_tokens`` = ``candidatesTokenCount +
    thoughtsTokenCount`` (or one of ``completions``: where Google's own
    ``totalTokenCount`` is the prompt plus ``candidatesTokenCount`` alone, the thoughts
    were counted inside the candidates, as ``gemini-2.5-flash-preview-04-17`` answered,
    so ``candidatesTokenCount`` alone is right too); ``total_tokens`` one of ``totals``
    (``totalTokenCount``, and ``prompt + completion`` for each accepted prompt and
    completion count when Google's total differs)."""

    prompt_tokens: int
    completion_tokens: int
    totals: tuple[int, ...]
    prompts: tuple[int, ...] = ()
    """Every accepted ``prompt_tokens`` (empty: ``prompt_tokens`` alone)."""
    completions: tuple[int, ...] = ()
    """Every accepted ``completion_tokens`` (empty: ``completion_tokens`` alone)."""
    thoughts: int = field(default=0, compare=False)
    """``thoughtsTokenCount``, part of ``completion_tokens`` (to name a proxy that
    leaves it out; not part of what the client must see, so not compared)."""

    def as_json(self) -> dict[str, Any]:
        total: Any = self.totals[0] if len(self.totals) == 1 else list(self.totals)
        completion: Any = list(self.completions) if self.completions else self.completion_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": total,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer as openai-python parses it, choice 0.

    ``text``: ``message.content`` (deltas concatenated), thought parts excluded (``""``
    when there is none: ``None`` and ``""`` are the same). ``reasoning``: the thought text;
    tolerated absent (a proxy that did not ask ``includeThoughts`` would not have received
    it), but when the client sees reasoning (``reasoning_content`` or ``reasoning``) it must
    equal this, and with ``""`` the client must see none. ``tool_calls`` in order.
    ``finish_reasons``: the accepted ``finish_reason`` values, ``finish_reasons[0]`` the
    canonical one. ``usage``: ``None`` when the capture carries no token counts.
    ``refusal_ok``: a clean OpenAI 4xx is an accepted answer too (a prompt block)."""

    text: str
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reasons: tuple[str, ...] = ("stop",)
    usage: Usage | None = None
    refusal_ok: bool = False
    images: int = 0
    """Image parts (``inlineData`` with an ``image/*`` type) among the text: a proxy may
    drop them or show each in ``content`` as a Markdown image, ``![...](url)``."""
    finish_optional: bool = False
    """The answer has no candidate (and no prompt block): nothing was generated, so
    nothing finished; a proxy may give ``finish_reason: null`` as well."""
    cut_ok: bool = False
    """A streamed answer whose chunks never carry a ``finishReason`` (a recording without
    one, or a unary answer without one streamed as its one chunk): a proxy may take the
    end for a cut stream, as gemini-cli does ("Model stream ended without a finish
    reason", ``geminiChat.ts``), and answer with a 5xx or an error event instead. A
    proxy that answers is judged as usual."""
    layout: tuple[str | None, ...] = ()
    """With parts OpenAI's message has no field for (:data:`UNMAPPED_PARTS`: code the
    model ran, its result, a file), the content's runs of text in order and ``None``
    where such a part stood: a proxy may drop those parts or show them in ``content``
    (LiteLLM writes code as Markdown fences), so ``content`` must read as the runs with
    anything in the ``None`` places. Empty when the answer has no such part."""

    @property
    def finish_reason(self) -> str:
        return self.finish_reasons[0]

    def as_json(self) -> dict[str, Any]:
        """The expectation as shown in reports (side by side with what the client got)."""
        out: dict[str, Any] = {"content": self.text}
        if self.reasoning:
            out["reasoning"] = self.reasoning
        out["tool_calls"] = [c.as_json() for c in self.tool_calls]
        reasons: list[str | None] = list(self.finish_reasons)
        if self.finish_optional:
            reasons.append(None)
        out["finish_reason"] = reasons[0] if len(reasons) == 1 else reasons
        out["usage"] = None if self.usage is None else self.usage.as_json()
        if self.refusal_ok:
            out["or"] = "a clean OpenAI 4xx error"
        elif self.cut_ok:
            out["or"] = "an error (no finishReason: the stream may be taken for a cut one)"
        return out


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """An upstream error as the client must see it: an HTTP status in ``statuses``
    (``statuses[0]`` canonical), openai-python raising ``exception``, an OpenAI error body
    with a string ``error.type`` (``type_hint`` is the usual value, not required: OpenAI
    itself uses several), and for a 429 with ``RetryInfo`` (``retry_delay_s``, seconds) a
    ``Retry-After`` of at least ``retry_after_min_s`` (the delay rounded up: the header
    holds whole seconds) and a ``retry-after-ms``, when sent, of at least the delay."""

    statuses: tuple[int, ...]
    exception: str
    google_status: str = ""
    type_hint: str = ""
    retry_after_min_s: int | None = None
    retry_delay_s: float | None = None

    @property
    def status(self) -> int:
        return self.statuses[0]

    def exception_for(self, status: int | None) -> str:
        """The exception openai-python must raise for ``status``: ``exception`` for the
        canonical status, and for another accepted one the class of that status."""
        if status is None or status == self.status or status not in self.statuses:
            return self.exception
        return exception_of(status)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status if len(self.statuses) == 1 else list(self.statuses),
            "openai-python raises": self.exception,
            "error.type": f"a string (usually {self.type_hint!r})"
            if self.type_hint
            else "a string",
        }
        if self.retry_after_min_s is not None:
            out["Retry-After"] = f">= {self.retry_after_min_s}"
            out["retry-after-ms (if sent)"] = f">= {round((self.retry_delay_s or 0) * 1000)}"
        return out


@dataclass(frozen=True, slots=True)
class Expectation:
    """What capture ``name`` means: the ``stream`` answer and the ``unary`` answer, plus
    the function names the capture calls (``tools``: the request must declare them so a
    proxy accepts the calls) and the ``model`` it names (``None``: none)."""

    name: str
    stream: Answer | ErrorAnswer
    unary: Answer | ErrorAnswer
    tools: tuple[str, ...] = ()
    model: str | None = None
    streamed_args: bool = False
    """The capture streams function-call arguments (``partialArgs``)."""
    notes: tuple[str, ...] = field(default=())


# --- JSON paths ------------------------------------------------------------------------

_SEGMENT = re.compile(
    r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)
      | \[(?P<index>\d+)\]
      | \['(?P<sq>(?:[^'\\]|\\.)*)'\]
      | \["(?P<dq>(?:[^"\\]|\\.)*)"\]""",
    re.VERBOSE,
)


def parse_json_path(path: str) -> tuple[str | int, ...]:
    """The segments of a normalized RFC 9535 path: ``$.a.b[0]`` -> ``("a", "b", 0)``;
    ``$['a b']`` -> ``("a b",)``. Raises :class:`ExpectationError` for anything else
    (filters, wildcards, slices: a single argument has one location)."""
    if not path.startswith("$"):
        raise ExpectationError(f"jsonPath must start with '$'; got {path!r}")
    out: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise ExpectationError(f"jsonPath {path!r}: cannot read {path[pos:]!r}")
        if m.group("name") is not None:
            out.append(m.group("name"))
        elif m.group("index") is not None:
            out.append(int(m.group("index")))
        else:
            quoted = m.group("sq") if m.group("sq") is not None else m.group("dq")
            out.append(re.sub(r"\\(.)", r"\1", quoted))
        pos = m.end()
    return tuple(out)


def _set(root: dict[str, Any], segments: Sequence[str | int], value: Any, path: str) -> None:
    if not segments:
        raise ExpectationError(f"jsonPath {path!r} names the whole arguments object")
    node: Any = root
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        nxt: Any = None if last else ([] if isinstance(segments[i + 1], int) else {})
        if isinstance(seg, int):
            if not isinstance(node, list):
                raise ExpectationError(f"jsonPath {path!r}: index {seg} into a non-array")
            while len(node) <= seg:
                node.append(None)
            if last:
                node[seg] = value
            elif node[seg] is None:
                node[seg] = nxt
            node = node[seg]
        else:
            if not isinstance(node, dict):
                raise ExpectationError(f"jsonPath {path!r}: member {seg!r} of a non-object")
            if last:
                node[seg] = value
            elif node.get(seg) is None:
                node[seg] = nxt
            node = node[seg]


def _get(root: dict[str, Any], segments: Sequence[str | int]) -> Any:
    node: Any = root
    for seg in segments:
        try:
            node = node[seg]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _typed_value(arg: Mapping[str, Any], path: str) -> tuple[Any, bool]:
    """``(value, is_string)`` of one ``PartialArg``."""
    if "stringValue" in arg:
        return str(arg["stringValue"]), True
    if "numberValue" in arg:
        number = float(arg["numberValue"])
        return (int(number) if number.is_integer() and math.isfinite(number) else number), False
    if "boolValue" in arg:
        return bool(arg["boolValue"]), False
    if "nullValue" in arg:
        return None, False
    raise ExpectationError(f"partialArg at {path!r} has no stringValue/numberValue/...")


def assemble_partial_args(
    pieces: Iterable[Mapping[str, Any]], base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The arguments object that streamed ``partialArgs`` (in arrival order) build on
    ``base`` (a call's ``args``, default ``{}``): each piece sets the value at its
    ``jsonPath``; a ``stringValue`` that follows a piece of the same path that said
    ``willContinue`` is appended to it ("Whether this is not the last part of the same
    json_path", https://googleapis.github.io/js-genai/release_docs/interfaces/types.PartialArg.html).
    ``numberValue`` gives an int when integral. Raises :class:`ExpectationError`."""
    args: dict[str, Any] = json.loads(json.dumps(dict(base or {})))
    open_paths: set[str] = set()
    for piece in pieces:
        path = str(piece.get("jsonPath", ""))
        segments = parse_json_path(path)
        value, is_string = _typed_value(piece, path)
        if is_string and path in open_paths:
            previous = _get(args, segments)
            value = (previous if isinstance(previous, str) else "") + value
        _set(args, segments, value, path)
        if piece.get("willContinue"):
            open_paths.add(path)
        else:
            open_paths.discard(path)
    return args


# --- one answer -------------------------------------------------------------------------


def finish_reason_of(google: str | None, has_calls: bool) -> tuple[str, ...]:
    """The accepted OpenAI ``finish_reason`` values for Gemini ``finishReason`` ``google``
    (https://ai.google.dev/api/generate-content#FinishReason): ``STOP`` -> ``tool_calls``
    when the answer calls tools, else ``stop``; ``MAX_TOKENS`` -> ``length``; the content
    policy reasons (:data:`CONTENT_FILTER_REASONS`) -> ``content_filter``;
    ``MALFORMED_FUNCTION_CALL``, ``OTHER`` and other reasons -> ``stop`` or
    ``content_filter`` (OpenAI has no closer value); none -> ``stop``/``tool_calls``."""
    if google in (None, "", "STOP", "FINISH_REASON_UNSPECIFIED"):
        return ("tool_calls",) if has_calls else ("stop",)
    if google == "MAX_TOKENS":
        return ("length",)
    if google in CONTENT_FILTER_REASONS:
        return ("content_filter",)
    return ("stop", "content_filter")


def _usage(meta: Mapping[str, Any] | None) -> Usage | None:
    if not isinstance(meta, Mapping):
        return None
    counted = ("promptTokenCount", "candidatesTokenCount", "totalTokenCount", "thoughtsTokenCount")
    if not any(isinstance(meta.get(k), int) for k in counted):
        return None  # e.g. {"trafficType": "ON_DEMAND"} alone
    prompt = int(meta.get("promptTokenCount") or 0)
    completion = int(meta.get("candidatesTokenCount") or 0) + int(
        meta.get("thoughtsTokenCount") or 0
    )
    tool_use = int(meta.get("toolUsePromptTokenCount") or 0)
    prompts = (prompt, prompt + tool_use) if tool_use > 0 else (prompt,)
    total = meta.get("totalTokenCount")
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    completions: tuple[int, ...] = (completion,)
    candidates = completion - thoughts
    if thoughts > 0 and isinstance(total, int) and total in (p + candidates for p in prompts):
        completions = (candidates, completion)  # the thoughts are inside the candidates
    totals = tuple(
        dict.fromkeys(
            [
                *([total] if isinstance(total, int) else []),
                *(p + c for p in prompts for c in completions),
            ]
        )
    )
    return Usage(
        prompt,
        completions[0],
        totals,
        prompts=prompts if len(prompts) > 1 else (),
        completions=completions if len(completions) > 1 else (),
        thoughts=thoughts,
    )


def _is_image(blob: Any) -> bool:
    return isinstance(blob, Mapping) and str(blob.get("mimeType", "")).startswith("image/")


UNMAPPED_PARTS = ("executableCode", "codeExecutionResult", "fileData", "inlineData")
"""Part fields (https://ai.google.dev/api/caching#Part) with no place in an OpenAI
chat message: code execution (https://ai.google.dev/gemini-api/docs/code-execution),
files, and inline data other than an image."""


def _unmapped(part: Mapping[str, Any]) -> bool:
    return any(isinstance(part.get(k), Mapping) for k in UNMAPPED_PARTS) and not _is_image(
        part.get("inlineData")
    )


@dataclass
class _Fold:
    """The running state of one answer's candidate 0 across chunks."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    images: int = 0
    layout: list[str | None] = field(default_factory=list)
    candidate: bool = False
    calls: list[ToolCall] = field(default_factory=list)
    open_name: str | None = None
    open_args: dict[str, Any] | None = None
    open_pieces: list[Mapping[str, Any]] = field(default_factory=list)
    finish: str | None = None
    blocked: str | None = None
    usage: Usage | None = None
    streamed_args: bool = False

    def close(self) -> None:
        if self.open_name is not None:
            args = assemble_partial_args(self.open_pieces, self.open_args)
            self.calls.append(ToolCall(self.open_name, args))
        self.open_name, self.open_args, self.open_pieces = None, None, []

    def call(self, fc: Mapping[str, Any]) -> None:
        name = fc.get("name")
        pieces = fc.get("partialArgs")
        pieces = [p for p in pieces if isinstance(p, Mapping)] if isinstance(pieces, list) else []
        args = fc.get("args") if isinstance(fc.get("args"), Mapping) else None
        if pieces:
            self.streamed_args = True
        if isinstance(name, str) and name:
            self.close()  # a named part starts a new call
            self.open_name, self.open_args, self.open_pieces = name, args, list(pieces)
        elif self.open_name is not None:
            if args:
                self.open_args = {**(self.open_args or {}), **args}
            self.open_pieces.extend(pieces)
        if not fc.get("willContinue"):
            self.close()  # the last part of the call (``functionCall: {}`` closes a stream)

    def feed(self, answer: Mapping[str, Any]) -> None:
        feedback = answer.get("promptFeedback")
        if isinstance(feedback, Mapping) and feedback.get("blockReason"):
            self.blocked = str(feedback["blockReason"])
        usage = _usage(answer.get("usageMetadata"))
        if usage is not None:
            self.usage = usage  # streamed counts are cumulative: the last one holds
        candidates = answer.get("candidates")
        if not isinstance(candidates, list):
            return
        for cand in candidates:
            if not isinstance(cand, Mapping) or cand.get("index", 0) != 0:
                continue
            self.candidate = True
            content = cand.get("content")
            parts = content.get("parts") if isinstance(content, Mapping) else None
            for part in parts if isinstance(parts, list) else []:
                if not isinstance(part, Mapping):
                    continue
                if isinstance(part.get("functionCall"), Mapping):
                    self.call(part["functionCall"])
                elif isinstance(part.get("text"), str):
                    (self.reasoning if part.get("thought") else self.text).append(part["text"])
                    if not part.get("thought"):
                        self.layout.append(part["text"])
                elif part.get("thought"):
                    continue
                elif _is_image(part.get("inlineData")):
                    self.images += 1
                elif _unmapped(part):
                    self.layout.append(None)
            if isinstance(cand.get("finishReason"), str):
                self.finish = cand["finishReason"]

    def answer(self) -> Answer:
        self.close()  # a stream that ended inside a call still made the call
        if self.blocked is not None and self.finish is None:
            reasons: tuple[str, ...] = ("content_filter",)
        else:
            reasons = finish_reason_of(self.finish, bool(self.calls))
        return Answer(
            text="".join(self.text),
            reasoning="".join(self.reasoning),
            tool_calls=tuple(self.calls),
            finish_reasons=reasons,
            usage=self.usage,
            refusal_ok=self.blocked is not None,
            images=self.images,
            finish_optional=not self.candidate and self.blocked is None,
            cut_ok=self.candidate and self.finish is None and self.blocked is None,
            layout=_runs(self.layout) if None in self.layout else (),
        )


def _runs(layout: Iterable[str | None]) -> tuple[str | None, ...]:
    """Adjacent texts joined, adjacent ``None`` one: ``["a", "b", None, None, "c"]`` ->
    ``("ab", None, "c")``."""
    out: list[str | None] = []
    for item in layout:
        if not out or (item is None) != (out[-1] is None):
            out.append(item)
        elif item is not None:
            out[-1] = f"{out[-1]}{item}"
    return tuple(out)


def _fold(answers: Iterable[Mapping[str, Any]]) -> tuple[Answer, bool]:
    state = _Fold()
    for answer in answers:
        state.feed(answer)
    return state.answer(), state.streamed_args


def _error(capture: Capture) -> ErrorAnswer:
    body = capture.error or {}
    error = body.get("error") if isinstance(body.get("error"), Mapping) else {}
    assert isinstance(error, Mapping)
    status = capture.status
    grpc = str(error.get("status") or "")
    delay: float | None = None
    for detail in error.get("details") or ():
        if not isinstance(detail, Mapping) or not str(detail.get("@type", "")).endswith(
            "google.rpc.RetryInfo"
        ):
            continue
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", str(detail.get("retryDelay", "")))
        if m:
            delay = float(m.group(1))
    if status >= 500:
        return ErrorAnswer(
            tuple(range(500, 600)), "InternalServerError", grpc, "server_error", None
        )
    statuses: tuple[int, ...] = (status,)
    if status == 403:
        statuses = (403, 401)  # errors.status_map.403's rule: either tells "your key"
    reasons = {
        str(d.get("reason"))
        for d in error.get("details") or ()
        if isinstance(d, Mapping) and str(d.get("@type", "")).endswith("google.rpc.ErrorInfo")
    }
    if grpc == "UNAUTHENTICATED" or reasons & CREDENTIAL_REASONS:
        # the credential is unusable: the client's own key behind a pass-through proxy (a
        # 401 or 403), or the proxy's key, the proxy's misconfiguration (a 5xx)
        statuses = (*dict.fromkeys((*statuses, 401, 403)), *range(500, 600))
    type_hint = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_error",
    }.get(status, "")
    exception = exception_of(status)
    if status != 429 or not delay:
        return ErrorAnswer(statuses, exception, grpc, type_hint)
    return ErrorAnswer(statuses, exception, grpc, type_hint, math.ceil(delay), delay)


def _names(answer: Answer | ErrorAnswer) -> list[str]:
    return [c.name for c in answer.tool_calls] if isinstance(answer, Answer) else []


def expect(capture: Capture) -> Expectation:
    """What openai-python must parse from a faithful proxy when the upstream answers with
    ``capture``, streamed and unary (the rules: docs/captures.md). Raises
    :class:`ExpectationError` naming the capture when a part cannot be read."""
    try:
        if capture.is_error:
            err = _error(capture)
            return Expectation(capture.name, err, err, model=capture.model)
        chunks = capture.chunks
        unary = capture.unary
        if chunks is None and unary is None:
            raise ExpectationError("no chunks, no answer and no error")
        streamed_args = False
        if chunks is not None:
            stream, streamed_args = _fold(chunks)
        if unary is not None:
            folded_unary, unary_streamed = _fold([unary])
            streamed_args = streamed_args or unary_streamed
        if chunks is None:
            stream = folded_unary
        if unary is None:
            folded_unary = stream
        folded_unary = replace(folded_unary, cut_ok=False)  # a unary answer is whole
    except ExpectationError as exc:
        raise ExpectationError(f"capture {capture.name!r}: {exc}") from None
    tools = tuple(dict.fromkeys(_names(stream) + _names(folded_unary)))
    return Expectation(
        capture.name,
        stream,
        folded_unary,
        tools=tools,
        model=capture.model,
        streamed_args=streamed_args,
    )
