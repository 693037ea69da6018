"""The reading store: what one process writes, another reads, and a restart keeps."""

import sqlite3
import threading
import time

import pytest

from services.live import store as store_module
from services.live.store import ReadingStore, Row
from services.sensors.model import Reading
from services.sources.model import SourceReading


def reading(station: str, ts: int, temp: float = 20.0, hum: float = 50.0) -> Reading:
    return Reading(station, ts, temp, hum)


def test_rows_survive_a_restart_and_repeats_are_stored_once(tmp_path):
    path = tmp_path / "r.sqlite3"
    with ReadingStore(path) as store:
        assert store.add([(reading("beijing", 100), 100_000), (reading("lhasa", 100), 100_010)]) == 2
        assert store.add([(reading("beijing", 100), 100_500)]) == 0  # same station and second
    with ReadingStore(path) as store:  # a new process opening the file
        rows = store.since(0, ["beijing", "lhasa"])
    assert [(r.station, r.ts) for r in rows] == [("beijing", 100), ("lhasa", 100)]
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_since_returns_only_newer_rows_of_the_asked_stations(tmp_path):
    with ReadingStore(tmp_path / "r.sqlite3") as store:
        store.add([(reading(s, ts), ts * 1000) for ts in (1, 2, 3) for s in ("a", "b")])
        first = store.since(0, ["a"])
        assert [r.ts for r in first] == [1, 2, 3]
        store.add([(reading("a", 4), 4000), (reading("b", 4), 4000)])
        assert [(r.station, r.ts) for r in store.since(first[-1].id, ["a"])] == [("a", 4)]
        assert store.since(0, []) == []


def test_a_reader_sees_another_connections_commit(tmp_path):
    path = tmp_path / "r.sqlite3"
    with ReadingStore(path) as writer, ReadingStore(path) as reader:
        reader.changed()
        assert not reader.changed()
        writer.add([(reading("a", 1), 1000)])
        assert reader.changed()
        assert [r.ts for r in reader.since(0, ["a"])] == [1]


def test_window_and_retention(tmp_path):
    with ReadingStore(tmp_path / "r.sqlite3") as store:
        store.add([(reading("a", ts), ts * 1000) for ts in range(10)])
        assert [r.ts for r in store.window(["a"], 3, 6)] == [3, 4, 5, 6]
        assert store.purge(older_than_ms=5000) == 5
        assert [r.ts for r in store.window(["a"], 0, 100)] == [5, 6, 7, 8, 9]
        assert store.last_stored_ms(["a", "never"]) == {"a": 9000}


def test_a_store_from_before_sources_keeps_every_row(tmp_path):
    path = tmp_path / "r.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE readings (id INTEGER PRIMARY KEY, station TEXT NOT NULL, ts INTEGER NOT NULL,"
        " temperature_c REAL NOT NULL, humidity_pct REAL NOT NULL, stored_ms INTEGER NOT NULL, UNIQUE (station, ts));"
        "INSERT INTO readings VALUES (7, 'beijing', 100, 12.5, 40.0, 100000);"
    )
    old.close()
    with ReadingStore(path) as store:
        assert store.since(0, ["beijing"]) == [Row(7, "beijing", 100, 12.5, 40.0, 100000)]
        store.add([(SourceReading("home", "esp", 101, humidity_pct=55.0), 101_000)])  # one metric: fine now
        assert [r.humidity_pct for r in store.since(7, ["home:esp"])] == [55.0]


def test_a_second_metric_joins_its_reading_and_streams_see_it_again(tmp_path):
    with ReadingStore(tmp_path / "r.sqlite3") as store:
        temp = SourceReading("home", "esp", 100, raw_temperature=21.0, temperature_c=21.0)
        assert store.add([(temp, 100_000)]) == 1
        first = store.since(0, ["home:esp"])
        assert [(r.temperature_c, r.humidity_pct) for r in first] == [(21.0, None)]
        assert store.add([(SourceReading("home", "esp", 100, humidity_pct=50.0), 100_200)]) == 1
        again = store.since(first[-1].id, ["home:esp"])
        assert [(r.ts, r.temperature_c, r.humidity_pct) for r in again] == [(100, 21.0, 50.0)]
        assert store.add([(temp, 100_300)]) == 0  # the same reading twice: stored once
        assert store.count() == 1


def test_opening_waits_out_another_process_upgrading_the_store_and_then_a_write_waits_as_usual(tmp_path, monkeypatch):
    path = tmp_path / "readings.sqlite3"
    ReadingStore(path).close()
    monkeypatch.setattr(store_module, "BUSY_S", 0.2)
    upgrading = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    upgrading.execute("PRAGMA user_version = 0")  # a store from before this code's shape …
    upgrading.execute("BEGIN IMMEDIATE")  # … which another process upgrades (25 s on a big store)
    upgrading.execute(f"PRAGMA user_version = {store_module.SCHEMA_VERSION}")
    threading.Timer(1.0, upgrading.execute, ("COMMIT",)).start()
    started = time.monotonic()
    with ReadingStore(path) as store:  # opened once the upgrade is done, not refused after BUSY_S
        assert time.monotonic() - started >= 0.9
        upgrading.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # a write waits BUSY_S, as before
            store.add([(SourceReading("home", "a", 1_700_000_000, temperature_c=20.0), 1)])
        upgrading.execute("ROLLBACK")
    upgrading.close()


def test_a_store_as_this_code_makes_it_opens_at_once_while_another_process_writes(tmp_path, monkeypatch):
    path = tmp_path / "readings.sqlite3"
    with ReadingStore(path) as first:
        first.add([(SourceReading("home", "a", 1_700_000_000, temperature_c=20.0), 1)])
    writing = sqlite3.connect(path, isolation_level=None)
    writing.execute("BEGIN IMMEDIATE")  # the collector, mid-write
    monkeypatch.setattr(store_module, "UPGRADE_WAIT_S", 2.0)
    try:
        started = time.monotonic()
        with ReadingStore(path) as store:  # a page opening the store to read: no write, no wait
            assert time.monotonic() - started < 0.5 and store.backfilled == 0
            assert store.latest("home:a") is not None
    finally:
        writing.execute("ROLLBACK")
        writing.close()
