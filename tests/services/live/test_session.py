"""What the Live page shows and streams, computed without a browser."""

import csv
import io
import math
from datetime import datetime

import numpy as np
import pytest

from services.core.errors import LiveInputError
from services.live.downsample import downsample_indices
from services.live.export import csv_text
from services.live.session import RAW_MAX_POINTS, LiveSession, Series, groups, trace_index
from services.live.store import ReadingStore
from services.live.view import LiveView, Thresholds, dew_point_c, x_value
from services.sensors.model import Reading
from services.sensors.stations import BY_ID
from services.sources.model import SourceReading

T0 = 1_790_000_000  # a whole second
BY_ID_TEN = tuple(f"lab-{n:04d}" for n in range(1, 11))


def fill(store: ReadingStore, stations, seconds, start=T0, temp=lambda s, ts: 20.0 + (ts % 7)):
    store.add(
        [
            (Reading(s, ts, temp(s, ts), 50.0 + (ts % 5)), ts * 1000)
            for ts in range(start, start + seconds)
            for s in stations
        ]
    )


@pytest.fixture
def store(tmp_path):
    with ReadingStore(tmp_path / "r.sqlite3") as s:
        yield s


def session(store, *, stations=("beijing", "lhasa"), range_key="5m", unit="C", **kw) -> LiveSession:
    view = LiveView(tuple(stations), range_key, unit, thresholds=kw.pop("thresholds", Thresholds()))
    return LiveSession(view, store, period_s=1.0, **kw)


def test_downsampling_keeps_the_spikes_the_ends_and_time_order():
    rng = np.random.default_rng(3)
    ts = np.arange(86_400, dtype=float)
    values = rng.normal(20, 2, len(ts))
    values[12_345], values[70_001] = 55.0, -30.0  # two one-second spikes
    keep = downsample_indices(ts, values, 600)
    assert len(keep) <= 600 + 2 and np.all(np.diff(keep) > 0)
    assert {0, 12_345, 70_001, 86_399} <= set(keep.tolist())
    assert values[keep].max() == 55.0 and values[keep].min() == -30.0
    calm = np.sin(ts / 5000)  # no spike: the series' own lowest and highest are still there
    kept = calm[downsample_indices(ts, calm, 600)]
    assert (kept.min(), kept.max()) == (calm.min(), calm.max())
    assert downsample_indices(ts[:50], values[:50], 600).tolist() == list(range(50))  # few: every point


def test_rebuild_shows_the_window_and_advance_appends_only_new_points(store):
    fill(store, ["beijing", "lhasa", "harbin"], 400)
    s = session(store)
    snap = s.rebuild(now=T0 + 400)
    assert [st.station for st in snap.stations] == ["beijing", "lhasa"]  # only the selected
    shown = snap.stations[0].temperature.x
    assert shown[0] == x_value(T0 + 100) and shown[-1] == x_value(T0 + 399) and len(shown) == 300
    fill(store, ["beijing", "lhasa", "harbin"], 2, start=T0 + 400)
    rows = store.since(s.cursor, ["beijing", "lhasa"])
    delta = s.advance(rows, now=T0 + 402)
    line = trace_index(0, "temperature")
    assert delta.appends[line].x == [x_value(T0 + 400), x_value(T0 + 401)]  # its run is the trace's last
    assert not delta.resets and delta.cursor == rows[-1].id
    assert s.advance([], now=T0 + 402.5).appends == {}  # nothing new: nothing appended


def runs_of(trace: list[tuple[str | None, str | None]]) -> dict[str, list[list[str]]]:
    """A trace's runs (points between gaps) by station: (x, station) entries as the browser holds them."""
    runs: dict[str, list[list[str]]] = {}
    previous = None
    for x, station in trace:
        if station is not None and station != previous:
            runs.setdefault(station, []).append([])
        if station is not None:
            runs[station][-1].append(x)
        previous = station
    return runs


@pytest.mark.parametrize("stations", [("beijing",), tuple(f"lab-{n:04d}" for n in range(1, 11))])
def test_the_window_is_bounded_by_filling_the_trace_anew(store, stations):
    """One station with a line of its own, and two sharing the first colour (10 stations):
    each keeps one unbroken run, holding every reading in the window once, however their
    readings interleave; the trace is filled anew with the window every half window."""
    fill(store, stations, 300)
    s = session(store, stations=stations)
    s.rebuild(now=T0 + 300)
    members = stations[:: groups(len(stations))]
    trace: list[tuple[str | None, str | None]] = []  # the first group's temperature: (x, station)
    for station in members:
        trace += ([(None, None)] if trace else []) + [(x_value(ts), station) for ts in range(T0, T0 + 300)]
    resets = 0
    index = trace_index(0, "temperature")
    for ts in range(T0 + 300, T0 + 1300):  # 1000 more seconds, one reading each
        fill(store, stations, 1, start=ts)
        delta = s.advance(store.since(s.cursor, list(stations)), now=ts + 1)
        if index in delta.resets:
            reset = delta.resets[index]
            assert min(x for x in reset.x if x) >= x_value(s.start)  # the window's points, no older
            trace, resets = list(zip(reset.x, reset.text, strict=True)), resets + 1
        for at, new in delta.inserts.get(index, []):
            trace[at:at] = list(zip(new.x, new.text, strict=True))
        new = delta.appends.get(index, Series([], []))
        trace += list(zip(new.x, new.text, strict=True))
        assert len(trace) <= (450 + 2) * len(members)  # 1.5 windows at most, though 1,300 readings went by
        runs = runs_of(trace)
        window = [x_value(t) for t in range(math.ceil(s.start), ts + 1)]
        for station in members:
            (run,) = runs[station]  # one run
            assert run == sorted(set(run)) and run[-len(window) :] == window  # in order, once, all of the window
    assert resets == 6  # every half window


def test_traces_filled_late_together_go_back_to_their_own_turns(store):
    fill(store, BY_ID_TEN, 300)
    s = session(store, stations=BY_ID_TEN)
    s.rebuild(now=T0 + 300)
    assert len(s.advance([], now=T0 + 1000).resets) == 2 * groups(10) + 2  # back after a long pause: all at once
    filled_per_turn = [len(s.advance([], now=T0 + 1000 + k).resets) for k in range(1, 151)]
    assert sum(filled_per_turn) == 2 * groups(10) + 2 and max(filled_per_turn) <= 2  # then spread over half a window


def test_cards_show_extremes_with_their_times_in_the_chosen_unit(store):
    fill(store, ["beijing"], 300, temp=lambda s, ts: 30.0 if ts == T0 + 42 else 20.0)
    card = session(store, stations=("beijing",), unit="F").rebuild(now=T0 + 300).stations[0].card
    assert card["t_max"] == "86.0 °F"
    assert card["t_max_at"] == datetime.fromtimestamp(T0 + 42).astimezone().strftime("%H:%M:%S")
    assert card["t_min"] == "68.0 °F" and card["hum"].endswith("%RH")
    assert card["dew"] == f"{dew_point_c(20.0, 50.0 + (T0 + 299) % 5) * 9 / 5 + 32:.1f} °F"


def test_the_max_leaves_the_card_when_it_leaves_the_window(store):
    spike = lambda s, ts: 30.0 if ts == T0 else 20.0  # noqa: E731
    fill(store, ["beijing"], 300, temp=spike)
    s = session(store, stations=("beijing",))
    assert s.rebuild(now=T0 + 299).stations[0].card["t_max"] == "30.0 °C"
    fill(store, ["beijing"], 2, start=T0 + 300, temp=spike)
    delta = s.advance(store.since(s.cursor, ["beijing"]), now=T0 + 301)
    assert delta.cards[("beijing", "t_max")] == "20.0 °C"


def test_offline_after_three_silent_periods_and_back_online(store):
    fill(store, ["beijing", "lhasa"], 10)
    s = session(store)
    snap = s.rebuild(now=T0 + 10)
    assert not any(st.offline for st in snap.stations)
    delta = s.advance([], now=T0 + 9 + 3.5)
    assert delta.status == {"beijing": (True, []), "lhasa": (True, [])}
    fill(store, ["lhasa"], 1, start=T0 + 13)
    store._db.execute("UPDATE readings SET stored_ms = ? WHERE ts = ?", ((T0 + 13) * 1000, T0 + 13))
    delta = s.advance(store.since(s.cursor, ["beijing", "lhasa"]), now=T0 + 13.2)
    assert delta.status == {"lhasa": (False, [])}


def test_thresholds_mark_points_cards_and_the_banner(store):
    fill(store, ["beijing", "lhasa"], 20, temp=lambda s, ts: 35.0 if s == "lhasa" else 20.0)
    limits = Thresholds(temp_high=30.0)
    s = session(store, thresholds=limits)
    snap = s.rebuild(now=T0 + 20)
    by = {st.station: st for st in snap.stations}
    assert by["lhasa"].alerts == ["temp_high"] and by["beijing"].alerts == []
    assert len(snap.alerts["temperature"].x) == 20 and set(snap.alerts["temperature"].y) == {35.0}
    fills = s.advance([], now=T0 + 170).resets  # half a window later: every trace is filled anew
    marks = fills[trace_index(groups(2), "temperature")]
    assert len(marks.x) == 20 and set(marks.y) == {35.0}  # the markers are filled anew too
    assert fills[trace_index(groups(2), "humidity")].x == []  # no humidity limit: no marker


@pytest.mark.parametrize(
    ("raw", "unit", "key"),
    [
        ({"temp_low": "30", "temp_high": "10"}, "C", "live.err.temp_order"),
        ({"hum_low": "80", "hum_high": "20"}, "C", "live.err.hum_order"),
        ({"temp_high": "warm"}, "C", "live.err.not_number"),
        ({"hum_low": "nan"}, "C", "live.err.not_number"),
    ],
)
def test_bad_thresholds_are_refused_with_a_reason(raw, unit, key):
    with pytest.raises(LiveInputError) as err:
        Thresholds.parse(raw, unit)
    assert err.value.code == key


def test_thresholds_typed_in_fahrenheit_are_kept_in_celsius():
    limits = Thresholds.parse({"temp_low": "32", "temp_high": " 86 ", "hum_high": ""}, "F")
    assert (limits.temp_low, limits.temp_high, limits.hum_high) == (0.0, 30.0, None)


def test_long_ranges_are_downsampled_and_rebuilt_when_the_tail_fills(store):
    fill(store, ["beijing"], 3 * 3600)
    s = session(store, stations=("beijing",), range_key="1h")
    assert 3600 / 1.0 > RAW_MAX_POINTS and s.downsampled
    snap = s.rebuild(now=T0 + 3 * 3600)
    assert len(snap.stations[0].temperature.x) <= 600
    fill(store, ["beijing"], 301, start=T0 + 3 * 3600)
    assert s.advance(store.since(s.cursor, ["beijing"]), now=T0 + 3 * 3600 + 301).rebuild
    s.rebuild(now=T0 + 3 * 3600 + 301)  # a rarer sensor: few new points, but what was loaded leaves the window
    assert not s.advance([], now=T0 + 4 * 3600 + 301).rebuild
    assert s.advance([], now=T0 + 4 * 3600 + 302).rebuild


def test_csv_has_local_iso_times_with_offset_and_the_shown_unit(store):
    fill(store, ["beijing"], 3)
    text = csv_text(store.window(["beijing"], T0, T0 + 2), "F", BY_ID)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3 and rows[0]["station"] == "beijing" and rows[0]["name"] == "Beijing"
    assert datetime.fromisoformat(rows[0]["time"]).timestamp() == T0
    assert datetime.fromisoformat(rows[0]["time"]).utcoffset() is not None
    assert math.isclose(float(rows[0]["temperature_f"]), (20.0 + T0 % 7) * 9 / 5 + 32)


def test_a_real_sensor_is_offline_by_its_own_period_or_when_its_source_says_so(store):
    sensor = "home:hall"
    store.add([(SourceReading("home", "hall", T0, raw_temperature=21.0, temperature_c=21.0), T0 * 1000)])
    live = session(store, stations=(sensor,), periods={sensor: 60.0})
    snap = live.rebuild(T0 + 100)  # 100 s of silence: 33 collector periods, under 3 of its own
    assert not snap.stations[0].offline
    assert live.advance([], T0 + 200).status == {sensor: (True, [])}  # over 3 × 60 s
    fresh = session(store, stations=(sensor,), periods={sensor: 60.0})
    fresh.unavailable = {sensor}
    assert fresh.rebuild(T0 + 10).stations[0].offline


def test_one_metric_at_a_time_shows_what_was_sent_and_a_late_reading_shows_from_the_rebuild(store):
    sensor = "home:esp"
    store.add([(SourceReading("home", "esp", T0, humidity_pct=40.0), T0 * 1000)])
    live = session(store, stations=(sensor,))
    snap = live.rebuild(T0 + 1)
    assert (snap.stations[0].temperature.y, snap.stations[0].humidity.y) == ([], [40.0])
    assert snap.stations[0].card["temp"] == "–" and snap.stations[0].card["hum"] == "40.0 %RH"
    store.add([(SourceReading("home", "esp", T0 + 2, raw_temperature=20.0, temperature_c=20.0), (T0 + 2) * 1000)])
    store.add([(SourceReading("home", "esp", T0 - 30, humidity_pct=41.0), (T0 + 2) * 1000)])  # late
    delta = live.advance(store.since(live.cursor, [sensor]), T0 + 3)
    assert [s.y for s in delta.appends.values()] == [[20.0]]  # the late one is not drawn back in time
    assert [r.ts for r in store.window([sensor], 0, T0 + 5)] == [T0 - 30, T0, T0 + 2]  # stored in time order
    assert live.rebuild(T0 + 3).stations[0].humidity.y == [41.0, 40.0]  # and drawn in time order


def test_the_missing_half_of_the_newest_reading_rebuilds_the_picture(store):
    sensor = "home:esp"
    store.add([(SourceReading("home", "esp", T0, raw_temperature=20.0, temperature_c=20.0), T0 * 1000)])
    live = session(store, stations=(sensor,))
    live.rebuild(T0 + 1)
    store.add([(SourceReading("home", "esp", T0, humidity_pct=44.0), (T0 + 1) * 1000)])  # joins its row
    assert live.advance(store.since(live.cursor, [sensor]), T0 + 2).rebuild
    assert live.rebuild(T0 + 2).stations[0].humidity.y == [44.0]
