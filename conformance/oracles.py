"""Real clients as oracles: replay recorded bytes through the official openai-python SDK.

The recorded exchange is served to the SDK by an in-memory transport (``MockTransport``
of the HTTP library the installed SDK uses), piece by piece as it arrived, so the SDK's
own SSE decoder, JSON parsing, error mapping and stream accumulator run on exactly the
target's bytes. No socket is opened. What the SDK does with the bytes is the verdict:
"ok", or the exception it raised (docs/openai-wire.md B2, B3; docs/sse.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .exchange import Exchange

__all__ = [
    "OPENAI_PYTHON",
    "ClientOutcome",
    "openai_python_version",
    "preload_openai",
    "replay_openai_python",
]

OPENAI_PYTHON = "openai-python"

_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection"})


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
        _preloading = threading.Thread(
            target=lambda: importlib.util.find_spec("openai") and importlib.import_module("openai"),
            name="preload-openai",
            daemon=True,
        )
        _preloading.start()


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


def _client(exchange: Exchange) -> Any:
    import openai

    http = _http_module()
    headers = [(k, v) for k, v in exchange.headers if k.lower() not in _HOP_HEADERS]
    pieces = [piece for _, piece in exchange.chunks]
    status = exchange.status or 200

    def handler(request: Any) -> Any:
        def body() -> Iterator[bytes]:
            yield from pieces

        return http.Response(status, headers=headers, content=body(), request=request)

    transport = http.MockTransport(handler)
    return openai.OpenAI(
        api_key="sk-replay",
        base_url="http://127.0.0.1:9/v1",
        max_retries=0,
        http_client=http.Client(transport=transport),
    )


def _run(name: str, fn: Callable[[Any], Any], exchange: Exchange) -> ClientOutcome:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client = _client(exchange)
            try:
                result = fn(client)
            finally:
                client.close()
    except Exception as exc:  # the verdict *is* the exception
        message = str(exc).splitlines()[0] if str(exc) else ""
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
