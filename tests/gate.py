"""A request-aware defect: the reference proxy behind a pass-through that looks at each
request before it decides what to do with it (``tests.zoo`` mutates every answer alike).

:func:`gated_proxy` hands the JSON body of each request to a :data:`Gate`, which either
refuses it (a status and JSON body the proxy answers by itself, the upstream never
called) or names the :class:`~tests.zoo.Mutation` to apply to the answer (``None``:
forward unchanged). This is how a proxy that refuses one standard field, or leaks
thoughts on only one of the ways clients ask for them, is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.zoo import Mutation, Refusal, forwarding_proxy

__all__ = ["Gate", "Refusal", "gated_proxy"]

Gate = Callable[[str, Any], Refusal | Mutation | None]
"""``(path, JSON body or None)`` -> a refusal, a mutation of the answer, or ``None``."""


def gated_proxy(upstream: str, gate: Gate) -> Callable[[], web.Application]:
    """An app factory for :func:`tests.servers.serve`: ``upstream`` behind ``gate``
    (:func:`tests.zoo.forwarding_proxy` with the request body parsed as JSON)."""

    def choose(path: str, raw: bytes) -> Refusal | Mutation | None:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return gate(path, body)

    return forwarding_proxy(upstream, choose)
