"""The settings of one load run, shared by the ``load`` command and the Locust process.

A :class:`LoadConfig` is plain data that travels as JSON: from the command to the engine
process (a file), and from the Locust master to its workers (a Locust message). It never
holds the API key: every process reads it from ``$CONFORMANCE_API_KEY``
(:data:`KEY_ENV`). Pure: no I/O, no Locust.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from spec.profiles import get_profile

from ..probes import PROBES
from ..target import Target

__all__ = [
    "DEFAULT_PROBES",
    "HEADERS_ENV",
    "KEY_ENV",
    "MAX_DURATION_S",
    "MAX_REQUESTS",
    "MAX_USERS",
    "LoadConfig",
    "LoadConfigError",
    "headers_env",
    "headers_from_env",
    "is_loopback",
    "loadable_probe",
]

KEY_ENV = "CONFORMANCE_API_KEY"
"""The environment variable every load process reads the target's API key from."""

HEADERS_ENV = "CONFORMANCE_HEADERS"
"""The environment variable that carries the ``--header`` fields to the load processes
(a JSON list of ``[name, value]``), as :data:`KEY_ENV` carries the key: a value may be a
credential, so it is never written to the configuration file."""


def headers_env(fields: tuple[tuple[str, str], ...]) -> str:
    """``fields`` as :data:`HEADERS_ENV`'s value."""
    return json.dumps([list(f) for f in fields])


def headers_from_env(value: str | None) -> tuple[tuple[str, str], ...]:
    """The fields in :data:`HEADERS_ENV`'s ``value`` (``None`` or empty: none). Raises
    :class:`LoadConfigError` for a value that is not such a list."""
    if not value:
        return ()
    try:
        items = json.loads(value)
        fields = tuple((str(name), str(text)) for name, text in items)
    except (ValueError, TypeError) as exc:
        raise LoadConfigError(
            f"${HEADERS_ENV} is not a JSON list of [name, value]: {exc}"
        ) from None
    return fields


DEFAULT_PROBES = ("chat", "chat_stream", "chat_stream_usage")
"""The probes users send by default: a unary answer, a four-chunk stream whose chunks
are 370 ms apart (so streams overlap and interleave), and a stream with a usage chunk."""

MAX_USERS = 5000
"""Concurrent users one run may start, at most (all workers together)."""
MAX_DURATION_S = 3600.0
"""Longest run, in seconds."""
MAX_REQUESTS = 1_000_000
"""Most requests one run may send (``--max-requests`` cannot be set higher)."""


class LoadConfigError(ValueError):
    """A load setting that cannot work; the message names the option and the value."""


def loadable_probe(name: str) -> str | None:
    """``None`` when probe ``name`` can be sent by load users (one request, no executor,
    no second turn, no special model, no scripted upstream cut or slow answer), else
    why not."""
    probe = PROBES.get(name)
    if probe is None:
        return f"no probe named {name!r}"
    if probe.executor is not None:
        return f"probe {name!r} sends many requests ({probe.executor} executor)"
    if probe.then is not None:
        return f"probe {name!r} has a second turn"
    if probe.model is not None:
        return f"probe {name!r} needs model {probe.model}"
    if probe.upstream_cut or probe.waits:
        return f"probe {name!r} waits on purpose ({probe.waits or 'a scripted cut'})"
    return None


def is_loopback(url: str) -> bool:
    """The URL's host is a loopback address (``127.0.0.0/8``, ``::1``) or ``localhost``."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """One load run. Times in seconds; ``spawn_rate`` in users started per second;
    ``max_requests``: requests the whole run sends at most (each of ``expect_workers``
    workers sends at most its share); ``expect_workers``: worker processes the master
    waits for (``0``: Locust's local runner, no workers), of which ``local_workers`` it
    starts itself; ``probes``: the probe names users cycle through; ``nonce``: add a
    per-request nonce to the prompt (black-box cross-talk, docs/load.md)."""

    base_url: str
    profile: str
    run_id: str
    model: str = "gemini-2.5-flash"
    mock_url: str | None = None
    probes: tuple[str, ...] = DEFAULT_PROBES
    users: int = 20
    spawn_rate: float = 10.0
    duration_s: float = 30.0
    max_requests: int = 50_000
    timeout_s: float = 60.0
    request_deadline_s: float = 120.0
    expect_workers: int = 0
    local_workers: int = 0
    master_bind_host: str = "127.0.0.1"
    master_bind_port: int = 5557
    spool: str = ""
    """Where the master writes the recorded exchanges (JSON lines)."""
    summary: str = ""
    """Where the master writes Locust's own figures (JSON) at the end."""
    nonce: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    prefixed: bool = True
    """``Target.prefixed``: false when ``base_url`` is the OpenAI base URL itself without
    ``/v1`` (Google's ``/v1beta/openai``; found by :func:`conformance.runner.resolve_base`)."""

    def __post_init__(self) -> None:
        checks: tuple[tuple[str, bool, object], ...] = (
            ("--users", 1 <= self.users <= MAX_USERS, self.users),
            ("--spawn-rate", self.spawn_rate > 0, self.spawn_rate),
            ("--duration", 0 < self.duration_s <= MAX_DURATION_S, self.duration_s),
            ("--max-requests", 1 <= self.max_requests <= MAX_REQUESTS, self.max_requests),
            ("--workers", 0 <= self.local_workers <= self.expect_workers, self.local_workers),
            ("--timeout", self.timeout_s > 0, self.timeout_s),
            ("--request-deadline", self.request_deadline_s > 0, self.request_deadline_s),
        )
        for option, ok, value in checks:
            if not ok:
                raise LoadConfigError(f"{option}: {value!r} is out of range")
        if not self.probes:
            raise LoadConfigError("--probe: at least one probe is needed")
        for name in self.probes:
            why = loadable_probe(name)
            if why is not None:
                raise LoadConfigError(f"--probe {name}: {why}")
        get_profile(self.profile)  # raises KeyError/ValueError for an unknown profile

    @property
    def controlled(self) -> bool:
        return self.mock_url is not None

    def target(self, api_key: str | None, headers: tuple[tuple[str, str], ...] = ()) -> Target:
        """The :class:`~conformance.target.Target` the users build requests for
        (``headers``: the ``--header`` fields, from :data:`HEADERS_ENV`)."""
        return Target(
            base_url=self.base_url,
            profile=get_profile(self.profile),
            model=self.model,
            api_key=api_key,
            mock_url=self.mock_url,
            prefixed=self.prefixed,
            headers=headers,
        )

    def share(self) -> int:
        """Requests one worker (or the local runner) may send: ``max_requests`` split
        evenly, rounded up."""
        parts = max(1, self.expect_workers)
        return -(-self.max_requests // parts)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["probes"] = list(self.probes)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadConfig:
        """Raises :class:`LoadConfigError` for a missing or unknown field."""
        try:
            raw = dict(data)
            raw["probes"] = tuple(raw.get("probes") or DEFAULT_PROBES)
            return cls(**raw)
        except TypeError as exc:
            raise LoadConfigError(f"not a load configuration: {exc}") from None
