"""The embedded default: the mock upstream and the reference proxy as subprocesses.

``conformance run`` without ``--target`` starts ``python -m mockserver`` and
``python -m reference_impl`` on free ports of 127.0.0.1 (each prints its base URL as its
first stdout line) and tests the reference in controlled mode. The packages never import
each other (DESIGN.md): they meet over HTTP only.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

__all__ = ["EMBEDDED_KEY", "Embedded", "ServerStartError", "embedded", "start_server"]

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
    mock_url: str
    proxy_url: str
    api_key: str = EMBEDDED_KEY


@contextmanager
def start_server(args: Sequence[str], name: str, timeout_s: float = 30.0) -> Iterator[str]:
    """Start ``python -m <args>``; yield the base URL it prints; stop it on exit.

    Raises :class:`ServerStartError` when it exits or stays silent for ``timeout_s``.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
        line = proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://"):
            proc.kill()
            proc.wait(10)
            log.seek(0)
            tail = log.read().decode("utf-8", "replace")[-2000:]
            raise ServerStartError(
                f"{name} did not start (printed {line!r}, exit code {proc.returncode}):\n{tail}"
            )
        yield line
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()


@contextmanager
def embedded(profile: str = "openai-core", *, rate_limits: bool = False) -> Iterator[Embedded]:
    """Start the mock and the reference proxy (following ``profile``) wired together;
    ``rate_limits`` makes the reference enforce the profile's documented limits."""
    with ExitStack() as stack:
        mock = stack.enter_context(
            start_server(["mockserver", "--host", "127.0.0.1", "--port", "0"], "the mock upstream")
        )
        proxy = stack.enter_context(
            start_server(
                [
                    "reference_impl",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--upstream-url",
                    f"{mock}/v1beta",
                    "--upstream-key",
                    UPSTREAM_KEY,
                    "--upstream-key",
                    UPSTREAM_KEY_2,
                    "--api-key",
                    EMBEDDED_KEY,
                    "--profile",
                    profile,
                    *(["--rate-limits"] if rate_limits else []),
                ],
                "the reference proxy",
            )
        )
        yield Embedded(mock_url=mock, proxy_url=proxy)
