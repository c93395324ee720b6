"""A standard request refused is a failure, not a skip (issue 12 item 4).

*Skipped* is for a feature the profile does not claim or a mode the run lacks. When the
target answers 4xx/5xx to a request that is valid OpenAI (``encoding_format: "base64"``,
``tool_choice: "required"``), the client that sends it gets an exception: the check that
owns the probe's status fails with the refusal as evidence. In controlled mode the mock's
journal tells who refused: the proxy itself (the upstream was never called), or the
upstream, answering an error the probe did not script to the request the proxy built (a
wrong translation, still the proxy's failure).

Checks that read a successful answer whose status another check owns keep
``_common.require_success`` (moot, skipped): one refusal is one failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ..exchange import Exchange
from ..registry import CheckFailure, excerpt
from ._common import require_response
from .causes import refused_fields as refused_cause

__all__ = ["refusal_origin", "refused_fields", "require_accepted", "stream_refusal"]

_CORE = frozenset({"model", "messages", "stream", "input", "prompt"})
"""Fields every request of its kind has: an error quoting one is about its content,
not about the field being there."""
_ROLES = frozenset({"user", "system", "assistant", "tool", "function", "developer"})
"""Field names that are also message roles: named only as Google names an unknown field
(or as the error's ``param``), never by a quote that may be a role."""
_REFUSAL_WORDS = re.compile(
    r"unknown|unsupported|not support|unrecogni[sz]ed|not allowed|not permitted|"
    r"extra (?:field|input|param)|invalid|cannot find",
    re.IGNORECASE,
)
"""Words of an error that refuses a field; a field quoted in any other text (an echo of
the request, a hint) is not named."""
_PYDANTIC_ERROR = re.compile(
    r"(?:^|\n|\\n)([A-Za-z_]\w*)(?:\.\w+)*(?:\n|\\n)[ \t]+(.+?)(?=\n|\\n|$)"
)
"""A pydantic validation error's entry: the field's location alone on a line (``tools.type``),
then its message indented on the next (``  Extra inputs are not permitted [...]``); the
line breaks real or written out as ``\\n`` (an error's ``str()`` inside another's). The
first part of the location is the request's field (FastAPI proxies, and Python proxies
whose Gemini SDK refuses what they pass on: lm-proxy 3.3.2)."""


def _journaled(x: Exchange) -> bool:
    """Whether the probe's request carried a correlation id the mock journals under
    (controlled mode), so an empty journal means the upstream was never called."""
    body = x.request.body or b""
    headers = {k.lower() for k in x.request.headers}
    return b"[[mock:" in body or any(h.startswith("x-mock") for h in headers)


def _upstream_calls(x: Exchange) -> list[dict[str, Any]]:
    return [dict(e) for e in x.upstream if isinstance(e.get("path"), str)]


def refusal_origin(x: Exchange) -> str:
    """What the journal says about a refusal: ``""`` when it cannot tell (black-box, or a
    request without a correlation id), else a clause starting with ``"; "``."""
    if any("error" in e and "path" not in e for e in x.upstream):
        return ""  # the journal could not be read
    calls = _upstream_calls(x)
    if not calls:
        if not _journaled(x):
            return ""
        return "; the upstream was never called: the proxy refused the request itself"
    failed = [c for c in calls if isinstance(c.get("status"), int) and c["status"] >= 400]
    if not failed:
        return "; the upstream answered it with a success: the proxy turned that into an error"
    last = failed[-1]
    answer = last.get("response") if isinstance(last.get("response"), dict) else {}
    assert isinstance(answer, dict)
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    assert isinstance(error, dict)
    said = f" ({str(error.get('message'))[:160]!r})" if error.get("message") else ""
    return (
        f"; the upstream answered HTTP {last['status']}{said} to the request the proxy "
        "built, an error the probe did not script: the proxy's translation is wrong"
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refused_fields(x: Exchange) -> list[str]:
    """The top-level fields of ``x``'s request that its error answer names, sorted:
    quoted in a message that refuses something (Google's ``Unknown name
    "parallel_tool_calls"``, LiteLLM's ``does not support parameters: ['store']``) or
    given as the error's ``param``.
    ``[]`` when the answer names none, or is not JSON. A refusal that names the field
    tells the user what to drop or fix; several checks refused for the same field are
    one finding (:func:`conformance.checks.causes.refused_fields`)."""
    try:
        sent = json.loads(x.request.body or b"")
    except ValueError:
        return []
    answer = _error_answer(x)
    if not isinstance(sent, dict) or answer is None:
        return []
    texts = list(_strings(answer))
    refusals = [t for t in texts if _REFUSAL_WORDS.search(t)]
    located = {
        m.group(1)
        for t in refusals
        for m in _PYDANTIC_ERROR.finditer(t)
        if _REFUSAL_WORDS.search(m.group(2))
    }
    named = []
    for field in sent.keys() - _CORE:
        quoted: tuple[str, ...] = (f'"{field}"', f"'{field}'", f"`{field}`")
        if field in _ROLES:
            quoted = (f'Unknown name "{field}"',)  # 'user' in a message is mostly a role
        if (
            any(t == field for t in texts)
            or any(q in t for t in refusals for q in quoted)
            or (field in located and field not in _ROLES)
        ):
            named.append(field)
    return sorted(named)


def _error_answer(x: Exchange) -> Any:
    """The JSON of an error answer: the body, or ``{"error": ...}`` of a refusal in stream
    form (:func:`stream_refusal`); ``None`` when neither parses."""
    error = stream_refusal(x)
    if error is not None:
        return {"error": error}
    try:
        return json.loads(x.body)
    except ValueError:
        return None


def _said_something(chunk: dict[str, Any]) -> bool:
    """Whether a chunk carries any answer: text, reasoning or a tool call in a delta."""
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            continue
        if delta.get("tool_calls") or any(
            isinstance(delta.get(k), str) and delta[k]
            for k in ("content", "reasoning_content", "reasoning")
        ):
            return True
    return False


def stream_refusal(x: Exchange) -> dict[str, Any] | None:
    """The error object of a 200 stream that holds an error event and no answer at all
    (no text, reasoning or tool call before or after it): a refusal in stream form,
    which openai-python and openai-node raise as ``APIError`` as they would a 4xx.
    ``None`` for any other answer (a stream that answered, then broke off with an error
    event, is a cut, not a refusal)."""
    if x.status != 200 or x.content_type != "text/event-stream":
        return None
    chunks = [c for c in x.sse.chunks if isinstance(c, dict)]
    errors = [c["error"] for c in chunks if isinstance(c.get("error"), dict)]
    if not errors or any(_said_something(c) for c in chunks):
        return None
    return dict(errors[0])


def require_accepted(x: Exchange, what: str) -> int:
    """The status when it is 200 (and not a refusal in stream form: a 200 stream holding
    only an error event, :func:`stream_refusal`, fails as a refusal does); otherwise
    :class:`CheckFailure` saying ``what`` (the
    standard request, e.g. ``"tool_choice 'required'"``) got HTTP ``status``, the
    fields the answer names as refused (:func:`refused_fields`; they are then the
    failure's cause), who refused it (:func:`refusal_origin`) and the body.
    ``Undecided`` without a response."""
    status = require_response(x)
    if status == 200:
        error = stream_refusal(x)
        if error is None:
            return status
        said = str(error.get("message"))[:200]
        named = refused_fields(x)
        fields = f", refusing {', '.join(f'`{n}`' for n in named)}" if named else ""
        raise CheckFailure(
            f"{what} got HTTP 200 with a stream that holds only an error event ({said!r})"
            f"{fields}{refusal_origin(x)}; openai-python and openai-node raise APIError on "
            "it: a client sending this valid OpenAI request gets an error instead of an answer",
            excerpt=excerpt(x.body, 400),
            cause=refused_cause(named) if named else None,
        )
    named = refused_fields(x)
    fields = f" (the answer refuses {', '.join(f'`{n}`' for n in named)})" if named else ""
    raise CheckFailure(
        f"{what} got HTTP {status}{fields}{refusal_origin(x)}; a client sending this valid "
        "OpenAI request gets an error instead of an answer",
        excerpt=excerpt(x.body, 400),
        cause=refused_cause(named) if named else None,
    )
