"""The ``reference-proxy`` command line: click options, each with its environment variable.

:func:`settings_from_args` turns flags and an environment mapping into
:class:`~.settings.Settings`.
Flags win over environment variables, which win over the defaults (the
:class:`~.settings.Settings` field defaults). Every value is checked where it is read:
a bad one is click's usage error naming the flag and its variable (``Invalid value for
'--port' (env var: 'PROXY_PORT'): 'abc' is not a valid integer.``), exit status 2.
Switches take ``1/true/yes/on`` and ``0/false/no/off`` from the environment too.

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
``--rate-limits``               ``PROXY_RATE_LIMITS`` (1/0)   enforce the profile's limits
``--keepalive``                 ``PROXY_KEEPALIVE_S``         seconds of upstream silence
                                                              before ``: keep-alive`` (0:
                                                              never)
``--connect-timeout``           ``PROXY_CONNECT_TIMEOUT_S``   upstream connect timeout (10 s)
``--read-timeout``              ``PROXY_READ_TIMEOUT_S``      upstream silence per attempt
                                                              (300 s)
``--deadline``                  ``PROXY_DEADLINE_S``          total upstream time per request
                                                              across attempts (300 s)
``--max-body-bytes``            ``PROXY_MAX_BODY_BYTES``      largest request body (20 MiB;
                                                              413 beyond)
``--max-inflight-bytes``        ``PROXY_MAX_INFLIGHT_BYTES``  body bytes in flight across
                                                              requests (256 MiB; 503 +
                                                              ``Retry-After`` beyond)
``--db-path``                   ``PROXY_DB_PATH``             admin SQLite file (default: in
                                                              a fresh temp dir)
``--admin-user/-password``      ``ADMIN_USERNAME/_PASSWORD``  admin login (user ``admin``; no
                                                              password: a random one, logged
                                                              once at start-up)
``--jwt-secret``                ``JWT_SECRET``                admin JWT key (default random)
``--image-dir``                 ``PROXY_IMAGE_DIR``           generated images (default temp)
``--public-url``                ``IMAGE_BASE_URL``            base of served image URLs
``--image-model``               ``PROXY_IMAGE_MODEL``         default image model
``--tts-model``                 ``PROXY_TTS_MODEL``           upstream TTS model
``--ws-upstream-url``           ``GEMINI_WS_URL``             upstream WebSocket for ``/ws``
``--allow-private-media-urls``  ``PROXY_ALLOW_PRIVATE_MEDIA_  fetch ``image_url`` on
                                URLS`` (1/0)                  localhost/private addresses
                                                              (default off: a 400, SSRF)
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

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import click

from spec.profiles import PROFILES

from .settings import (
    DEFAULT_CODE_ASSIST,
    DEFAULT_UPSTREAM,
    LOG_LEVELS,
    UPSTREAM_KINDS,
    Settings,
    SettingsError,
)

__all__ = ["COMMAND", "OPTIONS", "PROG", "settings_from_args"]

PROG = "reference-proxy"
_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(Settings) if f.default is not dataclasses.MISSING
}


class _EnvOption(click.Option):
    """An option whose environment variables are read from the mapping given to
    :func:`settings_from_args` (``ctx.obj``), not from ``os.environ``: the first that is
    set wins (a list with no item counts as unset, so ``GEMINI_API_KEY`` backs an empty
    ``GEMINI_API_KEYS``)."""

    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        environ: Mapping[str, str] = ctx.obj if isinstance(ctx.obj, Mapping) else {}
        names = [self.envvar] if isinstance(self.envvar, str) else self.envvar or []
        for name in names:
            value = environ.get(name)
            if value and (not self.multiple or self.type.split_envvar_value(value)):
                return value
        return None


class _Items(click.ParamType[str]):
    """One item of a repeatable option; from the environment, a comma-separated list
    (items stripped, empty ones dropped)."""

    name = "text"

    def split_envvar_value(self, rv: str) -> Sequence[str]:
        return [item.strip() for item in rv.split(",") if item.strip()]


class _Rotation(click.ParamType[tuple[str, int]]):
    """``STRATEGY`` or ``STRATEGY:N`` -> ``(strategy, N)`` (``N`` 0 when absent)."""

    name = "strategy[:N]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        strategy, _, count = str(value).partition(":")
        try:
            return strategy, int(count or 0)
        except ValueError:
            self.fail(f"the request count after ':' must be an integer; got {count!r}", param, ctx)


def _option(
    flags: str, envvar: str | list[str], help: str, *, name: str | None = None, **kw: Any
) -> click.Option:
    """``flags`` (``--a`` or ``--a/--no-a``) as the Settings field ``name`` (default: the
    first flag with ``_`` for ``-``), read from ``envvar`` too, defaulting to the field's
    default."""
    field = name or flags.split("/")[0].removeprefix("--").replace("-", "_")
    if "default" not in kw:
        kw["default"] = _DEFAULTS[field]
    return _EnvOption([flags, field], envvar=envvar, show_envvar=True, help=help, **kw)


def _list_option(flags: str, envvar: str | list[str], help: str, *, name: str) -> click.Option:
    """A repeatable ``flags`` for the tuple field ``name``; comma-separated in ``envvar``."""
    return _option(flags, envvar, help, name=name, type=_Items(), multiple=True, default=())


OPTIONS: tuple[click.Option, ...] = (
    _option("--host", "PROXY_HOST", "listen address (default 127.0.0.1)"),
    _option("--port", "PROXY_PORT", "listen port, 0 = a free port (default 0)", type=int),
    _option(
        "--upstream-url",
        "GEMINI_BASE_URL",
        "Gemini base URL ending in /v1beta (default: Google's; with --upstream-kind "
        "code-assist, Google's Code Assist /v1internal)",
        default=None,
    ),
    _list_option(
        "--upstream-key",
        ["GEMINI_API_KEYS", "GEMINI_API_KEY"],
        "Gemini API key, repeatable: a pool (GEMINI_API_KEYS comma-separated, or one "
        "GEMINI_API_KEY)",
        name="upstream_keys",
    ),
    _option(
        "--upstream-kind",
        "GEMINI_UPSTREAM_KIND",
        "gemini (v1beta + API key) or code-assist (v1internal + OAuth)",
        type=click.Choice(UPSTREAM_KINDS),
    ),
    _list_option(
        "--oauth-refresh-token",
        "GEMINI_OAUTH_REFRESH_TOKENS",
        "Code Assist OAuth refresh token, repeatable (comma-separated in the environment)",
        name="oauth_refresh_tokens",
    ),
    _option("--oauth-token-url", "GEMINI_OAUTH_TOKEN_URL", "OAuth token URL"),
    _option("--oauth-client-id", "GEMINI_OAUTH_CLIENT_ID", "OAuth client id"),
    _option("--oauth-client-secret", "GEMINI_OAUTH_CLIENT_SECRET", "OAuth client secret"),
    _option("--code-assist-project", "GOOGLE_CLOUD_PROJECT", "Code Assist project id"),
    _option(
        "--rotation",
        "PROXY_ROTATION",
        "credential rotation: round_robin, quota_exhausted or request_count[:N] "
        "(default: the profile's)",
        type=_Rotation(),
        default=("", 0),
    ),
    _option(
        "--max-attempts", "PROXY_MAX_ATTEMPTS", "upstream attempts per request (1-10)", type=int
    ),
    _list_option(
        "--api-key",
        "PROXY_API_KEYS",
        "accepted client key, repeatable (comma-separated in the environment); with none, "
        "any non-empty key is accepted",
        name="api_keys",
    ),
    _option("--profile", "PROXY_PROFILE", "profile", type=click.Choice(sorted(PROFILES))),
    _option(
        "--doc-version",
        "PROXY_DOC_VERSION",
        "follow the profile's older document (antigravity2api's older docs)",
        type=click.Choice(("newer", "older")),
    ),
    _option(
        "--rate-limits",
        "PROXY_RATE_LIMITS",
        "enforce the profile's documented rate limits",
        is_flag=True,
    ),
    _option("--db-path", "PROXY_DB_PATH", "admin SQLite database (default: a temporary one)"),
    _option("--admin-user", "ADMIN_USERNAME", "admin login user"),
    _option(
        "--admin-password",
        "ADMIN_PASSWORD",
        "admin login password (default: a random one, logged once at start-up)",
    ),
    _option("--jwt-secret", "JWT_SECRET", "admin JWT signing key (default: random)"),
    _option(
        "--image-dir", "PROXY_IMAGE_DIR", "where generated images are kept (default: temporary)"
    ),
    _option("--public-url", "IMAGE_BASE_URL", "base URL of served images"),
    _option("--image-model", "PROXY_IMAGE_MODEL", "default image model"),
    _option("--tts-model", "PROXY_TTS_MODEL", "upstream TTS model"),
    _option("--ws-upstream-url", "GEMINI_WS_URL", "upstream WebSocket for /ws"),
    _option(
        "--allow-private-media-urls",
        "PROXY_ALLOW_PRIVATE_MEDIA_URLS",
        "fetch image_url URLs on localhost and loopback, private or link-local addresses "
        "(a test rig serving images on 127.0.0.1); default off: refused with a 400 (SSRF)",
        is_flag=True,
    ),
    _option(
        "--keepalive",
        "PROXY_KEEPALIVE_S",
        "seconds of upstream silence before a ': keep-alive' comment, 0 = never (default 10)",
        name="keepalive_s",
        type=float,
    ),
    _option(
        "--connect-timeout",
        "PROXY_CONNECT_TIMEOUT_S",
        "seconds to connect to the upstream (default 10)",
        name="connect_timeout_s",
        type=float,
    ),
    _option(
        "--read-timeout",
        "PROXY_READ_TIMEOUT_S",
        "seconds of upstream silence ending one attempt (default 300)",
        name="read_timeout_s",
        type=float,
    ),
    _option(
        "--deadline",
        "PROXY_DEADLINE_S",
        "total seconds a request may spend on the upstream across all attempts; a unary "
        "answer must be complete and a stream started by then, else 504 (default 300)",
        name="deadline_s",
        type=float,
    ),
    _option(
        "--max-body-bytes",
        "PROXY_MAX_BODY_BYTES",
        "largest request body in bytes, 413 beyond (default 20 MiB: Gemini's limit for a "
        "request with inline data)",
        type=int,
    ),
    _option(
        "--max-inflight-bytes",
        "PROXY_MAX_INFLIGHT_BYTES",
        "request-body bytes in flight across all requests, 503 with Retry-After beyond "
        "(default 256 MiB)",
        type=int,
    ),
    _option(
        "--log-level",
        "PROXY_LOG_LEVEL",
        "log level (default INFO)",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
    ),
    _option(
        "--system-instruction",
        "SYSTEM_INSTRUCTION",
        "global system prompt, first in every chat request's systemInstruction (antigravity2api)",
    ),
    _option(
        "--use-context-system-prompt/--no-use-context-system-prompt",
        "PROXY_USE_CONTEXT_SYSTEM_PROMPT",
        "client system messages join systemInstruction after the global one; --no-...: "
        "they are sent as user turns, as antigravity2api does by default (default on)",
    ),
    _option(
        "--pass-signature-to-client/--no-pass-signature-to-client",
        "PROXY_PASS_SIGNATURE_TO_CLIENT",
        "send Gemini's thoughtSignature next to reasoning_content (default off; antigravity2api)",
    ),
)
"""Every option of ``reference-proxy``; each one's name is a :class:`Settings` field
(``--rotation`` sets ``rotation`` and ``rotation_requests``)."""


def _settings(**values: Any) -> Settings:
    """The command's callback: the settings of the parsed values. A value
    :class:`Settings` rejects is a usage error naming its option."""
    values["rotation"], values["rotation_requests"] = values.pop("rotation")
    if values["upstream_url"] is None:
        code_assist = values["upstream_kind"] == "code-assist"
        values["upstream_url"] = DEFAULT_CODE_ASSIST if code_assist else DEFAULT_UPSTREAM
    for name in ("upstream_keys", "oauth_refresh_tokens"):
        values[name] = tuple(values[name])
    values["api_keys"] = frozenset(values["api_keys"])
    try:
        return Settings(**values)
    except SettingsError as exc:
        name = "rotation" if exc.field == "rotation_requests" else exc.field
        param = next((p for p in OPTIONS if p.name == name), None)
        ctx = click.get_current_context()
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


COMMAND = click.Command(
    PROG,
    params=list(OPTIONS),
    callback=_settings,
    help="Reference OpenAI-compatible proxy in front of Gemini v1beta. Prints its base URL "
    "on one line of stdout, logs to stderr, runs until SIGINT/SIGTERM.",
)
"""``reference-proxy``: its callback returns the :class:`Settings`."""


def settings_from_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from ``argv`` (without the program name; ``None``: ``sys.argv[1:]``) and
    the environment variables of ``environ`` (``None``: none).

    A usage error (an unknown flag, a bad value in a flag or an environment variable) is
    printed to stderr with the usage line and exits with status 2 (``SystemExit``);
    ``--help`` prints the help to stdout and exits 0.
    """
    try:
        result = COMMAND.main(
            args=list(argv) if argv is not None else None,
            prog_name=PROG,
            standalone_mode=False,
            obj=dict(environ or {}),
        )
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    if not isinstance(result, Settings):  # --help: printed; ``result`` is the exit code
        raise SystemExit(result)
    return result
