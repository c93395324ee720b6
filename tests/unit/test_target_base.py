"""Where a target's routes are: its root, its ``/v1`` base URL, or an OpenAI base URL that
does not end with ``/v1`` (Google's ``/v1beta/openai``), which the run finds out from
``GET /models`` (:func:`conformance.runner.resolve_base`) before its first probe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from conformance.exchange import Exchange, Request
from conformance.http import Budget
from conformance.runner import resolve_base
from conformance.target import Target
from spec.profiles import get_profile

CORE = get_profile("openai-core")
GOOGLE = "https://host.example/v1beta/openai"


def test_root_and_v1_base_urls_reach_the_same_routes() -> None:
    for base in ("http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"):
        target = Target(base, CORE)
        assert target.url("/chat/completions") == "http://h:1/v1/chat/completions"
        assert target.absolute("/v1/models/x") == "http://h:1/v1/models/x"
        assert target.base_path == ""
        assert target.api_prefix == ""


def test_an_unprefixed_base_url_is_the_openai_base_itself() -> None:
    target = replace(Target(GOOGLE, CORE), prefixed=False)
    assert target.url("/chat/completions") == f"{GOOGLE}/chat/completions"
    assert target.absolute("/v1/models/x") == f"{GOOGLE}/models/x"
    assert target.absolute("/v1") == GOOGLE
    assert target.absolute("/health") == "https://host.example/health"
    assert (target.base_path, target.api_prefix) == ("/v1beta/openai", "/v1")


def _sent(target: Target, url: str) -> Exchange:
    return Exchange(
        "chat", Request("POST", url, {}, b""), 200, profile="openai-core",
        base_path=target.base_path, api_prefix=target.api_prefix,
    )  # fmt: skip


def test_document_paths_put_the_prefix_back() -> None:
    """The contract checks look requests up in the documents, whose paths carry /v1."""
    google = replace(Target(GOOGLE, CORE), prefixed=False)
    assert _sent(google, f"{GOOGLE}/chat/completions").document_path() == "/v1/chat/completions"
    mounted = Target("http://h:1/gemini", CORE)
    sent = _sent(mounted, mounted.url("/chat/completions"))
    assert sent.document_path() == "/v1/chat/completions"
    root = Target("http://h:1", CORE)
    assert _sent(root, root.url("/models")).document_path() == "/v1/models"


def _client(answers: dict[str, tuple[int, str]], seen: list[str]) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status, kind = answers.get(request.url.path, (404, "text/plain"))
        return httpx.Response(status, headers={"content-type": kind}, content=b"{}")

    return httpx.Client(transport=httpx.MockTransport(handle))


@pytest.mark.parametrize(
    ("base", "answers", "prefixed", "gets"),
    [
        # Google's OpenAI base URL: nothing under /v1, the API right there
        (GOOGLE, {"/v1beta/openai/models": (200, "application/json")}, False, 2),
        # a key is needed: a JSON 401 is an API answering too
        (GOOGLE, {"/v1beta/openai/models": (401, "application/json")}, False, 2),
        # a proxy mounted under a path, its API under /v1: as given
        ("http://h:1/gemini", {"/gemini/v1/models": (200, "application/json")}, True, 1),
        # nothing anywhere: as given (the first probes then say it is not an API)
        (GOOGLE, {}, True, 2),
        # a root or a /v1 base URL: no question to ask
        ("http://h:1", {}, True, 0),
        ("http://h:1/v1", {}, True, 0),
    ],
)
def test_resolve_base(
    base: str, answers: dict[str, tuple[int, str]], prefixed: bool, gets: int
) -> None:
    seen: list[str] = []
    budget = Budget()
    with _client(answers, seen) as client:
        resolved = resolve_base(client, Target(base, CORE), budget)
    assert resolved.prefixed is prefixed
    assert len(seen) == budget.sent == gets


def test_resolve_base_keeps_to_the_request_budget() -> None:
    seen: list[str] = []
    with _client({"/v1beta/openai/models": (200, "application/json")}, seen) as client:
        resolved = resolve_base(client, Target(GOOGLE, CORE), Budget(max_requests=0))
    assert resolved.prefixed
    assert seen == []


# ------------------------------------------------------------ --header fields


def test_header_fields_ride_on_every_request_and_secret_values_stay_out() -> None:
    from conformance.runner import secrets_of
    from conformance.target import TargetError, parse_header

    fields = (
        parse_header("x-portkey-provider: google"),
        parse_header("X-Portkey-Api-Key:  pk-live-0123456789abcdef "),
        parse_header("Authorization: Bearer overridden"),
    )
    target = Target("http://h:1", CORE, api_key="sk-client", headers=fields)
    sent = target.request_headers()
    assert sent["x-portkey-provider"] == "google"
    assert sent["X-Portkey-Api-Key"] == "pk-live-0123456789abcdef"
    assert sent["Authorization"] == "Bearer sk-client"  # the API key wins
    assert target.request_headers("wrong")["Authorization"] == "Bearer wrong"
    assert target.request_headers("wrong")["x-portkey-provider"] == "google"
    # the routing value stays readable in evidence; the gateway's key is redacted
    assert secrets_of(target) == ("sk-client", "pk-live-0123456789abcdef", "Bearer overridden")
    for bad in ("no colon", "bad name: x", "Host: h", "X-A: a\x01b", ": empty"):
        with pytest.raises(TargetError):
            parse_header(bad)


def test_a_bad_header_flag_is_one_line_and_exit_2(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    result = CliRunner().invoke(
        main,
        ["run", "--target", "http://127.0.0.1:9", "--header", "nocolon", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --header: a header must be 'Name: value' with a token name; got 'nocolon'"
    ]


def test_load_passes_header_fields_by_environment_never_by_file() -> None:
    from conformance.load.config import (
        LoadConfig,
        LoadConfigError,
        headers_env,
        headers_from_env,
    )

    fields = (("x-portkey-provider", "google"), ("x-portkey-api-key", "pk-secret"))
    assert headers_from_env(headers_env(fields)) == fields
    assert headers_from_env(None) == headers_from_env("") == ()
    with pytest.raises(LoadConfigError):
        headers_from_env('{"not": "a list"}')
    config = LoadConfig(base_url="http://127.0.0.1:1", profile="openai-core", run_id="r")
    assert "pk-secret" not in str(config.to_json())
    assert config.target("k", fields).request_headers()["x-portkey-provider"] == "google"
