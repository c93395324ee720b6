"""Stable Diffusion WebUI compatible API (antigravity2api 'SD WebUI Compatible API'), no client key.

The shapes are AUTOMATIC1111's, which SD clients parse:

- ``POST /sdapi/v1/txt2img`` ``{prompt, negative_prompt, steps, width, height,
  batch_size, n_iter, override_settings}`` and ``POST /sdapi/v1/img2img`` (plus
  ``init_images: [base64]``) -> ``{"images": [base64...], "parameters": {...the request},
  "info": "<JSON string>"}``; ``width``/``height`` pick the aspect ratio, ``batch_size``
  x ``n_iter`` (at most 4) the number of images, the model is the options' (or the
  request's ``override_settings``) ``sd_model_checkpoint``;
- ``GET /sdapi/v1/sd-models`` (the upstream's image models), ``GET|POST
  /sdapi/v1/options``, ``GET /sdapi/v1/samplers``, ``/upscalers``, ``/progress``.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from aiohttp import web

from ..server.appkeys import CONTRACT, ENDPOINTS, LIMITS, MODELS, SETTINGS, UPSTREAM
from ..server.http import json_response, read_object
from ..server.limits import Limits
from ..server.models import ModelCatalog
from ..translate.catalog import model_type
from ..translate.errors import ProxyError, RequestError, type_error
from ..translate.fields import number, opt_int, opt_str, req_str
from ..translate.images import aspect_ratio, reference_image
from ..upstream.client import Upstream
from ..upstream.images import generate_images

__all__ = ["SAMPLERS", "StableDiffusionRoutes", "add_routes"]

SAMPLERS = ("Euler a", "Euler", "DPM++ 2M Karras", "DPM++ SDE Karras", "DDIM")
_UPSCALERS = [
    {"name": "None", "model_name": None, "model_path": None, "model_url": None, "scale": 4}
]


def _sd_model(model_id: str) -> dict[str, Any]:
    return {
        "title": model_id,
        "model_name": model_id,
        "hash": None,
        "sha256": None,
        "filename": f"{model_id}.gemini",
        "config": None,
    }


class StableDiffusionRoutes:
    """The SD WebUI handlers, bound to the upstream, the model catalog, the rate limits and
    the default image model; they keep the WebUI options (``sd_model_checkpoint``...)."""

    __slots__ = ("_catalog", "_default", "_limits", "_upstream", "options")

    def __init__(
        self, upstream: Upstream, catalog: ModelCatalog, limits: Limits, *, image_model: str
    ) -> None:
        self._upstream = upstream
        self._catalog = catalog
        self._limits = limits
        self._default = image_model
        self.options: dict[str, Any] = {
            "sd_model_checkpoint": image_model,
            "samples_format": "png",
            "CLIP_stop_at_last_layers": 1,
        }

    async def txt2img(self, request: web.Request) -> web.StreamResponse:
        """``POST /sdapi/v1/txt2img``."""
        return await self._generate(request, img2img=False)

    async def img2img(self, request: web.Request) -> web.StreamResponse:
        """``POST /sdapi/v1/img2img``."""
        return await self._generate(request, img2img=True)

    async def sd_models(self, _request: web.Request) -> web.StreamResponse:
        """``GET /sdapi/v1/sd-models``: the default image model and the upstream's."""
        return json_response([_sd_model(m) for m in await self._image_models()])

    async def get_options(self, _request: web.Request) -> web.StreamResponse:
        """``GET /sdapi/v1/options``."""
        return json_response(self.options)

    async def set_options(self, request: web.Request) -> web.StreamResponse:
        """``POST /sdapi/v1/options``: known options only; the checkpoint must be an image
        model."""
        body = await read_object(request)
        unknown = sorted(set(body) - set(self.options))
        if unknown:
            raise RequestError(
                f"unknown options {', '.join(unknown)}; known: {', '.join(self.options)}",
                param=unknown[0],
            )
        checkpoint = body.get("sd_model_checkpoint")
        if checkpoint is not None and (
            not isinstance(checkpoint, str) or model_type(checkpoint) != "image"
        ):
            raise RequestError(
                f"sd_model_checkpoint must name an image model; got {checkpoint!r}",
                param="sd_model_checkpoint",
            )
        self.options.update(body)
        return json_response(None)

    async def samplers(self, _request: web.Request) -> web.StreamResponse:
        """``GET /sdapi/v1/samplers``."""
        return json_response([{"name": n, "aliases": [], "options": {}} for n in SAMPLERS])

    async def upscalers(self, _request: web.Request) -> web.StreamResponse:
        """``GET /sdapi/v1/upscalers``."""
        return json_response(_UPSCALERS)

    async def progress(self, _request: web.Request) -> web.StreamResponse:
        """``GET /sdapi/v1/progress``: always idle (images are made within the request)."""
        return json_response(
            {
                "progress": 0.0,
                "eta_relative": 0.0,
                "state": {
                    "skipped": False,
                    "interrupted": False,
                    "job": "",
                    "job_count": 0,
                    "job_timestamp": time.strftime("%Y%m%d%H%M%S"),
                    "job_no": 0,
                    "sampling_step": 0,
                    "sampling_steps": 0,
                },
                "current_image": None,
                "textinfo": None,
            }
        )

    async def _image_models(self) -> list[str]:
        try:
            models = await self._catalog.upstream_models()
        except ProxyError:
            models = []
        names = [
            m["name"].removeprefix("models/")
            for m in models
            if isinstance(m.get("name"), str) and model_type(m["name"]) == "image"
        ]
        return names if self._default in names else [self._default, *names]

    async def _generate(self, request: web.Request, *, img2img: bool) -> web.StreamResponse:
        body = await read_object(request)
        prompt = req_str(body, "prompt")
        negative = opt_str(body, "negative_prompt", "")
        count = opt_int(body, "batch_size", 1, 1, 4) * opt_int(body, "n_iter", 1, 1, 4)
        if count > 4:
            raise RequestError(
                f"batch_size x n_iter must be at most 4; got {count}", param="batch_size"
            )
        width = opt_int(body, "width", 512, 64, 4096)
        height = opt_int(body, "height", 512, 64, 4096)
        number(body, "cfg_scale", 7.0, 0.0, 30.0)
        override = body.get("override_settings") or {}
        if not isinstance(override, dict):
            raise type_error("override_settings", "an object", override)
        model = str(override.get("sd_model_checkpoint") or self.options["sd_model_checkpoint"])
        reference = None
        if img2img:
            images = body.get("init_images")
            if not isinstance(images, list) or not images:
                raise RequestError(
                    "init_images must be a non-empty array of base64 images",
                    param="init_images",
                )
            reference = reference_image(images[0], "init_images[0]")
        with self._limits.slot(request, model):
            got, text = await generate_images(
                self._upstream,
                model,
                prompt,
                count,
                reference=reference,
                ratio=aspect_ratio(f"{width}x{height}"),
                negative=negative,
            )
        info = {
            "prompt": prompt,
            "all_prompts": [prompt] * len(got),
            "negative_prompt": negative,
            "seed": body.get("seed", -1),
            "width": width,
            "height": height,
            "sampler_name": body.get("sampler_name") or SAMPLERS[0],
            "steps": body.get("steps", 20),
            "sd_model_name": model,
            "job_timestamp": time.strftime("%Y%m%d%H%M%S"),
            "infotexts": [text or prompt] * len(got),
        }
        return json_response(
            {
                "images": [img.data for img in got],
                "parameters": {k: v for k, v in body.items() if k != "init_images"},
                "info": orjson.dumps(info).decode(),
            }
        )


def add_routes(app: web.Application) -> None:
    """Register the SD WebUI routes when the profile serves them."""
    if not app[CONTRACT].serves("sd"):
        return
    routes = StableDiffusionRoutes(
        app[UPSTREAM], app[MODELS], app[LIMITS], image_model=app[SETTINGS].image_model
    )
    wrap = app[ENDPOINTS].wrap
    for method, path, handler in (
        ("POST", "txt2img", routes.txt2img),
        ("POST", "img2img", routes.img2img),
        ("GET", "sd-models", routes.sd_models),
        ("GET", "options", routes.get_options),
        ("POST", "options", routes.set_options),
        ("GET", "samplers", routes.samplers),
        ("GET", "upscalers", routes.upscalers),
        ("GET", "progress", routes.progress),
    ):
        app.router.add_route(method, f"/sdapi/v1/{path}", wrap("sd", handler))
