"""Property-based checks: the rules hold for many generated requests, not only for the
hand-written probes (see ``conformance.properties``). A failure shows the minimal
(shrunk) request that breaks the rule."""

from __future__ import annotations

from typing import Any

from ..exchange import Exchange
from ..registry import CheckFailure, Severity, Undecided, check, excerpt

__all__: list[str] = []


def _property_check(what: str) -> Any:
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
        return f"{counted}, no violation"

    return run


check(
    "properties.chat",
    title="Generated valid chat requests always get a valid chat.completion or a clean error",
    severity=Severity.HIGH,
    source=(
        "spec/openapi/openai-core.yaml ChatCompletionRequest (hypothesis strategies); "
        "wire-formats.md B1; client-breakages.md F1, F3"
    ),
    probes=("prop_chat",),
    features=("chat",),
)(_property_check("generated requests"))
check(
    "properties.stream",
    title="Generated valid streamed requests always get a stream that keeps every stream rule",
    severity=Severity.HIGH,
    source="sse-framing.md; client-breakages.md A2-A6; wire-formats.md B1, B2",
    probes=("prop_stream",),
    features=("chat", "stream"),
)(_property_check("generated streamed requests"))
check(
    "properties.negative",
    title="Invalid requests (schemathesis negative cases) get a 4xx in the OpenAI envelope, "
    "never a 5xx",
    severity=Severity.HIGH,
    source="client-breakages.md D1, D2; schemathesis negative data generation",
    probes=("prop_negative",),
    features=("chat",),
)(_property_check("invalid requests"))
