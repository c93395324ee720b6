"""Small, valid files the probes upload: a one-page PDF with a line of text and a PNG,
and the ``multipart/form-data`` body that carries them.

Both files are built in code (deterministic bytes, no fixture files): :func:`pdf` follows
ISO 32000-1 section 7.5 (header, objects, a cross-reference table whose offsets are
byte-exact, trailer); :func:`png` follows the PNG specification (signature, ``IHDR``,
one zlib ``IDAT``, ``IEND``, each chunk with its CRC-32). :func:`multipart` writes a form
as RFC 7578 and the WHATWG form encoding say (the bytes httpx writes for the same form).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Mapping
from functools import cache

__all__ = ["SAMPLE_TEXT", "multipart", "pdf", "png", "sample_for"]

SAMPLE_TEXT = "Conformance sample: quarterly revenue rose 12 percent."
"""The text on the PDF's page."""


@cache
def pdf() -> bytes:
    """A one-page A4 PDF 1.4 showing :data:`SAMPLE_TEXT` in Helvetica (~600 bytes)."""
    stream = f"BT /F1 12 Tf 72 770 Td ({SAMPLE_TEXT}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png(width: int = 32, height: int = 32) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` pixels: a two-colour "UI mock-up"
    (a dark header bar over a light page)."""
    rows = []
    for y in range(height):
        colour = b"\x20\x40\x80" if y < height // 4 else b"\xf0\xf0\xf0"
        rows.append(b"\x00" + colour * width)  # filter type 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def sample_for(media_type: str) -> tuple[str, bytes, str]:
    """``(filename, bytes, media type)`` of a sample upload for a documented
    ``contentMediaType`` (``application/pdf``, ``image/png``...); images otherwise."""
    if media_type == "application/pdf":
        return "document.pdf", pdf(), "application/pdf"
    return "ui_mockup.png", png(), "image/png"


_FORM_ESCAPES = {'"': "%22", "\\": "\\\\"} | {chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}
_FORM_ESCAPE = re.compile("|".join(re.escape(c) for c in _FORM_ESCAPES))


def _param(name: str, value: str) -> str:
    """``name="value"`` with ``"``, ``\\`` and control characters escaped (WHATWG)."""
    return f'{name}="{_FORM_ESCAPE.sub(lambda m: _FORM_ESCAPES[m.group(0)], value)}"'


def multipart(
    data: Mapping[str, str], files: Mapping[str, tuple[str, bytes, str]], boundary: str
) -> bytes:
    """The ``multipart/form-data`` body of text fields ``data`` then files ``files``
    (``name -> (filename, bytes, media type)``), with ``boundary``."""
    parts = [
        f"Content-Disposition: form-data; {_param('name', name)}\r\n\r\n".encode() + value.encode()
        for name, value in data.items()
    ]
    parts += [
        f"Content-Disposition: form-data; {_param('name', name)}; {_param('filename', filename)}"
        f"\r\nContent-Type: {media_type}\r\n\r\n".encode()
        + content
        for name, (filename, content, media_type) in files.items()
    ]
    delimiter = f"--{boundary}\r\n".encode()
    return b"".join(delimiter + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()
