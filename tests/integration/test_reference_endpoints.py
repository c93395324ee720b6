"""The reference proxy's other endpoints, end to end over HTTP, against the project's mock.

The mock (``mockserver``, in process via ``tests/mock_upstream.py``) speaks Gemini v1beta
(wire-formats.md A2, A5, A6: text, ``candidateCount``, image parts, TTS PCM, Imagen
``:predict``, ``:batchEmbedContents``, structured output for ``responseJsonSchema``),
serves fixture images on 127.0.0.1 (``/_mock/image.png``) and the Live API WebSocket,
and journals every request, so tests check what the proxy sent and compare its output
with what the mock answered (:func:`tests.mock_upstream.replay`). Two tests keep a
minimal fake where the mock cannot play the part (said where). Servers run on free
127.0.0.1 ports; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import wave
from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import openai
import pytest
import soundfile  # type: ignore[import-untyped]  # ships no type hints or stubs
from aiohttp import web

from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app
from reference_impl.settings import Settings
from tests.mock_upstream import clear, fingerprint, generate_calls, journal, mock_upstream, replay
from tests.servers import serve

KEY = "k-good"
CLIENT = "client-key"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
LIVE = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    with mock_upstream(MockSettings(api_keys=frozenset({KEY}))) as url:
        yield url


@pytest.fixture(autouse=True)
def _clear(mock: str) -> None:
    clear(mock)


def settings(mock: str, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "upstream_url": f"{mock}/v1beta",
        "upstream_keys": (KEY,),
        "api_keys": frozenset({CLIENT}),
        "retry_backoff_s": 0.0,
        "allow_private_media_urls": True,  # the mock serves the fixture images on 127.0.0.1
        "admin_password": "admin123",  # no default password (a generated one is logged)
    }
    base.update(kw)
    return Settings(**base)


@pytest.fixture(scope="module")
def core(mock: str) -> Iterator[str]:
    with serve(lambda: create_app(settings(mock))) as url:
        yield url


@pytest.fixture
def http(core: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=core, headers={"Authorization": f"Bearer {CLIENT}"}, timeout=30
    ) as c:
        yield c


def chat(content: Any = "Hi", **kw: Any) -> dict[str, Any]:
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": content}], **kw}


def sse_chunks(raw: bytes) -> list[dict[str, Any]]:
    data = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def gemini(mock: str, fragment: str = ":generateContent") -> dict[str, Any]:
    """The mock's exact unary reply to the last journaled call matching ``fragment``."""
    reply: dict[str, Any] = replay(mock, generate_calls(mock, fragment)[-1], KEY)
    return reply


def inline_data(reply: dict[str, Any]) -> list[bytes]:
    """The decoded ``inlineData`` of candidate 0 of a Gemini reply."""
    parts = reply["candidates"][0]["content"]["parts"]
    return [base64.b64decode(p["inlineData"]["data"]) for p in parts if "inlineData" in p]


class OneCandidate:
    """A Gemini that ignores ``candidateCount``: the mock always honours it, so the
    proxy's top-up requests need this minimal fake."""

    __test__ = False

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1beta/models/{call}", self.call)
        return app

    async def call(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        answer = {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": "Hello from Gemini"}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 5,
                "candidatesTokenCount": 3,
                "totalTokenCount": 8,
            },
        }
        if "streamGenerateContent" not in request.match_info["call"]:
            return web.json_response(answer)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: " + json.dumps(answer).encode() + b"\r\n\r\n")
        await resp.write_eof()
        return resp


@pytest.fixture(scope="module")
def one_candidate() -> Iterator[tuple[OneCandidate, str]]:
    fake = OneCandidate()
    with (
        serve(fake.app) as fake_url,
        serve(lambda: create_app(settings(fake_url))) as url,
    ):
        yield fake, url


# --------------------------------------------------------------------------- chat: n, media


def test_n_choices_unary(http: httpx.Client, mock: str) -> None:
    r = http.post("/v1/chat/completions", json=chat(n=3))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    [call] = generate_calls(mock, ":generateContent")  # no top-up: the mock honours it
    assert call["body"]["generationConfig"]["candidateCount"] == 3
    assert [c["message"]["content"] for c in body["choices"]] == call["response"]["texts"]
    usage = gemini(mock)["usageMetadata"]
    # thinking models: Gemini counts thoughts apart, OpenAI inside completion_tokens
    assert body["usage"]["completion_tokens"] == usage["candidatesTokenCount"] + usage.get(
        "thoughtsTokenCount", 0
    )
    assert body["usage"]["prompt_tokens"] == usage["promptTokenCount"]


def test_n_choices_unary_tops_up_when_upstream_ignores_n(
    one_candidate: tuple[OneCandidate, str],
) -> None:
    fake, url = one_candidate
    fake.bodies.clear()
    r = httpx.post(
        f"{url}/v1/chat/completions", json=chat(n=3), headers={"Authorization": f"Bearer {CLIENT}"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert all(c["message"]["content"] == "Hello from Gemini" for c in body["choices"])
    assert fake.bodies[0]["generationConfig"]["candidateCount"] == 3
    assert len(fake.bodies) == 3  # top-up requests only when needed
    assert body["usage"]["completion_tokens"] == 9
    assert body["usage"]["prompt_tokens"] == 5


@pytest.mark.parametrize("honour", [True, False])
def test_n_choices_stream(
    http: httpx.Client, mock: str, one_candidate: tuple[OneCandidate, str], honour: bool
) -> None:
    url = str(http.base_url).rstrip("/") if honour else one_candidate[1]
    r = httpx.post(
        f"{url}/v1/chat/completions",
        json=chat(n=2, stream=True, stream_options={"include_usage": True}),
        headers={"Authorization": f"Bearer {CLIENT}"},
    )
    assert r.status_code == 200
    got = sse_chunks(r.content)
    by_index: dict[int, list[dict[str, Any]]] = {}
    for c in got[:-1]:
        [choice] = c["choices"]
        by_index.setdefault(choice["index"], []).append(choice)
    assert sorted(by_index) == [0, 1]
    for choices in by_index.values():
        assert choices[0]["delta"]["role"] == "assistant"
        assert [c["finish_reason"] for c in choices].count("stop") == 1
    assert len({c["id"] for c in got}) == 1
    assert got[-1]["choices"] == []
    if honour:
        texts = generate_calls(mock, ":streamGenerateContent")[-1]["response"]["texts"]
        for i, choices in by_index.items():
            assert "".join(c["delta"].get("content", "") for c in choices) == texts[i]
        usage = gemini(mock, ":streamGenerateContent")["usageMetadata"]
        assert got[-1]["usage"]["completion_tokens"] == usage["candidatesTokenCount"] + usage.get(
            "thoughtsTokenCount", 0
        )
    else:
        assert got[-1]["usage"]["completion_tokens"] == 6


def test_openai_client_gets_n_choices(one_candidate: tuple[OneCandidate, str]) -> None:
    url = one_candidate[1]
    with openai.OpenAI(base_url=f"{url}/v1", api_key=CLIENT, max_retries=0) as client:
        out = client.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "Hi"}], n=2
        )
    assert [c.index for c in out.choices] == [0, 1]


def octet_stream_png() -> web.Application:
    """The mock's fixture images carry their real type; a PNG served as
    ``application/octet-stream`` (so the proxy must sniff it) needs this minimal fake."""

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/img.bin", image)
    return app


@pytest.mark.parametrize("served_as", ["image/png", "application/octet-stream"])
def test_loopback_image_url_is_fetched_and_inlined(
    http: httpx.Client, mock: str, served_as: str
) -> None:
    with serve(octet_stream_png) as fake_url:
        if served_as == "image/png":
            url = f"{mock}/_mock/image.png"
            image = httpx.get(url).content
            clear(mock)  # only the proxy's fetch is journaled below
        else:
            url, image = f"{fake_url}/img.bin", PNG
        r = http.post("/v1/chat/completions", json=chat(image_content(url)))
    assert r.status_code == 200, r.text
    fetched = [e for e in journal(mock) if e["path"] == "/_mock/image.png"]
    assert len(fetched) == (1 if served_as == "image/png" else 0)
    parts = generate_calls(mock, ":generateContent")[-1]["body"]["contents"][0]["parts"]
    mime = "image/png"
    assert parts[1] == {"inlineData": {"mimeType": mime, "data": base64.b64encode(image).decode()}}
    assert parts[2] == {
        "fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp"}
    }
    assert parts[3] == {"inlineData": {"mimeType": "image/gif", "data": "R0lGOD"}}
    assert parts[4] == {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}
    assert all("example.com" not in json.dumps(e["headers"]) for e in journal(mock))


def image_content(url: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp"}},
        {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lGOD"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]


def test_unreachable_loopback_image_is_a_400(http: httpx.Client, mock: str) -> None:
    content = [{"type": "image_url", "image_url": {"url": f"{mock}/_mock/missing.png"}}]
    r = http.post("/v1/chat/completions", json=chat(content))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "image_url_refused"  # one message: no route disclosed
    assert "missing" not in r.json()["error"]["message"]


def test_image_model_answer_becomes_a_served_image(http: httpx.Client, mock: str) -> None:
    r = http.post("/v1/chat/completions", json=chat(model="gemini-2.5-flash-image"))
    assert r.status_code == 200
    content = r.json()["choices"][0]["message"]["content"]
    reply = gemini(mock)
    [png] = inline_data(reply)
    text = "".join(p.get("text", "") for p in reply["candidates"][0]["content"]["parts"])
    assert content.startswith(f"{text}![image](http://127.0.0.1:")
    url = content.split("](", 1)[1].rstrip(")")
    img = httpx.get(url)  # served without a key (002: the markdown link is shown as is)
    assert img.status_code == 200
    assert img.headers["content-type"] == "image/png"
    assert img.content == png
    assert httpx.get(url.rsplit("/", 1)[0] + "/../../etc/passwd").status_code == 404


# --------------------------------------------------------------------------- embeddings


def test_embeddings_dimensions_and_base64(core: str, mock: str) -> None:
    with openai.OpenAI(base_url=f"{core}/v1", api_key=CLIENT, max_retries=0) as client:
        out = client.embeddings.create(
            model="gemini-embedding-001", input=["a", "bb"], dimensions=3
        )  # the SDK asks for base64 and decodes little-endian float32 (B4)
    [call] = generate_calls(mock, ":batchEmbedContents")
    sent = [e["values"] for e in gemini(mock, ":batchEmbedContents")["embeddings"]]
    assert [len(v) for v in sent] == [3, 3]
    assert [d.embedding for d in out.data] == [pytest.approx(v, rel=1e-6) for v in sent]
    assert call["body"]["requests"][0] == {
        "model": "models/gemini-embedding-001",
        "content": {"parts": [{"text": "a"}]},
        "outputDimensionality": 3,
    }
    assert call["body"]["requests"][1]["content"] == {"parts": [{"text": "bb"}]}


def test_embeddings_float_and_bad_input(http: httpx.Client, mock: str) -> None:
    r = http.post("/v1/embeddings", json={"model": "gemini-embedding-001", "input": "x"})
    [sent] = gemini(mock, "gemini-embedding-001:")["embeddings"]
    assert r.json()["data"][0]["embedding"] == sent["values"]
    assert r.json()["usage"] == {"prompt_tokens": 1, "total_tokens": 1}
    for bad, param in (
        ({"input": [1, 2]}, "input[0]"),
        ({"input": []}, "input"),
        ({"input": "x", "dimensions": 0}, "dimensions"),
        ({"input": "x", "encoding_format": "hex"}, "encoding_format"),
    ):
        r = http.post("/v1/embeddings", json={"model": "gemini-embedding-001", **bad})
        assert r.status_code == 400, bad
        assert r.json()["error"]["param"] == param


# --------------------------------------------------------------------------- images


def test_openai_images_b64_and_url(core: str, http: httpx.Client, mock: str) -> None:
    with openai.OpenAI(base_url=f"{core}/v1", api_key=CLIENT, max_retries=0) as client:
        out = client.images.generate(
            prompt="a cat", n=2, response_format="b64_json", size="1792x1024"
        )
    calls = generate_calls(mock, "gemini-2.5-flash-image:generateContent")
    assert len(calls) == 2
    pngs = [inline_data(replay(mock, c, KEY))[0] for c in calls]
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    assert out.data is not None
    assert [base64.b64decode(d.b64_json or "") for d in out.data] == pngs
    assert calls[0]["body"]["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "16:9"},
    }
    r = http.post("/v1/images/generations", json={"prompt": "a cat"})
    url = r.json()["data"][0]["url"]
    assert httpx.get(url).content == inline_data(gemini(mock))[0]


def test_imagen_uses_predict(http: httpx.Client, mock: str) -> None:
    r = http.post(
        "/v1/images/generations",
        json={
            "prompt": "a cat",
            "n": 3,
            "model": "imagen-4.0-generate-001",
            "response_format": "b64_json",
        },
    )
    [call] = generate_calls(mock, ":predict")
    assert call["body"] == {"instances": [{"prompt": "a cat"}], "parameters": {"sampleCount": 3}}
    sent = [p["bytesBase64Encoded"] for p in replay(mock, call, KEY)["predictions"]]
    assert len(sent) == 3
    assert [d["b64_json"] for d in r.json()["data"]] == sent


def test_reverse_image_routes(http: httpx.Client, mock: str) -> None:
    r = http.post("/v1/generate-images", json={"prompt": "p", "count": 2})
    calls = generate_calls(mock, "gemini-2.5-flash-image:generateContent")
    sent = [base64.b64encode(inline_data(replay(mock, c, KEY))[0]).decode() for c in calls]
    assert len(sent) == 2
    assert r.json() == {"images": sent, "model": "gemini-2.5-flash-image"}
    r = http.post(
        "/v1/images/edit",
        json={
            "prompt": "beach",
            "image": "data:image/png;base64," + base64.b64encode(PNG).decode(),
            "response_type": "url",
        },
    )
    assert r.status_code == 200
    assert r.json()["images"][0].startswith("http://127.0.0.1:")
    parts = generate_calls(mock, ":generateContent")[-1]["body"]["contents"][0]["parts"]
    assert parts[1] == {
        "inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}
    }
    assert http.post("/v1/images/edit", json={"prompt": "x"}).json()["error"]["param"] == "image"
    assert http.post("/v1/generate-images", json={"prompt": "x", "count": 5}).status_code == 400


def test_batch_images(http: httpx.Client) -> None:
    r = http.post("/v1/batch/images", json={"prompts": ["a", "b", "c"], "concurrency": 2})
    assert r.status_code == 202
    created = r.json()
    assert created["total"] == 3
    assert created["status"] == "processing"
    assert created["batch_id"].startswith("batch_")
    assert created["message"] == "Batch job created, processing with 2 concurrent workers"
    status: dict[str, Any] = {}
    for _ in range(500):  # the batch runs on the server's loop; poll its status
        status = http.get(f"/v1/batch/{created['batch_id']}/status").json()
        if status["pending"] == 0:
            break
    assert status["status"] == "completed"
    assert (status["completed"], status["failed"], status["progress"]) == (3, 0, "100.0%")
    assert sorted(x["task_id"] for x in status["results"]) == [
        f"{created['batch_id']}_task_{i}" for i in range(3)
    ]
    assert all(x["url"].startswith("http://") for x in status["results"])
    assert http.get("/v1/batch/batch_nope/status").status_code == 404
    assert http.post("/v1/batch/images", json={"prompts": "a"}).status_code == 400
    assert (
        http.post("/v1/batch/images", json={"prompts": ["a"], "concurrency": 3}).status_code == 400
    )


# --------------------------------------------------------------------------- audio


@pytest.mark.parametrize(
    ("fmt", "ctype"),
    [
        (None, "audio/mpeg"),  # OpenAI's default (wire-formats.md B4)
        ("mp3", "audio/mpeg"),
        ("opus", "audio/opus"),
        ("flac", "audio/flac"),
        ("wav", "audio/wav"),
        ("pcm", "audio/pcm"),
    ],
)
def test_speech(http: httpx.Client, mock: str, fmt: str | None, ctype: str) -> None:
    body: dict[str, Any] = {"model": "tts-1", "input": "Hello world", "voice": "nova"}
    if fmt:
        body["response_format"] = fmt
    r = http.post("/v1/audio/speech", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == ctype
    ext = fmt or "mp3"
    assert r.headers["content-disposition"] == f'attachment; filename="speech.{ext}"'
    [call] = generate_calls(mock, "tts:generateContent")
    reply = replay(mock, call, KEY)
    assert reply["candidates"][0]["content"]["parts"][0]["inlineData"]["mimeType"] == (
        "audio/L16;codec=pcm;rate=24000"
    )
    [pcm] = inline_data(reply)
    assert pcm
    if fmt == "pcm":
        assert r.content == pcm
    elif fmt == "wav":
        with wave.open(io.BytesIO(r.content)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000)
            assert w.readframes(w.getnframes()) == pcm
    else:
        info = soundfile.info(io.BytesIO(r.content))
        assert (info.samplerate, info.channels) == (24000, 1)
    assert call["body"]["generationConfig"] == {
        "responseModalities": ["AUDIO"],
        "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}},
    }


def test_speech_rejects_and_voices(http: httpx.Client) -> None:
    body = {"model": "tts-1", "input": "x", "voice": "nova", "response_format": "aac"}
    refused = http.post("/v1/audio/speech", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "response_format"
    body = {"model": "tts-1", "input": "x", "voice": "robot"}
    assert http.post("/v1/audio/speech", json=body).status_code == 400
    assert http.post("/v1/audio/speech", json={}).json()["error"]["param"] == "model"
    body = {"model": "tts-1", "voice": "nova"}
    assert http.post("/v1/audio/speech", json=body).json()["error"]["param"] == "input"
    voices = http.get("/v1/audio/voices").json()["voices"]
    assert [v["voice_id"] for v in voices] == ["alloy", "echo", "fable", "onyx", "nova", "shimmer"]
    assert voices[0] == {"voice_id": "alloy", "name": "Alloy", "language": "en"}


# --------------------------------------------------------------------------- text, documents


def pdf(text: str, title: str) -> bytes:
    """A one-page PDF showing ``text`` with a ``/Title``, offsets computed exactly."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_generate(http: httpx.Client, mock: str) -> None:
    r = http.post("/v1/generate", json={"prompt": "What is 2+2?"})
    text = generate_calls(mock, ":generateContent")[-1]["response"]["text"]
    assert text
    assert r.json() == {"text": text, "model": "gemini-2.5-flash"}
    assert http.post("/v1/generate", json={"model": "x"}).json()["error"]["param"] == "prompt"


def test_documents(http: httpx.Client, mock: str) -> None:
    doc = pdf("Hello PDF", "Quarterly report")
    files = {"file": ("doc.pdf", doc, "application/pdf")}
    r = http.post(
        "/v1/documents/analyze", files=files, data={"prompt": "Summarize", "detail_level": "high"}
    )
    assert r.status_code == 200, r.text
    call = generate_calls(mock, ":generateContent")[-1]
    analysis = call["response"]["text"]
    assert r.json() == {"analysis": analysis, "pages": 1, "model": "gemini-2.5-flash"}
    parts = call["body"]["contents"][0]["parts"]
    assert parts[0]["inlineData"]["mimeType"] == "application/pdf"
    assert base64.b64decode(parts[0]["inlineData"]["data"]) == doc
    r = http.post("/v1/documents/extract", files=files, data={"extract_type": "all"})
    call = generate_calls(mock, ":generateContent")[-1]
    assert "tables" in json.dumps(call["body"]["generationConfig"]["responseJsonSchema"])
    tables = json.loads(call["response"]["text"])["tables"]  # the mock fills the schema
    assert r.json() == {
        "text": "Hello PDF",
        "tables": [
            {"title": t["title"], "rows": [[str(cell) for cell in row] for row in t["rows"]]}
            for t in tables
        ],
        "metadata": {"pages": 1, "title": "Quarterly report"},
    }
    bad = http.post(
        "/v1/documents/analyze", files={"file": ("x.pdf", b"not a pdf", "application/pdf")}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "file"
    assert http.post("/v1/documents/extract", json={"file": "x"}).status_code == 400
    assert (
        http.post("/v1/documents/extract", files=files, data={"extract_type": "x"}).status_code
        == 400
    )


def test_design(http: httpx.Client, mock: str) -> None:
    files = {"file": ("ui.png", PNG, "image/png")}
    r = http.post("/v1/design/analyze", files=files, data={"prompt": "layout"})
    call = generate_calls(mock, ":generateContent")[-1]
    assert "analysis" in json.dumps(call["body"]["generationConfig"]["responseJsonSchema"])
    design = json.loads(call["response"]["text"])  # the mock fills the schema
    assert r.json() == {
        "analysis": design["analysis"],
        "components": design["components"],
        "suggestions": design["suggestions"],
        "model": "gemini-2.5-flash",
    }
    r = http.post("/v1/design/to-code", files=files, data={"framework": "vue"})
    assert r.json() == {
        "code": generate_calls(mock, ":generateContent")[-1]["response"]["text"],
        "framework": "vue",
        "style_library": "tailwind",
    }
    bad = http.post("/v1/design/analyze", files={"file": ("x.txt", b"hello", "text/plain")})
    assert bad.status_code == 400


# --------------------------------------------------------------------------- native, info


def test_gemini_native_passthrough(core: str, mock: str) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "Hello, Gemini!"}]}]}
    r = httpx.post(
        f"{core}/gemini/v1beta/models/gemini-2.5-flash:generateContent?key={CLIENT}", json=body
    )
    assert r.status_code == 200
    call = generate_calls(mock, ":generateContent")[-1]
    assert r.json() == gemini(mock)
    assert call["credentials"] == [  # the proxy's credential, never the client's
        {"where": "header:x-goog-api-key", "sha256": fingerprint(KEY)}
    ]
    assert "key" not in call["query"]
    assert httpx.get(f"{core}/gemini/v1beta/models", headers={"x-goog-api-key": CLIENT}).json()[
        "models"
    ]
    denied = httpx.get(f"{core}/gemini/v1beta/models")
    assert denied.status_code == 401
    assert denied.json()["error"]["status"] == "UNAUTHENTICATED"


def test_api_models_cookies_root_and_debug(http: httpx.Client, mock: str) -> None:
    body = http.get("/api/models").json()
    catalogue = httpx.get(
        f"{mock}/v1beta/models", params={"pageSize": 1000}, headers={"x-goog-api-key": KEY}
    ).json()["models"]
    first = catalogue[0]
    assert "gemini-2.5-flash" in body["categories"]["text"]
    assert "gemini-2.5-flash-image" in body["categories"]["image"]
    assert "gemini-2.5-flash-image" not in body["categories"]["text"]
    assert body["categories"]["tts"] == ["tts-1", "tts-1-hd"]
    assert body["models"][0] == {
        "id": first["name"].removeprefix("models/"),
        "name": first["displayName"],
        "type": "text",
        "description": first.get("description", ""),
    }
    cookies = http.get("/api/cookies/status").json()
    assert cookies["valid"] is True
    assert cookies["cookies_configured"] is True
    root = http.get("/").json()
    assert root["name"] == "Gemini CLI OpenAI Worker"
    assert root["endpoints"]["debug"]["full_test"] == "/v1/test"
    cache = http.get("/v1/debug/cache").json()["cache"]
    assert cache["credentials"][0]["key"] == "******"
    assert http.get("/v1/token-test").json()["token_valid"] is True
    test = http.get("/v1/test").json()
    assert test["status"] == "ok"
    assert test["tests"]["chat"]["ok"] is True


def test_websocket_relays_to_the_upstream(mock: str) -> None:
    s = settings(mock, ws_upstream_url=f"{mock.replace('http', 'ws')}{LIVE}")
    with serve(lambda: create_app(s)) as url:

        async def talk() -> tuple[str, int | None]:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{url}/ws?key={CLIENT}") as ws,
            ):
                await ws.send_str('{"setup": {"model": "models/gemini-2.0-flash-live-001"}}')
                msg = await ws.receive()
                await ws.close()
                return msg.data, ws.close_code

        data, _ = asyncio.run(talk())
    assert json.loads(data) == {"setupComplete": {}}
    [frame] = [e for e in journal(mock) if e["method"] == "WS"]
    assert frame["path"] == LIVE
    assert frame["body"] == {"setup": {"model": "models/gemini-2.0-flash-live-001"}}
    assert frame["credentials"] == [{"where": "query:key", "sha256": fingerprint(KEY)}]


def test_websocket_without_upstream_closes_clearly(mock: str) -> None:
    # the upstream's host has no Live API WebSocket at this path (the mock's is LIVE): 1014
    s = settings(mock, ws_upstream_url=f"{mock.replace('http', 'ws')}/ws/nothing-here")
    with serve(lambda: create_app(s)) as url:

        async def talk() -> tuple[int | None, str]:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(
                    f"{url}/ws", headers={"Authorization": f"Bearer {CLIENT}"}
                ) as ws,
            ):
                msg = await ws.receive()
                return ws.close_code, str(msg.extra)

        code, reason = asyncio.run(talk())
    assert code == 1014
    assert "the upstream WebSocket is unreachable" in reason


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/embeddings"),
        ("POST", "/v1/images/generations"),
        ("POST", "/v1/generate-images"),
        ("POST", "/v1/images/edit"),
        ("POST", "/v1/batch/images"),
        ("POST", "/v1/generate"),
        ("POST", "/v1/audio/speech"),
        ("POST", "/v1/documents/analyze"),
        ("POST", "/v1/documents/extract"),
        ("POST", "/v1/design/analyze"),
        ("POST", "/v1/design/to-code"),
        ("POST", "/sdapi/v1/txt2img"),
        ("POST", "/sdapi/v1/img2img"),
        ("POST", "/sdapi/v1/options"),
    ],
)
@pytest.mark.parametrize("body", [b"{not json", b"[1]", b'{"prompt": 7, "input": 7}'])
def test_malformed_bodies_are_4xx_never_5xx(
    http: httpx.Client, method: str, path: str, body: bytes
) -> None:
    r = http.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
    assert isinstance(r.json()["error"]["message"], str)
