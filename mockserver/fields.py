"""Field-level checks of request bodies, as Google's JSON parser makes them (pure; the tables
are read once, at import).

The messages are read from the ``gemini-v1beta`` OpenAPI document (``spec/openapi/``,
docs/gemini-wire.md A1, A6 image output and TTS, the Code Assist envelope of A7): the spec
is the one place a request field is defined, and :func:`_tables` says how each OpenAPI
construct reads as a proto field. Every field is accepted by
its JSON name (``generationConfig``) and its proto name (``generation_config``), and
JSON ``null`` means "unset". :func:`violations` walks a body and lists every problem
the parser would report, in document order, as ``(field, description)`` pairs ready for
:func:`mockserver.errors.invalid_json_all`:

- an unknown key: ``Unknown name "foo" at 'generation_config': Cannot find field.``
  (top level: ``Unknown name "foo": Cannot find field.``; ``field`` is the message path);
- a list where one value is expected: ``Unknown name "type" at
  'tools[0].function_declarations[0].parameters.properties[0].value': Proto field is not
  repeating, cannot start list.`` (a JSON Schema type array, docs/breakages.md B2);
- a value of the wrong type: ``Invalid value at 'generation_config.temperature'
  (TYPE_FLOAT), "hot"``; enums name their type, e.g. ``(type.googleapis.com/google.ai.
  generativelanguage.v1beta.HarmCategory)``, and accept any letter case, as Google does
  (``["Text", "Image"]``); bytes must be base64 (``Base64 decoding failed for "..."``).

Paths use proto names, ``[i]`` for list items and ``[i].value`` for map entries (the
``properties`` of a Schema), like Google's messages. Numbers may be JSON strings
(proto3 JSON). Nesting deeper than :data:`MAX_DEPTH` messages is one violation.

**One object where a list of messages goes.** Google's JSON front end is more lenient
than proto3 JSON here: a repeated *message* field given one JSON object reads as a
list of one (``"contents": {"role": "user", "parts": {"text": "hi"}}``). Google's own
Vertex AI reference sends exactly that body
(https://docs.cloud.google.com/vertex-ai/generative-ai/docs/flex-paygo, the curl
samples), and clients in the wild send ``"system_instruction": {"parts": {"text":
...}}`` and ``"content": {"parts": {...}}`` to ``generativelanguage.googleapis.com``;
a proxy's embeddings that build ``content.parts`` as an object depend on it. So
:func:`violations` accepts it and rewrites the body in place (the object becomes a
one-item list), so everything after validation sees lists. Only message fields: a
single scalar or enum where a list goes (``"stopSequences": "END"``) stays Google's
``Invalid value`` error, for want of evidence either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple

import orjson

from spec import load_document

__all__ = ["MAX_DEPTH", "MESSAGES", "violations"]

MAX_DEPTH = 48
"""Deepest message nesting checked (Schema ``items``/``properties`` chains)."""

_V1BETA = "type.googleapis.com/google.ai.generativelanguage.v1beta."
_B64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")
_CAMEL = re.compile(r"(?<!^)([A-Z])")


_REF = "#/components/schemas/"
_DOCUMENT = "gemini-v1beta"


def _snake_of(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def _camel_of(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


class _Tables(NamedTuple):
    messages: dict[str, dict[str, str]]
    """Message -> JSON (camelCase) field name -> field type, as described below."""
    enums: dict[str, frozenset[str]]
    """Proto enum name (``SafetySetting.HarmBlockThreshold``) -> its value names."""


# Field types: a scalar (string, bytes, float, int32, int64, bool), "value" (any JSON),
# "struct" (a JSON object), "enum:<Enum>", "map:<Message>", "map:string", or a message
# name; "[...]" marks a repeated field.
def _tables(schemas: Mapping[str, Any], roots: tuple[str, ...]) -> _Tables:
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
    return _Tables(messages, enums)


_ROOTS = ("GenerateContentRequest", "CodeAssistGenerateRequest")
"""The request messages the mock parses; every message they reach is read too."""


def _load() -> _Tables:
    return _tables(load_document(_DOCUMENT)["components"]["schemas"], _ROOTS)


_TABLES = _load()

_ENUMS = _TABLES.enums
_SPEC = _TABLES.messages


class _Field(NamedTuple):
    proto: str
    """The proto (snake_case) name, used in paths."""
    kind: str
    """``string``... ``value``, ``struct``, ``enum``, ``map``, ``message``."""
    ref: str
    """The enum, message or map value type; empty for scalars."""
    repeated: bool


@cache
def _snake(camel: str) -> str:
    return _snake_of(camel)


def _field(name: str, spec: str) -> _Field:
    repeated = spec.startswith("[")
    inner = spec[1:-1] if repeated else spec
    kind, _, ref = inner.partition(":")
    if kind not in ("enum", "map") and kind[0].isupper():
        kind, ref = "message", inner
    return _Field(_snake(name), kind, ref, repeated)


def _build() -> dict[str, dict[str, _Field]]:
    tables: dict[str, dict[str, _Field]] = {}
    for message, spec in _SPEC.items():
        table: dict[str, _Field] = {}
        for name, kind in spec.items():
            field = _field(name, kind)
            table[name] = field
            table[field.proto] = field
        tables[message] = table
    return tables


MESSAGES: Mapping[str, Mapping[str, _Field]] = _build()
"""Message name -> accepted key (JSON and proto names) -> field."""

_SCALAR_NAMES = {
    "string": "TYPE_STRING",
    "bytes": "TYPE_BYTES",
    "float": "TYPE_FLOAT",
    "int32": "TYPE_INT32",
    "int64": "TYPE_INT64",
    "bool": "TYPE_BOOL",
}

Violation = tuple[str | None, str]


def _shown(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _invalid(path: str, type_name: str, value: Any) -> Violation:
    return (path, f"Invalid value at '{path}' ({type_name}), {_shown(value)}")


def _number_ok(value: Any, integral: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return not integral or value.is_integer()
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return False
        return not integral or number.is_integer()
    return False


def _scalar(kind: str, value: Any, path: str) -> Violation | None:
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "bytes":
        if isinstance(value, str) and not _B64.match(value):
            shown = value if len(value) <= 40 else value[:37] + "..."
            return (path, f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for "
                    f'"{shown}"')  # fmt: skip
        ok = isinstance(value, str)
    else:
        ok = _number_ok(value, kind != "float")
    return None if ok else _invalid(path, _SCALAR_NAMES[kind], value)


def _value(field: _Field, value: Any, path: str, out: list[Violation], depth: int) -> None:
    kind = field.kind
    if kind == "value":
        return
    if kind == "message":
        if isinstance(value, dict):
            _walk(value, field.ref, path, out, depth + 1)
        else:
            out.append(_invalid(path, _V1BETA + field.ref, value))
    elif kind == "struct":
        if not isinstance(value, dict):
            out.append(_invalid(path, "type.googleapis.com/google.protobuf.Struct", value))
    elif kind == "enum":
        values = _ENUMS[field.ref]
        if not (
            (isinstance(value, str) and value.upper() in values)
            or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
        ):
            out.append(_invalid(path, _V1BETA + field.ref, value))
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(_invalid(path, _V1BETA + field.ref, value))
            return
        for i, item in enumerate(value.values()):
            item_path = f"{path}[{i}].value"
            if field.ref == "string":
                problem = _scalar("string", item, item_path)
                if problem is not None:
                    out.append(problem)
            elif isinstance(item, dict):
                _walk(item, field.ref, item_path, out, depth + 1)
            elif item is not None:
                out.append(_invalid(item_path, _V1BETA + field.ref, item))
    else:
        problem = _scalar(kind, value, path)
        if problem is not None:
            out.append(problem)


def _walk(obj: dict[str, Any], message: str, path: str, out: list[Violation], depth: int) -> None:
    if depth > MAX_DEPTH:
        out.append((path, f"Message nesting at '{path}' exceeds {MAX_DEPTH} levels."))
        return
    table = MESSAGES[message]
    where = f" at '{path}'" if path else ""
    for key, value in obj.items():
        field = table.get(key)
        if field is None:
            out.append((path or None, f'Unknown name "{key}"{where}: Cannot find field.'))
            continue
        if value is None:
            continue
        field_path = f"{path}.{field.proto}" if path else field.proto
        if not field.repeated:
            if isinstance(value, list):
                out.append(
                    (
                        path or None,
                        f'Unknown name "{key}"{where}: Proto field is not repeating, '
                        "cannot start list.",
                    )
                )
            else:
                _value(field, value, field_path, out, depth)
            continue
        if not isinstance(value, list):
            if field.kind == "message" and isinstance(value, dict):
                # one message where a list goes: Google reads it as a list of one
                obj[key] = [value]
                _value(field, value, f"{field_path}[0]", out, depth)
            else:
                out.append(_invalid(field_path, _list_type(field), value))
            continue
        for i, item in enumerate(value):
            if item is not None:
                _value(field, item, f"{field_path}[{i}]", out, depth)


def _list_type(field: _Field) -> str:
    if field.kind in _SCALAR_NAMES:
        return _SCALAR_NAMES[field.kind]
    return _V1BETA + field.ref


def violations(body: dict[str, Any], message: str, path: str = "") -> list[Violation]:
    """Every parse-time problem of ``body`` read as ``message`` (a key of :data:`MESSAGES`).

    ``path``: where ``body`` sits (``request`` inside a Code Assist envelope), ``""``
    at the top level. Returns ``[]`` when the body parses.
    """
    out: list[Violation] = []
    _walk(body, message, path, out, 0)
    return out
