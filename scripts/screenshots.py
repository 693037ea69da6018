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

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def _driver(width: int, height: int) -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--no-first-run",
                f"--user-data-dir={tempfile.mkdtemp()}", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    return webdriver.Chrome(options=opts)


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for label, (w, h) in WIDTHS.items():
        driver = _driver(w, h)
        try:
            for name, path in (("home", "/"), ("query", "/query"), ("404", "/nowhere")):
                driver.get(base + path)
                time.sleep(1.5)
                driver.save_screenshot(str(out / f"{name}-{label}.png"))
            driver.get(base + "/query")
            time.sleep(1.5)
            box = driver.find_element(By.ID, "query-input")
            box.send_keys("北京", Keys.ENTER)
            time.sleep(2)
            driver.save_screenshot(str(out / f"query-result-{label}.png"))
            box.clear()
            box.send_keys("Bejing", Keys.ENTER)
            time.sleep(1)
            driver.save_screenshot(str(out / f"query-error-{label}.png"))
        finally:
            driver.quit()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
