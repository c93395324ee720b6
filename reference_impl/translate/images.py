"""Image generation requests and answers for the upstream's image models. Pure.

Two upstream shapes (docs/gemini-wire.md A6):

- Gemini image models (``gemini-2.5-flash-image``...): ``:generateContent`` with
  ``generationConfig.responseModalities: ["TEXT", "IMAGE"]``; images come back as
  ``inlineData`` parts; a reference image (edits, img2img) is sent as ``inlineData``
  after the prompt; ``size`` -> ``imageConfig.aspectRatio``;
- Imagen (``imagen-*``): ``:predict`` with ``{"instances": [{"prompt"}], "parameters":
  {"sampleCount", "aspectRatio"}}``, answered ``{"predictions": [{"bytesBase64Encoded",
  "mimeType"}]}`` (items with ``raiFilteredReason`` carry no image).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from .catalog import model_type
from .errors import ProxyError, RequestError
from .fields import b64_bytes
from .media import sniff

__all__ = [
    "Image",
    "ImageJob",
    "aspect_ratio",
    "image_job",
    "images_from_answer",
    "pick_image_model",
    "reference_image",
]

_RATIOS = {
    (1, 1): "1:1",
    (3, 4): "3:4",
    (4, 3): "4:3",
    (9, 16): "9:16",
    (16, 9): "16:9",
    (2, 3): "2:3",
    (3, 2): "3:2",
    (4, 5): "4:5",
    (5, 4): "5:4",
    (21, 9): "21:9",
}


@dataclass(frozen=True, slots=True)
class Image:
    """One generated image: MIME type and base64 data."""

    mime: str
    data: str

    def raw(self) -> bytes:
        return base64.b64decode(self.data)


@dataclass(frozen=True, slots=True)
class ImageJob:
    """One upstream call: ``model``, ``method`` (``generateContent`` or ``predict``) and
    the JSON ``payload``. ``count``: images it asks for."""

    model: str
    method: str
    payload: dict[str, Any]
    count: int


def pick_image_model(requested: object, default: str) -> str:
    """``requested`` when it names an image model (``*image*``, ``imagen-*``), else
    ``default`` (OpenAI names such as ``dall-e-3`` map to the proxy's image model)."""
    if isinstance(requested, str) and requested:
        name = requested.removeprefix("models/")
        if model_type(name) == "image":
            return name
    return default


def reference_image(value: object, param: str) -> tuple[str, str]:
    """``(mime, base64)`` of a base64 image field (raw base64 or a ``data:`` URL) to send
    as a reference image; the type is the URL's, else sniffed, else PNG. A 400 naming
    ``param`` when it is not base64."""
    raw, mime = b64_bytes(value, param)
    return mime or sniff(raw) or "image/png", base64.b64encode(raw).decode("ascii")


def aspect_ratio(size: object) -> str | None:
    """``"1792x1024"`` -> ``"16:9"`` (the nearest ratio Gemini takes); ``None`` for
    ``auto``/absent. Raises a 400 naming ``size`` for anything else."""
    if size is None or size == "auto":
        return None
    if not isinstance(size, str) or "x" not in size:
        raise RequestError(f"size must be WIDTHxHEIGHT or auto; got {size!r}", param="size")
    w, _, h = size.partition("x")
    if not (w.isdigit() and h.isdigit()) or int(w) == 0 or int(h) == 0:
        raise RequestError(f"size must be WIDTHxHEIGHT or auto; got {size!r}", param="size")
    target = int(w) / int(h)
    return min(_RATIOS.items(), key=lambda item: abs(item[0][0] / item[0][1] - target))[1]


def image_job(
    model: str,
    prompt: str,
    *,
    count: int = 1,
    reference: tuple[str, str] | None = None,
    ratio: str | None = None,
    negative: str = "",
) -> ImageJob:
    """The upstream call for ``count`` images of ``prompt`` (``reference``: ``(mime,
    base64)`` of an image to edit; ``negative``: what to avoid)."""
    text = prompt if not negative else f"{prompt}\n\nAvoid: {negative}"
    if model.startswith("imagen"):
        if reference is not None:
            raise RequestError(
                f"{model} cannot edit images; use a Gemini image model", param="model"
            )
        parameters: dict[str, Any] = {"sampleCount": count}
        if ratio:
            parameters["aspectRatio"] = ratio
        return ImageJob(
            model, "predict", {"instances": [{"prompt": text}], "parameters": parameters}, count
        )
    parts: list[dict[str, Any]] = [{"text": text}]
    if reference is not None:
        parts.append({"inlineData": {"mimeType": reference[0], "data": reference[1]}})
    config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
    if ratio:
        config["imageConfig"] = {"aspectRatio": ratio}
    payload = {"contents": [{"role": "user", "parts": parts}], "generationConfig": config}
    return ImageJob(model, "generateContent", payload, 1)


def images_from_answer(answer: object) -> tuple[list[Image], str]:
    """The images of a ``generateContent`` or ``predict`` answer, and any text the model
    said with them. A blocked or empty answer raises a 400 ``content_filter``-style
    error (never a 500)."""
    images: list[Image] = []
    text: list[str] = []
    blocked = ""
    if isinstance(answer, dict):
        for pred in answer.get("predictions") or ():
            if not isinstance(pred, dict):
                continue
            data = pred.get("bytesBase64Encoded")
            if isinstance(data, str) and data:
                images.append(Image(str(pred.get("mimeType") or "image/png"), data))
            elif pred.get("raiFilteredReason"):
                blocked = str(pred["raiFilteredReason"])
        for cand in answer.get("candidates") or ():
            if not isinstance(cand, dict):
                continue
            content = cand.get("content")
            parts = content.get("parts") if isinstance(content, dict) else None
            for part in parts if isinstance(parts, list) else ():
                if not isinstance(part, dict) or part.get("thought"):
                    continue
                inline = part.get("inlineData")
                if isinstance(inline, dict) and isinstance(inline.get("data"), str):
                    mime = str(inline.get("mimeType") or "image/png")
                    if mime.startswith("image/"):
                        images.append(Image(mime, inline["data"]))
                elif isinstance(part.get("text"), str):
                    text.append(part["text"])
            reason = cand.get("finishReason")
            if not images and isinstance(reason, str) and reason not in ("STOP", "MAX_TOKENS"):
                blocked = reason
        feedback = answer.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            blocked = str(feedback["blockReason"])
    if not images:
        why = f" ({blocked})" if blocked else ""
        raise ProxyError(
            400,
            f"the model returned no image{why}",
            type="invalid_request_error",
            code="content_filter" if blocked else "no_image",
        )
    return images, "".join(text)
