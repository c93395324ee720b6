"""A run that could tell nothing about the target stops after its first probes with one
clear line and exit code 2, before the run's cost is paid: a key is needed, the key is
rejected, the URL is not an OpenAI-compatible API, the mock is not in the proxy's path,
``--out`` cannot be written."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from tests.servers import serve


def conformance(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _app(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


def _needs_key() -> web.Application:
    """A proxy that wants ``Authorization: Bearer good`` (OpenAI's 401 body otherwise)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != "Bearer good":
            body = {
                "error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}
            }
            return web.json_response(body, status=401)
        return web.json_response({"object": "list", "data": []})

    return _app(handler)


def _web_page() -> web.Application:
    """Not an API: a web UI that answers HTML to GET and 405 to POST."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            return web.Response(text="<html><body>Welcome</body></html>", content_type="text/html")
        return web.Response(status=405, text="Method Not Allowed")

    return _app(handler)


COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gemini-2.5-flash",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


def _elsewhere() -> web.Application:
    """A proxy that answers from some other upstream: good answers, never the mock."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/models"):
            return web.json_response({"object": "list", "data": [{"id": "gemini-2.5-flash"}]})
        return web.json_response(COMPLETION)

    return _app(handler)


def test_no_key_and_a_401_says_how_to_give_one(tmp_path: Path) -> None:
    with serve(_needs_key) as url:
        done = conformance("run", "--target", url, "--out", str(tmp_path))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: the target needs an API key (HTTP 401 on ")
    assert "--api-key" in lines[-1]
    assert "CONFORMANCE_API_KEY" in lines[-1]
    assert "Incorrect API key provided" in lines[-1]
    assert not (tmp_path / "report.json").exists(), "no report that blames the proxy"


def test_a_rejected_key_is_one_line(tmp_path: Path) -> None:
    with serve(_needs_key) as url:
        done = conformance("run", "--target", url, "--api-key", "bad", "--out", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: the target rejected the API key")
    assert "bad" not in done.stderr.replace("rejected", "")


def test_a_web_page_is_not_an_openai_api(tmp_path: Path) -> None:
    with serve(_web_page) as url:
        done = conformance("run", "--target", url, "--api-key", "k", "--out", str(tmp_path))
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert "does not look like an OpenAI-compatible API" in last
    assert "/models answered HTTP 200 text/html" in last
    assert "/chat/completions answered HTTP 405" in last
    assert "check --target and its base path" in last


def test_the_mock_out_of_the_proxys_path_stops_the_run_early(tmp_path: Path) -> None:
    with serve(lambda: create_mock(MockSettings())) as mock, serve(_elsewhere) as proxy:
        started = time.monotonic()
        done = conformance(
            "run", "--target", proxy, "--api-key", "k", "--mock-url", mock, "--out", str(tmp_path)
        )
        took = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert f"the mock at {mock} saw none of the proxy's upstream calls" in last
    assert f"({mock}/v1beta)" in last
    print(f"stopped after {took:.1f} s")


def test_a_good_controlled_target_is_not_stopped(tmp_path: Path) -> None:
    """The journal rule must not fire on a proxy that does reach the mock."""
    from reference_impl.app import create_app as create_proxy
    from reference_impl.settings import Settings as ProxySettings

    with serve(lambda: create_mock(MockSettings())) as mock:
        settings = ProxySettings(upstream_url=f"{mock}/v1beta", upstream_keys=("k1",))
        with serve(lambda: create_proxy(settings)) as proxy:
            done = conformance(
                "run", "-q", "--target", proxy, "--mock-url", mock, "--check", "blocked.",
                "--out", str(tmp_path),
            )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads((tmp_path / "report.json").read_text())
    assert {r["outcome"] for r in payload["results"]} == {"passed"}


@pytest.mark.parametrize("out", ["/dev/null/reports", "/proc/conformance-reports"])
def test_an_unwritable_out_fails_before_the_first_request(out: str) -> None:
    done = conformance("run", "--target", "http://127.0.0.1:9", "--out", out)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: --out {out}: cannot write reports")
