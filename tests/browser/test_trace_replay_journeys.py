"""Trace page recordings on a phone and a desktop: the picker opens to a tap, a recording
replays with its links' legend whole, and the side-by-side table's header is not covered (headless Chromium)."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder

import ids
from services.tracing.replay import folder
from tests.browser.helpers import lay_out_at, switch_language, wait_until
from tests.browser.test_trace_journeys import PROGRAM_TO_RECORD
from tests.services.tracing.programs import recorded

pytestmark = pytest.mark.browser

CENTRE = """
const box = arguments[0].getBoundingClientRect();
const x = box.left + box.width / 2, y = box.top + box.height / 2;
return {x: Math.round(x), y: Math.round(y), on_top: arguments[0].contains(document.elementFromPoint(x, y))};
"""

# The replayed timeline's legend (its links: made by, done callback) and Plotly's toolbar.
LEGEND = """
const box = s => document.querySelector('#trace-replay-graph ' + s).getBoundingClientRect();
const graph = box('.js-plotly-plot'), legend = box('.legend'), bar = box('.modebar');
return {inside: legend.left >= graph.left && legend.right <= graph.right + 1 && legend.bottom <= graph.bottom + 1,
        clear: legend.top >= bar.bottom || legend.bottom <= bar.top || legend.right <= bar.left,
        text: document.querySelector('#trace-replay-graph .legend').textContent,
        legend: [legend.left, legend.top, legend.right, legend.bottom].map(Math.round),
        graph: [graph.left, graph.top, graph.right, graph.bottom].map(Math.round),
        bar: [bar.left, bar.top, bar.right, bar.bottom].map(Math.round)};
"""


def tap(duo, selector: str) -> None:
    """Scroll ``selector`` into view and press at its centre, as a finger would."""
    element = duo.find_element(selector)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    where = duo.driver.execute_script(CENTRE, element)
    assert where["on_top"], f"{selector} is covered"
    actions = ActionBuilder(duo.driver)
    actions.pointer_action.move_to_location(where["x"], where["y"]).click()
    actions.perform()


PLACEHOLDER = {"en": "Choose a recording", "zh": "选择录制文件"}


def choose(duo, dropdown: str, name: str, lang: str) -> None:
    """Tap ``dropdown`` (once the folder is listed) and pick ``name`` in the list it opens."""
    duo.wait_for_contains_text(f"#{dropdown}", PLACEHOLDER[lang], timeout=10)
    tap(duo, f"#{dropdown}")
    options = ".dash-dropdown-content .dash-dropdown-option"
    option = wait_until(
        lambda: next((o for o in duo.find_elements(options) if name in o.text), None), 5, f"{name} in the open list"
    )
    option.click()


def wait_legend_whole(duo, what: str) -> None:
    """Wait until the replayed timeline's legend is inside the graph and not under the toolbar
    (once settled); on a timeout, say where it was last."""

    def where() -> dict | None:
        return duo.driver.execute_script(LEGEND)

    wait_until(lambda: (legend := where()) and legend["inside"] and legend["clear"], 10, what, seen=where)


def heads_uncovered(duo, width: int) -> bool:
    """The comparison's header cells in view (the rest: scrolled to) are not covered."""
    heads = duo.find_elements(f"#{ids.TRACE_REPLAY_COMPARE} thead th")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", heads[0])
    in_view = [h for h in heads if duo.driver.execute_script(CENTRE, h)["x"] < width]
    return len(in_view) >= 2 and all(duo.driver.execute_script(CENTRE, h)["on_top"] for h in in_view)


def test_a_tap_opens_the_recording_picker_and_the_comparison_reads_whole(start, settings, tmp_path):
    """On a phone in English, then on a desktop in 中文 (one page, its width and language switched)."""
    kept = folder(settings.data_dir)
    kept.mkdir(parents=True)
    for name, steps in (("first", "20"), ("second", "60")):
        recorded(tmp_path, name, PROGRAM_TO_RECORD, [steps]).rename(kept / f"{name}.llrec")
    duo = start(settings, "/trace")
    lay_out_at(duo, 390)
    choose(duo, ids.TRACE_REPLAY_FILE, "first.llrec", "en")
    duo.wait_for_contains_text(f"#{ids.TRACE_REPLAY_STATUS}", "first.llrec", timeout=10)
    wait_legend_whole(duo, "the replayed timeline's legend, whole and clear of the toolbar")
    choose(duo, ids.TRACE_REPLAY_OTHER, "second.llrec", "en")
    duo.wait_for_contains_text(f"#{ids.TRACE_REPLAY_COMPARE}", "second.llrec", timeout=10)
    assert heads_uncovered(duo, 390)
    lay_out_at(duo, 1280)
    switch_language(duo, "zh")
    chinese = re.compile("[\u4e00-\u9fff]")
    wait_until(
        lambda: chinese.search(duo.find_element(f"#{ids.TRACE_REPLAY_COMPARE}").text), 10, "the comparison in 中文"
    )
    wait_legend_whole(duo, "the legend at 1280 px")
    assert heads_uncovered(duo, 1280)
