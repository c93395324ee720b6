"""The upstream client: one shared aiohttp session, a credential pool, bounded retries.

Only this module talks to Google. Two kinds of upstream (``--upstream-kind``):

- ``gemini``: Gemini v1beta (docs/gemini-wire.md A), ``{base}/models/{model}:{method}``,
  one credential per request in ``x-goog-api-key`` (A4; docs/breakages.md G3) and
  never anything the client sent;
- ``code-assist``: Code Assist ``{base}:{method}`` (A7) with ``Authorization: Bearer``
  from an OAuth refresh token (:mod:`.oauth`); bodies wrapped as ``{"model", "project",
  "request"}`` and answers (unary and each SSE event) unwrapped from ``{"response"}``
  (:func:`unwrap`). The project is ``--code-assist-project`` or, per credential, the
  ``cloudaicompanionProject`` of ``:loadCodeAssist``.

Each request picks a credential from the :class:`~reference_impl.policy.keys.KeyPool`
and follows :mod:`~reference_impl.policy.retry` (cooldown on 429, failover, backoff on
5xx, at most ``max_attempts``), all within one deadline (``Settings.deadline_s``): no
attempt runs, and no backoff waits, past it. Transport failures become 502 (504
``upstream_timeout`` on a timeout or at the deadline); their details are logged, never
sent to the client. Streams are read raw and decoded by the caller with
``spec.sse.SSEDecoder`` (A3, docs/breakages.md A7).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import orjson
from yarl import URL

from spec.wire import code_assist_response

from ..policy.keys import Credential, KeyPool, seconds_until_quota_reset
from ..policy.retry import judge
from ..settings import Settings
from ..translate.errors import ProxyError, from_upstream_body, upstream_unreachable
from .oauth import TokenSource
from .wire import WirePool, WireResponse

__all__ = ["CODE_ASSIST_MODELS", "Upstream", "salvage", "unwrap"]

log = logging.getLogger("reference_impl.upstream")

_URL_CACHE_MAX = 512
CODE_ASSIST_MODELS = (
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-3-pro-preview",
    "gemini-3-flash-preview",
)
"""Code Assist has no model list (A7): these are listed instead."""

Send = Callable[[dict[str, str], str, float], Awaitable[Any]]
"""One attempt: ``(headers, project, deadline) -> response`` (status and headers read)
by ``deadline`` (loop time; else ``TimeoutError``): an ``aiohttp.ClientResponse`` (under
:func:`within`), or a :class:`~.wire.WireResponse` on the hot path (the wire client's
own timer)."""

T = TypeVar("T")


async def within(deadline: float, answer: Awaitable[T]) -> T:
    """``answer`` awaited until ``deadline`` (loop time); ``TimeoutError`` after."""
    async with asyncio.timeout_at(deadline):
        return await answer


def unwrap(payload: Any) -> Any:
    """The ``response`` of a Code Assist answer ``{"response": {...}, "traceId"...}``
    (A7, :func:`spec.wire.code_assist_response`: ``traceId`` becomes ``responseId`` when
    the response has none, as gemini-cli does); any other payload (an ``{"error"}`` body)
    as it is; a JSON array (a non-SSE stream) element by element."""
    if isinstance(payload, list):
        return [unwrap(item) for item in payload]
    return code_assist_response(payload) if isinstance(payload, dict) else payload


class Upstream:
    """The upstream at ``settings.upstream_url``. Call :meth:`start` inside the running
    event loop before use and :meth:`close` at shutdown. ``max_attempts`` may be changed
    at run time (antigravity2api ``other.retryTimes``)."""

    __slots__ = (
        "_anon",
        "_base",
        "_headers",
        "_loop",
        "_projects",
        "_session",
        "_settings",
        "_urls",
        "_wire",
        "code_assist",
        "max_attempts",
        "pool",
        "tokens",
    )

    def __init__(self, settings: Settings, pool: KeyPool) -> None:
        self._settings = settings
        self._base = settings.upstream_url
        self.pool = pool
        self.code_assist = settings.code_assist
        self.max_attempts = settings.max_attempts
        self.tokens = TokenSource(
            settings.oauth_token_url, settings.oauth_client_id, settings.oauth_client_secret
        )
        self._anon: dict[str, str] = {"Content-Type": "application/json"}
        self._headers: dict[str, dict[str, str]] = {}
        self._projects: dict[str, str] = {}
        self._session: aiohttp.ClientSession | None = None
        self._wire: WirePool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        """The loop :meth:`start` ran on (``asyncio.get_running_loop()`` is a ``getpid``
        system call on Python 3.11, on every request)."""
        self._urls: dict[tuple[str, str], URL] = {}

    async def start(self) -> None:
        """Open the shared session (a pool of ``settings.max_connections``) and the lean
        client of :meth:`generate` (:mod:`.wire`, its own pool of as many)."""
        s = self._settings
        self._loop = asyncio.get_running_loop()
        self._wire = WirePool(
            limit=s.max_connections,
            connect_timeout=s.connect_timeout_s,
            read_timeout=s.read_timeout_s,
        )
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
            # No cookie jar: Gemini sets none the proxy needs, a shared jar would hand
            # one client's cookies to the next, and filtering it cost ~10% per request.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        if not len(self.pool):
            log.warning("no upstream credential configured (--upstream-key / GEMINI_API_KEYS)")

    async def close(self) -> None:
        """Close the session and its connections."""
        self._loop = None
        if self._wire is not None:
            self._wire.close()
            self._wire = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("Upstream.start() was not awaited")
        return self._session

    # ------------------------------------------------------------------ addressing

    def url(self, model: str, method: str) -> URL:
        """The URL of ``method`` (``generateContent``, ``streamGenerateContent?alt=sse``,
        ``batchEmbedContents``, ``predict``...) for ``model`` (validated by the caller to
        ``[A-Za-z0-9._-]``, so the URL is already encoded)."""
        key = (model, method)
        url = self._urls.get(key)
        if url is None:
            if self.code_assist:
                url = URL(f"{self._base}:{method}", encoded=True)
            else:
                url = URL(f"{self._base}/models/{model}:{method}", encoded=True)
            if len(self._urls) >= _URL_CACHE_MAX:
                self._urls.clear()
            self._urls[key] = url
        return url

    def wrap(self, model: str, body: bytes, project: str) -> bytes:
        """The Code Assist envelope ``{"model", "project", "request"}`` around ``body``
        (A7); ``body`` itself for the Gemini API."""
        if not self.code_assist:
            return body
        head = b'{"model":' + orjson.dumps(model)
        if project:
            head += b',"project":' + orjson.dumps(project)
        return head + b',"request":' + body + b"}"

    def _key_headers(self, secret: str) -> dict[str, str]:
        """The request headers of a Gemini API key."""
        headers = self._headers.get(secret)
        if headers is None:
            headers = self._headers[secret] = {
                "Content-Type": "application/json",
                "x-goog-api-key": secret,
            }
        return headers

    async def _auth(self, cred: Credential | None) -> tuple[dict[str, str], str]:
        if cred is None:
            return self._anon, ""
        secret = cred.secret
        if not self.code_assist:
            return self._key_headers(secret), ""
        token = await self.tokens.token(self.session, secret)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        return headers, await self._project(secret, headers)

    async def _project(self, secret: str, headers: dict[str, str]) -> str:
        project = self._settings.code_assist_project or self._projects.get(secret)
        if project is not None:
            return project
        body = {"metadata": {"ideType": "IDE_UNSPECIFIED", "pluginType": "GEMINI"}}
        found = ""
        try:
            async with self.session.post(
                f"{self._base}:loadCodeAssist", data=orjson.dumps(body), headers=headers
            ) as resp:
                data = orjson.loads(await resp.read()) if resp.status == 200 else None
        except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError):
            data = None
        value = data.get("cloudaicompanionProject") if isinstance(data, dict) else None
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str):
            found = value
        self._projects[secret] = found
        return found

    # ------------------------------------------------------------------ requests

    def deadline(self) -> float:
        """The event-loop time by which a request starting now must be done upstream."""
        loop = self._loop or asyncio.get_running_loop()
        return loop.time() + self._settings.deadline_s

    async def attempt(self, model: str, send: Send, *, deadline: float | None = None) -> Any:
        """Run ``send`` under the retry policy (:mod:`~reference_impl.policy.retry`)
        before ``deadline`` (loop time; default: :meth:`deadline` from now); returns the
        first answer below 400 (body unread: the caller must ``release()`` it) or raises
        the :class:`ProxyError` of the last failed attempt (504 at the deadline)."""
        pool = self.pool
        tried: list[Credential] = []
        refreshed: set[str] = set()
        err: ProxyError | None = None
        attempts = self.max_attempts
        if deadline is None:
            deadline = self.deadline()
        loop = self._loop or asyncio.get_running_loop()
        for n in range(attempts):
            if loop.time() >= deadline:
                break
            cred = pool.pick(model, tried)
            try:
                if not self.code_assist:
                    headers = self._anon if cred is None else self._key_headers(cred.secret)
                    project = ""
                else:  # OAuth tokens and the project may take a call of their own
                    headers, project = await within(deadline, self._auth(cred))
                resp = await send(headers, project, deadline)
            except ProxyError as exc:
                err = exc
            except TimeoutError:
                err = upstream_unreachable("no answer", timeout=True)
            except aiohttp.ClientError as exc:
                log.warning("upstream attempt failed: %r", exc)
                err = upstream_unreachable("the connection failed")
            else:
                if resp.status < 400:
                    if cred is not None:
                        pool.served(cred)
                    return resp
                try:
                    body = await within(deadline, resp.read())
                except (TimeoutError, aiohttp.ClientError):
                    body = b""
                finally:
                    resp.release()
                err = from_upstream_body(resp.status, body)
            if cred is None:
                verdict = judge(err, default_cooldown_s=self._settings.cooldown_s)
                if not verdict.retry or verdict.failover_only or n + 1 >= attempts:
                    raise err
                await self._backoff(n, deadline, err)
                continue
            if (
                self.code_assist
                and err.code == "upstream_auth_failed"
                and cred.secret not in refreshed
                and n + 1 < attempts
            ):
                refreshed.add(cred.secret)  # an expired access token: refresh it once
                self.tokens.forget(cred.secret)
                continue
            verdict = judge(err, default_cooldown_s=self._settings.cooldown_s)
            if verdict.daily:
                pool.cool(cred, model, seconds_until_quota_reset(), daily=True)
            elif verdict.cooldown_s is not None:
                pool.cool(cred, model, verdict.cooldown_s)
            elif verdict.disable:
                pool.disable(cred)
                log.warning("upstream rejected credential: %s", err.message)
            else:
                pool.served(cred)
            if not verdict.retry or n + 1 >= attempts:
                raise err
            tried.append(cred)
            if verdict.failover_only and not pool.usable(model, tried):
                raise err
            if verdict.backoff:
                await self._backoff(n, deadline, err)
        raise err if err is not None else upstream_unreachable("no answer", timeout=True)

    async def _backoff(self, n: int, deadline: float, err: ProxyError) -> None:
        """Wait before attempt ``n + 2``; raise ``err`` when the wait would end past
        ``deadline``."""
        delay = self._settings.retry_backoff_s * 2**n
        if asyncio.get_running_loop().time() + delay >= deadline:
            raise err
        await asyncio.sleep(delay)

    async def generate(
        self, model: str, body: bytes, *, stream: bool, deadline: float | None = None
    ) -> WireResponse:
        """POST ``:generateContent`` (or ``:streamGenerateContent?alt=sse``) for ``model``
        with the Gemini request ``body``; see :meth:`attempt`. The hot path: sent with the
        lean client of :mod:`.wire`."""
        url = self.url(model, "streamGenerateContent?alt=sse" if stream else "generateContent")
        wire = self._wire
        if wire is None:
            raise RuntimeError("Upstream.start() was not awaited")
        if not self.code_assist:

            def send(headers: dict[str, str], project: str, deadline: float) -> Any:
                return wire.post(url, headers, body, deadline)

        else:

            def send(headers: dict[str, str], project: str, deadline: float) -> Any:
                return wire.post(url, headers, self.wrap(model, body, project), deadline)

        resp: WireResponse = await self.attempt(model, send, deadline=deadline)
        return resp

    async def call(self, model: str, method: str, payload: object) -> Any:
        """A unary JSON call (``generateContent``, ``batchEmbedContents``, ``predict``,
        ``countTokens``) for ``model``; the parsed (and unwrapped) answer. Raises
        :class:`ProxyError`."""
        if self.code_assist and method not in ("generateContent", "countTokens"):
            raise ProxyError(
                400,
                f"{method} needs the Gemini API upstream; this proxy runs on Code Assist "
                "(--upstream-kind code-assist)",
                type="invalid_request_error",
                code="unsupported_by_upstream",
            )
        body = orjson.dumps(payload)
        url = self.url(model, method)
        session = self.session

        def send(headers: dict[str, str], project: str, deadline: float) -> Any:
            data = self.wrap(model, body, project)
            return within(deadline, session.post(url, data=data, headers=headers))

        resp: aiohttp.ClientResponse = await self.attempt(model, send)
        try:
            raw = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("reading the upstream %s answer failed: %r", method, exc)
            raise upstream_unreachable("the answer broke off") from exc
        finally:
            resp.release()
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ProxyError(
                502,
                f"the upstream {method} answer is not JSON",
                type="upstream_error",
                code="upstream_error",
            ) from None
        return unwrap(data) if self.code_assist else data

    async def passthrough(
        self, method: str, path: str, query: dict[str, str], body: bytes
    ) -> aiohttp.ClientResponse:
        """``method`` ``{base}/{path}`` on the Gemini API with the proxy's credential (the
        Gemini-native routes of gemini-reverse section 9); body unread, released by the caller."""
        session = self.session
        url = URL(f"{self._base}/{path}", encoded=False).with_query(query)
        model = path.split("/", 2)[1].partition(":")[0] if path.startswith("models/") else ""

        def send(headers: dict[str, str], _project: str, deadline: float) -> Any:
            return within(
                deadline, session.request(method, url, data=body or None, headers=headers)
            )

        resp: aiohttp.ClientResponse = await self.attempt(model or "passthrough", send)
        return resp

    async def user_quota(self, secret: str) -> Any:
        """Code Assist ``:retrieveUserQuota`` for one credential (A7): ``{"buckets":
        [{"modelId", "remainingFraction", "resetTime", "tokenType"}]}``. Raises
        ProxyError."""
        headers, project = await self._auth(Credential(secret))
        body = orjson.dumps({"project": project} if project else {})
        try:
            async with self.session.post(
                f"{self._base}:retrieveUserQuota", data=body, headers=headers
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except TimeoutError as exc:
            raise upstream_unreachable("no answer", timeout=True) from exc
        except aiohttp.ClientError as exc:
            log.warning("upstream quota call failed: %r", exc)
            raise upstream_unreachable("the connection failed") from exc
        if status != 200:
            raise from_upstream_body(status, raw)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ProxyError(
                502,
                "the upstream quota answer is not JSON",
                type="upstream_error",
                code="upstream_error",
            ) from None

    async def list_models(self) -> list[dict[str, Any]]:
        """Every ``Model`` of ``GET /models`` (A6), following ``nextPageToken``; for Code
        Assist, :data:`CODE_ASSIST_MODELS`. Raises ProxyError."""
        if self.code_assist:
            return [
                {"name": f"models/{m}", "supportedGenerationMethods": ["generateContent"]}
                for m in CODE_ASSIST_MODELS
            ]
        models: list[dict[str, Any]] = []
        token = ""
        session = self.session
        for _ in range(20):  # 20 pages of 1000 models: far more than Google lists
            params = {"pageSize": "1000"}
            if token:
                params["pageToken"] = token

            def send(
                headers: dict[str, str], _project: str, deadline: float, p: dict[str, str] = params
            ) -> Any:
                return within(
                    deadline, session.get(f"{self._base}/models", params=p, headers=headers)
                )

            resp: aiohttp.ClientResponse = await self.attempt("models.list", send)
            try:
                body = await resp.read()
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("reading the upstream model list failed: %r", exc)
                raise upstream_unreachable("the answer broke off") from exc
            finally:
                resp.release()
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


def salvage(reader: object) -> bytes:
    """Bytes ``reader`` buffered before its connection broke, or ``b""``.

    (Not needed for :class:`~.wire.WireBody`, whose ``readany`` hands over what arrived
    before raising: it has no ``_read_nowait``, so this returns ``b""`` for it.)

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
