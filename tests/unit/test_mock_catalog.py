"""mockserver.catalog: the model list and its paging (wire-formats.md A6)."""

from __future__ import annotations

import json

import pytest

from mockserver import catalog
from mockserver.errors import GoogleError

REQUIRED = {
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-2.5-flash-lite",
    "gemini-3-pro-preview",
    "gemini-3-flash-preview",
    "gemini-2.0-flash",
    "gemini-embedding-001",
}


def test_a_model_google_shut_down_is_not_served() -> None:
    """text-embedding-004 answers 404 at Google since 2026-01-14: a proxy that still
    defaults to it must meet that in controlled mode too."""
    assert catalog.lookup("text-embedding-004") is None
    assert "models/text-embedding-004" not in {m.entry["name"] for m in catalog.MODELS}


def test_required_models_are_served() -> None:
    assert {m.id for m in catalog.MODELS} >= REQUIRED


def test_every_bundled_capture_is_answered_under_its_own_model() -> None:
    """A capture's probe asks for the model the capture names (conformance.probes.
    captures): the mock lists each one, so the probe never falls back to another."""
    from spec.capture_format import BUNDLED, load_dir

    versions = set()
    for capture in load_dir(BUNDLED).values():
        answers = [*(capture.chunks or ()), *([capture.unary] if capture.unary else [])]
        versions |= {a["modelVersion"] for a in answers if "modelVersion" in a}
    assert "gemini-3.1-pro-preview" in versions
    for version in versions:
        info = catalog.lookup(version)
        assert info is not None, version
        assert info.gemini3 == version.startswith("gemini-3")


def test_model_entries_have_the_a6_shape() -> None:
    flash = catalog.lookup("models/gemini-2.5-flash")
    assert flash is not None
    assert json.loads(flash.body) == flash.entry
    assert flash.entry["name"] == "models/gemini-2.5-flash"
    assert flash.entry["thinking"] is True
    assert "generateContent" in flash.entry["supportedGenerationMethods"]
    lite = catalog.lookup("gemini-2.0-flash")
    assert lite is not None
    assert "thinking" not in lite.entry
    embed = catalog.lookup("gemini-embedding-001")
    assert embed is not None
    assert embed.entry["outputTokenLimit"] == 1
    assert embed.supports("embedContent")
    assert embed.supports("batchEmbedContents")
    assert not embed.supports("generateContent")
    assert catalog.lookup("gemini-pro") is None


def test_paging_walks_every_model_once() -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = json.loads(catalog.list_page("5", token))
        seen += [m["name"] for m in page["models"]]
        pages += 1
        token = page.get("nextPageToken")
        if token is None:
            break
    assert seen == [m.entry["name"] for m in catalog.MODELS]
    assert pages == -(-len(catalog.MODELS) // 5)
    assert "nextPageToken" not in json.loads(catalog.list_page(None, None))


@pytest.mark.parametrize(("size", "token"), [("x", None), ("-1", None), (None, "garbage!")])
def test_bad_paging_parameters_are_400(size: str | None, token: str | None) -> None:
    with pytest.raises(GoogleError) as info:
        catalog.list_page(size, token)
    assert info.value.status == 400
