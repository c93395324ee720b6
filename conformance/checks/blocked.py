"""Blocked, empty and cut-short candidates: one choice with ``content_filter`` or
``length`` (or a clean OpenAI-shaped 4xx), never a 500 or an empty ``choices`` list
(docs/breakages.md F6)."""

from __future__ import annotations

from collections.abc import Callable

from ..exchange import Exchange
from ..probes.faults import BLOCKED
from ..registry import CheckFailure, Mode, Severity, check, excerpt
from ._common import json_object, require_response
from .causes import BLOCKED_AS_STOP
from .errors import check_envelope
from .stream import finish_reasons

__all__: list[str] = []

SOURCE = (
    "https://github.com/BerriAI/litellm/issues/40477; "
    "https://github.com/epam/ai-dial-adapter-vertexai/issues/149; "
    "https://github.com/router-for-me/CLIProxyAPI/issues/931; docs/gemini-wire.md#a2-unary-response"
)


def _status_ok_or_clean_4xx(x: Exchange) -> bool:
    """True for 200; for a 4xx, the envelope must be OpenAI's (then the check passes)."""
    status = require_response(x)
    if status == 200:
        return True
    if 400 <= status < 500 and status != 429:
        check_envelope(x)
        return False
    raise CheckFailure(
        f"the upstream blocked or cut the candidate and the proxy answered HTTP {status}; "
        "clients expect a choice with finish_reason content_filter/length",
        excerpt=excerpt(x.body),
    )


def _unary(allowed: tuple[str, ...]) -> Callable[[Exchange], None]:
    def run(x: Exchange) -> None:
        if not _status_ok_or_clean_4xx(x):
            return
        body = json_object(x)
        choices = body.get("choices")
        if not isinstance(choices, list) or len(choices) != 1:
            raise CheckFailure(
                f"expected one choice, got {choices!r:.200}; clients index choices[0]",
                excerpt=excerpt(x.body),
            )
        reason = choices[0].get("finish_reason") if isinstance(choices[0], dict) else None
        if reason not in allowed:
            raise CheckFailure(
                f"finish_reason is {reason!r}, expected {' or '.join(allowed)}",
                excerpt=excerpt(x.body),
                cause=BLOCKED_AS_STOP if reason == "stop" else None,
            )

    return run


def _stream(allowed: tuple[str, ...]) -> Callable[[Exchange], None]:
    def run(x: Exchange) -> None:
        if not _status_ok_or_clean_4xx(x):
            return
        reasons = finish_reasons(x.sse.chunks).get(0, [])
        got = [r for _, r in reasons]
        if len(got) != 1 or got[0] not in allowed:
            raise CheckFailure(
                f"choice 0 finishes with {got or 'nothing'}, expected one of {list(allowed)}",
                excerpt=excerpt(x.body[-600:]),
                cause=BLOCKED_AS_STOP if got == ["stop"] else None,
            )
        if not x.sse.done:
            raise CheckFailure("the stream ends without [DONE]", excerpt=excerpt(x.body[-300:]))

    return run


for _name, (_scenario, _allowed) in BLOCKED.items():
    _what = _scenario.value.replace("_", " ")
    check(
        f"blocked.{_name}",
        title=f"An upstream {_what} answer maps to finish_reason {'/'.join(_allowed)}, "
        "never a 5xx or empty choices",
        severity=Severity.HIGH,
        source=SOURCE,
        probes=(_name,),
        mode=Mode.CONTROLLED,
        features=("chat",),
    )(_unary(_allowed))
    check(
        f"blocked.{_name}.stream",
        title=f"Streamed: an upstream {_what} answer ends the stream with "
        f"finish_reason {'/'.join(_allowed)} and [DONE]",
        severity=Severity.HIGH,
        source=SOURCE,
        probes=(f"{_name}_stream",),
        mode=Mode.CONTROLLED,
        features=("chat", "stream"),
    )(_stream(_allowed))
