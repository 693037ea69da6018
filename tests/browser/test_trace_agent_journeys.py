"""Trace page journeys on an agent: a real program run traced as a subprocess, added on
the page by its URL and token, headless Chromium."""

from __future__ import annotations

import sys
import time

import pytest

import ids
from app import create_app
from scripts.server import free_port
from tests.browser.helpers import assert_accessible, assert_clean, click_text, lay_out_at, switch_language, wait_until
from tests.browser.test_trace_journeys import lanes, points
from tests.callbacks.test_trace_agents_callbacks import BLOCK_LINE, QUEUE_LINE, SHOP
from tests.services.tracing.programs import program

pytestmark = pytest.mark.browser

WAIT_S = 20  # for a real traced program and the page: a readiness wait, not a timing goal (bench/)

SHAPES = """
const gd = document.querySelector('#trace-graph .js-plotly-plot');
return gd && gd.layout && gd.layout.shapes ? gd.layout.shapes.length : 0;
"""


@pytest.fixture
def open_page(dash_duo):
    """The app on a port of its own (the default one may be another test run's on this
    machine), at ``path``."""

    def _open(settings, path: str):
        dash_duo.start_server(create_app(settings), debug=True, dev_tools_hot_reload=False, port=free_port())
        dash_duo.wait_for_page(url=dash_duo.server_url + path)
        return dash_duo

    return _open


def add_agent(duo, url: str, token: str) -> None:
    box = duo.wait_for_element(f"#{ids.TRACE_AGENT_URL}", timeout=WAIT_S)
    duo.clear_input(box)
    box.send_keys(url)
    secret = duo.find_element(f"#{ids.TRACE_AGENT_TOKEN}")
    duo.clear_input(secret)
    secret.send_keys(token)
    duo.find_element(f"#{ids.TRACE_AGENT_ADD}").click()


def test_add_a_programs_agent_see_its_tasks_blocks_tree_and_findings_linked_to_rows(open_page, settings, tmp_path):
    with program(tmp_path / "shop.py", SHOP, [sys.executable, "-m", "looplens", "trace"]) as (process, url, token):
        duo = open_page(settings, "/trace")
        duo.driver.set_window_size(1280, 1000)
        add_agent(duo, url, "not-its-token")
        duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "The agent refused the token", timeout=WAIT_S)
        add_agent(duo, url, token)
        duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", f"(pid {process.pid})", timeout=WAIT_S)
        assert duo.find_element(f"#{ids.TRACE_AGENT_TOKEN}").get_attribute("value") == ""  # the box forgets it
        duo.wait_for_contains_text(f"#{ids.TRACE_STATUS}", f"Tracing the program at {url[7:]}", timeout=WAIT_S)
        wait_until(lambda: {"Task-6", "Task-7", "Task-8"} <= lanes(duo), WAIT_S, "the program's tasks as lanes")
        duo.wait_for_contains_text(f"#{ids.TRACE_SLOW}", BLOCK_LINE, timeout=WAIT_S)  # the culprit line
        duo.wait_for_contains_text(f"#{ids.TRACE_DIAGNOSIS}", "A blocking call held the loop", timeout=WAIT_S)
        duo.wait_for_contains_text(f"#{ids.TRACE_DIAGNOSIS}", f"The queue made at {QUEUE_LINE}", timeout=WAIT_S)
        duo.wait_for_contains_text(f"#{ids.TRACE_TRACKS_BOX}", f"queue made at {QUEUE_LINE}", timeout=5)  # its track

        duo.find_element(f"#{ids.TRACE_PAUSE}").click()  # hold the picture still

        def highlight() -> bool:  # the blocking call's rows; a click the panel's last redraw took is made again
            click_text(duo, ".findings button")
            for _ in range(20):
                if "highlighted" in duo.find_element(f"#{ids.TRACE_MESSAGE}").text:
                    return True
                time.sleep(0.1)
            return False

        wait_until(highlight, WAIT_S, "the finding's rows highlighted")
        wait_until(lambda: duo.driver.execute_script(SHAPES) > 0, 5, "bands over its rows on the timeline")
        wait_until(
            lambda: (rows := duo.find_elements(".slow-row.focus")) and all(BLOCK_LINE in r.text for r in rows),
            5,
            "its rows, and only its, in the slow table",
        )
        click_text(duo, ".tree-task", "Task-8")  # the blocking task, from the tree
        duo.wait_for_text_to_equal(".task-name", "Task-8", timeout=5)
        duo.wait_for_contains_text(f"#{ids.TRACE_INSPECT}", BLOCK_LINE, timeout=5)  # where it was last stuck

        duo.find_element(f"#{ids.TRACE_BLOCK}").click()  # an agent makes no load of its own
        duo.wait_for_contains_text(f"#{ids.TRACE_MESSAGE}", "makes no load of its own", timeout=5)
        stored = duo.driver.execute_script("return JSON.stringify(window.localStorage)")
        assert url in stored and token not in stored  # the browser keeps the agent, not its token
        duo.driver.refresh()
        click_text(duo, f"#{ids.TRACE_LOOP} input[value^='agent:']", timeout=WAIT_S)  # the agent, kept
        wait_until(lambda: "Task-8" in lanes(duo), WAIT_S, "its lanes again")
        assert points(duo, "slow") is not None
        duo.wait_for_contains_text(f"#{ids.TRACE_DIAGNOSIS}", "A blocking call held the loop", timeout=WAIT_S)
        wait_until(lambda: duo.find_elements(".tree-task"), 5, "the task tree")
        # the agent's panels too: no serious axe finding, at either width and in either language
        # (the Trace page itself is checked at both widths in both in test_a11y)
        for width, lang in ((390, "zh"), (1280, "en")):
            lay_out_at(duo, width)
            switch_language(duo, lang)
            assert_accessible(duo)
        time.sleep(0.5)
        assert_clean(duo)
