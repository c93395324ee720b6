"""OpenAI message content -> Gemini parts. Pure, no I/O.

``content`` is a string or an array of parts (docs/breakages.md F3): ``text`` (and an
assistant's ``refusal``) -> ``{"text"}``; ``image_url`` with a base64 ``data:`` URL ->
``inlineData``, with an http(s)/gs URL -> ``fileData`` (F7; a URL on ``localhost`` or a
private address is also collected in ``remote``, for the proxy to refuse, or fetch and
inline with ``--allow-private-media-urls``, see :mod:`reference_impl.upstream.media`);
``input_audio`` -> ``inlineData`` ``audio/wav`` or ``audio/mp3`` (gemini-proxy-deno 'Audio
input'); ``file`` with ``file_data`` -> ``inlineData`` (docs/gemini-wire.md A1). Empty
text parts are dropped (Gemini rejects them). Errors are
:class:`~reference_impl.translate.errors.RequestError` naming the offending field.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Any

import orjson

from .errors import RequestError, type_error
from .media import is_private_url

__all__ = ["parts", "tool_result"]

_AUDIO_MIME = {
    "wav": "audio/wav",
    "mp3": "audio/mp3",
    "mpeg": "audio/mp3",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "aac": "audio/aac",
    "aiff": "audio/aiff",
    "pcm16": "audio/L16;codec=pcm;rate=24000",
}
"""OpenAI ``input_audio.format`` -> Gemini MIME type (OpenAI sends wav or mp3)."""
Remote = list[dict[str, Any]]
"""``fileData`` parts whose URL is local or private (refused, or fetched and inlined)."""

_DATA_URL_RE = re.compile(r"^data:([\w.+\-]+/[\w.+\-]+)?((?:;[^;,]*)*?);base64,", re.ASCII)


def _data_url(url: str, param: str) -> dict[str, Any]:
    m = _DATA_URL_RE.match(url)
    if not m:
        raise RequestError(
            f"{param} must be a base64 data: URL (data:<mime>;base64,...) or an http(s) URL",
            param=param,
        )
    mime = m.group(1) or "application/octet-stream"
    return {"inlineData": {"mimeType": mime, "data": url[m.end() :]}}


def _url_part(url: object, param: str, remote: Remote | None) -> dict[str, Any]:
    if not isinstance(url, str) or not url:
        raise type_error(param, "a non-empty string", url)
    if url.startswith("data:"):
        return _data_url(url, param)
    if url.startswith(("http://", "https://", "gs://")):
        mime = mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"
        part = {"fileData": {"mimeType": mime, "fileUri": url}}
        if remote is not None and is_private_url(url):
            remote.append(part)
        return part
    raise RequestError(f"{param} must be a data: or http(s) URL", param=param)


def _media_part(
    item: dict[str, Any], kind: object, param: str, remote: Remote | None
) -> dict[str, Any]:
    if kind == "image_url":
        image = item.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        return _url_part(url, f"{param}.image_url.url", remote)
    if kind == "input_audio":
        audio = item.get("input_audio")
        if not isinstance(audio, dict) or not isinstance(audio.get("data"), str):
            raise type_error(f"{param}.input_audio", "an object with data", audio)
        fmt = audio.get("format", "wav")
        mime = _AUDIO_MIME.get(fmt) if isinstance(fmt, str) else None
        if mime is None:
            raise RequestError(
                f"{param}.input_audio.format must be one of {', '.join(_AUDIO_MIME)}; got {fmt!r}",
                param=f"{param}.input_audio.format",
            )
        data = audio["data"]
        if data.startswith("data:"):
            return _data_url(data, f"{param}.input_audio.data")
        return {"inlineData": {"mimeType": mime, "data": data}}
    if kind == "file":
        file = item.get("file")
        data = file.get("file_data") if isinstance(file, dict) else None
        if not isinstance(data, str):
            raise RequestError(
                f"{param}.file.file_data must be a base64 data: URL (file ids are not supported)",
                param=f"{param}.file.file_data",
            )
        if data.startswith("data:"):
            return _data_url(data, f"{param}.file.file_data")
        mime = mimetypes.guess_type(str(file.get("filename", "")))[0]  # type: ignore[union-attr]
        return {"inlineData": {"mimeType": mime or "application/pdf", "data": data}}
    raise RequestError(
        f"{param}.type must be one of text, image_url, input_audio, file; got {kind!r}",
        param=f"{param}.type",
    )


def parts(
    content: object, param: str, *, media: bool, remote: Remote | None = None
) -> list[dict[str, Any]]:
    """Gemini parts for an OpenAI ``content`` at ``param``; ``media``: allow non-text parts;
    ``remote``: collects the ``fileData`` parts of loopback URLs."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise type_error(param, "a string or an array of content parts", content)
    out: list[dict[str, Any]] = []
    for j, item in enumerate(content):
        where = f"{param}[{j}]"
        if not isinstance(item, dict):
            raise type_error(where, "an object", item)
        kind = item.get("type")
        if kind in ("text", "refusal") or (kind is None and "text" in item):
            text = item.get("text" if kind != "refusal" else "refusal")
            if not isinstance(text, str):
                raise type_error(f"{where}.text", "a string", text)
            if text:
                out.append({"text": text})
        elif media:
            out.append(_media_part(item, kind, where, remote))
        else:
            raise RequestError(
                f"{where}.type must be 'text' for this role; got {kind!r}", param=f"{where}.type"
            )
    return out


def tool_result(
    content: object, param: str, remote: Remote | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``functionResponse.response`` and any media parts for a tool message's content.

    A JSON-object string is passed as the object; anything else as ``{"result": text}``.
    """
    found = parts(content, param, media=True, remote=remote)
    text = "".join(p["text"] for p in found if "text" in p)
    media = [p for p in found if "text" not in p]
    if text[:1] == "{":
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed, media
    return {"result": text}, media
