"""``POST {p}/chat/completions``: unary and streamed chat (docs/openai-wire.md B1, B2).

The hot path: read, ``orjson``, the profile document's check of the body (a compiled
gate, about 1 us; :mod:`reference_impl.validation`),
:func:`~reference_impl.translate.request.translate_request`, one upstream request on the
shared session, translate back. Beyond that:

- ``n`` > 1 (docs/breakages.md F8): ``candidateCount`` is sent; when the upstream
  returns fewer candidates, the missing ones are asked for with extra requests (unary:
  in parallel; streams: after the first stream, with their own indexes), so there are
  always ``n`` choices with indexes 0..n-1;
- image URLs on ``localhost`` or a private address (F7) are refused with a 400, or, with
  ``--allow-private-media-urls``, fetched and inlined with their MIME type (from
  ``Content-Type``, else the bytes) (:mod:`reference_impl.upstream.media`); any other URL
  stays ``fileData``;
- image parts of the answer become ``![image](URL)`` (antigravity2api 'Image Generation');
- antigravity2api 'Configuration Options': the global system instruction and
  ``useContextSystemPrompt`` shape the request
  (:class:`~reference_impl.translate.request.ChatOptions`), ``passSignatureToClient`` puts
  ``thoughtSignature`` next to ``reasoning_content``;
- the profile's rate limits (gemini-reverse) apply when enforced.

Streaming (docs/breakages.md A3, A4, D2, D3): the HTTP status is chosen only once the
first upstream event arrives (or the upstream error is known), so a pre-stream error is
a real HTTP error; after ``keepalive_s`` of upstream silence the 200 is committed and
``: keep-alive`` comments flow; a later upstream failure becomes one ``data: {"error":
...}`` event and the stream closes without ``[DONE]``. An upstream stream that ends
cleanly after usage-only events (no candidate) is an empty answer with
``finish_reason: "stop"``, not an error
(:meth:`~reference_impl.translate.response.StreamTranslator.empty_answer`); one answered
as a JSON array (``application/json``, no ``alt=sse``) is relayed event by event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from httplane import LANES, Exchange, exchange
from spec.sse import SSEDecoder

from ..server.appkeys import (
    CHAT_CONFIG,
    CLIENT_AUTH,
    CONTRACT,
    DOCUMENT,
    IMAGES,
    LIMITS,
    MEDIA,
    MODELS,
    SETTINGS,
    SIGNATURES,
    UPSTREAM,
)
from ..server.auth import ClientAuth
from ..server.chat_config import ChatConfig
from ..server.document import DocumentCheck
from ..server.http import INTERNAL, JSON_HEADERS, error_response, parse_json, read_body
from ..server.images import ServedImages
from ..server.limits import Limits
from ..server.models import ModelCatalog
from ..settings import Settings
from ..stores.signatures import SignatureCache
from ..translate.errors import (
    ProxyError,
    from_upstream_body,
    unknown_model_000,
    upstream_truncated,
    upstream_unreachable,
)
from ..translate.request import ChatCall, translate_request
from ..translate.response import (
    DONE,
    KEEPALIVE,
    MediaSink,
    StreamTranslator,
    encode_chunk,
    encode_error,
    merge_completions,
    translate_response,
)
from ..upstream.client import Upstream, salvage, unwrap
from ..upstream.media import MediaFetcher
from ..upstream.wire import WireResponse

__all__ = ["SSE_HEADERS", "ChatRoutes", "add_routes"]

log = logging.getLogger("reference_impl")

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}


class _ClientGone(Exception):
    """The client closed its connection while we were writing."""


_SSE_HEAD = tuple(SSE_HEADERS.items())


class _Downstream:
    """The client side of one streamed answer; commits the 200 on the first write.

    Until something is sent, an error can still be a real HTTP error status (D2);
    afterwards it becomes one ``data: {"error": ...}`` frame and the stream ends
    without ``[DONE]`` (D3). The bytes go through the request's
    :class:`httplane.Exchange` (the fast lane's, or aiohttp's): the status line and
    headers leave with the first bytes, the last bytes with the chunked end, one send
    each (issue 16).
    """

    __slots__ = ("out", "request", "started")

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.out = exchange(request)
        self.started = False

    async def send(self, data: bytes, *, eof: bool = False) -> web.StreamResponse:
        """Write ``data`` (opening the stream first if needed); raises ``_ClientGone``."""
        out = self.out
        if out.closing():
            raise _ClientGone
        try:
            if not self.started:
                self.started = True
                out.head(200, _SSE_HEAD)
            await out.send((data,), end=eof)
        except ConnectionError as exc:
            raise _ClientGone from exc
        return self.gone()

    async def fail(self, err: ProxyError, before: bytes = b"") -> web.StreamResponse:
        """Answer ``err``: an HTTP error if nothing was sent yet, else an error frame."""
        if not self.started and not before:
            return error_response(self.request, err)
        log.warning("stream %s failed mid-way: %s", self.request.path, err.message)
        try:
            return await self.send(before + encode_error(err), eof=True)
        except _ClientGone:
            return self.gone()

    def gone(self) -> web.StreamResponse:
        """What the handler returns: the stream as aiohttp knows it (the fast lane
        ignores it), or a bare 499 when nothing was sent."""
        if not self.started:
            return web.Response(status=499)
        return _answered(self.out)


_LANE_ANSWERED = web.StreamResponse()
"""What an answer sent through the fast lane's exchange returns to it (ignored)."""
_JSON_HEAD = tuple(JSON_HEADERS.items())


def _answered(out: Exchange) -> web.StreamResponse:
    """What a handler that answered through ``out`` returns: aiohttp's response (already
    prepared, or whole), or for the fast lane a placeholder it ignores."""
    response = getattr(out, "response", None)
    return response if response is not None else _LANE_ANSWERED


class _Heartbeat:
    """``: keep-alive`` comments every ``seconds`` while the handler's task waits for the
    upstream's answer (its head; retries and backoff included), so the client is not
    held in silence (docs/breakages.md D2). An answer within the first period costs one
    timer: no task, no ``asyncio.wait`` (those cost ~80 us of a streamed request's
    p50 at c=1, issue 16). Comments are written by a task of their own, started when
    the first period ends; a client found gone while one is written cancels the
    handler's task, but only while it still waits (its upstream request is closed by
    the wire client's own cleanup), and :attr:`gone` tells the handler why.
    """

    __slots__ = ("_beating", "_down", "_seconds", "_task", "_timer", "gone")

    def __init__(self, down: _Downstream, seconds: float) -> None:
        self._down = down
        self._seconds = seconds
        self._beating: asyncio.Task[None] | None = None
        self.gone = False
        task = asyncio.current_task() if seconds > 0 else None
        self._task = task
        self._timer = task.get_loop().call_later(seconds, self._start) if task is not None else None

    def _start(self) -> None:
        self._timer = None
        if self._task is not None:
            self._beating = self._task.get_loop().create_task(self._beat())

    async def _beat(self) -> None:
        try:
            while True:
                await self._down.send(KEEPALIVE)
                await asyncio.sleep(self._seconds)
        except _ClientGone:
            if self._task is not None:
                self.gone = True
                self._task.cancel()

    def stop(self) -> None:
        """The wait is over (call it before the next ``await``): no comment is written
        after this, and the handler's task is no longer cancelled for a gone client."""
        self._task = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._beating is not None:
            self._beating.cancel()  # it writes nothing more: it only ever resumes to raise
            self._beating = None


class _Pump:
    """Upstream SSE bytes -> client frames through one translator (A3 framing, any
    split); Code Assist events are unwrapped first (docs/gemini-wire.md A7)."""

    __slots__ = ("code_assist", "decoder", "frames", "translator")

    def __init__(self, translator: StreamTranslator, code_assist: bool) -> None:
        self.translator = translator
        self.decoder = SSEDecoder()
        self.frames: list[bytes] = []
        self.code_assist = code_assist

    def feed(self, data: bytes) -> int:
        """Translate the events completed by ``data``; returns how many there were
        (comments and keep-alives are not events)."""
        translator = self.translator
        append = self.frames.append
        dumps = orjson.dumps
        events = self.decoder.feed(data)
        for event in events:
            try:
                parsed = orjson.loads(event.data)
            except orjson.JSONDecodeError:
                detail = f"an upstream event is not JSON: {event.data[:80]!r}"
                raise upstream_truncated(detail) from None
            if self.code_assist:
                parsed = unwrap(parsed)
            for chunk in translator.feed(parsed):
                append(b"data: " + dumps(chunk) + b"\n\n")  # encode_chunk, inlined
        return len(events)

    def feed_array(self, body: bytes) -> None:
        """A whole non-SSE stream answer: the JSON array of events (an upstream that
        ignored ``alt=sse``, docs/gemini-wire.md A3), or one event object; a body that is
        not JSON-looking is read as SSE whatever its ``Content-Type``."""
        if body.lstrip()[:1] not in (b"[", b"{"):
            self.feed(body)
            self.decoder.close()
            return
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise upstream_truncated("the upstream stream answer is not JSON") from None
        events = parsed if isinstance(parsed, list) else [parsed]
        translator = self.translator
        for event in events:
            chunks = translator.feed(unwrap(event) if self.code_assist else event)
            self.frames.extend(encode_chunk(c) for c in chunks)

    def take(self) -> bytes:
        data = b"".join(self.frames)
        self.frames.clear()
        return data


class ChatRoutes:
    """The chat handler and its helpers, bound to what a chat request uses: the upstream,
    client auth, the document's checks, the chat options, the rate limits, the thought
    signatures, the model catalog, the served images and the settings (media fetches,
    keep-alive). ``list_models_on_404``: gemini-reverse's own 400 for a model the upstream
    does not list."""

    __slots__ = (
        "_auth",
        "_catalog",
        "_config",
        "_document",
        "_images",
        "_limits",
        "_list_models_on_404",
        "_media",
        "_settings",
        "_signatures",
        "_upstream",
    )

    def __init__(
        self,
        upstream: Upstream,
        *,
        auth: ClientAuth,
        document: DocumentCheck,
        config: ChatConfig,
        limits: Limits,
        signatures: SignatureCache,
        catalog: ModelCatalog,
        images: ServedImages,
        media: MediaFetcher,
        settings: Settings,
        list_models_on_404: bool,
    ) -> None:
        self._media = media
        self._upstream = upstream
        self._auth = auth
        self._document = document
        self._config = config
        self._limits = limits
        self._signatures = signatures
        self._catalog = catalog
        self._images = images
        self._settings = settings
        self._list_models_on_404 = list_models_on_404

    async def chat(self, request: web.Request) -> web.StreamResponse:
        """``POST {p}/chat/completions`` (B1); never a 500 for a bad request body."""
        denied = self._auth.gate(request, "chat")
        if denied is not None:
            return error_response(request, denied)
        release = None
        body: Any = None
        try:
            body = parse_json(await read_body(request))
            op = self._document.operation(request)
            if op is not None:
                op.check_body(body, self._explain)
            call = translate_request(
                body, signatures=self._signatures.get, options=self._config.options
            )
            release = self._limits.admit(request, call.model)
            if call.remote:
                await self._inline(call)
            payload = orjson.dumps(call.request)
            created = int(time.time())
            media = self._images.chat_sink(request)
            if call.stream:
                return await self._stream(request, call, payload, created, media)
            return await self._unary(request, call, payload, created, media)
        except ProxyError as err:
            if err.status >= 500:
                log.warning("%s %s -> %d %s", request.method, request.path, err.status, err.message)
            if err.code == "model_not_found" and self._list_models_on_404:
                err = await self._unknown_model(body, err)
            return error_response(request, err)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            return error_response(request, INTERNAL)
        finally:
            if release is not None:
                release()

    async def _unknown_model(self, body: Any, err: ProxyError) -> ProxyError:
        """000 'Error Examples': a model the upstream does not list is the proxy's own
        400 naming the models it has; a listed model the upstream still refuses keeps
        the upstream's 404 (docs/gemini-wire.md A5)."""
        model = body.get("model") if isinstance(body, dict) else None
        try:
            listing, _ = await self._catalog.openai()
        except (ProxyError, TimeoutError, aiohttp.ClientError):
            return err
        ids = [m["id"] for m in listing.get("data", ()) if isinstance(m, dict) and "id" in m]
        if not isinstance(model, str) or not ids or model in ids:
            return err
        return unknown_model_000(model, ids)

    def _explain(self, body: Any) -> None:
        """The hand-written checks of a body the document rejects: their 400, when they
        raise one, words the problem better (``tool_choice`` naming an unknown tool...)."""
        translate_request(body, signatures=self._signatures.get, options=self._config.options)

    # ------------------------------------------------------------------ images by URL

    async def _inline(self, call: ChatCall) -> None:
        """Replace each local ``fileData`` part by ``inlineData`` (F7), or refuse it."""
        results = await asyncio.gather(*(self._media.fetch(p["fileData"]) for p in call.remote))
        for part, (mime, data) in zip(call.remote, results, strict=True):
            part.clear()
            part["inlineData"] = {"mimeType": mime, "data": data}

    # ------------------------------------------------------------------ unary

    async def _completion(
        self,
        call: ChatCall,
        payload: bytes,
        created: int,
        media: MediaSink | None,
        deadline: float,
    ) -> dict[str, Any]:
        """One unary answer, complete by ``deadline`` (loop time) or a 504. Every wait
        is bounded by the wire client's own timer (no ``asyncio.timeout``, issue 16)."""
        try:
            resp = await self._upstream.generate(
                call.model, payload, stream=False, deadline=deadline
            )
            try:
                body = await resp.read(deadline)
            except aiohttp.ClientError as exc:
                log.warning("reading the upstream answer failed: %r", exc)
                raise upstream_truncated("reading the upstream answer failed") from exc
            finally:
                resp.release()
        except TimeoutError:
            raise upstream_unreachable("no answer", timeout=True) from None
        if resp.status != 200:
            raise from_upstream_body(resp.status, body)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise upstream_truncated("the upstream answer is not JSON") from None
        if self._upstream.code_assist:
            data = unwrap(data)
        return translate_response(
            data,
            model=call.model,
            created=created,
            media=media,
            pass_signature=self._config.pass_signature_to_client,
        )

    async def _unary(
        self,
        request: web.Request,
        call: ChatCall,
        payload: bytes,
        created: int,
        media: MediaSink | None,
    ) -> web.StreamResponse:
        deadline = self._upstream.deadline()
        completion = await self._completion(call, payload, created, media, deadline)
        missing = call.n - len(completion["choices"])
        if missing > 0:
            one = self._single(call)
            extra = await asyncio.gather(
                *(self._completion(call, one, created, media, deadline) for _ in range(missing))
            )
            completion = merge_completions(completion, list(extra))
        signatures = self._signatures
        for choice in completion["choices"]:
            for tc in choice["message"].get("tool_calls") or ():
                extra_content = tc.get("extra_content")
                if extra_content:
                    signatures.put(tc["id"], extra_content["google"]["thought_signature"])
        out = exchange(request)  # the body straight to the socket: no web.Response (issue 16)
        await out.whole(200, _JSON_HEAD, orjson.dumps(completion))
        return _answered(out)

    @staticmethod
    def _single(call: ChatCall) -> bytes:
        """The request again with ``candidateCount`` 1 (a top-up for ``n`` > 1)."""
        request = dict(call.request)
        request["generationConfig"] = {**request["generationConfig"], "candidateCount": 1}
        return orjson.dumps(request)

    # ------------------------------------------------------------------ streams

    async def _stream(
        self,
        request: web.Request,
        call: ChatCall,
        payload: bytes,
        created: int,
        media: MediaSink | None,
    ) -> web.StreamResponse:
        down = _Downstream(request)
        beat = _Heartbeat(down, self._settings.keepalive_s)
        try:
            upstream = await self._upstream.generate(call.model, payload, stream=True)
        except ProxyError as err:
            beat.stop()
            return await down.fail(err)
        except asyncio.CancelledError:
            beat.stop()
            task = asyncio.current_task()
            if beat.gone and task is not None and task.uncancel() == 0:
                return down.gone()  # the client left during a keep-alive
            raise  # shutdown, or the client left (handler_cancellation)
        except BaseException:
            beat.stop()
            raise
        beat.stop()
        translator = StreamTranslator(
            model=call.model,
            created=created,
            include_usage=call.include_usage,
            media=media,
            pass_signature=self._config.pass_signature_to_client,
        )
        pump = _Pump(translator, self._upstream.code_assist)
        try:
            result = await self._relay(down, pump, upstream)
            if result is not None:
                return result
            # The upstream has ended: its last frames leave with what follows them.
            frames = [pump.take()]
            ended = translator.end()  # finishing chunks; usage-only: an empty answer
            frames.extend(encode_chunk(c) for c in ended)
            extra_usage: list[object] = []
            for index in range(translator.choices, call.n):
                held = b"".join(frames)
                frames.clear()
                if held:  # sent before the next choice is asked for, never held back
                    await down.send(held)
                result = await self._top_up(down, call, translator, index, media, extra_usage)
                if result is not None:
                    return result
            frames.extend(encode_chunk(c) for c in translator.finish(extra_usage))
            frames.append(DONE)
            return await down.send(b"".join(frames), eof=True)
        except _ClientGone:
            log.debug("client went away during %s", request.path)
            return down.gone()
        except ProxyError as err:
            return await down.fail(err)
        finally:
            for call_id, signature in translator.signatures:
                self._signatures.put(call_id, signature)

    async def _top_up(
        self,
        down: _Downstream,
        call: ChatCall,
        main: StreamTranslator,
        index: int,
        media: MediaSink | None,
        extra_usage: list[object],
    ) -> web.StreamResponse | None:
        """Stream one more choice (``index``) for ``n`` > 1 from a request of its own."""
        upstream = await self._upstream.generate(call.model, self._single(call), stream=True)
        sub = StreamTranslator(
            model=call.model,
            created=main.created,
            include_usage=False,
            media=media,
            index_base=index,
            id=main.id,
            pass_signature=main.pass_signature,
        )
        pump = _Pump(sub, self._upstream.code_assist)
        result = await self._relay(down, pump, upstream)
        if result is None:
            tail = pump.take() + b"".join(encode_chunk(c) for c in sub.finish())
            if tail:
                await down.send(tail)
            extra_usage.append(sub.usage_metadata)
            main.signatures.extend(sub.signatures)
        return result

    async def _relay(
        self, down: _Downstream, pump: _Pump, upstream: WireResponse
    ) -> web.StreamResponse | None:
        """Relay one upstream stream; ``None`` when it ended cleanly, else the answer
        already given (an error frame, or nothing for a vanished client)."""
        try:
            if upstream.status != 200:
                try:
                    body = await upstream.read()
                except (TimeoutError, aiohttp.ClientError):
                    body = b""
                return await down.fail(from_upstream_body(upstream.status, body))
            if upstream.content_type == "application/json":
                return await self._pump_array(down, pump, upstream)
            return await self._pump(down, pump, upstream)
        finally:
            if upstream.content.at_eof():
                upstream.release()
            else:
                upstream.close()

    async def _pump_array(
        self, down: _Downstream, pump: _Pump, upstream: WireResponse
    ) -> web.StreamResponse | None:
        """Relay a stream answered as one JSON array instead of SSE events."""
        try:
            body = await upstream.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("reading the upstream stream answer failed: %r", exc)
            return await down.fail(upstream_truncated("reading the upstream answer failed"))
        try:
            pump.feed_array(body)
        except ProxyError as err:
            return await down.fail(err, pump.take())
        if pump.frames:
            try:
                await down.send(pump.take())
            except _ClientGone:
                return down.gone()
        return None

    async def _pump(
        self, down: _Downstream, pump: _Pump, upstream: WireResponse
    ) -> web.StreamResponse | None:
        reader = upstream.content
        keepalive = self._settings.keepalive_s
        # Silence is measured in events: an upstream that trickles comments or blank
        # lines and never an event is as silent as one that sends nothing (issue 15).
        quiet = self._settings.read_timeout_s
        clock = asyncio.get_running_loop().time
        heard = clock()
        try:
            while True:
                if keepalive:
                    found = await reader.readany_within(keepalive)
                    if found is None:
                        await down.send(KEEPALIVE)
                        continue
                    data = found
                else:
                    data = await reader.readany()
                if not data:
                    break
                if pump.feed(data):
                    heard = clock()
                elif clock() - heard >= quiet:
                    raise TimeoutError("no upstream event within the read timeout")
                if pump.frames and not reader.at_eof():
                    await down.send(pump.take())
            # Frames of the last read stay in the pump: the upstream has ended, so the
            # caller sends them with the stream's end (one send; nothing waits on them).
            pump.decoder.close()
            return None
        except _ClientGone:
            log.debug("client went away during %s", down.request.path)
            return down.gone()
        except (TimeoutError, ProxyError, aiohttp.ClientError) as exc:
            if isinstance(exc, ProxyError):
                err = exc
            elif isinstance(exc, TimeoutError):
                err = upstream_truncated("the upstream went silent")
            else:
                log.warning("the upstream stream broke: %r", exc)
                err = upstream_truncated("the upstream connection broke")
                try:  # relay the events that arrived just before the break
                    pump.feed(salvage(reader))
                except ProxyError as inner:
                    err = inner
            return await down.fail(err, pump.take())
        except Exception:
            log.exception("unexpected error relaying %s", down.request.path)
            return await down.fail(INTERNAL, pump.take())


def add_routes(app: web.Application) -> None:
    """Register ``POST {p}/chat/completions`` when the profile serves it."""
    contract = app[CONTRACT]
    if not contract.serves("chat"):
        return
    routes = ChatRoutes(
        app[UPSTREAM],
        auth=app[CLIENT_AUTH],
        document=app[DOCUMENT],
        config=app[CHAT_CONFIG],
        limits=app[LIMITS],
        signatures=app[SIGNATURES],
        catalog=app[MODELS],
        images=app[IMAGES],
        media=app[MEDIA],
        settings=app[SETTINGS],
        list_models_on_404=contract.error_style == "detail",
    )
    path = f"{contract.prefix}/chat/completions"
    route = app.router.add_post(path, routes.chat)
    lanes = app.get(LANES)
    if lanes is not None:  # the same handler, without aiohttp's per-request machinery
        lanes.add_post(path, routes.chat, route)  # type: ignore[arg-type]
