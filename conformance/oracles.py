"""Real clients as oracles: replay recorded bytes through the official openai-python SDK.

The recorded exchange is rebuilt as the bytes the target put on the wire
(:func:`wire_response`: the recorded status, headers and body, framed as the target framed
them: ``Content-Length`` against the bytes that came, chunked or not, the last chunk or
not, a reset, a response that hangs) and fed to the SDK's own HTTP stack (httpcore and
h11, under the HTTP library the installed SDK uses) through an in-memory network
backend: no socket is opened, yet the SDK's framing checks, SSE decoder, JSON parsing,
error mapping and stream accumulator meet what they would have met live. What the SDK
does with the bytes is the verdict: "ok", or the exception it raised
(docs/openai-wire.md B2, B3; docs/sse.md). openai-node gets the same bytes over a
local socket (:mod:`conformance.oracles_node`).
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from .exchange import Exchange

__all__ = [
    "OPENAI_PYTHON",
    "ClientOutcome",
    "openai_python_version",
    "preload_openai",
    "replay_openai_python",
    "wire_response",
]

OPENAI_PYTHON = "openai-python"


_FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "content-encoding", "connection", "keep-alive"}
)
"""Replaced by the framing the replay rebuilds (the recorded body is already decoded)."""

End = Literal["close", "reset", "hold"]
"""How the replay ends the connection after the bytes: close it, reset it (RST), or hold
it open until the client gives up (a recorded hang or read timeout)."""


def wire_response(x: Exchange) -> tuple[bytes, End]:
    """The bytes that reproduce what ``x``'s target sent, and how the connection ends.

    The status and headers are the recorded ones; the body is the recorded (decoded)
    body, so ``Content-Encoding`` is dropped and the framing is rebuilt to keep the
    recorded defect: a ``Content-Length`` that many bytes larger than the body when the
    target's body came short, chunked without the last chunk when its chunked body broke
    off, an illegal chunk header when its chunking was malformed, a reset when the
    connection was reset, a held connection when it hung. An intact recording (or a
    hand-built exchange) is framed by ``Content-Length`` or chunked, as recorded.

    Every answer says ``Connection: close``, which is what the replay server does after
    it: without it a pooling client (Node's fetch) may send its next request on a socket
    the server is closing and fail with "other side closed" for a sound recording.
    """
    status = x.status or 200
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    headers = [(k, v) for k, v in x.headers if k.lower() not in _FRAMING_HEADERS]
    timed_out = x.status is not None and "Timeout" in (x.transport_error or "")
    end: End = "hold" if x.hung_s is not None or timed_out else "close"
    if x.framing == "reset":
        end = "reset"
    broken = x.framing in ("short", "reset", "malformed") or end == "hold"
    body = x.body
    payload = b""
    if status in (204, 304) or status < 200 or x.request.method == "HEAD":
        pass
    elif x.chunked:
        headers.append(("transfer-encoding", "chunked"))
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for _, p in x.chunks if p)
        if x.framing == "malformed":
            payload += b"zz\r\n"
        elif not broken:
            payload += b"0\r\n\r\n"
    elif x.declared_length is None and x.received_bytes is not None and x.status is not None:
        payload = body  # delimited by the connection's close, as recorded
    else:
        missing = 0
        if broken:
            known = x.declared_length is not None and x.received_bytes is not None
            missing = max(1, (x.declared_length or 0) - (x.received_bytes or 0) if known else 1)
        headers.append(("content-length", str(len(body) + missing)))
        payload = body
    headers.append(("connection", "close"))
    head = f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")
    head += b"".join(f"{k}: {v}\r\n".encode("latin-1", "replace") for k, v in headers)
    return head + b"\r\n" + payload, end


@dataclass(frozen=True, slots=True)
class ClientOutcome:
    """What a client made of the bytes. ``error`` is ``"ExcType: message"`` or ``None``;
    ``error_type`` the exception class name; ``result`` what it returned (chunks, a
    completion, the assembled message), for checks to inspect."""

    client: str
    error: str | None = None
    error_type: str | None = None
    result: Any = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def verdict(self) -> str:
        return "ok" if self.error is None else f"raises {self.error}"


def preload_openai() -> None:
    """Import the openai SDK in a background (daemon) thread. ``import openai`` takes about
    a second; started when a run starts, it is done before the first replay, so the checks
    of an interrupted run are not held up by it. Idempotent; never raises."""
    global _preloading
    if _preloading is None:
        _preloading = threading.Thread(target=_import_openai, name="preload-openai", daemon=True)
        _preloading.start()


def _import_openai() -> None:
    """``import openai``, any failure left to the replay that imports it again: an import
    racing the main thread's own (Python may then see a partly initialised module) must
    not reach ``threading.excepthook``, where pytest reports it as an error."""
    try:
        if importlib.util.find_spec("openai") is not None:
            importlib.import_module("openai")
    except Exception:  # the replay's own import reports what is wrong
        return


_preloading: threading.Thread | None = None


def openai_python_version() -> str:
    try:
        return str(importlib.import_module("openai").__version__)
    except ImportError:  # pragma: no cover - openai is a dependency
        return "not installed"


def _http_module() -> Any:
    """The HTTP library module the installed openai SDK is built on (httpx2 or httpx)."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:  # pragma: no cover - older SDKs use httpx
        return importlib.import_module("httpx")


def _transport(exchange: Exchange) -> Any:
    """An HTTP transport of the SDK's HTTP library whose every connection reads
    :func:`wire_response` of ``exchange`` (an in-memory ``NetworkStream``): the end of
    the bytes is EOF, a reset raises ``ReadError``, a hang ``ReadTimeout``, as a socket
    would, without waiting."""
    http = _http_module()
    core = importlib.import_module("httpcore2" if http.__name__ == "httpx2" else "httpcore")
    data, end = wire_response(exchange)

    class Stream(core.MockStream):  # type: ignore[misc, name-defined]
        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            piece: bytes = super().read(max_bytes, timeout)
            if piece or end == "close":
                return piece
            if end == "reset":
                raise core.ReadError("[Errno 104] Connection reset by peer")
            raise core.ReadTimeout("timed out (the recorded response hung)")

    class Backend(core.MockBackend):  # type: ignore[misc, name-defined]
        def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
            return Stream([data[i : i + 65536] for i in range(0, len(data), 65536)])

    # verify=False: the in-memory connection never speaks TLS, and building a verifying
    # SSL context (loading the CA bundle) is most of a replay's cost
    transport = http.HTTPTransport(verify=False)
    transport._pool = core.ConnectionPool(network_backend=Backend([]))
    return transport


def _run(name: str, fn: Callable[[Any], Any], exchange: Exchange) -> ClientOutcome:
    import openai

    http = _http_module()
    try:
        with (
            warnings.catch_warnings(),
            http.Client(transport=_transport(exchange), trust_env=False) as transport,
        ):
            warnings.simplefilter("ignore")
            client = openai.OpenAI(
                api_key="sk-replay",
                base_url="http://127.0.0.1:9/v1",
                max_retries=0,
                http_client=transport,
            )
            result = fn(client)
    except Exception as exc:  # the verdict *is* the exception
        message = str(exc).splitlines()[0] if str(exc) else ""
        cause = exc.__cause__ or exc.__context__
        if cause is not None and type(exc).__name__ in ("APIConnectionError", "APITimeoutError"):
            message += (
                f" ({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''})"
            )
        return ClientOutcome(
            name, f"{type(exc).__name__}: {message}"[:300], type(exc).__name__, exc
        )
    return ClientOutcome(name, None, None, result)


_MESSAGES = [{"role": "user", "content": "replay"}]


def replay_openai_python(exchange: Exchange, how: str) -> ClientOutcome:
    """Replay ``exchange`` through openai-python.

    ``how``: ``"create"`` (``chat.completions.create``, non-stream; result is the
    ``ChatCompletion``), ``"stream"`` (``create(stream=True)`` iterated to the end;
    result is the list of chunks), ``"stream_helper"`` (``chat.completions.stream()``,
    which accumulates deltas with ``ChatCompletionStreamState``; result is the final
    ``ChatCompletion``), ``"models"`` (``models.list()``; result is the list of models),
    ``"parse"`` (``chat.completions.parse`` into a ``{name: str, age: int}`` model;
    result is the ``ParsedChatCompletion``), ``"embeddings"`` (``embeddings.create``
    with the SDK's default ``encoding_format``; result is the ``CreateEmbeddingResponse``,
    vectors decoded).
    Raises ``ValueError`` for an unknown ``how``.
    """
    model = "replay"
    if how == "create":
        fn: Callable[[Any], Any] = lambda c: c.chat.completions.create(  # noqa: E731
            model=model, messages=_MESSAGES
        )
    elif how == "stream":
        fn = lambda c: list(  # noqa: E731
            c.chat.completions.create(model=model, messages=_MESSAGES, stream=True)
        )
    elif how == "stream_helper":

        def fn(c: Any) -> Any:
            with c.chat.completions.stream(model=model, messages=_MESSAGES) as stream:
                for _ in stream:
                    pass
                return stream.get_final_completion()

    elif how == "models":
        fn = lambda c: list(c.models.list())  # noqa: E731
    elif how == "parse":

        def fn(c: Any) -> Any:
            from pydantic import BaseModel

            class Person(BaseModel):  # the ``response_json_schema`` probe's schema
                name: str
                age: int

            return c.chat.completions.parse(model=model, messages=_MESSAGES, response_format=Person)

    elif how == "embeddings":
        fn = lambda c: c.embeddings.create(  # noqa: E731
            model="replay", input=["a", "b"]
        )
    else:
        raise ValueError(
            f"how must be create, stream, stream_helper, models, parse or embeddings; got {how!r}"
        )
    return _run(f"{OPENAI_PYTHON} {openai_python_version()} ({how})", fn, exchange)
