"""Code Assist ``v1internal`` (docs/gemini-wire.md A7): envelopes and account methods, pure.

Requests to ``POST /v1internal:{generateContent|streamGenerateContent|countTokens}``
wrap a Gemini request::

    {"model": "gemini-2.5-pro", "project": "p", "user_prompt_id": "abc#1",
     "request": {"contents": [...], ..., "session_id": "uuid"}}

and the Antigravity variant adds ``"userAgent": "antigravity"``, ``"requestId"``,
``"requestType"`` and ``request.sessionId`` (A7, treated as unstable). Both get the
same reply envelope, unary and per SSE event: ``{"response": {...GenerateContentResponse
in its Vertex AI form...}, "traceId": "<16 hex>"}`` (:func:`wrap`; gemini-cli maps
``traceId`` to ``responseId``). countTokens answers ``{"totalTokens": N}``.

**The Vertex AI form** (Code Assist serves Gemini from Vertex AI). Recorded Code Assist
answers (gemini-cli users' logs, e.g. ``"usageMetadata": {"promptTokenCount": 10,
"candidatesTokenCount": 17, "totalTokenCount": 51, "trafficType":
"PROVISIONED_THROUGHPUT", "promptTokensDetails": [...], "thoughtsTokenCount": 24},
"modelVersion": "gemini-2.5-flash", "createTime": "2026-01-10T01:55:29.168589Z",
"responseId": "..."}``) and the Vertex AI capture
``spec/captures/google-stream-tool-call-arguments.chunks.txt`` carry, unlike v1beta:
``usageMetadata.trafficType`` right after ``totalTokenCount`` (Code Assist's traffic is
``PROVISIONED_THROUGHPUT``; a Vertex AI pay-as-you-go project's is ``ON_DEMAND``),
``candidatesTokensDetails`` (per modality, as Vertex AI always reports it),
``createTime`` before ``responseId`` (RFC 3339 with microseconds; the same on every
chunk of a stream; deterministic here: :func:`create_time`), and no
``usageMetadata.serviceTier`` ("not supported in Vertex AI"). The Code Assist request
also honours ``toolConfig.functionCallingConfig.streamFunctionCallArguments`` on Gemini 3
models (:func:`mockserver.responses.decide`, ``vertex``).

Account methods (gemini-cli ``code_assist/types.ts``): ``loadCodeAssist`` (the tiers,
and ``currentTier`` + ``cloudaicompanionProject`` once the account is onboarded),
``onboardUser`` (a finished long-running operation naming the managed project) and
``fetchAvailableModels`` (``{"models": {id: {"displayName", "supportsThinking",
"quotaInfo": {"remainingFraction": 1}}}}``, the Antigravity call). Accounts are the
subjects of the mock's OAuth tokens (:mod:`mockserver.oauth`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from mockserver import catalog, errors, fields
from mockserver.catalog import ModelInfo
from mockserver.framing import pretty
from mockserver.request import get, prompt_tokens, validate_generate
from spec.wire import GenerateContentResponse

__all__ = [
    "ACCOUNT_METHODS",
    "GENERATE_METHODS",
    "TIERS",
    "TRAFFIC_TYPE",
    "Envelope",
    "available_models",
    "count_tokens",
    "create_time",
    "load_code_assist",
    "onboard_user",
    "parse_envelope",
    "project_for",
    "trace_id",
    "wrap",
]

GENERATE_METHODS = frozenset({"generateContent", "streamGenerateContent"})
ACCOUNT_METHODS = frozenset({"loadCodeAssist", "onboardUser", "fetchAvailableModels"})
Variant = Literal["code_assist", "antigravity"]

_FREE = {
    "id": "free-tier",
    "name": "Gemini Code Assist for individuals",
    "description": "Gemini Code Assist for individuals (deterministic mock).",
    "userDefinedCloudaicompanionProject": False,
    "privacyNotice": {"showNotice": False},
}
_LEGACY = {
    "id": "legacy-tier",
    "name": "Gemini Code Assist",
    "description": "Gemini Code Assist (legacy, deterministic mock).",
    "userDefinedCloudaicompanionProject": True,
}
_STANDARD = {
    "id": "standard-tier",
    "name": "Gemini Code Assist Standard",
    "description": "Gemini Code Assist Standard (deterministic mock).",
    "userDefinedCloudaicompanionProject": True,
}
_ONBOARD_TYPE = "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse"
TIERS: dict[str, dict[str, Any]] = {str(t["id"]): t for t in (_FREE, _LEGACY, _STANDARD)}
"""``tierId`` -> GeminiUserTier; ``free-tier`` is the default and needs no project."""


class Envelope(NamedTuple):
    """A parsed generate envelope: the served ``model``, the inner ``request`` (validated
    like a GenerateContentRequest), the ``variant`` and the ids it carried."""

    model: ModelInfo
    request: dict[str, Any]
    variant: Variant
    project: str | None
    session_id: str | None


def _envelope_fields(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.invalid_json('Unknown name "": Root element must be a message.')
    found = fields.violations(body, "CodeAssistGenerateRequest")
    if found:
        raise errors.invalid_json_all(found)
    inner = body.get("request")
    if not isinstance(inner, dict):
        raise errors.invalid_argument("* CodeAssistRequest.request: request is not specified\n")
    return body


def parse_envelope(body: Any) -> Envelope:
    """Validate a generate envelope and its inner request; raises GoogleError.

    400 for a bad envelope or inner request (paths inside ``request`` as for v1beta),
    404 for a model Code Assist does not serve.
    """
    body = _envelope_fields(body)
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise errors.invalid_argument("* CodeAssistRequest.model: model is not specified\n")
    inner = validate_generate(body["request"], "CodeAssistGenerateContentRequest", "request")
    model = catalog.lookup_code_assist(name)
    if model is None:
        raise errors.model_not_found(name, "generateContent", "v1internal")
    variant: Variant = "antigravity" if get(body, "userAgent") == "antigravity" else "code_assist"
    session = get(inner, "sessionId")
    return Envelope(model, inner, variant, get(body, "project"), session)


def trace_id(rid: str) -> str:
    """The 16-hex-digit ``traceId`` for a response id (the same for a whole stream)."""
    return hashlib.blake2b(rid.encode(), digest_size=8).hexdigest()


TRAFFIC_TYPE = "PROVISIONED_THROUGHPUT"
"""``usageMetadata.trafficType`` of Code Assist answers (module docstring)."""

_EPOCH_2026 = 1_767_225_600
"""2026-01-01T00:00:00Z, in Unix seconds."""
_YEAR_US = 365 * 86_400 * 1_000_000


def create_time(rid: str) -> str:
    """A deterministic ``createTime`` for the answer whose ``responseId`` is ``rid``: an
    RFC 3339 instant in 2026 with microseconds, e.g. ``2026-04-02T17:03:50.399550Z``."""
    offset = int.from_bytes(hashlib.blake2b(rid.encode(), digest_size=8).digest(), "big")
    micros = offset % _YEAR_US
    moment = datetime.fromtimestamp(_EPOCH_2026 + micros // 1_000_000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros % 1_000_000:06d}Z"


def _vertex_usage(usage: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in usage.items():
        if key == "serviceTier":
            continue
        out[key] = value
        if key == "totalTokenCount":
            out["trafficType"] = TRAFFIC_TYPE
        elif (
            key == "promptTokensDetails"
            and "candidatesTokenCount" in usage
            and "candidatesTokensDetails" not in usage
        ):
            count = usage["candidatesTokenCount"]
            out["candidatesTokensDetails"] = [{"modality": "TEXT", "tokenCount": count}]
    if "trafficType" not in out:
        out["trafficType"] = TRAFFIC_TYPE
    return out


def wrap(response: GenerateContentResponse, rid: str) -> dict[str, Any]:
    """``{"response": response in its Vertex AI form, "traceId"}`` (A7; module
    docstring): ``usageMetadata`` without ``serviceTier`` and with ``trafficType``,
    ``createTime`` (:func:`create_time`) inserted before ``responseId``."""
    inner: dict[str, Any] = {}
    for key, value in response.items():
        if key == "usageMetadata":
            inner[key] = _vertex_usage(value)  # type: ignore[arg-type]
        elif key == "responseId":
            inner["createTime"] = create_time(rid)
            inner[key] = value
        else:
            inner[key] = value
    return {"response": inner, "traceId": trace_id(rid)}


def count_tokens(body: Any) -> bytes:
    """``{"totalTokens": N}`` for ``{"request": {"model", "contents"}}`` (token rule of
    :func:`mockserver.request.prompt_tokens`); raises GoogleError 400."""
    body = _envelope_fields(body)
    return pretty({"totalTokens": prompt_tokens(body["request"])})


def project_for(subject: str) -> str:
    """The managed project id of an account (deterministic)."""
    return "mock-project-" + hashlib.blake2b(subject.encode(), digest_size=4).hexdigest()


def _object(body: Any, method: str) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise errors.invalid_json(f'Unknown name "": Root element of {method} must be a message.')
    return body


def load_code_assist(body: Any, subject: str, onboarded: str | None) -> bytes:
    """The LoadCodeAssistResponse. ``onboarded``: the account's project once
    ``onboardUser`` ran (then ``currentTier`` is free-tier), else ``None``."""
    request = _object(body, "LoadCodeAssistRequest")
    out: dict[str, Any] = {}
    if onboarded is not None:
        out["currentTier"] = _FREE
    out["allowedTiers"] = [{**_FREE, "isDefault": True}, _STANDARD]
    project = request.get("cloudaicompanionProject") or onboarded
    if project:
        out["cloudaicompanionProject"] = project
    return pretty(out)


def onboard_user(body: Any, subject: str) -> tuple[str, bytes]:
    """``(project, LongRunningOperation)`` for an OnboardUserRequest; the operation is
    already done. Raises GoogleError 400 for an unknown ``tierId`` or a tier that needs
    a ``cloudaicompanionProject`` without one."""
    request = _object(body, "OnboardUserRequest")
    tier_id = request.get("tierId") or "free-tier"
    tier = TIERS.get(tier_id) if isinstance(tier_id, str) else None
    if tier is None:
        raise errors.invalid_argument(
            f"* OnboardUserRequest.tier_id: unknown tier {tier_id!r}; known: {', '.join(TIERS)}\n"
        )
    project = request.get("cloudaicompanionProject")
    if tier["userDefinedCloudaicompanionProject"] and not project:
        raise errors.invalid_argument(
            f"* OnboardUserRequest.cloudaicompanion_project: tier {tier_id} needs a project\n"
        )
    project = project if isinstance(project, str) and project else project_for(subject)
    operation = {
        "name": f"operations/onboard-{trace_id(subject + project)}",
        "done": True,
        "response": {
            "@type": _ONBOARD_TYPE,
            "cloudaicompanionProject": {"id": project, "name": project},
        },
    }
    return project, pretty(operation)


def _available() -> bytes:
    models: dict[str, Any] = {}
    for model in (*catalog.MODELS, *catalog.CODE_ASSIST_MODELS):
        if model.generate and not (model.tts or model.image):
            models[model.id] = {
                "displayName": model.entry["displayName"],
                "supportsThinking": bool(model.entry.get("thinking")),
                "quotaInfo": {"remainingFraction": 1},
            }
    return pretty({"models": models})


_AVAILABLE = _available()


def available_models() -> bytes:
    """The FetchAvailableModels reply: every text model Code Assist serves."""
    return _AVAILABLE
