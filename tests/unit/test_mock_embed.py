"""mockserver.embed and countTokens: deterministic unit vectors, the token rule."""

from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.embed import output_size, vector
from mockserver.responses import handle_count_tokens, handle_embed


def _model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None, name
    return found


EMBED = _model("gemini-embedding-001")


@given(st.text(max_size=30), st.integers(1, 3072), st.integers(0, 2**64 - 1))
def test_vectors_are_deterministic_unit_vectors(text: str, dims: int, seed: int) -> None:
    values = vector(seed, "gemini-embedding-001", text, dims)
    assert len(values) == dims
    assert values == vector(seed, "gemini-embedding-001", text, dims)
    assert math.isclose(math.fsum(v * v for v in values), 1.0, abs_tol=1e-5)


def test_embed_and_batch_agree() -> None:
    one = handle_embed(
        EMBED, orjson.dumps({"content": {"parts": [{"text": "hi"}]}}), 0, batch=False
    )
    values = json.loads(one.reply.body)["embedding"]["values"]
    assert len(values) == 3072  # gemini-embedding-001's full size, its default at Google
    batch = {
        "requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "hi"}]}},
            {"content": {"parts": [{"text": "other"}]}, "output_dimensionality": 8},
        ]
    }
    out = json.loads(handle_embed(EMBED, orjson.dumps(batch), 0, batch=True).reply.body)
    assert out["embeddings"][0]["values"] == values
    assert len(out["embeddings"][1]["values"]) == 8


@pytest.mark.parametrize(
    "raw",
    [
        b"nope",
        b"{}",
        b'{"content": {"parts": []}}',
        b'{"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 3073}',
        b'{"content": {"parts": [{"text": "a"}]}, "outputDimensionality": "8"}',
    ],
)
def test_bad_embed_requests_are_400(raw: bytes) -> None:
    reply = handle_embed(EMBED, raw, 0, batch=False).reply
    assert reply.status == 400
    assert json.loads(reply.body)["error"]["status"] == "INVALID_ARGUMENT"
    assert handle_embed(EMBED, b'{"requests": []}', 0, batch=True).reply.status == 400


@pytest.mark.parametrize("asked", [0, 3073, True, 8.0, "8"])
def test_an_output_size_outside_the_model_is_refused_with_its_range(asked: object) -> None:
    with pytest.raises(ValueError, match=r"\[1, 3072\]"):
        output_size("gemini-embedding-001", asked)
    assert output_size("gemini-embedding-001", None) == 3072
    assert output_size("gemini-embedding-001", 1) == 1


def test_count_tokens_uses_the_token_rule() -> None:
    raw = orjson.dumps({"contents": [{"parts": [{"text": "one two three"}]}]})
    assert json.loads(handle_count_tokens(raw).reply.body) == {
        "totalTokens": 3,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 3}],
    }
    wrapped = orjson.dumps(
        {
            "generateContentRequest": {
                "model": "models/gemini-2.5-flash",
                "contents": [{"parts": [{"text": "a b"}]}],
                "systemInstruction": {"parts": [{"text": "c"}]},
            }
        }
    )
    assert json.loads(handle_count_tokens(wrapped).reply.body)["totalTokens"] == 3
    assert handle_count_tokens(b"[").reply.status == 400


def test_one_part_object_where_the_list_goes_is_read_as_a_list_of_one() -> None:
    """Google's parser reads one object for a repeated message field (Vertex AI's own
    samples send ``"parts": {"text": ...}``); a popular proxy's embeddings rely on it."""
    single = handle_embed(
        EMBED, orjson.dumps({"content": {"parts": {"text": "hi"}}}), 0, batch=False
    )
    listed = handle_embed(
        EMBED, orjson.dumps({"content": {"parts": [{"text": "hi"}]}}), 0, batch=False
    )
    assert single.reply.status == 200
    assert single.reply.body == listed.reply.body
