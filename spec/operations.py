"""The operations of a document: its endpoints and the schemas of their bodies and streams.

Every ``document`` argument is a name :func:`spec.documents.load_document` knows; a
missing path, method, status or media type raises ``KeyError`` naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from spec.documents import HTTP_METHODS, load_document, resolve, standalone_schema

__all__ = [
    "Endpoint",
    "StreamContract",
    "endpoints",
    "find_endpoint",
    "operation",
    "operation_schema",
    "request_schema",
    "response_object",
    "stream_contract",
    "stream_of",
]

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
    body = resolve(doc, operation(document, path, method).get("requestBody"))
    what = f"{document} {method.upper()} {path} request body"
    if body is None:
        raise KeyError(f"{what} does not exist")
    return standalone_schema(document, _media(document, body, media_type, what).get("schema", {}))


def _response(document: str, path: str, method: str, status: str) -> dict[str, Any]:
    doc = load_document(document)
    responses = operation(document, path, method).get("responses", {})
    for key in (status, f"{status[:1]}XX", "default"):
        if key in responses:
            found: dict[str, Any] = resolve(doc, responses[key])
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


def stream_of(document: str, media: dict[str, Any]) -> StreamContract | None:
    """The event contract of ``media`` (a ``text/event-stream`` Media Type Object of
    ``document``), or ``None`` when it gives no per-event format (no ``x-sse-item-schema``)."""
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
    contract = stream_of(document, _media(document, response, "text/event-stream", what))
    if contract is None:
        raise KeyError(f"{what}: the document gives no per-event format (x-sse-item-schema)")
    return contract
