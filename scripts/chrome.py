"""Headless Debian Chromium as the tests, benches and screenshots all start it."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile

from selenium import webdriver

CHROMIUM = "/usr/bin/chromium"


@functools.cache
def _profiles() -> str:
    """One folder per process for its browsers' fresh profiles (about 20 MB each), removed
    when the process ends: a test run starts some 130 browsers, and their profiles, left
    behind, once filled this machine's disk."""
    folder = tempfile.mkdtemp(prefix="looplens-chrome-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def chrome_options() -> webdriver.ChromeOptions:
    """Flags for this machine's closed network, and a fresh profile each time."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--no-first-run",
        f"--user-data-dir={tempfile.mkdtemp(prefix='profile-', dir=_profiles())}",
    ):
        options.add_argument(arg)
    return options


def headless_chrome(width: int | None = None, height: int = 844, scale: float = 1) -> webdriver.Chrome:
    """A headless browser; with ``width``, the page is laid out as on a screen that wide
    (``scale`` < 1 makes smaller pictures of the same layout)."""
    options = chrome_options()
    options.add_argument("--headless=new")
    driver = webdriver.Chrome(options=options)
    if width is not None:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": width < 600},
        )
    return driver
