"""HTTP-level behaviour browsers depend on: CORS preflight for the openai SDK's headers
(docs/breakages.md G4)."""

from __future__ import annotations

from ..exchange import Exchange
from ..registry import CheckFailure, Severity, check
from ._common import require_response

__all__: list[str] = []

_NEEDED = ("authorization", "content-type", "x-stainless-os", "x-stainless-timeout")


@check(
    "http.cors_preflight",
    title="A browser preflight with the openai SDK's x-stainless-* headers is allowed",
    severity=Severity.LOW,
    source=(
        "https://github.com/lidge-jun/opencodex/issues/1773; "
        "https://github.com/LeenHawk/gproxy/issues/238; "
        "https://github.com/GD4AI/obsidian-llm-wiki/issues/17; "
        "https://fetch.spec.whatwg.org/#cors-preflight-fetch"
    ),
    probes=("cors_preflight",),
    features=("chat",),
)
def cors_preflight(x: Exchange) -> None:
    status = require_response(x)
    if not 200 <= status < 300:
        raise CheckFailure(
            f"OPTIONS preflight got HTTP {status}; openai-node in a browser cannot call the API"
        )
    origin = x.header("access-control-allow-origin")
    if origin not in ("*", "http://localhost:5173"):
        raise CheckFailure(f"Access-Control-Allow-Origin is {origin!r}")
    allowed = {
        h.strip().lower() for h in (x.header("access-control-allow-headers") or "").split(",")
    }
    # Per Fetch, "*" does not cover Authorization: it must be listed by name.
    missing = [
        h for h in _NEEDED if h not in allowed and not (h != "authorization" and "*" in allowed)
    ]
    if missing:
        raise CheckFailure(
            f"the preflight does not allow {', '.join(missing)} "
            f"(Access-Control-Allow-Headers: {x.header('access-control-allow-headers')!r})"
        )
