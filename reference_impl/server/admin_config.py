"""antigravity2api's runtime configuration ('Management API' ``GET|PUT /admin/config``,
'Configuration Options') and what it puts in force.

The document is ``{"json": {"defaults": {...}, "other": {"retryTimes",
"passSignatureToClient", "useContextSystemPrompt", ...}, ...}, "env":
{"SYSTEM_INSTRUCTION"}}``, as the real server's ``PUT /admin/config`` takes it.
``json.defaults`` become the chat request defaults (over the profile's),
``other.retryTimes`` the upstream attempts (+1), and ``passSignatureToClient``,
``useContextSystemPrompt`` and ``SYSTEM_INSTRUCTION`` override the setting of the same
name (:class:`~reference_impl.settings.Settings`) until changed again.
``useContextSystemPrompt`` is ``true`` unless set: a deliberate departure from
antigravity2api's documented ``false`` (see ``Settings.use_context_system_prompt``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..policy.keys import KeyPool
from ..settings import Settings
from ..upstream.client import Upstream
from .chat_config import ChatConfig

__all__ = [
    "CONFIG_DEFAULT_KEYS",
    "CONFIG_ENV_KEYS",
    "CONFIG_SWITCHES",
    "AdminConfig",
    "AdminError",
]

CONFIG_DEFAULT_KEYS = frozenset(
    {"temperature", "top_p", "top_k", "max_tokens", "presence_penalty", "frequency_penalty"}
)
"""Chat fields ``PUT /admin/config`` may set defaults for."""
CONFIG_SWITCHES = ("passSignatureToClient", "useContextSystemPrompt")
"""Boolean ``json.other`` options of antigravity2api 'Configuration Options'."""
CONFIG_ENV_KEYS = frozenset({"SYSTEM_INSTRUCTION"})
"""What ``PUT /admin/config`` ``env`` may set."""


class AdminError(Exception):
    """An admin API refusal: ``{"success": false, "message"}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _section(value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    """``value`` when it is an object holding only ``allowed`` keys; else the admin 400
    naming ``where`` and what it may set."""
    if not isinstance(value, dict):
        raise AdminError(400, f"{where} must be an object")
    unknown = set(value) - allowed
    if unknown:
        raise AdminError(
            400, f"{where} may set {', '.join(sorted(allowed))}; got {', '.join(sorted(unknown))}"
        )
    return value


def _check(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(json, env)`` of a ``PUT /admin/config`` body; raises the 400 naming the field."""
    update = body.get("json")
    if not isinstance(update, dict):
        raise AdminError(400, 'the body must be {"json": {...}}')
    defaults = update.get("defaults")
    if defaults is not None:
        for key, value in _section(defaults, "json.defaults", CONFIG_DEFAULT_KEYS).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AdminError(400, f"json.defaults.{key} must be a number")
    other = update.get("other")
    if other is not None:
        if not isinstance(other, dict):
            raise AdminError(400, "json.other must be an object")
        retries = other.get("retryTimes")
        if retries is not None and (
            isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 9
        ):
            raise AdminError(400, "json.other.retryTimes must be an integer in [0, 9]")
        for key in CONFIG_SWITCHES:
            if other.get(key) is not None and not isinstance(other[key], bool):
                raise AdminError(400, f"json.other.{key} must be true or false")
    env = body.get("env")
    if env is not None:
        for key, value in _section(env, "env", CONFIG_ENV_KEYS).items():
            if not isinstance(value, str):
                raise AdminError(400, f"env.{key} must be a string")
    return update, env


class AdminConfig:
    """The configuration document of one application (:attr:`config` is ``json``,
    :attr:`env` is ``env``), put in force on ``chat`` and ``upstream``; ``pool``'s rotation
    is shown in it."""

    __slots__ = ("_chat", "_pool", "_profile_defaults", "_settings", "_upstream", "config", "env")

    def __init__(
        self,
        settings: Settings,
        profile_defaults: Mapping[str, object],
        chat: ChatConfig,
        upstream: Upstream,
        pool: KeyPool,
    ) -> None:
        self._settings = settings
        self._profile_defaults = dict(profile_defaults)
        self._chat = chat
        self._upstream = upstream
        self._pool = pool
        self.config: dict[str, Any] = {}
        self.env: dict[str, Any] = {}

    def load(self, config: Mapping[str, Any], env: Mapping[str, Any]) -> None:
        """Take up a stored document and put it in force."""
        self.config.update(config)
        self.env.update(env)
        self._apply()

    def update(self, body: dict[str, Any]) -> bool:
        """Merge a ``PUT /admin/config`` body (objects key by key; ``rotation`` is
        read-only) and put it in force; True when it set ``env``. Raises
        :class:`AdminError` naming the first bad field, changing nothing."""
        update, env = _check(body)
        for key, value in update.items():
            if key == "rotation":
                continue
            if isinstance(value, dict) and isinstance(self.config.get(key), dict):
                self.config[key] = {**self.config[key], **value}
            else:
                self.config[key] = value
        if env:
            self.env.update(env)
        self._apply()
        return bool(env)

    def rotation(self) -> dict[str, Any]:
        """``{"strategy", "requestCount"}`` of the credential pool."""
        return {"strategy": self._pool.strategy, "requestCount": self._pool.request_count}

    def document(self) -> dict[str, Any]:
        """``{"json": {...}, "env": {...}}`` as in force now."""
        chat = self._chat
        other = dict(self.config.get("other") or {})
        other["retryTimes"] = self._upstream.max_attempts - 1
        other["passSignatureToClient"] = chat.pass_signature_to_client
        other["useContextSystemPrompt"] = chat.use_context_system_prompt
        return {
            "json": {
                **self.config,
                "defaults": dict(chat.defaults),
                "other": other,
                "rotation": self.rotation(),
            },
            "env": {"SYSTEM_INSTRUCTION": chat.system_instruction},
        }

    def _apply(self) -> None:
        settings = self._settings
        other = self.config.get("other")
        other = other if isinstance(other, dict) else {}
        if isinstance(other.get("retryTimes"), int):
            self._upstream.max_attempts = other["retryTimes"] + 1
        passing, use_context = (other.get(k) for k in CONFIG_SWITCHES)
        instruction = self.env.get("SYSTEM_INSTRUCTION")
        defaults = self.config.get("defaults")
        self._chat.apply(
            defaults={
                **self._profile_defaults,
                **(defaults if isinstance(defaults, dict) else {}),
            },
            system_instruction=(
                instruction if isinstance(instruction, str) else settings.system_instruction
            ),
            use_context_system_prompt=(
                use_context if isinstance(use_context, bool) else settings.use_context_system_prompt
            ),
            pass_signature_to_client=(
                passing if isinstance(passing, bool) else settings.pass_signature_to_client
            ),
        )
