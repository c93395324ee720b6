"""Settings from CLI flags and environment (reference_impl.settings) and the signature
memory (reference_impl.stores.signatures)."""

from __future__ import annotations

import pytest

from reference_impl.settings import DEFAULT_UPSTREAM, Settings
from reference_impl.stores.signatures import SignatureCache


def test_defaults_with_an_empty_environment() -> None:
    s = Settings.from_args([], {})
    assert (s.host, s.port, s.profile, s.prefix) == ("127.0.0.1", 0, "openai-core", "/v1")
    assert s.upstream_url == DEFAULT_UPSTREAM
    assert s.upstream_key == ""
    assert s.api_keys == frozenset()


def test_environment() -> None:
    s = Settings.from_args(
        [],
        {
            "GEMINI_BASE_URL": "http://127.0.0.1:9999/v1beta/",
            "GEMINI_API_KEY": "g",
            "PROXY_API_KEYS": "a, b,,",
            "PROXY_KEEPALIVE_S": "2.5",
        },
    )
    assert s.upstream_url == "http://127.0.0.1:9999/v1beta"
    assert s.upstream_key == "g"
    assert s.api_keys == {"a", "b"}
    assert s.keepalive_s == 2.5


def test_flags_win_over_the_environment() -> None:
    s = Settings.from_args(
        [
            "--upstream-url",
            "http://x/v1beta",
            "--upstream-key",
            "k",
            "--api-key",
            "one",
            "--api-key",
            "two",
            "--port",
            "8080",
            "--profile",
            "gemini-proxy-deno",
        ],
        {"GEMINI_BASE_URL": "http://y/v1beta", "PROXY_API_KEYS": "env"},
    )
    assert (s.upstream_url, s.upstream_key, s.port) == ("http://x/v1beta", "k", 8080)
    assert s.api_keys == {"one", "two"}
    assert s.prefix == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "nope"],
        ["--port", "70000"],
        ["--upstream-url", "ftp://x"],
        ["--keepalive", "-1"],
        ["--log-level", "LOUD"],
        ["--port", "eighty"],
    ],
)
def test_bad_values_exit_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        Settings.from_args(argv, {})
    assert info.value.code == 2
    assert "usage: reference-proxy" in capsys.readouterr().err


def test_direct_construction_names_the_field() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        Settings(max_connections=0)
    with pytest.raises(ValueError, match="unknown profile 'x'"):
        Settings(profile="x")


def test_signature_cache_is_bounded_and_refreshes() -> None:
    cache = SignatureCache(maxsize=2)
    cache.put("a", "1")
    cache.put("b", "2")
    cache.put("a", "1b")  # refresh: "b" is now the oldest
    cache.put("c", "3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("1b", None, "3")
    assert len(cache) == 2
    with pytest.raises(ValueError, match="maxsize"):
        SignatureCache(0)


def test_key_pool_rotation_and_upstream_kind() -> None:
    s = Settings.from_args(
        ["--upstream-key", "a", "--upstream-key", "b", "--rotation", "request_count:20"],
        {"GEMINI_API_KEYS": "ignored", "GEMINI_API_KEY": "ignored-too"},
    )
    assert (s.upstream_keys, s.upstream_key, s.credentials) == (("a", "b"), "a", ("a", "b"))
    assert (s.rotation, s.rotation_requests) == ("request_count", 20)
    s = Settings.from_args([], {"GEMINI_API_KEYS": "x, y,,x", "PROXY_RATE_LIMITS": "1"})
    assert s.upstream_keys == ("x", "y")
    assert s.rate_limits
    s = Settings.from_args(
        ["--upstream-kind", "code-assist", "--oauth-refresh-token", "rt"],
        {"GOOGLE_CLOUD_PROJECT": "p"},
    )
    assert s.code_assist
    assert s.upstream_url == "https://cloudcode-pa.googleapis.com/v1internal"
    assert (s.credentials, s.code_assist_project) == (("rt",), "p")
    assert Settings(upstream_key="k").upstream_keys == ("k",)


@pytest.mark.parametrize(
    "argv",
    [
        ["--rotation", "random"],
        ["--rotation", "request_count:x"],
        ["--max-attempts", "0"],
        ["--doc-version", "older"],
        ["--upstream-kind", "vertex"],
        ["--public-url", "example.com"],
    ],
)
def test_bad_pool_values_exit_with_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        Settings.from_args(argv, {})
    assert info.value.code == 2
    assert "usage: reference-proxy" in capsys.readouterr().err
