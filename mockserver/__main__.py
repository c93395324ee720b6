"""``mockserver`` / ``python -m mockserver``: run the mock Gemini backend.

Usage::

    mockserver [--host 127.0.0.1] [--port 0] [--seed 0] [--api-key K ...]
               [--key-quota KEY=RPM[,RPD] ...] [--refresh-token T ...]
               [--journal-size 10000] [--access-log]

On start it prints exactly one line to stdout, the base URL (``http://127.0.0.1:PORT``;
``--port 0`` picks a free port), and flushes it; logs go to stderr. It runs until
SIGINT or SIGTERM and then exits with status 0. When it cannot listen (the port is in
use, the address is not local...) it prints one line to stderr
(``mockserver: cannot listen on 127.0.0.1:8090: address already in use``) and exits 2.
Without ``--api-key`` any non-empty key is accepted. ``--key-quota k1=2`` gives key
``k1`` 2 requests per minute, ``k1=2,100`` also 100 per day, ``k1=,100`` only the daily
limit (the key is then accepted even when ``--api-key`` restricts keys; see
:mod:`mockserver.quota`). ``--refresh-token`` restricts the refresh tokens the OAuth
stub accepts (none given: any). uvloop is used when it is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from mockserver.app import create_app
from mockserver.settings import MAX_SEED, Settings

__all__ = ["ListenError", "main", "parse_args"]

log = logging.getLogger("mockserver")


def _seed(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an integer; got {raw!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"--seed must be in [0, 2**64); got {raw!r}")
    return value


def _port(raw: str) -> int:
    if not raw.isdigit() or int(raw) > 65535:
        raise argparse.ArgumentTypeError(f"--port must be an integer in [0, 65535]; got {raw!r}")
    return int(raw)


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {raw!r}")
    return int(raw)


def _key(raw: str) -> str:
    if not raw:
        raise argparse.ArgumentTypeError("--api-key must not be empty")
    return raw


def _limit(raw: str, name: str) -> int | None:
    if raw == "":
        return None
    if not raw.isascii() or not raw.isdigit():
        raise argparse.ArgumentTypeError(f"--key-quota {name} must be an integer >= 0; got {raw!r}")
    return int(raw)


def _key_quota(raw: str) -> tuple[str, int | None, int | None]:
    key, eq, limits = raw.partition("=")
    if not key or not eq or not limits:
        raise argparse.ArgumentTypeError(f"--key-quota must look like KEY=RPM[,RPD]; got {raw!r}")
    per_minute, _, per_day = limits.partition(",")
    return key, _limit(per_minute, "RPM"), _limit(per_day, "RPD")


def _token(raw: str) -> str:
    if not raw:
        raise argparse.ArgumentTypeError("--refresh-token must not be empty")
    return raw


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="mockserver", description="Deterministic mock of the Gemini v1beta API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port, 0 = a free one (0)")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of generated text (0)")
    parser.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        type=_key,
        default=[],
        help="accepted API key (repeatable); none given: any non-empty key",
    )
    parser.add_argument(
        "--key-quota",
        dest="key_quotas",
        action="append",
        type=_key_quota,
        default=[],
        metavar="KEY=RPM[,RPD]",
        help="per-minute (and per-day) request quota of an API key (repeatable)",
    )
    parser.add_argument(
        "--refresh-token",
        dest="refresh_tokens",
        action="append",
        type=_token,
        default=[],
        help="refresh token the OAuth stub accepts (repeatable); none given: any",
    )
    parser.add_argument(
        "--journal-size", type=_positive, default=10_000, help="journal entries kept (10000)"
    )
    parser.add_argument("--access-log", action="store_true", help="log each request to stderr")
    return parser.parse_args(argv)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ListenError(Exception):
    """The server cannot listen on its address; the message is one line for stderr."""


def _listen_error(host: str, port: int, exc: OSError) -> ListenError:
    reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or str(exc)
    address = _url(host, port).removeprefix("http://")
    return ListenError(f"cannot listen on {address}: {reason.lower()}")


async def _serve(args: argparse.Namespace) -> None:
    settings = Settings(
        seed=args.seed,
        api_keys=frozenset(args.api_keys),
        journal_size=args.journal_size,
        key_quotas=tuple(args.key_quotas),
        refresh_tokens=frozenset(args.refresh_tokens),
    )
    runner = web.AppRunner(
        create_app(settings),
        handle_signals=False,
        access_log=logging.getLogger("aiohttp.access") if args.access_log else None,
    )
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise _listen_error(args.host, args.port, exc) from None
    port = int(runner.addresses[0][1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = _url(args.host, port)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    log.info("mockserver listening on %s (seed=%d, keys=%d)", url, args.seed, len(args.api_keys))
    try:
        await stop.wait()
    finally:
        log.info("mockserver stopping")
        await runner.cleanup()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM; return the exit status (0; 2 when it cannot
    listen)."""
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        with (
            contextlib.suppress(KeyboardInterrupt),
            asyncio.Runner(loop_factory=_loop_factory()) as runner,
        ):
            runner.run(_serve(args))
    except ListenError as exc:
        print(f"mockserver: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
