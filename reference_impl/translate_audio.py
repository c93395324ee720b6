"""Text-to-speech: OpenAI ``/v1/audio/speech`` <-> Gemini TTS. Pure.

Sources: 000 'Text-to-Speech' (``input``, ``model`` tts-1|tts-1-hd, ``voice`` alloy,
echo, fable, onyx, nova, shimmer, ``response_format`` default ``wav``; answer
``audio/wav`` with ``Content-Disposition: attachment; filename="speech.wav"``; the
voices list), wire-formats.md A6 (Gemini TTS: ``responseModalities: ["AUDIO"]`` +
``speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName``; answer ``inlineData``
``audio/L16;codec=pcm;rate=24000``) and B4 (OpenAI ``pcm`` is 24 kHz 16-bit LE).

OpenAI voices map to Gemini prebuilt voices (:data:`VOICE_MAP`); a Gemini voice name
(``Kore``, ``Puck``...) is taken as it is. Formats: ``wav`` (a RIFF header around the
PCM) and ``pcm`` (the raw samples); mp3/opus/aac/flac would need an encoder the proxy
does not ship, so they are a 400 naming ``response_format``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from .errors import ProxyError, RequestError
from .fields import choice, number, object_body, opt_str, req_str
from .media import pcm_rate, wav

__all__ = ["VOICES", "VOICE_MAP", "Speech", "speech_audio", "speech_request", "voices"]

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
FORMATS = ("wav", "pcm")
CONTENT_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm"}
MAX_INPUT = 4096
"""OpenAI's limit on ``input`` characters."""


@dataclass(frozen=True, slots=True)
class Speech:
    """A validated speech request: ``format`` (wav|pcm), ``voice`` (Gemini name), the
    ``payload`` for ``:generateContent`` and ``speed`` (0.25-4; said in the prompt)."""

    format: str
    voice: str
    payload: dict[str, Any]


def voices() -> dict[str, Any]:
    """000 ``GET /v1/audio/voices``."""
    return {"voices": [{"voice_id": v, "name": v.capitalize(), "language": "en"} for v in VOICES]}


def speech_request(body: object) -> Speech:
    """Validate a speech request; 400 naming the field."""
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
    fmt = opt_str(body, "response_format", "wav")
    if fmt not in FORMATS:
        raise RequestError(
            f"response_format must be one of {', '.join(FORMATS)} (no {fmt} encoder); got {fmt!r}",
            param="response_format",
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


def speech_audio(speech: Speech, answer: object) -> tuple[bytes, str]:
    """``(body, content type)`` for a TTS answer: WAV around the PCM, or raw PCM. An
    answer without audio is a 502 (the upstream misbehaved), never a 500."""
    pcm: bytes | None = None
    rate = 24000
    is_wav = False
    if isinstance(answer, dict):
        for cand in answer.get("candidates") or ():
            content = cand.get("content") if isinstance(cand, dict) else None
            for part in (content or {}).get("parts") or ():
                inline = part.get("inlineData") if isinstance(part, dict) else None
                if isinstance(inline, dict) and isinstance(inline.get("data"), str):
                    mime = str(inline.get("mimeType") or "")
                    if mime.startswith("audio/"):
                        pcm = (pcm or b"") + base64.b64decode(inline["data"])
                        rate = pcm_rate(mime)
                        is_wav = "wav" in mime
    if pcm is None:
        raise ProxyError(
            502,
            "the upstream TTS answer has no audio",
            type="upstream_error",
            code="upstream_error",
        )
    if is_wav:  # already a WAVE file: keep it, or strip its header for pcm
        return (
            (pcm[44:], CONTENT_TYPES["pcm"])
            if speech.format == "pcm"
            else (
                pcm,
                CONTENT_TYPES["wav"],
            )
        )
    if speech.format == "pcm":
        return pcm, CONTENT_TYPES["pcm"]
    return wav(pcm, rate), CONTENT_TYPES["wav"]
