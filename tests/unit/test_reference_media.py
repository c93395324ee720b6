"""Pure pieces of the reference proxy's other endpoints: media helpers, field validators,
embeddings, images, speech and document translation, catalogues, profile contracts."""

from __future__ import annotations

import base64
import io
import struct
import wave
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_impl.contract import ALL_GROUPS, contract_for
from reference_impl.translate.audio import speech_audio, speech_request, voices
from reference_impl.translate.catalog import api_models, model_type
from reference_impl.translate.embeddings import (
    embeddings_request,
    embeddings_response,
    encode_vector,
)
from reference_impl.translate.errors import ProxyError, RequestError
from reference_impl.translate.fields import b64_bytes, choice, model_id, opt_int, str_list
from reference_impl.translate.images import (
    aspect_ratio,
    image_job,
    images_from_answer,
    pick_image_model,
)
from reference_impl.translate.media import is_loopback, pcm_rate, sniff, wav
from reference_impl.translate.text import design_result, strip_fences, tables_result
from spec.profiles import PROFILES


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt", "audio/wav"),
        (b"%PDF-1.7", "application/pdf"),
        (b"ID3\x04", "audio/mp3"),
        (b"hello", None),
    ],
)
def test_sniff(data: bytes, mime: str | None) -> None:
    assert sniff(data) == mime


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080/x.png", True),
        ("http://127.9.9.9/x", True),
        ("https://localhost/x", True),
        ("http://[::1]:80/x", True),
        ("http://10.0.0.1/x", False),
        ("https://example.com/x.png", False),
        ("http://127.0.0.1.example.com/x", False),
        ("ftp://127.0.0.1/x", False),
        ("gs://bucket/x", False),
    ],
)
def test_is_loopback(url: str, local: bool) -> None:
    assert is_loopback(url) is local


@given(st.binary(max_size=64).map(lambda b: b[: len(b) // 2 * 2]), st.sampled_from([16000, 24000]))
def test_wav_round_trips_through_the_wave_module(pcm: bytes, rate: int) -> None:
    with wave.open(io.BytesIO(wav(pcm, rate))) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
        assert w.readframes(len(pcm)) == pcm


def test_pcm_rate() -> None:
    assert pcm_rate("audio/L16;codec=pcm;rate=16000") == 16000
    assert pcm_rate("audio/L16") == 24000


def test_field_validators() -> None:
    assert choice({}, "f", ("a", "b"), "a") == "a"
    with pytest.raises(RequestError) as info:
        choice({"f": "c"}, "f", ("a", "b"), "a")
    assert info.value.param == "f"
    assert opt_int({"n": 2.0}, "n", 1, 1, 4) == 2
    for bad in (True, "2", 5):
        with pytest.raises(RequestError):
            opt_int({"n": bad}, "n", 1, 1, 4)
    assert opt_int({}, "n", None) is None
    with pytest.raises(RequestError, match=r"n must be >= 1; got 0"):
        opt_int({"n": 0}, "n", None, 1)
    with pytest.raises(RequestError, match="n must be a 64-bit integer"):
        opt_int({"n": 1e30}, "n", None)
    with pytest.raises(RequestError, match=r"prompts\[1\]"):
        str_list({"prompts": ["a", ""]}, "prompts", max_items=3)
    assert model_id({"model": "models/gemini-x"}, None) == "gemini-x"
    with pytest.raises(RequestError):
        model_id({"model": "../x"}, None)
    data, mime = b64_bytes("data:image/png;base64," + base64.b64encode(b"abc").decode(), "image")
    assert (data, mime) == (b"abc", "image/png")
    assert b64_bytes(base64.b64encode(b"abc").decode(), "image") == (b"abc", None)
    with pytest.raises(RequestError):
        b64_bytes("data:text/plain,abc", "image")


# --------------------------------------------------------------------------- embeddings


@given(st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), max_size=16))
def test_base64_vectors_are_little_endian_float32(values: list[float]) -> None:
    raw = base64.b64decode(encode_vector(values))
    assert list(struct.unpack(f"<{len(values)}f", raw)) == values


def test_embeddings_translation() -> None:
    call = embeddings_request(
        {"input": ["a", "bbbbb"], "dimensions": 2, "encoding_format": "base64"},
        "gemini-embedding-001",
    )
    assert call.request["requests"][1] == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "bbbbb"}]},
        "outputDimensionality": 2,
    }
    out = embeddings_response(
        call, {"embeddings": [{"values": [1.0, 2.0]}, {"values": [3.0, 4.0]}]}
    )
    assert out["data"][1]["embedding"] == encode_vector([3.0, 4.0])
    assert out["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    with pytest.raises(ProxyError) as info:
        embeddings_response(call, {"embeddings": [{"values": [1.0]}]})
    assert info.value.status == 502
    for dims in (0, 1e30, "8"):
        with pytest.raises(RequestError) as bad:
            embeddings_request({"input": "a", "dimensions": dims}, "gemini-embedding-001")
        assert bad.value.param == "dimensions"


# --------------------------------------------------------------------------- images


def test_image_requests() -> None:
    assert pick_image_model("dall-e-3", "gemini-2.5-flash-image") == "gemini-2.5-flash-image"
    assert pick_image_model("imagen-4.0-generate-001", "d") == "imagen-4.0-generate-001"
    assert aspect_ratio("1024x1024") == "1:1"
    assert aspect_ratio("1792x1024") == "16:9"
    assert aspect_ratio("1024x1792") == "9:16"
    assert aspect_ratio(None) is None
    with pytest.raises(RequestError):
        aspect_ratio("big")
    job = image_job("imagen-4", "cat", count=3, ratio="1:1")
    assert (job.method, job.count) == ("predict", 3)
    assert job.payload == {
        "instances": [{"prompt": "cat"}],
        "parameters": {"sampleCount": 3, "aspectRatio": "1:1"},
    }
    job = image_job("gemini-2.5-flash-image", "cat", reference=("image/png", "AAA"))
    assert job.payload["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": "AAA"}
    }
    with pytest.raises(RequestError):
        image_job("imagen-4", "cat", reference=("image/png", "AAA"))


def test_images_from_answers() -> None:
    images, text = images_from_answer(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"text": "ok", "thought": True},
                            {"text": "Here"},
                            {"inlineData": {"mimeType": "image/jpeg", "data": "QUJD"}},
                        ]
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    assert [(i.mime, i.raw()) for i in images] == [("image/jpeg", b"ABC")]
    assert text == "Here"
    got, _ = images_from_answer(
        {"predictions": [{"bytesBase64Encoded": "QUJD"}, {"raiFilteredReason": "x"}]}
    )
    assert len(got) == 1
    for blocked in (
        {"promptFeedback": {"blockReason": "SAFETY"}},
        {"candidates": [{"finishReason": "IMAGE_SAFETY"}]},
        {"predictions": [{"raiFilteredReason": "violence"}]},
    ):
        with pytest.raises(ProxyError) as info:
            images_from_answer(blocked)
        assert (info.value.status, info.value.code) == (400, "content_filter")
    with pytest.raises(ProxyError, match="no image"):
        images_from_answer({"candidates": [{"content": {"parts": [{"text": "no"}]}}]})


# --------------------------------------------------------------------------- speech


def test_speech_translation() -> None:
    assert speech_request({"input": "hi"}).format == "mp3"  # OpenAI's default (B4)
    speech = speech_request({"input": "hi", "voice": "onyx", "speed": 2}, "wav")
    assert speech.voice == "Fenrir"
    assert speech.format == "wav"
    assert speech.payload["contents"][0]["parts"][0]["text"] == "Say it at 2x speed: hi"
    assert speech_request({"input": "hi", "voice": "Puck"}).voice == "Puck"
    pcm = b"\x01\x00\x02\x00"
    answer: dict[str, Any] = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {
                            "inlineData": {
                                "mimeType": "audio/L16;codec=pcm;rate=24000",
                                "data": base64.b64encode(pcm).decode(),
                            }
                        }
                    ]
                }
            }
        ]
    }
    body, ctype = speech_audio(speech, answer)
    assert ctype == "audio/wav"
    assert body[:4] == b"RIFF"
    assert body[44:] == pcm
    with pytest.raises(ProxyError) as info:
        speech_audio(speech, {"candidates": []})
    assert info.value.status == 502
    assert len(voices()["voices"]) == 6


# --------------------------------------------------------------------------- text


def test_model_json_is_parsed_leniently() -> None:
    assert design_result('```json\n{"analysis": "a", "components": ["x", 1]}\n```') == {
        "analysis": "a",
        "components": ["x"],
        "suggestions": [],
    }
    assert design_result("plain words") == {
        "analysis": "plain words",
        "components": [],
        "suggestions": [],
    }
    assert tables_result('{"tables": [{"rows": [[1, "a"]]}, {"nope": 1}]}') == [
        {"title": "", "rows": [["1", "a"]]}
    ]
    assert tables_result("not json") == []
    assert strip_fences("```tsx\nconst a = 1;\n```") == "const a = 1;"


# --------------------------------------------------------------------------- catalogues


def test_api_models_and_types() -> None:
    out = api_models(
        [
            {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash"},
            {"name": "models/gemini-2.5-flash-image"},
            {"name": "models/gemini-embedding-001"},
            {"name": "models/gemini-2.5-flash-preview-tts"},
        ]
    )
    assert [m["id"] for m in out["models"]] == ["gemini-2.5-flash", "gemini-2.5-flash-image"]
    assert out["models"][1]["name"] == "Gemini 2.5 Flash Image"
    assert out["categories"]["document"] == ["gemini-2.5-flash-pdf", "gemini-2.5-pro-pdf"]
    assert model_type("imagen-4.0") == "image"
    assert model_type("gemini-2.5-pro-preview-tts") == "tts"


def test_every_profile_has_a_contract() -> None:
    contracts = {name: contract_for(name) for name in PROFILES}
    assert contracts["openai-core"].groups == ALL_GROUPS
    assert contracts["gemini-proxy-deno"].prefix == ""
    assert not contracts["gemini-reverse"].client_auth
    assert not contracts["gemini-cli-proxy"].stream_default  # its SDK example wins
    newer = contracts["antigravity2api"]
    older = contract_for("antigravity2api", older=True)
    assert (newer.defaults["top_p"], newer.defaults["max_tokens"]) == (1, 32000)
    assert (older.defaults["top_p"], older.defaults["max_tokens"]) == (0.85, 8096)
    assert "admin" in newer.groups
    assert "admin" not in older.groups
    with pytest.raises(ValueError, match="older"):
        contract_for("openai-core", older=True)
