"""The pytest plugin, run with pytester against in-process servers: the reference proxy
in front of the mock (checks pass), and a broken proxy (its check fails with evidence)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiohttp import web

from conformance.registry import REGISTRY, Mode
from conformance.runner import reads_field_probes
from mockserver.app import create_app as create_mock
from mockserver.settings import Settings as MockSettings
from reference_impl.app import create_app as create_proxy
from reference_impl.settings import Settings as ProxySettings
from tests.servers import serve

KEY = "sk-plugin-test"


@pytest.fixture(scope="module")
def reference() -> Iterator[tuple[str, str]]:
    with serve(lambda: create_mock(MockSettings())) as mock:
        settings = ProxySettings(
            upstream_url=f"{mock}/v1beta",
            upstream_key="k",
            api_keys=frozenset({KEY}),
            allow_private_media_urls=True,
        )
        with serve(lambda: create_proxy(settings)) as proxy:
            yield proxy, mock


def broken_app() -> web.Application:
    """A proxy whose stream never sends [DONE] and whose models list is Gemini-shaped."""

    async def chat(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = (
            b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
            b'"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},'
            b'"finish_reason":"stop"}]}\n\n'
        )
        await response.write(chunk)
        return response

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"models": [{"name": "models/gemini-2.5-flash"}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    return app


def test_checks_run_as_tests_and_pass_against_the_reference(
    pytester: pytest.Pytester, reference: tuple[str, str]
) -> None:
    proxy, mock = reference
    result = pytester.runpytest_inprocess(
        "-p",
        "conformance",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "--conformance-target",
        proxy,
        "--conformance-api-key",
        KEY,
        "--conformance-mock-url",
        mock,
        "--conformance-check",
        "stream.",
        "--conformance-check",
        "errors.bad_key_status",
        "-v",
    )
    stream = [s for c, s in REGISTRY.items() if c.startswith("stream.")]
    # the black-box twins that read only field probes are skipped in controlled mode
    twins = sum(1 for spec in stream if reads_field_probes(spec))
    result.assert_outcomes(passed=len(stream) - twins + 1, skipped=twins)
    result.stdout.fnmatch_lines(["*conformance*stream*done_terminator PASSED*"])


def test_a_claimed_feature_adds_its_checks(
    pytester: pytest.Pytester, reference: tuple[str, str]
) -> None:
    """--conformance-feature images runs openai-core's image endpoint check; without it
    the check is skipped (the profile does not claim images)."""
    proxy, mock = reference
    args = [
        "-p", "conformance", "-W", "ignore::pytest.PytestAssertRewriteWarning",
        "--conformance-target", proxy, "--conformance-api-key", KEY,
        "--conformance-mock-url", mock, "--conformance-check", "contract.openai-core.createImage",
    ]  # fmt: skip
    pytester.runpytest_inprocess(*args).assert_outcomes(skipped=1)
    claimed = pytester.runpytest_inprocess(*args, "--conformance-feature", "images")
    claimed.assert_outcomes(passed=1)


def test_a_feature_left_out_skips_its_checks(
    pytester: pytest.Pytester, reference: tuple[str, str]
) -> None:
    """--conformance-without-feature embeddings skips the embeddings checks of a profile
    that claims them (a chat-only proxy), saying why."""
    proxy, mock = reference
    args = [
        "-p", "conformance", "-W", "ignore::pytest.PytestAssertRewriteWarning",
        "--conformance-target", proxy, "--conformance-api-key", KEY,
        "--conformance-mock-url", mock, "--conformance-check", "embeddings.shape", "-rs",
    ]  # fmt: skip
    pytester.runpytest_inprocess(*args).assert_outcomes(passed=1)
    left_out = pytester.runpytest_inprocess(*args, "--conformance-without-feature", "embeddings")
    left_out.assert_outcomes(skipped=1)
    left_out.stdout.fnmatch_lines(["*the target does not serve embeddings (--without-feature)*"])


def test_a_broken_proxy_fails_with_evidence(pytester: pytest.Pytester) -> None:
    with serve(broken_app) as url:
        result = pytester.runpytest_inprocess(
            "-p",
            "conformance",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            "--conformance-target",
            url,
            "--conformance-api-key",
            KEY,
            "--conformance-check",
            "stream.done_terminator",
            "--conformance-check",
            "models.list_shape",
            "--conformance-check",
            "tools.",
        )
    tools = sum(1 for c in REGISTRY if c.startswith("tools."))
    result.assert_outcomes(failed=2, skipped=tools)  # tool checks need controlled mode
    result.stdout.fnmatch_lines(
        [
            "*models.list_shape*failed: the models list violates*",
            "*stream.done_terminator*failed: the stream ends without `data: *DONE*`*",
            "*reproduce: curl -sS -N -X POST*",
        ]
    )


def test_without_a_target_nothing_is_added(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = pytester.runpytest_inprocess("-p", "conformance")
    result.assert_outcomes(passed=1)


def test_fixtures_give_the_run_to_user_tests(
    pytester: pytest.Pytester, reference: tuple[str, str]
) -> None:
    proxy, _ = reference
    pytester.makepyfile(
        """
        def test_no_critical_failure(conformance_run):
            assert conformance_run.requests_sent > 0
            bad = [r for r in conformance_run.records
                   if r.outcome.value == "failed" and r.severity == "critical"]
            assert bad == []
        """
    )
    result = pytester.runpytest_inprocess(
        "-p",
        "conformance",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "--conformance-target",
        proxy,
        "--conformance-api-key",
        KEY,
        "--conformance-check",
        "chat.",
    )
    chat = [spec for c, spec in REGISTRY.items() if c.startswith("chat.")]
    controlled = sum(1 for spec in chat if spec.mode is Mode.CONTROLLED)  # no --mock-url here
    # the black-box chat checks and the user's own test pass; the controlled ones skip
    result.assert_outcomes(passed=len(chat) - controlled + 1, skipped=controlled)


def test_header_fields_reach_the_target_and_a_bad_one_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    """--conformance-header rides on every request (a gateway that routes by it); a
    malformed one stops the session with a usage error naming it."""
    # openai loaded now, not by the run's preload thread while pytester restores
    # sys.modules after the in-process session
    import openai  # noqa: F401

    seen: list[str | None] = []

    def gateway() -> web.Application:
        async def models(request: web.Request) -> web.Response:
            seen.append(request.headers.get("x-gateway-route"))
            return web.json_response({"object": "list", "data": []})

        app = web.Application()
        app.router.add_get("/v1/models", models)
        return app

    base = ["-p", "conformance", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    with serve(gateway) as url:
        pytester.runpytest_inprocess(
            *base, "--conformance-target", url, "--conformance-api-key", KEY,
            "--conformance-header", "x-gateway-route: gemini",
            "--conformance-check", "models.list_shape",
        )  # fmt: skip
        bad = pytester.runpytest_inprocess(
            *base, "--conformance-target", url, "--conformance-header", "no colon here",
        )  # fmt: skip
    assert seen
    assert set(seen) == {"gemini"}
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--conformance-header: a header must be 'Name: value'*"])
