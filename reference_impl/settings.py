"""Settings of the reference proxy: a frozen, validated dataclass.

Nothing is read at import time. :func:`.cli.settings_from_args` builds them from
command-line flags and an environment mapping (:mod:`.cli` lists every flag and its
environment variable): flags win over environment variables, which win over the
defaults below, and a bad value exits 2 naming its flag and variable. Constructed
directly, a bad value raises :class:`SettingsError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spec.profiles import PROFILES, get_profile

__all__ = [
    "DEFAULT_CODE_ASSIST",
    "DEFAULT_TOKEN_URL",
    "DEFAULT_UPSTREAM",
    "GOOGLE_WS",
    "LOG_LEVELS",
    "ROTATIONS",
    "UPSTREAM_KINDS",
    "Settings",
    "SettingsError",
]

DEFAULT_UPSTREAM = "https://generativelanguage.googleapis.com/v1beta"
"""Google's Gemini API base URL (docs/gemini-wire.md A)."""
DEFAULT_CODE_ASSIST = "https://cloudcode-pa.googleapis.com/v1internal"
"""Google's Code Assist base URL (docs/gemini-wire.md A7)."""
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
"""Google's OAuth token endpoint (refresh token -> access token)."""
GOOGLE_WS = (
    "wss://generativelanguage.googleapis.com/ws/"
    "google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
)
"""Google's Live API WebSocket, the default ``/ws`` upstream for Google's base URL."""
UPSTREAM_KINDS = ("gemini", "code-assist")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ROTATIONS = ("round_robin", "quota_exhausted", "request_count")


class SettingsError(ValueError):
    """A setting the proxy cannot run with; ``field`` names it (a :class:`Settings`
    field), the message says why and what it got."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the proxy needs; validated on construction (:class:`SettingsError` naming the
    field and value). Units: seconds for ``*_s``, bytes for ``max_body_bytes``."""

    upstream_url: str = DEFAULT_UPSTREAM
    upstream_key: str = ""
    """The first upstream credential (kept for callers that configure one key)."""
    upstream_keys: tuple[str, ...] = ()
    """The Gemini API key pool (``upstream_key`` joins it when this is empty)."""
    upstream_kind: str = "gemini"
    oauth_refresh_tokens: tuple[str, ...] = ()
    oauth_token_url: str = DEFAULT_TOKEN_URL
    oauth_client_id: str = ""
    oauth_client_secret: str = ""
    code_assist_project: str = ""
    rotation: str = ""
    """``round_robin``, ``quota_exhausted`` or ``request_count`` (``""``: the profile's)."""
    rotation_requests: int = 0
    """Requests per credential for ``request_count`` (0: the profile's, 50 in antigravity2api)."""
    max_attempts: int = 3
    """Upstream attempts per client request (antigravity2api ``retryTimes``; see
    :mod:`.policy.retry`)."""
    retry_backoff_s: float = 0.25
    """First backoff before retrying a 5xx; doubles on each further attempt."""
    cooldown_s: float = 60.0
    """Cooldown after a 429 whose body names no ``RetryInfo`` delay."""
    api_keys: frozenset[str] = field(default_factory=frozenset)
    host: str = "127.0.0.1"
    port: int = 0
    profile: str = "openai-core"
    doc_version: str = "newer"
    """``older``: follow the profile's older document (antigravity2api's older docs)."""
    rate_limits: bool = False
    """Enforce the profile's documented rate limits (gemini-reverse 'Rate Limits')."""
    db_path: str = ""
    admin_user: str = "admin"
    admin_password: str = ""
    """The admin API's password; none (the default): a random one is generated and
    logged once at start-up (no well-known default such as antigravity2api's)."""
    jwt_secret: str = ""
    image_dir: str = ""
    public_url: str = ""
    image_model: str = "gemini-2.5-flash-image"
    tts_model: str = "gemini-2.5-flash-preview-tts"
    embedding_model: str = "gemini-embedding-001"
    """The Gemini model for an embeddings request that names none. The gemini-proxy-deno
    document's default, ``text-embedding-004``, was shut down by Google on 2026-01-14
    (https://ai.google.dev/gemini-api/docs/deprecations): this is its successor."""
    ws_upstream_url: str = ""
    fetch_timeout_s: float = 10.0
    """Timeout for fetching a local image URL of a chat message (with
    :attr:`allow_private_media_urls`)."""
    allow_private_media_urls: bool = False
    """Fetch image URLs on ``localhost`` and loopback, private or link-local addresses
    (a test rig serving images on 127.0.0.1). Off: they are refused with a 400 before any
    connection (SSRF; :mod:`.upstream.media`)."""
    max_media_bytes: int = 20 * 1024 * 1024
    keepalive_s: float = 10.0
    connect_timeout_s: float = 10.0
    """Longest wait for the upstream's TCP (and TLS) connection."""
    read_timeout_s: float = 300.0
    """Longest silence tolerated from the upstream once a request is sent (one attempt)."""
    deadline_s: float = 300.0
    """Total time one client request may spend on the upstream, across all its attempts
    and backoffs: a unary answer must be complete, a stream must have started, by then
    (a 504 ``upstream_timeout``; a stream already committed gets it as its error event).
    No attempt is started or retried past it."""
    max_connections: int = 1024
    """Size of the shared upstream connection pool."""
    models_ttl_s: float = 60.0
    """How long the ``/models`` answer is cached."""
    max_body_bytes: int = 20 * 1024 * 1024
    """The largest request body (413 beyond): 20 MiB, Gemini's limit for a request with
    inline data (https://ai.google.dev/gemini-api/docs/image-understanding), so a larger
    chat body could not succeed upstream anyway."""
    max_inflight_bytes: int = 256 * 1024 * 1024
    """The most request-body bytes in flight across all requests (503 ``server_busy``
    with ``Retry-After`` beyond; :mod:`.server.inflight`)."""
    signature_cache_size: int = 10_000
    """How many ``tool_call_id -> thoughtSignature`` pairs are remembered."""
    log_level: str = "INFO"
    system_instruction: str = ""
    """A global system prompt (antigravity2api ``SYSTEM_INSTRUCTION``), first in every chat
    request's ``systemInstruction``."""
    use_context_system_prompt: bool = True
    """002 ``other.useContextSystemPrompt``: the client's system messages join
    ``systemInstruction`` after :attr:`system_instruction`. antigravity2api documents ``false`` as
    its default ('Configuration Options'); the proxy defaults to ``true`` in every profile
    on purpose, because a system prompt sent as a user turn changes the model's
    behaviour for every OpenAI client. ``false`` does what antigravity2api does: they become
    ordinary ``user`` turns and only :attr:`system_instruction` is the system prompt."""
    pass_signature_to_client: bool = False
    """002 ``other.passSignatureToClient`` (default ``false``, as documented): a delta or
    message with ``reasoning_content`` from a thought part carrying a
    ``thoughtSignature`` also carries ``"thoughtSignature"``."""

    def __post_init__(self) -> None:
        url = self.upstream_url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise SettingsError(
                "upstream_url", f"upstream_url must be an http(s) URL; got {self.upstream_url!r}"
            )
        object.__setattr__(self, "upstream_url", url)
        if self.profile not in PROFILES:
            raise SettingsError(
                "profile", f"unknown profile {self.profile!r}; known: {', '.join(PROFILES)}"
            )
        if self.upstream_kind not in UPSTREAM_KINDS:
            raise SettingsError(
                "upstream_kind",
                f"upstream_kind must be one of {', '.join(UPSTREAM_KINDS)}; "
                f"got {self.upstream_kind!r}",
            )
        keys = tuple(dict.fromkeys(self.upstream_keys or (self.upstream_key,)))
        keys = tuple(k for k in keys if k)
        object.__setattr__(self, "upstream_keys", keys)
        object.__setattr__(self, "upstream_key", keys[0] if keys else "")
        if self.doc_version not in ("newer", "older"):
            raise SettingsError(
                "doc_version", f"doc_version must be newer or older; got {self.doc_version!r}"
            )
        if self.doc_version == "older" and self.profile != "antigravity2api":
            raise SettingsError(
                "doc_version",
                f"doc_version older exists only for antigravity2api; got profile {self.profile!r}",
            )
        if self.rotation and self.rotation not in ROTATIONS:
            raise SettingsError(
                "rotation", f"rotation must be one of {', '.join(ROTATIONS)}; got {self.rotation!r}"
            )
        if self.rotation_requests < 0:
            raise SettingsError(
                "rotation_requests",
                f"rotation_requests must be >= 0; got {self.rotation_requests!r}",
            )
        if not 1 <= self.max_attempts <= 10:
            raise SettingsError(
                "max_attempts", f"max_attempts must be in [1, 10]; got {self.max_attempts!r}"
            )
        for name in ("retry_backoff_s", "cooldown_s"):
            if getattr(self, name) < 0:
                raise SettingsError(name, f"{name} must be >= 0; got {getattr(self, name)!r}")
        for name in ("oauth_token_url", "ws_upstream_url", "public_url"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://", "ws://", "wss://")):
                raise SettingsError(name, f"{name} must be an http(s) or ws(s) URL; got {value!r}")
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        if not 0 <= self.port <= 65535:
            raise SettingsError("port", f"port must be in [0, 65535]; got {self.port!r}")
        for name in ("keepalive_s", "models_ttl_s"):
            if getattr(self, name) < 0:
                raise SettingsError(name, f"{name} must be >= 0; got {getattr(self, name)!r}")
        for name in (
            "connect_timeout_s",
            "read_timeout_s",
            "deadline_s",
            "max_connections",
            "max_body_bytes",
            "max_inflight_bytes",
            "signature_cache_size",
            "fetch_timeout_s",
            "max_media_bytes",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(name, f"{name} must be > 0; got {getattr(self, name)!r}")
        if self.log_level.upper() not in LOG_LEVELS:
            raise SettingsError(
                "log_level",
                f"log_level must be one of {', '.join(LOG_LEVELS)}; got {self.log_level!r}",
            )
        object.__setattr__(self, "log_level", self.log_level.upper())
        if any(not k for k in self.api_keys):
            raise SettingsError("api_keys", "api_keys must not contain an empty key")

    @property
    def prefix(self) -> str:
        """The route prefix of the profile: ``/v1``, or ``""`` for ``gemini-proxy-deno``."""
        return get_profile(self.profile).prefix

    @property
    def code_assist(self) -> bool:
        """The upstream is Code Assist ``v1internal`` with OAuth (docs/gemini-wire.md A7)."""
        return self.upstream_kind == "code-assist"

    @property
    def credentials(self) -> tuple[str, ...]:
        """The upstream credentials of the pool: API keys, or OAuth refresh tokens."""
        return self.oauth_refresh_tokens if self.code_assist else self.upstream_keys
