"""What the proxy sends Gemini for tools: sanitised schemas, tool results as
``functionResponse`` with the right names, and ``tool_choice`` modes (docs/breakages.md
B2, B3, B5), read from the mock's journal."""

from __future__ import annotations

import json
from typing import Any

from ..exchange import Exchange
from ..probes.tooling import TOOL_CHOICES, TOOL_RESULTS
from ..registry import CheckFailure, Mode, Severity, check, excerpt
from ._common import json_object, require_response
from ._refusals import require_accepted
from .upstream import (
    confirm_upstream_success,
    generate_calls,
    json_field,
    request_body,
    upstream_error,
)

__all__ = ["GEMINI_SCHEMA_KEYS", "schema_problems"]

GEMINI_SCHEMA_KEYS = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "maxItems",
        "minItems",
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "anyOf",
        "propertyOrdering",
        "default",
        "items",
        "minimum",
        "maximum",
    }
)
"""Fields of Gemini's ``Schema`` (the OpenAPI subset ``parameters`` and ``responseSchema``
take); anything else is rejected with 400 "Unknown name ..." (docs/breakages.md B2)."""


def schema_problems(schema: Any, path: str = "parameters") -> list[str]:
    """Why ``schema`` is not a Gemini ``Schema``: unknown keywords, type arrays, arrays
    without ``items``; each as ``"path: problem"``."""
    if not isinstance(schema, dict):
        return [f"{path}: not an object"]
    out = []
    for key in schema:
        if key not in GEMINI_SCHEMA_KEYS:
            out.append(f"{path}: unknown keyword {key!r}")
    kind = schema.get("type")
    if isinstance(kind, list):
        out.append(f"{path}: type is an array {kind}")
    elif isinstance(kind, str) and kind.lower() == "array" and "items" not in schema:
        out.append(f"{path}: an array without items")
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            out += schema_problems(sub, f"{path}.properties.{name}")
    if "items" in schema:
        out += schema_problems(schema["items"], f"{path}.items")
    for i, sub in enumerate(schema.get("anyOf") or []):
        out += schema_problems(sub, f"{path}.anyOf[{i}]")
    return out


def _declarations(body: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            decls = json_field(tool, "functionDeclarations")
            out += [d for d in decls or [] if isinstance(d, dict)]
    return out


@check(
    "tools.schema_sanitised",
    title="Tool JSON Schemas reach Gemini without the keywords it rejects",
    severity=Severity.HIGH,
    source=(
        "https://github.com/tashfeenahmed/freellmapi/issues/97; "
        "https://github.com/router-for-me/CLIProxyAPI/issues/97; "
        "https://github.com/cline/cline/issues/7339; docs/gemini-wire.md#a1-request-generatecontent"
    ),
    probes=("tool_schema",),
    mode=Mode.CONTROLLED,
    features=("tools",),
)
def schema_sanitised(x: Exchange) -> str | None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(
            f"a tool with an MCP-style JSON Schema got HTTP {status}", excerpt=excerpt(x.body)
        )
    confirm_upstream_success(x)
    decls = _declarations(request_body(x))
    if not decls:
        raise CheckFailure("the tool never reached the upstream (no functionDeclarations)")
    decl = decls[0]
    legacy = json_field(decl, "parameters")
    if legacy is not None:
        problems = schema_problems(legacy)
        if problems:
            raise CheckFailure(
                "the upstream got `parameters` Gemini rejects: " + "; ".join(problems[:6]),
                excerpt=excerpt(json.dumps(legacy)),
            )
        schema = legacy
    else:
        schema = json_field(decl, "parametersJsonSchema")
        if not isinstance(schema, dict):
            raise CheckFailure("the function declaration has neither parameters nor a schema")
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or "path" not in props:
        raise CheckFailure(
            "the sanitised schema lost the tool's properties", excerpt=excerpt(json.dumps(schema))
        )
    return None if legacy is not None else "sent as parametersJsonSchema (plain JSON Schema)"


@check(
    "tools.result_mapping",
    title="Tool results reach Gemini as functionResponse parts with the called function's name",
    severity=Severity.HIGH,
    source=(
        "https://github.com/NousResearch/hermes-agent/issues/16482; "
        "https://github.com/aiproxer/aiproxer/issues/468; "
        "https://github.com/TanStack/ai/issues/137; "
        "https://ai.google.dev/gemini-api/docs/function-calling"
    ),
    probes=("tool_result",),
    mode=Mode.CONTROLLED,
    features=("tools",),
)
def result_mapping(x: Exchange) -> None:
    """Judges what reached the upstream whenever the proxy sent it on, the client's
    status after that: a wrong name is this check's subject even when the upstream then
    refused the turn (on Gemini 3, for the hand-written history's missing signature)."""
    status = require_response(x)
    if generate_calls(x):
        _judge_results(x)
    if status != 200:
        why = str(upstream_error(x).get("message", ""))
        hint = (
            " (the upstream refused the history's function calls for a missing thought "
            "signature: on Gemini 3 a proxy must add Google's placeholder signature to a "
            "history it did not see, docs/breakages.md B1)"
            if "thought_signature" in why or "thought signature" in why
            else ""
        )
        raise CheckFailure(
            f"a conversation with two tool results got HTTP {status}{hint}",
            excerpt=excerpt(x.body),
        )
    confirm_upstream_success(x)
    _judge_results(x)


def _judge_results(x: Exchange) -> None:
    found: list[tuple[str | None, dict[str, Any]]] = []
    for content in request_body(x).get("contents") or []:
        if not isinstance(content, dict):
            continue
        for part in content.get("parts") or []:
            fr = json_field(part, "functionResponse") if isinstance(part, dict) else None
            if isinstance(fr, dict):
                found.append((content.get("role"), fr))
    if len(found) != len(TOOL_RESULTS):
        raise CheckFailure(
            f"the upstream got {len(found)} functionResponse parts for "
            f"{len(TOOL_RESULTS)} tool messages",
            excerpt=excerpt(json.dumps(request_body(x).get("contents"))[:800]),
        )
    for call_id, (name, text) in TOOL_RESULTS.items():
        match = [(role, fr) for role, fr in found if text in json.dumps(fr, ensure_ascii=False)]
        if not match:
            raise CheckFailure(f"the result of {call_id} ({text!r}) did not reach the upstream")
        role, fr = match[0]
        if fr.get("name") != name:
            raise CheckFailure(
                f"the result of {call_id} (a {name} call) went upstream as functionResponse "
                f"name {fr.get('name')!r}; Gemini pairs results with calls by name",
                excerpt=excerpt(json.dumps(fr)),
            )
        if role not in ("user", "function", None):
            raise CheckFailure(f"the functionResponse for {call_id} is in a {role!r} turn")


def _choice_check(probe: str, choice: Any) -> Any:
    def run(x: Exchange) -> None:
        # a refusal of this standard request is this check's failure (issue 12 item 4)
        require_accepted(x, f"a request with tool_choice {json.dumps(choice)}")
        confirm_upstream_success(x)
        body = request_body(x)
        config = json_field(body, "toolConfig") or {}
        calling = json_field(config, "functionCallingConfig") if isinstance(config, dict) else None
        calling = calling if isinstance(calling, dict) else {}
        mode = str(calling.get("mode", "")).upper()
        names = json_field(calling, "allowedFunctionNames")
        if choice == "none":
            if mode != "NONE" and body.get("tools"):
                raise CheckFailure(
                    f"tool_choice 'none' went upstream as mode {mode or 'unset (AUTO)'} with "
                    "the tools still declared: the model may call them",
                    excerpt=excerpt(json.dumps(config)),
                )
            return
        if mode != "ANY":
            raise CheckFailure(
                f"tool_choice {json.dumps(choice)} went upstream as mode {mode or 'unset (AUTO)'}, "
                "expected ANY: the model may answer without calling a tool",
                excerpt=excerpt(json.dumps(config)),
            )
        answer = json_object(x)
        message = (answer.get("choices") or [{}])[0].get("message") or {}
        calls = message.get("tool_calls") or []
        if isinstance(choice, dict):
            wanted = choice["function"]["name"]
            if names != [wanted]:
                raise CheckFailure(
                    f"tool_choice named {wanted!r} went upstream with allowedFunctionNames "
                    f"{names!r}",
                    excerpt=excerpt(json.dumps(config)),
                )
            called = [c.get("function", {}).get("name") for c in calls if isinstance(c, dict)]
            if called and set(called) != {wanted}:
                raise CheckFailure(f"the answer calls {called}, not only {wanted!r}")
        if not calls:
            raise CheckFailure(
                f"tool_choice {json.dumps(choice)} returned no tool call", excerpt=excerpt(x.body)
            )

    run.__name__ = f"tool_choice_{probe}"
    return run


for _probe, (_choice, _scenario) in TOOL_CHOICES.items():
    check(
        f"tools.{_probe}",
        title=f"tool_choice {json.dumps(_choice)} reaches Gemini as the matching "
        "functionCallingConfig mode",
        severity=Severity.HIGH,  # the client loses the tool call it forced (or forbade)
        source=(
            "https://github.com/mozilla-ai/any-llm/issues/1352; "
            "https://ai.google.dev/gemini-api/docs/function-calling"
        ),
        probes=(_probe,),
        mode=Mode.CONTROLLED,
        features=("tools",),
    )(_choice_check(_probe, _choice))
