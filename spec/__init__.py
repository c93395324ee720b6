"""The contract: OpenAPI documents, wire models, the SSE codec and the scenario names.

``spec`` is the bottom layer (DESIGN.md): it imports nothing local and does no I/O
beyond reading its own packaged OpenAPI documents.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["DOCUMENTS", "component_schema", "load_document"]

DOCUMENTS = ("openai-core",)
"""Names of the packaged OpenAPI documents (``spec/openapi/<name>.yaml``)."""


@cache
def load_document(name: str) -> dict[str, Any]:
    """The OpenAPI document ``name`` as a dict. Raises ``KeyError`` for an unknown name."""
    if name not in DOCUMENTS:
        raise KeyError(f"unknown OpenAPI document {name!r}; known: {', '.join(DOCUMENTS)}")
    text = resources.files("spec").joinpath("openapi", f"{name}.yaml").read_text("utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


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

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: rewrite(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                out["$ref"] = "#/$defs/" + ref.rsplit("/", 1)[1]
            return out
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    root: dict[str, Any] = dict(rewrite(schemas[component]))
    root["$defs"] = {k: rewrite(v) for k, v in schemas.items()}
    return root
