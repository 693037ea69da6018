"""Screenshot every page at desktop and phone width (headless Chromium), for a human to look at.

    python scripts/screenshots.py http://127.0.0.1:8050 out_dir
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


def _driver(width: int, height: int) -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--no-first-run",
                f"--user-data-dir={tempfile.mkdtemp()}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return driver


def _shot(driver: webdriver.Chrome, out: Path, name: str) -> None:
    time.sleep(1.2)
    driver.save_screenshot(str(out / f"{name}.png"))


def _ask(driver: webdriver.Chrome, text: str) -> None:
    box = driver.find_element(By.ID, "query-input")
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
    box.send_keys(text, Keys.ENTER)


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for label, (w, h) in WIDTHS.items():
        driver = _driver(w, h)
        try:
            for name, path in (("home", "/"), ("404", "/nowhere"), ("query", "/query")):
                driver.get(base + path)
                _shot(driver, out, f"{name}-{label}")
            _ask(driver, "北京")
            _shot(driver, out, f"query-result-{label}")
            _ask(driver, "Bejing")
            _shot(driver, out, f"query-error-{label}")
            driver.find_element(By.CSS_SELECTOR, "#lang input[value='zh']").click()
            _ask(driver, "上海")
            _shot(driver, out, f"query-result-zh-{label}")
            driver.get(base + "/")
            _shot(driver, out, f"home-zh-{label}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
