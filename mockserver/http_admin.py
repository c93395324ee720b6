"""The mock's admin routes (``/_mock/...``, never journaled), JSON in and out.

(The fixture images ``/_mock/image.png|jpg`` live in :mod:`mockserver.http_fixtures`
and are journaled.)

- ``GET /_mock/health`` -> ``{"status": "ok"}``;
- ``GET /_mock/models`` -> every served model, the body of ``GET
  /v1beta/models?pageSize=1000`` with no API key needed (the suite reads the upstream's
  catalogue there whatever ``--api-key`` the mock was started with);
- ``GET|DELETE /_mock/requests`` (``?cid=`` filters the GET): the journal
  (:mod:`mockserver.journal`) / clear it -> ``{"cleared": n}``;
- ``GET|POST|DELETE /_mock/scenarios``: the FIFO of directives
  (``{"directive": "scenario=..."}``), consumed by the next generate request that has
  no ``x-mock-scenario`` header;
- ``GET|POST|DELETE /_mock/keys``: API keys with quotas (:mod:`mockserver.quota`).
  POST ``{"key": "k1", "per_minute": 2, "per_day": 100}`` (limits optional, ``null``
  is unlimited) sets the key's limits with fresh usage and makes the key accepted;
  GET lists every key by fingerprint with its usage; DELETE forgets all usage.

Bad admin input is a 400 with a Google-style error body naming the problem. The
contract is ``spec/openapi/mock-admin.yaml``; the bodies are built as its typed models
(:mod:`spec.mock_admin`).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from mockserver import catalog, errors
from mockserver.http_core import Core
from mockserver.journal import fingerprint
from mockserver.request import directive_from_text
from spec.mock_admin import (
    Cleared,
    Health,
    KeyList,
    KeySet,
    KeysReset,
    Queued,
    RequestsPage,
    ScenarioQueue,
)

__all__ = ["add_admin_routes"]

_HEADERS = {"Content-Type": "application/json"}


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(obj), status=status, headers=_HEADERS)


def _bad(message: str) -> web.Response:
    return _json(errors.status_body(400, "INVALID_ARGUMENT", message), 400)


def add_admin_routes(app: web.Application, core: Core) -> None:
    """Register the ``/_mock/...`` routes."""
    journal = core.journal
    queue = core.queue

    async def health(request: web.Request) -> web.StreamResponse:
        body: Health = {"status": "ok"}
        return _json(body)

    async def models(request: web.Request) -> web.StreamResponse:
        body = catalog.list_page(str(catalog.MAX_PAGE_SIZE), None)
        return web.Response(body=body, content_type="application/json")

    async def get_requests(request: web.Request) -> web.StreamResponse:
        body: RequestsPage = {"requests": journal.entries(request.query.get("cid"))}
        return _json(body)

    async def clear_requests(request: web.Request) -> web.StreamResponse:
        body: Cleared = {"cleared": journal.clear()}
        return _json(body)

    async def get_scenarios(request: web.Request) -> web.StreamResponse:
        body: ScenarioQueue = {"scenarios": [d.render() for d in queue]}
        return _json(body)

    async def push_scenario(request: web.Request) -> web.StreamResponse:
        try:
            payload = orjson.loads(await request.read())
            text = payload["directive"]
            if not isinstance(text, str):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return _bad('body must be {"directive": "scenario=... key=value ..."}')
        try:
            directive = directive_from_text(text)
        except errors.GoogleError as exc:
            return _bad(exc.message)
        queue.append(directive)
        queued: Queued = {"queued": len(queue), "directive": directive.render()}
        return _json(queued)

    async def clear_scenarios(request: web.Request) -> web.StreamResponse:
        body: Cleared = {"cleared": len(queue)}
        queue.clear()
        return _json(body)

    async def get_keys(request: web.Request) -> web.StreamResponse:
        body: KeyList = {"keys": core.quotas.snapshot(core.clock())}
        return _json(body)

    async def post_key(request: web.Request) -> web.StreamResponse:
        usage = 'body must be {"key": "...", "per_minute": N | null, "per_day": N | null}'
        try:
            payload = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _bad(usage)
        if not isinstance(payload, dict) or not set(payload) <= {"key", "per_minute", "per_day"}:
            return _bad(usage)
        key = payload.get("key")
        try:
            if not isinstance(key, str) or not key:
                raise ValueError(f"key must be a non-empty string; got {key!r}")
            core.add_key(key, payload.get("per_minute"), payload.get("per_day"))
        except ValueError as exc:
            return _bad(str(exc))
        snapshot = next(
            k for k in core.quotas.snapshot(core.clock()) if k["sha256"] == fingerprint(key)
        )
        body: KeySet = {"key": snapshot}
        return _json(body)

    async def reset_keys(request: web.Request) -> web.StreamResponse:
        body: KeysReset = {"reset": core.quotas.reset()}
        return _json(body)

    app.router.add_get("/_mock/health", health, allow_head=False)
    app.router.add_get("/_mock/models", models, allow_head=False)
    app.router.add_get("/_mock/requests", get_requests, allow_head=False)
    app.router.add_delete("/_mock/requests", clear_requests)
    app.router.add_get("/_mock/scenarios", get_scenarios, allow_head=False)
    app.router.add_post("/_mock/scenarios", push_scenario)
    app.router.add_delete("/_mock/scenarios", clear_scenarios)
    app.router.add_get("/_mock/keys", get_keys, allow_head=False)
    app.router.add_post("/_mock/keys", post_key)
    app.router.add_delete("/_mock/keys", reset_keys)
