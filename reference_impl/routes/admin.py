"""The JWT management API of antigravity2api 'Management API', persisted in SQLite
(:mod:`reference_impl.stores.admin`).

==========================================  ================================================
route                                       answer
==========================================  ================================================
``POST /admin/login`` ``{username,          ``{"success": true, "token": JWT, "expiresIn":
password}``                                 86400}`` (HS256, ``sub``/``iat``/``exp``)
``GET /admin/tokens``                       ``{"success": true, "data": [{"refresh_token",
                                            "access_token" (masked), "expires_at",
                                            "requests", "failures", "cooling"}]}``
``POST /admin/tokens`` ``{access_token,     adds an upstream credential to the pool: for the
refresh_token, expires_in}``                Gemini API ``access_token`` is the API key
                                            (``refresh_token``, if given, names it); for Code
                                            Assist the refresh token is the credential
``DELETE /admin/tokens/{id}``               removes it
``GET /admin/tokens/{id}/quotas[?refresh=   ``{"success": true, "data": {"lastUpdated": ms,
true]``                                     "models": {m: {"remaining", "resetTime",
                                            "resetTimeRaw"}}}}``; ``refresh`` asks Code
                                            Assist ``:retrieveUserQuota``; otherwise what
                                            the proxy saw (429 cooldowns)
``GET|PUT /admin/rotation``                 ``{"strategy", "requestCount"}``
``GET|PUT /admin/config``                   ``{"json": {"defaults": {...}, "other":
                                            {"retryTimes", "passSignatureToClient",
                                            "useContextSystemPrompt", ...}}, "env":
                                            {"SYSTEM_INSTRUCTION"}}``
                                            (:mod:`reference_impl.server.admin_config`)
==========================================  ================================================

Login: ``--admin-user`` (``admin``) and ``--admin-password``; there is no default
password: without one, a random password is generated and logged once (WARNING) at
start-up. Failed logins are throttled per client address (:mod:`..policy.logins`: 5 per
minute, then 429 with ``Retry-After`` until the minute ends).

The credentials, the rotation and the configuration persist in the store and are
loaded at start-up. Every admin route but login needs ``Authorization: Bearer <JWT>``
(signed with ``--jwt-secret``, else a random key per process); errors are
``{"success": false, "message": "..."}`` with 400, 401 or 404. A request the document
rejects (checked after the JWT) also carries OpenAI's ``error`` object naming the field.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from ..policy.keys import STRATEGIES, KeyPool, mask
from ..policy.logins import LoginThrottle
from ..server.admin_config import AdminConfig, AdminError
from ..server.appkeys import (
    CHAT_CONFIG,
    CONTRACT,
    DOCUMENT,
    NOTICES,
    POOL,
    SETTINGS,
    UPSTREAM,
)
from ..server.document import DocumentCheck
from ..server.http import json_response, read_object
from ..settings import Settings
from ..stores.admin import AdminStore
from ..translate.errors import ProxyError, RequestError
from ..upstream.client import Upstream

__all__ = ["JWT_TTL_S", "AdminRoutes", "add_routes", "reset_time"]

JWT_TTL_S = 86400
_UTC8 = timedelta(hours=8)

AdminHandler = Callable[[web.Request], Awaitable[web.Response]]


def reset_time(raw: str | None) -> str | None:
    """002's ``resetTime`` (``"12-16 20:00"``) for an ISO-8601 ``resetTimeRaw``: the
    document's example shows the time in UTC+8."""
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when.astimezone(UTC) + _UTC8).strftime("%m-%d %H:%M")


def _fail(status: int, message: str) -> web.Response:
    return json_response({"success": False, "message": message}, status=status)


def _refuse(err: ProxyError) -> web.Response:
    """``err`` in the admin shape, with OpenAI's ``error`` object beside it (naming the
    field of a request the document rejects)."""
    body = {"success": False, "message": err.message, **err.envelope()}
    return json_response(body, status=err.status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        return await read_object(request)
    except RequestError as err:
        raise AdminError(400, err.message) from None


@dataclass(frozen=True, slots=True)
class AdminEndpoint:
    """An admin handler behind the JWT (HS256, ``sub`` and ``exp`` required) and the
    document's checks; :class:`AdminError` and ProxyError answered in the admin shape."""

    handler: AdminHandler
    secret: str
    document: DocumentCheck

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp handler."""
        import jwt

        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _fail(401, "Missing admin token: send Authorization: Bearer <JWT>")
        try:
            jwt.decode(
                token.strip(),
                self.secret,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            return _fail(401, "The admin token has expired; log in again")
        except jwt.InvalidTokenError:
            return _fail(401, "Invalid admin token")
        try:
            await self.document.check_request(request)
            return await self.handler(request)
        except AdminError as err:
            return _fail(err.status, err.message)
        except ProxyError as err:
            return _refuse(err)


class AdminRoutes:
    """The admin handlers, bound to the settings (login, database, upstream kind), the
    credential pool, the upstream (OAuth tokens, quotas), the document's checks and the
    configuration; the store opens in :meth:`lifespan`."""

    __slots__ = (
        "_config",
        "_document",
        "_password",
        "_pool",
        "_settings",
        "_store",
        "_throttle",
        "_upstream",
        "secret",
    )

    def __init__(
        self,
        settings: Settings,
        pool: KeyPool,
        upstream: Upstream,
        document: DocumentCheck,
        config: AdminConfig,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._upstream = upstream
        self._document = document
        self._config = config
        self._store: AdminStore | None = None
        self.secret = settings.jwt_secret or secrets.token_urlsafe(32)
        """The JWT signing key."""
        self._password = settings.admin_password or secrets.token_urlsafe(18)
        self._throttle = LoginThrottle()

    @property
    def generated_password(self) -> str:
        """The password generated for want of a configured one, or ``""``."""
        return "" if self._settings.admin_password else self._password

    async def lifespan(self, _app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: open the store and load its credentials, rotation and
        configuration; close it at cleanup."""
        store = self._store = AdminStore(self._settings.db_path)
        for row in store.tokens():
            self._pool.add(row["secret"])
            if self._settings.code_assist and row["access_token"] and row["expires_at"]:
                left = row["expires_at"] - time.time()
                self._upstream.tokens.seed(row["secret"], row["access_token"], left)
        rotation = store.get("rotation")
        if isinstance(rotation, dict):
            self._pool.configure(rotation["strategy"], rotation["requestCount"])
        self._config.load(store.get("config") or {}, store.get("env") or {})
        try:
            yield
        finally:
            self._store = None
            store.close()

    def guard(self, handler: AdminHandler) -> AdminHandler:
        """``handler`` behind the admin JWT."""
        return AdminEndpoint(handler, self.secret, self._document).handle

    @property
    def _db(self) -> AdminStore:
        if self._store is None:
            raise RuntimeError("the admin store is not open (the app has not started)")
        return self._store

    async def login(self, request: web.Request) -> web.Response:
        """``POST /admin/login``: a JWT for the configured user."""
        import jwt

        try:
            await self._document.check_request(request)
            body = await read_object(request)
        except RequestError as err:
            return _refuse(err)
        user, password = body.get("username"), body.get("password")
        if not isinstance(user, str) or not isinstance(password, str):
            return _fail(400, "username and password are required strings")
        client, now = request.remote or "", time.monotonic()
        wait = self._throttle.retry_after(client, now)
        if wait:
            return json_response(
                {"success": False, "message": f"too many failed logins; retry in {wait} s"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        ok_user = hmac.compare_digest(user.encode(), self._settings.admin_user.encode())
        ok_pass = hmac.compare_digest(password.encode(), self._password.encode())
        if not (ok_user and ok_pass):
            self._throttle.failed(client, now)
            return _fail(401, "Invalid username or password")
        self._throttle.succeeded(client)
        now = int(time.time())
        token = jwt.encode({"sub": user, "iat": now, "exp": now + JWT_TTL_S}, self.secret, "HS256")
        return json_response({"success": True, "token": token, "expiresIn": JWT_TTL_S})

    async def list_tokens(self, _request: web.Request) -> web.Response:
        """``GET /admin/tokens``."""
        return json_response(
            {"success": True, "data": [self._describe(r) for r in self._db.tokens()]}
        )

    async def add_token(self, request: web.Request) -> web.Response:
        """``POST /admin/tokens``: add (or update) an upstream credential."""
        body = await _body(request)
        access, refresh, expires = (
            body.get("access_token"),
            body.get("refresh_token"),
            body.get("expires_in"),
        )
        for name, value in (("access_token", access), ("refresh_token", refresh)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise AdminError(400, f"{name} must be a non-empty string")
        if expires is not None and (
            isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= 0
        ):
            raise AdminError(400, "expires_in must be a positive number of seconds")
        if self._settings.code_assist:
            if not refresh:
                raise AdminError(400, "refresh_token is required for the Code Assist upstream")
            token_id, secret = refresh, refresh
            if access:
                self._upstream.tokens.seed(refresh, access, float(expires or 3599))
        else:
            if not access:
                raise AdminError(400, "access_token (the Gemini API key) is required")
            token_id, secret = refresh or access, access
        new = self._db.add_token(token_id, secret, access, float(expires) if expires else None)
        self._pool.add(secret)
        return json_response(
            {"success": True, "message": "Token added" if new else "Token updated"}
        )

    async def delete_token(self, request: web.Request) -> web.Response:
        """``DELETE /admin/tokens/{id}``."""
        token_id = request.match_info["token_id"]
        row = self._row(token_id)
        self._db.delete_token(token_id)
        self._pool.remove(row["secret"])
        return json_response({"success": True, "message": "Token deleted"})

    async def quotas(self, request: web.Request) -> web.Response:
        """``GET /admin/tokens/{id}/quotas[?refresh=true]``."""
        token_id = request.match_info["token_id"]
        row = self._row(token_id)
        db = self._db
        if request.query.get("refresh") == "true" and self._settings.code_assist:
            answer = await self._upstream.user_quota(row["secret"])
            buckets = answer.get("buckets") if isinstance(answer, dict) else None
            for b in buckets if isinstance(buckets, list) else ():
                if isinstance(b, dict) and isinstance(b.get("modelId"), str):
                    fraction = b.get("remainingFraction")
                    db.put_quota(
                        token_id,
                        b["modelId"],
                        float(fraction) if isinstance(fraction, int | float) else 1.0,
                        b.get("resetTime") if isinstance(b.get("resetTime"), str) else None,
                    )
        cred = self._pool.get(row["secret"])
        if cred is not None:  # what the proxy saw: a model cooling after a 429 has none left
            now_mono, now = time.monotonic(), datetime.now(UTC)
            for model, until in cred.until.items():
                if until > now_mono and model != "*":
                    when = now + timedelta(seconds=until - now_mono)
                    db.put_quota(token_id, model, 0.0, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        last, models = db.quotas(token_id)
        return json_response(
            {
                "success": True,
                "data": {
                    "lastUpdated": last or int(time.time() * 1000),
                    "models": {
                        m: {"remaining": r, "resetTime": reset_time(raw), "resetTimeRaw": raw}
                        for m, (r, raw) in sorted(models.items())
                    },
                },
            }
        )

    async def get_rotation(self, _request: web.Request) -> web.Response:
        """``GET /admin/rotation``."""
        return json_response({"success": True, "data": self._config.rotation()})

    async def put_rotation(self, request: web.Request) -> web.Response:
        """``PUT /admin/rotation`` ``{"strategy", "requestCount"}``."""
        body = await _body(request)
        strategy = body.get("strategy", self._pool.strategy)
        count = body.get("requestCount")
        if strategy not in STRATEGIES:
            raise AdminError(400, f"strategy must be one of {', '.join(STRATEGIES)}")
        try:
            self._pool.configure(strategy, count)
        except ValueError as exc:
            raise AdminError(400, str(exc).replace("request_count", "requestCount")) from None
        rotation = self._config.rotation()
        self._db.put("rotation", rotation)
        return json_response({"success": True, "message": "Rotation updated", "data": rotation})

    async def get_config(self, _request: web.Request) -> web.Response:
        """``GET /admin/config``."""
        return json_response({"success": True, "data": self._config.document()})

    async def put_config(self, request: web.Request) -> web.Response:
        """``PUT /admin/config`` ``{"json": {...}, "env": {...}}``."""
        config = self._config
        env_changed = config.update(await _body(request))
        self._db.put("config", config.config)
        if env_changed:
            self._db.put("env", config.env)
        return json_response(
            {"success": True, "message": "Config updated", "data": config.document()}
        )

    def _row(self, token_id: str) -> dict[str, Any]:
        row = self._db.token(token_id)
        if row is None:
            raise AdminError(404, "Token not found")
        return row

    def _describe(self, row: dict[str, Any]) -> dict[str, Any]:
        cred = self._pool.get(row["secret"])
        now = time.monotonic()
        return {
            "refresh_token": row["id"],
            "access_token": mask(row["access_token"] or row["secret"]),
            "expires_at": int(row["expires_at"] * 1000) if row["expires_at"] else None,
            "added_at": int(row["added_at"] * 1000),
            "enabled": cred is not None,
            "requests": cred.requests if cred else 0,
            "failures": cred.failures if cred else 0,
            "cooling": {m: round(t - now, 3) for m, t in cred.until.items() if t > now}
            if cred
            else {},
        }


def add_routes(app: web.Application) -> None:
    """Register the admin routes when the profile serves them; the store opens when the
    application starts."""
    contract = app[CONTRACT]
    if not contract.serves("admin"):
        return
    settings, pool, upstream = app[SETTINGS], app[POOL], app[UPSTREAM]
    config = AdminConfig(settings, contract.defaults, app[CHAT_CONFIG], upstream, pool)
    routes = AdminRoutes(settings, pool, upstream, app[DOCUMENT], config)
    if routes.generated_password:
        app[NOTICES].append(
            "no --admin-password (ADMIN_PASSWORD): generated admin password for user "
            f"{settings.admin_user!r} (shown once): {routes.generated_password}"
        )
    app.cleanup_ctx.append(routes.lifespan)
    guard, router = routes.guard, app.router
    router.add_post("/admin/login", routes.login)
    router.add_get("/admin/tokens", guard(routes.list_tokens))
    router.add_post("/admin/tokens", guard(routes.add_token))
    router.add_delete("/admin/tokens/{token_id}", guard(routes.delete_token))
    router.add_get("/admin/tokens/{token_id}/quotas", guard(routes.quotas))
    router.add_get("/admin/rotation", guard(routes.get_rotation))
    router.add_put("/admin/rotation", guard(routes.put_rotation))
    router.add_get("/admin/config", guard(routes.get_config))
    router.add_put("/admin/config", guard(routes.put_config))
