"""Quiet logs for bad input: a malformed request is the client's fault, not the proxy's.

aiohttp logs every request it cannot parse (a malformed header line, a bad request line)
at ERROR with a traceback on ``aiohttp.server``: one client could fill the log with
tracebacks. :func:`quiet_bad_requests` installs a filter on that logger that turns each
such record into one WARNING line naming the parser's reason (its first line only: the
rest quotes the offending bytes, which may hold a credential). Other errors keep their
level and traceback.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

__all__ = ["quiet_bad_requests"]


class _BadRequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            reason = (exc.message or "").strip().splitlines()[:1]
            original = record.getMessage()
            record.msg = "%s: malformed request, answered %s (%s)"
            record.args = (original, exc.code, reason[0] if reason else "")
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def quiet_bad_requests() -> None:
    """Install the filter on ``aiohttp.server`` (once per process)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _BadRequestFilter) for f in logger.filters):
        logger.addFilter(_BadRequestFilter())
