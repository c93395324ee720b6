"""Hostile input against both servers, generated from their own OpenAPI documents by
schemathesis (issue 15's audit, kept as a test): for every operation a client can call,
positive and negative cases never get a 5xx, and every 4xx is JSON in the server's own
error envelope (OpenAI's ``{"error": {"message", "type"}}`` from the reference, Google's
``{"error": {"code", "message", "status"}}`` from the mock). Bounded by the hypothesis
profile (``ci``: derandomized)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app as create_proxy
from reference_impl.settings import Settings as ProxySettings
from spec import load_document
from tests.servers import serve

pytestmark = pytest.mark.slow

KEY = "sk-fuzz"
MOCK_KEY = "fuzz-upstream-key"
REFERENCE_OPERATIONS = [("/embeddings", "POST")]
MOCK_OPERATIONS = [("/v1beta/models/{model}:embedContent", "POST")]
EXAMPLES = 25
"""Chat completions are fuzzed by the embedded run's own ``properties.*`` checks; the
mock's generateContent schema is too large to generate from within a test's time."""
ANSWER_TIMEOUT_S = 10.0
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    with serve(lambda: create_mock(MockSettings(api_keys=frozenset({MOCK_KEY})))) as mock:
        settings_ = ProxySettings(
            upstream_url=f"{mock}/v1beta",
            upstream_keys=(MOCK_KEY,),
            api_keys=frozenset({KEY}),
        )
        with serve(lambda: create_proxy(settings_)) as proxy:
            yield proxy, mock


def _strategy(document: str, path: str, method: str, mode: GenerationMode) -> Any:
    schema = schemathesis.openapi.from_dict(load_document(document))
    return schema[path][method].as_strategy(generation_mode=mode)


def _send(client: httpx.Client, case: Any, base: str, headers: dict[str, str]) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": {**headers, **(case.headers or {})}}
    if case.body is not None and case.method.upper() != "GET":
        if case.media_type == "application/json" and not isinstance(case.body, bytes):
            kwargs["json"] = case.body
        else:
            kwargs["content"] = case.body if isinstance(case.body, bytes) else str(case.body)
            kwargs["headers"]["content-type"] = case.media_type or "application/octet-stream"
    return client.request(
        case.method, base + case.formatted_path, params=case.query or None, **kwargs
    )


def _sendable(
    client: httpx.Client, case: Any, base: str, headers: dict[str, str]
) -> httpx.Response | None:
    """The answer, or ``None`` for a case no HTTP client can send (a header value or URL
    that httpx refuses before anything reaches the server)."""
    try:
        return _send(client, case, base, headers)
    except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeEncodeError):
        return None
    except httpx.TimeoutException as exc:
        raise AssertionError(
            f"no answer within {ANSWER_TIMEOUT_S} s to {case.method} {case.formatted_path} "
            f"{case.body!r:.300}"
        ) from exc


def _problem(response: httpx.Response, envelope: tuple[str, ...]) -> str | None:
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if response.status_code < 400:
        return None
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code} with a body that is not a JSON object"
    if not isinstance(error, dict) or any(k not in error for k in envelope):
        return f"HTTP {response.status_code} outside the error envelope: {response.text[:300]}"
    return None


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize(("path", "method"), REFERENCE_OPERATIONS)
def test_the_reference_answers_generated_requests_without_a_5xx(
    servers: tuple[str, str], path: str, method: str, mode: GenerationMode
) -> None:
    proxy, _ = servers
    headers = {"Authorization": f"Bearer {KEY}"}
    problems: list[str] = []

    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
    @given(case=_strategy("openai-core", path, method, mode))
    def run(case: Any) -> None:
        with httpx.Client(timeout=ANSWER_TIMEOUT_S) as client:
            response = _sendable(client, case, f"{proxy}/v1", headers)
        if response is None:
            return
        problem = _problem(response, ("message", "type"))
        if problem is not None:
            problems.append(f"{case.method} {case.formatted_path} {case.body!r:.200}: {problem}")

    run()
    assert problems == []


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize(("path", "method"), MOCK_OPERATIONS)
def test_the_mock_answers_generated_requests_without_a_5xx(
    servers: tuple[str, str], path: str, method: str, mode: GenerationMode
) -> None:
    _, mock = servers
    headers = {"x-goog-api-key": MOCK_KEY}
    problems: list[str] = []

    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
    @given(case=_strategy("gemini-v1beta", path, method, mode))
    def run(case: Any) -> None:
        with httpx.Client(timeout=ANSWER_TIMEOUT_S) as client:
            response = _sendable(client, case, mock, headers)
        if response is None:
            return
        problem = _problem(response, ("code", "message", "status"))
        if problem is not None:
            problems.append(f"{case.method} {case.formatted_path} {case.body!r:.200}: {problem}")

    run()
    assert problems == []
