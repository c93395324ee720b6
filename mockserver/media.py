"""Deterministic media bytes: a PNG encoder and a 16-bit PCM tone generator (pure).

- :func:`encode_png`: RGB8 pixels -> a valid PNG file (signature, ``IHDR`` with bit
  depth 8 and colour type 2, one zlib-compressed ``IDAT`` holding every scanline with
  filter byte 0, ``IEND``; CRC-32 on every chunk). :func:`gradient_png` draws a
  ``width`` x ``height`` gradient whose colours come from a key (the request hash), so
  the same request gives the same image, byte for byte.
- :func:`fixture_png` and :data:`FIXTURE_JPEG`: the images the mock serves at
  ``GET /_mock/image.png`` and ``/_mock/image.jpg`` (:mod:`mockserver.http_fixtures`),
  for proxies that fetch ``http(s)`` image URLs: a 32 x 32 gradient PNG and a fixed
  16 x 16 baseline JPEG (JFIF, YCbCr 4:4:4, one flat orange, RGB about 230/121/30).
- :func:`tone_pcm`: headerless signed 16-bit little-endian mono PCM at
  :data:`SAMPLE_RATE` Hz (docs/gemini-wire.md A6, TTS: ``audio/L16;codec=pcm;rate=24000``),
  one sine segment of :data:`SEGMENT_SAMPLES` samples per word, each at the frequency
  of the voice that "speaks" it.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from array import array
from functools import cache

__all__ = [
    "FIXTURE_JPEG",
    "JPEG_SIGNATURE",
    "PCM_MIME",
    "PNG_SIGNATURE",
    "SAMPLE_RATE",
    "SEGMENT_SAMPLES",
    "encode_png",
    "fixture_png",
    "gradient_png",
    "tone_pcm",
    "voice_frequency",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
"""SOI and the first byte of the next marker: how every JPEG file starts."""
FIXTURE_JPEG = b"".join(
    bytes.fromhex(segment)
    for segment in (
        "ffd8",  # SOI
        "ffe000104a46494600010100000100010000",  # APP0: JFIF 1.1, 1:1, no thumbnail
        "ffdb004300" + "01" * 64,  # DQT: table 0, every step 1
        "ffc00011080010001003011100021100031100",  # SOF0: 8 bit, 16x16, YCbCr at 1x1
        "ffc4001700010003000000000000000000000000000007090a",  # DHT DC 0: 0; 7, 9, 10
        "ffc40014100100000000000000000000000000000000",  # DHT AC 0: end-of-block only
        "ffda000c03010002000300003f00",  # SOS: three components, tables 0
        "9e19ff005f800000",  # 4 MCUs, DC only (Y 120, Cb -512, Cr 496), 0xff stuffed
        "ffd9",  # EOI
    )
)
"""A valid 16 x 16 baseline JPEG (179 bytes) of one flat colour, RGB about (230, 121,
30); served at ``GET /_mock/image.jpg``."""
SAMPLE_RATE = 24_000
"""Samples per second of TTS output (Hz)."""
SEGMENT_SAMPLES = SAMPLE_RATE // 4
"""Samples per spoken word: 0.25 s."""
PCM_MIME = f"audio/L16;codec=pcm;rate={SAMPLE_RATE}"
_AMPLITUDE = 0.3 * 32767


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(width: int, height: int, rgb: bytes) -> bytes:
    """A PNG of ``width`` x ``height`` RGB8 pixels; ``rgb`` is ``3 * width * height`` bytes,
    rows top to bottom. Raises ``ValueError`` when the sizes disagree."""
    if width < 1 or height < 1 or len(rgb) != 3 * width * height:
        raise ValueError(
            f"rgb must hold 3 * {width} * {height} bytes for a {width}x{height} image; "
            f"got {len(rgb)}"
        )
    stride = 3 * width
    raw = b"".join(b"\x00" + rgb[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def gradient_png(key: bytes, width: int = 64, height: int = 64) -> bytes:
    """A gradient PNG drawn from the first 9 bytes of ``key``: red runs left to right
    between two key colours, green top to bottom, blue follows the diagonal."""
    if len(key) < 9:
        raise ValueError(f"key must have at least 9 bytes; got {len(key)}")
    r0, r1, g0, g1, b0, b1 = key[0], key[1], key[2], key[3], key[4], key[5]
    xs = [r0 + (r1 - r0) * x // max(width - 1, 1) for x in range(width)]
    ys = [g0 + (g1 - g0) * y // max(height - 1, 1) for y in range(height)]
    span = max(width + height - 2, 1)
    pixels = bytearray()
    for y in range(height):
        green = ys[y]
        for x in range(width):
            pixels += bytes((xs[x], green, b0 + (b1 - b0) * (x + y) // span))
    return encode_png(width, height, bytes(pixels))


@cache
def fixture_png() -> bytes:
    """The 32 x 32 gradient PNG served at ``GET /_mock/image.png`` (always the same)."""
    return gradient_png(b"mock-fixture-image", 32, 32)


def voice_frequency(index: int) -> float:
    """The tone of voice number ``index`` in Hz: 220 Hz up in semitones, one octave cycle
    every 24 voices (so any two of the 30 prebuilt voices differ)."""
    return 220.0 * 2 ** ((index % 24) / 12) * (1.5 if index >= 24 else 1.0)


@cache
def _segment(frequency: float) -> bytes:
    step = 2 * math.pi * frequency / SAMPLE_RATE
    samples = array("h", (round(_AMPLITUDE * math.sin(step * i)) for i in range(SEGMENT_SAMPLES)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def tone_pcm(frequencies: list[float]) -> bytes:
    """One 0.25 s sine segment per entry of ``frequencies`` (Hz), concatenated:
    ``2 * SEGMENT_SAMPLES * len(frequencies)`` bytes of 16-bit LE mono PCM."""
    return b"".join(_segment(f) for f in frequencies)
