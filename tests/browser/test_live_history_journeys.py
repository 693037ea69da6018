"""Live over long ranges in headless Chromium: a week of seeded history as bands, the
per-day table, a CSV that says its resolution, and a zoom that fetches finer numbers."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import ids
from scripts.seed_history import seed
from tests.browser.helpers import (
    assert_accessible,
    assert_clean,
    downloads_to,
    latin_words,
    switch_language,
    wait_until,
)
from tests.browser.test_a11y import NAMES, STATION_NAMES

pytestmark = pytest.mark.browser

STATIONS = ["beijing", "shanghai", "guangzhou", "harbin", "lhasa"]  # the page's default selection
FIGURE = """
const gd = document.querySelector('#live-graph .js-plotly-plot');
if (!gd || !gd.data) return null;
return {traces: gd.data.length, bands: gd.data.filter(t => t.fill === 'toself').length,
        points: gd._fullData && gd._fullData.length ? gd._fullData[1].x.length : 0};  // gd.data: x as sent
"""


def figure(duo) -> dict | None:
    return duo.driver.execute_script(FIGURE)


def pick_range(duo, key: str) -> None:
    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LIVE_RANGE}']//input[@value='{key}']/..").click()


def preset_on(duo) -> str | None:
    """The preset button shown as selected (its radio checked), None when none is."""
    return duo.driver.execute_script(
        f"const on = document.querySelector('#{ids.LIVE_RANGE} input:checked'); return on ? on.value : null;"
    )


def test_a_week_of_history_shows_bands_a_daily_table_and_exports_its_resolution(start, settings, tmp_path):
    now = time.time()
    seed(settings.store_path, STATIONS, now - 8 * 86_400, now, period_s=300)
    duo = start(settings, "/live")
    wait_until(lambda: figure(duo) and figure(duo)["traces"] == 2 * len(STATIONS) + 2, 30, "the live figure")
    pick_range(duo, "7d")
    wait_until(lambda: figure(duo)["bands"] == 2 * len(STATIONS), 15, "a band per station and metric")
    assert 2016 <= figure(duo)["points"] <= 2017  # a week of 5-minute buckets
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "5-minute statistics", timeout=5)

    def daily_rows() -> int:  # a grid draws the rows in view; it tells a screen reader how many it holds
        grids = duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.LIVE_DAILY} [role=grid]")
        return int(grids[0].get_attribute("aria-rowcount") or 0) - 2 if grids else 0  # less the two header rows

    wait_until(lambda: daily_rows() >= 7 * len(STATIONS), 10, "the daily table")
    assert "5-minute bucket" in duo.find_element(f"#{ids.LIVE_DAILY_BOX}").text
    downloads = downloads_to(duo, tmp_path)
    export = duo.find_element(f"#{ids.LIVE_EXPORT}")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", export)
    export.click()
    path: Path = wait_until(lambda: next(iter(downloads.glob("*.csv")), None), 10, "the CSV")
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert {r["resolution"] for r in rows} == {"5min"} and {r["station"] for r in rows} == set(STATIONS)
    assert "-7d-5min-" in path.name
    assert_accessible(duo)  # the table and the new controls too
    switch_language(duo, "zh")
    duo.wait_for_contains_text(f"#{ids.LIVE_DAILY_BOX}", "每日统计", timeout=10)
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "5 分钟统计", timeout=5)
    assert latin_words(duo, NAMES | STATION_NAMES) == []
    assert_accessible(duo)
    assert_clean(duo)


def test_zooming_in_fetches_finer_numbers_and_a_double_click_goes_back(start, settings):
    now = time.time()
    seed(settings.store_path, STATIONS, now - 3 * 86_400, now, period_s=300)
    duo = start(settings, "/live")
    wait_until(lambda: figure(duo) and figure(duo)["traces"] == 2 * len(STATIONS) + 2, 30, "the live figure")
    pick_range(duo, "30d")
    wait_until(lambda: figure(duo)["bands"] == 2 * len(STATIONS), 15, "hourly bands")
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "hourly statistics", timeout=5)
    zoom = "Plotly.relayout(document.querySelector('#live-graph .js-plotly-plot'), {'xaxis.range': arguments[0]})"
    day = [time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now - t)) for t in (86_400, 0)]
    duo.driver.execute_script(zoom, day)
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "5-minute statistics", timeout=10)
    assert preset_on(duo) is None  # a zoom is shown, not the 30 days
    hour = [time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now - t)) for t in (3600, 0)]
    duo.driver.execute_script(zoom, hour)
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "every reading", timeout=10)
    wait_until(lambda: figure(duo)["bands"] == 0 and figure(duo)["traces"] == 2 * len(STATIONS) + 2, 10, "raw")
    duo.driver.execute_script(
        "Plotly.relayout(document.querySelector('#live-graph .js-plotly-plot'), {'xaxis.autorange': true})"
    )
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "hourly statistics", timeout=10)
    wait_until(lambda: preset_on(duo) == "30d", 5, "30 d selected again")

    days = [time.strftime("%Y-%m-%d", time.localtime(now - t)) for t in (2 * 86_400, 0)]
    for box, day in zip((ids.LIVE_FROM, ids.LIVE_TO), days, strict=True):
        duo.find_element(f"#{box}").send_keys(day, Keys.ENTER)
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "5-minute statistics", timeout=10)  # three days
    wait_until(lambda: preset_on(duo) is None, 5, "no preset selected beside a from–to range")
    pick_range(duo, "30d")
    wait_until(lambda: preset_on(duo) == "30d", 5, "30 d selected")
    duo.wait_for_contains_text(f"#{ids.LIVE_RESOLUTION}", "hourly statistics", timeout=10)
    assert duo.find_element(f"#{ids.LIVE_FROM}").get_attribute("value") == ""
    assert_clean(duo)
