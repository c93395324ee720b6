"""One probe per documented endpoint: the document's own example request, sent as written.

For every operation of a profile's OpenAPI document (``spec/openapi/<profile>.yaml``)
that no other probe exercises, :data:`DOCUMENTED` holds a probe that sends the example
the document itself gives (its first request-body example; for ``multipart/form-data``
the example's text fields plus a sample file of the documented ``contentMediaType``).
Path parameters named ``model`` take the target's model; an id another documented
operation answers with (``batch_id``) is read from the answer to that operation's own
example, sent first. The check
``contract.<profile>.<operationId>`` then holds the answer to the document.

Not probed, with the reason kept in :data:`NOT_PROBED` (the coverage table shows it):
operations other probes already send (chat completions, embeddings, the models list),
admin operations (their credentials are the operator's, and some change state) and
operations whose path needs an id that no documented answer gives (``GET
/images/{file}``). A WebSocket upgrade gets :mod:`conformance.probes.websocket`'s probe.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import spec

from ..exchange import Exchange, Request
from ..target import Target
from .base import Probe, registrar
from .samples import multipart, sample_for
from .websocket import websocket_probe

__all__ = ["DOCUMENTED", "NOT_PROBED", "DocumentedProbe"]

probe = registrar(__name__)

_DEDICATED = frozenset({"createChatCompletion", "createEmbedding", "listModels"})
"""Operations the core probes send already (with their own checks)."""
_BOUNDARY = "conformance-boundary-7d3f"
"""A fixed multipart boundary, so a probe's bytes are the same on every run."""


@dataclass(frozen=True, slots=True)
class DocumentedProbe:
    """A documented operation and the probe that exercises it."""

    profile: str
    endpoint: spec.Endpoint
    probe: str
    summary: str
    websocket: bool = False
    """A WebSocket upgrade (:mod:`conformance.probes.websocket`), not an HTTP request."""


DOCUMENTED: list[DocumentedProbe] = []
"""Every documented-endpoint probe, in document order."""
NOT_PROBED: dict[tuple[str, str], str] = {}
"""``(profile, operationId) -> why no probe sends it``."""


def _first_example(media: dict[str, Any]) -> Any:
    listed = media.get("examples")
    if isinstance(listed, dict) and listed:
        first = next(iter(listed.values()))
        return first.get("value") if isinstance(first, dict) else None
    return media.get("example")


def _skip_reason(document: str, ep: spec.Endpoint, op: dict[str, Any]) -> str | None:
    if ep.operation_id in _DEDICATED:
        return "sent by the core probes, judged by their own checks"
    security = op.get("security", spec.load_document(document).get("security", []))
    schemes = {name for requirement in security for name in requirement}
    if "admin" in (op.get("tags") or ()) or schemes - {"bearer"}:
        return "admin operation: its credentials are the operator's, and it may change state"
    if _path_ids(document, op) and _producer(document, ep, op) is None:
        return "its path needs an id from an earlier answer"
    body = op.get("requestBody")
    if body and body.get("required") and not _body_media(body):
        return "the document gives no example request body"
    return None


def _is_websocket(op: dict[str, Any]) -> bool:
    """An operation documented as an upgrade: it answers ``101`` and nothing else
    successful (``x-websocket`` describes its messages)."""
    return "101" in op.get("responses", {}) and not any(
        k.startswith("2") for k in op.get("responses", {})
    )


def _parameter(document: str, param: dict[str, Any]) -> dict[str, Any]:
    ref = param.get("$ref")
    if not isinstance(ref, str):
        return param
    found: dict[str, Any] = spec.load_document(document)["components"]["parameters"][
        ref.rsplit("/", 1)[1]
    ]
    return found


def _path_ids(document: str, op: dict[str, Any]) -> set[str]:
    """Path parameters other than ``model`` (ids some earlier answer must give)."""
    params = [_parameter(document, p) for p in op.get("parameters", ())]
    return {str(p["name"]) for p in params if p.get("in") == "path" and p["name"] != "model"}


def _success_example(document: str, ep: spec.Endpoint) -> Any:
    responses = spec.operation(document, ep.path, ep.method).get("responses", {})
    for status in responses:
        if status.startswith("2"):
            content = spec.response_object(document, ep.path, ep.method, status).get("content")
            media = (content or {}).get("application/json")
            if media is not None:
                return _first_example(media)
    return None


def _producer(document: str, ep: spec.Endpoint, op: dict[str, Any]) -> spec.Endpoint | None:
    """The documented POST whose own success example carries every id ``ep``'s path
    needs (``POST /v1/batch/images`` answers the ``batch_id`` of
    ``GET /v1/batch/{batch_id}/status``), or ``None``."""
    ids = _path_ids(document, op)
    for other in spec.endpoints(document):
        if other.method != "POST" or other == ep:
            continue
        other_op = spec.operation(document, other.path, other.method)
        if _path_ids(document, other_op) or _skip_reason(document, other, other_op):
            continue
        example = _success_example(document, other)
        if isinstance(example, dict) and ids <= example.keys():
            return other
    return None


def _follow_up(document: str, ep: spec.Endpoint, ids: set[str]) -> Any:
    """The second turn: ``ep`` with its path ids read from the first answer (``None``
    when the first answer did not give them; the check then reports that)."""

    def then(target: Target, cid: str, first: Exchange) -> Request | None:
        if first.status is None or not 200 <= first.status < 300:
            return None
        try:
            data = first.json()
        except ValueError:
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(i), str) for i in ids):
            return None
        path = ep.route.replace("{model}", target.model)
        for name in ids:
            path = path.replace(f"{{{name}}}", quote(data[name], safe=""))
        return Request(ep.method, target.absolute(path), dict(target.request_headers()))

    return then


def _body_media(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The request media type the probe sends and its media object."""
    content = body.get("content", {})
    for media_type in ("application/json", "multipart/form-data"):
        media = content.get(media_type)
        if media is None:
            continue
        if media_type == "application/json" and _first_example(media) is None:
            continue
        return media_type, media
    return None


def _object_schema(document: str, media: dict[str, Any]) -> dict[str, Any]:
    schema = spec.standalone_schema(document, media.get("schema", {}))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        found: dict[str, Any] = schema.get("$defs", {}).get(ref.rsplit("/", 1)[1], {})
        return found
    return schema


def _sample_b64(prop: dict[str, Any], shown: Any) -> Any:
    """A real base64 file for a documented base64 field whose example is a placeholder
    (``"iVBORw0KGgo..."``, ``BASE64_ENCODED_IMAGE``); a data URI stays a data URI."""
    if prop.get("contentEncoding") != "base64" or not isinstance(shown, str):
        return shown
    _, data, media_type = sample_for(str(prop.get("contentMediaType", "")))
    encoded = base64.b64encode(data).decode("ascii")
    return f"data:{media_type};base64,{encoded}" if shown.startswith("data:") else encoded


def _with_samples(document: str, media: dict[str, Any], example: Any) -> Any:
    """``example`` with its base64 file fields (top level, or items of a top-level
    array) replaced by real files of the documented media type."""
    if not isinstance(example, dict):
        return example
    out = dict(example)
    for name, prop in (_object_schema(document, media).get("properties") or {}).items():
        if name not in out:
            continue
        items = prop.get("items")
        if prop.get("type") == "array" and isinstance(items, dict) and isinstance(out[name], list):
            out[name] = [_sample_b64(items, v) for v in out[name]]
        else:
            out[name] = _sample_b64(prop, out[name])
    return out


def _multipart(document: str, media: dict[str, Any]) -> tuple[bytes, str]:
    """The form body: the example's text fields and a sample file per binary field."""
    schema = _object_schema(document, media)
    example = _first_example(media) or {}
    data: dict[str, str] = {}
    files: dict[str, tuple[str, bytes, str]] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("format") == "binary":
            files[name] = sample_for(str(prop.get("contentMediaType", "")))
        elif name in example:
            value = example[name]
            data[name] = value if isinstance(value, str) else json.dumps(value)
    return multipart(data, files, _BOUNDARY), f"multipart/form-data; boundary={_BOUNDARY}"


def _builder(document: str, ep: spec.Endpoint, op: dict[str, Any]) -> Any:
    body = op.get("requestBody")
    media = _body_media(body) if body else None

    def build(target: Target, cid: str) -> Request:
        url = target.absolute(ep.route.replace("{model}", target.model))
        headers = dict(target.request_headers())
        if media is None:
            return Request(ep.method, url, headers)
        media_type, media_object = media
        if media_type == "application/json":
            value = _with_samples(document, media_object, _first_example(media_object))
            headers["Content-Type"] = "application/json"
            return Request(ep.method, url, headers, json.dumps(value).encode(), value)
        raw, content_type = _multipart(document, media_object)
        headers["Content-Type"] = content_type
        return Request(ep.method, url, headers, raw)

    return build


def _register() -> None:
    for profile in spec.DOCUMENTS:
        if profile == "gemini-v1beta":
            continue  # the mock's upstream contract, not a proxy profile
        for ep in spec.endpoints(profile):
            op = spec.operation(profile, ep.path, ep.method)
            reason = _skip_reason(profile, ep, op)
            if reason is not None:
                NOT_PROBED[(profile, ep.operation_id)] = reason
                continue
            if _is_websocket(op):
                name = probe(websocket_probe(profile, ep.route, ep.operation_id)).name
                summary = f"WebSocket {ep.route}: the upgrade, and a Live API turn through it"
                DOCUMENTED.append(DocumentedProbe(profile, ep, name, summary, websocket=True))
                continue
            name = f"{ep.operation_id}@{profile}"
            feature = op.get("x-feature")
            summary = f"{ep.method} {ep.route}: the document's own example request"
            build, then = _builder(profile, ep, op), None
            ids = _path_ids(profile, op)
            producer = _producer(profile, ep, op) if ids else None
            if producer is not None:
                producer_op = spec.operation(profile, producer.path, producer.method)
                build = _builder(profile, producer, producer_op)
                then = _follow_up(profile, ep, ids)
                summary = (
                    f"{ep.method} {ep.route}, with {', '.join(sorted(ids))} from the "
                    f"answer to the document's example {producer.method} {producer.route}"
                )
            probe(
                Probe(
                    name,
                    summary,
                    build,
                    then=then,
                    features=frozenset({feature}) if feature else frozenset(),
                    profiles=frozenset({profile}),
                )
            )
            DOCUMENTED.append(DocumentedProbe(profile, ep, name, summary))


_register()
