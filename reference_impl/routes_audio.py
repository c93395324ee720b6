"""Speech routes of 000 'Text-to-Speech': ``POST /v1/audio/speech`` (binary WAV or
PCM built from the upstream TTS model's 24 kHz PCM, :mod:`.translate_audio`) and
``GET /v1/audio/voices``."""

from __future__ import annotations

from aiohttp import web

from .state import State, json_response
from .translate_audio import speech_audio, speech_request, voices

__all__ = ["add_routes"]


def add_routes(app: web.Application, state: State) -> None:
    """Register the speech routes when the profile serves them."""
    if not state.contract.serves("audio"):
        return
    model = state.settings.tts_model

    async def speech(request: web.Request) -> web.StreamResponse:
        call = speech_request(await state.read_object(request))
        release = state.admit(request, model)
        try:
            answer = await state.upstream.call(model, "generateContent", call.payload)
        finally:
            if release is not None:
                release()
        body, ctype = speech_audio(call, answer)
        return web.Response(
            body=body,
            headers={
                "Content-Type": ctype,
                "Content-Disposition": f'attachment; filename="speech.{call.format}"',
            },
        )

    async def voice_list(_request: web.Request) -> web.StreamResponse:
        return json_response(voices())

    app.router.add_post("/v1/audio/speech", state.endpoint("audio", speech))
    app.router.add_get("/v1/audio/voices", state.endpoint("audio", voice_list))
