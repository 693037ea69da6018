"""Lab page journeys: real engines against the real sensor service, headless Chromium."""

from __future__ import annotations

import json
import re

import psutil
import pytest

import ids
from tests.browser.helpers import assert_clean, downloads_to, wait_until

pytestmark = pytest.mark.browser

LANES = """
const gd = document.querySelector('#lab-lanes .js-plotly-plot');
if (!gd || !gd.data) return [];
return gd.data.map(t => ({engine: t.legendgroup || t.name, y: (t.y || []).filter(y => y)}));
"""
DRAWN = """
const box = (selector) => {
  const el = document.querySelector('#lab-lanes ' + selector);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
};
return {
  labels: [...document.querySelectorAll('#lab-lanes .ytick text')].map(t => t.textContent).filter(t => t),
  legend: box('.legend'),
  toolbar: box('.modebar'),
};
"""


def lanes(duo) -> dict[str, set[str]]:
    """Each engine's lanes, as the browser has them."""
    shown: dict[str, set[str]] = {}
    for trace in duo.driver.execute_script(LANES):
        shown.setdefault(trace["engine"], set()).update(trace["y"])
    return shown


def overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def set_input(duo, component_id: str, value: str) -> None:
    box = duo.find_element(f"#{component_id}")
    duo.clear_input(box)
    box.send_keys(value)


def pick_engines(duo, wanted: set[str]) -> None:
    for box in duo.driver.find_elements("css selector", f"#{ids.LAB_ENGINES} input"):
        if (box.get_attribute("value") in wanted) != box.is_selected():
            box.click()


def test_a_comparison_fills_the_swimlanes_and_the_table(start, settings, collector):
    duo = start(settings, "/")
    duo.driver.set_window_size(1280, 1000)
    duo.find_element("a[href='/lab']").click()
    set_input(duo, ids.LAB_N, "0")
    duo.find_element(f"#{ids.LAB_RUN}").click()
    duo.wait_for_contains_text(f"#{ids.LAB_MESSAGE}", "from 1 to 2000", timeout=5)
    set_input(duo, ids.LAB_N, "24")
    set_input(duo, ids.LAB_LATENCY, "150")
    pick_engines(duo, {"sequential", "threads", "asyncio", "processes"})
    duo.find_element(f"#{ids.LAB_RUN}").click()
    duo.wait_for_contains_text(f"#{ids.LAB_PROGRESS}", "Engine 1 of 4, sequential", timeout=15)
    wait_until(lambda: "sequential" in lanes(duo), 10, "swimlanes while it runs")
    wait_until(lambda: len(duo.driver.find_elements("css selector", ".lab-row")) == 4, 60, "the table")
    rows = [r.text for r in duo.driver.find_elements("css selector", ".lab-row")]
    assert [r.split()[0] for r in rows] == ["sequential", "threads", "processes", "asyncio"]
    duo.wait_for_contains_text(".lab-identical", "identical readings", timeout=2)
    duo.wait_for_contains_text(".lab-collector", "kept its period", timeout=2)
    shown = lanes(duo)
    assert len(shown["threads"]) == 8  # k = 8 thread lanes
    assert len(shown["processes"]) == 8 and len(shown["asyncio"]) > 5
    assert_clean(duo)


def test_cancel_stops_the_run_and_its_workers(start, settings, collector):
    duo = start(settings, "/lab")
    duo.driver.set_window_size(1280, 1000)
    set_input(duo, ids.LAB_N, "400")
    set_input(duo, ids.LAB_LATENCY, "1000")
    set_input(duo, ids.LAB_WORKERS, "4")
    pick_engines(duo, {"processes"})
    duo.find_element(f"#{ids.LAB_RUN}").click()
    pids = wait_until(
        lambda: {int(p) for lane in lanes(duo).get("processes", ()) for p in re.findall(r"pid (\d+)", lane)},
        30,
        "worker lanes",
    )
    workers = [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]
    assert workers and all(p.pid != duo.driver.service.process.pid for p in workers)
    duo.find_element(f"#{ids.LAB_CANCEL}").click()
    duo.wait_for_contains_text(f"#{ids.LAB_MESSAGE}", "Cancelled", timeout=10)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"worker processes left running: {[p.pid for p in alive]}"
    assert not duo.find_element(f"#{ids.LAB_RUN}").get_attribute("disabled")
    assert_clean(duo)


def test_a_traced_asyncio_run_offers_its_loop_trace_for_perfetto(start, settings, collector, tmp_path):
    duo = start(settings, "/lab")
    duo.driver.set_window_size(1280, 1000)
    downloads = downloads_to(duo, tmp_path)
    set_input(duo, ids.LAB_N, "40")
    set_input(duo, ids.LAB_LATENCY, "100")
    pick_engines(duo, {"threads"})
    duo.find_element(f"#{ids.LAB_TRACE} input").click()
    duo.find_element(f"#{ids.LAB_RUN}").click()
    duo.wait_for_contains_text(f"#{ids.LAB_MESSAGE}", "needs the asyncio engine", timeout=5)
    pick_engines(duo, {"threads", "asyncio"})
    duo.find_element(f"#{ids.LAB_RUN}").click()
    duo.wait_for_contains_text(".lab-loop", "The asyncio engine's loop, traced", timeout=60)
    assert len(duo.driver.find_elements("css selector", ".lab-row")) == 2
    tasks = int(re.search(r"in ([\d,]+) tasks", duo.find_element(".lab-loop").text).group(1).replace(",", ""))
    assert tasks >= 40  # a task per fetch, at least
    duo.find_element(f"#{ids.LAB_TRACE_GET}").click()
    path = wait_until(
        lambda: next(iter(downloads.glob("looplens-lab-asyncio-loop-*.json")), None), 10, "the loop trace"
    )
    events = json.loads(path.read_text())["traceEvents"]
    tracks = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert sum(name.startswith("fetch ") for name in tracks) == 40
    assert_clean(duo)


@pytest.mark.parametrize("width", [390, 1280])
def test_every_lane_is_labelled_and_the_legend_keeps_clear_of_the_toolbar(start, settings, collector, width):
    duo = start(settings, "/lab")
    duo.driver.set_window_size(width, 1000)
    set_input(duo, ids.LAB_N, "24")
    set_input(duo, ids.LAB_LATENCY, "150")
    pick_engines(duo, {"threads", "processes", "asyncio"})
    duo.find_element(f"#{ids.LAB_RUN}").click()
    wait_until(lambda: len(duo.driver.find_elements("css selector", ".lab-row")) == 3, 60, "the table")
    count = sum(len(ys) for ys in lanes(duo).values())
    assert count > 24  # 8 threads, 8 processes and the asyncio slots
    drawn = wait_until(lambda: (d := duo.driver.execute_script(DRAWN))["legend"] and d, 5, "the legend")
    assert len(drawn["labels"]) == count, drawn["labels"]  # Plotly skipped none
    assert drawn["toolbar"] and not overlap(drawn["legend"], drawn["toolbar"])
    assert_clean(duo)


SHOWN_TEXT = """
const page = document.querySelector('.page-lab');
const svg = [...page.querySelectorAll('svg text')].map(t => t.textContent);
return [page.innerText, ...svg].join('\\n');
"""
# What a 中文 Lab page may keep in Latin letters: library and API names, and the names
# threads have in Python ("lab_3", or "Thread-5 (run)" where the test server runs the job)
LATIN_NAMES = re.compile(r"asyncio|aiohttp|gevent|Process|add_done_callback|CPU|max|Perfetto")
THREAD_NAMES = re.compile(r"lab_\d+|Thread-\d+ \(\w+\)")


def latin_words(duo) -> set[str]:
    words = re.findall(r"[A-Za-z_]{3,}\w*", THREAD_NAMES.sub("", duo.driver.execute_script(SHOWN_TEXT)))
    return {word for word in words if not LATIN_NAMES.fullmatch(word)}


def switch(duo, lang: str) -> None:
    duo.find_element(f"#{ids.LANG} input[value='{lang}']").click()


def test_the_whole_lab_page_follows_the_language_switch_at_once(start, settings, collector):
    duo = start(settings, "/lab")
    duo.driver.set_window_size(1280, 1000)
    switch(duo, "zh")  # a 中文 page before the run
    set_input(duo, ids.LAB_N, "12")
    set_input(duo, ids.LAB_LATENCY, "300")
    pick_engines(duo, {"sequential", "threads", "asyncio"})
    duo.find_element(f"#{ids.LAB_RUN}").click()
    duo.wait_for_contains_text(f"#{ids.LAB_PROGRESS}", "第 1/3 个引擎，顺序执行", timeout=15)
    switch(duo, "en")  # mid-run: the progress line follows at once
    duo.wait_for_contains_text(f"#{ids.LAB_PROGRESS}", "Engine 1 of 3, sequential", timeout=2)
    switch(duo, "zh")
    wait_until(lambda: len(duo.driver.find_elements("css selector", ".lab-row")) == 3, 60, "the table")
    duo.wait_for_contains_text(".lab-ideal", "理想值", timeout=5)
    wait_until(lambda: not latin_words(duo), 5, "a page in 中文")
    assert [r.text.split()[0] for r in duo.driver.find_elements("css selector", ".lab-row")] == [
        "顺序执行",
        "线程池",
        "asyncio",
    ]
    switch(duo, "en")  # after the run: the table, the notes and both figures, at once
    duo.wait_for_contains_text(".lab-ideal", "Ideal", timeout=2)
    shown = duo.driver.execute_script(SHOWN_TEXT)
    assert "Wall (s)" in shown and "Seconds from the start of the run" in shown and "ideal " in shown
    assert not re.search(r"[\u4e00-\u9fff]", shown.replace("中文", "")), shown  # no Chinese left
    switch(duo, "zh")
    wait_until(lambda: not latin_words(duo), 2, "the page in 中文 again")
    assert_clean(duo)
