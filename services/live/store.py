"""The reading store: SQLite in WAL mode, one writer (the collector), many readers.

Every gunicorn worker opens its own connection; WAL lets them read while the
collector writes, and ``PRAGMA data_version`` tells a reader cheaply that another
connection has committed, so a stream can wait for new rows without querying them.
Row ids only grow (one writer, one transaction at a time), so ``id > cursor`` is a
gap-free, duplicate-free way to ask "what is new since I last looked".
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from services.sensors.model import Reading

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,
    ts INTEGER NOT NULL,            -- when the sensor measured it, Unix seconds
    temperature_c REAL NOT NULL,
    humidity_pct REAL NOT NULL,
    stored_ms INTEGER NOT NULL,     -- when the collector stored it, Unix milliseconds
    UNIQUE (station, ts)
);
CREATE INDEX IF NOT EXISTS readings_stored ON readings (stored_ms);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

MAX_ROWS_PER_READ = 20_000  # one `since` call never returns more; the caller asks again


class Row(NamedTuple):
    id: int
    station: str
    ts: int
    temperature_c: float
    humidity_pct: float
    stored_ms: int


_COLUMNS = "id, station, ts, temperature_c, humidity_pct, stored_ms"


def _in(stations: Sequence[str]) -> str:
    return ",".join("?" * len(stations))


class ReadingStore:
    """``with ReadingStore(path) as store: store.since(0, ["beijing"])``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection, used by one task at a time; a thread may borrow it for a
        # long read (asyncio.to_thread) while its owner awaits.
        self._db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
        self._db.executescript(_SCHEMA)
        self._data_version = -1

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReadingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing (the collector) ------------------------------------------------

    def add(self, readings: Iterable[tuple[Reading, int]]) -> int:
        """Store (reading, stored_ms) pairs in one transaction; a repeat of a
        (station, second) already stored is skipped. Returns how many were new."""
        rows = [(r.station_id, r.ts, r.temperature_c, r.humidity_pct, ms) for r, ms in readings]
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO readings (station, ts, temperature_c, humidity_pct, stored_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            return self._db.total_changes - before

    def purge(self, older_than_ms: int) -> int:
        """Delete readings stored before ``older_than_ms``; returns how many."""
        with self._transaction():
            cur = self._db.execute("DELETE FROM readings WHERE stored_ms < ?", (older_than_ms,))
            return cur.rowcount

    def set_meta(self, key: str, value: dict[str, Any]) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- reading (the web workers) ----------------------------------------------

    def changed(self) -> bool:
        """True when someone committed since the last call (cheap: no table read)."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        changed, self._data_version = version != self._data_version, version
        return changed

    def max_id(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(id), 0) FROM readings").fetchone()[0])

    def since(self, after_id: int, stations: Sequence[str], limit: int = MAX_ROWS_PER_READ) -> list[Row]:
        """Rows of ``stations`` with id > ``after_id``, oldest first."""
        if not stations:
            return []
        cur = self._db.execute(
            f"SELECT {_COLUMNS} FROM readings WHERE id > ? AND station IN ({_in(stations)}) ORDER BY id LIMIT ?",
            (after_id, *stations, limit),
        )
        return [Row(*r) for r in cur]

    def window(self, stations: Sequence[str], start_ts: float, end_ts: float, max_id: int | None = None) -> list[Row]:
        """Rows of ``stations`` measured in [start_ts, end_ts] (and id ≤ max_id), by station then time."""
        if not stations:
            return []
        cur = self._db.execute(
            f"SELECT {_COLUMNS} FROM readings WHERE station IN ({_in(stations)})"
            " AND ts >= ? AND ts <= ? AND id <= ? ORDER BY station, ts",
            (*stations, start_ts, end_ts, max_id if max_id is not None else 2**62),
        )
        return [Row(*r) for r in cur]

    def last_stored_ms(self, stations: Sequence[str]) -> dict[str, int]:
        """When each station last gave a reading (stations never heard from are absent)."""
        if not stations:
            return {}
        cur = self._db.execute(
            f"SELECT station, MAX(stored_ms) FROM readings WHERE station IN ({_in(stations)}) GROUP BY station",
            tuple(stations),
        )
        return dict(cur.fetchall())

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM readings").fetchone()[0])

    def meta(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None


def now_ms() -> int:
    return time.time_ns() // 1_000_000
