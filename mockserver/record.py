"""``mockserver record``: a transparent pass-through that saves Gemini answers as captures.

Usage::

    mockserver record --upstream URL --out DIR [--host 127.0.0.1] [--port 0]

It listens like ``mockserver`` (one line on stdout, the base URL; exit 2 with one line
on stderr when it cannot listen or ``--out`` cannot be created) and forwards every
request, method, path, query, headers and body, to ``URL`` + the request's path, then
streams the answer back as it arrives (status and headers kept, but for the framing:
the body is re-chunked, already decompressed). Point a proxy's Gemini base URL at it
and each generate exchange (``/v1beta|v1/models/M:generateContent`` or
``:streamGenerateContent``, Code Assist ``/v1internal:...``) is written to ``DIR`` as a
capture (:mod:`spec.capture_format`, docs/mock-captures.md) that ``mockserver
--captures DIR`` replays:

- ``NAME.chunks.txt``: the streamed answer, one JSON payload per line (SSE ``data:``
  payloads, or the elements of the JSON array without ``alt=sse``);
- ``NAME.json``: the unary answer (the body as received), or the error body of any
  answer with an error status;
- ``NAME.meta.json``: ``model``, ``status``, ``headers`` (the response's, without
  framing headers, cookies or any credential), ``chunk_ms`` (measured: milliseconds
  from the request to the first chunk, then between chunks; a unary or JSON-array answer
  has one value, the time to its body), ``trace_id`` (Code Assist), ``source`` and the
  redacted ``request``: ``method``, ``path``, ``query`` (``key`` and other secret
  parameters redacted), ``headers`` (every key, token, cookie and authorization value
  redacted), ``body`` (parsed JSON, secret members and credential-looking strings
  redacted).

Code Assist answers are saved unwrapped (the GenerateContentResponse inside
``{"response": ...}``; the ``traceId`` goes to the metadata). ``NAME`` is the request's
correlation id, found as the mock's journal finds it (the ``x-mock-cid`` header, the
``x-mock-scenario`` directive's ``cid``, else the last ``cid=`` of a ``[[mock:...]]``
in the body), else ``<model>-<method>-<n>``; a name already used in ``DIR`` gets
``-2``, ``-3``... Every credential the request carried (header, query, token) is
replaced by ``[redacted]`` wherever it appears in the files, even echoed in an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import click
from aiohttp import web
from yarl import URL

from mockserver.journal import redact_headers, redact_query
from mockserver.request import CID_HEADER, request_cid
from spec.capture_format import NAME_RE
from spec.scenarios import DIRECTIVE_HEADER, DirectiveError, parse_directive
from spec.secrets import (
    is_secret_header,
    is_secret_param,
    redact_body_text,
    redact_json,
    scrub_tokens,
    scrub_values,
)
from spec.sse import SSEDecoder

__all__ = [
    "COMMAND",
    "Exchange",
    "Recorder",
    "capture_files",
    "create_record_app",
    "generate_call",
    "main",
    "request_secrets",
    "safe_headers",
]

log = logging.getLogger("mockserver.record")

_GEMINI_CALL = re.compile(
    r"^/(?:v1beta|v1)/models/([^/:]+):(generateContent|streamGenerateContent)$"
)
_CODE_ASSIST_CALL = re.compile(r"^/v1internal:(generateContent|streamGenerateContent)$")
_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
    }
)
"""Headers that describe one connection or one body framing: never forwarded as is."""
_NOT_FORWARDED = _HOP | {"host", "accept-encoding"}
"""Request headers the pass-through leaves out (it asks for an uncompressed answer so
that what it saves is the text)."""
_NOT_SAVED = _HOP | {"date", "alt-svc"}


def generate_call(path: str, body: Any) -> tuple[str, str, bool] | None:
    """``(model, method, code_assist)`` when ``path`` is a generate call, else ``None``.
    The model of a Code Assist call is its envelope's ``model`` (``"unknown"`` without)."""
    m = _GEMINI_CALL.match(path)
    if m:
        return m.group(1), m.group(2), False
    m = _CODE_ASSIST_CALL.match(path)
    if m:
        model = body.get("model") if isinstance(body, dict) else None
        return (model if isinstance(model, str) and model else "unknown"), m.group(1), True
    return None


def request_secrets(
    headers: Iterable[tuple[str, str]], query: Iterable[tuple[str, str]]
) -> list[str]:
    """Every literal credential of a request: the values of secret headers (and the token
    after an ``Authorization`` scheme, and each cookie value) and of secret query
    parameters."""
    found: list[str] = []
    for name, value in headers:
        if not is_secret_header(name) or not value:
            continue
        found.append(value)
        _, _, token = value.partition(" ")
        if token.strip():
            found.append(token.strip())
        for cookie in value.split(";"):
            _, eq, cookie_value = cookie.partition("=")
            if eq and cookie_value.strip():
                found.append(cookie_value.strip())
    found.extend(v for k, v in query if is_secret_param(k) and v)
    return found


def safe_headers(headers: Iterable[tuple[str, str]], secrets: Iterable[str] = ()) -> dict[str, str]:
    """The response headers a capture keeps: not framing (``Content-Length``,
    ``Transfer-Encoding``...), not ``Date``, no secret header (``Set-Cookie``...), and
    credentials scrubbed from the other values; names as received, repeated ones joined
    with ``", "``."""
    secret_list = list(secrets)
    out: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in _NOT_SAVED or is_secret_header(lower):
            continue
        clean = scrub_values(scrub_tokens(value), secret_list)
        out[name] = f"{out[name]}, {clean}" if name in out else clean
    return out


@dataclass(slots=True)
class Exchange:
    """One forwarded request and its answer. ``pieces``: the answer body as it arrived,
    ``(milliseconds since the request was sent, bytes)``."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    status: int = 0
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    pieces: list[tuple[float, bytes]] = field(default_factory=list)


def _loads(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _unwrap(obj: Any, trace: list[str]) -> Any:
    """The GenerateContentResponse inside a Code Assist ``{"response": ...}`` object."""
    if isinstance(obj, dict) and isinstance(obj.get("response"), dict):
        if isinstance(obj.get("traceId"), str) and not trace:
            trace.append(obj["traceId"])
        return obj["response"]
    return obj


def _sse_payloads(pieces: list[tuple[float, bytes]]) -> tuple[list[str], list[float]]:
    decoder = SSEDecoder()
    payloads: list[str] = []
    times: list[float] = []
    for at, data in pieces:
        for event in decoder.feed(data):
            if event.data and event.data != "[DONE]":
                payloads.append(event.data)
                times.append(at)
    last = pieces[-1][0] if pieces else 0.0
    for event in decoder.close():
        if event.data and event.data != "[DONE]":
            payloads.append(event.data)
            times.append(last)
    return payloads, times


def _gaps(times: list[float]) -> list[float]:
    return [round(t - (times[i - 1] if i else 0.0), 1) for i, t in enumerate(times)]


def capture_files(exchange: Exchange, upstream: str = "") -> dict[str, bytes] | None:
    """The files of the capture of ``exchange`` by suffix (``".chunks.txt"`` or
    ``".json"``, and ``".meta.json"``), every credential of the request scrubbed from
    all of them; ``None`` when it is not a generate call or its answer is not JSON (it
    is forwarded, not saved). ``upstream``: the origin recorded as ``source``."""
    request_body = _loads(exchange.body) if exchange.body else None
    call = generate_call(exchange.path, request_body)
    if call is None:
        return None
    model, method, code_assist = call
    pairs = parse_qsl(exchange.query, keep_blank_values=True)
    secrets = request_secrets(exchange.headers, pairs)
    body = b"".join(data for _, data in exchange.pieces)
    trace: list[str] = []
    streamed = method == "streamGenerateContent"
    sse = streamed and dict(pairs).get("alt") == "sse"
    content_type = next(
        (v for k, v in exchange.response_headers if k.lower() == "content-type"), ""
    )
    files: dict[str, bytes] = {}
    times: list[float]
    if exchange.status >= 400 or not streamed or (sse and "text/event-stream" not in content_type):
        parsed = _loads(body)
        if not isinstance(parsed, dict):
            return None
        if code_assist and "error" not in parsed:
            text = json.dumps(_unwrap(parsed, trace), ensure_ascii=False, indent=2) + "\n"
        else:
            text = body.decode("utf-8", "replace")
        files[".json"] = text.encode()
        times = [exchange.pieces[-1][0]] if exchange.pieces else []
    elif sse:
        payloads, times = _sse_payloads(exchange.pieces)
        lines = []
        for payload in payloads:
            obj = _loads(payload)
            if obj is None:
                return None
            lines.append(_line(_unwrap(obj, trace)) if code_assist or "\n" in payload else payload)
        files[".chunks.txt"] = "".join(line + "\n" for line in lines).encode()
        times = _gaps(times)
    else:
        parsed = _loads(body)
        if not isinstance(parsed, list):
            return None
        files[".chunks.txt"] = "".join(_line(_unwrap(o, trace)) + "\n" for o in parsed).encode()
        times = [exchange.pieces[0][0]] if exchange.pieces else []
    texts = [(k, v) for k, v in exchange.headers]
    meta: dict[str, Any] = {
        "model": model,
        "status": exchange.status,
        "headers": safe_headers(exchange.response_headers, secrets),
        "chunk_ms": [round(t, 1) for t in times],
        "source": "recorded by mockserver record" + (f" from {upstream}" if upstream else ""),
        "request": {
            "method": exchange.method,
            "path": exchange.path,
            "query": redact_query(pairs),
            "headers": redact_headers(texts),
            "body": _redact_body(request_body, exchange.body),
        },
    }
    if trace:
        meta["trace_id"] = trace[0]
    files[".meta.json"] = (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode()
    return {
        suffix: scrub_values(data.decode("utf-8", "replace"), secrets).encode()
        for suffix, data in files.items()
    }


def _redact_body(parsed: Any, raw: bytes) -> Any:
    if parsed is not None or not raw:
        return redact_json(parsed)
    return redact_body_text(raw.decode("utf-8", "replace"))


class Recorder:
    """Names and writes captures into ``out`` (created when missing)."""

    __slots__ = ("counters", "out", "upstream", "used")

    def __init__(self, out: Path, upstream: str) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.upstream = upstream
        self.used: set[str] = set()
        self.counters: dict[str, int] = {}

    def _taken(self, name: str) -> bool:
        return name in self.used or any(
            (self.out / f"{name}{suffix}").exists()
            for suffix in (".chunks.txt", ".json", ".meta.json")
        )

    def name_for(self, exchange: Exchange, model: str, method: str) -> str:
        """The capture name (see the module docstring), not used yet in ``out``."""
        headers = {k.lower(): v for k, v in exchange.headers}
        directive_cid = None
        with contextlib.suppress(DirectiveError):
            header = headers.get(DIRECTIVE_HEADER)
            directive_cid = parse_directive(header).cid if header else None
        cid = request_cid(headers.get(CID_HEADER), directive_cid, exchange.body)
        if cid is not None and NAME_RE.match(cid):
            name = cid
            n = 1
            while self._taken(name):
                n += 1
                name = f"{cid[:70]}-{n}"
        else:
            stem = re.sub(r"[^A-Za-z0-9_.-]", "-", model.rsplit("/", 1)[-1])[:50]
            base = f"{stem}-{method}"
            n = self.counters.get(base, 0)
            while True:
                n += 1
                name = f"{base}-{n}"
                if not self._taken(name):
                    break
            self.counters[base] = n
        self.used.add(name)
        return name

    def save(self, exchange: Exchange) -> str | None:
        """Write the capture of ``exchange``; its name, or ``None`` when not saved."""
        files = capture_files(exchange, self.upstream)
        if files is None:
            return None
        body = _loads(exchange.body) if exchange.body else None
        call = generate_call(exchange.path, body)
        assert call is not None
        name = self.name_for(exchange, call[0], call[1])
        for suffix, data in files.items():
            (self.out / f"{name}{suffix}").write_bytes(data)
        return name


RECORDER = web.AppKey("recorder", Recorder)
_SESSION = web.AppKey("session", aiohttp.ClientSession)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def create_record_app(upstream: str, out: Path) -> web.Application:
    """The pass-through application (see the module docstring): every request to it is
    forwarded to ``upstream`` + its path and query; generate exchanges are saved in
    ``out``. An upstream that cannot be reached is a 502 with a JSON error body."""
    base = upstream.rstrip("/")
    recorder = Recorder(out, _origin(upstream))
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[RECORDER] = recorder

    async def session_ctx(app: web.Application) -> Any:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=600)
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as session:
            app[_SESSION] = session
            yield

    app.cleanup_ctx.append(session_ctx)

    async def forward(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED]
        exchange = Exchange(
            method=request.method,
            path=request.path,
            query=request.rel_url.raw_query_string,
            headers=headers,
            body=raw,
        )
        start = time.perf_counter()
        target = URL(base + request.raw_path, encoded=True)
        response: web.StreamResponse | None = None
        try:
            async with app[_SESSION].request(
                request.method, target, headers=headers, data=raw, allow_redirects=False
            ) as upstream_response:
                exchange.status = upstream_response.status
                exchange.response_headers = list(upstream_response.headers.items())
                response = web.StreamResponse(
                    status=upstream_response.status, reason=upstream_response.reason
                )
                for k, v in exchange.response_headers:
                    if k.lower() not in _HOP:
                        response.headers.add(k, v)
                await response.prepare(request)
                async for data in upstream_response.content.iter_any():
                    exchange.pieces.append(((time.perf_counter() - start) * 1000, data))
                    await response.write(data)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("upstream %s: %s", target.with_query(None), exc)
            if response is None:
                body = {"error": {"code": 502, "message": f"upstream: {type(exc).__name__}"}}
                return web.json_response(body, status=502)
            if request.transport is not None:
                request.transport.close()
            return response
        name = recorder.save(exchange)
        if name is not None:
            log.info("saved %s (%s %s -> %d)", name, request.method, request.path, exchange.status)
        await response.write_eof()
        return response

    app.router.add_route("*", "/{tail:.*}", forward)
    return app


COMMAND = click.Command(
    "mockserver record",
    help="Forward every request to URL and save each Gemini answer as a capture in DIR.",
    context_settings={"help_option_names": ["-h", "--help"]},
    params=[
        click.Option(["--upstream"], required=True, help="base URL to forward to"),
        click.Option(["--out"], required=True, help="directory the captures are written to"),
        click.Option(["--host"], default="127.0.0.1", show_default=True, help="address to bind"),
        click.Option(
            ["--port"],
            type=click.IntRange(0, 65535),
            default=0,
            show_default=True,
            help="port, 0 = a free one",
        ),
    ],
)
"""The ``mockserver record`` command line (see the module docstring)."""


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _ListenError(Exception):
    pass


async def _serve(upstream: str, out: Path, host: str, port: int) -> None:
    runner = web.AppRunner(create_record_app(upstream, out), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else str(exc)
        address = _url(host, port).removeprefix("http://")
        raise _ListenError(f"cannot listen on {address}: {reason.lower()}") from None
    url = _url(host, int(runner.addresses[0][1]))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    log.info("mockserver record listening on %s, forwarding to %s", url, _origin(upstream))
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the recorder until SIGINT/SIGTERM; the exit status (0; 2 for a bad command
    line, an upstream URL that is not http(s), an ``--out`` that cannot be created, or
    when it cannot listen, each said in one line on stderr)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with COMMAND.make_context("mockserver record", args) as ctx:
            p = ctx.params
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    upstream = str(p["upstream"])
    if urlsplit(upstream).scheme not in ("http", "https") or not urlsplit(upstream).hostname:
        print(
            f"mockserver record: --upstream must be an http(s) URL; got {upstream!r}",
            file=sys.stderr,
        )
        return 2
    out = Path(p["out"])
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"mockserver record: --out {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        with contextlib.suppress(KeyboardInterrupt), asyncio.Runner() as runner:
            runner.run(_serve(upstream, out, p["host"], p["port"]))
    except _ListenError as exc:
        print(f"mockserver record: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0
