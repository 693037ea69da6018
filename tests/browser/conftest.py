from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app


def assert_clean(dash_duo) -> None:
    """What a user must never see: a Dash error (dev tools on in tests) or a console error."""
    assert count(dash_duo, ".dash-fe-error__title, .dash-debug-menu__button--error") == 0
    assert dash_duo.get_logs() == []


def count(dash_duo, selector: str) -> int:
    """How many elements match, answered at once (find_elements waits when there are none)."""
    return dash_duo.driver.execute_script(
        "return document.querySelectorAll(arguments[0]).length", selector)


def downloads_to(dash_duo, folder: Path) -> Path:
    """Make the browser save downloads in ``folder``/downloads, without asking; that folder."""
    downloads = folder / "downloads"
    downloads.mkdir()
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return downloads


@pytest.fixture
def start(dash_duo):
    """Serve a fresh app built from ``settings`` and open it at ``path``."""

    def _start(settings, path: str = "/"):
        dash_duo.start_server(create_app(settings), debug=True, dev_tools_hot_reload=False)
        if path != "/":
            dash_duo.wait_for_page(url=dash_duo.server_url + path)
        return dash_duo

    return _start
