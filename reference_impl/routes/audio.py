"""Speech routes of gemini-reverse 'Text-to-Speech' and OpenAI's ``/v1/audio/speech``: ``POST
/v1/audio/speech`` (binary mp3, opus, flac, WAV or PCM from the upstream TTS model's
24 kHz PCM, :mod:`reference_impl.translate.audio`,
:mod:`reference_impl.translate.audio_codec`) and ``GET /v1/audio/voices``.

mp3, opus and flac are encoded in the loop's default thread pool (a few seconds of
speech take 1-50 ms to encode; the loop keeps serving other requests meanwhile).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..server.appkeys import CONTRACT, ENDPOINTS, LIMITS, SETTINGS, UPSTREAM
from ..server.http import json_response, read_object
from ..server.limits import Limits
from ..translate.audio import speech_pcm, speech_request, voices
from ..translate.audio_codec import CONTENT_TYPES, SLOW, encode
from ..upstream.client import Upstream

__all__ = ["SpeechRoutes", "add_routes"]


class SpeechRoutes:
    """The speech handlers, bound to the upstream, the rate limits, the TTS model and the
    profile's default format."""

    __slots__ = ("_default_format", "_limits", "_model", "_upstream")

    def __init__(
        self, upstream: Upstream, limits: Limits, *, model: str, default_format: str
    ) -> None:
        self._upstream = upstream
        self._limits = limits
        self._model = model
        self._default_format = default_format

    async def speech(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/audio/speech``: the audio file, ``attachment; filename="speech.FMT"``."""
        call = speech_request(await read_object(request), self._default_format)
        with self._limits.slot(request, self._model):
            answer = await self._upstream.call(self._model, "generateContent", call.payload)
        pcm = speech_pcm(answer)
        args = (call.format, pcm.data, pcm.rate, pcm.channels)
        if call.format in SLOW:
            body = await asyncio.get_running_loop().run_in_executor(None, encode, *args)
        else:
            body = encode(*args)
        return web.Response(
            body=body,
            headers={
                "Content-Type": CONTENT_TYPES[call.format],
                "Content-Disposition": f'attachment; filename="speech.{call.format}"',
            },
        )

    async def voice_list(self, _request: web.Request) -> web.StreamResponse:
        """``GET /v1/audio/voices``: gemini-reverse's voice list."""
        return json_response(voices())


def add_routes(app: web.Application) -> None:
    """Register the speech routes when the profile serves them."""
    contract = app[CONTRACT]
    if not contract.serves("audio"):
        return
    routes = SpeechRoutes(
        app[UPSTREAM],
        app[LIMITS],
        model=app[SETTINGS].tts_model,
        default_format=contract.speech_format,
    )
    wrap = app[ENDPOINTS].wrap
    app.router.add_post("/v1/audio/speech", wrap("audio", routes.speech))
    app.router.add_get("/v1/audio/voices", wrap("audio", routes.voice_list))
