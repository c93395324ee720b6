"""The core probes: models, chat (unary and streamed), client-side errors, CORS,
embeddings, and the doors real clients ask for reasoning through (:data:`DOORS`)."""

from __future__ import annotations

import json
import re
from typing import Any

from spec.profiles import PROFILES
from spec.scenarios import Directive, Scenario

from ..exchange import Request
from ..modes import Mode
from ..target import Target
from .base import BAD_KEY, UNKNOWN_MODEL, Builder, Probe, chat, chat_request, registrar

__all__: list[str] = []

probe = registrar(__name__)


def _models(target: Target, cid: str) -> Request:
    return Request("GET", target.url("/models"), target.request_headers())


def _malformed(target: Target, cid: str) -> Request:
    raw = b'{"model": "' + target.model.encode() + b'", "messages": [{"role": "user", "con'
    headers = {"Content-Type": "application/json", **target.request_headers()}
    return Request("POST", target.url("/chat/completions"), headers, raw, None)


def _cors(target: Target, cid: str) -> Request:
    return Request(
        "OPTIONS",
        target.url("/chat/completions"),
        {
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": (
                "authorization,content-type,x-stainless-os,x-stainless-timeout,"
                "x-stainless-retry-count"
            ),
        },
    )


probe(Probe("models", "GET /models", _models, features=frozenset({"models"})))
probe(Probe("chat", "non-streamed chat completion", chat()))


def _no_stream_field(target: Target, cid: str) -> Request:
    sent = chat_request(target, cid)
    body = {k: v for k, v in sent.json_body.items() if k != "stream"}
    return Request(sent.method, sent.url, sent.headers, json.dumps(body).encode(), body)


probe(
    Probe(
        "chat_no_stream_field",
        "non-streamed chat completion as openai-python's create() sends it: no stream field "
        "(for a document that streams by default)",
        _no_stream_field,
        features=frozenset({"chat"}),
        profiles=frozenset(name for name, p in PROFILES.items() if p.stream_default),
    )
)
IDENTITY_CHUNK_MS = 370
"""Delay between the mock's four chunks in ``chat_stream`` (controlled mode), in ms: the
first and the last chunk are 3 x 370 = 1110 ms apart, so they always fall in different
wall-clock seconds, and a proxy that stamps ``created`` from its clock per chunk shows
it in every run (``stream.constant_created``), for about 1.1 s of run time."""

probe(
    Probe(
        "chat_stream",
        "streamed chat completion, four content chunks upstream, "
        f"{IDENTITY_CHUNK_MS} ms apart (the stream spans two wall-clock seconds)",
        chat(directive=Directive(chunks=4, chunk_ms=IDENTITY_CHUNK_MS), stream=True),
        stream=True,
    )
)
probe(
    Probe(
        "chat_stream_usage",
        "streamed chat completion with stream_options.include_usage",
        chat(stream=True, stream_options={"include_usage": True}),
        stream=True,
    )
)
probe(
    Probe(
        "bad_key",
        "chat completion with a wrong API key",
        chat(key=BAD_KEY),
    )
)
probe(
    Probe(
        "unknown_model",
        "chat completion for a model that does not exist",
        chat(model=UNKNOWN_MODEL),
    )
)
probe(Probe("malformed_body", "chat completion with a truncated JSON body", _malformed))
probe(Probe("cors_preflight", "browser preflight with the openai SDK's x-stainless headers", _cors))


EMBEDDING_MODEL = "gemini-embedding-001"
"""The model the embeddings probes name (under the target model's provider prefix,
:func:`with_prefix_of`): Google's embedding model; ``text-embedding-004`` was shut down
on 2026-01-14 (https://ai.google.dev/gemini-api/docs/deprecations)."""


def _embeddings(base64: bool) -> Builder:
    def build(target: Target, cid: str) -> Request:
        body: dict[str, object] = {
            "model": with_prefix_of(target.model, EMBEDDING_MODEL),
            "input": ["The quick brown fox", "jumps over the lazy dog"],
        }
        if base64:
            body["encoding_format"] = "base64"  # what openai-python sends by default
        else:
            body["dimensions"] = EMBEDDING_DIMENSIONS
            body["encoding_format"] = "float"
        headers = {"Content-Type": "application/json", **target.request_headers()}
        return Request("POST", target.url("/embeddings"), headers, json.dumps(body).encode(), body)

    return build


EMBEDDING_DIMENSIONS = 256
"""``dimensions`` the ``embeddings`` probe asks for (docs/breakages.md G2)."""

probe(
    Probe(
        "embeddings",
        f"two inputs, dimensions={EMBEDDING_DIMENSIONS}, encoding_format float",
        _embeddings(base64=False),
        features=frozenset({"embeddings"}),
    )
)
probe(
    Probe(
        "embeddings_base64",
        "two inputs, encoding_format base64 (openai-python's default)",
        _embeddings(base64=True),
        features=frozenset({"embeddings"}),
    )
)


# ---------------------------------------------------------------- reasoning doors

THINKING_BUDGET = 1024
"""``thinking_budget`` the ``extra_body`` door asks for (tokens; gemini-2.5 takes 0-24576)."""

GOOGLE_THINKING = {
    "google": {"thinking_config": {"thinking_budget": THINKING_BUDGET, "include_thoughts": True}}
}
"""Google's documented way to ask its OpenAI-compatible endpoint for thoughts
(https://ai.google.dev/gemini-api/docs/openai#thinking). Google's examples nest it, so
the JSON body on the wire carries a literal ``extra_body`` member: openai-python's
``extra_body={"extra_body": GOOGLE_THINKING}`` (its own ``extra_body`` is merged into the
body), openai-node's ``extra_body: GOOGLE_THINKING`` (unknown params are sent as they are),
and the curl example."""

_THINKING_NAMES = ("thinking", "-high", "-medium")


def bare_model(model: str) -> str:
    """``model`` without Google's ``models/`` and a router's provider prefix
    (``gemini/``, ``google/``, ``gemini:``, ``vertex_ai/``...): the model's own name, to
    read what it is; requests keep the id as listed."""
    return re.split(r"[/:]", model)[-1]


def with_prefix_of(default: str, name: str) -> str:
    """``name`` under the provider prefix ``default`` carries (``gemini:`` for
    ``gemini:gemini-2.0-flash``; none for ``models/...`` or a bare name): a target that
    routes by prefix needs it on every model it is sent."""
    prefix = default[: len(default) - len(bare_model(default))]
    return name if prefix in ("", "models/") else prefix + name


def thinks(model: str) -> bool:
    """Whether ``model`` thinks by name: a ``*-thinking*`` alias, Gemini 2.5 and later,
    and the unversioned ``gemini-*-latest`` aliases (which point at 2.5 models); any
    ``models/`` or provider prefix aside (:func:`bare_model`)."""
    name = bare_model(model).lower()
    if any(part in name for part in _THINKING_NAMES):
        return True
    if not name.startswith("gemini-"):
        return False
    version = name.removeprefix("gemini-").split("-", 1)[0]
    if version in ("flash", "pro", "flash-lite") or name.endswith("-latest"):
        return True
    try:
        return float(version) >= 2.5
    except ValueError:
        return False


UNSUITABLE = ("image", "tts", "embedding", "imagen", "live", "audio", "vision", "aqa")
"""Fragments of model ids that are not chat models (image, speech, embedding,
attributed-answer models): never picked for a chat probe."""


def pick_thinking_model(listed: set[str] | frozenset[str] | None, default: str) -> str:
    """The model the ``thoughts_model`` door names: the target's ``default`` when it
    thinks; else, from ``GET /models`` (``listed``), an explicit ``*-thinking`` alias,
    then ``gemini-2.5-flash``, then any other chat model that thinks; else
    ``gemini-2.5-flash`` (under ``default``'s provider prefix, :func:`with_prefix_of`).
    Listed ids are compared by :func:`bare_model` and returned as listed (without
    ``models/``). Pure; deterministic (ties broken by name)."""
    if thinks(default):
        return default
    chat = sorted(
        m.removeprefix("models/")
        for m in listed or ()
        if not any(u in m.lower() for u in UNSUITABLE)
    )
    for wanted in (
        [m for m in chat if "thinking" in bare_model(m).lower()],
        [m for m in chat if bare_model(m) == "gemini-2.5-flash"],
        [m for m in chat if thinks(m)],
    ):
        if wanted:
            return wanted[0]
    return with_prefix_of(default, "gemini-2.5-flash")


def is_gemini3(model: str) -> bool:
    """Whether ``model`` (any ``models/`` or provider prefix aside) is a Gemini 3 model."""
    return bare_model(model).startswith("gemini-3")


def pick_gemini3_model(listed: set[str] | frozenset[str] | None, default: str) -> str | None:
    """A Gemini 3 chat model (Gemini 3, 3.1...: its function calls carry thought
    signatures that must come back, docs/breakages.md B1): ``default`` when it is one;
    else from ``listed`` (``GET /models``) a Flash model (the cheapest), then any other;
    ``None`` when there is none. Pure; ties broken by name."""
    if is_gemini3(default):
        return default.removeprefix("models/")
    chat = sorted(
        m.removeprefix("models/")
        for m in listed or ()
        if is_gemini3(m) and not any(u in m.lower() for u in UNSUITABLE)
    )
    flash = [m for m in chat if "flash" in bare_model(m)]
    for wanted in ([m for m in flash if "lite" not in m], flash, chat):
        if wanted:
            return wanted[0]
    return None


def gemini3_model(target: Target) -> str | None:
    """The model the Gemini 3 probes name (``field_tool_gemini3``, the signature round
    trips, the Gemini 3 efforts): :func:`pick_gemini3_model` over ``--model`` and
    ``Target.listed_models`` (``None``: those probes are skipped)."""
    return pick_gemini3_model(target.listed_models, target.model)


NO_GEMINI3 = "no Gemini 3 model to send it to: --model is not one and GET /models lists none"
"""Why a Gemini 3 probe is skipped."""


def no_gemini3(target: Target) -> str | None:
    """A Gemini 3 probe's ``requires``: why it cannot run (``None``: it can)."""
    return None if gemini3_model(target) is not None else NO_GEMINI3


GEMINI3_FALLBACK = "gemini-3-flash-preview"
"""The Gemini 3 model a controlled probe names when the target's model list cannot say
which models it serves (the mock serves it)."""


def authoritative(listed: frozenset[str], model: str) -> bool:
    """Whether a target's ``GET /models`` list can tell which models it serves, so that a
    probe for a model it leaves out is skipped: not when an id is a routing pattern
    (``*``, ``gemini-*``: lm-proxy lists its routing rules), nor when the run's own
    ``model``, which every chat probe uses, is missing from it (the list is then not the
    set the target answers for; a proxy that routes any name lists a few, or none)."""
    if any(c in i for i in listed for c in "*?["):
        return False
    return model in listed


def controlled_gemini3_model(target: Target) -> str | None:
    """The Gemini 3 model a controlled-mode probe names: :func:`gemini3_model`; failing
    that, when the target's model list is not :func:`authoritative` (or unknown),
    :data:`GEMINI3_FALLBACK` under the run model's provider prefix (the upstream is the
    mock, which serves it); ``None`` when the list says the target serves none."""
    found = gemini3_model(target)
    listed = target.listed_models
    if found is None and (listed is None or not authoritative(listed, target.model)):
        return with_prefix_of(target.model, GEMINI3_FALLBACK)
    return found


def no_controlled_gemini3(target: Target) -> str | None:
    """A controlled Gemini 3 probe's ``requires`` (:func:`controlled_gemini3_model`)."""
    return None if controlled_gemini3_model(target) is not None else NO_GEMINI3


DOOR_PROMPT = "Think step by step: what is 17 * 23?"


def _door(stream: bool, model: bool, **fields: Any) -> Builder:
    def build(target: Target, cid: str) -> Request:
        chosen = (
            (target.reasoning_model or pick_thinking_model(target.listed_models, target.model))
            if model
            else None
        )
        return chat_request(
            target,
            cid,
            DOOR_PROMPT,
            directive=Directive(Scenario.THOUGHTS),
            stream=stream,
            model=chosen,
            **fields,
        )

    return build


DOORS: dict[str, str] = {
    "thoughts": "reasoning_effort 'high'",
    "thoughts_google": "extra_body.google.thinking_config (include_thoughts)",
    "thoughts_model": "a thinking model by name, no reasoning field",
}
"""Unary probe -> the door it asks for reasoning through; each has a ``_stream`` twin.
``thoughts`` (``conformance.probes.params``) is OpenAI's ``reasoning_effort``; the other
two are registered here. In controlled mode every door carries the ``thoughts``
scenario: the mock thinks, and shows the thought text only when the proxy asked Gemini
for ``includeThoughts``, as Google does."""

STANDARD_DOORS = frozenset({"thoughts", "thoughts_model"})
"""Doors that are plain OpenAI requests: a refusal is a failure (``reasoning.doors``)."""

for _door_name, _door_fields, _door_what in (
    (
        "thoughts_google",
        {"extra_body": GOOGLE_THINKING},
        f"extra_body.google.thinking_config {{thinking_budget: {THINKING_BUDGET}, "
        "include_thoughts: true}, Google's documented door",
    ),
    ("thoughts_model", {}, "a thinking model by name (the default when it thinks), no field"),
):
    for _door_stream in (False, True):
        probe(
            Probe(
                _door_name + ("_stream" if _door_stream else ""),
                ("streamed; " if _door_stream else "")
                + f"asks for reasoning through {_door_what}; the upstream thinks",
                _door(_door_stream, _door_name == "thoughts_model", **_door_fields),
                mode=Mode.CONTROLLED,
                stream=_door_stream,
            )
        )
