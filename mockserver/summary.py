"""The journal's summary of a reply: what a :class:`~mockserver.plans.Plan` says, and how
much of it was sent before a cut."""

from __future__ import annotations

from mockserver.envelopes import stream_order
from mockserver.plans import Plan, said
from spec.mock_admin import GenerateSummary

__all__ = ["summarize"]


def summarize(plan: Plan, sent: int | None = None) -> GenerateSummary:
    """What the reply says, for the journal (``response``, a ``GenerateSummary`` of
    ``spec/openapi/mock-admin.yaml``): ``{"text", "thoughts",
    "function_calls": [{"name", "args", "id"?}], "finish_reason", "candidates",
    "texts", "finish_reasons"}`` (+ ``block_reason``; + ``media``: the plan's media
    summaries, when it has any).

    ``text``, ``thoughts``, ``function_calls`` and ``finish_reason`` are candidate 0's;
    ``candidates`` is how many candidates the reply has (0 for a blocked prompt),
    ``texts`` and ``finish_reasons`` hold each candidate's answer text and
    ``finishReason``. ``sent``: how many stream chunks went out before a cut (``None``:
    all of them); a candidate's text is what its sent chunks hold, and its finish
    reason is ``None`` unless its last chunk was sent.
    """
    feedback = plan.prompt_feedback
    if sent is None and not plan.others:  # the hot path: one candidate, all sent
        text, thoughts, calls = said(plan.pieces)
        texts = [text]
        reasons = [plan.finish]
        complete = True
    else:
        plans = (plan, *plan.others)
        if sent is None:
            shown = [p.pieces for p in plans]
            done = [True] * len(plans)
        elif not plan.others:
            shown = [plan.pieces[:sent]]
            done = [sent >= max(len(plan.pieces), 1)]
        else:
            counts = [0] * len(plans)
            for index, _, _ in stream_order(plan)[:sent]:
                counts[index] += 1
            shown = [p.pieces[:n] for p, n in zip(plans, counts, strict=True)]
            done = [n >= len(p.pieces) for p, n in zip(plans, counts, strict=True)]
        text, thoughts, calls = said(shown[0])
        texts = [text, *(said(pieces)[0] for pieces in shown[1:])]
        reasons = [p.finish if ok else None for p, ok in zip(plans, done, strict=True)]
        complete = done[0]
    out: GenerateSummary = {
        "text": text,
        "thoughts": thoughts,
        "function_calls": calls,
        "finish_reason": reasons[0],
        "candidates": 0 if feedback is not None else len(texts),
        "texts": [] if feedback is not None else texts,
        "finish_reasons": [] if feedback is not None else reasons,
    }
    if feedback is not None and complete:
        out["block_reason"] = feedback["blockReason"]
    if plan.media:
        out["media"] = [dict(m) for m in plan.media]
    return out
