"""User journeys on Home and Query in headless Chromium."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

import psutil
import pytest
from selenium.webdriver.common.keys import Keys

from scripts.server import free_port
from services.sensors.model import reading_at
from services.sensors.stations import BY_ID
from tests.browser.helpers import assert_accessible, assert_clean, count, wait_until
from tests.helpers import SEED

pytestmark = pytest.mark.browser

SENTENCE = re.compile(r"Current temperature (-?\d+\.\d) °C, humidity (\d+\.\d) %")


def ask(duo, text: str) -> None:
    box = duo.find_element("#query-input")
    duo.clear_input(box)
    if text:
        box.send_keys(text)
    duo.find_element("#query-submit").click()


def shown_reading(duo, station_id: str) -> None:
    """The sentence on screen equals the service's reading at the time shown."""
    duo.wait_for_contains_text("#query-output .sentence", "Current temperature", timeout=10)
    temp, hum = SENTENCE.search(duo.find_element("#query-output .sentence").text).groups()
    observed = re.search(r"observed (.+) UTC", duo.find_element("#query-output .observed").text)
    ts = datetime.strptime(observed.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    expected = reading_at(BY_ID[station_id], ts.timestamp(), SEED)
    assert (float(temp), float(hum)) == (round(expected.temperature_c, 1), round(expected.humidity_pct, 1))


def test_home_to_query_by_nav_then_two_stations_fetched_in_a_worker(start, settings):
    duo = start(settings)
    duo.wait_for_text_to_equal("h1", "See your sensors — and the concurrency behind them")
    duo.find_element(".nav-links a[href='/query']").click()
    duo.wait_for_text_to_equal("h1", "Query a station")
    workers = set()
    for typed, station_id in (("北京", "beijing"), ("Shanghai", "shanghai")):
        ask(duo, typed)
        duo.wait_for_contains_text("#query-output .observed", BY_ID[station_id].name_en, timeout=10)
        shown_reading(duo, station_id)
        web_pid = int(duo.find_element("#query-output .web-pid").text)
        worker_pid = int(duo.find_element("#query-output .worker-pid").text)
        assert web_pid == os.getpid()  # dash_duo serves from this process
        assert worker_pid != web_pid
        assert "job pool worker" in duo.find_element("#query-output .engine").text
        workers.add(worker_pid)
        assert re.fullmatch(r"\d+ ms", duo.find_element("#query-output .latency").text)
    assert len(workers) == 1  # the worker is kept: the second query started no process
    assert_accessible(duo)  # the answer too
    assert_clean(duo)


def test_enter_key_submits_and_chinese_ui_gives_the_chinese_sentence(start, settings):
    duo = start(settings, "/query")
    assert duo.driver.execute_script("return document.documentElement.lang") == "en"
    duo.find_element("#lang input[value='zh']").click()
    duo.wait_for_text_to_equal(".nav-links a[href='/query']", "查询")
    duo.wait_for_text_to_equal("h1", "查询站点")
    assert duo.driver.execute_script("return document.documentElement.lang") == "zh-CN"  # screen readers, CJK fonts
    duo.find_element("#query-input").send_keys("上海", Keys.ENTER)
    duo.wait_for_contains_text("#query-output .sentence", "当前温度为", timeout=10)
    assert re.fullmatch(r"当前温度为-?\d+\.\d℃,湿度为\d+\.\d%", duo.find_element("#query-output .sentence").text)
    duo.driver.refresh()  # the choice of language is remembered
    duo.wait_for_text_to_equal("h1", "查询站点")
    wait_until(lambda: duo.driver.execute_script("return document.documentElement.lang") == "zh-CN", 5, "lang")
    assert_clean(duo)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type a city or station name first."),
        ("    ", "Type a city or station name first."),
        ("x" * 101, "That is 101 characters; a station name is at most 100."),
        ("Bejing", "Did you mean: Beijing"),
        ("<img src=x onerror=alert(1)>", "No station is called “<img src=x onerror=alert(1)>”."),
        ("<script>alert(1)</script>", "No station is called “<script>alert(1)</script>”."),
        ("🌡️🔥", "No station is called “🌡️🔥”."),
        ("بيجين", "No station is called “بيجين”."),
    ],
)
def test_bad_input_gets_a_clear_message(start, settings, typed, message):
    duo = start(settings, "/query")
    ask(duo, typed)
    duo.wait_for_contains_text("#query-output .result-error", message, timeout=5)
    assert count(duo, "#query-output img, #query-output script") == 0  # text, not markup
    assert duo.driver.execute_script("return document.readyState") == "complete"  # no alert() blocks
    assert_clean(duo)


def test_sensor_fault_shows_a_message_and_retry_recovers(start, settings, sensor):
    sensor.set_faults({"stations": {"lab-2": {"error_rate": 1, "latency_ms": 1}}})
    duo = start(settings, "/query")
    ask(duo, "lab-2")
    duo.wait_for_contains_text("#query-output", "The sensor service reported an error (3 attempts).", timeout=10)
    sensor.reset()
    duo.wait_for_element("#query-retry").click()
    duo.wait_for_contains_text("#query-output .sentence", "Current temperature", timeout=10)
    assert duo.find_element("#query-retry").value_of_css_property("display") == "none"
    assert_accessible(duo)  # the message and Retry too
    assert_clean(duo)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"hang_rate": 1}, "did not answer in time (3 attempts)"),
        ({"malformed_rate": 1, "latency_ms": 1}, "could not understand (3 attempts)"),
    ],
)
def test_timeouts_and_malformed_answers_get_messages(start, settings, sensor, fault, message):
    sensor.set_faults({"stations": {"lab-1": fault}})
    duo = start(settings, "/query")
    ask(duo, "lab-1")
    duo.wait_for_contains_text("#query-output .result-error", message, timeout=10)
    duo.wait_for_element("#query-retry")
    assert_clean(duo)


def test_sensor_service_down_says_so(start, settings):
    down = settings.model_copy(update={"sensor_url": f"http://127.0.0.1:{free_port()}"})
    duo = start(down, "/query")
    ask(duo, "Beijing")
    duo.wait_for_contains_text("#query-output .result-error", "cannot be reached", timeout=10)
    assert_clean(duo)


def test_cancel_stops_a_slow_query_and_its_worker_process(start, settings, sensor):
    sensor.set_faults({"stations": {"lab-3": {"hang_rate": 1}}})
    slow = settings.model_copy(update={"client_timeout_s": 60.0})
    duo = start(slow, "/query")
    ask(duo, "lab-3")
    duo.wait_for_contains_text("#query-progress", "attempt 1 of 3", timeout=10)
    assert duo.find_element("#query-submit").get_attribute("disabled") == "true"
    worker_pid = int(re.search(r"worker process (\d+)", duo.find_element("#query-progress").text).group(1))
    assert psutil.pid_exists(worker_pid)
    duo.find_element("#query-cancel").click()
    duo.wait_for_text_to_equal("#query-output .message", "Query cancelled.", timeout=5)
    duo.wait_for_element("#query-submit:not([disabled])")
    psutil.wait_procs([psutil.Process(worker_pid)], timeout=5) if psutil.pid_exists(worker_pid) else None
    assert not psutil.pid_exists(worker_pid) or psutil.Process(worker_pid).status() == psutil.STATUS_ZOMBIE
    assert duo.find_element("#query-progress").value_of_css_property("display") == "none"
    assert_clean(duo)


def test_unknown_address_shows_the_404_page_with_a_way_home(start, settings):
    duo = start(settings, "/no/such/page")
    duo.wait_for_text_to_equal("h1", "Page not found")
    duo.find_element(".page-404 a").click()
    duo.wait_for_text_to_equal("h1", "See your sensors — and the concurrency behind them")
    cards = duo.driver.execute_script(
        "return [...document.querySelectorAll('.page-home .card-link')].map(a => a.pathname)"
    )
    assert cards == ["/live", "/trace", "/query", "/lab", "/demos", "/sources"]  # a way into every page
    assert count(duo, ".dash-fe-error__title, .dash-debug-menu__button--error") == 0
    # the console notes the address's own 404 (its status now says what the page says); nothing else
    assert [log for log in duo.get_logs() if "/no/such/page - " not in log["message"]] == []
