"""Streaming: SSE framing and the chunk sequence rules every OpenAI client relies on.

Sources: ``docs/sse.md`` (the WHATWG rules and what openai-python, openai-node and
schemathesis do with the same bytes), ``docs/breakages.md`` A2-A7 and
``docs/openai-wire.md`` B1-B2; each check's page is ``docs/checks/stream.md``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from spec.sse import SSEDecoder
from spec.wire import OPENAI_FINISH_REASONS

from ..exchange import Exchange
from ..oracles import replay_openai_python
from ..probes import PROBES
from ..probes.faults import PACED_MS
from ..probes.field import FIELD_PROBES
from ..registry import CheckFailure, Mode, NotApplicable, Severity, Undecided, check, excerpt
from ._common import (
    OPENAI_PYTHON,
    chunks_of,
    error_payloads,
    require_response,
    require_success,
    schema_errors,
)
from .causes import NO_USAGE
from .upstream import own_words, upstream_answer

WHATWG = (
    "https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation"
)
FIELD_STREAMS = tuple(name for name in FIELD_PROBES if PROBES[name].stream)
"""The field probes that stream (a real model's tool calls, thoughts and long list, every
one asking for ``include_usage``); a tool probe's exchange is its tool-result turn."""
OTHER_STREAMS = (
    "chat_stream_usage",
    "thoughts_stream",
    "tool_calls_stream",
    "stream_split",
    "stream_coalesced",
    "stream_paced",
    "stream_slow",
    *FIELD_STREAMS,
)
"""Streams the framing rules are also applied to, when they ran (a real model's streams
in black-box runs: :data:`FIELD_STREAMS`)."""
FEATURE_STREAMS = frozenset({"thoughts_stream", "tool_calls_stream", *FIELD_STREAMS})
"""Streams whose request asks for a feature besides the stream (reasoning, tools): a 4xx
to one of them is a refusal of that feature, judged by its own checks."""
PARSERS = "docs/sse.md#what-real-parsers-do-with-the-same-bytes"
"""What openai-python and other parsers do with the same bytes."""
CHUNK_OBJECT = "https://platform.openai.com/docs/api-reference/chat/streaming"
"""OpenAI's reference of the chat.completion.chunk object."""
NODE_STREAM_HELPER = (
    "https://github.com/openai/openai-node/blob/v5.0.0/src/lib/ChatCompletionStream.ts"
)
"""openai-node's ``chat.completions.stream()`` helper: it throws ``missing role for
choice`` and ``missing finish_reason for choice`` when it finalises such a stream."""


def _field(line: str) -> str:
    return line.partition(":")[0]


@check(
    "stream.content_type",
    title="A streamed completion answers 200 with Content-Type text/event-stream",
    severity=Severity.HIGH,
    source=(
        "https://html.spec.whatwg.org/multipage/server-sent-events.html#the-eventsource-interface; "
        f"{CHUNK_OBJECT}; docs/sse.md#a-stream-every-client-can-read"
    ),
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def content_type(x: Exchange) -> None:
    """A streamed request answered 200 as ``text/event-stream``. A stream whose request
    asks for more than a stream (tools, ``reasoning_effort``: :data:`FEATURE_STREAMS`)
    refused with a 4xx is not judged here: the check of that feature owns the refusal
    (``tools.stream_index``, ``reasoning.doors``, ``field.*``), while a plain stream
    refused fails on ``chat_stream``."""
    status = require_response(x)
    if status != 200:
        if x.probe in FEATURE_STREAMS and 400 <= status < 500:
            raise NotApplicable(
                f"HTTP {status}: the request's other fields were refused, judged by their "
                "own checks; a plain stream is judged on chat_stream"
            )
        raise CheckFailure(f"stream=true got HTTP {status}, expected 200", excerpt=excerpt(x.body))
    if x.content_type != "text/event-stream":
        raise CheckFailure(
            f"Content-Type is {x.header('content-type')!r}, expected text/event-stream; "
            "SSE clients read nothing from it",
            excerpt=excerpt(x.body),
        )


@check(
    "stream.data_lines_only",
    title="A stream holds only `data:` lines and `:` comments (no event:, id:, retry:)",
    severity=Severity.MEDIUM,
    source=(
        "https://github.com/router-for-me/CLIProxyAPI/issues/2460; "
        f"https://github.com/mnfst/llm-gateway/issues/2053; {PARSERS}"
    ),
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def data_lines_only(x: Exchange) -> None:
    require_success(x)
    bad = []
    for block in x.sse.blocks:
        for line in block.lines:
            if line.startswith(":") or line.startswith("data:"):
                continue
            bad.append(line)
    if bad:
        names = sorted({_field(line) or line for line in bad})
        raise CheckFailure(
            f"{len(bad)} line(s) are neither 'data:' fields nor ':' comments "
            f"(fields {', '.join(repr(n) for n in names)}); openai-python 1.x turned named "
            "events into {data, event} dicts and `event:`/`id:`/`retry:` blocks without data "
            "dispatch empty events that json.loads rejects",
            excerpt=excerpt("\n".join(bad[:10])),
        )


@check(
    "stream.no_empty_events",
    title="No block dispatches an empty data payload (it crashes json.loads in openai-python)",
    severity=Severity.CRITICAL,
    source=(
        "https://github.com/router-for-me/CLIProxyAPI/issues/2460; "
        f"https://github.com/openai/openai-python/issues/2722; {PARSERS}"
    ),
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def no_empty_events(x: Exchange) -> None:
    require_success(x)
    id_seen = False
    for segment in x.sse.segments:
        fields = [_field(line) for line in segment if not line.startswith(":")]
        data = [line for line in segment if _field(line) == "data"]
        id_seen = id_seen or "id" in fields
        if data:
            payload = "\n".join(line[5:].removeprefix(" ") for line in data)
            if payload.strip() == "":
                raise CheckFailure(
                    "an event's data is empty; openai-python runs json.loads('') on it "
                    "and raises JSONDecodeError",
                    excerpt=excerpt("\n".join(segment) + "\n\n"),
                )
        elif fields or id_seen:
            why = (
                "an `id:` seen earlier makes openai-python dispatch every later blank line"
                if not fields
                else f"fields {fields} without data"
            )
            raise CheckFailure(
                f"a block with no data is dispatched by openai-python as an event with "
                f"data '' ({why}); json.loads('') raises JSONDecodeError",
                excerpt=excerpt("\n".join(segment) + "\n\n"),
            )


@check(
    "stream.no_bom",
    title="The stream does not start with a byte order mark",
    severity=Severity.HIGH,
    source=f"{WHATWG}; {OPENAI_PYTHON}_streaming.py; {PARSERS}",
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def no_bom(x: Exchange) -> None:
    require_success(x)
    if x.sse.bom:
        raise CheckFailure(
            "the stream starts with U+FEFF; WHATWG drops it, openai-python loses the first event",
            excerpt=excerpt(x.body[:80]),
        )


@check(
    "stream.payloads_json",
    title="Every event's data (other than [DONE]) is one JSON object",
    severity=Severity.CRITICAL,
    source=(
        f"https://github.com/mnfst/llm-gateway/issues/2053; {OPENAI_PYTHON}_streaming.py; "
        "docs/openai-wire.md#b2-how-the-sdks-decode-a-stream"
    ),
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def payloads_json(x: Exchange) -> None:
    require_success(x)
    for payload in x.sse.payloads:
        if payload.error is not None:
            raise CheckFailure(
                f"event {payload.index} is not JSON ({payload.error}); openai-python raises "
                "JSONDecodeError, openai-node 'malformed server-sent event JSON'",
                excerpt=excerpt(payload.data),
            )
        if not isinstance(payload.value, dict):
            raise CheckFailure(
                f"event {payload.index} is JSON {type(payload.value).__name__}, not an object",
                excerpt=excerpt(payload.data),
            )


@check(
    "stream.events_closed",
    title="Every event is closed by a blank line (an unclosed last event is discarded)",
    severity=Severity.HIGH,
    source=f"{WHATWG}; docs/sse.md#the-whatwg-rules",
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def events_closed(x: Exchange) -> None:
    require_success(x)
    if x.sse.unterminated:
        raise CheckFailure(
            "the stream ends inside an event (no blank line after it); WHATWG clients and "
            "openai-python discard it",
            excerpt=excerpt("\n".join(x.sse.unterminated)),
        )


@check(
    "stream.done_terminator",
    title="The stream ends with `data: [DONE]` and nothing after it",
    severity=Severity.HIGH,
    source=(
        f"https://github.com/ikawrakow/ik_llama.cpp/issues/467; {OPENAI_PYTHON}_streaming.py; "
        f"{PARSERS}"
    ),
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def done_terminator(x: Exchange) -> None:
    require_success(x)
    if x.transport_error:
        raise CheckFailure(
            f"the stream broke off: {x.transport_error}", excerpt=excerpt(x.body[-300:])
        )
    sse = x.sse
    if not sse.done:
        near = [e.data for e in sse.events if e.data.startswith("[DONE")]
        hint = f" (found {near[0]!r}, openai-node needs exactly '[DONE]')" if near else ""
        raise CheckFailure(
            "the stream ends without `data: [DONE]`" + hint + "; openai-python then ends "
            "quietly at EOF, so a truncated answer looks complete",
            excerpt=excerpt(x.body[-300:]),
        )
    if sse.after_done:
        raise CheckFailure(
            f"{len(sse.after_done)} event(s) after [DONE]; clients never read them",
            excerpt=excerpt("\n".join(e.data for e in sse.after_done[:3])),
        )


@check(
    "stream.chunk_schema",
    title="Every chunk is a valid chat.completion.chunk",
    severity=Severity.HIGH,
    source=f"{CHUNK_OBJECT}; docs/openai-wire.md#b1-chat-completion-objects-and-chunks",
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def chunk_schema(x: Exchange) -> None:
    for i, chunk in enumerate(chunks_of(x)):
        problems = schema_errors(chunk, "ChatCompletionChunk")
        if problems:
            raise CheckFailure(
                f"chunk {i} violates the ChatCompletionChunk schema: " + "; ".join(problems),
                excerpt=excerpt(json.dumps(chunk)),
            )


def _choices(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    choices = chunk.get("choices")
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


@check(
    "stream.role_first",
    title="The first delta of each choice carries role 'assistant'",
    severity=Severity.HIGH,
    source=(
        "https://github.com/langwatch/langwatch/issues/6196; "
        "https://github.com/MiniMax-AI/MiniMax-M2.5/issues/2; "
        "https://github.com/maximhq/bifrost/issues/6523; "
        f"{NODE_STREAM_HELPER}"
    ),
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def role_first(x: Exchange) -> None:
    seen: set[int] = set()
    for i, chunk in enumerate(chunks_of(x)):
        for choice in _choices(chunk):
            index = choice.get("index", 0)
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            assert isinstance(delta, dict)
            role = delta.get("role")
            if index not in seen:
                seen.add(index)
                if role != "assistant":
                    raise CheckFailure(
                        f"the first delta of choice {index} (chunk {i}) has role {role!r}, "
                        "expected 'assistant'; openai-node's chat.completions.stream() "
                        "then throws 'missing role for choice'",
                        excerpt=excerpt(json.dumps(chunk)),
                        cause="stream: no role 'assistant' on the first delta",
                    )
            elif role not in (None, "assistant"):
                raise CheckFailure(
                    f"chunk {i} changes the role of choice {index} to {role!r}",
                    excerpt=excerpt(json.dumps(chunk)),
                )
    if not seen:
        raise CheckFailure("the stream has no chunk with a choice", excerpt=excerpt(x.body))


@check(
    "stream.constant_identity",
    title="id and model are the same on every chunk",
    severity=Severity.HIGH,
    source=f"https://github.com/open-webui/open-webui/issues/23917; {CHUNK_OBJECT}",
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def constant_identity(x: Exchange) -> None:
    """A fresh ``id`` per chunk splits one answer into several in the clients that group
    chunks by it; ``created`` is :func:`constant_created`'s."""
    _same_on_every_chunk(x, ("id", "model"))


@check(
    "stream.constant_created",
    title="created is the same on every chunk (the completion's creation time)",
    severity=Severity.LOW,
    source=CHUNK_OBJECT,
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def constant_created(x: Exchange) -> None:
    """OpenAI's chunk object: "Each chunk has the same timestamp". No client is known to
    break on a ``created`` stamped per chunk, hence **low**. In controlled mode
    ``chat_stream``'s first and last chunks leave the mock 1.1 s apart
    (``IDENTITY_CHUNK_MS``), so a ``created`` stamped per chunk from a clock always
    differs."""
    _same_on_every_chunk(x, ("created",))


def _same_on_every_chunk(x: Exchange, keys: tuple[str, ...]) -> None:
    chunks = chunks_of(x)
    if not chunks:
        raise CheckFailure("the stream has no chunks", excerpt=excerpt(x.body))
    first = chunks[0]
    for key in keys:
        for i, chunk in enumerate(chunks[1:], start=1):
            if chunk.get(key) != first.get(key):
                raise CheckFailure(
                    f"chunk {i} has {key}={chunk.get(key)!r}, chunk 0 had {first.get(key)!r}; "
                    + _IDENTITY_HARM[key],
                    excerpt=excerpt(json.dumps(chunk)),
                    cause=f"stream: chunk {key} changes within a stream",
                )


_IDENTITY_HARM = {
    "id": "clients that key a stream by its chunk id (Open WebUI) split one answer into several",
    "created": "OpenAI's chunks all carry the completion's creation time (a per-chunk clock "
    "stamp; no client is known to break on it)",
    "model": "clients that read the model from each chunk report it wrongly",
}


def finish_reasons(chunks: list[dict[str, Any]]) -> dict[int, list[tuple[int, Any]]]:
    """choice index -> [(chunk number, finish_reason)] for every non-null finish_reason."""
    out: dict[int, list[tuple[int, Any]]] = {}
    for i, chunk in enumerate(chunks):
        for choice in _choices(chunk):
            index = choice.get("index", 0)
            out.setdefault(index, [])
            reason = choice.get("finish_reason")
            if reason is not None:
                out[index].append((i, reason))
    return out


@check(
    "stream.finish_reason",
    title="Each choice gets exactly one valid finish_reason, on a chunk with a delta",
    severity=Severity.HIGH,
    source=(
        "https://github.com/googleapis/python-genai/issues/2868; "
        f"https://github.com/can1357/oh-my-pi/issues/9433; {CHUNK_OBJECT}"
    ),
    probes=("chat_stream",),
    features=("stream",),
    also=OTHER_STREAMS,
)
def finish_reason(x: Exchange) -> None:
    chunks = chunks_of(x)
    reasons = finish_reasons(chunks)
    if not reasons:
        raise CheckFailure("the stream has no chunk with a choice", excerpt=excerpt(x.body))
    for index, found in sorted(reasons.items()):
        if len(found) != 1:
            where = ", ".join(f"chunk {i}: {r!r}" for i, r in found) or "none"
            raise CheckFailure(
                f"choice {index} has {len(found)} non-null finish_reason values ({where}); "
                "exactly one is expected, before [DONE]",
                excerpt=excerpt(x.body[-400:]),
            )
        i, reason = found[0]
        if reason not in OPENAI_FINISH_REASONS:
            raise CheckFailure(
                f"choice {index} finishes with {reason!r}, not one of "
                f"{sorted(OPENAI_FINISH_REASONS)}",
                excerpt=excerpt(json.dumps(chunks[i])),
            )
        for choice in _choices(chunks[i]):
            if choice.get("index", 0) == index and not isinstance(choice.get("delta"), dict):
                raise CheckFailure(
                    f"the finishing chunk of choice {index} has no `delta` object",
                    excerpt=excerpt(json.dumps(chunks[i])),
                )
        for later, chunk in enumerate(chunks[i + 1 :], start=i + 1):
            for choice in _choices(chunk):
                delta = choice.get("delta")
                if (
                    choice.get("index", 0) == index
                    and isinstance(delta, dict)
                    and any(delta.get(k) for k in ("content", "tool_calls", "reasoning_content"))
                ):
                    raise CheckFailure(
                        f"chunk {later} adds to choice {index} after its finish_reason",
                        excerpt=excerpt(json.dumps(chunk)),
                    )


@check(
    "stream.no_usage_chunk_unasked",
    title="Without stream_options.include_usage every chunk has a non-empty choices list",
    severity=Severity.HIGH,
    source=(
        "https://github.com/Arthur-Ficial/apfel/issues/100; "
        "https://github.com/cline/cline/issues/8527; docs/breakages.md#a5-the-usage-chunk"
    ),
    probes=("chat_stream",),
    features=("stream",),
)
def no_usage_chunk_unasked(x: Exchange) -> None:
    for i, chunk in enumerate(chunks_of(x)):
        if not _choices(chunk):
            raise CheckFailure(
                f"chunk {i} has no choices although include_usage was not requested; "
                "clients that index choices[0] crash",
                excerpt=excerpt(json.dumps(chunk)),
            )


@check(
    "stream.usage_chunk",
    title="include_usage brings integer usage on the last chunk, which keeps a choices list",
    severity=Severity.HIGH,
    source=(
        "https://github.com/ROCm/ATOM/issues/1711; "
        "https://github.com/BerriAI/litellm/issues/17136; "
        "https://platform.openai.com/docs/api-reference/chat/create; "
        "docs/openai-wire.md#b1-chat-completion-objects-and-chunks"
    ),
    probes=("chat_stream_usage",),
    features=("stream", "usage_chunk"),
    also=FIELD_STREAMS,
)
def usage_chunk(x: Exchange) -> None:
    """What every reader of a streamed usage needs: the last chunk carries integer
    ``prompt_tokens``, ``completion_tokens`` and ``total_tokens`` (clients keep the last
    chunk's ``usage``, or the last non-null one), and it has a ``choices`` key (the SDK
    rejects a chunk without one). Whether that chunk is OpenAI's separate ``choices: []``
    chunk is :func:`usage_own_chunk`'s (medium) to judge."""
    chunks = chunks_of(x)
    if not chunks:
        raise CheckFailure("the stream has no chunks", excerpt=excerpt(x.body))
    last = chunks[-1]
    if "choices" not in last:
        raise CheckFailure(
            "the last chunk has no `choices` key at all; the OpenAI SDK rejects it "
            "(it must be `choices: []`)",
            excerpt=excerpt(json.dumps(last)),
        )
    usage = last.get("usage")
    if usage is None:
        carriers = [i for i, c in enumerate(chunks) if isinstance(c.get("usage"), dict)]
        if not carriers:
            raise CheckFailure(
                "stream_options.include_usage was sent and no chunk carries a usage",
                excerpt=excerpt(x.body[-500:]),
                cause=NO_USAGE,
            )
        raise CheckFailure(
            f"the usage arrives on chunk {carriers[-1]} and the last chunk ({len(chunks) - 1}) "
            "has none: clients that keep the last chunk's usage (`usage = chunk.usage` in "
            "the loop) end with none",
            excerpt=excerpt(json.dumps(last)),
        )
    if not isinstance(usage, dict) or not all(
        isinstance(usage.get(k), int) and not isinstance(usage.get(k), bool)
        for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    ):
        raise CheckFailure(
            "the usage chunk lacks integer prompt_tokens, completion_tokens and total_tokens",
            excerpt=excerpt(json.dumps(last)),
        )


@check(
    "stream.usage_own_chunk",
    title="The usage comes on one extra last chunk with choices: [], as OpenAI sends it",
    severity=Severity.MEDIUM,
    source=(
        "https://github.com/envoyproxy/ai-gateway/pull/1503; "
        "https://platform.openai.com/docs/api-reference/chat/create; "
        "docs/breakages.md#a5-the-usage-chunk"
    ),
    probes=("chat_stream_usage",),
    features=("stream", "usage_chunk"),
    also=FIELD_STREAMS,
)
def usage_own_chunk(x: Exchange) -> None:
    """OpenAI's ``include_usage`` adds one chunk before ``[DONE]`` whose ``choices`` is
    empty and which carries the usage. Code that reads the usage from that chunk only
    (``if not chunk.choices: usage = chunk.usage``) misses a usage carried on a chunk
    that still has choices, and code that stops at the first choices-empty chunk loses
    what comes after one sent early. Not applicable when the last chunk carries no usage
    (:func:`usage_chunk` fails then)."""
    chunks = chunks_of(x)
    if not chunks or not isinstance(chunks[-1].get("usage"), dict):
        raise NotApplicable("the last chunk carries no usage (stream.usage_chunk's finding)")
    empty = [i for i, c in enumerate(chunks) if c.get("choices") == []]
    if chunks[-1].get("choices") != []:
        raise CheckFailure(
            f"the usage arrives on the last chunk ({len(chunks) - 1}), which still has "
            "choices; OpenAI sends it on an extra chunk with `choices: []`, and code that "
            "reads the usage from that chunk never sees it",
            excerpt=excerpt(json.dumps(chunks[-1])),
        )
    if len(empty) > 1:
        raise CheckFailure(
            f"{len(empty)} chunks have `choices: []` (chunks "
            f"{', '.join(map(str, empty[:6]))}); only the usage chunk, the last, may: code "
            "that stops at the first one loses the rest of the answer",
            excerpt=excerpt(json.dumps(chunks[empty[0]])),
        )


@check(
    "stream.usage_once",
    title="At most one chunk of a stream carries a usage (null on the others)",
    severity=Severity.MEDIUM,
    source=(
        f"{CHUNK_OBJECT}; https://github.com/ogx-ai/ogx/issues/5122; "
        "https://github.com/langchain-ai/langchain/issues/30429; "
        "docs/breakages.md#a5-the-usage-chunk"
    ),
    probes=("chat_stream_usage",),
    features=("stream",),
    also=("chat_stream", *OTHER_STREAMS),
)
def usage_once(x: Exchange) -> None:
    """OpenAI's ``usage`` is null on every chunk but the last. A proxy that puts the
    running usage on every chunk (Google's OpenAI endpoint does, ogx-ai/ogx#5122) has
    clients that add a stream's usages up (LangChain's ``usage_metadata``, cost trackers)
    count the tokens once per chunk."""
    carriers = [i for i, c in enumerate(chunks_of(x)) if isinstance(c.get("usage"), dict)]
    if len(carriers) > 1:
        shown = ", ".join(map(str, carriers[:6])) + (", ..." if len(carriers) > 6 else "")
        raise CheckFailure(
            f"{len(carriers)} chunks carry a usage (chunks {shown}); OpenAI sends it on the "
            "last chunk only, and clients that add a stream's usages up (LangChain's "
            f"usage_metadata) count the tokens {len(carriers)} times",
            excerpt=excerpt(x.body[:600]),
        )


@check(
    "stream.content_present",
    title="A streamed answer carries its text in delta.content",
    severity=Severity.HIGH,
    source=f"https://github.com/router-for-me/CLIProxyAPI/issues/931; {CHUNK_OBJECT}",
    probes=("chat_stream",),
    features=("stream",),
)
def content_present(x: Exchange) -> None:
    text = "".join(
        c["delta"]["content"]
        for chunk in chunks_of(x)
        for c in _choices(chunk)
        if isinstance(c.get("delta"), dict) and isinstance(c["delta"].get("content"), str)
    )
    if not text.strip():
        raise CheckFailure(
            "no chunk carries any delta.content text; clients show an empty answer",
            excerpt=excerpt(x.body[:600]),
        )


__all__ = [
    "CHUNK_OBJECT",
    "FIELD_STREAMS",
    "OTHER_STREAMS",
    "PARSERS",
    "WHATWG",
    "finish_reasons",
]


@check(
    "stream.upstream_cut_surfaces",
    title="An upstream stream that breaks off reaches the client as an error, not a clean end",
    severity=Severity.HIGH,
    source=(
        "https://github.com/bigduu/Bamboo-agent/issues/405; "
        f"https://github.com/open-octo/octo-agent/issues/910; {PARSERS}"
    ),
    probes=("stream_cut",),
    mode=Mode.CONTROLLED,
    features=("stream",),
)
def upstream_cut_surfaces(x: Exchange) -> None:
    status = require_response(x)
    if status >= 400:
        return  # the failure was reported as a real HTTP error: the client sees it
    outcome = replay_openai_python(x, "stream")
    clients = {outcome.client: outcome.verdict()}
    if outcome.ok:
        ending = "a [DONE] as if complete" if x.sse.done else "a quiet end of stream"
        raise CheckFailure(
            f"the upstream broke off mid-answer and the proxy sent {ending}; openai-python "
            "returns the truncated text as a complete answer" + own_words(x),
            excerpt=excerpt(x.body[-500:]),
            clients=clients,
        )


@check(
    "stream.upstream_error_event",
    title='An upstream error mid-stream reaches the client as one data: {"error": ...} event',
    severity=Severity.HIGH,
    source=(
        "https://github.com/open-octo/octo-agent/issues/910; "
        f"https://github.com/BerriAI/litellm/issues/32237; {OPENAI_PYTHON}_streaming.py"
    ),
    probes=("stream_error",),
    mode=Mode.CONTROLLED,
    features=("stream",),
)
def upstream_error_event(x: Exchange) -> None:
    status = require_response(x)
    if status >= 400:
        return  # reported before streaming began: a real HTTP error
    errors = error_payloads(x)
    outcome = replay_openai_python(x, "stream")
    clients = {outcome.client: outcome.verdict()}
    if not errors:
        raise CheckFailure(
            'the upstream failed mid-stream but the proxy sent no `data: {"error": ...}` '
            "event; openai-python "
            + ("raises nothing" if outcome.ok else f"only sees {outcome.error}")
            + own_words(x),
            excerpt=excerpt(x.body[-500:]),
            clients=clients,
        )
    message = errors[0].value["error"].get("message")
    if not isinstance(message, str) or not message:
        raise CheckFailure(
            "the error event has no error.message", excerpt=excerpt(errors[0].data), clients=clients
        )
    if outcome.ok or outcome.error_type != "APIError":
        raise CheckFailure(
            f"openai-python does not raise APIError on the error event ({outcome.verdict()})",
            excerpt=excerpt(errors[0].data),
            clients=clients,
        )


@check(
    "stream.upstream_framing",
    title="Upstream CRLF events split byte by byte, or coalesced in one write, reach the "
    "client as the same text",
    severity=Severity.HIGH,
    source=(
        "https://github.com/Continuum-AI-Corp/OrcaRouter-Lite/issues/98; "
        f"https://github.com/alexrudall/ruby-openai/issues/332; {WHATWG}; "
        "docs/gemini-wire.md#a3-streaming-altsse"
    ),
    probes=("stream_split",),
    mode=Mode.CONTROLLED,
    features=("stream",),
    also=("stream_coalesced",),
)
def upstream_framing(x: Exchange) -> None:
    require_success(x)
    expected = upstream_answer(x).get("text")
    if not isinstance(expected, str):
        raise Undecided("the mock's journal has no answer text")
    got = "".join(
        c["delta"]["content"]
        for chunk in x.sse.chunks
        for c in _choices(chunk)
        if c.get("index", 0) == 0
        and isinstance(c.get("delta"), dict)
        and isinstance(c["delta"].get("content"), str)
    )
    if got != expected:
        raise CheckFailure(
            f"the upstream sent {expected!r}, the client received {got!r}",
            excerpt=excerpt(x.body[:800]),
        )


def event_times(x: Exchange) -> list[tuple[float, dict[str, Any]]]:
    """``(arrival time in s, chunk)`` for each JSON chunk, decoding the body in the pieces
    and at the times it arrived."""
    decoder = SSEDecoder()
    out: list[tuple[float, dict[str, Any]]] = []
    for at, piece in x.chunks:
        for event in decoder.feed(piece):
            try:
                value = json.loads(event.data)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append((at, value))
    return out


@check(
    "stream.not_buffered",
    title="Streamed chunks reach the client as the upstream paces them (no buffering)",
    severity=Severity.HIGH,
    source=(
        "https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffering; "
        "docs/breakages.md#a7-framing-crlf-split-and-merged-writes-buffering"
    ),
    probes=("stream_paced",),
    mode=Mode.CONTROLLED,
    features=("stream",),
)
def not_buffered(x: Exchange) -> str:
    require_success(x)
    encoding = (x.header("content-encoding") or "identity").lower()
    if encoding not in ("identity", ""):
        raise CheckFailure(
            f"the stream is sent with Content-Encoding: {encoding}; compressors buffer "
            "chunks, so tokens arrive in bursts"
        )
    content = [
        at
        for at, chunk in event_times(x)
        for c in _choices(chunk)
        if isinstance(c.get("delta"), dict) and c["delta"].get("content")
    ]
    if len(content) < 2:
        raise CheckFailure(
            f"only {len(content)} chunk(s) carry content; the upstream sent 4 paced chunks",
            excerpt=excerpt(x.body[:600]),
        )
    spread_ms = (content[-1] - content[0]) * 1000
    if spread_ms < 200:
        raise CheckFailure(
            f"all {len(content)} content chunks arrived within {spread_ms:.0f} ms although "
            f"the upstream sent them {PACED_MS} ms apart: the proxy buffers the stream",
        )
    first_byte = x.chunks[0][0] * 1000 if x.chunks else 0.0
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(content)]
    return (
        f"first byte {first_byte:.0f} ms, first token {content[0] * 1000:.0f} ms, "
        f"gaps {', '.join(f'{g:.0f}' for g in gaps)} ms"
    )


@check(
    "stream.reasoning_before_content",
    title="A thinking model's stream sends its reasoning_content deltas before the answer's "
    "first content delta",
    severity=Severity.MEDIUM,
    source=(
        "https://api-docs.deepseek.com/guides/reasoning_model; "
        "https://github.com/domechn/track3/pull/661; "
        "https://github.com/QwenLM/qwen-code/pull/6033; "
        "docs/openai-wire.md#b5-reasoning-fields"
    ),
    probes=("field_think_effort_stream",),
    also=("field_think_google_stream",),
    features=("stream",),
)
def reasoning_before_content(x: Exchange) -> str:
    """A real model thinks, then answers: Gemini sends every thought part before the
    answer's text. Clients render ``reasoning_content`` as a block above the answer and
    close it when ``content`` starts, so a thought delta after the first content delta
    lands after (or inside) the answer. Skipped when the stream has no reasoning
    (``field.reasoning_content`` judges whether thoughts arrive)."""
    require_success(x)
    first_content: int | None = None
    thoughts = 0
    for i, chunk in enumerate(chunks_of(x)):
        for choice in _choices(chunk):
            delta = choice.get("delta")
            if choice.get("index", 0) != 0 or not isinstance(delta, dict):
                continue
            reasoning = delta.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                thoughts += 1
                if first_content is not None and i > first_content:
                    raise CheckFailure(
                        f"chunk {i} carries reasoning_content after the answer started in "
                        f"chunk {first_content}: clients that show the thoughts above the "
                        "answer (and close that block when content starts) show them after "
                        "it, or inside it",
                        excerpt=excerpt(json.dumps(chunk)),
                    )
            content = delta.get("content")
            if isinstance(content, str) and content and first_content is None:
                first_content = i
    if not thoughts:
        raise NotApplicable(
            f"{x.probe}: the stream carries no reasoning_content; field.reasoning_content "
            "judges whether thoughts arrive"
        )
    return f"{thoughts} reasoning delta(s), then the answer from chunk {first_content}"
