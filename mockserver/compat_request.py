"""Google's OpenAI-compatible endpoint, request side: Chat Completions -> Gemini (pure).

``POST /v1beta/openai/chat/completions`` takes an OpenAI body (docs/openai-wire.md B1) and
the mock answers it with the same generation logic as ``generateContent``; this module
turns the body into the GenerateContentRequest that logic reads (A1):

- ``system``/``developer`` messages -> ``systemInstruction``; ``user`` -> ``user``
  contents (``text``, ``image_url`` data URLs -> ``inlineData``, other URLs ->
  ``fileData``, ``input_audio`` -> ``inlineData``); ``assistant`` -> ``model`` contents
  (``tool_calls`` -> ``functionCall`` with ``extra_content.google.thought_signature``
  -> ``thoughtSignature``); consecutive ``tool`` messages -> one ``user`` content of
  ``functionResponse`` parts, named after the call their ``tool_call_id`` answers
  (else their ``name``; neither is a 400, as Google insists, docs/breakages.md B3);
- ``tools`` -> ``functionDeclarations`` (``parametersJsonSchema``), ``tool_choice`` ->
  ``functionCallingConfig`` (none/auto/required -> NONE/AUTO/ANY, a named function ->
  ANY + ``allowedFunctionNames``);
- ``temperature``, ``top_p``, ``n``, ``seed``, penalties, ``max_completion_tokens`` (or
  ``max_tokens``), ``stop`` (string or list), ``response_format`` (``json_object``,
  ``json_schema``), ``reasoning_effort`` (:data:`THINKING_BUDGETS`, ``thinkingLevel``
  on gemini-3) and ``extra_body.google.thinking_config`` -> ``generationConfig``.

Unknown top-level fields are Google's 400 (``Unknown name "store": Cannot find field.``,
docs/breakages.md F1), listed all at once; the translated request is then validated like
a ``generateContent`` body. Every problem raises GoogleError 400.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from mockserver import errors
from mockserver.request import validate_generate

__all__ = ["ALLOWED_FIELDS", "THINKING_BUDGETS", "CompatRequest", "parse_chat"]

ALLOWED_FIELDS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "n",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "tools",
        "tool_choice",
        "response_format",
        "reasoning_effort",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "extra_body",
    }
)
"""Top-level Chat Completions fields the endpoint takes; others are a 400."""
THINKING_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
"""``reasoning_effort`` -> ``thinkingBudget`` (gemini-2.x)."""
_LEVELS = {"minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "none": "LOW"}


class CompatRequest(NamedTuple):
    """A translated chat request: the ``model`` name as sent, the Gemini ``body``, and
    whether to ``stream``."""

    model: str
    body: dict[str, Any]
    stream: bool


def _bad(path: str, message: str) -> errors.GoogleError:
    return errors.invalid_argument(f"Invalid value at '{path}': {message}")


def _text_parts(content: Any, path: str, *, media: bool) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if content is None:
        return []
    if not isinstance(content, list):
        raise _bad(path, "content must be a string or an array of content parts")
    parts: list[dict[str, Any]] = []
    for i, item in enumerate(content):
        where = f"{path}[{i}]"
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text" and isinstance(item.get("text"), str):
            parts.append({"text": item["text"]})
        elif media and kind == "image_url":
            parts.append(_image(item.get("image_url"), where))
        elif media and kind == "input_audio" and isinstance(item.get("input_audio"), dict):
            audio = item["input_audio"]
            mime = f"audio/{audio.get('format', 'wav')}"
            parts.append({"inlineData": {"mimeType": mime, "data": str(audio.get("data", ""))}})
        else:
            raise _bad(where, f"unsupported content part type {kind!r}")
    return parts


def _image(image: Any, path: str) -> dict[str, Any]:
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        raise _bad(f"{path}.image_url.url", "an image URL is required")
    if url.startswith("data:"):
        header, comma, data = url[5:].partition(",")
        if not comma or not header.endswith(";base64"):
            raise _bad(f"{path}.image_url.url", "data URLs must be base64 encoded")
        return {"inlineData": {"mimeType": header[: -len(";base64")], "data": data}}
    mime = "image/png" if url.lower().endswith(".png") else "image/jpeg"
    return {"fileData": {"mimeType": mime, "fileUri": url}}


def _tool_calls(calls: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(calls, list):
        raise _bad(path, "tool_calls must be an array")
    parts: list[dict[str, Any]] = []
    for i, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise _bad(f"{path}[{i}].function.name", "a function name is required")
        raw = function.get("arguments") or "{}"
        try:
            args = orjson.loads(raw) if isinstance(raw, str) else raw
        except orjson.JSONDecodeError:
            raise _bad(f"{path}[{i}].function.arguments", "arguments are not valid JSON") from None
        if not isinstance(args, dict):
            raise _bad(f"{path}[{i}].function.arguments", "arguments must be a JSON object")
        fc: dict[str, Any] = {"name": function["name"], "args": args}
        part: dict[str, Any] = {"functionCall": fc}
        extra = call.get("extra_content")
        google = extra.get("google") if isinstance(extra, dict) else None
        if isinstance(google, dict) and isinstance(google.get("thought_signature"), str):
            part["thoughtSignature"] = google["thought_signature"]
        parts.append(part)
    return parts


def _messages(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not isinstance(messages, list) or not messages:
        raise errors.invalid_argument("Invalid value at 'messages': messages must be non-empty")
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for i, message in enumerate(messages):
        path = f"messages[{i}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            system += _text_parts(message.get("content"), f"{path}.content", media=False)
        elif role == "user":
            parts = _text_parts(message.get("content"), f"{path}.content", media=True)
            contents.append({"role": "user", "parts": parts or [{"text": ""}]})
        elif role == "assistant":
            parts = _text_parts(message.get("content"), f"{path}.content", media=False)
            calls = message.get("tool_calls")
            if calls:
                parts += _tool_calls(calls, f"{path}.tool_calls")
                for call, part in zip(calls, parts[-len(calls) :], strict=True):
                    if isinstance(call, dict) and isinstance(call.get("id"), str):
                        names[call["id"]] = part["functionCall"]["name"]
            contents.append({"role": "model", "parts": parts or [{"text": ""}]})
        elif role == "tool":
            part = _tool_result(message, path, names)
            last = contents[-1] if contents else None
            if (
                last is not None
                and last["role"] == "user"
                and "functionResponse" in last["parts"][0]
            ):
                last["parts"].append(part)
            else:
                contents.append({"role": "user", "parts": [part]})
        else:
            raise _bad(f"{path}.role", f"unknown role {role!r}")
    return system, contents


def _tool_result(message: dict[str, Any], path: str, names: dict[str, str]) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    name = names.get(call_id) if isinstance(call_id, str) else None
    name = name or message.get("name")
    if not isinstance(name, str) or not name:
        raise _bad(f"{path}.name", "function_response.name: Name cannot be empty.")
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return {"functionResponse": {"name": name, "response": {"result": content}}}


def _tools(tools: Any, choice: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    decls = []
    for i, tool in enumerate(tools if isinstance(tools, list) else ()):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise _bad(f"tools[{i}].function.name", "a function name is required")
        decl: dict[str, Any] = {"name": function["name"]}
        if isinstance(function.get("description"), str):
            decl["description"] = function["description"]
        if function.get("parameters") is not None:
            decl["parametersJsonSchema"] = function["parameters"]
        decls.append(decl)
    if decls:
        out["tools"] = [{"functionDeclarations": decls}]
    if isinstance(choice, str):
        modes = {"none": "NONE", "auto": "AUTO", "required": "ANY"}
        if choice not in modes:
            raise _bad("tool_choice", f"unknown tool_choice {choice!r}")
        out["toolConfig"] = {"functionCallingConfig": {"mode": modes[choice]}}
    elif isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str):
            raise _bad("tool_choice.function.name", "a function name is required")
        config = {"mode": "ANY", "allowedFunctionNames": [name]}
        out["toolConfig"] = {"functionCallingConfig": config}
    return out


def _number(body: dict[str, Any], name: str, integral: bool) -> Any:
    value = body.get(name)
    ok = isinstance(value, int) if integral else isinstance(value, int | float)
    if value is not None and (isinstance(value, bool) or not ok):
        raise _bad(name, f"must be {'an integer' if integral else 'a number'}; got {value!r}")
    return value


def _generation_config(body: dict[str, Any], model: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name, key, integral in (
        ("temperature", "temperature", False),
        ("top_p", "topP", False),
        ("n", "candidateCount", True),
        ("seed", "seed", True),
        ("presence_penalty", "presencePenalty", False),
        ("frequency_penalty", "frequencyPenalty", False),
        ("max_tokens", "maxOutputTokens", True),
        ("max_completion_tokens", "maxOutputTokens", True),
    ):
        value = _number(body, name, integral)
        if value is not None:
            config[key] = value
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise _bad("stop", "stop must be a string or an array of strings")
        config["stopSequences"] = stops
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
        spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
        schema = spec.get("schema") if kind == "json_schema" and isinstance(spec, dict) else None
        if schema is not None:
            config["responseJsonSchema"] = schema
    elif fmt is not None and kind != "text":
        raise _bad("response_format.type", f"unknown response format {kind!r}")
    thinking: dict[str, Any] = {}
    effort = body.get("reasoning_effort")
    if effort is not None:
        if not isinstance(effort, str) or effort not in THINKING_BUDGETS:
            raise _bad("reasoning_effort", f"unknown reasoning_effort {effort!r}")
        if model.removeprefix("models/").startswith("gemini-3"):
            thinking["thinkingLevel"] = _LEVELS[effort]
        else:
            thinking["thinkingBudget"] = THINKING_BUDGETS[effort]
    extra = body.get("extra_body")
    google = extra.get("google") if isinstance(extra, dict) else None
    given = google.get("thinking_config") if isinstance(google, dict) else None
    if isinstance(given, dict):
        if isinstance(given.get("include_thoughts"), bool):
            thinking["includeThoughts"] = given["include_thoughts"]
        if isinstance(given.get("thinking_budget"), int):
            thinking["thinkingBudget"] = given["thinking_budget"]
    if thinking:
        config["thinkingConfig"] = thinking
    return config


def parse_chat(body: Any) -> CompatRequest:
    """Translate a Chat Completions body (see the module docstring); raises GoogleError."""
    if not isinstance(body, dict):
        raise errors.invalid_json('Unknown name "": Root element must be a message.')
    unknown = [
        (None, f'Unknown name "{key}": Cannot find field.')
        for key in body
        if key not in ALLOWED_FIELDS
    ]
    if unknown:
        raise errors.invalid_json_all(unknown)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise errors.invalid_argument("Invalid value at 'model': model is required")
    system, contents = _messages(body.get("messages"))
    if not contents:
        contents = [{"role": "user", "parts": [{"text": ""}]}]
    out: dict[str, Any] = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": system}
    out.update(_tools(body.get("tools"), body.get("tool_choice")))
    config = _generation_config(body, model)
    if config:
        out["generationConfig"] = config
    validate_generate(out)  # what passed through unchecked (schemas, budgets) must parse too
    return CompatRequest(model, out, body.get("stream") is True)
