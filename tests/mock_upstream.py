"""The project's mock (``mockserver``) as the upstream of a proxy under test, in process.

``with mock_upstream(...) as url:`` serves ``mockserver.app.create_app`` on a free
127.0.0.1 port (``tests/servers.py``). The helpers read the mock's journal (what the
proxy sent upstream, ``GET /_mock/requests``), clear it, queue directives
(``POST /_mock/scenarios``) and ask the mock directly what it answers to a journaled
request, so a test can compare the proxy's output with the mock's exact reply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from mockserver.app import create_app
from mockserver.settings import Settings
from tests.servers import serve

__all__ = [
    "clear",
    "fingerprint",
    "generate_calls",
    "journal",
    "mock_upstream",
    "queue",
    "replay",
]


REPLAY = "x-test-replay"
"""Header marking :func:`replay`'s own requests, which :func:`generate_calls` skips."""


@contextmanager
def mock_upstream(settings: Settings | None = None) -> Iterator[str]:
    """Serve the mock; yield its base URL (no ``/v1beta``)."""
    with serve(lambda: create_app(settings or Settings())) as url:
        yield url


def journal(mock: str, cid: str | None = None) -> list[dict[str, Any]]:
    """The mock's journal, oldest first (``?cid=`` filtered when ``cid`` is given)."""
    params = {"cid": cid} if cid else {}
    entries: list[dict[str, Any]] = httpx.get(f"{mock}/_mock/requests", params=params).json()[
        "requests"
    ]
    return entries


def generate_calls(mock: str, fragment: str = ":") -> list[dict[str, Any]]:
    """Journaled model calls (``/models/...:method``) whose path contains ``fragment``."""
    return [
        e
        for e in journal(mock)
        if "/models/" in e["path"] and fragment in e["path"] and REPLAY not in e["headers"]
    ]


def clear(mock: str) -> None:
    """Forget the journal and any queued directives."""
    httpx.delete(f"{mock}/_mock/requests").raise_for_status()
    httpx.delete(f"{mock}/_mock/scenarios").raise_for_status()


def queue(mock: str, directive: str) -> None:
    """Queue ``directive`` (``scenario=... key=value``) for the next generate request."""
    httpx.post(f"{mock}/_mock/scenarios", json={"directive": directive}).raise_for_status()


def replay(mock: str, entry: dict[str, Any], key: str, directive: str | None = None) -> Any:
    """What the mock answers (unary JSON; a stream is asked as ``generateContent``) to
    the journaled ``entry``
    sent again with credential ``key`` (marked, so :func:`generate_calls` skips it).
    The reply is a pure function of the request, so this is the exact Gemini answer the
    proxy translated. ``directive``: the one the entry got from the queue (an in-prompt
    directive replays by itself)."""
    model, _, method = entry["path"].rsplit("/", 1)[1].partition(":")
    if method == "streamGenerateContent":
        method = "generateContent"
    headers = {"x-goog-api-key": key, REPLAY: "1"}
    if directive:
        headers["x-mock-scenario"] = directive
    url = f"{mock}/v1beta/models/{model}:{method}"
    return httpx.post(url, json=entry["body"], headers=headers, timeout=30).json()


def fingerprint(secret: str) -> str:
    """The journal's fingerprint of a credential (first 12 hex digits of its SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]
