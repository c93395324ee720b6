"""``python -m bench``: list the benchmarks, what each measures, needs and how to run it.

    python -m bench                      # the list
    python -m bench NAME [ARGS...]       # run one: the same as python -m bench.NAME ARGS...

Benchmarks print figures; nothing here is asserted as a timed test. They drive the
checkout (``.bench/``, ``.tox/litellm``, ``reports/examples/``), so ``bench`` is not part
of the installed distribution: run them from a checkout (``tox -e bench`` runs this list).
Every module of ``bench/`` has an entry in :data:`BENCHES` (tests/unit/test_project.py
fails otherwise).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BENCHES", "Bench", "main", "modules"]

LITELLM = "litellm[proxy]==1.106.2 in its own venv: `tox -e litellm --notest` (.tox/litellm)"
WRK = "wrk (`apt-get install -y wrk`)"


@dataclass(frozen=True, slots=True)
class Bench:
    """One module of ``bench/``: ``command`` is ``None`` for a helper that is not run."""

    name: str
    measures: str
    needs: str
    command: str | None


BENCHES: tuple[Bench, ...] = (
    Bench(
        "sse_decoder",
        "SSE decoding throughput, events/s: spec.sse.SSEDecoder vs httpx-sse's decoder "
        "pipeline (OpenAI LF and Gemini CRLF streams, 1 KiB / 16 KiB / per-event reads)",
        "the [bench] extra (httpx-sse): pip install -e '.[bench]'",
        "python -m bench.sse_decoder [--events 5000] [--repeat 7]",
    ),
    Bench(
        "proxy_overhead",
        "latency p50/p99, requests/s and time to first token: the mock direct vs through "
        "the reference proxy vs through LiteLLM, unary and streamed, concurrency 1 and 32",
        f"{WRK}; LiteLLM optional: {LITELLM}, or --no-litellm",
        "python -m bench.proxy_overhead [--duration 5] [--warmup 1] [--ttft 200] "
        "[--litellm PATH] [--no-litellm]",
    ),
    Bench(
        "reference_ab",
        "the reference proxy at a base commit vs this checkout in front of one mock, runs "
        "interleaved: requests/s, p50 and the proxy's CPU per request (from /proc)",
        f"{WRK}; Linux (/proc, ss); a source tree of the base: `git worktree add DIR REV`",
        "python -m bench.reference_ab --base DIR [--runs 7] [--seconds 3] "
        "[--concurrency 32] [--stream]",
    ),
    Bench(
        "mock_throughput",
        "mock server throughput, requests/s and SSE events/s: our mock vs the npm "
        "@copilotkit/aimock mock, Gemini and OpenAI-compatible endpoints, like for like",
        f"{WRK}; node >= 20 and npm @copilotkit/aimock in .bench/: "
        "`mkdir -p .bench && npm --prefix .bench install @copilotkit/aimock`; "
        "taskset (util-linux) to pin server and wrk to CPUs 0 and 1 when there are two",
        "python -m bench.mock_throughput [--duration 5] [--repeat 1] [--concurrency 1 16 64]",
    ),
    Bench(
        "soak",
        "reliability under load, as figures: 1,000 paced streams at once byte-identical to "
        "their solo runs, 200 concurrent unary clients (req/s, errors, p50/p99), the "
        "reference's RSS over 120,000 requests",
        "nothing beyond the project",
        "python -m bench.soak [--streams 1000] [--concurrency 200] [--duration 60] "
        "[--requests 120000] [--rss-every 10000]",
    ),
    Bench(
        "litellm_report",
        "not a timing: the conformance suite against LiteLLM proxy in front of the mock "
        "(controlled mode); writes reports/examples/litellm.{md,json,html}",
        LITELLM,
        "python -m bench.litellm_report [--litellm PATH] [--profile openai-core] "
        "[--out reports/examples] [--name litellm]",
    ),
    Bench(
        "portkey_report",
        "not a timing: the conformance suite against Portkey's AI gateway (bring-your-own-"
        "key, routed by header fields) in front of the mock; writes "
        "reports/examples/portkey.{md,json,html}",
        "node >= 20; npm --prefix .bench install @portkey-ai/gateway@1.15.2",
        "python -m bench.portkey_report [--black-box] [--out reports/examples] [--name portkey]",
    ),
    Bench(
        "lm_proxy_report",
        "not a timing: the conformance suite against lm-proxy (PyPI llm-proxy-server: "
        "FastAPI, Google's google-genai SDK upstream) in front of the mock; writes "
        "reports/examples/lm-proxy.{md,json,html}",
        "llm-proxy-server==3.3.2 and google-genai in their own venv: "
        "`tox -e lm-proxy --notest` (.tox/lm-proxy)",
        "python -m bench.lm_proxy_report [--black-box] [--executable PATH] "
        "[--out reports/examples] [--name lm-proxy]",
    ),
    Bench(
        "example_reports",
        "not a timing: regenerates reports/examples/: the reference proxy under every "
        "profile, LiteLLM (skipped, saying so, without it) and matrix.{md,html}",
        f"nothing beyond the project; LiteLLM optional: {LITELLM}",
        "python -m bench.example_reports [--out reports/examples]",
    ),
    Bench(
        "thirdparty",
        "helper, not a benchmark: starts LiteLLM proxy (offline, one worker, 127.0.0.1), "
        "Portkey's gateway or lm-proxy in front of the mock for litellm_report, "
        "portkey_report, lm_proxy_report and proxy_overhead; runs the suite into "
        "reports/examples",
        LITELLM,
        None,
    ),
)


def modules() -> list[str]:
    """The modules of ``bench/`` (``__main__`` left out), sorted."""
    here = [str(Path(__file__).resolve().parent)]
    return sorted(m.name for m in pkgutil.iter_modules(here) if m.name != "__main__")


def listing() -> str:
    """The text ``python -m bench`` prints."""
    lines = [
        "Benchmarks in bench/ (figures are printed, never asserted; run from a checkout).",
        "Run one with the command shown, or `python -m bench NAME [ARGS...]`.",
        "",
    ]
    known = {b.name for b in BENCHES}
    for bench in BENCHES:
        lines.append(f"{bench.name}: {bench.measures}")
        lines.append(f"    needs: {bench.needs}")
        lines.append(f"    run:   {bench.command or '(helper module, nothing to run)'}")
        lines.append("")
    for name in modules():
        if name not in known:
            lines.append(f"{name}: (no entry in bench/__main__.py)")
            lines.append(f"    run:   python -m bench.{name} --help")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    runnable = [b.name for b in BENCHES if b.command is not None]
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="List the benchmarks, or run one: python -m bench NAME [ARGS...].",
    )
    parser.add_argument(
        "name", nargs="?", choices=runnable, metavar="NAME", help=", ".join(runnable)
    )
    parser.add_argument(
        "args", nargs=argparse.REMAINDER, help="arguments for the benchmark (its --help)"
    )
    args = parser.parse_args(argv)
    if args.name is None:
        sys.stdout.write(listing())
        return 0
    module = importlib.import_module(f"bench.{args.name}")
    sys.argv[0] = f"python -m bench.{args.name}"
    code = module.main(list(args.args))
    return int(code or 0)


if __name__ == "__main__":
    raise SystemExit(main())
