"""mockserver.journal: entries, redaction, cid filter, bounds."""

from __future__ import annotations

from typing import cast

import pytest

from mockserver.journal import REDACTED, Journal, credentials, fingerprint
from spec.mock_admin import ReplySummary

HEADERS = (
    (b"X-Goog-Api-Key", b"AIza-secret"),
    (b"Authorization", b"Bearer t"),
    (b"Cookie", b"c=1"),
    (b"Accept", b"a"),
    (b"Accept", b"b"),
    (b"X-Note", "café".encode()),
)


def record(journal: Journal, cid: str | None = None, body: bytes = b'{"contents": []}') -> int:
    return journal.record(
        method="POST",
        path="/v1beta/models/m:generateContent",
        query="alt=sse&key=AIza-secret&x=%20y&empty=",
        headers=HEADERS,
        body=body,
        scenario="text",
        cid=cid,
        status=200,
        response=cast("ReplySummary", {"text": "hi"}),  # a stand-in: kept as given
    )


def test_entries_are_redacted_and_parsed() -> None:
    journal = Journal()
    record(journal)
    [entry] = journal.entries()
    assert entry["query"] == {"alt": "sse", "key": REDACTED, "x": " y", "empty": ""}
    assert entry["headers"] == {
        "x-goog-api-key": REDACTED,
        "authorization": REDACTED,
        "cookie": REDACTED,
        "accept": "a, b",
        "x-note": "café",
    }
    assert entry["body"] == {"contents": []}
    assert "AIza-secret" not in repr(entry)
    assert "Bearer" not in repr(entry)
    assert set(entry) == {
        "seq", "time", "method", "path", "query", "headers", "body", "scenario", "cid", "status",
        "credentials", "response",
    }  # fmt: skip
    assert entry["credentials"] == [
        {"where": "header:x-goog-api-key", "sha256": fingerprint("AIza-secret")},
        {"where": "header:authorization", "sha256": fingerprint("t")},
        {"where": "query:key", "sha256": fingerprint("AIza-secret")},
    ]
    assert entry["response"] == cast("ReplySummary", {"text": "hi"})
    assert isinstance(entry["time"], float)


@pytest.mark.parametrize("body", [b"", b"{not json"])
def test_body_is_null_when_empty_or_not_json(body: bytes) -> None:
    journal = Journal()
    record(journal, body=body)
    assert journal.entries()[0]["body"] is None


def test_cid_filter_clear_and_seq() -> None:
    journal = Journal()
    assert [record(journal, "a"), record(journal, "b"), record(journal, "a")] == [1, 2, 3]
    assert [e["seq"] for e in journal.entries("a")] == [1, 3]
    assert len(journal.entries()) == 3
    assert journal.clear() == 3
    assert journal.entries() == []
    assert record(journal) == 4


def test_capacity_keeps_the_newest() -> None:
    journal = Journal(capacity=2)
    for _ in range(3):
        record(journal)
    assert [e["seq"] for e in journal.entries()] == [2, 3]
    assert len(journal) == 2
    with pytest.raises(ValueError, match="capacity"):
        Journal(0)


def test_fingerprints() -> None:
    assert fingerprint("up") == "75a288c0d689"  # sha256("up"), first 12 hex digits
    assert credentials([("Authorization", "Bearer  tok ")], []) == [
        {"where": "header:authorization", "sha256": fingerprint("tok")}
    ]
    assert credentials([("authorization", "rawtoken"), ("x-goog-api-key", "")], [("key", "")]) == [
        {"where": "header:authorization", "sha256": fingerprint("rawtoken")}
    ]
