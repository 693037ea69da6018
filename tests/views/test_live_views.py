"""The Live page's figure, Patch, cards and banner, built from a real session over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.live.session import Delta, LiveSession, Snapshot, trace_index
from services.live.store import ReadingStore
from services.live.view import LiveView, Thresholds, x_value
from services.sensors.model import Reading
from services.sensors.stations import BY_ID
from tests.views.helpers import operations
from views.live import (
    ALERT_COLOR,
    PALETTE,
    RESERVED,
    banner,
    card_class,
    card_patch,
    make_cards,
    make_live_figure,
    make_live_patch,
)

T0 = 1_790_000_000  # a whole second
STATIONS = ("beijing", "lhasa")


def fill(store: ReadingStore, seconds: int, start: int = T0, temps: dict[str, float] | None = None) -> None:
    """One reading a second per station: a steady temperature (20 °C unless ``temps`` says) and 50 %RH."""
    temps = temps or {}
    store.add(
        [
            (Reading(s, ts, temps.get(s, 20.0), 50.0), ts * 1000)
            for ts in range(start, start + seconds)
            for s in STATIONS
        ]
    )


@pytest.fixture
def store(tmp_path) -> Iterator[ReadingStore]:
    with ReadingStore(tmp_path / "readings.sqlite3") as s:
        yield s


def session(store: ReadingStore, **view: Any) -> LiveSession:
    return LiveSession(LiveView(STATIONS, **view), store, period_s=1.0)


def rebuilt(store: ReadingStore, seconds: int = 60, **view: Any) -> tuple[LiveSession, Snapshot]:
    fill(store, seconds)
    live = session(store, **view)
    return live, live.rebuild(now=T0 + seconds)


def test_the_figure_has_a_temperature_and_a_humidity_line_per_station_named_after_it(store):
    _, snap = rebuilt(store, lang="zh")
    fig = make_live_figure(snap, BY_ID)
    assert len(fig.data) == 2 * len(STATIONS) + 2  # a trace per station and metric, then the alert markers
    for position, name in enumerate(("北京", "拉萨")):
        temperature = fig.data[trace_index(position, "temperature")]
        humidity = fig.data[trace_index(position, "humidity")]
        assert temperature.name == humidity.name == name
        assert (temperature.yaxis, humidity.yaxis) == ("y", "y2")  # temperature on top, humidity below
        assert len(temperature.y) == len(humidity.y) == 60 and set(humidity.y) == {50.0}
        assert set(temperature.text) == {name}  # each point's hover names its station
        own = [tr.showlegend for tr in fig.data if tr.legendgroup == f"group-{position}"]
        assert own == [True, False]  # a line (and a legend entry) of its own
    assert fig.layout.xaxis.range == (x_value(T0 + 60 - 300), x_value(T0 + 60))  # the 5-minute window
    assert "°C" in fig.layout.yaxis.title.text and fig.layout.yaxis.title.text.startswith("温度")


def test_fifty_stations_share_nine_colours_named_point_by_point_on_their_cards_not_in_a_legend(store):
    many = [f"lab-{n:04d}" for n in range(1, 51)]
    store.add([(Reading(s, T0 - 5, 20.0, 50.0), (T0 - 5) * 1000) for s in many])
    live = LiveSession(LiveView(tuple(many), lang="zh"), store, period_s=1.0)
    snap = live.rebuild(now=T0)
    fig = make_live_figure(snap, BY_ID)
    assert len(fig.data) == 2 * 9 + 2  # a redraw costs by the trace: 20 traces, not 204
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    assert len({tr.line.color.upper() for tr in lines}) == 9 and not any(tr.showlegend for tr in fig.data)
    first = fig.data[trace_index(0, "temperature")]  # stations 1, 10, 19 … one after another, gaps between
    assert [name for name in first.text if name] == many[::9]  # (named by id: no such station is known)
    assert list(first.x).count(None) == len(many[::9]) - 1
    swatches = [card["color"] for card in make_cards(snap, BY_ID)["cards"].values()]
    assert swatches[0] == swatches[9] == first.line.color and swatches[1] != swatches[0]  # its line's colour


def test_no_station_is_drawn_in_the_alerts_red_and_chinese_dates_read_as_such(store):
    live = LiveSession(LiveView(("beijing",), lang="zh"), store, period_s=1.0)
    fig = make_live_figure(live.rebuild(now=T0), BY_ID)
    lines = {tr.line.color.upper() for tr in fig.data if tr.mode == "lines"}
    assert not set(PALETTE) & RESERVED and lines <= set(PALETTE) and ALERT_COLOR.upper() in RESERVED
    alert = [tr for tr in fig.data if tr.mode == "markers"][0]
    assert alert.marker.color == ALERT_COLOR and "告警" in alert.hovertemplate
    assert "%-m月%-d日" in str(fig.layout.xaxis.tickformatstops)  # not "Nov 27, 2026"

    def label(dtick_ms: int) -> str | None:  # Plotly takes the first stop holding the tick step, ends included
        for stop in fig.layout.xaxis.tickformatstops:
            low, high = stop.dtickrange
            if (low is None or low <= dtick_ms) and (high is None or dtick_ms <= high):
                return stop.value
        return None

    assert label(3_600_000) == "%H:%M" and label(86_400_000) == "%-m月%-d日"  # a week's daily ticks: dates


def test_temperatures_and_threshold_lines_follow_the_chosen_unit(store):
    limits = Thresholds(temp_low=10.0, temp_high=25.0, hum_high=70.0)
    _, snap = rebuilt(store, unit="F", thresholds=limits)
    fig = make_live_figure(snap, BY_ID)
    assert set(fig.data[trace_index(0, "temperature")].y) == {68.0}  # 20 °C
    assert "°F" in fig.layout.yaxis.title.text
    lines = sorted((shape.yref, shape.y0) for shape in fig.layout.shapes)
    assert lines == [("y", 50.0), ("y", 77.0), ("y2", 70.0)]  # 10 °C and 25 °C in °F; humidity as is
    unlimited = make_live_figure(session(store).rebuild(now=T0 + 60), BY_ID)
    assert unlimited.layout.shapes == ()  # no threshold set: no line, no alert marker
    assert all(not tr.x for tr in unlimited.data if tr.name == "alert")


def test_threshold_lines_show_even_before_any_reading_arrives(store):
    empty = session(store, thresholds=Thresholds(temp_high=25.0)).rebuild(now=T0)
    fig = make_live_figure(empty, BY_ID)
    assert [(shape.yref, shape.y0) for shape in fig.layout.shapes] == [("y", 25.0)]
    assert all(not tr.x for tr in fig.data)  # nothing plotted that was not measured


def test_a_patch_appends_only_the_new_points_and_moves_the_window(store):
    live, snap = rebuilt(store)
    fill(store, 2, start=T0 + 60)
    delta = live.advance(store.since(live.cursor, list(STATIONS)), now=T0 + 62)
    ops = operations(make_live_patch(delta, live.start, live.view, BY_ID))
    new_x = [x_value(T0 + 60), x_value(T0 + 61)]
    extended = {location: value for kind, location, value in ops if kind == "Extend"}
    for position, name in enumerate(("Beijing", "Lhasa")):
        for metric in ("temperature", "humidity"):
            line = trace_index(position, metric)
            assert extended[("data", line, "x")] == new_x  # two new readings, not the 60 shown before
            assert extended[("data", line, "text")] == [name] * 2
    assert not any(kind == "Assign" and location[0] == "data" for kind, location, _ in ops)  # no trace re-sent
    window = [x_value(T0 + 62 - 300), x_value(T0 + 62)]
    assert ("Assign", ("layout", "xaxis", "range"), window) in ops
    assert ("Assign", ("layout", "xaxis2", "range"), window) in ops


def test_stations_sharing_a_colour_each_grow_their_own_run_of_the_shared_line(store):
    """Stations 1 and 10 of 10 share the first colour: each new point goes in at the end of
    its station's run (a browser draws a line of many short runs far slower)."""
    many = tuple(f"lab-{n:04d}" for n in range(1, 11))
    store.add([(Reading(s, T0 - 1, 20.0, 50.0), (T0 - 1) * 1000) for s in many])
    live = LiveSession(LiveView(many), store, period_s=1.0)
    live.rebuild(now=T0)
    line = trace_index(0, "temperature")  # lab-0001's point, a gap, lab-0010's point
    for second in (0, 1):
        store.add([(Reading(s, T0 + second, 21.0 + second, 50.0), (T0 + second) * 1000) for s in many])
        delta = live.advance(store.since(live.cursor, list(many)), now=T0 + second + 0.5)
        patch = make_live_patch(delta, live.start, live.view, BY_ID)
        ops = [op for op in operations(patch) if op[1][:2] == ("data", line)]
        first, last = [(kind, value) for kind, loc, value in ops if loc[-1] == "y"]
        assert first == ("Insert", 21.0 + second) and last == ("Extend", [21.0 + second])  # the last run grows
        raw = patch.to_plotly_json()["operations"]
        inserted = [
            op["params"]["index"] for op in raw if op["operation"] == "Insert" and op["location"] == ["data", line, "x"]
        ]
        assert inserted == [1 + second]  # at the end of the first run, before the gap


def test_a_line_filled_anew_carries_its_names_even_when_the_window_is_empty(store):
    live, _ = rebuilt(store)
    delta = live.advance([], now=T0 + 60 + 300)  # silent for a window: every trace is filled anew, empty
    ops = operations(make_live_patch(delta, live.start, live.view, BY_ID))
    assigned = {location: value for kind, location, value in ops if kind == "Assign" and location[0] == "data"}
    for position in range(len(STATIONS)):
        for metric in ("temperature", "humidity"):
            line = trace_index(position, metric)
            assert assigned[("data", line, "x")] == assigned[("data", line, "text")] == []  # no stale names left
    assert ("data", trace_index(len(STATIONS), "temperature"), "text") not in assigned  # markers have no names


def test_a_patch_marks_a_station_that_went_silent_as_offline_in_the_legend(store):
    live, _ = rebuilt(store)
    delta = live.advance([], now=T0 + 70)  # ten silent seconds: beyond three collector periods
    ops = operations(make_live_patch(delta, live.start, live.view, BY_ID))
    names = {location[1]: value for kind, location, value in ops if location[-1] == "name"}
    assert names == {
        trace_index(0, "temperature"): "Beijing · offline",
        trace_index(1, "temperature"): "Lhasa · offline",
    }
    assert not any(location[0] == "data" and location[-1] in ("x", "y") for _, location, _ in ops)


def test_cards_show_each_station_in_the_chosen_unit_and_language(store):
    _, snap = rebuilt(store, unit="F", lang="zh")
    cards = make_cards(snap, BY_ID)
    assert cards["order"] == ["beijing", "lhasa"]
    beijing = cards["cards"]["beijing"]
    assert beijing["id"] == "live-card-beijing" and beijing["name"] == "北京"
    assert beijing["v"]["temp"] == "68.0 °F" and beijing["v"]["hum"] == "50.0 %RH"
    assert "20.0 °C" not in beijing["v"].values()
    assert {"露点", "最低", "最高", "平均", "离线"} <= set(cards["words"].values())


def test_a_card_update_carries_only_the_texts_and_classes_that_changed():
    delta = Delta(T0, 1, cards={("lhasa", "temp"): "30.0 °C"}, status={"beijing": (True, [])})
    assert operations(card_patch(delta)) == [
        ("Assign", ("cards", "lhasa", "v", "temp"), "30.0 °C"),
        ("Assign", ("cards", "beijing", "class"), "card sensor-card offline"),
    ]


def test_an_alerting_station_gets_an_alert_card_and_is_named_in_the_banner_which_hides_without_alerts(store):
    fill(store, 60, temps={"lhasa": 30.0})
    snap = session(store, thresholds=Thresholds(temp_high=25.0), lang="zh").rebuild(now=T0 + 60)
    classes = {card["id"]: card["class"] for card in make_cards(snap, BY_ID)["cards"].values()}
    assert classes == {
        "live-card-beijing": "card sensor-card",
        "live-card-lhasa": "card sensor-card alert alert-temp_high",  # only its temperature turns red
    }
    alerting = {s.station: s.alerts for s in snap.stations if s.alerts}
    assert banner(alerting, BY_ID, "zh") == ("超出阈值：拉萨（温度高于上限）", "banner banner-alert")
    assert banner(alerting, BY_ID, "en") == (
        "Beyond thresholds: Lhasa (temperature above its high limit)", "banner banner-alert")  # fmt: skip
    both = {"lhasa": ["temp_high", "hum_low"], "beijing": ["hum_high"]}
    assert banner(both, BY_ID, "zh")[0] == "超出阈值：拉萨（温度高于上限，湿度低于下限）；北京（湿度高于上限）"
    assert banner({}, BY_ID, "zh") == ("", "banner hidden")
    assert card_class(False, []) == "card sensor-card"
    assert card_class(True, []) == "card sensor-card offline"
    assert card_class(False, ["temp_high"]) == "card sensor-card alert alert-temp_high"
