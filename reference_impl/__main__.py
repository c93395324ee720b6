"""``python -m reference_impl`` / ``reference-proxy``: run the reference proxy.

Prints exactly one line to stdout, the base URL ``http://HOST:PORT`` (flushed, so a
parent process can read the port it got with ``--port 0``); logs go to stderr. Runs
until SIGINT or SIGTERM, then closes the upstream session and exits 0. When it cannot
listen (the port is in use, the address is not local...) it prints one line to stderr
(``reference-proxy: cannot listen on 127.0.0.1:4000: address already in use``) and exits
2. Uses uvloop when it is importable.

A client that goes away cancels its request at once (:func:`runner`: aiohttp's
``handler_cancellation``): the upstream call in flight is cancelled and its connection
closed, unary or streamed, instead of running on (retries included) until the next write
to the vanished client.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from httplane import LaneSite

from .app import create_app
from .cli import settings_from_args
from .server.appkeys import NOTICES
from .settings import Settings

__all__ = ["ListenError", "main", "runner", "serve"]

log = logging.getLogger("reference_impl")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ListenError(Exception):
    """The proxy cannot listen on its address; the message is one line for stderr."""


def _listen_error(host: str, port: int, exc: OSError) -> ListenError:
    reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or str(exc)
    address = _base_url(host, port).removeprefix("http://")
    return ListenError(f"cannot listen on {address}: {reason.lower()}")


def runner(settings: Settings) -> web.AppRunner:
    """The application runner of ``settings``: no access log, no signal handling, a 75 s
    keep-alive, and the handler of a request whose client disconnects is cancelled at
    once (with the upstream call it awaits)."""
    return web.AppRunner(
        create_app(settings),
        access_log=None,
        handle_signals=False,
        keepalive_timeout=75,
        handler_cancellation=True,
    )


def _tune_gc() -> None:
    """Move what start-up built (schemas, documents, catalogs) out of the collector's
    sight and collect the young generation less often: requests allocate many short-lived
    containers, and the cyclic collector was ~7% of the CPU under load (issue 16)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


async def serve(settings: Settings) -> None:
    """Serve ``settings`` until SIGINT/SIGTERM; prints the base URL once it listens.
    Raises :class:`ListenError` when it cannot listen."""
    runner_ = runner(settings)
    await runner_.setup()
    _tune_gc()
    try:
        site = LaneSite(runner_, settings.host, settings.port, backlog=1024)
        try:
            await site.start()
        except OSError as exc:
            raise _listen_error(settings.host, settings.port, exc) from None
        port = int(runner_.addresses[0][1])
        print(_base_url(settings.host, port), flush=True)
        log.info(
            "reference proxy on %s (profile %s, upstream %s)",
            _base_url(settings.host, port),
            settings.profile,
            settings.upstream_url,
        )
        for notice in runner_.app[NOTICES]:
            log.warning("%s", notice)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner_.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; ``argv`` defaults to ``sys.argv[1:]``. Returns the exit code."""
    settings = settings_from_args(argv, os.environ)
    logging.basicConfig(
        stream=sys.stderr,
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as loop_runner:
            loop_runner.run(serve(settings))
    except ListenError as exc:
        print(f"reference-proxy: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
