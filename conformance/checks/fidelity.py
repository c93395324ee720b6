"""Fidelity: what the proxy adds or changes that the client never asked for (issue 12,
"checks that were missing"). Controlled mode reads the mock's journal: sampling
parameters and safety settings the client did not send, a system prompt it did not write,
a service tier it did not choose; the target's model list against the upstream's. Two
rules need no journal: the usage arithmetic of every answer, and the same error envelope
on the streamed and the unary path of one upstream error.

Each check's area is the one a reader looks in (``requests.``, ``models.``, ``errors.``,
``chat.``); the docs sections are on those pages.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from spec.gemini_fields import json_names
from spec.profiles import PROFILES

from ..exchange import Exchange
from ..probes import PROBES
from ..probes.basic import bare_model
from ..registry import CheckFailure, Mode, NotApplicable, Severity, Undecided, check, excerpt
from ._common import OPENAI_ERROR_SOURCE, require_response, token_count
from .upstream import generate_calls, normalise, request_body

__all__ = [
    "DOCUMENTED_DEFAULTS",
    "ERROR_TWINS",
    "GEMINI_MODEL_PREFIXES",
    "PROFILE_DEFAULTS",
    "PROFILE_SAFETY",
    "PROFILE_THINKING_BUDGET",
    "SAMPLING_FIELDS",
    "client_sent",
    "error_object",
    "injected_texts",
    "invented_sampling",
    "unlisted_models",
    "usage_problems",
]

GOOGLE_REQUEST = "https://ai.google.dev/api/generate-content#request-body"
"""Google's reference of the GenerateContentRequest body."""
GOOGLE_CONFIG = "https://ai.google.dev/api/generate-content#generationconfig"
"""Google's reference of GenerationConfig (the sampling parameters)."""

# ---------------------------------------------------------------- invented defaults

SAMPLING_FIELDS: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature",),
    "topP": ("top_p",),
    "topK": ("top_k",),
    "maxOutputTokens": ("max_tokens", "max_completion_tokens"),
    "candidateCount": ("n",),
    "presencePenalty": ("presence_penalty",),
    "frequencyPenalty": ("frequency_penalty",),
    "seed": ("seed",),
    "stopSequences": ("stop",),
    "responseLogprobs": ("logprobs", "top_logprobs"),
    "logprobs": ("logprobs", "top_logprobs"),
    "responseMimeType": ("response_format",),
    "responseSchema": ("response_format",),
    "responseJsonSchema": ("response_format",),
    "thinkingConfig": ("reasoning_effort", "reasoning", "thinking", "extra_body"),
}
"""Gemini ``generationConfig`` field -> the OpenAI request fields that may produce it. A
field in the upstream request is invented when the client sent none of these."""

DOCUMENTED_DEFAULTS: dict[str, Any] = {
    "temperature": 1.0,
    "topP": 0.95,
    "topK": 64,
    "candidateCount": 1,
    "responseMimeType": "text/plain",
}
"""Values that change nothing: Google's own defaults for the current Gemini models (what
``models.get`` reports as ``temperature``/``topP``/``topK``; one candidate; plain text).
A ``maxOutputTokens`` of at least :data:`OUTPUT_TOKEN_LIMIT` changes nothing either."""

OUTPUT_TOKEN_LIMIT = 65536
"""The ``outputTokenLimit`` of the Gemini 2.5 and 3 text models: a larger or equal
``maxOutputTokens`` cuts nothing."""

_OPENAI_OF_PROFILE = {
    "temperature": "temperature",
    "top_p": "topP",
    "top_k": "topK",
    "max_tokens": "maxOutputTokens",
}

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    name: {
        _OPENAI_OF_PROFILE[key]: value
        for key, value in profile.defaults.items()
        if key in _OPENAI_OF_PROFILE
    }
    for name, profile in PROFILES.items()
}
"""Profile -> the generation defaults its own document promises (``spec.profiles``), in
Gemini names: a proxy documented to send ``top_k: 50`` does what its users were told."""


PROFILE_THINKING_BUDGET: dict[str, int] = {"antigravity2api": 1024}
"""Profile -> the ``thinkingBudget`` its document sends when the client names none
(antigravity2api: ``thinking_budget`` defaults to 1024, docs/profiles.md#antigravity2api)."""

PROFILE_SAFETY: dict[str, str] = {"gemini-proxy-deno": "BLOCK_NONE"}
"""Profile -> the threshold its document sets on every safety category (gemini-proxy-deno
'Content Safety': all filters ``BLOCK_NONE``, docs/profiles.md#gemini-proxy-deno). What a
system documents doing on every call is its users' informed choice, not an invention."""


def client_sent(x: Exchange) -> dict[str, Any]:
    """The JSON body the client sent (``{}`` when there was none)."""
    body = x.request.json_body
    return body if isinstance(body, dict) else {}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower():
        return True
    return bool(a == b)


def _changes_nothing(name: str, value: Any, profile: str) -> bool:
    documented = PROFILE_DEFAULTS.get(profile, {})
    if name in documented and _same(value, documented[name]):
        return True
    if name in DOCUMENTED_DEFAULTS and _same(value, DOCUMENTED_DEFAULTS[name]):
        return True
    if name == "maxOutputTokens" and isinstance(value, int | float) and not isinstance(value, bool):
        return value >= OUTPUT_TOKEN_LIMIT or value >= documented.get(name, math.inf)
    if name == "thinkingConfig" and isinstance(value, dict):
        # includeThoughts only asks for thought summaries (what reasoning_content shows);
        # a budget of -1 is Google's own "dynamic" default. Anything else sets how much
        # the model thinks, which the client did not ask for.
        rest = {k: v for k, v in value.items() if k != "includeThoughts"}
        budget = rest.pop("thinkingBudget", -1)
        return not rest and (
            _same(budget, -1) or _same(budget, PROFILE_THINKING_BUDGET.get(profile, -1))
        )
    return False


def invented_sampling(
    sent: Mapping[str, Any], config: Mapping[str, Any], profile: str
) -> dict[str, Any]:
    """The ``generationConfig`` fields (Gemini's JSON names, whichever name ``config``
    uses: :func:`spec.gemini_fields.json_names`) that no field of the client's body
    ``sent`` explains and whose value changes what the model does (see
    :data:`DOCUMENTED_DEFAULTS`, :data:`PROFILE_DEFAULTS`)."""
    out: dict[str, Any] = {}
    for name, value in json_names(config, "GenerationConfig").items():
        sources = SAMPLING_FIELDS.get(name)
        if sources is None or value is None:
            continue
        if any(sent.get(field) is not None for field in sources):
            continue
        if not _changes_nothing(name, value, profile):
            out[name] = value
    return out


def _journal_body(x: Exchange, primary: str) -> dict[str, Any]:
    """The Gemini body of the last generate call; moot when the proxy refused the request
    without calling the upstream (the refusal is judged by the check that owns it), and
    on a further probe (not ``primary``) whose journal is empty (a cached answer): the
    primary probe's empty journal alone says the setup is wrong (:class:`Undecided`)."""
    if not generate_calls(x):
        status = require_response(x)
        if status != 200:
            raise NotApplicable(
                f"the proxy answered HTTP {status} and sent nothing upstream for {x.probe}"
            )
        if x.probe != primary:
            raise NotApplicable(f"the mock's journal shows no generate call for {x.probe}")
    return request_body(x)


def _generation_config(body: Mapping[str, Any]) -> dict[str, Any]:
    config = body.get("generationConfig")
    return config if isinstance(config, dict) else {}


@check(
    "requests.no_invented_sampling",
    title="The upstream gets no sampling parameters the client did not send "
    "(temperature, topP, topK, maxOutputTokens, penalties, seed, ...)",
    severity=Severity.MEDIUM,
    source=f"{GOOGLE_CONFIG}; https://platform.openai.com/docs/api-reference/chat/create",
    probes=("chat",),
    also=("chat_stream",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def no_invented_sampling(x: Exchange) -> None:
    body = _journal_body(x, "chat")
    invented = invented_sampling(client_sent(x), _generation_config(body), x.profile)
    if invented:
        shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in invented.items())
        raise CheckFailure(
            f"the client sent no sampling parameters, the proxy sent the upstream {shown}: "
            "every answer is sampled differently from what the client (and Google's "
            "defaults) would give, and the client cannot tell",
            excerpt=excerpt(json.dumps(body.get("generationConfig", {}))),
        )


@check(
    "requests.no_invented_safety_settings",
    title="The upstream gets no safetySettings the client did not ask for",
    severity=Severity.MEDIUM,
    source=f"{GOOGLE_REQUEST}; https://ai.google.dev/gemini-api/docs/safety-settings",
    probes=("chat",),
    also=("chat_stream",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def no_invented_safety_settings(x: Exchange) -> None:
    body = _journal_body(x, "chat")
    settings = body.get("safetySettings")
    if not settings:
        return
    thresholds = sorted(
        {
            str(s.get("threshold"))
            for s in settings
            if isinstance(s, dict) and s.get("threshold") is not None
        }
    )
    if x.profile in PROFILE_SAFETY and thresholds == [PROFILE_SAFETY[x.profile]]:
        return  # the system's own document says it sets this on every call
    raise CheckFailure(
        f"the client sent no safety settings, the proxy sent the upstream {len(settings)} "
        f"(thresholds {', '.join(thresholds) or '?'}): Google's own filtering for the "
        "request is replaced by the proxy's choice, silently",
        excerpt=excerpt(json.dumps(settings)),
    )


# ------------------------------------------------------------ injected system prompt


def _texts(content: Any) -> Iterator[str]:
    """The text of an OpenAI message ``content`` (a string or text parts)."""
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                yield part["text"]


def _gemini_texts(content: Any) -> Iterator[str]:
    """The non-thought text parts of a Gemini ``Content`` (or a bare string)."""
    if isinstance(content, str):
        yield content
        return
    parts = content.get("parts") if isinstance(content, dict) else None
    for part in parts or ():
        if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought"):
            yield part["text"]


def injected_texts(sent: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """The text parts of the Gemini ``body`` (``systemInstruction`` and ``contents``) that
    are not in any message the client ``sent``: text the proxy wrote. Containment is
    tested on whitespace-collapsed text, so a proxy may split or join the client's parts."""
    client = " ".join(
        normalise(text)
        for message in sent.get("messages") or ()
        if isinstance(message, dict)
        for text in _texts(message.get("content"))
    )
    upstream: list[str] = []
    system = body.get("systemInstruction")
    if system is not None:
        upstream += list(_gemini_texts(system))
    for content in body.get("contents") or ():
        upstream += list(_gemini_texts(content))
    return [t for t in upstream if normalise(t) and normalise(t) not in client]


@check(
    "requests.no_injected_prompt",
    title="The upstream gets no system instruction or turn the client did not write",
    severity=Severity.MEDIUM,
    source=f"{GOOGLE_REQUEST}; https://ai.google.dev/gemini-api/docs/text-generation",
    probes=("chat",),
    also=("chat_stream", "system_prompt", "content_parts"),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def no_injected_prompt(x: Exchange) -> None:
    body = _journal_body(x, "chat")
    injected = injected_texts(client_sent(x), body)
    if injected:
        had_system = any(
            isinstance(m, dict) and m.get("role") in ("system", "developer")
            for m in client_sent(x).get("messages") or ()
        )
        where = (
            "besides the client's own system message" if had_system else "with no system message"
        )
        raise CheckFailure(
            f"the client sent {where}; the upstream got text the client never wrote: "
            + "; ".join(repr(t[:120]) for t in injected[:3])
            + ": a prompt injected by the proxy changes every answer and spends input "
            "tokens on every call",
            excerpt=excerpt(
                json.dumps(
                    {k: body[k] for k in ("systemInstruction", "contents") if k in body},
                    ensure_ascii=False,
                )
            ),
        )


# ---------------------------------------------------------------------- service tier

PREMIUM_TIERS = frozenset({"priority"})
"""Gemini service tiers billed above standard."""
STANDARD_TIERS = frozenset({"standard", "unspecified", "service_tier_unspecified"})
"""Gemini service tiers that are the default (what no ``serviceTier`` gives)."""


def _upstream_tier(body: Mapping[str, Any]) -> str | None:
    for holder in (body, _generation_config(body)):
        for key in ("serviceTier", "service_tier"):
            value = holder.get(key)
            if value is not None:
                return str(value)
    return None


@check(
    "requests.service_tier",
    title='service_tier "auto" (or none) never reaches the upstream as a premium or flex tier',
    severity=Severity.MEDIUM,
    source=(
        "https://googleapis.github.io/js-genai/release_docs/enums/types.ServiceTier.html; "
        f"{GOOGLE_REQUEST}; "
        "https://platform.openai.com/docs/api-reference/chat/create#chat-create-service_tier"
    ),
    probes=("service_tier_auto",),
    also=("kitchen_sink", "chat"),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def service_tier(x: Exchange) -> None:
    asked = client_sent(x).get("service_tier")
    if not generate_calls(x) and require_response(x) != 200:
        # A refusal raises in the SDK (high); requests.openai_only_fields owns it: its
        # kitchen_sink probe sends service_tier too, so one refusal is one finding.
        raise NotApplicable(
            f'service_tier: "{asked}" got HTTP {x.status} and never reached the upstream; '
            "requests.openai_only_fields judges refusals"
        )
    body = _journal_body(x, "service_tier_auto")
    tier = _upstream_tier(body)
    if tier is None or tier.lower() in STANDARD_TIERS:
        return
    wanted = str(asked).lower() if asked is not None else None
    if tier.lower() == wanted:
        return  # the client chose that tier itself ("flex", "priority")
    said = f'service_tier: "{asked}"' if asked is not None else "no service_tier"
    cost = (
        "Gemini bills priority above standard: every call costs more and the client cannot see why"
        if tier.lower() in PREMIUM_TIERS
        else "the request is served on a tier the client did not choose (flex is slower "
        "and may be shed with 503)"
    )
    raise CheckFailure(
        f'the client sent {said}, the proxy sent the upstream serviceTier: "{tier}"; {cost}',
        excerpt=excerpt(json.dumps({"serviceTier": tier})),
    )


# ---------------------------------------------------------------------- model list

GEMINI_MODEL_PREFIXES = (
    "gemini-",
    "gemma-",
    "imagen-",
    "veo-",
    "text-embedding-",
    "embedding-",
    "learnlm-",
)
"""Ids that claim to be a Google model. Other ids (``gpt-4o``, ``my-alias``) are the
operator's own aliases: the model list cannot tell where they route, so they are not
judged."""
OPENAI_MODEL_PREFIXES = ("text-embedding-3-", "text-embedding-ada-")
"""OpenAI's own embedding models, which :data:`GEMINI_MODEL_PREFIXES` would take for
Google's (``text-embedding-004``): aliases a proxy maps to a Gemini embedding model
(zuisong/gemini-openai-proxy lists ``text-embedding-3-small`` and serves it with
``text-embedding-004``), not Google models it claims."""


def unlisted_models(listed: list[str], upstream: list[str]) -> list[str]:
    """The ids of ``listed`` (the target's ``GET /models``) that name a Google model
    (:data:`GEMINI_MODEL_PREFIXES`) the ``upstream`` (``models.list`` names) does not have.
    ``models/`` and provider prefixes (``gemini/``, ``google/``, ``gemini:``) are ignored
    (:func:`~conformance.probes.basic.bare_model`); a listed id
    that extends an upstream id with a suffix (``gemini-2.5-flash-search``, ``-thinking``)
    is a variant the proxy routes to that model, not a model of its own."""
    have = {bare_model(u) for u in upstream}
    out = []
    for model_id in listed:
        plain = bare_model(model_id)
        if not plain.startswith(GEMINI_MODEL_PREFIXES) or plain.startswith(OPENAI_MODEL_PREFIXES):
            continue
        if plain in have or any(plain.startswith(u + "-") for u in have):
            continue
        out.append(model_id)
    return out


def _ids(x: Exchange, key: str, field: str) -> list[str]:
    try:
        body = x.json()
    except ValueError:
        return []
    items = body.get(key) if isinstance(body, dict) else None
    return [
        str(item[field])
        for item in items or ()
        if isinstance(item, dict) and isinstance(item.get(field), str)
    ]


@check(
    "models.upstream_listed",
    title="Every Gemini model GET /models lists is one the upstream has (no hard-coded list)",
    severity=Severity.MEDIUM,
    source=(
        "https://ai.google.dev/api/models#method:-models.list; "
        "https://platform.openai.com/docs/api-reference/models/list; docs/checks/models.md"
    ),
    probes=("models", "upstream_models"),
    mode=Mode.CONTROLLED,
    features=("models",),
    profiles=("openai-core", "gemini-proxy-deno"),
)
def upstream_listed(target: Exchange, upstream: Exchange) -> None:
    if require_response(target) != 200:
        raise NotApplicable(f"GET /models answered HTTP {target.status} (models.list_shape)")
    if require_response(upstream) != 200:
        raise Undecided(
            f"the mock's models.list answered HTTP {upstream.status}: {excerpt(upstream.body, 200)}"
        )
    have = _ids(upstream, "models", "name")
    if not have:
        raise Undecided("the mock's models.list holds no model")
    listed = _ids(target, "data", "id")
    missing = unlisted_models(listed, have)
    if missing:
        raise CheckFailure(
            f"GET /models lists {len(missing)} Gemini model(s) the upstream does not have: "
            f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}; a client that "
            "picks one gets a 404 (openai-python raises NotFoundError): the list is "
            "hard-coded, not the upstream's",
            excerpt=excerpt(json.dumps(listed)),
        )


# --------------------------------------------------------------------------- usage


def usage_problems(usage: Mapping[str, Any]) -> list[str]:
    """What is wrong with the arithmetic of one OpenAI ``usage`` object: ``total_tokens ==
    prompt_tokens + completion_tokens``; ``completion_tokens_details.reasoning_tokens`` and
    the other completion details inside ``completion_tokens``;
    ``prompt_tokens_details.cached_tokens`` inside ``prompt_tokens``. Counts that are not
    integers are not judged here (``chat.usage``, ``stream.usage_chunk``)."""
    prompt = token_count(usage.get("prompt_tokens"))
    completion = token_count(usage.get("completion_tokens"))
    total = token_count(usage.get("total_tokens"))
    out = []
    if (
        prompt is not None
        and completion is not None
        and total is not None
        and (total != prompt + completion)
    ):
        out.append(
            f"total_tokens {total} != prompt_tokens {prompt} + completion_tokens "
            f"{completion} (= {prompt + completion})"
        )
    details = usage.get("completion_tokens_details")
    if completion is not None and isinstance(details, dict):
        for key in ("reasoning_tokens", "audio_tokens", "accepted_prediction_tokens"):
            part = token_count(details.get(key))
            if part is not None and part > completion:
                out.append(
                    f"completion_tokens_details.{key} {part} > completion_tokens {completion}"
                    + (
                        ": OpenAI counts reasoning tokens inside completion_tokens"
                        if key == "reasoning_tokens"
                        else ""
                    )
                )
    prompt_details = usage.get("prompt_tokens_details")
    if prompt is not None and isinstance(prompt_details, dict):
        cached = token_count(prompt_details.get("cached_tokens"))
        if cached is not None and cached > prompt:
            out.append(f"prompt_tokens_details.cached_tokens {cached} > prompt_tokens {prompt}")
    return out


def _usages(x: Exchange) -> list[tuple[str, dict[str, Any]]]:
    """``(where, usage)`` for every usage object of a 200 answer: the body's, or each
    chunk's that carries one."""
    if x.status != 200:
        return []
    if x.content_type == "text/event-stream":
        return [
            (f"chunk {i}", chunk["usage"])
            for i, chunk in enumerate(x.sse.chunks)
            if isinstance(chunk.get("usage"), dict)
        ]
    try:
        body = x.json()
    except ValueError:
        return []
    if isinstance(body, dict) and isinstance(body.get("usage"), dict):
        return [("the body", body["usage"])]
    return []


NOT_CHAT = frozenset(
    {
        "models",
        "upstream_models",
        "cors_preflight",
        "embeddings",
        "embeddings_base64",
        "malformed_body",
    }
)
"""Probes whose answer is not a chat completion (no ``usage`` to add up)."""


@check(
    "chat.usage_arithmetic",
    title="Every usage adds up: total = prompt + completion, reasoning tokens inside "
    "completion tokens (unary, streamed, thinking answers)",
    severity=Severity.MEDIUM,
    source=(
        "https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage; "
        "https://ai.google.dev/api/generate-content#UsageMetadata; "
        "docs/gemini-wire.md#a2-unary-response"
    ),
    probes=("chat",),
    also=tuple(
        name
        for name, p in PROBES.items()
        if name != "chat"
        and p.executor is None
        and name not in NOT_CHAT
        and not p.module.endswith(".documented")
    ),
    features=("chat",),
)
def usage_arithmetic(x: Exchange) -> None:
    found = _usages(x)
    if not found:
        if x.probe == "chat":
            return None  # the usage itself is chat.usage's; the other answers still count
        raise NotApplicable(f"{x.probe}: no usage in the answer")
    for where, usage in found:
        problems = usage_problems(usage)
        if problems:
            raise CheckFailure(
                f"usage in {where} of the {x.probe} answer does not add up: "
                + "; ".join(problems)
                + "; cost trackers (LangChain, LiteLLM callbacks, Open WebUI) bill the "
                "wrong amount",
                excerpt=excerpt(json.dumps(usage)),
            )
    return None


# ------------------------------------------------------------- error envelope twins

ERROR_TWINS: dict[str, tuple[str, str, str]] = {
    "429": ("rate_limit", "rate_limit_stream", "an upstream 429 RESOURCE_EXHAUSTED"),
    "400": ("upstream_400", "upstream_400_stream", "an upstream 400 INVALID_ARGUMENT"),
}
"""code -> (unary probe, streamed probe, what the upstream answered both)."""


def error_object(x: Exchange) -> dict[str, Any] | None:
    """The OpenAI ``error`` object of an answer: the JSON body's of an error status, or
    the first ``{"error": ...}`` event of a 200 stream; ``None`` when there is none."""
    if x.status is None:
        return None
    if x.status == 200 and x.content_type == "text/event-stream":
        for chunk in x.sse.chunks:
            if isinstance(chunk.get("error"), dict):
                return dict(chunk["error"])
        return None
    if x.status < 400:
        return None
    try:
        body = x.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    return None


def _shape(error: Mapping[str, Any]) -> list[str]:
    """The envelope fields present (absent and ``null`` alike; ``code`` compared apart)."""
    return [key for key in ("message", "type", "code", "param") if error.get(key) is not None]


def _envelope_twins(unary_probe: str, stream_probe: str, what: str) -> Any:
    def run(unary: Exchange, streamed: Exchange) -> None:
        one, two = error_object(unary), error_object(streamed)
        if one is None or two is None:
            side = "unary" if one is None else "streamed"
            raise NotApplicable(
                f"the {side} answer to {what} has no OpenAI error object "
                f"(HTTP {(unary if one is None else streamed).status}); the envelope checks "
                "judge that"
            )
        differences = []
        for key in ("type", "code"):
            a, b = one.get(key), two.get(key)
            if (None if a is None else str(a)) != (None if b is None else str(b)):
                differences.append(f"error.{key} {json.dumps(a)} unary vs {json.dumps(b)} streamed")
        if _shape(one) != _shape(two):
            differences.append(f"fields {_shape(one)} unary vs {_shape(two)} streamed")
        if differences:
            raise CheckFailure(
                f"the same upstream error ({what}) reaches the client in two shapes: "
                + "; ".join(differences)
                + ": code that branches on error.type or error.code handles the streamed "
                "request differently from the unary one",
                excerpt=excerpt(json.dumps({"unary": one, "streamed": two}, ensure_ascii=False)),
            )

    run.__name__ = f"envelope_twins_{unary_probe}"
    return run


for _code, (_unary, _streamed, _what) in ERROR_TWINS.items():
    check(
        f"errors.stream_envelope_consistent.{_code}",
        title=f"The error for {_what} has the same error.type, error.code and fields "
        "streamed and unary",
        severity=Severity.MEDIUM,
        source=f"{OPENAI_ERROR_SOURCE}; https://platform.openai.com/docs/guides/error-codes",
        probes=(_unary, _streamed),
        mode=Mode.CONTROLLED,
        features=("chat", "stream"),
    )(_envelope_twins(_unary, _streamed, _what))
