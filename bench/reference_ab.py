"""The reference proxy at two commits, side by side: requests/s, p50 and CPU per request.

On a shared VM requests/s moves by +-15% between runs of the same code, so a change to
the proxy's hot path is measured as an A/B: one mock, the proxy of a base checkout (a
``git worktree`` of the base commit) and the proxy of this checkout in front of it, runs
interleaved (direct, base, this, direct, base, this...), each figure read per run. The
proxy's CPU per request (user + system from ``/proc/PID/stat`` over a ``wrk`` run,
microseconds) moves less than requests/s; the ``this/base`` column is per run, its
median the figure to quote. Linux only (``/proc``), and ``wrk``.

    git worktree add /tmp/base HEAD~3
    python -m bench.reference_ab --base /tmp/base [--runs 7] [--seconds 3]
        [--concurrency 32] [--stream]

The base checkout runs with ``PYTHONPATH`` set to it, so it must be a source tree of
this project (its own ``reference_impl`` is imported, not the installed one).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from conformance.embedded import start_server

from .proxy_overhead import PROXY_KEY, Target, _lua, direct, openai_target, reference_args

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_P50_RE = re.compile(r"^\s*50%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RPS_RE = re.compile(r"Requests/sec:\s+([\d.]+)")
_COUNT_RE = re.compile(r"(\d+) requests in")
_UNIT_US = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}


@dataclass(frozen=True, slots=True)
class Run:
    """One wrk run: requests/s, p50 (us) and the server's CPU per request (us)."""

    rps: float
    p50_us: float
    cpu_us: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (seconds), from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def listening_pid(url: str) -> int:
    """The process listening on ``url``'s port (``ss``, iproute2)."""
    port = url.rsplit(":", 1)[1].strip("/")
    out = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"pid=(\d+)", out)
    if found is None:
        raise RuntimeError(f"no process found listening on port {port}")
    return int(found.group(1))


def _wrk_args(conns: int, seconds: int) -> list[str]:
    return ["wrk", f"-t{1 if conns == 1 else 2}", f"-c{conns}", f"-d{seconds}s", "--latency"]


def run(target: Target, pid: int, *, stream: bool, conns: int, seconds: int) -> Run:
    """One ``wrk`` run against ``target`` while reading ``pid``'s CPU time."""
    url = target.stream_url if stream else target.unary_url
    body = target.stream_body if stream else target.unary_body
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_lua(body, target.headers))
        script.flush()
        before = cpu_seconds(pid)
        out = subprocess.run(
            [*_wrk_args(conns, seconds), "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        used = cpu_seconds(pid) - before
    rps, count, p50 = _RPS_RE.search(out), _COUNT_RE.search(out), _P50_RE.search(out)
    if rps is None or count is None or p50 is None or not int(count.group(1)):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return Run(
        float(rps.group(1)),
        float(p50.group(1)) * _UNIT_US[p50.group(2)],
        used / int(count.group(1)) * 1e6,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, type=Path, help="source tree of the base")
    parser.add_argument("--runs", type=int, default=7, help="interleaved runs per target")
    parser.add_argument("--seconds", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--stream", action="store_true", help="streamed chat completions")
    args = parser.parse_args(argv)
    if not (args.base / "reference_impl").is_dir():
        parser.error(f"{args.base} holds no reference_impl/ (a checkout of this project?)")
    here = Path(__file__).resolve().parent.parent
    results: dict[str, list[Run]] = {}
    with ExitStack() as stack:
        mock = stack.enter_context(
            start_server(["mockserver", "--host", "127.0.0.1", "--port", "0"], "the mock")
        )
        targets: dict[str, tuple[Target, int]] = {"direct": (direct(mock), listening_pid(mock))}
        saved = os.environ.get("PYTHONPATH")
        for name, root in (("base", args.base.resolve()), ("this", here)):
            os.environ["PYTHONPATH"] = str(root)
            proxy = stack.enter_context(
                start_server(reference_args(mock), f"the reference proxy ({name})")
            )
            targets[name] = (openai_target(name, proxy, PROXY_KEY), listening_pid(proxy))
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        opts = {"stream": args.stream, "conns": args.concurrency}
        for target, pid in targets.values():  # warm-up
            run(target, pid, seconds=1, **opts)
        for _ in range(args.runs):
            for name, (target, pid) in targets.items():
                results.setdefault(name, []).append(run(target, pid, seconds=args.seconds, **opts))
    mode = "stream" if args.stream else "unary"
    runs_of = f"{args.runs} interleaved runs of {args.seconds} s"
    print(f"{mode}, concurrency {args.concurrency}, {runs_of}")
    print(f"{'target':8} {'req/s best':>10} {'median':>8} {'p50 us':>8} {'CPU us/req':>11}")
    for name, runs in results.items():
        print(
            f"{name:8} {max(r.rps for r in runs):10,.0f} "
            f"{statistics.median(r.rps for r in runs):8,.0f} "
            f"{statistics.median(r.p50_us for r in runs):8,.0f} "
            f"{statistics.median(r.cpu_us for r in runs):11,.1f}"
        )
    ratios = [t.cpu_us / b.cpu_us for t, b in zip(results["this"], results["base"], strict=True)]
    print(
        f"CPU per request, this/base per run: {' '.join(f'{r:.2f}' for r in sorted(ratios))}"
        f" (median {statistics.median(ratios):.3f}; below 1 is cheaper)"
    )
    best = max(r.rps for r in results["direct"]) / max(r.rps for r in results["this"])
    print(f"direct/this, best req/s: {best:.2f}x (issue 16 goal: <= 2.0x at concurrency 32)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
