"""The aiohttp application: ``create_app(settings, clock=...) -> web.Application``.

It puts together, on one port:

- the Gemini API, ``/v1beta`` and ``/v1`` (:mod:`mockserver.http_gemini`, A1-A6);
- Google's OpenAI-compatible endpoint, ``/v1beta/openai`` (:mod:`mockserver.http_compat`);
- Code Assist ``/v1internal:{method}`` and the OAuth token stub ``/oauth2/token``
  (:mod:`mockserver.http_codeassist`, A7);
- the admin routes ``/_mock/...`` (:mod:`mockserver.http_admin`);
- fixture images for URL-fetching proxies, ``GET /_mock/image.png`` and
  ``/_mock/image.jpg`` (:mod:`mockserver.http_fixtures`, journaled);
- the Live API WebSocket ``/ws/...BidiGenerateContent`` (:mod:`mockserver.http_live`).

The hot generate routes (``generateContent``, ``streamGenerateContent``, the compat
``chat/completions``, Code Assist's ``/v1internal:{method}``) are also registered in the
app's :data:`httplane.LANES`, so a :class:`httplane.LaneSite` serves them without
aiohttp's per-request machinery; the handlers are the same functions either way.

All of them share one :class:`~mockserver.http_core.Core`: journal, scenario queue,
reply memo, key quotas, OAuth issuer; the generate routes share the captures
(:mod:`mockserver.captures`: the bundled corpus plus ``settings.captures``) that
``capture=NAME`` directives replay. ``clock`` (monotonic seconds, default
``time.monotonic``) is read only for key quota windows, so tests can inject a fake one.
"""

from __future__ import annotations

import time
from collections import deque

from aiohttp import web

from httplane import LANES, Lanes
from mockserver import captures as capture_store
from mockserver.captures import Captures
from mockserver.http_admin import add_admin_routes
from mockserver.http_codeassist import add_codeassist_routes
from mockserver.http_compat import add_compat_routes
from mockserver.http_core import Clock, Core
from mockserver.http_fixtures import add_fixture_routes
from mockserver.http_gemini import API_PREFIXES, add_gemini_routes
from mockserver.http_live import add_live_routes
from mockserver.journal import Journal
from mockserver.quota import Quotas
from mockserver.settings import Settings

__all__ = ["API_PREFIXES", "CAPTURES", "JOURNAL", "QUOTAS", "SCENARIO_QUEUE", "create_app"]

JOURNAL = web.AppKey("journal", Journal)
"""The app's :class:`~mockserver.journal.Journal`."""
SCENARIO_QUEUE = web.AppKey("scenario_queue", deque)
"""The app's FIFO of queued :class:`~spec.scenarios.Directive` objects."""
QUOTAS = web.AppKey("quotas", Quotas)
"""The app's key :class:`~mockserver.quota.Quotas`."""
CAPTURES = web.AppKey("captures", Captures)
"""The app's replayable :class:`~mockserver.captures.Captures`."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = time.monotonic,
    captures: Captures | None = None,
) -> web.Application:
    """A new mock server application with its own state (see the module docstring).

    ``captures``: already loaded captures (the CLI loads them first, to fail before it
    listens); ``None`` loads them from ``settings.captures``, raising
    :class:`spec.capture_format.CaptureError` for a directory that cannot be read."""
    settings = settings or Settings()
    core = Core(settings, clock)
    if captures is None:
        captures = capture_store.load(settings.captures)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[JOURNAL] = core.journal
    app[SCENARIO_QUEUE] = core.queue
    app[QUOTAS] = core.quotas
    app[CAPTURES] = captures
    app[LANES] = Lanes()  # the generate routes the fast lane serves (httplane.LaneSite)
    add_compat_routes(app, core)  # before the Gemini catch-all under /v1beta
    add_gemini_routes(app, core, captures)
    add_codeassist_routes(app, core, captures)
    add_admin_routes(app, core)
    add_fixture_routes(app, core)
    add_live_routes(app, core)
    return app
