"""A bounded memory of the thought signatures the proxy handed out, by tool call id.

Gemini 3 rejects a replayed function call without its ``thoughtSignature``
(docs/gemini-wire.md A1; docs/breakages.md B1). The proxy sends it to clients in
``tool_calls[].extra_content.google.thought_signature``, but plain clients drop unknown
fields; remembering ``tool_call_id -> signature`` lets their next turn succeed anyway.
In-memory and per process: after a restart, or for ids older than ``maxsize`` calls,
Gemini 3 requests fall back to Google's documented placeholder signature.
"""

from __future__ import annotations

__all__ = ["SignatureCache"]


class SignatureCache:
    """At most ``maxsize`` ``(tool_call_id, signature)`` pairs; the oldest go first."""

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize <= 0:
            raise ValueError(f"maxsize must be > 0; got {maxsize!r}")
        self.maxsize = maxsize
        self._data: dict[str, str] = {}

    def get(self, call_id: str) -> str | None:
        """The signature issued with ``call_id``, or ``None``."""
        return self._data.get(call_id)

    def put(self, call_id: str, signature: str) -> None:
        """Remember ``signature`` for ``call_id`` (refreshing its age)."""
        data = self._data
        data.pop(call_id, None)
        data[call_id] = signature
        if len(data) > self.maxsize:
            del data[next(iter(data))]

    def __len__(self) -> int:
        return len(self._data)
