"""Reproduce ``reports/examples/litellm.md``: the suite against LiteLLM proxy, controlled.

    tox -e litellm --notest            # LiteLLM in a virtual environment of its own
    python -m bench.litellm_report     # writes reports/examples/litellm.{md,json}

Starts the mock (``python -m mockserver``), LiteLLM with the config from
``bench.thirdparty.litellm_config`` (its ``api_base`` is the mock), then runs
``conformance run --target <litellm> --mock-url <mock>`` and copies the reports.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from conformance.embedded import start_server

from .thirdparty import (
    LITELLM_KEY,
    ROOT,
    find_litellm,
    litellm_config,
    litellm_proxy,
    litellm_version,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--litellm", help="path of the litellm executable")
    parser.add_argument("--profile", default="openai-core")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "examples")
    parser.add_argument("--name", default="litellm")
    args = parser.parse_args(argv)
    executable = find_litellm(args.litellm)
    version = litellm_version(executable)
    with (
        start_server(["mockserver", "--port", "0"], "the mock upstream") as mock,
        litellm_proxy(mock, executable, spare_key=True) as proxy,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = litellm_config("http://127.0.0.1:MOCK_PORT", spare_key=True)
        config = config.strip().replace("\n", "; ")
        cmd = [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "--target",
            proxy,
            "--api-key",
            LITELLM_KEY,
            "--mock-url",
            mock,
            "--profile",
            args.profile,
            "--label",
            f"LiteLLM proxy {version}",
            "--note",
            f"litellm={version}",
            "--note",
            "litellm config=" + config,
            "--note",
            "litellm env=LITELLM_LOCAL_MODEL_COST_MAP=True, 1 worker, no database",
            "--out",
            tmp,
        ]
        code = subprocess.run(cmd, check=False).returncode
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(tmp) / "report.md", args.out / f"{args.name}.md")
        shutil.copy(Path(tmp) / "report.json", args.out / f"{args.name}.json")
        shutil.copy(Path(tmp) / "report.html", args.out / f"{args.name}.html")
    print(f"wrote {args.out / (args.name + '.md')} (suite exit code {code})")
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    raise SystemExit(main())
