"""Gemini envelopes: a :class:`~mockserver.plans.Plan` as GenerateContentResponse objects.

Pure. **Shapes** (docs/gemini-wire.md A2, A3). :func:`stream_chunks` gives one
GenerateContentResponse per piece: the same ``responseId``/``modelVersion`` on all,
cumulative ``usageMetadata``, text deltas, ``finishReason`` on the last only, thoughts
first, a ``functionCall`` whole in one chunk. :func:`unary_response` merges the pieces
of a group back into one part, so the unary text equals the concatenated stream deltas.
Token counts follow the token rule of :mod:`mockserver.plans`.

**Candidates.** Unary: ``candidates`` lists them with ``index`` 0..N-1. Streamed: one
candidate per chunk, interleaved round robin (:func:`stream_order`), each with its
``index``, each candidate's own ``finishReason`` on its last chunk.

**Which envelope fields, where** (decided from the real answers in ``spec/captures/``
and Google's references; real traffic wins where they disagree):

- v1beta (these functions): ``modelVersion`` and ``responseId`` on every object (the
  id derived from the request key, :func:`mockserver.plans.response_id`, so the same
  request gets the same id); ``usageMetadata`` = ``promptTokenCount``,
  ``candidatesTokenCount``, ``totalTokenCount`` (= prompt + candidates + thoughts),
  ``promptTokensDetails``, ``thoughtsTokenCount`` (on every object of a thinking
  model's answer: ``google-reasoning.chunks.txt``), then ``serviceTier`` (the request's
  tier in lower case, ``standard`` by default): recent v1beta answers end their usage
  with it (docs/gemini-wire.md A2's recorded gemini-3.5-flash call; the SDKs' type:
  "Output only. Service tier of the request. This field is not supported in Vertex
  AI", https://googleapis.github.io/js-genai/release_docs/interfaces/types.UsageMetadata.html).
  No ``createTime`` and no ``trafficType``: none of the v1beta captures carries them
  (``trafficType`` is "not supported in Gemini API" in the same reference).
- Vertex-backed upstreams (Code Assist, Antigravity: :func:`mockserver.codeassist.
  wrap`) carry ``usageMetadata.trafficType`` and ``createTime`` and no ``serviceTier``,
  as ``google-stream-tool-call-arguments.chunks.txt`` (Vertex AI) shows.
"""

from __future__ import annotations

import base64

from mockserver.plans import Piece, Plan
from spec.wire import Candidate, Content, GenerateContentResponse, Part, UsageMetadata

__all__ = ["stream_chunks", "stream_order", "unary_response"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _usage(
    prompt: int,
    candidates: int,
    thoughts: int,
    details: dict[str, int] | None = None,
    tier: str = "standard",
) -> UsageMetadata:
    usage: UsageMetadata = {"promptTokenCount": prompt}
    if candidates:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = prompt + candidates + thoughts
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if details:
        usage["candidatesTokensDetails"] = [
            {"modality": m, "tokenCount": n} for m, n in details.items()
        ]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    usage["serviceTier"] = tier
    return usage


def _details(pieces: tuple[Piece, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for piece in pieces:
        if piece.candidates:
            out[piece.modality] = out.get(piece.modality, 0) + piece.candidates
    return out


def _final_candidate(
    plan: Plan, content: Content | None, index: int = 0, *, unary: bool = False
) -> Candidate:
    candidate: Candidate = {} if content is None else {"content": content}
    if plan.finish is not None:
        candidate["finishReason"] = plan.finish
    candidate["index"] = index
    candidate.update(plan.extra)
    if unary:
        candidate.update(plan.unary_extra)
    return candidate


def stream_order(plan: Plan) -> list[tuple[int, Plan, int]]:
    """The pieces of every candidate in stream order, as ``(index, candidate plan,
    position of the piece in it)``: round robin, one piece of each candidate in turn
    (Google interleaves the candidates of a stream), a candidate that has no piece
    left skipped."""
    plans = (plan, *plan.others)
    longest = max(len(p.pieces) for p in plans)
    return [
        (i, p, step) for step in range(longest) for i, p in enumerate(plans) if step < len(p.pieces)
    ]


def _interleaved_chunks(
    plan: Plan, *, prompt: int, version: str, rid: str
) -> list[GenerateContentResponse]:
    chunks: list[GenerateContentResponse] = []
    candidates = thoughts = 0
    for index, sub, position in stream_order(plan):
        piece = sub.pieces[position]
        candidates += piece.candidates
        thoughts += piece.thoughts
        content: Content = {"parts": [piece.part], "role": "model"}
        candidate: Candidate
        if position == len(sub.pieces) - 1:
            candidate = _final_candidate(sub, content, index)
        else:
            candidate = {"content": content, "index": index}
        usage = _usage(prompt, candidates, thoughts, None, plan.tier)
        chunks.append(_envelope([candidate], plan, usage, version, rid))
    return chunks


def _envelope(
    candidates: list[Candidate] | None,
    plan: Plan,
    usage: UsageMetadata,
    version: str,
    rid: str,
) -> GenerateContentResponse:
    out: GenerateContentResponse = {}
    if candidates is not None:
        out["candidates"] = candidates
    elif plan.prompt_feedback is not None:
        out["promptFeedback"] = plan.prompt_feedback
    out["usageMetadata"] = usage
    out["modelVersion"] = version
    out["responseId"] = rid
    return out


def stream_chunks(
    plan: Plan, *, prompt: int, version: str, rid: str
) -> list[GenerateContentResponse]:
    """One GenerateContentResponse per piece (at least one), as streamed (A3), a piece
    that :attr:`~mockserver.plans.Piece.joins` the one before sharing its chunk.

    With several candidates each chunk carries one candidate (its ``index``), in
    :func:`stream_order`; each candidate's last chunk has its ``finishReason``, and
    ``usageMetadata`` counts the tokens of every candidate sent so far.
    """
    if plan.prompt_feedback is not None:
        return [_envelope(None, plan, _usage(prompt, 0, 0, None, plan.tier), version, rid)]
    if not plan.pieces:
        return [
            _envelope(
                [_final_candidate(plan, None)],
                plan,
                _usage(prompt, 0, 0, None, plan.tier),
                version,
                rid,
            )
        ]
    if plan.others:
        return _interleaved_chunks(plan, prompt=prompt, version=version, rid=rid)
    chunks: list[GenerateContentResponse] = []
    candidates = thoughts = 0
    groups: list[list[Piece]] = []
    for piece in plan.pieces:
        if piece.joins and groups:
            groups[-1].append(piece)  # one more part of the chunk before
        else:
            groups.append([piece])
    last = len(groups) - 1
    sent = 0
    for i, group in enumerate(groups):
        for piece in group:
            candidates += piece.candidates
            thoughts += piece.thoughts
        sent += len(group)
        content: Content = {"parts": [piece.part for piece in group], "role": "model"}
        candidate: Candidate
        if i == last:
            candidate = _final_candidate(plan, content)
        else:
            candidate = {"content": content, "index": 0}
        details = _details(plan.pieces[:sent]) if plan.media else None
        counted = thoughts
        if plan.late_thoughts and i != last and all(p.part.get("thought") for p in group):
            counted = 0  # Gemini 3: the thoughts are counted from the answer's first chunk
        usage = _usage(prompt, candidates, counted, details, plan.tier)
        chunks.append(_envelope([candidate], plan, usage, version, rid))
    return chunks


def _merge(pieces: tuple[Piece, ...]) -> list[Part]:
    parts: list[Part] = []
    groups: list[int] = []
    for piece in pieces:
        if piece.stream_only:
            continue
        if groups and groups[-1] == piece.group and "text" in piece.part:
            merged = parts[-1]
            merged["text"] += piece.part["text"]
            if "thoughtSignature" in piece.part:
                merged["thoughtSignature"] = piece.part["thoughtSignature"]
        elif groups and groups[-1] == piece.group and "inlineData" in piece.part:
            blob = parts[-1]["inlineData"]
            joined = base64.b64decode(blob["data"]) + base64.b64decode(
                piece.part["inlineData"]["data"]
            )
            parts[-1] = {**parts[-1], "inlineData": {**blob, "data": _b64(joined)}}
        else:
            parts.append(piece.part.copy())
            groups.append(piece.group)
    return parts


def unary_response(plan: Plan, *, prompt: int, version: str, rid: str) -> GenerateContentResponse:
    """The generateContent reply: the stream merged into whole parts (A2); one entry
    of ``candidates`` per candidate, usage summed over all of them."""
    if plan.others:
        plans = (plan, *plan.others)
        pieces = tuple(piece for p in plans for piece in p.pieces)
        usage = _usage(
            prompt,
            sum(p.candidates for p in pieces),
            sum(p.thoughts for p in pieces),
            None,
            plan.tier,
        )
        out = [
            _final_candidate(p, {"parts": _merge(p.pieces), "role": "model"}, i, unary=True)
            for i, p in enumerate(plans)
        ]
        return _envelope(out, plan, usage, version, rid)
    candidates = sum(p.candidates for p in plan.pieces)
    thoughts = sum(p.thoughts for p in plan.pieces)
    usage = _usage(
        prompt, candidates, thoughts, _details(plan.pieces) if plan.media else None, plan.tier
    )
    if plan.prompt_feedback is not None:
        return _envelope(None, plan, usage, version, rid)
    content: Content | None = (
        {"parts": _merge(plan.pieces), "role": "model"} if plan.pieces else None
    )
    return _envelope([_final_candidate(plan, content, unary=True)], plan, usage, version, rid)
