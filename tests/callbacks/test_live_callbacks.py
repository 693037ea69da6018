"""Live page callbacks called as plain functions."""

import asyncio
import csv
import io
import time

import pytest
from dash import no_update

import ids
from callbacks.live import _Stream, make_view
from callbacks.live_history import export
from services.live.store import ReadingStore
from services.live.view import LiveView
from services.sensors.model import Reading

T0 = 1_790_000_000


def view(
    *,
    triggered=None,
    stations=("beijing",),
    unit="C",
    n_pause=None,
    tlo=None,
    thi=None,
    hlo=None,
    hhi=None,
    lang="en",
    previous=None,
):
    return make_view(triggered, list(stations), "5m", unit, n_pause, tlo, thi, hlo, hhi, lang, previous)


def test_a_good_view_goes_to_the_stream_without_a_message():
    data, message, pause_class, *_ = view(tlo="5", thi="30", hhi="90")
    assert message == "" and "paused" not in pause_class
    assert data["stations"] == ["beijing"] and data["path"] == "/live"
    assert data["thresholds"] == {"temp_low": 5.0, "temp_high": 30.0, "hum_low": None, "hum_high": 90.0}


def test_bad_thresholds_get_a_message_and_the_previous_ones_stay():
    previous, *_ = view(thi="30")
    for kwargs, words in (
        ({"tlo": "40", "thi": "30"}, "Temperature low is above"),
        ({"hlo": "x"}, "must be numbers"),
        ({"hlo": "90", "hhi": "10"}, "Humidity low is above"),
    ):
        data, message, *_ = view(previous=previous, **kwargs)
        assert words in message
        assert data["thresholds"] == previous["thresholds"]  # nothing typed before is lost


def test_full_width_digits_are_understood_and_shown_back_plain():
    data, message, _, tlo, thi, hlo, hhi, *_ = view(tlo="－５", thi="３０．５", hhi="90")
    assert message == "" and data["thresholds"]["temp_low"] == -5.0 and data["thresholds"]["temp_high"] == 30.5
    assert (tlo, thi, hlo, hhi) == ("-5", "30.5", no_update, no_update)  # plain ones are left as typed


def test_no_station_selected_is_explained_in_the_chosen_language():
    _, message, *_ = view(stations=(), lang="zh")
    assert message == "请至少选择一个站点以查看读数。"


def test_switching_to_fahrenheit_converts_the_typed_temperature_thresholds():
    previous, *_ = view(tlo="0", thi="30")
    data, message, _, low, high, *_ = view(triggered=ids.LIVE_UNIT, unit="F", tlo="0", thi="30", previous=previous)
    assert (low, high) == (32.0, 86.0) and message == ""
    assert data["thresholds"]["temp_high"] == 30.0  # kept in °C underneath


def test_pause_is_every_other_click():
    assert view(n_pause=1)[0]["paused"] and "paused" in view(n_pause=1)[2]
    assert not view(n_pause=2)[0]["paused"]


def test_a_changed_setting_keeps_the_number_of_the_pages_stream():
    """Else an older stream that has not yet seen the newer number would go on pushing too."""
    data, *_ = view(stations=("beijing", "lhasa"), previous={**view()[0], "stream": 3})
    assert data["stream"] == 3 and data["stations"] == ["beijing", "lhasa"]
    assert view()[0]["stream"] == 0  # a fresh page: its first stream is number 0


def test_export_writes_the_shown_stations_range_and_unit(settings):
    with ReadingStore(settings.store_path) as store:
        store.add([(Reading(s, T0 + i, 10.0, 40.0), (T0 + i) * 1000) for i in range(5) for s in ("beijing", "lhasa")])
    shown = {"end": T0 + 3, "cursor": 10**9, "paused": True}
    data, *_ = view(unit="F", n_pause=1)
    sent, message = asyncio.run(export(settings, 1, data, shown))
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert message == "" and sent["filename"].endswith(".csv")
    assert [r["station"] for r in rows] == ["beijing"] * 4  # lhasa is not shown; T0+4 is after the pause
    assert {r["temperature_f"] for r in rows} == {"50.00"}


def test_export_of_an_empty_range_says_so(settings):
    data, *_ = view(stations=("lab-3",))
    sent, message = asyncio.run(export(settings, 1, data, None))
    assert sent is no_update and message == "Nothing to export: the shown range has no readings."


@pytest.mark.parametrize(("range_key", "step_s"), [("5m", 1.0), ("1h", 12.0)])
def test_with_nothing_new_the_figure_slides_once_per_step_and_a_new_reading_is_sent_at_once(
    settings, range_key, step_s
):
    """Every figure update is a whole redraw in the browser: turns that bring no reading
    (4 a second) must not each redraw it. The step is 1 s, or 1/300 of a longer window."""
    now = time.time()
    with ReadingStore(settings.store_path) as store:
        store.add([(Reading("beijing", int(now) - i, 20.0, 50.0), (int(now) - i) * 1000) for i in range(1, 30)])
        stream = _Stream(settings.model_copy(update={"collector_period_s": 60.0}), store)  # none goes offline
        stream._outbox = sent = []  # what the stream pushes, as the page would get it
        asyncio.run(stream.rebuild(LiveView(("beijing",), range_key, "C")))
        session = stream.session
        end = session.end
        redraws = []
        for turn in range(1, int(12 * step_s) + 1):  # three steps of turns, 0.25 s apart, with no reading
            sent.clear()
            stream.push_delta(session.advance([], end + turn / 4))
            redraws += [turn / 4] if ids.LIVE_GRAPH in {target for target, _ in sent} else []
        assert redraws == [step_s, 2 * step_s, 3 * step_s]
        store.add([(Reading("beijing", int(now) + 1, 21.5, 50.0), (int(now) + 1) * 1000)])
        sent.clear()
        stream.push_delta(session.advance(store.since(session.cursor, ["beijing"]), end + 3 * step_s + 0.1))
        assert ids.LIVE_GRAPH in {target for target, _ in sent}  # a new point is drawn without waiting for a step


def test_a_reading_that_goes_into_a_shared_lines_run_is_sent_at_once(settings):
    """Ten stations: the first and the tenth share a colour, so one line. A reading of the
    first alone goes in at the end of its run (an insert, no append): it is drawn at once."""
    now = time.time()
    many = tuple(f"lab-{n:04d}" for n in range(1, 11))
    with ReadingStore(settings.store_path) as store:
        store.add([(Reading(s, int(now) - 2, 20.0, 50.0), (int(now) - 2) * 1000) for s in many])
        stream = _Stream(settings.model_copy(update={"collector_period_s": 60.0}), store)
        stream._outbox = sent = []
        asyncio.run(stream.rebuild(LiveView(many, "5m", "C")))
        session = stream.session
        store.add([(Reading(s, int(now) - 1, 21.0, 50.0), (int(now) - 1) * 1000) for s in (many[0], many[9])])
        stream.push_delta(session.advance(store.since(session.cursor, list(many)), session.end + 0.1))
        store.add([(Reading(many[0], int(now), 22.0, 50.0), int(now) * 1000)])
        sent.clear()
        delta = session.advance(store.since(session.cursor, list(many)), session.end + 0.1)
        assert delta.inserts and not delta.appends
        stream.push_delta(delta)
        assert ids.LIVE_GRAPH in {target for target, _ in sent}
