"""What the browser journeys share: what a user must never see, counting and waiting on
the page, where downloads go, and the Live figure's traces as the browser has them."""

from __future__ import annotations

import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException


def assert_clean(dash_duo) -> None:
    """What a user must never see: a Dash error (dev tools on in tests) or a console error."""
    assert count(dash_duo, ".dash-fe-error__title, .dash-debug-menu__button--error") == 0
    assert dash_duo.get_logs() == []


def count(dash_duo, selector: str) -> int:
    """How many elements match, answered at once (find_elements waits when there are none)."""
    return dash_duo.driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def downloads_to(dash_duo, folder: Path) -> Path:
    """Make the browser save downloads in ``folder``/downloads, without asking; that folder."""
    downloads = folder / "downloads"
    downloads.mkdir()
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return downloads


def wait_until(predicate, timeout: float = 10, what: str = "condition"):
    """Poll until truthy. An element re-rendered between its find and its read counts as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


SHOWN = """
const gd = document.querySelector('#live-graph .js-plotly-plot');
if (!gd || !gd.data || !gd.data.length) return null;
return gd.data.map(t => ({name: t.name, x: t.x || [], y: t.y || []}));
"""


def shown(duo) -> list[dict] | None:
    return duo.driver.execute_script(SHOWN)
