"""Harness deadlines (issue 15 item 2): a target that trickles bytes forever is cut at the
request's total deadline and reported as such; no request starts after the run's
deadline; a body cut at the harness's size cap is not judged as if it were the answer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest

from conformance.checks._common import OVERDUE, require_response
from conformance.exchange import Request
from conformance.http import Budget, BudgetExhausted, send
from conformance.registry import CheckFailure, Undecided
from tests.factories import json_exchange

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


@contextmanager
def trickling_server() -> Iterator[str]:
    """Answers with a stream that sends a keep-alive comment every 20 ms and never
    ends, until the client goes away."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    gone = threading.Event()

    def run() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data or not data.endswith(b"{}"):
                piece = conn.recv(65536)
                if not piece:
                    return
                data += piece
            conn.sendall(HEAD)
            while not gone.wait(0.02):  # the trickle's pace, not a synchronisation
                try:
                    conn.sendall(b"4\r\n: \n\n\r\n")
                except OSError:
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        gone.set()
        thread.join(10)
        listener.close()


def test_a_trickling_stream_is_cut_at_the_request_deadline() -> None:
    with trickling_server() as url, httpx.Client(timeout=5) as client:
        request = Request("POST", f"{url}/v1/chat/completions", {}, b"{}", {"stream": True})
        x = send(client, "chat_stream", request, Budget(request_deadline_s=0.5))
    assert x.status == 200
    assert x.deadline_s == 0.5
    assert 0.5 <= x.elapsed_s < 3
    assert x.body.startswith(b": \n\n")
    with pytest.raises(CheckFailure) as caught:
        require_response(x)
    assert "deadline of 0.5 s passed" in caught.value.message
    assert caught.value.cause == OVERDUE


def test_no_request_starts_after_the_run_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("conformance.http.time.monotonic", lambda: clock[0])
    budget = Budget(run_deadline_s=30)
    budget.acquire()
    clock[0] += 30
    with pytest.raises(BudgetExhausted, match="the run's deadline of 30 s passed"):
        budget.acquire()
    assert budget.sent == 1


@pytest.mark.parametrize("field", ["request_deadline_s", "run_deadline_s"])
def test_a_deadline_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Budget(**{field: 0})


def test_a_body_cut_at_the_size_cap_is_not_judged() -> None:
    x = replace(json_exchange("chat", b'{"choices": [' + b"1," * 100), truncated=True)
    with pytest.raises(Undecided, match="larger than the harness reads"):
        require_response(x)


def test_a_target_that_stops_answering_is_given_up_after_a_few_requests() -> None:
    from conformance.exchange import Exchange
    from conformance.preflight import SILENT_LIMIT, silence_problem

    def silent(probe: str) -> Exchange:
        request = Request("POST", "http://127.0.0.1:1/v1/chat/completions", {})
        return Exchange(probe, request, None, transport_error="ReadTimeout: timed out")

    answered = {"models": json_exchange("models", {"data": []})}
    names = [f"p{i}" for i in range(SILENT_LIMIT)]
    assert silence_problem({**answered, **{n: silent(n) for n in names[:-1]}}) is None
    problem = silence_problem({**answered, **{n: silent(n) for n in names}})
    assert problem is not None
    assert problem.startswith(f"the target stopped answering: the last {SILENT_LIMIT} requests")
    assert "ReadTimeout" in problem
