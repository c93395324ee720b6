"""Mock server throughput: our mock vs the npm ``@copilotkit/aimock`` mock, like for like.

Both servers answer the same requests on the same machine, one process each, driven by
``wrk`` (one thread, keep-alive connections, POST bodies from a Lua script):

- ``gemini``: ``POST /v1beta/models/gemini-2.5-flash:generateContent`` (unary) and
  ``:streamGenerateContent?alt=sse`` (stream), body
  ``{"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}``; both answer 12
  words / 80 characters in 8 SSE events (ours: ``x-mock-scenario: chunks=8``; aimock:
  a fixture matching "hello", ``--chunk-size 10``);
- ``openai``: our Google-compatible ``POST /v1beta/openai/chat/completions`` vs aimock's
  ``POST /v1/chat/completions``, same body, unary and ``stream: true``. aimock streams
  that answer as 10 events (a role chunk, 8 content chunks, a finish chunk), so ours is
  asked for 10 (``chunks=10``): the same answer in the same number of events, so events/s
  and responses/s rank the two alike (with 8 against 10, events/s gave aimock a quarter
  more events for each response it served).

Unary rows give requests/s; stream rows give SSE events/s (requests/s times the
``data:`` events of one response, counted once per server, ``[DONE]`` excluded).
With no pacing aimock writes a whole stream in one ``writev`` (seen with strace); ours
sends an unpaced stream in one socket send too (status line, events, end), each event
an HTTP chunk of its own (its contract: a proxy's parser sees the pieces the directive
asked for); ``stream1w`` rows ask ours for the whole body as one chunk
(``coalesce=1``). With
two or more CPUs the server runs on CPU 0 and wrk on CPU 1 (``taskset``), so the load
generator never competes with the server. With ``--repeat N`` a cell is the best of N
runs of each server, interleaved (ours, aimock, ours...): the machine's speed drifts over
minutes, and a ratio must compare the same moments. Prints a table and the ratio ours/aimock, each
against the goal (issue 16: at least :data:`GOAL` times aimock), PASS or FAIL per row.

Set up aimock once (the folder is git-ignored)::

    mkdir -p .bench && npm --prefix .bench install @copilotkit/aimock
    python -m bench.mock_throughput [--duration 5] [--repeat 1] [--concurrency 1 16 64]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
AIMOCK = ROOT / ".bench" / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
BODY: dict[str, object] = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
CHAT: dict[str, object] = {
    "model": "gemini-2.5-flash",
    "messages": [{"role": "user", "content": "hello"}],
}
ANSWER = "the river quietly carries light across a stone bridge while morning bells answer"
KEY = "bench-key"
GOAL = 1.5
"""Ours over aimock, every endpoint, mode and concurrency, at least (issue 16)."""


@dataclass(frozen=True)
class Case:
    """One request kind: the path and body per server, and whether it streams."""

    api: str
    mode: str
    ours: tuple[str, dict[str, object], dict[str, str]]
    theirs: tuple[str, dict[str, object], dict[str, str]]


def cases() -> list[Case]:
    gemini = "/v1beta/models/gemini-2.5-flash"
    stream_url = f"{gemini}:streamGenerateContent?alt=sse"
    key = {"x-goog-api-key": KEY}
    bearer = {"authorization": f"Bearer {KEY}"}
    per_event = {"x-mock-scenario": "chunks=8"}
    one_write = {"x-mock-scenario": "chunks=8 coalesce=1"}
    compat_events = {"x-mock-scenario": "chunks=10"}  # aimock's 10 events per answer
    compat_one_write = {"x-mock-scenario": "chunks=10 coalesce=1"}
    chat_stream = {**CHAT, "stream": True}
    compat = "/v1beta/openai/chat/completions"
    return [
        Case("gemini", "unary", (f"{gemini}:generateContent", BODY, {**key, **per_event}),
             (f"{gemini}:generateContent", BODY, key)),
        Case("gemini", "stream", (stream_url, BODY, {**key, **per_event}),
             (stream_url, BODY, key)),
        Case("gemini", "stream1w", (stream_url, BODY, {**key, **one_write}),
             (stream_url, BODY, key)),
        Case("openai", "unary", (compat, CHAT, {**bearer, **per_event}),
             ("/v1/chat/completions", CHAT, bearer)),
        Case("openai", "stream", (compat, chat_stream, {**bearer, **compat_events}),
             ("/v1/chat/completions", chat_stream, bearer)),
        Case("openai", "stream1w", (compat, chat_stream, {**bearer, **compat_one_write}),
             ("/v1/chat/completions", chat_stream, bearer)),
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cpu: int | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *argv] if cpu is not None else argv


@contextlib.contextmanager
def our_mock(cpu: int | None) -> Iterator[str]:
    argv = pinned(cpu, [sys.executable, "-m", "mockserver", "--port", "0"])
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def aimock(cpu: int | None, folder: Path) -> Iterator[str]:
    fixture = folder / "fixture.json"
    entry = {"match": {"userMessage": "hello"}, "response": {"content": ANSWER}}
    fixture.write_text(json.dumps({"fixtures": [entry]}))
    port = free_port()
    argv = pinned(cpu, ["node", str(AIMOCK), "-p", str(port), "-f", str(fixture),
                        "--chunk-size", "10", "--log-level", "silent"])  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # a benchmark may poll: wait until it listens
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{url}/health", timeout=1)
                break
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def lua(folder: Path, name: str, body: dict[str, object], headers: dict[str, str]) -> Path:
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    path = folder / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def events_per_response(url: str, body: dict[str, object], headers: dict[str, str]) -> int:
    response = httpx.post(url, json=body, headers=headers, timeout=10)
    response.raise_for_status()
    frames = re.findall(rb"^data: (.*)$", response.content, re.MULTILINE)
    return sum(1 for f in frames if f.strip() != b"[DONE]")


def wrk(url: str, script: Path, conc: int, seconds: float, cpu: int | None) -> tuple[float, int]:
    """(requests/s, non-2xx + socket errors); ``(0.0, -1)`` when wrk itself failed."""
    argv = pinned(cpu, ["wrk", "-t1", f"-c{conc}", f"-d{seconds:g}s", "-s", str(script), url])
    done = subprocess.run(argv, capture_output=True, text=True)
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if done.returncode != 0 or found is None:
        print(f"  wrk failed on {url}: {(done.stderr or done.stdout).strip()[:200]}", flush=True)
        return 0.0, -1
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", done.stdout))
    for errors in re.findall(r"Socket errors: (.*)", done.stdout):
        bad += sum(int(n) for n in re.findall(r"\d+", errors))
    return float(found.group(1)), bad


def measure(
    sides: list[tuple[str, tuple[str, dict[str, object], dict[str, str]]]],
    folder: Path,
    args: argparse.Namespace,
    conc: int,
) -> list[tuple[float, int]]:
    """``(best req/s, errors)`` of each ``(url, (path, body, headers))`` side; the runs
    interleaved (ours, theirs, ours...) so both sides see the same moments of the machine."""
    cells = []
    for n, (url, (path, body, headers)) in enumerate(sides):
        cells.append((url + path, lua(folder, f"side{n}", body, headers)))
    for target, script in cells:
        wrk(target, script, conc, 1, args.wrk_cpu)  # warm-up
    runs: list[list[tuple[float, int]]] = [[] for _ in cells]
    for _ in range(args.repeat):
        for done, (target, script) in zip(runs, cells, strict=True):
            done.append(wrk(target, script, conc, args.duration, args.wrk_cpu))
    return [(max(r[0] for r in done), sum(abs(r[1]) for r in done)) for done in runs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (5)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell, best kept (1)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args(argv)
    for tool in ("wrk", "node"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install -y wrk; node >= 20)")
    if not AIMOCK.is_file():
        sys.exit(f"aimock is missing at {AIMOCK}; see this module's docstring")
    two = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    server_cpu, args.wrk_cpu = (0, 1) if two else (None, None)
    version = json.loads((AIMOCK.parents[1] / "package.json").read_text())["version"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"aimock {version}, node {node}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, server on CPU {server_cpu}, wrk on CPU {args.wrk_cpu}, "
        f"{args.duration:g} s per cell"
    )
    header = ("api", "mode", "conc", "unit", "ours", "aimock", "ratio", "events/resp")
    print("{:<7} {:<8} {:>4} {:<6} {:>10} {:>10} {:>6}  {:>11}".format(*header), end="")
    print(f"  goal >= {GOAL:.1f}x")
    verdicts: list[bool] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        our_mock(server_cpu) as ours_url,
        aimock(server_cpu, Path(tmp)) as their_url,
    ):
        folder = Path(tmp)
        for case in cases():
            stream = case.mode.startswith("stream")
            per = (1, 1)
            if stream:
                per = (
                    events_per_response(ours_url + case.ours[0], case.ours[1], case.ours[2]),
                    events_per_response(their_url + case.theirs[0], case.theirs[1], case.theirs[2]),
                )
            for conc in args.concurrency:
                (ours, bad_ours), (theirs, bad_theirs) = measure(
                    [(ours_url, case.ours), (their_url, case.theirs)], folder, args, conc
                )
                a, b = ours * per[0], theirs * per[1]
                note = "" if not (bad_ours or bad_theirs) else f"  errors {bad_ours}/{bad_theirs}"
                unit = "ev/s" if stream else "req/s"
                counts = f"{per[0]}/{per[1]}" if stream else "-"
                ratio = f"{a / b:>5.2f}x" if a and b else "   n/a"
                ok = bool(a and b and a / b >= GOAL)
                verdicts.append(ok)
                print(
                    f"{case.api:<7} {case.mode:<8} {conc:>4} {unit:<6} {a:>10,.0f} {b:>10,.0f}"
                    f" {ratio}  {counts:>11}  {'PASS' if ok else 'FAIL'}{note}",
                    flush=True,
                )
    print(f"{sum(verdicts)}/{len(verdicts)} rows at or above {GOAL:.1f}x aimock")


if __name__ == "__main__":
    main()
