"""Model lists: ``GET {p}/models``, ``GET {p}/models/{id}`` (docs/openai-wire.md B4,
docs/breakages.md G1) and gemini-reverse's ``GET /api/models``.

The upstream list (A6) is fetched once per ``models_ttl_s`` (antigravity2api: "Model list is
cached") and shared by every route; only ``generateContent`` models are listed in the
OpenAI shape, so each listed id works in chat completions.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from aiohttp import web

from .state import JSON_HEADERS, State, json_response
from .translate.catalog import api_models
from .translate.errors import ProxyError
from .translate.response import models_list

__all__ = ["add_routes", "model_list", "upstream_models"]


async def upstream_models(state: State) -> list[dict[str, Any]]:
    """The upstream ``Model`` entries, cached ``models_ttl_s`` seconds."""
    cached = state.extra.get("upstream_models")
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]  # type: ignore[no-any-return]
    models = await state.upstream.list_models()
    state.extra["upstream_models"] = (now + state.settings.models_ttl_s, models)
    return models


async def model_list(state: State) -> tuple[dict[str, Any], bytes]:
    """The OpenAI list and its bytes (B4), cached with the upstream list."""
    cached = state.models_cache
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    listing = models_list(await upstream_models(state), int(time.time()))
    body = orjson.dumps(listing)
    state.models_cache = (now + state.settings.models_ttl_s, listing, body)
    return listing, body


def add_routes(app: web.Application, state: State) -> None:
    """Register the model routes the profile serves."""
    p = state.contract.prefix

    async def models(_request: web.Request) -> web.StreamResponse:
        """``GET {p}/models``: ``{"object": "list", "data": [...]}``."""
        _, body = await model_list(state)
        return web.Response(body=body, headers=JSON_HEADERS)

    async def model(request: web.Request) -> web.StreamResponse:
        """``GET {p}/models/{id}``: one entry, or 404 ``model_not_found``."""
        wanted = request.match_info["model"].removeprefix("models/")
        listing, _ = await model_list(state)
        for entry in listing["data"]:
            if entry["id"] == wanted:
                return json_response(entry)
        raise ProxyError(
            404,
            f"The model {wanted!r} does not exist",
            type="invalid_request_error",
            code="model_not_found",
            param="model",
        )

    async def api(_request: web.Request) -> web.StreamResponse:
        """000 ``GET /api/models``: models with type and categories."""
        return json_response(api_models(await upstream_models(state)))

    app.router.add_get(f"{p}/models", state.endpoint("models", models))
    app.router.add_get(f"{p}/models/{{model:.+}}", state.endpoint("models", model))
    if state.contract.serves("reverse"):
        app.router.add_get("/api/models", state.endpoint("reverse", api))
