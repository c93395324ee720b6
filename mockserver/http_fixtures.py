"""Fixture files for proxies that fetch URLs: ``GET /_mock/image.png`` and ``/image.jpg``.

A chat request may carry an ``image_url`` with an ``http(s)`` URL; a proxy then has to
fetch it and send Gemini the bytes (``inlineData``). Pointing that URL at the mock
(``http://127.0.0.1:PORT/_mock/image.png``) lets a test see both sides:

- ``GET`` (and ``HEAD``) ``/_mock/image.png``: :func:`mockserver.media.fixture_png`,
  ``Content-Type: image/png``; ``/_mock/image.jpg``: :data:`mockserver.media.
  FIXTURE_JPEG`, ``Content-Type: image/jpeg``. Always the same bytes, no credentials
  needed, ``Cache-Control: no-store`` (so every use is a fetch);
- every fetch is journaled (:mod:`mockserver.journal`: method, path, query, redacted
  headers, ``status``), with ``cid`` taken from the ``?cid=`` query parameter (so
  ``GET /_mock/requests?cid=...`` finds it) and ``response``
  ``{"image": {"mime_type", "width", "height", "bytes", "sha256"}}``, the SHA-256 of
  the served bytes in hex, to compare with the ``inlineData`` the proxy sent upstream.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from mockserver.http_core import Core
from mockserver.media import FIXTURE_JPEG, fixture_png
from spec.mock_admin import FixtureImage, ImageSummary

__all__ = ["IMAGES", "add_fixture_routes"]


def _image(data: bytes, mime: str, width: int, height: int) -> tuple[bytes, str, ImageSummary]:
    image: FixtureImage = {
        "mime_type": mime,
        "width": width,
        "height": height,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return data, mime, {"image": image}


IMAGES: dict[str, tuple[bytes, str, ImageSummary]] = {
    "/_mock/image.png": _image(fixture_png(), "image/png", 32, 32),
    "/_mock/image.jpg": _image(FIXTURE_JPEG, "image/jpeg", 16, 16),
}
"""Path -> (bytes, ``Content-Type``, journal ``response`` summary)."""


def add_fixture_routes(app: web.Application, core: Core) -> None:
    """Register the fixture routes (see the module docstring)."""
    journal = core.journal

    async def image(request: web.Request) -> web.StreamResponse:
        data, mime, summary = IMAGES[request.path]
        journal.record(
            method=request.method,
            path=request.path,
            query=request.rel_url.raw_query_string,
            headers=request.raw_headers,
            body=b"",
            scenario=None,
            cid=request.query.get("cid"),
            status=200,
            response=summary,
        )
        headers = {"Content-Type": mime, "Cache-Control": "no-store"}
        return web.Response(body=data, headers=headers)

    for path in IMAGES:
        app.router.add_get(path, image)
