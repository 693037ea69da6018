"""Every page for everyone: no serious or critical axe-core finding at desktop and phone width
in either language; on a 中文 page no English word (but names: stations, products, units,
code), whether switched on the page or loaded fresh, the tab's title and <html lang> included;
the keyboard's focus handed to Cancel while a query runs and back when it ends."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from services.sensors.stations import STATIONS
from tests.browser.helpers import assert_accessible, assert_clean, latin_words, lay_out_at, switch_language, wait_until

pytestmark = pytest.mark.browser

PAGES = ("/", "/live", "/fleet", "/trace", "/lab", "/query", "/demos", "/sources", "/nowhere")

# Names a Chinese reader sees in Latin letters too: products and protocols, units, the
# language's own name, and Python's (asyncio's, gevent's) names for what the demos show.
NAMES = {
    "looplens", "EN", "English", "asyncio", "aiohttp", "gevent", "greenlet", "uvloop", "Perfetto", "CSV", "PNG",
    "JSON", "HTTP", "TLS", "CPU", "MQTT", "Zigbee2MQTT", "Zigbee", "Tasmota", "ESPHome", "Shelly", "Home",
    "Assistant", "Open-Meteo", "Berlin", "RH", "ms", "pid", "Task", "Event", "Queue", "Pipe", "future",
    "partial", "spawn", "joinall", "submit", "ProcessPoolExecutor", "Process", "TimeoutError", "simulator",
}  # fmt: skip
STATION_NAMES = {word for s in STATIONS for word in re.findall(r"[\w']+", f"{s.id} {s.name_en}")}


def settle(duo, path: str) -> None:
    """Wait until the page's own content is drawn (a heading), and its charts if it streams."""
    wait_until(lambda: duo.driver.execute_script("return !!document.querySelector('main h1')"), 10, f"{path} drawn")
    if path in ("/live", "/trace"):
        wait_until(
            lambda: duo.driver.execute_script("return document.querySelectorAll('.js-plotly-plot g.trace').length"),
            15,
            f"{path}'s chart",
        )
    if path == "/fleet":  # its rows, then the heat strip the stream puts in after them
        wait_until(lambda: duo.driver.execute_script("return document.querySelectorAll('.ag-row').length"), 15,
                   "the fleet's rows")  # fmt: skip
        wait_until(lambda: duo.driver.execute_script("return !!document.querySelector('#fleet-heat .main-svg')"), 15,
                   "the fleet's heat strip")  # fmt: skip


def no_english(duo) -> bool:
    """No English word left on the page, within 3 s (a streaming page's texts come with its
    next update); else the words left, in the assertion."""
    try:
        return wait_until(lambda: not latin_words(duo, NAMES | STATION_NAMES), 3, "no English") is not None
    except AssertionError:
        raise AssertionError(f"English left: {latin_words(duo, NAMES | STATION_NAMES)}") from None


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_no_serious_axe_finding_and_no_english_left_in_chinese(start, settings, collector, path):
    duo = start(settings, path)
    settle(duo, path)
    for width, lang in ((1280, "en"), (390, "zh")):  # each width and each language, once
        lay_out_at(duo, width)
        switch_language(duo, lang)
        assert_accessible(duo)
    assert no_english(duo)  # switched on the page: every text follows at once
    duo.driver.refresh()  # a fresh load in 中文 (the switch is remembered)
    settle(duo, path)
    wait_until(lambda: duo.driver.execute_script("return document.documentElement.lang") == "zh-CN", 5, "lang")
    assert no_english(duo)
    switch_language(duo, "en")
    assert not re.search(r"[\u4e00-\u9fff]", duo.driver.title), "the tab's title follows the switch back"
    if path == "/nowhere":  # the browser logs the page's own 404 status, which is the point
        assert all("/nowhere" in log["message"] for log in duo.get_logs())
    else:
        assert_clean(duo)


def test_the_tab_title_follows_the_language(start, settings):
    duo = start(settings, "/live")
    wait_until(lambda: duo.driver.title == "Live · looplens", 5, "the English title")
    switch_language(duo, "zh")
    wait_until(lambda: duo.driver.title == "实时 · looplens", 5, "the Chinese title")
    duo.find_element(".nav-links a[href='/sources']").click()
    wait_until(lambda: duo.driver.title == "数据源 · looplens", 5, "the next page's Chinese title")


def test_skip_link_is_the_first_tab_stop_and_leads_past_the_nav(start, settings):
    duo = start(settings, "/live")
    duo.find_element("h1")
    active = duo.driver.switch_to.active_element
    while active.tag_name == "body" or "dash-debug-menu" in (active.get_attribute("class") or ""):
        ActionChains(duo.driver).send_keys(Keys.TAB).perform()  # (Dash's dev tools, on in tests, come first)
        active = duo.driver.switch_to.active_element
    assert active.get_attribute("class") == "skip-link" and active.is_displayed()
    active.send_keys(Keys.ENTER)
    wait_until(lambda: duo.driver.switch_to.active_element.get_attribute("id") == "main", 3, "focus on the page")


def test_focus_goes_to_cancel_while_a_query_runs_and_back_after(start, settings, sensor):
    sensor.set_faults({"default": {"latency_ms": 400, "jitter_ms": 0}})
    duo = start(settings, "/query")
    box = duo.find_element("#query-input")
    box.send_keys("北京")
    box.send_keys(Keys.TAB)  # to "Get reading", as a keyboard user goes
    assert duo.driver.switch_to.active_element.get_attribute("id") == "query-submit"
    duo.driver.switch_to.active_element.send_keys(Keys.ENTER)
    active = lambda: duo.driver.switch_to.active_element.get_attribute("id")  # noqa: E731
    wait_until(lambda: active() == "query-cancel", 5, "focus on Cancel while it runs")
    duo.wait_for_contains_text("#query-output", "Current temperature", timeout=15)
    wait_until(lambda: active() == "query-submit", 5, "focus back on Get reading")
    assert_clean(duo)


def test_the_stations_dropdown_speaks_the_language_and_opens_from_the_keyboard(start, settings, collector):
    duo = start(settings, "/live")
    switch_language(duo, "zh")
    wait_until(lambda: "已选 5 个" in duo.find_element("#live-stations").text, 5, "the count in Chinese")
    stations = duo.find_element("#live-stations")
    duo.driver.execute_script("arguments[0].focus()", stations)
    assert duo.driver.switch_to.active_element == stations  # reachable: not hidden behind aria-hidden
    stations.send_keys(Keys.ARROW_DOWN)
    wait_until(lambda: duo.driver.execute_script("return !!document.querySelector('.dash-dropdown-content')"), 5,
               "the open list")  # fmt: skip
    assert_accessible(duo)
