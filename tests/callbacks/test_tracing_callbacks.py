"""Trace page callbacks called as functions."""

from __future__ import annotations

import asyncio

import pytest
from dash.exceptions import PreventUpdate

from callbacks.trace_actions import block, clicked_task, inspect, parse_block_ms, refusal_note
from callbacks.tracing import make_view
from scripts.server import free_port
from services.core.errors import ActionRefused
from services.core.settings import Settings
from services.tracing.view import TraceSession, TraceView
from views.tracing import counters_text, show_note


def test_the_view_keeps_the_stream_number_and_reads_the_slider_as_log_marks():
    view, button = make_view("sensor", 60, [], 0, 1, "zh", {"stream": 17})
    assert view == {
        "loop": "sensor",
        "window_s": 60,
        "hide_internal": False,
        "slow_ms": 1,
        "paused": True,
        "lang": "zh",
        "stream": 17,
        "focus": [],
    }
    assert "paused" in button
    view, button = make_view("elsewhere", 15, ["hide"], 6, 2, "xx", None)
    assert view["slow_ms"] == 1000 and view["hide_internal"] and not view["paused"] and view["lang"] == "en"
    assert view["loop"] == "collector"  # an unknown loop is the collector's
    assert "paused" not in button
    assert not TraceView.from_store(view).same_picture(TraceView.from_store({**view, "loop": "sensor"}))


@pytest.mark.parametrize(
    "text, ms",
    [
        ("300", 300),
        (" 1 ", 1),
        ("5000", 5000),
        ("2.0", 2),
        ("0", None),
        ("5001", None),
        ("2.5", None),
        ("abc", None),
        ("", None),
        (None, None),
        ("-5", None),
    ],
)
def test_block_duration_must_be_whole_ms_from_1_to_5000(text, ms):
    assert parse_block_ms(text) == ms


def test_a_clicked_tick_gives_its_task_and_anything_else_nothing():
    assert clicked_task({"points": [{"customdata": 12}]}) == 12
    assert clicked_task({"points": [{"customdata": 0}]}) == 0
    assert clicked_task({"points": [{"x": 1}]}) is None  # the lag strip has no task
    assert clicked_task(None) is None


def test_bad_block_input_and_a_missing_trace_service_are_messages_not_errors(tmp_path):
    # nothing listens at either loop's trace
    settings = Settings(data_dir=tmp_path, trace_port=free_port(), sensor_url=f"http://127.0.0.1:{free_port()}")
    collector, sensor = {"loop": "collector"}, {"loop": "sensor"}
    bad = show_note(asyncio.run(block(settings, 1, "lots", collector, "en")), "en")
    assert "1 to 5000" in bad.children and bad.className == "msg-error"
    down = show_note(asyncio.run(block(settings, 1, "200", collector, "en")), "en")
    assert "collector is not running" in down.children and down.className == "msg-error"
    down = show_note(asyncio.run(block(settings, 1, "200", sensor, "en")), "en")
    assert "sensor service does not answer" in down.children and down.className == "msg-error"
    panel, cancel_style = asyncio.run(inspect(settings, {"loop": "collector", "serial": 5}, "zh"))
    assert "追踪服务无响应" in panel.children and cancel_style == {"display": "none"}
    panel, cancel_style = asyncio.run(inspect(settings, {"loop": "sensor", "serial": 5}, "zh"))
    assert "传感器服务未返回追踪数据" in panel.children and cancel_style == {"display": "none"}
    with pytest.raises(PreventUpdate):
        asyncio.run(block(settings, None, "200", collector, "en"))


def test_an_actions_message_is_shown_in_the_language_the_page_has_now(tmp_path):
    settings = Settings(data_dir=tmp_path, trace_port=free_port(), sensor_url=f"http://127.0.0.1:{free_port()}")
    bad = asyncio.run(block(settings, 1, "lots", {"loop": "collector"}, "en"))  # asked in English
    assert show_note(bad, "en").children == "Block for a whole number of ms from 1 to 5000."
    assert show_note(bad, "zh").children == "阻塞时长须为 1 到 5000 之间的整数毫秒。"  # then the page switched
    down = asyncio.run(block(settings, 1, "200", {"loop": "sensor"}, "en"))
    assert show_note(down, "zh").children.startswith("传感器服务未返回追踪数据")
    refused = refusal_note(ActionRefused("guard.rate", limit=20), "en")
    assert show_note(refused, "zh").children == "操作过于频繁：每分钟最多 20 次，请稍后再试。"
    assert show_note(refused, "zh").className == "msg-error"
    assert show_note(None, "zh") == "" and show_note({"key": 5}, "en") == ""  # none, or not a note


def test_the_tracer_cost_counter_shows_small_costs_instead_of_zero():
    session = TraceSession(TraceView())
    session.stats = {"events_per_s": 137, "overhead_pct": 0.0031, "dropped": 0, "tasks": 58}
    assert "tracer ≈ 0.003 % of a core" in counters_text(session, "en")
    session.stats["overhead_pct"] = 0.0  # the collector's real cost, below what 4 decimals keep
    assert "tracer < 0.001 % of a core" in counters_text(session, "en")
    assert "追踪开销占单核 < 0.001 %" in counters_text(session, "zh")
    session.stats["overhead_pct"] = 12.34
    assert "tracer ≈ 12.3 % of a core" in counters_text(session, "en")
    session.stats.update(events_per_s=0, overhead_pct=0.0)  # a loop that ran nothing
    assert "tracer ≈ 0.000 % of a core" in counters_text(session, "en")
