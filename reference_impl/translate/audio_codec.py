"""16-bit PCM -> the audio files of OpenAI's ``/v1/audio/speech``. Pure, CPU-bound.

Gemini TTS answers raw 24 kHz 16-bit little-endian mono PCM (docs/gemini-wire.md A6:
``audio/L16;codec=pcm;rate=24000``); OpenAI's ``response_format`` asks for ``mp3``
(its default), ``opus``, ``aac``, ``flac``, ``wav`` or ``pcm`` (docs/openai-wire.md B4;
``openai-core.yaml`` createSpeech). ``wav`` and ``pcm`` are written here (a RIFF header,
or nothing); ``mp3`` (MPEG-1/2 Layer III), ``opus`` (Opus in an Ogg container, as
OpenAI serves it) and ``flac`` are encoded by libsndfile through ``soundfile``: its
wheels bundle libsndfile >= 1.1, which writes all three. ``aac`` has no encoder there,
so the proxy refuses it (:mod:`.audio`).

Encoding is slow enough to matter on an event loop (measured on this 2-core machine,
3 s of speech: mp3 ~15 ms, opus ~45 ms, flac ~0.8 ms, wav ~0.01 ms; 60 s: mp3 ~280 ms,
opus ~770 ms, flac ~16 ms; a 4096-character input is minutes of audio), so
:data:`SLOW` names the formats the route encodes in a worker thread; libsndfile runs
without the GIL (cffi releases it). ``soundfile`` (and numpy with it, ~0.1 s) is
imported on the first encode, never at start-up.
"""

from __future__ import annotations

import io
from typing import Any

from .errors import ProxyError
from .media import wav

__all__ = ["CONTENT_TYPES", "SERVED", "SLOW", "encode"]

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
"""The media type of each served format (``openai-core.yaml`` createSpeech 200)."""
SERVED = tuple(CONTENT_TYPES)
"""The ``response_format`` values the proxy can answer."""
_LIBSNDFILE = {
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "opus": ("OGG", "OPUS"),
    "flac": ("FLAC", "PCM_16"),
}
"""``(format, subtype)`` of libsndfile for each format it encodes."""
SLOW = frozenset(_LIBSNDFILE)
"""Formats whose encoding belongs off the event loop (see the module docstring)."""


def encode(fmt: str, pcm: bytes, rate: int = 24000, channels: int = 1) -> bytes:
    """``pcm`` (signed 16-bit little-endian, interleaved ``channels``, ``rate`` Hz) as a
    ``fmt`` file (one of :data:`SERVED`).

    Raises ``ValueError`` for a format not in :data:`SERVED`, and a 500
    :class:`ProxyError` when libsndfile refuses (an installation without MP3/Opus
    support, or a sample rate the codec does not take: Opus wants 8, 12, 16, 24 or
    48 kHz).
    """
    if len(pcm) % (2 * channels):
        pcm = pcm[: len(pcm) - len(pcm) % (2 * channels)]
    if fmt == "pcm":
        return pcm
    if fmt == "wav":
        return wav(pcm, rate, channels)
    try:
        major, subtype = _LIBSNDFILE[fmt]
    except KeyError:
        raise ValueError(f"no encoder for {fmt!r}; served: {', '.join(SERVED)}") from None
    sf = _soundfile()
    buf = io.BytesIO()
    try:
        with sf.SoundFile(
            buf,
            mode="w",
            samplerate=rate,
            channels=channels,
            format=major,
            subtype=subtype,
        ) as out:
            out.buffer_write(pcm, dtype="int16")
    except (RuntimeError, TypeError, ValueError) as exc:  # sf.LibsndfileError is a RuntimeError
        raise ProxyError(
            500,
            f"the proxy could not encode {fmt} at {rate} Hz: {exc}",
            type="server_error",
            code="audio_encoding_failed",
        ) from exc
    return buf.getvalue()


def _soundfile() -> Any:
    import soundfile  # type: ignore[import-untyped]  # no py.typed; imported on first use

    return soundfile
