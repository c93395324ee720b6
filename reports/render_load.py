"""The load report: a run's throughput and latency figures beside its check results.

:class:`LoadSummary` is what ``conformance load`` measured (plain data, JSON
round-trip); :func:`render_load_markdown` and :func:`render_load_html` render it with the
run's check records (``templates/load.md.j2``, ``templates/load.html.j2``), the HTML with
latency over time as an inline SVG (:func:`latency_svg`: no script, no external asset).
:func:`write_load_reports` writes the four reports of :func:`reports.render.write_reports`
(the same evidence as ``conformance run``) plus ``load.json``, ``load.md`` and
``load.html``. Renderers are pure; a leaf: nothing local but ``reports``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from reports.records import Outcome, ResultRecord, RunInfo
from reports.render import write_reports
from reports.render_jinja import html_env, markdown_env
from reports.render_score import DEFAULT_FAIL_ON, by_area, verdict

__all__ = [
    "LOAD_FILES",
    "LoadSummary",
    "TimelinePoint",
    "latency_svg",
    "render_load_html",
    "render_load_markdown",
    "write_load_reports",
]

LOAD_FILES = {"load_json": "load.json", "load_markdown": "load.md", "load_html": "load.html"}
"""Format name -> file name written by :func:`write_load_reports` (beside ``REPORT_FILES``)."""


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """One second of the run: answers that *started* in ``[t_s, t_s + 1)`` seconds after
    the first request, how many were errors, and their latency percentiles (ms, ``None``
    when the second has no answer)."""

    t_s: float
    requests: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What a load run measured. Latencies in milliseconds: ``latency_ms`` of whole
    answers (request sent to last byte), ``ttft_ms`` of streamed answers (to the first
    body byte), each ``{"p50", "p95", "p99", "max"}`` (``None`` when nothing was
    measured). ``rps``: answers per second over ``elapsed_s``. ``error_rate``: errors /
    requests (docs/load.md#error-rate). ``per_probe``: ``{"probe", "requests",
    "errors", "p50_ms", "p95_ms"}`` each. ``locust``: Locust's own statistics."""

    users: int
    spawn_rate: float
    duration_s: float
    elapsed_s: float
    workers: int
    requests: int
    errors: int
    throttled: int
    error_rate: float
    rps: float
    latency_ms: Mapping[str, float | None]
    ttft_ms: Mapping[str, float | None]
    per_probe: Sequence[Mapping[str, Any]] = ()
    timeline: Sequence[TimelinePoint] = ()
    locust: Mapping[str, Any] = field(default_factory=dict)
    stopped_by: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadSummary:
        """Raises ``ValueError`` naming a missing or unknown field."""
        try:
            raw = dict(data)
            raw["timeline"] = tuple(TimelinePoint(**p) for p in raw.get("timeline", ()))
            raw["per_probe"] = tuple(raw.get("per_probe", ()))
            return cls(**raw)
        except TypeError as exc:
            raise ValueError(f"not a load summary: {exc}") from None


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def latency_svg(points: Sequence[TimelinePoint], width: int = 720, height: int = 240) -> str:
    """An inline SVG of latency over the run: p50 and p95 per second as lines over bars of
    answers per second (their own scale, right axis). An empty run gives a frame saying
    so. Pure; every text is escaped."""
    pad_l, pad_r, pad_t, pad_b = 56, 56, 16, 32
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="latency over time">',
        f'<rect x="{pad_l}" y="{pad_t}" width="{inner_w}" height="{inner_h}" '
        'fill="#fafafa" stroke="#ccc"/>',
    ]
    if not points:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no answers</text>')
        return "\n".join([*out, "</svg>"])
    span = max(p.t_s for p in points) + 1
    top_ms = max((p.p95_ms or 0.0) for p in points) or 1.0
    top_n = max(p.requests for p in points) or 1

    def x(t: float) -> float:
        return pad_l + inner_w * t / span

    def y(value: float, top: float) -> float:
        return pad_t + inner_h * (1 - value / top)

    bar = max(1.0, inner_w / span - 1)
    for p in points:
        h = inner_h * p.requests / top_n
        out.append(
            f'<rect x="{x(p.t_s):.1f}" y="{pad_t + inner_h - h:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}" fill="#dbe8f5"><title>{p.t_s:g} s: {p.requests} answers, '
            f"{p.errors} errors</title></rect>"
        )
        if p.errors:
            he = inner_h * p.errors / top_n
            out.append(
                f'<rect x="{x(p.t_s):.1f}" y="{pad_t + inner_h - he:.1f}" width="{bar:.1f}" '
                f'height="{he:.1f}" fill="#f2b8b5"/>'
            )
    for key, colour in (("p50_ms", "#2a6fb0"), ("p95_ms", "#c0392b")):
        coords = [
            f"{x(p.t_s + 0.5):.1f},{y(float(getattr(p, key)), top_ms):.1f}"
            for p in points
            if getattr(p, key) is not None
        ]
        if coords:
            out.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(coords)}"/>'
            )
    out += [
        f'<text x="{pad_l - 6}" y="{pad_t + 10}" text-anchor="end" font-size="11">'
        f"{escape(_ms(top_ms))}</text>",
        f'<text x="{pad_l - 6}" y="{pad_t + inner_h}" text-anchor="end" font-size="11">0</text>',
        f'<text x="{pad_l + inner_w + 6}" y="{pad_t + 10}" font-size="11">{top_n}/s</text>',
        f'<text x="{pad_l}" y="{height - 8}" font-size="11">0 s</text>',
        f'<text x="{pad_l + inner_w}" y="{height - 8}" text-anchor="end" font-size="11">'
        f"{span:g} s</text>",
        f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle" font-size="11">'
        '<tspan fill="#2a6fb0">p50</tspan> / <tspan fill="#c0392b">p95</tspan> latency; '
        "bars: answers per second (errors in red)</text>",
        "</svg>",
    ]
    return "\n".join(out)


def _view(
    run: RunInfo, summary: LoadSummary, results: Iterable[ResultRecord], fail_on: Iterable[str]
) -> dict[str, Any]:
    ordered = by_area(results)
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    return {
        "run": run,
        "s": summary,
        "verdict": verdict(ordered, tuple(fail_on)).text,
        "failed": sorted(
            (r for r in ordered if r.outcome is Outcome.FAILED),
            key=lambda r: (rank.get(r.severity, 9), r.check_id),
        ),
        "errors": [r for r in ordered if r.outcome is Outcome.ERROR],
        "passed": [r for r in ordered if r.outcome is Outcome.PASSED],
        "skipped": [r for r in ordered if r.outcome is Outcome.SKIPPED],
        "ms": _ms,
    }


def render_load_markdown(
    run: RunInfo,
    summary: LoadSummary,
    results: Iterable[ResultRecord],
    *,
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
) -> str:
    """The Markdown load report: verdict, figures, per-probe table, the checks' outcomes
    (the failures' evidence is in ``report.md``, linked)."""
    view = _view(run, summary, results, fail_on)
    return markdown_env().get_template("load.md.j2").render(v=view)


def render_load_html(
    run: RunInfo,
    summary: LoadSummary,
    results: Iterable[ResultRecord],
    *,
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
) -> str:
    """The HTML load report: as the Markdown one, with :func:`latency_svg` inline."""
    view = _view(run, summary, results, fail_on)
    view["svg"] = latency_svg(summary.timeline)
    return html_env().get_template("load.html.j2").render(v=view)


def write_load_reports(
    out_dir: Path,
    run: RunInfo,
    summary: LoadSummary,
    results: Iterable[ResultRecord],
    *,
    fail_on: Iterable[str] = DEFAULT_FAIL_ON,
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md``, ``report.html``, ``junit.xml``
    (:func:`reports.render.write_reports`) and ``load.json`` (``{"run", "load"}``),
    ``load.md``, ``load.html`` into ``out_dir``; return format name -> path."""
    records = list(results)
    fail_on = tuple(fail_on)
    paths = write_reports(out_dir, run, records, fail_on=fail_on)
    texts = {
        "load_json": json.dumps(
            {"run": asdict(run), "load": summary.to_json()}, indent=2, ensure_ascii=False
        )
        + "\n",
        "load_markdown": render_load_markdown(run, summary, records, fail_on=fail_on),
        "load_html": render_load_html(run, summary, records, fail_on=fail_on),
    }
    for name, file in LOAD_FILES.items():
        paths[name] = out_dir / file
        paths[name].write_text(texts[name], encoding="utf-8")
    return paths
