"""Which function the mock "calls" and with which arguments (pure, deterministic).

Tools come from ``tools[].functionDeclarations`` (or ``function_declarations``); a
declaration's schema is ``parameters`` (OpenAPI subset, upper-case ``type``) or
``parametersJsonSchema`` (plain JSON Schema), both read by :func:`args_for`
(wire-formats.md A1). ``toolConfig.functionCallingConfig.allowedFunctionNames`` limits
the choice, and mode ``NONE`` means no call at all (:func:`callable_tools`).
"""

from __future__ import annotations

from typing import Any

from mockserver.request import get

__all__ = ["DEFAULT_TOOL", "args_for", "callable_tools"]

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


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "string")
    if isinstance(kind, str):
        return kind.lower()
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _int(value: Any, default: int) -> int:
    try:
        return max(default, int(value))
    except (TypeError, ValueError, OverflowError):
        return default


def _value(schema: Any, variant: int, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return _STRINGS[variant % len(_STRINGS)]
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[variant % len(enum)]
    for key in ("anyOf", "any_of", "oneOf", "one_of"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return _value((usable or options)[0], variant, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, variant, depth + 1)
    if kind == "array":
        items = schema.get("items")
        count = _int(schema.get("minItems", schema.get("min_items")), 1)
        return [_value(items, variant + k, depth + 1) for k in range(min(count, 3))]
    if kind == "integer":
        low = schema.get("minimum")
        return (int(low) if isinstance(low, int | float) else 0) + 1 + variant
    if kind == "number":
        low = schema.get("minimum")
        return (float(low) if isinstance(low, int | float) else 0.0) + 1.5 + variant
    if kind == "boolean":
        return variant % 2 == 0
    return _STRINGS[variant % len(_STRINGS)]


def _object(schema: dict[str, Any], variant: int, depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return {}
    required = schema.get("required")
    names = (
        [n for n in required if isinstance(n, str) and n in properties]
        if isinstance(required, list)
        else []
    )
    if not names:
        names = [next(iter(properties))]
    return {name: _value(properties[name], variant, depth) for name in names}


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
    return _object(schema, variant, 0)
