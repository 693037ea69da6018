"""Seed demos page: run each demo in the browser and read its log."""

from __future__ import annotations

import pytest

import ids
from services.demos.programs import DEMOS
from tests.browser.helpers import assert_accessible, assert_clean, count, wait_until

pytestmark = pytest.mark.browser

LAST_LINES = {  # what each demo's log ends with, in English
    "process_callback": "let a pool future call back in the parent",
    "task_callback": "task state: finished",
    "pool_pids": "every result was parsed in the parent",
    "event_retry": "TimeoutError after 3 attempts",
    "call_chain": "loop stopped at",
    "gevent": "spawn + joinall",
}


def test_each_demo_runs_and_shows_its_log_and_timeline(start, settings):
    duo = start(settings, "/")
    duo.driver.set_window_size(1280, 1000)
    duo.find_element("a[href='/demos']").click()
    duo.find_element(f"#{ids.DEMO_SPEED} input[value='0.1']").click()
    for name in DEMOS:
        button = duo.find_element(f"button[id*='\"{name}\"']")
        duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        wait_until(lambda: LAST_LINES[name] in duo.find_element(f"#{ids.DEMO_LOG}").text, 30, f"the {name} log")
        assert count(duo, "#demo-graph .js-plotly-plot .scatterlayer .trace") == 1
    duo.find_element(f"#{ids.LANG} input[value='zh']").click()
    duo.wait_for_contains_text(f"#{ids.DEMO_LOG}", "spawn + joinall：", timeout=5)  # the log follows the language
    assert_accessible(duo)  # the log and timeline too
    assert_clean(duo)
