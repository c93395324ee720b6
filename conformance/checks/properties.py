"""Property-based checks: the rules hold for many generated requests, not only for the
hand-written probes (the probes: ``conformance.probes.properties``; their searches:
``conformance.probing.properties``). A failure shows the minimal (shrunk) request that
breaks the rule."""

from __future__ import annotations

from typing import Any

from ..exchange import Exchange
from ..registry import CheckFailure, Severity, Undecided, check, excerpt
from .upstream import confirm_upstream_success

__all__: list[str] = []


def _property_check(what: str, success: bool = True) -> Any:
    """The check of a property probe; with ``success``, a recorded 200 must also be the
    upstream's own answer in controlled mode (:func:`confirm_upstream_success`)."""

    def run(x: Exchange) -> str:
        result = x.prop_result
        if not isinstance(result, dict):
            raise Undecided("the property probe recorded no result")
        n = result["examples"]
        counted = f"{n} {what if n != 1 else what.removesuffix('s')}"
        if result.get("violation"):
            raise CheckFailure(
                f"after {counted}, a minimal failing request: {result['violation']}",
                excerpt=excerpt(x.body[:800]),
            )
        if success and x.status == 200:
            confirm_upstream_success(x)
        return f"{counted}, no violation"

    return run


check(
    "properties.chat",
    title="Generated valid chat requests always get a valid chat.completion or a clean error",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/api-reference/chat/create; "
        "docs/breakages.md#f1-openai-only-fields-rejected; "
        "docs/breakages.md#f3-content-part-arrays-rejected"
    ),
    probes=("prop_chat",),
    features=("chat",),
)(_property_check("generated requests"))
check(
    "properties.stream",
    title="Generated valid streamed requests always get a stream that keeps every stream rule",
    severity=Severity.HIGH,
    source=(
        "docs/sse.md#a-stream-every-client-can-read; "
        "docs/openai-wire.md#b1-chat-completion-objects-and-chunks"
    ),
    probes=("prop_stream",),
    features=("chat", "stream"),
)(_property_check("generated streamed requests"))
check(
    "properties.negative",
    title="Invalid requests (schemathesis negative cases) get a 4xx in the OpenAI envelope, "
    "never a 5xx",
    severity=Severity.HIGH,
    source=(
        "https://schemathesis.readthedocs.io/en/stable/; "
        "docs/breakages.md#d1-error-bodies-that-are-not-openais-shape; "
        "docs/breakages.md#d2-wrong-status-codes"
    ),
    probes=("prop_negative",),
    features=("chat",),
)(_property_check("invalid requests", success=False))
