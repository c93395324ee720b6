"""Helpers shared by the checks: status and body assertions with evidence attached."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

from spec import component_schema

from ..exchange import Exchange
from ..registry import CheckFailure, NotApplicable, Undecided, excerpt
from ..sse_trace import Payload

__all__ = [
    "HANG_CHECK",
    "OPENAI_ERROR_SOURCE",
    "OPENAI_PYTHON",
    "chunks_of",
    "json_object",
    "require_intact",
    "require_response",
    "require_status",
    "require_success",
    "schema_errors",
    "validate",
]

OPENAI_ERROR_SOURCE = (
    "https://github.com/liliMozi/openhanako/issues/394; "
    "https://github.com/spectre-pro/gemini-proxy/issues/4; "
    "https://github.com/openai/openai-python/blob/v3.63.0/src/openai/_exceptions.py; "
    "docs/openai-wire.md#b3-errors-and-retries"
)
"""Where the OpenAI error envelope comes from: reports of clients losing the message,
and the SDK code that unwraps it."""

OPENAI_PYTHON = "https://github.com/openai/openai-python/blob/v3.63.0/src/openai/"
"""openai-python's source at the version the harness replays through (append a path)."""


OVERDUE = "response: still arriving at the request's deadline"
"""``cause`` of every failure of an answer cut at the request's total deadline: one
finding, however many checks read it."""

HANG_CHECK = "http.no_hang"
"""The check that reports a hung response (the others skip it)."""


def require_response(x: Exchange) -> int:
    """The status of an answer a client can read.

    :class:`Undecided` when the transport failed before a status arrived;
    :class:`NotApplicable` when the target hung (``http.no_hang`` reports it). A
    non-streamed body that did not arrive intact (a ``Content-Length`` the bytes do not
    match, a reset, a truncated chunked body, bytes past the declared length) is a
    :class:`CheckFailure` with the byte counts: openai-python and openai-node raise a
    connection error instead of returning it, whatever the status. A stream's broken
    ending is judged by the stream checks and ``http.body_framing``, not here.
    """
    if x.hung_s is not None:
        raise NotApplicable(f"{x.body_problem()}; {HANG_CHECK} reports it")
    if x.status is None:
        raise Undecided(f"no response to {x.request.method} {x.request.url}: {x.transport_error}")
    if x.deadline_s is not None:
        raise CheckFailure(
            f"{x.body_problem()}: a client waiting for the end of this answer waits as long "
            "as the target keeps sending",
            excerpt=excerpt(x.body[-300:]),
            cause=OVERDUE,
        )
    if x.truncated:
        raise Undecided(
            f"the answer is larger than the harness reads ({len(x.body)} bytes, its body "
            "cap); reading stopped there, so it is not judged"
        )
    require_intact(x)
    return x.status


def require_intact(x: Exchange) -> None:
    """:class:`CheckFailure` when the non-streamed body of ``x`` (or of an earlier turn)
    did not arrive intact (see :func:`require_response`); a stream passes."""
    for turn in (*x.previous, x):
        problem = turn.body_problem()
        if problem is None or turn.status is None or turn.is_stream:
            continue
        which = "" if turn is x else "the first turn: "
        raise CheckFailure(
            f"{which}the HTTP {turn.status} body did not arrive intact: {problem}; "
            "openai-python and openai-node raise APIConnectionError instead of returning "
            "the answer",
            excerpt=excerpt(turn.body[-300:]),
        )


def require_status(x: Exchange, expected: int = 200) -> None:
    """Fail unless the status is ``expected``."""
    status = require_response(x)
    if status != expected:
        raise CheckFailure(f"expected HTTP {expected}, got {status}", excerpt=excerpt(x.body))


def require_success(x: Exchange) -> None:
    """For checks about a successful answer: a non-200 makes them moot (skipped); the
    status itself is judged by the check that owns it."""
    status = require_response(x)
    if status != 200:
        raise NotApplicable(f"the probe got HTTP {status}, not 200: {excerpt(x.body, 200)}")


def json_object(x: Exchange) -> dict[str, Any]:
    """The body as a JSON object, or :class:`CheckFailure` showing the bytes (also when
    the body did not arrive intact, :func:`require_intact`)."""
    require_intact(x)
    try:
        value = x.json()
    except ValueError as exc:
        raise CheckFailure(f"body is not JSON ({exc})", excerpt=excerpt(x.body)) from None
    if not isinstance(value, dict):
        raise CheckFailure(
            f"body is JSON {type(value).__name__}, not an object", excerpt=excerpt(x.body)
        )
    return value


@cache
def _validator(component: str) -> jsonschema.protocols.Validator:
    schema = component_schema("openai-core", component)
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def schema_errors(instance: Any, component: str, limit: int = 5) -> list[str]:
    """Schema violations of ``instance`` against ``openai-core#/components/schemas/<component>``,
    as ``"path: message"`` strings (at most ``limit``)."""
    errors = sorted(_validator(component).iter_errors(instance), key=lambda e: list(e.path))
    out = []
    for err in errors[:limit]:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path) or "."
        out.append(f"{path}: {err.message}")
    return out


def validate(instance: Any, component: str, what: str, raw: bytes | str | None = None) -> None:
    """Fail with the first schema violations when ``instance`` is not a ``component``."""
    problems = schema_errors(instance, component)
    if problems:
        raise CheckFailure(
            f"{what} violates the OpenAI {component} schema: " + "; ".join(problems),
            excerpt=excerpt(raw) if raw is not None else None,
        )


def token_count(value: object) -> int | None:
    """``value`` when it is a JSON integer (a usage count, tokens), else ``None`` (a
    ``bool`` is no count although Python calls it an ``int``)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def chunks_of(x: Exchange) -> list[dict[str, Any]]:
    """The parsed chunk objects of a 200 stream (moot otherwise, see ``require_success``)."""
    require_success(x)
    return x.sse.chunks


def error_payloads(x: Exchange) -> list[Payload]:
    """The ``data: {"error": {...}}`` events of ``x``'s stream, in order (OpenAI's
    in-stream error, docs/openai-wire.md B2); empty for a stream without one or a body
    that is no stream."""
    return [
        p
        for p in x.sse.payloads
        if isinstance(p.value, dict) and isinstance(p.value.get("error"), dict)
    ]
