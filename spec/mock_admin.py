"""The mock's admin API and request journal (``/_mock/...``) as typed models.

``spec/openapi/mock-admin.yaml`` is the contract; these ``TypedDict`` views of its
component schemas are what the mock builds its answers with (:mod:`mockserver.journal`,
:mod:`mockserver.http_admin`) and what the suite reads the journal as
(:func:`read_requests`, used by :func:`conformance.http.fetch_journal`). Field names are
the wire names. ``tests/unit/test_spec_mock_admin.py`` checks that the two say the same.
(No ``from __future__ import annotations`` here: it would hide ``NotRequired`` from
``__required_keys__`` at run time.)
"""

from functools import cache
from typing import Any, Literal, NotRequired, TypedDict, cast

import jsonschema

from spec.documents import component_schema

__all__ = [
    "DOCUMENT",
    "Cleared",
    "Credential",
    "FixtureImage",
    "GenerateSummary",
    "Health",
    "ImageSummary",
    "JournalEntry",
    "JournalMismatch",
    "KeyList",
    "KeySet",
    "KeyUsage",
    "KeysReset",
    "MediaSummary",
    "Queued",
    "ReplyError",
    "ReplySummary",
    "RequestsPage",
    "ScenarioQueue",
    "Window",
    "read_requests",
]

DOCUMENT = "mock-admin"
"""The name of the OpenAPI document (``spec/openapi/mock-admin.yaml``)."""

JSON = Any
"""Any JSON value."""


class Credential(TypedDict):
    """A credential the request carried, by fingerprint (never the value)."""

    where: str
    """``header:x-goog-api-key``, ``header:authorization``, ``query:key`` or
    ``body:refresh_token``."""
    sha256: str
    """The first 12 hex digits of the SHA-256 of the credential."""


class ReplyError(TypedDict):
    """The error the mock sent (a ``google.rpc.Status``'s fields)."""

    code: int
    status: str
    message: str


class GenerateSummary(TypedDict):
    """What the mock answered to a generate call. ``text``, ``thoughts``,
    ``function_calls`` and ``finish_reason`` are candidate 0's; ``texts`` and
    ``finish_reasons`` hold each candidate's; a cut stream shows what was sent."""

    text: str
    thoughts: str
    function_calls: list[dict[str, JSON]]
    """``{"name", "args", "id"?}`` per call, as sent."""
    finish_reason: str | None
    candidates: int
    """How many candidates the reply has (0 for a blocked prompt or an error)."""
    texts: list[str]
    finish_reasons: list[str | None]
    block_reason: NotRequired[str]
    """``promptFeedback.blockReason`` of a blocked prompt."""
    media: NotRequired[list[dict[str, JSON]]]
    """One summary per image or audio output."""
    error: NotRequired[ReplyError]
    """Set when the reply was (or ended with) an error."""


class MediaSummary(TypedDict):
    """What the mock answered to an Imagen ``:predict`` call: one summary per image."""

    media: list[dict[str, JSON]]


class FixtureImage(TypedDict):
    mime_type: str
    width: int
    height: int
    bytes: int
    sha256: str
    """The SHA-256 of the image bytes (hex, whole)."""


class ImageSummary(TypedDict):
    """What the mock answered to a fixture image fetch (``/_mock/image.png|jpg``)."""

    image: FixtureImage


ReplySummary = GenerateSummary | MediaSummary | ImageSummary
"""An entry's ``response``: what the mock answered."""


class JournalEntry(TypedDict):
    """One request the mock received, secrets redacted (:mod:`spec.secrets`)."""

    seq: int
    """Counts from 1, across clears."""
    time: float
    """When it arrived, Unix time in seconds."""
    method: str
    """The HTTP method, or ``WS`` for a Live API WebSocket frame."""
    path: str
    query: dict[str, str]
    """The last value of each parameter."""
    headers: dict[str, str]
    """Lower-case names; repeated headers joined with ``", "``."""
    body: JSON
    """The parsed JSON body; ``None`` when empty or not JSON."""
    scenario: str | None
    cid: str | None
    status: int | None
    credentials: list[Credential]
    response: ReplySummary | None


class RequestsPage(TypedDict):
    """``GET /_mock/requests``: the journal, oldest first."""

    requests: list[JournalEntry]


class Health(TypedDict):
    """``GET /_mock/health``."""

    status: Literal["ok"]


class Cleared(TypedDict):
    """``DELETE /_mock/requests`` and ``DELETE /_mock/scenarios``: how many were removed."""

    cleared: int


class ScenarioQueue(TypedDict):
    """``GET /_mock/scenarios``: the queued directives, next first."""

    scenarios: list[str]


class Queued(TypedDict):
    """``POST /_mock/scenarios``: the queue's length and the directive as parsed."""

    queued: int
    directive: str


class Window(TypedDict):
    """One quota window: requests ``used`` and the seconds until it resets (``None``:
    the window is closed and ``used`` is 0)."""

    used: int
    resets_in: float | None


class KeyUsage(TypedDict):
    """An API key's limits (``None``: unlimited) and usage, by fingerprint."""

    sha256: str
    per_minute: int | None
    per_day: int | None
    minute: Window
    day: Window
    admitted: int
    refused: int


class KeyList(TypedDict):
    """``GET /_mock/keys``."""

    keys: list[KeyUsage]


class KeySet(TypedDict):
    """``POST /_mock/keys``: the key as now set."""

    key: KeyUsage


class KeysReset(TypedDict):
    """``DELETE /_mock/keys``: how many keys had their usage forgotten."""

    reset: int


class JournalMismatch(ValueError):
    """The mock's answer does not match ``spec/openapi/mock-admin.yaml``; the message
    names the place (``requests[3].credentials``) and what is wrong there."""


@cache
def _validator(component: str) -> jsonschema.protocols.Validator:
    schema = component_schema(DOCUMENT, component)
    validator: jsonschema.protocols.Validator = jsonschema.Draft202012Validator(schema)
    return validator


def _where(path: Any) -> str:
    out = ""
    for token in path:
        out += f"[{token}]" if isinstance(token, int) else f".{token}"
    return out.lstrip(".") or "(the body)"


def read_requests(payload: Any) -> list[JournalEntry]:
    """The entries of a ``GET /_mock/requests`` answer (parsed JSON), checked against the
    ``RequestsPage`` schema of ``spec/openapi/mock-admin.yaml``. Raises
    :class:`JournalMismatch` naming the first place that does not match."""
    error = jsonschema.exceptions.best_match(_validator("RequestsPage").iter_errors(payload))
    if error is not None:
        message = error.message if len(error.message) <= 300 else error.message[:300] + "…"
        raise JournalMismatch(
            f"the mock's journal does not match spec/openapi/mock-admin.yaml at "
            f"{_where(error.absolute_path)}: {message}"
        )
    return cast(RequestsPage, payload)["requests"]
