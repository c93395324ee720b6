"""Capture probes: every capture sent through the proxy, streamed and unary, with the mock
replaying it as the upstream's answer (controlled mode only; docs/captures.md).

For each capture ``NAME`` two ordinary probes: ``capture.NAME.stream`` (``stream: true``
with ``stream_options.include_usage``) and ``capture.NAME`` (unary). The last user message
carries ``[[mock:capture=NAME cid=...]]``; a capture that calls functions gets ``tools``
declaring them (parameters typed from the capture's own arguments, so a proxy that checks
calls against the declarations accepts them); a capture with streamed function-call
arguments asks for the model the capture names when the target lists it in
``GET /models`` (a proxy may stream arguments only for the models that have them),
else the target's default.

The bundled corpus (:data:`spec.capture_format.BUNDLED`) is registered at import;
``conformance run --captures DIR`` adds a directory's captures with :func:`register`
before the run is planned (``conformance.checks.captures.add_captures`` registers the
probes and their checks together). Pure: nothing here sends a request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from spec.capture_format import BUNDLED, Capture, load_dir
from spec.scenarios import Directive

from ..capture_expect import Expectation, expect
from ..exchange import Request
from ..modes import Mode
from ..target import Target
from .base import PROBES, Probe, chat_request, registrar

__all__ = [
    "CAPTURES",
    "EXPECTATIONS",
    "PROMPT",
    "capture_request",
    "probe_names",
    "register",
    "tools_for",
]

probe = registrar(__name__)

PROMPT = "Answer the question."
"""The visible prompt of a capture probe (the directive follows it)."""

CAPTURES: dict[str, Capture] = {}
"""Every capture a probe is registered for, by name."""
EXPECTATIONS: dict[str, Expectation] = {}
"""What each of :data:`CAPTURES` means on the OpenAI side
(:func:`conformance.capture_expect.expect`)."""

_MAX_BASE = 36
"""Longest capture name used as is in a probe name: the correlation id ``RUN.PROBE.N``
must stay within the directive's 64 characters (``spec.scenarios``)."""


def probe_names(name: str) -> tuple[str, str]:
    """``(streamed, unary)`` probe names of capture ``name``: ``capture.NAME.stream`` and
    ``capture.NAME``; a name longer than 36 characters is cut and suffixed with a hash
    (``capture.<29 chars>-<6 hex>``) so every correlation id fits the directive."""
    base = name
    if len(name) > _MAX_BASE:
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        base = f"{name[:29]}-{digest}"
    return f"capture.{base}.stream", f"capture.{base}"


def _schema(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int | float):
        return {"type": "number"}
    if isinstance(value, dict):
        return {"type": "object"}
    if isinstance(value, list):
        return {"type": "array", "items": {}}
    return {"type": "string"}


def tools_for(expectation: Expectation) -> list[dict[str, Any]]:
    """OpenAI ``tools`` declaring every function the capture calls, each with an object
    schema whose properties are the arguments the capture passes (typed from their values,
    none required), so a proxy that validates calls against declarations accepts them."""
    properties: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in expectation.tools}
    for answer in (expectation.stream, expectation.unary):
        for call in getattr(answer, "tool_calls", ()):
            for key, value in call.arguments.items():
                properties[call.name].setdefault(key, _schema(value))
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": f"The function the recorded answer calls ({name}).",
                "parameters": {"type": "object", "properties": props},
            },
        }
        for name, props in properties.items()
    ]


def capture_request(target: Target, cid: str, name: str, *, stream: bool) -> Request:
    """The chat request that makes the mock replay capture ``name`` (see the module
    docstring). Raises ``KeyError`` for a capture :func:`register` has not seen."""
    expectation = EXPECTATIONS[name]
    fields: dict[str, Any] = {}
    if expectation.tools:
        fields["tools"] = tools_for(expectation)
    if stream and "usage_chunk" in target.profile.features:
        fields["stream_options"] = {"include_usage": True}  # only where it is claimed
    model = target.model
    listed = target.listed_models or frozenset()
    if expectation.streamed_args and expectation.model and expectation.model in listed:
        model = expectation.model
    return chat_request(
        target,
        cid,
        PROMPT,
        directive=Directive(capture=name),
        stream=stream,
        model=model,
        **fields,
    )


def _builder(name: str, stream: bool) -> Any:
    def build(target: Target, cid: str) -> Request:
        return capture_request(target, cid, name, stream=stream)

    build.__name__ = f"capture_{'stream' if stream else 'unary'}"
    return build


def _phase(capture: Capture) -> int:
    if not capture.is_error:
        return 1  # an odd but successful upstream answer
    return 3 if capture.status == 429 else 2


def register(captures: Mapping[str, Capture]) -> list[str]:
    """Register the two probes of every capture in ``captures`` (a :func:`load_dir`
    result) and return the names newly registered. A capture already registered with the
    same content is skipped; one registered with other content (a newer recording under a
    bundled name) replaces it, as the mock's ``--captures DIR`` does, and is returned too.
    Raises ``ValueError`` naming a capture whose probe names clash with another probe's,
    and :class:`conformance.capture_expect.ExpectationError` for one whose meaning cannot
    be read."""
    added: list[str] = []
    for name, capture in captures.items():
        known = CAPTURES.get(name)
        if known == capture:
            continue
        expectation = expect(capture)
        stream_name, unary_name = probe_names(name)
        if known is not None:
            del PROBES[stream_name], PROBES[unary_name]
        for taken in (stream_name, unary_name):
            if taken in PROBES:
                raise ValueError(f"capture {name!r}: probe {taken!r} is registered already")
        CAPTURES[name] = capture
        EXPECTATIONS[name] = expectation
        tools = ("tools",) if expectation.tools else ()
        what = f"the upstream replays capture {name}"
        probe(
            Probe(
                stream_name,
                f"{what}, streamed",
                _builder(name, True),
                mode=Mode.CONTROLLED,
                stream=True,
                features=frozenset(("chat", "stream", *tools)),
                phase=_phase(capture),
            )
        )
        probe(
            Probe(
                unary_name,
                what,
                _builder(name, False),
                mode=Mode.CONTROLLED,
                features=frozenset(("chat", *tools)),
                phase=_phase(capture),
            )
        )
        added.append(name)
    return added


BUNDLED_NAMES = tuple(register(load_dir(BUNDLED)))
"""The bundled corpus's captures, registered at import."""
