"""Image routes (gemini-reverse sections 4 and 8, antigravity2api 'Image Generation',
docs/openai-wire.md B4).

==================================  ==========================================================
route                               shape
==================================  ==========================================================
``POST /v1/images/generations``     OpenAI: ``{prompt, n, size, response_format url|b64_json,
                                    model}`` -> ``{"created", "data": [{"url"|"b64_json",
                                    "revised_prompt"}]}``
``POST /v1/generate-images``        gemini-reverse: ``{prompt, count 1-4, response_type base64|url,
                                    image}`` -> ``{"images": [...], "model"}``
``POST /v1/images/edit``            gemini-reverse: ``{prompt, image, response_type}`` -> same
``POST /v1/batch/images``           gemini-reverse: ``{prompts, response_type (url),
                                    concurrency <= 2}``
                                    -> 202 ``{"batch_id", "total", "status", "message"}``
``GET /v1/batch/{id}/status``       gemini-reverse: ``{"batch_id", "total", "completed", "failed",
                                    "pending", "progress", "status", "results", "errors"}``
``GET /images/{file}``              a generated image (antigravity2api), no key
==================================  ==========================================================

Images come from the upstream image model (:mod:`reference_impl.upstream.images`);
``url`` answers point at ``/images/{file}`` under ``--public-url`` (or this request's host).
"""

from __future__ import annotations

import time

from aiohttp import web

from ..server.appkeys import CONTRACT, ENDPOINTS, IMAGES, LIMITS, SETTINGS, UPSTREAM
from ..server.batches import BatchJobs
from ..server.http import json_response, public_base, read_object
from ..server.images import ServedImages
from ..server.limits import Limits
from ..translate.errors import ProxyError, RequestError
from ..translate.fields import choice, opt_int, req_str, str_list
from ..translate.images import aspect_ratio, pick_image_model, reference_image
from ..upstream.client import Upstream
from ..upstream.images import generate_images

__all__ = ["ImageRoutes", "add_routes"]


class ImageRoutes:
    """The image handlers, bound to the upstream, the served images, the rate limits,
    the batch jobs and the default image model."""

    __slots__ = ("_batches", "_images", "_limits", "_model", "_upstream")

    def __init__(
        self,
        upstream: Upstream,
        images: ServedImages,
        limits: Limits,
        batches: BatchJobs,
        *,
        default_model: str,
    ) -> None:
        self._upstream = upstream
        self._images = images
        self._limits = limits
        self._batches = batches
        self._model = default_model

    async def generations(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/images/generations`` (OpenAI)."""
        body = await read_object(request)
        prompt = req_str(body, "prompt")
        n = opt_int(body, "n", 1, 1, 10)
        fmt = choice(body, "response_format", ("url", "b64_json"), "url")
        model = pick_image_model(body.get("model"), self._model)
        with self._limits.slot(request, model):
            images, text = await generate_images(
                self._upstream, model, prompt, n, ratio=aspect_ratio(body.get("size"))
            )
        key = "url" if fmt == "url" else "b64_json"
        data = [
            {
                key: self._images.deliver(request, img, as_url=fmt == "url"),
                "revised_prompt": text or prompt,
            }
            for img in images
        ]
        return json_response({"created": int(time.time()), "data": data})

    async def generate(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/generate-images`` (gemini-reverse)."""
        return await self._simple(request, edit=False)

    async def edit(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/images/edit`` (gemini-reverse)."""
        return await self._simple(request, edit=True)

    async def _simple(self, request: web.Request, *, edit: bool) -> web.StreamResponse:
        body = await read_object(request)
        prompt = req_str(body, "prompt")
        count = 1 if edit else opt_int(body, "count", 1, 1, 4)
        as_url = choice(body, "response_type", ("base64", "url"), "base64") == "url"
        reference = None
        if edit or body.get("image") is not None:
            if body.get("image") is None:
                raise RequestError(
                    "image is required", param="image", code="missing_required_parameter"
                )
            reference = reference_image(body.get("image"), "image")
        model = pick_image_model(body.get("model"), self._model)
        with self._limits.slot(request, model):
            images, _ = await generate_images(
                self._upstream, model, prompt, count, reference=reference
            )
        return json_response(
            {
                "images": [self._images.deliver(request, img, as_url=as_url) for img in images],
                "model": model,
            }
        )

    async def batch(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/batch/images`` (gemini-reverse): 202 and the job's id."""
        body = await read_object(request)
        prompts = str_list(body, "prompts", max_items=100)
        as_url = choice(body, "response_type", ("base64", "url"), "url") == "url"
        workers = opt_int(body, "concurrency", 2, 1, 2)
        batch_id = self._batches.start(
            public_base(request), prompts, as_url=as_url, workers=workers
        )
        return json_response(
            {
                "batch_id": batch_id,
                "total": len(prompts),
                "status": "processing",
                "message": f"Batch job created, processing with {workers} concurrent workers",
            },
            status=202,
        )

    async def batch_status(self, request: web.Request) -> web.StreamResponse:
        """``GET /v1/batch/{id}/status`` (gemini-reverse), or 404."""
        batch_id = request.match_info["batch_id"]
        status = self._batches.status(batch_id)
        if status is None:
            raise ProxyError(
                404,
                f"batch {batch_id!r} not found",
                type="invalid_request_error",
                code="not_found",
            )
        return json_response(status)

    async def served(self, request: web.Request) -> web.StreamResponse:
        """``GET /images/{file}`` (antigravity2api): the file, or 404."""
        found = self._images.store.path(request.match_info["file"])
        if found is None:
            raise ProxyError(404, "no such image", type="invalid_request_error", code="not_found")
        path, ctype = found
        return web.FileResponse(
            path, headers={"Content-Type": ctype, "Cache-Control": "max-age=86400"}
        )


def add_routes(app: web.Application) -> None:
    """Register the image routes the profile serves."""
    contract = app[CONTRACT]
    upstream, images, model = app[UPSTREAM], app[IMAGES], app[SETTINGS].image_model
    batches = BatchJobs(upstream, images, model)
    app.cleanup_ctx.append(batches.lifespan)
    routes = ImageRoutes(upstream, images, app[LIMITS], batches, default_model=model)
    wrap = app[ENDPOINTS].wrap
    if contract.serves("images"):
        app.router.add_post("/v1/images/generations", wrap("images", routes.generations))
    if contract.serves("reverse"):
        app.router.add_post("/v1/generate-images", wrap("reverse", routes.generate))
        app.router.add_post("/v1/images/edit", wrap("reverse", routes.edit))
        app.router.add_post("/v1/batch/images", wrap("reverse", routes.batch))
        app.router.add_get("/v1/batch/{batch_id}/status", wrap("reverse", routes.batch_status))
    if contract.serves("served_images"):
        app.router.add_get("/images/{file}", wrap("served_images", routes.served))
