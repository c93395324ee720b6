"""Regenerate ``reports/examples/``: the reference proxy under every profile (embedded
runs), LiteLLM proxy (``bench.litellm_report``) and the matrix of all of them.

    tox -e litellm --notest            # LiteLLM in a virtual environment of its own
    python -m bench.example_reports    # writes reports/examples/*

Skips LiteLLM (saying so) when no ``litellm`` executable is found.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from spec.profiles import PROFILES

from . import litellm_report
from .thirdparty import ROOT, find_litellm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "examples")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    reports: list[Path] = []
    for profile in PROFILES:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "-q",
                "--profile",
                profile,
                "--label",
                f"reference ({profile})",
                "--out",
                tmp,
            ]
            code = subprocess.run(cmd, check=False).returncode
            if code not in (0, 1):
                print(f"reference run for {profile} failed with exit code {code}")
                return code
            name = f"reference-{profile}"
            shutil.copy(Path(tmp) / "report.json", out / f"{name}.json")
            shutil.copy(Path(tmp) / "report.md", out / f"{name}.md")
            reports.append(out / f"{name}.json")
    try:
        find_litellm()
    except FileNotFoundError as exc:
        print(f"skipping LiteLLM: {exc}")
    else:
        litellm_report.main(["--out", str(out)])
        reports.append(out / "litellm.json")
    cmd = [sys.executable, "-m", "conformance.cli", "matrix", *map(str, reports), "--out", str(out)]
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
