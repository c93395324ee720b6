"""``conformance.plugin.from_fixture``: a proxy's own test session starts the proxy in a
fixture and declares ``test_conformance = from_fixture(...)``. Run with pytester: the
reference proxy and the mock started by the inner conftest (as subprocesses, the way a
proxy's CI starts its proxy), a broken proxy whose check fails, and targets that cannot be
reached or whose fixture fails (one failure, the other tests skipped)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from aiohttp import web

from conformance.http import unreachable
from conformance.plugin import from_fixture
from tests.servers import serve

KEY = "sk-from-fixture"
QUIET = ("-p", "conformance", "-W", "ignore::pytest.PytestAssertRewriteWarning")
"""The plugin by name (robust to PYTEST_DISABLE_PLUGIN_AUTOLOAD); conformance.plugin is
already imported here, so pytest cannot rewrite it (a harmless warning)."""

SERVERS_CONFTEST = f"""
import pytest
from conformance.embedded import start_server

@pytest.fixture(scope="session")
def my_mock():
    with start_server(["mockserver", "--host", "127.0.0.1", "--port", "0"], "mock") as url:
        yield url

@pytest.fixture(scope="session")
def my_proxy(my_mock):
    args = ["reference_impl", "--host", "127.0.0.1", "--port", "0",
            "--upstream-url", my_mock + "/v1beta", "--upstream-key", "k",
            "--api-key", "{KEY}", "--allow-private-media-urls"]
    with start_server(args, "my proxy") as url:
        yield url
"""


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a free port, released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def failed_lines(result: pytest.RunResult) -> list[str]:
    """The short summary's failure and error lines (``-ra``)."""
    return [line for line in result.outlines if line.startswith(("FAILED ", "ERROR "))]


def one_failure(result: pytest.RunResult, message: str) -> None:
    """Exactly one test failed, its report is ``message`` (one line, no traceback), and
    every other test was skipped with that message and the failed test's id."""
    [failed] = failed_lines(result)
    nodeid = failed.split()[1]
    assert result.outlines.count(message) == 1, result.outlines
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1
    assert outcomes["skipped"] > 5
    assert set(outcomes) == {"failed", "skipped"}
    [skipped] = [line for line in result.outlines if line.startswith("SKIPPED ")]
    assert skipped.startswith(f"SKIPPED [{outcomes['skipped']}] ")
    assert skipped.endswith(f": {message} (reported by {nodeid})")


def test_reference_proxy_from_a_session_fixture(pytester: pytest.Pytester) -> None:
    """The realistic set-up: the conftest starts mock and proxy on free ports; the test
    module declares the checks; each check is a test named by its id; -k narrows."""
    pytester.makeconftest(SERVERS_CONFTEST)
    pytester.makepyfile(
        test_proxy=f"""
        from conformance.plugin import from_fixture

        test_conformance = from_fixture(
            "my_proxy", mock_url_fixture="my_mock", api_key="{KEY}",
            checks=["stream.done_terminator", "stream.role_first", "stream.upstream_error_event",
                    "errors.bad_key_status", "tools.stream_index"],
        )
        """
    )
    result = pytester.runpytest_inprocess(*QUIET, "-v", "-p", "no:randomly")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 5, result.outlines[-5:]
    assert "failed" not in outcomes
    assert "errors" not in outcomes
    result.stdout.fnmatch_lines(
        [
            "*test_proxy.py::test_conformance?errors.bad_key_status? PASSED*",
            "*test_proxy.py::test_conformance?stream.done_terminator? PASSED*",
        ]
    )
    narrowed = pytester.runpytest_inprocess(*QUIET, "-k", "done_terminator or bad_key")
    narrowed.assert_outcomes(passed=2, deselected=3)


def test_the_entry_point_loads_the_plugin_in_a_fresh_process(pytester: pytest.Pytester) -> None:
    """A plain ``pytest`` in a new process (no ``-p``): the ``pytest11`` entry point
    registers the marker and ``from_fixture`` works against a fixture giving an object
    with ``.url``."""
    with serve(openai_shaped_app) as url:
        pytester.makeconftest(
            f"""
            import types, pytest

            @pytest.fixture(scope="session")
            def my_proxy():
                return types.SimpleNamespace(url="{url}")
            """
        )
        pytester.makepyfile(
            test_proxy="""
            from conformance.plugin import from_fixture

            test_conformance = from_fixture("my_proxy", checks=["models.list_shape"])
            """
        )
        result = pytester.runpytest_subprocess("--strict-markers", "-m", "conformance", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_conformance?models.list_shape? PASSED*"])


# -- a target that answers wrong --------------------------------------------------------


def openai_shaped_app(*, done: bool = True) -> web.Application:
    """A tiny OpenAI-shaped proxy: a models list, a chat completion, and a stream that
    ends with ``data: [DONE]`` unless ``done`` is false (the bug)."""

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": "c",
                    "object": "chat.completion",
                    "created": 1,
                    "model": body.get("model", "m"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "hi"},
                            "finish_reason": "stop",
                        }
                    ],
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": body.get("model", "m"),
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": "hi"},
                    "finish_reason": "stop",
                }
            ],
        }
        await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        if done:
            await response.write(b"data: [DONE]\n\n")
        return response

    async def models(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [
                    {"id": "gemini-2.5-flash", "object": "model", "created": 1, "owned_by": "g"}
                ],
            }
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    return app


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    with serve(lambda: openai_shaped_app(done=False)) as url:
        yield url


def test_a_broken_proxy_fails_its_check_with_evidence(
    pytester: pytest.Pytester, broken: str
) -> None:
    pytester.makeconftest(
        f"""
        import types, pytest

        @pytest.fixture(scope="session")
        def my_proxy():
            yield types.SimpleNamespace(url="{broken}")
        """
    )
    pytester.makepyfile(
        test_proxy=f"""
        from conformance.plugin import from_fixture

        test_conformance = from_fixture(
            "my_proxy", api_key="{KEY}",
            checks=["stream.done_terminator", "models.list_shape", "tools.stream_index"],
        )
        """
    )
    result = pytester.runpytest_inprocess(*QUIET, "-ra")
    # tools.parallel needs the mock upstream: skipped in black-box mode, with the reason
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "stream.done_terminator [[]high[]] failed: the stream ends without `data: *DONE*`*",
            "*reproduce: curl -sS -N -X POST*",
            "SKIPPED*needs controlled mode*",
            "FAILED test_proxy.py::test_conformance[[]stream.done_terminator[]] - *",
        ]
    )
    assert "Traceback" not in result.stdout.str()  # the evidence, not plugin internals


# -- targets that cannot be reached ----------------------------------------------------


def test_an_unreachable_target_is_one_failure_and_the_rest_skipped(
    pytester: pytest.Pytester,
) -> None:
    url = closed_port_url()
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def my_proxy():
            return "{url}"
        """
    )
    pytester.makepyfile(
        test_proxy="""
        from conformance.plugin import from_fixture

        test_conformance = from_fixture("my_proxy", checks=["stream.", "chat."])
        """
    )
    result = pytester.runpytest_inprocess(*QUIET, "-ra")
    one_failure(result, f"conformance target {url} is unreachable: Connection refused")
    assert failed_lines(result)[0].startswith("FAILED test_proxy.py::test_conformance[")


def test_an_unreachable_mock_is_reported_once(pytester: pytest.Pytester, broken: str) -> None:
    mock = closed_port_url()
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def my_proxy():
            return "{broken}"
        """
    )
    pytester.makepyfile(
        test_proxy=f"""
        from conformance.plugin import from_fixture

        test_conformance = from_fixture("my_proxy", mock_url="{mock}", checks=["tools."])
        """
    )
    result = pytester.runpytest_inprocess(*QUIET, "-ra")
    one_failure(result, f"conformance mock {mock} is unreachable: Connection refused")


def test_an_unreachable_command_line_target_is_one_failure(pytester: pytest.Pytester) -> None:
    url = closed_port_url()
    result = pytester.runpytest_inprocess(
        *QUIET, "-ra", "--conformance-target", url, "--conformance-check", "stream."
    )
    one_failure(result, f"conformance target {url} is unreachable: Connection refused")
    assert failed_lines(result)[0].startswith("FAILED conformance::stream.")


def test_a_run_that_raises_is_one_failure_with_its_traceback(pytester: pytest.Pytester) -> None:
    """An exception from the run itself (here the budget refuses -1) fails the first test
    with its traceback; the others are skipped naming it."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        result = pytester.runpytest_inprocess(
            *QUIET, "-ra", "--conformance-target", url, "--conformance-check", "stream.",
            "--conformance-max-requests", "-1",
        )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert (outcomes["failed"], len(failed_lines(result))) == (1, 1)
    assert outcomes["skipped"] > 5
    result.stdout.fnmatch_lines(
        [
            "E * ValueError: max_requests must be >= 0; got -1",
            "SKIPPED * the conformance run against * failed: ValueError: max_requests must be*",
        ]
    )


@pytest.mark.parametrize(
    ("fixture_body", "expected"),
    [
        ("raise RuntimeError('my proxy did not start')", "RuntimeError: my proxy did not start"),
        ("return 42", "fixture 'my_proxy' gave int 42; expected the base URL"),
        ("return 'localhost:8080'", "base_url must be an http(s) URL"),
    ],
)
def test_a_fixture_that_gives_no_usable_url_is_one_failure(
    pytester: pytest.Pytester, fixture_body: str, expected: str
) -> None:
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def my_proxy():
            {fixture_body}
        """
    )
    pytester.makepyfile(
        test_proxy="""
        from conformance.plugin import from_fixture

        test_conformance = from_fixture("my_proxy", checks=["stream."])
        """
    )
    result = pytester.runpytest_inprocess(*QUIET, "-ra")
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1
    assert outcomes["skipped"] > 5
    assert len(failed_lines(result)) == 1
    result.stdout.fnmatch_lines([f"*{expected}*"])
    result.stdout.fnmatch_lines(["SKIPPED*fixture 'my_proxy' failed*(reported by *"])


# -- the declaration itself --------------------------------------------------------------


def test_ids_follow_the_profile_and_the_mode() -> None:
    controlled = from_fixture("p", mock_url="http://127.0.0.1:1", checks=["tools."])
    black_box = from_fixture("p", checks=["tools."])
    [mark] = [m for m in controlled.pytestmark if m.name == "parametrize"]  # type: ignore[attr-defined]
    [mark_bb] = [m for m in black_box.pytestmark if m.name == "parametrize"]  # type: ignore[attr-defined]
    assert mark.args[1] == mark_bb.args[1]  # the same tests; black-box skips them at run time
    assert all(i.startswith("tools.") for i in mark.args[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"checks": ["nope."]}, r"checks=\['nope.'\] matches no check"),
        ({"profile": "nope"}, "unknown profile 'nope'"),
        ({"features": ["nope"]}, "unknown feature 'nope'"),
        ({"mock_url": "http://m", "mock_url_fixture": "m"}, "not both"),
        ({"max_requests": -1}, "max_requests must be >= 0; got -1"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises((KeyError, ValueError), match=message):
        from_fixture("p", **kwargs)  # type: ignore[arg-type]


def test_unreachable_names_the_reason() -> None:
    assert unreachable(closed_port_url(), timeout_s=2) == "Connection refused"
    assert unreachable("http://127.0.0.1:99999") is not None  # port out of range
    with socket.socket() as listening:  # a connection is accepted into the backlog
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert unreachable(f"http://127.0.0.1:{listening.getsockname()[1]}") is None
