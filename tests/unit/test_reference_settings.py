"""Settings from CLI flags and environment (reference_impl.settings, reference_impl.cli)
and the signature memory (reference_impl.stores.signatures)."""

from __future__ import annotations

import pytest

from reference_impl.cli import settings_from_args
from reference_impl.settings import DEFAULT_UPSTREAM, Settings
from reference_impl.stores.signatures import SignatureCache


def test_defaults_with_an_empty_environment() -> None:
    s = settings_from_args([], {})
    assert (s.host, s.port, s.profile, s.prefix) == ("127.0.0.1", 0, "openai-core", "/v1")
    assert s.upstream_url == DEFAULT_UPSTREAM
    assert s.upstream_key == ""
    assert s.api_keys == frozenset()


def test_environment() -> None:
    s = settings_from_args(
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
    s = settings_from_args(
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
        settings_from_args(argv, {})
    assert info.value.code == 2
    assert "Usage: reference-proxy" in capsys.readouterr().err


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
    s = settings_from_args(
        ["--upstream-key", "a", "--upstream-key", "b", "--rotation", "request_count:20"],
        {"GEMINI_API_KEYS": "ignored", "GEMINI_API_KEY": "ignored-too"},
    )
    assert (s.upstream_keys, s.upstream_key, s.credentials) == (("a", "b"), "a", ("a", "b"))
    assert (s.rotation, s.rotation_requests) == ("request_count", 20)
    s = settings_from_args([], {"GEMINI_API_KEYS": "x, y,,x", "PROXY_RATE_LIMITS": "1"})
    assert s.upstream_keys == ("x", "y")
    assert s.rate_limits
    s = settings_from_args(
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
        settings_from_args(argv, {})
    assert info.value.code == 2
    assert "Usage: reference-proxy" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "environ", "named"),
    [
        ([], {"PROXY_PORT": "abc"}, ("'--port'", "'PROXY_PORT'", "'abc'")),
        (["--port", "abc"], {}, ("'--port'", "'PROXY_PORT'", "'abc'")),
        ([], {"PROXY_PORT": "70000"}, ("'--port'", "'PROXY_PORT'", "70000")),
        ([], {"PROXY_MAX_ATTEMPTS": "0"}, ("'--max-attempts'", "'PROXY_MAX_ATTEMPTS'", "0")),
        ([], {"PROXY_KEEPALIVE_S": "soon"}, ("'--keepalive'", "'PROXY_KEEPALIVE_S'", "'soon'")),
        ([], {"PROXY_ROTATION": "request_count:x"}, ("'--rotation'", "'PROXY_ROTATION'", "'x'")),
        ([], {"PROXY_PROFILE": "nope"}, ("'--profile'", "'PROXY_PROFILE'", "'nope'")),
        ([], {"GEMINI_BASE_URL": "ftp://x"}, ("'--upstream-url'", "'GEMINI_BASE_URL'", "ftp://x")),
        ([], {"PROXY_DOC_VERSION": "older"}, ("'--doc-version'", "'PROXY_DOC_VERSION'", "older")),
        ([], {"PROXY_RATE_LIMITS": "maybe"}, ("'--rate-limits'", "'PROXY_RATE_LIMITS'", "'maybe'")),
    ],
)
def test_a_bad_value_names_its_flag_and_variable(
    argv: list[str],
    environ: dict[str, str],
    named: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        settings_from_args(argv, environ)
    assert info.value.code == 2
    err = capsys.readouterr().err
    (error,) = (line for line in err.splitlines() if line.startswith("Error: "))
    for word in named:
        assert word in error, error


@pytest.mark.parametrize(
    ("raw", "enforced"),
    [
        *[(raw, True) for raw in ("1", "true", "yes", "on", "TRUE")],
        *[(raw, False) for raw in ("0", "false", "no", "off", "")],
    ],
)
def test_switches_from_the_environment(raw: str, enforced: bool) -> None:
    assert settings_from_args([], {"PROXY_RATE_LIMITS": raw}).rate_limits is enforced
    assert settings_from_args(["--rate-limits"], {"PROXY_RATE_LIMITS": raw}).rate_limits
    s = settings_from_args([], {"PROXY_PASS_SIGNATURE_TO_CLIENT": raw})
    assert s.pass_signature_to_client is enforced


def test_defaults_are_the_settings_defaults() -> None:
    assert settings_from_args([], {}) == Settings()
    assert settings_from_args([], None) == Settings()


def test_an_empty_key_list_falls_back_to_the_single_key() -> None:
    s = settings_from_args([], {"GEMINI_API_KEYS": " , ", "GEMINI_API_KEY": "solo"})
    assert s.upstream_keys == ("solo",)


def test_help_lists_every_environment_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        settings_from_args(["--help"], {})
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("Usage: reference-proxy [OPTIONS]")
    for name in ("PROXY_PORT", "PROXY_RATE_LIMITS", "GEMINI_API_KEYS, GEMINI_API_KEY"):
        assert f"env var: {name}" in out
