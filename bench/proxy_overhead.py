"""Proxy overhead: the mock direct vs through the reference proxy vs through LiteLLM.

One run, one mock (``python -m mockserver``), three targets:

- ``direct``: the equivalent Gemini request straight to the mock
  (``:generateContent`` / ``:streamGenerateContent?alt=sse``), the floor;
- ``reference``: ``python -m reference_impl`` in front of the mock (OpenAI request);
- ``litellm``: LiteLLM proxy (its own venv, one worker, ``bench.thirdparty``).

For each target, unary and streamed, at concurrency 1 and 32, ``wrk`` (C, with a Lua
script for the POST body; ``apt-get install -y wrk``) measures p50/p99 latency and
requests/s over ``--duration`` seconds after a warm-up; a tight aiohttp client measures
time to first token (the first body bytes carrying a ``data:`` event) over ``--ttft``
sequential streamed requests. With ``--repeat N`` each wrk figure is the best of N runs
(highest req/s, lowest latencies): the machine is shared, noise only ever slows a run.
The runs of one cell are interleaved across the targets (direct, reference, LiteLLM,
direct...), so a ratio compares the same moments of a machine whose speed drifts.
Prints one table and every ratio against its goal (issue 16), PASS or FAIL per line:

- the reference adds at most :data:`GOAL_ADDED_MS` to the p50 latency of direct, c=1,
  unary and streamed;
- the reference's req/s at c=32 unary is within :data:`GOAL_DIRECT_FACTOR` of direct's;
- the reference's req/s is at least :data:`GOAL_LITELLM` times LiteLLM's at c=32, unary
  and streamed (c=1 is printed for information).

    python -m bench.proxy_overhead [--duration 5] [--repeat 1] [--ttft 200] [--litellm PATH]
        [--no-litellm]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import aiohttp

from conformance.embedded import start_server

from .thirdparty import LITELLM_KEY, find_litellm, litellm_proxy, litellm_version

GOAL_ADDED_MS = 0.5
"""Most p50 latency the reference may add over direct, c=1 (ms)."""
GOAL_DIRECT_FACTOR = 2.0
"""Direct's req/s over the reference's, c=32 unary, at most."""
GOAL_LITELLM = 60.0
"""The reference's req/s over LiteLLM's (one worker each), c=32, at least."""

MODEL = "gemini-2.5-flash"
PROXY_KEY = "sk-bench"
UPSTREAM_KEY = "mock-upstream-key"
PROMPT = "Say hello in three words."


@dataclass(frozen=True, slots=True)
class Target:
    """Where to send what: ``url`` for unary/stream, the body and headers of each."""

    name: str
    unary_url: str
    stream_url: str
    unary_body: bytes
    stream_body: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Figures:
    p50_ms: float
    p99_ms: float
    rps: float
    errors: int


def openai_body(stream: bool) -> bytes:
    return json.dumps(
        {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "stream": stream}
    ).encode()


def gemini_body() -> bytes:
    return json.dumps({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}).encode()


def reference_args(mock: str) -> list[str]:
    """``python -m`` arguments of the reference proxy in front of the mock at ``mock``
    (a free port, :data:`PROXY_KEY` for clients, :data:`UPSTREAM_KEY` upstream)."""
    return [
        "reference_impl",
        "--port",
        "0",
        "--upstream-url",
        f"{mock}/v1beta",
        "--upstream-key",
        UPSTREAM_KEY,
        "--api-key",
        PROXY_KEY,
        "--log-level",
        "WARNING",
    ]


def direct(mock: str) -> Target:
    base = f"{mock}/v1beta/models/{MODEL}"
    return Target(
        "direct",
        f"{base}:generateContent",
        f"{base}:streamGenerateContent?alt=sse",
        gemini_body(),
        gemini_body(),
        {"Content-Type": "application/json", "x-goog-api-key": UPSTREAM_KEY},
    )


def openai_target(name: str, base: str, key: str) -> Target:
    url = f"{base}/v1/chat/completions"
    return Target(
        name,
        url,
        url,
        openai_body(False),
        openai_body(True),
        {"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )


# --------------------------------------------------------------------------- wrk

_LATENCY_RE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RPS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
_ERRORS_RE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _lua(body: bytes, headers: dict[str, str]) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def wrk(url: str, body: bytes, headers: dict[str, str], conns: int, seconds: float) -> Figures:
    """One ``wrk`` run; latency percentiles in milliseconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_lua(body, headers))
        script.flush()
        threads = 1 if conns == 1 else 2
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{conns}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "--timeout",
                "30s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    latency = {p: float(v) * _UNIT_MS[u] for p, v, u in _LATENCY_RE.findall(out)}
    rps = _RPS_RE.search(out)
    errors = sum(int(x) for x in (_ERRORS_RE.findall(out) or ["0"]))
    socket = _SOCKET_RE.search(out)
    if socket:
        errors += sum(int(x) for x in socket.groups())
    if rps is None or "50" not in latency:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return Figures(latency["50"], latency.get("99", latency["50"]), float(rps.group(1)), errors)


# --------------------------------------------------------------------------- TTFT


async def _ttft(target: Target, n: int) -> list[float]:
    times: list[float] = []
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(n):
            start = time.perf_counter()
            async with session.post(
                target.stream_url, data=target.stream_body, headers=target.headers
            ) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"{target.name}: HTTP {resp.status}: {await resp.text()}")
                first = None
                seen = b""
                async for chunk in resp.content.iter_any():
                    seen += chunk
                    if first is None and b"data:" in seen:
                        first = time.perf_counter()
                if first is None:
                    raise RuntimeError(f"{target.name}: no data event in the stream")
                times.append((first - start) * 1000)
    return times


def ttft(target: Target, n: int) -> tuple[float, float]:
    """p50 and p99 time to first token (ms) over ``n`` sequential streamed requests."""
    times = sorted(asyncio.run(_ttft(target, n)))
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


# --------------------------------------------------------------------------- the run


def _request(target: Target, mode: str) -> tuple[str, bytes]:
    """``(url, body)`` of ``target``'s ``unary`` or ``stream`` request."""
    if mode == "stream":
        return target.stream_url, target.stream_body
    return target.unary_url, target.unary_body


@contextmanager
def targets(args: argparse.Namespace) -> Iterator[list[Target]]:
    with ExitStack() as stack:
        mock = stack.enter_context(
            start_server(["mockserver", "--host", "127.0.0.1", "--port", "0"], "the mock")
        )
        proxy = stack.enter_context(start_server(reference_args(mock), "the reference proxy"))
        found = [direct(mock), openai_target("reference", proxy, PROXY_KEY)]
        if not args.no_litellm:
            executable = find_litellm(args.litellm)
            print(f"LiteLLM {litellm_version(executable)} (1 worker)", file=sys.stderr)
            url = stack.enter_context(litellm_proxy(mock, executable, workers=1))
            found.append(openai_target("litellm", url, LITELLM_KEY))
        yield found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per target")
    parser.add_argument("--ttft", type=int, default=200, help="streamed requests for TTFT")
    parser.add_argument("--repeat", type=int, default=1, help="wrk runs per figure (best of)")
    parser.add_argument("--litellm", help="path of the litellm executable")
    parser.add_argument("--no-litellm", action="store_true", help="skip LiteLLM")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install -y wrk)")
    rows: dict[tuple[str, str, int], Figures] = {}
    first_token: dict[str, tuple[float, float]] = {}
    with targets(args) as found:
        for mode in ("unary", "stream"):
            for target in found:
                wrk(*_request(target, mode), target.headers, 8, args.warmup)
            for conns in (1, 32):
                # interleaved (direct, reference, litellm, direct...): on a shared VM the
                # machine's speed drifts over minutes, and a ratio must compare like moments
                runs: dict[str, list[Figures]] = {t.name: [] for t in found}
                for _ in range(max(1, args.repeat)):
                    for target in found:
                        url, body = _request(target, mode)
                        runs[target.name].append(
                            wrk(url, body, target.headers, conns, args.duration)
                        )
                for name, done in runs.items():
                    rows[(name, mode, conns)] = Figures(
                        min(r.p50_ms for r in done),
                        min(r.p99_ms for r in done),
                        max(r.rps for r in done),
                        sum(r.errors for r in done),
                    )
        for target in found:
            first_token[target.name] = ttft(target, args.ttft)
    names = [t.name for t in found]
    print(
        f"\n{'target':<10} {'mode':<7} {'conc':>4} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>9} {'errors':>6}"
    )
    for name in names:
        for mode in ("unary", "stream"):
            for conns in (1, 32):
                f = rows[(name, mode, conns)]
                print(
                    f"{name:<10} {mode:<7} {conns:>4} {f.p50_ms:>8.3f} {f.p99_ms:>8.3f} "
                    f"{f.rps:>9.0f} {f.errors:>6}"
                )
    print(f"\n{'target':<10} {'TTFT p50 ms':>12} {'TTFT p99 ms':>12}")
    for name in names:
        p50, p99 = first_token[name]
        print(f"{name:<10} {p50:>12.3f} {p99:>12.3f}")
    print("\nratios (goals: issue 16)")
    verdicts: list[bool] = []

    def report(text: str, ok: bool | None) -> None:
        if ok is not None:
            verdicts.append(ok)
        print(f"  {text}  {'' if ok is None else 'PASS' if ok else 'FAIL'}".rstrip())

    for mode in ("unary", "stream"):
        ref, base = rows[("reference", mode, 1)], rows[("direct", mode, 1)]
        added = ref.p50_ms - base.p50_ms
        report(
            f"{mode}: reference adds {added:.3f} ms p50 over direct (c=1; goal <= "
            f"{GOAL_ADDED_MS} ms)",
            added <= GOAL_ADDED_MS,
        )
    ref32, base32 = rows[("reference", "unary", 32)], rows[("direct", "unary", 32)]
    factor = base32.rps / max(ref32.rps, 1e-9)
    report(
        f"unary: direct req/s = {factor:.2f}x the reference's (c=32; goal <= "
        f"{GOAL_DIRECT_FACTOR:.1f}x)",
        factor <= GOAL_DIRECT_FACTOR,
    )
    if "litellm" in names:
        for mode in ("unary", "stream"):
            for conns in (1, 32):
                ratio = rows[("reference", mode, conns)].rps / max(
                    rows[("litellm", mode, conns)].rps, 1e-9
                )
                goal = f"goal >= {GOAL_LITELLM:.0f}x" if conns == 32 else "no goal"
                report(
                    f"{mode}: reference req/s = {ratio:.1f}x LiteLLM's (c={conns}; {goal})",
                    ratio >= GOAL_LITELLM if conns == 32 else None,
                )
    ref_ttft, base_ttft = first_token["reference"][0], first_token["direct"][0]
    report(f"stream: reference adds {ref_ttft - base_ttft:.3f} ms to TTFT p50 over direct", None)
    if "litellm" in names:
        slower = first_token["litellm"][0] / ref_ttft
        report(f"stream: LiteLLM TTFT p50 is {slower:.1f}x the reference's", None)
    print(f"{sum(verdicts)}/{len(verdicts)} goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
