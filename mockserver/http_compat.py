"""Google's OpenAI-compatible endpoint under ``/v1beta/openai`` (docs/breakages.md D1).

- ``POST /v1beta/openai/chat/completions`` (unary and ``stream: true``);
- ``POST /v1beta/openai/embeddings``;
- ``GET  /v1beta/openai/models``, ``GET /v1beta/openai/models/{model}``.

Credentials: ``Authorization: Bearer <Gemini key>`` (also ``x-goog-api-key`` or
``?key=``; two of them at once are a 400, as Google does, G3). Chat completions and
embeddings count against the key's quota. Every error body is an array
(:func:`mockserver.compat_response.error_body`). Directives work as on
``generateContent`` (header, queue, in-band in the last user message); translation
and rendering are :mod:`mockserver.compat_request` and :mod:`mockserver.compat_response`.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from httplane import LANES
from mockserver import catalog, errors
from mockserver.compat_request import parse_chat
from mockserver.compat_response import (
    chat_reply,
    compat_error,
    embeddings,
    model_entry,
    models_list,
)
from mockserver.http_core import Core, Incoming
from mockserver.request import parse_json
from mockserver.responses import JSON_HEADERS, Handled, Reply, select_directive
from spec.scenarios import DIRECTIVE_HEADER

__all__ = ["PREFIX", "add_compat_routes"]

PREFIX = "/v1beta/openai"


def _credential(request: Incoming) -> str | errors.GoogleError:
    found = []
    bearer = request.headers.get("authorization", "")
    if bearer[:7].lower() == "bearer " and bearer[7:].strip():
        found.append(bearer[7:].strip())
    for value in (request.headers.get("x-goog-api-key"), request.query.get("key")):
        if value:
            found.append(value)
    if not found:
        return errors.unregistered_caller()
    if len(found) > 1:
        return errors.multiple_credentials()
    return found[0]


def add_compat_routes(app: web.Application, core: Core) -> None:
    """Register the ``/v1beta/openai`` routes (before the Gemini catch-all)."""

    def auth(request: Incoming) -> tuple[str, Reply | None]:
        key = _credential(request)
        if isinstance(key, errors.GoogleError):
            return "", compat_error(key)
        invalid = core.key_error(key)
        return key, None if invalid is None else compat_error(invalid)

    async def chat(request: Incoming) -> web.StreamResponse:
        key, denied = auth(request)
        raw = await request.read()
        if denied is not None:
            return await core.send(request, Handled(denied), raw)
        header = request.headers.get(DIRECTIVE_HEADER)
        memo_key = ("compat", header, raw)
        if not core.queue and not core.quotas:  # the hot path: a repeated request
            hit = core.cache.get(memo_key)  # (only successful parses are memoised)
            if hit is not None:
                return await core.send(request, hit, raw)
        try:
            parsed = parse_chat(parse_json(raw))
            model = catalog.lookup(parsed.model)
            if model is None or not model.generate:
                raise errors.model_not_found(parsed.model, "generateContent", "v1main")
        except errors.GoogleError as exc:
            return await core.send(request, Handled(compat_error(exc)), raw)
        if core.quotas:
            spent = core.over_quota(key, model.id)
            if spent is not None:
                return await core.send(request, Handled(compat_error(spent)), raw)

        def make() -> Handled:
            try:
                directive = select_directive(parsed.body, header, core.pop_queued)
            except errors.GoogleError as exc:
                return Handled(compat_error(exc))
            reply = chat_reply(
                model, parsed.model, parsed.body, directive, core.seed, stream=parsed.stream
            )
            if directive is not None and directive.capture is not None:
                # this endpoint does not replay captures: journal what it did answer
                directive = replace(directive, capture=None)
            return Handled(reply, directive)

        handled = core.memo(memo_key, len(raw), make)
        return await core.send(request, handled, raw)

    async def embed(request: web.Request) -> web.StreamResponse:
        key, denied = auth(request)
        raw = await request.read()
        if denied is not None:
            return await core.send(request, Handled(denied), raw)
        try:
            body = parse_json(raw)
            name = body.get("model") if isinstance(body, dict) else None
            if core.quotas and isinstance(name, str):
                spent = core.over_quota(key, name.removeprefix("models/"))
                if spent is not None:
                    raise spent
            reply = Reply(200, JSON_HEADERS, embeddings(body, core.seed))
        except errors.GoogleError as exc:
            reply = compat_error(exc)
        return await core.send(request, Handled(reply), raw)

    async def list_models(request: web.Request) -> web.StreamResponse:
        _, denied = auth(request)
        reply = denied or Reply(200, JSON_HEADERS, models_list())
        return await core.send(request, Handled(reply))

    async def get_model(request: web.Request) -> web.StreamResponse:
        _, denied = auth(request)
        if denied is None:
            name = request.match_info["name"]
            entry = model_entry(name)
            if entry is None:
                denied = compat_error(errors.model_not_found(name, "get", "v1main"))
            else:
                denied = Reply(200, JSON_HEADERS, entry)
        return await core.send(request, Handled(denied))

    async def unknown(request: web.Request) -> web.StreamResponse:
        _, denied = auth(request)
        reply = denied or compat_error(errors.method_not_found())
        return await core.send(request, Handled(reply), await request.read())

    lanes = app.get(LANES)
    if lanes is not None:
        lanes.add_post(f"{PREFIX}/chat/completions", chat)
    app.router.add_post(f"{PREFIX}/chat/completions", chat)
    app.router.add_post(f"{PREFIX}/embeddings", embed)
    app.router.add_get(f"{PREFIX}/models", list_models, allow_head=False)
    app.router.add_get(f"{PREFIX}/models/{{name:.+}}", get_model, allow_head=False)
    app.router.add_route("*", f"{PREFIX}/{{tail:.*}}", unknown)
