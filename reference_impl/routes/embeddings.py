"""``POST {p}/embeddings`` (gemini-proxy-deno 'Embeddings', docs/openai-wire.md B4) via
the upstream's ``:batchEmbedContents`` (A6); translation in
:mod:`reference_impl.translate.embeddings`."""

from __future__ import annotations

from aiohttp import web

from ..server.appkeys import CONTRACT, ENDPOINTS, SETTINGS, UPSTREAM
from ..server.http import json_response, read_object
from ..translate.embeddings import embeddings_request, embeddings_response
from ..upstream.client import Upstream

__all__ = ["EmbeddingRoutes", "add_routes"]


class EmbeddingRoutes:
    """The embeddings handler, bound to the upstream and the default embedding model."""

    __slots__ = ("_model", "_upstream")

    def __init__(self, upstream: Upstream, default_model: str) -> None:
        self._upstream = upstream
        self._model = default_model

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        """``POST {p}/embeddings``: ``{"object": "list", "data": [...], "model", "usage"}``."""
        call = embeddings_request(await read_object(request), self._model)
        answer = await self._upstream.call(call.model, "batchEmbedContents", call.request)
        return json_response(embeddings_response(call, answer))


def add_routes(app: web.Application) -> None:
    """Register the embeddings route when the profile serves it."""
    contract = app[CONTRACT]
    if not contract.serves("embeddings"):
        return
    routes = EmbeddingRoutes(app[UPSTREAM], app[SETTINGS].embedding_model)
    app.router.add_post(
        f"{contract.prefix}/embeddings", app[ENDPOINTS].wrap("embeddings", routes.embeddings)
    )
