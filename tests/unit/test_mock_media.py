"""mockserver.media: real PNG files and 16-bit PCM tones, byte-deterministic (pure)."""

from __future__ import annotations

import math
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.media import (
    PNG_SIGNATURE,
    SAMPLE_RATE,
    SEGMENT_SAMPLES,
    encode_png,
    gradient_png,
    tone_pcm,
    voice_frequency,
)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, checking each CRC."""
    assert png[:8] == PNG_SIGNATURE
    out = []
    pos = 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        out.append((kind, data))
        pos += 12 + length
    assert pos == len(png)
    return out


@given(st.binary(min_size=9, max_size=32), st.integers(1, 80), st.integers(1, 80))
def test_gradient_png_is_a_valid_png_of_the_asked_size(key: bytes, width: int, height: int) -> None:
    found = chunks(gradient_png(key, width, height))
    assert [kind for kind, _ in found] == [b"IHDR", b"IDAT", b"IEND"]
    ihdr = found[0][1]
    assert struct.unpack(">IIBBBBB", ihdr) == (width, height, 8, 2, 0, 0, 0)
    raw = zlib.decompress(found[1][1])
    assert len(raw) == height * (1 + 3 * width)
    assert all(raw[y * (1 + 3 * width)] == 0 for y in range(height))  # filter type None
    assert found[2][1] == b""


def test_pixels_are_the_gradient_and_depend_on_the_key() -> None:
    key = bytes([0, 255, 10, 200, 30, 40, 0, 0, 0])
    raw = zlib.decompress(chunks(gradient_png(key, 4, 3))[1][1])
    rows = [raw[i * 13 + 1 : (i + 1) * 13] for i in range(3)]
    assert rows[0][0:3] == bytes([0, 10, 30])  # top-left: r0, g0, b0
    assert rows[0][9] == 255  # top-right red is r1
    assert rows[2][1] == 200  # bottom green is g1
    assert gradient_png(key, 4, 3) == gradient_png(key, 4, 3)
    assert gradient_png(key, 4, 3) != gradient_png(bytes([1]) + key[1:], 4, 3)


def test_encode_png_rejects_mismatched_sizes() -> None:
    with pytest.raises(ValueError, match=r"3 \* 2 \* 2 bytes"):
        encode_png(2, 2, b"\0" * 11)
    with pytest.raises(ValueError, match="at least 9 bytes"):
        gradient_png(b"short")


@pytest.mark.parametrize("words", [1, 2, 7])
def test_pcm_is_16_bit_mono_one_segment_per_word(words: int) -> None:
    pcm = tone_pcm([440.0] * words)
    assert len(pcm) == 2 * SEGMENT_SAMPLES * words
    assert SEGMENT_SAMPLES == SAMPLE_RATE // 4
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    assert samples[0] == 0
    # a 440 Hz sine: sample 1 is sin(2*pi*440/24000) of the amplitude, little-endian
    assert samples[1] == round(0.3 * 32767 * math.sin(2 * math.pi * 440 / SAMPLE_RATE))
    assert max(samples) <= 32767 * 0.3 + 1
    assert min(samples) < 0


def test_each_voice_has_its_own_tone() -> None:
    frequencies = [voice_frequency(i) for i in range(30)]
    assert len(set(frequencies)) == 30
    assert tone_pcm([frequencies[0]]) != tone_pcm([frequencies[1]])
