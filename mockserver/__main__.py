"""``mockserver`` / ``python -m mockserver``: run the mock Gemini backend.

Usage::

    mockserver [--host 127.0.0.1] [--port 0] [--seed 0] [--api-key K ...]
               [--key-quota KEY=RPM[,RPD] ...] [--refresh-token T ...]
               [--journal-size 10000] [--captures DIR] [--access-log]
    mockserver record --upstream URL --out DIR [--host 127.0.0.1] [--port 0]

On start it prints exactly one line to stdout, the base URL (``http://127.0.0.1:PORT``;
``--port 0`` picks a free port), and flushes it; logs go to stderr. It runs until
SIGINT or SIGTERM and then exits with status 0. When it cannot listen (the port is in
use, the address is not local...) it prints one line to stderr
(``mockserver: cannot listen on 127.0.0.1:8090: address already in use``) and exits 2.
Without ``--api-key`` any non-empty key is accepted. ``--key-quota k1=2`` gives key
``k1`` 2 requests per minute, ``k1=2,100`` also 100 per day, ``k1=,100`` only the daily
limit (the key is then accepted even when ``--api-key`` restricts keys; see
:mod:`mockserver.quota`). ``--refresh-token`` restricts the refresh tokens the OAuth
stub accepts (none given: any). ``--captures DIR`` adds the captures of ``DIR`` to the
bundled corpus (same name: ``DIR``'s wins) for ``capture=NAME`` directives
(docs/mock-captures.md); a directory that cannot be read is one line on stderr
(``mockserver: --captures DIR: ...``) and exit status 2, before it listens.
``mockserver record`` is the recording pass-through (:mod:`mockserver.record`). uvloop
is used when it is installed. The generate routes are served by the fast lane
(:class:`httplane.LaneSite`, docs/architecture.md "The fast lane"); with
``--access-log`` aiohttp serves every route, so that every request is logged.

The options are read by click (:data:`COMMAND`); the mock reads no environment
variable. A bad value is a usage error naming its flag (``Invalid value for '--seed':
-1 is not in the range 0<=x<=18446744073709551615.``), exit status 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import click
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from httplane import LaneSite
from mockserver import captures as capture_store
from mockserver.app import create_app
from mockserver.captures import Captures
from mockserver.journal import redact_query
from mockserver.settings import MAX_SEED, Settings
from spec.capture_format import CaptureError, skipped_lines

__all__ = ["COMMAND", "PROG", "ListenError", "Options", "main", "parse_args"]

PROG = "mockserver"
log = logging.getLogger("mockserver")

KeyQuota = tuple[str, int | None, int | None]


class _NonEmpty(click.ParamType[str]):
    """A string that must not be empty."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not value:
            self.fail("must not be empty", param, ctx)
        return str(value)


class _KeyQuotaType(click.ParamType[KeyQuota]):
    """``KEY=RPM[,RPD]`` -> ``(key, per_minute, per_day)``; an empty limit is ``None``."""

    name = "KEY=RPM[,RPD]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> KeyQuota:
        if isinstance(value, tuple):
            return value
        key, eq, limits = str(value).partition("=")
        if not key or not eq or not limits:
            self.fail(f"must look like KEY=RPM[,RPD]; got {value!r}", param, ctx)
        per_minute, _, per_day = limits.partition(",")
        return (
            key,
            self._limit(per_minute, "RPM", param, ctx),
            self._limit(per_day, "RPD", param, ctx),
        )

    def _limit(
        self, raw: str, name: str, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | None:
        if raw == "":
            return None
        if not raw.isascii() or not raw.isdigit():
            self.fail(f"{name} must be an integer >= 0; got {raw!r}", param, ctx)
        return int(raw)


def _repeatable(flag: str, kind: click.ParamType[Any], help: str) -> click.Option:
    """A repeatable option whose values land in the plural name (``--api-key`` ->
    ``api_keys``)."""
    name = flag.removeprefix("--").replace("-", "_") + "s"
    return click.Option([flag, name], type=kind, multiple=True, help=f"{help} (repeatable)")


COMMAND = click.Command(
    PROG,
    help="Deterministic mock of the Gemini v1beta API.",
    context_settings={"help_option_names": ["-h", "--help"]},
    params=[
        click.Option(["--host"], default="127.0.0.1", show_default=True, help="address to bind"),
        click.Option(
            ["--port"],
            type=click.IntRange(0, 65535),
            default=0,
            show_default=True,
            help="port, 0 = a free one",
        ),
        click.Option(
            ["--seed"],
            type=click.IntRange(0, MAX_SEED),
            default=0,
            show_default=True,
            help="seed of generated text",
        ),
        _repeatable("--api-key", _NonEmpty(), "accepted API key; none given: any non-empty key"),
        _repeatable(
            "--key-quota", _KeyQuotaType(), "per-minute (and per-day) request quota of an API key"
        ),
        _repeatable(
            "--refresh-token", _NonEmpty(), "refresh token the OAuth stub accepts; none given: any"
        ),
        click.Option(
            ["--journal-size"],
            type=click.IntRange(min=1),
            default=10_000,
            show_default=True,
            help="journal entries kept",
        ),
        click.Option(
            ["--captures"],
            type=_NonEmpty(),
            default=None,
            help="directory of captures to replay, added to the bundled corpus",
        ),
        click.Option(["--access-log"], is_flag=True, help="log each request to stderr"),
    ],
)
"""The command line (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line asks for: where to listen, the mock's :class:`Settings`,
    and whether to log each request."""

    host: str
    port: int
    settings: Settings
    access_log: bool = False


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """The command line (``sys.argv[1:]`` by default) as :class:`Options`. Raises
    ``click.UsageError`` (a ``click.BadParameter`` naming the flag for a bad value) and
    ``click.exceptions.Exit`` after ``--help``."""
    args = list(sys.argv[1:] if argv is None else argv)
    with COMMAND.make_context(PROG, args) as ctx:
        p = ctx.params
    settings = Settings(
        seed=p["seed"],
        api_keys=frozenset(p["api_keys"]),
        journal_size=p["journal_size"],
        key_quotas=tuple(p["key_quotas"]),
        refresh_tokens=frozenset(p["refresh_tokens"]),
        captures=Path(p["captures"]) if p["captures"] is not None else None,
    )
    return Options(p["host"], p["port"], settings, p["access_log"])


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ListenError(Exception):
    """The server cannot listen on its address; the message is one line for stderr."""


def _listen_error(host: str, port: int, exc: OSError) -> ListenError:
    reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or str(exc)
    address = _url(host, port).removeprefix("http://")
    return ListenError(f"cannot listen on {address}: {reason.lower()}")


class RedactingAccessLog(AbstractAccessLogger):
    """One line per request (``--access-log``): client, method, path and query with the
    secret parameters redacted (``?key=[redacted]``, :func:`mockserver.journal.
    redact_query`), status, body bytes and time in milliseconds."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        query = redact_query(request.query.items())
        shown = request.path + ("?" + urlencode(query, safe="[]") if query else "")
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            shown,
            response.status,
            response.body_length,
            time * 1000,
        )


async def _serve(options: Options, captures: Captures | None = None) -> None:
    settings = options.settings
    runner = web.AppRunner(
        create_app(settings, captures=captures),
        handle_signals=False,
        access_log=logging.getLogger("aiohttp.access") if options.access_log else None,
        access_log_class=RedactingAccessLog,
    )
    await runner.setup()
    # the fast lane serves the generate routes; with --access-log aiohttp serves them all,
    # so that every request is logged
    site_class = web.TCPSite if options.access_log else LaneSite
    site = site_class(runner, options.host, options.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise _listen_error(options.host, options.port, exc) from None
    port = int(runner.addresses[0][1])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = _url(options.host, port)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    log.info(
        "mockserver listening on %s (seed=%d, keys=%d)", url, settings.seed, len(settings.api_keys)
    )
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
    """Run the server until SIGINT/SIGTERM; return the exit status (0; 2 for a bad
    command line, said on stderr, or when it cannot listen)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["record"]:
        from mockserver.record import main as record_main

        return record_main(args[1:])
    try:
        options = parse_args(args)
    except click.exceptions.Exit as exc:  # --help
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    try:
        skipped: list[str] = []
        captures = capture_store.load(options.settings.captures, skipped)
    except CaptureError as exc:
        where, reason = str(options.settings.captures), str(exc)
        if not reason.startswith(where):
            reason = f"{where}: {reason}"
        print(f"mockserver: --captures {reason}", file=sys.stderr, flush=True)
        return 2
    for line in skipped_lines(skipped):
        print(f"mockserver: --captures: skipped {line}", file=sys.stderr, flush=True)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        with (
            contextlib.suppress(KeyboardInterrupt),
            asyncio.Runner(loop_factory=_loop_factory()) as runner,
        ):
            runner.run(_serve(options, captures))
    except ListenError as exc:
        print(f"mockserver: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
