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

import base64
import time
from typing import Any

import orjson
from aiohttp import web

from .routes_images import generate_images
from .routes_models import upstream_models
from .state import State, json_response
from .translate.catalog import model_type
from .translate.errors import ProxyError, RequestError, type_error
from .translate.fields import b64_bytes, number, opt_int, opt_str, req_str
from .translate.images import aspect_ratio
from .translate.media import sniff

__all__ = ["add_routes"]

SAMPLERS = ("Euler a", "Euler", "DPM++ 2M Karras", "DPM++ SDE Karras", "DDIM")


def _sd_model(model_id: str) -> dict[str, Any]:
    return {
        "title": model_id,
        "model_name": model_id,
        "hash": None,
        "sha256": None,
        "filename": f"{model_id}.gemini",
        "config": None,
    }


def add_routes(app: web.Application, state: State) -> None:
    """Register the SD WebUI routes when the profile serves them."""
    if not state.contract.serves("sd"):
        return
    options: dict[str, Any] = {
        "sd_model_checkpoint": state.settings.image_model,
        "samples_format": "png",
        "CLIP_stop_at_last_layers": 1,
    }

    async def image_models() -> list[str]:
        try:
            models = await upstream_models(state)
        except ProxyError:
            models = []
        names = [
            m["name"].removeprefix("models/")
            for m in models
            if isinstance(m.get("name"), str) and model_type(m["name"]) == "image"
        ]
        default = state.settings.image_model
        return names if default in names else [default, *names]

    async def generate(request: web.Request, *, img2img: bool) -> web.StreamResponse:
        body = await state.read_object(request)
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
        model = str(override.get("sd_model_checkpoint") or options["sd_model_checkpoint"])
        reference = None
        if img2img:
            images = body.get("init_images")
            if not isinstance(images, list) or not images:
                raise RequestError(
                    "init_images must be a non-empty array of base64 images",
                    param="init_images",
                )
            raw, mime = b64_bytes(images[0], "init_images[0]")
            reference = (mime or sniff(raw) or "image/png", base64.b64encode(raw).decode("ascii"))
        release = state.admit(request, model)
        try:
            got, text = await generate_images(
                state,
                model,
                prompt,
                count,
                reference=reference,
                ratio=aspect_ratio(f"{width}x{height}"),
                negative=negative,
            )
        finally:
            if release is not None:
                release()
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

    async def txt2img(request: web.Request) -> web.StreamResponse:
        return await generate(request, img2img=False)

    async def img2img(request: web.Request) -> web.StreamResponse:
        return await generate(request, img2img=True)

    async def sd_models(_request: web.Request) -> web.StreamResponse:
        return json_response([_sd_model(m) for m in await image_models()])

    async def get_options(_request: web.Request) -> web.StreamResponse:
        return json_response(options)

    async def set_options(request: web.Request) -> web.StreamResponse:
        body = await state.read_object(request)
        unknown = sorted(set(body) - set(options))
        if unknown:
            raise RequestError(
                f"unknown options {', '.join(unknown)}; known: {', '.join(options)}",
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
        options.update(body)
        return json_response(None)

    async def samplers(_request: web.Request) -> web.StreamResponse:
        return json_response([{"name": n, "aliases": [], "options": {}} for n in SAMPLERS])

    async def upscalers(_request: web.Request) -> web.StreamResponse:
        return json_response(
            [
                {
                    "name": "None",
                    "model_name": None,
                    "model_path": None,
                    "model_url": None,
                    "scale": 4,
                }
            ]
        )

    async def progress(_request: web.Request) -> web.StreamResponse:
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

    for method, path, fn in (
        ("POST", "txt2img", txt2img),
        ("POST", "img2img", img2img),
        ("GET", "sd-models", sd_models),
        ("GET", "options", get_options),
        ("POST", "options", set_options),
        ("GET", "samplers", samplers),
        ("GET", "upscalers", upscalers),
        ("GET", "progress", progress),
    ):
        app.router.add_route(method, f"/sdapi/v1/{path}", state.endpoint("sd", fn))
