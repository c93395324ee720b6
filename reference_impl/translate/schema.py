"""JSON Schema sanitising for Gemini tool declarations and structured output.

Pure. Gemini rejects many JSON Schema keywords clients send in tool ``parameters`` and
``response_format`` schemas (docs/breakages.md B2, F4: ``$schema``,
``additionalProperties``, ``const``, ``propertyNames``, ``exclusiveMinimum``, type arrays,
arrays without ``items``). :func:`sanitize_schema` rewrites a schema to the subset Gemini
takes, in one of two dialects (docs/gemini-wire.md A1):

- ``"openapi"``: the OpenAPI-subset ``Schema`` of ``functionDeclarations[].parameters``:
  upper-case ``type``, ``nullable``, ``anyOf``, string-only ``enum``;
- ``"jsonschema"``: for ``generationConfig.responseJsonSchema``: lower-case ``type``,
  nullability as ``["<type>", "null"]``.

Both dialects inline ``$ref`` (``#/$defs/..``, ``#/definitions/..``, any JSON pointer;
a recursive reference is cut to ``{}``), merge ``allOf``, turn ``oneOf`` into ``anyOf``,
``const`` into a one-value ``enum``, drop unknown keywords, keep ``required`` only for
declared properties, and give arrays without ``items`` ``items: {}``.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["Dialect", "sanitize_parameters", "sanitize_schema"]

Dialect = Literal["openapi", "jsonschema"]

_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object"})
_COPY_KEYS: dict[str, tuple[type, ...]] = {
    "description": (str,),
    "title": (str,),
    "pattern": (str,),
    "minLength": (int,),
    "maxLength": (int,),
    "minItems": (int,),
    "maxItems": (int,),
    "minProperties": (int,),
    "maxProperties": (int,),
    "minimum": (int, float),
    "maximum": (int, float),
}
_FORMATS: dict[Dialect, frozenset[str]] = {
    "openapi": frozenset({"enum", "date-time", "int32", "int64", "float", "double"}),
    "jsonschema": frozenset(
        {"enum", "date-time", "date", "time", "duration", "int32", "int64", "float", "double"}
    ),
}
_MAX_DEPTH = 32


def sanitize_schema(schema: object, *, dialect: Dialect = "openapi") -> dict[str, Any]:
    """A copy of JSON Schema ``schema`` reduced to what Gemini accepts (see module doc).

    Never raises; a non-object ``schema`` (``true``, a list) gives ``{}``. The input is
    not modified.
    """
    return _Cleaner(schema, dialect).clean(schema, 0, ())


def sanitize_parameters(schema: object) -> dict[str, Any] | None:
    """``functionDeclarations[].parameters`` for an OpenAI ``function.parameters``.

    ``None`` (omit the key) for a schema with no properties: Gemini rejects an ``OBJECT``
    with empty ``properties`` as a declaration's parameters.
    """
    out = sanitize_schema(schema, dialect="openapi")
    if not out.get("properties") and out.get("type", "OBJECT") == "OBJECT" and "anyOf" not in out:
        return None
    return out


class _Cleaner:
    __slots__ = ("dialect", "formats", "root")

    def __init__(self, root: object, dialect: Dialect) -> None:
        self.root = root
        self.dialect = dialect
        self.formats = _FORMATS[dialect]

    def resolve(self, ref: str) -> object:
        if not ref.startswith("#"):
            return None
        node: object = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None
        return node

    def expand(
        self, node: object, stack: tuple[str, ...]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Follow ``$ref`` (siblings override) and merge ``allOf``; returns a raw dict."""
        if not isinstance(node, dict):
            return {}, stack
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in stack or len(stack) >= _MAX_DEPTH:
                return {}, stack
            target, stack = self.expand(self.resolve(ref), (*stack, ref))
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        parts = node.get("allOf")
        if isinstance(parts, list) and parts:
            merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
            for part in parts:
                sub, _ = self.expand(part, stack)
                for key, value in sub.items():
                    if key == "properties" and isinstance(value, dict):
                        props = merged.get("properties")
                        merged["properties"] = {
                            **(props if isinstance(props, dict) else {}),
                            **value,
                        }
                    elif key == "required" and isinstance(value, list):
                        req = merged.get("required")
                        merged["required"] = [*(req if isinstance(req, list) else []), *value]
                    else:
                        merged.setdefault(key, value)
            node = merged
        return node, stack

    def clean(self, raw: object, depth: int, stack: tuple[str, ...]) -> dict[str, Any]:
        if depth > _MAX_DEPTH:
            return {}
        node, stack = self.expand(raw, stack)
        out: dict[str, Any] = {}
        nullable = node.get("nullable") is True
        types: list[str] = []
        declared = node.get("type")
        for t in declared if isinstance(declared, list) else [declared]:
            if not isinstance(t, str):
                continue
            if t == "null":
                nullable = True
            elif t in _TYPES and t not in types:
                types.append(t)

        branches: list[dict[str, Any]] = []
        alts = node.get("anyOf")
        if not isinstance(alts, list):
            alts = node.get("oneOf")
        if isinstance(alts, list):
            for alt in alts:
                expanded, _ = self.expand(alt, stack)
                if expanded.get("type") == "null" and len(expanded) == 1:
                    nullable = True
                    continue
                branches.append(self.clean(alt, depth + 1, stack))
        if len(types) > 1:
            base = {
                k: v
                for k, v in node.items()
                if k not in ("type", "anyOf", "oneOf", "nullable", "description", "title")
            }
            branches = [self.clean({**base, "type": t}, depth + 1, stack) for t in types]
            types = []

        for key, kinds in _COPY_KEYS.items():
            value = node.get(key)
            if isinstance(value, kinds) and not isinstance(value, bool):
                out[key] = value
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in self.formats:
            out["format"] = fmt

        enum = node.get("enum")
        if "const" in node and not isinstance(enum, list):
            enum = [node["const"]]
        if isinstance(enum, list) and enum:
            if all(isinstance(v, str) for v in enum):
                out["enum"] = list(enum)
                if not types and not branches:
                    types = ["string"]
            elif self.dialect == "jsonschema" and all(
                isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in enum
            ):
                out["enum"] = list(enum)

        props = node.get("properties")
        if isinstance(props, dict) and props:
            cleaned = {str(name): self.clean(sub, depth + 1, stack) for name, sub in props.items()}
            out["properties"] = cleaned
            if not types and not branches:
                types = ["object"]
            required = node.get("required")
            if isinstance(required, list):
                names = [r for r in required if isinstance(r, str) and r in cleaned]
                keep = list(dict.fromkeys(names))
                if keep:
                    out["required"] = keep

        typ = types[0] if types else None
        if typ == "array" or (typ is None and "items" in node and not branches):
            typ = "array"
            items = node.get("items")
            if isinstance(items, list):
                items = items[0] if items else {}
            if items is None:
                prefix = node.get("prefixItems")
                items = prefix[0] if isinstance(prefix, list) and prefix else {}
            out["items"] = self.clean(items, depth + 1, stack)
        if typ not in (None, "object"):
            out.pop("properties", None)
            out.pop("required", None)
        if typ != "string":
            out.pop("pattern", None)
            out.pop("minLength", None)
            out.pop("maxLength", None)
        if typ != "array":
            out.pop("minItems", None)
            out.pop("maxItems", None)

        if branches:
            if len(branches) == 1 and typ is None:
                for key, value in branches[0].items():
                    out.setdefault(key, value)
            else:
                out["anyOf"] = branches
        if typ is not None:
            out["type"] = typ.upper() if self.dialect == "openapi" else typ

        if nullable:
            if self.dialect == "openapi":
                out["nullable"] = True
            elif isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
            elif "anyOf" in out:
                out["anyOf"].append({"type": "null"})
        return out
