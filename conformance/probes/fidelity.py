"""Fidelity probes: what the proxy adds or changes on the way upstream and back (issue 12,
"checks that were missing"). ``service_tier_auto`` sends OpenAI's ``service_tier:
"auto"`` alone (the kitchen sink's other fields make some proxies refuse it before the
tier is translated); ``upstream_400_stream`` is the streamed twin of ``upstream_400``, so
the same upstream error is seen on both paths; ``upstream_models`` reads the mock's own
``models.list`` (not the target's), the list the target's ``GET /models`` is held to.
"""

from __future__ import annotations

from spec.scenarios import Directive, Scenario

from ..exchange import Request
from ..modes import Mode
from ..target import Target
from .base import Probe, chat, registrar

__all__ = ["SERVICE_TIER"]

probe = registrar(__name__)

SERVICE_TIER = "auto"
"""The ``service_tier`` the ``service_tier_auto`` probe sends: OpenAI's documented default
(the project's configured tier, standard unless changed)."""

probe(
    Probe(
        "service_tier_auto",
        f'a chat request with service_tier: "{SERVICE_TIER}" and nothing else unusual',
        chat(service_tier=SERVICE_TIER),
        mode=Mode.CONTROLLED,
        features=frozenset({"chat"}),
    )
)

probe(
    Probe(
        "upstream_400_stream",
        "streamed; upstream answers 400 INVALID_ARGUMENT before the first chunk",
        chat(directive=Directive(Scenario.BAD_REQUEST), stream=True),
        mode=Mode.CONTROLLED,
        stream=True,
        phase=2,
        features=frozenset({"chat", "stream"}),
    )
)


def _upstream_models(target: Target, cid: str) -> Request:
    """The mock's whole catalogue from its admin route (no API key: the mock may have
    been started with one the suite does not know)."""
    base = (target.mock_url or "").rstrip("/")
    return Request("GET", f"{base}/_mock/models", {})


probe(
    Probe(
        "upstream_models",
        "GET the mock's own catalogue (/_mock/models, models.list's body): the models the "
        "upstream has",
        _upstream_models,
        mode=Mode.CONTROLLED,
        features=frozenset({"models"}),
    )
)
