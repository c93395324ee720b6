"""Issue 12 items 3, 5 and 7 end to end: the reference proxy (in front of the mock)
behind a fake that has exactly one defect.

- Errors dressed as successes: the fake answers every error with HTTP 200 and the error
  text as the assistant message; the checks that read a success must fail with both
  sides (the client's 200, the upstream's error) as evidence.
- A success the upstream never gave: the fake answers a request itself.
- A proxy taken down by a forbidden key: after one 403 it answers everything itself.
- A tool result sent upstream as plain user text: a translation failure, never the
  "is the base URL the mock?" setup question.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

import conformance.checks  # noqa: F401  (registers every check)
from conformance.checks.upstream import (
    ERROR_AS_SUCCESS,
    NEVER_CALLED,
    PROXY_WITHOUT_UPSTREAM,
)
from conformance.runner import SuiteRun, run_suite
from conformance.target import Target
from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app as create_proxy
from reference_impl.settings import Settings as ProxySettings
from spec.profiles import get_profile
from tests.servers import serve
from tests.zoo import SESSION, catch_all, relay_stream

pytestmark = pytest.mark.slow

KEY = "sk-truth"
_HOP = frozenset(
    {"connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding", "host"}
)
_DIRECTIVE = re.compile(r"\[\[mock:([^\[\]]*)\]\]")

Body = dict[str, Any]


@dataclass
class Fake:
    """One defect in front of the reference proxy."""

    rewrite: Callable[[Body], Body] | None = None
    """Changes a chat request's JSON before it is forwarded."""
    errors_as_200: bool = False
    """Every JSON error answer to a unary chat request becomes a 200 chat.completion
    whose content is the error message."""
    answers_itself: Callable[[Body], bool] | None = None
    """Chat requests answered with a canned 200 without forwarding."""
    down_after_403: int | None = None
    """After the first 403 from the reference, every request is answered with this
    status by the fake itself."""
    state: dict[str, bool] = field(default_factory=dict)


def _completion(text: str) -> Body:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gemini-2.5-flash",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }


def fake_proxy(upstream: str, fake: Fake) -> Callable[[], web.Application]:
    async def forward(request: web.Request) -> web.StreamResponse:
        if fake.down_after_403 is not None and fake.state.get("down"):
            refusal = {"error": {"message": "no usable key", "type": "server_error"}}
            return web.json_response(refusal, status=fake.down_after_403)
        raw = await request.read()
        chat = request.path.endswith("/chat/completions") and request.method == "POST"
        parsed: Any = None
        if chat:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        if isinstance(parsed, dict):
            if fake.answers_itself is not None and fake.answers_itself(parsed):
                return web.json_response(_completion("Hello from the fake."))
            if fake.rewrite is not None:
                parsed = fake.rewrite(parsed)
                raw = json.dumps(parsed).encode()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with request.app[SESSION].request(
            request.method,
            upstream + request.rel_url.path_qs,
            headers=headers,
            data=raw,
            allow_redirects=False,
        ) as answer:
            out = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
            if answer.status == 403:
                fake.state["down"] = True
            if answer.content_type == "text/event-stream":
                return await relay_stream(request, answer, out)
            body = await answer.read()
            unary = isinstance(parsed, dict) and not parsed.get("stream")
            if fake.errors_as_200 and unary and answer.status >= 400:
                try:
                    message = json.loads(body)["error"]["message"]
                except (ValueError, KeyError, TypeError):
                    message = body.decode("utf-8", "replace")
                return web.json_response(_completion(f"Error: {message}"))
            return web.Response(status=answer.status, body=body, headers=out)

    return catch_all(forward)


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[str, str]]:
    with serve(lambda: create_mock(MockSettings())) as mock:
        settings = ProxySettings(
            upstream_url=f"{mock}/v1beta",
            upstream_keys=("truth-key-1",),
            api_keys=frozenset({KEY}),
        )
        with serve(lambda: create_proxy(settings)) as proxy:
            yield proxy, mock


def run_through(upstreams: tuple[str, str], fake: Fake, select: list[str]) -> SuiteRun:
    proxy, mock = upstreams
    with serve(fake_proxy(proxy, fake)) as url:
        target = Target(url, get_profile("openai-core"), api_key=KEY, mock_url=mock)
        return run_suite(target, select=select, sleep=lambda _: None)


def outcome(run: SuiteRun, check_id: str) -> tuple[str, str, str]:
    [record] = [r for r in run.records if r.check_id == check_id]
    return record.outcome.value, record.message, record.cause or ""


def _scripted(scenario: str) -> Callable[[Body], Body]:
    """Every directive in the request now scripts ``scenario`` (its cid kept)."""

    def swap(text: str) -> str:
        return _DIRECTIVE.sub(
            lambda m: (
                "[[mock:"
                + " ".join(
                    [f"scenario={scenario}"]
                    + [i for i in m.group(1).split() if not i.startswith("scenario=")]
                )
                + "]]"
            ),
            text,
        )

    def rewrite(body: Body) -> Body:
        for message in body.get("messages") or []:
            content = message.get("content")
            if isinstance(content, str):
                message["content"] = swap(content)
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        part["text"] = swap(part["text"])
        return body

    return rewrite


def _turn_two_only(rewrite: Callable[[Body], Body]) -> Callable[[Body], Body]:
    def run(body: Body) -> Body:
        roles = [m.get("role") for m in body.get("messages") or []]
        return rewrite(body) if "tool" in roles else body

    return run


# ---------------------------------------------------------- item 3: errors as successes


def test_errors_dressed_as_successes_fail_the_checks_that_read_a_success(
    upstreams: tuple[str, str],
) -> None:
    fake = Fake(rewrite=_scripted("bad_request"), errors_as_200=True)
    run = run_through(
        upstreams,
        fake,
        ["requests.content_part_arrays", "requests.openai_only_fields", "properties.chat"],
    )
    for check_id in (
        "requests.content_part_arrays",
        "requests.openai_only_fields",
        "properties.chat",
    ):
        verdict, message, cause = outcome(run, check_id)
        assert verdict == "failed", (check_id, message)
        assert "the upstream answered HTTP 400 INVALID_ARGUMENT" in message, message
        assert cause == ERROR_AS_SUCCESS
    [record] = [r for r in run.records if r.check_id == "requests.content_part_arrays"]
    assert record.evidence is not None
    assert record.evidence.excerpt is not None
    assert "client: HTTP 200" in record.evidence.excerpt
    assert "upstream: HTTP 400 INVALID_ARGUMENT" in record.evidence.excerpt


def test_a_lost_signature_answered_as_a_success_fails_both_signature_checks(
    upstreams: tuple[str, str],
) -> None:
    """Turn 2 (the tool results) is what the upstream rejects, as Gemini 3 does when
    the thought signature is lost; the fake hides that 400 as a 200."""
    fake = Fake(rewrite=_turn_two_only(_scripted("bad_request")), errors_as_200=True)
    checks = [
        "tools.signature_round_trip",
        "tools.signature_without_client_echo",
        "tools.signature_stream_round_trip",
    ]
    run = run_through(upstreams, fake, checks)
    for check_id in checks[:2]:
        verdict, message, cause = outcome(run, check_id)
        assert verdict == "failed", (check_id, message)
        assert "upstream answered HTTP 400" in message
        assert cause == ERROR_AS_SUCCESS
    # the streamed turn 2 gets the upstream's 400 as it is (the fake hides unary ones)
    verdict, message, _ = outcome(run, checks[2])
    assert verdict == "failed", message
    assert "rebuilt from the streamed deltas) got HTTP 400" in message


def test_a_success_the_upstream_never_gave_fails(upstreams: tuple[str, str]) -> None:
    def content_parts(body: Body) -> bool:
        return any(isinstance(m.get("content"), list) for m in body.get("messages") or [])

    run = run_through(
        upstreams,
        Fake(answers_itself=content_parts),
        ["requests.content_part_arrays", "chat.completion_shape"],
    )
    verdict, message, cause = outcome(run, "requests.content_part_arrays")
    assert verdict == "failed", message
    assert "the upstream was never called" in message
    assert cause == NEVER_CALLED


def test_the_reference_passes_the_success_checks(upstreams: tuple[str, str]) -> None:
    checks = [
        "requests.content_part_arrays",
        "requests.openai_only_fields",
        "requests.n_choices",
        "properties.chat",
        "properties.stream",
        "tools.signature_round_trip",
        "tools.signature_without_client_echo",
        "tools.signature_stream_round_trip",
    ]
    run = run_through(upstreams, Fake(), checks)
    verdicts = {c: outcome(run, c) for c in checks}
    assert all(v[0] == "passed" for v in verdicts.values()), verdicts


# ------------------------------------------------ item 5: a forbidden key takes it down


@pytest.mark.parametrize("down_status", [503, 500])
def test_a_proxy_down_after_one_403_fails_survives_key_faults(
    upstreams: tuple[str, str], down_status: int
) -> None:
    checks = ["errors.survives_key_faults", "errors.status_map.404", "errors.status_map.403"]
    run = run_through(upstreams, Fake(down_after_403=down_status), checks)
    verdict, message, cause = outcome(run, "errors.survives_key_faults")
    assert verdict == "failed", message
    assert f"got HTTP {down_status}" in message
    assert "without calling the upstream" in message
    assert cause == PROXY_WITHOUT_UPSTREAM
    # the 403 itself was the upstream's and passed on right
    assert outcome(run, "errors.status_map.403")[0] == "passed"
    verdict, message, cause = outcome(run, "errors.status_map.404")
    if down_status == 503:  # the session's throttling rule: never ran, an error
        assert verdict == "error", message
    else:
        assert verdict == "failed", message
        assert "the upstream answered 404" not in message
        assert "the proxy answered without calling the upstream" in message
        assert cause == PROXY_WITHOUT_UPSTREAM


def test_the_reference_survives_key_faults(upstreams: tuple[str, str]) -> None:
    """Every errors.* probe runs first (the 403, the 429s, the 5xx), then the late one."""
    run = run_through(upstreams, Fake(), ["errors."])
    verdict, message, _ = outcome(run, "errors.survives_key_faults")
    assert verdict == "passed", message
    assert not [r.check_id for r in run.records if r.outcome.value in ("failed", "error")]


# ---------------------------------- item 7: a journal miss is not a setup error


def _tool_results_as_text(body: Body) -> Body:
    """Tool messages become a plain user message; the assistant's tool calls, text."""
    messages: list[Body] = []
    results: list[str] = []
    for m in body.get("messages") or []:
        if m.get("role") == "tool":
            results.append(f"{m.get('tool_call_id')}: {m.get('content')}")
            continue
        if m.get("role") == "assistant" and m.get("tool_calls"):
            names = ", ".join(c["function"]["name"] for c in m["tool_calls"])
            messages.append({"role": "assistant", "content": f"I will call {names}."})
            continue
        messages.append(m)
    if results:
        messages.append({"role": "user", "content": "Tool results: " + "; ".join(results)})
    return {**body, "messages": messages}


def test_tool_results_sent_as_plain_text_fail_the_translation_check(
    upstreams: tuple[str, str],
) -> None:
    run = run_through(upstreams, Fake(rewrite=_tool_results_as_text), ["tools.result_mapping"])
    verdict, message, _ = outcome(run, "tools.result_mapping")
    assert verdict == "failed", message
    assert "functionResponse" in message
    assert "base URL" not in message
