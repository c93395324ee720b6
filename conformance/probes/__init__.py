"""Probes: the requests the suite sends. Each probe runs once per run, however many checks
read its exchange, so traffic to a third-party target stays small and bounded.

A probe is a name, the mode it needs and a pure ``build(target, cid)`` that returns the
:class:`~conformance.exchange.Request` (plus an optional second turn built from the first
exchange). In controlled mode the last user message carries a mock directive
(``spec.scenarios``) with a correlation id ``cid``, so the runner can fetch what the proxy
sent upstream from the mock's journal. Modules: ``basic`` (models, chat, client errors,
CORS), ``params`` (translation, reasoning), ``tooling`` (tool calls), ``faults`` (upstream
errors and broken streams); the registration order is the run order.
"""

from __future__ import annotations

from .. import properties  # noqa: F401  (property probes register last)
from . import basic, documented, faults, params, ratelimits, tooling  # noqa: F401  (registration order = run order)
from .base import BAD_KEY, PROBES, TOOLS, UNKNOWN_MODEL, Probe, chat_request, probe_applies
from .params import PARAMS, SYSTEM_PROMPT

__all__ = [
    "BAD_KEY",
    "PARAMS",
    "PROBES",
    "SYSTEM_PROMPT",
    "TOOLS",
    "UNKNOWN_MODEL",
    "Probe",
    "chat_request",
    "probe_applies",
]
