"""Captures: the differential checks (docs/captures.md). For every capture the mock
replays, what openai-python parses from the proxy's streamed and unary answers (content,
reasoning, tool calls with parsed arguments, finish_reason, usage; or, for an error
capture, the status, the exception and Retry-After) must equal what the capture means on
the OpenAI side (:func:`conformance.capture_expect.expect`). One check per capture,
``captures.NAME``, reading the capture's two probes (:mod:`conformance.probes.captures`).

The bundled corpus is registered at import; :func:`add_captures` registers a directory's
captures (``conformance run --captures DIR``) before a run is planned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from spec.capture_format import Capture, load_dir

from ..capture_expect import Answer, ErrorAnswer, Expectation
from ..exchange import Exchange
from ..oracles import ClientOutcome, replay_openai_python
from ..probes import base as probe_base
from ..probes import captures as capture_probes
from ..registry import (
    REGISTRY,
    CheckFailure,
    Mode,
    NotApplicable,
    Severity,
    Undecided,
    arrange,
    check,
    excerpt,
)
from ._common import error_payloads, require_response
from ._refusals import refused_fields
from .causes import (
    NO_RETRY_AFTER,
    NO_USAGE,
    THOUGHTS_LEFT_OUT,
    TOOL_CALLS_STOP,
    several,
)
from .causes import refused_fields as refused_cause
from .errors import check_envelope
from .upstream import generate_calls, is_openai_compat, journal_unreadable

__all__ = ["SOURCE", "add_captures", "check_id", "compare", "observed"]

SOURCE = (
    "docs/captures.md; https://ai.google.dev/api/generate-content; "
    "https://platform.openai.com/docs/api-reference/chat/object; "
    "https://ai.google.dev/gemini-api/docs/openai"
)


def check_id(name: str) -> str:
    """The id of capture ``name``'s differential check: ``captures.NAME``."""
    return f"captures.{name}"


# --- what the client got ------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _extra(obj: Any, *keys: str) -> str:
    """The first string among ``obj``'s (extra) fields ``keys``."""
    for key in keys:
        value = getattr(obj, key, None)
        if value is None:
            value = (getattr(obj, "model_extra", None) or {}).get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _arguments(raw: Any) -> Any:
    """A tool call's ``arguments`` string parsed (the raw string when it is not JSON)."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw) if raw.strip() else raw
    except ValueError:
        return raw


def _usage(usage: Any) -> dict[str, Any] | None:
    if usage is None:
        return None
    return {
        k: getattr(usage, k, None) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    }


def observed(outcome: ClientOutcome, stream: bool) -> dict[str, Any]:
    """What openai-python returned, choice 0, as ``{"content", "reasoning", "tool_calls":
    [{"name", "arguments"}], "finish_reason", "usage"}``: a stream's deltas assembled the
    SDK's way (tool calls by their ``index``, the name once, the arguments concatenated,
    then parsed), its usage the last chunk's that carries one. Raises ``ValueError`` for a
    tool-call delta without ``index`` (openai-python's own accumulator raises on it)."""
    if not stream:
        completion = outcome.result
        if not hasattr(completion, "choices"):  # openai-python hands back the raw text
            raise ValueError(
                f"it returned a {type(completion).__name__}, not a ChatCompletion (the "
                "answer was not a JSON chat.completion: a stream to a unary request?)"
            )
        choice = completion.choices[0] if completion.choices else None
        message = choice.message if choice is not None else None
        calls = (message.tool_calls or []) if message is not None else []
        return {
            "content": _text(getattr(message, "content", None)),
            "reasoning": _extra(message, "reasoning_content", "reasoning"),
            "tool_calls": [
                {"name": c.function.name, "arguments": _arguments(c.function.arguments)}
                for c in calls
                if getattr(c, "function", None) is not None
            ],
            "finish_reason": getattr(choice, "finish_reason", None),
            "usage": _usage(completion.usage),
        }
    content: list[str] = []
    reasoning: list[str] = []
    calls_by_index: dict[int, dict[str, Any]] = {}
    finish: Any = None
    usage: Any = None
    for chunk in outcome.result or []:
        if getattr(chunk, "usage", None) is not None:
            usage = chunk.usage
        for choice in chunk.choices or []:
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta is not None:
                content.append(_text(delta.content))
                reasoning.append(_extra(delta, "reasoning_content", "reasoning"))
                for call in delta.tool_calls or []:
                    if call.index is None:
                        raise ValueError("a tool-call delta without index")
                    slot = calls_by_index.setdefault(call.index, {"name": "", "arguments": ""})
                    function = call.function
                    if function is not None:
                        slot["name"] = slot["name"] or _text(function.name)
                        slot["arguments"] += _text(function.arguments)
            if choice.finish_reason is not None:
                finish = choice.finish_reason
    return {
        "content": "".join(content),
        "reasoning": "".join(reasoning),
        "tool_calls": [
            {"name": c["name"], "arguments": _arguments(c["arguments"])}
            for _, c in sorted(calls_by_index.items())
        ],
        "finish_reason": finish,
        "usage": _usage(usage),
    }


# --- the comparison -----------------------------------------------------------------------


def _short(value: Any, limit: int = 120) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)")
"""A Markdown image, ``![alt](url)``: how proxies show an image part in ``content``."""


def _images_shown(expected: Answer, content: Any) -> bool:
    """Whether ``content`` is the expected text with the capture's image parts shown as
    Markdown images (at most one per image part; whitespace around them not compared)."""
    if not expected.images or not isinstance(content, str):
        return False
    shown = _MARKDOWN_IMAGE.findall(content)
    if not shown or len(shown) > expected.images:
        return False
    rest = _MARKDOWN_IMAGE.sub(" ", content)
    return rest.split() == expected.text.split()


def _unmapped_shown(expected: Answer, content: Any) -> bool:
    """Whether ``content`` reads as the expected text runs in order, with anything (or
    nothing) where the capture had a part OpenAI has no field for (``Answer.layout``:
    code the model ran, shown as Markdown or dropped); whitespace at the joins is not
    compared."""
    if not expected.layout or not isinstance(content, str):
        return False
    pattern = "".join(
        r"[\s\S]*?" if run is None else r"\s*" + re.escape(run.strip()) + r"\s*"
        for run in expected.layout
    )
    return re.fullmatch(pattern, content) is not None


def compare(expected: Answer, got: Mapping[str, Any]) -> list[str]:
    """The differences between an expected answer and what the client got (``observed``),
    one readable line each; empty when they agree. Reasoning absent is tolerated."""
    diffs: list[str] = []
    if (
        got["content"] != expected.text
        and not _images_shown(expected, got["content"])
        and not _unmapped_shown(expected, got["content"])
    ):
        diffs.append(f"content: expected {_short(expected.text)}, got {_short(got['content'])}")
    if got["reasoning"]:
        if not expected.reasoning:
            diffs.append(f"reasoning: the capture has no thoughts, got {_short(got['reasoning'])}")
        elif got["reasoning"] != expected.reasoning:
            diffs.append(
                f"reasoning: expected {_short(expected.reasoning)}, got {_short(got['reasoning'])}"
            )
    want = [c.as_json() for c in expected.tool_calls]
    calls = list(got["tool_calls"])
    if len(calls) != len(want):
        diffs.append(
            f"tool_calls: expected {len(want)} "
            f"({', '.join(c['name'] for c in want) or 'none'}), got {len(calls)} "
            f"({', '.join(repr(c['name']) for c in calls) or 'none'})"
        )
    for i, (w, g) in enumerate(zip(want, calls, strict=False)):
        if g["name"] != w["name"]:
            diffs.append(f"tool_calls[{i}].name: expected {w['name']!r}, got {g['name']!r}")
        if g["arguments"] != w["arguments"]:
            diffs.append(
                f"tool_calls[{i}].arguments: expected {_short(w['arguments'])}, "
                f"got {_short(g['arguments'])}"
            )
    if len(calls) != len(want):
        for i, g in enumerate(calls[len(want) :], len(want)):
            diffs.append(f"tool_calls[{i}]: unexpected {_short(g)}")
    if got["finish_reason"] not in expected.finish_reasons and not (
        got["finish_reason"] is None and expected.finish_optional
    ):
        accepted = " or ".join(repr(r) for r in expected.finish_reasons)
        diffs.append(f"finish_reason: expected {accepted}, got {got['finish_reason']!r}")
    if expected.usage is not None:
        usage = got["usage"]
        if usage is None:
            diffs.append(f"usage: expected {_short(expected.usage.as_json())}, got none")
        else:
            u = expected.usage
            for key, accepted_values in (
                ("prompt_tokens", u.prompts or (u.prompt_tokens,)),
                ("completion_tokens", u.completions or (u.completion_tokens,)),
                ("total_tokens", u.totals),
            ):
                if usage.get(key) not in accepted_values:
                    want_text = " or ".join(str(v) for v in accepted_values)
                    diffs.append(f"usage.{key}: expected {want_text}, got {usage.get(key)!r}")
    return diffs


def _error_diffs(expected: ErrorAnswer, x: Exchange, outcome: ClientOutcome) -> list[str]:
    diffs: list[str] = []
    status = x.status
    if status not in expected.statuses:
        shown = (
            "a 5xx" if expected.status >= 500 else " or ".join(str(s) for s in expected.statuses)
        )
        event = " (the error inside a 200 stream)" if status == 200 and x.is_stream else ""
        diffs.append(f"HTTP status: expected {shown}, got {status}{event}")
    exception = expected.exception_for(status)
    if outcome.error_type != exception:
        got = outcome.error_type or "nothing (it returned an answer)"
        diffs.append(f"openai-python raises: expected {exception}, got {got}")
    if status is not None and status >= 400:
        try:
            check_envelope(x)
        except CheckFailure as failure:
            diffs.append(f"error body: {failure.message}")
    if expected.retry_after_min_s is not None and status == 429:
        diffs.extend(_retry_diffs(expected, x))
    return diffs


_NO_RETRY_HEADER = "got no Retry-After or retry-after-ms header"


def _retry_diffs(expected: ErrorAnswer, x: Exchange) -> list[str]:
    """``Retry-After`` must be at least the RetryInfo delay rounded up (whole seconds),
    ``retry-after-ms`` (read first by openai-python) at least the delay; one of them must
    be there."""
    delay = expected.retry_delay_s or 0.0
    floor = expected.retry_after_min_s or 0
    seconds, millis = x.header("retry-after"), x.header("retry-after-ms")
    if seconds is None and millis is None:
        return [
            f"Retry-After: expected >= {floor} (the RetryInfo delay {delay:g}s rounded up), "
            + _NO_RETRY_HEADER
        ]
    diffs: list[str] = []
    for raw, scale, least, name in (
        (seconds, 1.0, floor, "Retry-After"),
        (millis, 0.001, delay, "retry-after-ms"),
    ):
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            value = -1.0
        if value < least:
            shown = f"{least:g}" if scale == 1.0 else f"{least * 1000:g}"
            diffs.append(
                f"{name}: expected >= {shown} (the RetryInfo delay {delay:g}s), got {raw!r}"
            )
    return diffs


def _capture_shown(capture: Capture, stream: bool) -> str:
    if capture.is_error:
        return f"HTTP {capture.status} " + json.dumps(capture.error, ensure_ascii=False)
    if stream and capture.chunks is not None:
        lines = [json.dumps(c, ensure_ascii=False) for c in capture.chunks]
        return f"{len(lines)} chunks:\n" + "\n".join(lines)
    answer = capture.unary if capture.unary is not None else {}
    if capture.unary is None:
        return f"{len(capture.chunks or ())} chunks (the unary answer folds them)"
    return json.dumps(answer, ensure_ascii=False)


_SHOWN = 2000
"""Characters of the capture shown in a failure's evidence."""


def _side_by_side(
    name: str, form: str, capture: Capture, expected: Any, got: Any, diffs: list[str]
) -> str:
    cut = _capture_shown(capture, form == "streamed")
    if len(cut) > _SHOWN:
        cut = f"{cut[:_SHOWN]}… ({len(cut) - _SHOWN} more characters)"
    return (
        f"capture {name} ({form} request)\n"
        f"--- capture ---\n{cut}\n"
        f"--- expected (openai-python) ---\n{json.dumps(expected, indent=1, ensure_ascii=False)}\n"
        f"--- got (openai-python) ---\n{json.dumps(got, indent=1, ensure_ascii=False)}\n"
        f"--- differences ---\n" + "\n".join(f"- {d}" for d in diffs)
    )


def _asked_usage(x: Exchange) -> bool:
    """Whether the request asked for a usage chunk (``stream_options.include_usage``):
    the capture probes ask only where the profile claims ``usage_chunk``."""
    body = x.request.json_body
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def _judge(
    name: str, capture: Capture, expected: Answer | ErrorAnswer, x: Exchange, form: str
) -> tuple[list[str], str, ClientOutcome | None]:
    """``(differences, side-by-side evidence, the client's outcome)`` for one form."""
    status = require_response(x)
    stream = form == "streamed"
    if stream and isinstance(expected, Answer) and not _asked_usage(x):
        expected = replace(expected, usage=None)  # usage in a stream is the client's ask
    if isinstance(expected, ErrorAnswer):
        outcome = replay_openai_python(x, "stream" if stream else "create")
        diffs = _error_diffs(expected, x, outcome)
        got = {
            "status": status,
            "openai-python raises": outcome.error_type,
            "Retry-After": x.header("retry-after"),
            "retry-after-ms": x.header("retry-after-ms"),
            "body": excerpt(x.body, 300),
        }
        return diffs, _side_by_side(name, form, capture, expected.as_json(), got, diffs), outcome
    if status != 200:
        if expected.refusal_ok and 400 <= status < 500 and status != 429:
            try:
                check_envelope(x)
                return [], "", None  # a prompt block refused cleanly: accepted
            except CheckFailure:
                pass
        if expected.cut_ok and status >= 500:
            return [], "", None  # no finishReason, taken for a cut stream: accepted
        called = generate_calls(x)
        who = (
            ""
            if journal_unreadable(x) or called
            else " without calling the upstream (no generate call in the mock's journal)"
        )
        diffs = [f"HTTP {status}{who}: expected a 200 answer for a real Gemini answer"]
        got_error = {"status": status, "body": excerpt(x.body, 400)}
        return (
            diffs,
            _side_by_side(name, form, capture, expected.as_json(), got_error, diffs),
            None,
        )
    outcome = replay_openai_python(x, "stream" if stream else "create")
    if not outcome.ok and expected.cut_ok and error_payloads(x):
        return [], "", None  # the same, as an error event after the 200
    if not outcome.ok:
        diffs = [f"openai-python raises {outcome.error}"]
        got_raise = {"openai-python raises": outcome.error}
        return (
            diffs,
            _side_by_side(name, form, capture, expected.as_json(), got_raise, diffs),
            (outcome),
        )
    try:
        got = observed(outcome, stream)
    except ValueError as exc:
        what = "assemble the stream" if stream else "read the answer"
        diffs = [f"openai-python cannot {what}: {exc}"]
        return diffs, _side_by_side(name, form, capture, expected.as_json(), {}, diffs), outcome
    diffs = compare(expected, got)
    return diffs, _side_by_side(name, form, capture, expected.as_json(), got, diffs), outcome


_COMPLETION_DIFF = re.compile(r"usage\.completion_tokens: expected (\d+), got (\d+)")


def _diff_cause(diff: str, expected: Answer | ErrorAnswer) -> str | None:
    """The root cause (:mod:`.causes`) one difference certainly shows, else ``None``."""
    if diff.endswith(_NO_RETRY_HEADER):
        return NO_RETRY_AFTER
    if diff == "finish_reason: expected 'tool_calls', got 'stop'":
        return TOOL_CALLS_STOP
    if diff.startswith("usage: expected ") and diff.endswith(", got none"):
        return NO_USAGE
    m = _COMPLETION_DIFF.fullmatch(diff)
    usage = expected.usage if isinstance(expected, Answer) else None
    if (
        m
        and usage is not None
        and usage.thoughts > 0
        and int(m.group(2)) == int(m.group(1)) - usage.thoughts
    ):
        return THOUGHTS_LEFT_OUT
    return None


_OUTRIGHT = ("HTTP ", "openai-python raises ")
"""How a difference begins when the form failed outright (no answer to compare)."""


def _cause(
    failures: list[tuple[list[str], Answer | ErrorAnswer]],
    refusals: Sequence[Sequence[str]] = (),
) -> str | None:
    """The cause every difference of both forms shows, or the causes together
    (:func:`.causes.several`) when each difference shows one of several; ``None`` when
    a difference shows none (the failure is then a finding of its own). ``refusals``:
    per form, the request fields its error answer refused by name
    (:func:`._refusals.refused_fields`); such a form's cause is that refusal
    (:func:`.causes.refused_fields`), whatever its differences say, and so is the cause
    of the other form when that one failed outright (an error status or an error raised,
    its answer naming nothing: both requests carry the same fields; lm-proxy refuses a
    streamed call's tools by name and the unary one's with a bare 502)."""
    named_once = next((list(r) for r in refusals if r), None)
    causes: list[str | None] = []
    for i, (diffs, expected) in enumerate(failures):
        named = refusals[i] if i < len(refusals) else ()
        if named:
            causes.append(refused_cause(list(named)))
        elif named_once and diffs and all(d.startswith(_OUTRIGHT) for d in diffs):
            causes.append(refused_cause(named_once))
        else:
            causes += [_diff_cause(d, expected) for d in diffs]
    known = [c for c in causes if c is not None]
    if not causes or len(known) < len(causes):
        return None
    return several(known)


def expected_for(expectation: Expectation, form: str, x: Exchange) -> Answer | ErrorAnswer:
    """What ``form``'s client must get: the answer of the upstream call the proxy made,
    which is what the mock replayed (a ``streamGenerateContent`` call gets the capture's
    chunks, ``generateContent`` its unary answer), whatever the client asked for; a
    unary client gets it whole (zuisong/gemini-openai-proxy answers a unary request by
    streaming from Gemini; a stream without a finishReason then looks cut to it as well).
    Without a generate call in the journal: by the form."""
    calls = generate_calls(x)
    path = str(calls[-1].get("path", "")).lower() if calls else ""
    if "streamgeneratecontent" in path:
        return expectation.stream
    if "generatecontent" in path:
        return expectation.unary
    return expectation.stream if form == "streamed" else expectation.unary


def _differential(name: str) -> Callable[[Exchange, Exchange], str]:
    def run(streamed: Exchange, unary: Exchange) -> str:
        capture = capture_probes.CAPTURES[name]
        expectation: Expectation = capture_probes.EXPECTATIONS[name]
        failures: list[tuple[str, list[str], str, ClientOutcome | None]] = []
        judged: list[tuple[list[str], Answer | ErrorAnswer]] = []
        refusals: list[list[str]] = []
        if any(is_openai_compat(c) for x in (streamed, unary) for c in generate_calls(x)):
            raise NotApplicable(
                f"capture {name}: the proxy called Google's OpenAI-compatible endpoint "
                "(/v1beta/openai), where the mock replays no capture (it replays them as "
                "Gemini's own generateContent answers)"
            )
        for form, x in (("streamed", streamed), ("unary", unary)):
            expected = expected_for(expectation, form, x)
            if x.status is None:
                raise Undecided(f"no response to the {form} request: {x.transport_error}")
            diffs, shown, outcome = _judge(name, capture, expected, x, form)
            if diffs:
                failures.append((form, diffs, shown, outcome))
                judged.append((diffs, expected))
                refused = refused_fields(x) if isinstance(expected, Answer) else []
                refusals.append(refused)
        if failures:
            summary = "; ".join(f"{form}: {', '.join(diffs[:3])}" for form, diffs, _, _ in failures)
            clients = {  # the streamed exchange's own replay is added by the runner
                f"{o.client}, unary": o.verdict()
                for form, _, _, o in failures
                if o is not None and form == "unary"
            }
            raise CheckFailure(
                f"capture {name}: {summary}",
                excerpt="\n\n".join(shown for _, _, shown, _ in failures),
                clients=clients,
                cause=_cause(judged, refusals),
            )
        return f"capture {name}: streamed and unary answers match the capture"

    run.__name__ = f"differential_{name}"
    return run


def _register_checks(names: list[str]) -> None:
    for name in names:
        capture = capture_probes.CAPTURES[name]
        expectation = capture_probes.EXPECTATIONS[name]
        stream_probe, unary_probe = capture_probes.probe_names(name)
        kind = (
            f"an upstream HTTP {capture.status} error"
            if capture.is_error
            else "tool calls"
            if expectation.tools
            else "an answer"
        )
        REGISTRY.pop(check_id(name), None)  # a bundled capture the directory replaces
        check(
            check_id(name),
            title=f"Capture {name} ({kind}): what openai-python parses equals what the "
            "recorded Gemini answer means, streamed and unary",
            severity=Severity.HIGH,
            source=SOURCE,
            probes=(stream_probe, unary_probe),
            mode=Mode.CONTROLLED,
            features=("chat", "stream", *(("tools",) if expectation.tools else ())),
        )(_differential(name))


def _module_order(entries: Iterable[Any], module_of: Callable[[Any], str]) -> list[str]:
    """The modules of ``entries`` in the order they first appear (the declared order of
    a registry that is in order)."""
    return list(dict.fromkeys(module_of(e) for e in entries))


def add_captures(directory: str | Path, skipped: list[str] | None = None) -> list[str]:
    """Register the probes and the differential checks of every capture in ``directory``
    (``conformance run --captures DIR``) and return the capture names newly registered
    (a capture already registered with the same content, e.g. a bundled one, is skipped;
    one of a bundled capture's name with other content replaces it and is returned; a
    file that holds no recorded answer is left out, with a line appended to ``skipped``
    when given: :func:`spec.capture_format.load_dir`).
    The registries keep their declared order (the new entries join their module's).

    Raises :class:`spec.capture_format.CaptureError` for a directory or file that cannot be
    read, ``ValueError`` for a capture whose probe names clash with another probe's, and
    :class:`conformance.capture_expect.ExpectationError` for a capture whose meaning
    cannot be derived."""
    probe_modules = _module_order(probe_base.PROBES.values(), lambda p: p.module)
    check_modules = _module_order(REGISTRY.values(), lambda c: c.func.__module__)
    added = capture_probes.register(load_dir(directory, skipped))
    _register_checks(added)
    probe_base.arrange(probe_modules)
    arrange(check_modules)
    return added


_register_checks(list(capture_probes.BUNDLED_NAMES))
