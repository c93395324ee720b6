"""A target that echoes the API key back ("Incorrect API key provided: <key>") must not
get the key written into any report (issue 15 item 3): the literal key is scrubbed from
every message and every piece of evidence, not only from headers by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aiohttp import web

from tests.servers import serve

KEY = "plainsecret-not-a-token-7Q2"
"""A key no pattern recognises (not ``sk-...``, not ``AIza...``)."""


def echoing_target() -> web.Application:
    """Answers the run's key with a chat completion that carries the key (as
    ``system_fingerprint`` and in an ``x-echo`` header), and any other key with a 401
    that quotes the key it got."""

    async def answer(request: web.Request) -> web.Response:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if sent == KEY:
            return web.json_response(
                {
                    "id": "chatcmpl-echo",
                    "object": "chat.completion",
                    "created": 1,
                    "model": "m",
                    "system_fingerprint": f"fp for {sent}",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": f"your key is {sent}"},
                            "finish_reason": "stop",
                        }
                    ],
                },
                headers={"x-echo": sent},
            )
        return web.json_response(
            {
                "error": {
                    "message": f"Incorrect API key provided: {sent}",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
            status=401,
            headers={"x-echo": sent},
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


def test_an_echoed_key_is_written_into_no_report(tmp_path: Path) -> None:
    with serve(echoing_target) as url:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--target",
                url,
                "--api-key",
                KEY,
                "--max-requests",
                "12",
                "--out",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 1, done.stdout + done.stderr  # the target fails, and says so
    assert KEY not in done.stdout + done.stderr
    written = {p.name: p.read_text("utf-8") for p in tmp_path.iterdir() if p.is_file()}
    assert {"report.json", "report.md", "report.html", "junit.xml"} <= set(written)
    assert all(KEY not in text for text in written.values()), [
        name for name, text in written.items() if KEY in text
    ]
    # the echo itself is still shown, redacted, so the failure stays readable
    assert "[redacted]" in written["report.json"]
