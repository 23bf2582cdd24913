"""Per-client budgets for public endpoints, shared by every server process on the machine.

A client (an address) spends *units*: one per request, plus whatever the caller charges after
the work is done (the SPARQL endpoint charges one unit per second of query time, as Wikidata's
query service budgets query time rather than requests). Units refill continuously at
``per_minute``; up to ``burst`` may be spent at once. The algorithm is GCRA (a leaky bucket
holding one timestamp per client), stored in SQLite so that several WSGI worker processes
enforce one budget; with ``path=None`` the state is per process.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["RateLimiter"]

_SCHEMA = "CREATE TABLE IF NOT EXISTS budget (client TEXT PRIMARY KEY, tat REAL NOT NULL)"


class RateLimiter:
    """A GCRA rate limiter: ``per_minute`` units per minute, bursts up to ``burst`` units."""

    def __init__(
        self,
        path: str | Path | None,
        per_minute: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive (disable the limiter instead)")
        self.path = str(path) if path else ":memory:"
        self.interval = 60.0 / per_minute
        self.tolerance = max(burst, 1.0) * self.interval
        self._lock = threading.Lock()
        self._pid = -1
        self._db: sqlite3.Connection | None = None
        self._calls = 0
        # Wall-clock time: the budget is shared between processes.
        self._clock = clock

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork (gunicorn forks workers after creating the app).
        if self._db is None or self._pid != os.getpid():
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, timeout=5, isolation_level=None, check_same_thread=False
            )
            with contextlib.suppress(sqlite3.OperationalError):
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(_SCHEMA)
            self._db, self._pid = db, os.getpid()
        return self._db

    def _update(self, client: str, cost: float, *, force: bool) -> float | None:
        now = self._clock()
        with self._lock:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT tat FROM budget WHERE client = ?", (client,)).fetchone()
                tat = max(row[0] if row else now, now)
                new = tat + cost * self.interval
                if not force and new - now > self.tolerance:
                    db.execute("COMMIT")
                    return max(new - now - self.tolerance, 0.001)
                db.execute(
                    "INSERT INTO budget (client, tat) VALUES (?, ?) "
                    "ON CONFLICT(client) DO UPDATE SET tat = excluded.tat",
                    (client, new),
                )
                self._calls += 1
                if self._calls % 1000 == 0:
                    # Clients whose budget is full again need no row.
                    db.execute("DELETE FROM budget WHERE tat < ?", (now,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return None

    def admit(self, client: str, cost: float = 1.0) -> float | None:
        """Spend ``cost`` units for ``client``; None if admitted, else seconds until it would be."""
        return self._update(client, cost, force=False)

    def charge(self, client: str, cost: float) -> None:
        """Spend ``cost`` more units after the fact (may leave the client in debt)."""
        if cost > 0:
            self._update(client, cost, force=True)
