"""The documented-endpoint checks (``contract.<profile>.<operationId>``): each passes on
the answer its own document shows and fails on a missing endpoint, a wrong media type
and a body that breaks the document (``conformance.probes.documented``)."""

from __future__ import annotations

import pytest

from conformance.exchange import Exchange
from conformance.probes import PROBES
from conformance.probes.documented import DOCUMENTED, NOT_PROBED
from conformance.registry import REGISTRY, CheckFailure, Undecided
from conformance.target import Target
from spec import response_object
from spec.profiles import PROFILES
from tests.check_cases import documented_answer, documented_exchange, good, websocket_exchange


def _cases() -> list[tuple[str, Exchange, str]]:
    cases = []
    for item in DOCUMENTED:
        check_id = f"contract.{item.profile}.{item.endpoint.operation_id}"
        if item.websocket:
            refused = websocket_exchange(item, status=404, body=b"", upstream=False)
            cases.append((check_id, refused, "the upgrade was refused with HTTP 404"))
            lost = websocket_exchange(item, upstream=False)
            cases.append((check_id, lost, "never reached the upstream WebSocket"))
            closed = websocket_exchange(item, body=b'{"close": 1011, "reason": "boom"}\n')
            cases.append((check_id, closed, "did not come back through the socket"))
            continue
        status, media, _ = documented_answer(item)
        cases.append((check_id, documented_exchange(item, status=404, body=b"{}"), "HTTP 404"))
        ep = item.endpoint
        if not response_object(item.profile, ep.path, ep.method, str(status)).get("content"):
            continue  # the document shows no body: only the status is promised
        cases.append((check_id, documented_exchange(item, media="text/html"), "text/html"))
        if media == "application/json":
            broken = documented_exchange(item, body=b"[1]")
            cases.append((check_id, broken, f"breaks the {item.profile} document"))
        elif media in ("image/png", "audio/wav"):
            broken = documented_exchange(item, body=b"<html>oops</html>")
            cases.append((check_id, broken, "does not start like one"))
    return cases


BAD_DOCUMENTED = _cases()


@pytest.mark.parametrize(
    ("check_id", "exchange", "fragment"),
    BAD_DOCUMENTED,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD_DOCUMENTED)],
)
def test_documented_check_fails_on_bad_answer(
    check_id: str, exchange: Exchange, fragment: str
) -> None:
    exchanges = good()
    exchanges[exchange.probe] = exchange
    with pytest.raises(CheckFailure) as info:
        REGISTRY[check_id].run(exchanges)
    assert fragment in info.value.message


def test_an_id_the_first_turn_did_not_give_fails_naming_that_turn() -> None:
    item = next(d for d in DOCUMENTED if d.probe == "getBatchStatus@gemini-reverse")
    first = PROBES[item.probe].build(Target("http://127.0.0.1:1", PROFILES[item.profile]), "cid")
    exchange = Exchange(item.probe, first, 500, (("content-type", "application/json"),))
    with pytest.raises(CheckFailure, match=r"POST /v1/batch/images, whose answer should give"):
        REGISTRY[f"contract.{item.profile}.getBatchStatus"].run({item.probe: exchange})


def test_a_rate_limited_or_unanswered_probe_is_undecided_not_failed() -> None:
    item = DOCUMENTED[0]
    check = REGISTRY[f"contract.{item.profile}.{item.endpoint.operation_id}"]
    for exchange in (
        documented_exchange(item, status=429),
        Exchange(item.probe, documented_exchange(item).request, None, transport_error="reset"),
    ):
        with pytest.raises(Undecided):
            check.run({item.probe: exchange})


def test_every_documented_endpoint_is_probed_or_says_why_not() -> None:
    """Every operation of every proxy profile's document is either exercised by a probe
    of its own or listed with the reason it is not (and only those reasons)."""
    import spec

    probed = {(d.profile, d.endpoint.operation_id) for d in DOCUMENTED}
    for document in spec.DOCUMENTS:
        if document == "gemini-v1beta":
            continue
        for ep in spec.endpoints(document):
            key = (document, ep.operation_id)
            assert (key in probed) != (key in NOT_PROBED), key
    assert set(NOT_PROBED.values()) == {
        "sent by the core probes, judged by their own checks",
        "admin operation: its credentials are the operator's, and it may change state",
        "its path needs an id from an earlier answer",
    }
    # an id path parameter comes from the answer to the operation that creates it
    status = next(d for d in DOCUMENTED if d.probe == "getBatchStatus@gemini-reverse")
    assert documented_exchange(status).request.url.endswith("/v1/batch/batch_60bfcf0a/status")
    # the examples that are placeholders in the document are sent as real files
    edit = next(d for d in DOCUMENTED if d.probe == "editImage@gemini-reverse")
    body = documented_exchange(edit).request.json_body
    assert body["image"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert len(body["image"]) > 100


def test_a_black_box_websocket_upgrade_is_enough() -> None:
    """Without the mock the probe sends nothing through the socket: a 101 passes."""
    item = next(d for d in DOCUMENTED if d.websocket)
    check = REGISTRY[f"contract.{item.profile}.{item.endpoint.operation_id}"]
    upgrade_only = websocket_exchange(item, body=b'{"close": 1000, "reason": ""}\n', upstream=False)
    assert check.run({item.probe: upgrade_only}) is None
