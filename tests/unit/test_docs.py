"""The user-facing documentation in ``docs/``: every check has its section on its area's
page, every ``docs/...`` a check cites (and every relative link between the pages)
exists down to the anchor, every check cites something a user can open, and no product
file points at material users do not have (the project's private research notes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import conformance.checks  # noqa: F401  (registers the catalogue)
from conformance.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

PRODUCT = ("conformance", "spec", "mockserver", "reference_impl", "reports", "docs")
"""Product folders; with README.md, everything a user reads or runs."""
SKIPPED_DIRS = {"__pycache__", "node_modules"}
SKIPPED = {ROOT / "reports" / "out"}
"""Generated run output (git-ignored) may predate the docs."""
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".html", ".j2", ".css", ".mjs", ".txt"}
PRIVATE = (
    "../shared",
    "wire-formats.md",
    "client-breakages.md",
    "sse-framing.md",
    "DESIGN.md",
    "STYLE.md",
)
"""Names of private research and design notes: cite public URLs or a page of docs/ instead."""


def github_slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lowercase, characters other than letters,
    digits, ``_``, ``-`` and spaces dropped, spaces turned into ``-``."""
    kept = "".join(c for c in heading.strip().lower() if c.isalnum() or c in "_- ")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of every heading of ``page`` (fenced code blocks skipped)."""
    found: set[str] = set()
    fenced = False
    for line in page.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        heading = re.match(r"#{1,6}\s+(.+?)\s*$", line)
        if heading and not fenced:
            found.add(github_slug(heading.group(1)))
    return found


def cited_docs(source: str) -> list[str]:
    """The ``docs/...`` items of a check's ``source`` (items are separated by ``;``)."""
    return [item.strip() for item in source.split(";") if item.strip().startswith("docs/")]


def test_the_slug_is_githubs() -> None:
    assert github_slug("stream.done_terminator") == "streamdone_terminator"
    assert github_slug("A3 Streaming (alt=sse)") == "a3-streaming-altsse"
    assert github_slug("contract.openai-core.retrieveModel") == "contractopenai-coreretrievemodel"


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_every_check_has_its_section(check_id: str) -> None:
    spec = REGISTRY[check_id]
    page = DOCS / "checks" / f"{spec.area}.md"
    assert page.is_file(), f"{check_id}: no page {page.relative_to(ROOT)}"
    headings = page.read_text("utf-8").splitlines()
    assert f"## {check_id}" in headings, f"{check_id}: no '## {check_id}' in {page.name}"
    path, _, anchor = spec.docs.partition("#")
    assert ROOT / path == page
    assert anchor in anchors(page), f"{check_id}: {spec.docs} has no heading"


def test_every_area_is_in_the_index() -> None:
    index = (DOCS / "checks" / "README.md").read_text("utf-8")
    for area in sorted({spec.area for spec in REGISTRY.values()}):
        assert f"]({area}.md)" in index, f"docs/checks/README.md does not list {area}"


@pytest.mark.parametrize("check_id", sorted(REGISTRY))
def test_sources_are_public_or_in_docs(check_id: str) -> None:
    source = REGISTRY[check_id].source
    assert isinstance(source, str)
    items = [item.strip() for item in source.split(";")]
    assert any(i.startswith(("https://", "docs/")) for i in items), (
        f"{check_id}: source cites no public URL or docs page: {source!r}"
    )
    for item in cited_docs(source):
        path, _, anchor = item.partition("#")
        target = ROOT / path
        assert target.is_file(), f"{check_id}: cites {item}, and {path} does not exist"
        if anchor:
            assert anchor in anchors(target), f"{check_id}: cites {item}: no such heading"


def _links(page: Path) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", page.read_text("utf-8"))


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: str(p.relative_to(DOCS)))
def test_links_between_pages_resolve(page: Path) -> None:
    for link in _links(page):
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.relative_to(ROOT)}: broken link {link}"
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target), f"{page.relative_to(ROOT)}: no anchor {link}"


def _product_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*")):
            if (
                path.is_file()
                and path.suffix in TEXT_SUFFIXES
                and not SKIPPED_DIRS & set(path.parts)
                and not any(path.is_relative_to(s) for s in SKIPPED)
            ):
                files.append(path)
    return files


def test_no_product_file_cites_private_notes() -> None:
    offenders = []
    for path in _product_files():
        text = path.read_text("utf-8", errors="replace")
        for name in PRIVATE:
            if name in text:
                line = text[: text.index(name)].count("\n") + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not offenders, "private notes cited (use public URLs or docs/):\n" + "\n".join(offenders)


def test_each_checks_documented_severity_is_its_registered_one() -> None:
    """docs/severity.md: a grade lives in the registration and is repeated on the check's
    section (the ``severity **x**`` line) and in its page's table; they must agree."""
    wrong = []

    def sev(check_id: str) -> str:
        return REGISTRY[check_id].severity.value

    for page in sorted((DOCS / "checks").glob("*.md")):
        current = None
        for line in page.read_text("utf-8").splitlines():
            heading = re.match(r"## (\S+)\s*$", line)
            if heading:
                current = heading.group(1)
            row = re.match(r"\| \[`([^`]+)`\]\(#[^)]*\) \| (\w+) \|", line)
            if row and row.group(1) in REGISTRY and row.group(2) != sev(row.group(1)):
                wrong.append(f"{page.name} table: {row.group(1)} {row.group(2)}")
            stated = re.match(r"severity \*\*(\w+)\*\*", line)
            if stated and current in REGISTRY and stated.group(1) != sev(current):
                wrong.append(f"{page.name} ## {current}: {stated.group(1)}")
    assert wrong == []
