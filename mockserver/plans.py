"""Deterministic model output: what each scenario "says", as a :class:`Plan` of parts.

Pure: everything is derived from the 32-byte request key (:func:`mockserver.request.
request_key`: seed + canonical body), so the same seed and request give the same plan.
:mod:`mockserver.envelopes` turns a plan into Gemini's stream chunks or unary reply and
:mod:`mockserver.summary` into the journal's summary of it.

**Token rule.** One whitespace-separated word is one token. The answer has ``max(12,
chunks)`` words from a fixed vocabulary (every fourth word, from the second on, is
non-ASCII, e.g. ``café``, ``—``, ``東京``, so split writes cut UTF-8 sequences);
``candidatesTokenCount`` is the number of answer words sent so far, a ``functionCall``
part counts ``1 + number of top-level args``; ``thoughtsTokenCount`` is the number of
words of the thought text; ``promptTokenCount`` is the request's word count
(:func:`mockserver.request.prompt_tokens`); ``totalTokenCount`` = prompt + candidates +
thoughts. ``maxOutputTokens`` caps the answer words and then ``finishReason`` is
``MAX_TOKENS``; under the default scenario a thinking model's thoughts count towards it
first, as Gemini counts them (:func:`document_plan`'s ``thought_budget``). Media
(:mod:`mockserver.multimodal`): an image part counts ``IMAGE_TOKENS``, audio counts
``AUDIO_TOKENS_PER_SECOND`` per second; a reply with media also reports
``candidatesTokensDetails`` per modality. JSON mode (:mod:`mockserver.structured`): the
answer is a JSON document and each whitespace-separated word of its text is one token
(:func:`text_tokens`), so ``maxOutputTokens`` can cut the document short
(``MAX_TOKENS``, not parseable, as Google's). Several candidates (``candidateCount``):
every count above sums over all of them.

A :class:`Plan` is a list of :class:`Piece`, one part each: one stream chunk per piece,
pieces of one group merged into one part of the unary reply.

**Candidates.** ``generationConfig.candidateCount`` N > 1 on a text answer (plain or
JSON; tool calls, media, blocked and error replies keep one candidate) gives N
candidates (:func:`with_candidates`): candidate 0 is exactly the one-candidate answer,
candidate ``i`` the same kind of answer from :func:`candidate_key` (key, i), with a
text no earlier candidate has.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, cast

from spec.wire import Candidate, Part

__all__ = [
    "ANSWER_WORDS",
    "NON_ASCII_WORDS",
    "THOUGHT_TOKENS",
    "VOCABULARY",
    "Piece",
    "Plan",
    "answer_words",
    "call_id",
    "candidate_key",
    "cut_at_stop",
    "document_plan",
    "function_call_plan",
    "in_parts",
    "no_content_plan",
    "prompt_blocked_plan",
    "response_id",
    "said",
    "signature",
    "streamed_call_pieces",
    "text_plan",
    "text_tokens",
    "with_candidates",
    "with_thoughts",
]

ANSWER_WORDS = 12
"""Answer length in words (= tokens) before ``chunks``/``maxOutputTokens`` apply."""

VOCABULARY: tuple[str, ...] = (
    "the", "river", "quietly", "carries", "light", "across", "a", "stone", "bridge",
    "while", "morning", "bells", "answer", "distant", "hills", "and", "every", "window",
    "opens", "to", "warm", "bread", "maps", "of", "old", "harbours", "glow", "softly",
    "under", "patient", "clouds", "<tag>", "lanterns", "drift", "past", "green",
    "gardens", "where", "children", "count", "silver", "boats", "before", "evening",
    "tea", "is", "poured", "slowly",
)  # fmt: skip
"""ASCII words; ``<tag>`` makes Google's ``\\u003c``/``\\u003e`` escaping show up."""

NON_ASCII_WORDS: tuple[str, ...] = (
    "café", "—", "東京", "naïve", "Zürich", "façade", "señor", "Ωmega", "日本語", "🌊",
)  # fmt: skip
"""Words with 2-, 3- and 4-byte UTF-8 sequences, one every fourth answer word."""

_TITLES = (
    "**Weighing the question**\n\n",
    "**Sketching an answer**\n\n",
    "**Checking the details**\n\n",
    "**Gathering the facts**\n\n",
)
_THOUGHT_WORDS = 8
THOUGHT_TOKENS = 3 + _THOUGHT_WORDS
"""``thoughtsTokenCount`` of one answer of a thinking model: a three-word title and
:data:`_THOUGHT_WORDS` words of thought, shown or not (:func:`text_plan`)."""
_NO_EXTRA = cast(Candidate, MappingProxyType({}))
"""The :attr:`Plan.extra` of most plans: nothing, and read-only at run time."""
_BY_BYTE = tuple(VOCABULARY[b % len(VOCABULARY)] for b in range(256))
_NON_ASCII_BY_BYTE = tuple(NON_ASCII_WORDS[b % len(NON_ASCII_WORDS)] for b in range(256))
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_TOKEN_RE = re.compile(r"\s*\S+").findall


class Piece(NamedTuple):
    """One streamed part. ``group``: pieces sharing it merge into one unary part."""

    part: Part
    group: int
    candidates: int = 0
    """Tokens this piece adds to ``candidatesTokenCount``."""
    thoughts: int = 0
    """Tokens this piece adds to ``thoughtsTokenCount``."""
    modality: str = "TEXT"
    """``TEXT``, ``IMAGE`` or ``AUDIO``: where ``candidates`` go in the details."""
    stream_only: bool = False
    """Sent in the stream only, left out of the unary reply and of :func:`said`: the
    empty text part that closes a gemini-3 tool-call stream, the ``partialArgs``
    pieces and the empty ``functionCall: {}`` that closes a streamed call."""
    whole: dict[str, Any] | None = None
    """For the first piece of a call streamed with ``partialArgs``: the whole call
    (``{"name", "args"?, "id"?}``), what :func:`said` reports for it."""
    joins: bool = False
    """Streamed in the same chunk as the piece before it (one more part of that chunk's
    content): Gemini 2.x sends parallel calls together in one chunk."""


class Plan(NamedTuple):
    """A whole response before framing.

    ``pieces`` are those of candidate 0. ``finish``: its ``finishReason``. ``extra``:
    more keys for it (``safetyRatings``, ``citationMetadata``, ``finishMessage``).
    ``prompt_feedback``: when set, the response has no candidates at all. ``media``:
    one journal summary per image or audio output (empty for text-only replies); when
    set, usage carries ``candidatesTokensDetails`` and ``inlineData`` pieces of one
    group merge by concatenating their bytes. ``others``: the plans of candidates 1..N-1
    (``candidateCount``), text answers without media; empty for one candidate.
    """

    pieces: tuple[Piece, ...]
    finish: str | None = "STOP"
    extra: Candidate = _NO_EXTRA
    prompt_feedback: dict[str, Any] | None = None
    media: tuple[Mapping[str, Any], ...] = ()
    others: tuple[Plan, ...] = ()
    tier: str = "standard"
    """``usageMetadata.serviceTier`` of a v1beta answer: the request's ``serviceTier``
    in lower case, ``standard`` when unset or unspecified."""
    pace_ms: int = 0
    """Milliseconds between streamed chunks when the directive sets no ``chunk_ms``: a
    long answer written at a model's pace (:mod:`mockserver.prompted`); 0: at once."""
    unary_extra: Candidate = _NO_EXTRA
    """More keys for candidate 0 of the unary answer only (a Gemini 3 tool call's
    ``finishMessage``: its streams carry none)."""
    late_thoughts: bool = False
    """Streamed chunks that hold thought parts alone leave the thoughts out of their
    usage (no ``thoughtsTokenCount``, a total without them); the first chunk after them
    counts them all. Gemini 3 streams so (gemini-3-pro-preview and gemini-3.5-flash,
    recorded by mirascope and OpenInference); Gemini 2.5 counts them as they come."""


def _stream(key: bytes, salt: bytes, n: int) -> bytes:
    return hashlib.shake_256(salt + b"\0" + key).digest(max(n, 1))


def response_id(key: bytes) -> str:
    """A 23-character base64url id like Google's ``responseId`` (A2), from ``key``."""
    return base64.urlsafe_b64encode(_stream(key, b"response-id", 17)).decode().rstrip("=")


def signature(key: bytes, index: int) -> str:
    """A deterministic base64 ``thoughtSignature`` (64 characters) for part ``index``."""
    return base64.b64encode(_stream(key, b"signature%d" % index, 48)).decode()


def call_id(key: bytes, index: int) -> str:
    """An 8-character lowercase alphanumeric ``functionCall.id`` (gemini-3, A2)."""
    raw = _stream(key, b"call-id%d" % index, 8)
    return "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in raw)


def candidate_key(key: bytes, index: int, attempt: int = 0) -> bytes:
    """The 32-byte key candidate ``index`` (>= 1) of a ``candidateCount`` reply is
    derived from (candidate 0 uses the request key itself); ``attempt`` > 0 gives
    further keys, used when a key's answer repeats an earlier candidate's."""
    return _stream(key, b"candidate%d.%d" % (index, attempt), 32)


def answer_words(key: bytes, count: int) -> list[str]:
    """``count`` answer words; word ``i`` is non-ASCII when ``i % 4 == 1``.

    For ``count <= 64`` the words are a prefix of the words for any larger count.
    """
    half = max(count, 64)  # shake output is prefix-stable: so are the words up to 64
    raw = _stream(key, b"answer", 2 * half)
    words = [_BY_BYTE[b] for b in raw[:count]]
    words[1::4] = [_NON_ASCII_BY_BYTE[b] for b in raw[half : half + len(range(1, count, 4))]]
    return words


def _deltas(words: list[str], chunks: int) -> list[list[str]]:
    k = max(1, min(chunks, len(words)))
    n = len(words)
    return [words[i * n // k : (i + 1) * n // k] for i in range(k)]


def _thought_pieces(key: bytes, budget: int = THOUGHT_TOKENS) -> list[Piece]:
    """The two thought pieces (title, body); ``budget`` < :data:`THOUGHT_TOKENS` cuts
    them to that many tokens (a ``maxOutputTokens`` spent while thinking)."""
    raw = _stream(key, b"thought", _THOUGHT_WORDS + 1)
    title = _TITLES[raw[0] % len(_TITLES)]
    words = [_BY_BYTE[b] for b in raw[1:]]
    if budget >= THOUGHT_TOKENS:
        return [
            Piece({"text": title, "thought": True}, 0, thoughts=len(title.split())),
            Piece({"text": " ".join(words), "thought": True}, 0, thoughts=_THOUGHT_WORDS),
        ]
    heading = title.split()
    if budget <= len(heading):
        return [Piece({"text": " ".join(heading[:budget]), "thought": True}, 0, thoughts=budget)]
    rest = budget - len(heading)
    return [
        Piece({"text": title, "thought": True}, 0, thoughts=len(heading)),
        Piece({"text": " ".join(words[:rest]), "thought": True}, 0, thoughts=rest),
    ]


def text_plan(
    key: bytes,
    *,
    chunks: int,
    max_tokens: int | None,
    thoughts: bool = False,
    show_thoughts: bool = True,
    force_cut: bool = False,
    signed: bool = False,
    words: int = ANSWER_WORDS,
    trailer: bool = False,
) -> Plan:
    """An answer of ``max(words, chunks)`` words in ``chunks`` text deltas.

    ``max_tokens`` caps the words (then ``finishReason: MAX_TOKENS``); ``force_cut``
    (scenario ``max_tokens``) always cuts, at ``max_tokens`` when it is smaller than
    the answer, else at half of it. ``thoughts`` puts two thought pieces first; with
    ``show_thoughts`` false (no ``includeThoughts``, or a thinking model answering
    without scenario ``thoughts``) only their :data:`THOUGHT_TOKENS` are counted, on the
    first answer piece. ``signed`` puts a ``thoughtSignature`` on the last answer
    piece; with ``trailer`` (Gemini 3) the signature comes instead in one more piece,
    an empty text part that carries only the signature (the stream's last chunk, as
    ``spec/captures/google-text.chunks.txt``), which the unary reply merges into the
    text part (``google-text.json``).
    """
    all_words = answer_words(key, max(words, chunks))
    finish = "STOP"
    limit = len(all_words)
    if force_cut:
        limit = max_tokens if max_tokens is not None and max_tokens < limit else limit // 2
    elif max_tokens is not None and max_tokens < limit:
        limit = max_tokens
    if limit < len(all_words):
        all_words = all_words[:limit]
        finish = "MAX_TOKENS"
    # the hot path: like _answer() and _limit(), inline
    shown = thoughts and show_thoughts
    pieces = _thought_pieces(key) if shown else []
    hidden = THOUGHT_TOKENS if thoughts and not shown else 0
    deltas = _deltas(all_words, chunks)
    last = -1 if trailer else len(deltas) - 1
    for i, group in enumerate(deltas):
        text = ("" if i == 0 else " ") + " ".join(group)
        part: Part = {"text": text}
        if signed and i == last:
            part["thoughtSignature"] = signature(key, 0)
        pieces.append(Piece(part, 1, candidates=len(group), thoughts=hidden if i == 0 else 0))
    if signed and trailer:
        pieces.append(Piece({"text": "", "thoughtSignature": signature(key, 0)}, 1))
    return Plan(tuple(pieces), finish)


def _answer(
    key: bytes,
    deltas: list[tuple[str, int]],
    finish: str,
    thoughts: bool,
    show_thoughts: bool,
    signed: bool,
    trailer: bool,
    thought_tokens: int = THOUGHT_TOKENS,
) -> Plan:
    """The plan of answer ``deltas`` (``(text, tokens)``), thought pieces first (the
    thoughts, signature and trailer rules of :func:`text_plan`); ``thought_tokens``:
    how many thought tokens (at most :data:`THOUGHT_TOKENS`) were written."""
    shown = thoughts and show_thoughts and thought_tokens > 0
    pieces = _thought_pieces(key, thought_tokens) if shown else []
    hidden = thought_tokens if thoughts and not shown else 0
    last = -1 if trailer else len(deltas) - 1
    for i, (text, count) in enumerate(deltas):
        part: Part = {"text": text}
        if signed and i == last:
            part["thoughtSignature"] = signature(key, 0)
        pieces.append(Piece(part, 1, candidates=count, thoughts=hidden if i == 0 else 0))
    if signed and trailer:
        pieces.append(Piece({"text": "", "thoughtSignature": signature(key, 0)}, 1))
    return Plan(tuple(pieces), finish)


def _limit(available: int, max_tokens: int | None, force_cut: bool) -> int:
    """How many of ``available`` answer tokens are sent (see :func:`text_plan`)."""
    if force_cut:
        return max_tokens if max_tokens is not None and max_tokens < available else available // 2
    if max_tokens is not None and max_tokens < available:
        return max_tokens
    return available


def text_tokens(text: str) -> list[str]:
    """``text`` cut into tokens by the token rule: each whitespace-separated word with
    the whitespace before it, so ``"".join(text_tokens(t)) == t`` for any ``t`` without
    trailing whitespace."""
    return _TOKEN_RE(text)


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """``text`` up to (not including) the earliest occurrence of any non-empty stop
    sequence; ``text`` itself when none occurs. Gemini never returns the stop sequence
    and ends such an answer with ``finishReason: STOP``
    (https://ai.google.dev/api/generate-content#generationconfig, ``stopSequences``)."""
    cut = len(text)
    for stop in stops:
        if stop:
            at = text.find(stop, 0, cut + len(stop) - 1)
            if at != -1:
                cut = min(cut, at)
    return text[:cut]


def document_plan(
    key: bytes,
    text: str,
    *,
    chunks: int,
    max_tokens: int | None,
    thoughts: bool = False,
    show_thoughts: bool = True,
    force_cut: bool = False,
    signed: bool = False,
    trailer: bool = False,
    stops: Sequence[str] = (),
    thought_budget: bool = False,
) -> Plan:
    """Like :func:`text_plan` for a given answer ``text`` (a JSON document in JSON
    mode): its tokens (:func:`text_tokens`) go out in ``min(chunks, tokens)`` deltas
    that concatenate to ``text``; ``max_tokens``/``force_cut`` cut it the same way.

    ``stops``: the text is first cut before the earliest stop sequence
    (:func:`cut_at_stop`; whitespace before it is kept, ``finishReason`` stays
    ``STOP``). ``thought_budget``: the thoughts of a thinking model count towards
    ``max_tokens`` as Gemini counts them (thinking is spent first; the answer gets what
    is left, and when nothing is left the candidate holds the thoughts, cut to
    ``max_tokens``, and one empty text part: ``finishReason: MAX_TOKENS``; Google's
    ``maxOutputTokens`` caps thinking and answer together, e.g.
    https://github.com/googleapis/python-genai/issues/2062 and
    https://github.com/googleapis/python-genai/issues/782).
    """
    if stops:
        text = cut_at_stop(text, stops)
    tokens = text_tokens(text)
    tail = text[sum(map(len, tokens)) :]
    thought_tokens = THOUGHT_TOKENS
    if thought_budget and thoughts and max_tokens is not None and not force_cut:
        thought_tokens = min(THOUGHT_TOKENS, max_tokens)
        max_tokens -= thought_tokens
        limit = min(len(tokens), max_tokens)
    else:
        limit = _limit(len(tokens), max_tokens, force_cut)
    finish = "STOP"
    if limit < len(tokens):
        tokens = tokens[:limit]
        finish = "MAX_TOKENS"
    elif tail and tokens:
        tokens[-1] += tail
    deltas = [("".join(group), len(group)) for group in _deltas(tokens, chunks)] or [("", 0)]
    return _answer(key, deltas, finish, thoughts, show_thoughts, signed, trailer, thought_tokens)


_ATTEMPTS = 16
"""Keys tried per extra candidate for an answer no earlier candidate gave."""


def with_candidates(
    first: Plan, key: bytes, count: int, answer: Callable[[bytes, int], Plan]
) -> Plan:
    """``first`` (candidate 0) with ``count - 1`` more candidates (:attr:`Plan.others`):
    candidate ``i`` is ``answer(candidate_key(key, i), i)``. When its text repeats an
    earlier candidate's, the next keys (``attempt`` 1, 2, ...) are tried, so the texts
    differ unless the answer cannot (a JSON schema with fewer values than candidates).
    """
    seen = {said(first.pieces)[0]}
    others: list[Plan] = []
    for index in range(1, count):
        for attempt in range(_ATTEMPTS):
            plan = answer(candidate_key(key, index, attempt), index)
            text = said(plan.pieces)[0]
            if text not in seen:
                break
        seen.add(text)
        others.append(plan)
    return first._replace(others=tuple(others))


def with_thoughts(plan: Plan, key: bytes) -> Plan:
    """``plan`` with two thought pieces first: Gemini thinks before it calls a tool, and
    shows the thoughts when ``includeThoughts`` is set (A2, A3)."""
    return plan._replace(pieces=(*_thought_pieces(key), *plan.pieces))


def function_call_plan(
    key: bytes,
    calls: list[tuple[str, dict[str, Any]]],
    *,
    with_ids: bool,
    signed: bool,
    finish_message: bool | Literal["unary"],
    hidden_thoughts: int = 0,
    trailer: bool = False,
    streamed: bool = False,
    together: bool = False,
) -> Plan:
    """One piece per ``(name, args)`` call (A2, A3).

    ``with_ids``: 8-character ``functionCall.id`` (gemini-3); ``signed``: a
    ``thoughtSignature`` on the first call only, as Google does for parallel calls;
    ``finish_message``: the ``finishMessage`` of a thinking model on the candidate
    (``"unary"``: on the unary answer only, as Gemini 3 sends it: its tool-call streams
    end without one, in every recording at hand: 3-pro, 3-flash, 3.1-pro, 3.5-flash). A call whose
    ``args`` are empty (a function without parameters) has no ``args`` key at all, as
    Google sends it. ``hidden_thoughts``: thought tokens counted on the first piece (a
    thinking model that does not show its thoughts). ``trailer``: the stream ends with
    one more chunk, an empty text part (:attr:`Piece.stream_only`), as gemini-3 does
    (``spec/captures/google-tool-call.chunks.txt``). ``streamed``: each call is sent
    as :func:`streamed_call_pieces` (``streamFunctionCallArguments``; no trailer).
    ``together``: the calls stream in one chunk, as Gemini 2.5 and 2.0 send them
    (mirascope's and crewAI's recordings); Gemini 3 sends one call per chunk
    (``spec/captures/google-stream-no-args-tool-call.chunks.txt``).
    """
    pieces: list[Piece] = []
    for i, (name, args) in enumerate(calls):
        call: dict[str, Any] = {"name": name, "args": args} if args else {"name": name}
        if with_ids:
            call["id"] = call_id(key, i)
        sig = signature(key, i + 1) if signed and i == 0 else None
        tokens = 1 + len(args)
        thoughts = hidden_thoughts if i == 0 else 0
        if streamed:
            pieces.extend(streamed_call_pieces(call, 2 + i, sig, tokens, thoughts))
            continue
        part: Part = {"functionCall": call}
        if sig is not None:
            part["thoughtSignature"] = sig
        joins = together and i > 0
        pieces.append(Piece(part, 2 + i, candidates=tokens, thoughts=thoughts, joins=joins))
    if trailer and not streamed:
        pieces.append(Piece({"text": ""}, 2 + len(calls), stream_only=True))
    message: Candidate = {"finishMessage": "Model generated function call(s)."}
    if finish_message == "unary":
        return Plan(tuple(pieces), "STOP", unary_extra=message)
    return Plan(tuple(pieces), "STOP", message if finish_message else _NO_EXTRA)


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STRING_PIECE_TOKENS = 2
"""Words per ``stringValue`` piece of a streamed string argument."""


def _json_path(parent: str, key: str | int) -> str:
    """RFC 9535 normalized-ish path: ``$.a``, ``$['a b']``, ``$.a[0]``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _PLAIN_KEY.match(key):
        return f"{parent}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{parent}['{escaped}']"


def _partial_args(value: Any, path: str) -> list[dict[str, Any]]:
    """The ``partialArgs`` entries that stream ``value`` at ``path``, leaf by leaf."""
    if isinstance(value, dict):
        return [a for k, v in value.items() for a in _partial_args(v, _json_path(path, k))]
    if isinstance(value, list):
        return [a for i, v in enumerate(value) for a in _partial_args(v, _json_path(path, i))]
    if isinstance(value, str):
        tokens = text_tokens(value)
        out = [
            {
                "jsonPath": path,
                "stringValue": "".join(tokens[i : i + _STRING_PIECE_TOKENS]),
                "willContinue": True,
            }
            for i in range(0, len(tokens), _STRING_PIECE_TOKENS)
        ]
        return [*out, {"jsonPath": path, "stringValue": value[len(value.rstrip()) :]}]
    if isinstance(value, bool):
        return [{"jsonPath": path, "boolValue": value}]
    if value is None:
        return [{"jsonPath": path, "nullValue": "NULL_VALUE"}]
    return [{"jsonPath": path, "numberValue": value}]


def streamed_call_pieces(
    call: dict[str, Any], group: int, sig: str | None, tokens: int, thoughts: int = 0
) -> list[Piece]:
    """One call streamed the Vertex AI way (``toolConfig.functionCallingConfig.
    streamFunctionCallArguments``; https://cloud.google.com/vertex-ai/generative-ai/docs/
    multimodal/function-calling#streaming-fc and ``spec/captures/google-stream-tool-
    call-arguments.chunks.txt``), one piece (= one chunk) each:

    1. ``functionCall: {"name", "id"?, "willContinue": true}`` (+ ``thoughtSignature``
       when ``sig`` is given), carrying the call's ``tokens``/``thoughts``;
    2. per leaf value of ``args`` in order, ``functionCall: {"partialArgs": [{"jsonPath",
       <value>}], "willContinue": true}``: ``jsonPath`` is RFC 9535 (``$.a.b``,
       ``$.list[0]``, ``$['odd key']``); a number is one ``numberValue``, a boolean one
       ``boolValue``, ``null`` one ``nullValue: "NULL_VALUE"``; a string goes out in
       ``stringValue`` pieces of two words with ``willContinue: true``, then a last piece
       without it (the string's trailing whitespace, usually ``""``); empty objects and
       arrays send nothing;
    3. ``functionCall: {}``, which closes the call.

    Concatenating the ``stringValue`` pieces of a path gives the string back. Pieces 2
    and 3 are :attr:`Piece.stream_only`; piece 1's :attr:`Piece.whole` is ``call``.
    """
    head: dict[str, Any] = {"name": call["name"]}
    if "id" in call:
        head["id"] = call["id"]
    head["willContinue"] = True
    part: Part = {"functionCall": head}
    if sig is not None:
        part["thoughtSignature"] = sig
    out = [Piece(part, group, candidates=tokens, thoughts=thoughts, whole=call)]
    for arg in _partial_args(call.get("args", {}), "$"):
        body = {"partialArgs": [arg], "willContinue": True}
        out.append(Piece({"functionCall": body}, group, stream_only=True))
    out.append(Piece({"functionCall": {}}, group, stream_only=True))
    return out


_SAFETY_RATINGS: list[dict[str, Any]] = [
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM", "blocked": True},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"},
]
_PROMPT_RATINGS = [
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "HIGH"},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"},
]
_CITATIONS: dict[str, Any] = {
    "citationSources": [
        {"startIndex": 0, "endIndex": 128, "uri": "https://example.com/recited-source"},
    ]
}


def no_content_plan(finish: str) -> Plan:
    """A candidate with ``finishReason`` ``finish`` and no ``content`` (A2, A3).

    ``SAFETY`` adds ``safetyRatings`` (one ``blocked``), ``RECITATION`` adds
    ``citationMetadata``; ``MALFORMED_FUNCTION_CALL`` adds nothing.
    """
    extra: Candidate = {}
    if finish == "SAFETY":
        extra["safetyRatings"] = _SAFETY_RATINGS
    elif finish == "RECITATION":
        extra["citationMetadata"] = _CITATIONS
    return Plan((), finish, extra)


def prompt_blocked_plan() -> Plan:
    """No candidates; ``promptFeedback: {blockReason: SAFETY, safetyRatings}`` (A2)."""
    return Plan((), None, {}, {"blockReason": "SAFETY", "safetyRatings": _PROMPT_RATINGS})


def _fragments(text: str, n: int) -> list[str]:
    """``text`` cut at word starts into at most ``n`` non-empty pieces, in order."""
    words = _TOKEN_RE(text)
    k = min(n, len(words))
    if k < 2:
        return [text]
    cuts = [len("".join(words[: i * len(words) // k])) for i in range(k)] + [len(text)]
    return [text[cuts[i] : cuts[i + 1]] for i in range(k)]


def in_parts(plan: Plan, n: int) -> Plan:
    """``plan`` with its answer text in several parts, as Gemini sends it at times (a
    grounded answer, an image model's text, a long 2.5 Pro answer): each streamed text
    chunk carries its text in up to ``n`` parts (cut at word starts), and the unary
    reply ``n`` text parts in a row whose concatenation is the text. Thought parts,
    calls and media are as they were; token counts, a hidden-thought count (on the
    first piece) and a ``thoughtSignature`` (on the last) stay where they were, so
    the journal's summary and the usage do not change. ``n`` < 2: ``plan`` itself.
    Directive ``parts`` (:mod:`spec.scenarios`)."""
    answer = [
        i
        for i, p in enumerate(plan.pieces)
        if p.part.get("text") and not p.part.get("thought") and not p.stream_only
    ]
    if n < 2 or not answer:
        return plan
    cut = {i: _fragments(plan.pieces[i].part["text"], n) for i in answer}
    total = sum(len(texts) for texts in cut.values())
    base = 1 + max(p.group for p in plan.pieces)  # groups no other piece has
    pieces: list[Piece] = []
    seen = 0
    group = None
    for i, piece in enumerate(plan.pieces):
        if i not in cut:
            if group is not None and "text" in piece.part and not piece.part.get("thought"):
                piece = piece._replace(group=group)  # Gemini 3's closing signature part
            pieces.append(piece)
            continue
        texts = cut[i]
        counted = 0
        for j, text in enumerate(texts):
            part: Part = {"text": text}
            last = j == len(texts) - 1
            if last and "thoughtSignature" in piece.part:
                part["thoughtSignature"] = piece.part["thoughtSignature"]
            left = piece.candidates - counted
            tokens = left if last else min(left, len(_TOKEN_RE(text)))
            counted += tokens
            group = base + seen * n // total
            seen += 1
            pieces.append(
                Piece(
                    part,
                    group,
                    candidates=tokens,
                    thoughts=piece.thoughts if j == 0 else 0,
                    joins=piece.joins if j == 0 else True,
                )
            )
    return plan._replace(pieces=tuple(pieces))


def said(pieces: tuple[Piece, ...]) -> tuple[str, str, list[dict[str, Any]]]:
    """What ``pieces`` say: ``(answer text, thought text, functionCall objects)``, each
    text the concatenation of its parts in order; every call has ``args`` (``{}`` when
    it was sent without), a streamed call is reported whole (:attr:`Piece.whole`) and
    :attr:`Piece.stream_only` pieces are skipped."""
    text: list[str] = []
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    for piece in pieces:
        part = piece.part
        if piece.stream_only:
            continue
        if piece.whole is not None or "functionCall" in part:
            call = piece.whole if piece.whole is not None else part["functionCall"]
            # the journal's summary always has ``args`` (``{}`` for a call sent without)
            calls.append(call.copy() if "args" in call else {**call, "args": {}})
        elif "text" not in part:
            continue
        elif part.get("thought"):
            thoughts.append(part["text"])
        else:
            text.append(part["text"])
    return "".join(text), "".join(thoughts), calls
