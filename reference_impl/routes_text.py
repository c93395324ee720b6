"""000's ``/v1/generate``, ``/v1/documents/{analyze,extract}`` and
``/v1/design/{analyze,to-code}`` (sections 3, 6, 7); shapes in :mod:`.translate_text`.

Documents and designs are ``multipart/form-data`` with a ``file`` field; a body that
is not multipart, a form the profile's document rejects (a missing file, an unknown
``detail_level``...), a PDF pypdf cannot read or an image of unknown type is a 400 in the
profile's envelope.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import BodyPartReader, web

from .state import State, json_response
from .translate.errors import RequestError
from .translate.fields import choice, model_id, object_body, req_str
from .translate.media import sniff
from .translate.text import (
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

__all__ = ["add_routes"]

_TEXT_MODEL = "gemini-2.5-flash"


async def _form(state: State, request: web.Request) -> tuple[dict[str, str], bytes, str]:
    """The text fields, the ``file`` bytes and its content type of a multipart body."""
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
        limit = state.settings.max_media_bytes
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file":
                data = await part.read(decode=True)
                if len(data) > limit:
                    raise RequestError(f"file exceeds {limit} bytes", param="file")
                ctype = (part.headers.get("Content-Type") or "").split(";", 1)[0].strip()
            elif part.name:
                fields[part.name] = (await part.text())[:10_000]
    except (ValueError, AssertionError) as exc:
        raise RequestError(f"the multipart body is malformed: {exc}", param=None) from None
    form: dict[str, object] = dict(fields)
    if data:
        form["file"] = bytes(data).decode("latin-1")
    state.check_form(request, form)
    if not data:
        raise RequestError("file is required", param="file", code="missing_required_parameter")
    return fields, bytes(data), ctype


def add_routes(app: web.Application, state: State) -> None:
    """Register gemini-reverse's text routes when the profile serves them."""
    if not state.contract.serves("reverse"):
        return
    default = state.contract.default_model or _TEXT_MODEL

    async def ask(request: web.Request, model: str, payload: dict[str, Any]) -> str:
        release = state.admit(request, model)
        try:
            return answer_text(await state.upstream.call(model, "generateContent", payload))
        finally:
            if release is not None:
                release()

    async def generate(request: web.Request) -> web.StreamResponse:
        body = object_body(await state.read_object(request))
        prompt = req_str(body, "prompt")
        model = model_id(body, default)
        return json_response(
            {"text": await ask(request, model, prompt_payload(prompt)), "model": model}
        )

    async def analyze(request: web.Request) -> web.StreamResponse:
        fields, data, _ = await _form(state, request)
        info = pdf_info(data, with_text=False)
        detail = choice(fields, "detail_level", tuple(DETAIL), "medium")
        prompt = fields.get("prompt") or "Summarize the main points of this document."
        media = ("application/pdf", base64.b64encode(data).decode("ascii"))
        analysis = await ask(
            request, default, prompt_payload(f"{prompt}\n\n{DETAIL[detail]}", media)
        )
        return json_response({"analysis": analysis, "pages": info.pages, "model": default})

    async def extract(request: web.Request) -> web.StreamResponse:
        fields, data, _ = await _form(state, request)
        kind = choice(fields, "extract_type", ("text", "tables", "all"), "all")
        info = pdf_info(data, with_text=kind in ("text", "all"))
        tables: list[dict[str, Any]] = []
        if kind in ("tables", "all"):
            media = ("application/pdf", base64.b64encode(data).decode("ascii"))
            text = await ask(
                request,
                default,
                prompt_payload(
                    "Extract every table of this document as rows of cell strings.",
                    media,
                    schema=TABLES_SCHEMA,
                ),
            )
            tables = tables_result(text)
        metadata: dict[str, Any] = {"pages": info.pages}
        if info.title:  # gemini-reverse §6 documents a string title; a PDF without one gets none
            metadata["title"] = info.title
        return json_response({"text": info.text, "tables": tables, "metadata": metadata})

    def image_media(data: bytes, ctype: str) -> tuple[str, str]:
        mime = sniff(data)
        if mime is None or not mime.startswith("image/"):
            mime = ctype if ctype.startswith("image/") else None
        if mime is None:
            raise RequestError("file must be a PNG, JPEG, GIF or WebP image", param="file")
        return mime, base64.b64encode(data).decode("ascii")

    async def design(request: web.Request) -> web.StreamResponse:
        fields, data, ctype = await _form(state, request)
        media = image_media(data, ctype)
        focus = fields.get("prompt") or "Analyze the layout, components and usability."
        prompt = (
            f"{focus}\n\nThis is a UI design. Describe it (analysis), list its UI "
            "components, and suggest improvements."
        )
        text = await ask(request, default, prompt_payload(prompt, media, schema=DESIGN_SCHEMA))
        return json_response({**design_result(text), "model": default})

    async def to_code(request: web.Request) -> web.StreamResponse:
        fields, data, ctype = await _form(state, request)
        media = image_media(data, ctype)
        framework = choice(fields, "framework", ("react", "vue", "html"), "react")
        styles = choice(
            fields, "style_library", ("tailwind", "css", "styled-components"), "tailwind"
        )
        prompt = (
            f"Write the {framework} code for this UI design, styled with {styles}. "
            "Answer with the code only."
        )
        code = strip_fences(await ask(request, default, prompt_payload(prompt, media)))
        return json_response({"code": code, "framework": framework, "style_library": styles})

    for path, fn in (
        ("/v1/generate", generate),
        ("/v1/documents/analyze", analyze),
        ("/v1/documents/extract", extract),
        ("/v1/design/analyze", design),
        ("/v1/design/to-code", to_code),
    ):
        app.router.add_post(path, state.endpoint("reverse", fn))
