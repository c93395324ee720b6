"""gemini-reverse's image batch jobs (``POST /v1/batch/images``, ``GET
/v1/batch/{id}/status``): each prompt of a job makes one image of the default image
model, at most ``workers`` at once, in a background task; the newest
:data:`MAX_BATCHES` jobs are kept, and :meth:`BatchJobs.close` cancels the running ones.

A job is the status document gemini-reverse answers: ``{"batch_id", "total", "completed",
"failed", "pending", "status" (processing, then completed, or failed when no image was
made), "results": [{"task_id", "url" | "base64"}], "errors": [{"task_id", "error"}]}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from ..translate.errors import ProxyError
from ..upstream.client import Upstream
from ..upstream.images import generate_images
from .images import ServedImages

__all__ = ["MAX_BATCHES", "BatchJobs"]

log = logging.getLogger("reference_impl")

MAX_BATCHES = 256


class BatchJobs:
    """The batch jobs of one application, making images of ``model``."""

    __slots__ = ("_images", "_jobs", "_model", "_tasks", "_upstream")

    def __init__(self, upstream: Upstream, images: ServedImages, model: str) -> None:
        self._upstream = upstream
        self._images = images
        self._model = model
        self._jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, base: str, prompts: list[str], *, as_url: bool, workers: int) -> str:
        """Start a job (URLs under ``base`` when ``as_url``, else base64); its id."""
        batch_id = f"batch_{secrets.token_hex(4)}"
        job: dict[str, Any] = {
            "batch_id": batch_id,
            "total": len(prompts),
            "completed": 0,
            "failed": 0,
            "pending": len(prompts),
            "status": "processing",
            "results": [],
            "errors": [],
        }
        self._jobs[batch_id] = job
        while len(self._jobs) > MAX_BATCHES:
            self._jobs.popitem(last=False)
        gate = asyncio.Semaphore(workers)
        task = asyncio.create_task(self._run(job, gate, base, prompts, as_url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return batch_id

    def status(self, batch_id: str) -> dict[str, Any] | None:
        """The job's status document with its ``progress`` (``"50.0%"``), or ``None``."""
        job = self._jobs.get(batch_id)
        if job is None:
            return None
        done = job["completed"] + job["failed"]
        return {
            **job,
            "progress": f"{100 * done / job['total']:.1f}%",
            "results": list(job["results"]),
            "errors": list(job["errors"]),
        }

    async def lifespan(self, _app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: :meth:`close` at cleanup."""
        yield
        await self.close()

    async def close(self) -> None:
        """Cancel the running jobs and wait for them."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(
        self,
        job: dict[str, Any],
        gate: asyncio.Semaphore,
        base: str,
        prompts: list[str],
        as_url: bool,
    ) -> None:
        await asyncio.gather(
            *(self._one(job, gate, i, p, base, as_url) for i, p in enumerate(prompts))
        )

    async def _one(
        self,
        job: dict[str, Any],
        gate: asyncio.Semaphore,
        i: int,
        prompt: str,
        base: str,
        as_url: bool,
    ) -> None:
        task_id = f"{job['batch_id']}_task_{i}"
        async with gate:
            try:
                images, _ = await generate_images(self._upstream, self._model, prompt, 1)
                image = images[0]
                if as_url:
                    job["results"].append(
                        {"task_id": task_id, "url": self._images.url(base, image)}
                    )
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
