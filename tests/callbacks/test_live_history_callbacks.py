"""The window a Live page asks for (presets, typed dates, a zoom), its exports and the
per-day table, called as plain functions."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import datetime

from dash import no_update

import ids
from callbacks import live_history
from callbacks.live import _Stream, make_view
from callbacks.live_history import daily, export, zoomed
from scripts.seed_history import seed
from services.live.store import ReadingStore
from services.live.view import LiveView


def view(triggered=None, range_key="5m", previous=None, lang="en", **window):
    return make_view(triggered, ["beijing"], range_key, "C", None, None, None, None, None, lang, previous, **window)


def test_typed_dates_make_a_local_day_range_and_a_preset_clears_them():
    data, message, *_, date_from, date_to = view(ids.LIVE_TO, date_from="2026-11-01", date_to="2026-11-07")
    assert message == "" and (date_from, date_to) == (view()[-2], view()[-1])  # left as typed
    assert data["window"] == [datetime(2026, 11, 1).timestamp(), datetime(2026, 11, 8).timestamp()]
    data, message, *_, date_from, date_to = view(ids.LIVE_RANGE, "7d", previous=data)
    assert data["window"] is None and data["range"] == "7d" and (date_from, date_to) == ("", "")


def test_no_preset_is_on_while_dates_or_a_zoom_are_shown_and_it_comes_back_after():
    dates = {"date_from": "2026-11-01", "date_to": "2026-11-07"}
    data, *_, preset, _, _ = view(ids.LIVE_TO, "24h", **dates)
    assert preset is None and data["range"] == "24h"  # no button on; the preset is kept for later
    data, *_, preset, _, _ = view(ids.LIVE_RANGE, "24h", previous=data)  # the same preset picked again
    assert preset is no_update and data["window"] is None and data["range"] == "24h"  # its button on, as clicked
    relayout = {"xaxis.range[0]": "2026-11-20 10:00", "xaxis.range[1]": "2026-11-20 12:00"}
    data, *_, preset, _, _ = view(ids.LIVE_GRAPH, "24h", previous=data, relayout=relayout)
    assert preset is None and data["zoom"]
    data, *_, preset, _, _ = view(ids.LIVE_GRAPH, None, previous=data, relayout={"xaxis.autorange": True})
    assert preset == "24h" and data["range"] == "24h" and data["zoom"] is None  # the zoom ended: 24 h again
    _, *_, preset, _, _ = view(ids.LIVE_FROM, "24h", date_from="2026-11-01", date_to=None)
    assert preset is no_update  # one date alone: the preset is still what is shown


def test_bad_dates_are_explained_and_the_preset_is_shown():
    for dates, words in (
        (("2026-02-30", "2026-03-02"), "Dates are written year-month-day"),
        (("tomorrow", "2026-03-02"), "Dates are written year-month-day"),
        (("2026-03-02", "2026-03-01"), "ends before it starts"),
        (("2020-01-01", "2026-03-01"), "at most 732 days"),
    ):
        data, message, *_ = view(ids.LIVE_FROM, date_from=dates[0], date_to=dates[1])
        assert words in message and data["window"] is None
    _, message, *_ = view(ids.LIVE_FROM, date_from="2026-03-02", date_to="2026-03-01", lang="zh")
    assert message == "结束日期早于开始日期；改为显示所选的预设范围。"
    data, message, *_ = view(ids.LIVE_FROM, date_from="2026-03-02", date_to=None)
    assert message == "" and data["window"] is None  # the other date is still to come


def test_zooming_the_chart_fixes_the_window_and_a_double_click_ends_it():
    start, end = datetime(2026, 11, 20, 10, 0).timestamp(), datetime(2026, 11, 20, 12, 30, 15, 500_000).timestamp()
    relayout = {"xaxis.range[0]": "2026-11-20 10:00", "xaxis.range[1]": "2026-11-20 12:30:15.5"}
    data, *_ = view(ids.LIVE_GRAPH, "30d", relayout=relayout)
    assert data["zoom"] == [start, end] and data["range"] == "30d"
    assert zoomed({"xaxis2.range": ["2026-11-20 10:00", "2026-11-20 11:00"]}, None) == [start, start + 3600]
    assert zoomed({"autosize": True}, [start, end]) == [start, end]  # not a zoom: as it was
    assert zoomed({"xaxis.range[0]": "soon", "xaxis.range[1]": "later"}, None) is None
    assert zoomed({"xaxis.range[0]": "2026-11-20 10:00", "xaxis.range[1]": "2026-11-20 10:00"}, None) is None
    data, *_ = view(ids.LIVE_GRAPH, "30d", previous=data, relayout={"xaxis.autorange": True})
    assert data["zoom"] is None


def test_a_7_day_export_is_the_5_minute_statistics_and_says_so(settings):
    now = time.time()
    seed(settings.store_path, ["beijing", "lhasa"], now - 8 * 86_400, now, period_s=300)
    data, *_ = view(range_key="7d")
    sent, message = asyncio.run(export(settings, 1, data, None))
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert message == "" and "-7d-5min-" in sent["filename"]
    assert {r["resolution"] for r in rows} == {"5min"} and {r["station"] for r in rows} == {"beijing"}
    assert 2016 <= len(rows) <= 2017 and {r["temperature_n"] for r in rows} == {"1"}
    shown = {"start": now - 7 * 86_400, "end": now, "bucket": 300, "cursor": None, "paused": False}
    frame, resolution, unit = asyncio.run(daily(settings, shown, data))
    assert resolution == 300 and unit == "C" and set(frame["station"]) == {"beijing"} and 7 <= len(frame) <= 8
    assert asyncio.run(daily(settings, {**shown, "bucket": 0}, data))[0] is None  # raw readings: no table
    assert asyncio.run(daily(settings, {"start": "x", "end": None, "bucket": 300}, data))[0] is None


def test_a_long_range_is_one_picture_per_change_of_view_and_one_a_minute(settings, monkeypatch):
    now = time.time()
    seed(settings.store_path, ["beijing"], now - 2 * 86_400, now, period_s=300)
    with ReadingStore(settings.store_path) as store:
        stream = _Stream(settings, store)
        stream._outbox = sent = []
        pictures = []

        def turn(view: LiveView) -> None:
            sent.clear()
            asyncio.run(stream.step(view))
            pictures.extend(props["figure"] for target, props in sent if target == ids.LIVE_GRAPH)

        day = LiveView(("beijing",), "24h")
        turn(day)
        assert len(pictures) == 1 and any(tr.get("fill") == "toself" for tr in pictures[0]["data"])
        assert "5-minute statistics" in dict(sent)[ids.LIVE_RESOLUTION]["children"]
        assert dict(sent)[ids.LIVE_SHOWN]["data"]["bucket"] == 300
        turn(day)
        assert len(pictures) == 1  # nothing changed, not a minute yet
        monkeypatch.setattr(live_history, "REFRESH_S", 0.0)
        turn(day)
        assert len(pictures) == 2  # the sliding window's minute
        turn(LiveView(("beijing",), "24h", paused=True))
        assert len(pictures) == 2 and "Paused" in dict(sent)[ids.LIVE_STATUS]["children"]
        turn(LiveView(("beijing",), "5m"))
        assert len(pictures) == 3 and len(pictures[2].data) == 2 + 2  # back to the live stream's figure
