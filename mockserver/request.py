"""Reading a Gemini request body: parse, validate, count, find the directive (pure).

Google's JSON parser accepts both the JSON names (``generationConfig``) and the proto
names (``generation_config``) of every field; :func:`get` does the same for the fields
the mock reads. Validation (:func:`validate_generate`) rejects what Google rejects with
400 ``INVALID_ARGUMENT``, naming the field: a body that is not JSON or not an object,
an unknown field at any depth, a value of the wrong type (:mod:`mockserver.fields`),
missing or empty ``contents``, a role other than ``user``/``model``, empty ``parts``,
a part with no data, a content of empty text alone (docs/gemini-wire.md A1, A5).

**Token rule** (shared with :mod:`mockserver.plans`): one whitespace-separated word
is one token. :func:`prompt_tokens` counts the words of every ``text`` part in
``contents`` and ``systemInstruction`` (at least 1).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

import orjson

from mockserver import errors, fields
from spec.scenarios import CID_HEADER, Directive, DirectiveError, find_directive, parse_directive

__all__ = [
    "CID_HEADER",
    "MAX_CANDIDATES",
    "MAX_STOP_SEQUENCES",
    "candidate_count",
    "check_thought_signatures",
    "contents_of",
    "directive_from_text",
    "ends_with_function_response",
    "find_inband_directive",
    "get",
    "parse_json",
    "prompt_tokens",
    "request_cid",
    "request_key",
    "scan_cid",
    "service_tier",
    "stop_sequences",
    "streams_call_arguments",
    "thinks",
    "validate_generate",
]

_DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "inline_data",
    "file_data",
    "function_call",
    "function_response",
    "executable_code",
    "code_execution_result",
)
_ROLES = frozenset({"user", "model", "function", ""})
MAX_STOP_SEQUENCES = 5
"""Google rejects more ``generationConfig.stopSequences`` (docs/breakages.md F5)."""
MAX_CANDIDATES = 8
"""``generationConfig.candidateCount`` must be in 1..8 (0 means unset)."""
_CAMEL_RE = re.compile(r"(?<!^)([A-Z])")
_CID_VALUE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CID_IN_DIRECTIVE = re.compile(
    rb"\[\[mock:[^\[\]]*?(?<![A-Za-z0-9_])cid=([A-Za-z0-9_.-]{1,64})(?![A-Za-z0-9_.-])"
)


@cache
def _snake(camel: str) -> str:
    return _CAMEL_RE.sub(r"_\1", camel).lower()


def get(obj: dict[str, Any], camel: str) -> Any:
    """``obj[camel]``, else ``obj[snake_case(camel)]``, else ``None``."""
    value = obj.get(camel)
    if value is None:
        value = obj.get(_snake(camel))
    return value


def parse_json(raw: bytes) -> Any:
    """The parsed body; raises GoogleError 400 "Invalid JSON payload received..."."""
    if not raw.strip():
        raise errors.invalid_json("Expected a JSON object; the request body is empty.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.invalid_json(f"Unexpected token. ({exc})") from None


_EMPTY_TEXT = {"text": ""}
EMPTY_TEXT_MESSAGE = (
    "Unable to submit request because it has an empty text parameter. Add a value to the "
    "parameter and try again. Learn more: "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"
)
"""Google's 400 for a content whose only parts are empty texts (an assistant message of
content ``""`` passed on as it is): reported against the Gemini API and its OpenAI door
(microsoft/autogen#5762, zuisong/gemini-openai-proxy#83, chatboxai/chatbox#1846). A part
that carries anything besides its empty text (a ``thoughtSignature``, as Gemini 3's
closing part does) is not refused, nor an empty ``systemInstruction`` (no report shows
Google refusing one; a proxy may send it on every request)."""


def _type_error(path: str, expected: str, value: Any) -> errors.GoogleError:
    shown = orjson.dumps(value).decode()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return errors.invalid_json(f"Invalid value at '{path}' ({expected}), {shown}", path)


def _missing(path: str, message: str) -> errors.GoogleError:
    return errors.invalid_argument(f"* GenerateContentRequest.{path}: {message}\n")


def _check_content(content: Any, path: str, *, role_required: bool) -> None:
    # types were checked by mockserver.fields; what is left is what the parser allows
    if not isinstance(content, dict):
        return
    role = content.get("role") or ""
    if role_required and role not in _ROLES:
        raise errors.invalid_argument("Please use a valid role: user, model.")
    parts = content.get("parts")
    if not parts:
        raise _missing(f"{path}.parts", "contents.parts must not be empty.")
    for j, part in enumerate(parts):
        if not isinstance(part, dict) or not any(part.get(key) is not None for key in _DATA_FIELDS):
            raise _missing(
                f"{path}.parts[{j}].data",
                "required oneof field 'data' must have one initialized field",
            )
    if role_required and all(part == _EMPTY_TEXT for part in parts):
        raise errors.invalid_argument(EMPTY_TEXT_MESSAGE)  # a turn, not systemInstruction


def contents_of(body: dict[str, Any]) -> list[Any]:
    """``body["contents"]`` as a list (empty when absent); no validation."""
    contents = body.get("contents")
    return contents if isinstance(contents, list) else []


def validate_generate(
    body: Any, message: str = "GenerateContentRequest", path: str = ""
) -> dict[str, Any]:
    """Check a generateContent body; return it typed. Raises GoogleError 400 (A1, A5).

    First every parse-time problem at once (:mod:`mockserver.fields`: unknown names,
    wrong types, bad enums, lists where one value goes), then the first semantic one:
    no ``contents``, a bad role, empty ``parts``, a part with no data, a content of empty
    text alone (:data:`EMPTY_TEXT_MESSAGE`), both
    ``thinkingBudget`` and ``thinkingLevel``, ``candidateCount`` outside 0..8, more
    than 5 ``stopSequences``.
    ``message``: the table to read the body as (the Code Assist inner request adds
    ``session_id`` and ``labels``); ``path``: where the body sits in the payload
    (``request`` in a Code Assist envelope), used in unknown-name messages.
    """
    if not isinstance(body, dict):
        raise errors.invalid_json('Unknown name "": Root element must be a message.')
    found = fields.violations(body, message, path)
    if found:
        raise errors.invalid_json_all(found)
    contents = body.get("contents")
    if not contents:
        raise _missing("contents", "contents is not specified")
    for i, content in enumerate(contents):
        _check_content(content, f"contents[{i}]", role_required=True)
    system = get(body, "systemInstruction")
    if system is not None:
        _check_content(system, "system_instruction", role_required=False)
    config = get(body, "generationConfig")
    if config:
        thinking = get(config, "thinkingConfig")
        if (
            thinking
            and get(thinking, "thinkingBudget") is not None
            and get(thinking, "thinkingLevel") is not None
        ):
            raise errors.invalid_argument(
                "You can only set one of thinking budget and thinking level."
            )
        count = get(config, "candidateCount")
        if count is not None and not 0 <= _as_int(count, "candidate_count") <= MAX_CANDIDATES:
            raise _missing(
                "generation_config.candidate_count",
                f"candidate_count must be between 1 and {MAX_CANDIDATES}.",
            )
        stops = get(config, "stopSequences")
        if stops is not None and len(stops) > MAX_STOP_SEQUENCES:
            raise _missing(
                "generation_config.stop_sequences",
                f"number of stop_sequences must not exceed {MAX_STOP_SEQUENCES}.",
            )
    return body


def _as_int(value: Any, field: str) -> int:
    """An int32 field's value as an int; like proto3 JSON, a numeric string is accepted.
    Raises GoogleError 400 (naming ``generation_config.<field>``) otherwise."""
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(f"generation_config.{field}", "TYPE_INT32", value)
    return value


def max_output_tokens(body: dict[str, Any]) -> int | None:
    """``generationConfig.maxOutputTokens`` as an int (tokens), ``None`` when unset or < 1.

    Like proto3 JSON, a numeric string is accepted. Raises GoogleError 400 otherwise.
    """
    config = get(body, "generationConfig")
    if not isinstance(config, dict):
        return None
    value = get(config, "maxOutputTokens")
    if value is None:
        return None
    value = _as_int(value, "max_output_tokens")
    return value if value >= 1 else None


def candidate_count(config: dict[str, Any]) -> int:
    """``candidateCount`` of a validated ``generationConfig``: 1 when unset or 0 (the
    proto3 default), else 1..:data:`MAX_CANDIDATES` (out-of-range values, which
    :func:`validate_generate` rejects, are clamped)."""
    value = get(config, "candidateCount")
    if value is None:
        return 1
    return min(MAX_CANDIDATES, max(1, _as_int(value, "candidate_count")))


def stop_sequences(config: dict[str, Any]) -> tuple[str, ...]:
    """``stopSequences`` of a validated ``generationConfig``: its non-empty strings, in
    order (``()`` when unset)."""
    stops = get(config, "stopSequences")
    if not isinstance(stops, list):
        return ()
    return tuple(s for s in stops if isinstance(s, str) and s)


def include_thoughts(body: dict[str, Any]) -> bool:
    """``generationConfig.thinkingConfig.includeThoughts`` is true. Google returns thought
    text only then; otherwise it reports ``thoughtsTokenCount`` alone (A2)."""
    config = get(body, "generationConfig")
    thinking = get(config, "thinkingConfig") if isinstance(config, dict) else None
    return isinstance(thinking, dict) and get(thinking, "includeThoughts") is True


def thinks(body: dict[str, Any], can_switch_off: bool) -> bool:
    """Whether a thinking model thinks for this request: always, unless
    ``can_switch_off`` (the model takes ``thinkingBudget: 0``, Gemini 2.5 Flash and
    Flash-Lite) and ``generationConfig.thinkingConfig.thinkingBudget`` is 0
    (https://ai.google.dev/gemini-api/docs/thinking#set-budget)."""
    if not can_switch_off:
        return True
    config = get(body, "generationConfig")
    thinking = get(config, "thinkingConfig") if isinstance(config, dict) else None
    if not isinstance(thinking, dict):
        return True
    budget = get(thinking, "thinkingBudget")
    return budget is None or str(budget) != "0"


_TIERS = {"priority": "priority", "flex": "flex", "standard": "standard"}


def service_tier(body: dict[str, Any]) -> str:
    """``usageMetadata.serviceTier`` for the answer: the request's ``serviceTier`` in
    lower case (``priority``, ``flex``, ``standard``); ``standard`` when unset or
    unspecified (Google: "unspecified means standard")."""
    tier = get(body, "serviceTier")
    return _TIERS.get(tier.lower(), "standard") if isinstance(tier, str) else "standard"


def streams_call_arguments(body: dict[str, Any]) -> bool:
    """``toolConfig.functionCallingConfig.streamFunctionCallArguments`` is true: the
    client asks for function-call arguments streamed as ``partialArgs`` (Vertex AI,
    https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/function-calling#streaming-fc)."""
    tool_config = get(body, "toolConfig")
    calling = get(tool_config, "functionCallingConfig") if isinstance(tool_config, dict) else None
    return isinstance(calling, dict) and get(calling, "streamFunctionCallArguments") is True


def _words(content: Any) -> int:
    count = 0
    if isinstance(content, dict):
        parts = content.get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, dict):
                    text = part.get("text")
                    if isinstance(text, str):
                        count += len(text.split())
    return count


def prompt_tokens(body: dict[str, Any]) -> int:
    """Words in every text part of ``contents`` and ``systemInstruction``; at least 1."""
    count = _words(get(body, "systemInstruction"))
    for content in contents_of(body):
        count += _words(content)
    return max(count, 1)


def directive_from_text(text: str) -> Directive:
    """A directive in header form or ``[[mock:...]]`` form; GoogleError 400 if invalid."""
    try:
        found = find_directive(text) if "[[mock:" in text else parse_directive(text)
    except DirectiveError as exc:
        raise errors.invalid_argument(f"Invalid mock directive: {exc}") from None
    return found if found is not None else Directive()


def find_inband_directive(body: dict[str, Any]) -> Directive | None:
    """The last ``[[mock:...]]`` in the last user content that has text parts.

    Contents are scanned from the end; a content without ``role`` counts as ``user``.
    Raises GoogleError 400 when that directive does not parse.
    """
    for content in reversed(contents_of(body)):
        if not isinstance(content, dict) or content.get("role", "user") not in ("user", ""):
            continue
        parts = content.get("parts")
        if not isinstance(parts, list):
            continue
        texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
        if not texts:
            continue
        text = "\n".join(texts)
        if "[[mock:" not in text:
            return None
        try:
            return find_directive(text)
        except DirectiveError as exc:
            raise errors.invalid_argument(f"Invalid mock directive: {exc}") from None
    return None


def scan_cid(raw: bytes) -> str | None:
    """The ``cid`` of the last ``[[mock:...]]`` directive that has one, anywhere in the raw
    body bytes: any role, any part, the system instruction, a tool result, even a body
    that is not JSON. ``None`` when there is none. Never raises: it lets the journal
    file a request the mock rejects (400) under the id the suite gave it."""
    if b"[[mock:" not in raw:
        return None
    found = _CID_IN_DIRECTIVE.findall(raw)
    return found[-1].decode("ascii") if found else None


def request_cid(header: str | None, directive_cid: str | None, raw: bytes) -> str | None:
    """The ``cid`` the journal records for a request: the :data:`CID_HEADER` value when
    it is a valid id, else the chosen directive's, else :func:`scan_cid` of the body."""
    if header is not None and _CID_VALUE.match(header):
        return header
    if directive_cid is not None:
        return directive_cid
    return scan_cid(raw) if raw else None


def ends_with_function_response(body: dict[str, Any]) -> bool:
    """Whether the last content carries ``functionResponse`` parts (an agent loop turn)."""
    contents = contents_of(body)
    if not contents or not isinstance(contents[-1], dict):
        return False
    parts = contents[-1].get("parts")
    return isinstance(parts, list) and any(
        isinstance(p, dict) and get(p, "functionResponse") is not None for p in parts
    )


def _is_user_turn(content: Any) -> bool:
    if not isinstance(content, dict) or content.get("role", "user") not in ("user", ""):
        return False
    parts = content.get("parts")
    return isinstance(parts, list) and any(isinstance(p, dict) and "text" in p for p in parts)


def check_thought_signatures(body: dict[str, Any]) -> None:
    """Gemini 3's history rule (A1): raise GoogleError 400 when a step lacks a signature.

    Like Google, only the current turn is checked (the contents after the last user
    content with text) and, in each model content, only the first ``functionCall``
    part must carry ``thoughtSignature`` (parallel calls carry it on the first only).
    """
    contents = contents_of(body)
    start = 0
    for i in range(len(contents) - 1, -1, -1):
        if _is_user_turn(contents[i]):
            start = i + 1
            break
    for i in range(start, len(contents)):
        content = contents[i]
        if not isinstance(content, dict) or content.get("role") != "model":
            continue
        for part in content.get("parts") or ():
            if not isinstance(part, dict):
                continue
            call = get(part, "functionCall")
            if call is None:
                continue
            if not get(part, "thoughtSignature"):
                name = call.get("name", "") if isinstance(call, dict) else ""
                raise errors.missing_thought_signature(str(name), i + 1)
            break


def request_key(body: Any, seed: int) -> bytes:
    """32 bytes that identify (seed, canonical body): the root of all generated values.

    The canonical body is the JSON with sorted keys and no whitespace, so key order and
    formatting do not change the answer; ``seed`` is an int in [0, 2**64).
    """
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=32, key=seed.to_bytes(8, "big")).digest()
