"""Google's OpenAI-compatible endpoint on the wire: openai-python, raw framing, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

import conformance.checks  # noqa: F401  (registers every check)
from conformance.runner import run_suite
from conformance.target import Target
from mockserver.app import create_app
from mockserver.settings import Settings
from spec.profiles import get_profile
from tests.servers import serve

KEY = "AIza-compat-key"
CHAT = "/v1beta/openai/chat/completions"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(lambda: create_app(Settings(api_keys=frozenset({KEY})))) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{base_url}/v1beta/openai/", api_key=KEY, max_retries=0) as c:
        yield c


@pytest.fixture
def raw(base_url: str) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as c:
        c.delete("/_mock/requests").raise_for_status()
        yield c


def test_openai_python_unary_and_stream_agree(client: openai.OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "tell me [[mock:chunks=4]]"}
    ]
    unary = client.chat.completions.create(model="gemini-2.5-flash", messages=messages)
    assert unary.choices[0].finish_reason == "stop"
    text = unary.choices[0].message.content
    assert text
    stream = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=messages,
        stream=True,
    )
    chunks = list(stream)
    assert len(chunks) == 4
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert chunks[-1].usage is not None
    assert unary.usage is not None
    assert chunks[-1].usage.total_tokens == unary.usage.total_tokens


def test_raw_stream_framing(raw: httpx.Client) -> None:
    body = {"model": "models/gemini-2.5-flash", "stream": True,
            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    with raw.stream("POST", CHAT, json=body) as response:
        data = b"".join(response.iter_raw())
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert data.endswith(b"data: [DONE]\n\n")
    assert b"\r" not in data
    frames = data.split(b"\n\n")[:-1]
    assert all(f.startswith(b"data: ") for f in frames)
    assert json.loads(frames[0][6:])["model"] == "models/gemini-2.5-flash"


def test_errors_are_top_level_arrays_and_sdk_exceptions(
    raw: httpx.Client, client: openai.OpenAI
) -> None:
    response = raw.post(CHAT, json={"model": "gemini-2.5-flash", "store": True, "messages": []})
    assert response.status_code == 400
    body = response.json()
    assert isinstance(body, list)
    assert body[0]["error"]["message"].endswith('Unknown name "store": Cannot find field.')
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gemini-2.5-flash",
            messages=[{"role": "user", "content": "[[mock:scenario=rate_limit]]"}],
        )
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    # client-breakages D1: the array body hides Google's message from the SDK
    assert str(missing.value) == "Error code: 404"
    assert isinstance(missing.value.body, list)
    assert "v1main" in missing.value.response.text


def test_credentials(base_url: str) -> None:
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(base_url=base_url) as c:
        assert c.post(CHAT, json=body).status_code == 403
        bad = c.post(CHAT, json=body, headers={"authorization": "Bearer nope"})
        assert bad.status_code == 400
        assert bad.json()[0]["error"]["details"][0]["reason"] == "API_KEY_INVALID"
        both = c.post(
            CHAT, json=body, headers={"authorization": f"Bearer {KEY}", "x-goog-api-key": KEY}
        )
        assert both.status_code == 400
        assert "Multiple authentication credentials" in both.json()[0]["error"]["message"]
        assert c.post(CHAT, json=body, headers={"x-goog-api-key": KEY}).status_code == 200


def test_embeddings_models_and_journal(client: openai.OpenAI, raw: httpx.Client) -> None:
    out = client.embeddings.create(
        model="gemini-embedding-001", input=["a b", "c [[mock:cid=emb]]"], dimensions=8
    )  # the SDK asks for base64 and decodes it
    assert [len(d.embedding) for d in out.data] == [8, 8]
    direct = raw.post(
        "/v1beta/models/gemini-embedding-001:embedContent",
        json={"content": {"parts": [{"text": "a b"}]}, "outputDimensionality": 8},
        headers={"x-goog-api-key": KEY, "authorization": ""},
    ).json()
    assert out.data[0].embedding == pytest.approx(direct["embedding"]["values"], abs=1e-6)
    ids = [m.id for m in client.models.list()]
    assert "models/gemini-2.5-flash" in ids
    assert client.models.retrieve("gemini-2.5-pro").id == "models/gemini-2.5-pro"
    client.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "x [[mock:cid=c9]]"}]
    )
    [entry] = raw.get("/_mock/requests", params={"cid": "c9"}).json()["requests"]
    assert entry["path"] == CHAT
    assert entry["headers"]["authorization"] == "[redacted]"
    assert entry["body"]["model"] == "gemini-2.5-flash"
    assert entry["response"]["finish_reason"] == "STOP"
    assert KEY not in raw.get("/_mock/requests").text


def test_a_capture_directive_is_journaled_as_what_this_endpoint_answered(
    raw: httpx.Client,
) -> None:
    """The compat endpoint does not replay captures: the journal files the request under
    the scenario it did answer, never ``capture:NAME`` (a check reading the journal
    would believe a capture was sent)."""
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-mock-scenario": "capture=text-basic cid=cap1"}
    assert raw.post(CHAT, json=body, headers=headers).status_code == 200
    [entry] = raw.get("/_mock/requests", params={"cid": "cap1"}).json()["requests"]
    assert entry["scenario"] == "text"


def test_the_suite_runs_against_googles_base_url_as_clients_give_it(base_url: str) -> None:
    """``--target https://host/v1beta/openai`` (the base_url Google documents for its
    OpenAI endpoint): the run finds the API there, not under ``/v1``, and the contract
    checks still look its answers up in the openai-core document."""
    target = Target(f"{base_url}/v1beta/openai", get_profile("openai-core"), api_key=KEY)
    run = run_suite(target, select=["chat.completion_shape", "contract.responses"])
    assert run.statuses["chat"] == 200
    outcomes = {r.check_id: r.outcome.value for r in run.records}
    assert outcomes["chat.completion_shape"] == "passed"
    assert outcomes["contract.responses"] in ("passed", "failed")  # judged, not skipped
