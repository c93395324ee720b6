"""The project's own promises: the README's quick start matches CI, the dependency rule
holds (import-linter), and every check names its source."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def quickstart() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"## Quick start\n.*?```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no '## Quick start' sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quickstart()
    assert len(commands) == 2
    assert "conformance run" in commands[0]
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert (
        commands[1]
        .replace("pip install", "python -m pip install")
        .replace("&& pytest", "&& python -m pytest")
        in ci
    )


def test_dependency_rule_holds() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_check_names_a_source_and_a_client_facing_title() -> None:
    for spec in REGISTRY.values():
        assert spec.source.strip(), spec.id
        assert len(spec.title) > 20, spec.id
        assert spec.probes, spec.id
