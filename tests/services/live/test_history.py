"""Long ranges on Live, computed without a browser: which numbers a window is drawn from,
the bands and cards of 7 d and 30 d views over seeded history, and the per-day table."""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from collections import defaultdict
from datetime import datetime

import numpy as np
import pytest

from scripts.seed_history import seed
from services.live.daily import chunks, daily_csv, daily_frame
from services.live.export import buckets_csv
from services.live.history import FIGURE_POINTS, MAX_POINTS, Presence, history_snapshot, plan, plan_window, read_buckets
from services.live.rollups import FIVE_MINUTES, HOUR
from services.live.store import ReadingStore
from services.live.view import LiveView
from services.sensors.stations import BY_ID

DAY = 86_400
NOW = 1_790_035_200 + 12 * 3600  # noon UTC
STATIONS = ("beijing", "lhasa", "harbin")
KEPT = 48 * 3600  # raw rows kept


@pytest.mark.parametrize(
    ("range_key", "resolution", "bucket_s"),
    [("5m", None, 0), ("1h", None, 0), ("24h", FIVE_MINUTES, 300), ("7d", FIVE_MINUTES, 300),
     ("30d", HOUR, 3600), ("1y", HOUR, 5 * 3600)],
)  # fmt: skip
def test_each_preset_reads_raw_rows_or_the_statistics_with_at_most_2016_points(range_key, resolution, bucket_s):
    p = plan(LiveView(STATIONS, range_key), NOW, NOW, KEPT)
    assert (p.resolution, p.bucket_s) == (resolution, bucket_s)
    assert p.end == NOW and p.raw == (resolution is None)
    if not p.raw:
        assert (p.end - p.start) / p.bucket_s <= MAX_POINTS


def test_many_stations_share_one_figures_budget_of_points():
    fifty = plan(LiveView(tuple(f"lab-{n:04d}" for n in range(50)), "7d"), NOW, NOW, KEPT)
    assert (fifty.resolution, fifty.bucket_s) == (HOUR, HOUR) and 7 * DAY / HOUR * 50 <= FIGURE_POINTS  # 168 each
    twenty = plan(LiveView(tuple(f"lab-{n:04d}" for n in range(20)), "7d"), NOW, NOW, KEPT)
    assert (twenty.resolution, twenty.bucket_s) == (FIVE_MINUTES, 1200)  # 504 each: 5-minute ones, merged
    day = plan(LiveView(tuple(f"lab-{n:04d}" for n in range(50)), "24h"), NOW, NOW, KEPT)
    assert (day.resolution, day.bucket_s) == (FIVE_MINUTES, 600)
    assert plan(LiveView(STATIONS[:1] * 1, "30d"), NOW, NOW, KEPT).bucket_s == 3600


def test_a_fixed_window_reads_raw_rows_only_while_they_are_kept_and_5_minute_ones_only_for_30_days():
    assert plan_window(NOW - 3600, NOW - 1800, NOW, KEPT).raw  # a zoom into the last hour
    old_hour = plan_window(NOW - 5 * DAY, NOW - 5 * DAY + 3600, NOW, KEPT)
    assert (old_hour.resolution, old_hour.bucket_s) == (FIVE_MINUTES, FIVE_MINUTES)  # its raw rows are gone
    long_ago = plan_window(NOW - 60 * DAY, NOW - 59 * DAY, NOW, KEPT)
    assert (long_ago.resolution, long_ago.bucket_s) == (HOUR, HOUR)  # 5-minute ones are kept 30 days
    ten_days = plan_window(NOW - 10 * DAY, NOW, NOW, KEPT)
    assert ten_days.resolution == HOUR and 10 * DAY / ten_days.bucket_s <= MAX_POINTS


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> str:
    """30 days of three stations, a reading every 5 minutes (seeded, statistics by the triggers)."""
    path = tmp_path_factory.mktemp("history") / "readings.sqlite3"
    seed(path, STATIONS, NOW - 30 * DAY, NOW, period_s=300)
    return str(path)


def raw_extremes(path: str, start: float, end: float) -> dict[str, tuple[float, float, float]]:
    """Each station's (min, mean, max) temperature from the raw rows."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT station, MIN(temperature_c), AVG(temperature_c), MAX(temperature_c) FROM readings"
            " WHERE ts >= ? AND ts < ? GROUP BY station",
            (start, end),
        )
        return {s: (lo, mean, hi) for s, lo, mean, hi in rows}


@pytest.mark.parametrize(("range_key", "points"), [("7d", 2016), ("30d", 720)])
def test_7_and_30_day_views_show_a_band_and_mean_per_station_and_metric_and_cards_over_the_range(
    history, range_key, points
):
    view = LiveView(STATIONS, range_key, lang="zh")
    p = plan(view, NOW, NOW, KEPT)
    with ReadingStore(history) as store:
        began = time.perf_counter()
        snap = history_snapshot(store, view, p, Presence(NOW, dict.fromkeys(STATIONS, 900.0)))
        took = time.perf_counter() - began
        from_raw = history_snapshot(store, view, p, Presence(NOW + 3600, dict.fromkeys(STATIONS, 900.0)), raw=True)
    assert took < 2  # generous: a shared machine; the bench measures it
    expected = raw_extremes(history, p.start - p.start % p.bucket_s, NOW)
    for station in snap.stations:
        for metric in ("temperature", "humidity"):
            band = snap.bands[(station.station, metric)]
            assert points <= len(band.x) <= points + 1  # the first bucket may start before the window
            assert (band.low <= band.mean + 1e-9).all() and (band.mean <= band.high + 1e-9).all()
            same = from_raw.bands[(station.station, metric)]
            assert np.array_equal(band.x, same.x) and np.allclose(band.mean, same.mean, rtol=0, atol=1e-9)
            assert np.array_equal(band.low, same.low) and np.array_equal(band.high, same.high)
        low, mean, high = expected[station.station]
        assert station.card["t_min"] == f"{low:.1f} °C" and station.card["t_max"] == f"{high:.1f} °C"
        assert station.card["t_avg"] == f"{mean:.1f} °C"
        assert not station.offline  # its last reading is at NOW - 300 s, within 3 of its 5-minute periods
    assert all(s.offline for s in from_raw.stations)  # an hour later: silent past 3 periods


def test_fahrenheit_bands_and_a_csv_that_says_its_resolution(history):
    view = LiveView(("beijing",), "30d", "F")
    p = plan(view, NOW, NOW, KEPT)
    with ReadingStore(history) as store:
        snap = history_snapshot(store, view, p, Presence(NOW, {}))
        buckets = read_buckets(store, view.stations, p)
    celsius = [b.t_mean for b in buckets]
    assert snap.bands[("beijing", "temperature")].mean[0] == pytest.approx(celsius[0] * 9 / 5 + 32, abs=0.01)
    rows = list(csv.DictReader(io.StringIO(buckets_csv(buckets, p.bucket_s, "F", BY_ID))))
    assert len(rows) == len(buckets) and {r["resolution"] for r in rows} == {"1h"}
    assert float(rows[0]["temperature_f_mean"]) == pytest.approx(celsius[0] * 9 / 5 + 32, abs=0.01)
    assert int(rows[0]["temperature_n"]) == 12  # twelve 5-minute readings an hour


def test_the_daily_table_equals_a_recomputation_per_local_day_with_when_to_the_bucket(history):
    start = NOW - 3 * DAY
    with ReadingStore(history) as store:
        buckets = store.rollups_grouped(STATIONS, FIVE_MINUTES, FIVE_MINUTES, start, NOW)
    frame = daily_frame(buckets, {s: BY_ID[s].name_en for s in STATIONS})
    expected: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    with sqlite3.connect(history) as db:
        for station, ts, temp in db.execute(
            "SELECT station, ts, temperature_c FROM readings WHERE ts >= ? AND ts < ?", (start, NOW)
        ):
            expected[(datetime.fromtimestamp(ts).date().isoformat(), station)].append((temp, ts))
    assert len(frame) == len(expected) and list(frame["day"]) == sorted(frame["day"], reverse=True)
    for row in frame.itertuples():
        values = expected[(row.day, row.station)]
        low, high = min(values), max(values, key=lambda v: (v[0], -v[1]))
        assert row.t_min == low[0] and row.t_max == high[0]
        assert row.t_mean == pytest.approx(sum(v for v, _ in values) / len(values))
        assert 0 <= low[1] - row.t_min_at < FIVE_MINUTES  # the start of the bucket it was read in
    text = daily_csv(frame, "C", FIVE_MINUTES)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(frame) and {r["resolution"] for r in rows} == {"5min"}
    assert datetime.fromisoformat(rows[0]["temperature_c_min_at"]).utcoffset() is not None


def test_a_day_with_a_clock_change_is_one_row_of_its_25_hours(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        start = datetime(2026, 10, 25).timestamp()
        path = tmp_path / "r.sqlite3"
        seed(path, ["beijing"], start, start + 25 * 3600, period_s=60)
        with ReadingStore(path) as store:
            frame = daily_frame(store.rollups_grouped(["beijing"], HOUR, HOUR, start, start + 25 * 3600), {})
        assert list(frame["day"]) == ["2026-10-25"]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_no_statistics_make_an_empty_table_not_an_error():
    assert daily_frame([], {}).empty


def test_a_long_table_is_read_a_month_at_a_time_never_splitting_a_day():
    start, end = NOW - 365 * DAY + 3600, NOW
    parts = chunks(start, end)
    assert len(parts) == 12 and parts[0][0] == start and parts[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:], strict=False))  # contiguous
    assert all(datetime.fromtimestamp(cut).time() == datetime.min.time() for _, cut in parts[:-1])  # at midnight
