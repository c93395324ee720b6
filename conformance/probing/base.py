"""What an executor is: a function that sends a probe its own way, through the session
that runs the probes (:class:`Session`: the run's target, request budget and run id; one
request sent and journalled; an exchange annotated)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..exchange import Exchange, Request
from ..http import Budget
from ..target import Target

__all__ = ["Executor", "Session"]


class Session(Protocol):
    """What an executor may use of :class:`conformance.session.ProbeSession`."""

    @property
    def target(self) -> Target: ...

    @property
    def budget(self) -> Budget: ...

    @property
    def run_id(self) -> str: ...

    def send_request(self, name: str, request: Request, cid: str) -> Exchange:
        """Send one request for probe ``name``, attach the journal entries of ``cid``.
        Raises ``BudgetExhausted`` when the request budget is spent."""
        ...

    def annotate(self, exchange: Exchange, cid: str) -> Exchange:
        """``exchange`` with the run's profile and base path, and in controlled mode the
        mock's journal entries of ``cid``."""
        ...


Executor = Callable[[Session, str], Exchange]
"""``(session, probe name) -> the probe's exchange``. Raises ``BudgetExhausted`` when
nothing could be sent within the request budget."""
