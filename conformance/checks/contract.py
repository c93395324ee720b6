"""The document's own contract: every response the target gave, validated against the
profile's OpenAPI document (``spec/openapi/<profile>.yaml``).

This is the "as documented" side of the report. It is judged apart from what clients
need: a ``{"detail": ...}`` error that the gemini-reverse document promises passes here
and fails ``errors.envelope.*`` at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from spec import (
    DOCUMENTS,
    Endpoint,
    find_endpoint,
    operation,
    operation_schema,
    request_schema,
    response_object,
    stream_contract,
)

from ..exchange import Exchange
from ..probes import PROBES
from ..probes.documented import DOCUMENTED
from ..registry import CheckFailure, NotApplicable, Severity, Undecided, check, excerpt
from .causes import ERROR_TYPE, error_type_problem

__all__ = ["contract_problems"]


@cache
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    validator: jsonschema.protocols.Validator = jsonschema.validators.validator_for(schema)(schema)
    return validator


def _errors(instance: Any, schema: dict[str, Any], limit: int = 3) -> list[str]:
    validator = _validator(json.dumps(schema, sort_keys=True))
    out = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))[:limit]:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path) or "."
        out.append(f"{path}: {err.message[:160]}")
    return out


def _undocumented_fields(document: str, path: str, method: str, x: Exchange) -> list[str]:
    """Top-level request fields the document's request schema does not describe: for
    such a request the document promises nothing (e.g. ``encoding_format`` where the
    document never mentions it)."""
    body = x.request.json_body
    if not isinstance(body, dict):
        return []
    try:
        schema = request_schema(document, path, method)
    except KeyError:
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = schema.get("$defs", {}).get(ref.rsplit("/", 1)[1], {})
    known = schema.get("properties")
    if not isinstance(known, dict):
        return []
    return sorted(k for k in body if k not in known)


def contract_problems(document: str, x: Exchange) -> list[str] | None:
    """Where ``x``'s response breaks ``document``; ``None`` when the document says
    nothing about it (no such endpoint, status or media type). The request's path is
    matched as the documents write it (:meth:`Exchange.document_path`)."""
    if x.status is None:
        return None
    path = x.document_path()
    endpoint = find_endpoint(document, x.request.method, path)
    if endpoint is None or _undocumented_fields(document, endpoint.path, endpoint.method, x):
        return None
    status = str(x.status)
    if x.content_type == "text/event-stream":
        try:
            contract = stream_contract(document, endpoint.path, endpoint.method, status)
        except KeyError:
            return None
        problems = []
        errored = False
        for payload in x.sse.payloads:
            if isinstance(payload.value, dict) and "error" in payload.value:
                errored = True  # OpenAI's in-stream error event (docs/openai-wire.md B2) ends it
                break
            if payload.error is not None:
                problems.append(f"event {payload.index}: not JSON")
            else:
                problems += [
                    f"event {payload.index} {e}"
                    for e in _errors(payload.value, contract.item_schema)
                ]
            if problems:
                break
        if contract.terminator is not None and not x.sse.done and not errored:
            problems.append(f"the stream does not end with {contract.terminator!r}")
        return problems
    try:
        schema = operation_schema(document, endpoint.path, endpoint.method, status, x.content_type)
    except KeyError:
        return None
    if not schema:
        return []
    try:
        body = x.json()
    except ValueError:
        return [f"the {status} body is not JSON"]
    return _errors(body, schema)


def _check(x: Exchange) -> None:
    profile = x.profile
    if profile not in DOCUMENTS:
        raise NotApplicable(f"no OpenAPI document for profile {profile!r}")
    problems = contract_problems(profile, x)
    if problems is None:
        raise NotApplicable(
            f"the {profile} document describes no {x.status} answer to this "
            f"{x.request.method} {urlsplit(x.request.url).path} request"
        )
    if problems:
        envelope = (x.status or 0) >= 400 and all(error_type_problem(p) for p in problems)
        raise CheckFailure(
            f"the {x.status} answer to {x.request.method} {urlsplit(x.request.url).path} breaks "
            f"the {profile} document: " + "; ".join(problems),
            excerpt=excerpt(x.body[:800]),
            cause=ERROR_TYPE if envelope else None,
        )


check(
    "contract.responses",
    title="Every response matches the profile's own OpenAPI document (status, body, events)",
    severity=Severity.MEDIUM,
    source="docs/profiles.md#what-the-contract-checks-hold-a-target-to",
    probes=("chat",),
    also=tuple(
        name
        for name in PROBES
        if name != "chat" and name not in {d.probe for d in DOCUMENTED}  # judged below
    ),
)(_check)


@check(
    "contract.rate_limit",
    title="The profile's documented rate limit is enforced (a short burst gets a 429)",
    severity=Severity.LOW,
    source="docs/profiles.md#documented-rate-limits",
    probes=("rate_limit_burst",),
)
def rate_limit(x: Exchange) -> None:
    if x.status != 429:
        raise CheckFailure(
            f"{x.probe}: back-to-back requests at one model were all served (last HTTP "
            f"{x.status}); the {x.profile} document promises a limit"
        )


# --------------------------------------------------------------------------- endpoints

_MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "audio/wav": b"RIFF",
    "audio/x-wav": b"RIFF",
    "application/pdf": b"%PDF-",
}
"""Leading bytes of binary answers whose media type the document names."""


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _documented_media(content: dict[str, Any], media_type: str) -> bool:
    return any(
        media_type == key or (key.endswith("/*") and media_type.startswith(key[:-1]))
        for key in content
    )


def _endpoint_rule(document: str, endpoint: Endpoint) -> Callable[[Exchange], None]:
    """The check of one documented endpoint (see :mod:`conformance.probes.documented`)."""
    where = f"{endpoint.method} {endpoint.route}"

    def run(x: Exchange) -> None:
        if x.status is None:
            raise Undecided(f"{where}: no answer ({x.transport_error})")
        if x.status == 429:
            raise Undecided(f"{where}: rate limited (HTTP 429); run again later or lower --rate")
        sent = x.document_path()
        if not endpoint.matches(x.request.method, sent):
            raise CheckFailure(  # the first turn, that should have given the path's ids
                f"{where} could not be reached: {x.request.method} {sent}, whose answer "
                f"should give its ids, answered HTTP {x.status} without them",
                excerpt=excerpt(x.body[:600]),
            )
        responses = operation(document, endpoint.path, endpoint.method).get("responses", {})
        status = str(x.status)
        described = next(
            (k for k in (status, f"{status[:1]}XX", "default") if k in responses), None
        )
        if not 200 <= x.status < 300:
            listed = ", ".join(k for k in responses if k[:1] == "2")
            raise CheckFailure(
                f"{where} answered the document's own example request with HTTP {status}; "
                f"the document promises {listed or 'a success'}",
                excerpt=excerpt(x.body[:600]),
            )
        if described is None or described == "default":
            raise CheckFailure(
                f"{where} answered HTTP {status}; the document says "
                + ", ".join(k for k in responses if k[:1] == "2"),
            )
        content = response_object(document, endpoint.path, endpoint.method, status).get(
            "content", {}
        )
        media = x.content_type
        if content and not _documented_media(content, media):
            raise CheckFailure(
                f"{where} answered Content-Type {media or '(none)'}; the document says "
                + " or ".join(content),
                excerpt=excerpt(x.body[:200]),
            )
        if _is_json(media) or media == "text/event-stream":
            problems = contract_problems(document, x) or []
            if problems:
                raise CheckFailure(
                    f"the {status} answer to {where} breaks the {document} document: "
                    + "; ".join(problems),
                    excerpt=excerpt(x.body[:800]),
                )
            return
        magic = _MAGIC.get(media)
        if content and not x.body:
            raise CheckFailure(f"{where} answered {media} with an empty body")
        if magic is not None and not x.body.startswith(magic):
            raise CheckFailure(
                f"{where} answered {media}, but the body does not start like one "
                f"(expected {magic!r})",
                excerpt=excerpt(x.body[:40]),
            )

    return run


def _frames(x: Exchange) -> list[dict[str, Any]]:
    out = []
    for line in x.body.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def _websocket_rule(document: str, endpoint: Endpoint) -> Callable[[Exchange], None]:
    """The check of a documented WebSocket passthrough (the upgrade; in controlled mode
    a Live API turn there and back, see :mod:`conformance.probes.websocket`)."""
    where = f"WebSocket {endpoint.route}"

    def run(x: Exchange) -> None:
        if x.status is None:
            raise CheckFailure(f"{where}: no upgrade ({x.transport_error})")
        if x.status != 101:
            raise CheckFailure(
                f"{where}: the upgrade was refused with HTTP {x.status}; the document "
                "promises 101 Switching Protocols",
                excerpt=excerpt(x.body[:400]),
            )
        frames = _frames(x)
        closing: dict[str, Any] = next((f for f in reversed(frames) if "close" in f), {})
        answers = [f for f in frames if "close" not in f]
        sent = [e for e in x.upstream if e.get("method") == "WS"]
        if not x.upstream and not answers:
            return  # black-box: the upgrade is all the probe asked for
        said = f"close code {closing.get('close')} {closing.get('reason', '')!r}".strip()
        if not sent:
            raise CheckFailure(
                f"{where}: the Live API turn never reached the upstream WebSocket ({said})",
                excerpt=excerpt(x.body[:400]),
            )
        if not any("setupComplete" in f for f in answers) or not any(
            (f.get("serverContent") or {}).get("turnComplete") for f in answers
        ):
            raise CheckFailure(
                f"{where}: the upstream's answers did not come back through the socket "
                f"({len(answers)} frame(s), then {said})",
                excerpt=excerpt(x.body[:400]),
            )

    return run


def _register_endpoints() -> None:
    for item in DOCUMENTED:
        ep = item.endpoint
        rule = _websocket_rule if item.websocket else _endpoint_rule
        check(
            f"contract.{item.profile}.{ep.operation_id}",
            title=f"{ep.method} {ep.route} answers the document's own example as documented",
            # a system's own document promises its endpoints to its users; openai-core is
            # the slice of OpenAI's API clients rely on, where only chat, models and
            # embeddings (judged by their own checks) break clients broadly
            severity=Severity.LOW if item.profile == "openai-core" else Severity.MEDIUM,
            source=(
                "https://github.com/openai/openai-openapi; docs/profiles.md#openai-core"
                if item.profile == "openai-core"
                else f"docs/profiles.md#{item.profile}"
            ),
            probes=(item.probe,),
            profiles=(item.profile,),
        )(rule(item.profile, ep))


_register_endpoints()
