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
    IMAGE_* -> ``content_filter``; anything else (STOP, MALFORMED_FUNCTION_CALL, OTHER,
    absent...) -> ``tool_calls`` when the choice made tool calls, else ``stop``.
    """
    if reason == "MAX_TOKENS":
        return "length"
    if reason in _CONTENT_FILTER:
        return "content_filter"
    return "tool_calls" if made_tool_calls else "stop"


def _int(meta: dict[str, Any], key: str) -> int:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage(meta: object) -> dict[str, Any]:
    """OpenAI ``usage`` from Gemini ``usageMetadata`` (A2, B1).

    ``prompt_tokens`` = prompt + tool-use prompt; ``completion_tokens`` = candidates +
    thoughts; ``total_tokens`` = their sum; ``completion_tokens_details.reasoning_tokens``
    = thoughts; ``prompt_tokens_details.cached_tokens`` = cached content. Missing counts
    are 0.
    """
    m = meta if isinstance(meta, dict) else {}
    prompt = _int(m, "promptTokenCount") + _int(m, "toolUsePromptTokenCount")
    thoughts = _int(m, "thoughtsTokenCount")
    completion = _int(m, "candidatesTokenCount") + thoughts
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": _int(m, "cachedContentTokenCount")},
        "completion_tokens_details": {"reasoning_tokens": thoughts},
    }


def _tool_call(part: dict[str, Any], new_id: Callable[[], str]) -> dict[str, Any] | None:
    fc = part.get("functionCall")
    if not isinstance(fc, dict):
        return None
    call_id = fc.get("id")
    if not isinstance(call_id, str) or not call_id:
        call_id = new_id()
    args = fc.get("args")
    call: dict[str, Any] = {
        "id": call_id,
        "type": "function",
        "function": {
            "name": str(fc.get("name") or ""),
            "arguments": orjson.dumps(args if isinstance(args, dict) else {}).decode(),
        },
    }
    sig = part.get("thoughtSignature")
    if isinstance(sig, str) and sig:
        call["extra_content"] = {"google": {"thought_signature": sig}}
    return call


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


def translate_response(
    response: object,
    *,
    model: str,
    created: int,
    new_id: Callable[[], str] = new_call_id,
    media: MediaSink | None = None,
    pass_signature: bool = False,
) -> dict[str, Any]:
    """A ``chat.completion`` (B1) for a Gemini unary response (A2).

    ``model``: the model id to report. ``created``: Unix seconds. ``new_id``: makes tool
    call ids when Gemini gives none. ``media``: see :data:`MediaSink`.
    ``pass_signature``: a message with ``reasoning_content`` also carries the
    ``thoughtSignature`` of its (last signed) thought part (antigravity2api
    ``passSignatureToClient``).
    Always at least one choice, sorted by ``index``.
    """
    resp = response if isinstance(response, dict) else {}
    candidates = resp.get("candidates")
    choices: list[dict[str, Any]] = []
    for pos, cand in enumerate(candidates if isinstance(candidates, list) else ()):
        if not isinstance(cand, dict):
            continue
        text: list[str] = []
        reasoning: list[str] = []
        calls: list[dict[str, Any]] = []
        signature: str | None = None
        for part in _parts(cand):
            if "functionCall" in part:
                call = _tool_call(part, new_id)
                if call is not None:
                    calls.append(call)
            elif isinstance(part.get("text"), str):
                thought = part.get("thought") is True
                (reasoning if thought else text).append(part["text"])
                if thought and pass_signature:
                    signature = _thought_signature(part) or signature
            elif "inlineData" in part:
                image = image_markdown(part, media)
                if image is not None:
                    text.append(image)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(text) if text or not calls else None,
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
    __slots__ = ("calls", "finished")

    def __init__(self) -> None:
        self.calls = 0
        self.finished = False


class StreamTranslator:
    """Gemini ``alt=sse`` events -> ``chat.completion.chunk`` dicts (A3 -> B1). Sans-IO.

    ``feed(event)`` takes one parsed upstream event and returns the chunks it yields;
    ``finish()`` is called at the upstream's clean end of stream. Guarantees (client-
    breakages.md A1, A2, A5, A6): a choice's first chunk is ``{"role": "assistant",
    "content": ""}``; ``id``/``created``/``model`` are constant; each ``functionCall`` is
    one delta ``tool_calls: [{"index", "id", "type", "function": {"name", "arguments"}}]``
    with ``index`` 0, 1, 2... per choice; exactly one finishing chunk per choice with
    ``delta: {}``; with ``include_usage``, a last ``choices: []`` chunk with ``usage``.

    Raises :class:`ProxyError` from ``feed`` for an upstream ``{"error": ...}`` event
    and from ``finish`` when no choice reached a ``finishReason`` (a truncated stream,
    A3). ``signatures`` collects ``(tool_call_id, thoughtSignature)`` pairs issued.
    ``pass_signature``: a ``reasoning_content`` delta from a thought part that carries a
    ``thoughtSignature`` carries it too (antigravity2api ``passSignatureToClient``; a signed thought
    part with no text still gives ``{"reasoning_content": "", "thoughtSignature"}``).
    """

    __slots__ = (
        "_blocked",
        "_choices",
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
                state.finished = True
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
            if state.finished:
                continue
            for part in _parts(cand):
                if "functionCall" in part:
                    call = _tool_call(part, self.new_id)
                    if call is None:
                        continue
                    call["index"] = state.calls
                    state.calls += 1
                    extra = call.get("extra_content")
                    if extra is not None:
                        self.signatures.append((call["id"], extra["google"]["thought_signature"]))
                    out.append(self._chunk(index, {"tool_calls": [call]}))
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
                state.finished = True
                out.append(self._chunk(index, {}, finish_reason(reason, state.calls > 0)))
        return out

    @property
    def choices(self) -> int:
        """How many choices have started."""
        return len(self._choices)

    @property
    def usage_metadata(self) -> object:
        """The last ``usageMetadata`` seen (cumulative, A3)."""
        return self._usage

    def finish(self, extra_usage: Sequence[object] = ()) -> list[dict[str, Any]]:
        """Chunks after the upstream's clean end: the usage chunk, when asked for.

        Raises :class:`ProxyError` (502, ``upstream_stream_truncated``) when a started
        choice never got its ``finishReason``, or nothing arrived at all.
        """
        if not self._choices:
            raise upstream_truncated("no candidates arrived before the stream closed")
        if not all(state.finished for state in self._choices.values()):
            raise upstream_truncated("the stream closed before a finishReason")
        if not self.include_usage:
            return []
        total = usage(self._usage)
        for meta in extra_usage:
            more = usage(meta)
            total["completion_tokens"] += more["completion_tokens"]
            total["total_tokens"] += more["completion_tokens"]
            total["completion_tokens_details"]["reasoning_tokens"] += more[
                "completion_tokens_details"
            ]["reasoning_tokens"]
        return [
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": total,
            }
        ]


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
