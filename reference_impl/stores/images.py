"""Generated images kept on disk and served at ``/images/{file}`` (antigravity2api 'Image
Generation': saved under a public directory, returned as URLs; gemini-reverse ``response_type:
url``).

File names are ``<utc time>_<16 hex>.<ext>``: unguessable, and safe to serve
(:data:`NAME_RE` is the only shape :meth:`ImageStore.path` accepts, so no path can
leave the directory). Writes are small and synchronous.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from ..translate.media import extension

__all__ = ["NAME_RE", "ImageStore"]

NAME_RE = re.compile(r"^[0-9]{8}_[0-9]{6}_[0-9a-f]{16}\.(png|jpg|gif|webp|bmp)$")
_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
}


class ImageStore:
    """Images under ``directory`` (created when missing), or, with ``None``, under a
    temporary directory made on the first save and removed by :meth:`close`."""

    __slots__ = ("_dir", "_owned")

    def __init__(self, directory: str | None) -> None:
        self._dir = Path(directory) if directory else None
        self._owned = False

    @property
    def directory(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="reference-proxy-images-"))
            self._owned = True
        else:
            os.makedirs(self._dir, exist_ok=True)
        return self._dir

    def close(self) -> None:
        """Remove the temporary directory (a configured one is kept)."""
        if self._owned and self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self._owned = False

    def save(self, data: bytes, mime: str) -> str:
        """Write ``data``; returns the file name."""
        stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime())
        name = f"{stamp}_{secrets.token_hex(8)}.{extension(mime)}"
        (self.directory / name).write_bytes(data)
        return name

    def save_b64(self, data: str, mime: str) -> str:
        """Write base64 ``data``; returns the file name."""
        return self.save(base64.b64decode(data), mime)

    def path(self, name: str) -> tuple[Path, str] | None:
        """``(path, content type)`` of a stored image, ``None`` for any other name."""
        m = NAME_RE.match(name)
        if m is None or self._dir is None:
            return None
        path = self._dir / name
        return (path, _TYPES[m.group(1)]) if path.is_file() else None
