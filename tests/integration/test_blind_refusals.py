"""A refusal is a failure, not a skip (issue 12 item 4), end to end.

The reference proxy (in front of the mock) behind a gate that refuses one standard
request the way real proxies did: LiteLLM's 400 to ``encoding_format: "base64"`` (what
openai-python's ``embeddings.create()`` sends by default), a 422/400 to ``tool_choice``
``"required"`` or a named function. The check that owns the probe's status fails with
the refusal (status and body) as evidence; the reference itself passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.runner import SuiteRun, run_suite
from conformance.target import Target
from reports.records import ResultRecord
from spec.profiles import get_profile
from tests.gate import Gate, Refusal, gated_proxy
from tests.servers import mock_and_reference, serve

pytestmark = pytest.mark.slow

KEY = "sk-refusals"
SELECT = ["embeddings.", "tools.tool_choice", "tools.call_shape", "tools.stream_index"]


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with mock_and_reference(KEY) as upstreams:
        yield upstreams


def run(upstreams: tuple[str, str], gate: Gate) -> dict[str, ResultRecord]:
    proxy, mock = upstreams
    with serve(gated_proxy(proxy, gate)) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        result: SuiteRun = run_suite(target, select=SELECT)
    return {r.check_id: r for r in result.records}


def _error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": "400"}}


def refuse_base64(path: str, body: Any) -> Refusal | None:
    base64 = isinstance(body, dict) and body.get("encoding_format") == "base64"
    if path.endswith("/embeddings") and base64:
        return 400, _error(
            "litellm.BadRequestError: VertexAIException - encoding_format base64 is not supported"
        )
    return None


def refuse_forced_tools(path: str, body: Any) -> Refusal | None:
    if path.endswith("/chat/completions") and isinstance(body, dict):
        choice = body.get("tool_choice")
        if choice == "required":
            return 400, _error("tool_choice 'required' is not supported")
        if isinstance(choice, dict):
            return 422, {"detail": [{"loc": ["body", "tool_choice"], "msg": "str type expected"}]}
    return None


def test_the_reference_passes(upstreams: tuple[str, str]) -> None:
    records = run(upstreams, lambda path, body: None)
    bad = {k: r.message for k, r in records.items() if r.outcome.value in ("failed", "error")}
    assert bad == {}
    assert records["embeddings.base64"].outcome.value == "passed"
    for name in ("tools.tool_choice_required", "tools.tool_choice_named"):
        assert records[name].outcome.value == "passed", records[name].message


def test_a_refused_base64_embedding_fails(upstreams: tuple[str, str]) -> None:
    records = run(upstreams, refuse_base64)
    record = records["embeddings.base64"]
    assert record.outcome.value == "failed", record.message
    assert "HTTP 400" in record.message
    assert "'float' got 200" in record.message
    assert record.evidence is not None
    assert record.evidence.excerpt is not None
    assert "encoding_format base64 is not supported" in record.evidence.excerpt
    assert record.evidence.request is not None
    assert record.evidence.request["body"]["encoding_format"] == "base64"
    # the float request was answered: its checks still pass, and nothing else is blamed
    assert records["embeddings.shape"].outcome.value == "passed"
    assert records["embeddings.dimensions"].outcome.value == "passed"
    failed = {k for k, r in records.items() if r.outcome.value in ("failed", "error")}
    assert failed == {"embeddings.base64"}


def test_refused_tool_choice_fails_once_with_the_refusal(upstreams: tuple[str, str]) -> None:
    records = run(upstreams, refuse_forced_tools)
    record = records["tools.tool_choice_required"]
    assert record.outcome.value == "failed", record.message
    assert 'tool_choice "required"' in record.message
    assert "HTTP 400" in record.message
    assert "the upstream was never called: the proxy refused the request itself" in record.message
    assert record.evidence is not None
    assert record.evidence.excerpt is not None
    assert "is not supported" in record.evidence.excerpt
    # each refused probe fails its own check (not skipped); the answered one passes
    named = records["tools.tool_choice_named"]
    assert named.outcome.value == "failed", named.message
    assert "HTTP 422" in named.message
    assert records["tools.tool_choice_none"].outcome.value == "passed"
    failed = {k for k, r in records.items() if r.outcome.value in ("failed", "error")}
    assert failed == {"tools.tool_choice_required", "tools.tool_choice_named"}


def test_a_refused_named_tool_choice_alone_names_its_probe(upstreams: tuple[str, str]) -> None:
    def named_only(path: str, body: Any) -> Refusal | None:
        if isinstance(body, dict) and isinstance(body.get("tool_choice"), dict):
            return refuse_forced_tools(path, body)
        return None

    record = run(upstreams, named_only)["tools.tool_choice_named"]
    assert record.outcome.value == "failed", record.message
    assert "a request with tool_choice" in record.message
    assert "HTTP 422" in record.message
    assert record.evidence is not None
    assert record.evidence.request is not None
    assert record.evidence.request["body"]["tool_choice"]["function"]["name"] == "get_time"
    assert record.evidence.excerpt is not None
    assert "str type expected" in record.evidence.excerpt


def test_a_refused_tools_request_fails_instead_of_skipping(upstreams: tuple[str, str]) -> None:
    def refuse_tools(path: str, body: Any) -> Refusal | None:
        if isinstance(body, dict) and body.get("tool_choice") == "auto":
            return 400, _error("tools are not supported")
        return None

    records = run(upstreams, refuse_tools)
    for owner in ("tools.call_shape", "tools.stream_index"):
        assert records[owner].outcome.value == "failed", records[owner].message
        assert "HTTP 400" in records[owner].message
