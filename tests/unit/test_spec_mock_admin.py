"""spec/openapi/mock-admin.yaml and spec.mock_admin: a valid document, typed models that
say what its schemas say, and the journal read through it (conformance.http.fetch_journal)."""

from __future__ import annotations

import re
import typing
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

import spec
from conformance.http import fetch_journal
from mockserver.journal import Journal
from spec import mock_admin
from spec.mock_admin import DOCUMENT, JournalMismatch, read_requests

MODELS: dict[str, type[Any]] = {
    "Health": mock_admin.Health,
    "RequestsPage": mock_admin.RequestsPage,
    "JournalEntry": mock_admin.JournalEntry,
    "Credential": mock_admin.Credential,
    "GenerateSummary": mock_admin.GenerateSummary,
    "ReplyError": mock_admin.ReplyError,
    "MediaSummary": mock_admin.MediaSummary,
    "ImageSummary": mock_admin.ImageSummary,
    "Cleared": mock_admin.Cleared,
    "ScenarioQueue": mock_admin.ScenarioQueue,
    "Queued": mock_admin.Queued,
    "Window": mock_admin.Window,
    "KeyUsage": mock_admin.KeyUsage,
    "KeyList": mock_admin.KeyList,
    "KeySet": mock_admin.KeySet,
    "KeysReset": mock_admin.KeysReset,
}
"""Component schema -> the TypedDict that views it."""
REQUEST_ONLY = {"DirectiveRequest", "KeyLimits", "Error"}
"""Component schemas the mock reads or shares with Gemini (no typed model of their own)."""


def test_the_document_is_valid_openapi_and_not_a_profile() -> None:
    validate_openapi(spec.load_document(DOCUMENT))
    assert DOCUMENT not in spec.DOCUMENTS
    routes = {(e.method, e.route) for e in spec.endpoints(DOCUMENT)}
    assert routes == {
        ("GET", "/_mock/health"),
        ("GET", "/_mock/models"),
        ("GET", "/_mock/requests"),
        ("DELETE", "/_mock/requests"),
        ("GET", "/_mock/scenarios"),
        ("POST", "/_mock/scenarios"),
        ("DELETE", "/_mock/scenarios"),
        ("GET", "/_mock/keys"),
        ("POST", "/_mock/keys"),
        ("DELETE", "/_mock/keys"),
    }


@pytest.mark.parametrize("example", spec.examples(DOCUMENT), ids=lambda e: e.where)
def test_the_examples_match_their_schemas(example: spec.Example) -> None:
    jsonschema.Draft202012Validator(example.schema).validate(example.value)


def test_every_schema_has_its_typed_model() -> None:
    schemas = spec.load_document(DOCUMENT)["components"]["schemas"]
    assert set(schemas) == set(MODELS) | REQUEST_ONLY


@pytest.mark.parametrize("component", sorted(MODELS))
def test_typed_models_say_what_the_schemas_say(component: str) -> None:
    schema = spec.load_document(DOCUMENT)["components"]["schemas"][component]
    model = MODELS[component]
    hints = typing.get_type_hints(model)
    assert set(hints) == set(schema["properties"])
    assert model.__required_keys__ == set(schema.get("required", ()))


def test_the_mock_journal_renders_what_the_contract_says() -> None:
    journal = Journal()
    journal.record(
        method="POST",
        path="/v1beta/models/m:generateContent",
        query="key=k&alt=sse",
        headers=((b"x-goog-api-key", b"k"), (b"Authorization", b"Bearer t")),
        body=b'{"contents": []}',
        scenario="text",
        cid="c1",
        status=200,
        response={
            "text": "hi",
            "thoughts": "",
            "function_calls": [{"name": "f", "args": {}}],
            "finish_reason": "STOP",
            "candidates": 1,
            "texts": ["hi"],
            "finish_reasons": ["STOP"],
        },
        secrets=(("body:refresh_token", "r"),),
    )
    journal.record(
        method="WS", path="/ws", query="", headers=(), body=b"x", scenario=None, cid=None,
        status=101,
    )  # fmt: skip
    entries = journal.entries()
    assert read_requests({"requests": entries}) == entries


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ([], "(the body)"),
        ({"requests": [{"seq": 1}]}, "requests[0]"),
        ({"requests": "x"}, "requests"),
    ],
)
def test_a_mismatch_names_the_place(payload: Any, where: str) -> None:
    with pytest.raises(JournalMismatch, match=re.escape(f"mock-admin.yaml at {where}:")):
        read_requests(payload)


def _client(answer: httpx.Response) -> httpx.Client:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.url.path == "/_mock/requests"
        assert request.url.params["cid"] == "c1"
        return answer

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_fetch_journal_reads_through_the_contract() -> None:
    journal = Journal()
    journal.record(
        method="GET", path="/_mock/image.png", query="", headers=(), body=b"", scenario=None,
        cid="c1", status=200,
    )  # fmt: skip
    good = httpx.Response(200, json={"requests": journal.entries()})
    with _client(good) as client:
        assert fetch_journal(client, "http://mock/", "c1") == journal.entries()
    bad = httpx.Response(200, json={"requests": [{**journal.entries()[0], "seq": "1"}]})
    with _client(bad) as client, pytest.raises(JournalMismatch, match=r"requests\[0\]\.seq"):
        fetch_journal(client, "http://mock", "c1")
    not_json = httpx.Response(200, content=b"<html>")
    with _client(not_json) as client, pytest.raises(ValueError, match="not JSON"):
        fetch_journal(client, "http://mock", "c1")
    with _client(httpx.Response(500)) as client, pytest.raises(httpx.HTTPStatusError):
        fetch_journal(client, "http://mock", "c1")
