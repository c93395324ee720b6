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

Images come from the upstream image model (:mod:`.translate_images`); ``url`` answers
point at ``/images/{file}`` under ``--public-url`` (or this request's host).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import time
from collections import OrderedDict
from typing import Any

from aiohttp import web

from .state import State, json_response
from .translate.errors import ProxyError, RequestError
from .translate.fields import b64_bytes, choice, opt_int, req_str, str_list
from .translate.images import Image, aspect_ratio, image_job, images_from_answer, pick_image_model
from .translate.media import sniff

__all__ = ["add_routes", "generate_images"]

log = logging.getLogger("reference_impl")

_MAX_BATCHES = 256


async def generate_images(
    state: State,
    model: str,
    prompt: str,
    count: int,
    *,
    reference: tuple[str, str] | None = None,
    ratio: str | None = None,
    negative: str = "",
) -> tuple[list[Image], str]:
    """``count`` images (and the model's text) from ``model``: one ``predict`` call for
    Imagen, else ``count`` parallel ``generateContent`` calls."""
    job = image_job(model, prompt, count=count, reference=reference, ratio=ratio, negative=negative)
    calls = 1 if job.count == count else count
    answers = await asyncio.gather(
        *(state.upstream.call(job.model, job.method, job.payload) for _ in range(calls))
    )
    images: list[Image] = []
    texts: list[str] = []
    for answer in answers:
        got, text = images_from_answer(answer)
        images.extend(got)
        if text:
            texts.append(text)
    return images[:count], "\n".join(texts)


def _reference(value: object, param: str) -> tuple[str, str]:
    raw, mime = b64_bytes(value, param)
    return mime or sniff(raw) or "image/png", base64.b64encode(raw).decode("ascii")


class _Batches:
    """000 batch jobs, newest :data:`_MAX_BATCHES` kept, run in background tasks."""

    def __init__(self) -> None:
        self.jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def add_routes(app: web.Application, state: State) -> None:
    """Register the image routes the profile serves."""
    contract = state.contract
    default_model = state.settings.image_model

    def deliver(request: web.Request, image: Image, as_url: bool) -> str:
        if not as_url:
            return image.data
        name = state.images.save(image.raw(), image.mime)
        return f"{state.public_base(request)}/images/{name}"

    async def generations(request: web.Request) -> web.StreamResponse:
        body = await state.read_object(request)
        prompt = req_str(body, "prompt")
        n = opt_int(body, "n", 1, 1, 10)
        fmt = choice(body, "response_format", ("url", "b64_json"), "url")
        model = pick_image_model(body.get("model"), default_model)
        release = state.admit(request, model)
        try:
            images, text = await generate_images(
                state, model, prompt, n, ratio=aspect_ratio(body.get("size"))
            )
        finally:
            if release is not None:
                release()
        key = "url" if fmt == "url" else "b64_json"
        data = [
            {key: deliver(request, img, fmt == "url"), "revised_prompt": text or prompt}
            for img in images
        ]
        return json_response({"created": int(time.time()), "data": data})

    async def simple(request: web.Request, *, edit: bool) -> web.StreamResponse:
        body = await state.read_object(request)
        prompt = req_str(body, "prompt")
        count = 1 if edit else opt_int(body, "count", 1, 1, 4)
        as_url = choice(body, "response_type", ("base64", "url"), "base64") == "url"
        reference = None
        if edit or body.get("image") is not None:
            if body.get("image") is None:
                raise RequestError(
                    "image is required", param="image", code="missing_required_parameter"
                )
            reference = _reference(body.get("image"), "image")
        model = pick_image_model(body.get("model"), default_model)
        release = state.admit(request, model)
        try:
            images, _ = await generate_images(state, model, prompt, count, reference=reference)
        finally:
            if release is not None:
                release()
        return json_response(
            {"images": [deliver(request, img, as_url) for img in images], "model": model}
        )

    async def generate_images_route(request: web.Request) -> web.StreamResponse:
        return await simple(request, edit=False)

    async def edit_route(request: web.Request) -> web.StreamResponse:
        return await simple(request, edit=True)

    batches = _Batches()
    state.closers.append(batches.close)

    async def run_batch(
        base: str, batch_id: str, prompts: list[str], as_url: bool, workers: int
    ) -> None:
        job = batches.jobs[batch_id]
        gate = asyncio.Semaphore(workers)

        async def one(i: int, prompt: str) -> None:
            task_id = f"{batch_id}_task_{i}"
            async with gate:
                try:
                    images, _ = await generate_images(state, default_model, prompt, 1)
                    image = images[0]
                    if as_url:
                        name = state.images.save(image.raw(), image.mime)
                        job["results"].append({"task_id": task_id, "url": f"{base}/images/{name}"})
                    else:
                        job["results"].append({"task_id": task_id, "base64": image.data})
                    job["completed"] += 1
                except ProxyError as err:
                    job["errors"].append({"task_id": task_id, "error": err.message})
                    job["failed"] += 1
                except Exception as exc:  # a bug must not leave the batch pending forever
                    log.exception("batch task %s failed", task_id)
                    job["errors"].append({"task_id": task_id, "error": repr(exc)})
                    job["failed"] += 1
                job["pending"] -= 1
                if not job["pending"]:  # the last one settles the batch, in the same step
                    job["status"] = "completed" if job["completed"] else "failed"

        await asyncio.gather(*(one(i, p) for i, p in enumerate(prompts)))

    async def batch(request: web.Request) -> web.StreamResponse:
        body = await state.read_object(request)
        prompts = str_list(body, "prompts", max_items=100)
        as_url = choice(body, "response_type", ("base64", "url"), "url") == "url"
        workers = opt_int(body, "concurrency", 2, 1, 2)
        batch_id = f"batch_{secrets.token_hex(4)}"
        batches.jobs[batch_id] = {
            "batch_id": batch_id,
            "total": len(prompts),
            "completed": 0,
            "failed": 0,
            "pending": len(prompts),
            "status": "processing",
            "results": [],
            "errors": [],
        }
        while len(batches.jobs) > _MAX_BATCHES:
            batches.jobs.popitem(last=False)
        task = asyncio.create_task(
            run_batch(state.public_base(request), batch_id, prompts, as_url, workers)
        )
        batches.tasks.add(task)
        task.add_done_callback(batches.tasks.discard)
        return json_response(
            {
                "batch_id": batch_id,
                "total": len(prompts),
                "status": "processing",
                "message": f"Batch job created, processing with {workers} concurrent workers",
            },
            status=202,
        )

    async def batch_status(request: web.Request) -> web.StreamResponse:
        batch_id = request.match_info["batch_id"]
        job = batches.jobs.get(batch_id)
        if job is None:
            raise ProxyError(
                404,
                f"batch {batch_id!r} not found",
                type="invalid_request_error",
                code="not_found",
            )
        done = job["completed"] + job["failed"]
        return json_response(
            {
                **job,
                "progress": f"{100 * done / job['total']:.1f}%",
                "results": list(job["results"]),
                "errors": list(job["errors"]),
            }
        )

    async def served(request: web.Request) -> web.StreamResponse:
        found = state.images.path(request.match_info["file"])
        if found is None:
            raise ProxyError(404, "no such image", type="invalid_request_error", code="not_found")
        path, ctype = found
        return web.FileResponse(
            path, headers={"Content-Type": ctype, "Cache-Control": "max-age=86400"}
        )

    if contract.serves("images"):
        app.router.add_post("/v1/images/generations", state.endpoint("images", generations))
    if contract.serves("reverse"):
        app.router.add_post("/v1/generate-images", state.endpoint("reverse", generate_images_route))
        app.router.add_post("/v1/images/edit", state.endpoint("reverse", edit_route))
        app.router.add_post("/v1/batch/images", state.endpoint("reverse", batch))
        app.router.add_get("/v1/batch/{batch_id}/status", state.endpoint("reverse", batch_status))
    if contract.serves("served_images"):
        app.router.add_get("/images/{file}", state.endpoint("served_images", served))
