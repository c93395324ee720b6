"""Where a document contradicts itself or OpenAI's contract (``x-discrepancies``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from spec.documents import load_document
from spec.operations import endpoints, operation

__all__ = ["Discrepancy", "discrepancies"]


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """Where a document contradicts itself or OpenAI's contract, recorded, not fixed.

    ``says``: what the document says; ``contradicts``: what it contradicts (its own
    text elsewhere, or the OpenAI contract / client behaviour); ``source``: the section
    cited; ``where``: ``"document"`` or the operation (``"POST /v1/chat/completions"``).
    """

    id: str
    says: str
    contradicts: str
    source: str
    where: str


@cache
def discrepancies(document: str) -> tuple[Discrepancy, ...]:
    """The ``x-discrepancies`` of ``document`` (document level first, then operations)."""
    doc = load_document(document)

    def read(entries: Any, where: str) -> list[Discrepancy]:
        return [
            Discrepancy(e["id"], e["says"], e["contradicts"], e["source"], where)
            for e in entries or ()
        ]

    out = read(doc.get("x-discrepancies"), "document")
    for ep in endpoints(document):
        op = operation(document, ep.path, ep.method)
        out.extend(read(op.get("x-discrepancies"), f"{ep.method} {ep.path}"))
    return tuple(out)
