"""Settings of the reference proxy: a frozen dataclass built from CLI flags and env vars.

Nothing is read at import time; :meth:`Settings.from_args` reads the ``environ`` it is
given. CLI flags win over environment variables, which win over the defaults.

==============================  ============================  ===============================
flag                            environment                   meaning
==============================  ============================  ===============================
``--host``                      ``PROXY_HOST``                listen address (``127.0.0.1``)
``--port``                      ``PROXY_PORT``                listen port (``0``: free port)
``--upstream-url``              ``GEMINI_BASE_URL``           Gemini base URL (``/v1beta``),
                                                              or Code Assist (``/v1internal``)
``--upstream-kind``             ``GEMINI_UPSTREAM_KIND``      ``gemini`` (API key) or
                                                              ``code-assist`` (OAuth)
``--upstream-key`` (repeat.)    ``GEMINI_API_KEYS`` (comma),  Gemini API keys: the pool sent
                                ``GEMINI_API_KEY``            as ``x-goog-api-key``
``--oauth-refresh-token`` (r.)  ``GEMINI_OAUTH_REFRESH_       Code Assist credentials
                                TOKENS`` (comma)
``--oauth-token-url``           ``GEMINI_OAUTH_TOKEN_URL``    refresh -> access token URL
``--oauth-client-id/-secret``   ``GEMINI_OAUTH_CLIENT_ID/     sent with each refresh
                                _SECRET``
``--code-assist-project``       ``GOOGLE_CLOUD_PROJECT``      the envelope's ``project``
``--rotation``                  ``PROXY_ROTATION``            ``round_robin``,
                                                              ``quota_exhausted``,
                                                              ``request_count[:N]``
``--max-attempts``              ``PROXY_MAX_ATTEMPTS``        upstream attempts per request
``--api-key`` (repeatable)      ``PROXY_API_KEYS``            client keys (comma-separated);
                                                              none: any non-empty key passes
``--profile``                   ``PROXY_PROFILE``             a ``spec.profiles`` name
``--doc-version``               ``PROXY_DOC_VERSION``         ``newer``/``older`` docs
``--rate-limits``               ``PROXY_RATE_LIMITS=1``       enforce the profile's limits
``--keepalive``                 ``PROXY_KEEPALIVE_S``         seconds of upstream silence
                                                              before ``: keep-alive`` (0:
                                                              never)
``--db-path``                   ``PROXY_DB_PATH``             admin SQLite file (default: in
                                                              a fresh temp dir)
``--admin-user/-password``      ``ADMIN_USERNAME/_PASSWORD``  admin login (admin/admin123)
``--jwt-secret``                ``JWT_SECRET``                admin JWT key (default random)
``--image-dir``                 ``PROXY_IMAGE_DIR``           generated images (default temp)
``--public-url``                ``IMAGE_BASE_URL``            base of served image URLs
``--image-model``               ``PROXY_IMAGE_MODEL``         default image model
``--tts-model``                 ``PROXY_TTS_MODEL``           upstream TTS model
``--ws-upstream-url``           ``GEMINI_WS_URL``             upstream WebSocket for ``/ws``
``--system-instruction``        ``SYSTEM_INSTRUCTION``        global system prompt, sent
                                                              first in ``systemInstruction``
``--[no-]use-context-system-    ``PROXY_USE_CONTEXT_SYSTEM_   client system messages ->
prompt``                        PROMPT`` (1/0)                ``systemInstruction`` (default
                                                              on); off: user turns (antigravity2api)
``--[no-]pass-signature-to-     ``PROXY_PASS_SIGNATURE_TO_    ``thoughtSignature`` next to
client``                        CLIENT`` (1/0)                ``reasoning_content`` (off)
``--log-level``                 ``PROXY_LOG_LEVEL``           ``DEBUG``/``INFO``/...
==============================  ============================  ===============================
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from spec.profiles import PROFILES, get_profile

__all__ = [
    "DEFAULT_CODE_ASSIST",
    "DEFAULT_TOKEN_URL",
    "DEFAULT_UPSTREAM",
    "GOOGLE_WS",
    "UPSTREAM_KINDS",
    "Settings",
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

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
ROTATIONS = ("round_robin", "quota_exhausted", "request_count")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the proxy needs; validated on construction (``ValueError`` naming the
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
    admin_password: str = "admin123"
    jwt_secret: str = ""
    image_dir: str = ""
    public_url: str = ""
    image_model: str = "gemini-2.5-flash-image"
    tts_model: str = "gemini-2.5-flash-preview-tts"
    embedding_model: str = "text-embedding-004"
    ws_upstream_url: str = ""
    fetch_timeout_s: float = 10.0
    """Timeout for fetching a loopback image URL of a chat message."""
    max_media_bytes: int = 20 * 1024 * 1024
    keepalive_s: float = 10.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 300.0
    """Longest silence tolerated from the upstream once a request is sent."""
    max_connections: int = 1024
    """Size of the shared upstream connection pool."""
    models_ttl_s: float = 60.0
    """How long the ``/models`` answer is cached."""
    max_body_bytes: int = 64 * 1024 * 1024
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
            raise ValueError(f"upstream_url must be an http(s) URL; got {self.upstream_url!r}")
        object.__setattr__(self, "upstream_url", url)
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; known: {', '.join(PROFILES)}")
        if self.upstream_kind not in UPSTREAM_KINDS:
            raise ValueError(
                f"upstream_kind must be one of {', '.join(UPSTREAM_KINDS)}; "
                f"got {self.upstream_kind!r}"
            )
        keys = tuple(dict.fromkeys(self.upstream_keys or (self.upstream_key,)))
        keys = tuple(k for k in keys if k)
        object.__setattr__(self, "upstream_keys", keys)
        object.__setattr__(self, "upstream_key", keys[0] if keys else "")
        if self.doc_version not in ("newer", "older"):
            raise ValueError(f"doc_version must be newer or older; got {self.doc_version!r}")
        if self.doc_version == "older" and self.profile != "antigravity2api":
            raise ValueError(
                f"doc_version older exists only for antigravity2api; got profile {self.profile!r}"
            )
        if self.rotation and self.rotation not in ROTATIONS:
            raise ValueError(
                f"rotation must be one of {', '.join(ROTATIONS)}; got {self.rotation!r}"
            )
        if self.rotation_requests < 0:
            raise ValueError(f"rotation_requests must be >= 0; got {self.rotation_requests!r}")
        if not 1 <= self.max_attempts <= 10:
            raise ValueError(f"max_attempts must be in [1, 10]; got {self.max_attempts!r}")
        for name in ("retry_backoff_s", "cooldown_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)!r}")
        for name in ("oauth_token_url", "ws_upstream_url", "public_url"):
            value = getattr(self, name)
            if value and not value.startswith(("http://", "https://", "ws://", "wss://")):
                raise ValueError(f"{name} must be an http(s) or ws(s) URL; got {value!r}")
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in [0, 65535]; got {self.port!r}")
        for name in ("keepalive_s", "models_ttl_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)!r}")
        for name in (
            "connect_timeout_s",
            "read_timeout_s",
            "max_connections",
            "max_body_bytes",
            "signature_cache_size",
            "fetch_timeout_s",
            "max_media_bytes",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)!r}")
        if self.log_level.upper() not in _LOG_LEVELS:
            raise ValueError(
                f"log_level must be one of {', '.join(_LOG_LEVELS)}; got {self.log_level!r}"
            )
        object.__setattr__(self, "log_level", self.log_level.upper())
        if any(not k for k in self.api_keys):
            raise ValueError("api_keys must not contain an empty key")

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

    @classmethod
    def from_args(
        cls, argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from ``argv`` (without the program name) and ``environ``.

        Exits with status 2 and a usage message (argparse) on a bad flag or value.
        """
        env = dict(environ or {})
        parser = _parser()
        ns = parser.parse_args(argv)

        def pick(flag: object, name: str, default: str) -> str:
            if flag is not None:
                return str(flag)
            return env.get(name) or default

        def switch(flag: bool | None, name: str, default: bool) -> bool:
            if flag is not None:
                return flag
            raw = env.get(name, "").strip().lower()
            if not raw:
                return default
            if raw in _TRUE:
                return True
            if raw in _FALSE:
                return False
            parser.error(f"{name} must be 1/true/yes/on or 0/false/no/off; got {raw!r}")

        def many(flag: list[str] | None, name: str) -> list[str]:
            if flag:
                return list(flag)
            return [k.strip() for k in env.get(name, "").split(",") if k.strip()]

        kind = pick(ns.upstream_kind, "GEMINI_UPSTREAM_KIND", "gemini")
        default_url = DEFAULT_CODE_ASSIST if kind == "code-assist" else DEFAULT_UPSTREAM
        upstream_keys = many(ns.upstream_key, "GEMINI_API_KEYS")
        if not upstream_keys and env.get("GEMINI_API_KEY"):
            upstream_keys = [env["GEMINI_API_KEY"]]
        rotation = pick(ns.rotation, "PROXY_ROTATION", "")
        strategy, _, count = rotation.partition(":")
        try:
            return cls(
                host=pick(ns.host, "PROXY_HOST", "127.0.0.1"),
                port=int(pick(ns.port, "PROXY_PORT", "0")),
                upstream_url=pick(ns.upstream_url, "GEMINI_BASE_URL", default_url),
                upstream_kind=kind,
                upstream_keys=tuple(upstream_keys),
                oauth_refresh_tokens=tuple(
                    many(ns.oauth_refresh_token, "GEMINI_OAUTH_REFRESH_TOKENS")
                ),
                oauth_token_url=pick(
                    ns.oauth_token_url, "GEMINI_OAUTH_TOKEN_URL", DEFAULT_TOKEN_URL
                ),
                oauth_client_id=pick(ns.oauth_client_id, "GEMINI_OAUTH_CLIENT_ID", ""),
                oauth_client_secret=pick(ns.oauth_client_secret, "GEMINI_OAUTH_CLIENT_SECRET", ""),
                code_assist_project=pick(ns.code_assist_project, "GOOGLE_CLOUD_PROJECT", ""),
                rotation=strategy,
                rotation_requests=int(count or 0),
                max_attempts=int(pick(ns.max_attempts, "PROXY_MAX_ATTEMPTS", "3")),
                api_keys=frozenset(many(ns.api_key, "PROXY_API_KEYS")),
                profile=pick(ns.profile, "PROXY_PROFILE", "openai-core"),
                doc_version=pick(ns.doc_version, "PROXY_DOC_VERSION", "newer"),
                rate_limits=bool(ns.rate_limits) or env.get("PROXY_RATE_LIMITS", "") == "1",
                keepalive_s=float(pick(ns.keepalive, "PROXY_KEEPALIVE_S", "10")),
                db_path=pick(ns.db_path, "PROXY_DB_PATH", ""),
                admin_user=pick(ns.admin_user, "ADMIN_USERNAME", "admin"),
                admin_password=pick(ns.admin_password, "ADMIN_PASSWORD", "admin123"),
                jwt_secret=pick(ns.jwt_secret, "JWT_SECRET", ""),
                image_dir=pick(ns.image_dir, "PROXY_IMAGE_DIR", ""),
                public_url=pick(ns.public_url, "IMAGE_BASE_URL", ""),
                image_model=pick(ns.image_model, "PROXY_IMAGE_MODEL", "gemini-2.5-flash-image"),
                tts_model=pick(ns.tts_model, "PROXY_TTS_MODEL", "gemini-2.5-flash-preview-tts"),
                ws_upstream_url=pick(ns.ws_upstream_url, "GEMINI_WS_URL", ""),
                log_level=pick(ns.log_level, "PROXY_LOG_LEVEL", "INFO"),
                system_instruction=pick(ns.system_instruction, "SYSTEM_INSTRUCTION", ""),
                use_context_system_prompt=switch(
                    ns.use_context_system_prompt, "PROXY_USE_CONTEXT_SYSTEM_PROMPT", True
                ),
                pass_signature_to_client=switch(
                    ns.pass_signature_to_client, "PROXY_PASS_SIGNATURE_TO_CLIENT", False
                ),
            )
        except ValueError as exc:
            parser.error(str(exc))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reference-proxy",
        description="Reference OpenAI-compatible proxy in front of Gemini v1beta. Prints its "
        "base URL on one line of stdout, logs to stderr, runs until SIGINT/SIGTERM.",
    )
    p.add_argument("--host", help="listen address (env PROXY_HOST; default 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port, 0 = free port (env PROXY_PORT)")
    p.add_argument("--upstream-url", help="Gemini base URL ending in /v1beta (env GEMINI_BASE_URL)")
    p.add_argument(
        "--upstream-key",
        action="append",
        help="Gemini API key, repeatable: a pool (env GEMINI_API_KEYS comma-separated, "
        "or GEMINI_API_KEY)",
    )
    p.add_argument(
        "--upstream-kind",
        choices=UPSTREAM_KINDS,
        help="gemini (v1beta + API key) or code-assist (v1internal + OAuth) "
        "(env GEMINI_UPSTREAM_KIND)",
    )
    p.add_argument(
        "--oauth-refresh-token",
        action="append",
        help="Code Assist OAuth refresh token, repeatable (env GEMINI_OAUTH_REFRESH_TOKENS)",
    )
    p.add_argument("--oauth-token-url", help="OAuth token URL (env GEMINI_OAUTH_TOKEN_URL)")
    p.add_argument("--oauth-client-id", help="OAuth client id (env GEMINI_OAUTH_CLIENT_ID)")
    p.add_argument(
        "--oauth-client-secret", help="OAuth client secret (env GEMINI_OAUTH_CLIENT_SECRET)"
    )
    p.add_argument(
        "--code-assist-project", help="Code Assist project id (env GOOGLE_CLOUD_PROJECT)"
    )
    p.add_argument(
        "--rotation",
        help="credential rotation: round_robin, quota_exhausted or request_count[:N] "
        "(env PROXY_ROTATION; default: the profile's)",
    )
    p.add_argument(
        "--max-attempts", type=int, help="upstream attempts per request (env PROXY_MAX_ATTEMPTS)"
    )
    p.add_argument(
        "--api-key",
        action="append",
        help="accepted client key, repeatable (env PROXY_API_KEYS, comma-separated); "
        "with none, any non-empty key is accepted",
    )
    p.add_argument("--profile", choices=sorted(PROFILES), help="profile (env PROXY_PROFILE)")
    p.add_argument(
        "--doc-version",
        choices=("newer", "older"),
        help=(
            "follow the profile's older document (antigravity2api's older docs) "
            "(env PROXY_DOC_VERSION)"
        ),
    )
    p.add_argument(
        "--rate-limits",
        action="store_true",
        default=None,
        help="enforce the profile's documented rate limits (env PROXY_RATE_LIMITS=1)",
    )
    p.add_argument("--db-path", help="admin SQLite database (env PROXY_DB_PATH)")
    p.add_argument("--admin-user", help="admin login user (env ADMIN_USERNAME)")
    p.add_argument("--admin-password", help="admin login password (env ADMIN_PASSWORD)")
    p.add_argument("--jwt-secret", help="admin JWT signing key (env JWT_SECRET)")
    p.add_argument("--image-dir", help="where generated images are kept (env PROXY_IMAGE_DIR)")
    p.add_argument("--public-url", help="base URL of served images (env IMAGE_BASE_URL)")
    p.add_argument("--image-model", help="default image model (env PROXY_IMAGE_MODEL)")
    p.add_argument("--tts-model", help="upstream TTS model (env PROXY_TTS_MODEL)")
    p.add_argument("--ws-upstream-url", help="upstream WebSocket for /ws (env GEMINI_WS_URL)")
    p.add_argument(
        "--keepalive",
        type=float,
        help="seconds of upstream silence before a ': keep-alive' comment, 0 = never "
        "(env PROXY_KEEPALIVE_S; default 10)",
    )
    p.add_argument("--log-level", help="log level (env PROXY_LOG_LEVEL; default INFO)")
    p.add_argument(
        "--system-instruction",
        help="global system prompt, first in every chat request's systemInstruction "
        "(env SYSTEM_INSTRUCTION; antigravity2api)",
    )
    p.add_argument(
        "--use-context-system-prompt",
        action=argparse.BooleanOptionalAction,
        help="client system messages join systemInstruction after the global one; --no-...: "
        "they are sent as user turns, as antigravity2api does by default "
        "(env PROXY_USE_CONTEXT_SYSTEM_PROMPT=1/0; default on)",
    )
    p.add_argument(
        "--pass-signature-to-client",
        action=argparse.BooleanOptionalAction,
        help="send Gemini's thoughtSignature next to reasoning_content "
        "(env PROXY_PASS_SIGNATURE_TO_CLIENT=1/0; default off; antigravity2api)",
    )
    return p
