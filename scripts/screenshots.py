"""Screenshot every page at desktop and phone width (headless Chromium), for a human to look at,
and the README's small pictures of each page (``docs/``).

python scripts/screenshots.py http://127.0.0.1:8050 out_dir [docs_dir]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from scripts.chrome import headless_chrome  # noqa: E402

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


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
        driver = headless_chrome(w, h)
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
            driver.find_element(By.CSS_SELECTOR, "#lang input[value='en']").click()
            driver.get(base + "/live")
            time.sleep(3)
            _shot(driver, out, f"live-{label}")
            driver.get(base + "/trace")
            time.sleep(3)
            driver.find_element(By.ID, "trace-block").click()
            driver.find_element(By.ID, "trace-jobs").click()
            time.sleep(2)
            _shot(driver, out, f"trace-{label}")
            driver.find_element(By.CSS_SELECTOR, "#trace-loop input[value='sensor']").click()
            time.sleep(3)
            driver.find_element(By.ID, "trace-block").click()
            time.sleep(2)
            _shot(driver, out, f"trace-sensor-{label}")
            driver.get(base + "/lab")
            time.sleep(1)
            driver.find_element(By.CSS_SELECTOR, "#lab-trace input").click()
            driver.find_element(By.ID, "lab-run").click()
            time.sleep(8)
            _shot(driver, out, f"lab-{label}")
            driver.get(base + "/demos")
            time.sleep(1)
            driver.find_element(By.CSS_SELECTOR, "button[id*='call_chain']").click()
            time.sleep(5)
            _shot(driver, out, f"demos-{label}")
            driver.get(base + "/sources")
            time.sleep(3)
            _shot(driver, out, f"sources-{label}")
            driver.get(base + "/fleet")
            time.sleep(3)
            _shot(driver, out, f"fleet-{label}")
            _pages_in_chinese(driver, base, out, label)
        finally:
            driver.quit()


def _pages_in_chinese(driver: webdriver.Chrome, base: str, out: Path, label: str) -> None:
    """Live, Fleet, Trace, Lab, Demos and Sources again, in 中文."""
    driver.find_element(By.CSS_SELECTOR, "#lang input[value='zh']").click()
    for name in ("live", "fleet", "trace", "lab", "demos", "sources"):
        driver.get(f"{base}/{name}")
        time.sleep(3)
        if name == "demos":
            driver.find_element(By.CSS_SELECTOR, "button[id*='task_callback']").click()
            time.sleep(4)
        _shot(driver, out, f"{name}-zh-{label}")
    driver.find_element(By.CSS_SELECTOR, "#lang input[value='en']").click()


DOC_PAGES = (
    ("home", "/"),
    ("query", "/query"),
    ("live", "/live"),
    ("fleet", "/fleet"),
    ("trace", "/trace"),
    ("lab", "/lab"),
    ("demos", "/demos"),
    ("sources", "/sources"),
)


def docs(base: str, out: Path) -> None:
    """Each page at desktop width, half size: the README's pictures."""
    out.mkdir(parents=True, exist_ok=True)
    driver = headless_chrome(1280, 800, scale=0.5)
    try:
        for name, path in DOC_PAGES:
            driver.get(base + path)
            time.sleep(1.5)  # the page's layout arrives after the shell
            if name == "query":
                _ask(driver, "北京")
            if name == "lab":
                driver.find_element(By.ID, "lab-run").click()
                time.sleep(6)
            if name == "demos":
                driver.find_element(By.CSS_SELECTOR, "button[id*='call_chain']").click()
                time.sleep(4)
            time.sleep(3 if name in ("live", "fleet", "trace", "sources") else 0)
            _shot(driver, out, name)
    finally:
        driver.quit()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
    if len(sys.argv) > 3:
        docs(sys.argv[1], Path(sys.argv[3]))
