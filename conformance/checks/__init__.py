"""The check catalogue. Importing this package registers every check in
``conformance.registry.REGISTRY``; one module per area."""

from __future__ import annotations

from . import chat, clients, errors, reasoning, stream, tools, translation

__all__ = ["chat", "clients", "errors", "reasoning", "stream", "tools", "translation"]
