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
from typing import Any, NamedTuple, Protocol

from services.live import newest, rollups
from services.live.rollups import Bucket, Temperatures

BUSY_S = 10.0  # how long a read or write waits for another process's write
UPGRADE_WAIT_S = 600.0  # how long opening the store waits for another process's upgrade of it

_READINGS = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    station TEXT NOT NULL,          -- the sensor's key (services.sources.model.sensor_key)
    ts INTEGER NOT NULL,            -- when the sensor measured it, Unix seconds
    temperature_c REAL,             -- a sensor may send one metric at a time
    humidity_pct REAL,
    stored_ms INTEGER NOT NULL,     -- when the collector stored it, Unix milliseconds
    source TEXT NOT NULL DEFAULT 'simulator',
    raw_temperature REAL,           -- as sent, in raw_unit
    raw_unit TEXT,
    battery REAL,
    linkquality REAL,
    UNIQUE (station, ts)
);
"""
_SCHEMA = (
    _READINGS
    + """
CREATE INDEX IF NOT EXISTS readings_stored ON readings (stored_ms);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
)
# The store's shape as this code makes it (``PRAGMA user_version``, set by the install): a store
# at it opens without a write (see ``ReadingStore._current``). Raise it with any change to the
# schema, the migration or the statistics' install.
SCHEMA_VERSION = 2  # 1: statistics; 2: each sensor's newest reading (services.live.newest)
# A second metric of a (sensor, second) already stored joins its row, which then takes a
# new id, so streams reading "id > cursor" see the whole reading; a repeat changes nothing.
_UPSERT = """
INSERT INTO readings (station, ts, temperature_c, humidity_pct, stored_ms, source, raw_temperature, raw_unit,
                      battery, linkquality)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (station, ts) DO UPDATE SET
    temperature_c = COALESCE(readings.temperature_c, excluded.temperature_c),
    humidity_pct = COALESCE(readings.humidity_pct, excluded.humidity_pct),
    raw_temperature = COALESCE(readings.raw_temperature, excluded.raw_temperature),
    raw_unit = COALESCE(readings.raw_unit, excluded.raw_unit),
    battery = COALESCE(excluded.battery, readings.battery),
    linkquality = COALESCE(excluded.linkquality, readings.linkquality),
    stored_ms = excluded.stored_ms,
    id = (SELECT MAX(id) FROM readings) + 1
WHERE (readings.temperature_c IS NULL AND excluded.temperature_c IS NOT NULL)
   OR (readings.humidity_pct IS NULL AND excluded.humidity_pct IS NOT NULL)
"""

MAX_ROWS_PER_READ = 20_000  # one `since` call never returns more; the caller asks again


class Row(NamedTuple):
    id: int
    station: str
    ts: int
    temperature_c: float | None
    humidity_pct: float | None
    stored_ms: int


class Storable(Protocol):
    """A reading the store can keep (``services.sensors.model.Reading``, a source's reading)."""

    @property
    def station_id(self) -> str: ...
    @property
    def ts(self) -> float: ...
    @property
    def temperature_c(self) -> float | None: ...
    @property
    def humidity_pct(self) -> float | None: ...


def _values(reading: Storable, stored_ms: int) -> tuple[Any, ...]:
    extra = getattr(reading, "source", None)
    return (
        reading.station_id,
        int(reading.ts),
        reading.temperature_c,
        reading.humidity_pct,
        stored_ms,
        extra or "simulator",
        getattr(reading, "raw_temperature", None),
        getattr(reading, "raw_unit", None) if extra else None,
        getattr(reading, "battery", None),
        getattr(reading, "linkquality", None),
    )


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
        self._db = sqlite3.connect(self.path, timeout=UPGRADE_WAIT_S, check_same_thread=False, isolation_level=None)
        # Another process may be upgrading the store (a backfill, a new index: about 25 s, by
        # estimate, on 30 days of 2,000 sensors): wait for it as long as that takes, then as
        # long as a write.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
        self.backfilled = 0
        if not self._current():
            self._migrate()
            self._db.executescript(_SCHEMA)
            with self._transaction():
                self.backfilled = rollups.install(self._db)
                newest.install(self._db)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_S * 1000)}")
        self._data_version = -1

    def _current(self) -> bool:
        """Whether the store is as this code makes it: then opening it writes nothing, so it
        does not wait for the process writing (a page opened on a cold 30-day store while the
        collector wrote waited 0.7 s for the write lock, each time a store was opened)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0]) >= SCHEMA_VERSION

    def _migrate(self) -> None:
        """A store from before sources (both metrics required, no source columns) becomes
        today's, keeping every row and its id."""

        def old() -> bool:
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(readings)")}
            return bool(columns) and "source" not in columns

        if not old():
            return
        with self._transaction():
            if not old():
                return  # another process did it meanwhile
            self._db.execute("ALTER TABLE readings RENAME TO readings_v1")
            self._db.execute("DROP INDEX IF EXISTS readings_stored")
            self._db.execute(_READINGS)
            self._db.execute(
                "INSERT INTO readings (id, station, ts, temperature_c, humidity_pct, stored_ms)"
                " SELECT id, station, ts, temperature_c, humidity_pct, stored_ms FROM readings_v1"
            )
            self._db.execute("DROP TABLE readings_v1")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReadingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing (the collector) ------------------------------------------------

    def add(self, readings: Iterable[tuple[Storable, int]]) -> int:
        """Store (reading, stored_ms) pairs in one transaction; a repeat of a (station,
        second) already stored is skipped, a missing metric joins it. Returns how many
        rows were new or completed."""
        rows = [_values(r, ms) for r, ms in readings]
        with self._transaction():
            return self._db.executemany(_UPSERT, rows).rowcount  # (the statistics' triggers not counted)

    def purge(self, older_than_ms: int) -> int:
        """Delete readings stored before ``older_than_ms``; returns how many."""
        with self._transaction():
            cur = self._db.execute("DELETE FROM readings WHERE stored_ms < ?", (older_than_ms,))
            return cur.rowcount

    def purge_rollups(self, now: float) -> int:
        """Delete 5-minute statistics older than their retention (hourly ones are kept)."""
        with self._transaction():
            return rollups.purge(self._db, rollups.FIVE_MINUTES, int(now) - rollups.FIVE_MINUTE_DAYS * 86_400)

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

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see the store as it was at the first of them, whatever is written
        meanwhile (a read transaction: no lock that makes a writer wait)."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

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

    def latest(self, station: str) -> Row | None:
        """The station's newest reading (by when it was measured)."""
        row = self._db.execute(f"SELECT {_COLUMNS} FROM latest WHERE station = ?", (station,)).fetchone()
        return Row(*row) if row else None

    def latest_all(self) -> list[Row]:
        """The newest reading of every station stored, in one read of a small table."""
        return [Row(*row) for row in self._db.execute(f"SELECT {_COLUMNS} FROM latest")]

    def rollups(self, stations: Sequence[str], resolution: int, start_ts: float, end_ts: float) -> list[Bucket]:
        """The statistics of ``stations`` per ``resolution`` bucket starting in [start, end)."""
        return rollups.read(self._db, stations, resolution, int(start_ts), int(end_ts))

    def temperatures(self, resolution: int, start_ts: float, end_ts: float) -> list[Temperatures]:
        """Every sensor's temperature statistics per ``resolution`` bucket starting in [start, end)."""
        return rollups.read_temperatures(self._db, resolution, int(start_ts), int(end_ts))

    def rollups_grouped(
        self, stations: Sequence[str], resolution: int, width: int, start_ts: float, end_ts: float, *, raw: bool = False
    ) -> list[Bucket]:
        """Statistics per ``width``-second bucket starting in [start, end), merged from the
        ``resolution`` ones (``raw``: computed from the raw rows instead, as before them)."""
        if not stations:
            return []
        if raw:
            return rollups.read_raw_grouped(self._db, stations, width, int(start_ts), int(end_ts))
        return rollups.read_grouped(self._db, stations, resolution, width, int(start_ts), int(end_ts))

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM readings").fetchone()[0])

    def meta(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None


def now_ms() -> int:
    return time.time_ns() // 1_000_000
