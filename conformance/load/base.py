"""The load-only checks' registry and what they read. Pure.

A load check is a plain function of the whole run (:class:`LoadRun`: every recorded
answer, with its journal in controlled mode, and the measured figures), registered with
:func:`load_check` into :data:`LOAD_CHECKS`. Like a suite check it returns ``None`` or a
note, raises :class:`LoadFailure` (a :class:`~conformance.registry.CheckFailure` naming
the answer whose evidence the report shows), :class:`~conformance.registry.Undecided` or
:class:`~conformance.registry.NotApplicable`. Load checks are not in
:data:`conformance.registry.REGISTRY`: ``conformance run`` never plans them. Each has its
section in ``docs/checks/load.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from reports.render_load import LoadSummary
from spec.profiles import Profile

from ..modes import Mode
from ..registry import CheckFailure, Severity
from .wire import Recorded

__all__ = [
    "LOAD_CHECKS",
    "LoadCheck",
    "LoadFailure",
    "LoadRun",
    "Thresholds",
    "load_check",
]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The user's bounds: ``max_error_rate`` a fraction in ``[0, 1]``; the latencies in
    milliseconds (``None``: not judged)."""

    max_error_rate: float = 0.01
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    ttft_p95_ms: float | None = None


@dataclass(frozen=True, slots=True)
class LoadRun:
    """A finished load run as the load checks read it. ``items``: every recorded answer
    (``exchange.upstream`` holds its journal entries in controlled mode); ``upstream_keys``:
    how many upstream keys the operator says the proxy holds (``None``: unknown)."""

    items: Sequence[Recorded]
    profile: Profile
    controlled: bool
    summary: LoadSummary
    thresholds: Thresholds = field(default_factory=Thresholds)
    upstream_keys: int | None = None

    @property
    def documented_limits(self) -> bool:
        return bool(self.profile.rate_limits)


class LoadFailure(CheckFailure):
    """A load check failed; ``item`` is the answer shown as evidence (``None``: the run's
    figures are the evidence, in ``excerpt``)."""

    def __init__(
        self,
        message: str,
        *,
        item: Recorded | None = None,
        excerpt: str | None = None,
        cause: str | None = None,
    ) -> None:
        super().__init__(message, excerpt=excerpt, cause=cause)
        self.item = item


LoadFunc = Callable[[LoadRun], str | None]
F = TypeVar("F", bound=LoadFunc)


@dataclass(frozen=True, slots=True)
class LoadCheck:
    """A registered load check (fields as :class:`conformance.registry.CheckSpec`'s)."""

    id: str
    title: str
    severity: Severity
    source: str
    func: LoadFunc = field(compare=False, repr=False)
    mode: Mode = Mode.BLACK_BOX

    @property
    def area(self) -> str:
        return "load"

    @property
    def docs(self) -> str:
        """``docs/checks/load.md#<GitHub's slug of the id>``."""
        anchor = "".join(c for c in self.id.lower() if c.isalnum() or c in "_- ")
        return f"docs/checks/load.md#{anchor.replace(' ', '-')}"


LOAD_CHECKS: dict[str, LoadCheck] = {}
"""Every load check by id, in registration order."""


def load_check(
    id: str,
    *,
    title: str,
    severity: Severity,
    source: str,
    mode: Mode = Mode.BLACK_BOX,
) -> Callable[[F], F]:
    """Register the decorated function as load check ``id`` (``load.name``). Raises
    ``ValueError`` for an id outside the ``load.`` area or registered twice."""
    if not id.startswith("load.") or id in LOAD_CHECKS:
        raise ValueError(f"load check id must be a new 'load.name'; got {id!r}")

    def register(func: F) -> F:
        LOAD_CHECKS[id] = LoadCheck(id, title, severity, source, func, mode)
        return func

    return register


def describe(items: Mapping[str, int]) -> str:
    """``a: 3, b: 1`` (in the mapping's order)."""
    return ", ".join(f"{k}: {v}" for k, v in items.items())
