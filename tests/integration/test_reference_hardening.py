"""The reference proxy under hostile input and faults (issue 15): each test fails on the
defect it names and passes once it is fixed.

The reference runs in process in front of the project's mock (or a minimal fake where the
mock cannot play the part: an upstream that never answers and reports when the proxy
hangs up). Every server binds 127.0.0.1; no test sends traffic anywhere else (the
refused media addresses are refused before any connection is attempted). Nothing sleeps
to synchronise: tests wait on events with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from conformance.embedded import start_server
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app
from reference_impl.cli import settings_from_args
from reference_impl.server.appkeys import NOTICES
from reference_impl.settings import Settings
from tests.mock_upstream import clear, journal, mock_upstream
from tests.servers import serve

KEY = "k-good"
CLIENT = "client-key"
AUTH = {"Authorization": f"Bearer {CLIENT}"}


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
    }
    base.update(kw)
    return Settings(**base)


@pytest.fixture(scope="module")
def core(mock: str) -> Iterator[str]:
    with serve(lambda: create_app(settings(mock))) as url:
        yield url


def chat(content: Any = "Hi", **kw: Any) -> dict[str, Any]:
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": content}], **kw}


def image(url: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]


# --------------------------------------------------------------------------- 1. SSRF

REFUSED_HOSTS = [
    "127.0.0.1",
    "127.8.9.10",
    "[::1]",
    "localhost",  # the DNS path: resolved, every address checked
    "LOCALHOST.",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "[fc00::1]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_media_urls_on_private_addresses_are_refused_by_default(
    core: str, mock: str, host: str
) -> None:
    """By default no image URL on a loopback, private, link-local or metadata address is
    fetched: a 400 in OpenAI's envelope with one generic message naming no port or path,
    and nothing reaches the upstream."""
    port = mock.rsplit(":", 1)[1]
    url = f"http://{host}:{port}/_mock/image.png"
    r = httpx.post(f"{core}/v1/chat/completions", json=chat(image(url)), headers=AUTH)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "image_url_refused"
    assert port not in error["message"]
    assert "_mock" not in error["message"]
    assert journal(mock) == []  # neither fetched nor sent upstream


def test_the_refusal_is_one_message_whatever_answers(core: str, mock: str) -> None:
    """A listening port, a closed one and a missing route answer alike (no port scan)."""
    port = mock.rsplit(":", 1)[1]
    urls = [f"http://127.0.0.1:{port}/_mock/image.png", "http://127.0.0.1:9/x.png"]
    urls.append(f"http://127.0.0.1:{port}/nothing-here")
    messages = {
        httpx.post(f"{core}/v1/chat/completions", json=chat(image(u)), headers=AUTH).json()[
            "error"
        ]["message"]
        for u in urls
    }
    assert len(messages) == 1


def test_private_media_urls_are_fetched_with_the_opt_in(mock: str) -> None:
    s = settings(mock, allow_private_media_urls=True)
    with serve(lambda: create_app(s)) as url:
        r = httpx.post(
            f"{url}/v1/chat/completions",
            json=chat(image(f"{mock}/_mock/image.png")),
            headers=AUTH,
        )
        missing = httpx.post(
            f"{url}/v1/chat/completions",
            json=chat(image(f"{mock}/_mock/missing.png")),
            headers=AUTH,
        )
    assert r.status_code == 200, r.text
    assert next(e["path"] for e in journal(mock)) == "/_mock/image.png"
    assert missing.status_code == 400
    assert "missing" not in missing.json()["error"]["message"]


def test_the_opt_in_is_a_flag_and_an_environment_variable() -> None:
    assert settings_from_args([]).allow_private_media_urls is False
    assert settings_from_args(["--allow-private-media-urls"]).allow_private_media_urls is True
    env = {"PROXY_ALLOW_PRIVATE_MEDIA_URLS": "1"}
    assert settings_from_args([], env).allow_private_media_urls is True


# --------------------------------------------------------------------------- 6. nesting


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("where", ["content", "metadata"])
@pytest.mark.parametrize("depth", [101, 1000, 1020])
def test_deep_json_nesting_is_a_400_not_a_500(core: str, where: str, depth: int) -> None:
    """977-1023 levels raised a RecursionError in schema validation (a 500): nesting is
    limited before validation, a 400 in OpenAI's envelope."""
    inner = f'{{"role":"user","content":{nested(depth) if where == "content" else "1"}}}'
    extra = f',"metadata":{{"a":{nested(depth)}}}' if where == "metadata" else ""
    body = f'{{"model":"gemini-2.5-flash","messages":[{inner}]{extra}}}'
    r = httpx.post(
        f"{core}/v1/chat/completions",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "nesting_too_deep"
    assert "100" in r.json()["error"]["message"]


def test_nesting_up_to_the_limit_is_judged_as_usual(core: str) -> None:
    body = '{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],'
    body += f'"metadata":{{"a":{nested(98)}}}}}'  # 100 levels with the body and metadata
    r = httpx.post(
        f"{core}/v1/chat/completions",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert r.json().get("error", {}).get("code") != "nesting_too_deep", r.text


# --------------------------------------------------------------------------- 4. disconnect

SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)
FIRST_EVENT = (
    b'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]},'
    b'"index":0}]}\r\n\r\n'
)


class StallingUpstream:
    """A Gemini stand-in on 127.0.0.1 that reads a request and never finishes its answer
    (nothing at all, or for a stream, when ``answer_streams``, the headers and one event),
    then records the moment the proxy closes the connection (``closed``, a
    ``threading.Event``; ``closed_at``: ``time.monotonic()``). ``requests`` counts the
    requests it saw."""

    __test__ = False

    def __init__(self, *, answer_streams: bool = True) -> None:
        self.answer_streams = answer_streams
        self.got_request = threading.Event()
        self.closed = threading.Event()
        self.closed_at = 0.0
        self.requests = 0
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests += 1
        if self.answer_streams and b"streamGenerateContent" in head.split(b"\r\n", 1)[0]:
            writer.write(SSE_HEAD + f"{len(FIRST_EVENT):x}\r\n".encode() + FIRST_EVENT + b"\r\n")
            await writer.drain()
        self.got_request.set()
        while await reader.read(65536):  # the body, then nothing until the proxy hangs up
            pass
        self.closed_at = time.monotonic()
        self.closed.set()
        writer.close()

    @contextmanager
    def running(self) -> Iterator[str]:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        server: list[asyncio.Server] = []

        async def start() -> None:
            server.append(await asyncio.start_server(self._handle, "127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{server[0].sockets[0].getsockname()[1]}"
            started.set()

        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(start(), loop).result(10)
        assert started.wait(10)

        async def stop() -> None:
            server[0].close()
            current = asyncio.current_task()
            for task in asyncio.all_tasks():
                if task is not current:
                    task.cancel()

        try:
            yield self.url
        finally:
            asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


def reference_process(upstream: str, *flags: str) -> Any:
    """The reference as users run it (``python -m reference_impl``) in front of
    ``upstream``."""
    args = ["reference_impl", "--host", "127.0.0.1", "--port", "0"]
    args += ["--upstream-url", f"{upstream}/v1beta", "--upstream-key", KEY, "--api-key", CLIENT]
    return start_server([*args, *flags], "the reference proxy")


def raw_chat(proxy: str, body: dict[str, Any]) -> socket.socket:
    """A chat request sent on a raw socket (so the test controls when the client goes)."""
    host, port = proxy.removeprefix("http://").rsplit(":", 1)
    data = json.dumps(body).encode()
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {CLIENT}\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    return sock


def recv_until(sock: socket.socket, marker: bytes) -> bytes:
    """What ``sock`` receives until ``marker`` has arrived (fails if it closes first)."""
    received = b""
    while marker not in received:
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    return received


@pytest.mark.slow
@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_leaves_cancels_the_upstream_call(stream: bool) -> None:
    """The upstream connection is closed within 100 ms of the client going away, unary
    (which kept retrying upstream for minutes) and streamed before the first event."""
    fake = StallingUpstream()
    with fake.running() as upstream, reference_process(upstream) as proxy:
        sock = raw_chat(proxy, chat(stream=stream))
        assert fake.got_request.wait(10)
        if stream:
            recv_until(sock, b"Hel")  # the first event reached the client
        left = time.monotonic()
        sock.close()
        assert fake.closed.wait(5), "the upstream call outlived the client"
    assert fake.closed_at - left < 0.1, fake.closed_at - left
    assert fake.requests == 1


@pytest.mark.slow
def test_a_client_gone_during_keepalives_cancels_the_upstream_call() -> None:
    """An app run without ``handler_cancellation`` (embedded in a user's own runner)
    still learns of the gone client from a keep-alive it fails to write, and closes the
    upstream request it was waiting on instead of holding it to the deadline."""
    fake = StallingUpstream(answer_streams=False)
    with fake.running() as upstream:
        settings_ = stalled_settings(
            upstream, read_timeout_s=30.0, deadline_s=30.0, keepalive_s=0.05
        )
        with serve(lambda: create_app(settings_)) as proxy:
            sock = raw_chat(proxy, chat(stream=True))
            assert fake.got_request.wait(10)
            recv_until(sock, b": keep-alive")
            left = time.monotonic()
            sock.close()
            assert fake.closed.wait(5), "the upstream call outlived the client"
    assert fake.closed_at - left < 1.0, fake.closed_at - left
    assert fake.requests == 1


# --------------------------------------------------------------------------- 5. deadline


def stalled_settings(upstream: str, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "upstream_url": f"{upstream}/v1beta",
        "upstream_keys": (KEY,),
        "api_keys": frozenset({CLIENT}),
        "retry_backoff_s": 0.0,
        "max_attempts": 3,
        "read_timeout_s": 0.4,
        "deadline_s": 0.6,
        "keepalive_s": 0.1,
    }
    base.update(kw)
    return Settings(**base)


@pytest.mark.slow
def test_an_upstream_that_never_answers_is_given_up_at_the_deadline() -> None:
    """One total deadline across attempts: a timed-out attempt is not retried past it
    (3 attempts x the read timeout before), and the client gets a 504 in the envelope."""
    fake = StallingUpstream()
    with fake.running() as upstream, serve(lambda: create_app(stalled_settings(upstream))) as url:
        started = time.monotonic()
        r = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=AUTH, timeout=30)
        took = time.monotonic() - started
    assert r.status_code == 504, r.text
    assert r.json()["error"]["code"] == "upstream_timeout"
    assert fake.requests == 2  # the second attempt is cut at the deadline; no third
    assert took < 1.1, took


@pytest.mark.slow
def test_a_stream_whose_upstream_never_answers_ends_at_the_deadline() -> None:
    """Keep-alives flow, then one error event at the deadline (not 15 minutes of them)."""
    fake = StallingUpstream(answer_streams=False)
    with fake.running() as upstream:
        settings_ = stalled_settings(upstream, read_timeout_s=5.0)
        with serve(lambda: create_app(settings_)) as url:
            started = time.monotonic()
            body = chat(stream=True)
            r = httpx.post(f"{url}/v1/chat/completions", json=body, headers=AUTH, timeout=30)
            took = time.monotonic() - started
    assert r.status_code == 200
    assert r.text.startswith(": keep-alive")
    last = r.text.strip().rsplit("\n", 1)[-1]
    assert json.loads(last.removeprefix("data: "))["error"]["code"] == "upstream_timeout"
    assert "[DONE]" not in r.text
    assert took < 1.5, took


def test_timeouts_and_the_deadline_are_flags_and_environment_variables() -> None:
    s = settings_from_args([])
    assert (s.deadline_s, s.read_timeout_s, s.connect_timeout_s) == (300.0, 300.0, 10.0)
    s = settings_from_args(["--deadline", "30", "--read-timeout", "20", "--connect-timeout", "3"])
    assert (s.deadline_s, s.read_timeout_s, s.connect_timeout_s) == (30.0, 20.0, 3.0)
    env = {"PROXY_DEADLINE_S": "31", "PROXY_READ_TIMEOUT_S": "21", "PROXY_CONNECT_TIMEOUT_S": "4"}
    s = settings_from_args([], env)
    assert (s.deadline_s, s.read_timeout_s, s.connect_timeout_s) == (31.0, 21.0, 4.0)


# --------------------------------------------------------------------------- 8. admin


def login(url: str, password: str, user: str = "admin") -> httpx.Response:
    return httpx.post(f"{url}/admin/login", json={"username": user, "password": password})


def test_the_admin_api_has_no_default_password(mock: str) -> None:
    """admin/admin123 is not a login: with no password configured one is generated, said
    once when the proxy listens (``NOTICES``, logged by ``python -m reference_impl``),
    and only it opens the admin API."""
    app = create_app(settings(mock, profile="antigravity2api"))
    [notice] = app[NOTICES]
    generated = notice.rsplit(" ", 1)[1]
    assert len(generated) >= 16
    with serve(lambda: app) as url:
        assert login(url, "admin123").status_code == 401
        r = login(url, generated)
        assert r.status_code == 200, r.text
        assert r.json()["token"]
    assert settings_from_args([]).admin_password == ""


def test_failed_admin_logins_are_throttled_per_client(mock: str) -> None:
    """After 5 wrong passwords in a minute, the client gets 429 with Retry-After, even
    for the right password, until the window ends."""
    s = settings(mock, profile="antigravity2api", admin_password="right-password")
    with serve(lambda: create_app(s)) as url:
        assert [login(url, f"wrong-{i}").status_code for i in range(5)] == [401] * 5
        r = login(url, "right-password")
        assert r.status_code == 429, r.text
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert r.json()["success"] is False


# --------------------------------------------------------------------------- 7. bodies

MIB = 1024 * 1024


def test_the_body_cap_is_lower_and_configurable() -> None:
    """20 MiB by default (Gemini's limit for a request with inline data), a flag and an
    environment variable."""
    assert settings_from_args([]).max_body_bytes == 20 * MIB
    assert settings_from_args(["--max-body-bytes", "1000"]).max_body_bytes == 1000
    env = {"PROXY_MAX_BODY_BYTES": "2000", "PROXY_MAX_INFLIGHT_BYTES": "3000"}
    s = settings_from_args([], env)
    assert (s.max_body_bytes, s.max_inflight_bytes) == (2000, 3000)
    assert settings_from_args([]).max_inflight_bytes == 256 * MIB


def test_a_body_over_the_cap_is_a_413_in_the_envelope(mock: str) -> None:
    s = settings(mock, max_body_bytes=MIB)
    with serve(lambda: create_app(s)) as url:
        big = chat("x" * (MIB + 1))
        r = httpx.post(f"{url}/v1/chat/completions", json=big, headers=AUTH)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"


@pytest.mark.slow
def test_bytes_in_flight_are_bounded_across_requests() -> None:
    """While one large body is in flight, another that would pass the bound is a 503
    with Retry-After (openai-python retries it) instead of one more copy in memory."""
    fake = StallingUpstream()
    with fake.running() as upstream:
        s = stalled_settings(
            upstream, max_body_bytes=MIB, max_inflight_bytes=3 * MIB // 2, deadline_s=2.0
        )
        with serve(lambda: create_app(s)) as url:
            body = chat("x" * (MIB - 1000))
            first: list[httpx.Response] = []

            def send() -> None:
                first.append(
                    httpx.post(f"{url}/v1/chat/completions", json=body, headers=AUTH, timeout=30)
                )

            holder = threading.Thread(target=send)
            holder.start()
            assert fake.got_request.wait(10)
            second = httpx.post(f"{url}/v1/chat/completions", json=body, headers=AUTH)
            small = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=AUTH)
            holder.join(30)
    assert second.status_code == 503, second.text
    assert second.json()["error"]["code"] == "server_busy"
    assert int(second.headers["Retry-After"]) >= 1
    assert small.status_code == 504  # small bodies still pass (to the stalled upstream)
    assert first[0].status_code == 504


# --------------------------------------------------------------------------- 9. smaller


def test_served_image_urls_do_not_echo_the_host_header(core: str) -> None:
    """Without --public-url the image URL is the address the proxy is bound to, not the
    request's ``Host`` (which a client or a cache poisoner chooses)."""
    r = httpx.post(
        f"{core}/v1/chat/completions",
        json=chat(model="gemini-2.5-flash-image"),
        headers={**AUTH, "Host": "attacker.example"},
    )
    assert r.status_code == 200, r.text
    content = r.json()["choices"][0]["message"]["content"]
    assert "attacker.example" not in content
    assert f"]({core}/images/" in content


def test_the_mid_stream_error_event_carries_param() -> None:
    """The ``data: {"error"}`` event has the same four fields as the HTTP envelope."""
    fake = StallingUpstream()
    with fake.running() as upstream:
        s = stalled_settings(upstream, read_timeout_s=0.3, deadline_s=5.0)
        with serve(lambda: create_app(s)) as url:
            r = httpx.post(
                f"{url}/v1/chat/completions", json=chat(stream=True), headers=AUTH, timeout=30
            )
    last = r.text.strip().rsplit("\n", 1)[-1]
    error = json.loads(last.removeprefix("data: "))["error"]
    assert set(error) == {"message", "type", "param", "code"}


def test_transport_errors_do_not_reveal_internal_addresses() -> None:
    s = Settings(upstream_url="http://127.0.0.1:9/v1beta", upstream_key=KEY, max_attempts=1)
    with serve(lambda: create_app(s)) as url:
        r = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=AUTH)
    assert r.status_code == 502
    message = r.json()["error"]["message"]
    assert "127.0.0.1" not in message
    assert ":9" not in message
    assert "Error" not in message  # no exception class or repr


def test_a_malformed_header_is_one_warning_not_an_error_traceback(
    core: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="aiohttp.server")
    host, port = core.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: secret\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.")  # a 400; logged before it is sent
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [r.levelname for r in records] == ["WARNING"]
    assert records[0].exc_info is None
    assert "secret" not in records[0].getMessage()


def test_schema_valid_integral_floats_are_integers(core: str) -> None:
    """JSON Schema's ``integer`` includes ``8.0``; the document says so, so does the proxy."""
    body = {"model": "gemini-embedding-001", "input": "a", "dimensions": 8.0}
    r = httpx.post(f"{core}/v1/embeddings", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    assert len(r.json()["data"][0]["embedding"]) == 8


def test_an_empty_string_is_called_an_empty_string(core: str) -> None:
    content = [{"type": "image_url", "image_url": {"url": ""}}]
    r = httpx.post(f"{core}/v1/chat/completions", json=chat(content), headers=AUTH)
    assert r.status_code == 400
    assert r.json()["error"]["message"].endswith("got an empty string")
