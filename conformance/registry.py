"""The check registry: a check is a plain function registered with its metadata.

A check receives the :class:`~conformance.exchange.Exchange` objects of the probes it
names, in order, and returns ``None`` when the behaviour conforms. It raises
:class:`CheckFailure` (an ``AssertionError``, so it is a pytest failure too) with the
evidence when it does not, :class:`Undecided` when it cannot tell, and
:class:`NotApplicable` when the target's answer makes the check moot (reported skipped).

Registration verifies that every probe a check reads (``probes`` and ``also``) is one
:data:`conformance.probes.PROBES` registers, and raises ``ValueError`` naming the check
and the unknown probe otherwise, when the check's module is imported. :data:`REGISTRY`
is in catalogue order (:func:`arrange`, called with ``conformance.checks.CATALOGUE``).
Checks do no I/O: this module and the checks import the probe data, never the session.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from . import ordering
from .exchange import Exchange
from .modes import Mode
from .probes import PROBES

__all__ = [
    "REGISTRY",
    "CheckFailure",
    "CheckSpec",
    "Mode",
    "NotApplicable",
    "Severity",
    "Undecided",
    "arrange",
    "check",
    "excerpt",
]


class Severity(StrEnum):
    """What a real client (openai-python, openai-node and the applications on them) suffers
    when the check fails: the one rule of docs/severity.md."""

    CRITICAL = "critical"
    """Every call of that kind breaks: the SDK raises, or loses or corrupts the whole
    answer, or a secret leaks."""
    HIGH = "high"
    """On a common path the SDK raises, loses or misplaces content, tool calls, reasoning
    or the usage asked for, or the client retries wrongly."""
    MEDIUM = "medium"
    """The client works but behaves worse: a wrong value it only logs, extra cost or
    latency, a path few clients take."""
    LOW = "low"
    """The client notices nothing: hygiene, contract details no client reads."""


class CheckFailure(AssertionError):
    """The target does not conform. ``excerpt`` holds the offending bytes or text;
    ``clients`` maps a client name to what it did with the bytes. ``cause`` names the
    root cause when several checks can fail for the same defect (e.g.
    ``"error body: error.type missing"``): reports group the failures that carry the same
    cause into one finding (docs/reports.md), so it must name one defect, never a
    symptom many defects share."""

    def __init__(
        self,
        message: str,
        *,
        excerpt: str | bytes | None = None,
        clients: Mapping[str, str] | None = None,
        cause: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.excerpt = excerpt
        self.clients = dict(clients or {})
        self.cause = cause
        self.probe: str | None = None
        """The probe whose exchange failed (set by :meth:`CheckSpec.run`)."""


class Undecided(Exception):
    """The check cannot decide (e.g. the probe got no response). Reported as ``error``."""


class NotApplicable(Exception):
    """The check does not apply to what the target answered. Reported as ``skipped``."""


CheckFunc = Callable[..., str | None]
"""A check: exchanges in, ``None`` or an informational note (e.g. timings) out."""
F = TypeVar("F", bound=CheckFunc)


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A registered check. ``probes`` name the exchanges it reads (see ``probes.PROBES``);
    ``features`` the profile features it needs (all of them); ``profiles`` restricts
    it to some profiles (``None``: every profile that has the features)."""

    id: str
    title: str
    area: str
    severity: Severity
    source: str
    probes: tuple[str, ...]
    func: CheckFunc = field(compare=False, repr=False)
    mode: Mode = Mode.BLACK_BOX
    features: frozenset[str] = frozenset()
    profiles: frozenset[str] | None = None
    also: tuple[str, ...] = ()
    """Further probes the same rule is applied to when they ran (single-probe checks)."""

    @property
    def docs(self) -> str:
        """The check's section in the docs, relative to the repository root:
        ``docs/checks/<area>.md#<anchor>``, where the anchor is GitHub's slug of the id as
        a heading (lowercase; characters other than letters, digits, ``_``, ``-`` and
        spaces dropped; spaces as ``-``): ``stream.done_terminator`` ->
        ``docs/checks/stream.md#streamdone_terminator``."""
        anchor = "".join(c for c in self.id.lower() if c.isalnum() or c in "_- ")
        return f"docs/checks/{self.area}.md#{anchor.replace(' ', '-')}"

    def run(self, exchanges: Mapping[str, Exchange]) -> str | None:
        """Apply the rule to the required probes, then to each ``also`` probe that ran.
        A failure names the probe it came from; ``NotApplicable`` on an ``also`` probe
        is ignored (the rule holds where it applies). Returns the primary's note."""
        try:
            note = self.func(*(exchanges[name] for name in self.probes))
        except CheckFailure as failure:
            failure.probe = self.probes[0]
            raise
        for name in self.also:
            exchange = exchanges.get(name)
            if exchange is None:
                continue
            try:
                self.func(exchange)
            except NotApplicable:
                continue
            except CheckFailure as failure:
                failure.probe = name
                raise
        return note


REGISTRY: dict[str, CheckSpec] = {}
"""Every registered check by id (filled when ``conformance.checks`` is imported), in
catalogue order: the order the runner runs them in."""


def _unknown_probes(id: str, names: tuple[str, ...]) -> None:
    """Raise ``ValueError`` when one of ``names`` is not a registered probe."""
    for name in names:
        if name not in PROBES:
            close = difflib.get_close_matches(name, PROBES, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(
                f"check {id!r} reads probe {name!r}, which conformance.probes does not "
                f"register{hint}; register it in the probe data module of its area"
            )


def check(
    id: str,
    *,
    title: str,
    severity: Severity,
    source: str,
    probes: Iterable[str],
    mode: Mode = Mode.BLACK_BOX,
    features: Iterable[str] = (),
    profiles: Iterable[str] | None = None,
    also: Iterable[str] = (),
) -> Callable[[F], F]:
    """Register the decorated function as check ``id`` (``area.name``).

    Raises ``ValueError`` for a duplicate id, an id without an area prefix, or a probe
    (in ``probes`` or ``also``) that :data:`conformance.probes.PROBES` does not register.
    """
    area, dot, name = id.partition(".")
    if not dot or not name:
        raise ValueError(f"check id must be 'area.name'; got {id!r}")
    if id in REGISTRY:
        raise ValueError(f"check id {id!r} registered twice")
    probes = tuple(probes)
    also = tuple(also)
    if also and len(probes) != 1:
        raise ValueError(f"check {id!r}: `also` needs exactly one probe; got {probes}")
    _unknown_probes(id, probes + also)

    def register(func: F) -> F:
        REGISTRY[id] = CheckSpec(
            id=id,
            title=title,
            area=area,
            severity=severity,
            source=source,
            probes=probes,
            func=func,
            mode=mode,
            features=frozenset(features),
            profiles=None if profiles is None else frozenset(profiles),
            also=also,
        )
        return func

    return register


def arrange(modules: Sequence[str]) -> None:
    """Put :data:`REGISTRY` in the order of ``modules`` (the check modules, by name; each
    module's checks in the order it registers them), whatever order the modules were
    imported in. A check belongs to the module its function is defined in. Raises
    ``LookupError`` naming the checks of a module missing from ``modules``."""
    ordering.arrange(REGISTRY, modules, lambda spec: spec.func.__module__, "check")


def excerpt(data: bytes | str, limit: int = 600) -> str:
    """``data`` as readable text with line ends visible (``\\r`` ``\\n``), cut to ``limit``."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    shown = text.replace("\r", "\\r").replace("\n", "\\n\n")
    if len(shown) > limit:
        shown = f"{shown[:limit]}… ({len(shown) - limit} more characters)"
    return shown


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object; raises :class:`CheckFailure` otherwise."""
    if not isinstance(value, dict):
        raise CheckFailure(f"expected a JSON object, got {type(value).__name__}")
    return value
