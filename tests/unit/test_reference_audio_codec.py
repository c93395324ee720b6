"""``/v1/audio/speech`` output formats of the reference proxy (reference_impl.translate.audio_codec,
reference_impl.translate.audio): every served format decodes back to the upstream's
24 kHz mono samples, with the media type openai-core.yaml names; ``aac`` is a 400 naming
``response_format``; each profile defaults to its document's format."""

from __future__ import annotations

import base64
import io
import math
import struct
from typing import Any

import pytest
import soundfile  # type: ignore[import-untyped]  # ships no type hints or stubs

import spec
from reference_impl.contract import contract_for
from reference_impl.translate.audio import FORMATS, speech_audio, speech_pcm, speech_request
from reference_impl.translate.audio_codec import CONTENT_TYPES, SERVED, SLOW, encode
from reference_impl.translate.errors import ProxyError, RequestError
from reference_impl.translate.media import wav

RATE = 24000
SECONDS = 1.5
FRAMES = int(RATE * SECONDS)
PCM = struct.pack(
    f"<{FRAMES}h", *(round(8000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(FRAMES))
)


def answer(data: bytes = PCM, mime: str = f"audio/L16;codec=pcm;rate={RATE}") -> dict[str, Any]:
    inline = {"mimeType": mime, "data": base64.b64encode(data).decode()}
    return {"candidates": [{"content": {"parts": [{"inlineData": inline}]}}]}


def decode(data: bytes) -> tuple[Any, int, int]:
    """``(samples, rate, channels)`` of an encoded file, read back with libsndfile."""
    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    return samples, rate, samples.shape[1]


def mpeg_start(data: bytes) -> bool:
    """An ID3v2 tag or an MPEG audio frame sync (11 set bits: 0xFFE...)."""
    return data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


# --------------------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("fmt", "magic", "subtype"),
    [("mp3", None, "MPEG_LAYER_III"), ("opus", b"OggS", "OPUS"), ("flac", b"fLaC", "PCM_16")],
)
def test_encoded_formats_decode_to_24khz_mono(fmt: str, magic: bytes | None, subtype: str) -> None:
    data = encode(fmt, PCM, RATE)
    if magic is None:
        assert mpeg_start(data), data[:4].hex()
    else:
        assert data.startswith(magic)
    info = soundfile.info(io.BytesIO(data))
    assert info.subtype == subtype
    samples, rate, channels = decode(data)
    assert (rate, channels) == (RATE, 1)
    # lossy codecs pad to whole frames; the length stays within a few codec frames
    assert abs(len(samples) - FRAMES) <= 2 * 1152, len(samples)
    if fmt == "flac":  # lossless: the very samples
        assert samples[:, 0].tobytes() == PCM


def test_mp3_is_smaller_than_the_pcm_and_holds_the_tone() -> None:
    data = encode("mp3", PCM, RATE)
    assert len(data) < len(PCM) // 4
    samples, _, _ = decode(data)
    peak = int(abs(samples[:, 0].astype("int32")).max())
    assert 4000 < peak < 16000  # the 8000-amplitude sine survives, not silence or noise


def test_wav_and_pcm_are_written_without_an_encoder() -> None:
    assert encode("pcm", PCM, RATE) == PCM
    assert encode("pcm", PCM + b"\x01", RATE) == PCM  # an odd trailing byte is dropped
    data = encode("wav", PCM, RATE)
    assert data == wav(PCM, RATE)
    samples, rate, channels = decode(data)
    assert (rate, channels, len(samples)) == (RATE, 1, FRAMES)


def test_formats_content_types_and_what_runs_off_the_loop() -> None:
    assert SERVED == ("mp3", "opus", "flac", "wav", "pcm")
    assert set(FORMATS) - set(SERVED) == {"aac"}
    assert CONTENT_TYPES == {
        "mp3": "audio/mpeg",
        "opus": "audio/opus",
        "flac": "audio/flac",
        "wav": "audio/wav",
        "pcm": "audio/pcm",
    }
    doc = spec.load_document("openai-core")
    media = doc["paths"]["/audio/speech"]["post"]["responses"]["200"]["content"]
    assert set(CONTENT_TYPES.values()) <= set(media)
    assert set(SLOW) == {"mp3", "opus", "flac"}


def test_a_rate_the_codec_refuses_is_a_500_naming_it() -> None:
    with pytest.raises(ProxyError) as info:
        encode("opus", PCM, 22050)  # Opus takes 8/12/16/24/48 kHz only
    assert info.value.status == 500
    assert "opus at 22050 Hz" in info.value.message
    with pytest.raises(ValueError, match="aac"):
        encode("aac", PCM, RATE)


# --------------------------------------------------------------------------- requests


def test_aac_and_unknown_formats_are_400s_naming_response_format() -> None:
    with pytest.raises(RequestError) as info:
        speech_request({"input": "hi", "response_format": "aac"})
    err = info.value.envelope()["error"]
    assert (err["param"], err["code"]) == ("response_format", "unsupported_value")
    assert "aac" in err["message"]
    assert "mp3, opus, flac, wav, pcm" in err["message"]
    with pytest.raises(RequestError) as info:
        speech_request({"input": "hi", "response_format": "ogg"})
    assert info.value.param == "response_format"


@pytest.mark.parametrize(
    ("profile", "default"), [("openai-core", "mp3"), ("gemini-reverse", "wav")]
)
def test_each_profile_defaults_to_its_documents_format(profile: str, default: str) -> None:
    contract = contract_for(profile)
    assert contract.serves("audio")
    assert contract.speech_format == default
    doc = spec.load_document(profile)
    schema = doc["components"]["schemas"]["SpeechRequest"]["properties"]["response_format"]
    assert schema["default"] == default
    assert speech_request({"input": "hi"}, contract.speech_format).format == default


@pytest.mark.parametrize("fmt", SERVED)
def test_speech_audio_answers_each_format(fmt: str) -> None:
    body, ctype = speech_audio(speech_request({"input": "hi", "response_format": fmt}), answer())
    assert ctype == CONTENT_TYPES[fmt]
    if fmt == "pcm":
        assert body == PCM
    else:
        _, rate, channels = decode(body)
        assert (rate, channels) == (RATE, 1)


def test_an_upstream_wav_is_read_not_passed_off_as_pcm() -> None:
    pcm = speech_pcm(answer(wav(PCM, 16000), "audio/wav"))
    assert (pcm.data, pcm.rate, pcm.channels) == (PCM, 16000, 1)
    body, _ = speech_audio(speech_request({"input": "hi", "response_format": "pcm"}), answer())
    assert body == PCM
    with pytest.raises(ProxyError) as info:
        speech_pcm(answer(b"RIFF????WAVEjunk", "audio/wav"))
    assert info.value.status == 502


def test_split_audio_parts_are_joined_and_an_answer_without_audio_is_a_502() -> None:
    half = len(PCM) // 2
    two = answer(PCM[:half])
    two["candidates"][0]["content"]["parts"].append(
        answer(PCM[half:])["candidates"][0]["content"]["parts"][0]
    )
    assert speech_pcm(two).data == PCM
    with pytest.raises(ProxyError) as info:
        speech_pcm({"candidates": [{"content": {"parts": [{"text": "no audio"}]}}]})
    assert info.value.status == 502
