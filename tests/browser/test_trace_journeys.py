"""Trace page journeys: the real collector process traced, headless Chromium."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.keys import Keys

import ids
from services.tracing.replay import folder
from services.tracing.view import trace_index
from tests.browser.helpers import KEEP_WARNINGS, assert_clean, downloads_to, wait_until
from tests.services.tracing.programs import recorded

pytestmark = pytest.mark.browser

SERIES_POINTS = """
const gd = document.querySelector('#trace-graph .js-plotly-plot');
if (!gd || !gd.data || gd.data.length < 10) return null;
const i = arguments[0];
return {x: [...(gd.data[i].x || []), ...(gd.data[i + 1].x || [])],
        y: [...(gd.data[i].y || []), ...(gd.data[i + 1].y || [])]};
"""

# Where on the screen the newest tick of a lane is, from Plotly's own axes.
TICK_POSITION = """
const gd = document.querySelector('#trace-graph .js-plotly-plot');
const lane = arguments[0];
let best = null;
for (const t of gd.data.slice(0, 2)) {
  (t.y || []).forEach((y, k) => { if (y === lane && (!best || t.x[k] > best)) best = t.x[k]; });
}
if (best === null) return null;
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
const box = gd.getBoundingClientRect();
const px = xa._offset + xa.c2p(xa.d2c(best)), py = ya._offset + ya.c2p(ya.d2c(lane));
if (px < xa._offset || px > xa._offset + xa._length) return null;
return {x: Math.round(box.left + px), y: Math.round(box.top + py)};  // in the viewport
"""

AXIS_RANGE = "return document.querySelector('#trace-graph .js-plotly-plot')._fullLayout.xaxis.range;"

PROGRAM_TO_RECORD = """
import asyncio, sys, time

async def worker():
    for _ in range(int(sys.argv[1])):
        await asyncio.sleep(0.01)

async def main():
    await asyncio.gather(*(asyncio.create_task(worker(), name=f"worker-{n}") for n in range(2)))
    time.sleep(0.2)  # one slow callback, late in the run
    await asyncio.sleep(1.1)  # a last second for the recorder

asyncio.run(main())
"""

# Dash only warns (console.warn, which get_logs does not see) when a push finds no component.
AXES = """
const gd = document.querySelector('#trace-graph .js-plotly-plot');
if (!gd || !gd._fullLayout || !gd._fullLayout.yaxis2) return null;
return {lag: gd._fullLayout.yaxis2.title.text, ticks: gd._fullLayout.xaxis2.tickformat};  // the clock's axis
"""


def points(duo, series: str) -> dict | None:
    return duo.driver.execute_script(SERIES_POINTS, trace_index(series, 0))


def lanes(duo) -> set[str]:
    shown = points(duo, "ticks")
    return {y for y in shown["y"] if y} if shown else set()


def open_trace(start, settings, path: str = "/"):
    duo = start(settings, path)
    duo.driver.set_window_size(1280, 1000)  # the timeline and both panels in view
    if path == "/":
        duo.find_element("a[href='/trace']").click()
    wait_until(
        lambda: sum(name.startswith("poll-") for name in lanes(duo)) >= 10, 20, "lanes for the collector's poll tasks"
    )
    return duo


def pause_and_click_a_tick(duo, lane: str) -> None:
    """Pause the page (to hold the picture still) and click the newest tick on ``lane``.
    A collector just started may not have polled every station yet: the lane first."""
    wait_until(lambda: lane in lanes(duo), 10, f"the lane {lane}", seen=lambda: sorted(lanes(duo)))
    duo.find_element(f"#{ids.TRACE_PAUSE}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_STATUS}", "Paused", timeout=5)
    graph = duo.find_element("#trace-graph .js-plotly-plot")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
    time.sleep(0.5)  # the resize's relayout
    where = wait_until(
        lambda: duo.driver.execute_script(TICK_POSITION, lane),
        5,
        f"a tick on {lane} within the x axis",
        seen=lambda: duo.driver.execute_script(AXIS_RANGE),
    )
    actions = ActionBuilder(duo.driver)
    actions.pointer_action.move_to_location(where["x"], where["y"]).click()
    actions.perform()


def unique_ticks(duo) -> bool:
    shown = points(duo, "ticks")
    pairs = [(x, y) for x, y in zip(shown["x"], shown["y"], strict=False) if x]
    return bool(pairs) and len(pairs) == len(set(pairs))


def test_lanes_for_the_collectors_tasks_stream_in_and_internals_show_on_request(start, settings, collector):
    duo = open_trace(start, settings)
    before = len(points(duo, "ticks")["x"])
    wait_until(lambda: len(points(duo, "ticks")["x"]) > before + 20, 5, "new ticks pushed")
    assert unique_ticks(duo), "a tick was pushed twice"
    assert "looplens: lag probe" not in lanes(duo)  # loop internals are hidden by default
    duo.wait_for_contains_text(f"#{ids.TRACE_COUNTERS}", "events/s", timeout=5)
    duo.wait_for_contains_text(f"#{ids.TRACE_STATUS}", f"pid {collector.pid}", timeout=5)
    duo.find_element(f"#{ids.TRACE_INTERNAL} input").click()
    wait_until(lambda: "looplens: lag probe" in lanes(duo), 5, "the lag probe's lane")
    assert unique_ticks(duo)
    assert_clean(duo)


def test_blocking_the_loop_shows_a_slow_step_a_lag_spike_and_a_table_row(start, settings, collector):
    duo = open_trace(start, settings)
    box = duo.find_element(f"#{ids.TRACE_BLOCK_MS}")
    duo.clear_input(box)
    box.send_keys("soon")
    duo.find_element(f"#{ids.TRACE_BLOCK}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "1 to 5000", timeout=5)
    duo.clear_input(box)
    box.send_keys("250")
    duo.find_element(f"#{ids.TRACE_BLOCK}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "block-loop-250ms", timeout=5)
    wait_until(
        lambda: any(y and y.startswith("block-loop-250ms") for y in points(duo, "slow")["y"]),
        5,
        "a red bar on the blocking task's lane",
    )
    wait_until(lambda: max(points(duo, "lag")["y"] or [0]) >= 250 - 50 - 5, 5, "the lag spike")
    duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", "block-loop-250ms", timeout=5)
    duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", "25", timeout=1)
    assert_clean(duo)


def test_click_a_tick_to_inspect_its_task_then_cancel_it(start, settings, collector):
    duo = open_trace(start, settings)
    pause_and_click_a_tick(duo, "poll-harbin")
    duo.wait_for_text_to_equal(".task-name", "poll-harbin", timeout=5)
    duo.wait_for_contains_text(".task-coro", "SimulatorSource._poll_forever", timeout=2)
    duo.wait_for_contains_text(".task-stack", "_poll_forever (simulator.py:", timeout=2)
    assert duo.find_element(".task-state").text in ("waiting", "running")
    cancel = duo.find_element(f"#{ids.TRACE_CANCEL}")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cancel)
    cancel.click()
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "Cancelled poll-harbin", timeout=5)
    duo.wait_for_text_to_equal(".task-state", "cancelled", timeout=5)
    duo.find_element(f"#{ids.TRACE_PAUSE}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_STATUS}", "Tracing", timeout=5)
    # The collector starts a new poll task for harbin a period later: its lane goes on.
    cancelled_at = time.time() * 1000
    wait_until(
        lambda: any(
            y == "poll-harbin" and x > cancelled_at + 1000
            for x, y in zip(points(duo, "ticks")["x"], points(duo, "ticks")["y"], strict=False)
            if x
        ),
        10,
        "harbin polled again",
    )
    assert_clean(duo)


def test_pool_jobs_get_worker_lanes_and_the_export_parses(start, settings, collector, tmp_path):
    duo = open_trace(start, settings)
    downloads = downloads_to(duo, tmp_path)
    duo.find_element(f"#{ids.TRACE_JOBS}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "8 jobs", timeout=5)
    wait_until(lambda: {y for y in points(duo, "jobs")["y"] if y}, 15, "a worker lane")
    # again, the pool's two workers up: on a busy machine the first to start may have run all
    # eight jobs of the first batch before the second had started
    duo.find_element(f"#{ids.TRACE_JOBS}").click()
    wait_until(lambda: len({y for y in points(duo, "jobs")["y"] if y}) >= 2, 15, "two worker lanes")
    worker_pids = {int(y.split()[1]) for y in points(duo, "jobs")["y"] if y}
    assert collector.pid not in worker_pids
    duo.find_element(f"#{ids.TRACE_EXPORT}").click()
    path: Path = wait_until(lambda: next(iter(downloads.glob("looplens-trace-*.json")), None), 10, "the export")
    doc = json.loads(path.read_text())
    events = doc["traceEvents"]
    assert {e["pid"] for e in events if e.get("cat") == "job"} >= worker_pids
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert any(n.startswith("poll-") for n in names)
    assert all(e["dur"] >= 0 for e in events if e["ph"] == "X")
    assert_clean(duo)


def test_a_reload_and_a_language_switch_keep_one_stream(start, settings, collector):
    duo = open_trace(start, settings, "/trace")
    duo.driver.refresh()
    wait_until(lambda: sum(name.startswith("poll-") for name in lanes(duo)) >= 10, 20, "lanes after reload")
    duo.find_element(f"#{ids.LANG} input[value='zh']").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_COUNTERS}", "每秒", timeout=5)
    time.sleep(1)
    assert unique_ticks(duo), "a tick was pushed twice (two streams on one page)"
    assert_clean(duo)


def test_switching_to_chinese_turns_the_timeline_table_and_task_panel_chinese_at_once(start, settings, collector):
    duo = open_trace(start, settings)
    duo.find_element(f"#{ids.TRACE_JOBS}").click()
    wait_until(lambda: any(y for y in points(duo, "jobs")["y"]), 15, "a worker lane")
    box = duo.find_element(f"#{ids.TRACE_BLOCK_MS}")
    duo.clear_input(box)
    box.send_keys("250")
    duo.find_element(f"#{ids.TRACE_BLOCK}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", "block-loop-250ms", timeout=5)
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "watch for the red bar", timeout=5)
    pause_and_click_a_tick(duo, "poll-harbin")
    duo.wait_for_text_to_equal(".task-name", "poll-harbin", timeout=5)
    duo.find_element(f"#{ids.LANG} input[value='zh']").click()
    duo.wait_for_text_to_equal(".task-facts dt", "名称", timeout=5)  # the open panel, asked again
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "请留意红色横条与延迟尖峰", timeout=5)  # the last outcome
    assert duo.find_element(".task-state").text in ("等待中", "运行中")
    wait_until(lambda: duo.driver.execute_script(AXES)["lag"] == "循环延迟（毫秒）", 5, "the lag axis in Chinese")
    assert duo.driver.execute_script(AXES)["ticks"] == "%H:%M:%S"  # a clock, no English date under it
    wait_until(lambda: "普通回调" in lanes(duo) and "callbacks" not in lanes(duo), 5, "the plain callbacks' lane")
    assert all(y.startswith("工作进程 ") for y in points(duo, "jobs")["y"] if y)
    duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", "调度方式", timeout=5)
    duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", "推进 TraceHub.block", timeout=1)
    duo.wait_for_contains_text(f"#{ids.TRACE_STATUS}", "已暂停", timeout=2)
    wait_until(lambda: "事件" in duo.find_element(f"#{ids.TRACE_COUNTERS}").text, 2, "the counters in Chinese")
    assert_clean(duo)


def test_a_fresh_load_in_chinese_is_chinese_from_the_first_counters_on(start, settings, collector):
    duo = start(settings, "/")
    duo.find_element(f"#{ids.LANG} input[value='zh']").click()  # the browser keeps the choice
    duo.wait_for_text_to_equal("a[href='/trace']", "追踪", timeout=5)
    duo.driver.get(duo.server_url + "/trace")
    counters = f"#{ids.TRACE_COUNTERS}"  # "measuring…", or already the measured rate: in Chinese, never "0 events/s"
    wait_until(lambda: any(w in duo.find_element(counters).text for w in ("正在测量", "每秒")), 10, "the counters")
    assert "events" not in duo.find_element(counters).text
    wait_until(lambda: sum(name.startswith("poll-") for name in lanes(duo)) >= 10, 20, "lanes")
    assert duo.driver.execute_script(AXES)["lag"] == "循环延迟（毫秒）" and "普通回调" in lanes(duo)
    duo.wait_for_contains_text(f"#{ids.TRACE_COUNTERS}", "每秒", timeout=5)
    duo.wait_for_contains_text(f"#{ids.TRACE_STATUS}", "正在追踪采集进程事件循环", timeout=2)
    slow = duo.find_element(f"#{ids.TRACE_SLOW}").text  # a busy machine makes slow callbacks of its own
    assert "暂无 100 毫秒及以上的回调" in slow or "调度方式" in slow
    duo.wait_for_contains_text(f"#{ids.TRACE_INSPECT}", "点击时间线上的刻度", timeout=2)
    assert_clean(duo)


SLOW_REGION = """
const region = document.getElementById(arguments[0]);
const name = document.getElementById(region.getAttribute('aria-labelledby'));
region.focus();
return {sideways: region.scrollWidth - region.clientWidth, page: document.documentElement.scrollWidth,
        tabindex: region.getAttribute('tabindex'), role: region.getAttribute('role'),
        name: name && name.textContent, focused: document.activeElement === region};
"""


def screen(duo, width: int, height: int) -> None:
    """Lay the page out as on a screen that wide (a window's size leaves room for nothing else)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def test_the_slow_table_shows_every_column_at_1280_px_and_scrolls_by_keyboard_on_a_phone(start, settings, collector):
    duo = open_trace(start, settings)
    screen(duo, 1280, 900)
    duo.find_element(f"#{ids.TRACE_JOBS}").click()
    duo.find_element(f"#{ids.TRACE_BLOCK}").click()  # 300 ms: a slow row with the longest names there are
    duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", "block-loop-300ms", timeout=10)
    for lang, name in (("en", "Slow callbacks"), ("zh", "慢回调")):
        duo.find_element(f"#{ids.LANG} input[value='{lang}']").click()
        duo.wait_for_text_to_equal(f"#{ids.TRACE_SLOW_TITLE}", name, timeout=5)
        time.sleep(0.5)  # its rows, redrawn
        shown = duo.driver.execute_script(SLOW_REGION, ids.TRACE_SLOW)
        assert shown["sideways"] <= 0 and shown["page"] <= 1280, f"the slow table is cut at 1280 px in {lang}"
    screen(duo, 390, 844)
    # only the table's own region scrolls sideways (the page takes its new width a moment later)
    wait_until(lambda: duo.driver.execute_script(SLOW_REGION, ids.TRACE_SLOW)["page"] <= 390, 5, "a page 390 px wide")
    shown = duo.driver.execute_script(SLOW_REGION, ids.TRACE_SLOW)
    assert (shown["tabindex"], shown["role"], shown["name"], shown["focused"]) == ("0", "region", "慢回调", True)
    assert_clean(duo)


def test_the_sensor_services_loop_traces_its_requests_inspects_blocks_and_exports(start, settings, collector, tmp_path):
    duo = open_trace(start, settings)
    downloads = downloads_to(duo, tmp_path)
    duo.find_element(f"#{ids.TRACE_LOOP} input[value='sensor']").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_STATUS}", "Tracing the sensor service loop", timeout=10)
    # the collector's polls arrive as requests, one lane per station; the collector's lanes are gone
    wait_until(
        lambda: sum(name.startswith("GET /stations/") for name in lanes(duo)) >= 10,
        15,
        "lanes for the requests the collector sends",
    )
    assert not any(name.startswith("poll-") for name in lanes(duo))
    assert str(collector.pid) not in duo.find_element(f"#{ids.TRACE_STATUS}").text

    pause_and_click_a_tick(duo, "GET /stations/harbin")
    duo.wait_for_text_to_equal(".task-name", "GET /stations/harbin", timeout=5)  # asked of the sensor's loop
    duo.wait_for_contains_text(".task-coro", "RequestHandler._handle_request", timeout=2)
    duo.find_element(f"#{ids.TRACE_PAUSE}").click()

    box = duo.find_element(f"#{ids.TRACE_BLOCK_MS}")
    duo.clear_input(box)
    box.send_keys("200")
    duo.find_element(f"#{ids.TRACE_BLOCK}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "block-loop-200ms", timeout=5)
    duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", "block-loop-200ms", timeout=10)

    duo.find_element(f"#{ids.TRACE_EXPORT}").click()
    path: Path = wait_until(
        lambda: next(iter(downloads.glob("looplens-trace-sensor-*.json")), None), 10, "the sensor loop's export"
    )
    names = {
        e["args"]["name"]
        for e in json.loads(path.read_text())["traceEvents"]
        if e["ph"] == "M" and e["name"] == "thread_name"
    }
    assert any(n.startswith("GET /stations/harbin") for n in names) and not any(n.startswith("poll-") for n in names)
    duo.find_element(f"#{ids.TRACE_BLOCK}").click()
    duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "block-loop-200ms", timeout=5)
    duo.find_element(f"#{ids.TRACE_LOOP} input[value='collector']").click()  # the sensor loop's news is not its
    wait_until(lambda: duo.find_element(f"#{ids.TRACE_MESSAGE}").text == "", 5, "the last loop's message to go")
    assert_clean(duo)


def open_streams() -> float | None:
    return REGISTRY.get_sample_value("looplens_open_streams", {"page": "trace"})


def test_leaving_the_page_ends_its_stream_without_pushing_to_what_is_gone(start, settings, collector):
    duo = open_trace(start, settings)
    duo.driver.execute_script(KEEP_WARNINGS)  # page changes keep the window: no reload
    wait_until(lambda: open_streams() == 1, 5, "the page's one stream")
    for _ in range(3):  # a stream is mid-turn (awaiting the trace service) at any moment
        duo.find_element("a.brand").click()
        wait_until(lambda: open_streams() == 0, 5, "the stream to end with its page")
        time.sleep(0.5)
        duo.find_element("a[href='/trace']").click()
        wait_until(lambda: sum(name.startswith("poll-") for name in lanes(duo)) >= 10, 10, "lanes again")
    duo.find_element("a.brand").click()
    wait_until(lambda: open_streams() == 0, 5, "the stream to end with its page")
    time.sleep(1)
    warnings = duo.driver.execute_script("return window.looplensWarnings")
    assert [w for w in warnings if w.startswith("SET_PROPS")] == []  # nothing pushed to the gone page
    assert_clean(duo)


REPLAYED = """
const gd = document.querySelector('#trace-replay-graph .js-plotly-plot');
return gd && gd.data ? gd.data.slice(0, 2).reduce((n, t) => n + (t.x || []).length, 0) : null;
"""


def pick(duo, dropdown: str, name: str) -> None:
    """Choose ``name`` in a dropdown, from the keyboard (once the folder is listed)."""
    duo.wait_for_contains_text(f"#{dropdown}", "Choose a recording", timeout=10)
    box = duo.find_element(f"#{dropdown}")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", box)
    box.send_keys(Keys.ARROW_DOWN)
    options = ".dash-dropdown-content .dash-dropdown-option"
    option = wait_until(
        lambda: next((o for o in duo.find_elements(options) if name in o.text), None), 5, f"{name} in the list"
    )
    option.click()


def test_a_recorded_program_replays_with_a_scrubber_and_compares_with_an_uploaded_one(
    start, settings, collector, tmp_path
):
    source = PROGRAM_TO_RECORD
    first = recorded(tmp_path, "first", source, ["20"])
    folder(settings.data_dir).mkdir(parents=True)
    first.rename(folder(settings.data_dir) / "first.llrec")
    second = recorded(tmp_path, "second", source, ["60"])
    duo = start(settings, "/trace")
    duo.driver.set_window_size(1280, 1000)
    pick(duo, ids.TRACE_REPLAY_FILE, "first.llrec")
    duo.wait_for_contains_text(f"#{ids.TRACE_REPLAY_STATUS}", "Replaying first.llrec", timeout=10)
    duo.wait_for_contains_text(f"#{ids.TRACE_REPLAY_SLOW}", "step main", timeout=5)  # the block, where it was stuck
    assert "first.py:" in duo.find_element(f"#{ids.TRACE_REPLAY_SLOW}").text
    at_end = wait_until(lambda: duo.driver.execute_script(REPLAYED), 5, "the replayed timeline")
    duo.find_element(f"#{ids.TRACE_REPLAY_AT} [role=slider]").send_keys(Keys.HOME)  # the scrubber to the start
    duo.wait_for_contains_text(f"#{ids.TRACE_REPLAY_STATUS}", "at 0.0 s", timeout=5)
    wait_until(lambda: duo.driver.execute_script(REPLAYED) < at_end, 5, "fewer ticks at the start")
    assert "step main" not in duo.find_element(f"#{ids.TRACE_REPLAY_SLOW}").text  # not blocked yet
    duo.find_element(f"#{ids.TRACE_REPLAY_UPLOAD} input[type=file]").send_keys(str(second))
    duo.wait_for_contains_text(f"#{ids.TRACE_REPLAY_STATUS}", "Replaying second.llrec", timeout=10)
    pick(duo, ids.TRACE_REPLAY_OTHER, "first.llrec")
    duo.wait_for_contains_text(f"#{ids.TRACE_REPLAY_COMPARE}", "Callback p99", timeout=5)
    table = duo.find_element(f"#{ids.TRACE_REPLAY_COMPARE}").text
    assert "second.llrec" in table and "first.llrec" in table and "step main" in table
    assert_clean(duo)
