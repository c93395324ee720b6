"""``conformance.http.send`` against a target that closes kept-alive connections: the
probe is retried once on a fresh connection and the exchange says the connection was
dropped; a target that is down is not retried."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from conformance.exchange import Request
from conformance.http import Budget, send

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
    b"Connection: keep-alive\r\n\r\n{}"
)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            break
        data += piece
    return data


@pytest.fixture
def forgetful_server() -> Iterator[str]:
    """Answers the first request of a connection with a keep-alive response, then reads
    the next request on it and closes the socket without an answer (as a proxy that
    crashed mid-request does)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                if _read_request(conn):
                    conn.sendall(ANSWER)
                    _read_request(conn)  # the next request on this connection: dropped

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_dropped_keep_alive_connection_is_retried_once(forgetful_server: str) -> None:
    budget = Budget()
    request = Request("GET", f"{forgetful_server}/v1/models", {})
    with httpx.Client() as client:
        first = send(client, "models", request, budget)
        second = send(client, "models", request, budget)
    assert (first.status, first.dropped_connection) == (200, "")
    assert second.status == 200
    assert second.transport_error is None
    assert second.dropped_connection  # what the first try on the dead connection met
    assert second.response_summary()["dropped_connection"] == second.dropped_connection
    assert budget.sent == 2, "the retry spends no budget"


def test_a_target_that_is_down_is_not_retried() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with httpx.Client() as client:
        x = send(client, "models", Request("GET", f"http://127.0.0.1:{port}/", {}), Budget())
    assert x.status is None
    assert x.transport_error is not None
    assert x.transport_error.startswith("ConnectError")
    assert x.dropped_connection == ""
