"""Type confusion in the request body: a valid request with one node replaced (by null,
a boolean, an integer past 64 bits, a float, a string, a list or an object, or deleted)
never gets a 5xx, and every 4xx is in the server's own error envelope. This reaches the
hand-written translation behind the document's validator, which schemathesis's
generated bodies (``test_fuzz_servers.py``) rarely get past: it found an integral
``seed`` past 64 bits that passed the document's ``integer`` and broke the upstream
request's JSON encoder (a 500).

The reference's chat completions and embeddings (OpenAI's envelope) and the mock's
generateContent (Google's), unary and streamed; bounded by the hypothesis profile (``ci``:
derandomized).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app as create_proxy
from reference_impl.settings import Settings as ProxySettings
from tests.servers import serve

pytestmark = pytest.mark.slow

KEY = "sk-fuzz-bodies"
MOCK_KEY = "fuzz-bodies-upstream"
PNG = "iVBORw0KGgo="
EXAMPLES = 300
"""Random nested replacements per server, after the grid (one replaced node is cheap to
answer: ~10 s per server in all)."""

CHAT: dict[str, Any] = {
    "model": "gemini-2.5-flash",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"ok": true}'},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
            },
        }
    ],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "temperature": 0.5,
    "top_p": 0.9,
    "max_completion_tokens": 50,
    "stop": ["x"],
    "n": 1,
    "seed": 3,
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
    "reasoning_effort": "low",
    "stream_options": {"include_usage": True},
    "extra_body": {"google": {"thinking_config": {"include_thoughts": True}}},
}
"""A chat request that touches every translated field (tools, images, tool results,
sampling, response_format, thinking)."""

EMBED: dict[str, Any] = {
    "model": "gemini-embedding-001",
    "input": ["a", "b"],
    "dimensions": 8,
    "encoding_format": "base64",
}
"""An embeddings request with every field the reference translates."""

GENERATE: dict[str, Any] = {
    "contents": [
        {
            "role": "user",
            "parts": [{"text": "hello"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}],
        },
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
    ],
    "systemInstruction": {"parts": [{"text": "be brief"}]},
    "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "object"}}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "generationConfig": {
        "temperature": 0.5,
        "maxOutputTokens": 50,
        "stopSequences": ["x"],
        "candidateCount": 1,
        "thinkingConfig": {"thinkingBudget": 100, "includeThoughts": True},
        "seed": 3,
    },
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
}
"""A generateContent request with every part kind and config block the mock reads."""

Path = tuple[str | int, ...]
DELETE = object()
"""The replacement that removes the node instead."""

_LEAF = st.one_of(
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 1e30, -1e30]),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", "\x00", "\u202e", "-1"]),
)
REPLACEMENTS = st.one_of(
    st.just(DELETE),
    st.recursive(
        _LEAF,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=5,
    ),
)


def paths(value: Any, at: Path = ()) -> Iterator[Path]:
    """Every node of a JSON value, the root first."""
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*at, index))


def replaced(value: Any, at: Path, new: Any) -> Any:
    """A copy of ``value`` with the node at ``at`` replaced by ``new`` (or removed)."""
    if not at:
        return {} if new is DELETE else new
    out = copy.deepcopy(value)
    parent = out
    for step in at[:-1]:
        parent = parent[step]
    if new is DELETE:
        del parent[at[-1]]
    else:
        parent[at[-1]] = new
    return out


def openai_envelope(answer: httpx.Response) -> bool:
    error = answer.json().get("error")
    return isinstance(error, dict) and isinstance(error.get("message"), str) and "type" in error


def google_envelope(answer: httpx.Response) -> bool:
    error = answer.json().get("error")
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), int)
        and isinstance(error.get("message"), str)
        and isinstance(error.get("status"), str)
    )


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    with serve(lambda: create_mock(MockSettings(api_keys=frozenset({MOCK_KEY})))) as mock:
        settings_ = ProxySettings(
            upstream_url=f"{mock}/v1beta", upstream_keys=(MOCK_KEY,), api_keys=frozenset({KEY})
        )
        with serve(lambda: create_proxy(settings_)) as proxy:
            yield proxy, mock


GRID: tuple[Any, ...] = (
    DELETE,
    None,
    True,
    0,
    -1,
    0.5,
    2**63,
    -(2**63) - 1,
    1e30,
    "",
    "\x00",
    [],
    {},
    [None],
    {"": None},
)
"""The replacements every node gets in turn: the wrong type, an empty value, the edges of
64-bit integers and a float past them."""


def _fuzz(
    url: Callable[[bool], str],
    headers: dict[str, str],
    valid: dict[str, Any],
    stream_field: bool,
    envelope: Callable[[httpx.Response], bool],
) -> None:
    """Every node of ``valid`` replaced by every :data:`GRID` value (unary and streamed
    alternately), then :data:`EXAMPLES` random nested replacements."""
    every = list(paths(valid))

    def send(at: Path, new: Any, stream: bool) -> None:
        body = replaced(valid, at, new)
        if stream_field and stream and isinstance(body, dict):
            body = {**body, "stream": True}
        answer = client.post(url(stream), content=json.dumps(body), headers=headers)
        shown = "(deleted)" if new is DELETE else repr(new)[:60]
        where = f"{'.'.join(map(str, at)) or '(root)'} = {shown}"
        assert answer.status_code < 500, f"{where}: HTTP {answer.status_code} {answer.text[:300]}"
        if answer.status_code >= 400:
            assert envelope(answer), f"{where}: HTTP {answer.status_code} {answer.text[:300]}"

    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(every), REPLACEMENTS, st.booleans())
    def random_case(at: Path, new: Any, stream: bool) -> None:
        send(at, new, stream)

    with httpx.Client(timeout=15) as client:
        for n, (at, new) in enumerate((at, new) for at in every for new in GRID):
            send(at, new, n % 2 == 1)
        random_case()


def test_the_reference_answers_every_confused_chat_body_without_a_5xx(
    servers: tuple[str, str],
) -> None:
    proxy, _ = servers
    _fuzz(
        lambda stream: f"{proxy}/v1/chat/completions",
        {"authorization": f"Bearer {KEY}", "content-type": "application/json"},
        CHAT,
        True,
        openai_envelope,
    )


def test_the_reference_answers_every_confused_embeddings_body_without_a_5xx(
    servers: tuple[str, str],
) -> None:
    proxy, _ = servers
    _fuzz(
        lambda stream: f"{proxy}/v1/embeddings",
        {"authorization": f"Bearer {KEY}", "content-type": "application/json"},
        EMBED,
        False,
        openai_envelope,
    )


def test_the_mock_answers_every_confused_generate_body_without_a_5xx(
    servers: tuple[str, str],
) -> None:
    _, mock = servers
    base = f"{mock}/v1beta/models/gemini-2.5-flash"
    _fuzz(
        lambda stream: (
            f"{base}:streamGenerateContent?alt=sse" if stream else f"{base}:generateContent"
        ),
        {"x-goog-api-key": MOCK_KEY, "content-type": "application/json"},
        GENERATE,
        False,
        google_envelope,
    )
