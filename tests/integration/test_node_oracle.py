"""openai-node really replays recorded bytes (skipped when node or npm `openai` is
missing: `conformance setup-node` installs it; CI does)."""

from __future__ import annotations

import pytest

from conformance.oracles_node import node_unavailable, replay_openai_node
from tests.factories import chunk, sse, stream_exchange, text_chunks

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
