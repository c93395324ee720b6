"""``python -m mockserver``: one URL line on stdout, options honoured, clean stop."""

from __future__ import annotations

import signal
import subprocess
import sys

import click
import httpx
import pytest

from mockserver.__main__ import main, parse_args

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_the_url_and_stops_cleanly(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--seed", "3", "--api-key", "k1", "--api-key", "k2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert int(url.rsplit(":", 1)[1]) > 0
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/_mock/health").json() == {"status": "ok"}
            ok = client.get("/v1beta/models", headers={"x-goog-api-key": "k2"})
            assert ok.status_code == 200
            assert client.get("/v1beta/models?key=k3").status_code == 400
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert stdout == ""  # exactly one line was printed, and it was read above
    assert "listening on" in stderr
    assert "Traceback" not in stderr


def test_arguments_are_checked() -> None:
    options = parse_args(["--port", "8123", "--seed", "18446744073709551615"])
    assert (options.host, options.port) == ("127.0.0.1", 8123)
    assert (options.settings.seed, options.settings.api_keys) == (2**64 - 1, frozenset())
    defaults = parse_args([])
    assert (defaults.port, defaults.settings.seed, defaults.access_log) == (0, 0, False)
    assert defaults.settings.journal_size == 10_000
    for bad in (["--seed", "-1"], ["--port", "70000"], ["--api-key", ""], ["--seed", "x"],
                ["--journal-size", "0"]):  # fmt: skip
        with pytest.raises(click.BadParameter) as caught:
            parse_args(bad)
        assert f"Invalid value for '{bad[0]}'" in caught.value.format_message()


def test_key_quota_and_refresh_token_options() -> None:
    options = parse_args(
        ["--key-quota", "k1=2", "--key-quota", "k2=5,100", "--key-quota", "k3=,7",
         "--refresh-token", "1//a", "--access-log"]
    )  # fmt: skip
    assert options.settings.key_quotas == (("k1", 2, None), ("k2", 5, 100), ("k3", None, 7))
    assert options.settings.refresh_tokens == frozenset({"1//a"})
    assert options.access_log
    for bad in (["--key-quota", "k1"], ["--key-quota", "=2"], ["--key-quota", "k=x"],
                ["--key-quota", "k=-1"], ["--refresh-token", ""]):  # fmt: skip
        with pytest.raises(click.BadParameter) as caught:
            parse_args(bad)
        assert f"Invalid value for '{bad[0]}'" in caught.value.format_message()


def test_a_bad_value_is_one_usage_error_naming_its_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "x"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Invalid value for '--port': 'x' is not a valid integer" in err
    assert main(["--help"]) == 0
    assert "--journal-size" in capsys.readouterr().out


def test_the_access_log_never_prints_a_key_in_clear() -> None:
    secret = "AIzaSyNOTREAL-accesslog-0000000000000"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--access-log"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get(f"/v1beta/models?key={secret}&pageSize=2").status_code == 200
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert secret not in stderr
    assert '"GET /v1beta/models?key=[redacted]&pageSize=2" 200' in stderr
