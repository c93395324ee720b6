"""Per-key quotas on the wire with an injected clock (no sleeps), and body framing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.app import create_app
from mockserver.journal import fingerprint
from mockserver.settings import Settings
from tests.servers import serve

UNARY = "/v1beta/models/gemini-2.5-flash:generateContent"
STREAM = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


class FakeClock:
    """Monotonic seconds the test moves by hand."""

    __test__ = False

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[httpx.Client]:
    settings = Settings(api_keys=frozenset({"plain"}), key_quotas=(("cli-key", 1, None),))
    with (
        serve(lambda: create_app(settings, clock=clock)) as url,
        httpx.Client(base_url=url, timeout=10) as c,
    ):
        yield c


def post(client: httpx.Client, key: str, url: str = UNARY) -> httpx.Response:
    return client.post(url, json=BODY, headers={"x-goog-api-key": key})


def test_per_minute_quota_gives_googles_429_with_the_window_left(
    client: httpx.Client, clock: FakeClock
) -> None:
    added = client.post("/_mock/keys", json={"key": "k1", "per_minute": 2, "per_day": 100})
    assert added.status_code == 200
    assert added.json()["key"]["sha256"] == fingerprint("k1")
    assert post(client, "k1").status_code == 200  # k1 is accepted although keys are restricted
    clock.now += 10
    assert post(client, "k1", STREAM).status_code == 200
    clock.now += 12.5
    refused = post(client, "k1")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"][0]["violations"][0]["quotaValue"] == "2"
    assert error["details"][-1] == {
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": "37.5s",
    }
    assert "Please retry in 37.5s." in error["message"]
    assert post(client, "plain").status_code == 200  # other keys are not limited
    # countTokens is not a model call
    count = client.post(
        "/v1beta/models/gemini-2.5-flash:countTokens", json=BODY, headers={"x-goog-api-key": "k1"}
    )
    assert count.status_code == 200
    clock.now += 37.5
    assert post(client, "k1").status_code == 200
    [usage] = [
        k for k in client.get("/_mock/keys").json()["keys"] if k["sha256"] == fingerprint("k1")
    ]
    assert usage["minute"] == {"used": 1, "resets_in": 60.0}
    assert usage["day"]["used"] == 3
    assert (usage["admitted"], usage["refused"]) == (3, 1)


def test_daily_quota_and_cli_keys(client: httpx.Client, clock: FakeClock) -> None:
    client.post("/_mock/keys", json={"key": "k2", "per_day": 1})
    assert post(client, "k2").status_code == 200
    clock.now += 3600
    refused = post(client, "k2")
    assert refused.status_code == 429
    details = refused.json()["error"]["details"]
    assert "PerDay" in details[0]["violations"][0]["quotaId"]
    assert details[0]["violations"][0]["quotaValue"] == "1"
    assert all("RetryInfo" not in d["@type"] for d in details)
    assert post(client, "cli-key").status_code == 200
    assert post(client, "cli-key").status_code == 429
    assert client.delete("/_mock/keys").json() == {"reset": 2}
    assert post(client, "cli-key").status_code == 200
    assert post(client, "nobody").status_code == 400  # still API_KEY_INVALID


def test_quota_applies_to_the_compat_endpoint(client: httpx.Client) -> None:
    client.post("/_mock/keys", json={"key": "k3", "per_minute": 0})
    response = client.post(
        "/v1beta/openai/chat/completions",
        json={"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}]},
        headers={"authorization": "Bearer k3"},
    )
    assert response.status_code == 429
    assert response.json()[0]["error"]["details"][-1]["retryDelay"] == "60s"


@pytest.mark.parametrize(
    "payload",
    [{"key": ""}, {"key": "k", "per_minute": -1}, {"key": "k", "per_day": "x"}, {"k": 1}, []],
)
def test_bad_key_admin_requests(client: httpx.Client, payload: object) -> None:
    response = client.post("/_mock/keys", json=payload)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_length_directive_on_the_wire(client: httpx.Client) -> None:
    def stream(directive: str) -> tuple[httpx.Response, bytes, Exception | None]:
        headers = {"x-goog-api-key": "plain", "x-mock-scenario": directive}
        received = b""
        with client.stream("POST", STREAM, json=BODY, headers=headers) as response:
            try:
                for piece in response.iter_raw():
                    received += piece
            except httpx.TransportError as exc:
                return response, received, exc
        return response, received, None

    chunked, data, _ = stream("chunks=3")
    assert chunked.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in chunked.headers
    sized, same, _ = stream("chunks=3 length=1 split=7")
    assert "transfer-encoding" not in sized.headers
    assert int(sized.headers["content-length"]) == len(data)
    assert same == data
    cut, partial, error = stream("scenario=mid_stream_cut cut_after=1 length=1")
    assert int(cut.headers["content-length"]) == len(data)
    assert len(partial) < len(data)
    assert isinstance(error, httpx.RemoteProtocolError)
    unary = client.post(
        UNARY, json=BODY, headers={"x-goog-api-key": "plain", "x-mock-scenario": "length=0"}
    )
    assert unary.headers["transfer-encoding"] == "chunked"
    assert unary.json()["candidates"][0]["finishReason"] == "STOP"
    # a unary answer is chunked by default, as Google frames it (docs/gemini-wire.md A2);
    # length=1 gives it a Content-Length, with the same body
    plain = client.post(UNARY, json=BODY, headers={"x-goog-api-key": "plain"})
    assert plain.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in plain.headers
    sized_unary = client.post(
        UNARY, json=BODY, headers={"x-goog-api-key": "plain", "x-mock-scenario": "length=1"}
    )
    assert "transfer-encoding" not in sized_unary.headers
    assert int(sized_unary.headers["content-length"]) == len(sized_unary.content)
    assert sized_unary.content == plain.content


def test_key_rate_limit_spends_the_first_keys_quota_only() -> None:
    """``key_rate_limit``: the first credential of a cid gets Google's 429 with RetryInfo,
    every other credential the text answer, in-band or by header; cids are separate."""

    def body(cid: str) -> dict[str, object]:
        tag = f"[[mock:scenario=key_rate_limit retry_delay=17s cid={cid}]]"
        return {"contents": [{"role": "user", "parts": [{"text": f"hi {tag}"}]}]}

    with serve(lambda: create_app(Settings())) as url, httpx.Client(base_url=url) as c:
        first = c.post(UNARY, json=body("a"), headers={"x-goog-api-key": "k1"})
        assert first.status_code == 429
        detail = {d["@type"].rsplit(".", 1)[1]: d for d in first.json()["error"]["details"]}
        assert detail["RetryInfo"]["retryDelay"] == "17s"
        other = c.post(UNARY, json=body("a"), headers={"x-goog-api-key": "k2"})
        assert other.status_code == 200
        assert other.json()["candidates"][0]["finishReason"] == "STOP"
        assert c.post(UNARY, json=body("a"), headers={"x-goog-api-key": "k1"}).status_code == 429
        assert c.post(UNARY, json=body("b"), headers={"x-goog-api-key": "k2"}).status_code == 429
        header = {"x-mock-scenario": "scenario=key_rate_limit cid=c"}
        assert (
            c.post(UNARY, json=BODY, headers={**header, "x-goog-api-key": "k2"}).status_code == 429
        )
        assert (
            c.post(UNARY, json=BODY, headers={**header, "x-goog-api-key": "k1"}).status_code == 200
        )
        entries = c.get("/_mock/requests", params={"cid": "a"}).json()
        entries = entries.get("requests", entries) if isinstance(entries, dict) else entries
        assert [(e["scenario"], e["status"]) for e in entries] == [
            ("key_rate_limit", 429),
            ("text", 200),
            ("key_rate_limit", 429),
        ]
        assert entries[0]["credentials"][0]["sha256"] == fingerprint("k1")


def test_key_rate_limit_in_a_body_that_is_not_an_object_is_a_clean_400() -> None:
    with serve(lambda: create_app(Settings())) as url, httpx.Client(base_url=url) as c:
        r = c.post(UNARY, content=b'["key_rate_limit"]', headers={"x-goog-api-key": "k1"})
    assert r.status_code == 400
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
