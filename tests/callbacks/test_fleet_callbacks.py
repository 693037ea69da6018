"""Fleet page callbacks called as plain functions: bad filters and selections are told in
the page's language, never raised; Open on Live links the ticked sensors; a push carries only
the rows that changed, those on screen first, within its budget; the heat strip goes as soon as
the page says its table is drawn."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse

import pytest
from dash import no_update

import ids
from callbacks.fleet import live_link, make_filter, make_language, make_thresholds, selected_text
from callbacks.fleet_stream import FleetStream, view_of
from scripts.fleet_feed import Reading
from services.core.settings import Settings
from services.live.store import ReadingStore
from services.live.view import MAX_STATIONS
from services.sensors.stations import fleet
from views.fleet import grid_words


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", sensor_stations=20)


def test_a_good_filter_patches_the_quick_filter_and_sets_the_model(settings):
    options, model, message = make_filter(settings, "sim", "simulator", "offline", "en")
    assert message == "" and model["status"]["filter"] == "offline"
    assert options.to_plotly_json()["operations"][0]["params"]["value"] == "sim"


@pytest.mark.parametrize(
    ("text", "source", "status", "words"),
    [
        ("x" * 61, "*", "*", "最多 60"),
        ("\x07", "*", "*", "控制字符"),
        ("", "nowhere", "*", "数据源"),
        ("", "*", "zzz", "状态"),
    ],
)
def test_a_bad_filter_is_told_in_the_language_and_changes_nothing(settings, text, source, status, words):
    options, model, message = make_filter(settings, text, source, status, "zh")
    assert options is no_update and model is no_update and words in message


def test_open_on_live_links_the_ticked_sensors_and_refuses_none_or_too_many():
    href, message = live_link([{"id": "beijing"}, {"id": "home:kitchen"}, {"id": "beijing"}], "en")
    assert message == "" and urllib.parse.urlsplit(href).path == "/live"
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(href).query) == {"stations": ["beijing,home:kitchen"]}
    assert live_link([], "zh")[1] == "请先勾选一个或多个传感器。"
    assert live_link([{"nope": 1}, "junk", None], "en")[0] is no_update
    too_many = [{"id": f"sim-{i:04d}"} for i in range(MAX_STATIONS + 1)]
    assert str(MAX_STATIONS) in live_link(too_many, "en")[1]
    assert selected_text([{"id": "a"}, {"id": "b"}], "zh") == "已选 2 个" and selected_text(None, "en") == ""


def patched(patch) -> dict:
    """What a Patch of the view store sets: {key: value}."""
    return {op["location"][0]: op["params"]["value"] for op in patch.to_plotly_json()["operations"]}


def test_typed_thresholds_are_kept_by_the_browser_and_a_bad_one_is_told_and_kept_out():
    *boxes, kept, view, message = make_thresholds(ids.FLEET_TEMP_HIGH, ("", "30", "", ""), None, "en")
    assert message == "" and boxes == [no_update] * 4  # as typed
    assert kept == {"temp_low": None, "temp_high": 30.0, "hum_low": None, "hum_high": None}
    assert patched(view) == {"thresholds": kept}  # the limits alone: the language in the view stays
    *_, kept, view, message = make_thresholds(ids.FLEET_TEMP_LOW, ("40", "30", "", ""), None, "zh")
    assert kept is no_update and view is no_update and message == "温度下限高于上限；仍沿用之前的阈值。"


def test_kept_thresholds_fill_the_boxes_on_a_visit_and_bad_ones_give_no_limits_never_an_error():
    stored = {"temp_low": -5, "temp_high": 30.5, "hum_low": None, "hum_high": 90}
    *boxes, kept, view, message = make_thresholds(None, ("", "", "", ""), stored, "en")
    assert boxes == ["-5", "30.5", "", "90"] and kept is no_update and message is no_update
    assert patched(view)["thresholds"] == stored
    none = {"temp_low": None, "temp_high": None, "hum_low": None, "hum_high": None}
    for bad in ("hot", [1, 2], {"temp_high": "hot"}, {"temp_low": 40, "temp_high": 30}, {"hum_high": float("nan")},
                {"temp_high": True}, {"temp_high": 1e999}):  # fmt: skip
        *boxes, kept, view, message = make_thresholds(ids.FLEET_LIMITS, ("1", "", "", ""), bad, "en")
        assert boxes == ["", "", "", ""] and kept == none and patched(view)["thresholds"] == none
        assert message is no_update  # never an error for what the browser kept
    *boxes, kept, _view, _ = make_thresholds(None, ("", "", "", ""), None, "en")  # nothing kept yet
    assert boxes == ["", "", "", ""] and kept is no_update


def test_a_language_switch_relabels_the_grid_it_does_not_make_a_new_one(settings):
    columns, choices, view = make_language(settings, "en", {"stream": 1})
    assert columns is no_update and choices[0]["label"] == "All"  # the page's grid is in English already
    assert view.to_plotly_json()["operations"] == [
        {"operation": "Assign", "location": ["lang"], "params": {"value": "en"}}
    ]
    columns, choices, view = make_language(settings, "zh", {"stream": 1, "lang": "en"})
    assert [c["headerName"] for c in columns][:2] == ["传感器", "温度 °C"] and choices[0]["label"] == "全部"
    assert not any("sort" in c or "hide" in c for c in columns)  # the sort the user chose stays
    assert view.to_plotly_json()["operations"][0]["params"] == {"value": "zh"}  # only the language: thresholds stay
    assert make_language(settings, "xx", {"stream": 1, "lang": "zh"})[0][0]["headerName"] == "Sensor"  # falls back


def test_the_grid_says_its_own_words_in_either_language():
    words = grid_words()
    assert words["zh"]["noRowsToShow"] != words["en"]["noRowsToShow"] and words["zh"]["ariaRowSelect"]
    assert set(words["zh"]) >= set(words["en"])  # no word left to AG Grid's English in Chinese


def test_the_stream_reads_only_what_it_can_use_from_the_view():
    lang, thresholds, shown = view_of({"lang": "xx", "thresholds": {"temp_high": "hot"}, "shown": ["a", 3] * 300})
    assert lang == "en" and thresholds.temp_high is None and shown == ["a"] * 100  # of the first 200


def test_a_push_carries_only_changed_rows_within_its_budget_and_never_as_an_input(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", sensor_stations=2000)
    now = time.time()
    with ReadingStore(settings.store_path) as store:
        store.add([(Reading(s.id, now - 1, 20.0, 50.0), int(now * 1000)) for s in fleet(2000)])
        stream = FleetStream(settings, store, 1)
        stream.lang, stream._page_rows = "en", False
        stream._build()
        store.add([(Reading(s.id, now, 21.0, 50.0), int(now * 1000)) for s in fleet(2000)[:500]])
        updates = dict(stream.follow(shown=["sim-0400"]))
        rows = updates[ids.FLEET_ROWS]["data"]
        assert updates[ids.FLEET_ROWS_SENT] == {"data": 1}
        assert rows[0]["id"] == "sim-0400" and all(r["t"] == 21.0 for r in rows)  # on screen first, only changed
        assert sum(len(json.dumps(r, separators=(",", ":"))) + 1 for r in rows) <= 15_000
        assert stream.statistics()["waiting"] == 500 - len(rows)
        assert dict(stream.follow(shown=[])).get(ids.FLEET_ROWS, {"data": []})["data"][0]["t"] == 21.0  # the rest next


def test_the_heat_strip_waits_for_the_table_and_goes_at_the_first_ask_that_finds_it_drawn(settings):
    now = time.time()
    with ReadingStore(settings.store_path) as store:
        store.add([(Reading(s.id, now - 1, 20.0, 50.0), int(now * 1000)) for s in fleet(20)])
        stream = FleetStream(settings, store, 1)
        stream._outbox = []
        view = {"stream": 1, "lang": "zh"}

        def turn(data: dict) -> dict:
            asyncio.run(stream.turn(data))
            pushed, stream._outbox = stream._outbox, []
            return dict(pushed)

        assert ids.FLEET_HEAT_BOX not in turn(view)  # the table and its status, no strip yet
        assert turn(view) == {}  # the table still being drawn: nothing, and the page is asked again soon
        store.add([(Reading(s.id, now, 21.0, 50.0), int(now * 1000)) for s in fleet(20)[:3]])
        drawn = turn({**view, "drawn": True})
        assert list(drawn) == [ids.FLEET_HEAT_BOX, ids.FLEET_HEAT_LEAD]  # at once, before the new rows
        graph = drawn[ids.FLEET_HEAT_BOX]["children"]
        assert graph.figure["data"] and graph.config["locale"] == "zh-CN"  # its figure, its toolbar in 中文
        after = turn({**view, "drawn": True})
        assert ids.FLEET_HEAT_BOX not in after and len(after[ids.FLEET_ROWS]["data"]) == 3  # then the rows, once
