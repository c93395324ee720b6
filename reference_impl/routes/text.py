"""gemini-reverse's ``/v1/generate``, ``/v1/documents/{analyze,extract}`` and
``/v1/design/{analyze,to-code}`` (sections 3, 6, 7); shapes in
:mod:`reference_impl.translate.text`.

Documents and designs are ``multipart/form-data`` with a ``file`` field; a body that
is not multipart, a form the profile's document rejects (a missing file, an unknown
``detail_level``...), a PDF pypdf cannot read or an image of unknown type is a 400 in the
profile's envelope.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import BodyPartReader, web

from ..server.appkeys import CONTRACT, DOCUMENT, ENDPOINTS, LIMITS, SETTINGS, UPSTREAM
from ..server.document import DocumentCheck
from ..server.http import json_response, read_object
from ..server.limits import Limits
from ..translate.errors import RequestError
from ..translate.fields import choice, model_id, req_str
from ..translate.media import sniff
from ..translate.text import (
    DESIGN_SCHEMA,
    DETAIL,
    TABLES_SCHEMA,
    answer_text,
    design_result,
    pdf_info,
    prompt_payload,
    strip_fences,
    tables_result,
)
from ..upstream.client import Upstream

__all__ = ["TextRoutes", "add_routes"]

_TEXT_MODEL = "gemini-2.5-flash"


def _image_media(data: bytes, ctype: str) -> tuple[str, str]:
    """``(mime, base64)`` of an uploaded image: sniffed, else its declared type."""
    mime = sniff(data)
    if mime is None or not mime.startswith("image/"):
        mime = ctype if ctype.startswith("image/") else None
    if mime is None:
        raise RequestError("file must be a PNG, JPEG, GIF or WebP image", param="file")
    return mime, base64.b64encode(data).decode("ascii")


def _pdf_media(data: bytes) -> tuple[str, str]:
    return "application/pdf", base64.b64encode(data).decode("ascii")


class TextRoutes:
    """gemini-reverse's text, document and design handlers, bound to the upstream, the rate
    limits, the document's checks (of parsed forms), the model and the upload limit."""

    __slots__ = ("_document", "_limits", "_max_bytes", "_model", "_upstream")

    def __init__(
        self,
        upstream: Upstream,
        limits: Limits,
        document: DocumentCheck,
        *,
        model: str,
        max_upload_bytes: int,
    ) -> None:
        self._upstream = upstream
        self._limits = limits
        self._document = document
        self._model = model
        self._max_bytes = max_upload_bytes

    async def generate(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/generate``: ``{"text", "model"}``."""
        body = await read_object(request)
        prompt = req_str(body, "prompt")
        model = model_id(body, self._model)
        return json_response(
            {"text": await self._ask(request, model, prompt_payload(prompt)), "model": model}
        )

    async def analyze(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/documents/analyze``: ``{"analysis", "pages", "model"}``."""
        fields, data, _ = await self._form(request)
        info = pdf_info(data, with_text=False)
        detail = choice(fields, "detail_level", tuple(DETAIL), "medium")
        prompt = fields.get("prompt") or "Summarize the main points of this document."
        analysis = await self._ask(
            request, self._model, prompt_payload(f"{prompt}\n\n{DETAIL[detail]}", _pdf_media(data))
        )
        return json_response({"analysis": analysis, "pages": info.pages, "model": self._model})

    async def extract(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/documents/extract``: ``{"text", "tables", "metadata"}``."""
        fields, data, _ = await self._form(request)
        kind = choice(fields, "extract_type", ("text", "tables", "all"), "all")
        info = pdf_info(data, with_text=kind in ("text", "all"))
        tables: list[dict[str, Any]] = []
        if kind in ("tables", "all"):
            text = await self._ask(
                request,
                self._model,
                prompt_payload(
                    "Extract every table of this document as rows of cell strings.",
                    _pdf_media(data),
                    schema=TABLES_SCHEMA,
                ),
            )
            tables = tables_result(text)
        metadata: dict[str, Any] = {"pages": info.pages}
        if info.title:  # gemini-reverse §6 documents a string title; a PDF without one gets none
            metadata["title"] = info.title
        return json_response({"text": info.text, "tables": tables, "metadata": metadata})

    async def design(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/design/analyze``: ``{"analysis", "components", "suggestions", "model"}``."""
        fields, data, ctype = await self._form(request)
        media = _image_media(data, ctype)
        focus = fields.get("prompt") or "Analyze the layout, components and usability."
        prompt = (
            f"{focus}\n\nThis is a UI design. Describe it (analysis), list its UI "
            "components, and suggest improvements."
        )
        text = await self._ask(
            request, self._model, prompt_payload(prompt, media, schema=DESIGN_SCHEMA)
        )
        return json_response({**design_result(text), "model": self._model})

    async def to_code(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/design/to-code``: ``{"code", "framework", "style_library"}``."""
        fields, data, ctype = await self._form(request)
        media = _image_media(data, ctype)
        framework = choice(fields, "framework", ("react", "vue", "html"), "react")
        styles = choice(
            fields, "style_library", ("tailwind", "css", "styled-components"), "tailwind"
        )
        prompt = (
            f"Write the {framework} code for this UI design, styled with {styles}. "
            "Answer with the code only."
        )
        code = strip_fences(await self._ask(request, self._model, prompt_payload(prompt, media)))
        return json_response({"code": code, "framework": framework, "style_library": styles})

    async def _ask(self, request: web.Request, model: str, payload: dict[str, Any]) -> str:
        with self._limits.slot(request, model):
            return answer_text(await self._upstream.call(model, "generateContent", payload))

    async def _form(self, request: web.Request) -> tuple[dict[str, str], bytes, str]:
        """The text fields, the ``file`` bytes and its content type of a multipart body
        the profile's document accepts."""
        if not request.content_type.startswith("multipart/"):
            raise RequestError(
                "the body must be multipart/form-data with a file field",
                param="file",
                code="invalid_content_type",
            )
        fields: dict[str, str] = {}
        data = b""
        ctype = ""
        try:
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "file":
                    data = await part.read(decode=True)
                    if len(data) > self._max_bytes:
                        raise RequestError(f"file exceeds {self._max_bytes} bytes", param="file")
                    ctype = (part.headers.get("Content-Type") or "").split(";", 1)[0].strip()
                elif part.name:
                    fields[part.name] = (await part.text())[:10_000]
        except (ValueError, AssertionError) as exc:
            raise RequestError(f"the multipart body is malformed: {exc}", param=None) from None
        form: dict[str, object] = dict(fields)
        if data:
            form["file"] = bytes(data).decode("latin-1")
        self._document.check_form(request, form)
        if not data:
            raise RequestError("file is required", param="file", code="missing_required_parameter")
        return fields, bytes(data), ctype


def add_routes(app: web.Application) -> None:
    """Register gemini-reverse's text routes when the profile serves them."""
    contract = app[CONTRACT]
    if not contract.serves("reverse"):
        return
    routes = TextRoutes(
        app[UPSTREAM],
        app[LIMITS],
        app[DOCUMENT],
        model=contract.default_model or _TEXT_MODEL,
        max_upload_bytes=app[SETTINGS].max_media_bytes,
    )
    wrap = app[ENDPOINTS].wrap
    for path, handler in (
        ("/v1/generate", routes.generate),
        ("/v1/documents/analyze", routes.analyze),
        ("/v1/documents/extract", routes.extract),
        ("/v1/design/analyze", routes.design),
        ("/v1/design/to-code", routes.to_code),
    ):
        app.router.add_post(path, wrap("reverse", handler))
