"""openai-node as an oracle: recorded exchanges replayed through the official npm ``openai``
package under Node.js (``conformance/node/replay.mjs``), in one ``node`` process per run.

The SDK lives outside the Python environment: ``conformance setup-node`` installs it with
npm into :func:`node_dir` (``$CONFORMANCE_NODE_DIR``, default
``~/.cache/gemini-proxy-conformance/node``). Without ``node`` or the package, the
openai-node checks are reported skipped with that reason. openai-node differs from
openai-python where it matters: it needs ``data`` to be exactly ``[DONE]`` and throws
``SyntaxError`` on malformed event JSON (docs/openai-wire.md B2).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .exchange import Exchange

__all__ = [
    "NODE_DIR_ENV",
    "NodeOutcome",
    "install_openai_node",
    "node_dir",
    "node_unavailable",
    "openai_node_version",
    "replay_openai_node",
]

NODE_DIR_ENV = "CONFORMANCE_NODE_DIR"
_HOP = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection"})


def node_dir() -> Path:
    """Where the npm ``openai`` package is (or will be) installed."""
    env = os.environ.get(NODE_DIR_ENV)
    if env:
        return Path(env)
    return Path.home() / ".cache" / "gemini-proxy-conformance" / "node"


def openai_node_version(directory: Path | None = None) -> str | None:
    """The installed npm ``openai`` version, or ``None``."""
    manifest = (directory or node_dir()) / "node_modules" / "openai" / "package.json"
    try:
        return str(json.loads(manifest.read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def node_unavailable(directory: Path | None = None) -> str | None:
    """``None`` when openai-node replays can run, else why not (one line)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if openai_node_version(directory) is None:
        return "npm openai is not installed (run `conformance setup-node`)"
    return None


def install_openai_node(directory: Path | None = None, spec: str = "openai@latest") -> str:
    """``npm install`` the SDK into ``directory``; returns the installed version.

    Raises ``RuntimeError`` with npm's output when it fails or npm is missing.
    """
    target = directory or node_dir()
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "package.json").exists():
        (target / "package.json").write_text('{"private": true, "type": "module"}\n')
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", spec],
        cwd=target,
        capture_output=True,
        text=True,
        check=False,
    )
    version = openai_node_version(target)
    if done.returncode != 0 or version is None:
        raise RuntimeError(f"npm install {spec} failed: {done.stderr.strip()[-500:]}")
    return version


@dataclass(frozen=True, slots=True)
class NodeOutcome:
    """What openai-node did: ``error`` is ``"Type: message"`` or ``None``."""

    client: str
    error: str | None
    error_type: str | None
    chunks: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None

    def verdict(self) -> str:
        return "ok" if self.error is None else f"raises {self.error}"


def replay_openai_node(
    items: Sequence[tuple[Exchange, str]], directory: Path | None = None, timeout_s: float = 60
) -> Mapping[str, NodeOutcome]:
    """Replay each ``(exchange, how)`` (``how``: create, stream, models) through
    openai-node; returns outcomes by probe name. Raises ``RuntimeError`` when node is not
    usable (see :func:`node_unavailable`) or the replay process fails."""
    directory = directory or node_dir()
    reason = node_unavailable(directory)
    if reason is not None:
        raise RuntimeError(reason)
    payload = [
        {
            "id": x.probe,
            "how": how,
            "status": x.status or 200,
            "headers": [[k, v] for k, v in x.headers if k.lower() not in _HOP],
            "pieces": [base64.b64encode(piece).decode() for _, piece in x.chunks],
        }
        for x, how in items
    ]
    script = resources.files("conformance").joinpath("node", "replay.mjs")
    with resources.as_file(script) as path:
        done = subprocess.run(
            ["node", str(path), str(directory)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"openai-node replay failed: {done.stderr.strip()[-500:]}")
    name = f"openai-node {openai_node_version(directory)}"
    out: dict[str, NodeOutcome] = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        error = None if row["ok"] else f"{row['error_type']}: {row['message']}"
        out[row["id"]] = NodeOutcome(name, error, row["error_type"], int(row.get("chunks", 0)))
    return out
