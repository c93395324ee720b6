"""Issue 12 item 7 on the mock's side: every generate request is journalled under the
correlation id the suite gave it, even when the mock rejects the body before it reads
the directive, and the ``x-mock-cid`` header is read first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.app import create_app
from mockserver.request import CID_HEADER, scan_cid
from mockserver.settings import Settings
from tests.servers import serve

KEY = "AIza-test-key-1234"
UNARY = "/v1beta/models/gemini-2.5-flash:generateContent"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(lambda: create_app(Settings(seed=7))) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10, headers={"x-goog-api-key": KEY}) as c:
        c.delete("/_mock/requests").raise_for_status()
        yield c


def journal(client: httpx.Client, cid: str) -> list[dict[str, Any]]:
    response = client.get("/_mock/requests", params={"cid": cid})
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def test_a_body_rejected_for_an_unknown_field_is_journalled_under_its_cid(
    client: httpx.Client,
) -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"text": "hi [[mock:scenario=text cid=r1.p]]"}]}],
        "no_such_field": 1,
    }
    response = client.post(UNARY, json=body)
    assert response.status_code == 400
    [entry] = journal(client, "r1.p")
    assert entry["status"] == 400
    assert entry["scenario"] is None  # the directive was never chosen
    assert entry["response"]["error"]["status"] == "INVALID_ARGUMENT"


def test_a_body_that_is_not_json_is_journalled_under_its_cid(client: httpx.Client) -> None:
    raw = b'{"contents": [{"role": "user", "parts": [{"text": "x [[mock:cid=r1.broken]]"'
    response = client.post(UNARY, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    [entry] = journal(client, "r1.broken")
    assert entry["body"] is None
    assert entry["status"] == 400


def test_a_tool_result_sent_as_plain_user_text_keeps_the_first_turns_cid(
    client: httpx.Client,
) -> None:
    """The last user content with text is the tool result (no directive): the answer is
    the default one, but the journal still files it under the conversation's cid."""
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather? [[mock:scenario=text cid=r1.tool]]"}]},
            {"role": "model", "parts": [{"text": "calling get_weather"}]},
            {"role": "user", "parts": [{"text": "Tool result: sunny, 21 C"}]},
        ]
    }
    response = client.post(UNARY, json=body)
    assert response.status_code == 200
    [entry] = journal(client, "r1.tool")
    assert entry["status"] == 200


def test_the_cid_header_is_read_first(client: httpx.Client) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "no directive at all"}]}]}
    response = client.post(UNARY, json=body, headers={CID_HEADER: "r1.header"})
    assert response.status_code == 200
    [entry] = journal(client, "r1.header")
    assert entry["scenario"] == "text"  # the default answer
    # a header that is not a valid id is ignored: the body's directive files it
    body = {"contents": [{"role": "user", "parts": [{"text": "x [[mock:cid=r1.body]]"}]}]}
    client.post(UNARY, json=body, headers={CID_HEADER: "not valid!"}).raise_for_status()
    assert len(journal(client, "r1.body")) == 1


def test_the_cid_header_never_changes_the_answer(client: httpx.Client) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "x [[mock:scenario=bad_request]]"}]}]}
    plain = client.post(UNARY, json=body)
    tagged = client.post(UNARY, json=body, headers={CID_HEADER: "r1.same"})
    assert plain.status_code == tagged.status_code == 400
    assert plain.content == tagged.content


@pytest.mark.parametrize(
    ("raw", "cid"),
    [
        (b"", None),
        (b"no directive", None),
        (b"[[mock:scenario=text]]", None),
        (b"[[mock:cid=a]] then [[mock:scenario=text]]", "a"),
        (b"[[mock:cid=a]] [[mock:scenario=text cid=b.1-c_d]]", "b.1-c_d"),
        (b"[[mock:acid=zz]]", None),
        (b'{"text": "[[mock:cid=in.json]]"', "in.json"),
    ],
)
def test_scan_cid(raw: bytes, cid: str | None) -> None:
    assert scan_cid(raw) == cid
