"""Client keys: whether a request may use a route group of the profile.

A profile without client auth (gemini-reverse), and the groups it serves openly
(``Contract.open_groups``), let every request through. Otherwise the client must send a
key (:func:`~.http.client_key`); with ``--api-key``/``PROXY_API_KEYS`` configured it must
be one of them (compared in constant time), without any, every non-empty key passes.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from aiohttp import web

from ..contract import Contract
from ..translate.errors import ProxyError
from .http import client_key

__all__ = ["ClientAuth"]


class ClientAuth:
    """The client keys of one application."""

    __slots__ = ("_contract", "_keys")

    def __init__(self, contract: Contract, api_keys: Iterable[str]) -> None:
        self._contract = contract
        self._keys = [k.encode() for k in sorted(api_keys)]

    def gate(self, request: web.Request, group: str) -> ProxyError | None:
        """``None`` when ``request`` may use ``group``, else the 401 to answer."""
        contract = self._contract
        if not contract.client_auth or group in contract.open_groups:
            return None
        key = client_key(request)
        if not key:
            return ProxyError(
                401,
                "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
                type="invalid_request_error",
                code="invalid_api_key",
            )
        if self._keys:
            given = key.encode()
            if not any(hmac.compare_digest(given, k) for k in self._keys):
                return ProxyError(
                    401,
                    "Incorrect API key provided.",
                    type="authentication_error",
                    code="invalid_api_key",
                )
        return None
