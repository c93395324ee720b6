"""Stopping a run early, before its cost is paid, when it could tell nothing about the
target: no API key, a URL that is not an OpenAI-compatible API, or (controlled mode) a
mock upstream that never sees the proxy's calls. Pure: exchanges in, a message out.

Each message is one line that says what to change (``conformance run`` prints it and
exits 2). The rules stay narrow on purpose: a proxy that *answers badly* is judged by the
checks; only a run that cannot judge anything stops here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .exchange import Exchange

__all__ = [
    "JOURNAL_PROBES",
    "NOT_AN_API",
    "SILENT_LIMIT",
    "JournalWatch",
    "first_contact_problem",
    "silence_problem",
]

NOT_AN_API = frozenset({404, 405, 501})
"""Statuses that say "nothing is served here" (or not this method)."""
JOURNAL_PROBES = 3
"""Controlled probes answered without a single journal entry before the run stops."""


def _where(x: Exchange) -> str:
    return f"{x.request.method} {urlsplit(x.request.url).path}"


def _said(x: Exchange) -> str:
    """What the target answered, briefly: ``HTTP 404``, ``HTTP 200 text/html``."""
    if x.status is None:
        return f"no response ({x.transport_error or 'transport error'})"
    kind = f" {x.content_type}" if x.content_type and "json" not in x.content_type else ""
    return f"HTTP {x.status}{kind}"


def _error_text(x: Exchange) -> str:
    """The error message in an OpenAI (or Google) error body, cut to 120 characters."""
    try:
        body = x.json()
    except (ValueError, AttributeError):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f': "{message[:120]}"' if isinstance(message, str) and message else ""


def _not_an_api(x: Exchange) -> bool:
    if x.status in NOT_AN_API:
        return True
    return x.status is not None and 200 <= x.status < 300 and "html" in (x.content_type or "")


def first_contact_problem(exchanges: Mapping[str, Exchange], has_key: bool) -> str | None:
    """Why the run should stop after its first probes (``models``, then ``chat``; either
    may be absent), or ``None``. ``has_key``: the user gave an API key.

    - neither got a response: the target answers nothing;
    - the decisive one (``chat``, else ``models``) answered 401/403: a key is needed, or
      the given one is rejected;
    - both answered 404/405/501 or an HTML page: not an OpenAI-compatible API at this URL.
    """
    seen = [exchanges[n] for n in ("models", "chat") if n in exchanges]
    if not seen:
        return None
    if all(x.status is None for x in seen):
        return f"the target answered no request: {_where(seen[0])}: {_said(seen[0])}"
    decisive = seen[-1]
    if decisive.status in (401, 403):
        said = f"HTTP {decisive.status} on {_where(decisive)}{_error_text(decisive)}"
        if not has_key:
            return (
                f"the target needs an API key ({said}): pass --api-key KEY or set "
                "CONFORMANCE_API_KEY"
            )
        return (
            f"the target rejected the API key ({said}); check --api-key / "
            "$CONFORMANCE_API_KEY (or the proxy's own Gemini key)"
        )
    if len(seen) == 2 and all(_not_an_api(x) for x in seen):
        answers = ", ".join(f"{_where(x)} answered {_said(x)}" for x in seen)
        return (
            f"the target does not look like an OpenAI-compatible API ({answers}); check "
            "--target and its base path: it is the URL that OpenAI clients take as base_url, "
            "the part before /chat/completions (often ending in /v1)"
        )
    return None


@dataclass
class JournalWatch:
    """Controlled mode: notices that the mock's journal sees none of the proxy's upstream
    calls (``--mock-url`` wrong, or the proxy not pointed at the mock).

    Only answers that needed the upstream count: a 2xx (the proxy got an answer from
    somewhere) or a 5xx / no response (it could not reach its upstream). A 4xx may be the
    proxy's own (fair) refusal and says nothing about where its upstream is.
    """

    mock_url: str
    limit: int = JOURNAL_PROBES
    unseen: list[str] = field(default_factory=list)
    satisfied: bool = False

    def observe(self, x: Exchange) -> str | None:
        """Note a controlled probe's exchange; the message to stop with, or ``None``."""
        if self.satisfied:
            return None
        entries = [e for e in x.upstream if isinstance(e, dict)]
        if any("path" in e for e in entries):
            self.satisfied = True
            return None
        if entries or (x.status is not None and 400 <= x.status < 500):
            return None  # journal unreadable, or the proxy's own refusal: nothing learnt
        self.unseen.append(f"{x.probe}: {_said(x)}")
        if len(self.unseen) < self.limit:
            return None
        return (
            f"the mock at {self.mock_url} saw none of the proxy's upstream calls for the first "
            f"{len(self.unseen)} controlled probes ({'; '.join(self.unseen)}): point the "
            f"proxy's Gemini base URL at the mock ({self.mock_url.rstrip('/')}/v1beta) and "
            "pass that mock as --mock-url, or drop --mock-url for a black-box run"
        )


SILENT_LIMIT = 3
"""Consecutive requests without any response after which a run gives up on the target."""


def silence_problem(exchanges: Mapping[str, Exchange]) -> str | None:
    """Why the run should stop because the target stopped answering: the last
    :data:`SILENT_LIMIT` probes (in the order they ran) got no response at all (a
    timeout, a refused connection), or ``None``. Without this, a silent target costs
    requests x timeout."""
    recent = list(exchanges.values())[-SILENT_LIMIT:]
    if len(recent) < SILENT_LIMIT or any(x.status is not None for x in recent):
        return None
    names = ", ".join(x.probe for x in recent)
    return (
        f"the target stopped answering: the last {SILENT_LIMIT} requests ({names}) got no "
        f"response; the last one: {_where(recent[-1])}: {_said(recent[-1])}"
    )
