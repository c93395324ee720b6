"""HTTP-level behaviour clients depend on: bodies framed as declared, responses that end,
and the CORS preflight for the openai SDK's headers (docs/breakages.md G4)."""

from __future__ import annotations

from datetime import UTC, datetime

from ..exchange import Exchange
from ..probes import PROBES
from ..registry import CheckFailure, Mode, Severity, Undecided, check, excerpt
from ._common import HANG_CHECK, require_response
from .upstream import generate_calls

__all__: list[str] = []

_NEEDED = ("authorization", "content-type", "x-stainless-os", "x-stainless-timeout")


@check(
    "http.cors_preflight",
    title="A browser preflight with the openai SDK's x-stainless-* headers is allowed",
    severity=Severity.MEDIUM,
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


H11_FRAMING = "https://github.com/python-hyper/h11/blob/v0.16.0/h11/_readers.py"
"""The HTTP/1.1 body readers under openai-python (httpx, httpcore): a body shorter than
its ``Content-Length`` or a chunked body without its last chunk is an error."""
RFC_FRAMING = "https://www.rfc-editor.org/rfc/rfc9112#section-6.3"
"""RFC 9112 6.3, message body length: an incomplete message is an error."""


@check(
    "http.body_framing",
    title="Every body arrives as its HTTP framing declares (Content-Length, chunked, no reset)",
    severity=Severity.CRITICAL,
    source=(
        f"{RFC_FRAMING}; {H11_FRAMING}; "
        "https://github.com/openai/openai-python/blob/v3.63.0/src/openai/_base_client.py"
    ),
    probes=("chat",),
    also=tuple(name for name in PROBES if name != "chat"),
)
def body_framing(x: Exchange) -> None:
    for turn in (*x.previous, x):
        if not turn.framing or turn.status is None:
            continue
        spec = PROBES.get(turn.probe)
        if spec is not None and spec.upstream_cut and turn.is_stream and turn.framing != "surplus":
            continue  # the upstream broke off on purpose; breaking the stream off reports it
        raise CheckFailure(
            f"{turn.probe}: {turn.framing_evidence()}; curl exits 18 and openai-python and "
            "openai-node raise a connection error"
            + (" on the next response on the connection" if turn.framing == "surplus" else ""),
            excerpt=excerpt(turn.body[-300:]),
        )


@check(
    HANG_CHECK,
    title="After the upstream breaks off, the streamed response ends (it does not hang)",
    severity=Severity.HIGH,
    source=(
        "https://github.com/openai/openai-python/blob/v3.63.0/src/openai/_constants.py; "
        "https://github.com/openai/openai-node/blob/v5.0.0/src/client.ts"
    ),
    probes=("stream_cut",),
    mode=Mode.CONTROLLED,
    features=("stream",),
    also=tuple(name for name, p in PROBES.items() if p.upstream_cut and name != "stream_cut"),
)
def no_hang(x: Exchange) -> None:
    if x.hung_s is None:
        return
    idle_from = x.started_at + x.elapsed_s - x.hung_s
    calls = generate_calls(x)
    times = [c["time"] for c in calls if isinstance(c.get("time"), int | float)]
    if not times:
        upstream = "the mock's journal shows no upstream call for it"
    else:
        last = max(times)
        if last > idle_from:
            raise Undecided(
                f"the stream was silent {x.hung_s:.1f} s, but the proxy called the upstream "
                f"again {last - idle_from:.1f} s into that silence; it may still be retrying"
            )
        when = datetime.fromtimestamp(last, UTC).strftime("%H:%M:%S")
        upstream = (
            f"the upstream had ended: the mock answered its last call (at {when} UTC, "
            f"{idle_from - last:.1f} s before the silence began) with a stream that breaks off"
        )
    got = f"after {len(x.body)} bytes" if x.status is not None else "before any status"
    raise CheckFailure(
        f"the stream hung: no byte and no end for {x.hung_s:.1f} s {got}, and {upstream}; "
        "openai-python and openai-node wait for their timeout (10 minutes by default) and "
        "the caller stalls",
        excerpt=excerpt(x.body[-300:]),
    )
