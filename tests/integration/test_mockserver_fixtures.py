"""On the wire: fixture images for URL-fetching proxies, candidateCount, JSON mode."""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from mockserver.app import create_app
from mockserver.journal import REDACTED, fingerprint
from mockserver.media import FIXTURE_JPEG, JPEG_SIGNATURE, PNG_SIGNATURE, fixture_png
from mockserver.settings import Settings
from spec.sse import decode
from tests.servers import serve

KEY = "AIza-fixture-key"
FLASH = "/v1beta/models/gemini-2.5-flash"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(lambda: create_app(Settings())) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as c:
        c.delete("/_mock/requests").raise_for_status()
        yield c


def journal(client: httpx.Client, cid: str | None = None) -> list[dict[str, Any]]:
    params = {"cid": cid} if cid else {}
    entries: list[dict[str, Any]] = client.get("/_mock/requests", params=params).json()["requests"]
    return entries


# ----------------------------------------------------------------------------- images


def test_png_is_served_with_its_content_type(client: httpx.Client) -> None:
    response = client.get("/_mock/image.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store"
    data = response.content
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (32, 32)
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    assert data == fixture_png()
    assert client.get("/_mock/image.png").content == data  # the same bytes every time


def test_jpeg_is_served_with_its_content_type(client: httpx.Client) -> None:
    response = client.get("/_mock/image.jpg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    data = response.content
    assert data[:3] == JPEG_SIGNATURE
    assert data[6:11] == b"JFIF\x00"
    assert data[-2:] == b"\xff\xd9"
    assert data == FIXTURE_JPEG
    assert int(response.headers["content-length"]) == len(FIXTURE_JPEG)


def test_fetches_are_journaled_with_headers_redacted(client: httpx.Client) -> None:
    headers = {"authorization": "Bearer leaked-token", "x-goog-api-key": KEY, "user-agent": "p/1"}
    client.get("/_mock/image.png", params={"cid": "img-1", "v": "2"}, headers=headers)
    client.get("/_mock/image.jpg")
    client.get("/_mock/health")  # admin routes stay out of the journal
    entries = journal(client)
    assert [(e["method"], e["path"]) for e in entries] == [
        ("GET", "/_mock/image.png"),
        ("GET", "/_mock/image.jpg"),
    ]
    png = entries[0]
    assert png["cid"] == "img-1"
    assert png["query"] == {"cid": "img-1", "v": "2"}
    assert png["status"] == 200
    assert png["headers"]["authorization"] == REDACTED
    assert png["headers"]["x-goog-api-key"] == REDACTED
    assert png["headers"]["user-agent"] == "p/1"
    assert KEY not in json.dumps(entries)
    assert {c["sha256"] for c in png["credentials"]} == {
        fingerprint(KEY),
        fingerprint("leaked-token"),
    }  # a proxy that sends its key along with the fetch shows up here
    assert png["response"] == {
        "image": {
            "mime_type": "image/png",
            "width": 32,
            "height": 32,
            "bytes": len(fixture_png()),
            "sha256": hashlib.sha256(fixture_png()).hexdigest(),
        }
    }
    assert entries[1]["response"]["image"]["sha256"] == hashlib.sha256(FIXTURE_JPEG).hexdigest()
    assert entries[1]["cid"] is None
    assert [e["path"] for e in journal(client, "img-1")] == ["/_mock/image.png"]


def test_head_is_answered_and_journaled(client: httpx.Client) -> None:
    response = client.head("/_mock/image.jpg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content == b""
    assert [(e["method"], e["path"]) for e in journal(client)] == [("HEAD", "/_mock/image.jpg")]


def test_other_image_names_are_not_served(client: httpx.Client) -> None:
    assert client.get("/_mock/image.gif").status_code == 404
    assert journal(client) == []


# ----------------------------------------------------------------------------- generate


def generate(
    client: httpx.Client, config: dict[str, Any], *, stream: bool, cid: str
) -> httpx.Response:
    body = {
        "contents": [{"role": "user", "parts": [{"text": f"hello [[mock:cid={cid}]]"}]}],
        "generationConfig": config,
    }
    path = f"{FLASH}:streamGenerateContent?alt=sse" if stream else f"{FLASH}:generateContent"
    response = client.post(path, json=body, headers={"x-goog-api-key": KEY})
    assert response.status_code == 200, response.text
    return response


def test_three_candidates_on_the_wire_and_in_the_journal(client: httpx.Client) -> None:
    whole = generate(client, {"candidateCount": 3}, stream=False, cid="n3").json()
    texts = [c["content"]["parts"][0]["text"] for c in whole["candidates"]]
    assert [c["index"] for c in whole["candidates"]] == [0, 1, 2]
    response = generate(client, {"candidateCount": 3}, stream=True, cid="n3")
    chunks = [json.loads(e.data) for e in decode([response.content])]
    assert [c["candidates"][0]["index"] for c in chunks] == [0, 1, 2] * 3
    streamed = ["", "", ""]
    for chunk in chunks:
        candidate = chunk["candidates"][0]
        streamed[candidate["index"]] += candidate["content"]["parts"][0]["text"]
    assert streamed == texts
    assert chunks[-1]["usageMetadata"] == whole["usageMetadata"]
    summaries = [e["response"] for e in journal(client, "n3")]
    assert len(summaries) == 2
    for summary in summaries:
        assert summary["candidates"] == 3
        assert summary["texts"] == texts
        assert summary["text"] == texts[0]
        assert summary["finish_reasons"] == ["STOP"] * 3


def test_bad_candidate_count_is_googles_400(client: httpx.Client) -> None:
    body = {"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"candidateCount": 9}}
    response = client.post(f"{FLASH}:generateContent", json=body, headers={"x-goog-api-key": KEY})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "candidate_count" in response.json()["error"]["message"]


SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temperature": {"type": "number", "minimum": -40, "maximum": 50},
        "sky": {"enum": ["clear", "cloudy", "rain"]},
        "hours": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 23}},
    },
    "required": ["city", "sky"],
    "additionalProperties": False,
}


def test_json_mode_on_the_wire(client: httpx.Client) -> None:
    config = {"responseMimeType": "application/json", "responseJsonSchema": SCHEMA}
    whole = generate(client, config, stream=False, cid="json").json()
    text = whole["candidates"][0]["content"]["parts"][0]["text"]
    jsonschema.validate(json.loads(text), SCHEMA)
    response = generate(client, config, stream=True, cid="json")
    deltas = [
        json.loads(e.data)["candidates"][0]["content"]["parts"][0]["text"]
        for e in decode([response.content])
    ]
    assert len(deltas) == 3
    assert "".join(deltas) == text
    jsonschema.validate(json.loads("".join(deltas)), SCHEMA)
    assert [e["response"]["text"] for e in journal(client, "json")] == [text, text]


DEFAULT_UNARY_SHA256 = "b4c104fcd04a91da2d8446ef164911b5fab4e6da5bf76e7aca27383e381a087f"
"""tests/unit/test_mock_golden.py: the body for the default request, seed 0."""


def test_default_request_bytes_on_the_wire_are_unchanged(client: httpx.Client) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "What is the weather in Paris today"}]}]
    }
    response = client.post(f"{FLASH}:generateContent", json=body, headers={"x-goog-api-key": KEY})
    assert hashlib.sha256(response.content).hexdigest() == DEFAULT_UNARY_SHA256
