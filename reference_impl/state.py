"""The proxy's shared state and the plumbing every route module uses.

:class:`State` holds what lives as long as the application: settings, the profile's
:class:`~reference_impl.contract.Contract`, the credential pool, the upstream client,
the thought-signature memory, the request defaults (profile + antigravity2api admin
config), antigravity2api's system-prompt and signature options ('Configuration Options'),
the admin store, the served images and the gemini-reverse rate limiter.

:meth:`State.endpoint` wraps a handler with the route group's client auth and turns
every :class:`~reference_impl.errors.ProxyError` into the profile's error envelope
(OpenAI ``{"error": {...}}``, plus gemini-reverse's ``"detail"`` in that profile); an
unexpected exception is logged and answered 500 in the same envelope, never with a traceback.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from types import MappingProxyType
from typing import Any

import orjson
from aiohttp import web

from .contract import SAFETY_CATEGORIES, Contract, contract_for
from .policy.keys import KeyPool
from .policy.ratelimit import RateLimiter
from .settings import Settings
from .stores.images import ImageStore
from .stores.signatures import SignatureCache
from .translate.errors import ProxyError, RequestError, json_kind
from .translate.request import ChatOptions
from .translate.response import MediaSink
from .translate.thinking import Rules
from .upstream.client import Upstream
from .validation.operations import JSON, Operation, SpecValidation, for_document, version_id

__all__ = [
    "INTERNAL",
    "JSON_HEADERS",
    "STATE",
    "Handler",
    "State",
    "client_key",
    "json_response",
    "parse_json",
]

log = logging.getLogger("reference_impl")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON_HEADERS = {"Content-Type": "application/json"}
INTERNAL = ProxyError(
    500, "internal error in the proxy", type="server_error", code="internal_error"
)


def json_response(
    obj: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """``obj`` as compact JSON with ``Content-Type: application/json``."""
    if headers:
        headers = {**JSON_HEADERS, **headers}
    return web.Response(body=orjson.dumps(obj), status=status, headers=headers or JSON_HEADERS)


def parse_json(raw: bytes) -> Any:
    """The JSON value of a request body; a 400 ``invalid_json`` when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(
            f"the request body is not valid JSON: {exc}", param=None, code="invalid_json"
        ) from None


def client_key(request: web.Request) -> str:
    """The client's key: ``Authorization: Bearer K``, ``x-api-key``, ``x-goog-api-key`` or
    ``?key=`` (docs/breakages.md G3); ``""`` when none was sent."""
    headers = request.headers
    auth = headers.get("Authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    key = headers.get("x-api-key") or headers.get("x-goog-api-key") or request.query.get("key")
    return key.strip() if key else ""


class State:
    """Everything a handler needs; one instance per application."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.contract: Contract = contract_for(
            settings.profile, older=settings.doc_version == "older"
        )
        strategy, count = self.contract.rotation
        self.pool = KeyPool(
            settings.credentials,
            strategy=settings.rotation or strategy,
            request_count=settings.rotation_requests or count,
        )
        self.upstream = Upstream(settings, self.pool)
        self.signatures = SignatureCache(settings.signature_cache_size)
        self.system_instruction = settings.system_instruction
        """002 ``SYSTEM_INSTRUCTION`` (settings, or ``PUT /admin/config`` ``env``)."""
        self.use_context_system_prompt = settings.use_context_system_prompt
        """002 ``other.useContextSystemPrompt`` (settings, or the admin config)."""
        self.pass_signature_to_client = settings.pass_signature_to_client
        """002 ``other.passSignatureToClient`` (settings, or the admin config)."""
        self.chat_options = ChatOptions()
        self.set_defaults(dict(self.contract.defaults))
        self.limiter = (
            RateLimiter() if settings.rate_limits and settings.profile == "gemini-reverse" else None
        )
        self._keys = [k.encode() for k in sorted(settings.api_keys)]
        self.started = time.time()
        self.models_cache: tuple[float, dict[str, Any], bytes] | None = None
        self.closers: list[Callable[[], Awaitable[None]]] = []
        """Run at shutdown, last registered first."""
        self.images = ImageStore(settings.image_dir or None)
        self.closers.append(self._close_images)
        self.jwt_secret = settings.jwt_secret or secrets.token_urlsafe(32)
        self.extra: dict[str, Any] = {}
        """Per-module state (admin store, batches, ...), keyed by module name."""
        older = settings.doc_version == "older"
        self.validation: SpecValidation = for_document(
            settings.profile, version_id(settings.profile, older=older)
        )
        """The checks of the profile's document (the version ``doc_version`` names)."""
        self._operations: dict[web.AbstractRoute, Operation] = {}
        self._dynamic: set[web.AbstractRoute] = set()

    async def _close_images(self) -> None:
        self.images.close()

    async def close(self) -> None:
        """Run the registered closers (background tasks, the admin database)."""
        while self.closers:
            await self.closers.pop()()

    def set_defaults(self, defaults: dict[str, object]) -> None:
        """Request fields applied when a chat request omits them (the profile's, or antigravity2api
        ``PUT /admin/config`` ``defaults``); also takes up :attr:`system_instruction` and
        :attr:`use_context_system_prompt` as they are now."""
        c = self.contract
        self.defaults = defaults
        self.chat_options = ChatOptions(
            default_model=c.default_model,
            stream_default=c.stream_default,
            defaults=MappingProxyType(dict(defaults)),
            thinking=Rules(c.efforts, c.budget_range, c.default_budget)
            if c.efforts is not None or c.default_budget is not None
            else None,
            safety_off=c.safety_off,
            safety_categories=SAFETY_CATEGORIES,
            system_instruction=self.system_instruction,
            context_system_prompt=self.use_context_system_prompt,
        )

    def media_sink(self, request: web.Request) -> MediaSink | None:
        """Where image parts of chat answers go: served files (``![image](URL)``) when
        the profile serves ``/images``, else ``data:`` URLs."""
        if not self.contract.image_markdown or not self.contract.serves("served_images"):
            return None
        images = self.images

        def sink(mime: str, data: str) -> str:  # built per request, called only for images
            return f"{self.public_base(request)}/images/{images.save_b64(data, mime)}"

        return sink

    # ------------------------------------------------------------------ errors

    def error(self, err: ProxyError) -> web.Response:
        """``err`` in the profile's envelope, with its headers.

        gemini-reverse documents both ``{"error": {"code", "message", "type"}}`` ('Error Format')
        and FastAPI's ``{"detail": "..."}`` (its examples); the ``detail`` style sends
        both keys, so gemini-reverse's clients and OpenAI's each find their field.
        """
        body = err.envelope()
        if self.contract.error_style == "detail":
            body["detail"] = err.message
        headers = {**JSON_HEADERS, **err.headers} if err.headers else JSON_HEADERS
        return web.Response(status=err.status, body=orjson.dumps(body), headers=headers)

    # ------------------------------------------------------------------ the document

    def bind(self, app: web.Application) -> None:
        """Map every route of ``app`` to the document operation it serves, once all
        routes are added. A route whose path template matches an operation's is bound to
        it; other routes with path parameters (``/gemini/v1beta/{path:.+}``) are resolved
        per request from the concrete path."""
        for route in app.router.routes():
            resource = route.resource
            if resource is None:
                continue
            op = self.validation.match(route.method, resource.canonical)
            if op is not None:
                self._operations[route] = op
            elif "{" in resource.canonical:
                self._dynamic.add(route)

    def operation(self, request: web.Request) -> Operation | None:
        """The operation of the profile's document that ``request`` hits, if it has
        anything to check."""
        route = request.match_info.route
        op = self._operations.get(route)
        if op is None and route in self._dynamic:
            return self.validation.find(request.method, request.path)
        return op

    async def check_request(self, request: web.Request) -> None:
        """Raise the 400 (:class:`RequestError` naming the field) for a request whose path
        or query parameters or JSON body the profile's document rejects.

        A ``multipart/form-data`` body is checked once parsed (:meth:`check_form`).
        """
        op = self.operation(request)
        if op is None:
            return
        if op.params:
            op.check_params(request.path, request.query)
        if op.media == JSON:
            raw = await self.read_body(request)
            if raw or op.body_required:
                op.check_body(parse_json(raw))

    def check_form(self, request: web.Request, form: dict[str, object]) -> None:
        """Raise the 400 for a parsed ``multipart/form-data`` body the document rejects.

        ``form``: the text fields as strings and each file as ``latin-1`` text of its
        bytes (one character per byte: OpenAPI 3.1 validators type-check ``format:
        binary`` fields as strings).
        """
        op = self.operation(request)
        if op is not None and op.media is not None and op.media != JSON:
            op.check_body(form)

    # ------------------------------------------------------------------ auth

    def gate(self, request: web.Request, group: str) -> ProxyError | None:
        """``None`` when ``request`` may use ``group``, else the 401 to answer."""
        contract = self.contract
        if not contract.client_auth or group in contract.open_groups:
            return None
        key = client_key(request)
        if not key:
            return ProxyError(
                401,
                "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
                type="invalid_request_error",
                code="invalid_api_key",
            )
        if self._keys:
            given = key.encode()
            if not any(hmac.compare_digest(given, k) for k in self._keys):
                return ProxyError(
                    401,
                    "Incorrect API key provided.",
                    type="authentication_error",
                    code="invalid_api_key",
                )
        return None

    def endpoint(self, group: str, fn: Handler) -> Handler:
        """``fn`` behind ``group``'s auth, with errors in the profile's envelope."""

        async def handler(request: web.Request) -> web.StreamResponse:
            denied = self.gate(request, group)
            if denied is not None:
                return self.error(denied)
            try:
                await self.check_request(request)
                return await fn(request)
            except ProxyError as err:
                if err.status >= 500:
                    log.warning(
                        "%s %s -> %d %s", request.method, request.path, err.status, err.message
                    )
                return self.error(err)
            except web.HTTPException:
                raise
            except Exception:
                log.exception("unexpected error on %s %s", request.method, request.path)
                return self.error(INTERNAL)

        handler.__name__ = getattr(fn, "__name__", "handler")
        handler.__doc__ = fn.__doc__
        return handler

    # ------------------------------------------------------------------ bodies

    async def read_body(self, request: web.Request) -> bytes:
        """The raw body; 413 beyond ``max_body_bytes``."""
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ProxyError(
                413,
                f"the request body exceeds {self.settings.max_body_bytes} bytes",
                type="invalid_request_error",
                code="request_too_large",
            ) from None

    async def read_object(self, request: web.Request) -> dict[str, Any]:
        """The JSON object body; 400 naming the problem otherwise."""
        body = parse_json(await self.read_body(request))
        if not isinstance(body, dict):
            raise RequestError(
                f"the request body must be a JSON object; got {json_kind(body)}",
                param=None,
                code="invalid_type",
            )
        return body

    # ------------------------------------------------------------------ limits

    def admit(self, request: web.Request, model: str) -> Callable[[], None] | None:
        """Apply the profile's rate limits (gemini-reverse) to one request for ``model``.

        Returns the function that gives back the concurrency slot (``None`` when no
        limits are enforced); raises a 429 ProxyError with ``Retry-After``.
        """
        limiter = self.limiter
        if limiter is None:
            return None
        ip = request.remote or "?"
        refusal = limiter.admit(ip, model)
        if refusal is not None:
            raise ProxyError(
                429,
                refusal.message,
                type="rate_limit_error",
                code="rate_limit_exceeded",
                headers={"Retry-After": refusal.retry_after},
            )
        return limiter.release

    def public_base(self, request: web.Request) -> str:
        """The base URL of served files: ``--public-url``, else this request's host."""
        return self.settings.public_url or f"{request.scheme}://{request.host}"


STATE = web.AppKey("state", State)
"""The application's :class:`State`."""
