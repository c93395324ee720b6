"""The catalogue's wiring: a check that reads an unknown probe fails to register, the
registries are in their declared order whatever module is imported first, every probe's
executor exists, and the probe data builds the same bytes without an HTTP client."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import groupby

import httpx
import pytest

from conformance import ordering
from conformance.checks import CATALOGUE
from conformance.probes import MODULES, PROBES, Probe, chat_request, correlation_id, documented
from conformance.probes.documented import DOCUMENTED
from conformance.probes.properties import STREAM_RULES, UNARY_RULES
from conformance.probes.samples import multipart, png
from conformance.probing import EXECUTORS, unknown_executors
from conformance.registry import REGISTRY, Severity, check
from conformance.target import Target
from spec.profiles import PROFILES


def _register(probes: tuple[str, ...], also: tuple[str, ...] = ()) -> None:
    check(
        "test.unknown_probe",
        title="a check that reads a probe nobody registers",
        severity=Severity.LOW,
        source="https://example.org",
        probes=probes,
        also=also,
    )(lambda x: None)


def test_a_check_reading_an_unknown_probe_fails_to_register() -> None:
    with pytest.raises(ValueError, match=r"'test.unknown_probe' reads probe 'chta'.*chat"):
        _register(("chta",))
    with pytest.raises(ValueError, match=r"reads probe 'no_such_probe', which"):
        _register(("chat",), also=("no_such_probe",))
    assert "test.unknown_probe" not in REGISTRY


def test_every_probe_a_check_reads_is_registered() -> None:
    for spec in REGISTRY.values():
        assert set(spec.probes) | set(spec.also) <= set(PROBES), spec.id


def test_the_registry_is_in_catalogue_order() -> None:
    modules = [m for m, _ in groupby(spec.func.__module__ for spec in REGISTRY.values())]
    assert modules == [m.__name__ for m in CATALOGUE]


def test_the_probes_are_in_module_order() -> None:
    modules = [m for m, _ in groupby(p.module for p in PROBES.values())]
    assert modules == [m.__name__ for m in MODULES]


def test_arrange_names_an_entry_of_an_undeclared_module() -> None:
    table = {"a": "m2", "b": "m1", "c": "m2", "d": "m3"}
    with pytest.raises(LookupError, match=r"checks of modules missing .*: d \(m3\)"):
        ordering.arrange(table, ["m1", "m2"], lambda v: v, "check")
    ordering.arrange(table, ["m1", "m2", "m3"], lambda v: v, "check")
    assert list(table) == ["b", "a", "c", "d"]


_ORDERS = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
import conformance.checks
from conformance.probes import PROBES
from conformance.registry import REGISTRY
print(json.dumps([list(PROBES), list(REGISTRY)]))
"""


@pytest.mark.slow
def test_the_order_does_not_depend_on_what_is_imported_first() -> None:
    firsts = (
        "conformance.probes.tooling",
        "conformance.checks.stream",
        "conformance.registry",
        "conformance.session",
        "conformance.probing.properties",
        "conformance.runner",
    )
    runs = {
        first: subprocess.Popen([sys.executable, "-c", _ORDERS, first], stdout=subprocess.PIPE)
        for first in firsts
    }
    orders = {first: json.loads(run.communicate(timeout=60)[0]) for first, run in runs.items()}
    expected = [list(PROBES), list(REGISTRY)]
    assert [first for first, order in orders.items() if order != expected] == []


def test_every_executor_a_probe_names_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    assert unknown_executors() == {}
    assert {p.executor for p in PROBES.values() if p.executor} == set(EXECUTORS)
    monkeypatch.setitem(PROBES, "odd", Probe("odd", "odd", chat_request, executor="nope"))
    assert unknown_executors() == {"odd": "nope"}


def test_the_property_rules_are_checks() -> None:
    assert set(UNARY_RULES) | set(STREAM_RULES) <= set(REGISTRY)


def test_the_correlation_id_scheme() -> None:
    assert correlation_id("ab12cd34", "chat") == "ab12cd34.chat"
    assert correlation_id("ab12cd34", "prop_chat", 7) == "ab12cd34.prop_chat.7"


def _httpx_form(
    data: dict[str, str], files: dict[str, tuple[str, bytes, str]], boundary: str
) -> bytes:
    content_type = f"multipart/form-data; boundary={boundary}"
    request = httpx.Request(
        "POST", "http://x/", data=data, files=files, headers={"Content-Type": content_type}
    )
    return request.read()


@pytest.mark.parametrize(
    ("data", "files"),
    [
        ({"model": "m", "n": "2"}, {"image": ("ui.png", png(), "image/png")}),
        ({'na"me\\': "v\r\nw", "é": "ü"}, {"f\n": ('a"b.pdf', b"%PDF", "application/pdf")}),
        ({}, {"a": ("a.png", b"1", "image/png"), "b": ("b.png", b"", "image/png")}),
    ],
)
def test_the_form_body_is_the_one_httpx_writes(
    data: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> None:
    assert multipart(data, files, "bnd-7d3f") == _httpx_form(data, files, "bnd-7d3f")


def test_documented_form_probes_send_what_httpx_would(monkeypatch: pytest.MonkeyPatch) -> None:
    def bodies() -> dict[str, bytes | None]:
        sent = {}
        for item in DOCUMENTED:
            target = Target("http://127.0.0.1:1", PROFILES[item.profile], api_key="sk-test")
            request = PROBES[item.probe].build(target, "cid")
            if request.headers.get("Content-Type", "").startswith("multipart/form-data"):
                sent[item.probe] = request.body
        return sent

    ours = bodies()
    monkeypatch.setattr(documented, "multipart", _httpx_form)
    assert ours
    assert ours == bodies()
