"""What a probe or a check needs of the target: the target alone, or the target with our
mock as its Gemini upstream. Shared by the probe data (:mod:`conformance.probes`) and the
check registry (:mod:`conformance.registry`), so neither imports the other for it."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Mode"]


class Mode(StrEnum):
    BLACK_BOX = "black-box"
    """Needs nothing but the target."""
    CONTROLLED = "controlled"
    """Needs the target's Gemini upstream to be our mock (scenarios, journal)."""
