"""Field-level checks of request bodies, as Google's JSON parser makes them (pure).

The tables below are the v1beta request messages the mock reads (wire-formats.md A1,
A6 image output and TTS; the Code Assist envelope of A7). Every field is accepted by
its JSON name (``generationConfig``) and its proto name (``generation_config``), and
JSON ``null`` means "unset". :func:`violations` walks a body and lists every problem
the parser would report, in document order, as ``(field, description)`` pairs ready for
:func:`mockserver.errors.invalid_json_all`:

- an unknown key: ``Unknown name "foo" at 'generation_config': Cannot find field.``
  (top level: ``Unknown name "foo": Cannot find field.``; ``field`` is the message path);
- a list where one value is expected: ``Unknown name "type" at
  'tools[0].function_declarations[0].parameters.properties[0].value': Proto field is not
  repeating, cannot start list.`` (a JSON Schema type array, client-breakages B2);
- a value of the wrong type: ``Invalid value at 'generation_config.temperature'
  (TYPE_FLOAT), "hot"``; enums name their type, e.g. ``(type.googleapis.com/google.ai.
  generativelanguage.v1beta.HarmCategory)``, and accept any letter case, as Google does
  (``["Text", "Image"]``); bytes must be base64 (``Base64 decoding failed for "..."``).

Paths use proto names, ``[i]`` for list items and ``[i].value`` for map entries (the
``properties`` of a Schema), like Google's messages. Numbers may be JSON strings
(proto3 JSON). Nesting deeper than :data:`MAX_DEPTH` messages is one violation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple

import orjson

__all__ = ["MAX_DEPTH", "MESSAGES", "violations"]

MAX_DEPTH = 48
"""Deepest message nesting checked (Schema ``items``/``properties`` chains)."""

_V1BETA = "type.googleapis.com/google.ai.generativelanguage.v1beta."
_B64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")
_CAMEL = re.compile(r"(?<!^)([A-Z])")


def _enum(names: str) -> frozenset[str]:
    return frozenset(names.split())


_ENUMS: dict[str, frozenset[str]] = {
    "HarmCategory": _enum(
        "HARM_CATEGORY_UNSPECIFIED HARM_CATEGORY_DEROGATORY HARM_CATEGORY_TOXICITY "
        "HARM_CATEGORY_VIOLENCE HARM_CATEGORY_SEXUAL HARM_CATEGORY_MEDICAL "
        "HARM_CATEGORY_DANGEROUS HARM_CATEGORY_HARASSMENT HARM_CATEGORY_HATE_SPEECH "
        "HARM_CATEGORY_SEXUALLY_EXPLICIT HARM_CATEGORY_DANGEROUS_CONTENT "
        "HARM_CATEGORY_CIVIC_INTEGRITY"
    ),
    "SafetySetting.HarmBlockThreshold": _enum(
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED BLOCK_LOW_AND_ABOVE BLOCK_MEDIUM_AND_ABOVE "
        "BLOCK_ONLY_HIGH BLOCK_NONE OFF"
    ),
    "FunctionCallingConfig.Mode": _enum("MODE_UNSPECIFIED AUTO ANY NONE VALIDATED"),
    "GenerationConfig.Modality": _enum("MODALITY_UNSPECIFIED TEXT IMAGE AUDIO"),
    "GenerationConfig.MediaResolution": _enum(
        "MEDIA_RESOLUTION_UNSPECIFIED MEDIA_RESOLUTION_LOW MEDIA_RESOLUTION_MEDIUM "
        "MEDIA_RESOLUTION_HIGH"
    ),
    "Type": _enum("TYPE_UNSPECIFIED STRING NUMBER INTEGER BOOLEAN ARRAY OBJECT NULL"),
    "ThinkingConfig.ThinkingLevel": _enum(
        "THINKING_LEVEL_UNSPECIFIED MINIMAL LOW MEDIUM HIGH XHIGH"
    ),
    "ExecutableCode.Language": _enum("LANGUAGE_UNSPECIFIED PYTHON"),
    "CodeExecutionResult.Outcome": _enum(
        "OUTCOME_UNSPECIFIED OUTCOME_OK OUTCOME_FAILED OUTCOME_DEADLINE_EXCEEDED"
    ),
    "FunctionDeclaration.Behavior": _enum("UNSPECIFIED BLOCKING NON_BLOCKING"),
    "FunctionResponse.Scheduling": _enum("SCHEDULING_UNSPECIFIED SILENT WHEN_IDLE INTERRUPT"),
}

# Field types: a scalar (string, bytes, float, int32, int64, bool), "value" (any JSON),
# "struct" (a JSON object), "enum:<Enum>", "map:<Message>", "map:string", or a message
# name; "[...]" marks a repeated field.
_GENERATE_FIELDS = {
    "model": "string",
    "contents": "[Content]",
    "tools": "[Tool]",
    "toolConfig": "ToolConfig",
    "safetySettings": "[SafetySetting]",
    "systemInstruction": "Content",
    "generationConfig": "GenerationConfig",
    "cachedContent": "string",
}
_SPEC: dict[str, dict[str, str]] = {
    "GenerateContentRequest": _GENERATE_FIELDS,
    "CodeAssistGenerateContentRequest": {
        **_GENERATE_FIELDS,
        "sessionId": "string",
        "labels": "map:string",
    },
    "CodeAssistRequest": {
        "model": "string",
        "project": "string",
        "userPromptId": "string",
        "request": "value",
        "enabledCreditTypes": "[string]",
        "userAgent": "string",
        "requestId": "string",
        "requestType": "string",
    },
    "Content": {"role": "string", "parts": "[Part]"},
    "Part": {
        "text": "string",
        "inlineData": "Blob",
        "fileData": "FileData",
        "functionCall": "FunctionCall",
        "functionResponse": "FunctionResponse",
        "executableCode": "ExecutableCode",
        "codeExecutionResult": "CodeExecutionResult",
        "thought": "bool",
        "thoughtSignature": "bytes",
        "videoMetadata": "struct",
        "partMetadata": "struct",
        "mediaResolution": "value",
    },
    "Blob": {"mimeType": "string", "data": "bytes"},
    "FileData": {"mimeType": "string", "fileUri": "string"},
    "FunctionCall": {
        "id": "string",
        "name": "string",
        "args": "struct",
        "partialArgs": "value",
        "willContinue": "bool",
    },
    "FunctionResponse": {
        "id": "string",
        "name": "string",
        "response": "struct",
        "parts": "value",
        "willContinue": "bool",
        "scheduling": "enum:FunctionResponse.Scheduling",
    },
    "ExecutableCode": {"language": "enum:ExecutableCode.Language", "code": "string"},
    "CodeExecutionResult": {"outcome": "enum:CodeExecutionResult.Outcome", "output": "string"},
    "Tool": {
        "functionDeclarations": "[FunctionDeclaration]",
        "googleSearchRetrieval": "struct",
        "codeExecution": "struct",
        "googleSearch": "struct",
        "computerUse": "struct",
        "urlContext": "struct",
        "fileSearch": "struct",
        "googleMaps": "struct",
    },
    "FunctionDeclaration": {
        "name": "string",
        "description": "string",
        "parameters": "Schema",
        "parametersJsonSchema": "value",
        "response": "Schema",
        "responseJsonSchema": "value",
        "behavior": "enum:FunctionDeclaration.Behavior",
    },
    "Schema": {
        "type": "enum:Type",
        "format": "string",
        "title": "string",
        "description": "string",
        "nullable": "bool",
        "enum": "[string]",
        "maxItems": "int64",
        "minItems": "int64",
        "properties": "map:Schema",
        "required": "[string]",
        "minProperties": "int64",
        "maxProperties": "int64",
        "minLength": "int64",
        "maxLength": "int64",
        "pattern": "string",
        "example": "value",
        "anyOf": "[Schema]",
        "propertyOrdering": "[string]",
        "default": "value",
        "items": "Schema",
        "minimum": "float",
        "maximum": "float",
    },
    "ToolConfig": {
        "functionCallingConfig": "FunctionCallingConfig",
        "retrievalConfig": "struct",
    },
    "FunctionCallingConfig": {
        "mode": "enum:FunctionCallingConfig.Mode",
        "allowedFunctionNames": "[string]",
    },
    "SafetySetting": {
        "category": "enum:HarmCategory",
        "threshold": "enum:SafetySetting.HarmBlockThreshold",
    },
    "GenerationConfig": {
        "stopSequences": "[string]",
        "responseMimeType": "string",
        "responseSchema": "Schema",
        "responseJsonSchema": "value",
        "responseModalities": "[enum:GenerationConfig.Modality]",
        "candidateCount": "int32",
        "maxOutputTokens": "int32",
        "temperature": "float",
        "topP": "float",
        "topK": "int32",
        "seed": "int32",
        "presencePenalty": "float",
        "frequencyPenalty": "float",
        "responseLogprobs": "bool",
        "logprobs": "int32",
        "enableEnhancedCivicAnswers": "bool",
        "speechConfig": "SpeechConfig",
        "thinkingConfig": "ThinkingConfig",
        "imageConfig": "ImageConfig",
        "mediaResolution": "enum:GenerationConfig.MediaResolution",
    },
    "ThinkingConfig": {
        "includeThoughts": "bool",
        "thinkingBudget": "int32",
        "thinkingLevel": "enum:ThinkingConfig.ThinkingLevel",
    },
    "SpeechConfig": {
        "voiceConfig": "VoiceConfig",
        "multiSpeakerVoiceConfig": "MultiSpeakerVoiceConfig",
        "languageCode": "string",
    },
    "VoiceConfig": {"prebuiltVoiceConfig": "PrebuiltVoiceConfig"},
    "PrebuiltVoiceConfig": {"voiceName": "string"},
    "MultiSpeakerVoiceConfig": {"speakerVoiceConfigs": "[SpeakerVoiceConfig]"},
    "SpeakerVoiceConfig": {"speaker": "string", "voiceConfig": "VoiceConfig"},
    "ImageConfig": {"aspectRatio": "string", "imageSize": "string"},
}


class _Field(NamedTuple):
    proto: str
    """The proto (snake_case) name, used in paths."""
    kind: str
    """``string``... ``value``, ``struct``, ``enum``, ``map``, ``message``."""
    ref: str
    """The enum, message or map value type; empty for scalars."""
    repeated: bool


@cache
def _snake(camel: str) -> str:
    return _CAMEL.sub(r"_\1", camel).lower()


def _field(name: str, spec: str) -> _Field:
    repeated = spec.startswith("[")
    inner = spec[1:-1] if repeated else spec
    kind, _, ref = inner.partition(":")
    if kind not in ("enum", "map") and kind[0].isupper():
        kind, ref = "message", inner
    return _Field(_snake(name), kind, ref, repeated)


def _build() -> dict[str, dict[str, _Field]]:
    tables: dict[str, dict[str, _Field]] = {}
    for message, spec in _SPEC.items():
        table: dict[str, _Field] = {}
        for name, kind in spec.items():
            field = _field(name, kind)
            table[name] = field
            table[field.proto] = field
        tables[message] = table
    return tables


MESSAGES: Mapping[str, Mapping[str, _Field]] = _build()
"""Message name -> accepted key (JSON and proto names) -> field."""

_SCALAR_NAMES = {
    "string": "TYPE_STRING",
    "bytes": "TYPE_BYTES",
    "float": "TYPE_FLOAT",
    "int32": "TYPE_INT32",
    "int64": "TYPE_INT64",
    "bool": "TYPE_BOOL",
}

Violation = tuple[str | None, str]


def _shown(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _invalid(path: str, type_name: str, value: Any) -> Violation:
    return (path, f"Invalid value at '{path}' ({type_name}), {_shown(value)}")


def _number_ok(value: Any, integral: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return not integral or value.is_integer()
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return False
        return not integral or number.is_integer()
    return False


def _scalar(kind: str, value: Any, path: str) -> Violation | None:
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "bytes":
        if isinstance(value, str) and not _B64.match(value):
            shown = value if len(value) <= 40 else value[:37] + "..."
            return (path, f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for "
                    f'"{shown}"')  # fmt: skip
        ok = isinstance(value, str)
    else:
        ok = _number_ok(value, kind != "float")
    return None if ok else _invalid(path, _SCALAR_NAMES[kind], value)


def _value(field: _Field, value: Any, path: str, out: list[Violation], depth: int) -> None:
    kind = field.kind
    if kind == "value":
        return
    if kind == "message":
        if isinstance(value, dict):
            _walk(value, field.ref, path, out, depth + 1)
        else:
            out.append(_invalid(path, _V1BETA + field.ref, value))
    elif kind == "struct":
        if not isinstance(value, dict):
            out.append(_invalid(path, "type.googleapis.com/google.protobuf.Struct", value))
    elif kind == "enum":
        values = _ENUMS[field.ref]
        if not (
            (isinstance(value, str) and value.upper() in values)
            or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
        ):
            out.append(_invalid(path, _V1BETA + field.ref, value))
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(_invalid(path, _V1BETA + field.ref, value))
            return
        for i, item in enumerate(value.values()):
            item_path = f"{path}[{i}].value"
            if field.ref == "string":
                problem = _scalar("string", item, item_path)
                if problem is not None:
                    out.append(problem)
            elif isinstance(item, dict):
                _walk(item, field.ref, item_path, out, depth + 1)
            elif item is not None:
                out.append(_invalid(item_path, _V1BETA + field.ref, item))
    else:
        problem = _scalar(kind, value, path)
        if problem is not None:
            out.append(problem)


def _walk(obj: dict[str, Any], message: str, path: str, out: list[Violation], depth: int) -> None:
    if depth > MAX_DEPTH:
        out.append((path, f"Message nesting at '{path}' exceeds {MAX_DEPTH} levels."))
        return
    table = MESSAGES[message]
    where = f" at '{path}'" if path else ""
    for key, value in obj.items():
        field = table.get(key)
        if field is None:
            out.append((path or None, f'Unknown name "{key}"{where}: Cannot find field.'))
            continue
        if value is None:
            continue
        field_path = f"{path}.{field.proto}" if path else field.proto
        if not field.repeated:
            if isinstance(value, list):
                out.append(
                    (
                        path or None,
                        f'Unknown name "{key}"{where}: Proto field is not repeating, '
                        "cannot start list.",
                    )
                )
            else:
                _value(field, value, field_path, out, depth)
            continue
        if not isinstance(value, list):
            out.append(_invalid(field_path, _list_type(field), value))
            continue
        for i, item in enumerate(value):
            if item is not None:
                _value(field, item, f"{field_path}[{i}]", out, depth)


def _list_type(field: _Field) -> str:
    if field.kind in _SCALAR_NAMES:
        return _SCALAR_NAMES[field.kind]
    return _V1BETA + field.ref


def violations(body: dict[str, Any], message: str, path: str = "") -> list[Violation]:
    """Every parse-time problem of ``body`` read as ``message`` (a key of :data:`MESSAGES`).

    ``path``: where ``body`` sits (``request`` inside a Code Assist envelope), ``""``
    at the top level. Returns ``[]`` when the body parses.
    """
    out: list[Violation] = []
    _walk(body, message, path, out, 0)
    return out
