"""Stopping a run on Ctrl-C (SIGINT) or SIGTERM (what CI timeouts send) the same way.

Inside :class:`StopSignals` both signals raise ``KeyboardInterrupt`` in the main thread,
so a blocking read (a slow stream) ends at once; the run then writes what it has,
marked interrupted. ``received`` names the signal and ``exit_code`` is the shell's
convention, 128 + signal number (130 for SIGINT, 143 for SIGTERM). Once ``shield()`` is
called (while the partial report is written and the servers stopped, well under a
second) further signals are noted and ignored, so the report is never half written.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

__all__ = ["StopSignals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """Context manager; handlers are installed only in the main thread (elsewhere, e.g.
    under a test runner's worker thread, it does nothing) and restored on exit."""

    def __init__(self) -> None:
        self.received: str | None = None
        self._shielded = False
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int:
        """128 + the received signal's number (130 SIGINT, 143 SIGTERM); 130 when none."""
        number = signal.Signals[self.received].value if self.received else signal.SIGINT.value
        return 128 + number

    def note_interrupt(self) -> None:
        """A ``KeyboardInterrupt`` that did not come through the handler (e.g. raised by a
        test) still counts as SIGINT."""
        if self.received is None:
            self.received = signal.SIGINT.name

    def shield(self) -> None:
        """From now on, signals are ignored (the run is already stopping)."""
        self._shielded = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum).name
        if not self._shielded:
            raise KeyboardInterrupt

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
