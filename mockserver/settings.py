"""The mock's settings (built by the CLI or by tests; nothing is read at import time)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_SEED", "Settings"]

MAX_SEED = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Settings:
    """``seed``: default seed for generated text, an int in [0, 2**64).
    ``api_keys``: accepted keys; empty means any non-empty key is accepted.
    ``journal_size``: how many journal entries are kept (the oldest are dropped).
    ``key_quotas``: ``(key, per_minute, per_day)`` limits (requests; ``None`` is
    unlimited) for API keys (:mod:`mockserver.quota`); these keys are accepted too.
    ``refresh_tokens``: refresh tokens the OAuth stub accepts; empty means any.
    ``captures``: a capture directory replayed on ``capture=NAME`` directives, added to
    the bundled corpus (:mod:`mockserver.captures`; ``None``: the bundled corpus only).
    """

    seed: int = 0
    api_keys: frozenset[str] = frozenset()
    journal_size: int = 10_000
    key_quotas: tuple[tuple[str, int | None, int | None], ...] = ()
    refresh_tokens: frozenset[str] = frozenset()
    captures: Path | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be an integer in [0, 2**64); got {self.seed!r}")
        if self.journal_size < 1:
            raise ValueError(f"journal_size must be >= 1; got {self.journal_size!r}")
        if any(not key for key in self.api_keys):
            raise ValueError("api_keys must not contain an empty key")
        for key, per_minute, per_day in self.key_quotas:
            if not key:
                raise ValueError("key_quotas must not contain an empty key")
            for name, limit in (("per_minute", per_minute), ("per_day", per_day)):
                if limit is not None and (isinstance(limit, bool) or limit < 0):
                    raise ValueError(f"{name} of a key quota must be >= 0; got {limit!r}")
        if any(not token for token in self.refresh_tokens):
            raise ValueError("refresh_tokens must not contain an empty token")
