"""Soak: the reference proxy in front of the mock under sustained and concurrent load.

Keeps the reliability audit's findings measurable (issue 15): what must hold, printed as
figures, never asserted as timed tests.

- ``streams``: ``--streams`` paced streams (the mock's ``chunk_ms``) open at once, each
  with its own prompt seed; every body must be byte-identical (ids and timestamps aside)
  to the same request sent alone: no cross-talk, no lost or reordered events.
- ``unary``: ``--concurrency`` clients sending unary chat requests for ``--duration``
  seconds: requests/s, errors (any non-200), p50/p99 latency.
- ``memory``: the reference's resident set size (RSS, from ``/proc``) sampled every
  ``--rss-every`` requests over ``--requests`` sequential requests: it must stay flat.

    python -m bench.soak [--streams 1000] [--concurrency 200] [--duration 60]
                         [--requests 120000] [--rss-every 10000]

Defaults are the audit's figures; a quick look: ``--streams 100 --duration 5
--requests 5000``. Loopback only: it starts its own mock and reference.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from pathlib import Path

import aiohttp

from conformance.embedded import EMBEDDED_KEY, embedded

_VOLATILE = re.compile(rb'"(id|created|system_fingerprint)":\s*("[^"]*"|\d+)')
"""Fields that differ between two runs of the same request (masked before comparing)."""


def _body(seed: int, stream: bool) -> dict[str, object]:
    text = f"Tell me something. [[mock:seed={seed} chunks=6 chunk_ms=20]]"
    return {
        "model": "gemini-2.5-flash",
        "messages": [{"role": "user", "content": text}],
        "stream": stream,
    }


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, object]) -> bytes:
    async with session.post(url, json=body) as response:
        data = await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
        return data


def _mask(data: bytes) -> bytes:
    return _VOLATILE.sub(rb'"\1": 0', data)


async def streams(url: str, count: int) -> None:
    headers = {"Authorization": f"Bearer {EMBEDDED_KEY}"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        solo = {}
        for seed in range(min(count, 20)):  # the distinct answers, each sent alone
            solo[seed] = _mask(await _post(session, url, _body(seed, True)))
        started = time.perf_counter()
        results = await asyncio.gather(
            *(_post(session, url, _body(i % len(solo), True)) for i in range(count)),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    mismatched = sum(
        1 for i, r in enumerate(results) if isinstance(r, bytes) and _mask(r) != solo[i % len(solo)]
    )
    print(
        f"streams: {count} at once in {elapsed:.2f} s; errors {len(errors)}; "
        f"bodies different from the solo run {mismatched}"
        + (f"; first error: {errors[0]}" if errors else "")
    )


async def unary(url: str, concurrency: int, duration: float) -> None:
    headers = {"Authorization": f"Bearer {EMBEDDED_KEY}"}
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def client(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await _post(session, url, _body(n, False))
            except (RuntimeError, aiohttp.ClientError):
                errors += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        await asyncio.gather(*(client(session, n) for n in range(concurrency)))
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0
    print(
        f"unary: {concurrency} clients for {duration:g} s: {len(latencies) / duration:,.0f} "
        f"req/s; errors {errors}; p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms"
    )


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def memory(url: str, pid: int, requests: int, every: int) -> None:
    headers = {"Authorization": f"Bearer {EMBEDDED_KEY}"}
    samples = [(0, _rss_mib(pid))]
    async with aiohttp.ClientSession(headers=headers) as session:
        for i in range(1, requests + 1):
            await _post(session, url, _body(i % 50, i % 2 == 0))
            if i % every == 0:
                samples.append((i, _rss_mib(pid)))
    shown = ", ".join(f"{n}: {mib:.1f}" for n, mib in samples)
    growth = samples[-1][1] - samples[1][1] if len(samples) > 2 else float("nan")
    print(
        f"memory: reference RSS MiB after N requests: {shown}; growth after warm-up "
        f"{growth:+.1f} MiB"
    )


def _proxy_pid(port: int) -> int:
    """The pid listening on ``port`` (from ``/proc/net/tcp`` and the fds)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = fd.readlink().as_posix()
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    raise RuntimeError(f"no process listens on port {port}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--requests", type=int, default=120_000)
    parser.add_argument("--rss-every", type=int, default=10_000)
    args = parser.parse_args(argv)
    with embedded() as pair:
        url = f"{pair.proxy_url}/v1/chat/completions"
        pid = _proxy_pid(int(pair.proxy_url.rsplit(":", 1)[1]))
        asyncio.run(streams(url, args.streams))
        asyncio.run(unary(url, args.concurrency, args.duration))
        asyncio.run(memory(url, pid, args.requests, min(args.rss_every, args.requests)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
