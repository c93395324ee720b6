"""In-process servers for tests: an aiohttp app on 127.0.0.1:0 in a background thread,
behind the fast lane (:class:`httplane.LaneSite`) as the servers' command lines run it.

``with serve(app_factory) as base_url:`` starts the app on a free port, waits until it
listens (a ``threading.Event``, no sleeps) and yields ``http://127.0.0.1:PORT``;
``with mock_and_reference(api_key) as (proxy, mock):`` starts the mock and the reference
proxy in front of it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from httplane import LaneSite

__all__ = ["mock_and_reference", "serve"]


@contextmanager
def serve(app_factory: Callable[[], web.Application], **runner_options: Any) -> Iterator[str]:
    """Run ``app_factory()`` on 127.0.0.1 on a free port; yield its base URL.
    ``runner_options``: more :class:`aiohttp.web.AppRunner` arguments
    (``keepalive_timeout``, ``handler_cancellation``...)."""
    ready = threading.Event()
    state: dict[str, object] = {}
    loop = asyncio.new_event_loop()

    async def start() -> None:
        runner = web.AppRunner(app_factory(), access_log=None, **runner_options)
        await runner.setup()
        site = LaneSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site.port
        state["runner"] = runner
        state["url"] = f"http://127.0.0.1:{port}"

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # surface start-up errors to the test
            state["error"] = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="test-server", daemon=True)
    thread.start()
    ready.wait(30)
    error = state.get("error")
    if isinstance(error, BaseException):
        raise RuntimeError("test server failed to start") from error
    try:
        yield str(state["url"])
    finally:
        runner = state["runner"]
        assert isinstance(runner, web.AppRunner)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


@contextmanager
def mock_and_reference(api_key: str, upstream_key: str = "k1") -> Iterator[tuple[str, str]]:
    """The mock and the reference proxy (its Gemini base URL the mock's ``/v1beta``,
    ``upstream_key`` its one key, ``api_key`` the client key it accepts): yields
    ``(proxy_url, mock_url)``."""
    from mockserver.app import create_app as create_mock
    from mockserver.settings import Settings as MockSettings
    from reference_impl.app import create_app as create_proxy
    from reference_impl.settings import Settings as ProxySettings

    with serve(lambda: create_mock(MockSettings())) as mock:
        settings = ProxySettings(
            upstream_url=f"{mock}/v1beta",
            upstream_keys=(upstream_key,),
            api_keys=frozenset({api_key}),
        )
        with serve(lambda: create_proxy(settings)) as proxy:
            yield proxy, mock
