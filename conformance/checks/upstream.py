"""Reading the mock's journal (controlled mode): what the proxy sent upstream and what
the mock answered. Journal entries are the mock's ``GET /_mock/requests`` records:
``{"method", "path", "query", "headers", "body", "scenario", "cid", "status",
"credentials", "response"}``; ``response`` summarises what the mock sent back:
``{"text", "thoughts", "function_calls": [{"name", "args", "id"}], "finish_reason"}``
(plus ``error: {"code", "status", "message"}`` when it answered an error).

What a message may say about the upstream is what the journal shows (issue 12 item 5):
:func:`upstream_said` words it. A journal with nothing for a request is a *setup*
question ("is the base URL the mock?") only when the journal has nothing from the whole
run; otherwise the proxy did not send that request upstream (or dropped what carries its
correlation id), which is a failure of the check's own subject (:func:`last_generate`).
A check that reads a success confirms it with :func:`confirm_upstream_success`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from spec.gemini_fields import json_names

from ..exchange import Exchange
from ..probes.base import CID_HEADER
from ..registry import CheckFailure, NotApplicable, Undecided, excerpt
from ._refusals import stream_refusal

__all__ = [
    "COMPAT_UPSTREAM",
    "ERROR_AS_SUCCESS",
    "NEVER_CALLED",
    "NOT_UPSTREAM_CONTENT",
    "PROXY_WITHOUT_UPSTREAM",
    "client_key_places",
    "client_key_upstream",
    "client_texts",
    "confirm_upstream_success",
    "credential_fingerprint",
    "generate_calls",
    "is_generate_path",
    "is_openai_compat",
    "journal_unreadable",
    "journalled",
    "last_generate",
    "normalise",
    "own_words",
    "turn_calls",
    "upstream_answer",
    "upstream_error",
    "upstream_said",
]

_WS = re.compile(r"\s+")

NEVER_CALLED = "a success the upstream never gave (no upstream call for the request)"
"""``cause`` of a 200 whose request the journal shows no upstream call for."""
ERROR_AS_SUCCESS = "an upstream error answered to the client as a success"
"""``cause`` of a 200 whose upstream call the journal shows answered an error."""
NOT_UPSTREAM_CONTENT = "the answer's content is not the content the upstream sent"
"""``cause`` of a 200 whose text is not the upstream's."""
PROXY_WITHOUT_UPSTREAM = "the proxy answers errors without calling the upstream"
"""``cause`` of an error the proxy gave without calling the upstream (e.g. every request
after it disabled its only key): one finding, however many checks it fails."""


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces, stripped (for containment tests)."""
    return _WS.sub(" ", text).strip()


COMPAT_CHAT_PATH = "/openai/chat/completions"
"""The path end of Google's OpenAI-compatible chat endpoint (``/v1beta/openai/...``)."""
COMPAT_UPSTREAM = (
    "the proxy called Google's OpenAI-compatible endpoint (/v1beta/openai/chat/"
    "completions), which takes the OpenAI request as it is: there is no generateContent "
    "request of the proxy's own to judge here (the translation is Google's)"
)
"""Why a check that reads the Gemini request does not apply to a proxy in front of
Google's OpenAI-compatible endpoint."""


def is_generate_path(path: object) -> bool:
    """Whether a journal entry's ``path`` is a generation: ``:generateContent``,
    ``:streamGenerateContent`` (``/v1beta``, ``/v1``, Code Assist), or Google's
    OpenAI-compatible ``/v1beta/openai/chat/completions`` (:func:`is_openai_compat`)."""
    lowered = str(path).lower() if isinstance(path, str) else ""
    return "generatecontent" in lowered or lowered.endswith(COMPAT_CHAT_PATH)


def is_openai_compat(call: dict[str, Any]) -> bool:
    """Whether the journal entry ``call`` went to Google's OpenAI-compatible endpoint."""
    return str(call.get("path", "")).lower().endswith(COMPAT_CHAT_PATH)


def generate_calls(x: Exchange) -> list[dict[str, Any]]:
    """The journal entries of the generation calls for ``x`` (:func:`is_generate_path`)."""
    return [dict(e) for e in x.upstream if is_generate_path(e.get("path"))]


def credential_fingerprint(secret: str) -> str:
    """The mock journal's fingerprint of a credential: the first 12 hex digits of its
    SHA-256 (enough to compare, useless to recover a real key)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def client_key_places(x: Exchange, call: dict[str, Any]) -> list[str]:
    """Where the journal ``call`` (a generate call of ``x``) carried the key the client
    sent (``Authorization: Bearer``): ``header:x-goog-api-key``, ``query:key``...; empty
    when it did not, or the client sent none."""
    auth = next((v for k, v in x.request.headers.items() if k.lower() == "authorization"), "")
    client_key = auth.partition(" ")[2]
    if not client_key:
        return []
    mine = credential_fingerprint(client_key)
    return [
        str(c.get("where"))
        for c in call.get("credentials") or ()
        if isinstance(c, dict) and c.get("sha256") == mine
    ]


def client_key_upstream(x: Exchange) -> str | None:
    """Where the upstream got the client's key in ``x``'s last generate call
    (:func:`client_key_places`), or ``None``: the proxy passed its client's key on (a
    bring-your-own-key proxy)."""
    calls = generate_calls(x)
    places = client_key_places(x, calls[-1]) if calls else []
    return places[0] if places else None


def credential_of(call: dict[str, Any]) -> str:
    """The fingerprint of the (first) credential a journal entry carried, ``""`` if none."""
    found = call.get("credentials")
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return str(found[0].get("sha256", ""))
    return ""


def journal_unreadable(x: Exchange) -> bool:
    """The session could not read the mock's journal for ``x`` (nothing is known)."""
    return any("error" in e and "path" not in e for e in x.upstream)


def journalled(x: Exchange) -> bool:
    """Whether ``x``'s journal can be trusted to show every upstream call of its
    request: the journal was read and holds this request's calls, or the request
    carried a correlation id (an in-band ``[[mock:...]]`` directive or the ``x-mock-cid``
    header, i.e. controlled mode) and the mock saw the proxy's upstream calls during
    this run (``Exchange.upstream_keys``). ``False`` in black-box mode."""
    if journal_unreadable(x):
        return False
    if x.upstream:
        return True
    headers = {k.lower() for k in x.request.headers}
    carried = CID_HEADER in headers or b"[[mock:" in (x.request.body or b"")
    return carried and bool(x.upstream_keys)


def _client_side(x: Exchange) -> str:
    return f"client: HTTP {x.status} {excerpt(x.body, 300)}"


def last_generate(x: Exchange) -> dict[str, Any]:
    """The last generate call the proxy made for ``x``.

    When the journal shows none: :class:`Undecided` if it could not be read or holds
    nothing from this run (then the proxy's Gemini base URL may not be the mock); else
    :class:`CheckFailure`: the mock saw the proxy's other requests, so this one was not
    sent upstream, or not in a shape that keeps its correlation id (e.g. the message
    that carries it rewritten): the request was not translated as the client sent it.
    """
    calls = generate_calls(x)
    if calls:
        return calls[-1]
    if journal_unreadable(x):
        raise Undecided(f"the mock's journal could not be read: {x.upstream[0].get('error')}")
    if not x.upstream and not x.upstream_keys:
        raise Undecided(
            "the mock's journal has nothing from this run (no generateContent call for this "
            f"probe, {x.probe}, nor for any other); is the target's Gemini base URL the mock?"
        )
    raise CheckFailure(
        f"{_what_client_got(x)}the upstream never got this request: the mock's journal has "
        "no generateContent call under its correlation id, although it recorded the proxy's "
        "other upstream calls of this run; the proxy answered without calling the upstream, "
        f"or sent the request without the message text and the {CID_HEADER} header that "
        "carry the id",
        excerpt=_client_side(x),
    )


def _only_error(x: Exchange) -> str:
    """``" holding only an error event ('<message>')"`` for a refusal in stream form
    (:func:`~._refusals.stream_refusal`), ``""`` for any other answer."""
    error = stream_refusal(x)
    if error is None:
        return ""
    return f" holding only an error event ({str(error.get('message'))[:160]!r})"


def _what_client_got(x: Exchange) -> str:
    """``"the client got HTTP 502; "`` (or a 200 stream holding only an error event), the
    start of a message about a request that never reached the upstream; ``""`` for a
    success or no response."""
    only_error = _only_error(x)
    if only_error:
        return f"the client got HTTP 200 with a stream{only_error}; "
    if x.status is not None and x.status != 200:
        return f"the client got HTTP {x.status}; "
    return ""


def _error_of(call: dict[str, Any]) -> dict[str, Any]:
    answer = call.get("response")
    error = answer.get("error") if isinstance(answer, dict) else None
    return error if isinstance(error, dict) else {}


def upstream_error(x: Exchange) -> dict[str, Any]:
    """The error object (``{"code", "message", "status"}``) the mock answered the last
    generate call of ``x`` with; ``{}`` when it answered none, or there was no call."""
    calls = generate_calls(x)
    return _error_of(calls[-1]) if calls else {}


def _said_one(call: dict[str, Any]) -> str:
    status = call.get("status")
    grpc = _error_of(call).get("status")
    return f"{status} {grpc}" if grpc else str(status)


def upstream_said(x: Exchange) -> str:
    """What the journal shows the upstream answered ``x``'s request, as a clause:
    ``"the upstream answered 404 NOT_FOUND"`` (``"... 429 RESOURCE_EXHAUSTED, then
    200"`` for several calls), ``"the proxy answered without calling the upstream"``,
    or ``""`` when the journal cannot tell (black-box, unreadable)."""
    if journal_unreadable(x):
        return ""
    calls = generate_calls(x)
    if not calls:
        return "the proxy answered without calling the upstream" if journalled(x) else ""
    return "the upstream answered " + ", then ".join(_said_one(c) for c in calls)


def _contents_len(call: dict[str, Any]) -> int:
    body = call.get("body")
    if not isinstance(body, dict):
        return 0
    inner = body.get("request") if isinstance(body.get("request"), dict) else body
    turns = inner.get("contents", inner.get("messages")) if isinstance(inner, dict) else None
    return len(turns) if isinstance(turns, list) else 0


def turn_calls(x: Exchange) -> list[dict[str, Any]]:
    """The generate calls of ``x``'s own (last) turn. A multi-turn probe's journal holds
    every turn's calls under one cid; a later turn's request carries more ``contents``
    than the first turn's (failing that, the calls after one per earlier turn)."""
    calls = generate_calls(x)
    if not x.previous or not calls:
        return calls
    first = min(_contents_len(c) for c in calls)
    later = [c for c in calls if _contents_len(c) > first]
    if later:
        return later
    return calls[len(x.previous) :]


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts
        return "".join(
            str(p.get("text", "")) for p in value if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def client_texts(x: Exchange) -> dict[int, str]:
    """The assistant text the client got, per choice index: ``message.content`` of a
    chat.completion, or the ``delta.content`` of a stream's chunks joined."""
    out: dict[int, str] = {}
    if x.content_type == "text/event-stream":
        chunks: list[Any] = x.sse.chunks
    else:
        try:
            chunks = [x.json()]
        except ValueError:
            return out
    for chunk in chunks:
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        for i, choice in enumerate(choices if isinstance(choices, list) else ()):
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", i)
            index = index if isinstance(index, int) else i
            holder = choice.get("delta", choice.get("message"))
            if isinstance(holder, dict):
                out[index] = out.get(index, "") + _text_of(holder.get("content"))
    return out


def own_words(x: Exchange) -> str:
    """``"; it also wrote ... into the answer"`` when the client's text holds more than
    the upstream sent before it failed (nothing, for an upstream error before the first
    token): a proxy that reports a failure as assistant text, which clients show and
    keep in the conversation as the model's words; else ``""`` (also when the journal
    cannot tell)."""
    try:
        answer = upstream_answer(x)
    except (Undecided, CheckFailure):
        return ""
    sent = answer.get("text")
    if not isinstance(sent, str):
        sent = "" if answer.get("error") else None
    got = client_texts(x).get(0, "")
    if sent is None or sent not in got:
        return ""
    extra = got.replace(sent, "", 1).strip()
    if not extra:
        return ""
    return (
        f"; it also wrote {excerpt(extra, 120)!r} into the answer, which clients show and "
        "keep in the conversation as the model's own words"
    )


def _squeeze(text: str) -> str:
    return _WS.sub("", text)


def confirm_upstream_success(x: Exchange) -> None:
    """For a check that reads a success (HTTP 200) in controlled mode: fail unless the
    journal shows the upstream answered this request (its last turn) with a 2xx and
    the assistant text the client got is the text the upstream sent.

    "The text the upstream sent" is any 2xx call's candidate text; the client's choice-0
    text matches when, whitespace aside, it contains that text (thoughts or other
    prefixes aside) or is a prefix of it (a proxy that ends the text at a stop
    sequence). An upstream answer without text (tool calls, a block) is not compared.
    The failure's excerpt shows both sides. Does nothing when the journal cannot tell
    (black-box mode, unreadable journal: :func:`journalled`).
    """
    if not journalled(x):
        return
    calls = turn_calls(x)
    if not calls:
        raise CheckFailure(
            f"the client got HTTP {x.status}{_only_error(x)}, but the upstream was never "
            "called for this request (the mock's journal has no generateContent call under "
            "its correlation id): the answer did not come from the upstream",
            excerpt=f"{_client_side(x)}\nupstream: never called",
            cause=NEVER_CALLED,
        )
    last = calls[-1]
    status = last.get("status")
    if not (isinstance(status, int) and 200 <= status < 300):
        error = _error_of(last)
        upstream = f"upstream: HTTP {_said_one(last)} {str(error.get('message', ''))[:300]!r}"
        raise CheckFailure(
            f"the client got HTTP {x.status}, but the upstream answered HTTP "
            f"{_said_one(last)}: an upstream error was passed off as a success",
            excerpt=f"{_client_side(x)}\n{upstream}",
            cause=ERROR_AS_SUCCESS,
        )
    sent: list[str] = []
    for call in calls:
        answer = call.get("response")
        ok = isinstance(call.get("status"), int) and 200 <= call["status"] < 300
        if ok and isinstance(answer, dict):
            texts = answer.get("texts")
            sent += [t for t in texts if isinstance(t, str)] if isinstance(texts, list) else []
            if isinstance(answer.get("text"), str):
                sent.append(answer["text"])
    wanted = [_squeeze(t) for t in sent if _squeeze(t)]
    if not wanted:
        return
    got = client_texts(x).get(0, "")
    mine = _squeeze(got)
    if any(w in mine or (mine and w.startswith(mine)) for w in wanted):
        return
    raise CheckFailure(
        f"the client got HTTP {x.status} with the text {excerpt(got, 120)!r}, not what the "
        f"upstream sent (HTTP {status}, {excerpt(sent[-1], 120)!r})",
        excerpt=f"{_client_side(x)}\nupstream: HTTP {status} text {excerpt(sent[-1], 300)!r}",
        cause=NOT_UPSTREAM_CONTENT,
    )


def upstream_answer(x: Exchange) -> dict[str, Any]:
    """What the mock answered to the last generate call (``response`` summary)."""
    entry = last_generate(x)
    answer = entry.get("response")
    if not isinstance(answer, dict):
        raise Undecided("the mock's journal entry has no response summary")
    return answer


def generation_config(x: Exchange) -> dict[str, Any]:
    """``generationConfig`` of the last generate call's body, every field under its
    JSON name (:func:`request_body`); ``{}`` when none was sent."""
    config = request_body(x).get("generationConfig")
    return config if isinstance(config, dict) else {}


def json_field(obj: Any, name: str) -> Any:
    """``obj[name]`` when ``obj`` is a JSON object, else ``None``: reads a part of
    :func:`request_body`'s answer, whose fields are all under their JSON names."""
    return obj.get(name) if isinstance(obj, dict) else None


def request_body(x: Exchange) -> dict[str, Any]:
    """The Gemini request body of the last generate call (unwrapping Code Assist's
    ``{"request": ...}`` envelope), with every field under its JSON name
    (:func:`spec.gemini_fields.json_names`): Google reads ``generation_config`` as
    ``generationConfig``, so a check reads one name. Free-form values (function-call
    arguments, JSON schemas) and unknown keys are as the proxy sent them.

    Raises :class:`Undecided` when the journal entry has no JSON body,
    :class:`NotApplicable` when it went to Google's OpenAI-compatible endpoint
    (:data:`COMPAT_UPSTREAM`)."""
    call = last_generate(x)
    if is_openai_compat(call):
        raise NotApplicable(COMPAT_UPSTREAM)
    body = call.get("body")
    if not isinstance(body, dict):
        raise Undecided("the mock's journal entry has no JSON body")
    inner = body.get("request")
    if isinstance(inner, dict):
        wrapped: dict[str, Any] = json_names(inner, "CodeAssistGenerateContentRequest")
        return wrapped
    named: dict[str, Any] = json_names(body)
    return named
