"""Fleet page journeys: 2,000 simulated sensors written into the store every second (a
synthetic feed: polling 2,000 stations over HTTP would take the test machine's cores),
the real app, headless Chromium."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
from selenium.webdriver.common.keys import Keys

import ids
from scripts.fleet_feed import FleetFeed
from services.core.settings import Settings
from services.sensors.stations import fleet
from tests.browser.helpers import assert_clean, switch_language, wait_until

pytestmark = pytest.mark.browser

SENSORS = 2000


@pytest.fixture
def big(tmp_path):
    """Settings for a fleet of 2,000, and the feed writing their readings every second."""
    settings = Settings(data_dir=tmp_path / "data", sensor_stations=SENSORS, trace_port=0)
    with FleetFeed(settings.store_path, fleet(SENSORS), period_s=settings.collector_period_s) as feed:
        wait_until(lambda: feed.rounds >= 1, 10, "the first readings")
        yield settings, feed


def grid(duo, expression: str):
    """``expression`` over AG Grid's API (``api``) in the page; None until the grid is up."""
    api = f"dash_ag_grid.getApi('{ids.FLEET_GRID}')"
    return duo.driver.execute_script(f"try {{ const api = {api}; return {expression}; }} catch (e) {{ return null; }}")


def displayed(duo) -> list[dict]:
    rows = "[...Array(api.getDisplayedRowCount()).keys()].map(i => api.getDisplayedRowAtIndex(i).data)"
    return grid(duo, rows) or []


def wait_statuses(duo, status: str, what: str) -> None:
    """Wait until every row shown has ``status``; on a timeout, say how many had which."""

    def counts() -> dict[str, int]:
        return dict(Counter(r["status"] for r in displayed(duo)))

    wait_until(lambda: set(counts()) == {status}, 10, what, seen=counts)


def click(duo, selector: str) -> None:
    """Click what ``selector`` finds, brought to the middle of the window first (the small test
    window has Dash's dev-tools bar along its bottom)."""
    element = duo.find_element(selector)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def heat_names(duo) -> list[str]:
    """The heat strip's sensor names, once it is drawn (it comes after the table)."""
    return duo.driver.execute_script(
        "return [...document.querySelectorAll('#fleet-heat .ytick text')].map(e => e.textContent)"
    )


def open_fleet(start, settings):
    duo = start(settings, "/")
    duo.find_element("a[href='/fleet']").click()
    wait_until(lambda: grid(duo, "api.getDisplayedRowCount()") == SENSORS, 20, "every sensor's row")
    return duo


def test_filter_by_text_and_status_sort_and_a_silent_sensor_shows_offline(start, big):
    settings, feed = big
    duo = open_fleet(start, settings)
    box = duo.find_element(f"#{ids.FLEET_FIND}")
    box.send_keys("sim-19")
    wait_until(lambda: len(displayed(duo)) == 100, 5, "the rows matching the text")
    assert all("sim-19" in row["name"] for row in displayed(duo))
    for _ in range(4):  # longer than a search can be: told so, the last filter stays
        box.send_keys("x" * 20)  # (in bursts, as a person types: 50 keys in one go overflow React)
        time.sleep(0.1)
    duo.wait_for_contains_text(f"#{ids.FLEET_MESSAGE}", "at most 60 characters", timeout=5)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    wait_until(lambda: len(displayed(duo)) == SENSORS, 5, "every row again")
    assert duo.find_element(f"#{ids.FLEET_MESSAGE}").text == ""

    duo.find_element(f"#{ids.FLEET_STATE} input[value='offline']").click()
    wait_until(lambda: grid(duo, "api.getDisplayedRowCount()") == 0, 5, "no sensor offline")
    silenced_at = time.monotonic()
    feed.silence("sim-0500")
    wait_until(lambda: [r["id"] for r in displayed(duo)] == ["sim-0500"], 8, "the silent sensor, offline")
    assert time.monotonic() - silenced_at < 3 * settings.collector_period_s + 3  # 3 periods, then the next push
    assert displayed(duo)[0]["state"].startswith("offline since ")

    duo.find_element(f"#{ids.FLEET_STATE} input[value='*']").click()
    wait_until(lambda: len(displayed(duo)) == SENSORS, 5, "every row again")
    click(duo, ".ag-header-cell[col-id='t'] .ag-header-cell-label")  # ascending
    wait_until(lambda: grid(duo, "api.getColumnState().find(c => c.colId === 't').sort") == "asc", 5, "sorted")
    temps = [row["t"] for row in displayed(duo) if row["t"] is not None]
    assert temps[:50] == sorted(temps)[:50] and temps[0] == min(temps)

    # the minute is up (and the pointer, still on the grid, has had its five): the rows on
    # screen are drawn afresh, sorted as they were, and go on taking pushes
    duo.driver.execute_script("Object.assign(window.looplensFleetTidied, {next: 0, at: 0})")
    wait_until(lambda: duo.driver.execute_script("return window.looplensFleetTidied.redraws") >= 1, 5, "a fresh draw")
    applied = duo.driver.execute_script("return window.looplensFleetApplied")
    wait_until(lambda: duo.driver.execute_script("return window.looplensFleetApplied") > applied, 8, "pushes after it")
    assert grid(duo, "api.getColumnState().find(c => c.colId === 't').sort") == "asc"
    assert len(displayed(duo)) == SENSORS and duo.find_elements(".ag-center-cols-container .ag-row")
    assert_clean(duo)


def test_tick_two_sensors_and_open_them_on_live(start, big):
    settings, _feed = big
    duo = open_fleet(start, settings)
    duo.find_element(f"#{ids.FLEET_OPEN}").click()  # nothing ticked yet: told what to do
    duo.wait_for_contains_text(f"#{ids.FLEET_MESSAGE}", "Tick one or more sensors", timeout=5)
    for n, row in enumerate(("shanghai", "shenzhen"), 1):
        click(duo, f".ag-pinned-left-cols-container .ag-row[row-id='{row}'] input[type=checkbox]")
        duo.wait_for_text_to_equal(f"#{ids.FLEET_SELECTED}", f"{n} selected", timeout=5)
    duo.find_element(f"#{ids.FLEET_OPEN}").click()
    wait_until(lambda: "/live?stations=shanghai,shenzhen" in duo.driver.current_url, 5, "Live's address")
    wait_until(lambda: "Shanghai" in duo.find_element(f"#{ids.LIVE_STATIONS}").text, 10, "Live's stations")
    chosen = duo.find_element(f"#{ids.LIVE_STATIONS}").text
    assert "Shenzhen" in chosen and "Beijing" not in chosen
    assert_clean(duo)


def test_switching_language_relabels_the_table_and_keeps_its_sort_filter_and_ticks(start, big):
    settings, _feed = big
    duo = open_fleet(start, settings)
    wait_until(lambda: heat_names(duo), 15, "the heat strip, after the table")
    duo.find_element(f"#{ids.FLEET_FIND}").send_keys("sim-19")
    wait_until(lambda: len(displayed(duo)) == 100, 5, "the rows matching the text")
    for n, row in enumerate(("sim-1900", "sim-1901"), 1):
        click(duo, f".ag-pinned-left-cols-container .ag-row[row-id='{row}'] input[type=checkbox]")
        duo.wait_for_text_to_equal(f"#{ids.FLEET_SELECTED}", f"{n} selected", timeout=5)
    click(duo, ".ag-header-cell[col-id='t'] .ag-header-cell-label")  # ascending
    wait_until(lambda: grid(duo, "api.getColumnState().find(c => c.colId === 't').sort") == "asc", 5, "sorted")
    grid(duo, "(window.beforeSwitch = api, true)")
    applied = duo.driver.execute_script("return window.looplensFleetApplied || 0")

    switch_language(duo, "zh")
    header = ".ag-header-cell[col-id='t'] .ag-header-cell-text"
    duo.wait_for_text_to_equal(header, "温度 °C", timeout=10)
    wait_until(
        lambda: (rows := displayed(duo)) and all(r["state"] == "正常" for r in rows), 10, "status words in Chinese"
    )
    latin = lambda: [n for n in heat_names(duo) if re.search("[A-Za-z]", n)]  # noqa: E731
    wait_until(lambda: heat_names(duo) and not latin(), 10, "the heat strip's names in Chinese", seen=latin)
    assert grid(duo, "api === window.beforeSwitch")  # the same table, relabelled
    assert grid(duo, "api.getColumnState().find(c => c.colId === 't').sort") == "asc"
    temps = [row["t"] for row in displayed(duo) if row["t"] is not None]
    rows = displayed(duo)  # the text finds a sensor by its key too: 模拟-1900 is sim-1900
    assert len(rows) == 100 and all(r["id"].startswith("sim-19") and r["name"].startswith("模拟-19") for r in rows)
    assert temps == sorted(temps)
    assert sorted(grid(duo, "api.getSelectedRows().map(r => r.id)")) == ["sim-1900", "sim-1901"]
    assert duo.find_element(f"#{ids.FLEET_SELECTED}").text == "已选 2 个"
    wait_until(lambda: duo.driver.execute_script("return window.looplensFleetApplied") > applied, 8, "live ticks")
    box = duo.find_element(f"#{ids.FLEET_FIND}")
    box.send_keys("x")  # no sensor: the grid's own overlay says so in Chinese too
    duo.wait_for_text_to_equal(".ag-overlay-no-matching-rows-center", "没有匹配的传感器。", timeout=5)
    box.send_keys(Keys.BACKSPACE)
    wait_until(lambda: len(displayed(duo)) == 100, 5, "the rows matching the text again")

    switch_language(duo, "en")
    duo.wait_for_text_to_equal(header, "Temp. °C", timeout=10)
    wait_until(
        lambda: (rows := displayed(duo)) and all(r["state"] == "ok" for r in rows), 10, "status words in English"
    )
    assert grid(duo, "api.getSelectedRows().length") == 2 and len(displayed(duo)) == 100
    assert_clean(duo)


def test_thresholds_are_remembered_across_visits_and_a_bad_kept_one_gives_no_limits(start, big):
    settings, _feed = big
    duo = open_fleet(start, settings)
    click(duo, ".page-fleet .threshold-box summary")
    duo.find_element(f"#{ids.FLEET_TEMP_HIGH}").send_keys("-40", Keys.ENTER)  # colder than any sensor
    wait_statuses(duo, "alert", "every sensor in alert")

    duo.find_element("a[href='/']").click()  # away and back
    duo.wait_for_element(".page-home", timeout=10)
    duo.find_element("a[href='/fleet']").click()
    wait_until(lambda: grid(duo, "api.getDisplayedRowCount()") == SENSORS, 20, "every sensor's row")
    assert duo.find_element(f"#{ids.FLEET_TEMP_HIGH}").get_attribute("value") == "-40"
    wait_statuses(duo, "alert", "the limit applied again")

    duo.driver.refresh()  # a new load: the browser still has them
    wait_until(lambda: grid(duo, "api.getDisplayedRowCount()") == SENSORS, 20, "every sensor's row")
    duo.wait_for_text_to_equal(f"#{ids.FLEET_TEMP_HIGH}", "-40", timeout=5)
    wait_statuses(duo, "alert", "the limit after a reload")

    duo.driver.execute_script(
        f"localStorage.setItem('{ids.FLEET_LIMITS}', JSON.stringify({{temp_low: 50, temp_high: 'x'}}))"
    )
    duo.driver.refresh()  # a kept value that cannot be used: no limits, and no error
    wait_until(lambda: grid(duo, "api.getDisplayedRowCount()") == SENSORS, 20, "every sensor's row")
    wait_statuses(duo, "ok", "no limits")
    boxes = (ids.FLEET_TEMP_LOW, ids.FLEET_TEMP_HIGH, ids.FLEET_HUM_LOW, ids.FLEET_HUM_HIGH)
    assert [duo.find_element(f"#{box}").get_attribute("value") for box in boxes] == ["", "", "", ""]
    assert duo.find_element(f"#{ids.FLEET_MESSAGE}").text == ""
    assert_clean(duo)
