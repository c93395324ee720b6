"""The admin API's persistent state in SQLite (stdlib ``sqlite3``; antigravity2api
'Management API').

Three tables, created on open:

- ``tokens(id, secret, access_token, expires_at, added_at)``: upstream credentials added
  through ``POST /admin/tokens``. ``id`` names it in URLs (the refresh token, or the API
  key); ``secret`` is what the pool uses; ``expires_at`` in Unix seconds;
- ``kv(key, value)``: JSON documents (``rotation``, ``config``);
- ``quotas(id, model, remaining, reset_raw, updated_ms)``: the last quota figures seen
  per credential and model (``remaining`` is a fraction 0..1, ``reset_raw`` ISO-8601).

Calls are synchronous and short (the admin routes only, never the chat path); the file
lives at ``--db-path`` (default: a fresh temporary directory per process).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from typing import Any

import orjson

__all__ = ["AdminStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    access_token TEXT,
    expires_at REAL,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quotas (
    id TEXT NOT NULL,
    model TEXT NOT NULL,
    remaining REAL NOT NULL,
    reset_raw TEXT,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (id, model)
);
"""


class AdminStore:
    """An open database at ``path`` (``""``: ``<tempdir>/admin.sqlite3``)."""

    def __init__(self, path: str = "") -> None:
        self._owned = ""
        if not path:
            self._owned = tempfile.mkdtemp(prefix="reference-proxy-db-")
            path = os.path.join(self._owned, "admin.sqlite3")
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database; a temporary one is deleted."""
        self._db.close()
        if self._owned:
            shutil.rmtree(self._owned, ignore_errors=True)

    # ------------------------------------------------------------------ tokens

    def tokens(self) -> list[dict[str, Any]]:
        """Every stored credential, oldest first."""
        rows = self._db.execute(
            "SELECT id, secret, access_token, expires_at, added_at FROM tokens ORDER BY added_at"
        ).fetchall()
        keys = ("id", "secret", "access_token", "expires_at", "added_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def add_token(
        self, token_id: str, secret: str, access_token: str | None, expires_in: float | None
    ) -> bool:
        """Store (or update) a credential; True when it is new."""
        new = self.token(token_id) is None
        expires_at = time.time() + expires_in if expires_in else None
        self._db.execute(
            "INSERT INTO tokens (id, secret, access_token, expires_at, added_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET secret=excluded.secret, "
            "access_token=excluded.access_token, expires_at=excluded.expires_at",
            (token_id, secret, access_token, expires_at, time.time()),
        )
        return new

    def token(self, token_id: str) -> dict[str, Any] | None:
        """The stored credential ``token_id``, or ``None``."""
        return next((t for t in self.tokens() if t["id"] == token_id), None)

    def delete_token(self, token_id: str) -> bool:
        """Forget a credential and its quotas; True when it existed."""
        cur = self._db.execute("DELETE FROM tokens WHERE id = ?", (token_id,))
        self._db.execute("DELETE FROM quotas WHERE id = ?", (token_id,))
        return cur.rowcount > 0

    # ------------------------------------------------------------------ documents

    def get(self, key: str) -> Any:
        """The JSON document ``key``, or ``None``."""
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def put(self, key: str, value: Any) -> None:
        """Store the JSON document ``key``."""
        self._db.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, orjson.dumps(value).decode()),
        )

    # ------------------------------------------------------------------ quotas

    def put_quota(self, token_id: str, model: str, remaining: float, reset_raw: str | None) -> None:
        """Record what is known of one model's quota for a credential."""
        self._db.execute(
            "INSERT INTO quotas (id, model, remaining, reset_raw, updated_ms) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id, model) DO UPDATE SET remaining=excluded.remaining, "
            "reset_raw=excluded.reset_raw, updated_ms=excluded.updated_ms",
            (token_id, model, remaining, reset_raw, int(time.time() * 1000)),
        )

    def quotas(self, token_id: str) -> tuple[int, dict[str, tuple[float, str | None]]]:
        """``(last update in Unix ms, {model: (remaining, reset_raw)})``."""
        rows = self._db.execute(
            "SELECT model, remaining, reset_raw, updated_ms FROM quotas WHERE id = ?", (token_id,)
        ).fetchall()
        last = max((r[3] for r in rows), default=0)
        return last, {r[0]: (r[1], r[2]) for r in rows}
