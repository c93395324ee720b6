"""What ``--profile NAME`` changes in the reference proxy: one document's contract. Pure.

:func:`contract_for` turns a ``spec.profiles`` profile into the behaviour the proxy
follows. ``openai-core`` is the best-practice union: every route group, OpenAI error
envelopes, a client key on everything that spends upstream quota. The others follow
their system's documentation (``docs/profiles.md``):

=================  ==========================================================================
profile            what differs
=================  ==========================================================================
gemini-reverse     no client key; ``{"detail": "..."}`` errors; ``/health`` with
                   ``rate_limiter``/``concurrency``; model default ``gemini-2.5-flash``;
                   text, images (+edit, batch), TTS (``wav`` by default, not OpenAI's
                   ``mp3``), PDF and UI-design routes, ``/gemini``
                   passthrough, ``/api/models``, ``/api/cookies/status``; rate limits
                   (60/hour/IP, 5 s per model, 2 at once) when ``--rate-limits`` is on
gemini-proxy-deno  OpenAI routes without ``/v1``; embeddings; ``/ws``; model default
                   ``gemini-1.5-pro-latest``, temperature 1; every safety category BLOCK_NONE
antigravity2api    newer docs: temperature 1, top_p 1, top_k 50, max_tokens 32000,
                   thinking_budget 1024 (0 or 1024-32000), reasoning_effort low/medium/high =
                   1024/16000/32000; SD WebUI (no key), JWT admin API, ``/images/{file}``;
                   rotation ``request_count`` every 50 requests. ``--doc-version older``
                   (older docs): top_p 0.85, max_tokens 8096, no thinking parameters, no admin/SD
gemini-cli-proxy   ``GET /`` service info, ``/health`` with a timestamp, debug routes;
                   ``reasoning_effort`` incl. ``none``; not the documented ``stream``
                   default of true, which its own SDK example contradicts: unary unless asked
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from spec.profiles import Auth, get_profile

__all__ = [
    "ALL_GROUPS",
    "ANTIGRAVITY_EFFORTS",
    "SAFETY_CATEGORIES",
    "Contract",
    "ErrorStyle",
    "HealthStyle",
    "contract_for",
]

ErrorStyle = Literal["openai", "detail"]
HealthStyle = Literal["plain", "reverse", "timestamp"]

ALL_GROUPS = frozenset(
    {
        "chat",  # {p}/chat/completions
        "models",  # {p}/models, {p}/models/{id}
        "embeddings",  # {p}/embeddings (gemini-proxy-deno)
        "ws",  # /ws (gemini-proxy-deno)
        "images",  # /v1/images/generations (gemini-reverse, OpenAI)
        "audio",  # /v1/audio/speech, /v1/audio/voices (gemini-reverse)
        "reverse",  # gemini-reverse: /v1/generate, generate-images, images/edit, batch, documents,
        #             design, /gemini/v1beta/..., /api/models, /api/cookies/status
        "sd",  # antigravity2api: /sdapi/v1/...
        "admin",  # antigravity2api: /admin/...
        "served_images",  # antigravity2api: /images/{file}
        "cli_info",  # gemini-cli-proxy: GET /, /v1/debug/cache, /v1/token-test, /v1/test
    }
)
"""Route groups; a profile serves a subset."""

SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_CIVIC_INTEGRITY",
)
"""The categories gemini-proxy-deno 'Content Safety' sets to ``BLOCK_NONE``."""

ANTIGRAVITY_EFFORTS: Mapping[str, int] = MappingProxyType(
    {"low": 1024, "medium": 16000, "high": 32000}
)
"""002 'Chain of Thought Models': ``reasoning_effort`` -> ``thinking_budget``."""

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Contract:
    """The behaviour of one profile.

    ``prefix``: of the OpenAI routes (``/v1`` or ``""``). ``client_auth``: whether a
    client key is checked at all. ``open_groups``: groups served without a client key.
    ``defaults``: request fields applied when the client omits them (and the model
    takes them). ``efforts``/``budget_range``/``default_budget``: ``thinking_budget``
    rules in tokens (``None``: the Gemini-family mapping of :mod:`.translate.thinking`).
    ``rotation``: the default upstream key strategy and its request count.
    """

    profile: str
    prefix: str
    client_auth: bool
    error_style: ErrorStyle
    health: HealthStyle
    groups: frozenset[str]
    open_groups: frozenset[str] = frozenset()
    defaults: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    stream_default: bool = False
    default_model: str | None = None
    efforts: Mapping[str, int] | None = None
    budget_range: tuple[int, int] | None = None
    default_budget: int | None = None
    safety_off: bool = False
    rotation: tuple[str, int] = ("round_robin", 1)
    image_markdown: bool = False
    """Chat answers with image parts carry ``![image](URL)`` of a served file (antigravity2api)."""
    speech_format: str = "mp3"
    """``/v1/audio/speech`` ``response_format`` when absent: OpenAI's ``mp3``
    (docs/openai-wire.md B4), ``wav`` in gemini-reverse ('5. Text-to-Speech')."""

    def serves(self, group: str) -> bool:
        return group in self.groups


def contract_for(profile: str, *, older: bool = False) -> Contract:
    """The contract of ``profile`` (a ``spec.profiles`` name); ``older``: the profile's
    older document (only ``antigravity2api`` has one). Raises ``ValueError``."""
    spec = get_profile(profile)
    if older and profile != "antigravity2api":
        raise ValueError(f"only antigravity2api has an older document; got profile {profile!r}")

    def mk(**kw: Any) -> Contract:
        return Contract(
            profile=profile,
            prefix=spec.prefix,
            client_auth=spec.auth is not Auth.NONE,
            # gemini-cli-proxy documents `stream` defaulting to true, and its own SDK example
            # (create() without `stream`) needs a completion: the example wins
            # (x-discrepancies stream-default-vs-sdk-example)
            stream_default=False,
            **kw,
        )

    if profile == "gemini-reverse":
        return mk(
            error_style="detail",
            health="reverse",
            groups=frozenset({"chat", "models", "images", "audio", "reverse", "served_images"}),
            open_groups=frozenset({"served_images"}),
            default_model="gemini-2.5-flash",
            speech_format="wav",
        )
    if profile == "gemini-proxy-deno":
        return mk(
            error_style="openai",
            health="plain",
            groups=frozenset({"chat", "models", "embeddings", "ws"}),
            default_model="gemini-1.5-pro-latest",
            defaults=MappingProxyType({"temperature": 1}),
            safety_off=True,
        )
    if profile == "antigravity2api":
        if older:
            return mk(
                error_style="openai",
                health="plain",
                groups=frozenset({"chat", "models", "served_images"}),
                open_groups=frozenset({"served_images"}),
                defaults=MappingProxyType(
                    {"temperature": 1, "top_p": 0.85, "top_k": 50, "max_tokens": 8096}
                ),
                image_markdown=True,
            )
        return mk(
            error_style="openai",
            health="plain",
            groups=frozenset({"chat", "models", "sd", "admin", "served_images"}),
            open_groups=frozenset({"sd", "served_images"}),
            defaults=MappingProxyType(
                {"temperature": 1, "top_p": 1, "top_k": 50, "max_tokens": 32000}
            ),
            efforts=ANTIGRAVITY_EFFORTS,
            budget_range=(1024, 32000),
            default_budget=1024,
            rotation=("request_count", 50),
            image_markdown=True,
        )
    if profile == "gemini-cli-proxy":
        return mk(
            error_style="openai",
            health="timestamp",
            groups=frozenset({"chat", "models", "cli_info"}),
        )
    return mk(
        error_style="openai",
        health="timestamp",
        groups=ALL_GROUPS,
        open_groups=frozenset({"served_images"}),
        image_markdown=True,
    )
