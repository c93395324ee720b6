"""Schema violations as OpenAI-shaped 400s naming the field. Pure.

:func:`body_violation` turns the ``jsonschema`` errors openapi-core reports for a request
body into one :class:`~reference_impl.translate.errors.RequestError` whose ``param`` is the JSON
path of the field (``messages[0].role``; ``None`` for the body itself) and whose message
names the field and the problem, in the style of the hand-written checks
(``temperature must be a number; got string``). :func:`parameter_violation` does the same
for openapi-core's path and query parameter errors.

Codes follow OpenAI's 400s: ``missing_required_parameter``, ``invalid_type``,
``invalid_value``, ``unknown_parameter`` (an ``additionalProperties: false`` object).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from jsonschema.exceptions import ValidationError, best_match

from ..translate.errors import RequestError, json_kind

__all__ = ["body_violation", "field_path", "parameter_violation", "show"]

_ARTICLE = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}
_MAX_SHOWN = 80


def field_path(path: Iterable[str | int]) -> str | None:
    """``["messages", 0, "role"]`` -> ``"messages[0].role"``; ``None`` for the root."""
    out = ""
    for token in path:
        out += f"[{token}]" if isinstance(token, int) else (f".{token}" if out else str(token))
    return out or None


def show(value: object) -> str:
    """A short rendering of a JSON value for a message (strings quoted, long values cut)."""
    text = repr(value) if isinstance(value, str) else _dumps(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _dumps(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def _subject(param: str | None) -> str:
    return param if param is not None else "the request body"


def _types(expected: object) -> str:
    names = [expected] if isinstance(expected, str) else expected
    if not isinstance(names, list | tuple):
        names = []
    return " or ".join(_ARTICLE.get(str(n), str(n)) for n in names) or "valid"


def _join(values: Sequence[object]) -> str:
    return ", ".join(show(v) if v is not None else "null" for v in values)


def _alternatives(err: ValidationError) -> tuple[str, bool] | None:
    """For an ``anyOf``/``oneOf`` whose every branch fails on the value's own type, const
    or enum: what the branches allow together (``a string or an array``, ``one of 'low',
    'high'``) and whether they name types only; else ``None``."""
    branches: set[object] = set()
    types: list[str] = []
    values: list[object] = []
    for sub in err.context or ():
        if list(sub.absolute_path) != list(err.absolute_path):
            continue
        expected = sub.validator_value
        if sub.validator == "type":
            names = [expected] if isinstance(expected, str) else expected
            if isinstance(names, list):
                types.extend(n for n in names if isinstance(n, str))
        elif sub.validator == "const":
            values.append(expected)
        elif sub.validator == "enum" and isinstance(expected, list):
            values.extend(expected)
        else:
            continue
        branches.add(sub.relative_schema_path[0] if sub.relative_schema_path else None)
    count = len(err.validator_value) if isinstance(err.validator_value, list) else 0
    if not count or len(branches) != count:
        return None
    allowed = [_ARTICLE.get(t, t) for t in dict.fromkeys(types)]
    unique: list[object] = []
    for v in values:
        if not any(v == u and type(v) is type(u) for u in unique):
            unique.append(v)
    if unique:
        allowed.append(f"one of {_join(unique)}")
    return " or ".join(allowed), not unique


def _within(err: ValidationError) -> ValidationError | None:
    """The most relevant error inside the ``anyOf``/``oneOf`` branches whose type matches
    the value (e.g. a missing ``text`` in a content part), if any."""
    here = list(err.absolute_path)
    failed_here = {
        sub.relative_schema_path[0]
        for sub in err.context or ()
        if sub.relative_schema_path
        and list(sub.absolute_path) == here
        and sub.validator in ("type", "const", "enum")
    }
    rest = [
        sub
        for sub in err.context or ()
        if sub.relative_schema_path and sub.relative_schema_path[0] not in failed_here
    ]
    return best_match(rest) if rest else None


def _describe(err: ValidationError, depth: int = 0) -> RequestError:
    param = field_path(err.absolute_path)
    subject = _subject(param)
    value = err.instance
    keyword = err.validator
    expected = err.validator_value
    if keyword in ("anyOf", "oneOf"):
        alternatives = _alternatives(err)
        if alternatives is not None:
            allowed, by_type = alternatives
            return RequestError(
                f"{subject} must be {allowed}; got "
                + (json_kind(value) if by_type else show(value)),
                param=param,
                code="invalid_type" if by_type else "invalid_value",
            )
        inner = _within(err)
        if inner is not None and depth < 8:
            return _describe(inner, depth + 1)
        return RequestError(f"{subject} matches none of the forms the document allows", param=param)
    if keyword == "type":
        return RequestError(
            f"{subject} must be {_types(expected)}; got {json_kind(value)}",
            param=param,
            code="invalid_type",
        )
    if keyword == "required" and isinstance(value, dict):
        missing = [k for k in expected if k not in value] if isinstance(expected, list) else []
        name = field_path([*err.absolute_path, str(missing[0])]) if missing else param
        return RequestError(
            f"{_subject(name)} is required", param=name, code="missing_required_parameter"
        )
    if keyword == "enum" and isinstance(expected, list):
        return RequestError(
            f"{subject} must be one of {_join(expected)}; got {show(value)}", param=param
        )
    if keyword == "const":
        return RequestError(f"{subject} must be {show(expected)}; got {show(value)}", param=param)
    bounds = {
        "minimum": ">=",
        "maximum": "<=",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    if keyword in bounds:
        return RequestError(
            f"{subject} must be {bounds[keyword]} {show(expected)}; got {show(value)}",
            param=param,
        )
    sizes = {
        "minItems": ("at least", "item", len(value) if isinstance(value, list) else None),
        "maxItems": ("at most", "item", len(value) if isinstance(value, list) else None),
        "minLength": ("at least", "character", len(value) if isinstance(value, str) else None),
        "maxLength": ("at most", "character", len(value) if isinstance(value, str) else None),
    }
    if keyword in sizes:
        bound, unit, size = sizes[keyword]
        unit += "" if expected == 1 else "s"
        return RequestError(
            f"{subject} must have {bound} {expected} {unit}; got {size}", param=param
        )
    if keyword == "pattern":
        return RequestError(
            f"{subject} must match the pattern {expected!r}; got {show(value)}", param=param
        )
    if keyword == "additionalProperties" and isinstance(value, dict):
        known = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        extra = [k for k in value if k not in known]
        if extra:
            name = field_path([*err.absolute_path, str(extra[0])])
            return RequestError(
                f"{name} is not allowed here (the document lists no such field)",
                param=name,
                code="unknown_parameter",
            )
    return RequestError(f"{subject} is invalid: {err.message[:200]}", param=param)


def body_violation(errors: Iterable[Any]) -> RequestError | None:
    """The 400 for the most relevant of ``errors`` (``jsonschema`` ``ValidationError`` s,
    as openapi-core's ``InvalidSchemaValue.schema_errors`` carries them); ``None`` when
    there is none."""
    found = [e for e in errors if isinstance(e, ValidationError)]
    best = best_match(found)
    return _describe(best) if best is not None else None


def parameter_violation(
    name: str, location: str, value: object, cause: BaseException | None
) -> RequestError:
    """The 400 for an invalid ``location`` (``path``/``query``) parameter ``name``.

    ``cause`` is openapi-core's reason: missing (``None`` with ``value`` ``None``), a
    failed cast, an empty value, or schema errors (read from its ``schema_errors``).
    """
    what = f"the {location} parameter {name}"
    if value is None and cause is None:
        return RequestError(f"{what} is required", param=name, code="missing_required_parameter")
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors is not None:
        found = body_violation(schema_errors)
        if found is not None:
            message = (
                found.message.replace("the request body", what, 1)
                if found.param is None
                else f"{what}: {found.message}"
            )
            return RequestError(message, param=name, code=found.code or "invalid_value")
    kind = getattr(cause, "type", None)
    if isinstance(kind, str):
        return RequestError(
            f"{what} must be {_types(kind)}; got {show(value)}", param=name, code="invalid_type"
        )
    if value == "":
        return RequestError(f"{what} must not be empty", param=name)
    return RequestError(f"{what} is invalid: {cause}", param=name)
