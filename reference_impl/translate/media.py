"""Media helpers: MIME sniffing, loopback URLs, WAV from PCM. Pure.

- :func:`sniff`: the MIME type of image, audio and PDF bytes by their magic numbers
  (PNG, JPEG, GIF, WebP, BMP, PDF, WAV, MP3, FLAC, OGG);
- :func:`is_loopback`: whether an http(s) URL points at this machine (``127.0.0.0/8``,
  ``::1``, ``localhost``): the only image URLs the proxy fetches itself
  (docs/breakages.md F7), so it never sends traffic anywhere else;
- :func:`wav`: a RIFF/WAVE file around raw little-endian PCM, for Gemini TTS output
  (docs/gemini-wire.md A6: ``audio/L16;codec=pcm;rate=24000``, 16-bit signed mono);
- :func:`pcm_rate`: the sample rate named in such a MIME type.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from urllib.parse import urlsplit

__all__ = ["extension", "is_loopback", "pcm_rate", "sniff", "wav"]

_RATE_RE = re.compile(r"rate=(\d+)")
_EXT = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/bmp": "bmp",
}


def sniff(data: bytes) -> str | None:
    """The MIME type of ``data`` from its first bytes, or ``None`` when unknown."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"BM"):
        return "image/bmp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mp3"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    return None


def extension(mime: str) -> str:
    """A file extension for an image MIME type (``png`` when unknown)."""
    return _EXT.get(mime.split(";", 1)[0].strip().lower(), "png")


def is_loopback(url: str) -> bool:
    """Whether ``url`` is http(s) to ``localhost``, ``127.0.0.0/8`` or ``::1``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pcm_rate(mime: str, default: int = 24000) -> int:
    """The ``rate=N`` of an ``audio/L16;codec=pcm;rate=N`` MIME type (Hz)."""
    m = _RATE_RE.search(mime)
    return int(m.group(1)) if m else default


def wav(pcm: bytes, rate: int = 24000, channels: int = 1, sample_bytes: int = 2) -> bytes:
    """A canonical 44-byte-header WAVE file holding ``pcm`` (little-endian samples)."""
    if len(pcm) % 2:
        pcm = pcm[:-1]
    block = channels * sample_bytes
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        channels,
        rate,
        rate * block,
        block,
        8 * sample_bytes,
        b"data",
        len(pcm),
    )
    return header + pcm
