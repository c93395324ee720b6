"""The load run's data: settings (conformance.load.config) and recorded exchanges as JSON
lines (conformance.load.wire)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.load.config import LoadConfig, LoadConfigError, is_loopback, loadable_probe
from conformance.load.wire import Recorded, from_json, read_spool, to_json
from tests.factories import completion, json_exchange, sse, stream_exchange


def test_a_recorded_exchange_survives_the_round_trip() -> None:
    x = stream_exchange("chat_stream", [sse({"a": 1}, done=False), b"\xff\x00data: [DONE]\n\n"])
    item = Recorded(x, "run.chat_stream.1.2.3", "host-a", "ldn-0123456789ab")
    back = from_json(to_json(item))
    assert back.exchange.body == x.body
    assert back.exchange.chunks == x.chunks
    assert back.exchange.request == x.request
    assert (back.cid, back.source, back.nonce) == (item.cid, item.source, item.nonce)
    assert back.exchange.headers == x.headers


def test_a_bad_record_names_the_missing_field() -> None:
    data = to_json(Recorded(json_exchange("chat", completion()), "c"))
    del data["request"]
    with pytest.raises(ValueError, match="KeyError: 'request'"):
        from_json(data)


def test_the_spool_ignores_a_last_line_cut_short_and_only_that(tmp_path: Path) -> None:
    import json

    line = json.dumps(to_json(Recorded(json_exchange("chat", completion()), "c")))
    spool = tmp_path / "spool.jsonl"
    spool.write_text(f"{line}\n{line[:40]}", "utf-8")
    assert [r.cid for r in read_spool(spool)] == ["c"]
    spool.write_text(f"{line[:40]}\n{line}\n", "utf-8")
    with pytest.raises(ValueError, match=r"spool\.jsonl:1"):
        list(read_spool(spool))


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.1.2.3", True),
        ("http://localhost:1/v1", True),
        ("http://[::1]:9/", True),
        ("http://10.0.0.1", False),
        ("https://api.example.com/v1", False),
        ("http://127.0.0.1.example.com", False),
    ],
)
def test_loopback_targets_are_told_apart(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_only_single_request_probes_can_be_loaded() -> None:
    assert loadable_probe("chat") is None
    assert "executor" in (loadable_probe("rate_limit_burst") or "")
    assert "no probe named" in (loadable_probe("nope") or "")


def test_the_configuration_refuses_out_of_range_values_and_round_trips() -> None:
    config = LoadConfig(base_url="http://127.0.0.1:1", profile="openai-core", run_id="r")
    assert LoadConfig.from_json(config.to_json()) == config
    with pytest.raises(LoadConfigError, match="--users: 0"):
        LoadConfig(base_url="http://127.0.0.1:1", profile="openai-core", run_id="r", users=0)
    with pytest.raises(LoadConfigError, match="--duration"):
        LoadConfig(base_url="http://x", profile="openai-core", run_id="r", duration_s=7200)
    with pytest.raises(LoadConfigError, match="--probe rate_limit_burst"):
        LoadConfig(
            base_url="http://x", profile="openai-core", run_id="r", probes=("rate_limit_burst",)
        )
    split = LoadConfig(
        base_url="http://x", profile="openai-core", run_id="r", max_requests=10, expect_workers=3
    )
    assert split.share() == 4


def test_a_base_url_without_v1_reaches_its_routes_under_load() -> None:
    """``conformance load --target https://host/v1beta/openai``: the command finds the API
    there (resolve_base) and the users' requests keep to it, through the config file."""
    config = LoadConfig(
        base_url="http://127.0.0.1:1/v1beta/openai",
        profile="openai-core",
        run_id="r",
        prefixed=False,
    )
    again = LoadConfig.from_json(json.loads(json.dumps(config.to_json())))
    target = again.target(None)
    assert target.url("/chat/completions") == "http://127.0.0.1:1/v1beta/openai/chat/completions"
    assert target.api_prefix == "/v1"
