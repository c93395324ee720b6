"""Reading the mock's journal (controlled mode): what the proxy sent upstream and what
the mock answered. Journal entries are the mock's ``GET /_mock/requests`` records:
``{"method", "path", "query", "headers", "body", "scenario", "cid", "status",
"credentials", "response"}``; ``response`` summarises what the mock sent back:
``{"text", "thoughts", "function_calls": [{"name", "args", "id"}], "finish_reason"}``.
"""

from __future__ import annotations

import re
from typing import Any

from ..exchange import Exchange
from ..registry import Undecided

__all__ = ["generate_calls", "last_generate", "normalise", "upstream_answer"]

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces, stripped (for containment tests)."""
    return _WS.sub(" ", text).strip()


def generate_calls(x: Exchange) -> list[dict[str, Any]]:
    """The journal entries of generateContent/streamGenerateContent calls for ``x``."""
    return [
        dict(e)
        for e in x.upstream
        if isinstance(e.get("path"), str) and "generatecontent" in str(e.get("path")).lower()
    ]


def credential_of(call: dict[str, Any]) -> str:
    """The fingerprint of the (first) credential a journal entry carried, ``""`` if none."""
    found = call.get("credentials")
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return str(found[0].get("sha256", ""))
    return ""


def last_generate(x: Exchange) -> dict[str, Any]:
    """The last generate call the proxy made for ``x``; :class:`Undecided` when the
    journal shows none (the proxy may have answered from a cache, or the mock's journal
    could not be read)."""
    calls = generate_calls(x)
    if not calls:
        raise Undecided(
            "the mock's journal shows no generateContent call for this probe "
            f"(cid {x.probe}); is the target's Gemini base URL the mock?"
        )
    return calls[-1]


def upstream_answer(x: Exchange) -> dict[str, Any]:
    """What the mock answered to the last generate call (``response`` summary)."""
    entry = last_generate(x)
    answer = entry.get("response")
    if not isinstance(answer, dict):
        raise Undecided("the mock's journal entry has no response summary")
    return answer


def generation_config(x: Exchange) -> dict[str, Any]:
    """``generationConfig`` (or ``generation_config``) of the last generate call's body."""
    body = last_generate(x).get("body")
    if not isinstance(body, dict):
        raise Undecided("the mock's journal entry has no JSON body")
    request = body.get("request") if isinstance(body.get("request"), dict) else body
    assert isinstance(request, dict)
    config = request.get("generationConfig", request.get("generation_config"))
    return config if isinstance(config, dict) else {}


def request_body(x: Exchange) -> dict[str, Any]:
    """The Gemini request body of the last generate call (unwrapping Code Assist's
    ``{"request": ...}`` envelope)."""
    body = last_generate(x).get("body")
    if not isinstance(body, dict):
        raise Undecided("the mock's journal entry has no JSON body")
    inner = body.get("request")
    return inner if isinstance(inner, dict) else body
