"""The mock Gemini server on the wire: status, headers, exact framing, journal, queue."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver import faults
from mockserver.app import create_app
from mockserver.framing import one_line
from mockserver.journal import fingerprint
from mockserver.settings import Settings
from spec.scenarios import Directive, Scenario
from spec.sse import SSEDecoder, decode
from tests.servers import serve

KEY = "AIza-test-key-1234"
FLASH = "/v1beta/models/gemini-2.5-flash"
STREAM = f"{FLASH}:streamGenerateContent?alt=sse"
UNARY = f"{FLASH}:generateContent"
ERRORS = {
    Scenario.RATE_LIMIT: (429, "RESOURCE_EXHAUSTED"),
    Scenario.KEY_RATE_LIMIT: (429, "RESOURCE_EXHAUSTED"),  # the first key of its cid
    Scenario.DAILY_QUOTA: (429, "RESOURCE_EXHAUSTED"),
    Scenario.BAD_REQUEST: (400, "INVALID_ARGUMENT"),
    Scenario.PERMISSION_DENIED: (403, "PERMISSION_DENIED"),
    Scenario.NOT_FOUND: (404, "NOT_FOUND"),
    Scenario.INTERNAL: (500, "INTERNAL"),
    Scenario.UNAVAILABLE: (503, "UNAVAILABLE"),
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(lambda: create_app(Settings(seed=7))) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10, headers={"x-goog-api-key": KEY}) as c:
        c.delete("/_mock/requests").raise_for_status()
        c.delete("/_mock/scenarios").raise_for_status()
        yield c


def request_body(text: str = "Tell me about the river", **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def raw_stream(
    client: httpx.Client, directive: str | None = None, url: str = STREAM, **body: Any
) -> tuple[httpx.Response, bytes]:
    headers = {"x-mock-scenario": directive} if directive else {}
    with client.stream("POST", url, json=request_body(**body), headers=headers) as response:
        data = b"".join(response.iter_raw())
    return response, data


def events_of(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in decode([data])]


def assert_framing(response: httpx.Response, *, chunked: bool) -> None:
    """``response`` came chunked with no ``Content-Length``, or with one and not chunked."""
    headers = response.headers
    if chunked:
        assert headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in headers
    else:
        assert "transfer-encoding" not in headers
        assert headers["content-length"] == str(len(response.content))


def test_googles_json_answers_come_chunked(client: httpx.Client) -> None:
    """Every JSON answer of generativelanguage.googleapis.com recorded over HTTP/1.1
    (generateContent and its errors, countTokens, batchEmbedContents, predict) is
    chunked with no Content-Length; streamGenerateContent's errors alone carry one
    (docs/gemini-wire.md A2, A5). A proxy that copies the upstream's framing fields
    onto its own body is judged on what Google sends."""
    text = {"contents": [{"parts": [{"text": "hi"}]}]}
    embed = {"requests": [{"model": "models/gemini-embedding-001", "content": text["contents"][0]}]}
    for response in (
        client.get("/v1beta/models"),
        client.get("/v1beta/models/gemini-2.5-flash"),
        client.post("/v1beta/models/gemini-2.5-flash:countTokens", json=text),
        client.post("/v1beta/models/gemini-embedding-001:batchEmbedContents", json=embed),
        client.post(UNARY, json=request_body()),
        client.get("/v1beta/models/no-such-model"),
        client.post("/v1beta/models/no-such-model:generateContent", json=request_body()),
    ):
        assert_framing(response, chunked=True)
        response.json()  # whole


# ----------------------------------------------------------------------------- generate


def test_unary_reply_is_pretty_json_with_googles_headers(client: httpx.Client) -> None:
    response = client.post(UNARY, json=request_body())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    assert response.headers.get_list("vary") == ["Origin", "X-Origin", "Referer"]
    assert response.content.startswith(b'{\n  "candidates": [\n    {\n      "content": {')
    assert response.content.endswith(b"\n}\n")
    body = response.json()
    assert body["modelVersion"] == "gemini-2.5-flash"
    assert body["candidates"][0]["finishReason"] == "STOP"


def test_sse_framing_is_byte_exact(client: httpx.Client) -> None:
    response, data = raw_stream(
        client,
        "scenario=thoughts chunks=3",
        generationConfig={"thinkingConfig": {"includeThoughts": True}},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["content-disposition"] == "attachment"
    assert "cache-control" not in response.headers
    assert b"[DONE]" not in data
    frames = data.split(b"\r\n\r\n")
    assert frames[-1] == b""
    assert len(frames) == 1 + 5  # two thought chunks, three answer chunks
    for frame in frames[:-1]:
        assert frame.startswith(b"data: {")
        assert b"\n" not in frame
        assert b"\r" not in frame
        # Google's spacing: re-encoding the parsed JSON in Google's style is identity
        assert one_line(json.loads(frame[6:])) == frame[6:]
    chunks = events_of(data)
    assert [("finishReason" in c["candidates"][0]) for c in chunks] == [False] * 4 + [True]
    assert chunks[0]["candidates"][0]["content"]["parts"][0]["thought"] is True


def test_lf_framing_on_the_wire(client: httpx.Client) -> None:
    _, crlf = raw_stream(client, "chunks=2")
    _, lf = raw_stream(client, "chunks=2 framing=lf")
    assert b"\r" not in lf
    assert lf == crlf.replace(b"\r\n", b"\n")


@pytest.mark.parametrize("directive", ["split=1", "split=7", "coalesce=1", "split=5 chunk_ms=1"])
def test_split_and_coalesced_writes_reassemble_to_the_same_bytes(
    client: httpx.Client, directive: str
) -> None:
    _, plain = raw_stream(client, "chunks=4")
    _, other = raw_stream(client, f"chunks=4 {directive}")
    assert other == plain
    assert plain.decode("utf-8") != plain.decode("ascii", "ignore")  # non-ASCII is present


def test_split_stream_decodes_incrementally(client: httpx.Client) -> None:
    decoder = SSEDecoder()
    got = []
    headers = {"x-mock-scenario": "split=3"}
    with client.stream("POST", STREAM, json=request_body(), headers=headers) as response:
        for piece in response.iter_raw():
            got += decoder.feed(piece)
    assert len(got) == 3
    assert (
        "".join(json.loads(e.data)["candidates"][0]["content"]["parts"][0]["text"] for e in got)
        == (
            client.post(UNARY, json=request_body()).json()["candidates"][0]["content"]["parts"][0][
                "text"
            ]
        )
    )


def test_chunk_pacing_and_first_byte_delay_show_on_the_wire(client: httpx.Client) -> None:
    arrivals: list[float] = []
    decoder = SSEDecoder()
    start = time.monotonic()
    headers = {"x-mock-scenario": "chunks=3 chunk_ms=120 first_byte_ms=150"}
    with client.stream("POST", STREAM, json=request_body(), headers=headers) as response:
        headers_at = time.monotonic() - start
        for piece in response.iter_raw():
            arrivals += [time.monotonic()] * len(decoder.feed(piece))
    assert headers_at >= 0.14
    assert len(arrivals) == 3
    assert arrivals[1] - arrivals[0] >= 0.1
    assert arrivals[2] - arrivals[1] >= 0.1


def read_until_closed(
    client: httpx.Client, directive: str
) -> tuple[httpx.Response, bytes, httpx.TransportError | None]:
    """The status, the bytes received and the transport error that ended the body, if any."""
    received = b""
    headers = {"x-mock-scenario": directive}
    with client.stream("POST", STREAM, json=request_body(), headers=headers) as response:
        try:
            for piece in response.iter_raw():
                received += piece
        except httpx.TransportError as exc:
            return response, received, exc
    return response, received, None


def test_mid_stream_cut_closes_without_ending_the_body(client: httpx.Client) -> None:
    response, received, error = read_until_closed(client, "scenario=mid_stream_cut cut_after=2")
    assert response.status_code == 200
    assert isinstance(error, httpx.RemoteProtocolError)
    chunks = events_of(received)
    assert len(chunks) == 2
    assert all("finishReason" not in c["candidates"][0] for c in chunks)
    # the server survives and answers the next request
    assert client.post(UNARY, json=request_body()).status_code == 200


def test_mid_stream_error_event(client: httpx.Client) -> None:
    response, data = raw_stream(client, "scenario=mid_stream_error cut_after=1")
    assert response.status_code == 200
    chunks = events_of(data)
    assert len(chunks) == 2
    assert chunks[-1]["error"]["code"] == 503
    assert chunks[-1]["error"]["status"] == "UNAVAILABLE"
    assert data.endswith(b"}}\r\n\r\n")


@pytest.mark.parametrize(("scenario", "expected"), ERRORS.items())
@pytest.mark.parametrize("url", [UNARY, STREAM])
def test_error_scenarios_on_the_wire(
    client: httpx.Client, scenario: Scenario, expected: tuple[int, str], url: str
) -> None:
    headers = {"x-mock-scenario": f"scenario={scenario.value}"}
    response = client.post(url, json=request_body(), headers=headers)
    assert response.status_code == expected[0]
    # Google's error to an alt=sse call is its JSON body under text/event-stream
    # (recorded by crewAI and mirascope; docs/gemini-wire.md A5)
    kind = "text/event-stream" if url == STREAM else "application/json; charset=UTF-8"
    assert response.headers["content-type"] == kind
    # framed as recorded: generateContent's errors chunked, a stream's with a length
    assert_framing(response, chunked=url != STREAM)
    assert response.content.startswith(b'{\n  "error": {\n')
    assert response.json()["error"]["status"] == expected[1]


def test_an_alt_sse_call_refused_before_any_scenario_is_an_event_stream_error(
    client: httpx.Client, base_url: str
) -> None:
    """A bad model or no key on an alt=sse call: the JSON error under text/event-stream,
    as mirascope recorded Google's 404 and 400; without alt=sse, JSON."""
    gone = "/v1beta/models/this-model-does-not-exist-12345:streamGenerateContent"
    for query, kind in (("?alt=sse", "text/event-stream"), ("", "application/json")):
        missing = client.post(gone + query, json=request_body())
        assert missing.status_code == 404
        assert_framing(missing, chunked=False)
        assert missing.headers["content-type"].startswith(kind)
        assert missing.json()["error"]["status"] == "NOT_FOUND"
    keyless = httpx.post(base_url + STREAM, json=request_body())
    assert keyless.status_code >= 400
    assert keyless.headers["content-type"] == "text/event-stream"
    assert "error" in keyless.json()


def test_rate_limit_retry_delay_from_an_inband_directive(client: httpx.Client) -> None:
    text = "hello [[mock:scenario=rate_limit retry_delay=17s]]"
    response = client.post(UNARY, json=request_body(text))
    assert response.status_code == 429
    details = response.json()["error"]["details"]
    assert details[-1] == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}


@pytest.mark.parametrize(
    "scenario", sorted(set(Scenario) - faults.SCENARIOS)
)  # faults: test_mockserver_faults.py
def test_every_scenario_streams_or_fails_cleanly(client: httpx.Client, scenario: Scenario) -> None:
    response, received, error = read_until_closed(client, f"scenario={scenario.value}")
    assert (error is not None) == (scenario is Scenario.MID_STREAM_CUT)
    if scenario in ERRORS:
        assert response.status_code == ERRORS[scenario][0]
        return
    assert response.status_code == 200
    assert b"[DONE]" not in received
    chunks = events_of(received)
    assert chunks
    if scenario is not Scenario.MID_STREAM_ERROR:
        assert len({c["responseId"] for c in chunks}) == 1


def test_unary_mid_stream_scenarios_are_500_and_503(client: httpx.Client) -> None:
    for scenario, status in (("mid_stream_cut", 500), ("mid_stream_error", 503)):
        response = client.post(
            UNARY, json=request_body(), headers={"x-mock-scenario": f"scenario={scenario}"}
        )
        assert response.status_code == status


def test_stream_without_alt_sse_is_a_json_array(client: httpx.Client) -> None:
    url = f"{FLASH}:streamGenerateContent"
    response = client.post(url, json=request_body())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    array = response.json()
    assert [c["responseId"] for c in array] == [array[0]["responseId"]] * 3
    _, sse = raw_stream(client)
    assert array == events_of(sse)


def test_same_request_same_bytes_across_connections(client: httpx.Client) -> None:
    _, first = raw_stream(client, "chunks=5")
    _, second = raw_stream(client, "chunks=5")
    assert first == second


def test_gemini3_signature_rule_on_the_wire(client: httpx.Client) -> None:
    url = "/v1beta/models/gemini-3-pro-preview:generateContent"
    first = client.post(url, json=request_body("[[mock:scenario=tool_call]] weather?")).json()
    turn = first["candidates"][0]["content"]
    call = turn["parts"][0]["functionCall"]
    assert len(call["id"]) == 8
    reply = {"functionResponse": {"id": call["id"], "name": call["name"], "response": {"t": 20}}}
    body = request_body("[[mock:scenario=tool_call]] weather?")
    body["contents"] += [turn, {"role": "user", "parts": [reply]}]
    ok = client.post(url, json=body)
    assert ok.status_code == 200
    assert "functionCall" not in ok.text  # the loop ends with a text answer
    del turn["parts"][0]["thoughtSignature"]
    bad = client.post(url, json=body)
    assert bad.status_code == 400
    assert "thought_signature" in bad.json()["error"]["message"]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{oops", "Invalid JSON payload received"),
        (b'{"contents": []}', "contents is not specified"),
        (b'{"contents": [{"parts": [{"text": "x"}]}], "messages": []}', 'Unknown name "messages"'),
    ],
)
def test_bad_bodies_are_400_never_500(client: httpx.Client, content: bytes, needle: str) -> None:
    response = client.post(UNARY, content=content)
    assert response.status_code == 400
    assert needle in response.json()["error"]["message"]


def test_bad_directive_header_is_400(client: httpx.Client) -> None:
    response = client.post(UNARY, json=request_body(), headers={"x-mock-scenario": "chunks=99"})
    assert response.status_code == 400
    assert "chunks must be an integer" in response.json()["error"]["message"]


def test_unknown_model_and_method(client: httpx.Client) -> None:
    response = client.post("/v1beta/models/gemini-pro:generateContent", json=request_body())
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "models/gemini-pro is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels"
    )
    embed_only = client.post("/v1beta/models/gemini-embedding-001:generateContent", json={})
    assert embed_only.status_code == 404
    retired = client.post(  # shut down by Google on 2026-01-14
        "/v1beta/models/text-embedding-004:batchEmbedContents",
        json={
            "requests": [
                {"model": "models/text-embedding-004", "content": {"parts": [{"text": "a"}]}}
            ]
        },
    )
    assert retired.status_code == 404
    assert retired.json()["error"]["status"] == "NOT_FOUND"
    assert client.post(f"{FLASH}:explode", json={}).status_code == 404
    assert client.get("/v1beta/tunedModels").status_code == 404


# ----------------------------------------------------------------------------- auth


def test_auth_on_the_default_server(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as anonymous:
        none = anonymous.post(UNARY, json=request_body())
        assert none.status_code == 403
        assert none.json()["error"]["message"].startswith(
            "Method doesn't allow unregistered callers"
        )
        bearer = anonymous.post(UNARY, json=request_body(), headers={"authorization": "Bearer x"})
        assert bearer.status_code == 401
        assert anonymous.post(f"{UNARY}?key=anything", json=request_body()).status_code == 200


def test_configured_keys_are_enforced() -> None:
    with (
        serve(lambda: create_app(Settings(api_keys=frozenset({"good"})))) as url,
        httpx.Client(base_url=url) as c,
    ):
        bad = c.post(UNARY, json=request_body(), headers={"x-goog-api-key": "bad"})
        assert bad.status_code == 400
        assert bad.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
        assert c.post(f"{UNARY}?key=good", json=request_body()).status_code == 200
        assert c.get("/v1beta/models", headers={"x-goog-api-key": "good"}).status_code == 200


# ----------------------------------------------------------------------------- journal, queue


def test_journal_records_and_redacts(client: httpx.Client) -> None:
    client.post(
        f"{STREAM}&key=AIza-query-secret",
        json=request_body("hi [[mock:cid=abc scenario=text]]"),
        headers={"authorization": "Bearer tok-secret-9", "cookie": "s=1"},
    )
    client.post(UNARY, json=request_body("[[mock:cid=other]]"))
    client.post(UNARY, content=b"{bad")
    entries = client.get("/_mock/requests").json()["requests"]
    assert [e["status"] for e in entries] == [200, 200, 400]
    first = entries[0]
    assert first["method"] == "POST"
    assert first["path"] == f"{FLASH}:streamGenerateContent"
    assert first["query"] == {"alt": "sse", "key": "[redacted]"}
    for name in ("x-goog-api-key", "authorization", "cookie"):
        assert first["headers"][name] == "[redacted]"
    assert first["body"] == request_body("hi [[mock:cid=abc scenario=text]]")
    assert (first["scenario"], first["cid"]) == ("text", "abc")
    assert entries[2]["body"] is None
    assert first["credentials"] == [
        {"where": "header:x-goog-api-key", "sha256": fingerprint(KEY)},
        {"where": "header:authorization", "sha256": fingerprint("tok-secret-9")},
        {"where": "query:key", "sha256": fingerprint("AIza-query-secret")},
    ]
    streamed = "".join(
        c["candidates"][0]["content"]["parts"][0]["text"]
        for c in events_of(
            client.post(f"{STREAM}", json=request_body("hi [[mock:cid=abc scenario=text]]")).content
        )
    )
    assert first["response"] == {
        "text": streamed,
        "thoughts": "",
        "function_calls": [],
        "finish_reason": "STOP",
        "candidates": 1,
        "texts": [streamed],
        "finish_reasons": ["STOP"],
    }
    assert entries[2]["response"]["error"]["status"] == "INVALID_ARGUMENT"
    everything = client.get("/_mock/requests").text
    assert KEY not in everything
    assert "AIza-query-secret" not in everything
    assert "tok-secret-9" not in everything
    only = client.get("/_mock/requests", params={"cid": "abc"}).json()["requests"]
    assert [e["seq"] for e in only] == [first["seq"], first["seq"] + 3]
    assert client.delete("/_mock/requests").json() == {"cleared": 4}
    assert client.get("/_mock/requests").json() == {"requests": []}


def test_scenario_queue_is_fifo_and_header_wins(client: httpx.Client) -> None:
    for directive in ("scenario=rate_limit retry_delay=5s", "[[mock:scenario=internal]]"):
        assert client.post("/_mock/scenarios", json={"directive": directive}).status_code == 200
    assert client.get("/_mock/scenarios").json()["scenarios"] == [
        Directive(scenario=Scenario.RATE_LIMIT, retry_delay=5.0).render(),
        "scenario=internal",
    ]
    # the header wins and does not consume the queue
    assert (
        client.post(
            UNARY, json=request_body(), headers={"x-mock-scenario": "scenario=text"}
        ).status_code
        == 200
    )
    # countTokens does not consume it either
    count = client.post(f"{FLASH}:countTokens", json=request_body())
    assert count.status_code == 200
    first = client.post(UNARY, json=request_body())
    assert first.status_code == 429
    assert first.json()["error"]["details"][2]["retryDelay"] == "5s"
    assert client.post(STREAM, json=request_body()).status_code == 500
    assert client.post(UNARY, json=request_body()).status_code == 200
    bad = client.post("/_mock/scenarios", json={"directive": "scenario=nope"})
    assert bad.status_code == 400
    assert "unknown scenario" in bad.json()["error"]["message"]
    assert client.post("/_mock/scenarios", content=b"[").status_code == 400
    client.post("/_mock/scenarios", json={"directive": "scenario=safety"})
    assert client.delete("/_mock/scenarios").json() == {"cleared": 1}


def test_health(client: httpx.Client) -> None:
    assert client.get("/_mock/health").json() == {"status": "ok"}


# ----------------------------------------------------------------------------- other endpoints


def test_models_list_get_and_paging(client: httpx.Client) -> None:
    everything = client.get("/v1beta/models").json()
    names = [m["name"] for m in everything["models"]]
    assert "models/gemini-2.5-flash" in names
    assert "nextPageToken" not in everything
    page = client.get("/v1beta/models", params={"pageSize": 2}).json()
    assert len(page["models"]) == 2
    following = client.get(
        "/v1beta/models", params={"pageSize": 2, "pageToken": page["nextPageToken"]}
    ).json()
    assert [m["name"] for m in page["models"] + following["models"]] == names[:4]
    one = client.get("/v1beta/models/gemini-2.5-pro")
    assert one.json()["name"] == "models/gemini-2.5-pro"
    assert one.headers["content-type"] == "application/json; charset=UTF-8"
    assert client.get("/v1beta/models/nope").status_code == 404


def test_count_tokens_and_embeddings(client: httpx.Client) -> None:
    count = client.post(f"{FLASH}:countTokens", json=request_body("a b c d")).json()
    assert count["totalTokens"] == 4
    generated = client.post(UNARY, json=request_body("a b c d")).json()
    assert generated["usageMetadata"]["promptTokenCount"] == 4
    url = "/v1beta/models/gemini-embedding-001"
    one = client.post(f"{url}:embedContent", json={"content": {"parts": [{"text": "x"}]}})
    assert len(one.json()["embedding"]["values"]) == 3072  # gemini-embedding-001 at full size
    batch = client.post(
        f"{url}:batchEmbedContents",
        json={"requests": [{"content": {"parts": [{"text": "x"}]}, "outputDimensionality": 3}]},
    )
    assert len(batch.json()["embeddings"][0]["values"]) == 3


def test_unpaced_events_are_one_http_chunk_each_on_the_wire(base_url: str) -> None:
    """The raw chunked body: one chunk per SSE event, then the terminator."""
    import socket
    from urllib.parse import urlsplit

    body = json.dumps(request_body()).encode()
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(
            b"POST " + STREAM.encode() + b" HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n"
            b"x-mock-scenario: chunks=4\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )
        raw = b""
        while piece := sock.recv(65536):
            raw += piece
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    sizes = []
    while rest:
        line, _, rest = rest.partition(b"\r\n")
        size = int(line, 16)
        sizes.append(size)
        chunk, rest = rest[:size], rest[size + 2 :]
        if size:
            assert chunk.startswith(b"data: ")
            assert chunk.endswith(b"\r\n\r\n")
    assert len(sizes) == 5
    assert sizes[-1] == 0


def test_a_call_for_a_model_the_mock_lacks_is_journalled_with_its_cid(
    client: httpx.Client,
) -> None:
    """A proxy that rewrites the model (zuisong/gemini-openai-proxy 0.12 sends every
    name as gemini-1.0-pro-latest) gets Google's 404; the journal keeps that call's body
    and correlation id, so the run sees its request reached the mock."""
    response = client.post(
        "/v1beta/models/gemini-1.0-pro-latest:generateContent",
        json=request_body("hi [[mock:cid=rewritten-model]]"),
    )
    assert response.status_code == 404
    entries = client.get("/_mock/requests", params={"cid": "rewritten-model"}).json()
    (entry,) = entries["requests"]
    assert entry["status"] == 404
    assert entry["body"] == request_body("hi [[mock:cid=rewritten-model]]")
