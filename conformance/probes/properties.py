"""Property-based probes: many generated requests per property, bounded, the failing one
shrunk by Hypothesis to a minimal request that still breaks the rule. This module says
what they send and by which rules the answers are judged; the searches themselves are the
``generated`` and ``negative`` executors (:mod:`conformance.probing.properties`).

- ``prop_chat`` / ``prop_stream``: valid requests from :mod:`conformance.strategies`; every
  answer must satisfy the unary (:data:`UNARY_RULES`) or the stream
  (:data:`STREAM_RULES`) rules of the catalogue or be a clean OpenAI error.
- ``prop_negative``: schemathesis's *negative* requests for ``POST /chat/completions``
  from the profile's document (wrong types, missing fields, garbage bodies), after the
  fixed cases of :data:`NOT_AN_OBJECT`; the answer must be a 4xx in the OpenAI envelope,
  never a 5xx (docs/breakages.md D1, D2).

The n-th request of a search has ``cid`` ``RUN.PROBE.n``. The probe's exchange is the
minimal failing one (or the last one sent), with ``prop_result`` =
``{"examples", "violation"}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from spec.scenarios import Directive

from ..exchange import Request
from ..target import Target
from .base import Probe, prompt, registrar

__all__ = [
    "NOT_AN_OBJECT",
    "STREAM_RULES",
    "UNARY_RULES",
    "NegativeCase",
    "chat_body_request",
    "negative_request",
]

probe = registrar(__name__)

UNARY_RULES = ("chat.completion_shape",)
STREAM_RULES = (
    "stream.content_type",
    "stream.no_empty_events",
    "stream.payloads_json",
    "stream.events_closed",
    "stream.done_terminator",
    "stream.chunk_schema",
    "stream.finish_reason",
)
"""The critical and high rules (check ids) a generated request is judged by; medium and
low rules are judged once, by their own probes, so one defect is not reported twice at a
higher severity."""


def chat_body_request(target: Target, body: dict[str, Any], cid: str) -> Request:
    """``POST /chat/completions`` of ``body`` (a generated request), its last message
    carrying the mock directive in controlled mode."""
    body = json.loads(json.dumps(body))
    last = body["messages"][-1]
    last["content"] = prompt(target, str(last["content"]), Directive(), cid)
    if target.profile.stream_default and not body.get("stream"):
        body["stream"] = False  # the document defaults to streaming: say what we want
    headers = {"Content-Type": "application/json", **target.request_headers()}
    return Request(
        "POST", target.url("/chat/completions"), headers, json.dumps(body).encode(), body
    )


@dataclass(frozen=True, slots=True)
class NegativeCase:
    """A hand-written negative case, read like a schemathesis ``Case``."""

    body: Any
    media_type: str = "application/json"


NOT_AN_OBJECT = (NegativeCase([]), NegativeCase("hello"), NegativeCase(None), NegativeCase(42))
"""Valid JSON that is not an object: the bodies a proxy that indexes ``body["model"]``
before validating turns into a 500 (LiteLLM 1.106.2 answers ``[]`` with a plain-text
500). Sent before the generated cases, so the result does not depend on the draw."""


def negative_request(target: Target, body: Any, media_type: str | None) -> Request:
    """``POST /chat/completions`` of a negative case's ``body`` (bytes as they are,
    anything else as JSON) with its ``media_type``."""
    raw = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
    headers = {"Content-Type": media_type or "application/json", **target.request_headers()}
    parsed = None if isinstance(body, bytes) else body
    return Request("POST", target.url("/chat/completions"), headers, raw, parsed)


def _hello(content: Any) -> Any:
    """A representative request: one user message of ``content``."""

    def build(target: Target, cid: str) -> Request:
        body = {"model": target.model, "messages": [{"role": "user", "content": content}]}
        return chat_body_request(target, body, cid)

    return build


probe(
    Probe(
        "prop_chat",
        "generated valid chat requests (roles, content parts, tools, parameters)",
        _hello("hi"),
        executor="generated",
    )
)
probe(
    Probe(
        "prop_stream",
        "generated valid streamed chat requests",
        _hello("hi"),
        stream=True,
        executor="generated",
    )
)
probe(
    Probe(
        "prop_negative",
        "schemathesis negative requests for POST /chat/completions from the profile's document",
        _hello(1),
        executor="negative",
    )
)
