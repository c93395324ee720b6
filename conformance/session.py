"""Running probes against a target: turns, the mock's journal, models the target lists,
and the target's own throttling.

A controlled probe whose request never reached the mock because the target answered 429
or 503 by itself (a circuit breaker such as LiteLLM's deployment cooldown, tripped by an
earlier fault probe) is sent once more after the target's Retry-After (at most
:data:`MAX_THROTTLE_WAIT_S`); when it is throttled again the exchange is marked
``throttled`` and the checks reading it report ``error`` instead of judging a scenario
that never ran (unless the probe's check judges exactly that, ``Probe.judges_throttling``).

In controlled mode every request also carries its ``cid`` in the ``x-mock-cid`` header
(:data:`conformance.probes.base.CID_HEADER`), next to the in-band directive, so a proxy
that forwards client headers keeps the journal entry findable even when it rewrites the
message text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx

from .exchange import Exchange, Request
from .http import Budget, fetch_journal, send
from .modes import Mode
from .probes import PROBES, correlation_id
from .probes.base import with_cid_header
from .probes.basic import authoritative, pick_thinking_model
from .probes.field import RETRY_UNLESS, pick_plain_model
from .probing import EXECUTORS
from .target import Target

__all__ = ["MAX_THROTTLE_WAIT_S", "ProbeSession", "usage_tokens"]

MAX_THROTTLE_WAIT_S = 10.0
"""Longest wait for a target's own throttling to pass before one retry, in seconds."""
DEFAULT_THROTTLE_WAIT_S = 5.0


class ProbeSession:
    """Sends probes for one run. ``sleep`` is injectable so tests never wait."""

    def __init__(
        self,
        client: httpx.Client,
        target: Target,
        budget: Budget,
        run_id: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.target = target
        self.budget = budget
        self.run_id = run_id
        self.sleep = sleep
        self.listed_models: set[str] | None = None
        self.tokens_spent = 0
        """Tokens the target's answers reported spending (``usage.total_tokens``, every
        request the session sent; answers without usage count 0)."""
        self.answers_with_usage = 0
        """How many answers reported a usage (the rest are not in ``tokens_spent``)."""

    def skip_reason(self, name: str) -> str | None:
        """Why probe ``name`` should not run now (a model the target does not list, or
        what its ``Probe.requires`` finds missing)."""
        probe = PROBES[name]
        model = probe.model
        if model and self.listed_models is not None and model not in self.listed_models:
            return f"the target does not list model {model!r} in GET /models"
        return probe.requires(self.target) if probe.requires is not None else None

    def run(self, name: str) -> Exchange:
        """Send probe ``name`` (and its second turn), attach the journal. Raises
        ``BudgetExhausted`` when the request budget is spent."""
        executor = PROBES[name].executor
        if executor is not None:
            return EXECUTORS[executor](self, name)
        exchange = self._send(name)
        if self._throttled(exchange):
            self.sleep(
                min(exchange.retry_after_s() or DEFAULT_THROTTLE_WAIT_S, MAX_THROTTLE_WAIT_S)
            )
            exchange = self._send(name, attempt=2)
            if self._throttled(exchange) and not PROBES[name].judges_throttling:
                exchange = replace(exchange, throttled=True)
        if name == "models":
            self._learn_models(exchange)
        return exchange

    def send_request(self, name: str, request: Request, cid: str) -> Exchange:
        """Send one request for probe ``name`` and attach the journal entries of ``cid``."""
        return self._annotate(self._send_one(name, self._tag(request, cid)), cid)

    def _send_one(self, name: str, request: Request) -> Exchange:
        """Send ``request`` and count the tokens its answer reports."""
        exchange = send(self.client, name, request, self.budget)
        tokens = usage_tokens(exchange)
        if tokens is not None:
            self.tokens_spent += tokens
            self.answers_with_usage += 1
        return exchange

    def _tag(self, request: Request, cid: str) -> Request:
        return with_cid_header(request, cid) if self.target.controlled else request

    def _send(self, name: str, attempt: int = 1) -> Exchange:
        probe = PROBES[name]
        cid = correlation_id(self.run_id, name, *((attempt,) if attempt > 1 else ()))
        first = self._tag(probe.build(self.target, cid), cid)
        exchange = self._send_one(name, first)
        disobeyed = RETRY_UNLESS.get(name)
        if disobeyed is not None and exchange.status == 200 and disobeyed(exchange):
            # a real model may disobey a plain prompt: one more try (probes.field)
            retry = self._send_one(name, first)
            exchange = replace(retry, previous=(exchange,))
        if probe.then is not None:
            follow_up = probe.then(self.target, cid, exchange)
            if follow_up is not None:
                second = self._send_one(name, self._tag(follow_up, cid))
                exchange = replace(second, previous=(*exchange.previous, exchange))
        return self._annotate(exchange, cid)

    def annotate(self, exchange: Exchange, cid: str) -> Exchange:
        """``exchange`` with the run's profile and base path, and in controlled mode the
        mock's journal entries of ``cid`` (for probe executors, :mod:`conformance.probing`)."""
        return self._annotate(exchange, cid)

    def _annotate(self, exchange: Exchange, cid: str) -> Exchange:
        exchange = replace(
            exchange,
            profile=self.target.profile.name,
            base_path=self.target.base_path,
            api_prefix=self.target.api_prefix,
        )
        if self.target.controlled and self.target.mock_url:
            try:
                journal: Sequence[Mapping[str, Any]] = fetch_journal(
                    self.client, self.target.mock_url, cid
                )
            except (httpx.HTTPError, ValueError) as exc:
                journal = [{"error": f"journal unreadable: {exc}"}]
            exchange = replace(exchange, upstream=tuple(journal))
        return exchange

    def _throttled(self, x: Exchange) -> bool:
        if PROBES[x.probe].mode is not Mode.CONTROLLED or x.status not in (429, 503):
            return False
        if any("error" in e and "path" not in e for e in x.upstream):
            return False  # the journal could not be read: nothing is known
        return not x.upstream

    def _learn_models(self, x: Exchange) -> None:
        try:
            data = x.json().get("data") if x.status == 200 else None
        except (ValueError, AttributeError):
            return
        if isinstance(data, list):
            ids = {m.get("id") for m in data if isinstance(m, dict)}
            listed = frozenset(i for i in ids if isinstance(i, str))
            self.listed_models = set(listed) if authoritative(listed, self.target.model) else None
            self.target = replace(
                self.target,
                listed_models=listed,
                reasoning_model=self.target.reasoning_model
                or pick_thinking_model(listed, self.target.model),
                plain_model=self.target.plain_model or pick_plain_model(listed, self.target.model),
            )


def usage_tokens(x: Exchange) -> int | None:
    """``usage.total_tokens`` of an answer (a unary body's, or the last stream chunk that
    carries one), else ``prompt_tokens + completion_tokens``; ``None`` when the answer
    reports no usage (an error, a stream without ``include_usage``, a non-chat body)."""
    if x.status != 200:
        return None
    usages: list[Any] = []
    try:
        if x.content_type == "text/event-stream":
            usages = [c.get("usage") for c in x.sse.chunks if isinstance(c, dict)]
        else:
            body = x.json()
            usages = [body.get("usage")] if isinstance(body, dict) else []
    except ValueError:
        return None
    for usage in reversed(usages):
        if not isinstance(usage, dict):
            continue
        total = usage.get("total_tokens")
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            return total
        parts = [usage.get("prompt_tokens"), usage.get("completion_tokens")]
        if all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
            return sum(int(p) for p in parts if p is not None)
    return None
