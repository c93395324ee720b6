"""Profiles: one per documented system (``docs/profiles.md``) plus ``openai-core``.

A profile names the spec document, where the OpenAI-style routes live (``/v1`` or the
root, for the Deno proxy), the auth style, the features the document claims, its
documented defaults and rate limits. The suite selects checks by profile; the reference
proxy (``--profile NAME``) follows the document's own contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

__all__ = ["FEATURES", "PROFILES", "Auth", "Profile", "RateLimit", "get_profile", "with_features"]


class Auth(StrEnum):
    BEARER = "bearer"
    """``Authorization: Bearer KEY``."""
    NONE = "none"
    """No client credential (the proxy authenticates upstream on its own)."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A documented limit. ``limit`` requests per ``window_s`` seconds (or a concurrency)."""

    name: str
    limit: float
    window_s: float
    source: str


@dataclass(frozen=True, slots=True)
class Profile:
    """What one documented system claims. ``prefix`` is prepended to ``/chat/completions``."""

    name: str
    title: str
    document: str
    """The documentation the profile is derived from (the system's API documentation,
    with its page in ``docs/``), or a spec URL."""
    prefix: str
    auth: Auth
    features: frozenset[str]
    """Claimed features: chat, stream, models, embeddings, tools, reasoning, images, ..."""
    stream_default: bool = False
    defaults: dict[str, object] = field(default_factory=dict)
    """Documented request defaults, e.g. ``{"top_p": 0.85, "max_tokens": 8096}``."""
    rate_limits: tuple[RateLimit, ...] = ()
    error_style: str = "openai"
    """``openai`` (``{"error": {...}}``) or ``detail`` (FastAPI ``{"detail": ...}``)."""
    left_out: frozenset[str] = frozenset()
    """Features of the profile the user said the target does not serve
    (``--without-feature``): their checks are skipped, saying so."""

    def path(self, route: str) -> str:
        """The full path of an OpenAI route, e.g. ``path("/chat/completions")``."""
        return f"{self.prefix}{route}"


_OPENAI_FEATURES = frozenset(
    {"chat", "stream", "models", "usage_chunk", "tools", "errors", "embeddings", "reasoning"}
)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="openai-core",
            title="OpenAI core: the surface every OpenAI client relies on",
            document="https://github.com/openai/openai-openapi (chat, models, embeddings)",
            prefix="/v1",
            auth=Auth.BEARER,
            features=_OPENAI_FEATURES,
        ),
        Profile(
            name="gemini-reverse",
            title="Gemini Reverse API v4.2 (cookie-authenticated reverse proxy)",
            document="Gemini Reverse API v4.2 documentation, docs/profiles.md#gemini-reverse",
            prefix="/v1",
            auth=Auth.NONE,
            features=frozenset({"chat", "stream", "models", "images", "tts", "documents"}),
            defaults={"model": "gemini-2.5-flash", "stream": False},
            rate_limits=(
                RateLimit("requests per hour per IP", 60, 3600, "gemini-reverse §Rate Limits"),
                RateLimit("same-model interval", 1, 5, "gemini-reverse §Rate Limits"),
                RateLimit("max concurrency", 2, 0, "gemini-reverse §Rate Limits"),
            ),
            error_style="detail",
        ),
        Profile(
            name="gemini-proxy-deno",
            title="Gemini Proxy (Deno deploy): OpenAI routes without /v1",
            document="Gemini Proxy API documentation, docs/profiles.md#gemini-proxy-deno",
            prefix="",
            auth=Auth.BEARER,
            features=frozenset({"chat", "stream", "models", "embeddings", "errors"}),
            defaults={"model": "gemini-1.5-pro-latest", "temperature": 1, "stream": False},
        ),
        Profile(
            name="antigravity2api",
            title="Antigravity2API (newer docs): tools, reasoning_content, SD WebUI, admin API",
            document=(
                "Antigravity2API documentation (newer and older), docs/profiles.md#antigravity2api"
            ),
            prefix="/v1",
            auth=Auth.BEARER,
            features=frozenset({"chat", "stream", "models", "tools", "reasoning", "errors"}),
            defaults={"temperature": 1, "top_p": 1, "top_k": 50, "max_tokens": 32000},
        ),
        Profile(
            name="gemini-cli-proxy",
            title="Gemini-CLI-Proxy (Cloudflare worker over Code Assist OAuth)",
            document="Gemini-CLI-Proxy API Reference, docs/profiles.md#gemini-cli-proxy",
            prefix="/v1",
            auth=Auth.BEARER,
            features=frozenset({"chat", "stream", "models", "tools", "reasoning", "errors"}),
            stream_default=True,
        ),
    )
}
"""Every profile by name."""


def get_profile(name: str) -> Profile:
    """The profile called ``name``. Raises ``KeyError`` naming the known profiles."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}") from None


FEATURES = frozenset(f for p in PROFILES.values() for f in p.features)
"""Every feature some profile claims (what a user may claim on top of a profile)."""


def with_features(profile: Profile, extra: Iterable[str], without: Iterable[str] = ()) -> Profile:
    """``profile`` also claiming ``extra`` (e.g. ``images`` and ``tts`` on openai-core for a
    proxy that serves them) and no longer claiming ``without`` (e.g. ``embeddings`` for a
    chat-only proxy; kept in :attr:`Profile.left_out`). Raises ``ValueError`` naming an
    unknown feature, or one both claimed and left out."""
    wanted = frozenset(extra)
    dropped = frozenset(without)
    unknown = sorted((wanted | dropped) - FEATURES)
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; known: {', '.join(sorted(FEATURES))}")
    both = sorted(wanted & dropped)
    if both:
        raise ValueError(f"feature {both[0]!r} is both claimed and left out")
    if wanted <= profile.features and not dropped & profile.features:
        return profile
    return replace(
        profile,
        features=(profile.features | wanted) - dropped,
        left_out=profile.left_out | (dropped & profile.features),
    )
