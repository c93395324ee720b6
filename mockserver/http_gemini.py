"""The Gemini v1beta routes (docs/gemini-wire.md A), under ``/v1beta`` and its alias ``/v1``.

- ``GET  {p}/models``, ``GET {p}/models/{model}`` (A6);
- ``POST {p}/models/{model}:generateContent`` | ``:streamGenerateContent`` (``?alt=sse``
  for SSE, else a JSON array) | ``:countTokens`` | ``:embedContent`` |
  ``:batchEmbedContents`` | ``:predict`` (Imagen, A6).

Every request is authenticated first (A4: ``x-goog-api-key`` header, else ``?key=``;
``Authorization: Bearer`` alone is a 401), then, for model calls (not countTokens),
counted against the key's quota (429 when spent). Replies are memoised
(:meth:`~mockserver.http_core.Core.memo`): they are a pure function of the request
while the scenario queue is empty. A generate call whose directive names a capture
(``capture=NAME``) is answered with it (:mod:`mockserver.captures`) and journaled
under ``capture:NAME`` (:meth:`~mockserver.http_core.Core.send`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from aiohttp import web

from httplane import LANES
from mockserver import catalog, errors
from mockserver.captures import Captures
from mockserver.http_core import Core, Incoming
from mockserver.quota import FirstKeys
from mockserver.request import (
    directive_from_text,
    find_inband_directive,
    include_thoughts,
    parse_json,
)
from mockserver.responses import (
    Handled,
    Reply,
    as_stream_error,
    error_reply,
    generate_error,
    handle_count_tokens,
    handle_embed,
    handle_generate,
    handle_predict,
    json_reply,
)
from spec.scenarios import DIRECTIVE_HEADER, Directive, Scenario

__all__ = ["API_PREFIXES", "add_gemini_routes"]

API_PREFIXES = ("/v1beta", "/v1")
"""Both API versions are served the same way (google-genai 3.x defaults to ``/v1``)."""


def _same(handled: Handled) -> Handled:
    return handled


_UNREGISTERED = error_reply(errors.unregistered_caller())
_OAUTH = error_reply(errors.oauth_token_invalid())
_NO_METHOD = error_reply(errors.method_not_found())
_GENERATE = frozenset({"generateContent", "streamGenerateContent"})
_METHODS = frozenset(
    {
        "generateContent",
        "streamGenerateContent",
        "countTokens",
        "embedContent",
        "batchEmbedContents",
        "predict",
    }
)


_KEY_LIMITED_TEXT = Scenario.KEY_RATE_LIMIT.value
_KEY_LIMITED = _KEY_LIMITED_TEXT.encode()


def key_limited_header(
    first_keys: FirstKeys, key: str, raw: bytes, header: str | None
) -> str | None:
    """The directive header a ``key_rate_limit`` request is answered under: unchanged
    for the first credential of its ``cid`` (a 429), ``scenario=text`` for any other.
    A body or directive that does not parse is left to the ordinary path's 400."""
    directive: Directive | None
    try:
        if header is not None:
            directive = directive_from_text(header)
        else:
            body = parse_json(raw)
            directive = find_inband_directive(body) if isinstance(body, dict) else None
    except errors.GoogleError:
        return header
    if directive is None or directive.scenario is not Scenario.KEY_RATE_LIMIT:
        return header
    if first_keys.is_first(directive.cid or "", key):
        return header
    return replace(directive, scenario=Scenario.TEXT).render()


def _version(request: Incoming) -> str:
    return "v1" if request.path.startswith("/v1/") else "v1beta"


def add_gemini_routes(app: web.Application, core: Core, captures: Captures | None = None) -> None:
    """Register the v1beta and v1 routes (catch-alls last, after any other prefix);
    ``captures``: what ``capture=NAME`` directives replay (none: such a call is a 400)."""
    seed = core.seed
    pop_queued = core.pop_queued
    send = core.send
    memo = core.memo
    quotas = core.quotas
    cache = core.cache
    queue = core.queue
    first_keys = FirstKeys()

    def auth(request: Incoming) -> tuple[str, Reply | None]:
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not key:
            if request.headers.get("authorization", "")[:7].lower() == "bearer ":
                return "", _OAUTH
            return "", _UNREGISTERED
        invalid = core.key_error(key) if core.restricted else None
        return key, None if invalid is None else error_reply(invalid)

    async def list_models(request: web.Request) -> web.StreamResponse:
        _, denied = auth(request)
        if denied is not None:
            return await send(request, Handled(denied))
        query = request.query
        try:
            body = catalog.list_page(query.get("pageSize"), query.get("pageToken"))
        except errors.GoogleError as exc:
            return await send(request, Handled(error_reply(exc)))
        return await send(request, Handled(json_reply(body)))

    async def get_model(request: web.Request) -> web.StreamResponse:
        _, denied = auth(request)
        if denied is not None:
            return await send(request, Handled(denied))
        name = request.match_info["name"]
        model = catalog.lookup(name)
        if model is None:
            error = errors.model_not_found(name, "get", _version(request))
            return await send(request, Handled(error_reply(error)))
        return await send(request, Handled(json_reply(model.body)))

    async def call_model(request: Incoming) -> web.StreamResponse:
        name, _, method = request.match_info["name"].partition(":")
        streamed = method == "streamGenerateContent"
        sse = streamed and request.query.get("alt") == "sse"
        # Google's errors to a streamed call have a Content-Length, and to an alt=sse
        # call they are JSON under text/event-stream (A5)
        shaped = partial(as_stream_error, sse=sse) if streamed else _same
        # read first: a refused call is journalled with its body and correlation id too,
        # so a run can tell which of its requests the proxy sent where
        raw = await request.read()
        key, denied = auth(request)
        if denied is not None:
            return await send(request, shaped(Handled(denied)), raw)
        if method not in _METHODS:
            return await send(request, Handled(_NO_METHOD), raw)
        model = catalog.lookup(name)
        if model is None or not model.supports(method):
            error = errors.model_not_found(name, method, _version(request))
            return await send(request, shaped(Handled(error_reply(error))), raw)
        if quotas and method != "countTokens":
            spent = core.over_quota(key, model.id)
            if spent is not None:
                return await send(request, shaped(Handled(generate_error(spent))), raw)
        header = request.headers.get(DIRECTIVE_HEADER)
        if _KEY_LIMITED in raw or (header is not None and _KEY_LIMITED_TEXT in header):
            header = key_limited_header(first_keys, key, raw, header)
        memo_key = (model.id, method, sse, header, raw)
        hit = cache.get(memo_key) if not queue else None  # the hot path: a repeated request
        if hit is not None:
            return await send(request, hit, raw)

        def make() -> Handled:
            if method in _GENERATE:
                return shaped(
                    handle_generate(
                        model,
                        raw,
                        header=header,
                        pop_queued=pop_queued,
                        seed=seed,
                        stream=streamed,
                        sse=sse,
                        replay=None
                        if captures is None
                        else lambda d: captures.reply(
                            d, stream=streamed, sse=sse, thoughts=_asks_thoughts(raw)
                        ),
                    )
                )
            if method == "countTokens":
                return handle_count_tokens(raw)
            if method == "predict":
                return handle_predict(model, raw, header=header, pop_queued=pop_queued, seed=seed)
            return handle_embed(model, raw, seed, batch=method == "batchEmbedContents")

        handled = memo(memo_key, len(raw), make)
        return await send(request, handled, raw)

    async def unknown(request: web.Request) -> web.StreamResponse:
        _, denied = auth(request)
        return await send(request, Handled(denied or _NO_METHOD), await request.read())

    lanes = app.get(LANES)
    for prefix in API_PREFIXES:
        if lanes is not None:
            lanes.add_post_segment(f"{prefix}/models/", "name", call_model)
        app.router.add_post(f"{prefix}/models/{{name}}", call_model)
        app.router.add_get(f"{prefix}/models/{{name}}", get_model, allow_head=False)
        app.router.add_get(f"{prefix}/models", list_models, allow_head=False)
        app.router.add_route("*", f"{prefix}/{{tail:.*}}", unknown)


def _asks_thoughts(raw: bytes) -> bool:
    """Whether the generate request ``raw`` asks for thought parts (``includeThoughts``);
    a body that does not parse is answered by the generator's own error first."""
    try:
        body = parse_json(raw)
    except errors.GoogleError:
        return True
    return include_thoughts(body) if isinstance(body, dict) else True
