"""Write ``spec/COVERAGE.md``: for every OpenAPI document of ``spec/openapi/``, every
endpoint -> its operationId -> whether the reference proxy serves it -> which
conformance checks cover it.

Usage (from anywhere; the project must be installed, e.g. ``pip install -e .``)::

    python tools/coverage_table.py           # (re)write spec/COVERAGE.md
    python tools/coverage_table.py --check   # exit 1 when spec/COVERAGE.md is stale

How each column is decided (nothing is hand-written):

- **served**: the reference proxy is built in memory with
  ``reference_impl.app.create_app(Settings(profile=<document>))`` (``openai-core`` for
  the ``gemini-v1beta`` upstream document, whose operations the *mock* serves instead:
  ``mockserver.app.create_app()``). An endpoint is served when the app's aiohttp router
  has a route for the endpoint's method (or any method, ``*``) whose path pattern
  matches the endpoint's route with sample path parameters; the fallbacks do not count
  (``OPTIONS`` preflight, and the ``{tail}`` routes both apps use for unknown paths).
- **checks**: ``conformance.runner.plan`` with a controlled target of the document's
  profile gives the checks that run for it; a check covers the endpoints its probes
  (and its ``also`` probes that apply) request: each probe's request (method + URL path,
  ``conformance.probes.PROBES``) is located with ``spec.find_endpoint``.

This is a script, outside the packages: it may import ``spec``, ``reference_impl``,
``mockserver`` and ``conformance`` together, which the packages themselves never do.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

import conformance.checks  # noqa: F401  (registers every check in REGISTRY)
import spec
from conformance.probes import PROBES, probe_applies
from conformance.probes.documented import DOCUMENTED, NOT_PROBED
from conformance.registry import REGISTRY, Mode
from conformance.runner import plan
from conformance.target import Target
from mockserver.app import create_app as create_mock_app
from reference_impl.app import create_app as create_proxy_app
from reference_impl.settings import Settings
from spec.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "spec" / "COVERAGE.md"
UPSTREAM = "gemini-v1beta"
"""The one document the mock serves rather than the reference proxy."""

_PARAM = re.compile(r"\{([^{}]+)\}")


def _sample_path(endpoint: spec.Endpoint) -> str:
    """The endpoint's route with each path parameter replaced by a sample value."""
    op = spec.operation(endpoint.document, endpoint.path, endpoint.method)
    samples: dict[str, str] = {}
    for param in op.get("parameters", []):
        if "$ref" in param:
            ref = param["$ref"].rsplit("/", 1)[1]
            param = spec.load_document(endpoint.document)["components"]["parameters"][ref]
        if param.get("in") == "path":
            examples: dict[str, Any] = param.get("examples") or {}
            first: dict[str, Any] = next(iter(examples.values()), {})
            samples[param["name"]] = str(first.get("value", "sample"))
    return _PARAM.sub(lambda m: samples.get(m.group(1), "sample"), endpoint.route)


def _is_catch_all(route: web.AbstractRoute) -> bool:
    """The fallbacks: CORS preflight for any path, and the ``{tail}`` routes both apps
    use to answer unknown paths with a JSON 404/405."""
    info = route.resource.get_info() if route.resource is not None else {}
    return route.method == "OPTIONS" or "{tail}" in str(info.get("formatter", ""))


def _served(app: web.Application, endpoint: spec.Endpoint) -> bool:
    """Whether ``app`` has a route (not a catch-all) that answers ``endpoint``."""
    path = _sample_path(endpoint)
    for route in app.router.routes():
        if route.method not in (endpoint.method, "*") or _is_catch_all(route):
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        if info.get("path") == path:
            return True
        pattern = info.get("pattern")
        if pattern is not None and pattern.fullmatch(path):
            return True
    return False


def _checks_by_endpoint(document: str) -> dict[str, list[str]]:
    """operationId -> ids of the checks whose probes request that endpoint."""
    profile = PROFILES.get(document)
    if profile is None:
        return {}
    target = Target("http://proxy.invalid", profile, mock_url="http://mock.invalid")
    probe_endpoint: dict[str, str] = {}
    for name, probe in PROBES.items():
        if probe_applies(probe, target) is not None:
            continue
        request = probe.build(target, "coverage")
        hit = spec.find_endpoint(document, request.method, urlsplit(request.url).path)
        if hit is not None:
            probe_endpoint[name] = hit.operation_id
    for item in DOCUMENTED:  # a two-turn probe ends at its own endpoint (batch status)
        if item.profile == document:
            probe_endpoint[item.probe] = item.endpoint.operation_id
    covered: dict[str, set[str]] = defaultdict(set)
    for check in plan(target).checks:
        probes = [*check.probes, *check.also]
        for name in probes:
            if name in probe_endpoint:
                covered[probe_endpoint[name]].add(check.id)
    return {op: sorted(ids) for op, ids in covered.items()}


def _app_for(document: str) -> web.Application:
    if document == UPSTREAM:
        return create_mock_app()
    profile = document if document in PROFILES else "openai-core"
    return create_proxy_app(Settings(profile=profile))


def _controlled_only() -> set[str]:
    return {check.id for check in REGISTRY.values() if check.mode is Mode.CONTROLLED}


def render() -> str:
    """The whole ``spec/COVERAGE.md`` text (deterministic)."""
    controlled = _controlled_only()
    summary: list[str] = []
    sections: list[str] = []
    for document in spec.DOCUMENTS:
        endpoints = spec.endpoints(document)
        app = _app_for(document)
        checks = _checks_by_endpoint(document)
        server = "mock" if document == UPSTREAM else "reference proxy"
        source = spec.load_document(document)["info"].get("x-source", "")
        rows = []
        served_count = covered_count = 0
        for e in endpoints:
            served = _served(app, e)
            served_count += served
            ids = checks.get(e.operation_id, [])
            covered_count += bool(ids)
            cell = ", ".join(f"`{i}`" + ("*" if i in controlled else "") for i in ids)
            why = NOT_PROBED.get((document, e.operation_id))
            uncovered = f"- ({why})" if why and not ids else "-"
            rows.append(
                f"| `{e.method} {e.route}` | `{e.operation_id}` | "
                f"{'served' if served else '-'} | "
                f"{f'{len(ids)}: {cell}' if ids else uncovered} |"
            )
        summary.append(
            f"| [{document}](#{document}) | {source} | {len(endpoints)} | "
            f"{served_count} ({server}) | {covered_count} |"
        )
        sections.append(
            "\n".join(
                [
                    f"## {document}",
                    "",
                    f"`spec/openapi/{document}.yaml` ({source}); served by: the {server}"
                    + (
                        f" built with `--profile {document}`."
                        if document in PROFILES
                        else " (the Gemini upstream)."
                        if document == UPSTREAM
                        else "."
                    ),
                    "",
                    f"| endpoint | operationId | {server} | checks |",
                    "| --- | --- | --- | --- |",
                    *rows,
                ]
            )
        )
    head = [
        "# Spec coverage",
        "",
        "Generated by `python tools/coverage_table.py`; do not edit by hand "
        "(`tests/unit/test_spec_coverage.py` fails when this file is stale).",
        "",
        "For every endpoint of every document in `spec/openapi/`: whether the reference "
        "proxy (`reference_impl.app.create_app`, built with the document's profile) has a "
        "route for it (for `gemini-v1beta`, the upstream: whether the mock has one), and "
        "which conformance checks send requests to it (`conformance.runner.plan` for a "
        "controlled target of the document's profile, each probe's request located with "
        "`spec.find_endpoint`). `*` marks checks that need controlled mode (the upstream "
        "must be the mock).",
        "",
        "| document | source | endpoints | served | covered by checks |",
        "| --- | --- | --- | --- | --- |",
        *summary,
        "",
    ]
    return "\n".join(head) + "\n" + "\n\n".join(sections) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text("utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run `python tools/coverage_table.py`")
            return 1
        return 0
    OUTPUT.write_text(text, "utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
