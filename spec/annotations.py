"""What a document says beside its schemas: the examples it embeds, each with the schema
it must satisfy, and the discrepancies it records (``x-discrepancies``: where it
contradicts itself or OpenAI's contract)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from spec.documents import load_document, resolve, standalone_schema
from spec.operations import StreamContract, endpoints, operation, stream_of

__all__ = ["Discrepancy", "Example", "discrepancies", "examples"]


@dataclass(frozen=True, slots=True)
class Example:
    """One example embedded in a document, with the schema it must satisfy.

    ``where`` is the JSON pointer of the example; ``partial``: the document shows an
    excerpt (``x-partial``), so only what is present is checked (``required`` is
    relaxed); ``invalid``: the id of the discrepancy this verbatim example breaks
    (``x-invalid``); ``stream``: set for ``text/event-stream`` examples, whose value is
    the raw stream text.
    """

    document: str
    where: str
    name: str
    value: Any
    schema: dict[str, Any]
    partial: bool = False
    invalid: str | None = None
    stream: StreamContract | None = None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@cache
def examples(document: str) -> tuple[Example, ...]:
    """Every example of ``document``: Example Objects (``examples`` maps of media types,
    parameters and headers, validated against their ``schema``) and JSON Schema
    ``examples`` arrays (validated against the schema that holds them)."""
    doc = load_document(document)
    found: list[Example] = []

    def walk(node: Any, tokens: tuple[str, ...]) -> None:
        if isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*tokens, str(i)))
            return
        if not isinstance(node, dict):
            return
        here = "/" + "/".join(_escape(t) for t in tokens)
        listed = node.get("examples") if tokens[-1:] != ("properties",) else None
        if isinstance(listed, list):
            schema = standalone_schema(document, node)
            for i, value in enumerate(listed):
                found.append(Example(document, f"{here}/examples/{i}", str(i), value, schema))
        elif isinstance(listed, dict) and tokens != ("components",):
            schema = standalone_schema(document, node.get("schema", {}))
            stream = stream_of(document, node)
            for name, ex in listed.items():
                ex = resolve(doc, ex)
                found.append(
                    Example(
                        document,
                        f"{here}/examples/{_escape(name)}",
                        name,
                        ex.get("value"),
                        schema,
                        partial=bool(ex.get("x-partial", False)),
                        invalid=ex.get("x-invalid"),
                        stream=stream,
                    )
                )
        literal = ("examples", "default", "const", "enum", "x-discrepancies")
        for key, value in node.items():
            if key in literal and tokens[-1:] != ("properties",):
                continue  # values, not spec: never read as schemas
            walk(value, (*tokens, key))

    walk(doc, ())
    return tuple(found)


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
