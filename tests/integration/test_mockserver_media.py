"""Image output, TTS, Imagen :predict and request validation on the wire."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.settings import Settings
from spec.sse import decode
from tests.servers import serve

KEY = "AIza-media"
MODELS = "/v1beta/models"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with (
        serve(lambda: create_app(Settings(seed=11))) as url,
        httpx.Client(base_url=url, timeout=10, headers={"x-goog-api-key": KEY}) as c,
    ):
        yield c


def png_pixels(png: bytes) -> tuple[int, int, int]:
    """(width, height, decompressed IDAT size) of a one-IDAT PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    (length,) = struct.unpack(">I", png[33:37])
    assert png[37:41] == b"IDAT"
    return width, height, len(zlib.decompress(png[41 : 41 + length]))


def test_new_models_are_listed(client: httpx.Client) -> None:
    names = {m["name"]: m for m in client.get(MODELS).json()["models"]}
    assert names["models/imagen-4.0-generate-001"]["supportedGenerationMethods"] == ["predict"]
    for model in ("gemini-2.5-flash-image", "gemini-3-pro-image-preview"):
        assert "generateContent" in names[f"models/{model}"]["supportedGenerationMethods"]
    assert "models/gemini-2.5-flash-preview-tts" in names


def test_streamed_image_on_the_wire(client: httpx.Client) -> None:
    body = {
        "contents": [{"parts": [{"text": "a boat [[mock:chunks=2 cid=img]]"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
    }
    response = client.post(f"{MODELS}/gemini-3-pro-image-preview:streamGenerateContent?alt=sse",
                           json=body)  # fmt: skip
    assert response.status_code == 200
    chunks = [e.data for e in decode([response.content])]
    assert len(chunks) == 3
    last = httpx.Response(200, content=chunks[-1]).json()
    part = last["candidates"][0]["content"]["parts"][0]
    assert part["thoughtSignature"]
    assert png_pixels(base64.b64decode(part["inlineData"]["data"])) == (64, 64, 64 * 193)
    [entry] = client.get("/_mock/requests", params={"cid": "img"}).json()["requests"]
    assert entry["response"]["media"][0]["mime_type"] == "image/png"


def test_tts_on_the_wire(client: httpx.Client) -> None:
    body = {
        "contents": [{"parts": [{"text": "good morning [[mock:cid=tts]]"}]}],
        "generationConfig": {
            "responseModalities": ["AUDIO"],
            "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Charon"}}},
        },
    }
    out = client.post(f"{MODELS}/gemini-2.5-flash-preview-tts:generateContent", json=body).json()
    blob = out["candidates"][0]["content"]["parts"][0]["inlineData"]
    assert blob["mimeType"] == "audio/L16;codec=pcm;rate=24000"
    assert len(base64.b64decode(blob["data"])) == 2 * 2 * 6000
    [entry] = client.get("/_mock/requests", params={"cid": "tts"}).json()["requests"]
    assert entry["response"]["media"][0]["voices"] == ["Charon"]
    assert entry["body"]["generationConfig"]["speechConfig"]["voiceConfig"] == {
        "prebuiltVoiceConfig": {"voiceName": "Charon"}
    }
    text_only = client.post(f"{MODELS}/gemini-2.5-flash-preview-tts:generateContent",
                            json={"contents": body["contents"]})  # fmt: skip
    assert text_only.status_code == 400


def test_imagen_predict_on_the_wire(client: httpx.Client) -> None:
    url = f"{MODELS}/imagen-4.0-generate-001:predict"
    body = {
        "instances": [{"prompt": "a kite"}],
        "parameters": {"sampleCount": 3, "aspectRatio": "16:9"},
    }
    response = client.post(url, json=body)
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == 3
    for p in predictions:
        assert png_pixels(base64.b64decode(p["bytesBase64Encoded"])) == (64, 36, 36 * 193)
    assert client.post(url, json=body).content == response.content
    limited = client.post(url, json={"instances": [{"prompt": "[[mock:scenario=rate_limit]]"}]})
    assert limited.status_code == 429
    assert (
        client.post(f"{MODELS}/imagen-4.0-generate-001:generateContent", json={}).status_code == 404
    )
    assert client.post(f"{MODELS}/gemini-2.5-flash:predict", json=body).status_code == 404


def test_validation_errors_on_the_wire(client: httpx.Client) -> None:
    body: dict[str, Any] = {
        "contents": [{"parts": [{"text": "x"}]}],
        "generation_config": {"max_output_tokens": 5, "foo": 1},
    }
    response = client.post(f"{MODELS}/gemini-2.5-flash:generateContent", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == (
        "Invalid JSON payload received. Unknown name \"foo\" at 'generation_config': "
        "Cannot find field."
    )
    assert error["details"][0]["fieldViolations"][0]["field"] == "generation_config"
    del body["generation_config"]["foo"]
    assert client.post(f"{MODELS}/gemini-2.5-flash:generateContent", json=body).status_code == 200
