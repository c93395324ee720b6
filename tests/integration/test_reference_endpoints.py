"""The reference proxy's other endpoints, end to end over HTTP, against an inline fake.

The fake speaks Gemini v1beta (wire-formats.md A2, A5, A6: text, ``candidateCount``,
image parts, TTS PCM, Imagen ``:predict``, ``:batchEmbedContents``), Code Assist
``v1internal`` with an OAuth token endpoint (A7), serves an image on 127.0.0.1 and an
echoing WebSocket, and journals every request so tests check what the proxy sent.
Credentials named ``k-429``, ``k-daily``, ``k-bad`` and ``k-503`` make it fail the way
Google does. Servers run on free 127.0.0.1 ports; nothing sleeps to synchronise.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import wave
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import openai
import pytest
import soundfile
from aiohttp import WSMsgType, web

from reference_impl.app import create_app
from reference_impl.settings import Settings
from tests.servers import serve

KEY = "k-good"
CLIENT = "client-key"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PCM = struct.pack("<8h", 0, 1000, 2000, 1000, 0, -1000, -2000, -1000)


def rpc(code: int, status: str, message: str, details: list[Any] | None = None) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return web.json_response({"error": error}, status=code)


def quota_error(daily: bool) -> web.Response:
    quota_id = "GenerateRequestsPerDayPerProjectPerModel" if daily else "PerMinute"
    details: list[Any] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": quota_id}],
        }
    ]
    if not daily:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"})
    return rpc(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", details)


class Fake:
    """Gemini v1beta + Code Assist + OAuth + a loopback image + an echo WebSocket."""

    __test__ = False

    def __init__(self) -> None:
        self.journal: list[dict[str, Any]] = []
        self.honour_n = True
        self.tokens_issued = 0
        self.revoked: set[str] = set()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1beta/models", self.models)
        app.router.add_route("*", "/v1beta/models/{call}", self.call)
        app.router.add_post("/v1internal:{method}", self.code_assist)
        app.router.add_post("/oauth2/token", self.oauth)
        app.router.add_get("/img.png", self.image)
        app.router.add_get("/img.bin", self.image)
        app.router.add_get("/ws-echo", self.echo)
        return app

    def record(self, request: web.Request, body: Any, **extra: Any) -> None:
        self.journal.append(
            {"path": request.path_qs, "headers": dict(request.headers), "body": body, **extra}
        )

    def calls(self, fragment: str) -> list[dict[str, Any]]:
        return [e for e in self.journal if fragment in e["path"]]

    async def models(self, request: web.Request) -> web.Response:
        self.record(request, None)
        names = [
            ("gemini-2.5-flash", ["generateContent"]),
            ("gemini-2.5-flash-image", ["generateContent"]),
            ("imagen-4.0-generate-001", ["predict"]),
            ("gemini-2.5-flash-preview-tts", ["generateContent"]),
            ("text-embedding-004", ["embedContent"]),
        ]
        return web.json_response(
            {
                "models": [
                    {
                        "name": f"models/{n}",
                        "displayName": n.upper(),
                        "supportedGenerationMethods": m,
                    }
                    for n, m in names
                ]
            }
        )

    async def image(self, request: web.Request) -> web.Response:
        ctype = "image/png" if request.path.endswith(".png") else "application/octet-stream"
        return web.Response(body=PNG, content_type=ctype)

    async def echo(self, request: web.Request) -> web.WebSocketResponse:
        self.record(request, None)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(f"echo:{msg.data}")
        return ws

    def answer(self, model: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "predict":
            n = body["parameters"].get("sampleCount", 4)
            png = base64.b64encode(PNG).decode()
            return {"predictions": [{"bytesBase64Encoded": png, "mimeType": "image/png"}] * n}
        if method == "batchEmbedContents":
            out = []
            for i, req in enumerate(body["requests"]):
                dims = req.get("outputDimensionality", 4)
                out.append({"values": [0.5, -0.25, 1.0 + i, 2.0][:dims] + [0.0] * max(0, dims - 4)})
            return {"embeddings": out}
        config = body.get("generationConfig", {})
        if "tts" in model:
            part = {
                "inlineData": {
                    "mimeType": "audio/L16;codec=pcm;rate=24000",
                    "data": base64.b64encode(PCM).decode(),
                }
            }
            return {"candidates": [{"content": {"parts": [part]}, "finishReason": "STOP"}]}
        parts: list[dict[str, Any]] = []
        if "image" in model:
            parts = [
                {"text": "Here is your image."},
                {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}},
            ]
        elif "analysis" in json.dumps(config.get("responseJsonSchema", {})):
            parts = [
                {
                    "text": json.dumps(
                        {
                            "analysis": "A login form.",
                            "components": ["header", "form"],
                            "suggestions": ["more contrast"],
                        }
                    )
                }
            ]
        elif "tables" in json.dumps(config.get("responseJsonSchema", {})):
            parts = [{"text": '{"tables": [{"title": "T", "rows": [["a", "b"], [1, 2]]}]}'}]
        else:
            parts = [{"text": "Hello from Gemini"}]
        n = config.get("candidateCount", 1) if self.honour_n else 1
        return {
            "candidates": [
                {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": i}
                for i in range(n)
            ],
            "usageMetadata": {
                "promptTokenCount": 5,
                "candidatesTokenCount": 3 * n,
                "totalTokenCount": 5 + 3 * n,
            },
            "responseId": "resp-1",
        }

    async def call(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["call"].partition(":")
        raw = await request.read()
        body = json.loads(raw) if raw else None
        key = request.headers.get("x-goog-api-key")
        self.record(request, body, key=key, model=model, method=method)
        if key == "k-429":
            return quota_error(daily=False)
        if key == "k-daily":
            return quota_error(daily=True)
        if key == "k-503":
            return rpc(503, "UNAVAILABLE", "The model is overloaded.")
        if key not in (KEY, "k-other"):
            return rpc(
                400,
                "INVALID_ARGUMENT",
                "API key not valid.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                    }
                ],
            )
        if request.method == "GET":
            return web.json_response({"name": f"models/{model}"})
        if model == "gemini-bad":
            return rpc(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        answer = self.answer(model, method.partition("?")[0], body or {})
        if method.startswith("streamGenerateContent"):
            return await self.stream(request, answer)
        return web.json_response(answer)

    async def stream(self, request: web.Request, answer: dict[str, Any]) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for cand in answer["candidates"]:
            event = {**answer, "candidates": [cand]}
            await resp.write(b"data: " + json.dumps(event).encode() + b"\r\n\r\n")
        await resp.write_eof()
        return resp

    async def oauth(self, request: web.Request) -> web.Response:
        form = parse_qs((await request.read()).decode())
        self.record(request, form)
        if form.get("refresh_token") != ["rt-good"] or form.get("grant_type") != ["refresh_token"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        self.tokens_issued += 1
        return web.json_response(
            {"access_token": f"at-{self.tokens_issued}", "expires_in": 3599, "token_type": "Bearer"}
        )

    async def code_assist(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body = json.loads(await request.read() or b"{}")
        self.record(request, body, method=method)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer at-") or auth[7:] in self.revoked:
            return rpc(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if method == "loadCodeAssist":
            return web.json_response({"cloudaicompanionProject": "proj-found"})
        if method == "retrieveUserQuota":
            return web.json_response(
                {
                    "buckets": [
                        {
                            "modelId": "gemini-2.5-pro",
                            "remainingFraction": 0.85,
                            "resetTime": "2024-12-16T12:00:00Z",
                            "tokenType": "REQUESTS",
                        }
                    ]
                }
            )
        answer = self.answer(body["model"], "generateContent", body["request"])
        wrapped = {"response": answer, "traceId": "trace-1"}
        if method.startswith("streamGenerateContent"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            await resp.write(b"data: " + json.dumps(wrapped).encode() + b"\r\n\r\n")
            await resp.write_eof()
            return resp
        return web.json_response(wrapped)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fake() -> Fake:
    return Fake()


@pytest.fixture(scope="module")
def fake_url(fake: Fake) -> Iterator[str]:
    with serve(fake.app) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset(fake: Fake) -> None:
    fake.journal.clear()
    fake.honour_n = True


def settings(fake_url: str, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "upstream_url": f"{fake_url}/v1beta",
        "upstream_keys": (KEY,),
        "api_keys": frozenset({CLIENT}),
        "retry_backoff_s": 0.0,
    }
    base.update(kw)
    return Settings(**base)


@pytest.fixture(scope="module")
def core(fake_url: str) -> Iterator[str]:
    with serve(lambda: create_app(settings(fake_url))) as url:
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


# --------------------------------------------------------------------------- chat: n, media


@pytest.mark.parametrize("honour", [True, False])
def test_n_choices_unary(http: httpx.Client, fake: Fake, honour: bool) -> None:
    fake.honour_n = honour
    r = http.post("/v1/chat/completions", json=chat(n=3))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert all(c["message"]["content"] == "Hello from Gemini" for c in body["choices"])
    generate = fake.calls(":generateContent")
    assert generate[0]["body"]["generationConfig"]["candidateCount"] == 3
    assert len(generate) == (1 if honour else 3)  # top-up requests only when needed
    assert body["usage"]["completion_tokens"] == 9
    assert body["usage"]["prompt_tokens"] == 5


@pytest.mark.parametrize("honour", [True, False])
def test_n_choices_stream(http: httpx.Client, fake: Fake, honour: bool) -> None:
    fake.honour_n = honour
    r = http.post(
        "/v1/chat/completions",
        json=chat(n=2, stream=True, stream_options={"include_usage": True}),
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
    assert got[-1]["usage"]["completion_tokens"] == 6


def test_openai_client_gets_n_choices(core: str, fake: Fake) -> None:
    fake.honour_n = False
    with openai.OpenAI(base_url=f"{core}/v1", api_key=CLIENT, max_retries=0) as client:
        out = client.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "Hi"}], n=2
        )
    assert [c.index for c in out.choices] == [0, 1]


@pytest.mark.parametrize(("path", "mime"), [("/img.png", "image/png"), ("/img.bin", "image/png")])
def test_loopback_image_url_is_fetched_and_inlined(
    http: httpx.Client, fake: Fake, fake_url: str, path: str, mime: str
) -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"{fake_url}{path}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp"}},
        {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lGOD"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    r = http.post("/v1/chat/completions", json=chat(content))
    assert r.status_code == 200, r.text
    parts = fake.calls(":generateContent")[-1]["body"]["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": mime, "data": base64.b64encode(PNG).decode()}}
    assert parts[2] == {
        "fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp"}
    }
    assert parts[3] == {"inlineData": {"mimeType": "image/gif", "data": "R0lGOD"}}
    assert parts[4] == {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}}
    assert not fake.calls("example.com")


def test_unreachable_loopback_image_is_a_400(http: httpx.Client, fake_url: str) -> None:
    content = [{"type": "image_url", "image_url": {"url": f"{fake_url}/missing.png"}}]
    r = http.post("/v1/chat/completions", json=chat(content))
    assert r.status_code == 400
    assert "HTTP 404" in r.json()["error"]["message"]


def test_image_model_answer_becomes_a_served_image(http: httpx.Client) -> None:
    r = http.post("/v1/chat/completions", json=chat(model="gemini-2.5-flash-image"))
    assert r.status_code == 200
    content = r.json()["choices"][0]["message"]["content"]
    assert content.startswith("Here is your image.![image](http://127.0.0.1:")
    url = content.split("](", 1)[1].rstrip(")")
    img = httpx.get(url)  # served without a key (002: the markdown link is shown as is)
    assert img.status_code == 200
    assert img.headers["content-type"] == "image/png"
    assert img.content == PNG
    assert httpx.get(url.rsplit("/", 1)[0] + "/../../etc/passwd").status_code == 404


# --------------------------------------------------------------------------- embeddings


def test_embeddings_dimensions_and_base64(core: str, fake: Fake) -> None:
    with openai.OpenAI(base_url=f"{core}/v1", api_key=CLIENT, max_retries=0) as client:
        out = client.embeddings.create(
            model="text-embedding-004", input=["a", "bb"], dimensions=3
        )  # the SDK asks for base64 and decodes little-endian float32 (B4)
    assert [d.embedding for d in out.data] == [[0.5, -0.25, 1.0], [0.5, -0.25, 2.0]]
    [call] = fake.calls(":batchEmbedContents")
    assert call["body"]["requests"][0] == {
        "model": "models/text-embedding-004",
        "content": {"parts": [{"text": "a"}]},
        "outputDimensionality": 3,
    }
    assert call["body"]["requests"][1]["content"] == {"parts": [{"text": "bb"}]}


def test_embeddings_float_and_bad_input(http: httpx.Client) -> None:
    r = http.post("/v1/embeddings", json={"model": "text-embedding-004", "input": "x"})
    assert r.json()["data"][0]["embedding"] == [0.5, -0.25, 1.0, 2.0]
    assert r.json()["usage"] == {"prompt_tokens": 1, "total_tokens": 1}
    for bad, param in (
        ({"input": [1, 2]}, "input[0]"),
        ({"input": []}, "input"),
        ({"input": "x", "dimensions": 0}, "dimensions"),
        ({"input": "x", "encoding_format": "hex"}, "encoding_format"),
    ):
        r = http.post("/v1/embeddings", json={"model": "text-embedding-004", **bad})
        assert r.status_code == 400, bad
        assert r.json()["error"]["param"] == param


# --------------------------------------------------------------------------- images


def test_openai_images_b64_and_url(core: str, http: httpx.Client, fake: Fake) -> None:
    with openai.OpenAI(base_url=f"{core}/v1", api_key=CLIENT, max_retries=0) as client:
        out = client.images.generate(
            prompt="a cat", n=2, response_format="b64_json", size="1792x1024"
        )
    assert [base64.b64decode(d.b64_json or "") for d in out.data] == [PNG, PNG]
    calls = fake.calls("gemini-2.5-flash-image:generateContent")
    assert len(calls) == 2
    assert calls[0]["body"]["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "16:9"},
    }
    r = http.post("/v1/images/generations", json={"prompt": "a cat"})
    url = r.json()["data"][0]["url"]
    assert httpx.get(url).content == PNG


def test_imagen_uses_predict(http: httpx.Client, fake: Fake) -> None:
    r = http.post(
        "/v1/images/generations",
        json={
            "prompt": "a cat",
            "n": 3,
            "model": "imagen-4.0-generate-001",
            "response_format": "b64_json",
        },
    )
    assert len(r.json()["data"]) == 3
    [call] = fake.calls(":predict")
    assert call["body"] == {"instances": [{"prompt": "a cat"}], "parameters": {"sampleCount": 3}}


def test_reverse_image_routes(http: httpx.Client, fake: Fake) -> None:
    r = http.post("/v1/generate-images", json={"prompt": "p", "count": 2})
    assert r.json() == {
        "images": [base64.b64encode(PNG).decode()] * 2,
        "model": "gemini-2.5-flash-image",
    }
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
    sent = fake.calls(":generateContent")[-1]["body"]["contents"][0]["parts"]
    assert sent[1] == {
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
def test_speech(http: httpx.Client, fake: Fake, fmt: str | None, ctype: str) -> None:
    body: dict[str, Any] = {"model": "tts-1", "input": "Hello world", "voice": "nova"}
    if fmt:
        body["response_format"] = fmt
    r = http.post("/v1/audio/speech", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == ctype
    ext = fmt or "mp3"
    assert r.headers["content-disposition"] == f'attachment; filename="speech.{ext}"'
    if fmt == "pcm":
        assert r.content == PCM
    elif fmt == "wav":
        with wave.open(io.BytesIO(r.content)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000)
            assert w.readframes(100) == PCM
    else:
        info = soundfile.info(io.BytesIO(r.content))
        assert (info.samplerate, info.channels) == (24000, 1)
    [call] = fake.calls("tts:generateContent")
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


def test_generate(http: httpx.Client, fake: Fake) -> None:
    r = http.post("/v1/generate", json={"prompt": "What is 2+2?"})
    assert r.json() == {"text": "Hello from Gemini", "model": "gemini-2.5-flash"}
    assert http.post("/v1/generate", json={"model": "x"}).json()["error"]["param"] == "prompt"


def test_documents(http: httpx.Client, fake: Fake) -> None:
    doc = pdf("Hello PDF", "Quarterly report")
    files = {"file": ("doc.pdf", doc, "application/pdf")}
    r = http.post(
        "/v1/documents/analyze", files=files, data={"prompt": "Summarize", "detail_level": "high"}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"analysis": "Hello from Gemini", "pages": 1, "model": "gemini-2.5-flash"}
    parts = fake.calls(":generateContent")[-1]["body"]["contents"][0]["parts"]
    assert parts[0]["inlineData"]["mimeType"] == "application/pdf"
    assert base64.b64decode(parts[0]["inlineData"]["data"]) == doc
    r = http.post("/v1/documents/extract", files=files, data={"extract_type": "all"})
    assert r.json() == {
        "text": "Hello PDF",
        "tables": [{"title": "T", "rows": [["a", "b"], ["1", "2"]]}],
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


def test_design(http: httpx.Client) -> None:
    files = {"file": ("ui.png", PNG, "image/png")}
    r = http.post("/v1/design/analyze", files=files, data={"prompt": "layout"})
    assert r.json() == {
        "analysis": "A login form.",
        "components": ["header", "form"],
        "suggestions": ["more contrast"],
        "model": "gemini-2.5-flash",
    }
    r = http.post("/v1/design/to-code", files=files, data={"framework": "vue"})
    assert r.json() == {
        "code": "Hello from Gemini",
        "framework": "vue",
        "style_library": "tailwind",
    }
    bad = http.post("/v1/design/analyze", files={"file": ("x.txt", b"hello", "text/plain")})
    assert bad.status_code == 400


# --------------------------------------------------------------------------- native, info


def test_gemini_native_passthrough(core: str, fake: Fake) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "Hello, Gemini!"}]}]}
    r = httpx.post(
        f"{core}/gemini/v1beta/models/gemini-2.5-flash:generateContent?key={CLIENT}", json=body
    )
    assert r.status_code == 200
    assert r.json()["candidates"][0]["content"]["parts"] == [{"text": "Hello from Gemini"}]
    call = fake.calls(":generateContent")[-1]
    assert call["key"] == KEY  # the proxy's credential, never the client's
    assert "key=" not in call["path"]
    assert httpx.get(f"{core}/gemini/v1beta/models", headers={"x-goog-api-key": CLIENT}).json()[
        "models"
    ]
    denied = httpx.get(f"{core}/gemini/v1beta/models")
    assert denied.status_code == 401
    assert denied.json()["error"]["status"] == "UNAUTHENTICATED"


def test_api_models_cookies_root_and_debug(http: httpx.Client) -> None:
    body = http.get("/api/models").json()
    assert body["categories"]["text"] == ["gemini-2.5-flash"]
    assert body["categories"]["image"] == ["gemini-2.5-flash-image", "imagen-4.0-generate-001"]
    assert body["categories"]["tts"] == ["tts-1", "tts-1-hd"]
    assert body["models"][0] == {
        "id": "gemini-2.5-flash",
        "name": "GEMINI-2.5-FLASH",
        "type": "text",
        "description": "",
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


def test_websocket_relays_to_the_upstream(fake: Fake, fake_url: str) -> None:
    s = settings(fake_url, ws_upstream_url=f"{fake_url.replace('http', 'ws')}/ws-echo")
    with serve(lambda: create_app(s)) as url:

        async def talk() -> tuple[str, int | None]:
            import aiohttp

            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{url}/ws?key={CLIENT}") as ws,
            ):
                await ws.send_str("hi")
                msg = await ws.receive()
                await ws.close()
                return msg.data, ws.close_code

        import asyncio

        data, _ = asyncio.run(talk())
    assert data == "echo:hi"
    assert "key=k-good" in fake.calls("/ws-echo")[0]["path"]


def test_websocket_without_upstream_closes_clearly(core: str) -> None:
    import asyncio

    import aiohttp

    async def talk() -> tuple[int | None, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{core}/ws", headers={"Authorization": f"Bearer {CLIENT}"}) as ws,
        ):
            msg = await ws.receive()
            return ws.close_code, str(msg.extra)

    code, reason = asyncio.run(talk())
    # the upstream's host has no Live API WebSocket (the fake serves none): 1014
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
