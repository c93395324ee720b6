"""Property-based probes: many generated requests per property, bounded, the failing one
shrunk by Hypothesis to a minimal request that still breaks the rule.

- ``prop_chat`` / ``prop_stream``: valid requests from :mod:`conformance.strategies`; every
  answer must satisfy the unary or the stream rules of the catalogue (shape, usage,
  framing, chunk sequence) or be a clean OpenAI error.
- ``prop_negative``: schemathesis's *negative* requests for ``POST /chat/completions``
  from the profile's document (wrong types, missing fields, garbage bodies); the answer
  must be a 4xx in the OpenAI envelope, never a 5xx (docs/breakages.md D1, D2).

Each runs ``hypothesis.find`` with the ``ci`` settings (derandomized, no database):
generation stops at the first violation, shrinking is capped at :data:`SHRINK_CALLS`
extra requests (only for a local or controlled target, never a third-party one), and
every request counts against the run's budget. The probe's exchange is the minimal
failing one (or the last one sent), with ``prop_result`` = ``{"examples", "violation"}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from spec.scenarios import Directive

from .exchange import Exchange, Request
from .http import BudgetExhausted
from .probes.base import Probe, probe, prompt
from .registry import REGISTRY, CheckFailure, NotApplicable, Undecided
from .strategies import from_openai_core
from .target import Target

if TYPE_CHECKING:
    from .session import ProbeSession

__all__ = ["EXAMPLES", "SHRINK_CALLS"]

EXAMPLES = 30
"""Generated requests per property for a local or controlled target (fewer when the
run's request budget is smaller)."""
REMOTE_EXAMPLES = 8
"""Generated requests per property for a third-party target."""
SHRINK_CALLS = 150
"""Extra requests Hypothesis may spend shrinking a failing example (controlled mode)."""

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
"""The critical and high rules a generated request is judged by; medium and low rules are
judged once, by their own probes, so one defect is not reported twice at a higher
severity."""


def _clean_error(x: Exchange) -> str | None:
    """``None`` when ``x`` is a 4xx with an OpenAI error body, else what is wrong."""
    from .checks.errors import check_envelope

    if x.status is not None and x.status >= 500:
        return f"HTTP {x.status}: a server error for a client request"
    try:
        check_envelope(x)
    except CheckFailure as failure:
        return failure.message
    return None


def _violation(x: Exchange, rules: tuple[str, ...]) -> str | None:
    """The first broken rule on exchange ``x``, as ``"rule: message"``, or ``None``."""
    if x.status is None:
        return f"no response: {x.transport_error}"
    if x.status != 200:
        problem = _clean_error(x)
        if problem is None and x.status >= 400:
            return f"HTTP {x.status}: a valid OpenAI request was rejected"
        return problem
    for rule in rules:
        try:
            REGISTRY[rule].func(x)
        except CheckFailure as failure:
            return f"{rule}: {failure.message}"
        except (NotApplicable, Undecided):
            continue
    return None


def _settings(shrink: bool, examples: int) -> settings:
    phases = [Phase.generate, Phase.shrink] if shrink else [Phase.generate]
    return settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )


def _search(
    session: ProbeSession,
    name: str,
    strategy: st.SearchStrategy[Any],
    to_request: Callable[[Any, str], Request],
    judge: Callable[[Exchange, Any], str | None],
    first: tuple[Any, ...] = (),
) -> Exchange:
    """Send the ``first`` examples, then (when none breaks the rule) run ``find`` over
    ``strategy``; every example becomes one request."""
    target = session.target
    local = urlsplit(target.base_url).hostname in ("127.0.0.1", "localhost", "::1")
    shrink_left = SHRINK_CALLS if target.controlled or local else 0
    examples = EXAMPLES if target.controlled or local else REMOTE_EXAMPLES
    if session.budget.max_requests is not None:
        spare = (session.budget.max_requests - session.budget.sent) // 4
        examples = max(1, min(examples, spare))
    state: dict[str, Any] = {"n": 0, "last": None, "found": None}
    seen: dict[str, bool] = {}

    def breaks(example: Any) -> bool:
        key = repr(example)
        if key in seen:  # Hypothesis replays examples: never send one twice
            return seen[key]
        if state["found"] is not None:
            nonlocal shrink_left
            if shrink_left <= 0:
                return False
            shrink_left -= 1
        state["n"] += 1
        cid = f"{session.run_id}.{name}.{state['n']}"
        try:
            x = session.send_request(name, to_request(example, cid), cid)
        except BudgetExhausted:
            return False
        problem = judge(x, example)
        seen[key] = problem is not None
        if problem is None:
            state["last"] = state["last"] or x
            return False
        state["found"] = (x, problem)  # ``find`` only calls on smaller examples after this
        return True

    for example in first:  # known-minimal cases, tried whatever the search draws
        if breaks(example):
            break
    try:
        if state["found"] is None:
            find(strategy, breaks, settings=_settings(shrink_left > 0, examples))
    except NoSuchExample:
        pass
    except Exception as exc:  # e.g. FlakyFailure: the target answered differently
        if state["found"] is None:
            raise BudgetExhausted(f"the property search failed: {exc}") from exc
    if state["found"] is not None:
        x, problem = state["found"]
        found: Exchange = replace(x, prop_result={"examples": state["n"], "violation": problem})
        return found
    last: Exchange | None = state["last"]
    if last is None:
        raise BudgetExhausted("no request could be sent for the property")
    passed: Exchange = replace(last, prop_result={"examples": state["n"], "violation": None})
    return passed


def _chat_request(target: Target, body: dict[str, Any], cid: str) -> Request:
    body = json.loads(json.dumps(body))
    last = body["messages"][-1]
    last["content"] = prompt(target, str(last["content"]), Directive(), cid)
    if target.profile.stream_default and not body.get("stream"):
        body["stream"] = False  # the document defaults to streaming: say what we want
    headers = {"Content-Type": "application/json", **target.auth_headers()}
    return Request(
        "POST", target.url("/chat/completions"), headers, json.dumps(body).encode(), body
    )


def _prop_chat(session: ProbeSession, name: str, stream: bool) -> Exchange:
    target = session.target
    rules = STREAM_RULES if stream else UNARY_RULES

    def judge(x: Exchange, body: Any) -> str | None:
        return _violation(x, rules)

    return _search(
        session,
        name,
        from_openai_core(target.model, stream=stream, tools="tools" in target.profile.features),
        lambda body, cid: _chat_request(target, body, cid),
        judge,
    )


@dataclass(frozen=True, slots=True)
class _Body:
    """A hand-written negative case, read like a schemathesis ``Case``."""

    body: Any
    media_type: str = "application/json"


NOT_AN_OBJECT = (_Body([]), _Body("hello"), _Body(None), _Body(42))
"""Valid JSON that is not an object: the bodies a proxy that indexes ``body["model"]``
before validating turns into a 500 (LiteLLM 1.106.2 answers ``[]`` with a plain-text
500). Sent before the generated cases, so the result does not depend on the draw."""


def _prop_negative(session: ProbeSession, name: str) -> Exchange:
    import schemathesis
    from schemathesis import GenerationMode

    from spec import load_document

    target = session.target
    schema = schemathesis.openapi.from_dict(load_document(target.profile.name))
    path = target.profile.path("/chat/completions")
    operation = next(
        (
            op
            for op in (_operation(schema, p) for p in (path, "/chat/completions"))
            if op is not None
        ),
        None,
    )
    if operation is None:
        raise BudgetExhausted(f"the {target.profile.name} document has no POST {path}")

    def to_request(case: Any, cid: str) -> Request:
        body = case.body
        raw = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
        headers = {"Content-Type": case.media_type or "application/json", **target.auth_headers()}
        parsed = None if isinstance(body, bytes) else body
        return Request("POST", target.url("/chat/completions"), headers, raw, parsed)

    def judge(x: Exchange, case: Any) -> str | None:
        if x.status is None:
            return f"no response: {x.transport_error}"
        if x.status < 400:
            return None  # a lenient proxy may accept what OpenAI would refuse
        return _clean_error(x)

    return _search(
        session,
        name,
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        to_request,
        judge,
        first=NOT_AN_OBJECT,
    )


def _operation(schema: Any, path: str) -> Any:
    try:
        return schema[path]["POST"]
    except LookupError:  # schemathesis's OperationNotFound is a LookupError
        return None


probe(
    Probe(
        "prop_chat",
        "generated valid chat requests (roles, content parts, tools, parameters)",
        lambda t, c: _chat_request(
            t, {"model": t.model, "messages": [{"role": "user", "content": "hi"}]}, c
        ),
        custom=lambda session, name: _prop_chat(session, name, stream=False),
    )
)
probe(
    Probe(
        "prop_stream",
        "generated valid streamed chat requests",
        lambda t, c: _chat_request(
            t, {"model": t.model, "messages": [{"role": "user", "content": "hi"}]}, c
        ),
        stream=True,
        custom=lambda session, name: _prop_chat(session, name, stream=True),
    )
)
probe(
    Probe(
        "prop_negative",
        "schemathesis negative requests for POST /chat/completions from the profile's document",
        lambda t, c: _chat_request(
            t, {"model": t.model, "messages": [{"role": "user", "content": 1}]}, c
        ),
        custom=_prop_negative,
    )
)
