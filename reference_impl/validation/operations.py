"""Requests checked against the profile's own OpenAPI document. Pure (no I/O).

The document (``spec/openapi/<profile>.yaml``, or the version the settings name) is the
authority on what a request may look like: a body, path parameter or query parameter it
rejects is a 400 naming the field (:mod:`.violations`). Headers, cookies and security
requirements are not checked here: the proxy authenticates clients itself.

How (everything is built once per document, by :func:`for_document`):

- **Authority: openapi-core.** For every operation with a request body, openapi-core's
  schema validator for the media type's schema (OpenAPI 3.1 dialect, the document's
  ``$ref`` s resolved by openapi-core); for path and query parameters, openapi-core's
  parameters validator (styles, casting, ``required``). Its errors are what the 400 says.
- **Fast path: a compiled gate.** openapi-core's schema validator costs 0.13-0.26 ms for a
  two-message chat body and 5-10 ms for a 76-message agent conversation with 20 tools
  (its full ``validate_request``: 0.9 ms and 6 ms), against a budget of 1 ms for the
  whole proxy. So a ``jsonschema_rs`` validator compiled from the *same* schema of the
  same document (0.6-1.2 us for the typical body, 13-26 us for the agent one) accepts
  what is valid; only a body it rejects goes to openapi-core, which decides and
  explains (a 400 costs 0.2-0.3 ms more than an accepted request). The gate
  is built only for schemas whose keywords both validators read alike
  (:data:`GATE_KEYWORDS`; ``format``, for one, is checked by openapi-core alone), so a
  gate never accepts what openapi-core would reject
  (``tests/unit/test_reference_validators.py`` checks this differentially). Parameters
  get the same treatment: a plain string parameter is checked by its gate, anything else
  by openapi-core.

Unknown fields are accepted wherever the document's schemas allow them (they are open
unless they say ``additionalProperties: false``). For the operations a profile shares
with OpenAI's API, the profile's body schema is widened by ``openai-core.yaml``'s, field
by field (:mod:`.widening`): the systems' documents are stricter than the OpenAI clients
they claim to serve.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.request.exceptions import (
    MissingRequiredParameter,
    ParameterValidationError,
)
from openapi_core.validation.request.validators import V31RequestParametersValidator
from openapi_core.validation.schemas import oas31_schema_validators_factory
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_core.validation.schemas.validators import SchemaValidator
from werkzeug.datastructures import ImmutableMultiDict

import spec

from ..translate.errors import RequestError
from .violations import body_violation, parameter_violation
from .widening import OPENAI_DEFS, REQUEST, counterpart, deref, pointer, widened

__all__ = [
    "FORM",
    "GATE_KEYWORDS",
    "JSON",
    "Operation",
    "Param",
    "SpecValidation",
    "for_document",
    "normalise",
    "version_id",
]

JSON = "application/json"
FORM = "multipart/form-data"

GATE_KEYWORDS = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "required",
        "items",
        "additionalProperties",
        "enum",
        "const",
        "anyOf",
        "oneOf",
        "allOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
    }
)
"""Assertion keywords ``jsonschema_rs`` and openapi-core's OAS 3.1 validator read alike;
a schema using any other assertion (``format``, ``uniqueItems``, ``not``...) has no gate."""

_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "$comment",
    }
)
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_HOST = "http://reference.invalid"
_PARAM = re.compile(r"\{[^{}]*\}")


def normalise(template: str) -> str:
    """A path template with its parameter names erased (``/models/{m}`` ->
    ``/models/{}``), so aiohttp's and the document's templates compare."""
    return _PARAM.sub("{}", template)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}]+\})", template)
    return re.compile("".join("([^/]+)" if p.startswith("{") else re.escape(p) for p in parts))


# --------------------------------------------------------------------------- gates


def _gate_safe(schema: object, doc: Mapping[str, Any], seen: set[str]) -> bool:
    """True when every assertion keyword in ``schema`` (following local ``$ref`` s) is in
    :data:`GATE_KEYWORDS`."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if key.startswith("x-") or key in _ANNOTATIONS:
            continue
        if key not in GATE_KEYWORDS and key != "$defs":
            return False
        if key == "$ref":
            if not isinstance(value, str) or not value.startswith("#/"):
                return False
            if value in seen:
                continue
            seen.add(value)
            try:
                target = pointer(doc, value)
            except (KeyError, IndexError, TypeError, ValueError):
                return False
            if not _gate_safe(target, doc, seen):
                return False
        elif key in ("properties", "$defs"):
            if not isinstance(value, dict):
                return False
            if not all(_gate_safe(v, doc, seen) for v in value.values()):
                return False
        elif key in ("items", "additionalProperties"):
            if not _gate_safe(value, doc, seen):
                return False
        elif key in ("anyOf", "oneOf", "allOf") and (
            not isinstance(value, list) or not all(_gate_safe(v, doc, seen) for v in value)
        ):
            return False
    return True


def _gate(schema: object, doc: Mapping[str, Any]) -> jsonschema_rs.Validator | None:
    """A compiled validator of ``schema`` (a Schema Object of ``doc``), or ``None`` when
    the schema uses keywords the gate may read differently from openapi-core."""
    if not _gate_safe(schema, doc, set()):
        return None
    root = {"$schema": _DRAFT_2020_12, "allOf": [schema]}
    for key in ("components", OPENAI_DEFS):  # where the schema's refs point
        if key in doc:
            root[key] = doc[key]
    return jsonschema_rs.Draft202012Validator(root)


# --------------------------------------------------------------------------- requests


@dataclass(slots=True)
class _Request:
    """The request as openapi-core's ``Request`` protocol reads it (parameters only)."""

    path: str
    method: str
    parameters: RequestParameters
    host_url: str = _HOST
    body: bytes | None = None
    content_type: str = ""


@dataclass(frozen=True, slots=True)
class Param:
    """A path or query parameter of an operation; ``gate`` is set for plain string
    parameters (their raw value is the value the schema sees)."""

    name: str
    location: str
    required: bool
    gate: jsonschema_rs.Validator | None


class Operation:
    """The checks of one operation (``endpoint``) of the document."""

    __slots__ = (
        "_authority",
        "_gate",
        "_parameters",
        "_regex",
        "body_required",
        "endpoint",
        "media",
        "params",
    )

    def __init__(
        self,
        endpoint: spec.Endpoint,
        *,
        media: str | None,
        body_required: bool,
        gate: jsonschema_rs.Validator | None,
        authority: SchemaValidator | None,
        params: tuple[Param, ...],
        parameters: V31RequestParametersValidator,
    ) -> None:
        self.endpoint = endpoint
        self.media = media
        """The media type of the body checked (``None``: the operation takes no body)."""
        self.body_required = body_required
        self.params = params
        self._gate = gate
        self._authority = authority
        self._parameters = parameters
        self._regex = _template_regex(endpoint.route)

    def __repr__(self) -> str:
        return f"Operation({self.endpoint.method} {self.endpoint.route}, media={self.media!r})"

    @property
    def gated(self) -> bool:
        """Whether valid bodies are accepted by the compiled gate alone."""
        return self._gate is not None

    # ------------------------------------------------------------------ bodies

    def body_error(self, value: object) -> RequestError | None:
        """openapi-core's verdict on a body: the 400 to answer, or ``None`` when valid."""
        if self._authority is None:
            return None
        try:
            self._authority.validate(value)
        except InvalidSchemaValue as exc:
            return body_violation(exc.schema_errors) or RequestError(
                f"the request body does not match the document: {exc}", param=None
            )
        return None

    def check_body(self, value: object, explain: Callable[[Any], object] | None = None) -> None:
        """Raise the 400 for a body the document rejects; return for one it accepts.

        ``explain``: the route's own hand-written validation, run only for a rejected
        body; when it raises a :class:`RequestError` (a message the route words better),
        that error is raised instead. Anything else it raises is ignored.
        """
        gate = self._gate
        if gate is not None and gate.is_valid(value):
            return
        err = self.body_error(value)
        if err is None:
            return
        if explain is not None:
            try:
                explain(value)
            except RequestError:
                raise
            except Exception:  # the document's verdict stands
                pass
        raise err

    # ------------------------------------------------------------------ parameters

    def path_values(self, path: str) -> dict[str, str] | None:
        """The path parameters of a concrete ``path``; ``None`` when the template does
        not match it (the document does not describe that path)."""
        m = self._regex.fullmatch(path)
        if m is None:
            return None
        names = [t[1:-1] for t in _PARAM.findall(self.endpoint.route)]
        return dict(zip(names, m.groups(), strict=True))

    def check_params(self, path: str, query: Mapping[str, str]) -> None:
        """Raise the 400 for a path or query parameter the document rejects.

        ``path``: the concrete (decoded) request path; ``query``: the query parameters
        (a multi-dict; ``items()`` gives repeated keys). A path the template does not
        match is not described by the document and is not checked.
        """
        if not self.params:
            return
        values = self.path_values(path)
        if values is None:
            return
        for p in self.params:
            raw = values.get(p.name) if p.location == "path" else query.get(p.name)
            if raw is None:
                if p.required:
                    break
                continue
            if p.gate is None or raw == "" or not p.gate.is_valid(raw):
                break
        else:
            return
        self._parameter_errors(path, query)

    def _parameter_errors(self, path: str, query: Mapping[str, str]) -> None:
        request = _Request(
            path=path,
            method=self.endpoint.method.lower(),
            parameters=RequestParameters(query=ImmutableMultiDict(list(query.items()))),
        )
        try:
            errors = list(self._parameters.iter_errors(request))
        except PathError:
            return
        for exc in errors:
            if not isinstance(exc, ParameterValidationError):
                continue  # PathError: not described
            if exc.location not in ("path", "query"):
                continue
            if exc.location == "path":
                value = (self.path_values(path) or {}).get(exc.name)
            else:
                value = query.get(exc.name)
            if isinstance(exc, MissingRequiredParameter):
                raise parameter_violation(exc.name, exc.location, None, None)
            raise parameter_violation(exc.name, exc.location, value, exc.__cause__)


# --------------------------------------------------------------------------- documents


def _relative_servers(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` whose ``servers`` are their path parts only, so openapi-core
    matches a request by its path whatever host the proxy listens on."""
    out = copy.deepcopy(doc)

    def base(servers: Any) -> list[dict[str, str]]:
        url = str(servers[0].get("url", "")) if isinstance(servers, list) and servers else ""
        return [{"url": urlsplit(url).path.rstrip("/") or "/"}]

    out["servers"] = base(out.get("servers"))
    for item in out.get("paths", {}).values():
        if "servers" in item:
            item["servers"] = base(item["servers"])
        for method in spec.HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict) and "servers" in op:
                op["servers"] = base(op["servers"])
    return out


class SpecValidation:
    """The operations of one document version, by method and path template."""

    def __init__(self, name: str, doc: dict[str, Any]) -> None:
        self.document = name
        self.doc = doc
        # The documents are checked against the OpenAPI 3.1 schema by the spec tests;
        # openapi-core reads them without checking them again at every start.
        self._spec = SchemaPath.from_dict(_relative_servers(doc))
        self._parameters = V31RequestParametersValidator(self._spec)
        self.operations: dict[tuple[str, str], Operation] = {}
        """``(METHOD, normalised route)`` -> the checks of every operation that has any."""
        for endpoint in _endpoints(name, doc):
            op = self._build(endpoint)
            if op is not None:
                self.operations[(endpoint.method, normalise(endpoint.route))] = op

    def __repr__(self) -> str:
        return f"SpecValidation({self.document!r}, {len(self.operations)} operations)"

    def match(self, method: str, template: str) -> Operation | None:
        """The operation an aiohttp route (``method``, path ``template``) serves."""
        return self.operations.get((method.upper(), normalise(template)))

    def find(self, method: str, path: str) -> Operation | None:
        """The operation a concrete request ``method path`` hits (literal templates win)."""
        method = method.upper()
        hits = [
            op
            for (m, _), op in self.operations.items()
            if m == method and op.path_values(path) is not None
        ]
        hits.sort(key=lambda op: op.endpoint.route.count("{"))
        return hits[0] if hits else None

    def _build(self, endpoint: spec.Endpoint) -> Operation | None:
        doc = self.doc
        op_path = self._spec / "paths" / endpoint.path / endpoint.method.lower()
        raw_op = doc["paths"][endpoint.path][endpoint.method.lower()]
        raw_item = doc["paths"][endpoint.path]
        params = tuple(self._params(raw_item, raw_op))
        media: str | None = None
        required = False
        gate = None
        authority = None
        body = deref(doc, raw_op.get("requestBody"))
        if isinstance(body, dict):
            content = body.get("content", {})
            media = JSON if JSON in content else (FORM if FORM in content else None)
            required = bool(body.get("required", False))
            if media is not None and "schema" in content[media]:
                schema = content[media]["schema"]
                openai = counterpart(self.document, endpoint, media)
                if openai is not None:
                    root = widened(doc, schema, openai)
                    root_path = SchemaPath.from_dict(root)
                    authority = oas31_schema_validators_factory.create(
                        root_path, root_path / REQUEST
                    )
                    gate = _gate(root[REQUEST], root)
                else:
                    schema_path = op_path / "requestBody" / "content" / media / "schema"
                    authority = oas31_schema_validators_factory.create(self._spec, schema_path)
                    gate = _gate(schema, doc)
        if media is None and not params:
            return None
        return Operation(
            endpoint,
            media=media,
            body_required=required,
            gate=gate,
            authority=authority,
            params=params,
            parameters=self._parameters,
        )

    def _params(self, item: dict[str, Any], op: dict[str, Any]) -> Iterable[Param]:
        seen: set[tuple[str, str]] = set()
        for raw in [*op.get("parameters", ()), *item.get("parameters", ())]:
            p = deref(self.doc, raw)
            if not isinstance(p, dict):
                continue
            key = (str(p.get("name")), str(p.get("in")))
            if key in seen or key[1] not in ("path", "query"):
                continue
            seen.add(key)
            schema = p.get("schema")
            plain = (
                isinstance(schema, dict)
                and schema.get("type") == "string"
                and "content" not in p
                and p.get("style", "simple" if key[1] == "path" else "form") in ("simple", "form")
            )
            yield Param(
                name=key[0],
                location=key[1],
                required=bool(p.get("required", key[1] == "path")),
                gate=_gate(schema, self.doc) if plain else None,
            )


def _endpoints(name: str, doc: dict[str, Any]) -> list[spec.Endpoint]:
    """The operations of ``doc`` (``name``'s document, possibly one version of it)."""
    present = {
        (path, method.upper())
        for path, item in doc.get("paths", {}).items()
        for method in spec.HTTP_METHODS
        if method in item
    }
    return [e for e in spec.endpoints(name) if (e.path, e.method) in present]


def version_id(name: str, *, older: bool = False) -> str | None:
    """The ``info.x-versions`` id of document ``name`` to follow: its first (newest) or,
    with ``older``, its last; ``None`` for a document without versions."""
    versions = spec.load_document(name).get("info", {}).get("x-versions") or []
    if not versions:
        return None
    return str(versions[-1 if older else 0]["id"])


@cache
def for_document(name: str, version: str | None = None) -> SpecValidation:
    """The checks of document ``name`` (a ``spec.DOCUMENTS`` name), as its ``version``
    (an ``info.x-versions`` id) says when given. Built once per process; ``KeyError``
    for an unknown document or version."""
    doc = spec.document_version(name, version) if version else spec.load_document(name)
    return SpecValidation(name, doc)
