"""Values that satisfy a schema: tool-call arguments and JSON-mode answers (pure).

Tools come from ``tools[].functionDeclarations`` (or ``function_declarations``); a
declaration's schema is ``parameters`` (OpenAPI subset, upper-case ``type``) or
``parametersJsonSchema`` (plain JSON Schema), both read by :func:`args_for`
(docs/gemini-wire.md A1). ``toolConfig.functionCallingConfig.allowedFunctionNames`` limits
the choice, and mode ``NONE`` means no call at all (:func:`callable_tools`).

:func:`schema_value` is the generator behind both, also used for the JSON-mode answers
of :mod:`mockserver.structured` (``responseJsonSchema`` or the OpenAPI-subset
``responseSchema``). It is deterministic (a ``variant`` number picks among valid
values) and honours: ``type`` (either case, or a list with ``null``), ``const``,
``enum``, ``anyOf``/``oneOf`` (the first non-null branch), ``allOf`` (merged), local
``$ref`` (``#/$defs/...``, ``#/definitions/...``, any JSON pointer into the root),
``properties``/``required``/``propertyOrdering``/``minProperties``/
``additionalProperties``, ``items``/``prefixItems``/``minItems``/``maxItems``/
``uniqueItems``, ``minimum``/``maximum`` (and the exclusive forms, numbers or draft-4
booleans)/``multipleOf``, ``minLength``/``maxLength`` and the common string
``format`` values (:data:`_FORMATS`). Not honoured: ``pattern``, ``not``,
``if``/``then``/``else``, ``dependent*``, ``patternProperties``, and minimums past
:data:`_MAX_ITEMS` items or properties and :data:`_MAX_LENGTH` characters (the
answers stay small). Nesting ends at :data:`_HARD_DEPTH`, and a generation at
:data:`_MAX_VALUES` values, with ``null``; integers stay within 64 bits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from mockserver.request import get

__all__ = ["DEFAULT_TOOL", "args_for", "callable_tools", "schema_value"]

DEFAULT_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "parametersJsonSchema": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}
"""Used when the request declares no tool: ``get_weather(location="Paris")`` first."""

_STRINGS = ("Paris", "Tokyo", "London", "Lima", "Oslo", "Nairobi", "Québec")
_MAX_DEPTH = 6
"""Past this depth objects get their required properties only and arrays their
``minItems`` only, so recursive schemas end."""
_HARD_DEPTH = 32
"""Past this depth every value is ``null`` (a schema that requires endless nesting)."""
_MAX_ITEMS = 256
"""Most array items or extra object properties made to meet ``minItems`` or
``minProperties`` (larger minimums are not met: the mock's answers stay small)."""
_MAX_LENGTH = 4096
"""Longest string made to meet ``minLength``."""
_MAX_REFS = 16
_MAX_VALUES = 20_000
"""Most values one generation makes (a string counts one more per 16 characters); then
every further value is ``null``."""
_INT64 = (-(2**63), 2**63 - 1)
_MARK = json.JSONEncoder(sort_keys=True, check_circular=False).encode
_ANSWER_KEY = "answer"
_FORMATS: dict[str, tuple[str, ...]] = {
    "date-time": ("2026-01-01T09:30:00Z", "2026-02-14T18:05:00Z", "2026-03-21T06:45:00Z"),
    "date": ("2026-01-01", "2026-02-14", "2026-03-21"),
    "time": ("09:30:00Z", "18:05:00Z", "06:45:00Z"),
    "duration": ("PT1H", "P2D", "PT30M"),
    "email": ("ada@example.com", "grace@example.org", "alan@example.net"),
    "idn-email": ("ada@example.com", "grace@example.org", "alan@example.net"),
    "hostname": ("example.com", "example.org", "example.net"),
    "idn-hostname": ("example.com", "example.org", "example.net"),
    "ipv4": ("192.0.2.1", "198.51.100.7", "203.0.113.9"),
    "ipv6": ("2001:db8::1", "2001:db8::7", "2001:db8::9"),
    "uri": ("https://example.com/a", "https://example.org/b", "https://example.net/c"),
    "url": ("https://example.com/a", "https://example.org/b", "https://example.net/c"),
    "iri": ("https://example.com/a", "https://example.org/b", "https://example.net/c"),
    "uri-reference": ("/a", "/b", "/c"),
    "uuid": (
        "3f1c0a9b-2e4d-4c6a-8b1e-0d2f3a4b5c6d",
        "7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
        "c0ffee00-1234-4abc-8def-0123456789ab",
    ),
}
"""String formats written as valid values (picked by ``variant``)."""


def callable_tools(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The declarations the model may call, in declaration order.

    ``[]`` when none is declared (callers then use :data:`DEFAULT_TOOL`); ``None`` when
    ``functionCallingConfig.mode`` is ``NONE`` (the model must answer with text).
    """
    declared: list[dict[str, Any]] = []
    tools = body.get("tools")
    if isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, dict):
                decls = get(tool, "functionDeclarations")
                if isinstance(decls, list):
                    declared.extend(
                        d for d in decls if isinstance(d, dict) and isinstance(d.get("name"), str)
                    )
    config = get(body, "toolConfig")
    calling = get(config, "functionCallingConfig") if isinstance(config, dict) else None
    if isinstance(calling, dict):
        if str(calling.get("mode", "")).upper() == "NONE":
            return None
        allowed = get(calling, "allowedFunctionNames")
        if isinstance(allowed, list) and allowed:
            narrowed = [d for d in declared if d["name"] in allowed]
            if narrowed:
                return narrowed
    return declared


def _number(value: Any) -> float | None:
    """A finite number from a schema keyword (numeric strings too), else ``None``."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else max(0, int(number))


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null" if kind else "string")
    if isinstance(kind, str):
        return kind.lower()
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _bounds(schema: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """``(low, low is exclusive, high, high is exclusive)``; draft-4 booleans too."""
    low, high = _number(schema.get("minimum")), _number(schema.get("maximum"))
    low_x = high_x = False
    given = schema.get("exclusiveMinimum")
    bound = _number(given)
    if given is True:
        low_x = low is not None
    elif bound is not None and (low is None or bound >= low):
        low, low_x = bound, True
    given = schema.get("exclusiveMaximum")
    bound = _number(given)
    if given is True:
        high_x = high is not None
    elif bound is not None and (high is None or bound <= high):
        high, high_x = bound, True
    return low, low_x, high, high_x


class _Generator:
    """One generation: the root schema (for ``$ref``), whether optional content is
    filled in, and the words strings are made of (``None``: tool-argument cities)."""

    __slots__ = ("budget", "fill", "root", "strings", "words")

    def __init__(self, root: Any, *, fill: bool, words: Sequence[str] | None) -> None:
        self.root = root
        self.fill = fill
        self.words = words
        self.strings = 0
        self.budget = _MAX_VALUES

    # ------------------------------------------------------------------ schema shape

    def _resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return {}
        node = self.root
        for token in ref[1:].split("/")[1:]:
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdecimal() and int(token) < len(node):
                node = node[int(token)]
            else:
                return {}
        return node

    def _flatten(self, schema: dict[str, Any], hops: int = 0) -> dict[str, Any]:
        """``schema`` with its ``$ref`` followed and its ``allOf`` merged in."""
        while "$ref" in schema and hops < _MAX_REFS:
            hops += 1
            target = self._resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) else rest
        parts = schema.get("allOf", schema.get("all_of"))
        if not isinstance(parts, list) or hops >= _MAX_REFS:
            return schema
        merged = {k: v for k, v in schema.items() if k not in ("allOf", "all_of")}
        for part in parts:
            if not isinstance(part, dict):
                continue
            part = self._flatten(part, hops + 1)
            for key, value in part.items():
                if key == "properties" and isinstance(value, dict):
                    own = merged.get("properties")
                    merged["properties"] = {**value, **(own if isinstance(own, dict) else {})}
                elif key == "required" and isinstance(value, list):
                    have = merged.get("required")
                    have = have if isinstance(have, list) else []
                    merged["required"] = [*have, *(n for n in value if n not in have)]
                else:
                    merged.setdefault(key, value)
        return merged

    # ------------------------------------------------------------------ values

    def value(self, schema: Any, variant: int, depth: int) -> Any:
        self.budget -= 1
        if depth > _HARD_DEPTH or self.budget < 0:
            return None
        if not isinstance(schema, dict):
            return self._string({}, variant)
        schema = self._flatten(schema)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[variant % len(enum)]
        for key in ("anyOf", "any_of", "oneOf", "one_of"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                usable = [
                    o for o in options if not (isinstance(o, dict) and o.get("type") == "null")
                ]
                return self.value((usable or options)[0], variant, depth + 1)
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema, variant, depth + 1)
        if kind == "array":
            return self._array(schema, variant, depth + 1)
        if kind == "integer":
            return self._integer(schema, variant)
        if kind == "number":
            return self._float(schema, variant)
        if kind == "boolean":
            return variant % 2 == 0
        if kind == "null":
            return None
        return self._string(schema, variant)

    def _phrase(self, variant: int) -> str:
        words = self.words
        if not words:
            return _STRINGS[variant % len(_STRINGS)]
        k = self.strings
        self.strings += 1
        return f"{words[(2 * k) % len(words)]} {words[(2 * k + 1) % len(words)]}"

    def _string(self, schema: dict[str, Any], variant: int) -> str:
        form = schema.get("format")
        choices = _FORMATS.get(form.lower()) if isinstance(form, str) else None
        text = choices[variant % len(choices)] if choices else self._phrase(variant)
        shortest = _count(schema.get("minLength", schema.get("min_length")))
        if shortest is not None:
            shortest = min(shortest, _MAX_LENGTH)
        longest = _count(schema.get("maxLength", schema.get("max_length")))
        if shortest is not None and len(text) < shortest:
            text = " ".join([text or "x"] * (shortest // (len(text) + 1) + 1))[:shortest]
            if text.endswith(" "):
                text = text[:-1] + "x"
        if longest is not None and len(text) > longest:
            text = text[:longest]
        self.budget -= len(text) // 16  # long strings use up the budget faster
        return text

    def _integer(self, schema: dict[str, Any], variant: int) -> int:
        low, low_x, high, high_x = _bounds(schema)
        lo = None if low is None else (math.floor(low) + 1 if low_x else math.ceil(low))
        hi = None if high is None else (math.ceil(high) - 1 if high_x else math.floor(high))
        value = (lo if lo is not None else 0) + 1 + variant
        if hi is not None and value > hi:
            value = lo + variant % (hi - lo + 1) if lo is not None and hi >= lo else hi - variant
        step = _number(schema.get("multipleOf"))
        if step is not None and step > 0 and step.is_integer():
            unit = int(step)
            up = -(-value // unit) * unit
            value = up if hi is None or up <= hi else (hi // unit) * unit
        return min(max(value, _INT64[0]), _INT64[1])

    def _float(self, schema: dict[str, Any], variant: int) -> float:
        low, _, high, high_x = _bounds(schema)
        value = (low if low is not None else 0.0) + 1.5 + variant
        if high is not None and (value > high or (value == high and high_x)):
            value = (low + high) / 2 if low is not None else high - 1.5 - variant
        step = _number(schema.get("multipleOf"))
        if step is not None and step > 0:
            start = math.ceil(low / step) if low is not None else 1
            for k in range(start, start + 64):
                candidate = k * step
                if (candidate / step).is_integer() and self._inside(candidate, schema):
                    return candidate
            return 0.0
        return value

    @staticmethod
    def _inside(value: float, schema: dict[str, Any]) -> bool:
        low, low_x, high, high_x = _bounds(schema)
        if low is not None and (value < low or (low_x and value == low)):
            return False
        return high is None or not (value > high or (high_x and value == high))

    def _array(self, schema: dict[str, Any], variant: int, depth: int) -> list[Any]:
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        least = min(_count(schema.get("minItems", schema.get("min_items"))) or 0, _MAX_ITEMS)
        most = _count(schema.get("maxItems", schema.get("max_items")))
        if items is False:
            most = len(prefix) if most is None else min(most, len(prefix))
        default = (2 if self.fill else 1) if depth <= _MAX_DEPTH else 0
        count = max(least, default)
        if most is not None:
            count = min(count, most)
        unique = schema.get("uniqueItems") is True
        out: list[Any] = []
        seen: set[str] = set()
        k = 0
        while len(out) < count and k < count + 16 and self.budget > 0:
            item_schema = prefix[len(out)] if len(out) < len(prefix) else items
            value = self.value(item_schema, variant + k, depth)
            k += 1
            if unique:
                mark = _MARK(value)
                if mark in seen:
                    continue
                seen.add(mark)
            out.append(value)
        return out

    def _object(self, schema: dict[str, Any], variant: int, depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        given = schema.get("required")
        required = [n for n in given if isinstance(n, str)] if isinstance(given, list) else []
        extra = schema.get("additionalProperties", schema.get("additional_properties"))
        if self.fill and depth <= _MAX_DEPTH:
            ordering = schema.get("propertyOrdering", schema.get("property_ordering"))
            listed = ordering if isinstance(ordering, list) else []
            names = [n for n in listed if isinstance(n, str) and n in properties]
            names += sorted(n for n in properties if n not in names)
        else:
            names = [n for n in required if n in properties]
            if not names and properties and not self.fill:
                names = [next(iter(properties))]
        names += [n for n in required if n not in names]
        least = _count(schema.get("minProperties", schema.get("min_properties"))) or 0
        least = min(least, _MAX_ITEMS)
        names += [n for n in properties if n not in names][: max(0, least - len(names))]
        open_ended = extra is not False and not schema.get("patternProperties")
        if open_ended and "propertyNames" not in schema:
            k = 0
            while len(names) < least:
                k += 1
                names.append(f"extra_{k}")
            most = _count(schema.get("maxProperties", schema.get("max_properties")))
            if self.fill and depth == 1 and not names and (most is None or most >= 1):
                return {_ANSWER_KEY: self._phrase(variant)}
        fallback = extra if isinstance(extra, dict) else {}
        return {name: self.value(properties.get(name, fallback), variant, depth) for name in names}


def schema_value(
    schema: Any, variant: int = 0, *, fill: bool = True, words: Sequence[str] | None = None
) -> Any:
    """A value that validates against ``schema`` (JSON Schema or Gemini's OpenAPI subset;
    see the module docstring for the keywords honoured), the same for the same inputs.

    ``variant`` picks among valid values (an ``enum`` member, a number, a format
    example); ``fill``: give objects every declared property (in ``propertyOrdering``
    order, then by name, as Google orders them by default, so the order of the schema's
    keys never matters) and arrays two items, else only what is required
    (the first property when nothing is) and one item; ``words``: strings are pairs of
    these words, in turn (else city names by ``variant``). A property-less object that
    allows any property gets ``{"answer": <words>}`` when ``fill`` is set.
    """
    return _Generator(schema, fill=fill, words=words).value(schema, variant, 0)


def args_for(declaration: dict[str, Any], variant: int) -> dict[str, Any]:
    """Arguments that satisfy the declaration's required properties.

    Every required property gets a value of its declared type (``enum``/``const`` and
    ``minimum`` honoured, ``anyOf`` takes its first non-null branch); when nothing is
    required, the first property is filled. Different ``variant`` values give different
    arguments whenever the schema has a property whose type allows it.
    """
    schema = get(declaration, "parametersJsonSchema")
    if schema is None:
        schema = declaration.get("parameters")
    if not isinstance(schema, dict):
        return {}
    value = _Generator(schema, fill=False, words=None).value(schema, variant, 0)
    return value if isinstance(value, dict) else {}
