"""The embedded pair for ``conformance load`` without ``--target``, and the mock's journal.

:func:`load_embedded` starts the mock and the reference proxy like
:func:`conformance.embedded.embedded` (the same subprocesses, flags and keys), with the
mock's journal sized for the run (``--journal-size``): every request of a load run must
stay in it until the run reads it. :func:`read_journal` reads it once, after the load,
and groups this run's entries by correlation id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from spec.mock_admin import read_requests

from ..embedded import (
    EMBEDDED_KEY,
    UPSTREAM_KEY,
    UPSTREAM_KEY_2,
    Embedded,
    ServerProcess,
)

__all__ = ["UPSTREAM_KEYS", "load_embedded", "read_journal"]

UPSTREAM_KEYS = 2
"""How many upstream keys the embedded reference holds."""


@contextmanager
def load_embedded(profile: str, *, rate_limits: bool, journal_size: int) -> Iterator[Embedded]:
    """Start the mock (journal of ``journal_size`` entries) and the reference proxy for
    ``profile`` (``rate_limits``: enforce the profile's documented limits); stop both on
    every exit path (at once after an exception). Raises
    :class:`conformance.embedded.ServerStartError`."""
    servers: list[ServerProcess] = []
    grace_s = 5.0
    try:
        mock = ServerProcess(
            [
                *("mockserver", "--host", "127.0.0.1", "--port", "0"),
                *("--journal-size", str(journal_size)),
            ],
            "the mock upstream",
        )
        servers.append(mock)
        mock_url = mock.wait_for_url(30.0)
        proxy = ServerProcess(
            ["reference_impl", "--host", "127.0.0.1", "--port", "0"]
            + ["--upstream-url", f"{mock_url}/v1beta"]
            + ["--upstream-key", UPSTREAM_KEY, "--upstream-key", UPSTREAM_KEY_2]
            + ["--api-key", EMBEDDED_KEY, "--profile", profile]
            + (["--rate-limits"] if rate_limits else []),
            "the reference proxy",
        )
        servers.append(proxy)
        yield Embedded(mock_url, proxy.wait_for_url(30.0))
    except BaseException:
        grace_s = 0.0
        raise
    finally:
        for server in reversed(servers):
            server.stop(grace_s)


def read_journal(
    mock_url: str, run_id: str, timeout_s: float = 120.0
) -> tuple[dict[str, list[Mapping[str, Any]]], str | None]:
    """This run's journal entries by correlation id (those whose cid starts with
    ``run_id.``), and ``None``; or ``{}`` and why the journal could not be read."""
    try:
        with httpx.Client(timeout=timeout_s, trust_env=False) as client:
            response = client.get(f"{mock_url.rstrip('/')}/_mock/requests")
            response.raise_for_status()
            entries: Sequence[Mapping[str, Any]] = read_requests(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        return {}, f"the mock's journal could not be read: {exc}"
    by_cid: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    prefix = f"{run_id}."
    for entry in entries:
        cid = entry.get("cid")
        if isinstance(cid, str) and cid.startswith(prefix):
            by_cid[cid].append(entry)
    return dict(by_cid), None
