"""``/v1/audio/speech`` end to end: the official ``openai`` SDK -> the reference proxy ->
the project's mock (24 kHz 16-bit mono PCM, one 0.25 s tone per word). OpenAI's own
example request gets ``200 audio/mpeg`` MP3 under ``openai-core`` (wire-formats.md B4);
000's default stays WAV under ``gemini-reverse``. Servers on free 127.0.0.1 ports."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import httpx
import openai
import pytest
import soundfile  # type: ignore[import-untyped]  # ships no type hints or stubs

from mockserver.app import create_app as mock_app
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app
from reference_impl.settings import Settings
from tests.servers import serve

CLIENT = "client-key"
TEXT = "Today is a wonderful day to build something people love!"
FRAMES = 10 * 24000 // 4  # ten words, 0.25 s each at 24 kHz
EXAMPLE = {"model": "tts-1", "input": TEXT, "voice": "alloy"}
"""openai-core.yaml createSpeech's example (OpenAI's API reference)."""


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    with serve(lambda: mock_app(MockSettings())) as url:
        yield url


def proxy(mock: str, profile: str = "openai-core") -> Settings:
    return Settings(
        upstream_url=f"{mock}/v1beta",
        upstream_keys=("upstream-key",),
        api_keys=frozenset({CLIENT}),
        profile=profile,
    )


@pytest.fixture(scope="module")
def core(mock: str) -> Iterator[str]:
    with serve(lambda: create_app(proxy(mock))) as url:
        yield url


def decoded(data: bytes) -> tuple[int, int, int]:
    """``(sample rate, channels, frames)`` of an audio file, read with libsndfile."""
    info = soundfile.info(io.BytesIO(data))
    samples, _ = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    return info.samplerate, info.channels, len(samples)


def mpeg_start(data: bytes) -> bool:
    return data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def test_openais_example_gets_mp3_by_default(core: str) -> None:
    r = httpx.post(
        f"{core}/v1/audio/speech",
        json=EXAMPLE,
        headers={"Authorization": f"Bearer {CLIENT}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/mpeg"
    assert mpeg_start(r.content), r.content[:4].hex()
    rate, channels, frames = decoded(r.content)
    assert (rate, channels) == (24000, 1)
    assert abs(frames - FRAMES) <= 2 * 1152, frames


@pytest.mark.parametrize(
    ("fmt", "magic"), [("mp3", None), ("opus", b"OggS"), ("flac", b"fLaC"), ("wav", b"RIFF")]
)
def test_the_openai_sdk_gets_playable_bytes(core: str, fmt: str, magic: bytes | None) -> None:
    client = openai.OpenAI(base_url=f"{core}/v1", api_key=CLIENT, max_retries=0)
    response = client.audio.speech.create(
        model="tts-1",
        voice="alloy",
        input=TEXT,
        response_format=fmt,  # type: ignore[arg-type]
    )
    data = response.read()
    assert isinstance(data, bytes)
    assert mpeg_start(data) if magic is None else data.startswith(magic)
    rate, channels, frames = decoded(data)
    assert (rate, channels) == (24000, 1)
    assert abs(frames - FRAMES) <= 2 * 1152, frames
    assert response.response.headers["content-type"].startswith("audio/")


def test_the_sdk_sees_aac_refused_naming_response_format(core: str) -> None:
    client = openai.OpenAI(base_url=f"{core}/v1", api_key=CLIENT, max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="aac")
    assert info.value.param == "response_format"
    assert "aac" in info.value.message


def test_gemini_reverse_keeps_its_documented_wav_default(mock: str) -> None:
    with serve(lambda: create_app(proxy(mock, "gemini-reverse"))) as url:
        r = httpx.post(f"{url}/v1/audio/speech", json={"input": TEXT}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "audio/wav"
        assert r.headers["content-disposition"] == 'attachment; filename="speech.wav"'
        with wave.open(io.BytesIO(r.content)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (24000, 1, FRAMES)
        r = httpx.post(
            f"{url}/v1/audio/speech", json={"input": TEXT, "response_format": "mp3"}, timeout=30
        )
        assert r.headers["content-type"] == "audio/mpeg"
        assert mpeg_start(r.content)
