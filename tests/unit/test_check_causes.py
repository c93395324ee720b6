"""Checks name the root cause of a failure (``CheckFailure.cause``) only where it is
certain, so that reports group the checks one defect fails into one finding."""

from __future__ import annotations

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.checks.causes import ERROR_TYPE, error_type_problem, wrong_status
from conformance.exchange import Exchange
from conformance.registry import REGISTRY, CheckFailure
from tests.factories import chunk, error_exchange, json_exchange, sse, stream_exchange


def cause_of(check_id: str, exchange: Exchange) -> str | None:
    with pytest.raises(CheckFailure) as failure:
        REGISTRY[check_id].func(exchange)
    return failure.value.cause


def test_an_error_body_without_error_type_names_the_envelope_cause() -> None:
    x = json_exchange("unknown_model", {"error": {"message": "no such model"}}, status=404)
    assert cause_of("contract.responses", x) == ERROR_TYPE
    typed = json_exchange(
        "unknown_model", {"error": {"message": "no such model", "type": None}}, status=404
    )
    assert cause_of("contract.responses", typed) == ERROR_TYPE


def test_other_document_breaks_name_no_cause() -> None:
    x = json_exchange("unknown_model", {"detail": "no such model"}, status=404)
    assert cause_of("contract.responses", x) is None
    assert not error_type_problem(".error.message: None is not of type 'string'")
    assert not error_type_problem(".: 'error' is a required property")


def test_stream_identity_and_role_name_their_cause() -> None:
    first = chunk({"role": "assistant", "content": "Hel"})
    later = chunk({"content": "lo"}, id="chatcmpl-other")
    x = stream_exchange("chat_stream", sse(first, later))
    assert cause_of("stream.constant_identity", x) == "stream: chunk id changes within a stream"
    no_role = stream_exchange("chat_stream", sse(chunk({"content": "Hi"})))
    assert (
        cause_of("stream.role_first", no_role) == "stream: no role 'assistant' on the first delta"
    )


def test_a_wrong_error_status_is_the_cause_of_the_wrong_exception_class() -> None:
    x = error_exchange("bad_key", 400, "API key not valid")
    assert cause_of("clients.openai_python.error_bad_key", x) == wrong_status("bad_key", 400)
    assert wrong_status("bad_key", 400) == "bad_key: answered HTTP 400"
