"""A hand-written Gemini upstream for the tests the real mock cannot serve yet: per-key
failures (credentials named ``k-429``, ``k-daily``, ``k-bad`` and ``k-503`` fail the way
Google does) and a request list per key, used by ``test_reference_profiles`` (key
failover, retries) and ``test_reference_validation``. The mock scripts failures per
request (directives) and per key only as quotas; moving these tests onto it needs a
per-key fault scenario. Everything else uses the real mock (``tests.mock_upstream``).
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any
from urllib.parse import parse_qs

from aiohttp import WSMsgType, web

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
            ("gemini-embedding-001", ["embedContent"]),
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
