"""Media helpers: MIME sniffing, loopback URLs, WAV from PCM. Pure.

- :func:`sniff`: the MIME type of image, audio and PDF bytes by their magic numbers
  (PNG, JPEG, GIF, WebP, BMP, PDF, WAV, MP3, FLAC, OGG);
- :func:`is_loopback`: whether an http(s) URL points at this machine (``127.0.0.0/8``,
  ``::1``, ``localhost``);
- :func:`is_private_url`: whether an http(s) URL names ``localhost`` or a literal address
  that is not public (:func:`blocked_address`): the only image URLs the proxy handles
  itself (docs/breakages.md F7); refused unless ``--allow-private-media-urls``
  (:mod:`reference_impl.upstream.media`);
- :func:`wav`: a RIFF/WAVE file around raw little-endian PCM, for Gemini TTS output
  (docs/gemini-wire.md A6: ``audio/L16;codec=pcm;rate=24000``, 16-bit signed mono);
- :func:`pcm_rate`: the sample rate named in such a MIME type.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from urllib.parse import urlsplit

__all__ = [
    "blocked_address",
    "extension",
    "is_loopback",
    "is_private_url",
    "local_name",
    "pcm_rate",
    "sniff",
    "wav",
]

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


def blocked_address(address: str) -> bool:
    """Whether the IP address ``address`` is one the proxy does not fetch from by default:
    anything not globally routable (loopback ``127.0.0.0/8`` and ``::1``, private
    ``10/8``, ``172.16/12``, ``192.168/16``, link-local ``169.254/16`` (cloud metadata)
    and ``fe80::/10``, unique-local ``fc00::/7``, ``0.0.0.0``, shared ``100.64/10``...),
    multicast, an IPv4-mapped form of any of them, or not an address at all."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def local_name(host: str) -> bool:
    """Whether the host name ``host`` means this machine (``localhost``, ``*.localhost``,
    any case, with or without the final dot)."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def is_private_url(url: str) -> bool:
    """Whether ``url`` is http(s) to a local name (:func:`local_name`) or to a literal
    address :func:`blocked_address` refuses."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if local_name(host):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return blocked_address(host)


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
