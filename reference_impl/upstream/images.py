"""Images from the upstream image model (:mod:`reference_impl.translate.images` builds the
calls and reads the answers): one ``predict`` call for Imagen, else one
``generateContent`` call per image, in parallel."""

from __future__ import annotations

import asyncio

from ..translate.images import Image, image_job, images_from_answer
from .client import Upstream

__all__ = ["generate_images"]


async def generate_images(
    upstream: Upstream,
    model: str,
    prompt: str,
    count: int,
    *,
    reference: tuple[str, str] | None = None,
    ratio: str | None = None,
    negative: str = "",
) -> tuple[list[Image], str]:
    """At most ``count`` images from ``model`` and the model's text (joined by newlines).
    ``reference``: ``(mime, base64)`` of an image to edit; ``ratio``: ``"16:9"``...;
    ``negative``: what the image must not show. Raises ProxyError."""
    job = image_job(model, prompt, count=count, reference=reference, ratio=ratio, negative=negative)
    calls = 1 if job.count == count else count
    answers = await asyncio.gather(
        *(upstream.call(job.model, job.method, job.payload) for _ in range(calls))
    )
    images: list[Image] = []
    texts: list[str] = []
    for answer in answers:
        got, text = images_from_answer(answer)
        images.extend(got)
        if text:
            texts.append(text)
    return images[:count], "\n".join(texts)
