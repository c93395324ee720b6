"""Speech routes of gemini-reverse 'Text-to-Speech' and OpenAI's ``/v1/audio/speech``: ``POST
/v1/audio/speech`` (binary mp3, opus, flac, WAV or PCM from the upstream TTS model's
24 kHz PCM, :mod:`.translate_audio`, :mod:`.audio_codec`) and ``GET /v1/audio/voices``.

mp3, opus and flac are encoded in the loop's default thread pool (a few seconds of
speech take 1-50 ms to encode; the loop keeps serving other requests meanwhile).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from .state import State, json_response
from .translate.audio import speech_pcm, speech_request, voices
from .translate.audio_codec import CONTENT_TYPES, SLOW, encode

__all__ = ["add_routes"]


def add_routes(app: web.Application, state: State) -> None:
    """Register the speech routes when the profile serves them."""
    if not state.contract.serves("audio"):
        return
    model = state.settings.tts_model
    default_format = state.contract.speech_format

    async def speech(request: web.Request) -> web.StreamResponse:
        call = speech_request(await state.read_object(request), default_format)
        release = state.admit(request, model)
        try:
            answer = await state.upstream.call(model, "generateContent", call.payload)
        finally:
            if release is not None:
                release()
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

    async def voice_list(_request: web.Request) -> web.StreamResponse:
        return json_response(voices())

    app.router.add_post("/v1/audio/speech", state.endpoint("audio", speech))
    app.router.add_get("/v1/audio/voices", state.endpoint("audio", voice_list))
