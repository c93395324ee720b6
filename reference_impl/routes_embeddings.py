"""``POST {p}/embeddings`` (gemini-proxy-deno 'Embeddings', docs/openai-wire.md B4) via
the upstream's ``:batchEmbedContents`` (A6); translation in :mod:`.translate_embeddings`."""

from __future__ import annotations

from aiohttp import web

from .state import State, json_response
from .translate.embeddings import embeddings_request, embeddings_response

__all__ = ["add_routes"]


def add_routes(app: web.Application, state: State) -> None:
    """Register the embeddings route when the profile serves it."""
    if not state.contract.serves("embeddings"):
        return

    async def embeddings(request: web.Request) -> web.StreamResponse:
        call = embeddings_request(await state.read_object(request), state.settings.embedding_model)
        answer = await state.upstream.call(call.model, "batchEmbedContents", call.request)
        return json_response(embeddings_response(call, answer))

    app.router.add_post(
        f"{state.contract.prefix}/embeddings", state.endpoint("embeddings", embeddings)
    )
