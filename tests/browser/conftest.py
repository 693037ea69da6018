from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from dash.testing.composite import DashComposite
from selenium.webdriver.remote.webdriver import WebDriver

from app import create_app
from scripts.server import free_port


class KeptChrome(DashComposite):
    """``dash_duo`` on one Chromium kept for the whole session: starting one takes some 1.3 s
    of CPU, 68 times a run. Each test still gets what a new browser gives it: one new tab
    (no page, script, emulation or download setting of the last test's), no cookies, no
    cache, no storage of the last test's origin, no log lines, the window at its first size.
    A browser that cannot be reset so is quit, and the next test starts a new one."""

    kept: ClassVar[WebDriver | None] = None
    size: ClassVar[dict[str, int]] = {}

    def get_webdriver(self) -> WebDriver:
        driver, KeptChrome.kept = KeptChrome.kept, None
        try:
            if driver is not None:
                return self._downloads(driver)
        except Exception:  # a browser or chromedriver gone: any error
            quietly_quit(driver)
        driver = super().get_webdriver()
        KeptChrome.size = driver.get_window_size()
        return self._downloads(driver)

    def _downloads(self, driver: WebDriver) -> WebDriver:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.download_path})
        return driver

    def __exit__(self, exc_type, exc_val, traceback) -> None:
        try:
            fresh_tab(self.driver, self.server_url)
        except Exception:  # as above; and never a passing test's error
            quietly_quit(self.driver)
        else:
            KeptChrome.kept = self.driver


def quietly_quit(driver: WebDriver) -> None:
    try:
        driver.quit()
    except Exception:  # already gone
        pass


def fresh_tab(driver: WebDriver, url: str) -> None:
    """Leave ``driver`` as a new browser would be, after a test that used ``url``."""
    old = driver.window_handles
    driver.switch_to.new_window("tab")
    tab = driver.current_window_handle
    for handle in old:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(tab)
    driver.execute_cdp_cmd("Page.bringToFront", {})  # focused, as a new browser's page is
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    if url:
        port = urlsplit(url).port
        for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):
            driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    driver.set_window_size(KeptChrome.size["width"], KeptChrome.size["height"])
    driver.implicitly_wait(2)
    driver.set_script_timeout(30)
    driver.get_log("browser")  # read, so the next test sees only its own


@pytest.fixture(scope="session")
def kept_chrome() -> Iterator[None]:
    yield
    if KeptChrome.kept is not None:
        quietly_quit(KeptChrome.kept)


@pytest.fixture
def dash_duo(request, dash_thread_server, tmp_path, kept_chrome) -> Iterator[DashComposite]:
    """Dash's own fixture (``dash.testing.plugin``), on the kept browser."""
    (tmp_path / "download").mkdir()
    with KeptChrome(
        server=dash_thread_server,
        browser=request.config.getoption("webdriver"),
        remote=request.config.getoption("remote"),
        remote_url=request.config.getoption("remote_url"),
        headless=request.config.getoption("headless"),
        pause=request.config.getoption("pause"),
        options=request.config.hook.pytest_setup_options(),
        download_path=str(tmp_path / "download"),
        percy_run=False,
    ) as duo:
        yield duo


@pytest.fixture
def start(dash_duo):
    """Serve a fresh app built from ``settings`` and open it at ``path``."""

    def _start(settings, path: str = "/"):
        # A free port: dash counts up from 58050 in each test session, so two sessions on one
        # machine (engineers testing side by side) would open each other's app.
        dash_duo.start_server(create_app(settings), debug=True, dev_tools_hot_reload=False, port=free_port())
        if path != "/":
            dash_duo.wait_for_page(url=dash_duo.server_url + path)
        return dash_duo

    return _start
