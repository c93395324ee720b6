"""The check catalogue. Importing this package registers every check in
``conformance.registry.REGISTRY``, one module per area, and puts the registry in
:data:`CATALOGUE` order: the order the runner runs the checks in (reports list them by
id). Checks are pure functions over recorded exchanges: they import the probe data
(:mod:`conformance.probes`) for the names and constants they share with the probes, and
never the session, an HTTP client or anything that starts a process.

To add a check that needs a new request: register the probe in the data module of its
area in :mod:`conformance.probes`, and write the check in its area's module here with
``@check("area.name", ..., probes=("probe_name",))``; registration fails at import when
the probe does not exist. Two files (plus the check's section in ``docs/checks/``); a
new check module is also listed in :data:`CATALOGUE`.
"""

from __future__ import annotations

from ..registry import arrange
from . import (
    blocked,
    captures,
    chat,
    clients,
    contract,
    embeddings,
    errors,
    fidelity,
    field,
    http,
    properties,
    reasoning,
    requests,
    signatures,
    stream,
    tool_requests,
    tools,
    translation,
)

__all__ = ["CATALOGUE"]

CATALOGUE = (
    chat,
    stream,
    errors,
    http,
    embeddings,
    reasoning,
    tools,
    tool_requests,
    signatures,
    translation,
    requests,
    fidelity,
    blocked,
    field,
    contract,
    clients,
    captures,
    properties,
)
"""The check modules in catalogue order: the basic surface (models, chat, streams,
errors, HTTP), then reasoning and tools, what the proxy sends upstream, odd upstream
answers, the field-mode checks on a real model's answers, the documented contracts,
the client replays, the recorded answers replayed (captures) and, last, the property checks."""

arrange([module.__name__ for module in CATALOGUE])
