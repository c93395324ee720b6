"""Controlled probes where the mock upstream misbehaves: blocked or empty candidates,
awkward framing and paced chunks (phase 1), broken streams and error statuses (phase 2),
quota errors (phase 3) (scenarios in ``spec.scenarios``; docs/breakages.md A3, A7, D2,
D3, E1, F6). Phases run in order after the ordinary probes; one ordinary request
(phase 4) comes last, to see the proxy still answers after them."""

from __future__ import annotations

from spec.scenarios import Directive, Scenario

from ..modes import Mode
from .base import Probe, chat, registrar, unary_and_streamed

__all__ = ["AFTER_FAULTS", "BLOCKED", "FRAMING", "PACED_MS", "SLOW_FIRST_BYTE_MS", "STATUS_MAP"]

probe = registrar(__name__)

BLOCKED: dict[str, tuple[Scenario, tuple[str, ...]]] = {
    "safety": (Scenario.SAFETY, ("content_filter",)),
    "prompt_blocked": (Scenario.PROMPT_BLOCKED, ("content_filter",)),
    "max_tokens": (Scenario.MAX_TOKENS, ("length",)),
    "recitation": (Scenario.RECITATION, ("content_filter",)),
    "malformed_call": (Scenario.MALFORMED_FUNCTION_CALL, ("stop", "content_filter")),
}
"""probe -> (scenario, acceptable finish_reason values) (docs/breakages.md F6)."""

for _name, (_scenario, _reasons) in BLOCKED.items():
    probe(
        Probe(
            _name,
            f"upstream candidate ends with {_scenario.value}",
            chat(directive=Directive(_scenario)),
            mode=Mode.CONTROLLED,
            phase=1,
        )
    )
    probe(
        Probe(
            f"{_name}_stream",
            f"streamed; upstream candidate ends with {_scenario.value}",
            chat(directive=Directive(_scenario), stream=True),
            mode=Mode.CONTROLLED,
            stream=True,
            phase=1,
        )
    )

FRAMING: dict[str, Directive] = {
    "stream_split": Directive(chunks=5, split=1),
    "stream_coalesced": Directive(chunks=5, coalesce=True, framing="lf"),
}
"""Upstream framing variants: CRLF events written byte by byte (cut inside UTF-8
sequences), and LF events all in one write (docs/breakages.md A7)."""

for _name, _directive in FRAMING.items():
    probe(
        Probe(
            _name,
            "streamed; upstream " + ("byte-by-byte CRLF" if _directive.split else "coalesced LF"),
            chat(directive=_directive, stream=True),
            mode=Mode.CONTROLLED,
            stream=True,
            phase=1,
        )
    )

TEXT_PARTS = 3
"""How many parts the mock writes the answer text in for ``text_parts`` (unary reply)
and ``text_parts_stream`` (each chunk)."""

unary_and_streamed(
    probe,
    "text_parts",
    f"upstream answer text in {TEXT_PARTS} parts (each streamed chunk's in up to {TEXT_PARTS})",
    None,
    directive=Directive(chunks=3, parts=TEXT_PARTS),
    phase=1,
)

PACED_MS = 150
"""Delay between the mock's chunks in ``stream_paced``, in milliseconds."""

probe(
    Probe(
        "stream_paced",
        f"streamed; upstream sends 4 chunks {PACED_MS} ms apart",
        chat(directive=Directive(chunks=4, chunk_ms=PACED_MS), stream=True),
        mode=Mode.CONTROLLED,
        stream=True,
        phase=1,
    )
)
SLOW_FIRST_BYTE_MS = 20_000
"""Time the mock waits before its first byte in ``stream_slow``, in ms: the 20 s that
docs/breakages.md A4 asks for, long enough that a proxy sends its keep-alives (the
reference sends a ``:`` comment after 10 s of silence), whose framing is then checked.
The probe waits on purpose (``Probe.waits``): the runner sends it in the background
right after the first-contact probes, so its wait overlaps every other probe and the
run lasts about 20 s plus the checks, not 20 s more."""

probe(
    Probe(
        "stream_slow",
        f"streamed; the upstream's first byte comes after {SLOW_FIRST_BYTE_MS // 1000} s",
        chat(directive=Directive(chunks=3, first_byte_ms=SLOW_FIRST_BYTE_MS), stream=True),
        mode=Mode.CONTROLLED,
        stream=True,
        phase=1,
        waits=f"waits ~{SLOW_FIRST_BYTE_MS // 1000} s on purpose: the upstream's first byte is "
        "late, to see the proxy's keep-alives",
    )
)
# First of the failing probes: the upstream errors after it (5xx, cuts) make proxies
# such as LiteLLM cool their keys down, and a key cooling for a scripted fault is not a
# spare key; a proxy with a single key then has it cooled by this 429 (waited out).
probe(
    Probe(
        "key_rate_limit",
        "upstream answers 429 with RetryInfo 17s to the first key it sees; any other key succeeds",
        chat(directive=Directive(Scenario.KEY_RATE_LIMIT, retry_delay=17.0)),
        mode=Mode.CONTROLLED,
        phase=2,
    )
)
probe(
    Probe(
        "stream_cut",
        "streamed; the upstream connection drops after two chunks (no finishReason)",
        chat(directive=Directive(Scenario.MID_STREAM_CUT, chunks=4, cut_after=2), stream=True),
        mode=Mode.CONTROLLED,
        stream=True,
        upstream_cut=True,
        phase=2,
    )
)
probe(
    Probe(
        "stream_error",
        'streamed; after two chunks the upstream sends an {"error": ...} event',
        chat(directive=Directive(Scenario.MID_STREAM_ERROR, chunks=4, cut_after=2), stream=True),
        mode=Mode.CONTROLLED,
        stream=True,
        upstream_cut=True,
        phase=2,
    )
)

STATUS_MAP: dict[str, tuple[Scenario, str, int]] = {
    "upstream_400": (Scenario.BAD_REQUEST, "INVALID_ARGUMENT", 400),
    "upstream_403": (Scenario.PERMISSION_DENIED, "PERMISSION_DENIED", 403),
    "upstream_404": (Scenario.NOT_FOUND, "NOT_FOUND", 404),
    "upstream_500": (Scenario.INTERNAL, "INTERNAL", 500),
    "upstream_503": (Scenario.UNAVAILABLE, "UNAVAILABLE", 503),
}
"""probe -> (scenario, google.rpc status, its HTTP status) (docs/breakages.md D2)."""

for _name, (_scenario, _status, _code) in STATUS_MAP.items():
    probe(
        Probe(
            _name,
            f"upstream answers {_code} {_status}",
            chat(directive=Directive(_scenario)),
            mode=Mode.CONTROLLED,
            phase=2,
        )
    )

RETRY = Directive(Scenario.RATE_LIMIT, retry_delay=17.0)


probe(
    Probe(
        "rate_limit",
        "upstream answers 429 RESOURCE_EXHAUSTED with RetryInfo retryDelay 17s",
        chat(directive=RETRY),
        mode=Mode.CONTROLLED,
        phase=3,
    )
)
probe(
    Probe(
        "rate_limit_stream",
        "streamed request; upstream answers 429 before the first chunk",
        chat(directive=RETRY, stream=True),
        mode=Mode.CONTROLLED,
        stream=True,
        phase=3,
    )
)
probe(
    Probe(
        "daily_quota",
        "upstream answers 429 with a per-day QuotaFailure (no RetryInfo)",
        chat(directive=Directive(Scenario.DAILY_QUOTA)),
        mode=Mode.CONTROLLED,
        phase=3,
    )
)

AFTER_FAULTS = "after_faults"
"""The ordinary request sent after every fault probe (phase 4): a spent (429) or
forbidden (403) key must not take the proxy down (``errors.survives_key_faults``)."""

probe(
    Probe(
        AFTER_FAULTS,
        "an ordinary chat request, sent after every upstream error and quota probe",
        chat(),
        mode=Mode.CONTROLLED,
        phase=4,
        judges_throttling=True,
    )
)
