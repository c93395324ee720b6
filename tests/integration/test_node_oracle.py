"""openai-node really replays recorded bytes (skipped when node or npm `openai` is
missing: `conformance setup-node` installs it; CI does)."""

from __future__ import annotations

import json

import pytest

from conformance.oracles_node import (
    AI_SDK_SUFFIX,
    ai_sdk_unavailable,
    node_unavailable,
    replay_openai_node,
)
from tests.factories import chunk, completion, json_exchange, sse, stream_exchange, text_chunks

pytestmark = pytest.mark.skipif(
    node_unavailable() is not None, reason=f"openai-node oracle: {node_unavailable()}"
)


def test_node_accepts_a_good_stream_and_rejects_bad_ones() -> None:
    good = stream_exchange("good", sse(*text_chunks()))
    ping = stream_exchange("ping", b"data: : ping\n\n" + sse(*text_chunks()))
    done_space = stream_exchange(
        "done_space", sse(*text_chunks(), done=False) + b"data: [DONE] \n\n"
    )
    error = stream_exchange(
        "error", sse(chunk({"role": "assistant"}), {"error": {"message": "boom"}})
    )
    out = replay_openai_node(
        [(good, "stream"), (ping, "stream"), (done_space, "stream"), (error, "stream")]
    )
    assert out["good"].ok
    assert out["good"].chunks == len(text_chunks())
    assert out["ping"].error_type == "SyntaxError"
    # openai-node needs exactly "[DONE]": "[DONE] " is parsed as JSON and throws
    assert out["done_space"].error_type == "SyntaxError"
    assert not out["error"].ok
    assert "boom" in (out["error"].error or "")


@pytest.mark.skipif(ai_sdk_unavailable() is not None, reason=f"AI SDK: {ai_sdk_unavailable()}")
def test_the_ai_sdk_refuses_what_openai_node_lets_pass() -> None:
    """The AI SDK's provider ends these streams with an error part (docs/openai-wire.md
    B2); openai-node reads every one of them quietly, so only this replay shows them."""
    chunks = text_chunks()
    usage_only = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1}
    usage_only |= {"model": "m", "usage": {"prompt_tokens": 1, "completion_tokens": 2}}
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"arguments": "{}"}}
    streams = {
        "good": sse(*chunks),
        "no_finish": sse(*chunks[:-1]),
        "usage_without_choices": sse(*chunks, usage_only),
        "role_model": sse(chunk({"role": "model", "content": "hi"}), *chunks[1:]),
        "call_without_name": sse(chunk({"role": "assistant", "tool_calls": [call]}), chunks[-1]),
    }
    items = [(stream_exchange(name, body), "stream") for name, body in streams.items()]
    out = replay_openai_node(items, ai_sdk=set(streams))
    assert all(out[name].ok for name in streams), {n: out[n].error for n in streams}
    ai = {name: out[name + AI_SDK_SUFFIX] for name in streams}
    assert ai["good"].ok
    assert ai["good"].client.startswith("@ai-sdk/openai-compatible ")
    assert "without a finish reason" in (ai["no_finish"].error or "")
    assert "choices" in (ai["usage_without_choices"].error or "")
    assert "role" in (ai["role_model"].error or "")
    assert "function.name" in (ai["call_without_name"].error or "")


@pytest.mark.skipif(ai_sdk_unavailable() is not None, reason=f"AI SDK: {ai_sdk_unavailable()}")
def test_the_ai_sdk_parses_a_unary_answer_and_its_tool_calls() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": None}}
    bad = completion({"role": "assistant", "content": None, "tool_calls": [call]})
    items = [
        (json_exchange("good", completion()), "create"),
        (json_exchange("null_arguments", bad), "create"),
    ]
    out = replay_openai_node(items, ai_sdk={"good", "null_arguments"})
    assert out["good" + AI_SDK_SUFFIX].ok
    assert not out["null_arguments" + AI_SDK_SUFFIX].ok
    assert "arguments" in (out["null_arguments" + AI_SDK_SUFFIX].error or "")


@pytest.mark.skipif(ai_sdk_unavailable() is not None, reason=f"AI SDK: {ai_sdk_unavailable()}")
def test_the_ai_sdk_counts_the_tool_calls_it_assembles() -> None:
    """Two parallel calls are two tool-call parts; a call sent as the legacy
    function_call is none (the provider reads tool_calls only), without an error."""
    calls = [
        {"index": i, "id": f"call_{i}", "type": "function"}
        | {"function": {"name": "get_weather", "arguments": json.dumps({"location": city})}}
        for i, city in enumerate(("Paris", "Tokyo"))
    ]
    legacy = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
    streams = {
        "parallel": sse(chunk({"role": "assistant", "tool_calls": calls}), chunk({}, "tool_calls")),
        "legacy": sse(
            chunk({"role": "assistant", "function_call": legacy}), chunk({}, "function_call")
        ),
    }
    items = [(stream_exchange(name, body), "stream") for name, body in streams.items()]
    out = replay_openai_node(items, ai_sdk=set(streams))
    parallel, old = out["parallel" + AI_SDK_SUFFIX], out["legacy" + AI_SDK_SUFFIX]
    assert (parallel.ok, parallel.calls) == (True, 2)
    assert (old.ok, old.calls) == (True, 0)


def test_node_never_sends_a_request_on_a_socket_the_replay_server_is_closing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The replay server answers one request per connection. Were the answer silent on
    that, Node's fetch would pool the socket and send the next item's request on it
    while the server closes it ("other side closed", a sound recording failed): the
    server here waits before closing, to hold that window open."""
    import socket
    import threading

    from conformance import oracles_node

    answer = oracles_node.ReplayServer._answer

    def lingering(self: oracles_node.ReplayServer, conn: socket.socket) -> None:
        with conn.dup():  # the connection stays open while its duplicate is
            answer(self, conn)
            threading.Event().wait(0.3)

    monkeypatch.setattr(oracles_node, "_server", None)
    monkeypatch.setattr(oracles_node.ReplayServer, "_answer", lingering)
    items = [(json_exchange(f"a{i}", completion()), "create") for i in range(4)]
    out = replay_openai_node(items, ai_sdk={x.probe for x, _ in items})
    assert all(o.ok for o in out.values()), {k: o.error for k, o in out.items()}
