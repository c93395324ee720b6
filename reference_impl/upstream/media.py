"""Fetching an ``image_url`` the client sent, under the media policy (docs/breakages.md F7).

The proxy handles itself only image URLs on ``localhost`` or a literal private address
(:func:`~reference_impl.translate.media.is_private_url`); any other URL goes to Gemini as
``fileData`` and the proxy opens no connection to it. Those local URLs are an SSRF
vector (a client making the proxy read its own admin port, a metadata service...), so:

- by default each one is refused, before any connection, with one :data:`REFUSED`
  message (a 400 ``image_url_refused`` that names no port, path or status, so it reveals
  nothing about what answers where);
- with ``Settings.allow_private_media_urls`` (``--allow-private-media-urls``, for a
  test rig serving images on 127.0.0.1) they are fetched: the host is resolved and every
  address checked on each connection (a resolver of this module's own session, no DNS
  cache), redirects are not followed, ``fetch_timeout_s`` bounds the whole fetch and
  ``max_media_bytes`` its body; every failure is the same :data:`REFUSED`.

Without the opt-in, the resolver refuses any name that resolves to a blocked address
(:func:`~reference_impl.translate.media.blocked_address`), so even a URL that reached the
fetcher by another path could not reach a private address.
"""

from __future__ import annotations

import base64
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from ..settings import Settings
from ..translate.errors import RequestError
from ..translate.media import blocked_address, sniff

__all__ = ["REFUSED", "MediaFetcher", "refused"]

REFUSED = (
    "an image_url on localhost, a loopback, private or link-local address was refused or "
    "could not be fetched"
)
"""The one message of every refused or failed media fetch."""


def refused() -> RequestError:
    """The 400 of a refused (or failed) media URL."""
    return RequestError(REFUSED, param="messages", code="image_url_refused")


class _Blocked(OSError):
    """A name resolved to an address the policy refuses."""


class _CheckedResolver(AbstractResolver):
    """Resolves with the default resolver, then refuses the whole answer when any address
    is blocked (unless ``allow_private``)."""

    def __init__(self, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not self._allow_private and any(blocked_address(r["host"]) for r in results):
            raise _Blocked(f"{host} resolves to a blocked address")
        return results

    async def close(self) -> None:
        await self._inner.close()


class MediaFetcher:
    """Fetches local image URLs under the policy of ``settings``; :meth:`start` in the
    running loop, :meth:`close` at shutdown."""

    __slots__ = ("_allow", "_limit", "_session", "_timeout")

    def __init__(self, settings: Settings) -> None:
        self._allow = settings.allow_private_media_urls
        self._limit = settings.max_media_bytes
        self._timeout = aiohttp.ClientTimeout(total=settings.fetch_timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=_CheckedResolver(self._allow), use_dns_cache=False, limit=64
        )
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def permitted(self, url: str) -> bool:
        """Whether the policy lets the proxy connect to ``url``'s host at all (a literal
        address is judged here; a name, again at connection time by the resolver)."""
        if self._allow:
            return True
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            return False
        if not host:
            return False
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        except OSError:  # a name: the default policy refuses the local ones it is given
            return False
        return not blocked_address(host)

    async def fetch(self, file_data: dict[str, Any]) -> tuple[str, str]:
        """``(mime, base64 data)`` of ``file_data["fileUri"]``; raises :func:`refused`."""
        url = file_data["fileUri"]
        if not self.permitted(url) or self._session is None:
            raise refused()
        limit = self._limit
        try:
            async with self._session.get(url, timeout=self._timeout, allow_redirects=False) as resp:
                if resp.status != 200:
                    raise refused()
                data = await resp.content.read(limit + 1)
                ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise refused() from exc
        if len(data) > limit:
            raise RequestError(
                f"an image_url exceeds {limit} bytes", param="messages", code="image_too_large"
            )
        if not data:
            raise refused()
        if not ctype.startswith(("image/", "audio/", "video/", "application/pdf")):
            ctype = sniff(data) or file_data.get("mimeType") or "image/jpeg"
        return ctype, base64.b64encode(data).decode("ascii")
