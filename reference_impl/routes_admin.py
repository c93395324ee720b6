"""The JWT management API of antigravity2api 'Management API', persisted in SQLite
(:mod:`.admin_store`).

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
                                            {"SYSTEM_INSTRUCTION"}}``; ``defaults`` become
                                            the chat request defaults
==========================================  ================================================

``other.passSignatureToClient``, ``other.useContextSystemPrompt`` and the global
``SYSTEM_INSTRUCTION`` are antigravity2api 'Configuration Options' (``env`` as the real server's
``PUT /admin/config`` takes it: ``{"env": {...}, "json": {...}}``); each overrides the
setting of the same name (:class:`~.settings.Settings`) until changed again, and
persists. ``useContextSystemPrompt`` is ``true`` unless set: a deliberate departure
from antigravity2api's documented ``false`` (see ``Settings.use_context_system_prompt``).

Every admin route but login needs ``Authorization: Bearer <JWT>``; errors are
``{"success": false, "message": "..."}`` with 400, 401 or 404. A request the document
rejects (checked after the JWT) also carries OpenAI's ``error`` object naming the field.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .policy.keys import STRATEGIES, mask
from .state import State, json_response
from .stores.admin import AdminStore
from .translate.errors import ProxyError, RequestError

__all__ = ["CONFIG_DEFAULT_KEYS", "CONFIG_ENV_KEYS", "CONFIG_SWITCHES", "add_routes", "reset_time"]

JWT_TTL_S = 86400
CONFIG_DEFAULT_KEYS = frozenset(
    {"temperature", "top_p", "top_k", "max_tokens", "presence_penalty", "frequency_penalty"}
)
"""Chat fields ``PUT /admin/config`` may set defaults for."""
CONFIG_SWITCHES = ("passSignatureToClient", "useContextSystemPrompt")
"""Boolean ``json.other`` options of antigravity2api 'Configuration Options'."""
CONFIG_ENV_KEYS = frozenset({"SYSTEM_INSTRUCTION"})
"""What ``PUT /admin/config`` ``env`` may set."""
_UTC8 = timedelta(hours=8)


class _AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _section(value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    """``value`` when it is an object holding only ``allowed`` keys; else the admin 400
    naming ``where`` and what it may set."""
    if not isinstance(value, dict):
        raise _AdminError(400, f"{where} must be an object")
    unknown = set(value) - allowed
    if unknown:
        raise _AdminError(
            400, f"{where} may set {', '.join(sorted(allowed))}; got {', '.join(sorted(unknown))}"
        )
    return value


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


def add_routes(app: web.Application, state: State) -> None:
    """Open the store, load its credentials into the pool, register the admin routes."""
    if not state.contract.serves("admin"):
        return
    settings = state.settings
    upstream = state.upstream
    pool = state.pool
    config: dict[str, Any] = {}
    env: dict[str, Any] = {}
    profile_defaults = dict(state.contract.defaults)
    opened: list[AdminStore] = []

    def db() -> AdminStore:
        return opened[0]

    def apply_config() -> None:
        other = config.get("other")
        other = other if isinstance(other, dict) else {}
        if isinstance(other.get("retryTimes"), int):
            upstream.max_attempts = other["retryTimes"] + 1
        passing, use_context = (other.get(k) for k in CONFIG_SWITCHES)
        state.pass_signature_to_client = (
            passing if isinstance(passing, bool) else settings.pass_signature_to_client
        )
        state.use_context_system_prompt = (
            use_context if isinstance(use_context, bool) else settings.use_context_system_prompt
        )
        instruction = env.get("SYSTEM_INSTRUCTION")
        state.system_instruction = (
            instruction if isinstance(instruction, str) else settings.system_instruction
        )
        defaults = config.get("defaults")  # last: the chat options take up the above
        state.set_defaults({**profile_defaults, **(defaults if isinstance(defaults, dict) else {})})

    async def close() -> None:
        if opened:
            opened.pop().close()

    async def open_store(_app: web.Application) -> None:
        """Open the database and load its credentials, rotation and config."""
        store = AdminStore(settings.db_path)
        opened.append(store)
        state.closers.append(close)
        for row in store.tokens():
            pool.add(row["secret"])
            if settings.code_assist and row["access_token"] and row["expires_at"]:
                left = row["expires_at"] - time.time()
                upstream.tokens.seed(row["secret"], row["access_token"], left)
        rotation = store.get("rotation")
        if isinstance(rotation, dict):
            pool.configure(rotation["strategy"], rotation["requestCount"])
        config.update(store.get("config") or {})
        env.update(store.get("env") or {})
        apply_config()

    app.on_startup.append(open_store)
    secret_key = state.jwt_secret

    def guard(fn: Callable[[web.Request], Awaitable[web.Response]]) -> Any:
        async def handler(request: web.Request) -> web.Response:
            import jwt

            auth = request.headers.get("Authorization", "")
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token:
                return _fail(401, "Missing admin token: send Authorization: Bearer <JWT>")
            try:
                jwt.decode(
                    token.strip(),
                    secret_key,
                    algorithms=["HS256"],
                    options={"require": ["exp", "sub"]},
                )
            except jwt.ExpiredSignatureError:
                return _fail(401, "The admin token has expired; log in again")
            except jwt.InvalidTokenError:
                return _fail(401, "Invalid admin token")
            try:
                await state.check_request(request)
                return await fn(request)
            except _AdminError as err:
                return _fail(err.status, err.message)
            except ProxyError as err:
                return _refuse(err)

        return handler

    async def body_of(request: web.Request) -> dict[str, Any]:
        try:
            return await state.read_object(request)
        except RequestError as err:
            raise _AdminError(400, err.message) from None

    async def login(request: web.Request) -> web.Response:
        import jwt

        try:
            await state.check_request(request)
            body = await state.read_object(request)
        except RequestError as err:
            return _refuse(err)
        user, password = body.get("username"), body.get("password")
        if not isinstance(user, str) or not isinstance(password, str):
            return _fail(400, "username and password are required strings")
        ok_user = hmac.compare_digest(user.encode(), settings.admin_user.encode())
        ok_pass = hmac.compare_digest(password.encode(), settings.admin_password.encode())
        if not (ok_user and ok_pass):
            return _fail(401, "Invalid username or password")
        now = int(time.time())
        token = jwt.encode({"sub": user, "iat": now, "exp": now + JWT_TTL_S}, secret_key, "HS256")
        return json_response({"success": True, "token": token, "expiresIn": JWT_TTL_S})

    def describe(row: dict[str, Any]) -> dict[str, Any]:
        cred = pool.get(row["secret"])
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

    async def list_tokens(_request: web.Request) -> web.Response:
        return json_response({"success": True, "data": [describe(r) for r in db().tokens()]})

    async def add_token(request: web.Request) -> web.Response:
        body = await body_of(request)
        access, refresh, expires = (
            body.get("access_token"),
            body.get("refresh_token"),
            body.get("expires_in"),
        )
        for name, value in (("access_token", access), ("refresh_token", refresh)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise _AdminError(400, f"{name} must be a non-empty string")
        if expires is not None and (
            isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= 0
        ):
            raise _AdminError(400, "expires_in must be a positive number of seconds")
        if settings.code_assist:
            if not refresh:
                raise _AdminError(400, "refresh_token is required for the Code Assist upstream")
            token_id, secret = refresh, refresh
            if access:
                upstream.tokens.seed(refresh, access, float(expires or 3599))
        else:
            if not access:
                raise _AdminError(400, "access_token (the Gemini API key) is required")
            token_id, secret = refresh or access, access
        new = db().add_token(token_id, secret, access, float(expires) if expires else None)
        pool.add(secret)
        return json_response(
            {"success": True, "message": "Token added" if new else "Token updated"}
        )

    async def delete_token(request: web.Request) -> web.Response:
        token_id = request.match_info["token_id"]
        row = db().token(token_id)
        if row is None:
            raise _AdminError(404, "Token not found")
        db().delete_token(token_id)
        pool.remove(row["secret"])
        return json_response({"success": True, "message": "Token deleted"})

    async def quotas(request: web.Request) -> web.Response:
        token_id = request.match_info["token_id"]
        row = db().token(token_id)
        if row is None:
            raise _AdminError(404, "Token not found")
        if request.query.get("refresh") == "true" and settings.code_assist:
            answer = await upstream.user_quota(row["secret"])
            buckets = answer.get("buckets") if isinstance(answer, dict) else None
            for b in buckets if isinstance(buckets, list) else ():
                if isinstance(b, dict) and isinstance(b.get("modelId"), str):
                    fraction = b.get("remainingFraction")
                    db().put_quota(
                        token_id,
                        b["modelId"],
                        float(fraction) if isinstance(fraction, int | float) else 1.0,
                        b.get("resetTime") if isinstance(b.get("resetTime"), str) else None,
                    )
        cred = pool.get(row["secret"])
        if cred is not None:  # what the proxy saw: a model cooling after a 429 has none left
            now_mono, now = time.monotonic(), datetime.now(UTC)
            for model, until in cred.until.items():
                if until > now_mono and model != "*":
                    when = now + timedelta(seconds=until - now_mono)
                    db().put_quota(token_id, model, 0.0, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        last, models = db().quotas(token_id)
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

    def rotation_doc() -> dict[str, Any]:
        return {"strategy": pool.strategy, "requestCount": pool.request_count}

    async def get_rotation(_request: web.Request) -> web.Response:
        return json_response({"success": True, "data": rotation_doc()})

    async def put_rotation(request: web.Request) -> web.Response:
        body = await body_of(request)
        strategy = body.get("strategy", pool.strategy)
        count = body.get("requestCount")
        if strategy not in STRATEGIES:
            raise _AdminError(400, f"strategy must be one of {', '.join(STRATEGIES)}")
        try:
            pool.configure(strategy, count)
        except ValueError as exc:
            raise _AdminError(400, str(exc).replace("request_count", "requestCount")) from None
        db().put("rotation", rotation_doc())
        return json_response(
            {"success": True, "message": "Rotation updated", "data": rotation_doc()}
        )

    def config_doc() -> dict[str, Any]:
        other = dict(config.get("other") or {})
        other["retryTimes"] = upstream.max_attempts - 1
        other["passSignatureToClient"] = state.pass_signature_to_client
        other["useContextSystemPrompt"] = state.use_context_system_prompt
        return {
            **config,
            "defaults": dict(state.defaults),
            "other": other,
            "rotation": rotation_doc(),
        }

    def env_doc() -> dict[str, Any]:
        return {"SYSTEM_INSTRUCTION": state.system_instruction}

    async def get_config(_request: web.Request) -> web.Response:
        return json_response({"success": True, "data": {"json": config_doc(), "env": env_doc()}})

    async def put_config(request: web.Request) -> web.Response:
        body = await body_of(request)
        update = body.get("json")
        if not isinstance(update, dict):
            raise _AdminError(400, 'the body must be {"json": {...}}')
        defaults = update.get("defaults")
        if defaults is not None:
            for key, value in _section(defaults, "json.defaults", CONFIG_DEFAULT_KEYS).items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise _AdminError(400, f"json.defaults.{key} must be a number")
        other = update.get("other")
        if other is not None:
            if not isinstance(other, dict):
                raise _AdminError(400, "json.other must be an object")
            retries = other.get("retryTimes")
            if retries is not None and (
                isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 9
            ):
                raise _AdminError(400, "json.other.retryTimes must be an integer in [0, 9]")
            for key in CONFIG_SWITCHES:
                if other.get(key) is not None and not isinstance(other[key], bool):
                    raise _AdminError(400, f"json.other.{key} must be true or false")
        env_update = body.get("env")
        if env_update is not None:
            for key, value in _section(env_update, "env", CONFIG_ENV_KEYS).items():
                if not isinstance(value, str):
                    raise _AdminError(400, f"env.{key} must be a string")
        for key, value in update.items():
            if key == "rotation":
                continue
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}
            else:
                config[key] = value
        db().put("config", config)
        if env_update:
            env.update(env_update)
            db().put("env", env)
        apply_config()
        return json_response(
            {
                "success": True,
                "message": "Config updated",
                "data": {"json": config_doc(), "env": env_doc()},
            }
        )

    app.router.add_post("/admin/login", login)
    app.router.add_get("/admin/tokens", guard(list_tokens))
    app.router.add_post("/admin/tokens", guard(add_token))
    app.router.add_delete("/admin/tokens/{token_id}", guard(delete_token))
    app.router.add_get("/admin/tokens/{token_id}/quotas", guard(quotas))
    app.router.add_get("/admin/rotation", guard(get_rotation))
    app.router.add_put("/admin/rotation", guard(put_rotation))
    app.router.add_get("/admin/config", guard(get_config))
    app.router.add_put("/admin/config", guard(put_config))
