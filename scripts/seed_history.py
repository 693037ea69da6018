"""Synthetic history straight into a reading store (tests, the history bench, screenshots):
readings every ``period_s`` for each station, a daily swing with noise, written with
``executemany`` in one transaction per day of readings.

``python scripts/seed_history.py DATA_DIR STATIONS DAYS [PERIOD_S]`` seeds the simulated
fleet's first STATIONS stations over the DAYS before now.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.live.store import ReadingStore  # noqa: E402

_INSERT = (
    "INSERT OR IGNORE INTO readings (station, ts, temperature_c, humidity_pct, stored_ms, source)"
    " VALUES (?, ?, ?, ?, ?, 'simulator')"
)
_NO_STATISTICS = (  # a store from before the statistics (version 0): the next open backfills them
    "DROP TRIGGER IF EXISTS rollups_on_insert; DROP TRIGGER IF EXISTS rollups_on_join; DROP TABLE IF EXISTS rollups;"
    " DROP TRIGGER IF EXISTS latest_on_insert; DROP TRIGGER IF EXISTS latest_on_update;"
    " DROP TRIGGER IF EXISTS latest_on_delete; DROP TABLE IF EXISTS latest;"
    " PRAGMA user_version = 0;"
)


def _rows(stations: Sequence[str], start: int, end: int, period_s: int, seed: int) -> Iterator[tuple]:
    rng = np.random.default_rng(seed)
    ts = np.arange(start - start % period_s, end, period_s, dtype=np.int64)
    day = 2 * np.pi * (ts % 86_400) / 86_400
    stored = (ts * 1000).tolist()
    times = ts.tolist()
    for n, station in enumerate(stations):
        temp = np.round(12 + n % 7 + 6 * np.sin(day - 2 + n / 9) + rng.normal(0, 0.4, len(ts)), 2).tolist()
        hum = np.round(np.clip(60 - 15 * np.sin(day - 2 + n / 9) + rng.normal(0, 2, len(ts)), 0, 100), 2).tolist()
        yield from zip([station] * len(times), times, temp, hum, stored, strict=True)


def seed(
    path: Path | str,
    stations: Sequence[str],
    start: float,
    end: float,
    period_s: int = 60,
    *,
    statistics: bool = True,
    seed: int = 1,
) -> tuple[int, float]:
    """Readings of ``stations`` every ``period_s`` in [start, end); with ``statistics`` off the
    rows go in without the triggers, and the statistics are made afterwards by the store's
    backfill (as for a store from before them). Returns (rows written, seconds taken)."""
    with ReadingStore(path):
        pass  # the schema, and the statistics' triggers
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    if not statistics:
        db.executescript(_NO_STATISTICS)
    began, written = time.perf_counter(), 0
    for day in range(int(start), int(end), 86_400):
        db.execute("BEGIN")
        written += db.executemany(
            _INSERT, _rows(stations, day, min(day + 86_400, int(end)), period_s, seed + day)
        ).rowcount
        db.execute("COMMIT")
    db.close()
    if not statistics:
        with ReadingStore(path):
            pass  # the backfill
    return written, time.perf_counter() - began


def main() -> None:
    from services.sensors.stations import fleet

    data, count, days = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    period = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    now = time.time()
    rows, took = seed(data / "readings.sqlite3", [s.id for s in fleet(count)], now - days * 86_400, now, period)
    print(f"{rows:,} readings in {took:.1f} s ({rows / took:,.0f}/s)")


if __name__ == "__main__":
    main()
