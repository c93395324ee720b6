"""The result record format: what the suite writes and every reporter reads.

A run is one :class:`RunInfo` plus one :class:`ResultRecord` per check result. On disk
(``report.json``) it is ``{"format": 1, "run": {...}, "results": [{...}, ...],
"findings": [{...}, ...]}`` (findings are derived from the results and ignored on load);
:func:`dump_run` and :func:`load_run` are the only (de)serialisers. ``reports`` imports
nothing local but ``spec`` (the one secret list; docs/architecture.md), and producers
never import a renderer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "SEVERITY_ORDER",
    "Evidence",
    "Outcome",
    "ResultRecord",
    "RunInfo",
    "dump_run",
    "load_run",
]

FORMAT_VERSION = 1


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not applicable here (wrong mode or profile); ``message`` says why."""
    ERROR = "error"
    """The check could not decide (e.g. the probe's transport failed)."""


SEVERITY_ORDER = ("critical", "high", "medium", "low")
"""Severities from most to least severe."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a person needs to see and reproduce a failure. Secrets are already redacted.

    ``request``: ``{"method", "url", "headers", "body"}``. ``response``:
    ``{"status", "headers", "body"}`` with ``body`` a text excerpt. ``excerpt``: the
    offending bytes, as an escaped text. ``curl``: a shell line that reproduces it.
    ``clients``: client name -> what happened when the bytes were replayed through it
    (``"ok"`` or the exception, e.g. ``"JSONDecodeError: Expecting value"``).
    """

    request: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None
    excerpt: str | None = None
    curl: str | None = None
    clients: Mapping[str, str] = field(default_factory=dict)
    upstream: list[Mapping[str, Any]] = field(default_factory=list)
    """Controlled mode: the requests the mock upstream received (its journal)."""


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """One check result. ``duration_ms`` in milliseconds; ``source`` the public sources
    the check enforces (URLs and ``docs/`` pages, separated by ``; ``)."""

    check_id: str
    title: str
    area: str
    severity: str
    source: str
    profile: str
    target: str
    mode: str
    outcome: Outcome
    message: str = ""
    duration_ms: float = 0.0
    evidence: Evidence | None = None
    docs: str = ""
    """The check's page in the project's docs, relative to the repository root
    (``docs/checks/stream.md#streamdone_terminator``); empty when unknown."""
    cause: str = ""
    """A failed check's root cause as the check named it (e.g. ``error body: error.type
    missing``), empty when it named none: failures with the same cause are one finding
    (:mod:`reports.findings`)."""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["outcome"] = self.outcome.value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultRecord:
        """Build a record from its JSON form. Raises ``ValueError`` naming a bad field."""
        try:
            raw = dict(data)
            ev = raw.pop("evidence", None)
            evidence = Evidence(**ev) if ev else None
            outcome = Outcome(raw.pop("outcome"))
            return cls(outcome=outcome, evidence=evidence, **raw)
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"not a result record: {exc}") from exc


@dataclass(frozen=True, slots=True)
class RunInfo:
    """The run's context: the target (a URL, credentials redacted), profile, mode,
    when it started (ISO 8601, UTC), how long it took (seconds) and versions."""

    target: str
    profile: str
    mode: str
    started_at: str
    duration_s: float = 0.0
    tool_version: str = ""
    target_label: str = ""
    """A human name for the target, e.g. ``reference`` or ``litellm 1.79.0``."""
    notes: Mapping[str, str] = field(default_factory=dict)
    requests_sent: int = 0
    interrupted: str = ""
    """Empty for a finished run; else why it stopped early (e.g. ``SIGINT after 12 of 90
    probes``): the results are then partial, and every report says so."""
    tokens_spent: int = 0
    """Tokens the target's answers reported spending (the sum of their ``usage``); 0 when
    none reported a usage."""
    tokens_estimate: int = 0
    """The token estimate printed before the run (0: none was made)."""


def dump_run(
    path: Path,
    run: RunInfo,
    results: Iterable[ResultRecord],
    findings: Iterable[Mapping[str, Any]] | None = None,
) -> None:
    """Write ``report.json`` (stable key order, so diffs in CI stay small): the run, the
    per-check ``results`` and, when given, the ``findings`` they group into (root
    causes, ``Finding.to_json()`` of :func:`reports.findings.findings`, which
    :func:`reports.render.write_reports` passes; derived, so :func:`load_run` ignores
    them)."""
    payload: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "run": asdict(run),
        "results": [r.to_json() for r in results],
    }
    if findings is not None:
        payload["findings"] = [dict(f) for f in findings]
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def load_run(path: Path) -> tuple[RunInfo, list[ResultRecord]]:
    """Read a ``report.json``. Raises ``ValueError`` naming the file when it is not one."""
    try:
        payload = json.loads(path.read_text("utf-8"))
        if payload.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {payload.get('format')!r} is not {FORMAT_VERSION}")
        run = RunInfo(**payload["run"])
        results = [ResultRecord.from_json(r) for r in payload["results"]]
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path}: not a conformance report: {exc}") from exc
    return run, results
