"""The system under test: where it is, how to authenticate, which profile it claims."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from spec.profiles import Auth, Profile
from spec.secrets import is_secret_header, is_token

__all__ = ["Target", "TargetError", "parse_header", "parse_headers"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""A field name (RFC 9110 section 5.1: a token)."""
_MANAGED = frozenset({"host", "content-length", "transfer-encoding", "connection"})
"""Fields the HTTP client writes itself; a ``--header`` may not set them."""


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` as ``(name, value)`` (whitespace around the value dropped).
    Raises :class:`TargetError` for a missing colon, a name that is not an RFC 9110 token
    or one the HTTP client writes itself (``Host``, ``Content-Length``...), or a value
    with a control character (RFC 9110 section 5.5)."""
    name, colon, value = text.partition(":")
    value = value.strip(" \t")
    if not colon or not _TOKEN.fullmatch(name):
        raise TargetError(f"a header must be 'Name: value' with a token name; got {text!r}")
    if name.lower() in _MANAGED:
        raise TargetError(f"the HTTP client writes {name} itself; it cannot be a --header")
    if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
        raise TargetError(f"the value of header {name} has a control character")
    return name, value


def parse_headers(texts: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Every ``"Name: value"`` of ``texts`` (``--header``, repeated) through
    :func:`parse_header`; raises :class:`TargetError` for the first malformed one."""
    return tuple(parse_header(text) for text in texts)


class TargetError(ValueError):
    """A target description that cannot work; the message names the field and value."""


@dataclass(frozen=True, slots=True)
class Target:
    """``base_url``: the proxy's root (``http://host:port``) or its OpenAI base URL
    (``http://host:port/v1``); either works. ``mock_url``: the mock upstream's root when
    the target's Gemini base URL points at it (controlled mode). ``api_key`` is never
    written anywhere (evidence shows ``[redacted]``, curl lines use ``$CONFORMANCE_API_KEY``).
    ``listed_models``: the model ids the target lists in ``GET /models``, learned by the
    run from its ``models`` probe (``None`` before that, or when the list is unreadable);
    probes that choose a model by capability (the thinking-model reasoning door) read it."""

    base_url: str
    profile: Profile
    model: str = "gemini-2.5-flash"
    api_key: str | None = None
    mock_url: str | None = None
    label: str = ""
    probe_rate_limits: bool = False
    """Send a short burst to see the target's own documented rate limits (opt-in)."""
    listed_models: frozenset[str] | None = None
    reasoning_model: str | None = None
    """A model that thinks, for the field-mode reasoning probes (``--reasoning-model``;
    ``None``: the run picks one from ``GET /models``, docs/field-mode.md)."""
    plain_model: str | None = None
    """A model that does not think, for the field-mode ``length``/``n``/``stop`` probes
    (``None``: the run picks one from ``GET /models``, else uses ``model``)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Header fields sent with every request, as ``(name, value)`` (``--header``): what a
    gateway needs to route a request (Portkey's ``x-portkey-provider``, a Cloudflare AI
    Gateway's ``cf-aig-authorization``). Values that are credentials are redacted like
    the API key (:meth:`header_secrets`)."""
    prefixed: bool = True
    """Whether the profile's prefix (``/v1``) goes between ``base_url`` and the routes.
    False when ``base_url`` is the OpenAI base URL itself although it does not end with
    the prefix (Google's ``https://host/v1beta/openai``): the run finds out from
    ``GET /models`` (:func:`conformance.runner.resolve_base`)."""

    def __post_init__(self) -> None:
        for name, value in self.headers:
            parse_header(f"{name}: {value}")
        for name in ("base_url", "mock_url"):
            value = getattr(self, name)
            if value is None:
                continue
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise TargetError(f"{name} must be an http(s) URL; got {value!r}")

    @property
    def controlled(self) -> bool:
        return self.mock_url is not None

    @property
    def mode(self) -> str:
        return "controlled" if self.controlled else "black-box"

    def url(self, route: str) -> str:
        """Full URL of an OpenAI route such as ``/chat/completions`` for this profile.

        The profile's prefix (``/v1``) is not added twice when ``base_url`` ends with it.
        """
        base = self.base_url.rstrip("/")
        prefix = self.profile.prefix
        if not self.prefixed or (prefix and base.endswith(prefix)):
            return f"{base}{route}"
        return f"{base}{prefix}{route}"

    def absolute(self, path: str) -> str:
        """Full URL of ``path`` as a document writes it (``/v1/models/x``, ``/health``,
        ``/ws``): the target's scheme, host and :attr:`base_path`, then ``path``."""
        parts = urlsplit(self.base_url)
        root = f"{parts.scheme}://{parts.netloc}"
        prefix = self.profile.prefix
        if not self.prefixed and prefix:
            if path == prefix or path.startswith(f"{prefix}/"):
                return f"{root}{self.base_path}{path[len(prefix) :]}"
            return f"{root}{path}"  # not under the API: from the host's root
        return f"{root}{self.base_path}{path}"

    @property
    def base_path(self) -> str:
        """The path part of ``base_url`` before the profile prefix (``""`` usually)."""
        path = urlsplit(self.base_url).path.rstrip("/")
        prefix = self.profile.prefix
        if self.prefixed and prefix and path.endswith(prefix):
            path = path[: -len(prefix)]
        return path

    @property
    def api_prefix(self) -> str:
        """What :attr:`Exchange.api_prefix` records: the profile's prefix when
        ``base_url`` stands for it (not :attr:`prefixed`), else ``""``."""
        return "" if self.prefixed else self.profile.prefix

    def request_headers(self, key: str | None = None) -> dict[str, str]:
        """The header fields every request to the target carries: :attr:`headers` (the
        user's ``--header`` fields), then ``Authorization`` for the profile's auth style
        (``key`` overrides the target's; an ``Authorization`` of :attr:`headers` gives
        way to it)."""
        fields = dict(self.headers)
        key = key if key is not None else self.api_key
        if self.profile.auth is Auth.NONE and key is None:
            return fields
        for name in [n for n in fields if n.lower() == "authorization"]:
            del fields[name]
        fields["Authorization"] = f"Bearer {key or 'sk-conformance'}"
        return fields

    def header_secrets(self) -> tuple[str, ...]:
        """The values of :attr:`headers` that are credentials: those of a secret header
        name (:func:`spec.secrets.is_secret_header`: ``x-portkey-api-key``,
        ``cf-aig-authorization``...) and those that look like one
        (:func:`spec.secrets.is_token`). The reports never show them; the other values
        (a provider's name, a routing host) stay readable in the evidence."""
        return tuple(
            value for name, value in self.headers if is_secret_header(name) or is_token(value)
        )
