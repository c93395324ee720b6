"""OAuth access tokens for the Code Assist upstream: refresh token -> access token.

The standard refresh grant (RFC 6749 section 6) as Google's token endpoint takes it:
``POST token_url`` with a form body ``grant_type=refresh_token&refresh_token=...``
(plus ``client_id``/``client_secret`` when configured), answered with
``{"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}``. Tokens are
cached per refresh token until 60 s before they expire; :meth:`TokenSource.forget`
drops one after the upstream rejected it (401). antigravity2api's admin API may hand in an
access token with its refresh token (:meth:`TokenSource.seed`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp
import orjson

from ..translate.errors import ProxyError

__all__ = ["TokenSource"]

_MARGIN_S = 60.0


class TokenSource:
    """Access tokens by refresh token. ``clock``: seconds (monotonic by default)."""

    __slots__ = ("_cache", "_client_id", "_client_secret", "_clock", "_url")

    def __init__(
        self,
        token_url: str,
        client_id: str = "",
        client_secret: str = "",
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}

    def seed(self, refresh_token: str, access_token: str, expires_in: float) -> None:
        """Remember an access token obtained elsewhere, valid for ``expires_in`` s."""
        self._cache[refresh_token] = (access_token, self._clock() + expires_in - _MARGIN_S)

    def forget(self, refresh_token: str) -> None:
        """Drop the cached access token (the upstream said it is no longer valid)."""
        self._cache.pop(refresh_token, None)

    def cached(self, refresh_token: str) -> tuple[str, float] | None:
        """``(access_token, seconds left)`` when a valid token is cached."""
        hit = self._cache.get(refresh_token)
        if hit is None:
            return None
        left = hit[1] - self._clock()
        return (hit[0], left) if left > 0 else None

    async def token(self, session: aiohttp.ClientSession, refresh_token: str) -> str:
        """A valid access token for ``refresh_token``, refreshed when needed.

        Raises :class:`ProxyError` 502 ``upstream_auth_failed`` when the token endpoint
        refuses, and 502/504 when it cannot be reached.
        """
        hit = self._cache.get(refresh_token)
        if hit is not None and hit[1] > self._clock():
            return hit[0]
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if self._client_id:
            form["client_id"] = self._client_id
        if self._client_secret:
            form["client_secret"] = self._client_secret
        try:
            async with session.post(self._url, data=form) as resp:
                body = await resp.read()
                status = resp.status
        except TimeoutError as exc:
            raise ProxyError(
                504,
                "the OAuth token endpoint timed out",
                type="upstream_error",
                code="upstream_timeout",
            ) from exc
        except aiohttp.ClientError as exc:
            raise ProxyError(
                502,
                f"the OAuth token endpoint could not be reached: {exc}",
                type="upstream_error",
                code="upstream_unreachable",
            ) from exc
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
        token = data.get("access_token") if isinstance(data, dict) else None
        if status != 200 or not isinstance(token, str) or not token:
            detail = (
                data.get("error_description") or data.get("error")
                if isinstance(data, dict)
                else body[:120].decode("utf-8", "replace")
            )
            raise ProxyError(
                502,
                f"the OAuth token endpoint refused the refresh token (HTTP {status}): {detail}",
                type="upstream_error",
                code="upstream_auth_failed",
            )
        expires = data.get("expires_in") if isinstance(data, dict) else None
        ttl = float(expires) if isinstance(expires, int | float) and expires > 0 else 3600.0
        self._cache[refresh_token] = (token, self._clock() + ttl - _MARGIN_S)
        return token
