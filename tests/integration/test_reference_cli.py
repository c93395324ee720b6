"""``python -m reference_impl`` reads its settings from flags and the environment (click):
a bad value in an environment variable is one usage error naming it, exit 2; a switch
from the environment takes effect."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.slow


def test_a_bad_port_in_the_environment_exits_2_naming_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reference_impl"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PROXY_PORT": "abc", "PYTHONWARNINGS": ""},
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--port' (env var: 'PROXY_PORT'): 'abc' is not a valid integer."
    )


@pytest.mark.parametrize(("raw", "delay"), [("true", 5.0), ("yes", 5.0), ("0", 0.0)])
def test_rate_limits_from_the_environment_take_effect(raw: str, delay: float) -> None:
    """gemini-reverse's ``/health`` shows the enforced 5 s per-model interval."""
    env = {
        **os.environ,
        "PROXY_PROFILE": "gemini-reverse",
        "PROXY_RATE_LIMITS": raw,
        "GEMINI_BASE_URL": "http://127.0.0.1:9/v1beta",
        "PYTHONWARNINGS": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_impl", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:")
        health = httpx.get(f"{url}/health", timeout=30).json()
        assert health["rate_limiter"]["current_delay"] == delay
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
