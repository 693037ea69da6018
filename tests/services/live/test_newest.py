"""Each sensor's newest reading, kept by the store: always what asking the raw rows gives,
whatever order, repeats, joined metrics or purges they went through; filled once for a store
that had none."""

from __future__ import annotations

import contextlib
import sqlite3

from services.live.store import ReadingStore, Row
from tests.services.live.test_rollups import DAY0, random_day

NEWEST = """SELECT id, station, ts, temperature_c, humidity_pct, stored_ms FROM readings r
WHERE ts = (SELECT MAX(ts) FROM readings WHERE station = r.station)"""


def asked(path) -> list[Row]:
    """Each sensor's newest, straight from the raw rows."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return sorted(Row(*row) for row in db.execute(NEWEST))


def test_the_newest_is_what_the_raw_rows_say_through_late_joined_repeated_and_purged_readings(tmp_path):
    path = tmp_path / "readings.sqlite3"
    day = random_day(7)  # late readings, a metric alone and its other half later, repeats
    with ReadingStore(path) as store:
        for batch in range(10):  # stored at ten moments: stored_ms = batch
            store.add((reading, batch) for reading, _ in day[batch::10])
            assert sorted(store.latest_all()) == asked(path)
        store.add([(reading, 20) for reading, _ in random_day(8) if reading.station_id == "home:a"])
        assert store.purge(older_than_ms=10) > 0  # b and c had nothing stored since: gone
        assert sorted(store.latest_all()) == asked(path) and {r.station for r in asked(path)} == {"home:a"}
        assert store.latest("home:b") is None and store.latest("home:a") == asked(path)[0]
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:  # the seed's INSERT OR IGNORE
        db.executemany(
            "INSERT OR IGNORE INTO readings (station, ts, temperature_c, stored_ms) VALUES (?, ?, 5.0, 30)",
            [("home:a", DAY0 + 2 * 86_400), ("home:b", DAY0 + 2 * 86_400)],  # a newer one, and a first
        )
    with ReadingStore(path) as store:
        assert sorted(store.latest_all()) == asked(path)
        assert store.latest("home:a").temperature_c == store.latest("home:b").temperature_c == 5.0


def test_a_store_from_before_the_table_fills_it_once(tmp_path):
    path = tmp_path / "readings.sqlite3"
    with ReadingStore(path) as store:
        store.add(random_day(3))
    with contextlib.closing(sqlite3.connect(path)) as db:  # as a store made before this change
        db.executescript(
            "DROP TRIGGER latest_on_insert; DROP TRIGGER latest_on_update; DROP TRIGGER latest_on_delete;"
            " DROP TABLE latest; PRAGMA user_version = 1;"
        )
    with ReadingStore(path) as store:
        assert sorted(store.latest_all()) == asked(path) and len(asked(path)) == 3
