"""Request translation (controlled mode): what the proxy sent upstream, read from the
mock's journal (docs/breakages.md F2, F5, G3; docs/gemini-wire.md A1)."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from ..exchange import Exchange
from ..probes.params import (
    DEVELOPER_PROMPT,
    IMAGE_PNG,
    LEGACY_MAX_TOKENS,
    PARAMS,
    SYSTEM_PROMPT,
    SYSTEM_PROMPTS,
)
from ..registry import CheckFailure, Mode, NotApplicable, Severity, Undecided, check, excerpt
from ._common import require_response
from ._refusals import require_accepted
from .errors import check_envelope
from .tool_requests import schema_problems
from .upstream import (
    client_key_places,
    credential_fingerprint,
    generate_calls,
    generation_config,
    json_field,
    last_generate,
    normalise,
    request_body,
)

__all__ = ["credential_fingerprint"]

GEMINI_REQUEST = "docs/gemini-wire.md#a1-request-generatecontent"
"""What Gemini's request body holds (generationConfig, systemInstruction, ...)."""


def _texts(content: Any) -> str:
    if not isinstance(content, dict):
        return ""
    parts = content.get("parts")
    return (
        " ".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))
        if isinstance(parts, list)
        else ""
    )


def _close(a: Any, b: Any) -> bool:
    return (
        isinstance(a, int | float) and not isinstance(a, bool) and math.isclose(a, b, rel_tol=1e-6)
    )


@check(
    "translate.max_completion_tokens",
    title="max_completion_tokens reaches Gemini as generationConfig.maxOutputTokens",
    severity=Severity.HIGH,
    source=(
        "https://github.com/0xzr/freellmpool/issues/93; "
        "https://platform.openai.com/docs/api-reference/chat/create"
    ),
    probes=("max_completion_tokens",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def max_completion_tokens(x: Exchange) -> None:
    require_accepted(x, f"max_completion_tokens {PARAMS['max_completion_tokens']}")
    config = generation_config(x)
    got = config.get("maxOutputTokens", config.get("max_output_tokens"))
    if got != PARAMS["max_completion_tokens"]:
        raise CheckFailure(
            f"the client sent max_completion_tokens={PARAMS['max_completion_tokens']}, "
            f"the upstream got maxOutputTokens={got!r}",
            excerpt=excerpt(str(config)),
        )


@check(
    "translate.max_tokens",
    title="max_tokens (the older name of max_completion_tokens) reaches Gemini as "
    "generationConfig.maxOutputTokens",
    severity=Severity.HIGH,
    source=(
        "https://github.com/router-for-me/CLIProxyAPI/issues/4108; "
        "https://github.com/router-for-me/CLIProxyAPI/issues/2984; "
        "https://platform.openai.com/docs/api-reference/chat/create#chat-create-max_tokens; "
        "docs/breakages.md#f2-max_completion_tokens-ignored"
    ),
    probes=("max_tokens_legacy",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def max_tokens(x: Exchange) -> None:
    require_accepted(x, f"max_tokens {LEGACY_MAX_TOKENS}")
    config = generation_config(x)
    got = config.get("maxOutputTokens")
    if got != LEGACY_MAX_TOKENS:
        raise CheckFailure(
            f"the client sent max_tokens={LEGACY_MAX_TOKENS}, the upstream got "
            f"maxOutputTokens={got!r}: the answer is not capped, and costs what the client "
            "meant to bound",
            excerpt=excerpt(str(config)),
        )


@check(
    "translate.sampling",
    title="temperature and top_p reach Gemini as generationConfig.temperature / topP",
    severity=Severity.MEDIUM,
    source=f"https://ai.google.dev/api/generate-content; {GEMINI_REQUEST}",
    probes=("sampling",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def sampling(x: Exchange) -> None:
    require_accepted(x, f"temperature {PARAMS['temperature']} with top_p {PARAMS['top_p']}")
    config = generation_config(x)
    temperature = config.get("temperature")
    top_p = config.get("topP", config.get("top_p"))
    if not _close(temperature, PARAMS["temperature"]) or not _close(top_p, PARAMS["top_p"]):
        raise CheckFailure(
            f"sent temperature={PARAMS['temperature']}, top_p={PARAMS['top_p']}; upstream got "
            f"temperature={temperature!r}, topP={top_p!r}",
            excerpt=excerpt(str(config)),
        )


@check(
    "translate.stop",
    title="stop reaches Gemini as generationConfig.stopSequences",
    severity=Severity.MEDIUM,
    source=f"https://github.com/QuantumNous/new-api/issues/2777; {GEMINI_REQUEST}",
    probes=("stop",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def stop(x: Exchange) -> None:
    require_accepted(x, f"stop {PARAMS['stop']}")
    config = generation_config(x)
    got = config.get("stopSequences", config.get("stop_sequences"))
    if got != PARAMS["stop"]:
        raise CheckFailure(
            f"sent stop={PARAMS['stop']}, upstream got stopSequences={got!r}",
            excerpt=excerpt(str(config)),
        )


@check(
    "translate.system_instruction",
    title="The system message reaches Gemini as systemInstruction",
    severity=Severity.MEDIUM,
    source=(
        f"https://ai.google.dev/api/generate-content; {GEMINI_REQUEST}; "
        "docs/profiles.md#antigravity2api"
    ),
    probes=("system_prompt",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def system_instruction(x: Exchange) -> None:
    require_accepted(x, "a request with a system message")
    body = request_body(x)
    instruction = body.get("systemInstruction", body.get("system_instruction"))
    if normalise(SYSTEM_PROMPT) not in normalise(_texts(instruction)):
        in_contents = any(
            normalise(SYSTEM_PROMPT) in normalise(_texts(c)) for c in body.get("contents") or []
        )
        where = "it was sent as a conversation turn instead" if in_contents else "it was dropped"
        raise CheckFailure(
            f"the system message is not in systemInstruction: {where}",
            excerpt=excerpt(str(instruction)),
        )


@check(
    "translate.every_system_message",
    title="Every system message reaches Gemini, not only the last",
    severity=Severity.HIGH,
    source=(
        "https://github.com/decolua/9router/issues/3972; "
        "https://github.com/microsoft/autogen/issues/6117; "
        "https://github.com/everruns/everruns/issues/2257; "
        "docs/breakages.md#f11-several-system-messages"
    ),
    probes=("system_prompts",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def every_system_message(x: Exchange) -> None:
    """Both system messages' texts, in ``systemInstruction`` or the turns (where
    ``translate.system_instruction`` judges the place): a proxy that writes each system
    message over the last keeps only the last, and the agent loses its persona or its
    context without a word."""
    require_accepted(x, "a request with two system messages")
    body = request_body(x)
    sent = " ".join(
        _texts(c)
        for c in (
            body.get("systemInstruction", body.get("system_instruction")),
            *(body.get("contents") or []),
        )
    )
    lost = [text for text in SYSTEM_PROMPTS if normalise(text) not in normalise(sent)]
    if lost:
        raise CheckFailure(
            f"{len(lost)} of {len(SYSTEM_PROMPTS)} system messages never reached Gemini "
            f"(first lost: {lost[0]!r}): a proxy that keeps one system message drops the rest",
            excerpt=excerpt(json.dumps(body.get("systemInstruction"))[:400]),
        )


DEVELOPER_SOURCE = (
    "https://platform.openai.com/docs/api-reference/chat/create#chat-create-messages; "
    "https://github.com/router-for-me/CLIProxyAPI/pull/850; "
    "https://github.com/router-for-me/CLIProxyAPI/issues/2791; "
    "docs/breakages.md#f9-the-developer-role"
)


@check(
    "translate.developer_role",
    title="A developer message (OpenAI's newer name for the system role) is accepted and "
    "reaches Gemini as systemInstruction",
    severity=Severity.HIGH,
    source=DEVELOPER_SOURCE,
    probes=("developer_role",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def developer_role(x: Exchange) -> str | None:
    require_accepted(x, "a request with a developer message")
    body = request_body(x)
    if normalise(DEVELOPER_PROMPT) in normalise(_texts(body.get("systemInstruction"))):
        return None
    turns = [
        c for c in body.get("contents") or [] if normalise(DEVELOPER_PROMPT) in normalise(_texts(c))
    ]
    role = turns[0].get("role") if turns and isinstance(turns[0], dict) else None
    if role == "model":
        raise CheckFailure(
            "the developer message reached Gemini as a 'model' turn: the instructions read "
            "as the model's own earlier words, not as the developer's, and the model need "
            "not follow them (zuisong/gemini-openai-proxy 0.15 maps every role but user to "
            "model)",
            excerpt=excerpt(str({k: body.get(k) for k in ("systemInstruction", "contents")})),
        )
    if turns:  # the model reads it; where it goes is translate.system_instruction's rule
        return f"the developer message reached Gemini as a {role!r} turn, not systemInstruction"
    raise CheckFailure(
        "the developer message never reached Gemini (neither systemInstruction nor a turn "
        "holds it): clients that send their instructions as developer messages (Codex, "
        "the OpenAI Agents SDK) run without them",
        excerpt=excerpt(str({k: body.get(k) for k in ("systemInstruction", "contents")})),
    )


@check(
    "translate.client_credential_not_forwarded",
    title="The upstream gets one credential; the client's API key never rides beside the "
    "proxy's own",
    severity=Severity.CRITICAL,
    source=(
        "https://github.com/anomalyco/opencode/issues/35338; "
        "https://github.com/NousResearch/hermes-agent/issues/9247; "
        "docs/gemini-wire.md#a4-authentication"
    ),
    probes=("system_prompt",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def client_credential_not_forwarded(x: Exchange) -> None:
    """Reads the credentials of the probe's upstream call. A request the proxy refused
    before calling the upstream shows none: nothing to judge here (skipped; the refusal
    fails translate.system_instruction, which owns the probe's status)."""
    status = require_response(x)
    if status != 200 and not generate_calls(x):
        raise NotApplicable(
            f"the request got HTTP {status} and never reached the upstream: no upstream "
            "call to read credentials from"
        )
    entry = last_generate(x)
    credentials = entry.get("credentials")
    if not isinstance(credentials, list):
        raise Undecided("the mock's journal entry has no credential fingerprints")
    leaked = client_key_places(x, entry)
    if leaked:
        if len(credentials) == 1:
            raise NotApplicable(
                f"the upstream got the client's key alone ({leaked[0]}): a bring-your-own-key "
                "proxy, whose clients send their own Gemini key (Portkey's gateway, the "
                "Cloudflare-worker proxies); this check is about proxies that hold their own"
            )
        raise CheckFailure(
            f"the client's API key was forwarded upstream in {', '.join(leaked)}, "
            "beside the proxy's own credential",
        )
    if len(credentials) != 1:
        where = [c.get("where") for c in credentials if isinstance(c, dict)]
        raise CheckFailure(
            f"the upstream got {len(credentials)} credentials ({where}); Google answers "
            "'Multiple authentication credentials received' or 403",
        )


@check(
    "translate.response_json_schema",
    title="response_format json_schema reaches Gemini as responseMimeType + a usable schema",
    severity=Severity.HIGH,
    source=(
        "https://github.com/Wei-Shaw/sub2api/issues/4940; "
        "https://github.com/QuantumNous/new-api/issues/1037; "
        "https://ai.google.dev/gemini-api/docs/structured-output; "
        "https://ai-sdk.dev/docs/reference/ai-sdk-core/stream-object"
    ),
    probes=("response_json_schema",),
    also=("response_json_schema_stream",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def response_json_schema(x: Exchange) -> None:
    """Unary, and streamed (the AI SDK's ``streamObject`` and openai-python's
    ``stream()`` with a ``response_format`` send it so: a proxy that refuses the pair
    fails every such call)."""
    status = require_response(x)
    if status != 200:
        streamed = " (streamed)" if x.probe.endswith("_stream") else ""
        raise CheckFailure(
            f"response_format json_schema (with $schema and additionalProperties){streamed} "
            f"got HTTP {status}",
            excerpt=excerpt(x.body),
        )
    config = generation_config(x)
    mime = json_field(config, "responseMimeType")
    legacy = json_field(config, "responseSchema")
    plain = json_field(config, "responseJsonSchema")
    if mime != "application/json" or (legacy is None and plain is None):
        raise CheckFailure(
            f"the upstream got responseMimeType={mime!r} and no response schema: the "
            "schema was silently dropped, so the answer is free text",
            excerpt=excerpt(str(config)),
        )
    if legacy is not None:
        problems = schema_problems(legacy, "responseSchema")
        if problems:
            raise CheckFailure(
                "the upstream got a responseSchema Gemini rejects: " + "; ".join(problems[:5]),
                excerpt=excerpt(str(legacy)),
            )


@check(
    "translate.response_json_object",
    title="response_format json_object reaches Gemini as responseMimeType application/json",
    severity=Severity.MEDIUM,
    source=(
        "https://ai.google.dev/gemini-api/docs/structured-output; "
        "docs/breakages.md#f4-response_format-dropped"
    ),
    probes=("response_json_object",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def response_json_object(x: Exchange) -> None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(
            f"response_format json_object got HTTP {status}", excerpt=excerpt(x.body)
        )
    mime = json_field(generation_config(x), "responseMimeType")
    if mime != "application/json":
        raise CheckFailure(f"the upstream got responseMimeType={mime!r}, not application/json")


@check(
    "translate.stop_capped",
    title="More than five stop sequences never reach Gemini (it rejects them)",
    severity=Severity.MEDIUM,
    source=f"https://github.com/continuedev/continue/issues/2702; {GEMINI_REQUEST}",
    probes=("stop_many",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def stop_capped(x: Exchange) -> None:
    status = require_response(x)
    if status >= 500:
        raise CheckFailure(f"six stop sequences got HTTP {status}", excerpt=excerpt(x.body))
    if status != 200:
        check_envelope(x)
        return
    got = json_field(generation_config(x), "stopSequences")
    if not isinstance(got, list) or not got:
        raise CheckFailure(f"the upstream got stopSequences={got!r}: stop was dropped")
    if len(got) > 5:
        raise CheckFailure(f"the upstream got {len(got)} stopSequences; Gemini allows 5")


@check(
    "translate.image_data_url",
    title="An image_url data: URL reaches Gemini as inlineData with its MIME type",
    severity=Severity.HIGH,
    source=(
        "https://github.com/songquanpeng/one-api/issues/2245; "
        "https://github.com/zuisong/gemini-openai-proxy/issues/5; "
        "https://ai.google.dev/gemini-api/docs/image-understanding"
    ),
    probes=("image_data_url",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def image_data_url(x: Exchange) -> None:
    status = require_response(x)
    if status != 200:
        raise CheckFailure(
            f"a message with a PNG data: URL got HTTP {status}", excerpt=excerpt(x.body)
        )
    for content in request_body(x).get("contents") or []:
        for part in (content or {}).get("parts") or []:
            inline = json_field(part, "inlineData")
            if isinstance(inline, dict) and _decoded(inline.get("data")) == IMAGE_PNG:
                mime = json_field(inline, "mimeType")
                if mime != "image/png":
                    raise CheckFailure(f"the image went upstream as mimeType {mime!r}")
                return
    raise CheckFailure(
        "the image never reached the upstream as inlineData",
        excerpt=excerpt(str(request_body(x).get("contents"))[:800]),
    )


_PNG = b"\x89PNG\r\n\x1a\n"


def _decoded(data: Any) -> bytes | None:
    """The bytes of a JSON ``bytes`` field, standard or URL-safe base64 (proto3's JSON
    mapping accepts both; Google's own SDK, google-genai, sends URL-safe), or ``None``."""
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data.replace("-", "+").replace("_", "/") + "=" * (-len(data) % 4))
    except ValueError:
        return None


def _client_image_url(x: Exchange) -> str | None:
    """The ``image_url.url`` of the probe's request (the first one)."""
    body = x.request.json_body if isinstance(x.request.json_body, dict) else {}
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            image = part.get("image_url") if isinstance(part, dict) else None
            if isinstance(image, dict) and isinstance(image.get("url"), str):
                return str(image["url"])
    return None


@check(
    "translate.image_http_url",
    title="An image_url http URL reaches Gemini as the image's bytes (inlineData) or as the "
    "URL itself (fileData.fileUri)",
    severity=Severity.MEDIUM,
    source=(
        "https://github.com/songquanpeng/one-api/issues/2245; "
        "https://github.com/zuisong/gemini-openai-proxy/issues/5; "
        "https://ai.google.dev/gemini-api/docs/image-understanding; "
        "https://ai.google.dev/gemini-api/docs/file-input-methods"
    ),
    probes=("image_http_url",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def image_http_url(x: Exchange) -> str | None:
    status = require_response(x)
    if 400 <= status < 500 and status != 429:
        check_envelope(x)
        # The suite can only serve images on 127.0.0.1; refusing to fetch a private
        # address is SSRF protection (LiteLLM does it), and the client sees a clear error.
        raise NotApplicable(
            f"the target refused to fetch an image from 127.0.0.1 (HTTP {status}, a clean "
            "error): a public URL cannot be tested from here"
        )
    if status != 200:
        raise CheckFailure(
            f"a message with an http image URL got HTTP {status}", excerpt=excerpt(x.body)
        )
    for content in request_body(x).get("contents") or []:
        for part in (content or {}).get("parts") or []:
            inline = json_field(part, "inlineData")
            if isinstance(inline, dict):
                raw = _decoded(inline.get("data"))
                if raw is not None and raw.startswith(_PNG):
                    mime = json_field(inline, "mimeType")
                    if mime != "image/png":
                        raise CheckFailure(f"the fetched PNG went upstream as mimeType {mime!r}")
                    return None
            file_data = json_field(part, "fileData")
            if isinstance(file_data, dict):
                uri = json_field(file_data, "fileUri")
                if uri == _client_image_url(x):
                    return (
                        "the URL went upstream as fileData.fileUri: Gemini fetches a public "
                        "HTTP(S) URL there itself (https://ai.google.dev/gemini-api/docs/"
                        "file-input-methods); a private one it cannot reach"
                    )
                raise CheckFailure(
                    f"the http URL went upstream as fileData {uri!r}, not the client's URL "
                    "nor the image's bytes: the model never sees the image",
                    excerpt=excerpt(str(part)),
                )
    raise CheckFailure(
        "the image never reached the upstream",
        excerpt=excerpt(str(request_body(x).get("contents"))[:800]),
    )
