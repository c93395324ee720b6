"""Gemini's request messages as proto fields, read from the ``gemini-v1beta`` OpenAPI
document (pure; the tables are read once, at import).

Google's JSON front end reads a request the proto3 JSON way: every field is accepted by
its JSON name (``generationConfig``) and by its proto name (``generation_config``).
Two consumers need the same field tables:

- the mock validates a body the way Google's parser does (``mockserver.fields``);
- the conformance checks read what a proxy sent upstream (the mock's journal) whichever
  of the two names it used: :func:`json_names` gives the body with every field under
  its JSON name, so a check reads one name and cannot miss a proxy that writes
  ``generation_config`` (LiteLLM does, for several fields).

The spec is the one place a request field is defined; :func:`tables` says how each
OpenAPI construct reads as a proto field (docs/gemini-wire.md A1, A6, A7).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple

from . import load_document

__all__ = ["ENUMS", "MESSAGES", "Field", "Tables", "json_names", "proto_names", "tables"]

_REF = "#/components/schemas/"
_DOCUMENT = "gemini-v1beta"
_CAMEL = re.compile(r"(?<!^)([A-Z])")


def _snake_of(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def _camel_of(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


class Tables(NamedTuple):
    """What :func:`tables` reads from the document."""

    messages: dict[str, dict[str, str]]
    """Message -> JSON (camelCase) field name -> field type, as described below."""
    enums: dict[str, frozenset[str]]
    """Proto enum name (``SafetySetting.HarmBlockThreshold``) -> its value names."""


# Field types: a scalar (string, bytes, float, int32, int64, bool), "value" (any JSON),
# "struct" (a JSON object), "enum:<Enum>", "map:<Message>", "map:string", or a message
# name; "[...]" marks a repeated field.
def tables(schemas: Mapping[str, Any], roots: tuple[str, ...]) -> Tables:
    """The messages reachable from ``roots`` in the OpenAPI ``schemas`` (pure).

    The mapping, one OpenAPI construct per proto one: ``$ref`` to a schema with
    ``properties`` (or ``allOf`` of such) -> a message; ``$ref`` to a string ``enum`` ->
    an enum, named by its ``x-proto-name`` (default: the schema's name); ``type: array``
    -> repeated; ``type: object`` with ``additionalProperties`` -> a map, without ->
    ``google.protobuf.Struct``; ``string`` + ``format: byte`` -> bytes; ``integer`` +
    ``format: int64`` -> int64 (else int32); ``number`` -> float; a schema with no
    ``type`` -> any JSON value. Raises ``ValueError`` for a construct with no proto
    reading (an inline enum, a ``oneOf``), so the document cannot drift silently.
    """
    messages: dict[str, dict[str, str]] = {}
    enums: dict[str, frozenset[str]] = {}
    pending = list(roots)

    def kind(node: Mapping[str, Any], where: str) -> str:
        ref = node.get("$ref")
        if ref is not None:
            name = str(ref).removeprefix(_REF)
            target = schemas[name]
            if "enum" in target:
                proto = target.get("x-proto-name", name)
                enums[proto] = frozenset(str(v) for v in target["enum"])
                return f"enum:{proto}"
            if name not in messages:
                pending.append(name)
            return name
        if "enum" in node:
            raise ValueError(f"{where}: name the enum (a $ref to a schema with x-proto-name)")
        typ = node.get("type")
        if typ == "array":
            return f"[{kind(node['items'], where + '[]')}]"
        if typ == "object":
            extra = node.get("additionalProperties")
            if isinstance(extra, Mapping):
                inner = kind(extra, where + "{}")
                return f"map:{inner}"
            return "struct"
        if typ == "string":
            return "bytes" if node.get("format") == "byte" else "string"
        if typ == "integer":
            return "int64" if node.get("format") == "int64" else "int32"
        if typ == "number":
            return "float"
        if typ == "boolean":
            return "bool"
        if typ is None and not ({"oneOf", "anyOf", "allOf"} & node.keys()):
            return "value"
        raise ValueError(f"{where}: no proto reading for {dict(node)!r}")

    def fields_of(schema: Mapping[str, Any], where: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in schema.get("allOf", ()):
            target = schemas[part["$ref"].removeprefix(_REF)] if "$ref" in part else part
            out.update(fields_of(target, where))
        for name, node in schema.get("properties", {}).items():
            out[_camel_of(name)] = kind(node, f"{where}.{name}")
        return out

    while pending:
        name = pending.pop()
        if name not in messages:
            messages[name] = {}  # placeholder: recursive messages (Schema) terminate
            messages[name] = fields_of(schemas[name], name)
    return Tables(messages, enums)


_ROOTS = ("GenerateContentRequest", "CodeAssistGenerateRequest")
"""The request messages read; every message they reach is read too."""

_TABLES = tables(load_document(_DOCUMENT)["components"]["schemas"], _ROOTS)

ENUMS: Mapping[str, frozenset[str]] = _TABLES.enums
"""Proto enum name -> its value names."""


class Field(NamedTuple):
    """One field of a message."""

    json: str
    """The JSON (lowerCamelCase) name: ``generationConfig``."""
    proto: str
    """The proto (snake_case) name, used in Google's error paths."""
    kind: str
    """``string``... ``value``, ``struct``, ``enum``, ``map``, ``message``."""
    ref: str
    """The enum, message or map value type; empty for scalars."""
    repeated: bool


@cache
def _snake(camel: str) -> str:
    return _snake_of(camel)


def _field(name: str, spec: str) -> Field:
    repeated = spec.startswith("[")
    inner = spec[1:-1] if repeated else spec
    kind, _, ref = inner.partition(":")
    if kind not in ("enum", "map") and kind[0].isupper():
        kind, ref = "message", inner
    return Field(name, _snake(name), kind, ref, repeated)


def _build() -> dict[str, dict[str, Field]]:
    built: dict[str, dict[str, Field]] = {}
    for message, spec in _TABLES.messages.items():
        table: dict[str, Field] = {}
        for name, kind in spec.items():
            field = _field(name, kind)
            table[name] = field
            table[field.proto] = field
        built[message] = table
    return built


MESSAGES: Mapping[str, Mapping[str, Field]] = _build()
"""Message name (``GenerateContentRequest``, ``CodeAssistGenerateRequest`` and every
message they reach) -> accepted key (JSON and proto names) -> field."""

_MAX_DEPTH = 64


def json_names(body: Any, message: str = "GenerateContentRequest") -> Any:
    """``body`` read as ``message`` (a key of :data:`MESSAGES`) with every known field
    under its JSON name: ``{"generation_config": {"max_output_tokens": 5}}`` ->
    ``{"generationConfig": {"maxOutputTokens": 5}}``. A copy; ``body`` is not changed.

    Only field names change: the free-form values (``google.protobuf.Struct`` and
    ``Value`` fields such as ``functionCall.args``, ``functionResponse.response`` and
    ``parametersJsonSchema``) are kept as sent, and so are a map's keys (the
    ``properties`` of a Schema are the client's names). Unknown keys are kept as sent,
    so what a proxy should not have sent stays visible. When a body has a field under
    both names, the JSON name wins (what the mock reads first). A value of the wrong
    type (a string where a message goes) is kept as is; messages nested deeper than 64
    levels are kept as sent.
    """
    return _renamed(body, message, 0, "json")


def proto_names(body: Any, message: str = "GenerateContentRequest") -> Any:
    """:func:`json_names`'s twin: every known field under its proto (snake_case) name,
    the spelling Google's error messages use and some proxies send; when a body has a
    field under both names, the proto name wins."""
    return _renamed(body, message, 0, "proto")


def _renamed(obj: Any, message: str, depth: int, spelling: str) -> Any:
    if not isinstance(obj, dict) or depth > _MAX_DEPTH:
        return obj
    table = MESSAGES[message]
    out: dict[str, Any] = {}
    for key, value in obj.items():
        field = table.get(key)
        if field is None:
            out.setdefault(key, value)
            continue
        name = field.json if spelling == "json" else field.proto
        if key != name and name in obj:
            continue  # both names: the one asked for wins
        if field.repeated and isinstance(value, list):
            out[name] = [_value(field, item, depth, spelling) for item in value]
        else:
            out[name] = _value(field, value, depth, spelling)
    return out


def _value(field: Field, value: Any, depth: int, spelling: str) -> Any:
    if field.kind == "message":
        return _renamed(value, field.ref, depth + 1, spelling)
    if field.kind == "map" and field.ref in MESSAGES and isinstance(value, dict):
        return {k: _renamed(v, field.ref, depth + 1, spelling) for k, v in value.items()}
    return value
