"""Gemini ``generateContent`` responses -> OpenAI ``chat.completion`` (and chunks). Pure.

Sources: docs/gemini-wire.md A2/A3 (Gemini unary and ``alt=sse`` shapes: thought parts,
whole ``functionCall`` parts with ``thoughtSignature``, cumulative ``usageMetadata``,
``finishReason`` on the last chunk, ``promptFeedback`` with no candidates) and B1 (the
OpenAI objects as the SDKs parse them); docs/breakages.md A1, A2, A5, A6, B1, B4, C1,
F6.

- thought parts go to ``reasoning_content``, never into ``content`` (C1); with
  ``pass_signature`` (antigravity2api 'Configuration Options', ``passSignatureToClient``, off by
  default as documented) the ``thoughtSignature`` of a thought part rides next to it:
  ``{"reasoning_content": "...", "thoughtSignature": "..."}`` in the delta (or the
  message);
- each ``functionCall`` becomes one tool call with Gemini's ``id`` or a fresh unique
  ``call_<hex>`` (B4), its ``thoughtSignature`` in ``extra_content.google`` (B1);
- :func:`finish_reason` maps ``finishReason`` (A2; ``tool_calls`` whenever calls were
  made, docs/breakages.md A2);
- a blocked prompt gives one choice with ``finish_reason: "content_filter"`` (F6);
- an ``inlineData`` image part (image models, docs/gemini-wire.md A6) becomes Markdown
  ``![image](URL)`` in ``content`` (antigravity2api 'Image Generation'); ``media`` turns the part
  into that URL (a served file), by default a ``data:`` URL;
- :func:`merge_completions` joins the choices of extra requests when the upstream
  returned fewer than ``n`` candidates (F8).

:class:`StreamTranslator` is the sans-IO streaming half: ``feed(event) -> chunks``,
``finish() -> chunks``; the caller frames them (:func:`encode_chunk`) and writes
``data: [DONE]``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from .calls import CallAssembler
from .errors import ProxyError, from_upstream_payload, upstream_truncated

__all__ = [
    "DONE",
    "KEEPALIVE",
    "MediaSink",
    "StreamTranslator",
    "data_url",
    "encode_chunk",
    "encode_error",
    "finish_reason",
    "image_markdown",
    "join_stream",
    "merge_completions",
    "models_list",
    "new_call_id",
    "translate_response",
    "usage",
]

DONE = b"data: [DONE]\n\n"
"""The stream terminator openai-python stops on (B2, docs/breakages.md A3)."""
KEEPALIVE = b": keep-alive\n\n"
"""A comment frame: ignored by every SSE parser, unlike ``event: ping`` (A4)."""

_CONTENT_FILTER = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "IMAGE_OTHER",
        "MODEL_ARMOR",  # Vertex AI: the answer blocked by Model Armor's safety templates
    }
)


MediaSink = Callable[[str, str], str]
"""``(mime_type, base64_data) -> URL`` for an image part of an answer."""


def data_url(mime: str, data: str) -> str:
    """The default :data:`MediaSink`: a ``data:`` URL."""
    return f"data:{mime};base64,{data}"


def image_markdown(part: dict[str, Any], media: MediaSink | None) -> str | None:
    """``![image](URL)`` for an ``inlineData`` image part, else ``None``."""
    inline = part.get("inlineData")
    if not isinstance(inline, dict):
        return None
    mime = inline.get("mimeType")
    data = inline.get("data")
    if not isinstance(mime, str) or not mime.startswith("image/") or not isinstance(data, str):
        return None
    return f"![image]({(media or data_url)(mime, data)})"


def new_call_id() -> str:
    """A fresh tool call id, ``call_`` + 24 hex digits (unique per process, B4)."""
    return "call_" + secrets.token_hex(12)


def finish_reason(reason: object, made_tool_calls: bool) -> str:
    """OpenAI ``finish_reason`` for a Gemini ``finishReason`` (A2).

    MAX_TOKENS -> ``length``; SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII,
    IMAGE_*, MODEL_ARMOR -> ``content_filter``; anything else (STOP, MALFORMED_FUNCTION_CALL, OTHER,
    absent...) -> ``tool_calls`` when the choice made tool calls, else ``stop``.
    """
    if reason == "MAX_TOKENS":
        return "length"
    if reason in _CONTENT_FILTER:
        return "content_filter"
    return "tool_calls" if made_tool_calls else "stop"


_NOTHING: dict[str, Any] = {}


def usage(meta: object) -> dict[str, Any]:
    """OpenAI ``usage`` from Gemini ``usageMetadata`` (A2, B1).

    ``prompt_tokens`` = prompt + tool-use prompt; ``completion_tokens`` = candidates +
    thoughts; ``total_tokens`` = their sum; ``completion_tokens_details.reasoning_tokens``
    = thoughts; ``prompt_tokens_details.cached_tokens`` = cached content. Missing counts
    are 0.
    """
    get = meta.get if isinstance(meta, dict) else _NOTHING.get
    # a count is an int (a bool is not one: type(), not isinstance), else 0
    prompt = get("promptTokenCount")
    prompt = prompt if type(prompt) is int else 0
    tool_use = get("toolUsePromptTokenCount")
    prompt += tool_use if type(tool_use) is int else 0
    thoughts = get("thoughtsTokenCount")
    thoughts = thoughts if type(thoughts) is int else 0
    candidates = get("candidatesTokenCount")
    completion = (candidates if type(candidates) is int else 0) + thoughts
    cached = get("cachedContentTokenCount")
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached if type(cached) is int else 0},
        "completion_tokens_details": {"reasoning_tokens": thoughts},
    }


def _thought_signature(part: dict[str, Any]) -> str | None:
    sig = part.get("thoughtSignature")
    return sig if isinstance(sig, str) and sig else None


def _parts(candidate: dict[str, Any]) -> list[dict[str, Any]]:
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


def _blocked(response: dict[str, Any]) -> bool:
    feedback = response.get("promptFeedback")
    return isinstance(feedback, dict) and bool(feedback.get("blockReason"))


def _whole_calls(deltas: list[dict[str, Any]], assembler: CallAssembler) -> list[dict[str, Any]]:
    """The tool calls of a unary message: the assembler's deltas joined by ``index``
    (``arguments`` concatenated), without the ``index`` key (B1)."""
    deltas.extend(assembler.close())
    calls: list[dict[str, Any]] = []
    for delta in deltas:
        index = delta.pop("index")
        if index == len(calls):
            calls.append(delta)
            continue
        call = calls[index]
        call["function"]["arguments"] += delta["function"]["arguments"]
        if "extra_content" in delta:
            call["extra_content"] = delta["extra_content"]
    return calls


def join_stream(events: Sequence[object]) -> dict[str, Any]:
    """One ``GenerateContentResponse`` from the events of a stream (the JSON array a
    ``streamGenerateContent`` without ``alt=sse`` answers, docs/gemini-wire.md A3):
    each candidate's parts in order (joined by candidate ``index``), the last
    ``finishReason`` and the other candidate fields as last seen, the last
    ``usageMetadata`` (cumulative, A3), the first ``responseId``, any
    ``promptFeedback``. Raises :class:`ProxyError` for an ``{"error": ...}`` element."""
    joined: dict[str, Any] = {}
    candidates: dict[int, dict[str, Any]] = {}
    for event in events:
        if not isinstance(event, dict):
            continue
        if event.get("error"):
            raise from_upstream_payload(event)
        for key, value in event.items():
            if key == "candidates":
                continue
            if key == "responseId" and "responseId" in joined:
                continue
            joined[key] = value
        cands = event.get("candidates")
        for pos, cand in enumerate(cands if isinstance(cands, list) else ()):
            if not isinstance(cand, dict):
                continue
            index = cand.get("index")
            if not isinstance(index, int):
                index = pos
            into = candidates.get(index)
            if into is None:
                into = candidates[index] = {"content": {"role": "model", "parts": []}}
            into.update((k, v) for k, v in cand.items() if k != "content")
            into["content"]["parts"].extend(_parts(cand))
    if candidates:
        joined["candidates"] = [candidates[i] for i in sorted(candidates)]
    return joined


def translate_response(
    response: object,
    *,
    model: str,
    created: int,
    new_id: Callable[[], str] = new_call_id,
    media: MediaSink | None = None,
    pass_signature: bool = False,
) -> dict[str, Any]:
    """A ``chat.completion`` (B1) for a Gemini unary response (A2), or for the JSON
    array of a non-SSE stream (joined by :func:`join_stream`).

    Function calls, whole or with streamed ``partialArgs``, become ``tool_calls``
    (:mod:`.calls`; a call without ``args`` has arguments ``"{}"``). An answer with no
    candidates (a usage-only answer) is an empty assistant message with
    ``finish_reason`` ``"stop"`` (``"content_filter"`` for a blocked prompt, F6).
    ``model``: the model id to report. ``created``: Unix seconds. ``new_id``: makes tool
    call ids when Gemini gives none. ``media``: see :data:`MediaSink`.
    ``pass_signature``: a message with ``reasoning_content`` also carries the
    ``thoughtSignature`` of its (last signed) thought part (antigravity2api
    ``passSignatureToClient``).
    Always at least one choice, sorted by ``index``.
    """
    if isinstance(response, list):
        response = join_stream(response)
    resp = response if isinstance(response, dict) else {}
    candidates = resp.get("candidates")
    choices: list[dict[str, Any]] = []
    for pos, cand in enumerate(candidates if isinstance(candidates, list) else ()):
        if not isinstance(cand, dict):
            continue
        text: list[str] = []
        reasoning: list[str] = []
        assembler: CallAssembler | None = None
        deltas: list[dict[str, Any]] = []
        signature: str | None = None
        for part in _parts(cand):
            if "functionCall" in part:
                if assembler is None:
                    assembler = CallAssembler(new_id)
                deltas.extend(assembler.part(part))
                continue
            value = part.get("text")
            if type(value) is str:
                if part.get("thought") is True:
                    reasoning.append(value)
                    if pass_signature:
                        signature = _thought_signature(part) or signature
                else:
                    text.append(value)
            elif "inlineData" in part:
                image = image_markdown(part, media)
                if image is not None:
                    text.append(image)
        calls = _whole_calls(deltas, assembler) if assembler is not None else []
        content = "".join(text)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": content if content or not calls else None,
        }
        if reasoning:
            message["reasoning_content"] = "".join(reasoning)
            if signature is not None:
                message["thoughtSignature"] = signature
        if calls:
            message["tool_calls"] = calls
        index = cand.get("index")
        choices.append(
            {
                "index": index if isinstance(index, int) else pos,
                "message": message,
                "finish_reason": finish_reason(cand.get("finishReason"), bool(calls)),
                "logprobs": None,
            }
        )
    if not choices:
        reason = "content_filter" if _blocked(resp) else "stop"
        choices.append(
            {
                "index": 0,
                "message": {"role": "assistant", "content": ""},
                "finish_reason": reason,
                "logprobs": None,
            }
        )
    if len(choices) > 1:
        choices.sort(key=lambda c: c["index"])
    response_id = resp.get("responseId")
    return {
        "id": "chatcmpl-"
        + (response_id if isinstance(response_id, str) and response_id else secrets.token_hex(12)),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
        "usage": usage(resp.get("usageMetadata")),
    }


def merge_completions(first: dict[str, Any], extra: list[dict[str, Any]]) -> dict[str, Any]:
    """``first`` with the choices of ``extra`` completions appended, re-indexed 0..n-1
    (F8). ``completion_tokens`` and ``reasoning_tokens`` add up; ``prompt_tokens``
    counts the prompt once, as OpenAI does for ``n`` > 1."""
    choices = list(first["choices"])
    usage_total = first["usage"]
    completion = usage_total["completion_tokens"]
    reasoning = usage_total["completion_tokens_details"]["reasoning_tokens"]
    for other in extra:
        choices.extend(other["choices"])
        completion += other["usage"]["completion_tokens"]
        reasoning += other["usage"]["completion_tokens_details"]["reasoning_tokens"]
    for i, choice in enumerate(choices):
        choice["index"] = i
    prompt = usage_total["prompt_tokens"]
    merged_usage = {
        **usage_total,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }
    return {**first, "choices": choices, "usage": merged_usage}


def encode_chunk(chunk: dict[str, Any]) -> bytes:
    """One SSE frame: ``data: <compact JSON>\\n\\n`` (B1, docs/sse.md)."""
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def encode_error(error: ProxyError) -> bytes:
    """The mid-stream error frame ``data: {"error": {...}}\\n\\n`` (D3)."""
    return b"data: " + orjson.dumps(error.stream_event()) + b"\n\n"


class _Choice:
    __slots__ = ("calls", "closed", "reason")

    def __init__(self) -> None:
        self.calls: CallAssembler | None = None
        """Created on the choice's first ``functionCall`` part (text answers never pay
        for it)."""
        self.reason: object = None
        """The last ``finishReason`` the upstream gave this choice (``None``: none yet)."""
        self.closed = False
        """Its finishing chunk is out (a blocked prompt, an empty answer, or
        :meth:`StreamTranslator.finish`)."""


class StreamTranslator:
    """Gemini ``alt=sse`` events -> ``chat.completion.chunk`` dicts (A3 -> B1). Sans-IO.

    ``feed(event)`` takes one parsed upstream event and returns the chunks it yields;
    ``finish()`` is called at the upstream's clean end of stream. Guarantees (client-
    breakages.md A1, A2, A5, A6): a choice's first chunk is ``{"role": "assistant",
    "content": ""}``; ``id``/``created``/``model`` are constant; each whole
    ``functionCall`` is one delta ``tool_calls: [{"index", "id", "type", "function":
    {"name", "arguments"}}]`` with ``index`` 0, 1, 2... per choice; a call with streamed
    ``partialArgs`` is a delta with ``id``/``name`` and ``arguments: ""`` when it opens and
    one with the whole ``arguments`` text when it closes (:mod:`.calls`); exactly one
    finishing chunk per choice with ``delta: {}``, sent by ``end()``/``finish()`` with
    the choice's last ``finishReason``: Google may give a candidate ``finishReason:
    STOP`` mid-stream and go on with its answer (a code-execution answer streams its text
    after a ``STOP`` on the code part, docs/gemini-wire.md A3), so a choice is finished
    only when the stream ends; with ``include_usage``, a last ``choices: []`` chunk with
    ``usage``. An empty text part (Gemini 3 ends answers with
    ``{"text": "", "thoughtSignature"}``) gives no delta: the signature of a non-thought
    text part is not relayed (Google validates only function-call signatures,
    https://ai.google.dev/gemini-api/docs/thought-signatures). Usage-only events (no
    ``candidates``) update the usage; a stream of nothing else is an empty answer
    (:meth:`empty_answer`).

    Raises :class:`ProxyError` from ``feed`` for an upstream ``{"error": ...}`` event
    and from ``finish`` when no choice reached a ``finishReason`` (a truncated stream,
    A3). ``signatures`` collects ``(tool_call_id, thoughtSignature)`` pairs issued.
    ``pass_signature``: a ``reasoning_content`` delta from a thought part that carries a
    ``thoughtSignature`` carries it too (antigravity2api ``passSignatureToClient``; a signed thought
    part with no text still gives ``{"reasoning_content": "", "thoughtSignature"}``).
    """

    __slots__ = (
        "_blocked",
        "_call_ids",
        "_choices",
        "_seen",
        "_usage",
        "created",
        "id",
        "include_usage",
        "index_base",
        "media",
        "model",
        "new_id",
        "pass_signature",
        "signatures",
    )

    def __init__(
        self,
        *,
        model: str,
        created: int,
        include_usage: bool,
        new_id: Callable[[], str] = new_call_id,
        media: MediaSink | None = None,
        index_base: int = 0,
        id: str = "",
        pass_signature: bool = False,
    ) -> None:
        self.model = model
        self.created = created
        self.include_usage = include_usage
        self.new_id = new_id
        self.media = media
        self.index_base = index_base
        """Added to every upstream candidate index (a top-up request for ``n`` > 1)."""
        self.id = id
        self.pass_signature = pass_signature
        self.signatures: list[tuple[str, str]] = []
        self._choices: dict[int, _Choice] = {}
        self._usage: object = None
        self._blocked = False
        self._seen = False
        self._call_ids: dict[tuple[int, int], str] = {}

    def _chunk(
        self, index: int, delta: dict[str, Any], finish: str | None = None
    ) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
            ],
        }

    def _choice(self, index: int, out: list[dict[str, Any]]) -> _Choice:
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _Choice()
            out.append(self._chunk(index, {"role": "assistant", "content": ""}))
        return state

    def feed(self, event: object) -> list[dict[str, Any]]:
        """Chunks for one parsed upstream event (a ``GenerateContentResponse``)."""
        if not isinstance(event, dict):
            raise upstream_truncated(f"an upstream event is not a JSON object: {event!r:.80}")
        if event.get("error"):
            raise from_upstream_payload(event)
        self._seen = True
        if not self.id:
            rid = event.get("responseId")
            self.id = "chatcmpl-" + (rid if isinstance(rid, str) and rid else secrets.token_hex(12))
        if "usageMetadata" in event:
            self._usage = event["usageMetadata"]
        out: list[dict[str, Any]] = []
        candidates = event.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            if _blocked(event) and not self._choices:
                self._blocked = True
                state = self._choice(0, out)
                state.reason = "content_filter"
                state.closed = True
                out.append(self._chunk(0, {}, "content_filter"))
            return out
        for pos, cand in enumerate(candidates):
            if not isinstance(cand, dict):
                continue
            index = cand.get("index")
            if not isinstance(index, int):
                index = pos
            index += self.index_base
            state = self._choice(index, out)
            if state.closed:
                continue
            content = cand.get("content")
            parts = content.get("parts") if type(content) is dict else None
            for part in parts if type(parts) is list else ():
                if type(part) is not dict:
                    continue
                if "functionCall" in part:
                    calls = state.calls
                    if calls is None:
                        calls = state.calls = CallAssembler(self.new_id)
                    self._tool_deltas(index, calls.part(part), out)
                else:
                    text = part.get("text")
                    thought = part.get("thought") is True
                    sig = _thought_signature(part) if thought and self.pass_signature else None
                    if isinstance(text, str) and (text or sig):
                        delta = {"reasoning_content" if thought else "content": text}
                        if sig is not None:
                            delta["thoughtSignature"] = sig
                        out.append(self._chunk(index, delta))
                    elif "inlineData" in part:
                        image = image_markdown(part, self.media)
                        if image is not None:
                            out.append(self._chunk(index, {"content": image}))
            reason = cand.get("finishReason")
            if reason:
                state.reason = reason  # the finishing chunk waits for the stream's end
        return out

    def _close(self, out: list[dict[str, Any]]) -> None:
        """The finishing chunk of every choice that has its ``finishReason`` and is not
        closed yet, by index: the calls still open close first (:mod:`.calls`)."""
        for index in sorted(self._choices):
            state = self._choices[index]
            if state.closed or state.reason is None:
                continue
            state.closed = True
            calls = state.calls
            if calls is not None:
                self._tool_deltas(index, calls.close(), out)
            made = calls is not None and calls.count > 0
            out.append(self._chunk(index, {}, finish_reason(state.reason, made)))

    def _tool_deltas(
        self, index: int, deltas: list[dict[str, Any]], out: list[dict[str, Any]]
    ) -> None:
        """One chunk per tool-call delta; signatures remembered by call id."""
        for delta in deltas:
            extra = delta.get("extra_content")
            if extra is not None:
                call_id = delta.get("id") or self._call_ids.get((index, delta["index"]))
                if call_id:
                    self.signatures.append((call_id, extra["google"]["thought_signature"]))
            if "id" in delta:
                self._call_ids[index, delta["index"]] = delta["id"]
            out.append(self._chunk(index, {"tool_calls": [delta]}))

    @property
    def choices(self) -> int:
        """How many choices have started."""
        return len(self._choices)

    @property
    def usage_metadata(self) -> object:
        """The last ``usageMetadata`` seen (cumulative, A3)."""
        return self._usage

    def finish(self, extra_usage: Sequence[object] = ()) -> list[dict[str, Any]]:
        """Chunks after the upstream's clean end: each choice's finishing chunk (its
        last ``finishReason``), then the usage chunk, when asked for.

        Raises :class:`ProxyError` (502, ``upstream_stream_truncated``) when a started
        choice never got its ``finishReason``, or nothing arrived at all. A stream that
        ended cleanly with events but no candidate (usage-only chunks) first gets its
        empty answer (:meth:`empty_answer`).
        """
        out = self.end()
        if not self.include_usage:
            return out
        total = usage(self._usage)
        for meta in extra_usage:
            more = usage(meta)
            total["completion_tokens"] += more["completion_tokens"]
            total["total_tokens"] += more["completion_tokens"]
            total["completion_tokens_details"]["reasoning_tokens"] += more[
                "completion_tokens_details"
            ]["reasoning_tokens"]
        out.append(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": total,
            }
        )
        return out

    def end(self) -> list[dict[str, Any]]:
        """Chunks at the upstream's clean end, before any top-up choice (``n`` > 1):
        the empty answer of a stream without candidates (:meth:`empty_answer`), else
        the finishing chunk of each choice not closed yet, with its last
        ``finishReason``. Raises :class:`ProxyError` (502, ``upstream_stream_truncated``)
        when a started choice never got its ``finishReason``, or nothing arrived at all.
        :meth:`finish` calls it; a second call returns ``[]``."""
        out = self.empty_answer()
        if not all(state.reason is not None for state in self._choices.values()):
            raise upstream_truncated("the stream closed before a finishReason")
        self._close(out)
        return out

    def empty_answer(self) -> list[dict[str, Any]]:
        """The chunks of an empty answer when the upstream's events carried no
        candidate at all (a usage-only ``usageMetadata`` chunk, and nothing else): choice
        ``index_base`` opens with ``{"role": "assistant", "content": ""}`` and finishes
        with ``finish_reason: "stop"``, so OpenAI clients read an empty assistant message
        (what Google's own non-streamed form of the same answer gives, and what
        :func:`translate_response` answers); the usage chunk follows from :meth:`finish`.
        ``[]`` once a choice started. Raises :class:`ProxyError` (502,
        ``upstream_stream_truncated``) when no event arrived at all. Call it after the
        upstream's clean end and before top-up choices (``n`` > 1)."""
        if self._choices:
            return []
        if not self._seen:
            raise upstream_truncated("no candidates arrived before the stream closed")
        out: list[dict[str, Any]] = []
        index = self.index_base
        state = self._choice(index, out)
        state.reason = "STOP"
        state.closed = True
        out.append(self._chunk(index, {}, "stop"))
        return out


def models_list(models: object, created: int) -> dict[str, Any]:
    """OpenAI ``GET /v1/models`` (B4, docs/breakages.md G1) from Gemini ``Model``\\s (A6).

    Ids lose their ``models/`` prefix; only models that support ``generateContent`` are
    listed (when the upstream says), so every listed id works in chat completions.
    """
    data: list[dict[str, Any]] = []
    seen: set[str] = set()
    for m in models if isinstance(models, list) else ():
        name = m.get("name") if isinstance(m, dict) else None
        if not isinstance(name, str) or not name:
            continue
        methods = m.get("supportedGenerationMethods")
        if isinstance(methods, list) and "generateContent" not in methods:
            continue
        model_id = name.removeprefix("models/")
        if model_id in seen:
            continue
        seen.add(model_id)
        data.append({"id": model_id, "object": "model", "created": created, "owned_by": "google"})
    return {"object": "list", "data": data}
