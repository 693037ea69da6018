"""The Fleet board: current values, today's min/max from the rollups, the last hour, and
each sensor's status (ok, alert, offline, never seen) with since when."""

from __future__ import annotations

import pytest

from services.fleet.board import FleetBoard, day_start, status_text, today_spans
from services.live.meta import write_sources
from services.live.rollups import FIVE_MINUTES, HOUR
from services.live.store import ReadingStore
from services.live.view import Thresholds
from services.sensors.stations import Station
from services.sources.model import SourceReading

STATIONS = {key: Station(key, key, key, 0, 0, 0, source="home") for key in ("home:a", "home:b", "home:c")}


@pytest.fixture
def store(tmp_path):
    with ReadingStore(tmp_path / "r.sqlite3") as store:
        yield store


def add(store: ReadingStore, sensor: str, ts: float, t: float | None, h: float | None = 50.0) -> None:
    store.add([(SourceReading("home", sensor, ts, temperature_c=t, humidity_pct=h), int(ts * 1000))])


def board(store, **kwargs) -> FleetBoard:
    return FleetBoard(store, STATIONS, period_s=1.0, **kwargs)


def test_today_is_read_from_hourly_buckets_and_five_minute_edges():
    start = 1_790_035_200 + 1800  # a half-hour zone's midnight
    spans = today_spans(start, start + 3 * HOUR + 600)
    assert [s[0] for s in spans] == [FIVE_MINUTES, HOUR, FIVE_MINUTES]
    assert spans[0][1] == start and spans[-1][2] > start + 3 * HOUR + 600
    assert all(a[2] == b[1] for a, b in zip(spans, spans[1:], strict=False))  # no gap, no overlap


def test_a_rebuild_shows_the_newest_reading_todays_extremes_and_the_last_hour(store):
    now = float(day_start(1_790_000_000) + 10 * HOUR)
    for i, t in enumerate([12.0, 30.5, -3.25, 20.0]):
        add(store, "a", now - 3 * HOUR + i * 1800, t)
    add(store, "a", day_start(now) - 60, -40.0)  # yesterday: not today's min
    fleet = board(store)
    fleet.rebuild(now)
    row = fleet.row("home:a", "en", now)
    assert (row["t"], row["lo"], row["hi"]) == (20.0, -3.2, 30.5)
    assert row["spark"] == [None] * 12  # nothing in the last hour …
    assert row["status"] == "offline"  # … and silent for far more than 3 periods
    assert fleet.row("home:b", "en", now)["status"] == "never"
    assert fleet.row("home:b", "zh", now)["state"] == "从未出现"


def test_a_write_landing_while_the_board_rebuilds_hides_no_sensor(store, tmp_path, monkeypatch):
    now = 1_790_000_000.0
    for sensor in "abc":
        add(store, sensor, now - 1, 21.0)

    def latest_while_the_collector_writes():  # a round of the collector lands mid-rebuild
        with ReadingStore(tmp_path / "r.sqlite3") as collector:
            for sensor in "abc":
                add(collector, sensor, now, 22.0)
        return ReadingStore.latest_all(store)

    monkeypatch.setattr(store, "latest_all", latest_while_the_collector_writes)
    fleet = board(store)
    fleet.rebuild(now + 0.5)
    # each sensor as it was at the cursor; the round after it comes with the next advance
    assert [fleet.row(k, "en", now + 0.5)["t"] for k in STATIONS] == [21.0, 21.0, 21.0]
    step = fleet.advance(store.since(fleet.cursor, list(STATIONS)), now + 0.5)
    assert step.changed == set(STATIONS) and {fleet.row(k, "en", now + 0.5)["t"] for k in STATIONS} == {22.0}


def test_new_rows_update_values_extremes_and_status(store):
    now = 1_790_000_000.0
    add(store, "a", now - 1, 21.0)
    fleet = board(store, thresholds=Thresholds(temp_high=25.0))
    fleet.rebuild(now)
    assert fleet.sensors["home:a"].status == "ok"
    after = store.max_id()
    add(store, "a", now + 1, 26.0)
    add(store, "b", now + 1, 10.0)
    step = fleet.advance(store.since(after, list(STATIONS)), now + 1.5)
    assert not step.rebuild and step.changed >= {"home:a", "home:b"} and "home:a" in step.status
    a = fleet.row("home:a", "en", now + 1.5)
    assert (a["t"], a["hi"], a["status"]) == (26.0, 26.0, "alert")
    assert a["state"].startswith("alert since ")
    assert fleet.row("home:b", "en", now + 1.5)["status"] == "ok"


def test_a_silent_sensor_goes_offline_after_three_periods_and_comes_back(store):
    now = 1_790_000_000.0
    add(store, "a", now, 21.0)
    fleet = board(store)
    fleet.rebuild(now)
    assert fleet.advance([], now + 2.9).changed == set()
    step = fleet.advance([], now + 3.5)
    assert step.changed == step.status == {"home:a"} and fleet.sensors["home:a"].status == "offline"
    assert fleet.sensors["home:a"].since == pytest.approx(now)
    cursor = store.max_id()
    add(store, "a", now + 4, 21.5)
    fleet.advance(store.since(cursor, ["home:a"]), now + 4.1)
    assert fleet.sensors["home:a"].status == "ok"


def test_its_source_saying_unavailable_is_offline_and_battery_comes_from_the_source(store):
    now = 1_790_000_000.0
    add(store, "a", now, 21.0)
    sensors = [{"key": "home:a", "battery": 87.4, "available": False}, {"key": "home:b", "battery": None}]
    write_sources(store, {"sources": [{"config": {"kind": "zigbee2mqtt"}, "sensors": sensors}]})
    fleet = board(store)
    fleet.rebuild(now)
    row = fleet.row("home:a", "en", now)
    assert (row["status"], row["battery"]) == ("offline", 87.0)
    assert fleet.row("home:b", "en", now)["battery"] is None


def test_a_new_day_asks_for_a_rebuild(store):
    midnight = day_start(1_790_000_000)
    fleet = board(store)
    fleet.rebuild(midnight - 10)
    assert fleet.advance([], midnight + 10).rebuild is True


def test_status_text_gives_the_date_for_another_day():
    now = float(day_start(1_790_000_000) + 12 * HOUR)
    assert status_text("offline", now - 3600, "en", now).count("-") == 0
    assert status_text("offline", now - 2 * 86_400, "en", now).count("-") == 1
    assert "起离线" in status_text("offline", now - 60, "zh", now)
    assert status_text("ok", None, "zh", now) == "正常"
