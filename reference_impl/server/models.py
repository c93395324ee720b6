"""The upstream's model list, cached: fetched at most once per ``Settings.models_ttl_s``
(antigravity2api: "Model list is cached") and shared by every route that lists models.

:meth:`ModelCatalog.upstream_models` is Gemini's ``Model`` entries (docs/gemini-wire.md A6);
:meth:`ModelCatalog.openai` the OpenAI list of the ``generateContent`` models
(docs/openai-wire.md B4) and its bytes, cached with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from ..translate.response import models_list
from ..upstream.client import Upstream

__all__ = ["ModelCatalog"]


class ModelCatalog:
    """The model lists of one application; ``clock`` in seconds (monotonic)."""

    __slots__ = ("_clock", "_listing", "_models", "_ttl_s", "_upstream")

    def __init__(
        self, upstream: Upstream, ttl_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._upstream = upstream
        self._ttl_s = ttl_s
        self._clock = clock
        self._models: tuple[float, list[dict[str, Any]]] | None = None
        self._listing: tuple[float, dict[str, Any], bytes] | None = None

    async def upstream_models(self) -> list[dict[str, Any]]:
        """The upstream ``Model`` entries. Raises ProxyError."""
        cached = self._models
        now = self._clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        models = await self._upstream.list_models()
        self._models = (now + self._ttl_s, models)
        return models

    async def openai(self) -> tuple[dict[str, Any], bytes]:
        """The OpenAI list ``{"object": "list", "data": [...]}`` and its bytes."""
        cached = self._listing
        now = self._clock()
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        listing = models_list(await self.upstream_models(), int(time.time()))
        body = orjson.dumps(listing)
        self._listing = (now + self._ttl_s, listing, body)
        return listing, body

    def status(self) -> dict[str, Any]:
        """What is cached of the OpenAI list: ``{"cached", "count", "expires_in_s"}``."""
        cached = self._listing
        if cached is None:
            return {"cached": False, "count": 0, "expires_in_s": 0}
        return {
            "cached": True,
            "count": len(cached[1]["data"]),
            "expires_in_s": round(max(0.0, cached[0] - self._clock()), 3),
        }
