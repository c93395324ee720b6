"""Field-level checks of request bodies, as Google's JSON parser makes them (pure; the tables
are read once, at import).

The messages are :data:`spec.gemini_fields.MESSAGES`, read from the ``gemini-v1beta``
OpenAPI document (docs/gemini-wire.md A1, A6 image output and TTS, the Code Assist
envelope of A7): the spec is the one place a request field is defined, and
:func:`spec.gemini_fields.tables` says how each OpenAPI construct reads as a proto
field. Every field is accepted by
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
from typing import Any

import orjson

from spec.gemini_fields import ENUMS, MESSAGES, Field

__all__ = ["MAX_DEPTH", "MESSAGES", "violations"]

MAX_DEPTH = 48
"""Deepest message nesting checked (Schema ``items``/``properties`` chains)."""

_V1BETA = "type.googleapis.com/google.ai.generativelanguage.v1beta."
_B64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")

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


def _value(field: Field, value: Any, path: str, out: list[Violation], depth: int) -> None:
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
        values = ENUMS[field.ref]
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


def _list_type(field: Field) -> str:
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
