"""Third-party proxies as real targets: start LiteLLM proxy, Portkey's AI gateway or
lm-proxy in front of our mock.

LiteLLM is not a dependency of this project: it lives in a virtual environment of its own
(``tox -e litellm --notest`` creates ``.tox/litellm``; any ``litellm`` executable works).
It starts offline (``LITELLM_LOCAL_MODEL_COST_MAP=True``), on 127.0.0.1 only, with one
Gemini model whose ``api_base`` is the mock's ``/v1beta``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = [
    "LITELLM_KEY",
    "LM_PROXY_KEY",
    "LM_PROXY_VERSION",
    "PORTKEY_VERSION",
    "find_litellm",
    "find_lm_proxy",
    "find_portkey",
    "free_port",
    "litellm_config",
    "litellm_proxy",
    "litellm_version",
    "lm_proxy",
    "lm_proxy_config",
    "portkey_gateway",
    "suite_report",
]

LITELLM_KEY = "sk-litellm-master"
"""The master key the local LiteLLM proxy is started with (not a secret: local only)."""
ROOT = Path(__file__).resolve().parents[1]


def find_litellm(explicit: str | None = None) -> Path:
    """The ``litellm`` executable: ``explicit``, ``.tox/litellm/bin/litellm``,
    ``.litellm/venv/bin/litellm`` or ``$PATH``. Raises ``FileNotFoundError`` saying how
    to create it."""
    candidates = [explicit] if explicit else []
    candidates += [
        str(ROOT / ".tox" / "litellm" / "bin" / "litellm"),
        str(ROOT / ".litellm" / "venv" / "bin" / "litellm"),
        shutil.which("litellm") or "",
    ]
    return _first_file(
        candidates,
        "no litellm executable; create one with `tox -e litellm --notest` or pass --litellm",
    )


def litellm_version(executable: Path) -> str:
    """``litellm``'s package version, read with the interpreter of its own environment."""
    python = executable.parent / "python"
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LITELLM_MODELS = ("gemini-2.5-flash", "gemini-3-flash-preview", "gemini-3-pro-preview")
"""The models the local LiteLLM serves (all backed by the mock)."""


def litellm_config(
    mock_url: str, models: tuple[str, ...] = LITELLM_MODELS, *, spare_key: bool = False
) -> str:
    """The LiteLLM proxy config (YAML) used for the example report and the benchmark.

    ``spare_key``: the first model gets a second deployment with another API key, the
    way LiteLLM users rotate keys (the router fails over between deployments of one
    ``model_name``), so ``errors.key_failover`` has something to judge.
    """
    keys = ("mock-upstream-key", "mock-upstream-key-2")
    entries = "".join(
        f"  - model_name: {model}\n"
        "    litellm_params:\n"
        f"      model: gemini/{model}\n"
        f"      api_base: {mock_url}/v1beta\n"
        f"      api_key: {key}\n"
        for i, model in enumerate(models)
        for key in (keys if spare_key and i == 0 else keys[:1])
    )
    entries += (  # the model the embeddings probes name (conformance.probes.basic)
        "  - model_name: gemini-embedding-001\n"
        "    litellm_params:\n"
        "      model: gemini/gemini-embedding-001\n"
        f"      api_base: {mock_url}/v1beta\n"
        "      api_key: mock-upstream-key\n"
    )
    return f"model_list:\n{entries}general_settings:\n  master_key: {LITELLM_KEY}\n"


@contextmanager
def litellm_proxy(
    mock_url: str,
    executable: Path,
    *,
    timeout_s: float = 120.0,
    workers: int = 1,
    spare_key: bool = False,
) -> Iterator[str]:
    """Run LiteLLM proxy in front of ``mock_url``; yield its base URL. Stops it on exit.

    Raises ``RuntimeError`` with the log tail when it does not become live in time.
    """
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(litellm_config(mock_url, spare_key=spare_key))
        env = {
            **os.environ,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "LITELLM_LOG": "ERROR",
        }
        argv = [
            str(executable),
            *("--config", str(config), "--host", "127.0.0.1", "--port", str(port)),
            *("--num_workers", str(workers)),
        ]
        with _running("litellm", argv, env, f"http://127.0.0.1:{port}", "/health/liveliness",
                      Path(tmp), timeout_s) as url:  # fmt: skip
            yield url


PORTKEY_VERSION = "1.15.2"
"""The Portkey AI gateway the example report was made with (npm ``@portkey-ai/gateway``)."""


def find_portkey() -> Path:
    """The Portkey gateway's ``start-server.js`` under ``.bench/node_modules``. Raises
    ``FileNotFoundError`` saying how to install it."""
    script = ROOT / ".bench" / "node_modules" / "@portkey-ai" / "gateway" / "build"
    script = script / "start-server.js"
    if not script.is_file():
        raise FileNotFoundError(
            f"no Portkey gateway at {script}; install it with "
            f"`npm --prefix .bench install @portkey-ai/gateway@{PORTKEY_VERSION}` (needs node)"
        )
    return script


@contextmanager
def portkey_gateway(script: Path, *, timeout_s: float = 60.0) -> Iterator[str]:
    """Run Portkey's AI gateway (``node start-server.js --headless``); yield its base URL.
    It routes each request by its ``x-portkey-provider`` and ``x-portkey-custom-host``
    header fields (no config file). It listens on every interface (it has no host
    option); nothing here sends it traffic from elsewhere. Stops it on exit."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["node", str(script), f"--port={port}", "--headless"]
        with _running("portkey", argv, dict(os.environ), f"http://127.0.0.1:{port}", "/",
                      Path(tmp), timeout_s) as url:  # fmt: skip
            yield url


LM_PROXY_VERSION = "3.3.2"
"""lm-proxy (PyPI ``llm-proxy-server``) the example report was made with."""
LM_PROXY_KEY = "sk-lm-proxy-client"
"""The virtual key the local lm-proxy accepts from clients (not a secret: local only)."""


def find_lm_proxy(explicit: str | None = None) -> Path:
    """The ``llm-proxy-server`` executable: ``explicit``, ``.tox/lm-proxy/bin/`` or
    ``$PATH``. Raises ``FileNotFoundError`` saying how to create it."""
    candidates = [explicit] if explicit else []
    candidates += [
        str(ROOT / ".tox" / "lm-proxy" / "bin" / "llm-proxy-server"),
        shutil.which("llm-proxy-server") or "",
    ]
    return _first_file(
        candidates,
        "no llm-proxy-server executable; create one with `tox -e lm-proxy --notest` "
        f"(llm-proxy-server=={LM_PROXY_VERSION} and google-genai in .tox/lm-proxy)",
    )


def lm_proxy_config(mock_url: str, port: int) -> str:
    """lm-proxy's ``config.toml``: one connection of microcore's ``google`` type (the
    google-genai SDK) whose base URL is the mock, every model name routed to it, one
    client key (:data:`LM_PROXY_KEY`), on 127.0.0.1 only."""
    return (
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        "[connections.gemini]\n"
        'LLM_API_TYPE = "google"\n'
        'LLM_API_KEY = "mock-upstream-key"\n'
        f'LLM_API_BASE = "{mock_url.rstrip("/")}/"\n'
        "[routing]\n"
        '"*" = "gemini.*"\n'
        "[groups.default]\n"
        f'api_keys = ["{LM_PROXY_KEY}"]\n'
    )


@contextmanager
def lm_proxy(mock_url: str, executable: Path, *, timeout_s: float = 60.0) -> Iterator[str]:
    """Run lm-proxy in front of ``mock_url``; yield its base URL. Stops it on exit."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(lm_proxy_config(mock_url, port))
        argv = [str(executable), "--config", str(config)]
        with _running("lm-proxy", argv, dict(os.environ), f"http://127.0.0.1:{port}", "/",
                      Path(tmp), timeout_s) as url:  # fmt: skip
            yield url


def suite_report(
    run_args: list[str], mock: str, *, out: Path, name: str, black_box: bool = False
) -> int:
    """Run ``conformance run`` with ``run_args`` (target, key, label, notes...) plus
    ``--mock-url mock`` unless ``black_box``, into a temporary folder; copy its
    ``report.{md,json,html}`` to ``out/name.*``. Returns the bench's exit code: 0 when
    the suite ran (passed or found failures), else the suite's code."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "conformance.cli", "run", *run_args, "--out", tmp]
        cmd += [] if black_box else ["--mock-url", mock]
        code = subprocess.run(cmd, check=False).returncode
        out.mkdir(parents=True, exist_ok=True)
        for kind in ("md", "json", "html"):
            shutil.copy(Path(tmp) / f"report.{kind}", out / f"{name}.{kind}")
    print(f"wrote {out / (name + '.md')} (suite exit code {code})")
    return 0 if code in (0, 1) else code


def _first_file(candidates: list[str], missing: str) -> Path:
    """The first of ``candidates`` that is a file; ``FileNotFoundError(missing)`` if none."""
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError(missing)


@contextmanager
def _running(
    name: str,
    argv: list[str],
    env: dict[str, str],
    url: str,
    ready_path: str,
    folder: Path,
    timeout_s: float,
) -> Iterator[str]:
    """Start ``argv`` (its output to ``folder/name.log``), wait until ``GET url +
    ready_path`` answers (any HTTP status), yield ``url``; terminate it on exit (kill
    after 15 s). Raises ``RuntimeError`` with the log tail when it exits or does not
    answer within ``timeout_s`` seconds."""
    log = (folder / f"{name}.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
            try:
                httpx.get(f"{url}{ready_path}", timeout=2)
                break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start in {timeout_s}s:\n{_tail(log)}")
            time.sleep(0.25)  # polling a starting process, not synchronising a test
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)
        log.close()


def _tail(log: object) -> str:
    name = getattr(log, "name", None)
    return Path(str(name)).read_text("utf-8", "replace")[-3000:] if name else ""
