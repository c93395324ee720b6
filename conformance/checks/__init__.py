"""The check catalogue. Importing this package registers every check in
``conformance.registry.REGISTRY``; one module per area."""

from __future__ import annotations

from . import (
    blocked,
    chat,
    clients,
    contract,
    embeddings,
    errors,
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

__all__ = [
    "blocked",
    "chat",
    "clients",
    "contract",
    "embeddings",
    "errors",
    "http",
    "properties",
    "reasoning",
    "requests",
    "signatures",
    "stream",
    "tool_requests",
    "tools",
    "translation",
]
