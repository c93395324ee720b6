"""The packaged OpenAPI documents: loading them and reading their schemas.

The documents (``spec/openapi/<name>.yaml``) are OpenAPI 3.1: one per name in
:data:`DOCUMENTS` (the contracts the suite tests) and :data:`HARNESS_DOCUMENTS` (the
harness's own HTTP surfaces, such as the mock's admin API). Their extensions
(``x-sse-item-schema``, ``x-sse-terminator``, ``x-discrepancies``, ``x-rate-limits``,
``x-versions``, ``x-websocket``, and ``x-partial`` / ``x-invalid`` on examples) are
described in ``spec/openapi/README.md``. Every function returns plain JSON-like data read
from those files; results are cached, so callers must not mutate them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "DOCUMENTS",
    "HARNESS_DOCUMENTS",
    "HTTP_METHODS",
    "component_schema",
    "document_version",
    "load_document",
    "resolve",
    "standalone_schema",
]

DOCUMENTS = (
    "openai-core",
    "gemini-v1beta",
    "gemini-reverse",
    "gemini-proxy-deno",
    "antigravity2api",
    "gemini-cli-proxy",
)
"""Names of the packaged OpenAPI documents (``spec/openapi/<name>.yaml``): the OpenAI
surface clients rely on, the Gemini upstream the mock serves, and one per documented
system (the profile names of ``spec.profiles``)."""

HARNESS_DOCUMENTS = ("mock-admin",)
"""Names of the packaged documents of the harness's own HTTP surfaces: ``mock-admin``, the
mock's admin routes and journal (``/_mock/...``). They describe no proxy, so they are not
in :data:`DOCUMENTS` (which checks and reports iterate)."""

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operation keys of an OpenAPI path item, in the order endpoints are listed."""

_SCHEMAS_REF = "#/components/schemas/"


@cache
def load_document(name: str) -> dict[str, Any]:
    """The OpenAPI document ``name`` as a dict. Raises ``KeyError`` for an unknown name."""
    if name not in DOCUMENTS and name not in HARNESS_DOCUMENTS:
        known = ", ".join((*DOCUMENTS, *HARNESS_DOCUMENTS))
        raise KeyError(f"unknown OpenAPI document {name!r}; known: {known}")
    text = resources.files("spec").joinpath("openapi", f"{name}.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
    doc: dict[str, Any] = yaml.load(text, Loader=loader)  # a safe loader
    return doc


def _rewrite(node: Any) -> Any:
    """A copy of ``node`` with ``#/components/schemas/X`` refs turned into ``#/$defs/X``."""
    if isinstance(node, dict):
        out = {k: _rewrite(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMAS_REF):
            out["$ref"] = "#/$defs/" + ref[len(_SCHEMAS_REF) :]
        return out
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


@cache
def _defs(document: str) -> dict[str, Any]:
    schemas = load_document(document).get("components", {}).get("schemas", {})
    return {k: _rewrite(v) for k, v in schemas.items()}


def standalone_schema(document: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (a Schema Object of ``document``) as a self-contained JSON Schema.

    The document's component schemas are carried under ``$defs`` and every
    ``#/components/schemas/...`` ref is rewritten to point there, so ``jsonschema`` can
    validate with the result alone (draft 2020-12, the OpenAPI 3.1 dialect).
    """
    root: dict[str, Any] = dict(_rewrite(schema))
    root["$defs"] = _defs(document)
    return root


@cache
def component_schema(document: str, component: str) -> dict[str, Any]:
    """A self-contained JSON Schema for ``#/components/schemas/<component>``.

    The result carries the document's other component schemas under ``$defs`` with
    ``$ref``s rewritten, so ``jsonschema`` can validate with it alone. Raises
    ``KeyError`` naming the component when it does not exist.
    """
    schemas = load_document(document)["components"]["schemas"]
    if component not in schemas:
        raise KeyError(f"{document} has no component schema {component!r}")
    return standalone_schema(document, schemas[component])


def _pointer(doc: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise KeyError(f"only local refs are supported; got {ref!r}")
    node: Any = doc
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(doc: dict[str, Any], node: Any) -> Any:
    """``node`` with its ``$ref`` followed (a local ref of ``doc``), as often as it takes:
    a response, request body, parameter... Raises ``KeyError`` on a cycle or a ref that is
    not local."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = _pointer(doc, node["$ref"])
        seen += 1
        if seen > 32:
            raise KeyError("$ref cycle")
    return node


_DROPPED = object()


@cache
def document_version(document: str, version: str) -> dict[str, Any]:
    """``document`` as its version ``version`` (an id of ``info.x-versions``) says it.

    Every object carrying ``x-versions`` is dropped when ``version`` is not one of its
    keys, and otherwise gets that version's keyword overrides (``{"default": 0.85}``) in
    place of its ``x-versions``; path items left without operations are dropped and
    ``info.version`` becomes ``version``. Raises
    ``KeyError`` naming the known versions when ``version`` is not listed.
    """
    doc = load_document(document)
    known = [str(v["id"]) for v in doc.get("info", {}).get("x-versions", [])]
    if version not in known:
        raise KeyError(
            f"{document} has no version {version!r}; known: {', '.join(known) or 'none'}"
        )

    def view(node: Any) -> Any:
        if isinstance(node, dict):
            versions = node.get("x-versions")
            if isinstance(versions, dict):
                if version not in versions:
                    return _DROPPED
                node = {k: v for k, v in node.items() if k != "x-versions"}
                node.update(versions[version] or {})
            out = {}
            for key, value in node.items():
                kept = view(value)
                if kept is not _DROPPED:
                    out[key] = kept
            return out
        if isinstance(node, list):
            return [kept for v in node if (kept := view(v)) is not _DROPPED]
        return node

    result: dict[str, Any] = view(doc)
    result["info"]["version"] = version
    result["paths"] = {
        path: item
        for path, item in result.get("paths", {}).items()
        if any(method in item for method in HTTP_METHODS)
    }
    return result
