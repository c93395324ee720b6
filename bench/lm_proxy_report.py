"""Reproduce ``reports/examples/lm-proxy.md``: the suite against lm-proxy.

    tox -e lm-proxy --notest           # .tox/lm-proxy: llm-proxy-server + google-genai
    python -m bench.lm_proxy_report    # writes reports/examples/lm-proxy.{md,json,html}

lm-proxy (PyPI ``llm-proxy-server``) is a FastAPI proxy that holds its own Gemini key
and calls Gemini through Google's own ``google-genai`` SDK, here pointed at the mock
(``LLM_API_BASE``). Clients send a virtual key of its config. It serves chat alone, so
the run says ``--without-feature embeddings``. ``--black-box``: without ``--mock-url``,
the black-box catalogue with the field probes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.embedded import start_server

from .thirdparty import (
    LM_PROXY_KEY,
    LM_PROXY_VERSION,
    ROOT,
    find_lm_proxy,
    lm_proxy,
    suite_report,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "examples")
    parser.add_argument("--name", default="lm-proxy")
    parser.add_argument("--black-box", action="store_true", help="no --mock-url")
    parser.add_argument("--executable", help="path of llm-proxy-server")
    args = parser.parse_args(argv)
    executable = find_lm_proxy(args.executable)
    with (
        start_server(["mockserver", "--port", "0"], "the mock upstream") as mock,
        lm_proxy(mock, executable) as proxy,
    ):
        run_args = [
            "--target", proxy, "--api-key", LM_PROXY_KEY,
            "--label", f"lm-proxy {LM_PROXY_VERSION}",
            "--without-feature", "embeddings",  # a chat proxy: it has no /embeddings route
            "--note", f"lm-proxy={LM_PROXY_VERSION} (PyPI llm-proxy-server, google-genai SDK)",
            "--note", "upstream=the mock, as LLM_API_BASE of a google connection",
        ]  # fmt: skip
        return suite_report(run_args, mock, out=args.out, name=args.name, black_box=args.black_box)


if __name__ == "__main__":
    raise SystemExit(main())
