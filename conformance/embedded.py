"""The embedded default: the mock upstream and the reference proxy as subprocesses.

``conformance run`` without ``--target`` starts ``python -m mockserver`` and
``python -m reference_impl`` on free ports of 127.0.0.1 (each prints its base URL as its
first stdout line) and tests the reference in controlled mode. The packages never import
each other (docs/architecture.md): they meet over HTTP only.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = [
    "EMBEDDED_KEY",
    "Embedded",
    "ServerProcess",
    "ServerStartError",
    "embedded",
    "start_server",
    "stop_process_group",
]

EMBEDDED_KEY = "sk-conformance-embedded"
"""The client API key the embedded reference proxy accepts (not a secret)."""
UPSTREAM_KEY = "mock-upstream-key"
"""The Gemini key the embedded reference proxy presents to the mock (not a secret)."""
UPSTREAM_KEY_2 = "mock-upstream-key-2"
"""A second one, so the reference's key failover is exercised (``errors.key_failover``)."""


class ServerStartError(RuntimeError):
    """A subprocess server did not print its URL in time; the message holds its log tail."""


@dataclass(frozen=True, slots=True)
class Embedded:
    """The running pair. ``stop_now()`` kills both process groups at once (an interrupted
    run must not wait for their graceful shutdown); leaving the context stops them too."""

    mock_url: str
    proxy_url: str
    api_key: str = EMBEDDED_KEY
    stop_now: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: have the kernel SIGKILL the child when the harness dies, even by SIGKILL
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere the process group kill is the only net."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def stop_process_group(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Stop ``proc`` and everything it started: SIGTERM to its process group, then SIGKILL
    after ``grace_s`` seconds (``0``: SIGKILL at once). Waits for ``proc`` to exit; never
    raises for a process that is already gone."""
    signals = [signal.SIGKILL] if grace_s <= 0 else [signal.SIGTERM, signal.SIGKILL]
    for sig in signals:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
            os.killpg(proc.pid, sig)
        try:
            proc.wait(grace_s if sig == signal.SIGTERM else 10.0)
            break
        except subprocess.TimeoutExpired:
            continue


class ServerProcess:
    """A started server subprocess (``python -m <module>``) in its own process group, so a
    Ctrl-C in the terminal reaches only the harness, which then stops the group itself."""

    def __init__(self, args: Sequence[str], name: str) -> None:
        self.name = name
        self.url = ""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def wait_for_url(self, timeout_s: float) -> str:
        """The base URL the server prints first. Raises :class:`ServerStartError` with its
        log tail when it exits or stays silent for ``timeout_s`` seconds."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://"):
            self.stop(0)
            self._log.seek(0)
            tail = self._log.read().decode("utf-8", "replace")[-2000:]
            raise ServerStartError(
                f"{self.name} did not start (printed {line!r}, exit code "
                f"{self.proc.returncode}):\n{tail}"
            )
        self.url = line
        return line

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop the server's process group (see :func:`stop_process_group`); idempotent."""
        stop_process_group(self.proc, grace_s)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


@contextmanager
def start_server(args: Sequence[str], name: str, timeout_s: float = 30.0) -> Iterator[str]:
    """Start ``python -m <args>`` in its own process group; yield the base URL it prints;
    stop the whole group on every exit path (SIGTERM, SIGKILL after 5 s; at once when the
    block ends with an exception such as ``KeyboardInterrupt``).

    Raises :class:`ServerStartError` when it exits or stays silent for ``timeout_s``.
    """
    server = ServerProcess(args, name)
    grace_s = 5.0
    try:
        yield server.wait_for_url(timeout_s)
    except BaseException:
        grace_s = 0.0
        raise
    finally:
        server.stop(grace_s)


@contextmanager
def embedded(
    profile: str = "openai-core",
    *,
    rate_limits: bool = False,
    captures: str | os.PathLike[str] | None = None,
) -> Iterator[Embedded]:
    """Start the mock and the reference proxy (following ``profile``) wired together;
    ``rate_limits`` makes the reference enforce the profile's documented limits;
    ``captures`` is a capture directory the mock replays besides its bundled corpus
    (``mockserver --captures DIR``, docs/captures.md). Both run
    in their own process groups and are stopped on every exit path (at once when the block
    ends with an exception, e.g. ``KeyboardInterrupt``). Raises :class:`ServerStartError`."""
    servers: list[ServerProcess] = []

    def stop(grace_s: float) -> None:
        for server in reversed(servers):
            server.stop(grace_s)

    grace_s = 5.0
    try:
        extra = ["--captures", os.fspath(captures)] if captures is not None else []
        mock = ServerProcess(
            ["mockserver", "--host", "127.0.0.1", "--port", "0", *extra], "the mock upstream"
        )
        servers.append(mock)
        mock_url = mock.wait_for_url(30.0)
        proxy = ServerProcess(
            [
                "reference_impl",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--upstream-url",
                f"{mock_url}/v1beta",
                "--upstream-key",
                UPSTREAM_KEY,
                "--upstream-key",
                UPSTREAM_KEY_2,
                "--api-key",
                EMBEDDED_KEY,
                "--profile",
                profile,
                # the image_http_url probe's image is served by the mock on 127.0.0.1,
                # which the reference refuses to fetch by default (no SSRF)
                "--allow-private-media-urls",
                *(["--rate-limits"] if rate_limits else []),
            ],
            "the reference proxy",
        )
        servers.append(proxy)
        yield Embedded(mock_url, proxy.wait_for_url(30.0), stop_now=lambda: stop(0))
    except BaseException:
        grace_s = 0.0
        raise
    finally:
        stop(grace_s)
