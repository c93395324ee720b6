"""The project's own promises: the README's quick start matches CI, the dependency rule
holds (import-linter), every check names its source, ``python -m bench`` lists every
benchmark, LiteLLM is pinned to the example report's version, and the servers refuse a
port in use with one line and exit 2."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHES, listing, modules
from bench.__main__ import main as bench_main
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


def test_ci_installs_the_built_wheel_and_runs_outside_the_checkout() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    tail = ci[ci.index("&& python -m pytest") :]
    assert "python -m build" in tail
    assert re.search(r"pip install -q \S*\*\.whl", tail)
    assert re.search(r"conformance\"? run -q --out", tail)


def test_python_m_bench_lists_every_module_with_what_it_needs_and_its_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = modules()
    assert {"sse_decoder", "proxy_overhead", "mock_throughput", "thirdparty"} <= set(names)
    entries = {bench.name: bench for bench in BENCHES}
    assert sorted(entries) == names, "every module of bench/ needs an entry in bench/__main__"
    assert bench_main([]) == 0
    out = capsys.readouterr().out
    assert out == listing()
    for name, bench in entries.items():
        assert f"\n{name}: " in "\n" + out
        assert bench.measures
        assert bench.needs
        if bench.command is not None:
            assert bench.command.startswith(f"python -m bench.{name}")
            assert bench.command in out
    assert "no entry" not in out


@pytest.mark.parametrize("name", [b.name for b in BENCHES if b.command is not None])
def test_python_m_bench_name_dispatches_to_the_module(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench"])
    with pytest.raises(SystemExit) as stopped:
        bench_main([name, "--help"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m bench.{name} ")


def test_python_m_bench_runs_a_benchmark_by_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench"])
    pytest.importorskip("httpx_sse", reason="the [bench] extra is not installed")
    assert bench_main(["sse_decoder", "--events", "20", "--repeat", "1"]) == 0
    assert "geometric mean" in capsys.readouterr().out


def test_litellm_is_pinned_to_the_version_of_the_example_report() -> None:
    report = (ROOT / "reports" / "examples" / "litellm.md").read_text("utf-8")
    found = re.search(r"LiteLLM proxy (\d+\.\d+\.\d+)", report)
    assert found
    pin = f"litellm[proxy]=={found.group(1)}"
    assert pin in (ROOT / "tox.ini").read_text("utf-8")
    assert all(pin in b.needs for b in BENCHES if "litellm" in b.name)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["-m", "mockserver"], "mockserver"),
        (["-m", "reference_impl", "--upstream-key", "k"], "reference-proxy"),
    ],
)
def test_a_port_in_use_is_one_line_and_exit_2(argv: list[str], prog: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, *argv, "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": ""},
        )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{prog}: cannot listen on 127.0.0.1:{port}: address already in use"
    ]
