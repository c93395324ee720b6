"""Captures as a conformance input, end to end (docs/captures.md): the reference proxy in
front of the mock passes the differential check of every bundled capture; the same proxy
behind a pass-through that loses tool-call arguments fails the checks of the tool-call
captures, naming the capture and the difference; ``conformance run --captures DIR`` adds
a directory's captures (the embedded mock replays them) and refuses a name clash."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.probes.captures import CAPTURES, EXPECTATIONS
from conformance.runner import SuiteRun, run_suite
from conformance.target import Target
from spec.capture_format import BUNDLED
from spec.profiles import get_profile
from tests.capture_edges import write_edge_captures
from tests.servers import mock_and_reference, serve
from tests.zoo import Mutation, chunk_json, mutating_proxy

KEY = "sk-captures"
TOOL_CAPTURES = {name for name, e in EXPECTATIONS.items() if e.tools}
"""The bundled captures that call tools (a pass-through losing arguments fails these)."""
assert {
    "google-stream-no-args-tool-call",
    "google-stream-tool-call-arguments",
    "google-tool-call",
    "google-tool-call-gemini3",
    "mirascope-parallel-tool-calls-stream.0",
} <= TOOL_CAPTURES


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with mock_and_reference(KEY, "capture-key-1") as upstreams:
        yield upstreams


def run(url: str, mock: str) -> SuiteRun:
    target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
    return run_suite(target, select=["captures."])


def outcomes(result: SuiteRun) -> dict[str, tuple[str, str]]:
    return {r.check_id: (r.outcome.value, r.message) for r in result.records}


def test_one_result_per_bundled_capture_and_the_reference_passes_them(
    upstreams: tuple[str, str],
) -> None:
    proxy, mock = upstreams
    got = outcomes(run(proxy, mock))
    assert set(got) == {f"captures.{name}" for name in CAPTURES}
    assert {n.removeprefix("captures.") for n in got} >= TOOL_CAPTURES | {"google-text"}
    failing = {k: v for k, v in got.items() if v[0] != "passed"}
    assert failing == {}


def _drop_arguments(chunk: dict[str, Any]) -> dict[str, Any]:
    for choice in chunk.get("choices", ()):
        for call in (choice.get("delta") or {}).get("tool_calls") or ():
            if "arguments" in (call.get("function") or {}):
                call["function"]["arguments"] = ""
    return chunk


def _drop_unary_arguments(status: int, body: Any) -> tuple[int, Any]:
    if isinstance(body, dict):
        for choice in body.get("choices", ()):
            for call in (choice.get("message") or {}).get("tool_calls") or ():
                call["function"]["arguments"] = "{}"
    return status, body


LOSES_ARGUMENTS = Mutation(
    "tool-call arguments dropped", event=chunk_json(_drop_arguments), json=_drop_unary_arguments
)


def test_a_proxy_that_loses_tool_arguments_fails_naming_capture_and_difference(
    upstreams: tuple[str, str],
) -> None:
    proxy, mock = upstreams
    with serve(mutating_proxy(proxy, LOSES_ARGUMENTS)) as url:
        result = run(url, mock)
    got = outcomes(result)
    failed = {k for k, (outcome, _) in got.items() if outcome == "failed"}
    assert failed == {f"captures.{name}" for name in TOOL_CAPTURES}
    message = got["captures.google-stream-tool-call-arguments"][1]
    assert message.startswith("capture google-stream-tool-call-arguments: streamed: ")
    assert 'tool_calls[0].arguments: expected {"location": "Boston"}, got ""' in message
    assert 'unary: tool_calls[0].arguments: expected {"location": "Boston"}, got {}' in message
    record = next(
        r for r in result.records if r.check_id == "captures.google-stream-tool-call-arguments"
    )
    assert record.severity == "high"
    assert record.evidence is not None
    assert record.evidence.excerpt is not None
    shown = record.evidence.excerpt
    for part in (
        "--- capture ---",
        "--- expected (openai-python) ---",
        "--- got (openai-python) ---",
    ):
        assert part in shown
    assert "partialArgs" in shown  # the capture's own chunks, next to expected and got


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _nested_args_capture(directory: Path) -> None:
    """A streamed-arguments capture of the project's own: nested paths, a number, a
    boolean, a string in three pieces (the rules of docs/captures.md)."""
    sig = "c2ln"

    def part(fc: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "candidates": [{"content": {"role": "model", "parts": [{"functionCall": fc}]}, **extra}]
        }

    chunks = [
        part({"name": "book", "willContinue": True}),
        part(
            {
                "partialArgs": [
                    {"jsonPath": "$.trip.city", "stringValue": "New ", "willContinue": True},
                    {"jsonPath": "$.trip.nights", "numberValue": 3},
                ],
                "willContinue": True,
            }
        ),
        part(
            {
                "partialArgs": [
                    {"jsonPath": "$.trip.city", "stringValue": "York", "willContinue": True},
                    {"jsonPath": "$.trip.city", "stringValue": ""},
                    {"jsonPath": "$.refundable", "boolValue": True},
                ],
                "willContinue": True,
            }
        ),
        part({}, finishReason="STOP"),
    ]
    chunks[0]["candidates"][0]["content"]["parts"][0]["thoughtSignature"] = sig
    chunks[-1]["usageMetadata"] = {
        "promptTokenCount": 10,
        "candidatesTokenCount": 8,
        "thoughtsTokenCount": 4,
        "totalTokenCount": 22,
    }
    text = "\n".join(json.dumps(c) for c in chunks) + "\n"
    (directory / "project-nested-args.chunks.txt").write_text(text)


@pytest.mark.slow
def test_cli_captures_dir_adds_its_captures_to_the_embedded_run(tmp_path: Path) -> None:
    captures = tmp_path / "captures"
    captures.mkdir()
    _nested_args_capture(captures)
    # a recording tool's file of two exchanges, and a test's notes (no answer in it)
    answer = json.loads((BUNDLED / "google-text.json").read_text())
    quota = {"error": {"code": 400, "message": "Thinking level MINIMAL is not supported.",
                       "status": "INVALID_ARGUMENT"}}  # fmt: skip
    tried = {"low": {"status": 200, "body": answer}, "minimal": {"status": 400, "body": quota}}
    (captures / "levels.json").write_text(json.dumps(tried))
    (captures / "notes.json").write_text(json.dumps({"issue": 1, "expected": "OK"}))
    out = tmp_path / "out"
    done = cli("run", "-q", "--check", "captures.", "--captures", str(captures), "--out", str(out))
    payload = json.loads((out / "report.json").read_text())
    results = {r["check_id"]: r for r in payload["results"]}
    for name in ("project-nested-args", "levels.low", "levels.minimal"):
        assert results[f"captures.{name}"]["outcome"] == "passed", results[f"captures.{name}"]
    assert "captures.notes" not in results
    notes = payload["run"]["notes"]
    assert notes["captures skipped"].startswith("notes.json: not a recorded Gemini answer")
    assert {f"captures.{n}" for n in TOOL_CAPTURES} <= set(results)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_reference_passes_answer_shapes_the_corpus_lacks(tmp_path: Path) -> None:
    """Grounding, code execution, empty content, newer finish reasons, tool-use tokens,
    an image part, logprobs, 5xx and suspended-key errors, a prompt block...: every
    reading a client is served by passes (tests/capture_edges.py)."""
    captures = tmp_path / "captures"
    captures.mkdir()
    names = write_edge_captures(captures)
    out = tmp_path / "out"
    done = cli("run", "-q", "--check", "captures.", "--captures", str(captures), "--out", str(out))
    results = {r["check_id"]: r for r in json.loads((out / "report.json").read_text())["results"]}
    got = {n: results[f"captures.{n}"]["outcome"] for n in names}
    assert got == dict.fromkeys(names, "passed"), {
        n: results[f"captures.{n}"]["message"] for n, o in got.items() if o != "passed"
    }
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_a_newer_recording_under_a_bundled_name_replaces_it(tmp_path: Path) -> None:
    """The directory's capture wins in the suite as in the mock: a newer snapshot of a
    public fixture must not stop the run, and is judged as what it now holds."""
    newer = {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "newer"}]}, "finishReason": "STOP"}
        ]
    }
    captures = tmp_path / "captures"
    captures.mkdir()
    (captures / "google-text.json").write_text(json.dumps(newer))
    out = tmp_path / "out"
    done = cli("run", "--check", "captures.google-text", "--captures", str(captures),
               "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--captures: google-text replaces the bundled capture of that name" in done.stderr
    payload = json.loads((out / "report.json").read_text())
    (result,) = [r for r in payload["results"] if r["check_id"] == "captures.google-text"]
    # passed: the mock replayed "newer" and the suite expected it (the bundled text
    # against the newer answer, either way round, would differ)
    assert result["outcome"] == "passed", result
    assert payload["run"]["notes"]["captures replacing bundled ones"] == "google-text"
    assert (BUNDLED / "google-text.json").is_file()
