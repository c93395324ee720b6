"""The Gemini v1beta client: one shared aiohttp session, connections reused.

Only this module talks to the upstream. It sends exactly one credential,
``x-goog-api-key`` (wire-formats.md A4; client-breakages.md G3), and never anything the
client sent. Transport failures become :class:`~reference_impl.errors.ProxyError`
(502 unreachable, 504 timed out; D2). Streams are read raw (``readany``) and decoded by
the caller with ``spec.sse.SSEDecoder`` (A3: CRLF framing, events split or coalesced
across reads, A7).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import orjson
from yarl import URL

from .errors import ProxyError, from_upstream_body, upstream_unreachable
from .settings import Settings

__all__ = ["Upstream", "salvage"]

log = logging.getLogger("reference_impl.upstream")

_URL_CACHE_MAX = 512


class Upstream:
    """A Gemini endpoint at ``settings.upstream_url``. Call :meth:`start` inside the
    running event loop before use and :meth:`close` at shutdown."""

    __slots__ = ("_base", "_headers", "_session", "_settings", "_urls")

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._base = settings.upstream_url
        self._headers: dict[str, str] = {"Content-Type": "application/json"}
        if settings.upstream_key:
            self._headers["x-goog-api-key"] = settings.upstream_key
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[tuple[str, bool], URL] = {}

    async def start(self) -> None:
        """Open the shared session (a pool of ``settings.max_connections``)."""
        s = self._settings
        connector = aiohttp.TCPConnector(
            limit=s.max_connections,
            limit_per_host=s.max_connections,
            ttl_dns_cache=300,
            keepalive_timeout=60,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=s.connect_timeout_s, sock_read=s.read_timeout_s
            ),
            auto_decompress=True,
            raise_for_status=False,
        )
        if not s.upstream_key:
            log.warning("no upstream key configured (GEMINI_API_KEY / --upstream-key)")

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("Upstream.start() was not awaited")
        return self._session

    def _url(self, model: str, stream: bool) -> URL:
        key = (model, stream)
        url = self._urls.get(key)
        if url is None:
            method = "streamGenerateContent?alt=sse" if stream else "generateContent"
            # ``model`` was validated to [A-Za-z0-9._-]: the URL is already encoded.
            url = URL(f"{self._base}/models/{model}:{method}", encoded=True)
            if len(self._urls) >= _URL_CACHE_MAX:
                self._urls.clear()
            self._urls[key] = url
        return url

    async def generate(self, model: str, body: bytes, *, stream: bool) -> aiohttp.ClientResponse:
        """POST ``models/{model}:generateContent`` (or ``:streamGenerateContent?alt=sse``).

        Returns the response with its status and headers read, body unread; the caller
        must ``release()`` it. Raises ProxyError when the upstream cannot be reached.
        """
        try:
            return await self.session.post(
                self._url(model, stream), data=body, headers=self._headers
            )
        except TimeoutError as exc:
            raise upstream_unreachable(str(exc) or "no answer", timeout=True) from exc
        except aiohttp.ClientError as exc:
            raise upstream_unreachable(str(exc) or type(exc).__name__) from exc

    async def list_models(self) -> list[dict[str, Any]]:
        """Every ``Model`` of ``GET /models`` (A6), following ``nextPageToken``.

        Raises ProxyError for an upstream error answer or an unreachable upstream.
        """
        models: list[dict[str, Any]] = []
        token = ""
        for _ in range(20):  # 20 pages of 1000 models: far more than Google lists
            params = {"pageSize": "1000"}
            if token:
                params["pageToken"] = token
            try:
                async with self.session.get(
                    f"{self._base}/models", params=params, headers=self._headers
                ) as resp:
                    body = await resp.read()
                    status = resp.status
            except TimeoutError as exc:
                raise upstream_unreachable(str(exc) or "no answer", timeout=True) from exc
            except aiohttp.ClientError as exc:
                raise upstream_unreachable(str(exc) or type(exc).__name__) from exc
            if status != 200:
                raise from_upstream_body(status, body)
            try:
                page = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise ProxyError(
                    502,
                    "the upstream model list is not JSON",
                    type="upstream_error",
                    code="upstream_error",
                ) from None
            items = page.get("models") if isinstance(page, dict) else None
            models.extend(m for m in items or () if isinstance(m, dict))
            next_token = page.get("nextPageToken") if isinstance(page, dict) else None
            if not next_token or not isinstance(next_token, str):
                break
            token = next_token
        return models


def salvage(reader: aiohttp.StreamReader) -> bytes:
    """Bytes ``reader`` buffered before its connection broke, or ``b""``.

    aiohttp's ``readany()`` raises the connection error before returning data it had
    already buffered, so on a fast cut the events Gemini sent just before it would be
    lost. This reads them without the exception check, through aiohttp's private
    ``_read_nowait`` (3.x); on any other aiohttp it returns ``b""`` (the relay then
    simply forwards less before its error event).
    """
    read = getattr(reader, "_read_nowait", None)
    if read is None or not getattr(reader, "_buffer", None):
        return b""
    try:
        data = read(-1)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""
