"""``conformance load`` end to end, on loopback only: the embedded reference + mock pass
under a modest load (every answer judged), and a fake proxy that mixes up concurrent
streams and bodies is caught by ``load.cross_talk`` with the failing answer's evidence.
A target off this machine is refused before any request."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from conformance.embedded import Embedded, embedded
from tests.servers import serve


def conformance(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "load", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def results(out: Path) -> dict[str, dict[str, Any]]:
    payload = json.loads((out / "report.json").read_text("utf-8"))
    return {r["check_id"]: r for r in payload["results"]}


@pytest.mark.slow
def test_the_reference_passes_under_load_and_every_answer_is_judged(tmp_path: Path) -> None:
    done = conformance(
        *("--users", "20", "--spawn-rate", "20", "--duration", "5"),
        *("--max-requests", "600", "--out", str(tmp_path), "-q"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PASS: every applicable check passes")
    load = json.loads((tmp_path / "load.json").read_text("utf-8"))["load"]
    answers = load["requests"]
    assert 20 <= answers <= 600
    assert load["errors"] == 0
    records = results(tmp_path)
    assert {r["outcome"] for r in records.values()} <= {"passed", "skipped"}
    assert records["http.body_framing"]["message"] == f"{answers} answers pass"
    assert records["load.cross_talk"]["outcome"] == "passed"
    assert records["load.key_spread"]["outcome"] == "passed"
    html = (tmp_path / "load.html").read_text("utf-8")
    assert "<svg" in html
    assert "<script" not in html
    assert "sk-conformance-embedded" not in (tmp_path / "report.md").read_text("utf-8")


def mixing_proxy(upstream: str) -> web.Application:
    """A pass-through to ``upstream`` with two classic concurrency bugs: every stream's
    chunks go to the stream that started last (a global "current response"), and every
    unary answer gets the body of the previous unary request (a shared buffer)."""
    state: dict[str, Any] = {"current": None, "last": None}

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("authorization", "content-type", "x-mock-cid")
        }
        async with (
            aiohttp.ClientSession() as client,
            client.request(
                request.method, upstream + request.path_qs, data=body, headers=headers
            ) as up,
        ):
            kind = up.headers.get("Content-Type", "application/json")
            if kind.startswith("text/event-stream"):
                response = web.StreamResponse(status=up.status, headers={"Content-Type": kind})
                await response.prepare(request)
                state["current"] = response
                async for line in up.content:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await state["current"].write(line)  # the bug: not its own stream
                await response.write_eof()
                return response
            data = await up.read()
            previous, state["last"] = state["last"], data
            return web.Response(
                status=up.status, body=previous or data, headers={"Content-Type": kind}
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@pytest.fixture(scope="module")
def pair() -> Iterator[Embedded]:
    with embedded() as emb:
        yield emb


@pytest.mark.slow
def test_a_proxy_that_mixes_concurrent_streams_is_caught(pair: Embedded, tmp_path: Path) -> None:
    with serve(lambda: mixing_proxy(pair.proxy_url)) as fake:
        done = conformance(
            *("--target", fake, "--mock-url", pair.mock_url, "--api-key", pair.api_key),
            *("--users", "20", "--spawn-rate", "20", "--duration", "4"),
            *("--max-requests", "400", "--out", str(tmp_path), "--upstream-keys", "2"),
        )
    assert done.returncode == 1, done.stdout + done.stderr
    cross = results(tmp_path)["load.cross_talk"]
    assert cross["outcome"] == "failed"
    assert cross["severity"] == "critical"
    assert "carry another request's" in cross["message"]
    evidence = cross["evidence"]
    assert evidence["curl"].startswith("curl ")
    assert evidence["request"]["headers"]["x-mock-cid"] in cross["message"]
    assert evidence["upstream"], "the journal of the failing answer is shown"
    assert pair.api_key not in json.dumps(cross)
    assert "load.cross_talk" in (tmp_path / "load.md").read_text("utf-8")


def test_a_target_off_this_machine_is_refused_without_the_flag(tmp_path: Path) -> None:
    done = conformance("--target", "http://192.0.2.1:8080", "--out", str(tmp_path), timeout=60)
    assert done.returncode == 2
    assert "is not on this machine" in done.stderr
    assert "--i-am-allowed-to-load-this-target" in done.stderr
    assert not (tmp_path / "report.json").exists()


@pytest.mark.slow
def test_local_workers_send_and_the_master_collects_every_answer(tmp_path: Path) -> None:
    done = conformance(
        *("--users", "10", "--spawn-rate", "10", "--duration", "3", "--workers", "2"),
        *("--max-requests", "300", "--out", str(tmp_path), "-q"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    load = json.loads((tmp_path / "load.json").read_text("utf-8"))["load"]
    assert load["workers"] == 2
    assert load["requests"] > 0
    assert load["locust"]["spooled"] == load["requests"]
    unresolved = [
        r["check_id"]
        for r in results(tmp_path).values()
        if r["outcome"] not in ("passed", "skipped")
    ]
    assert unresolved == []
