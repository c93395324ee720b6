"""One load request: built from a probe, sent with ``requests``, recorded as it arrives.

``requests`` (urllib3) is what Locust's own ``HttpUser`` uses and is gevent-friendly once
Locust has monkey-patched the standard library, so the engine's users record each body
piece with its arrival time, as :func:`conformance.http.send` does with httpx in
``conformance run`` (httpx blocks the gevent loop). The request's secret headers are
redacted in the recorded :class:`~conformance.exchange.Request` (evidence and curl lines
read ``$CONFORMANCE_API_KEY``), so the key never reaches the spool or another process.

Transport failures become an exchange with ``status=None`` and the reason, never an
exception; a body that breaks off after the status keeps the pieces read and says how
its framing broke (``short``, ``reset``, ``malformed``).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import replace
from typing import Any

import requests

from ..exchange import Exchange, Framing, Request, redact_headers, redact_url
from ..http import MAX_BODY
from ..probes import PROBES
from ..probes.base import with_cid_header
from ..target import Target

__all__ = ["NONCE_PREFIX", "build", "new_nonce", "record", "session"]

NONCE_PREFIX = "ldn-"
"""Nonces look like ``ldn-1a2b3c4d5e6f``: unlikely in any model's own words."""


def new_nonce() -> str:
    """A fresh nonce (``ldn-`` and 12 hex digits)."""
    return NONCE_PREFIX + secrets.token_hex(6)


def build(target: Target, probe: str, cid: str, nonce: str | None = None) -> Request:
    """Probe ``probe``'s request with correlation id ``cid`` (in controlled mode also in
    the ``x-mock-cid`` header). With ``nonce`` the last user message asks the model to
    repeat it (black-box cross-talk, docs/load.md). Raises ``KeyError`` for an unknown
    probe."""
    request = PROBES[probe].build(target, cid)
    if target.controlled:
        request = with_cid_header(request, cid)
    if nonce is None or not isinstance(request.json_body, dict):
        return request
    body = json.loads(json.dumps(request.json_body))
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        last = messages[-1]
        if isinstance(last.get("content"), str):
            last["content"] = (
                f"{last['content']} Begin your answer with the reference {nonce} exactly."
            )
            return replace(request, body=json.dumps(body).encode(), json_body=body)
    return request


def session() -> requests.Session:
    """A ``requests`` session that offers the encodings openai-python offers."""
    s = requests.Session()
    s.headers["Accept-Encoding"] = "gzip, deflate"
    s.trust_env = False
    return s


def _redacted(request: Request) -> Request:
    return replace(request, url=redact_url(request.url), headers=redact_headers(request.headers))


def _framing(exc: Exception) -> Framing:
    text = str(exc)
    if "IncompleteRead" in text or "prematurely" in text:
        return "short"
    if "reset" in text.lower():
        return "reset"
    return "malformed"


def record(
    client: requests.Session,
    probe: str,
    request: Request,
    *,
    timeout_s: float = 60.0,
    deadline_s: float | None = 120.0,
) -> Exchange:
    """Send ``request`` and record the exchange: status, headers, each body piece with
    its arrival time in seconds since sending, capped at
    :data:`conformance.http.MAX_BODY` bytes; reading stops ``deadline_s`` seconds after
    sending (``Exchange.deadline_s`` then says so). ``timeout_s`` bounds the connection
    and each silence. The recorded request has its secrets redacted."""
    started = time.monotonic()
    started_at = time.time()
    chunks: list[tuple[float, bytes]] = []
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    framing: Framing = ""
    declared: int | None = None
    received: int | None = None
    truncated = False
    overdue: float | None = None
    try:
        with client.request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.body,
            stream=True,
            timeout=(min(10.0, timeout_s), timeout_s),
            allow_redirects=False,
        ) as response:
            status = response.status_code
            raw: Any = response.raw
            headers = tuple((str(k), str(v)) for k, v in raw.headers.items())
            length = response.headers.get("content-length", "").strip()
            chunked = "chunked" in response.headers.get("transfer-encoding", "").lower()
            declared = int(length) if length.isdigit() and not chunked else None
            size = 0
            try:
                for piece in response.iter_content(chunk_size=None):
                    now = time.monotonic()
                    if not piece:
                        continue
                    chunks.append((now - started, piece))
                    size += len(piece)
                    if size >= MAX_BODY:
                        truncated = True
                        break
                    if deadline_s is not None and now - started >= deadline_s:
                        overdue = deadline_s
                        break
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"
                framing = _framing(exc)
            finally:
                tell = getattr(raw, "tell", None)
                received = int(tell()) if callable(tell) else None
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Exchange(
        probe=probe,
        request=_redacted(request),
        status=status,
        headers=headers,
        chunks=tuple(chunks),
        transport_error=error,
        elapsed_s=time.monotonic() - started,
        truncated=truncated,
        declared_length=declared,
        received_bytes=received,
        framing=framing,
        started_at=started_at,
        deadline_s=overdue,
    )
