"""Live page journeys: a real collector process, the real sensor service, headless Chromium."""

from __future__ import annotations

import csv
import time
from datetime import datetime
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import ids
from services.live.store import ReadingStore
from services.live.view import to_unit, x_value
from tests.browser.helpers import (
    KEEP_WARNINGS,
    assert_accessible,
    assert_clean,
    downloads_to,
    line_points,
    shown,
    wait_until,
)
from views.controls import WAITING

pytestmark = pytest.mark.browser

STATIONS = ["beijing", "shanghai", "guangzhou", "harbin", "lhasa"]  # the page's default selection


def temperature_points(duo, position: int) -> list[str]:
    """The x of every temperature point shown for a station (five: a line each)."""
    return line_points(shown(duo), position)


def open_live(start, settings):
    """Home, then the nav link, as most visits go."""
    duo = start(settings, "/")
    duo.find_element("a[href='/live']").click()
    wait_until(lambda: shown(duo) and len(shown(duo)) == 2 * len(STATIONS) + 2, 15, "the figure")
    return duo


def expected_points(settings, station: str, up_to: str) -> list[str]:
    with ReadingStore(settings.store_path) as store:
        rows = store.since(0, [station])
    return [x for x in (x_value(r.ts) for r in rows) if x <= up_to]


def test_points_arrive_and_pause_resume_loses_and_repeats_nothing(start, settings, collector):
    duo = open_live(start, settings)
    wait_until(lambda: len(temperature_points(duo, 0)) >= 1, 10, "a first point")
    first = temperature_points(duo, 0)
    wait_until(lambda: len(temperature_points(duo, 0)) >= len(first) + 2, 10, "pushed points")
    duo.find_element(f"#{ids.LIVE_PAUSE}").click()
    duo.wait_for_contains_text(f"#{ids.LIVE_STATUS}", "Paused", timeout=5)
    frozen = temperature_points(duo, 0)
    time.sleep(2.5)
    assert temperature_points(duo, 0) == frozen  # the view holds still …
    assert len(expected_points(settings, STATIONS[0], "9999")) >= len(frozen) + 2  # … storing goes on
    duo.find_element(f"#{ids.LIVE_PAUSE}").click()
    duo.wait_for_contains_text(f"#{ids.LIVE_STATUS}", "Live", timeout=5)
    wait_until(lambda: len(temperature_points(duo, 0)) >= len(frozen) + 3, 10, "the catch-up")
    for position, station in enumerate(STATIONS):
        points = temperature_points(duo, position)
        assert len(points) == len(set(points)), f"{station}: a point shown twice"
        assert points == expected_points(settings, station, points[-1]), f"{station}: a gap"
    # what the page keeps of its own past stays small however long it streams (assets/history.js)
    wait_until(lambda: undo_history(duo)[1] > 0, 20, "undo history trimmed", seen=lambda: undo_history(duo))
    assert undo_history(duo)[0] <= 10 + 10, undo_history(duo)  # the kept ten, and at most a second's more
    assert_clean(duo)


def undo_history(duo) -> tuple[int, int]:
    """(entries Dash's undo history holds, entries dropped from it)."""
    return tuple(duo.driver.execute_script(
        "const s = window.dash_stores[window.dash_stores.length - 1].getState();"
        "return [s.history.past.length, window.looplensHistoryDropped || 0];"
    ))  # fmt: skip


def test_typed_address_and_reload_both_stream(start, settings, collector):
    """A second full page load in one browser (home, then /live typed in), then a reload:
    each page gets its points pushed, and never two streams (no point twice)."""
    duo = start(settings, "/live")  # the browser loads "/" first, then this address
    for visit in ("typed address", "reload"):
        wait_until(lambda: shown(duo) and len(temperature_points(duo, 0)) >= 1, 15, f"the figure ({visit})")
        first = len(temperature_points(duo, 0))
        wait_until(lambda: len(temperature_points(duo, 0)) >= first + 3, 15, f"pushed points ({visit})")
        points = temperature_points(duo, 0)
        assert len(points) == len(set(points))
        assert points == expected_points(settings, STATIONS[0], points[-1])[-len(points) :]
        duo.driver.refresh()
    assert_clean(duo)


def test_fahrenheit_converts_cards_and_axis(start, settings, collector):
    duo = open_live(start, settings)
    field = f"#{ids.live_card_field('lhasa', 'temp')}"
    wait_until(lambda: "°C" in duo.find_element(field).text, 10, "a reading in °C")
    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LIVE_UNIT}']//label[contains(., '°F')]").click()

    def card_in_fahrenheit():
        text = duo.find_element(field).text
        return text if "°F" in text else None

    card = wait_until(card_in_fahrenheit, 10, "the card in °F")
    with ReadingStore(settings.store_path) as store:  # read after the card, so it holds the card's reading
        recent = {f"{to_unit(r.temperature_c, 'F'):.1f} °F" for r in store.since(0, ["lhasa"])}
    assert card in recent
    axis = duo.driver.execute_script(
        "return document.querySelector('#live-graph .js-plotly-plot').layout.yaxis.title.text"
    )
    assert axis == "Temperature (°F)"
    t_max = f"#{ids.live_card_field('lhasa', 't_max')}"
    wait_until(lambda: "°F" in duo.find_element(t_max).text, 5, "the day's maximum in °F")
    assert_clean(duo)


def typed(duo, component_id: str, text: str) -> None:
    box = duo.find_element(
        f"#{component_id} input"
        if duo.driver.find_elements(By.CSS_SELECTOR, f"#{component_id} input")
        else f"#{component_id}"
    )
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text, Keys.ENTER)


def test_thresholds_raise_the_banner_and_bad_ones_are_explained(start, settings, collector):
    duo = open_live(start, settings)
    summary = duo.find_element(".threshold-box summary")  # below the range's dates: maybe under the dev tools' bar
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    typed(duo, ids.LIVE_TEMP_HIGH, "-60")  # every station is warmer than this
    duo.wait_for_contains_text(f"#{ids.LIVE_BANNER}", "Beyond thresholds", timeout=10)
    for name in ("Beijing (temperature above its high limit)", "Lhasa (temperature above its high limit)"):
        assert name in duo.find_element(f"#{ids.LIVE_BANNER}").text  # which limit, not only who
    assert "alert-temp_high" in duo.find_element(f"#{ids.live_card('lhasa')}").get_attribute("class")
    red = duo.driver.execute_script(
        "return [...document.querySelectorAll('#live-card-lhasa .card-now .v')].map(e => getComputedStyle(e).color)"
    )
    assert red[0] != red[1]  # the temperature is red, the humidity (within its limits) is not
    wait_until(lambda: len(shown(duo)[2 * len(STATIONS)]["x"]) > 0, 5, "alert markers")
    typed(duo, ids.LIVE_TEMP_LOW, "10")  # low 10 > high -60
    duo.wait_for_contains_text(f"#{ids.LIVE_MESSAGE}", "Temperature low is above temperature high")
    typed(duo, ids.LIVE_TEMP_LOW, "cold")
    duo.wait_for_contains_text(f"#{ids.LIVE_MESSAGE}", "must be numbers")
    assert "Beyond thresholds" in duo.find_element(f"#{ids.LIVE_BANNER}").text  # still the last good ones
    typed(duo, ids.LIVE_TEMP_LOW, "")
    typed(duo, ids.LIVE_TEMP_HIGH, "")
    wait_until(
        lambda: "hidden" in duo.find_element(f"#{ids.LIVE_BANNER}").get_attribute("class"), 10, "the banner to clear"
    )
    assert duo.find_element(f"#{ids.LIVE_MESSAGE}").text == ""
    assert_accessible(duo)  # the banner, alert cards and threshold boxes too
    assert_clean(duo)


def test_a_silent_station_goes_offline_and_comes_back(start, settings, sensor, collector):
    duo = open_live(start, settings)
    card = f"#{ids.live_card('harbin')}"
    wait_until(lambda: "offline" not in duo.find_element(card).get_attribute("class"), 10, "online")
    sensor.set_faults({"default": {"latency_ms": 20, "jitter_ms": 5}, "stations": {"harbin": {"error_rate": 1.0}}})
    wait_until(lambda: "offline" in duo.find_element(card).get_attribute("class"), 8, "offline")
    assert "offline" in shown(duo)[2 * STATIONS.index("harbin")]["name"]  # the legend says so too
    assert "offline" not in duo.find_element(f"#{ids.live_card('lhasa')}").get_attribute("class")
    sensor.reset()
    wait_until(lambda: "offline" not in duo.find_element(card).get_attribute("class"), 8, "back online")
    assert shown(duo)[2 * STATIONS.index("harbin")]["name"] == "Harbin"
    assert_clean(duo)


def test_export_downloads_what_the_screen_shows(start, settings, collector, tmp_path):
    duo = open_live(start, settings)
    downloads = downloads_to(duo, tmp_path)
    wait_until(lambda: len(temperature_points(duo, 0)) >= 3, 10, "some points")
    duo.find_element(f"#{ids.LIVE_PAUSE}").click()
    duo.wait_for_contains_text(f"#{ids.LIVE_STATUS}", "Paused", timeout=5)
    time.sleep(0.5)
    on_screen = {station: temperature_points(duo, i) for i, station in enumerate(STATIONS)}
    duo.find_element(f"#{ids.LIVE_EXPORT}").click()
    path: Path = wait_until(lambda: next(iter(downloads.glob("*.csv")), None), 10, "the CSV")
    with path.open() as f:
        rows = list(csv.DictReader(f))
    for station in STATIONS:
        times = [datetime.fromisoformat(r["time"]) for r in rows if r["station"] == station]
        assert all(t.utcoffset() is not None for t in times)
        assert [t.strftime("%Y-%m-%d %H:%M:%S") for t in times] == on_screen[station]
    assert "temperature_c" in rows[0]
    assert_clean(duo)


def test_a_live_page_drawn_again_gets_a_whole_figure_at_once(start, settings, collector):
    """The page's layout drawn anew over the stream's figure (here by a new query string): the
    stream starts again from a snapshot, not patches of a figure the page no longer has. (A
    patch already on its way when the page is redrawn still fails, once, in the console: seen
    in 1 of 12 runs with the machine loaded.)"""
    duo = open_live(start, settings)
    wait_until(lambda: len(temperature_points(duo, 0)) > 2, 15, "points")
    duo.driver.execute_script(
        "window.history.pushState({}, '', '/live?again=1'); window.dispatchEvent(new PopStateEvent('popstate'))"
    )
    wait_until(lambda: len(temperature_points(duo, 0)) > 2, 5, "the figure, drawn again")
    assert duo.driver.execute_script("return window.looplensStream.starts") == 0  # by the same stream
    assert len(duo.get_logs()) <= 1  # that patch, at most
    time.sleep(2)
    assert_clean(duo)


def test_a_page_that_lost_the_streams_figure_gets_it_back(start, settings, collector):
    """Seen once in 20 loads: the graph showed its placeholder while the stream, beating, sent
    patches of a figure the page no longer had; the figure never came."""
    duo = open_live(start, settings)
    wait_until(lambda: len(temperature_points(duo, 0)) > 2, 15, "points")
    duo.driver.execute_script(  # as the page had drawn its layout again over the stream's figure
        "window.dash_clientside.set_props(arguments[0], {figure: {data: [], layout: {meta: arguments[1]}}})",
        ids.LIVE_GRAPH,
        WAITING,
    )
    wait_until(lambda: shown(duo) is None, 5, "the placeholder")
    wait_until(lambda: len(temperature_points(duo, 0)) > 2, 15, "the figure, drawn again")
    assert duo.driver.execute_script("return window.looplensStream.starts") >= 1  # by a new stream
    duo.get_logs()  # the patches that reached the placeholder failed meanwhile; none since:
    time.sleep(2)
    assert_clean(duo)


def test_leaving_live_pushes_nothing_to_the_gone_page(start, settings, collector):
    duo = start(settings, "/live")
    duo.driver.execute_script(KEEP_WARNINGS)  # page changes keep the window: no reload
    for _ in range(4):  # the stream is mid-turn (waiting for rows) at any moment
        # back on Live, a stream that does not start is restarted by the watchdog (3 s, then 6 s)
        wait_until(lambda: (s := shown(duo)) and len(s[0]["x"]) > 2, 30, "points")
        duo.find_element("a.brand").click()
        duo.wait_for_element("main h1")
        time.sleep(1.2)  # a turn or two of the old stream, had it gone on
        duo.find_element(".nav-links a[href='/live']").click()
    warnings = duo.driver.execute_script("return window.looplensWarnings")
    assert [w for w in warnings if w.startswith("SET_PROPS")] == []
    assert_clean(duo)
