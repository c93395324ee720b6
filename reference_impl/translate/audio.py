"""Text-to-speech: OpenAI ``/v1/audio/speech`` <-> Gemini TTS. Pure.

Sources: gemini-reverse 'Text-to-Speech' (``input``, ``model`` tts-1|tts-1-hd, ``voice`` alloy,
echo, fable, onyx, nova, shimmer, ``response_format`` default ``wav``; answer
``audio/wav`` with ``Content-Disposition: attachment; filename="speech.wav"``; the
voices list), docs/gemini-wire.md A6 (Gemini TTS: ``responseModalities: ["AUDIO"]`` +
``speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName``; answer ``inlineData``
``audio/L16;codec=pcm;rate=24000``) and B4 (OpenAI: ``response_format`` mp3 by default,
``audio/mpeg``; ``pcm`` is 24 kHz 16-bit LE).

OpenAI voices map to Gemini prebuilt voices (:data:`VOICE_MAP`); a Gemini voice name
(``Kore``, ``Puck``...) is taken as it is. Formats (:mod:`.audio_codec`): ``mp3``
(``audio/mpeg``), ``opus`` (Ogg, ``audio/opus``), ``flac``, ``wav`` and ``pcm``;
``aac`` has no encoder in the proxy and is a 400 naming ``response_format``. The
default ``response_format`` is the profile's document's: ``mp3`` (OpenAI, openai-core)
or ``wav`` (gemini-reverse); see ``Contract.speech_format``.
"""

from __future__ import annotations

import base64
import io
import wave
from dataclasses import dataclass
from typing import Any

from .audio_codec import CONTENT_TYPES, SERVED, encode
from .errors import ProxyError, RequestError
from .fields import choice, number, object_body, opt_str, req_str
from .media import pcm_rate

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "VOICES",
    "VOICE_MAP",
    "Pcm",
    "Speech",
    "speech_audio",
    "speech_pcm",
    "speech_request",
    "voices",
]

VOICES = ("alloy", "echo", "fable", "onyx", "nova", "shimmer")
"""000 'Available Voices'."""
VOICE_MAP = {
    "alloy": "Zephyr",
    "echo": "Puck",
    "fable": "Charon",
    "onyx": "Fenrir",
    "nova": "Kore",
    "shimmer": "Aoede",
}
GEMINI_VOICES = frozenset(
    {
        "Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe",
        "Autonoe", "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome",
        "Algenib", "Rasalgethi", "Laomedeia", "Achernar", "Alnilam", "Schedar", "Gacrux",
        "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia",
        "Sadaltager", "Sulafat",
    }
)  # fmt: skip
"""Gemini's prebuilt voice names."""
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
"""OpenAI's ``response_format`` values (openai-core.yaml SpeechRequest); all but ``aac``
are served (:data:`.audio_codec.SERVED`)."""
MAX_INPUT = 4096
"""OpenAI's limit on ``input`` characters."""


@dataclass(frozen=True, slots=True)
class Speech:
    """A validated speech request: ``format`` (one of :data:`.audio_codec.SERVED`),
    ``voice`` (Gemini name) and the ``payload`` for ``:generateContent`` (``speed``,
    0.25-4, and ``instructions`` are said in its prompt)."""

    format: str
    voice: str
    payload: dict[str, Any]


def voices() -> dict[str, Any]:
    """000 ``GET /v1/audio/voices``."""
    return {"voices": [{"voice_id": v, "name": v.capitalize(), "language": "en"} for v in VOICES]}


@dataclass(frozen=True, slots=True)
class Pcm:
    """Raw signed 16-bit little-endian samples, ``channels`` interleaved, at ``rate`` Hz."""

    data: bytes
    rate: int = 24000
    channels: int = 1


def speech_request(body: object, default_format: str = "mp3") -> Speech:
    """Validate a speech request; 400 naming the field. ``default_format``: the
    ``response_format`` when absent (the profile's document: OpenAI ``mp3``, gemini-reverse
    ``wav``)."""
    body = object_body(body)
    text = req_str(body, "input")
    if len(text) > MAX_INPUT:
        raise RequestError(f"input has {len(text)} characters; at most {MAX_INPUT}", param="input")
    choice(body, "model", ("tts-1", "tts-1-hd", "gpt-4o-mini-tts"), "tts-1")
    name = opt_str(body, "voice", "alloy")
    voice = VOICE_MAP.get(name.lower()) or (name if name in GEMINI_VOICES else None)
    if voice is None:
        raise RequestError(
            f"voice must be one of {', '.join(VOICES)} or a Gemini voice; got {name!r}",
            param="voice",
        )
    fmt = opt_str(body, "response_format", default_format)
    if fmt not in SERVED:
        served = ", ".join(SERVED)
        raise RequestError(
            f"response_format {fmt!r} is not supported: this proxy has no {fmt} encoder; "
            f"use one of {served}"
            if fmt in FORMATS
            else f"response_format must be one of {served}; got {fmt!r}",
            param="response_format",
            code="unsupported_value" if fmt in FORMATS else "invalid_value",
        )
    speed = number(body, "speed", 1.0, 0.25, 4.0)
    instructions = opt_str(body, "instructions", "")
    prompt = text
    if instructions or speed != 1.0:
        how = instructions or "Say it"
        if speed != 1.0:
            how += f" at {speed:g}x speed"
        prompt = f"{how}: {text}"
    payload = {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": voice}}},
        },
    }
    return Speech(fmt, voice, payload)


def speech_pcm(answer: object) -> Pcm:
    """The samples of a TTS answer: its ``audio/*`` ``inlineData`` parts, concatenated
    (raw ``audio/L16;...;rate=N`` PCM, or a WAVE file whose header is read). An answer
    without audio is a 502 (the upstream misbehaved), never a 500."""
    chunks: list[bytes] = []
    rate, channels = 24000, 1
    if isinstance(answer, dict):
        for cand in answer.get("candidates") or ():
            content = cand.get("content") if isinstance(cand, dict) else None
            for part in (content or {}).get("parts") or ():
                inline = part.get("inlineData") if isinstance(part, dict) else None
                if isinstance(inline, dict) and isinstance(inline.get("data"), str):
                    mime = str(inline.get("mimeType") or "")
                    if mime.startswith("audio/"):
                        raw = base64.b64decode(inline["data"])
                        if "wav" in mime:
                            raw, rate, channels = _unwave(raw)
                        else:
                            rate = pcm_rate(mime)
                        chunks.append(raw)
    if not chunks:
        raise ProxyError(
            502,
            "the upstream TTS answer has no audio",
            type="upstream_error",
            code="upstream_error",
        )
    return Pcm(b"".join(chunks), rate, channels)


def _unwave(data: bytes) -> tuple[bytes, int, int]:
    """``(samples, rate, channels)`` of a 16-bit PCM WAVE file; a 502 otherwise."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            if w.getsampwidth() != 2:
                raise wave.Error(f"{8 * w.getsampwidth()}-bit samples")
            return w.readframes(w.getnframes()), w.getframerate(), w.getnchannels()
    except (wave.Error, EOFError) as exc:
        raise ProxyError(
            502,
            f"the upstream TTS answer is not 16-bit PCM WAVE audio: {exc}",
            type="upstream_error",
            code="upstream_error",
        ) from None


def speech_audio(speech: Speech, answer: object) -> tuple[bytes, str]:
    """``(body, content type)`` for a TTS answer in ``speech.format``. Encodes in the
    calling thread: the route runs :data:`.audio_codec.SLOW` formats in a worker."""
    pcm = speech_pcm(answer)
    return encode(speech.format, pcm.data, pcm.rate, pcm.channels), CONTENT_TYPES[speech.format]
