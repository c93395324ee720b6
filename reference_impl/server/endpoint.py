"""A route handler behind its group's client auth and the document's checks, with every
error in the profile's envelope.

``Endpoints.wrap(group, handler)`` gives the handler aiohttp registers: it answers the
401 of :class:`~.auth.ClientAuth`, runs :meth:`~.document.DocumentCheck.check_request`,
then ``handler``; a :class:`~reference_impl.translate.errors.ProxyError` becomes the
profile's error envelope (:func:`~.http.error_response`; 5xx are logged), an unexpected
exception is logged and answered 500 in the same envelope, never with a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from ..translate.errors import ProxyError
from .auth import ClientAuth
from .document import DocumentCheck
from .http import INTERNAL, Handler, error_response

__all__ = ["Endpoint", "Endpoints"]

log = logging.getLogger("reference_impl")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """``handler`` serving route group ``group``."""

    group: str
    handler: Handler
    auth: ClientAuth
    document: DocumentCheck

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp handler (see the module docstring)."""
        denied = self.auth.gate(request, self.group)
        if denied is not None:
            return error_response(request, denied)
        try:
            await self.document.check_request(request)
            return await self.handler(request)
        except ProxyError as err:
            if err.status >= 500:
                log.warning("%s %s -> %d %s", request.method, request.path, err.status, err.message)
            return error_response(request, err)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            return error_response(request, INTERNAL)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Makes the :class:`Endpoint` of each route of one application."""

    auth: ClientAuth
    document: DocumentCheck

    def wrap(self, group: str, handler: Handler) -> Handler:
        """``handler`` behind ``group``'s auth, with errors in the profile's envelope."""
        return Endpoint(group, handler, self.auth, self.document).handle
