"""The probe type, the probe registry, the correlation-id scheme and the request builders
all probes share. Pure: nothing here sends a request."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from spec.profiles import Auth
from spec.scenarios import CID_HEADER, Directive

from .. import ordering
from ..exchange import Exchange, Request
from ..modes import Mode
from ..target import Target

__all__ = [
    "BAD_KEY",
    "CID_HEADER",
    "PROBES",
    "TOOLS",
    "UNKNOWN_MODEL",
    "Probe",
    "arrange",
    "chat",
    "chat_request",
    "correlation_id",
    "probe_applies",
    "registrar",
    "with_body",
    "with_cid_header",
]

BAD_KEY = "sk-conformance-invalid-key-0000"
UNKNOWN_MODEL = "conformance-no-such-model"

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Get the local time in a timezone.",
            "parameters": {
                "type": "object",
                "properties": {"timezone": {"type": "string"}},
                "required": ["timezone"],
            },
        },
    },
]
"""Two ordinary tools, as OpenAI clients declare them."""


FollowUp = Callable[[Target, str, Exchange], Request | None]


@dataclass(frozen=True, slots=True)
class Probe:
    """A request the suite sends. ``build(target, cid)`` is pure. ``then``, when set,
    builds a second turn from the first exchange (``None``: no second turn); the probe's
    exchange is then the second one, with the first in ``previous``."""

    name: str
    description: str
    build: Callable[[Target, str], Request]
    mode: Mode = Mode.BLACK_BOX
    stream: bool = False
    then: FollowUp | None = None
    features: frozenset[str] = frozenset()
    """Profile features the probe needs (else it does not run)."""
    phase: int = 0
    """Run order: 0 ordinary; 1 odd but successful upstream answers; 2 upstream errors;
    3 quota errors. Probes that make the upstream fail run last so a proxy's circuit
    breaker (LiteLLM's deployment cooldown) cannot poison ordinary probes."""
    model: str | None = None
    """A model other than the target's default; skipped when ``GET /models`` omits it."""
    requires: Callable[[Target], str | None] | None = None
    """Why the probe cannot run against a target (``None``: it can), asked right before it
    is sent, after ``GET /models`` (e.g. no Gemini 3 model to send it to)."""
    profiles: frozenset[str] | None = None
    """The profiles the probe belongs to (``None``: every profile); a documented
    endpoint's probe runs only against its own document's profile."""
    waits: str = ""
    """Why the probe deliberately takes long, for progress output (e.g. the slow upstream's
    20 s); empty for an ordinary probe. A probe that waits is sent in the background right
    after the first-contact probes (``conformance.runner``), alongside the others."""
    executor: str | None = None
    """The name of the executor that sends it, in :data:`conformance.probing.EXECUTORS`,
    when one request is not enough (property probes send many, the WebSocket probe talks
    over a socket); ``build`` then only describes a representative request. ``None``: the
    session sends ``build`` (and ``then``)."""
    upstream_cut: bool = False
    """Controlled streams whose scripted upstream answer breaks off at once (a cut, an
    error event): the harness calls the target's stream hung after
    ``conformance.http.HANG_IDLE_S`` without a byte or an end, and a client stream the
    target breaks off in turn is not a framing defect (``http.body_framing``)."""
    judges_throttling: bool = False
    """The target's own 429/503 (no upstream call) is what the probe's check judges: the
    session retries it once after its Retry-After like any controlled probe, but never
    marks it ``throttled`` (which would turn its checks into errors)."""
    module: str = field(default="", compare=False)
    """The data module that registered it (set by :func:`registrar`)."""


PROBES: dict[str, Probe] = {}
"""Every probe by name, in the order of ``conformance.probes.MODULES`` (each module's in
the order it registers them): the run order's tie-break after ``phase``."""


def registrar(module: str) -> Callable[[Probe], Probe]:
    """The ``probe`` function of data module ``module`` (``probe = registrar(__name__)``):
    it registers a probe as that module's and returns it. Raises ``ValueError`` for a
    duplicate name."""

    def probe(p: Probe) -> Probe:
        if p.name in PROBES:
            raise ValueError(f"probe {p.name!r} registered twice")
        PROBES[p.name] = replace(p, module=module)
        return PROBES[p.name]

    return probe


def arrange(modules: Sequence[str]) -> None:
    """Put :data:`PROBES` in the order of ``modules`` (each module's probes in the order
    it registered them), whatever order the modules were imported in. Raises
    ``LookupError`` naming a probe whose module is not in ``modules``."""
    ordering.arrange(PROBES, modules, lambda p: p.module, "probe")


def correlation_id(run_id: str, probe: str, *suffix: int) -> str:
    """The ``cid`` of a request of probe ``probe`` in run ``run_id``: ``RUN.PROBE``, then
    ``.N`` per ``suffix`` (a retry's attempt, the n-th request of a many-request probe).
    The mock journals every request under the ``cid`` of its directive."""
    return ".".join((run_id, probe, *(str(n) for n in suffix)))


def _prompt(target: Target, text: str, directive: Directive | None, cid: str) -> str:
    if not target.controlled:
        return text
    d = directive or Directive()
    d = Directive(**{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "cid": cid})
    return f"{text} {d.tag()}"


def chat_request(
    target: Target,
    cid: str,
    text: str = "Say hello in three words.",
    *,
    directive: Directive | None = None,
    stream: bool = False,
    key: str | None = None,
    model: str | None = None,
    **fields: Any,
) -> Request:
    """A ``POST /chat/completions`` with one user message (plus ``fields``)."""
    body: dict[str, Any] = {
        "model": model or target.model,
        "messages": [{"role": "user", "content": _prompt(target, text, directive, cid)}],
    }
    if stream:
        body["stream"] = True
    elif target.profile.stream_default:
        body["stream"] = False  # the document defaults to streaming: say what we want
    body.update(fields)
    headers = {"Content-Type": "application/json", **target.request_headers(key)}
    return Request(
        "POST",
        target.url("/chat/completions"),
        headers,
        json.dumps(body).encode(),
        body,
    )


Builder = Callable[[Target, str], Request]


def chat(text: str | None = None, **fields: Any) -> Builder:
    """A probe ``build``: :func:`chat_request` with ``text`` and ``fields`` fixed."""

    def build(target: Target, cid: str) -> Request:
        if text is None:
            return chat_request(target, cid, **fields)
        return chat_request(target, cid, text, **fields)

    return build


def unary_and_streamed(
    register: Callable[[Probe], Probe],
    name: str,
    what: str,
    text: str | None,
    *,
    features: frozenset[str] = frozenset(),
    phase: int = 0,
    **fields: Any,
) -> None:
    """Register the controlled-mode pair ``name`` (unary) and ``name_stream`` (the same
    request, streamed) with ``register`` (a module's :func:`registrar`): :func:`chat`
    with ``text`` (``None``: its default) and ``fields``, described as ``what``
    ("streamed; " first for the stream), run in ``phase`` (:attr:`Probe.phase`)."""
    for probe_name, stream in ((name, False), (f"{name}_stream", True)):
        register(
            Probe(
                probe_name,
                ("streamed; " if stream else "") + what,
                chat(text, stream=stream, **fields),
                mode=Mode.CONTROLLED,
                stream=stream,
                features=features,
                phase=phase,
            )
        )


def with_body(request: Request, **changes: Any) -> Request:
    """``request`` with top-level JSON body fields replaced (``None`` values removed)."""
    body = {**request.json_body, **changes}
    body = {k: v for k, v in body.items() if v is not None}
    return Request(request.method, request.url, request.headers, json.dumps(body).encode(), body)


def with_cid_header(request: Request, cid: str) -> Request:
    """``request`` with :data:`CID_HEADER` set to ``cid`` (controlled mode only: the
    session adds it to every request that carries a directive)."""
    return replace(request, headers={**request.headers, CID_HEADER: cid})


def prompt(target: Target, text: str, directive: Directive | None, cid: str) -> str:
    """``text`` with the mock directive (and ``cid``) appended in controlled mode."""
    return _prompt(target, text, directive, cid)


def probe_applies(p: Probe, target: Target) -> str | None:
    """``None`` when ``p`` can run against ``target``, else the reason it cannot."""
    if p.mode is Mode.CONTROLLED and not target.controlled:
        return "needs controlled mode (--mock-url): the upstream must be the mock"
    if p.profiles is not None and target.profile.name not in p.profiles:
        return f"belongs to the {', '.join(sorted(p.profiles))} profile"
    if p.name == "bad_key" and target.profile.auth is Auth.NONE:
        return f"profile {target.profile.name} documents no client API key"
    if "rate_limits" in p.features:
        if not target.profile.rate_limits:
            return f"profile {target.profile.name} documents no rate limit"
        if not target.probe_rate_limits:
            return "rate-limit probing is opt-in: pass --probe-rate-limits"
        return None
    missing = p.features - target.profile.features
    if missing:
        return f"profile {target.profile.name} does not claim {', '.join(sorted(missing))}"
    return None
