"""The profile document's checks of each request (:mod:`reference_impl.validation`).

:meth:`DocumentCheck.bind` maps every route of the application to the operation of the
profile's OpenAPI document it serves, once all routes are added;
:meth:`DocumentCheck.check_request` then raises the 400 naming the field for a request
whose path or query parameters or JSON body the document rejects.
"""

from __future__ import annotations

from aiohttp import web

from ..validation.operations import JSON, Operation, SpecValidation
from .http import parse_json, read_body

__all__ = ["DocumentCheck"]


class DocumentCheck:
    """The checks of ``validation`` (the document version ``--doc-version`` names) bound
    to one application's routes."""

    __slots__ = ("_dynamic", "_operations", "validation")

    def __init__(self, validation: SpecValidation) -> None:
        self.validation = validation
        self._operations: dict[web.AbstractRoute, Operation] = {}
        self._dynamic: set[web.AbstractRoute] = set()

    def bind(self, app: web.Application) -> None:
        """Map every route of ``app`` to the document operation it serves. A route whose
        path template matches an operation's is bound to it; other routes with path
        parameters (``/gemini/v1beta/{path:.+}``) are resolved per request from the
        concrete path."""
        for route in app.router.routes():
            resource = route.resource
            if resource is None:
                continue
            op = self.validation.match(route.method, resource.canonical)
            if op is not None:
                self._operations[route] = op
            elif "{" in resource.canonical:
                self._dynamic.add(route)

    def operation(self, request: web.Request) -> Operation | None:
        """The operation of the profile's document that ``request`` hits, if it has
        anything to check."""
        route = request.match_info.route
        op = self._operations.get(route)
        if op is None and route in self._dynamic:
            return self.validation.find(request.method, request.path)
        return op

    async def check_request(self, request: web.Request) -> None:
        """Raise the 400 (:class:`~reference_impl.translate.errors.RequestError` naming the
        field) for a request whose path or query parameters or JSON body the profile's
        document rejects.

        A ``multipart/form-data`` body is checked once parsed (:meth:`check_form`).
        """
        op = self.operation(request)
        if op is None:
            return
        if op.params:
            op.check_params(request.path, request.query)
        if op.media == JSON:
            raw = await read_body(request)
            if raw or op.body_required:
                op.check_body(parse_json(raw))

    def check_form(self, request: web.Request, form: dict[str, object]) -> None:
        """Raise the 400 for a parsed ``multipart/form-data`` body the document rejects.

        ``form``: the text fields as strings and each file as ``latin-1`` text of its
        bytes (one character per byte: OpenAPI 3.1 validators type-check ``format:
        binary`` fields as strings).
        """
        op = self.operation(request)
        if op is not None and op.media is not None and op.media != JSON:
            op.check_body(form)
