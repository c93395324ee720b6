"""Settings of the reference proxy: a frozen dataclass built from CLI flags and env vars.

Nothing is read at import time; :meth:`Settings.from_args` reads the ``environ`` it is
given. CLI flags win over environment variables, which win over the defaults.

==========================  ======================  ====================================
flag                        environment             meaning
==========================  ======================  ====================================
``--host``                  ``PROXY_HOST``          listen address (``127.0.0.1``)
``--port``                  ``PROXY_PORT``          listen port (``0``: a free port)
``--upstream-url``          ``GEMINI_BASE_URL``     Gemini base URL, ending in ``/v1beta``
``--upstream-key``          ``GEMINI_API_KEY``      sent upstream as ``x-goog-api-key``
``--api-key`` (repeatable)  ``PROXY_API_KEYS``      client keys (comma-separated); none
                                                    configured: any non-empty key passes
``--profile``               ``PROXY_PROFILE``       a ``spec.profiles`` name; picks the
                                                    route prefix (``/v1`` or none)
``--keepalive``             ``PROXY_KEEPALIVE_S``   seconds of upstream silence before a
                                                    ``: keep-alive`` comment (0: never)
``--log-level``             ``PROXY_LOG_LEVEL``     ``DEBUG``/``INFO``/``WARNING``/...
==========================  ======================  ====================================
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from spec.profiles import PROFILES, get_profile

__all__ = ["DEFAULT_UPSTREAM", "Settings"]

DEFAULT_UPSTREAM = "https://generativelanguage.googleapis.com/v1beta"
"""Google's Gemini API base URL (wire-formats.md A)."""

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the proxy needs; validated on construction (``ValueError`` naming the
    field and value). Units: seconds for ``*_s``, bytes for ``max_body_bytes``."""

    upstream_url: str = DEFAULT_UPSTREAM
    upstream_key: str = ""
    api_keys: frozenset[str] = field(default_factory=frozenset)
    host: str = "127.0.0.1"
    port: int = 0
    profile: str = "openai-core"
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

    def __post_init__(self) -> None:
        url = self.upstream_url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"upstream_url must be an http(s) URL; got {self.upstream_url!r}")
        object.__setattr__(self, "upstream_url", url)
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; known: {', '.join(PROFILES)}")
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

        keys = list(ns.api_key or [])
        if not keys:
            keys = [k.strip() for k in env.get("PROXY_API_KEYS", "").split(",") if k.strip()]
        try:
            return cls(
                host=pick(ns.host, "PROXY_HOST", "127.0.0.1"),
                port=int(pick(ns.port, "PROXY_PORT", "0")),
                upstream_url=pick(ns.upstream_url, "GEMINI_BASE_URL", DEFAULT_UPSTREAM),
                upstream_key=pick(ns.upstream_key, "GEMINI_API_KEY", ""),
                api_keys=frozenset(keys),
                profile=pick(ns.profile, "PROXY_PROFILE", "openai-core"),
                keepalive_s=float(pick(ns.keepalive, "PROXY_KEEPALIVE_S", "10")),
                log_level=pick(ns.log_level, "PROXY_LOG_LEVEL", "INFO"),
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
    p.add_argument("--upstream-key", help="Gemini API key (env GEMINI_API_KEY)")
    p.add_argument(
        "--api-key",
        action="append",
        help="accepted client key, repeatable (env PROXY_API_KEYS, comma-separated); "
        "with none, any non-empty key is accepted",
    )
    p.add_argument("--profile", choices=sorted(PROFILES), help="profile (env PROXY_PROFILE)")
    p.add_argument(
        "--keepalive",
        type=float,
        help="seconds of upstream silence before a ': keep-alive' comment, 0 = never "
        "(env PROXY_KEEPALIVE_S; default 10)",
    )
    p.add_argument("--log-level", help="log level (env PROXY_LOG_LEVEL; default INFO)")
    return p
