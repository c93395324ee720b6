"""Typed wire models: the JSON shapes of OpenAI Chat Completions and Gemini v1beta.

These are ``TypedDict`` views of the JSON on the wire (no runtime cost: the servers work
on the dicts ``orjson`` gives them, the type checker checks the keys). Field names are
the wire names, camelCase for Gemini and snake_case for OpenAI.

Sources: ``docs/gemini-wire.md`` sections A1-A7 (Gemini, recorded
traffic and google-genai 3.4.0 types) and ``docs/openai-wire.md`` B1-B4 (OpenAI,
openai-python 3.x types).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "GEMINI_FINISH_REASONS",
    "GRPC_STATUS_HTTP",
    "OPENAI_FINISH_REASONS",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "ChatRequest",
    "ChunkChoice",
    "Content",
    "GeminiError",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "OpenAIError",
    "Part",
    "ToolCall",
    "Usage",
    "UsageMetadata",
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


class ChatRequest(TypedDict, total=False):
    model: str
    messages: list[ChatMessage]
    stream: bool
    stream_options: dict[str, JSON] | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    n: int | None
    max_tokens: int | None
    max_completion_tokens: int | None
    stop: str | list[str] | None
    seed: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    response_format: dict[str, JSON] | None
    tools: list[dict[str, JSON]] | None
    tool_choice: str | dict[str, JSON] | None
    reasoning_effort: str | None
    thinking_budget: int | None


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
    delta: dict[str, JSON]
    finish_reason: str | None
    logprobs: NotRequired[JSON]


class ChatCompletionChunk(TypedDict):
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: NotRequired[Usage | None]


class OpenAIErrorBody(TypedDict):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(TypedDict):
    """``{"error": {...}}``: what openai-python unwraps into ``APIStatusError`` (B3)."""

    error: OpenAIErrorBody


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


class GenerateContentRequest(TypedDict, total=False):
    contents: list[Content]
    systemInstruction: Content
    tools: list[dict[str, JSON]]
    toolConfig: dict[str, JSON]
    safetySettings: list[dict[str, str]]
    generationConfig: dict[str, JSON]


class UsageMetadata(TypedDict, total=False):
    promptTokenCount: int
    candidatesTokenCount: int
    thoughtsTokenCount: int
    totalTokenCount: int


class Candidate(TypedDict, total=False):
    content: Content
    finishReason: str
    index: int


class GenerateContentResponse(TypedDict, total=False):
    candidates: list[Candidate]
    promptFeedback: dict[str, JSON]
    usageMetadata: UsageMetadata
    modelVersion: str
    responseId: str


class GeminiErrorBody(TypedDict):
    code: int
    message: str
    status: str
    details: NotRequired[list[dict[str, JSON]]]


class GeminiError(TypedDict):
    """``google.rpc.Status`` as JSON (A5)."""

    error: GeminiErrorBody
