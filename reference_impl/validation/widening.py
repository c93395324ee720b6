"""A profile's request schema widened by OpenAI's, for the operations both describe. Pure.

Every system's document claims OpenAI compatibility, yet several are stricter than what
OpenAI clients send, and the conformance suite (which sends what clients send) shows
it: gemini-reverse lists only string ``content`` and the roles ``user``/``assistant``/``system``
(opencode and continue.dev send content-part arrays, the Agents SDK ``developer``),
antigravity2api and gemini-cli-proxy require ``content`` (an assistant turn with
``tool_calls`` carries ``null``), antigravity2api allows only ``reasoning_effort``
``low``/``medium``/``high``. Rejecting those would break the clients the documents claim to serve.

So for an operation that ``openai-core.yaml`` also describes (same method, the same
path under the profile's OpenAI prefix: chat completions, embeddings, images, speech)
the body is checked against :func:`widened`: per top-level field,

- a field both documents describe must match the profile's schema *or* OpenAI's;
- a field only one describes must match that one (the profile's own extensions, such
  as antigravity2api's ``thinking_budget``, keep their constraints);
- a field is required only when both documents require it (gemini-reverse and
  gemini-proxy-deno document a default ``model``; OpenAI requires one).

Both schemas are the documents' own, read by the same validators; nothing is written
by hand. Every other operation is checked against the profile's document alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import spec
from spec.profiles import PROFILES

__all__ = ["OPENAI", "OPENAI_DEFS", "REQUEST", "counterpart", "deref", "pointer", "widened"]

OPENAI = "openai-core"
OPENAI_DEFS = "x-openai"
"""Where the widened root keeps openai-core's component schemas (refs rewritten)."""
REQUEST = "x-request"
"""Where the widened root keeps the widened request schema."""

_COMPONENTS = "#/components/schemas/"
_PLAIN = frozenset({"type", "properties", "required", "additionalProperties"})
_NOTES = frozenset({"title", "description", "default", "examples", "example", "$comment"})


def counterpart(profile: str, endpoint: spec.Endpoint, media: str) -> dict[str, Any] | None:
    """The ``media`` request schema of the openai-core operation that ``endpoint`` (an
    operation of ``profile``'s document) also is, or ``None``."""
    if profile == OPENAI:
        return None
    prefix = PROFILES[profile].prefix if profile in PROFILES else ""
    for other in spec.endpoints(OPENAI):
        if other.method == endpoint.method and prefix + other.path == endpoint.route:
            try:
                schema = spec.operation(OPENAI, other.path, other.method)
                body = deref(spec.load_document(OPENAI), schema.get("requestBody"))
                found: dict[str, Any] = body["content"][media]["schema"]
            except (KeyError, TypeError):
                return None
            return found
    return None


def deref(doc: Mapping[str, Any], node: Any) -> Any:
    """``node`` with its local ``$ref`` s followed (a Request Body, Parameter or Schema
    Object of ``doc``); ``KeyError`` for a cycle or a dangling ref."""
    for _ in range(32):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        node = pointer(doc, node["$ref"])
    raise KeyError("$ref cycle")


def pointer(doc: Mapping[str, Any], ref: str) -> Any:
    """The node of ``doc`` at the local JSON pointer ``ref`` (``#/components/...``)."""
    if not ref.startswith("#/"):
        raise KeyError(f"only local refs are supported; got {ref!r}")
    node: Any = doc
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _openai_refs(node: Any) -> Any:
    """A copy of an openai-core schema with its component refs moved under
    :data:`OPENAI_DEFS`, so it can sit in the profile document's root."""
    if isinstance(node, dict):
        out = {k: _openai_refs(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMPONENTS):
            out["$ref"] = f"#/{OPENAI_DEFS}/schemas/" + ref[len(_COMPONENTS) :]
        return out
    if isinstance(node, list):
        return [_openai_refs(v) for v in node]
    return node


def _plain(schema: Any) -> bool:
    """An object schema made of properties and ``required`` only (the fields can be
    merged one by one)."""
    return (
        isinstance(schema, dict)
        and schema.get("type") == "object"
        and isinstance(schema.get("properties", {}), dict)
        and all(k in _PLAIN or k in _NOTES or k.startswith("x-") for k in schema)
    )


def widened(
    doc: Mapping[str, Any], schema: dict[str, Any], openai: dict[str, Any]
) -> dict[str, Any]:
    """A root document holding ``doc``'s components, openai-core's (under
    :data:`OPENAI_DEFS`) and, under :data:`REQUEST`, the widened request schema of the
    module docstring: ``schema`` (of ``doc``) merged field by field with ``openai`` (an
    openai-core schema). When either is not a plain object schema, a body is valid when
    it matches either whole schema."""
    odoc = spec.load_document(OPENAI)
    root: dict[str, Any] = {
        "components": {"schemas": dict(doc.get("components", {}).get("schemas", {}))},
        OPENAI_DEFS: {"schemas": _openai_refs(odoc.get("components", {}).get("schemas", {}))},
    }
    mine = deref(doc, schema)
    theirs = _openai_refs(deref(odoc, openai))
    if not (_plain(mine) and _plain(theirs)):
        root[REQUEST] = {"anyOf": [_openai_refs(openai), schema]}
        return root
    ours: dict[str, Any] = mine.get("properties", {})
    others: dict[str, Any] = theirs.get("properties", {})
    properties: dict[str, Any] = {}
    for name in [*ours, *(n for n in others if n not in ours)]:
        if name in ours and name in others:
            properties[name] = {"anyOf": [others[name], ours[name]]}
        else:
            properties[name] = ours[name] if name in ours else others[name]
    required = [n for n in mine.get("required", []) if n in theirs.get("required", [])]
    merged: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        merged["required"] = required
    if mine.get("additionalProperties", True) is False and (
        theirs.get("additionalProperties", True) is False
    ):
        merged["additionalProperties"] = False
    root[REQUEST] = merged
    return root
