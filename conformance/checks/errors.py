"""Errors: the status codes and the OpenAI error envelope clients depend on.

openai-python maps the status to an exception class and unwraps
``body.get("error", body)`` (docs/openai-wire.md B3); anything but an object with
``error.message`` gives users "400 status code (no body)" in openai-node
(docs/breakages.md D1). Status mapping and 429 handling: docs/breakages.md D2, E1.
"""

from __future__ import annotations

from typing import Any

from spec.wire import CREDENTIAL_REASONS

from ..exchange import Exchange
from ..probes.faults import AFTER_FAULTS, STATUS_MAP
from ..registry import CheckFailure, Mode, NotApplicable, Severity, Undecided, check, excerpt
from ._common import OPENAI_ERROR_SOURCE, OPENAI_PYTHON, require_response
from .causes import ERROR_TYPE, NO_RETRY_AFTER, wrong_status
from .upstream import (
    PROXY_WITHOUT_UPSTREAM,
    client_key_upstream,
    confirm_upstream_success,
    credential_of,
    generate_calls,
    own_words,
    upstream_said,
)

__all__ = ["ERROR_PROBES", "check_envelope", "require_key_refused_upstream", "upstream_clause"]

ERROR_PROBES: dict[str, tuple[str, Mode]] = {
    "bad_key": ("a wrong API key", Mode.BLACK_BOX),
    "unknown_model": ("an unknown model", Mode.BLACK_BOX),
    "malformed_body": ("a truncated JSON body", Mode.BLACK_BOX),
    "rate_limit": ("an upstream 429", Mode.CONTROLLED),
}


def upstream_clause(x: Exchange, scripted: str) -> tuple[str, str | None]:
    """What a failure message may say about the upstream of ``x`` (issue 12 item 5), and
    the failure's ``cause``: the journal's own account (``"the upstream answered 404
    NOT_FOUND"``; ``"the proxy answered without calling the upstream"``, with
    :data:`PROXY_WITHOUT_UPSTREAM` as the cause), or, when the journal cannot tell,
    that the mock was *told* to answer ``scripted`` (``"404 NOT_FOUND"``)."""
    said = upstream_said(x)
    if not said:
        return f"the mock was scripted to answer {scripted} (its journal cannot tell)", None
    if not generate_calls(x):
        return f"{said} (its scripted {scripted} never happened)", PROXY_WITHOUT_UPSTREAM
    return said, None


def check_envelope(x: Exchange) -> None:
    """Fail unless ``x`` is an error status with an OpenAI-shaped JSON error body.

    The body is read as JSON whatever its ``Content-Type``, as the SDKs read it
    (openai-python and openai-node parse an error's text; the AI SDK's
    ``createJsonErrorResponseHandler`` too): a JSON envelope under another type (Google
    answers a streamed call's bad key with ``text/event-stream``, which a proxy may pass
    on) is an envelope; the type is named when the body is not JSON."""
    status = require_response(x)
    require_key_refused_upstream(x)
    if status < 400:
        raise CheckFailure(f"expected an error status, got HTTP {status}", excerpt=excerpt(x.body))
    try:
        body: Any = x.json()
    except ValueError:
        kind = x.header("content-type")
        raise CheckFailure(
            f"the error body is not JSON (Content-Type {kind!r})", excerpt=excerpt(x.body)
        ) from None
    if isinstance(body, list):
        raise CheckFailure(
            "the error body is a top-level array (Google's OpenAI endpoint does this); "
            "openai-node reports '400 status code (no body)'",
            excerpt=excerpt(x.body),
        )
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        keys = sorted(body) if isinstance(body, dict) else type(body).__name__
        hint = " (FastAPI's {'detail': ...})" if isinstance(body, dict) and "detail" in body else ""
        raise CheckFailure(
            f"the error body has no `error` object{hint}: keys {keys}; openai-python falls "
            "back to the whole body and the message is lost",
            excerpt=excerpt(x.body),
        )
    error = body["error"]
    if not isinstance(error.get("message"), str) or not error["message"]:
        raise CheckFailure("error.message is missing or not a string", excerpt=excerpt(x.body))
    if not isinstance(error.get("type"), str):
        raise CheckFailure(
            "error.type is missing or not a string; clients branch on it",
            excerpt=excerpt(x.body),
            cause=ERROR_TYPE,
        )


for _probe, (_what, _mode) in ERROR_PROBES.items():
    check(
        f"errors.envelope.{_probe}",
        title=f"The error for {_what} is a JSON object {{error: {{message, type, ...}}}}",
        severity=Severity.HIGH,
        source=OPENAI_ERROR_SOURCE,
        probes=(_probe,),
        mode=_mode,
        features=("chat",),
    )(check_envelope)


@check(
    "errors.bad_key_status",
    title="A wrong API key gets 401 (or 403, or Google's own 400 refusal of the key), never "
    "2xx, 404 or 5xx",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}_client.py; https://platform.openai.com/docs/guides/error-codes; "
        "docs/openai-wire.md#b3-errors-and-retries"
    ),
    probes=("bad_key",),
    features=("chat",),
)
def bad_key_status(x: Exchange) -> str | None:
    """401 or 403 passes. So does a 400 that names Google's refusal of the key (an
    ErrorInfo reason of :data:`spec.wire.CREDENTIAL_REASONS`, or Google's "API key not
    valid" message): a bring-your-own-key proxy relays Google's own answer, which is
    also what Google's OpenAI-compatible endpoint sends (400 ``API_KEY_INVALID``); the
    exception class openai-python then raises is ``clients.openai_python.error_bad_key``'s
    to judge (medium)."""
    status = require_response(x)
    require_key_refused_upstream(x)
    if status == 400 and _names_the_key(x.body):
        return (
            "HTTP 400 with Google's own refusal of the key, as Google's OpenAI-compatible "
            "endpoint answers (openai-python raises BadRequestError, not AuthenticationError)"
        )
    if status not in (401, 403):
        raise CheckFailure(
            f"a wrong API key got HTTP {status}; clients expect 401 AuthenticationError",
            excerpt=excerpt(x.body),
            cause=wrong_status(x.probe, status),
        )
    return None


def require_key_refused_upstream(x: Exchange) -> None:
    """For the ``bad_key`` probe: :class:`Undecided` when a success reached the client
    because the proxy passed the client's wrong key on to the upstream (a
    bring-your-own-key proxy) and the mock, started without ``--api-key``, accepted it.
    Google refuses a wrong key (400 ``API_KEY_INVALID``); what the proxy makes of that
    refusal is then not shown, and a 200 is the mock's doing, not the proxy's."""
    if x.probe != "bad_key" or x.status is None or not 200 <= x.status < 300:
        return
    relayed = client_key_upstream(x)
    upstream_status = generate_calls(x)[-1].get("status") if relayed else None
    if isinstance(upstream_status, int) and 200 <= upstream_status < 300:
        raise Undecided(
            f"the proxy passed the client's wrong key on to the upstream ({relayed}: it "
            "brings the client's own key) and the mock, which accepts any key unless started "
            "with --api-key, answered it: what the proxy does with Google's refusal of a "
            "wrong key is not shown; start the mock with --api-key to judge it"
        )


def _names_the_key(body: bytes) -> bool:
    """Whether an error body carries Google's refusal of the request's key."""
    text = body.decode("utf-8", "replace")
    return "API key not valid" in text or any(reason in text for reason in CREDENTIAL_REASONS)


@check(
    "errors.unknown_model_status",
    title="An unknown model gets 400 or 404, never 2xx or 5xx",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}_base_client.py; docs/openai-wire.md#b3-errors-and-retries; "
        "docs/breakages.md#d2-wrong-status-codes"
    ),
    probes=("unknown_model",),
    features=("chat",),
)
def unknown_model_status(x: Exchange) -> None:
    status = require_response(x)
    if status not in (400, 404):
        raise CheckFailure(
            f"an unknown model got HTTP {status}, expected 400 or 404",
            excerpt=excerpt(x.body),
            cause=wrong_status(x.probe, status),
        )


@check(
    "errors.malformed_body_status",
    title="A malformed JSON body gets 400 (or 422), never 2xx or 5xx",
    severity=Severity.HIGH,
    source=(
        "https://github.com/tashfeenahmed/freellmapi/issues/97; "
        "docs/breakages.md#d2-wrong-status-codes"
    ),
    probes=("malformed_body",),
    features=("chat",),
)
def malformed_body_status(x: Exchange) -> None:
    status = require_response(x)
    if status not in (400, 422):
        raise CheckFailure(
            f"a truncated JSON body got HTTP {status}, expected 400", excerpt=excerpt(x.body)
        )


@check(
    "errors.rate_limit_status",
    title="An upstream 429 RESOURCE_EXHAUSTED stays a 429",
    severity=Severity.CRITICAL,
    source=(
        "https://github.com/snailyp/gemini-balance/issues/327; "
        "docs/breakages.md#d2-wrong-status-codes; docs/breakages.md#e1-429-handling-and-retries"
    ),
    probes=("rate_limit",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def rate_limit_status(x: Exchange) -> None:
    status = require_response(x)
    if status != 429:
        said, cause = upstream_clause(x, "429 RESOURCE_EXHAUSTED")
        raise CheckFailure(
            f"{said}; the client got HTTP {status}, expected 429",
            excerpt=excerpt(x.body),
            cause=cause or wrong_status(x.probe, status),
        )


@check(
    "errors.retry_after",
    title="A 429 carries Retry-After (or retry-after-ms) of at least the upstream retryDelay",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}_base_client.py; https://ai.google.dev/gemini-api/docs/rate-limits; "
        "docs/openai-wire.md#c5-turn-retryinfo-into-retry-after"
    ),
    probes=("rate_limit",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def retry_after(x: Exchange) -> None:
    status = require_response(x)
    said, cause = upstream_clause(x, "429 RESOURCE_EXHAUSTED with RetryInfo 17s")
    if status != 429:
        raise CheckFailure(
            f"no 429 to read a delay from: {said}; the client got HTTP {status}",
            excerpt=excerpt(x.body),
            cause=cause,
        )
    asked = "the upstream asked for 17s (RetryInfo)" if cause is None else said
    delay = x.retry_after_s()
    if delay is None:
        raise CheckFailure(
            f"the 429 has no Retry-After or retry-after-ms header; {asked}, and clients fall "
            "back to 0.5-8 s backoff, hammering the quota",
            excerpt=excerpt(x.body),
            cause=NO_RETRY_AFTER if cause is None else cause,
        )
    if delay < 17 and cause is None:
        raise CheckFailure(
            f"the 429 asks clients to wait {delay:g}s; the upstream's RetryInfo said 17s"
        )


@check(
    "errors.rate_limit_stream_status",
    title="A streamed request rejected upstream before the first token gets a real 429",
    severity=Severity.HIGH,
    source=(
        "https://github.com/coder/aibridge/issues/56; "
        "docs/openai-wire.md#b2-how-the-sdks-decode-a-stream"
    ),
    probes=("rate_limit_stream",),
    mode=Mode.CONTROLLED,
    features=("chat", "stream"),
)
def rate_limit_stream_status(x: Exchange) -> None:
    status = require_response(x)
    if status != 429:
        said, cause = upstream_clause(x, "429 RESOURCE_EXHAUSTED")
        raise CheckFailure(
            f"stream=true: {said}; the client got HTTP {status} and sees "
            f"{'an SSE stream, not a RateLimitError' if status == 200 else 'the wrong error'}"
            + (own_words(x) if status == 200 else ""),
            excerpt=excerpt(x.body),
            cause=cause,
        )
    check_envelope(x)


@check(
    "errors.no_early_retry",
    title="The proxy does not retry an upstream 429 before its RetryInfo delay",
    severity=Severity.MEDIUM,
    source=(
        "https://github.com/1rgs/claude-code-proxy/issues/89; "
        "https://github.com/tech-shrimp/gemini-balance-lite/issues/7; docs/gemini-wire.md#a5-errors"
    ),
    probes=("rate_limit",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def no_early_retry(x: Exchange) -> None:
    calls = generate_calls(x)
    if not calls:
        raise Undecided("the mock's journal shows no generate call for the 429 probe")
    by_key: dict[str, list[float]] = {}
    for call in calls:  # another key is failover, not a retry: the 429 was this key's
        if isinstance(call.get("time"), int | float):
            by_key.setdefault(credential_of(call), []).append(float(call["time"]))
    for times in by_key.values():
        span = max(times) - min(times)
        if len(times) > 1 and span < 17:
            raise CheckFailure(
                f"one client request sent {len(times)} upstream requests with the same key "
                f"within {span:.1f}s although the upstream's RetryInfo said to wait 17s: "
                "each early retry burns quota and delays the client's own 429",
            )


@check(
    "errors.key_failover",
    title="A proxy with several upstream keys answers from another key when one key's "
    "quota is spent",
    severity=Severity.MEDIUM,
    source=(
        "https://github.com/snailyp/gemini-balance/issues/241; "
        "docs/profiles.md#antigravity2api; docs/profiles.md#gemini-cli-proxy"
    ),
    probes=("key_rate_limit",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def key_failover(x: Exchange) -> None:
    calls = generate_calls(x)
    if not calls:
        raise Undecided("the mock's journal shows no generate call for the probe")
    keys = list(dict.fromkeys(credential_of(c) for c in calls))
    if len(keys) < 2:
        # Not a failure even when the run saw several keys: the others may be cooling
        # down after earlier 429s (this run's fault probes, or a run just before), which
        # is what a rotating proxy should do; only a tried second key is evidence.
        seen = len(x.upstream_keys)
        raise NotApplicable(
            "the proxy sent this request with one upstream key only "
            + (
                f"(it used {seen} keys during the run; the others may have been cooling down)"
                if seen > 1
                else "(a single key, or no rotation)"
            )
            + "; a retry of the same key is judged by errors.no_early_retry"
        )
    served = [c for c in calls if c.get("status") == 200]
    if not served:
        statuses = ", ".join(str(c.get("status")) for c in calls)
        raise Undecided(f"none of the proxy's {len(calls)} attempts was answered: {statuses}")
    status = require_response(x)
    if status != 200:
        raise CheckFailure(
            f"the proxy tried {len(keys)} upstream keys and the mock answered key "
            f"#{keys.index(credential_of(served[0])) + 1} (HTTP 200), yet the client got "
            f"HTTP {status}: the spent key's 429 was passed on instead of the answer",
            excerpt=excerpt(x.body),
        )


def _status_map_check(probe_name: str, grpc: str, code: int) -> Any:
    def run(x: Exchange) -> None:
        status = require_response(x)
        ok = status == code if code < 500 else 500 <= status < 600
        if code == 403:
            ok = status in (401, 403)
        if not ok:
            want = f"{code}" if code < 500 else "a 5xx"
            retry = (
                "; SDKs retry every 5xx, so a permanent error is retried pointlessly"
                if status >= 500 > code
                else "; SDKs do not retry it, so a transient error becomes permanent"
                if code >= 500 > status
                else ""
            )
            said, cause = upstream_clause(x, f"{code} {grpc}")
            raise CheckFailure(
                f"{said}; the client got HTTP {status}, expected {want}{retry}",
                excerpt=excerpt(x.body),
                cause=cause,
            )
        check_envelope(x)

    run.__name__ = f"status_map_{probe_name}"
    return run


for _probe, (_scenario, _grpc, _code) in STATUS_MAP.items():
    check(
        f"errors.status_map.{_code}",
        title=f"An upstream {_code} {_grpc} reaches the client as "
        f"{_code if _code < 500 else '5xx'} with an OpenAI error body",
        severity=Severity.HIGH,
        source=(
            "https://github.com/tashfeenahmed/freellmapi/issues/97; "
            "https://github.com/snailyp/gemini-balance/issues/29; docs/gemini-wire.md#a5-errors; "
            "docs/breakages.md#d2-wrong-status-codes"
        ),
        probes=(_probe,),
        mode=Mode.CONTROLLED,
        features=("chat",),
    )(_status_map_check(_probe, _grpc, _code))


@check(
    "errors.daily_quota",
    title="A per-day quota 429 tells clients not to retry soon "
    "(x-should-retry: false or Retry-After > 120 s)",
    severity=Severity.HIGH,
    source=(
        f"https://github.com/1rgs/claude-code-proxy/issues/89; {OPENAI_PYTHON}_base_client.py; "
        "docs/openai-wire.md#c5-turn-retryinfo-into-retry-after"
    ),
    probes=("daily_quota",),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def daily_quota(x: Exchange) -> None:
    status = require_response(x)
    if status != 429:
        said, cause = upstream_clause(x, "429 RESOURCE_EXHAUSTED (per-day quota)")
        raise CheckFailure(
            f"{said}; the client got HTTP {status}, expected 429",
            excerpt=excerpt(x.body),
            cause=cause,
        )
    should_retry = (x.header("x-should-retry") or "").strip().lower()
    delay = x.retry_after_s()
    if should_retry == "false" or (delay is not None and delay > 120):
        return
    raise CheckFailure(
        "a per-day quota is spent until tomorrow, yet the 429 has neither "
        "`x-should-retry: false` nor a Retry-After over 120 s "
        f"(Retry-After: {x.header('retry-after')!r}); openai-python retries it twice, "
        "every agent loop retries it forever",
        excerpt=excerpt(x.body),
    )


@check(
    "errors.own_rate_limit_retry_after",
    title="The target's own 429 (its documented rate limit) carries Retry-After and an "
    "OpenAI error body",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}_base_client.py; "
        "https://www.rfc-editor.org/rfc/rfc9110#field.retry-after; "
        "docs/openai-wire.md#b3-errors-and-retries"
    ),
    probes=("rate_limit_burst",),
)
def own_rate_limit_retry_after(x: Exchange) -> None:
    if x.status != 429:
        raise NotApplicable(f"the burst got no 429 (last HTTP {x.status})")
    if x.retry_after_s() is None:
        raise CheckFailure(
            "the target's own 429 has no Retry-After or retry-after-ms; clients retry "
            "after 0.5-8 s and hit the limit again",
            excerpt=excerpt(x.body),
        )
    check_envelope(x)


@check(
    "errors.survives_key_faults",
    title="A spent (429) or forbidden (403) upstream key does not take the proxy down: "
    "an ordinary request after the fault probes still succeeds",
    severity=Severity.HIGH,
    source=(
        "https://github.com/snailyp/gemini-balance/issues/241; "
        "https://ai.google.dev/gemini-api/docs/troubleshooting; "
        "docs/breakages.md#e1-429-handling-and-retries"
    ),
    probes=(AFTER_FAULTS, "chat"),
    mode=Mode.CONTROLLED,
    features=("chat",),
)
def survives_key_faults(after: Exchange, ordinary: Exchange) -> str | None:
    # The fault probes are not among this check's probes: one the proxy throttles would
    # make the runner report the check an error; they run in every run of errors.*.
    status = require_response(after)
    if status == 200:
        confirm_upstream_success(after)  # the upstream's answer, not the proxy's own
        return None
    if ordinary.status != 200:
        raise NotApplicable(
            f"the ordinary chat probe got HTTP {ordinary.status} before any fault probe ran: "
            "the proxy was not serving before the faults either (judged by chat.*)"
        )
    should_retry = (after.header("x-should-retry") or "").strip().lower()
    delay = after.retry_after_s()
    if (
        status == 429
        and not generate_calls(after)
        and ((delay is not None and delay > 0) or should_retry == "false")
    ):
        # a spent key held back, with the delay said: clients wait and come back
        return (
            f"after the quota faults the proxy holds its key back itself (HTTP 429, "
            f"Retry-After {after.header('retry-after')!r}, x-should-retry {should_retry!r})"
        )
    said, cause = upstream_clause(after, "200 with an ordinary answer")
    raise CheckFailure(
        f"an ordinary request got HTTP {status} after the fault probes (the mock scripted "
        f"to answer 403 PERMISSION_DENIED, 429 RESOURCE_EXHAUSTED and 5xx), where the same "
        f"request got 200 before them: {said}. A spent or forbidden key took the proxy "
        "down for every client",
        excerpt=excerpt(after.body),
        cause=cause,
    )
