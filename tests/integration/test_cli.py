"""The main job end to end: ``conformance run`` (embedded: the mock and the reference as
subprocesses) passes every check and writes the four reports; bad input gets one clear
line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def conformance(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
def test_embedded_run_passes_and_writes_every_report(tmp_path: Path) -> None:
    done = conformance("run", "-q", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PASS: every applicable check passes")
    for name in ("report.json", "report.md", "report.html", "junit.xml"):
        assert (tmp_path / name).stat().st_size > 0
    payload = json.loads((tmp_path / "report.json").read_text())
    outcomes = {r["outcome"] for r in payload["results"]}
    assert outcomes <= {"passed", "skipped"}
    assert sum(r["outcome"] == "passed" for r in payload["results"]) > 90
    assert "sk-conformance-embedded" not in (tmp_path / "report.md").read_text()
    matrix = conformance("matrix", str(tmp_path / "report.json"), "--out", str(tmp_path))
    assert matrix.returncode == 0, matrix.stderr
    assert (tmp_path / "matrix.md").read_text().startswith("# Conformance matrix")


def test_unreachable_target_is_one_clear_line() -> None:
    done = conformance("run", "--target", "http://127.0.0.1:9", "--api-key", "k")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: cannot reach the target at http://127.0.0.1:9: Connection refused"
    ]


def test_wrong_flag_and_bad_values_exit_2() -> None:
    assert conformance("run", "--bogus").returncode == 2
    bad = conformance("run", "--target", "ftp://x", "--api-key", "k")
    assert bad.returncode == 2
    assert "must be an http(s) URL" in bad.stderr
    note = conformance("run", "--note", "oops")
    assert note.returncode == 2
    assert "KEY=VALUE" in note.stderr


def test_checks_lists_the_catalogue() -> None:
    done = conformance("checks")
    assert done.returncode == 0
    assert "stream.done_terminator" in done.stdout


@pytest.mark.slow
def test_feature_flag_claims_what_the_profile_does_not(tmp_path: Path) -> None:
    """openai-core does not claim images/tts; --feature adds them, and the documented
    examples (OpenAI's dall-e-3 request, the mp3 speech default) pass against the
    reference. An unknown feature is a usage error."""
    done = conformance(
        "run", "-q", "--feature", "images", "--feature", "tts",
        "--check", "contract.openai-core.", "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads((tmp_path / "report.json").read_text())
    outcomes = {r["check_id"]: r["outcome"] for r in payload["results"]}
    assert outcomes["contract.openai-core.createSpeech"] == "passed"
    assert outcomes["contract.openai-core.createImage"] == "passed"
    assert conformance("run", "--feature", "telepathy").returncode == 2


@pytest.mark.slow
def test_without_feature_skips_what_the_target_does_not_serve(tmp_path: Path) -> None:
    done = conformance(
        "run", "-q", "--without-feature", "embeddings", "--check", "embeddings.",
        "--check", "chat.completion_shape", "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads((tmp_path / "report.json").read_text())
    results = {r["check_id"]: r for r in payload["results"]}
    assert results["chat.completion_shape"]["outcome"] == "passed"
    shape = results["embeddings.shape"]
    assert shape["outcome"] == "skipped"
    assert shape["message"] == "the target does not serve embeddings (--without-feature)"
    header = (tmp_path / "report.md").read_text().split("## ", 1)[0]
    assert "features left out with --without-feature: embeddings" in header
    both = conformance("run", "--feature", "tools", "--without-feature", "tools")
    assert both.returncode == 2
    assert "both claimed and left out" in both.stderr + both.stdout
