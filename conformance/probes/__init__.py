"""Probes: the requests the suite sends, as data. Each probe runs once per run, however
many checks read its exchange, so traffic to a third-party target stays small and bounded.

A probe is a name, the mode it needs and a pure ``build(target, cid)`` that returns the
:class:`~conformance.exchange.Request` (plus an optional second turn built from the first
exchange). In controlled mode the last user message carries a mock directive
(``spec.scenarios``) with a correlation id ``cid`` (:func:`~.base.correlation_id`), so the
runner can fetch what the proxy sent upstream from the mock's journal. A probe that one
request does not make names an ``executor``; the executors, and the session that sends
every probe, are the I/O side (:mod:`conformance.probing`, :mod:`conformance.session`).

This package is pure: it imports no HTTP client, no session, and sends nothing, so the
checks import it freely for the names and constants they share with the probes.

Data modules, in :data:`MODULES` order (the order of :data:`PROBES`: the tie-break of the
run order after ``FIRST_PROBES``, ``phase`` and executor probes last, see
``conformance.runner.plan``): ``properties`` (property searches), ``basic`` (models,
chat, client errors, CORS), ``documented`` (each documented endpoint's example request),
``faults`` (upstream errors and broken streams), ``params`` (translation, one probe per
field; reasoning),
``fidelity`` (service tier, a streamed error twin, the upstream's model list),
``ratelimits`` (the opt-in burst), ``tooling`` (tool calls), ``captures`` (recorded
upstream answers replayed, docs/captures.md), ``field`` (plain prompts a real model
obeys, for black-box runs, docs/field-mode.md). Helpers that register
nothing: ``base``, ``samples``, ``websocket``.

To add a check that needs a new request: register the probe in the data module of its
area (``probe(Probe("name", "what it sends", build, ...))``, next to any constant the
check shares with it), and write the check naming ``probes=("name",)`` in its area's
module of :mod:`conformance.checks`. Two files; a new data module is also listed in
:data:`MODULES`.
"""

from __future__ import annotations

from . import (
    basic,
    captures,
    documented,
    faults,
    fidelity,
    field,
    params,
    properties,
    ratelimits,
    tooling,
)
from .base import (
    BAD_KEY,
    PROBES,
    TOOLS,
    UNKNOWN_MODEL,
    Probe,
    arrange,
    chat_request,
    correlation_id,
    probe_applies,
)

__all__ = [
    "BAD_KEY",
    "MODULES",
    "PROBES",
    "TOOLS",
    "UNKNOWN_MODEL",
    "Probe",
    "chat_request",
    "correlation_id",
    "probe_applies",
]

MODULES = (
    properties,
    basic,
    documented,
    faults,
    params,
    fidelity,
    ratelimits,
    tooling,
    captures,
    field,
)
"""The probe data modules, in the order their probes take in :data:`PROBES`. The
property probes come first here, but run at the end of their phase like every probe with
an executor."""

arrange([module.__name__ for module in MODULES])
