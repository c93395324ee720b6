"""Enum names for a GenerateContentResponse recorded with numbered enums.

Vertex AI's Python SDK asks its REST transport for ``$alt=json;enum-encoding=int``, and
the answer then carries every enum as its proto number (``"finishReason": 2``,
``"trafficType": 1``, ``"modality": 1``). No proxy asks for that, so a recording made
that way is read back with the names Google sends by default: :func:`named` swaps the
numbers at the response's enum fields for their names. Numbers this table does not know
stay numbers.

The numbers are those of Vertex AI's ``google.cloud.aiplatform.v1beta1`` protos
(``content.proto``: ``Candidate.FinishReason``, ``HarmCategory``,
``SafetyRating.HarmProbability`` and ``HarmSeverity``, ``Modality``; ``tool.proto``:
``ExecutableCode.Language``, ``CodeExecutionResult.Outcome``;
``prediction_service.proto``: ``PromptFeedback.BlockedReason``,
``UsageMetadata.TrafficType``),
https://github.com/googleapis/googleapis/tree/master/google/cloud/aiplatform/v1beta1 .
Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ENUM_ENCODING_INT", "named"]

ENUM_ENCODING_INT = "enum-encoding=int"
"""What a request URI (percent-decoded) says when it asked for numbered enums."""

_FINISH = {
    0: "FINISH_REASON_UNSPECIFIED", 1: "STOP", 2: "MAX_TOKENS", 3: "SAFETY",
    4: "RECITATION", 5: "OTHER", 6: "BLOCKLIST", 7: "PROHIBITED_CONTENT", 8: "SPII",
    9: "MALFORMED_FUNCTION_CALL", 15: "UNEXPECTED_TOOL_CALL",
}  # fmt: skip
_CATEGORY = {
    0: "HARM_CATEGORY_UNSPECIFIED", 1: "HARM_CATEGORY_HATE_SPEECH",
    2: "HARM_CATEGORY_DANGEROUS_CONTENT", 3: "HARM_CATEGORY_HARASSMENT",
    4: "HARM_CATEGORY_SEXUALLY_EXPLICIT", 5: "HARM_CATEGORY_CIVIC_INTEGRITY",
}  # fmt: skip
_PROBABILITY = {
    0: "HARM_PROBABILITY_UNSPECIFIED",
    1: "NEGLIGIBLE",
    2: "LOW",
    3: "MEDIUM",
    4: "HIGH",
}
_SEVERITY = {
    0: "HARM_SEVERITY_UNSPECIFIED", 1: "HARM_SEVERITY_NEGLIGIBLE", 2: "HARM_SEVERITY_LOW",
    3: "HARM_SEVERITY_MEDIUM", 4: "HARM_SEVERITY_HIGH",
}  # fmt: skip
_MODALITY = {
    0: "MODALITY_UNSPECIFIED",
    1: "TEXT",
    2: "IMAGE",
    3: "VIDEO",
    4: "AUDIO",
    5: "DOCUMENT",
}
_BLOCKED = {
    0: "BLOCKED_REASON_UNSPECIFIED", 1: "SAFETY", 2: "OTHER", 3: "BLOCKLIST",
    4: "PROHIBITED_CONTENT",
}  # fmt: skip
_TRAFFIC = {0: "TRAFFIC_TYPE_UNSPECIFIED", 1: "ON_DEMAND", 2: "PROVISIONED_THROUGHPUT"}
_LANGUAGE = {0: "LANGUAGE_UNSPECIFIED", 1: "PYTHON"}
_OUTCOME = {
    0: "OUTCOME_UNSPECIFIED", 1: "OUTCOME_OK", 2: "OUTCOME_FAILED",
    3: "OUTCOME_DEADLINE_EXCEEDED",
}  # fmt: skip

_RATING = {"category": _CATEGORY, "probability": _PROBABILITY, "severity": _SEVERITY}
_DETAILS = ("promptTokensDetails", "candidatesTokensDetails", "cacheTokensDetails",
            "toolUsePromptTokensDetails")  # fmt: skip


def _swap(obj: dict[str, Any], key: str, table: Mapping[int, str]) -> None:
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value in table:
        obj[key] = table[value]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ratings(holder: dict[str, Any]) -> None:
    for rating in _dicts(holder.get("safetyRatings")):
        for key, table in _RATING.items():
            _swap(rating, key, table)


def named(response: Any) -> Any:
    """``response`` (a GenerateContentResponse as JSON) with its numbered enums named, in
    place; anything else is returned as it is."""
    if not isinstance(response, dict):
        return response
    for candidate in _dicts(response.get("candidates")):
        _swap(candidate, "finishReason", _FINISH)
        _ratings(candidate)
        content = candidate.get("content")
        for part in _dicts(content.get("parts") if isinstance(content, dict) else None):
            if isinstance(part.get("executableCode"), dict):
                _swap(part["executableCode"], "language", _LANGUAGE)
            if isinstance(part.get("codeExecutionResult"), dict):
                _swap(part["codeExecutionResult"], "outcome", _OUTCOME)
    feedback = response.get("promptFeedback")
    if isinstance(feedback, dict):
        _swap(feedback, "blockReason", _BLOCKED)
        _ratings(feedback)
    usage = response.get("usageMetadata")
    if isinstance(usage, dict):
        _swap(usage, "trafficType", _TRAFFIC)
        for key in _DETAILS:
            for detail in _dicts(usage.get(key)):
                _swap(detail, "modality", _MODALITY)
    return response
