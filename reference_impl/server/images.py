"""Generated images served at ``GET /images/{file}`` (antigravity2api 'Image Generation',
gemini-reverse ``response_type: url``): saved to the
:class:`~reference_impl.stores.images.ImageStore` and linked under ``--public-url`` (else
the host of the request that made them, :func:`~.http.public_base`)."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from ..stores.images import ImageStore
from ..translate.images import Image
from ..translate.response import MediaSink
from .http import public_base

__all__ = ["ServedImages"]


class ServedImages:
    """The served images of one application. ``chat_markdown``: image parts of chat
    answers become ``![image](URL)`` of a served file (antigravity2api) instead of ``data:``
    URLs."""

    __slots__ = ("chat_markdown", "store")

    def __init__(self, store: ImageStore, *, chat_markdown: bool) -> None:
        self.store = store
        self.chat_markdown = chat_markdown

    def url(self, base: str, image: Image) -> str:
        """Save ``image``; its URL under ``base`` (a :func:`~.http.public_base`)."""
        return f"{base}/images/{self.store.save(image.raw(), image.mime)}"

    def deliver(self, request: web.Request, image: Image, *, as_url: bool) -> str:
        """``image`` as a URL of a served file, or as its base64 data."""
        return self.url(public_base(request), image) if as_url else image.data

    def chat_sink(self, request: web.Request) -> MediaSink | None:
        """Where image parts of a chat answer to ``request`` go: served files, or
        ``None`` (``data:`` URLs) unless :attr:`chat_markdown`."""
        return partial(self._link, request) if self.chat_markdown else None

    def _link(self, request: web.Request, mime: str, data: str) -> str:
        return f"{public_base(request)}/images/{self.store.save_b64(data, mime)}"
