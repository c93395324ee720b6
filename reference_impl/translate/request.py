"""OpenAI Chat Completions request -> Gemini ``generateContent`` request. Pure, no I/O.

:func:`translate_request` validates the client's JSON (a 400 :class:`RequestError`
naming the field, never a 500) and builds the Gemini body of docs/gemini-wire.md A1:

- ``system``/``developer`` messages -> ``systemInstruction``; ``user``/``assistant`` ->
  ``contents`` with roles ``user``/``model``; consecutive turns of one role are merged,
  so roles alternate. antigravity2api 'Configuration Options' (``ChatOptions.system_instruction``,
  ``context_system_prompt``): a global ``SYSTEM_INSTRUCTION`` comes first in
  ``systemInstruction``, the client's system messages after it, joined by a blank line;
  with ``useContextSystemPrompt`` false (antigravity2api's documented default, not the proxy's) the
  client's system messages are sent as ``user`` turns where they stand and only the
  global instruction is ``systemInstruction``;
- content as a string or an array of parts (docs/breakages.md F3): ``text``,
  ``image_url`` (``data:`` URL -> ``inlineData``, http(s) -> ``fileData``, F7),
  ``input_audio``, ``file`` (a ``data:`` URL);
- assistant ``tool_calls`` -> ``functionCall`` parts carrying the ``thoughtSignature`` from
  ``extra_content.google.thought_signature`` or from the proxy's own cache (B1); ``tool``
  messages -> ``functionResponse`` parts named after the matching call (B3), consecutive
  ones merged into one user turn in the assistant's call order;
- ``tools`` -> ``functionDeclarations`` with sanitised ``parameters`` (B2);
  ``tool_choice`` -> ``functionCallingConfig`` (B5);
- sampling fields -> ``generationConfig`` (F2, F4, F5, C2): ``n`` -> ``candidateCount``
  (F8), ``stop`` capped at 5 (F5), ``seed``, non-zero penalties, ``response_format`` ->
  ``responseMimeType`` + sanitised ``responseJsonSchema`` (F4; gemini-proxy-deno 'Response Format
  Options'); OpenAI-only fields (``store``, ``metadata``, ``user``,
  ``parallel_tool_calls``...) are ignored (F1).

:class:`ChatOptions` carries a profile's documented behaviour (:mod:`.contract`): a
default model and ``stream``, request defaults for omitted fields (antigravity2api,
newer and older docs: ``temperature``/``top_p``/``top_k``/``max_tokens``), its thinking
rules and gemini-proxy-deno's safety settings (every category ``BLOCK_NONE``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from .content import Remote, tool_result
from .content import parts as content_parts
from .errors import RequestError, json_kind, type_error
from .fields import opt_int
from .schema import sanitize_parameters, sanitize_schema
from .thinking import Rules, model_version, thinking_config

__all__ = ["ChatCall", "ChatOptions", "SignatureLookup", "translate_request"]

SignatureLookup = Callable[[str], str | None]
"""``tool_call_id -> thoughtSignature`` the proxy issued earlier, or ``None``."""

SKIP_SIGNATURE = "skip_thought_signature_validator"
"""Google's documented placeholder for a Gemini 3 function call whose signature is lost."""

_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_MAX_STOP = 5
_LATE = 1 << 30


class ChatCall(NamedTuple):
    """A validated chat request.

    ``model``: the Gemini model id without ``models/``. ``stream``: ``stream`` was true.
    ``include_usage``: ``stream_options.include_usage`` was true. ``request``: the Gemini
    ``GenerateContentRequest`` body (A1). ``n``: choices asked for. ``remote``: the
    ``fileData`` parts of ``request`` whose URL is on this machine (to be inlined).
    (A named tuple: immutable like a frozen dataclass, at half the cost per request.)
    """

    model: str
    stream: bool
    include_usage: bool
    request: dict[str, Any]
    n: int = 1
    remote: tuple[dict[str, Any], ...] = ()


_NO_DEFAULTS: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """A profile's documented chat behaviour (see :mod:`reference_impl.contract`).

    ``default_model``: used when ``model`` is absent (``None``: ``model`` is required).
    ``stream_default``: ``stream`` when absent (gemini-cli-proxy: true). ``defaults``:
    request fields applied when absent. ``thinking``: the document's thinking rules. ``safety_off``:
    send every gemini-proxy-deno category with ``BLOCK_NONE``. ``system_instruction`` and
    ``context_system_prompt``: antigravity2api 'Configuration Options' (see the module docstring).
    """

    default_model: str | None = None
    stream_default: bool = False
    defaults: Mapping[str, object] = field(default_factory=lambda: _NO_DEFAULTS)
    thinking: Rules | None = None
    safety_off: bool = False
    safety_categories: tuple[str, ...] = ()
    system_instruction: str = ""
    """002 ``SYSTEM_INSTRUCTION``: a global system prompt, first in ``systemInstruction``."""
    context_system_prompt: bool = True
    """002 ``other.useContextSystemPrompt``: the client's ``system``/``developer``
    messages go to ``systemInstruction`` (after :attr:`system_instruction`). ``False``
    sends them as ``user`` turns, as antigravity2api does by default; the proxy keeps ``True`` by
    default so that a client's system prompt stays a system prompt."""


DEFAULT_OPTIONS = ChatOptions()


def _opt_number(body: dict[str, Any], key: str) -> float | int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise type_error(key, "a number", value)
    return value


def _opt_bool(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise type_error(key, "a boolean", value)
    return value


# ----------------------------------------------------------------------------- messages


class _Builder:
    """Accumulates ``contents`` so that consecutive turns of one role merge."""

    __slots__ = (
        "call_names",
        "call_order",
        "contents",
        "pending",
        "remote",
        "system",
        "system_texts",
    )

    def __init__(self) -> None:
        self.remote: Remote = []
        self.contents: list[dict[str, Any]] = []
        self.system: list[dict[str, Any]] = []
        self.system_texts: list[str] = []
        """The text of each system message (to join with a global instruction)."""
        self.call_names: dict[str, str] = {}
        self.call_order: dict[str, int] = {}
        self.pending: list[tuple[int, int, dict[str, Any]]] = []

    def push(self, role: str, parts: list[dict[str, Any]]) -> None:
        if not parts:
            return
        if self.contents and self.contents[-1]["role"] == role:
            self.contents[-1]["parts"].extend(parts)
        else:
            self.contents.append({"role": role, "parts": parts})

    def flush_tools(self) -> None:
        if self.pending:
            self.pending.sort(key=lambda item: (item[0], item[1]))
            self.push("user", [part for _, _, part in self.pending])
            self.pending = []


def _signature(call: dict[str, Any]) -> str | None:
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, dict) else None
    sig = google.get("thought_signature") if isinstance(google, dict) else None
    return sig if isinstance(sig, str) and sig else None


def _arguments(raw: object, param: str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, str):
        raise type_error(param, "a JSON string", raw)
    try:
        args = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(f"{param} is not valid JSON", param=param) from None
    if not isinstance(args, dict):
        raise RequestError(f"{param} must encode a JSON object; got {json_kind(args)}", param=param)
    return args


def _assistant(
    b: _Builder, msg: dict[str, Any], param: str, lookup: SignatureLookup | None, gemini3: bool
) -> None:
    parts = content_parts(msg.get("content"), f"{param}.content", media=False)
    calls = msg.get("tool_calls")
    legacy = msg.get("function_call")
    if calls is None and isinstance(legacy, dict):  # the pre-tools form: one call, no id
        calls = [{"function": legacy}]
        places = [(f"{param}.function_call", f"{param}.function_call")]
    else:
        if calls is not None and not isinstance(calls, list):
            raise type_error(f"{param}.tool_calls", "an array", calls)
        places = [
            (f"{param}.tool_calls[{j}]", f"{param}.tool_calls[{j}].function")
            for j in range(len(calls or ()))
        ]
    order: dict[str, int] = {}
    for j, (call, (where, fn_where)) in enumerate(zip(calls or (), places, strict=True)):
        if not isinstance(call, dict):
            raise type_error(where, "an object", call)
        fn = call.get("function")
        if not isinstance(fn, dict):
            raise type_error(fn_where, "an object", fn)
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            raise type_error(f"{fn_where}.name", "a non-empty string", name)
        call_id = call.get("id")
        if call_id is not None and not isinstance(call_id, str):
            raise type_error(f"{where}.id", "a string", call_id)
        args = _arguments(fn.get("arguments"), f"{fn_where}.arguments")
        fc: dict[str, Any] = {"name": name, "args": args}
        part: dict[str, Any] = {"functionCall": fc}
        sig = _signature(call)
        if call_id:
            fc["id"] = call_id
            b.call_names[call_id] = name
            order[call_id] = j
            if sig is None and lookup is not None:
                sig = lookup(call_id)
        if sig is None and gemini3 and j == 0:
            sig = SKIP_SIGNATURE
        if sig is not None:
            part["thoughtSignature"] = sig
        parts.append(part)
    if order:
        b.call_order = order
    b.push("model", parts)


def _tool(b: _Builder, msg: dict[str, Any], param: str, role: str) -> None:
    if role == "function":
        call_id = None
        name = msg.get("name")
        if not isinstance(name, str) or not name:
            raise type_error(f"{param}.name", "a non-empty string", name)
    else:
        call_id = msg.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise type_error(f"{param}.tool_call_id", "a non-empty string", call_id)
        name = b.call_names.get(call_id) or msg.get("name")
        if not isinstance(name, str) or not name:
            raise RequestError(
                f"{param}.tool_call_id {call_id!r} does not match a tool call of a preceding "
                "assistant message",
                param=f"{param}.tool_call_id",
            )
    response, media = tool_result(msg.get("content"), f"{param}.content", b.remote)
    fr: dict[str, Any] = {"name": name, "response": response}
    if call_id:
        fr["id"] = call_id
    rank = b.call_order.get(call_id, _LATE - 1) if call_id else _LATE - 1
    seq = len(b.pending)
    b.pending.append((rank, seq, {"functionResponse": fr}))
    for part in media:
        b.pending.append((_LATE, len(b.pending), part))


def _messages(
    messages: object, lookup: SignatureLookup | None, gemini3: bool, context_system: bool = True
) -> _Builder:
    if messages is None:
        raise RequestError(
            "messages is required", param="messages", code="missing_required_parameter"
        )
    if not isinstance(messages, list):
        raise type_error("messages", "an array", messages)
    if not messages:
        raise RequestError("messages must not be empty", param="messages")
    b = _Builder()
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        content = msg.get("content") if role is not None else None
        if type(content) is str and (
            role == "user"
            or (role == "assistant" and "tool_calls" not in msg and "function_call" not in msg)
        ):  # the usual turn, a plain string: what parts() and _assistant() make of it
            b.flush_tools()
            if content:
                b.push("user" if role == "user" else "model", [{"text": content}])
            continue
        param = f"messages[{i}]"
        if not isinstance(msg, dict):
            raise type_error(param, "an object", msg)
        if role not in _ROLES:
            raise RequestError(
                f"{param}.role must be one of {', '.join(_ROLES)}; got {role!r}",
                param=f"{param}.role",
            )
        if role in ("tool", "function"):
            _tool(b, msg, param, role)
            continue
        b.flush_tools()
        if role in ("system", "developer"):
            found = content_parts(msg.get("content"), f"{param}.content", media=False)
            if not context_system:  # antigravity2api useContextSystemPrompt false: an ordinary turn
                b.push("user", found)
                continue
            b.system.extend(found)
            text = "".join(p["text"] for p in found if isinstance(p.get("text"), str)).strip()
            if text:
                b.system_texts.append(text)
        elif role == "user":
            b.push(
                "user",
                content_parts(msg.get("content"), f"{param}.content", media=True, remote=b.remote),
            )
        else:
            _assistant(b, msg, param, lookup, gemini3)
    b.flush_tools()
    if not b.contents:
        if not b.system:
            raise RequestError(
                "messages must contain a user or assistant message with content",
                param="messages",
            )
        b.contents = [{"role": "user", "parts": b.system}]
        b.system, b.system_texts = [], []
    return b


def _system_instruction(b: _Builder, global_text: str) -> dict[str, Any] | None:
    """``systemInstruction``: the client's system parts as they are; with a global
    instruction, one text: the global first, then each system message, joined by a
    blank line (antigravity2api 'Configuration Options', ``useContextSystemPrompt``)."""
    head = global_text.strip()
    if not head:
        return {"parts": b.system} if b.system else None
    return {"parts": [{"text": "\n\n".join([head, *b.system_texts])}]}


# ----------------------------------------------------------------------------- tools


def _tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    tools = body.get("tools")
    key = "tools"
    if tools is None and body.get("functions") is not None:
        tools = [{"type": "function", "function": f} for f in body["functions"] or ()]
        key = "functions"
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise type_error(key, "an array", tools)
    decls: list[dict[str, Any]] = []
    for k, tool in enumerate(tools):
        where = f"{key}[{k}]"
        if not isinstance(tool, dict):
            raise type_error(where, "an object", tool)
        if tool.get("type", "function") != "function":
            raise RequestError(
                f"{where}.type must be 'function'; got {tool.get('type')!r}", param=f"{where}.type"
            )
        fn = tool.get("function")
        if not isinstance(fn, dict):
            raise type_error(f"{where}.function", "an object", fn)
        name = fn.get("name")
        if not isinstance(name, str) or not name:
            raise type_error(f"{where}.function.name", "a non-empty string", name)
        decl: dict[str, Any] = {"name": name}
        description = fn.get("description")
        if isinstance(description, str) and description:
            decl["description"] = description
        params = fn.get("parameters")
        if params is not None:
            if not isinstance(params, dict):
                raise type_error(f"{where}.function.parameters", "a JSON Schema object", params)
            cleaned = sanitize_parameters(params)
            if cleaned is not None:
                decl["parameters"] = cleaned
        decls.append(decl)
    return decls


def _tool_config(body: dict[str, Any], decls: list[dict[str, Any]]) -> dict[str, Any] | None:
    key = "tool_choice"
    choice = body.get(key)
    if choice is None and body.get("function_call") is not None:
        key, choice = "function_call", body["function_call"]
    if choice is None:
        return None
    names = [d["name"] for d in decls]
    if isinstance(choice, str):
        mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "any": "ANY"}.get(choice)
        if mode is None:
            raise RequestError(
                f"{key} must be auto, none, required or a function; got {choice!r}", param=key
            )
        if mode == "ANY" and not decls:
            raise RequestError(f"{key} {choice!r} needs tools", param=key)
        return {"functionCallingConfig": {"mode": mode}} if decls else None
    if not isinstance(choice, dict):
        raise type_error(key, "a string or an object", choice)
    if choice.get("type") == "allowed_tools":
        allowed = choice.get("allowed_tools")
        if not isinstance(allowed, dict) or not isinstance(allowed.get("tools"), list):
            raise type_error(f"{key}.allowed_tools", "an object with tools", allowed)
        wanted = [
            t["function"]["name"]
            for t in allowed["tools"]
            if isinstance(t, dict)
            and isinstance(t.get("function"), dict)
            and isinstance(t["function"].get("name"), str)
        ]
        mode = "ANY" if allowed.get("mode") == "required" else "AUTO"
        kept = [n for n in names if n in wanted]
        if not kept:
            raise RequestError(f"{key}.allowed_tools names no declared tool", param=key)
        return {"functionCallingConfig": {"mode": mode, "allowedFunctionNames": kept}}
    fn = choice.get("function") if key == "tool_choice" else choice
    name = fn.get("name") if isinstance(fn, dict) else None
    if not isinstance(name, str) or name not in names:
        raise RequestError(f"{key} names a function that is not in tools: {name!r}", param=key)
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}


# ----------------------------------------------------------------------------- config


def _stop(body: dict[str, Any]) -> list[str] | None:
    stop = body.get("stop")
    if stop is None:
        return None
    if isinstance(stop, str):
        return [stop] if stop else None
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise type_error("stop", "a string or an array of strings", stop)
    kept = [s for s in stop if s][:_MAX_STOP]
    return kept or None


def _response_format(body: dict[str, Any], config: dict[str, Any]) -> None:
    fmt = body.get("response_format")
    if fmt is None:
        return
    if not isinstance(fmt, dict):
        raise type_error("response_format", "an object", fmt)
    kind = fmt.get("type")
    if kind == "text":
        return
    if kind == "json_object":
        config["responseMimeType"] = "application/json"
        return
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict):
            raise type_error("response_format.json_schema", "an object", spec)
        config["responseMimeType"] = "application/json"
        schema = spec.get("schema")
        if schema is not None:
            if not isinstance(schema, dict):
                raise type_error("response_format.json_schema.schema", "an object", schema)
            config["responseJsonSchema"] = sanitize_schema(schema, dialect="jsonschema")
        return
    raise RequestError(
        f"response_format.type must be text, json_object or json_schema; got {kind!r}",
        param="response_format.type",
    )


_SAMPLING = frozenset(
    (
        "temperature",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
        "top_k",
        "n",
        "max_tokens",
        "max_completion_tokens",
        "seed",
    )
)
"""The fields :func:`_sampling` reads (most requests send none of them)."""


def _generation_config(body: dict[str, Any], model: str, rules: Rules | None) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if not body.keys().isdisjoint(_SAMPLING):
        _sampling(body, config)
    stop = _stop(body)
    if stop:
        config["stopSequences"] = stop
    _response_format(body, config)
    effort = body.get("reasoning_effort")
    if effort is not None and not isinstance(effort, str):
        raise type_error("reasoning_effort", "a string", effort)
    thinking = thinking_config(model, effort, opt_int(body, "thinking_budget", None, -1), rules)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def _sampling(body: dict[str, Any], config: dict[str, Any]) -> None:
    for key, name in (("temperature", "temperature"), ("top_p", "topP")):
        value = _opt_number(body, key)
        if value is not None:
            config[name] = value
    for key, name in (
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
    ):
        value = _opt_number(body, key)
        if value:  # 0 is OpenAI's default; some Gemini models reject any penalty field
            config[name] = value
    top_k = opt_int(body, "top_k", None, 1)
    if top_k is not None:
        config["topK"] = top_k
    n = opt_int(body, "n", None, 1)
    if n is not None:
        config["candidateCount"] = n
    max_tokens = opt_int(body, "max_tokens", None, 1)
    max_completion = opt_int(body, "max_completion_tokens", None, 1)
    if max_completion is not None or max_tokens is not None:
        config["maxOutputTokens"] = max_completion if max_completion is not None else max_tokens
    seed = opt_int(body, "seed", None)
    if seed is not None:
        config["seed"] = seed


def translate_request(
    body: object,
    *,
    signatures: SignatureLookup | None = None,
    options: ChatOptions = DEFAULT_OPTIONS,
) -> ChatCall:
    """Validate an OpenAI chat request (parsed JSON) and build the Gemini request.

    ``signatures`` looks up a ``thoughtSignature`` by ``tool_call_id`` for calls whose
    client dropped ``extra_content`` (B1). ``options``: the profile's behaviour. Raises
    :class:`RequestError` (HTTP 400, ``param`` naming the field) for anything that does
    not validate; unknown fields are ignored (F1).
    """
    if not isinstance(body, dict):
        raise RequestError(
            f"the request body must be a JSON object; got {json_kind(body)}",
            param=None,
            code="invalid_type",
        )
    if options.defaults:
        body = {**options.defaults, **{k: v for k, v in body.items() if v is not None}}
    model = body.get("model")
    if model is None:
        model = options.default_model
    if model is None:
        raise RequestError("model is required", param="model", code="missing_required_parameter")
    if not isinstance(model, str):
        raise type_error("model", "a string", model)
    model = model.removeprefix("models/")
    if not _MODEL_RE.match(model):
        raise RequestError(f"model is not a valid model id: {model!r}", param="model")
    stream = _opt_bool(body, "stream") if "stream" in body else options.stream_default
    stream_options = body.get("stream_options")
    if stream_options is not None and not isinstance(stream_options, dict):
        raise type_error("stream_options", "an object", stream_options)
    include_usage = bool(stream_options and stream_options.get("include_usage") is True)
    gemini3 = model_version(model)[0] >= 3
    built = _messages(body.get("messages"), signatures, gemini3, options.context_system_prompt)
    remote = built.remote
    request: dict[str, Any] = {"contents": built.contents}
    system = _system_instruction(built, options.system_instruction)
    if system is not None:
        request["systemInstruction"] = system
    decls = _tools(body)
    if decls:
        request["tools"] = [{"functionDeclarations": decls}]
    tool_config = _tool_config(body, decls)
    if tool_config is not None:
        request["toolConfig"] = tool_config
    if options.safety_off:
        request["safetySettings"] = [
            {"category": c, "threshold": "BLOCK_NONE"} for c in options.safety_categories
        ]
    config = _generation_config(body, model, options.thinking)
    if config:
        request["generationConfig"] = config
    return ChatCall(
        model=model,
        stream=stream,
        include_usage=include_usage,
        request=request,
        n=config.get("candidateCount", 1),
        remote=tuple(remote),
    )
