"""Typed wire models: the JSON shapes of OpenAI Chat Completions and Gemini v1beta.

These are ``TypedDict`` views of the JSON on the wire (no runtime cost: the servers work
on the dicts ``orjson`` gives them, the type checker checks the keys of the bodies built
with them). Field names are the wire names, camelCase for Gemini and snake_case for
OpenAI. The mock builds its answers with them: Gemini's replies and errors
(:mod:`mockserver.envelopes`, :mod:`mockserver.errors`) and the chat completions of
Google's OpenAI-compatible endpoint (:mod:`mockserver.compat_response`). Requests are
read as plain dicts, checked field by field, so there is no request model.

Sources: ``docs/gemini-wire.md`` sections A1-A7 (Gemini, recorded
traffic and google-genai 3.4.0 types) and ``docs/openai-wire.md`` B1-B4 (OpenAI,
openai-python 3.x types).
"""

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "CREDENTIAL_REASONS",
    "GEMINI_FINISH_REASONS",
    "GRPC_STATUS_HTTP",
    "OPENAI_FINISH_REASONS",
    "Candidate",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "Choice",
    "ChunkChoice",
    "Content",
    "FunctionCall",
    "GeminiError",
    "GeminiErrorBody",
    "GenerateContentResponse",
    "ModalityTokenCount",
    "Part",
    "ToolCall",
    "Usage",
    "UsageMetadata",
    "code_assist_response",
]

JSON = Any
"""Any JSON value."""

# --------------------------------------------------------------------------- OpenAI (B1)

OPENAI_FINISH_REASONS = frozenset(
    {"stop", "length", "tool_calls", "content_filter", "function_call"}
)
"""Values of ``choices[].finish_reason`` (docs/openai-wire.md B1)."""


class FunctionCall(TypedDict):
    name: str
    arguments: str


class ToolCall(TypedDict):
    id: str
    type: Literal["function"]
    function: FunctionCall
    extra_content: NotRequired[dict[str, JSON]]


class ChatMessage(TypedDict, total=False):
    role: str
    content: str | list[dict[str, JSON]] | None
    name: str
    tool_calls: list[ToolCall]
    tool_call_id: str
    reasoning_content: str | None
    refusal: str | None


class Usage(TypedDict, total=False):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    completion_tokens_details: dict[str, int]
    prompt_tokens_details: dict[str, int]


class Choice(TypedDict):
    index: int
    message: ChatMessage
    finish_reason: str | None
    logprobs: NotRequired[JSON]


class ChatCompletion(TypedDict):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: NotRequired[Usage]


class ChunkChoice(TypedDict):
    index: int
    delta: ChatMessage
    finish_reason: NotRequired[str | None]
    """Required (``null`` until the last chunk) by OpenAI's contract; Google's
    OpenAI-compatible endpoint sends it on the last chunk only (docs/breakages.md)."""
    logprobs: NotRequired[JSON]


class ChatCompletionChunk(TypedDict):
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: NotRequired[Usage | None]


# --------------------------------------------------------------------------- Gemini (A)

GEMINI_FINISH_REASONS = frozenset(
    {
        "FINISH_REASON_UNSPECIFIED",
        "STOP",
        "MAX_TOKENS",
        "SAFETY",
        "RECITATION",
        "LANGUAGE",
        "OTHER",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "MALFORMED_FUNCTION_CALL",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_OTHER",
        "NO_IMAGE",
        "IMAGE_RECITATION",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "MISSING_THOUGHT_SIGNATURE",
        "MALFORMED_RESPONSE",
    }
)
"""``candidates[].finishReason`` values (docs/gemini-wire.md A2, google-genai FinishReason)."""

CREDENTIAL_REASONS = frozenset(
    {
        "API_KEY_INVALID",
        "API_KEY_EXPIRED",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "API_KEY_ANDROID_APP_BLOCKED",
        "API_KEY_IOS_APP_BLOCKED",
        "ACCESS_TOKEN_EXPIRED",
        "SERVICE_DISABLED",
        "CONSUMER_SUSPENDED",
    }
)
"""``google.rpc.ErrorInfo.reason`` values of a Gemini error that say the request's
credential is unusable (https://cloud.google.com/apis/design/errors#error_info; Gemini
answers a bad key with 400 ``INVALID_ARGUMENT`` and ``API_KEY_INVALID``). Behind a proxy
that credential may be the proxy's own key, not the client's."""

GRPC_STATUS_HTTP: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INTERNAL": 500,
    "DATA_LOSS": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}
"""``google.rpc.Code`` name -> HTTP status, as Google's JSON APIs map them (A5)."""


class Part(TypedDict, total=False):
    text: str
    thought: bool
    thoughtSignature: str
    functionCall: dict[str, JSON]
    functionResponse: dict[str, JSON]
    inlineData: dict[str, str]
    fileData: dict[str, str]


class Content(TypedDict, total=False):
    role: str
    parts: list[Part]


class ModalityTokenCount(TypedDict):
    modality: str
    """``TEXT``, ``IMAGE``, ``AUDIO``..."""
    tokenCount: int


class UsageMetadata(TypedDict, total=False):
    promptTokenCount: int
    candidatesTokenCount: int
    thoughtsTokenCount: int
    totalTokenCount: int
    promptTokensDetails: list[ModalityTokenCount]
    candidatesTokensDetails: list[ModalityTokenCount]
    toolUsePromptTokenCount: int
    serviceTier: str
    """The tier that served the call, lower case (``standard``...); v1beta answers."""
    trafficType: str
    """``ON_DEMAND``, ``PROVISIONED_THROUGHPUT``: Vertex AI and Code Assist answers."""


class Candidate(TypedDict, total=False):
    content: Content
    finishReason: str
    index: int
    safetyRatings: list[dict[str, JSON]]
    citationMetadata: dict[str, JSON]
    finishMessage: str


class GenerateContentResponse(TypedDict, total=False):
    candidates: list[Candidate]
    promptFeedback: dict[str, JSON]
    usageMetadata: UsageMetadata
    modelVersion: str
    responseId: str
    createTime: str
    """RFC 3339 time the answer was made: Vertex AI and Code Assist answers."""


class GeminiErrorBody(TypedDict):
    code: int
    message: str
    status: str
    details: NotRequired[list[dict[str, JSON]]]


class GeminiError(TypedDict):
    """``google.rpc.Status`` as JSON (A5)."""

    error: GeminiErrorBody


def code_assist_response(answer: dict[str, Any]) -> dict[str, Any]:
    """A Code Assist answer's GenerateContentResponse (``{"response": {...}, "traceId":
    ...}``, docs/gemini-wire.md A7) as a v1beta one: the ``response`` object (not
    changed), with ``responseId`` from ``traceId`` when it has none, as gemini-cli reads
    it (a new object then). Any other object (a v1beta answer, an ``{"error"}`` body) is
    returned as it is."""
    inner = answer.get("response")
    if not isinstance(inner, dict) or "candidates" in answer or "error" in answer:
        return answer
    if isinstance(answer.get("traceId"), str) and "responseId" not in inner:
        return {**inner, "responseId": answer["traceId"]}
    return inner
