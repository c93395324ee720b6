"""mockserver.media: real PNG files and 16-bit PCM tones, byte-deterministic (pure)."""

from __future__ import annotations

import math
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.media import (
    FIXTURE_JPEG,
    JPEG_SIGNATURE,
    PNG_SIGNATURE,
    SAMPLE_RATE,
    SEGMENT_SAMPLES,
    encode_png,
    fixture_png,
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


# ----------------------------------------------------------------------------- fixtures


def test_fixture_png_is_a_32_pixel_gradient() -> None:
    found = chunks(fixture_png())
    assert struct.unpack(">II", found[0][1][:8]) == (32, 32)
    assert fixture_png() == gradient_png(b"mock-fixture-image", 32, 32)


def _huffman(counts: bytes, symbols: bytes) -> dict[tuple[int, int], int]:
    """Canonical Huffman codes: (length, code) -> symbol."""
    table: dict[tuple[int, int], int] = {}
    code = position = 0
    for length, count in enumerate(counts, start=1):
        for _ in range(count):
            table[(length, code)] = symbols[position]
            code += 1
            position += 1
        code <<= 1
    return table


def decode_baseline_jpeg(data: bytes) -> tuple[int, int, list[list[int]]]:
    """(width, height, DC coefficients of every block per component) of a baseline
    JPEG with 1x1 sampling: a small decoder, enough to prove the fixture is real."""
    assert data[:3] == JPEG_SIGNATURE
    assert data[-2:] == b"\xff\xd9"
    pos = 2
    tables: dict[tuple[int, int], dict[tuple[int, int], int]] = {}
    width = height = 0
    components: list[int] = []
    selectors: list[tuple[int, int]] = []
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        payload = data[pos + 4 : pos + 2 + length]
        pos += 2 + length
        if marker == 0xC0:  # SOF0
            assert payload[0] == 8
            height, width = struct.unpack(">HH", payload[1:5])
            components = [payload[6 + 3 * i] for i in range(payload[5])]
            assert all(payload[7 + 3 * i] == 0x11 for i in range(payload[5]))
        elif marker == 0xC4:  # DHT
            at = 0
            while at < len(payload):
                kind, counts = payload[at], payload[at + 1 : at + 17]
                symbols = payload[at + 17 : at + 17 + sum(counts)]
                tables[(kind >> 4, kind & 15)] = _huffman(counts, symbols)
                at += 17 + sum(counts)
        elif marker == 0xDA:  # SOS: the entropy-coded data follows
            selectors = [
                (payload[2 + 2 * i] >> 4, payload[2 + 2 * i] & 15) for i in range(payload[0])
            ]
            break
    scan = data[pos:-2].replace(b"\xff\x00", b"\xff")
    bits = "".join(format(byte, "08b") for byte in scan)
    cursor = 0

    def read(n: int) -> int:
        nonlocal cursor
        assert cursor + n <= len(bits), "the scan data ends too early"
        value = int(bits[cursor : cursor + n] or "0", 2)
        cursor += n
        return value

    def symbol(table: dict[tuple[int, int], int]) -> int:
        code = 0
        for length in range(1, 17):
            code = (code << 1) | read(1)
            if (length, code) in table:
                return table[(length, code)]
        raise AssertionError("no Huffman code matches")

    def extend(value: int, size: int) -> int:
        return value - (1 << size) + 1 if size and value < 1 << (size - 1) else value

    dcs: list[list[int]] = [[] for _ in components]
    previous = [0] * len(components)
    for _ in range(((width + 7) // 8) * ((height + 7) // 8)):
        for c, (dc_id, ac_id) in enumerate(selectors):
            size = symbol(tables[(0, dc_id)])
            previous[c] += extend(read(size), size)
            dcs[c].append(previous[c])
            k = 1
            while k < 64:
                rs = symbol(tables[(1, ac_id)])
                if rs == 0:
                    break
                k += (rs >> 4) + 1
                read(rs & 15)
    assert set(bits[cursor:]) <= {"1"}  # only the padding is left
    return width, height, dcs


def test_fixture_jpeg_decodes_to_a_flat_orange_square() -> None:
    width, height, dcs = decode_baseline_jpeg(FIXTURE_JPEG)
    assert (width, height) == (16, 16)
    assert [set(c) for c in dcs] == [{120}, {-512}, {496}]
    y, cb, cr = (dc / 8 + 128 for dc in (dcs[0][0], dcs[1][0], dcs[2][0]))
    rgb = (
        y + 1.402 * (cr - 128),
        y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
        y + 1.772 * (cb - 128),
    )
    assert [round(v) for v in rgb] == [230, 121, 30]
