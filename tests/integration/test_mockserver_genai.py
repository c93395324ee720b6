"""The official google-genai client talks to the mock (unary, SSE stream, errors, image
output and TTS; its ``generate_images`` only targets Vertex AI now, so Imagen
``:predict`` is tested on the wire in ``test_mockserver_media``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.app import create_app
from mockserver.settings import Settings
from tests.servers import serve

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with serve(lambda: create_app(Settings(api_keys=frozenset({"k-genai"})))) as url:
        options = types.HttpOptions(base_url=url, api_version="v1beta")
        yield genai.Client(api_key="k-genai", http_options=options)


def test_default_api_version_is_served_too() -> None:
    with serve(create_app) as url:
        default = genai.Client(api_key="x", http_options=types.HttpOptions(base_url=url))
        assert default.models.generate_content(model="gemini-2.0-flash", contents="hi").text


def test_generate_content_and_stream_agree(client: Any) -> None:
    prompt = "Describe the harbour [[mock:chunks=4]]"
    unary = client.models.generate_content(model="gemini-2.5-flash", contents=prompt)
    assert unary.text
    assert unary.candidates[0].finish_reason == types.FinishReason.STOP
    assert unary.usage_metadata.candidates_token_count == len(unary.text.split())
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents=prompt))
    assert len(chunks) == 4
    assert "".join(c.text for c in chunks) == unary.text
    assert chunks[-1].usage_metadata.total_token_count == unary.usage_metadata.total_token_count
    assert {c.response_id for c in chunks} == {unary.response_id}


def test_thoughts_and_tool_calls_parse(client: Any) -> None:
    thoughts = client.models.generate_content(
        model="gemini-2.5-flash",
        contents="why? [[mock:scenario=thoughts]]",
        config=types.GenerateContentConfig(
            thinking_config=types.ThinkingConfig(include_thoughts=True)
        ),
    )
    parts = thoughts.candidates[0].content.parts
    assert [bool(p.thought) for p in parts] == [True, False]
    assert thoughts.usage_metadata.thoughts_token_count > 0
    config = types.GenerateContentConfig(
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name="get_time",
                        parameters_json_schema={
                            "type": "object",
                            "properties": {"tz": {"type": "string"}},
                            "required": ["tz"],
                        },
                    )
                ]
            )
        ],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    calls = client.models.generate_content(
        model="gemini-3-flash-preview", contents="time? [[mock:scenario=tool_call]]", config=config
    )
    [call] = calls.function_calls
    assert call.name == "get_time"
    assert isinstance(call.args["tz"], str)
    assert len(call.id) == 8
    assert calls.candidates[0].content.parts[0].thought_signature


def test_errors_raise_the_sdk_exceptions(client: Any) -> None:
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(
            model="gemini-2.5-flash", contents="[[mock:scenario=rate_limit retry_delay=3s]]"
        )
    assert info.value.code == 429
    assert info.value.status == "RESOURCE_EXHAUSTED"
    with pytest.raises(errors.ServerError) as server:
        list(
            client.models.generate_content_stream(
                model="gemini-2.5-flash", contents="[[mock:scenario=mid_stream_error cut_after=1]]"
            )
        )
    assert server.value.code == 503


def test_image_output_and_tts_through_the_sdk(client: Any) -> None:
    image = client.models.generate_content(
        model="gemini-2.5-flash-image",
        contents="a lighthouse at dusk",
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    parts = image.candidates[0].content.parts
    assert parts[0].text
    blob = parts[1].inline_data
    assert blob.mime_type == "image/png"
    assert blob.data.startswith(b"\x89PNG\r\n\x1a\n")  # the SDK decoded the base64
    speech = client.models.generate_content(
        model="gemini-2.5-flash-preview-tts",
        contents="say hello to everyone",
        config=types.GenerateContentConfig(
            response_modalities=["AUDIO"],
            speech_config=types.SpeechConfig(
                voice_config=types.VoiceConfig(
                    prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name="Kore")
                )
            ),
        ),
    )
    audio = speech.candidates[0].content.parts[0].inline_data
    assert audio.mime_type == "audio/L16;codec=pcm;rate=24000"
    assert len(audio.data) == 4 * 2 * 6000  # four words, 0.25 s each, 16-bit samples
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(
            model="gemini-2.5-flash",
            contents="x",
            config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
        )
    assert info.value.code == 400
