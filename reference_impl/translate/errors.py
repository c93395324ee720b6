"""Errors: the OpenAI error envelope, and Gemini ``google.rpc.Status`` errors mapped to it.

Pure (no I/O). Every error the proxy returns is a :class:`ProxyError`; its
:meth:`~ProxyError.envelope` is the body openai-python unwraps into ``APIStatusError``
(docs/openai-wire.md B3) and :meth:`~ProxyError.stream_event` is the ``data:`` payload that
makes it raise ``APIError`` mid-stream (B2, docs/breakages.md D3).

Status mapping (docs/breakages.md D1, D2, E1; docs/gemini-wire.md A5; docs/openai-wire.md C5):

- the HTTP status follows the ``google.rpc`` status name (``spec.wire.GRPC_STATUS_HTTP``):
  INVALID_ARGUMENT/FAILED_PRECONDITION 400, PERMISSION_DENIED 403, NOT_FOUND 404
  (code ``model_not_found``), RESOURCE_EXHAUSTED 429, INTERNAL 500, UNAVAILABLE 503;
- an upstream credential problem (``UNAUTHENTICATED``, or an ``ErrorInfo`` reason such
  as ``API_KEY_INVALID``) is the proxy's misconfiguration, not the client's: 502 with
  type ``upstream_error`` (401 is kept for the *client's* bad key);
- a 429 carries ``Retry-After`` (whole seconds, rounded up) and ``retry-after-ms`` from
  ``RetryInfo.retryDelay`` (or the "Please retry in N s." message); a per-day
  ``QuotaFailure`` (``quotaId`` containing ``PerDay``) adds ``x-should-retry: false``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from spec.wire import CREDENTIAL_REASONS, GRPC_STATUS_HTTP

__all__ = [
    "ProxyError",
    "RequestError",
    "from_upstream_body",
    "from_upstream_payload",
    "json_kind",
    "parse_duration",
    "type_error",
    "unknown_model_000",
    "upstream_truncated",
    "upstream_unreachable",
]

_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"

_RETRY_IN_RE = re.compile(r"[Pp]lease retry in (\d+(?:\.\d+)?)\s*s")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_MAX_MESSAGE = 2000


class ProxyError(Exception):
    """An error answered in OpenAI's shape.

    ``status``: the HTTP status. ``message``/``type``/``code``/``param``: the fields of
    ``{"error": {...}}`` (B3). ``headers``: extra response headers (``Retry-After``,
    ``retry-after-ms``, ``x-should-retry``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str,
        code: str | None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers: dict[str, str] = dict(headers) if headers else {}

    def envelope(self) -> dict[str, Any]:
        """``{"error": {"message", "type", "param", "code"}}`` (docs/openai-wire.md B3)."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def stream_event(self) -> dict[str, Any]:
        """``{"error": {"message", "type", "param", "code"}}``: the mid-stream error event
        (D3), the same fields as :meth:`envelope`."""
        return self.envelope()

    def __repr__(self) -> str:
        return (
            f"ProxyError({self.status}, {self.message!r}, type={self.type!r}, code={self.code!r})"
        )


class RequestError(ProxyError):
    """A 400 for a client request that does not validate; ``param`` names the field."""

    def __init__(self, message: str, *, param: str | None, code: str = "invalid_value") -> None:
        super().__init__(400, message, type="invalid_request_error", code=code, param=param)


def json_kind(value: object) -> str:
    """The JSON type name of a parsed value (``null``, ``boolean``, ``number``...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def type_error(param: str, expected: str, value: object) -> RequestError:
    """A 400 ``invalid_type`` naming ``param``, what it must be, and what it was."""
    got = "an empty string" if value == "" else json_kind(value)
    return RequestError(f"{param} must be {expected}; got {got}", param=param, code="invalid_type")


def parse_duration(value: object) -> float | None:
    """Seconds in a protobuf ``Duration`` as JSON (``"17s"``, ``"57.238747106s"``, or
    ``{"seconds": 17, "nanos": 0}``); ``None`` when it is not one."""
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        return float(m.group(1)) if m else None
    if isinstance(value, dict):
        seconds = value.get("seconds", 0)
        nanos = value.get("nanos", 0)
        if isinstance(seconds, str) and seconds.isdigit():
            seconds = int(seconds)
        if isinstance(seconds, int) and isinstance(nanos, int):
            return seconds + nanos / 1e9
    return None


def _retry_headers(seconds: float) -> dict[str, str]:
    """``Retry-After`` (whole seconds, rounded up) and ``retry-after-ms`` (B3, C5)."""
    ms = math.ceil(round(seconds * 1000, 3))
    return {"Retry-After": str(max(0, math.ceil(ms / 1000))), "retry-after-ms": str(max(0, ms))}


def _details(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    details = error.get("details")
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, dict)]


def from_upstream_payload(payload: object, status: int = 0) -> ProxyError:
    """Map a parsed Gemini error body (A5) to a :class:`ProxyError`.

    ``payload`` is ``{"error": {"code", "message", "status", "details"}}``, possibly
    wrapped in a one-element list (A3 ``alt=json``); ``status`` is the upstream HTTP
    status (0 for an error event inside a stream). Anything else still maps (to 502 or
    the upstream status), never raises.
    """
    if isinstance(payload, list) and len(payload) == 1:
        payload = payload[0]
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        error = {}
    message = error.get("message")
    if not isinstance(message, str) or not message:
        message = f"upstream returned HTTP {status}" if status else "upstream error"
    message = message[:_MAX_MESSAGE]
    grpc = error.get("status") if isinstance(error.get("status"), str) else ""
    http = GRPC_STATUS_HTTP.get(grpc or "", 0)
    if not http:
        code = error.get("code")
        if isinstance(code, int) and 400 <= code <= 599:
            http = code
        elif 400 <= status <= 599:
            http = status
        else:
            http = 502
    details = _details(error)
    reasons = {d.get("reason") for d in details if d.get("@type") == _ERROR_INFO}
    if grpc == "UNAUTHENTICATED" or http == 401 or reasons & CREDENTIAL_REASONS:
        return ProxyError(
            502,
            f"the upstream rejected the proxy's credentials: {message}",
            type="upstream_error",
            code="upstream_auth_failed",
        )
    code_name = grpc.lower() if grpc else None
    if http == 429:
        return _rate_limited(message, details)
    if http == 404:
        return ProxyError(404, message, type="invalid_request_error", code="model_not_found")
    if http == 403:
        return ProxyError(403, message, type="permission_error", code=code_name or "forbidden")
    if http < 500:
        return ProxyError(http, message, type="invalid_request_error", code=code_name)
    return ProxyError(http, message, type="server_error", code=code_name)


def _rate_limited(message: str, details: list[dict[str, Any]]) -> ProxyError:
    delay: float | None = None
    daily = False
    for d in details:
        kind = d.get("@type")
        if kind == _RETRY_INFO:
            delay = parse_duration(d.get("retryDelay"))
        elif kind == _QUOTA_FAILURE:
            violations = d.get("violations")
            if isinstance(violations, list):
                for v in violations:
                    quota_id = v.get("quotaId") if isinstance(v, dict) else None
                    if isinstance(quota_id, str) and "perday" in quota_id.lower():
                        daily = True
    if delay is None:
        m = _RETRY_IN_RE.search(message)
        if m:
            delay = float(m.group(1))
    headers = _retry_headers(delay) if delay is not None else {}
    if daily:
        headers["x-should-retry"] = "false"
        return ProxyError(
            429, message, type="insufficient_quota", code="insufficient_quota", headers=headers
        )
    return ProxyError(
        429, message, type="rate_limit_error", code="rate_limit_exceeded", headers=headers
    )


def from_upstream_body(status: int, body: bytes) -> ProxyError:
    """Map an upstream non-2xx HTTP answer (``status``, raw ``body``) to a ProxyError.

    A JSON body is mapped by :func:`from_upstream_payload`; a non-JSON body (an HTML
    error page from a load balancer) keeps a 4xx status, turns a 5xx into 502, and
    quotes the first 200 characters.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body[:200].decode("utf-8", "replace").strip()
        http = status if 400 <= status < 500 else 502
        return ProxyError(
            http,
            f"upstream returned HTTP {status} with a non-JSON body: {text!r}",
            type="upstream_error" if http == 502 else "invalid_request_error",
            code="upstream_error",
        )
    return from_upstream_payload(payload, status)


def upstream_unreachable(detail: str, *, timeout: bool = False) -> ProxyError:
    """502 (or 504 when ``timeout``) for an upstream that cannot be reached."""
    if timeout:
        return ProxyError(
            504, f"the upstream timed out: {detail}", type="upstream_error", code="upstream_timeout"
        )
    return ProxyError(
        502,
        f"the upstream could not be reached: {detail}",
        type="upstream_error",
        code="upstream_unreachable",
    )


def upstream_truncated(detail: str) -> ProxyError:
    """502 for an upstream stream that ended or broke before its ``finishReason`` (A3)."""
    return ProxyError(
        502,
        f"the upstream stream ended early: {detail}",
        type="upstream_error",
        code="upstream_stream_truncated",
    )


DOCUMENTED_MODELS_000 = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-3.0-pro")
"""The models gemini-reverse's unknown-model example lists ('Error Examples', 400)."""


def unknown_model_000(
    model: object, available: Sequence[str] = DOCUMENTED_MODELS_000
) -> ProxyError:
    """000 'Error Examples' 400: ``Client error: Unknown model name: X. Available models:
    a, b, c`` (the gemini-reverse profile answers a model the upstream does not list with
    it, in both the OpenAI envelope and ``detail``; ``available``: the upstream's list)."""
    return ProxyError(
        400,
        f"Client error: Unknown model name: {model}. Available models: {', '.join(available)}",
        type="invalid_request_error",
        code="model_not_found",
        param="model",
    )
