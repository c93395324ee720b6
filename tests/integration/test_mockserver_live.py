"""The mock's Live API WebSocket (``BidiGenerateContent``): Google's upgrade rules,
the setup / turn answers, Google's 1007 close for an unknown message, and the journal."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import httpx

from mockserver.app import create_app
from mockserver.http_live import LIVE_PATHS, live_answer
from mockserver.settings import Settings
from tests.servers import serve


def test_live_answers_are_pure_and_deterministic() -> None:
    setup = json.dumps({"setup": {"model": "models/gemini-2.5-flash"}}).encode()
    assert live_answer(setup, 7) == ([{"setupComplete": {}}], None)
    turn = json.dumps(
        {"clientContent": {"turns": [{"role": "user", "parts": [{"text": "hi"}]}]}}
    ).encode()
    first, again = live_answer(turn, 7), live_answer(turn, 7)
    assert first == again
    assert first[0][-1] == {"serverContent": {"turnComplete": True}}
    assert first[0][0]["serverContent"]["modelTurn"]["parts"][0]["text"]
    frames, close = live_answer(b'{"type": "message", "content": "Hello Gemini!"}', 7)
    assert frames == []
    assert close == (1007, 'Invalid JSON payload received. Unknown name "type": Cannot find field.')
    assert live_answer(b"not json", 7)[1] is not None


def test_live_socket_on_the_wire() -> None:
    async def talk(url: str) -> tuple[list[dict[str, Any]], int | None, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{url}{LIVE_PATHS[0]}?key=k1") as ws,
        ):
            await ws.send_str(json.dumps({"setup": {"model": "models/gemini-2.5-flash"}}))
            text = "hi [[mock:cid=live-1]]"
            turn = {"clientContent": {"turns": [{"role": "user", "parts": [{"text": text}]}]}}
            await ws.send_str(json.dumps(turn))
            got = [json.loads((await ws.receive()).data) for _ in range(3)]
            await ws.send_str(json.dumps({"type": "message"}))
            closing = await ws.receive()
            return got, ws.close_code, str(closing.extra)

    with serve(lambda: create_app(Settings())) as url:
        assert httpx.get(f"{url}{LIVE_PATHS[0]}").status_code == 403  # no key, no upgrade
        got, code, reason = asyncio.run(talk(url.replace("http", "ws")))
        entries = httpx.get(f"{url}/_mock/requests", params={"cid": "live-1"}).json()
    assert got[0] == {"setupComplete": {}}
    assert got[2] == {"serverContent": {"turnComplete": True}}
    assert (code, reason) == (
        1007,
        'Invalid JSON payload received. Unknown name "type": Cannot find field.',
    )
    entries = entries.get("requests", entries) if isinstance(entries, dict) else entries
    assert [e["method"] for e in entries] == ["WS"]
    assert entries[0]["body"]["clientContent"]["turns"][0]["parts"][0]["text"].startswith("hi")
