"""Reproduce ``reports/examples/portkey.md``: the suite against Portkey's AI gateway.

    npm --prefix .bench install @portkey-ai/gateway@1.15.2   # node >= 20
    python -m bench.portkey_report     # writes reports/examples/portkey.{md,json,html}

Portkey's gateway is a bring-your-own-key proxy: the client's key is the Gemini key,
and two header fields route each request (``x-portkey-provider: google`` and
``x-portkey-custom-host``, here the mock). The mock is started with ``--api-key`` set
to that key, so a wrong key is refused as Google refuses it; then
``conformance run --target <gateway> --mock-url <mock> --header ...`` runs in controlled
mode (``--black-box``: without ``--mock-url``, the black-box catalogue with the field
probes; not ``--live``, whose 0.5 requests/s is for a deployed proxy's quota).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from conformance.embedded import start_server

from .thirdparty import PORTKEY_VERSION, ROOT, find_portkey, portkey_gateway, suite_report

CLIENT_KEY = "portkey-client-gemini-key"
"""The key the client sends and the mock accepts (local only, not a secret)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "examples")
    parser.add_argument("--name", default="portkey")
    parser.add_argument("--black-box", action="store_true", help="no --mock-url")
    args = parser.parse_args(argv)
    script = find_portkey()
    with (
        start_server(
            ["mockserver", "--port", "0", "--api-key", CLIENT_KEY], "the mock upstream"
        ) as mock,
        portkey_gateway(script) as gateway,
    ):
        run_args = [
            "--target", gateway, "--api-key", CLIENT_KEY,
            "--header", "x-portkey-provider: google",
            "--header", f"x-portkey-custom-host: {mock}",
            "--label", f"Portkey AI gateway {PORTKEY_VERSION}",
            "--note", f"portkey={PORTKEY_VERSION} (npm @portkey-ai/gateway, node start-server.js)",
            "--note", "upstream=the mock, started with --api-key (the client's key)",
        ]  # fmt: skip
        return suite_report(run_args, mock, out=args.out, name=args.name, black_box=args.black_box)


if __name__ == "__main__":
    raise SystemExit(main())
