"""The ``generated`` and ``negative`` executors: the property searches of
:mod:`conformance.probes.properties`.

Each runs ``hypothesis.find`` with the ``ci`` settings (derandomized, no database):
generation stops at the first violation, shrinking is capped at :data:`SHRINK_CALLS`
extra requests (only for a local or controlled target, never a third-party one), and
every request counts against the run's budget. Answers are judged by the catalogue's own
check functions (:data:`conformance.registry.REGISTRY`), which is why this module, unlike
the probe data, imports the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from ..checks.errors import check_envelope
from ..exchange import Exchange, Request
from ..http import BudgetExhausted
from ..probes.base import PROBES, correlation_id
from ..probes.properties import (
    NOT_AN_OBJECT,
    STREAM_RULES,
    UNARY_RULES,
    chat_body_request,
    negative_request,
)
from ..registry import REGISTRY, CheckFailure, NotApplicable, Undecided
from ..strategies import from_openai_core
from .base import Session

__all__ = ["EXAMPLES", "REMOTE_EXAMPLES", "SHRINK_CALLS", "generated", "negative"]

EXAMPLES = 30
"""Generated requests per property for a local or controlled target (fewer when the
run's request budget is smaller)."""
REMOTE_EXAMPLES = 8
"""Generated requests per property for a third-party target."""
SHRINK_CALLS = 150
"""Extra requests Hypothesis may spend shrinking a failing example (controlled mode)."""


def _clean_error(x: Exchange) -> str | None:
    """``None`` when ``x`` is a 4xx with an OpenAI error body, else what is wrong."""
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
    session: Session,
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
        cid = correlation_id(session.run_id, name, state["n"])
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


def generated(session: Session, name: str) -> Exchange:
    """Valid generated requests (streamed when probe ``name`` is a stream probe), judged
    by :data:`STREAM_RULES` or :data:`UNARY_RULES`."""
    target = session.target
    stream = PROBES[name].stream
    rules = STREAM_RULES if stream else UNARY_RULES

    def judge(x: Exchange, body: Any) -> str | None:
        return _violation(x, rules)

    return _search(
        session,
        name,
        from_openai_core(target.model, stream=stream, tools="tools" in target.profile.features),
        lambda body, cid: chat_body_request(target, body, cid),
        judge,
    )


def negative(session: Session, name: str) -> Exchange:
    """:data:`NOT_AN_OBJECT`, then schemathesis's negative cases for the profile's
    ``POST /chat/completions``; a 4xx must be a clean OpenAI error."""
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
        lambda case, cid: negative_request(target, case.body, case.media_type),
        judge,
        first=NOT_AN_OBJECT,
    )


def _operation(schema: Any, path: str) -> Any:
    try:
        return schema[path]["POST"]
    except LookupError:  # schemathesis's OperationNotFound is a LookupError
        return None
