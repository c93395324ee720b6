"""Google's error envelopes (``google.rpc.Status`` as pretty-printed JSON), pure.

Every builder returns a :class:`GoogleError` whose ``status``/``body`` are the HTTP
status and the exact body bytes; the messages and ``details`` follow docs/gemini-wire.md A4
and A5 (the recorded 400/403/404/429/500/503 envelopes). Raise it from the pure layer;
the server shell turns it into a response.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockserver.framing import pretty
from spec.wire import GeminiError, GeminiErrorBody

__all__ = [
    "GoogleError",
    "access_token_invalid",
    "api_key_invalid",
    "api_keys_not_supported",
    "bad_request",
    "credentials_missing",
    "daily_quota",
    "format_duration",
    "internal",
    "invalid_argument",
    "invalid_json",
    "invalid_json_all",
    "method_not_found",
    "missing_thought_signature",
    "model_not_found",
    "multiple_credentials",
    "oauth_token_invalid",
    "permission_denied",
    "rate_limit",
    "status_body",
    "unavailable",
    "unregistered_caller",
    "unsupported_modalities",
]

_SERVICE = "generativelanguage.googleapis.com"
_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. "
    "For more information on this error, head to: "
    "https://ai.google.dev/gemini-api/docs/rate-limits."
)
_HELP_QUOTA = {
    "@type": "type.googleapis.com/google.rpc.Help",
    "links": [
        {
            "description": "Learn more about Gemini API quotas",
            "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
        }
    ],
}
_REQUESTS_METRIC = f"{_SERVICE}/generate_content_free_tier_requests"


class GoogleError(Exception):
    """An HTTP error reply: ``status`` (int), ``grpc_status`` (name), ``body`` (bytes)."""

    def __init__(self, status: int, grpc_status: str, message: str, body: bytes) -> None:
        super().__init__(f"{status} {grpc_status}: {message}")
        self.status = status
        self.grpc_status = grpc_status
        self.message = message
        self.body = body


def status_body(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> GeminiError:
    """The ``{"error": {"code", "message", "status", "details"?}}`` object (A5)."""
    error: GeminiErrorBody = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def _error(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> GoogleError:
    return GoogleError(code, status, message, pretty(status_body(code, status, message, details)))


def format_duration(seconds: float) -> str:
    """A ``google.protobuf.Duration`` as Google's API sends it: ``17s``, ``34.4s``,
    ``0.000001s``, ``57.238747106s``.

    Whole seconds print bare; otherwise the fraction to the nanosecond with no trailing
    zeros. Real traffic, not the proto3 JSON rule (3, 6 or 9 digits, ``34.400s``): the
    real 429 in ``spec/captures/google-429-retry-info.json`` says ``"retryDelay":
    "34.4s"``.
    """
    nanos_total = round(seconds * 1_000_000_000)
    whole, nanos = divmod(nanos_total, 1_000_000_000)
    if nanos == 0:
        return f"{whole}s"
    return f"{whole}.{nanos:09d}".rstrip("0") + "s"


def unregistered_caller() -> GoogleError:
    """403 for a request with no credentials at all (A4, A5)."""
    return _error(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
    )


def api_key_invalid() -> GoogleError:
    """400 ``API_KEY_INVALID`` with ErrorInfo and LocalizedMessage details (A5)."""
    message = "API key not valid. Please pass a valid API key."
    return _error(
        400,
        "INVALID_ARGUMENT",
        message,
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": _SERVICE},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            },
        ],
    )


def oauth_token_invalid() -> GoogleError:
    """401 for ``Authorization: Bearer`` without an API key (an OAuth token is expected)."""
    return _error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                "metadata": {"service": _SERVICE, "method": "GenerateContent"},
            }
        ],
    )


def invalid_argument(message: str) -> GoogleError:
    """400 ``INVALID_ARGUMENT`` with ``message`` and no details."""
    return _error(400, "INVALID_ARGUMENT", message)


def invalid_json(description: str, field: str | None = None) -> GoogleError:
    """400 ``Invalid JSON payload received. <description>`` with a BadRequest detail."""
    message = f"Invalid JSON payload received. {description}"
    violation: dict[str, Any] = {"description": message}
    if field is not None:
        violation = {"field": field, "description": message}
    return _error(
        400,
        "INVALID_ARGUMENT",
        message,
        [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}],
    )


def invalid_json_all(violations: Sequence[tuple[str | None, str]]) -> GoogleError:
    """400 for every parse-time problem at once, as Google reports them.

    ``violations``: ``(field, description)`` pairs; ``field`` is the proto path of the
    message holding the problem (``generation_config``) or ``None`` at the top level.
    The message is each "Invalid JSON payload received. <description>" on its own line;
    each becomes one ``BadRequest.fieldViolations`` entry.
    """
    lines = [f"Invalid JSON payload received. {description}" for _, description in violations]
    items: list[dict[str, Any]] = []
    for (field, _), line in zip(violations, lines, strict=True):
        items.append(
            {"description": line} if field is None else {"field": field, "description": line}
        )
    return _error(
        400,
        "INVALID_ARGUMENT",
        "\n".join(lines),
        [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": items}],
    )


def unsupported_modalities(model: str, requested: list[str], accepted: list[str]) -> GoogleError:
    """400 for ``responseModalities`` the model cannot produce (A6, image output / TTS).

    ``requested``: the modalities asked for (``TEXT`` when none); ``accepted``: the
    combination the model does produce, listed one per line.
    """
    wanted = ", ".join(requested)
    combos = "".join(f"* {m}\n" for m in accepted)
    return invalid_argument(
        f"The requested combination of response modalities ({wanted}) is not supported by "
        f"the model. models/{model} accepts the following combination of response "
        f"modalities:\n{combos}"
    )


def multiple_credentials() -> GoogleError:
    """400 when a request carries two credentials (docs/breakages.md G3)."""
    return invalid_argument("Multiple authentication credentials received. Please pass only one.")


_OAUTH_EXPECTED = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_CODE_ASSIST = "cloudcode-pa.googleapis.com"


def credentials_missing(method: str) -> GoogleError:
    """401 ``CREDENTIALS_MISSING`` for a Code Assist call without a Bearer token (A7)."""
    return _error(
        401,
        "UNAUTHENTICATED",
        f"Request is missing required authentication credential. {_OAUTH_EXPECTED}",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "CREDENTIALS_MISSING",
                "domain": "googleapis.com",
                "metadata": {
                    "service": _CODE_ASSIST,
                    "method": f"google.internal.cloud.code.v1internal.CloudCode.{method}",
                },
            }
        ],
    )


def access_token_invalid() -> GoogleError:
    """401 for a Bearer token the mock's token endpoint did not issue (A7)."""
    return _error(
        401,
        "UNAUTHENTICATED",
        f"Request had invalid authentication credentials. {_OAUTH_EXPECTED}",
    )


def api_keys_not_supported() -> GoogleError:
    """401 for an API key sent to Code Assist, which only takes OAuth tokens (A7)."""
    return _error(
        401,
        "UNAUTHENTICATED",
        "API keys are not supported by this API. Expected OAuth2 access token or other "
        "authentication credentials that assert a principal. "
        "See https://cloud.google.com/docs/authentication",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "CREDENTIALS_MISSING",
                "domain": "googleapis.com",
                "metadata": {"service": _CODE_ASSIST},
            }
        ],
    )


def bad_request() -> GoogleError:
    """400 ``INVALID_ARGUMENT`` "Request contains an invalid argument." (scenario)."""
    return invalid_argument("Request contains an invalid argument.")


def permission_denied() -> GoogleError:
    """403 ``PERMISSION_DENIED`` "The caller does not have permission" (A5)."""
    return _error(403, "PERMISSION_DENIED", "The caller does not have permission")


def model_not_found(model: str, method: str, version: str = "v1beta") -> GoogleError:
    """404 ``NOT_FOUND`` for ``models/<model>``, ``method`` and API ``version`` (A5 text)."""
    return _error(
        404,
        "NOT_FOUND",
        f"models/{model} is not found for API version {version}, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their "
        "supported methods.",
    )


def method_not_found() -> GoogleError:
    """404 ``NOT_FOUND`` "Method not found." for a path or method the API does not have."""
    return _error(404, "NOT_FOUND", "Method not found.")


def internal() -> GoogleError:
    """500 ``INTERNAL`` (A5 text)."""
    return _error(
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    )


UNAVAILABLE_MESSAGE = "The model is overloaded. Please try again later."


def unavailable() -> GoogleError:
    """503 ``UNAVAILABLE`` "The model is overloaded..." (A5 text)."""
    return _error(503, "UNAVAILABLE", UNAVAILABLE_MESSAGE)


def rate_limit(model: str, retry_delay: float, limit: int = 10) -> GoogleError:
    """429 per-minute quota: QuotaFailure, Help, RetryInfo in that order (A5).

    ``retry_delay`` is in seconds; it appears as ``RetryInfo.retryDelay`` in proto
    Duration form (:func:`format_duration`) and in the message's "Please retry in" line.
    ``limit``: the requests per minute shown as ``limit:`` and ``quotaValue``.
    """
    delay = format_duration(retry_delay)
    message = (
        f"{_QUOTA_MESSAGE}\n* Quota exceeded for metric: {_REQUESTS_METRIC}, limit: {limit}, "
        f"model: {model}\nPlease retry in {delay}."
    )
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": _REQUESTS_METRIC,
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": str(limit),
                }
            ],
        },
        _HELP_QUOTA,
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
    ]
    return _error(429, "RESOURCE_EXHAUSTED", message, details)


def daily_quota(model: str, limit: int = 250) -> GoogleError:
    """429 per-day quota: QuotaFailure (``...PerDay...`` quotaId) and Help, no RetryInfo.

    ``limit``: the requests per day shown as ``limit:`` and ``quotaValue``.
    """
    message = (
        f"{_QUOTA_MESSAGE}\n* Quota exceeded for metric: {_REQUESTS_METRIC}, limit: {limit}, "
        f"model: {model}"
    )
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": _REQUESTS_METRIC,
                    "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": str(limit),
                }
            ],
        },
        _HELP_QUOTA,
    ]
    return _error(429, "RESOURCE_EXHAUSTED", message, details)


def missing_thought_signature(function: str, position: int) -> GoogleError:
    """400 for a gemini-3 history whose functionCall part lacks ``thoughtSignature`` (A1).

    ``position`` is the 1-based index of the offending content in ``contents``.
    """
    return invalid_argument(
        "Function call is missing a thought_signature in functionCall parts. This is "
        "required for tools to work correctly, and missing thought_signature may lead to "
        f"degraded model performance. Additional data, function call `default_api:{function}` "
        f", position {position}. Please refer to "
        "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
    )
