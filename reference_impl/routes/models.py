"""Model lists: ``GET {p}/models``, ``GET {p}/models/{id}`` (docs/openai-wire.md B4,
docs/breakages.md G1) and gemini-reverse's ``GET /api/models``.

The lists come from the application's :class:`~reference_impl.server.models.ModelCatalog`
(fetched once per ``models_ttl_s``); only ``generateContent`` models are listed in the
OpenAI shape, so each listed id works in chat completions.
"""

from __future__ import annotations

from aiohttp import web

from ..server.appkeys import CONTRACT, ENDPOINTS, MODELS
from ..server.http import JSON_HEADERS, json_response
from ..server.models import ModelCatalog
from ..translate.catalog import api_models
from ..translate.errors import ProxyError

__all__ = ["ModelRoutes", "add_routes"]


class ModelRoutes:
    """The model list handlers, bound to the application's model catalog."""

    __slots__ = ("_catalog",)

    def __init__(self, catalog: ModelCatalog) -> None:
        self._catalog = catalog

    async def models(self, _request: web.Request) -> web.StreamResponse:
        """``GET {p}/models``: ``{"object": "list", "data": [...]}``."""
        _, body = await self._catalog.openai()
        return web.Response(body=body, headers=JSON_HEADERS)

    async def model(self, request: web.Request) -> web.StreamResponse:
        """``GET {p}/models/{id}``: one entry, or 404 ``model_not_found``."""
        wanted = request.match_info["model"].removeprefix("models/")
        listing, _ = await self._catalog.openai()
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

    async def api(self, _request: web.Request) -> web.StreamResponse:
        """000 ``GET /api/models``: models with type and categories."""
        return json_response(api_models(await self._catalog.upstream_models()))


def add_routes(app: web.Application) -> None:
    """Register the model routes the profile serves."""
    contract, wrap = app[CONTRACT], app[ENDPOINTS].wrap
    routes = ModelRoutes(app[MODELS])
    p = contract.prefix
    app.router.add_get(f"{p}/models", wrap("models", routes.models))
    app.router.add_get(f"{p}/models/{{model:.+}}", wrap("models", routes.model))
    if contract.serves("reverse"):
        app.router.add_get("/api/models", wrap("reverse", routes.api))
