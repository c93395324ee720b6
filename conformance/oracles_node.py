"""openai-node as an oracle: recorded exchanges replayed through the official npm ``openai``
package under Node.js (``conformance/node/replay.mjs``), in one ``node`` process per run.

Each exchange is served to the SDK over a real local socket by :class:`ReplayServer`
(127.0.0.1, a free port, one thread per connection) as the target put it on the wire
(:func:`conformance.oracles.wire_response`: the recorded status, headers and body, framed
as recorded, with a body shorter than its ``Content-Length``, a reset, a truncated chunked
body or a hang reproduced), so Node's own HTTP stack meets what it would have met live. A
replay that neither ends nor sends a byte for :data:`REPLAY_HOLD_MS` is reported as a
``Timeout`` (openai-node would wait for its 10-minute timeout).

The same process replays the exchanges it is asked to through the Vercel AI SDK's
OpenAI-compatible provider too (npm ``@ai-sdk/openai-compatible``, the chat model that
``ai``'s ``streamText``/``generateText`` drive; opencode and most TypeScript agents talk to
OpenAI-compatible proxies through it): its outcome is keyed ``<probe>`` +
:data:`AI_SDK_SUFFIX`. It refuses what openai-node lets pass: a stream that ends with no
``finish_reason``, a chunk its schema refuses (a usage chunk with no ``choices``, a
``role`` other than ``assistant``), a new tool call with no ``function.name``
(docs/openai-wire.md B2).

The packages live outside the Python environment: ``conformance setup-node`` installs
them with npm into :func:`node_dir` (``$CONFORMANCE_NODE_DIR``, default
``~/.cache/gemini-proxy-conformance/node``). Without ``node`` or a package, that client's
checks are reported skipped with the reason. openai-node differs from openai-python where
it matters: it needs ``data`` to be exactly ``[DONE]`` and throws ``SyntaxError`` on
malformed event JSON (docs/openai-wire.md B2).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .exchange import Exchange
from .oracles import End, wire_response

__all__ = [
    "AI_SDK_PACKAGE",
    "AI_SDK_SUFFIX",
    "NODE_DIR_ENV",
    "REPLAY_HOLD_MS",
    "NodeOutcome",
    "ReplayServer",
    "ai_sdk_unavailable",
    "ai_sdk_version",
    "install_openai_node",
    "node_dir",
    "node_unavailable",
    "openai_node_version",
    "replay_openai_node",
]

NODE_DIR_ENV = "CONFORMANCE_NODE_DIR"
AI_SDK_PACKAGE = "@ai-sdk/openai-compatible"
"""The AI SDK's provider for OpenAI-compatible APIs (npm), replayed beside openai-node."""
AI_SDK_SUFFIX = "@ai-sdk"
"""Appended to a probe's name to key its AI SDK outcome in :func:`replay_openai_node`."""
REPLAY_HOLD_MS = 2000
"""How long the node replay waits for a response that stops sending (every byte is local
and written at once, so only a recorded hang reaches it), in milliseconds."""


def node_dir() -> Path:
    """Where the npm ``openai`` package is (or will be) installed."""
    env = os.environ.get(NODE_DIR_ENV)
    if env:
        return Path(env)
    return Path.home() / ".cache" / "gemini-proxy-conformance" / "node"


def _npm_version(package: str, directory: Path | None) -> str | None:
    manifest = (directory or node_dir()) / "node_modules" / package / "package.json"
    try:
        return str(json.loads(manifest.read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def openai_node_version(directory: Path | None = None) -> str | None:
    """The installed npm ``openai`` version, or ``None``."""
    return _npm_version("openai", directory)


def ai_sdk_version(directory: Path | None = None) -> str | None:
    """The installed npm ``@ai-sdk/openai-compatible`` version, or ``None``."""
    return _npm_version(AI_SDK_PACKAGE, directory)


def node_unavailable(directory: Path | None = None) -> str | None:
    """``None`` when openai-node replays can run, else why not (one line)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if openai_node_version(directory) is None:
        return "npm openai is not installed (run `conformance setup-node`)"
    return None


def ai_sdk_unavailable(directory: Path | None = None) -> str | None:
    """``None`` when AI SDK replays can run, else why not (one line)."""
    reason = node_unavailable(directory)
    if reason is None and ai_sdk_version(directory) is None:
        reason = f"npm {AI_SDK_PACKAGE} is not installed (run `conformance setup-node`)"
    return reason


def install_openai_node(
    directory: Path | None = None,
    spec: str = "openai@latest",
    also: tuple[str, ...] = (f"{AI_SDK_PACKAGE}@latest",),
) -> str:
    """``npm install`` the SDK (and the ``also`` packages: the AI SDK's provider) into
    ``directory``; returns the installed openai-node version.

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
        [npm, "install", "--no-audit", "--no-fund", "--silent", spec, *also],
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
    calls: int = 0
    """The tool calls the client assembled (the AI SDK's ``tool-call`` parts; 0 for
    openai-node, whose replay does not count them)."""

    @property
    def ok(self) -> bool:
        return self.error is None

    def verdict(self) -> str:
        return "ok" if self.error is None else f"raises {self.error}"


def replay_openai_node(
    items: Sequence[tuple[Exchange, str]],
    directory: Path | None = None,
    timeout_s: float = 60,
    ai_sdk: Collection[str] = (),
) -> Mapping[str, NodeOutcome]:
    """Replay each ``(exchange, how)`` (``how``: create, stream, models) through
    openai-node, and the probes named in ``ai_sdk`` (create or stream) through the AI
    SDK's provider too when it is installed; returns outcomes by probe name (the AI
    SDK's under ``probe + AI_SDK_SUFFIX``). Raises ``RuntimeError`` when node is not
    usable (see :func:`node_unavailable`) or the replay process fails."""
    directory = directory or node_dir()
    reason = node_unavailable(directory)
    if reason is not None:
        raise RuntimeError(reason)
    server = replay_server()
    with contextlib.ExitStack() as stack:
        payload = [
            {
                "id": x.probe,
                "how": how,
                "url": stack.enter_context(server.serving(x)),
                "hold_ms": REPLAY_HOLD_MS,
                "ai": x.probe in ai_sdk,
            }
            for x, how in items
        ]
        done = _run_node(payload, directory, timeout_s)
    name = f"openai-node {openai_node_version(directory)}"
    ai_name = f"{AI_SDK_PACKAGE} {ai_sdk_version(directory)}"
    out: dict[str, NodeOutcome] = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        out[row["id"]] = _outcome(name, row)
        if isinstance(row.get("ai"), dict):
            out[row["id"] + AI_SDK_SUFFIX] = _outcome(ai_name, row["ai"])
    return out


def _outcome(client: str, row: Mapping[str, object]) -> NodeOutcome:
    error = None if row["ok"] else f"{row['error_type']}: {row['message']}"
    kind = row.get("error_type")
    chunks, calls = row.get("chunks", 0), row.get("calls", 0)
    return NodeOutcome(
        client,
        error,
        kind if isinstance(kind, str) else None,
        chunks if isinstance(chunks, int) else 0,
        calls if isinstance(calls, int) else 0,
    )


def _run_node(
    payload: list[dict[str, object]], directory: Path, timeout_s: float
) -> subprocess.CompletedProcess[str]:
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
    return done


class ReplayServer:
    """Serves recorded exchanges on 127.0.0.1 (a free port), each under its own path
    prefix (:meth:`serving`), over real HTTP/1.1 (:func:`wire_response`), one thread per
    connection. :func:`replay_server` starts the process's one."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._answers: dict[str, tuple[bytes, End]] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="replay-server", daemon=True).start()

    @contextlib.contextmanager
    def serving(self, x: Exchange) -> Iterator[str]:
        """A base URL (``http://127.0.0.1:PORT/<token>/v1``) under which every request
        gets ``x``'s recorded answer, while the context lasts."""
        token = secrets.token_hex(8)
        with self._lock:
            self._answers[token] = wire_response(x)
        try:
            yield f"http://127.0.0.1:{self.port}/{token}/v1"
        finally:
            with self._lock:
                self._answers.pop(token, None)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # pragma: no cover - the listener closed
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                head = _read_request(conn)
                token = head.split(b" ", 2)[1].lstrip(b"/").split(b"/", 1)[0].decode()
                with self._lock:
                    found = self._answers.get(token)
                if found is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    return
                data, end = found
                conn.sendall(data)
                if end == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif end == "hold":
                    while conn.recv(65536):  # until the client gives up and closes
                        pass
            except (OSError, IndexError, UnicodeDecodeError):
                return


def _read_request(conn: socket.socket) -> bytes:
    """Read one request (head and ``Content-Length`` body); returns the head."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            raise OSError("the client closed before its request was complete")
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    while len(rest) < length:
        piece = conn.recv(65536)
        if not piece:
            break
        rest += piece
    return head


_server: ReplayServer | None = None
_server_lock = threading.Lock()


def replay_server() -> ReplayServer:
    """The process's replay server, started on first use."""
    global _server
    with _server_lock:
        if _server is None:
            _server = ReplayServer()
        return _server
