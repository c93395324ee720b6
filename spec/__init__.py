"""The contract: OpenAPI documents, wire models, the SSE codec and the scenario names.

``spec`` is the bottom layer (docs/architecture.md): it imports nothing local and does no I/O
beyond reading its own packaged OpenAPI documents.

The documents (``spec/openapi/<name>.yaml``, one per name in :data:`DOCUMENTS`) are
OpenAPI 3.1. Their extensions (``x-sse-item-schema``, ``x-sse-terminator``,
``x-discrepancies``, ``x-rate-limits``, ``x-versions``, ``x-websocket``, and
``x-partial`` / ``x-invalid`` on examples) are described in ``spec/openapi/README.md``.
Every function here returns plain JSON-like data read from those files; results are
cached, so callers must not mutate them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = [
    "DOCUMENTS",
    "HTTP_METHODS",
    "Discrepancy",
    "Endpoint",
    "Example",
    "StreamContract",
    "component_schema",
    "discrepancies",
    "document_version",
    "endpoints",
    "examples",
    "find_endpoint",
    "load_document",
    "operation",
    "operation_schema",
    "request_schema",
    "response_object",
    "standalone_schema",
    "stream_contract",
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

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operation keys of an OpenAPI path item, in the order endpoints are listed."""

_SCHEMAS_REF = "#/components/schemas/"


@cache
def load_document(name: str) -> dict[str, Any]:
    """The OpenAPI document ``name`` as a dict. Raises ``KeyError`` for an unknown name."""
    if name not in DOCUMENTS:
        raise KeyError(f"unknown OpenAPI document {name!r}; known: {', '.join(DOCUMENTS)}")
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


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation of a document. ``path`` is the template as written under ``paths``;
    ``base_path`` the path part of the server URL that applies to it (``/v1`` for
    ``openai-core``, ``""`` when the paths are absolute); ``route`` is both joined."""

    document: str
    method: str
    """Upper-case HTTP method."""
    path: str
    operation_id: str
    base_path: str = ""

    @property
    def route(self) -> str:
        return f"{self.base_path}{self.path}"

    def matches(self, method: str, path: str) -> bool:
        """True when a request ``method path`` (a concrete path) is this endpoint."""
        return (
            method.upper() == self.method
            and _template_regex(self.route).fullmatch(path) is not None
        )


@cache
def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}]+\})", template)
    body = "".join("[^/]+?" if p.startswith("{") else re.escape(p) for p in parts if p)
    return re.compile(body)


def _base_path(servers: Any) -> str:
    if not isinstance(servers, list) or not servers:
        return ""
    return urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")


@cache
def endpoints(document: str) -> tuple[Endpoint, ...]:
    """Every operation of ``document``, in document order (paths, then methods)."""
    doc = load_document(document)
    root_base = _base_path(doc.get("servers"))
    out = []
    for path, item in doc.get("paths", {}).items():
        item_base = _base_path(item["servers"]) if "servers" in item else root_base
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            base = _base_path(op["servers"]) if "servers" in op else item_base
            out.append(Endpoint(document, method.upper(), path, op["operationId"], base))
    return tuple(out)


def find_endpoint(document: str, method: str, path: str) -> Endpoint | None:
    """The endpoint of ``document`` a concrete request ``method path`` hits, if any.

    Literal templates win over parameterised ones (``/models`` before ``/models/{m}``).
    """
    hits = [e for e in endpoints(document) if e.matches(method, path)]
    hits.sort(key=lambda e: e.route.count("{"))
    return hits[0] if hits else None


# --------------------------------------------------------------------------- operations


def _pointer(doc: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise KeyError(f"only local refs are supported; got {ref!r}")
    node: Any = doc
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _deref(doc: dict[str, Any], node: Any) -> Any:
    """Follow ``$ref`` on an OpenAPI object (response, request body, parameter...)."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = _pointer(doc, node["$ref"])
        seen += 1
        if seen > 32:
            raise KeyError("$ref cycle")
    return node


def operation(document: str, path: str, method: str) -> dict[str, Any]:
    """The Operation Object at ``paths[path][method]``; ``KeyError`` names what is missing."""
    doc = load_document(document)
    item = doc.get("paths", {}).get(path)
    if item is None:
        raise KeyError(f"{document} has no path {path!r}")
    op = item.get(method.lower())
    if op is None:
        raise KeyError(f"{document} has no {method.upper()} {path}")
    result: dict[str, Any] = op
    return result


def _media(document: str, holder: dict[str, Any], media_type: str, what: str) -> dict[str, Any]:
    content = holder.get("content", {})
    if media_type not in content:
        known = ", ".join(content) or "none"
        raise KeyError(f"{what} has no {media_type!r} content (has: {known})")
    media: dict[str, Any] = content[media_type]
    return media


def request_schema(
    document: str, path: str, method: str, media_type: str = "application/json"
) -> dict[str, Any]:
    """The self-contained schema of the request body of ``method path``."""
    doc = load_document(document)
    body = _deref(doc, operation(document, path, method).get("requestBody"))
    what = f"{document} {method.upper()} {path} request body"
    if body is None:
        raise KeyError(f"{what} does not exist")
    return standalone_schema(document, _media(document, body, media_type, what).get("schema", {}))


def _response(document: str, path: str, method: str, status: str) -> dict[str, Any]:
    doc = load_document(document)
    responses = operation(document, path, method).get("responses", {})
    for key in (status, f"{status[:1]}XX", "default"):
        if key in responses:
            found: dict[str, Any] = _deref(doc, responses[key])
            return found
    raise KeyError(f"{document} {method.upper()} {path} documents no {status} response")


def response_object(document: str, path: str, method: str, status: str) -> dict[str, Any]:
    """The Response Object for ``status`` of ``method path`` (``$ref`` followed), falling
    back to the status range (``2XX``) and ``default``. Raises ``KeyError``."""
    return _response(document, path, method, str(status))


def operation_schema(
    document: str,
    path: str,
    method: str,
    status: str = "200",
    media_type: str = "application/json",
) -> dict[str, Any]:
    """The self-contained schema of the ``status`` response body of ``method path``.

    ``status`` falls back to its range (``4XX``) and then ``default``, as OpenAPI says.
    Raises ``KeyError`` naming the missing path, method, status or media type.
    """
    response = _response(document, path, method, str(status))
    what = f"{document} {method.upper()} {path} {status} response"
    return standalone_schema(
        document, _media(document, response, media_type, what).get("schema", {})
    )


@dataclass(frozen=True, slots=True)
class StreamContract:
    """A ``text/event-stream`` body: each event's ``data`` is one JSON value matching
    ``item_schema``, except a final event whose data is ``terminator`` (``None``: the
    stream just ends, as Gemini's does)."""

    item_schema: dict[str, Any]
    terminator: str | None


def _stream_of(document: str, media: dict[str, Any]) -> StreamContract | None:
    item = media.get("x-sse-item-schema")
    if item is None:
        return None
    return StreamContract(standalone_schema(document, item), media.get("x-sse-terminator"))


def stream_contract(document: str, path: str, method: str, status: str = "200") -> StreamContract:
    """The per-event contract of the ``text/event-stream`` response of ``method path``.

    Raises ``KeyError`` when there is none or the document gives no event format.
    """
    response = _response(document, path, method, str(status))
    what = f"{document} {method.upper()} {path} {status} response"
    contract = _stream_of(document, _media(document, response, "text/event-stream", what))
    if contract is None:
        raise KeyError(f"{what}: the document gives no per-event format (x-sse-item-schema)")
    return contract


# --------------------------------------------------------------------------- examples


@dataclass(frozen=True, slots=True)
class Example:
    """One example embedded in a document, with the schema it must satisfy.

    ``where`` is the JSON pointer of the example; ``partial``: the document shows an
    excerpt (``x-partial``), so only what is present is checked (``required`` is
    relaxed); ``invalid``: the id of the discrepancy this verbatim example breaks
    (``x-invalid``); ``stream``: set for ``text/event-stream`` examples, whose value is
    the raw stream text.
    """

    document: str
    where: str
    name: str
    value: Any
    schema: dict[str, Any]
    partial: bool = False
    invalid: str | None = None
    stream: StreamContract | None = None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@cache
def examples(document: str) -> tuple[Example, ...]:
    """Every example of ``document``: Example Objects (``examples`` maps of media types,
    parameters and headers, validated against their ``schema``) and JSON Schema
    ``examples`` arrays (validated against the schema that holds them)."""
    doc = load_document(document)
    found: list[Example] = []

    def walk(node: Any, tokens: tuple[str, ...]) -> None:
        if isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*tokens, str(i)))
            return
        if not isinstance(node, dict):
            return
        here = "/" + "/".join(_escape(t) for t in tokens)
        listed = node.get("examples") if tokens[-1:] != ("properties",) else None
        if isinstance(listed, list):
            schema = standalone_schema(document, node)
            for i, value in enumerate(listed):
                found.append(Example(document, f"{here}/examples/{i}", str(i), value, schema))
        elif isinstance(listed, dict) and tokens != ("components",):
            schema = standalone_schema(document, node.get("schema", {}))
            stream = _stream_of(document, node)
            for name, ex in listed.items():
                ex = _deref(doc, ex)
                found.append(
                    Example(
                        document,
                        f"{here}/examples/{_escape(name)}",
                        name,
                        ex.get("value"),
                        schema,
                        partial=bool(ex.get("x-partial", False)),
                        invalid=ex.get("x-invalid"),
                        stream=stream,
                    )
                )
        literal = ("examples", "default", "const", "enum", "x-discrepancies")
        for key, value in node.items():
            if key in literal and tokens[-1:] != ("properties",):
                continue  # values, not spec: never read as schemas
            walk(value, (*tokens, key))

    walk(doc, ())
    return tuple(found)


# --------------------------------------------------------------------------- discrepancies


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """Where a document contradicts itself or OpenAI's contract, recorded, not fixed.

    ``says``: what the document says; ``contradicts``: what it contradicts (its own
    text elsewhere, or the OpenAI contract / client behaviour); ``source``: the section
    cited; ``where``: ``"document"`` or the operation (``"POST /v1/chat/completions"``).
    """

    id: str
    says: str
    contradicts: str
    source: str
    where: str


@cache
def discrepancies(document: str) -> tuple[Discrepancy, ...]:
    """The ``x-discrepancies`` of ``document`` (document level first, then operations)."""
    doc = load_document(document)

    def read(entries: Any, where: str) -> list[Discrepancy]:
        return [
            Discrepancy(e["id"], e["says"], e["contradicts"], e["source"], where)
            for e in entries or ()
        ]

    out = read(doc.get("x-discrepancies"), "document")
    for ep in endpoints(document):
        op = operation(document, ep.path, ep.method)
        out.extend(read(op.get("x-discrepancies"), f"{ep.method} {ep.path}"))
    return tuple(out)


# --------------------------------------------------------------------------- versions

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
