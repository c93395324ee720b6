"""mockserver.multimodal through responses.generate: images, TTS, Imagen (pure)."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any, cast

import pytest

from mockserver import catalog
from mockserver.catalog import ModelInfo
from mockserver.errors import GoogleError
from mockserver.media import PCM_MIME, PNG_SIGNATURE, SEGMENT_SAMPLES
from mockserver.multimodal import IMAGE_TOKENS, predict_body
from mockserver.request import request_key
from mockserver.responses import Reply, generate
from spec.mock_admin import GenerateSummary, MediaSummary
from spec.scenarios import Directive, Scenario
from spec.sse import decode


def model(name: str) -> ModelInfo:
    found = catalog.lookup(name)
    assert found is not None
    return found


IMAGE = model("gemini-2.5-flash-image")
IMAGE3 = model("gemini-3-pro-image-preview")
TTS = model("gemini-2.5-flash-preview-tts")
FLASH = model("gemini-2.5-flash")


def body(text: str = "draw a quiet harbour", **config: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if config:
        out["generationConfig"] = config
    return out


def run(m: ModelInfo, request: dict[str, Any], *, stream: bool = False, **d: Any) -> Reply:
    return generate(m, request, Directive(**d), 0, stream=stream)


def summary_of(reply: Reply) -> GenerateSummary | MediaSummary | None:
    """The journal's summary of a generate or predict call's reply (never an image fetch's)."""
    return cast("GenerateSummary | MediaSummary | None", reply.summary)


def unary(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    out: dict[str, Any] = json.loads(reply.body)
    return out


def error(reply: Reply) -> str:
    assert reply.status == 400
    message: str = json.loads(reply.body)["error"]["message"]
    return message


def png_size(data: str) -> tuple[int, int]:
    png = base64.b64decode(data)
    assert png[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_image_model_answers_text_then_a_real_png() -> None:
    reply = run(IMAGE, body(responseModalities=["TEXT", "IMAGE"]))
    out = unary(reply)
    parts = out["candidates"][0]["content"]["parts"]
    assert [next(iter(p)) for p in parts] == ["text", "inlineData"]
    assert parts[1]["inlineData"]["mimeType"] == "image/png"
    assert png_size(parts[1]["inlineData"]["data"]) == (64, 64)
    usage = out["usageMetadata"]
    words = len(parts[0]["text"].split())
    assert usage["candidatesTokenCount"] == words + IMAGE_TOKENS
    assert usage["candidatesTokensDetails"] == [
        {"modality": "TEXT", "tokenCount": words},
        {"modality": "IMAGE", "tokenCount": IMAGE_TOKENS},
    ]
    summary = summary_of(reply)
    assert summary is not None
    assert summary["media"] == [
        {"mime_type": "image/png", "width": 64, "height": 64, "bytes": len(
            base64.b64decode(parts[1]["inlineData"]["data"]))}
    ]  # fmt: skip
    assert run(IMAGE, body(responseModalities=["TEXT", "IMAGE"])).body == reply.body
    assert run(IMAGE, body("another", responseModalities=["TEXT", "IMAGE"])).body != reply.body


def test_image_only_default_modalities_aspect_ratio_and_signature() -> None:
    only = unary(run(IMAGE, body(responseModalities=["image"])))
    assert [next(iter(p)) for p in only["candidates"][0]["content"]["parts"]] == ["inlineData"]
    default = unary(run(IMAGE, body()))  # image models answer TEXT and IMAGE by default
    assert len(default["candidates"][0]["content"]["parts"]) == 2
    text = unary(run(IMAGE, body(responseModalities=["TEXT"])))
    assert "inlineData" not in text["candidates"][0]["content"]["parts"][0]
    wide = unary(run(IMAGE, body(imageConfig={"aspectRatio": "16:9"})))
    image = wide["candidates"][0]["content"]["parts"][1]["inlineData"]["data"]
    assert png_size(image) == (64, 36)
    signed = unary(run(IMAGE3, body()))
    assert "thoughtSignature" in signed["candidates"][0]["content"]["parts"][-1]
    assert "aspect ratio '7:3'" in error(run(IMAGE, body(imageConfig={"aspectRatio": "7:3"})))


def test_streamed_image_comes_whole_after_the_text() -> None:
    reply = run(IMAGE, body(), stream=True, chunks=2)
    assert reply.writes is not None
    events = [json.loads(e.data) for e in decode([b"".join(w.data for w in reply.writes)])]
    kinds = [next(iter(e["candidates"][0]["content"]["parts"][0])) for e in events]
    assert kinds == ["text", "text", "inlineData"]
    assert events[-1]["usageMetadata"]["candidatesTokensDetails"][-1]["modality"] == "IMAGE"
    merged = unary(run(IMAGE, body()))["candidates"][0]["content"]["parts"][1]
    assert events[-1]["candidates"][0]["content"]["parts"][0] == merged


def pcm_of(out: dict[str, Any]) -> bytes:
    [part] = out["candidates"][0]["content"]["parts"]
    assert part["inlineData"]["mimeType"] == PCM_MIME == "audio/L16;codec=pcm;rate=24000"
    return base64.b64decode(part["inlineData"]["data"])


def speech(voice: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"responseModalities": ["AUDIO"]}
    if voice is not None:
        config["speechConfig"] = {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": voice}}}
    return config


@pytest.mark.parametrize("text", ["hello", "say this in five words", "[[mock:cid=t1]] one two"])
def test_tts_length_follows_the_words(text: str) -> None:
    out = unary(run(TTS, body(text, **speech("Kore"))))
    words = len(text.replace("[[mock:cid=t1]]", "").split())
    assert len(pcm_of(out)) == 2 * SEGMENT_SAMPLES * words
    assert out["usageMetadata"]["candidatesTokensDetails"] == [
        {"modality": "AUDIO", "tokenCount": 8 * words}
    ]


def test_voice_name_changes_the_audio_and_is_summarised() -> None:
    kore = run(TTS, body("hi there", **speech("Kore")))
    puck = run(TTS, body("hi there", **speech("puck")))
    assert pcm_of(unary(kore)) != pcm_of(unary(puck))
    summary = summary_of(puck)
    assert summary is not None
    assert summary["media"][0]["voices"] == ["Puck"]
    assert pcm_of(unary(run(TTS, body("hi there", **speech())))) == pcm_of(unary(kore))
    assert "voice 'Nobody' is not a prebuilt voice" in error(
        run(TTS, body("hi", **speech("Nobody")))
    )


def test_multi_speaker_lines_use_each_speakers_voice() -> None:
    config = {
        "responseModalities": ["AUDIO"],
        "speechConfig": {
            "multiSpeakerVoiceConfig": {
                "speakerVoiceConfigs": [
                    {
                        "speaker": "Joe",
                        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}},
                    },
                    {
                        "speaker": "Jane",
                        "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}},
                    },
                ]
            }
        },
    }
    reply = run(TTS, body("Joe: hi there\nJane: hello", **config))
    pcm = pcm_of(unary(reply))
    seg = 2 * SEGMENT_SAMPLES
    kore = pcm_of(unary(run(TTS, body("a", **speech("Kore")))))
    puck = pcm_of(unary(run(TTS, body("a", **speech("Puck")))))
    assert pcm == kore + kore + puck
    assert len(pcm) == 3 * seg
    summary = summary_of(reply)
    assert summary is not None
    assert summary["media"][0]["voices"] == ["Kore", "Puck"]


def test_streamed_audio_concatenates_to_the_unary_audio() -> None:
    request = body("one two three four five", **speech())
    reply = run(TTS, request, stream=True, chunks=3)
    assert reply.writes is not None
    events = [json.loads(e.data) for e in decode([b"".join(w.data for w in reply.writes)])]
    assert len(events) == 3
    streamed = b"".join(pcm_of(e) for e in events)
    assert streamed == pcm_of(unary(run(TTS, request)))


@pytest.mark.parametrize(
    ("m", "config", "needle"),
    [
        (TTS, {}, "combination of response modalities (TEXT) is not supported"),
        (TTS, {"responseModalities": ["TEXT", "AUDIO"]}, "accepts the following"),
        (FLASH, {"responseModalities": ["IMAGE"]}, "models/gemini-2.5-flash accepts"),
        (FLASH, {"responseModalities": ["AUDIO"]}, "(AUDIO) is not supported"),
        (IMAGE, {"responseModalities": ["AUDIO"]}, "* TEXT, IMAGE\n"),
    ],
)
def test_unsupported_modalities_are_400(m: ModelInfo, config: dict[str, Any], needle: str) -> None:
    assert needle in error(run(m, body(**config)))


def test_scenarios_still_apply_to_media_models() -> None:
    assert run(IMAGE, body(), scenario=Scenario.RATE_LIMIT).status == 429
    safety = unary(run(TTS, body(**speech()), scenario=Scenario.SAFETY))
    assert safety["candidates"][0]["finishReason"] == "SAFETY"


def test_imagen_predictions() -> None:
    request = {"instances": [{"prompt": "a lighthouse"}], "parameters": {"aspectRatio": "3:4"}}
    data, media = predict_body(request, request_key(request, 0))
    predictions = json.loads(data)["predictions"]
    assert len(predictions) == 4  # sampleCount defaults to 4
    assert len({p["bytesBase64Encoded"] for p in predictions}) == 4
    for p in predictions:
        assert p["mimeType"] == "image/png"
        png = base64.b64decode(p["bytesBase64Encoded"])
        assert struct.unpack(">II", png[16:24]) == (48, 64)
        idat_len = struct.unpack(">I", png[33:37])[0]
        assert len(zlib.decompress(png[41 : 41 + idat_len])) == 64 * (1 + 3 * 48)
    assert media[-1] == {"mime_type": "image/png", "width": 48, "height": 64, "bytes": len(png)}
    two = {"instances": [{"prompt": "x"}], "parameters": {"sampleCount": 2}}
    assert len(json.loads(predict_body(two, b"k" * 32)[0])["predictions"]) == 2


@pytest.mark.parametrize(
    ("request_body", "needle"),
    [
        ({"instances": []}, "instances is not specified"),
        ({"instances": [{"text": "x"}]}, "instances[0].prompt"),
        ({"instances": [{"prompt": "x"}], "parameters": {"sampleCount": 5}}, "sample_count"),
        ({"instances": [{"prompt": "x"}], "parameters": {"aspectRatio": "21:9"}}, "aspect ratio"),
        ({"instances": [{"prompt": "x"}], "prompt": "x"}, 'Unknown name "prompt"'),
        ([], "Root element must be a message"),
    ],
)
def test_imagen_bad_requests_name_the_field(request_body: Any, needle: str) -> None:
    with pytest.raises(GoogleError) as info:
        predict_body(request_body, b"k" * 32)
    assert info.value.status == 400
    assert needle in info.value.message
