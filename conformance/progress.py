"""Showing a run's progress where it is read.

- In a terminal (:class:`TerminalProgress`): a rich progress bar with done/total probes,
  the probe being sent, why it waits when it waits on purpose, and the elapsed time.
- Elsewhere, e.g. CI logs (:class:`PlainProgress`): one plain line when a probe phase
  starts and when it ends (counts, elapsed seconds), and a ``still running`` line after
  every :data:`HEARTBEAT_S` seconds of silence, so a log never looks hung. No widths, no
  colours, nothing cut.

Both take :class:`~conformance.runner.ProbeStart` events (``run_suite(on_probe=...)``),
``checks(done, total)`` when the probing ends and ``waiting(seconds, why)`` before a deliberate
wait (a target's Retry-After), and are context managers (the heartbeat thread stops on
exit).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from .runner import ProbeStart

__all__ = ["HEARTBEAT_S", "PHASES", "PlainProgress", "ProgressSink", "TerminalProgress"]

HEARTBEAT_S = 5.0
"""Longest silence of :class:`PlainProgress`, in seconds."""

PHASES = {
    0: "ordinary requests",
    1: "odd but successful upstream answers",
    2: "upstream errors",
    3: "quota errors",
    4: "after the faults",
}
"""``Probe.phase`` -> what the phase's probes do (see ``conformance.probes.base``)."""


class ProgressSink(Protocol):
    def __enter__(self) -> ProgressSink: ...
    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def probe(self, event: ProbeStart) -> None: ...
    def checks(self, done: int, total: int) -> None: ...
    def waiting(self, seconds: float, why: str) -> None: ...


def _phase_name(phase: int) -> str:
    return PHASES.get(phase, f"phase {phase}")


class TerminalProgress:
    """A transient rich progress bar on ``console`` (stderr)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            MofNCompleteColumn(),
            BarColumn(bar_width=24),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> TerminalProgress:
        self._progress.__enter__()
        self._task = self._progress.add_task("connecting…", total=None)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.__exit__(kind, exc, tb)

    def _update(
        self, description: str, total: float | None = None, completed: float | None = None
    ) -> None:
        if self._task is not None:
            self._progress.update(
                self._task, description=description, total=total, completed=completed
            )

    def probe(self, event: ProbeStart) -> None:
        if event.background == "sent":
            return  # the next probe's line follows at once; this one is awaited at the end
        why = f" [yellow]({event.waits})[/]" if event.waits else ""
        if event.background == "awaited":
            self._update(f"waiting for probe [cyan]{event.name}[/], sent in the background{why}")
            return
        self._update(
            f"probe [cyan]{event.name}[/]{why}",
            total=event.total,
            completed=event.index - 1,
        )

    def checks(self, done: int, total: int) -> None:
        self._update("checks and client replays", total=total, completed=done)

    def waiting(self, seconds: float, why: str) -> None:
        self._update(f"[yellow]waiting {seconds:.0f} s: {why}[/]")


class PlainProgress:
    """Plain lines on ``stream`` (stderr); ``clock`` is injectable for tests."""

    def __init__(
        self,
        stream: TextIO | None = None,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream or sys.stderr
        self._heartbeat_s = heartbeat_s
        self._clock = clock
        self._started = clock()
        self._last_line = self._started
        self._phase: int | None = None
        self._phase_started = self._started
        self._phase_count = 0
        self._current = "starting"
        self._current_since = self._started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="progress-heartbeat", daemon=True)

    def __enter__(self) -> PlainProgress:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)

    def _line(self, text: str) -> None:
        with self._lock:
            self._last_line = self._clock()
            print(text, file=self._stream, flush=True)

    def _elapsed(self) -> str:
        return f"{self._clock() - self._started:.1f} s"

    def _end_phase(self, done: int, total: int) -> None:
        if self._phase is None:
            return
        took = self._clock() - self._phase_started
        self._line(
            f"probes: {_phase_name(self._phase)} done ({self._phase_count} "
            f"probe{'' if self._phase_count == 1 else 's'} in "
            f"{took:.1f} s; {done}/{total} overall, {self._elapsed()})"
        )

    def probe(self, event: ProbeStart) -> None:
        if event.background == "sent":
            self._line(
                f"probe {event.name} ({event.index}/{event.total}): {event.waits}; "
                "sent in the background, alongside the others"
            )
            return
        if event.background == "awaited":  # the phase is over: the run waits for it
            self._end_phase(event.index, event.total)
            self._phase = None
            self._line(f"waiting for probe {event.name}, sent in the background ({event.waits})")
            with self._lock:
                self._current = f"probe {event.name} (in the background), slow on purpose"
                self._current_since = self._clock()
            return
        if event.phase != self._phase:
            self._end_phase(event.index - 1, event.total)
            self._phase, self._phase_started, self._phase_count = event.phase, self._clock(), 0
            self._line(f"probes: {_phase_name(event.phase)} ({event.index}/{event.total})")
        self._phase_count += 1
        if event.waits:
            self._line(f"probe {event.name} ({event.index}/{event.total}): {event.waits}")
        self._current = f"probe {event.name} ({event.index}/{event.total})"
        if event.waits:
            self._current += ", slow on purpose"
        self._current_since = self._clock()

    def checks(self, done: int, total: int) -> None:
        self._end_phase(done, total)
        self._phase = None
        self._current, self._current_since = "checks and client replays", self._clock()
        self._line(f"checks: running ({self._elapsed()})")

    def waiting(self, seconds: float, why: str) -> None:
        self._line(f"waiting {seconds:.0f} s: {why}")

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self._heartbeat_s)):
            with self._lock:
                silent = self._clock() - self._last_line
                current = self._current
                since = self._clock() - self._current_since
            if silent >= self._heartbeat_s:
                self._line(f"still running: {current}, {since:.0f} s ({self._elapsed()} in all)")
